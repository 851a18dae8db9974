import type { Principal } from '../auth/principal';
import { loadConfig } from '../config/app-config';
import { UPLOAD_LANGUAGES } from '../deployments/languages';
import {
  BELL_QASM2,
  canParse,
  EMITTED_LANGUAGES,
  SimulatorPool,
  TranslationError,
  translateProgram,
  UnsupportedLanguageError,
} from '../quantum';
import {
  MAX_TRANSLATION_LENGTH,
  TooManyTranslations,
  TRANSLATIONS_PER_USER,
  TranslationsService,
} from './translations.service';

/** `gate g0 a { h a; } gate g1 a { g0 a; g0 a; } ...`: 1 KB that unrolls to 2^n + 2^(n-1) + 2^(n-2) gates. */
function nested(n: number): string {
  let src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\ngate g0 a { h a; }\n';
  for (let i = 1; i <= n; i++) src += `gate g${i} a { g${i - 1} a; g${i - 1} a; }\n`;
  return `${src}g${n} q[0]; g${n - 1} q[0]; g${n - 2} q[0];\nmeasure q -> c;\n`;
}

const LOOP_QASM3 =
  'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nbit b = 1;\nwhile (b) { h q[0]; b = measure q[0]; }\n';

const alice: Principal = { userId: 'alice', isAdmin: false, roles: [] };
const bob: Principal = { userId: 'bob', isAdmin: false, roles: [] };
const WRITE = UPLOAD_LANGUAGES.filter((l) => EMITTED_LANGUAGES.includes(l));

