import type { Principal } from '../auth/principal';
import { loadConfig } from '../config/app-config';
import { BELL_QASM2, canParse } from '../quantum';
import { UPLOAD_LANGUAGES } from './languages';
import { ProgramValidator, TooManyUploads, UPLOADS_PER_USER } from './program-validator';

/** `gate g0 a { h a; } gate g1 a { g0 a; g0 a; } ...`: 1 KB that unrolls to 2^n + 2^(n-1) + 2^(n-2) gates. */
function nested(n: number): string {
  let src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\ngate g0 a { h a; }\n';
  for (let i = 1; i <= n; i++) src += `gate g${i} a { g${i - 1} a; g${i - 1} a; }\n`;
  return `${src}g${n} q[0]; g${n - 1} q[0]; g${n - 2} q[0];\nmeasure q -> c;\n`;
}
const qasm2 = (quantumCircuit: string) => ({ assemblerLanguage: 'QASM2' as const, quantumCircuit });
const alice: Principal = { userId: 'alice', isAdmin: false, roles: [] };
const bob: Principal = { userId: 'bob', isAdmin: false, roles: [] };

/** The body of the HttpException a validation was refused with. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err as { getStatus(): number; getResponse(): Record<string, unknown> },
  );
  if (!e) throw new Error('expected a refusal');
  return { status: e.getStatus(), body: e.getResponse() };
}

describe('ProgramValidator (programs parsed in engine threads)', () => {
  const validators: ProgramValidator[] = [];
  const make = (env: Record<string, string> = {}) => {
    const v = new ProgramValidator(loadConfig({ LOG_LEVEL: 'silent', ...env }));
    validators.push(v);
    return v;
  };
  afterAll(async () => {
    for (const v of validators) await v.onApplicationShutdown();
  });

  it('accepts good programs and skips languages the engine does not read', async () => {
    const v = make();
    await expect(v.validate([qasm2(BELL_QASM2), qasm2(nested(10))], alice)).resolves.toBeUndefined();
    // what the engine cannot read (yet) is stored as it is; run time refuses it
    const unread = UPLOAD_LANGUAGES.filter((l) => !canParse(l)).map((assemblerLanguage) => ({
      assemblerLanguage,
      quantumCircuit: '@@@ not parsed',
    }));
    await expect(v.validate([qasm2(BELL_QASM2), ...unread], alice)).resolves.toBeUndefined();
  });

  it.each(UPLOAD_LANGUAGES.filter((l) => canParse(l)))(
    'parses every %s program, as the engine reads that language, and refuses a bad one with its line and column',
    async (assemblerLanguage) => {
      const r = await refusal(
        make().validate([qasm2(BELL_QASM2), { assemblerLanguage, quantumCircuit: '\n  @@@ not a program' }], alice),
      );
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ programIndex: 1, line: expect.any(Number), column: expect.any(Number) });
      expect(r.body.message).toMatch(/^programs\[1\]: /);
    },
  );

  it('refuses a bad program with 422, its index, line, column and reason, as before', async () => {
    const r = await refusal(
      make().validate([qasm2(BELL_QASM2), qasm2('OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n')], alice),
    );
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ statusCode: 422, programIndex: 1, line: 3, column: 1 });
    expect(r.body.message).toMatch(/^programs\[1\]: .*foo.*\(line 3, column 1\)$/);
  });

  it('refuses a program over MAX_CIRCUIT_OPERATIONS as the parser words it', async () => {
    const r = await refusal(make({ MAX_CIRCUIT_OPERATIONS: '1000' }).validate([qasm2(nested(10))], alice));
    expect(r.body).toMatchObject({
      programIndex: 0,
      reason: 'program too large: it expands to more than 1000 operations',
    });
  });

  it('refuses a program that takes longer than PARSE_TIMEOUT_SECONDS to parse', async () => {
    const v = make({ PARSE_TIMEOUT_SECONDS: '1', MAX_CIRCUIT_OPERATIONS: '10000000' });
    // 7.3M operations: seconds of parsing
    const r = await refusal(v.validate([qasm2(BELL_QASM2), qasm2(nested(22))], alice));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      programIndex: 1,
      limit: 'PARSE_TIMEOUT_SECONDS',
      message: 'programs[1]: took too long to parse: more than 1 s (PARSE_TIMEOUT_SECONDS)',
    });
    await expect(v.validate([qasm2(BELL_QASM2)], alice)).resolves.toBeUndefined();
  });

  it('refuses an upload whose programs together take longer than UPLOAD_PARSE_SECONDS', async () => {
    const v = make({ UPLOAD_PARSE_SECONDS: '1', PARSE_TIMEOUT_SECONDS: '60', MAX_CIRCUIT_OPERATIONS: '10000000' });
    const r = await refusal(v.validate([qasm2(BELL_QASM2), ...Array(5).fill(qasm2(nested(22)))], alice));
    expect(r.body).toMatchObject({
      limit: 'UPLOAD_PARSE_SECONDS',
      reason: 'the programs of this upload took too long to parse: more than 1 s in all (UPLOAD_PARSE_SECONDS)',
    });
    expect(r.body.programIndex).toBeGreaterThanOrEqual(1);
  });

  it('refuses a program that needs more heap than ENGINE_THREAD_HEAP_MB', async () => {
    const v = make({ ENGINE_THREAD_HEAP_MB: '32' });
    const r = await refusal(v.validate([qasm2(nested(19))], alice));
    expect(r.body).toMatchObject({
      programIndex: 0,
      limit: 'ENGINE_THREAD_HEAP_MB',
      message:
        'programs[0]: needs more memory to parse than the 32 MB an engine thread may use (ENGINE_THREAD_HEAP_MB)',
    });
    await expect(v.validate([qasm2(BELL_QASM2)], alice)).resolves.toBeUndefined();
  });

  it(`validates one upload of a user at a time, holds ${UPLOADS_PER_USER} of them at once and refuses more with 429; other users are not held up`, async () => {
    const v = make();
    const order: string[] = [];
    const upload = (user: Principal, tag: string) =>
      v.validate([qasm2(nested(16))], user).then(() => {
        order.push(tag);
      });
    const mine = Array.from({ length: UPLOADS_PER_USER }, (_, i) => upload(alice, `alice${i}`));
    const refused = await refusal(upload(alice, 'alice-extra'));
    expect(refused.status).toBe(429);
    expect(refused.body.message).toBe(
      `${UPLOADS_PER_USER} uploads of yours are being validated already; send this one when one of them has been answered`,
    );
    await expect(upload(alice, 'x')).rejects.toBeInstanceOf(TooManyUploads);
    const other = upload(bob, 'bob');
    await Promise.all([...mine, other]);
    expect(order.filter((t) => t.startsWith('alice'))).toEqual(['alice0', 'alice1', 'alice2', 'alice3']);
    // bob's upload did not wait for alice's queue: it ended before her last one
    expect(order.indexOf('bob')).toBeLessThan(order.indexOf('alice3'));
    // once her uploads are answered, she may upload again
    await expect(upload(alice, 'again')).resolves.toBeUndefined();
  });
});
