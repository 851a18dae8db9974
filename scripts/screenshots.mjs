#!/usr/bin/env node
// Regenerates the admin UI's screenshots in docs/screenshots/ (referenced from the README) against a
// running Qunest with its workers (`npm start`): it adds a deployment and a few jobs over the API,
// waits until the workers ran them, and photographs the overview, a job's detail and the job list on
// a phone (390 px), with Debian's chromium (playwright-core; no browser is downloaded).
//
//   npm start &                      # in another shell, or any Qunest at BASE_URL
//   node scripts/screenshots.mjs     # BASE_URL=http://localhost:3000 TOKEN=<admin JWT> CHROMIUM=/usr/bin/chromium
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const TOKEN = process.env.TOKEN ?? '';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');

const BELL = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
`;
const GHZ = `OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
`;

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (TOKEN) headers.authorization = `Bearer ${TOKEN}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE}/api${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${data?.message ?? text}`);
  return data;
}

async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function seed() {
  const device = (await api('GET', '/devices?provider=LOCAL&limit=1')).items[0];
  if (!device) throw new Error('no LOCAL device');
  const bell = await api('POST', '/deployments', {
    name: 'bell',
    programs: [{ quantumCircuit: BELL, assemblerLanguage: 'QASM2' }],
  });
  const ghz = await api('POST', '/deployments', {
    name: 'ghz-3',
    programs: [{ quantumCircuit: GHZ, assemblerLanguage: 'QASM3' }],
  });
  const jobs = [];
  for (let i = 0; i < 12; i++) {
    const dep = i % 3 === 0 ? ghz : bell;
    jobs.push(
      await api('POST', '/jobs', {
        name: `${dep.name}-${i + 1}`,
        deploymentId: dep.id,
        deviceId: device.id,
        shots: 1000 * (1 + (i % 4)),
        seed: i,
        tags: ['screenshots', i % 2 ? 'odd' : 'even'],
      }),
    );
  }
  await until('the jobs to finish', async () => {
    const states = await Promise.all(jobs.map((j) => api('GET', `/jobs/${j.id}`).then((x) => x.state)));
    return states.every((s) => ['FINISHED', 'ERROR', 'CANCELED'].includes(s));
  });
  // a few that wait, so that the overview shows a queue
  const waiting = [];
  for (let i = 0; i < 3; i++) {
    waiting.push(
      await api('POST', '/jobs', { name: `queued-${i + 1}`, deploymentId: bell.id, deviceId: device.id, shots: 100 }),
    );
  }
  return { detail: jobs[0], waiting };
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const { detail } = await seed();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const open = async (options, path) => {
      const context = await browser.newContext({ colorScheme: 'light', ...options });
      if (TOKEN) await context.addInitScript((t) => localStorage.setItem('qunest.token', t), TOKEN);
      const page = await context.newPage();
      await page.goto(`${BASE}${path}`);
      await page.locator('#live', { hasText: /live|polling/ }).waitFor();
      return { page, context };
    };

    let { page, context } = await open({ viewport: { width: 1440, height: 900 } }, '/?view=overview');
    await page.locator('#overview-states-panel[data-loaded="true"]').waitFor();
    await page.locator('#chart-throughput canvas').waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(OUT, 'overview.png') });
    await context.close();

    ({ page, context } = await open({ viewport: { width: 1440, height: 1300 } }, `/?job=${detail.id}`));
    await page.locator('#detail-timeline li[data-seq]').first().waitFor();
    await page.locator('#detail-results .result .bar').first().waitFor();
    await page.locator('#detail-programs pre').first().waitFor();
    await page.locator('#detail-panel').scrollIntoViewIfNeeded();
    await page.locator('#detail-panel').screenshot({ path: join(OUT, 'job-detail.png') });
    await context.close();

    ({ page, context } = await open(
      {
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        colorScheme: 'dark',
      },
      '/?tag=screenshots',
    ));
    await page.locator('#jobs tr.job').first().waitFor();
    // the top of the page: header, view links and the start of the job list's filters
    await page.screenshot({ path: join(OUT, 'phone.png') });
    await context.close();
  } finally {
    await browser.close();
  }
  console.log(`screenshots written to ${OUT}: overview.png, job-detail.png, phone.png`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
