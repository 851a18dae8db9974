/**
 * The admin UI's second level in a real browser (Debian's chromium driven by playwright-core, as
 * test/admin-ui.e2e-spec.ts) against the real app: the overview (counts per state, device queues,
 * charts of the last hour, live from the socket), the job list's search and filters kept in the URL
 * (reload, back/forward, a shared link), bulk cancel and delete, a job's detail (event timeline,
 * programs, downloads, error, rerun with changes), providers and devices, webhooks with their
 * delivery log, a phone's width, dark mode, the keyboard, and axe-core (no serious or critical
 * violations). Workers are off in the main app: the test plays the worker through JobsService.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parseQasm, simulate } from '../src/quantum';
import { JobsService } from '../src/jobs/jobs.service';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

// browser globals in page.evaluate callbacks (the project's TypeScript has no DOM library)
declare const window: unknown;
declare const document: any;
declare function getComputedStyle(el: unknown): { backgroundColor: string };

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const STATES = ['READY', 'BLOCKED', 'RUNNING', 'FINISHED', 'ERROR', 'CANCELED'];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

describe('admin UI: overview, filters, bulk actions, job detail, providers, webhooks', () => {
  let t: TestApp;
  let http: Http;
  let browser: Browser;
  let deviceId: string;
  let deploymentId: string;
  /** Errors a page raised or logged (apart from the 4xx answers a test asks for). */
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `the admin UI test needs Chromium at ${CHROMIUM}: install Debian's package with "apt-get install -y chromium" (do not download a browser)`,
      );
    }
    t = await startTestApp({ serveAdminUi: true, runWorkers: false });
    http = new Http(`${t.baseUrl}/api`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    deviceId = (await http.get('/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const dep = await http.post('/deployments', {
      name: 'dash-bell',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    deploymentId = dep.body.id;
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  function watch(page: Page): Page {
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // an answer of 4xx that the test provokes is logged by chromium as a failed resource
      if (/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) return;
      problems.push(`console: ${msg.text()}`);
    });
    return page;
  }

  async function open(path = '/', context?: BrowserContext): Promise<Page> {
    const page = watch(
      context ? await context.newPage() : await browser.newPage({ viewport: { width: 1440, height: 1000 } }),
    );
    await page.goto(`${t.baseUrl}${path}`);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    return page;
  }

  async function submit(body: Record<string, unknown> = {}): Promise<{ id: string }> {
    const r = await http.post('/jobs', { deploymentId, deviceId, shots: 100, ...body });
    expect(r.status).toBe(201);
    return r.body;
  }

  /** Plays the worker: RUNNING, 50 %, then the simulator's results (FINISHED). */
  async function runToEnd(jobId: string, shots = 100): Promise<void> {
    const service = t.get<JobsService>(JobsService);
    expect(await service.start(jobId)).not.toBeNull();
    expect(await service.updateProgress(jobId, 50)).toBe(true);
    const results = simulate({
      circuit: parseQasm(BELL_QASM2, 'QASM2'),
      shots,
      seed: 3,
      type: 'RUNNER',
      maxQubits: 20,
    });
    await service.saveResults(
      jobId,
      results.map((r) => ({ program: null, resultType: r.resultType, data: r.data, meta: r.meta })),
    );
  }

  const rowIds = (page: Page) =>
    page.locator('#jobs tr.job').evaluateAll((els) => els.map((el) => el.getAttribute('data-job-id')));

  async function axe(page: Page): Promise<AxeViolation[]> {
    await page.evaluate(AXE);
    const result = await page.evaluate(async () => {
      const run = (window as unknown as { axe: { run: (o: object) => Promise<{ violations: AxeViolation[] }> } }).axe
        .run;
      return run({ resultTypes: ['violations'] });
    });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  }

  const brief = (vs: AxeViolation[]) =>
    vs.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);

  describe('the job list', () => {
    const alpha: string[] = [];
    const beta: string[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 3; i++) alpha.push((await submit({ name: `alpha-${i}`, tags: ['exp:a'] })).id);
      for (let i = 0; i < 2; i++) beta.push((await submit({ name: `beta-${i}`, tags: ['exp:b'] })).id);
      await runToEnd(alpha[0]);
    });

    it('searches and filters, keeps both in the URL, and shows the same list after a reload and back/forward', async () => {
      const page = await open();
      try {
        await page.locator(`#jobs tr[data-job-id="${beta[0]}"]`).waitFor();
        await page.fill('#jobs-filters [name=q]', 'alpha');
        await page.press('#jobs-filters [name=q]', 'Enter');
        await page.waitForURL(/\?q=alpha$/);
        await waitUntil(async () => ((await rowIds(page)).length === 3 ? true : undefined), 'three alpha rows');
        expect((await rowIds(page)).sort()).toEqual([...alpha].sort());

        await page.selectOption('#jobs-filters [name=state]', 'READY');
        await page.waitForURL(/\?q=alpha&state=READY$/);
        await waitUntil(async () => ((await rowIds(page)).length === 2 ? true : undefined), 'two READY alpha rows');
        expect((await rowIds(page)).sort()).toEqual(alpha.slice(1).sort());

        // a reload shows the same list, and the form says why
        await page.reload();
        await page.locator(`#jobs tr[data-job-id="${alpha[1]}"]`).waitFor();
        expect((await rowIds(page)).sort()).toEqual(alpha.slice(1).sort());
        await expect(page.inputValue('#jobs-filters [name=q]')).resolves.toBe('alpha');
        await expect(page.inputValue('#jobs-filters [name=state]')).resolves.toBe('READY');
        await expect(page.locator('#jobs-count').textContent()).resolves.toBe('2');

        // back: the state filter goes, forward: it comes back
        await page.goBack();
        await page.waitForURL(/\?q=alpha$/);
        await waitUntil(async () => ((await rowIds(page)).length === 3 ? true : undefined), 'three rows after back');
        await expect(page.inputValue('#jobs-filters [name=state]')).resolves.toBe('');
        await page.goForward();
        await page.waitForURL(/state=READY/);
        await waitUntil(async () => ((await rowIds(page)).length === 2 ? true : undefined), 'two rows after forward');

        // a tag, and the deployment and device filters, the way a shared link gives them
        await page.click('#jobs-filters-clear');
        await page.fill('#jobs-filters [name=tag]', 'exp:b');
        await page.press('#jobs-filters [name=tag]', 'Enter');
        await page.waitForURL(/\?tag=exp%3Ab$/);
        await waitUntil(async () => ((await rowIds(page)).length === 2 ? true : undefined), 'two beta rows');
        expect((await rowIds(page)).sort()).toEqual([...beta].sort());
      } finally {
        await page.close();
      }
      const shared = await open(`/?deviceId=${deviceId}&deploymentId=${deploymentId}&tag=exp:a&state=FINISHED`);
      try {
        await shared.locator(`#jobs tr[data-job-id="${alpha[0]}"]`).waitFor();
        expect(await rowIds(shared)).toEqual([alpha[0]]);
        await expect(shared.inputValue('#jobs-filters [name=deviceId]')).resolves.toBe(deviceId);
        await expect(shared.inputValue('#jobs-filters [name=deploymentId]')).resolves.toBe(deploymentId);
        // created after/before: nothing was created before the first job
        const first = (await http.get(`/jobs/${alpha[0]}`)).body.createdAt as string;
        await shared.goto(`${t.baseUrl}/?createdBefore=${encodeURIComponent(first)}&q=alpha`);
        await shared.locator('#jobs-empty').waitFor();
        await expect(shared.locator('#jobs tr.job').count()).resolves.toBe(0);
      } finally {
        await shared.close();
      }
    });

    it('shows the queue position column and the wait time of each job', async () => {
      const page = await open(`/?tag=exp:a`);
      try {
        const cell = page.locator(`#jobs tr[data-job-id="${alpha[0]}"] .queue-cell`);
        await cell.waitFor();
        const job = (await http.get(`/jobs/${alpha[0]}`)).body;
        const waited = Date.parse(job.startedAt) - Date.parse(job.createdAt);
        expect(await cell.textContent()).toMatch(/waited \d/);
        expect(waited).toBeGreaterThanOrEqual(0);
        await expect(page.locator('#jobs thead th', { hasText: 'Queue / wait' }).count()).resolves.toBe(1);
      } finally {
        await page.close();
      }
    });

    it('cancels 8 READY jobs at once after a confirmation that says 8, with progress and the outcome per job', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push((await submit({ name: `bulk-${i}`, tags: ['bulk'] })).id);
      const page = await open('/?tag=bulk&state=READY');
      try {
        await waitUntil(async () => ((await rowIds(page)).length === 8 ? true : undefined), 'eight READY rows');
        await page.check('#jobs-select-page');
        await expect(page.locator('#bulk-count').textContent()).resolves.toBe('8 selected');
        let asked = '';
        page.once('dialog', (d) => {
          asked = d.message();
          void d.accept();
        });
        await page.click('#bulk-cancel');
        await page.locator('#bulk-progress[data-done="true"]').waitFor();
        expect(asked).toMatch(/^Cancel 8 jobs\?/);
        await expect(page.locator('#bulk-outcomes li[data-outcome="ok"]').count()).resolves.toBe(8);
        await expect(page.locator('#bulk-status').textContent()).resolves.toBe('Cancel: 8 of 8 done');
        await expect(
          page.locator('#bulk-bar').evaluate((el) => (el as unknown as { value: number }).value),
        ).resolves.toBe(8);
        for (const id of ids) expect((await http.get(`/jobs/${id}`)).body.state).toBe('CANCELED');
        // they leave the READY list
        await page.locator('#jobs-empty').waitFor();
      } finally {
        await page.close();
      }

      // "all matching the filter": one row picked, then all 8; delete them
      const all = await open('/?tag=bulk');
      try {
        await waitUntil(async () => ((await rowIds(all)).length === 8 ? true : undefined), 'eight rows');
        await all.locator(`#jobs tr[data-job-id="${ids[0]}"] input.pick`).check();
        await all.click('#bulk-all');
        await expect(all.locator('#bulk-count').textContent()).resolves.toBe('All 8 jobs matching the filter selected');
        let asked = '';
        all.once('dialog', (d) => {
          asked = d.message();
          void d.accept();
        });
        await all.click('#bulk-delete');
        await all.locator('#bulk-progress[data-done="true"]').waitFor();
        expect(asked).toBe('Delete 8 jobs and their results?');
        await expect(all.locator('#bulk-outcomes li[data-outcome="ok"]').count()).resolves.toBe(8);
        for (const id of ids) expect((await http.get(`/jobs/${id}`)).status).toBe(404);
      } finally {
        await all.close();
      }
    });

    it('reports per job when some of a bulk cancel fail (a job that has ended)', async () => {
      const ready = await submit({ tags: ['mixed'] });
      const ended = await submit({ tags: ['mixed'] });
      await http.post(`/jobs/${ended.id}/cancel`);
      const page = await open('/?tag=mixed');
      try {
        await waitUntil(async () => ((await rowIds(page)).length === 2 ? true : undefined), 'two rows');
        await page.check('#jobs-select-page');
        page.once('dialog', (d) => void d.accept());
        await page.click('#bulk-cancel');
        await page.locator('#bulk-progress[data-done="true"]').waitFor();
        await expect(
          page.locator(`#bulk-outcomes li[data-job-id="${ready.id}"]`).getAttribute('data-outcome'),
        ).resolves.toBe('ok');
        const failed = page.locator(`#bulk-outcomes li[data-job-id="${ended.id}"]`);
        await expect(failed.getAttribute('data-outcome')).resolves.toBe('failed');
        expect(await failed.textContent()).toContain('409');
        await expect(page.locator('#bulk-status').textContent()).resolves.toBe('Cancel: 1 of 2 done, 1 failed');
      } finally {
        await page.close();
      }
    });
  });

  describe('a job', () => {
    let finished: string;
    let failed: string;

    beforeAll(async () => {
      finished = (await submit({ name: 'detail-me', shots: 200, seed: 9, tags: ['detail'] })).id;
      await runToEnd(finished, 200);
      failed = (await submit({ name: 'fail-me' })).id;
      const service = t.get<JobsService>(JobsService);
      await service.start(failed);
      await service.saveError(failed, {
        message: 'qubit 7 does not exist',
        stack: 'Error: qubit 7 does not exist\n    at run (engine.ts:1)',
      });
    });

    it('shows its event history as a timeline with times and seq, its programs and a translation', async () => {
      const page = await open('/?tag=detail');
      try {
        await page.locator(`#jobs tr[data-job-id="${finished}"]`).click();
        await page.waitForURL(new RegExp(`job=${finished}`));
        const events = (await http.get(`/jobs/${finished}/events?limit=100`)).body.items as {
          seq: number;
          name: string;
        }[];
        const items = page.locator('#detail-timeline li[data-seq]');
        await waitUntil(async () => ((await items.count()) === events.length ? true : undefined), 'the whole timeline');
        const shown = await items.evaluateAll((els) =>
          els.map((el) => [
            Number(el.getAttribute('data-seq')),
            el.getAttribute('data-name'),
            el.querySelector('time')!.getAttribute('datetime'),
          ]),
        );
        expect(shown.map(([seq, name]) => [seq, name])).toEqual(events.map((e) => [e.seq, e.name]));
        expect(shown.every(([, , at]) => typeof at === 'string' && !Number.isNaN(Date.parse(at as string)))).toBe(true);
        const names = events.map((e) => e.name);
        expect(names[0]).toBe('job.created');
        expect(names).toContain('job.progress');
        expect(names).toContain('job.result');
        await expect(
          page.locator('#detail-timeline li[data-name="job.state"] strong').allTextContents(),
        ).resolves.toEqual(['RUNNING', 'FINISHED']);

        const program = page.locator('#detail-programs .program pre').first();
        await expect(program.textContent()).resolves.toBe(BELL_QASM2);
        const languages = (await http.get('/translations/languages')).body as { write: string[] };
        const to = languages.write.find((l) => l !== 'QASM2') ?? languages.write[0];
        const expected = await http.post('/translations', { quantumCircuit: BELL_QASM2, from: 'QASM2', to });
        await page.locator('#detail-programs select[data-detail-translate-of]').selectOption(to);
        await expect(page.locator('#detail-programs .translation pre').textContent()).resolves.toBe(
          expected.body.quantumCircuit,
        );

        // the open job survives a reload
        await page.reload();
        await page.locator('#detail-panel:not([hidden])').waitFor();
        await expect(page.locator('#detail-id').textContent()).resolves.toBe(finished);
        await page.locator('#detail-timeline li[data-seq]').first().waitFor();
        // back closes it
        await page.goBack();
        await page.locator('#detail-panel').waitFor({ state: 'hidden' });
      } finally {
        await page.close();
      }
    });

    it('downloads a histogram as JSON and as CSV', async () => {
      const page = await open(`/?job=${finished}`);
      try {
        const counts = (await http.get(`/jobs/${finished}/results`)).body.find(
          (r: { resultType: string }) => r.resultType === 'COUNTS',
        );
        const section = page.locator('#detail-results .result[data-result-type="COUNTS"]');
        await section.locator('.bar').first().waitFor();
        const [json] = await Promise.all([page.waitForEvent('download'), section.locator('a.download-json').click()]);
        expect(json.suggestedFilename()).toMatch(/counts\.json$/);
        expect(JSON.parse(readFileSync((await json.path())!, 'utf8'))).toMatchObject({
          resultType: 'COUNTS',
          data: counts.data,
        });
        const [csv] = await Promise.all([
          page.waitForEvent('download'),
          section.locator('a.download-csv-shown').click(),
        ]);
        const lines = readFileSync((await csv.path())!, 'utf8')
          .trimEnd()
          .split('\n');
        expect(lines[0]).toBe('key,value');
        expect(Object.fromEntries(lines.slice(1).map((l) => [l.split(',')[0], Number(l.split(',')[1])]))).toEqual(
          counts.data,
        );
      } finally {
        await page.close();
      }
    });

    it('shows the error of an ERROR job with its message and stack', async () => {
      const page = await open(`/?job=${failed}`);
      try {
        const error = page.locator('#detail-error .job-error');
        await error.waitFor();
        await expect(error.locator('.error-message').textContent()).resolves.toBe('qubit 7 does not exist');
        await error.locator('summary').click();
        await expect(error.locator('pre').textContent()).resolves.toContain('at run (engine.ts:1)');
        await expect(page.locator('#detail-timeline li[data-name="job.error"]').textContent()).resolves.toContain(
          'qubit 7 does not exist',
        );
      } finally {
        await page.close();
      }
    });

    it('reruns unchanged, and with other shots', async () => {
      const page = await open(`/?job=${finished}`);
      try {
        await page.locator('#detail-facts .fact').first().waitFor();
        await expect(page.inputValue('#rerun-form [name=shots]')).resolves.toBe('200');
        await page.fill('#rerun-form [name=shots]', '77');
        // with other shots: the rerun endpoint (the original's programs and settings) with them
        const [changed] = await Promise.all([
          page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/jobs/${finished}/rerun`)),
          page.click('#rerun-form button[type=submit]'),
        ]);
        expect(changed.postDataJSON()).toEqual({ shots: 77 });
        await page.waitForURL((url) => !url.search.includes(finished) && url.search.includes('job='));
        const id = new URL(page.url()).searchParams.get('job')!;
        const rerun = (await http.get(`/jobs/${id}`)).body;
        expect(rerun).toMatchObject({
          shots: 77,
          seed: 9,
          deviceId,
          deploymentId,
          name: 'detail-me',
          tags: ['detail'],
          state: 'READY',
        });
        await page.locator(`#detail-id`, { hasText: id }).waitFor();

        // unchanged: POST /jobs/:id/rerun
        await page.locator('#detail-facts .fact').first().waitFor();
        await expect(page.inputValue('#rerun-form [name=shots]')).resolves.toBe('77');
        const [request] = await Promise.all([
          page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/api/jobs/${id}/rerun`)),
          page.click('#rerun-form button[type=submit]'),
        ]);
        expect(request.url()).toContain('/rerun');
        expect(request.postDataJSON()).toEqual({});
      } finally {
        await page.close();
      }
    });
  });

  describe('the overview', () => {
    it('shows counts per state, live from the socket without asking the API again, and opens the filtered list', async () => {
      const page = await open('/?view=overview');
      try {
        await page.locator('#overview-states-panel[data-loaded="true"]').waitFor();
        const totals = async () =>
          Object.fromEntries(
            await Promise.all(
              STATES.map(async (s) => [s, (await http.get(`/jobs?state=${s}&limit=1`)).body.total as number]),
            ),
          );
        const count = (s: string) => page.locator(`#state-counts a[data-state="${s}"]`).getAttribute('data-count');
        const before = await totals();
        for (const s of STATES) await expect(count(s)).resolves.toBe(String(before[s]));
        await page.locator('#chart-throughput canvas').waitFor();
        await expect(page.locator('#chart-times canvas').count()).resolves.toBe(1);
        const finishedBefore = Number(await page.locator('#overview-summary').getAttribute('data-finished'));
        expect(finishedBefore).toBeGreaterThan(0);

        // from now on, only socket events: no request to /api/jobs
        const asked: string[] = [];
        page.on('request', (r) => {
          if (r.url().includes('/api/jobs')) asked.push(r.url());
        });
        const job = await submit({ name: 'overview-live' });
        await page.locator(`#state-counts a[data-state="READY"][data-count="${before.READY + 1}"]`).waitFor();
        const queue = page.locator(`#device-queues tr[data-device-id="${deviceId}"]`);
        const readyOnDevice = (await http.get(`/jobs?state=READY&deviceId=${deviceId}&limit=1`)).body.total;
        await expect(queue.getAttribute('data-waiting')).resolves.toBe(String(readyOnDevice));
        await runToEnd(job.id);
        await page.locator(`#state-counts a[data-state="FINISHED"][data-count="${before.FINISHED + 1}"]`).waitFor();
        await page.locator(`#overview-summary[data-finished="${finishedBefore + 1}"]`).waitFor();
        await expect(count('READY')).resolves.toBe(String(before.READY));
        expect(asked).toEqual([]);

        // a state's count opens the list filtered by it
        await page.click('#state-counts a[data-state="FINISHED"]');
        await page.waitForURL(/\?state=FINISHED$/);
        await page.locator('#view-jobs:not([hidden])').waitFor();
        await page.locator(`#jobs tr[data-job-id="${job.id}"]`).waitFor();
        await expect(page.inputValue('#jobs-filters [name=state]')).resolves.toBe('FINISHED');
        await page.goBack();
        await page.locator('#view-overview:not([hidden])').waitFor();
      } finally {
        await page.close();
      }
    });
  });

  describe('providers and devices', () => {
    it('lists each provider with its devices, live status, calibration, online/offline and sync', async () => {
      const page = await open('/?view=providers');
      try {
        const providers = (await http.get('/providers?limit=100')).body.items as {
          id: string;
          name: string;
          devices: { id: string }[];
        }[];
        await page.locator('#providers section.provider').first().waitFor();
        await expect(page.locator('#providers section.provider').count()).resolves.toBe(providers.length);
        const local = providers.find((p) => p.name === 'LOCAL')!;
        const section = page.locator(`#providers section[data-provider="LOCAL"]`);
        await expect(section.locator('tbody tr[data-device-id]').count()).resolves.toBe(local.devices.length);

        const row = section.locator(`tr[data-device-id="${deviceId}"]`);
        const status = (await http.get(`/devices/${deviceId}/status`)).body;
        await row.getByRole('button', { name: 'Live status' }).click();
        const lookup = section.locator(`tr[data-lookup-of="${deviceId}"][data-kind="status"]`);
        await lookup.locator('dl').waitFor();
        expect(await lookup.textContent()).toContain(`Source${status.source}`);
        await row.getByRole('button', { name: 'Calibration' }).click();
        const cal = section.locator(`tr[data-lookup-of="${deviceId}"][data-kind="calibration"]`);
        await cal.locator('.calibration').waitFor();
        const calibration = (await http.get(`/devices/${deviceId}/calibration`)).body;
        expect(await cal.textContent()).toContain(`source ${calibration.source}`);

        await row.getByRole('button', { name: 'Set offline' }).click();
        await section.locator(`tr[data-device-id="${deviceId}"][data-status="offline"]`).waitFor();
        expect((await http.get(`/devices/${deviceId}`)).body.status).toBe('offline');
        await section.locator(`tr[data-device-id="${deviceId}"]`).getByRole('button', { name: 'Set online' }).click();
        await section.locator(`tr[data-device-id="${deviceId}"][data-status="online"]`).waitFor();

        // sync: the page shows what the API answers (an outcome, or the provider's refusal)
        const direct = await http.post(`/providers/${local.id}/sync`, {});
        await section.locator(`#sync-${local.id}`).click();
        if (direct.status === 200) {
          await expect(section.locator('.sync-outcome').textContent()).resolves.toContain(`${direct.body.added} added`);
        } else {
          await expect(section.locator('.sync-error').textContent()).resolves.toContain(String(direct.status));
          expect(await section.locator('.sync-error').textContent()).toContain(direct.body.message);
        }
      } finally {
        await page.close();
      }
    });
  });

  describe('on a phone, in dark mode, with the keyboard, and for axe-core', () => {
    let phone: BrowserContext;

    beforeAll(async () => {
      phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
      });
    });

    afterAll(async () => {
      await phone?.close();
    });

    it('fits 390 px without horizontal scrolling in every view', async () => {
      const job = (await submit({ name: 'a-job-with-a-rather-long-name-to-see-that-it-wraps-on-a-phone' })).id;
      await runToEnd(job);
      const page = await open(`/?job=${job}`, phone);
      try {
        for (const path of [`/?job=${job}`, '/?view=overview', '/?view=providers', '/?view=webhooks']) {
          await page.goto(`${t.baseUrl}${path}`);
          await page.locator('#live', { hasText: 'live' }).waitFor();
          if (path.includes('job=')) await page.locator('#detail-timeline li[data-seq]').first().waitFor();
          if (path.includes('overview')) await page.locator('#chart-throughput canvas').waitFor();
          if (path.includes('providers')) await page.locator('#providers section.provider').first().waitFor();
          const overflow = await page.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
            wide: [...document.querySelectorAll('body *')]
              .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
              .slice(0, 5)
              .map((el) => `${el.tagName}#${el.id}.${el.className}`),
          }));
          expect({ path, ...overflow }).toEqual({ path, scroll: 390, client: 390, wide: [] });
        }
        // the table's header row (with its checkbox) is gone on a phone: a button picks the rows shown
        await page.goto(`${t.baseUrl}/`);
        await page.locator('#jobs tr.job').first().waitFor();
        await expect(page.locator('#jobs-select-page').isVisible()).resolves.toBe(false);
        await page.locator('#jobs-select-shown').click();
        const shown = await page.locator('#jobs tr.job').count();
        await expect(page.locator('#bulk-count').textContent()).resolves.toBe(`${shown} selected`);
      } finally {
        await page.close();
      }
    });

    it('follows the system dark mode', async () => {
      const page = await open('/');
      try {
        const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
        await page.emulateMedia({ colorScheme: 'light' });
        await expect(bg()).resolves.toBe('rgb(244, 245, 248)');
        await page.emulateMedia({ colorScheme: 'dark' });
        await expect(bg()).resolves.toBe('rgb(18, 21, 28)');
        await expect(
          page.evaluate(() => getComputedStyle(document.querySelector('.panel')!).backgroundColor),
        ).resolves.toBe('rgb(26, 30, 39)');
      } finally {
        await page.close();
      }
    });

    it('can be used with the keyboard: view links and opening a job', async () => {
      const page = await open('/');
      try {
        await page.locator('[data-view-link="overview"]').focus();
        await page.keyboard.press('Enter');
        await page.waitForURL(/\?view=overview$/);
        await page.locator('#view-overview:not([hidden])').waitFor();
        await page.locator('[data-view-link="jobs"]').focus();
        await page.keyboard.press('Enter');
        await page.locator('#view-jobs:not([hidden])').waitFor();
        const first = page.locator('#jobs tr.job').first();
        await first.waitFor();
        const id = await first.getAttribute('data-job-id');
        await first.focus();
        await page.keyboard.press('Enter');
        await page.waitForURL(new RegExp(`job=${id}`));
        await page.locator('#detail-panel:not([hidden])').waitFor();
        // the page checkbox is reachable by Tab and picks with Space
        await page.locator('#jobs-select-page').focus();
        await page.keyboard.press('Space');
        await page.locator('#bulk:not([hidden])').waitFor();
      } finally {
        await page.close();
      }
    });

    let axeJob: string;

    /** An ERROR job: its detail shows the most (the error, its stack, the timeline). */
    async function errorJob(): Promise<string> {
      if (axeJob) return axeJob;
      const job = (await submit({ name: 'axe' })).id;
      const service = t.get<JobsService>(JobsService);
      await service.start(job);
      await service.saveError(job, { message: 'for axe', stack: 'Error: for axe\n    at test' });
      return (axeJob = job);
    }

    async function axeEveryView(context: BrowserContext | undefined): Promise<void> {
      const job = await errorJob();
      const page = await open('/', context);
      try {
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          for (const path of [`/?job=${job}`, '/?view=overview', '/?view=providers', '/?view=webhooks']) {
            await page.goto(`${t.baseUrl}${path}`);
            await page.locator('#live', { hasText: 'live' }).waitFor();
            if (path.includes('job=')) await page.locator('#detail-timeline li[data-seq]').first().waitFor();
            if (path.includes('overview')) await page.locator('#chart-throughput canvas').waitFor();
            if (path.includes('providers')) await page.locator('#providers section.provider').first().waitFor();
            expect({ path, scheme, violations: brief(await axe(page)) }).toEqual({ path, scheme, violations: [] });
          }
        }
      } finally {
        await page.close();
      }
    }

    it('has no serious or critical axe-core violations in any view, light and dark (desktop)', async () => {
      await axeEveryView(undefined);
    }, 150_000);

    it('has no serious or critical axe-core violations in any view, light and dark (phone)', async () => {
      await axeEveryView(phone);
    }, 150_000);
  });

  describe('webhooks (with the delivery worker in the process)', () => {
    let withWorkers: TestApp;
    let receiver: Server;
    let hookUrl: string;
    const received: string[] = [];

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push(body);
          res.statusCode = 204;
          res.end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      withWorkers = await startTestApp({
        serveAdminUi: true,
        runWorkers: true,
        webhooks: { retryBaseSeconds: 1, maxAttempts: 3, timeoutSeconds: 5, allowPrivate: true },
      });
    });

    afterAll(async () => {
      await withWorkers?.close();
      await new Promise((resolve) => receiver?.close(resolve));
    });

    it('creates a webhook (its secret shown once), shows its delivery log, and deletes it', async () => {
      const api = new Http(`${withWorkers.baseUrl}/api`);
      const page = watch(await browser.newPage({ viewport: { width: 1440, height: 1000 } }));
      try {
        await page.goto(`${withWorkers.baseUrl}/?view=webhooks`);
        await page.fill('#webhook-form [name=url]', hookUrl);
        await page.uncheck('#webhook-events input[value="*"]');
        await page.check('#webhook-events input[value="deployment.created"]');
        await page.click('#webhook-form button[type=submit]');
        const secret = await page.locator('#webhook-secret .secret-value').textContent();
        expect(secret!.length).toBeGreaterThanOrEqual(16);
        const hooks = (await api.get('/webhooks')).body.items as { id: string; url: string; events: string[] }[];
        expect(hooks).toEqual([expect.objectContaining({ url: hookUrl, events: ['deployment.created'] })]);
        const row = page.locator(`#webhooks tr[data-webhook-id="${hooks[0].id}"]`);
        await row.waitFor();
        // the secret is not in the list: it was shown once
        expect(JSON.stringify((await api.get(`/webhooks/${hooks[0].id}`)).body)).not.toContain(secret!);

        await api.post('/deployments', {
          name: 'hooked',
          programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
        });
        await waitUntil(
          async () => (received.some((b) => b.includes('deployment.created')) ? true : undefined),
          'a delivery',
        );
        await row.getByRole('button', { name: 'Deliveries' }).click();
        const delivery = page.locator('#deliveries tbody tr[data-delivery-id]');
        await delivery.first().waitFor();
        expect(await delivery.first().textContent()).toContain('deployment.created');
        expect(await delivery.first().textContent()).toContain('HTTP 204');

        page.once('dialog', (d) => void d.accept());
        await row.getByRole('button', { name: 'Delete' }).click();
        await row.waitFor({ state: 'detached' });
        expect((await api.get('/webhooks')).body.total).toBe(0);
      } finally {
        await page.close();
      }
    });
  });

  it('raised no script errors and logged no console errors (CSP violations included)', () => {
    expect(problems).toEqual([]);
  });
});