/** The body of the HttpException a translation was refused with. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err as { getStatus(): number; getResponse(): Record<string, unknown> },
  );
  if (!e) throw new Error('expected a refusal');
  return { status: e.getStatus(), body: e.getResponse() };
}

describe('TranslationsService (translations in engine threads)', () => {
  const services: TranslationsService[] = [];
  const make = (env: Record<string, string> = {}) => {
    const s = new TranslationsService(loadConfig({ LOG_LEVEL: 'silent', ...env }));
    services.push(s);
    return s;
  };
  let pool: SimulatorPool;
  beforeAll(() => {
    pool = new SimulatorPool({ size: 1 });
  });
  afterAll(async () => {
    for (const s of services) await s.onApplicationShutdown();
    await pool.close();
  });

  it('needs an emitter to test with', () => {
    expect(WRITE.length).toBeGreaterThan(0);
  });

  it('lists the languages as the engine registry has them', () => {
    expect(make().languages()).toEqual({
      languages: [...UPLOAD_LANGUAGES],
      read: UPLOAD_LANGUAGES.filter((l) => canParse(l)),
      write: WRITE,
    });
  });

  it('answers what the engine translates in this thread, from a pool thread', async () => {
    for (const to of WRITE) {
      await expect(make().translate({ quantumCircuit: BELL_QASM2, from: 'QASM2', to }, alice)).resolves.toEqual(
        translateProgram('QASM2', to, BELL_QASM2),
      );
    }
  });

  it("brings the engine's errors back from the thread with their fields", async () => {
    const unknown = await pool
      .translate({ language: 'QASM2', to: 'NOPE', source: BELL_QASM2 })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnsupportedLanguageError);
    expect(unknown).toMatchObject({
      language: 'NOPE',
      role: 'write',
      message: new UnsupportedLanguageError('NOPE', 'write').message,
    });
    const unread = await pool.translate({ language: 'NOPE', to: WRITE[0], source: '' }).catch((e: unknown) => e);
    expect(unread).toMatchObject({ name: 'UnsupportedLanguageError', language: 'NOPE', role: 'read' });
    // a construct some registered target cannot express: the same error as in this thread
    const refusals: TranslationError[] = [];
    for (const to of WRITE) {
      let here: unknown;
      try {
        translateProgram('QASM3', to, LOOP_QASM3);
      } catch (e) {
        here = e;
      }
      const there = await pool.translate({ language: 'QASM3', to, source: LOOP_QASM3 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (here === undefined) {
        expect(there).toBeUndefined();
        continue;
      }
      expect(here).toBeInstanceOf(TranslationError);
      expect(there).toBeInstanceOf(TranslationError);
      const h = here as TranslationError;
      expect(there).toMatchObject({ construct: h.construct, language: h.language, message: h.message });
      refusals.push(h);
    }
    expect(refusals.length).toBeGreaterThan(0);
  });

  it('refuses a program that does not parse with 422, its line, column and reason', async () => {
    const r = await refusal(
      make().translate(
        { quantumCircuit: 'OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n', from: 'QASM2', to: WRITE[0] },
        alice,
      ),
    );
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ field: 'quantumCircuit', line: 3, column: 1 });
    expect(r.body.message).toMatch(/^quantumCircuit: .*foo.*\(line 3, column 1\)$/);
  });

  it('refuses a language the engine cannot read or write yet with 422 naming the field and what it can', async () => {
    const s = make();
    const unread = UPLOAD_LANGUAGES.find((l) => !canParse(l));
    const unwritten = UPLOAD_LANGUAGES.find((l) => !WRITE.includes(l));
    const read = s.languages().read;
    if (unread) {
      const r = await refusal(s.translate({ quantumCircuit: 'x', from: unread, to: WRITE[0] }, alice));
      expect(r.body).toMatchObject({ field: 'from', language: unread, read });
      expect(r.body.message).toBe(`from: the engine cannot read ${unread} programs yet; it reads ${read.join(', ')}`);
    }
    if (unwritten) {
      const r = await refusal(s.translate({ quantumCircuit: BELL_QASM2, from: 'QASM2', to: unwritten }, alice));
      expect(r.body).toMatchObject({ field: 'to', language: unwritten, write: WRITE });
    }
    // a name outside the API's list (the DTO answers 400 before this) is refused the same way
    const r = await refusal(s.translate({ quantumCircuit: BELL_QASM2, from: 'COBOL', to: WRITE[0] }, alice));
    expect(r.body).toMatchObject({ statusCode: 422, field: 'from', language: 'COBOL' });
  });

  it('stops a translation that takes longer than PARSE_TIMEOUT_SECONDS, and translates again after', async () => {
    // the limit counts from when a thread begins the translation: a thread starting up (seconds
    // under jest, which compiles the engine in each thread) does not use it up
    const s = make({ PARSE_TIMEOUT_SECONDS: '1', MAX_CIRCUIT_OPERATIONS: '10000000' });
    // 7.3M operations: seconds of parsing
    const r = await refusal(s.translate({ quantumCircuit: nested(22), from: 'QASM2', to: WRITE[0] }, alice));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      field: 'quantumCircuit',
      limit: 'PARSE_TIMEOUT_SECONDS',
      message: 'quantumCircuit: took too long to translate: more than 1 s (PARSE_TIMEOUT_SECONDS)',
    });
    await expect(
      s.translate({ quantumCircuit: BELL_QASM2, from: 'QASM2', to: WRITE[0] }, alice),
    ).resolves.toMatchObject({ language: WRITE[0] });
  });

  it('refuses a program over MAX_CIRCUIT_OPERATIONS as the parser words it', async () => {
    const r = await refusal(
      make({ MAX_CIRCUIT_OPERATIONS: '1000' }).translate(
        { quantumCircuit: nested(10), from: 'QASM2', to: WRITE[0] },
        alice,
      ),
    );
    expect(r.body).toMatchObject({
      field: 'quantumCircuit',
      reason: 'program too large: it expands to more than 1000 operations',
    });
  });

  it('refuses a translation longer than its limit (MAX_TRANSLATION_LENGTH) in its thread', async () => {
    const s = make();
    expect(s.maxTranslationLength).toBe(MAX_TRANSLATION_LENGTH);
    const full = translateProgram('QASM2', WRITE[0], BELL_QASM2).quantumCircuit;
    s.maxTranslationLength = full.length - 1;
    const r = await refusal(s.translate({ quantumCircuit: BELL_QASM2, from: 'QASM2', to: WRITE[0] }, alice));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      field: 'quantumCircuit',
      limit: 'MAX_TRANSLATION_LENGTH',
      message: `quantumCircuit: the translation is ${full.length} characters long, more than the ${full.length - 1} an answer may hold`,
    });
    s.maxTranslationLength = full.length;
    await expect(
      s.translate({ quantumCircuit: BELL_QASM2, from: 'QASM2', to: WRITE[0] }, alice),
    ).resolves.toMatchObject({
      quantumCircuit: full,
    });
  });

  it(`translates one of a user's programs at a time, holds ${TRANSLATIONS_PER_USER} at once and refuses more with 429; other users are not held up`, async () => {
    const s = make();
    const order: string[] = [];
    const go = (user: Principal, tag: string) =>
      s.translate({ quantumCircuit: nested(15), from: 'QASM2', to: WRITE[0] }, user).then(() => {
        order.push(tag);
      });
    const mine = Array.from({ length: TRANSLATIONS_PER_USER }, (_, i) => go(alice, `alice${i}`));
    const refused = await refusal(go(alice, 'alice-extra'));
    expect(refused.status).toBe(429);
    await expect(go(alice, 'x')).rejects.toBeInstanceOf(TooManyTranslations);
    const other = go(bob, 'bob');
    await Promise.all([...mine, other]);
    expect(order.filter((t) => t.startsWith('alice'))).toEqual(['alice0', 'alice1', 'alice2', 'alice3']);
    expect(order.indexOf('bob')).toBeLessThan(order.indexOf('alice3'));
  }, 60_000);
});
