/**
 * The admin UI's "Translate to" select on a program, in a real browser (Debian's chromium driven by
 * playwright-core, as test/admin-ui.e2e-spec.ts) against the real app: its options are what GET
 * /api/translations/languages says the engine writes, and it shows what POST /api/translations
 * answers (text and warnings, or the error), used with the mouse and with the keyboard alone.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EMITTED_LANGUAGES } from '../src/quantum';
import { UPLOAD_LANGUAGES } from '../src/deployments/languages';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http } from './helpers/http';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/qunest-admin-translation.png';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** A while loop: OpenQASM 3 has it; a target without loops refuses it. */
const LOOP_QASM3 = `OPENQASM 3.0;
include "stdgates.inc";
qubit[1] q;
bit b = 1;
while (b) { h q[0]; b = measure q[0]; }
`;

const WRITE = UPLOAD_LANGUAGES.filter((l) => EMITTED_LANGUAGES.includes(l));

describe('admin UI: translating a program', () => {
  let t: TestApp;
  let http: Http;
  let browser: Browser;
  let page: Page;
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
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Opens the page, then the programs of deployment `name`; answers the program's "Translate to" select. */
  async function openProgram(name: string, programId: string) {
    await page.goto(`${t.baseUrl}/`);
    await page.getByRole('button', { name }).click();
    const select = page.locator(`select[data-translate-of="${programId}"]`);
    await select.waitFor();
    return select;
  }

  it('offers the languages the engine writes, and shows the translation of the program with its warnings', async () => {
    expect(WRITE.length).toBeGreaterThan(0);
    const dep = await http.post('/deployments', {
      name: 'translate-bell',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    expect(dep.status).toBe(201);
    const programId = dep.body.programs[0].id as string;
    const select = await openProgram('translate-bell', programId);
    // labelled, and its options are the engine's targets after the empty choice
    await expect(page.getByLabel('Translate to').getAttribute('data-translate-of')).resolves.toBe(programId);
    const options = await select.locator('option').evaluateAll((els) => els.map((e) => e.getAttribute('value')));
    expect(options).toEqual(['', ...WRITE]);

    const to = WRITE.includes('QASM3') ? 'QASM3' : WRITE[0];
    const expected = await http.post('/translations', { quantumCircuit: BELL_QASM2, from: 'QASM2', to });
    expect(expected.status).toBe(200);
    await select.selectOption(to);
    const view = page.locator(`[data-translation-of="${programId}"] .translation`);
    await view.waitFor();
    await expect(view.locator('pre').textContent()).resolves.toBe(expected.body.quantumCircuit);
    await expect(view.locator('.translation-meta').textContent()).resolves.toContain(to);
    await expect(view.locator('.warnings li').allTextContents()).resolves.toEqual(expected.body.warnings);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // back to "—" hides it
    await select.selectOption('');
    await view.waitFor({ state: 'detached' });
  });

  it('is usable with the keyboard alone: focus stays on the select while the answer is shown', async () => {
    const dep = await http.post('/deployments', {
      name: 'translate-keys',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    const programId = dep.body.programs[0].id as string;
    await page.goto(`${t.baseUrl}/`);
    const opener = page.getByRole('button', { name: 'translate-keys' });
    await opener.focus();
    await page.keyboard.press('Enter');
    const select = page.locator(`select[data-translate-of="${programId}"]`);
    await select.waitFor();
    await select.focus();
    await page.keyboard.press('ArrowDown');
    await expect(select.inputValue()).resolves.toBe(WRITE[0]);
    const view = page.locator(`[data-translation-of="${programId}"] .translation`);
    await view.waitFor();
    const expected = await http.post('/translations', { quantumCircuit: BELL_QASM2, from: 'QASM2', to: WRITE[0] });
    await expect(view.locator('pre').textContent()).resolves.toBe(expected.body.quantumCircuit);
    // the re-rendered select has the focus again
    await expect(page.locator(':focus').getAttribute('data-translate-of')).resolves.toBe(programId);
    // the translated text can be reached with Tab
    await page.keyboard.press('Tab');
    await expect(page.locator(':focus').evaluate((el) => el.tagName)).resolves.toBe('PRE');
  });

  it('shows the 422 of a construct the target cannot express', async () => {
    const dep = await http.post('/deployments', {
      name: 'translate-loop',
      programs: [{ quantumCircuit: LOOP_QASM3, assemblerLanguage: 'QASM3' }],
    });
    expect(dep.status).toBe(201);
    const programId = dep.body.programs[0].id as string;
    // a target the engine writes that refuses the loop, found by asking the API
    let refusing: { to: string; message: string } | undefined;
    for (const to of WRITE) {
      const r = await http.post('/translations', { quantumCircuit: LOOP_QASM3, from: 'QASM3', to });
      if (r.status === 422) {
        refusing = { to, message: r.body.message };
        break;
      }
      expect(r.status).toBe(200);
    }
    expect(refusing).toBeDefined();
    const select = await openProgram('translate-loop', programId);
    await select.selectOption(refusing!.to);
    const error = page.locator(`[data-translation-of="${programId}"] [role=alert]`);
    await error.waitFor();
    const text = await error.textContent();
    expect(text).toContain('422');
    expect(text).toContain(refusing!.message);
    await expect(page.locator(`[data-translation-of="${programId}"] .translation`).count()).resolves.toBe(0);
  });

  it('raised no script errors and no CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
