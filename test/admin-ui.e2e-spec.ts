/**
 * The admin UI in a real browser (Debian's chromium driven by playwright-core) against the real app
 * on a fresh database. Workers are off in this app, so the test itself plays the worker through the
 * worker-facing JobsService use cases with real simulator output: that makes every state the page
 * must show (READY, RUNNING with progress, FINISHED with counts) happen in a known order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parseQasm, simulate } from '../src/quantum';
import { JobsService } from '../src/jobs/jobs.service';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const SCREENSHOT = '/tmp/qunest-admin.png';

const BAD_QASM = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
foo q[0];
`;

describe('admin UI', () => {
  let t: TestApp;
  /** The API, under /api. */
  let http: Http;
  /** The server root, where the UI is. */
  let root: Http;
  let browser: Browser;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `the admin UI test needs Chromium at ${CHROMIUM}: install Debian's package with "apt-get install -y chromium" (do not download a browser)`,
      );
    }
    t = await startTestApp({ serveAdminUi: true, runWorkers: false });
    http = new Http(`${t.baseUrl}/api`);
    root = new Http(t.baseUrl);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(context?: BrowserContext): Promise<Page> {
    const page = context ? await context.newPage() : await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    await page.goto(`${t.baseUrl}/`);
    return page;
  }

  const row = (page: Page, jobId: string) => page.locator(`#jobs tr[data-job-id="${jobId}"]`);

  describe('serving', () => {
    it('answers / with the page and a strict CSP, serves its modules, and leaves /api and unknown paths to Nest', async () => {
      const index = await fetch(`${t.baseUrl}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await index.text()).toContain('<title>Qunest admin</title>');

      const app = await fetch(`${t.baseUrl}/app.js`);
      expect(app.status).toBe(200);
      expect(app.headers.get('content-type')).toMatch(/^text\/javascript/);
      const etag = app.headers.get('etag')!;
      expect((await fetch(`${t.baseUrl}/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);

      const client = await fetch(`${t.baseUrl}/vendor/socket.io.esm.min.js`);
      expect(client.status).toBe(200);
      expect(await client.text()).toContain('export{');

      expect((await root.get('/api/health')).status).toBe(200);
      const missing = await root.get('/no-such-file.js');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ statusCode: 404 });
      expect((await fetch(`${t.baseUrl}/%2e%2e/package.json`)).status).toBe(404);
      expect((await fetch(`${t.baseUrl}/..%2fpackage.json`)).status).toBe(404);
      expect((await root.post('/', {})).status).toBe(404);
    });

    it('serves nothing at / when serveAdminUi is off', async () => {
      const other = await startTestApp({ serveAdminUi: false, runWorkers: false, databaseUrl: t.config.databaseUrl });
      try {
        expect((await fetch(`${other.baseUrl}/`)).status).toBe(404);
        expect((await fetch(`${other.baseUrl}/api/health`)).status).toBe(200);
      } finally {
        await other.close();
      }
    });
  });

  describe('in the browser', () => {
    let page: Page;
    let deploymentId: string;
    let jobId: string;

    beforeAll(async () => {
      page = await open();
    });

    it('loads and lists the LOCAL statevector simulator', async () => {
      const device = page.locator('#devices tbody tr', { hasText: 'statevector-simulator' });
      await device.waitFor();
      await expect(device.textContent()).resolves.toContain('LOCAL');
      await expect(device.getAttribute('data-status')).resolves.toBe('online');
      await expect(page.locator('#health').textContent()).resolves.toBe('API ok');
    });

    it('follows every event over socket.io when the server has a gateway, else polls', async () => {
      // engine.io answers its handshake over HTTP long-polling when a gateway is attached
      const handshake = await fetch(`${t.baseUrl}/socket.io/?EIO=4&transport=polling`);
      const expected = handshake.status === 200 ? 'live · all events' : 'polling every 2 s';
      await page.locator('#live', { hasText: expected }).waitFor();
    });

    it('creates a deployment through the form and shows it', async () => {
      await page.fill('#deployment-form [name=name]', 'ui-bell');
      await page.selectOption('#deployment-form [name=language]', 'QASM2');
      await page.fill('#deployment-form [name=program]', BELL_QASM2);
      await page.click('#deployment-form button[type=submit]');
      await page.locator('#deployments tbody tr', { hasText: 'ui-bell' }).waitFor();

      const stored = await http.get('/deployments?name=ui-bell');
      expect(stored.body.total).toBe(1);
      deploymentId = stored.body.items[0].id;
      // the list carries a summary of the program; its text is on the item
      expect(stored.body.items[0].programs).toEqual([
        { id: expect.any(String), position: 0, assemblerLanguage: 'QASM2', sizeBytes: BELL_QASM2.length },
      ]);
      expect((await http.get(`/deployments/${deploymentId}`)).body.programs[0].quantumCircuit).toBe(BELL_QASM2);
      // the new deployment is picked in the job form
      await expect(page.inputValue('#job-form [name=deploymentId]')).resolves.toBe(deploymentId);
      // its name shows and hides its program
      await page.getByRole('button', { name: 'ui-bell' }).click();
      const program = page.locator(`#deployments tr[data-programs-of="${deploymentId}"] pre`);
      await expect(program.textContent()).resolves.toBe(BELL_QASM2);
      await page.getByRole('button', { name: 'ui-bell' }).click();
      await program.waitFor({ state: 'detached' });
    });

    it('shows the program of a deployment it knows from the list only by fetching the deployment', async () => {
      // a page opened now has the list's summaries only, without program texts
      const other = await open();
      try {
        const requested: string[] = [];
        other.on('request', (r) => requested.push(new URL(r.url()).pathname));
        await other.getByRole('button', { name: 'ui-bell' }).click();
        const program = other.locator(`#deployments tr[data-programs-of="${deploymentId}"] pre`);
        await expect(program.textContent()).resolves.toBe(BELL_QASM2);
        expect(requested).toContain(`/api/deployments/${deploymentId}`);
        await expect(
          other.locator(`#deployments tr[data-programs-of="${deploymentId}"] .sub`).textContent(),
        ).resolves.toBe(`program 1 · QASM2 · ${BELL_QASM2.length} bytes`);
      } finally {
        await other.close();
      }
    });

    it('refuses a bad OpenQASM program with the 422 message and its line, and selects that line', async () => {
      const direct = await http.post('/deployments', {
        name: 'bad',
        programs: [{ quantumCircuit: BAD_QASM, assemblerLanguage: 'QASM2' }],
      });
      expect(direct.status).toBe(422);
      expect(direct.body.line).toBe(4);

      await page.fill('#deployment-form [name=name]', 'ui-bad');
      await page.fill('#deployment-form [name=program]', BAD_QASM);
      await page.click('#deployment-form button[type=submit]');
      const error = page.locator('#deployment-error');
      await error.waitFor();
      const text = await error.textContent();
      expect(text).toContain('422');
      expect(text).toContain(direct.body.message);
      expect(text).toContain(`line ${direct.body.line}`);
      const selected = await page.$eval('#deployment-form [name=program]', (el) => {
        const ta = el as unknown as { value: string; selectionStart: number; selectionEnd: number };
        return ta.value.slice(ta.selectionStart, ta.selectionEnd);
      });
      expect(selected).toBe('foo q[0];');
      expect((await http.get('/deployments?name=ui-bad')).body.total).toBe(0);
    });

    it('submits a job and shows its row READY, then RUNNING with progress, then FINISHED, live', async () => {
      await page.fill('#job-form [name=shots]', '500');
      await page.selectOption('#job-form [name=type]', 'RUNNER');
      await page.fill('#job-form [name=seed]', '11');
      await page.click('#job-form button[type=submit]');

      const jobs = await waitUntil(async () => {
        const r = await http.get(`/jobs?deploymentId=${deploymentId}`);
        return r.body.total === 1 ? r.body.items : undefined;
      }, 'the submitted job');
      jobId = jobs[0].id;
      expect(jobs[0]).toMatchObject({ shots: 500, type: 'RUNNER', seed: 11, state: 'READY' });
      await row(page, jobId).and(page.locator('[data-state="READY"]')).waitFor();
      await expect(row(page, jobId).textContent()).resolves.toContain('ui-bell');

      // play the worker, through the same use cases it calls
      const service = t.get<JobsService>(JobsService);
      expect(await service.start(jobId)).not.toBeNull();
      await row(page, jobId).and(page.locator('[data-state="RUNNING"]')).waitFor();
      expect(await service.updateProgress(jobId, 50)).toBe(true);
      await page.locator(`#jobs tr[data-job-id="${jobId}"] [role=progressbar][aria-valuenow="50"]`).waitFor();

      const results = simulate({
        circuit: parseQasm(BELL_QASM2, 'QASM2'),
        shots: 500,
        seed: 11,
        type: 'RUNNER',
        maxQubits: 20,
      });
      await service.saveResults(
        jobId,
        results.map((r) => ({ program: null, resultType: r.resultType, data: r.data, meta: r.meta })),
      );
      await row(page, jobId).and(page.locator('[data-state="FINISHED"]')).waitFor();
      await page.locator(`#jobs tr[data-job-id="${jobId}"] [role=progressbar][aria-valuenow="100"]`).waitFor();
      await page.locator(`#feed li[data-name="job.state"][data-id="${jobId}"]`).first().waitFor();
    });

    it('shows the COUNTS of a job as a histogram, with the JSON', async () => {
      await row(page, jobId).click();
      const bars = page.locator('#detail-results .result[data-result-type="COUNTS"] .bar');
      await bars.first().waitFor();
      const stored = (await http.get(`/jobs/${jobId}/results`)).body as {
        resultType: string;
        data: Record<string, number>;
      }[];
      const counts = stored.find((r) => r.resultType === 'COUNTS')!.data;
      expect(Object.keys(counts).sort()).toEqual(['0x0', '0x3']);
      const shown = await bars.evaluateAll((els) =>
        els.map((el) => ({
          key: el.getAttribute('data-key'),
          value: el.querySelector('.value')!.textContent,
          label: el.querySelector('.label')!.textContent,
        })),
      );
      expect(shown).toEqual([
        { key: '0x0', value: String(counts['0x0']), label: '00' },
        { key: '0x3', value: String(counts['0x3']), label: '11' },
      ]);
      const json = await page.locator('#detail-results .result[data-result-type="COUNTS"] pre.json').textContent();
      expect(JSON.parse(json!)).toMatchObject({ resultType: 'COUNTS', data: counts });
      await expect(
        page.locator('#detail-results .result[data-result-type="PROBABILITIES"] .bar').count(),
      ).resolves.toBe(2);

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    });

    it('reruns, cancels and deletes jobs from their rows', async () => {
      await row(page, jobId).getByRole('button', { name: 'Rerun' }).click();
      const rerun = await waitUntil(async () => {
        const r = await http.get(`/jobs?deploymentId=${deploymentId}`);
        return r.body.items.find((j: { id: string }) => j.id !== jobId);
      }, 'the rerun job');
      expect(rerun).toMatchObject({ state: 'READY', shots: 500, seed: 11 });
      await row(page, rerun.id).and(page.locator('[data-state="READY"]')).waitFor();

      await row(page, rerun.id).getByRole('button', { name: 'Cancel' }).click();
      await row(page, rerun.id).and(page.locator('[data-state="CANCELED"]')).waitFor();
      expect((await http.get(`/jobs/${rerun.id}`)).body.state).toBe('CANCELED');
      await expect(row(page, rerun.id).getByRole('button', { name: 'Cancel' }).isDisabled()).resolves.toBe(true);

      page.once('dialog', (d) => void d.accept());
      await row(page, rerun.id).getByRole('button', { name: 'Delete' }).click();
      await row(page, rerun.id).waitFor({ state: 'detached' });
      expect((await http.get(`/jobs/${rerun.id}`)).status).toBe(404);
      await expect(row(page, jobId).count()).resolves.toBe(1);
    });

    it('sets a device offline and online again', async () => {
      const device = page.locator('#devices tbody tr', { hasText: 'statevector-simulator' });
      await device.getByRole('button', { name: 'Set offline' }).click();
      await page.locator('#devices tbody tr[data-status="offline"]', { hasText: 'statevector-simulator' }).waitFor();
      const id = await device.getAttribute('data-device-id');
      expect((await http.get(`/devices/${id}`)).body.status).toBe('offline');
      await device.getByRole('button', { name: 'Set online' }).click();
      await page.locator('#devices tbody tr[data-status="online"]', { hasText: 'statevector-simulator' }).waitFor();
      expect((await http.get(`/devices/${id}`)).body.status).toBe('online');
    });

    it('shows changes made elsewhere (over the socket, or by polling when there is none)', async () => {
      const other = await http.post('/deployments', {
        name: 'made-elsewhere',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      });
      expect(other.status).toBe(201);
      await page.locator('#deployments tbody tr', { hasText: 'made-elsewhere' }).waitFor();
      const job = await http.post('/jobs', {
        deploymentId: other.body.id,
        deviceId: (await http.get('/devices?provider=LOCAL')).body.items.find(
          (d: { name: string }) => d.name === 'statevector-simulator',
        ).id,
        shots: 10,
      });
      expect(job.status).toBe(201);
      await row(page, job.body.id).and(page.locator('[data-state="READY"]')).waitFor();
      await http.post(`/jobs/${job.body.id}/cancel`);
      await row(page, job.body.id).and(page.locator('[data-state="CANCELED"]')).waitFor();

      // "Jobs" on a deployment shows only its jobs; again shows all
      const jobsButton = page
        .locator('#deployments tbody tr', { hasText: 'made-elsewhere' })
        .getByRole('button', { name: 'Jobs' });
      await jobsButton.click();
      await row(page, jobId).waitFor({ state: 'detached' });
      // the filtered list may be empty for a moment while it loads: its job first, then the count
      await row(page, job.body.id).waitFor();
      await expect(page.locator('#jobs tr.job').count()).resolves.toBe(1);
      await expect(row(page, job.body.id).count()).resolves.toBe(1);
      await jobsButton.click();
      await row(page, jobId).waitFor();
    });
  });

  it('works without socket.io: polls the API every 2 s', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    await context.route('**/socket.io/**', (route) => route.abort());
    const page = await open(context);
    try {
      await page.locator('#live', { hasText: 'polling' }).waitFor();
      const deviceId = (await http.get('/devices?provider=LOCAL')).body.items.find(
        (d: { name: string }) => d.name === 'statevector-simulator',
      ).id;
      const dep = await http.post('/deployments', {
        name: 'polled',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      });
      await page.locator('#deployments tbody tr', { hasText: 'polled' }).waitFor();
      const job = await http.post('/jobs', { deploymentId: dep.body.id, deviceId, shots: 10 });
      await row(page, job.body.id).and(page.locator('[data-state="READY"]')).waitFor();
      await http.post(`/jobs/${job.body.id}/cancel`);
      await row(page, job.body.id).and(page.locator('[data-state="CANCELED"]')).waitFor();
      await page
        .locator(`#feed li[data-name="job.state"][data-id="${job.body.id}"] .tag`, { hasText: 'poll' })
        .waitFor();
    } finally {
      await context.close();
    }
  });

  it('shows the newest 100 jobs and loads older ones on demand', async () => {
    const deviceId = (await http.get('/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const dep = await http.post('/deployments', {
      name: 'many',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    for (let i = 0; i < 101; i++) {
      expect((await http.post('/jobs', { deploymentId: dep.body.id, deviceId, shots: 1 })).status).toBe(201);
    }
    const total = (await http.get('/jobs?limit=1')).body.total as number;
    expect(total).toBeGreaterThan(101);
    // without the socket, so that no live job.created adds rows on its own
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    await context.route('**/socket.io/**', (route) => route.abort());
    const page = await open(context);
    try {
      await page.locator('#jobs-count', { hasText: `100 of ${total}` }).waitFor();
      await expect(page.locator('#jobs tr.job').count()).resolves.toBe(100);
      await page.click('#jobs-more');
      await page.locator('#jobs-count', { hasText: new RegExp(`^${total}$`) }).waitFor();
      await expect(page.locator('#jobs tr.job').count()).resolves.toBe(total);
      await expect(page.locator('#jobs-more').isHidden()).resolves.toBe(true);
      // the next poll keeps the older jobs (two polls: the first one's answer is then surely rendered)
      await page.locator('#live', { hasText: 'polling' }).waitFor();
      for (let i = 0; i < 2; i++) {
        await page.waitForResponse((r) => r.url().includes('/api/jobs?') && !r.url().includes('offset='));
      }
      await expect(page.locator('#jobs tr.job').count()).resolves.toBe(total);
    } finally {
      await context.close();
    }
  });

  it('shows a large result as its most frequent outcomes, "N of M outcomes", and downloads all of them', async () => {
    const service = t.get<JobsService>(JobsService);
    const deviceId = (await http.get('/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const circuit = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[13]; creg c[13]; h q; measure q -> c;';
    const dep = await http.post('/deployments', {
      name: 'wide',
      programs: [{ quantumCircuit: circuit, assemblerLanguage: 'QASM2' }],
    });
    const job = (await http.post('/jobs', { deploymentId: dep.body.id, deviceId, shots: 20_000, seed: 5 })).body;
    expect(await service.start(job.id)).not.toBeNull();
    const results = simulate({
      circuit: parseQasm(circuit, 'QASM2'),
      shots: 20_000,
      seed: 5,
      type: 'RUNNER',
      maxQubits: 20,
    });
    const entries = Object.keys(results[0].data).length;
    expect(entries).toBeGreaterThan(t.config.resultInlineEntries);
    await service.saveResults(
      job.id,
      results.map((r) => ({ resultType: r.resultType, data: r.data, meta: r.meta })),
    );
    const page = await open();
    try {
      await row(page, job.id).click();
      const counts = page.locator('#detail-results .result[data-result-type="COUNTS"]');
      const hint = counts.locator('.hint.truncated');
      await hint.waitFor();
      await expect(counts.locator('.bar').count()).resolves.toBe(32);
      await expect(hint.getAttribute('data-entries')).resolves.toBe(String(entries));
      expect(await hint.textContent()).toMatch(/^32 most frequent of [\d,.\s]+ outcomes · [\d,.\s]+ in this answer · /);

      const dataUrl = `/api/jobs/${job.id}/results/${(await http.get(`/jobs/${job.id}/results`)).body[0].id}/data`;
      const link = counts.locator('a.download-csv');
      await expect(link.getAttribute('href')).resolves.toBe(`${dataUrl}?format=csv`);
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const csv = readFileSync((await download.path())!, 'utf8');
      const lines = csv.trimEnd().split('\n');
      expect(lines[0]).toBe('key,value');
      expect(lines).toHaveLength(entries + 1);
      expect(lines.slice(1).reduce((sum, l) => sum + Number(l.split(',')[1]), 0)).toBe(20_000);
      await expect(counts.locator('a.download-ndjson').getAttribute('href')).resolves.toBe(`${dataUrl}?format=ndjson`);
    } finally {
      await page.close();
    }
  });

  describe('with workers in the process', () => {
    let withWorkers: TestApp;

    beforeAll(async () => {
      withWorkers = await startTestApp({ serveAdminUi: true, runWorkers: true });
    });

    afterAll(async () => {
      await withWorkers?.close();
    });

    it('runs a job submitted in the page to FINISHED and shows its counts', async () => {
      const api = new Http(`${withWorkers.baseUrl}/api`);
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await page.goto(`${withWorkers.baseUrl}/`);
        await page.fill('#deployment-form [name=name]', 'worker-bell');
        await page.fill('#deployment-form [name=program]', BELL_QASM2);
        await page.click('#deployment-form button[type=submit]');
        await page.locator('#deployments tbody tr', { hasText: 'worker-bell' }).waitFor();
        await page.fill('#job-form [name=shots]', '1000');
        await page.click('#job-form button[type=submit]');
        await page.locator('#jobs tr.job[data-state="FINISHED"]').waitFor();
        const job = (await api.get('/jobs')).body.items[0];
        expect(job.state).toBe('FINISHED');

        await row(page, job.id).click();
        const bars = page.locator('#detail-results .result[data-result-type="COUNTS"] .bar');
        await bars.first().waitFor();
        const shown = await bars.evaluateAll((els) =>
          els.map((el) => [el.querySelector('.label')!.textContent, Number(el.querySelector('.value')!.textContent)]),
        );
        const counts = (await api.get(`/jobs/${job.id}/results`)).body.find(
          (r: { resultType: string }) => r.resultType === 'COUNTS',
        ).data as Record<string, number>;
        expect(shown).toEqual([
          ['00', counts['0x0']],
          ['11', counts['0x3']],
        ]);
        expect(counts['0x0'] + counts['0x3']).toBe(1000);
      } finally {
        await context.close();
      }
    });
  });

  describe('as a signed-in user who is not an admin', () => {
    const secret = 'admin-ui-test-secret-of-at-least-32-characters';
    let secured: TestApp;

    beforeAll(async () => {
      secured = await startTestApp({ serveAdminUi: true, runWorkers: false, auth: { jwtSecret: secret } });
    });

    afterAll(async () => {
      await secured?.close();
    });

    it('uses the pasted token, follows its own jobs per job, and shows the 403 of an admin action', async () => {
      const token = await new SignJWT({ sub: 'alice', roles: ['user'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret));
      const api = new Http(`${secured.baseUrl}/api`, token);
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await page.goto(`${secured.baseUrl}/`);
        await page.fill('#token', token);
        await page.click('#token-form button[type=submit]');
        await page.locator('#who', { hasText: 'alice' }).waitFor();
        const handshake = await fetch(`${secured.baseUrl}/socket.io/?EIO=4&transport=polling`);
        await page.locator('#live', { hasText: handshake.status === 200 ? 'live · your jobs' : 'polling' }).waitFor();
        // the token survives a reload
        await page.reload();
        await page.locator('#who', { hasText: 'alice' }).waitFor();

        await page.fill('#deployment-form [name=name]', 'alice-bell');
        await page.fill('#deployment-form [name=program]', BELL_QASM2);
        await page.click('#deployment-form button[type=submit]');
        await page.locator('#deployments tbody tr', { hasText: 'alice-bell' }).waitFor();
        const mine = (await api.get('/deployments?name=alice-bell')).body;
        expect(mine.items[0].deployedBy).toBe('alice');

        await page.fill('#job-form [name=shots]', '64');
        await page.click('#job-form button[type=submit]');
        const job = await waitUntil(
          async () => (await api.get(`/jobs?deploymentId=${mine.items[0].id}`)).body.items[0],
          "alice's job",
        );
        expect(job.executedBy).toBe('alice');
        await row(page, job.id).and(page.locator('[data-state="READY"]')).waitFor();

        const service = secured.get<JobsService>(JobsService);
        expect(await service.start(job.id)).not.toBeNull();
        await row(page, job.id).and(page.locator('[data-state="RUNNING"]')).waitFor();
        await service.saveError(job.id, { message: 'the test stopped it' });
        await row(page, job.id).and(page.locator('[data-state="ERROR"]')).waitFor();
        await row(page, job.id).click();
        await page
          .locator('#detail-results .result[data-result-type="ERROR"]', { hasText: 'the test stopped it' })
          .waitFor();

        await page
          .locator('#devices tbody tr', { hasText: 'statevector-simulator' })
          .getByRole('button', { name: 'Set offline' })
          .click();
        await page.locator('#banner', { hasText: '403' }).waitFor();
        const local = (await api.get('/devices?provider=LOCAL')).body.items as { name: string; status: string }[];
        expect(local.find((d) => d.name === 'statevector-simulator')?.status).toBe('online');
      } finally {
        await context.close();
      }
    });
  });

  it('raised no script errors and no CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
