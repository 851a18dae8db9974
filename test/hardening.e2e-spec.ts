import { SignJWT } from 'jose';
import { connectQunest, type QunestSocket } from '../src/realtime/client';
import type { JobSnapshot } from '../src/realtime/realtime.contract';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil, type Reply } from './helpers/http';

const SECRET = 'e2e-hardening-secret-0123456789-abcdefghij';

function token(sub: string, roles: string[] = []): Promise<string> {
  return new SignJWT({ sub, roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

/** A 400 whose errors name `field` and nothing else, and whose message says so. */
function expectFieldError(r: Reply, field: string, needle?: string) {
  const fields = new Set(r.body?.errors?.map((e: { field: string }) => e.field));
  expect({ status: r.status, fields: [...fields] }).toEqual({ status: 400, fields: [field] });
  expect(r.body.message).toContain(field);
  if (needle) expect(r.body.message).toContain(needle);
}

/** Refused input (issue #15): every case is a 4xx that names the field or token, never a 500. */
describe('hardening: hostile input is refused with a 4xx that names it', () => {
  let t: TestApp;
  let anon: Http;
  let alice: Http;
  let admin: Http;
  let aliceToken: string;
  let adminToken: string;
  let deviceId: string;
  let deploymentId: string;
  const sockets: QunestSocket[] = [];

  async function connect(tok?: string): Promise<QunestSocket> {
    const s = connectQunest(t.baseUrl, { token: tok, socket: { transports: ['websocket'], reconnection: false } });
    sockets.push(s);
    await s.ready();
    return s;
  }

  beforeAll(async () => {
    t = await startTestApp({ auth: { jwtSecret: SECRET } });
    anon = new Http(t.baseUrl);
    [aliceToken, adminToken] = await Promise.all([token('alice'), token('root', ['admin'])]);
    alice = anon.as(aliceToken);
    admin = anon.as(adminToken);
    deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const dep = await anon.post('/api/deployments', {
      name: 'public',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    expect(dep.status).toBe(201);
    deploymentId = dep.body.id;
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  const job = (extra: Record<string, unknown> = {}) => ({ deploymentId, deviceId, shots: 10, ...extra });

  describe('the shape of a body is bounded before validation', () => {
    it('refuses 80,000 unknown keys (870 KB) with 400 naming the body', async () => {
      const keys = Array.from({ length: 80_000 }, (_, i) => `"k${i}":1`).join(',');
      const r = await anon.post('/api/jobs', `{${keys}}`);
      expectFieldError(r, 'body', 'body has 80000 keys, more than the 1000 one object may have');
    });

    it('names the nested object with too many keys', async () => {
      const observable = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]));
      const r = await anon.post('/api/jobs', job({ type: 'ESTIMATOR', observables: [{ pauli: 'Z' }, observable] }));
      expectFieldError(r, 'observables[1]', 'has 1001 keys');
    });

    it('refuses more than 10,000 values in all', async () => {
      const r = await anon.post('/api/jobs', job({ observables: Array.from({ length: 20_000 }, () => 0) }));
      expectFieldError(r, 'body', 'body has more than 10000 values in all');
    });

    it('refuses JSON nested 1,500 levels (3 KB) with 400 naming the path, and keeps serving', async () => {
      const deep = `{"name":${'['.repeat(1500)}${']'.repeat(1500)}}`;
      for (const path of ['/api/jobs', '/api/deployments']) {
        const r = await anon.post(path, deep);
        expectFieldError(r, `name${'[0]'.repeat(63)}`, 'is nested more than 64 levels deep');
      }
      expect((await anon.get('/api/health')).status).toBe(200);
    });

    it('takes 64 levels of objects to validation, and refuses the 65th', async () => {
      const nested = (levels: number): unknown => (levels === 1 ? {} : { a: nested(levels - 1) });
      const ok = await anon.post('/api/jobs', { ...job(), extra: nested(63) });
      expect(ok.status).toBe(400);
      expect(ok.body.message).toBe('property extra should not exist');
      const tooDeep = await anon.post('/api/jobs', { ...job(), extra: nested(64) });
      expectFieldError(tooDeep, `extra${'.a'.repeat(63)}`, 'nested more than 64 levels deep');
    });
  });

  describe('text', () => {
    it('refuses strings with an unpaired surrogate with 400 naming the field', async () => {
      expectFieldError(await anon.post('/api/jobs', job({ name: 'x\ud800' })), 'name', 'unpaired surrogate');
      expectFieldError(
        await anon.post('/api/deployments', {
          name: 'x\ud800',
          programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
        }),
        'name',
        'unpaired surrogate',
      );
      expectFieldError(
        await anon.post('/api/deployments', {
          name: 'lone low',
          programs: [{ quantumCircuit: `${BELL_QASM2}// \udc00\n`, assemblerLanguage: 'QASM2' }],
        }),
        'programs[0].quantumCircuit',
        'unpaired surrogate',
      );
      expectFieldError(await anon.post('/api/jobs', { ...job(), '\ud800': 1 }), 'body', 'has a key that contains');
    });

    it('stores text with proper surrogate pairs as it is', async () => {
      const r = await anon.post('/api/jobs', job({ name: 'qubits 😀' }));
      expect(r.status).toBe(201);
      expect((await anon.get(`/api/jobs/${r.body.id}`)).body.name).toBe('qubits 😀');
    });
  });

  describe('paging', () => {
    it('answers an offset or limit beyond a safe integer with 400 naming it, on every list', async () => {
      const lists = [
        '/api/jobs',
        '/api/deployments',
        '/api/devices',
        '/api/providers',
        `/api/deployments/${deploymentId}/jobs`,
      ];
      for (const list of lists) {
        for (const offset of ['1e20', '9223372036854775808', '9007199254740992', '-1', '1.5']) {
          expectFieldError(await anon.get(`${list}?offset=${offset}`), 'offset');
        }
        expectFieldError(await anon.get(`${list}?limit=1e20`), 'limit');
        const last = await anon.get(`${list}?offset=9007199254740991`);
        expect(last.status).toBe(200);
        expect(last.body).toMatchObject({ items: [], offset: 9007199254740991 });
      }
    });
  });

  describe('tokens', () => {
    it('refuses a sub over 255 characters, or with NUL or an unpaired surrogate, with 401 naming the sub claim', async () => {
      const cases: [string, string][] = [
        ['a'.repeat(256), "the token's sub claim is longer than 255 characters"],
        ['a\u0000b', "the token's sub claim contains the NUL character"],
        ['a\ud800', "the token's sub claim is not valid Unicode text (an unpaired surrogate)"],
      ];
      for (const [sub, message] of cases) {
        const r = await anon.as(await token(sub)).get('/api/jobs');
        expect(r.status).toBe(401);
        expect(r.body.message).toBe(`invalid token: ${message}`);
        expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
      }
      await expect(connect(await token('b'.repeat(256)))).rejects.toThrow('sub claim is longer than 255');
    });

    it('takes a sub of 255 characters, counted as PostgreSQL counts them', async () => {
      const sub = '😀'.repeat(255);
      const r = await anon.as(await token(sub)).post('/api/deployments', {
        name: 'long owner',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      });
      expect(r.status).toBe(201);
      expect(r.body.deployedBy).toBe(sub);
    });
  });

  describe('bodies are JSON-typed and finite', () => {
    it('refuses a shots that is not a JSON integer, instead of coercing it', async () => {
      for (const shots of ['0x10', true, '1e3', '16', [16], null]) {
        expectFieldError(await anon.post('/api/jobs', job({ shots })), 'shots', 'shots must be an integer');
      }
    });

    it('bounds observable coefficients to ±1e6', async () => {
      for (const coefficient of [1e308, -1e7, '2']) {
        const r = await anon.post('/api/jobs', job({ type: 'ESTIMATOR', observables: [{ pauli: 'ZZ', coefficient }] }));
        expectFieldError(r, 'observables[0].coefficient');
      }
      const ok = await anon.post(
        '/api/jobs',
        job({
          type: 'ESTIMATOR',
          observables: [
            { pauli: 'ZZ', coefficient: 1e6 },
            { pauli: 'XX', coefficient: -1e6 },
          ],
        }),
      );
      expect(ok.status).toBe(201);
    });
  });

  describe('lists of objects hold objects', () => {
    it('refuses a program or an observable that is an array (found by the fuzzer: an empty one was a 500)', async () => {
      const refusedNaming = (r: Reply, field: string) => {
        expect(r.status).toBe(400);
        const fields: string[] = r.body.errors.map((e: { field: string }) => e.field);
        expect(fields).toContain(field);
        for (const f of fields) expect(f.startsWith(field)).toBe(true);
      };
      for (const programs of [[[]], [[{ quantumCircuit: 'x', assemblerLanguage: 'QASM2' }]], ['bell'], [null]]) {
        refusedNaming(await anon.post('/api/deployments', { name: 'nested', programs }), 'programs');
      }
      refusedNaming(await anon.post('/api/jobs', job({ type: 'ESTIMATOR', observables: [[]] })), 'observables');
    });
  });

  describe('what answers reveal', () => {
    it('sends no X-Powered-By header', async () => {
      for (const path of ['/api/health', '/api/no-such-route', '/api/docs/openapi.json']) {
        const r = await anon.get(path);
        expect({ path, poweredBy: r.headers.get('x-powered-by') }).toEqual({ path, poweredBy: null });
      }
    });

    it("keeps an ERROR result's stack trace from everyone but admins, over HTTP and socket.io", async () => {
      const wide = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[21];\ncreg c[21];\nh q[0];\nmeasure q -> c;\n`;
      const dep = await alice.post('/api/deployments', {
        name: 'too wide',
        programs: [{ quantumCircuit: wide, assemblerLanguage: 'QASM2' }],
      });
      expect(dep.status).toBe(201);
      const submitted = await alice.post('/api/jobs', { deploymentId: dep.body.id, deviceId, shots: 10 });
      expect(submitted.status).toBe(201);
      const id = submitted.body.id as string;
      const ended = await waitUntil(async () => {
        const r = await alice.get(`/api/jobs/${id}`);
        return r.body.state === 'ERROR' ? r : undefined;
      }, 'the job to end in ERROR');

      const [own] = ended.body.results;
      expect(own.resultType).toBe('ERROR');
      expect(own.data.exceptionMessage).toContain('uses 21 qubits');
      expect(own.meta).not.toHaveProperty('stackTrace');
      const list = await alice.get(`/api/jobs/${id}/results`);
      expect(list.body[0].meta).not.toHaveProperty('stackTrace');
      const one = await alice.get(`/api/jobs/${id}/results/${own.id}`);
      expect(one.body.meta).not.toHaveProperty('stackTrace');
      expect(one.body.data.exceptionMessage).toBe(own.data.exceptionMessage);

      const asAdmin = await admin.get(`/api/jobs/${id}/results/${own.id}`);
      expect(asAdmin.body.meta.stackTrace).toEqual(expect.stringContaining(own.data.exceptionMessage));
      expect((await admin.get(`/api/jobs/${id}`)).body.results[0].meta.stackTrace).toBe(asAdmin.body.meta.stackTrace);

      const mine = await (await connect(aliceToken)).subscribe({ jobId: id });
      const theirs = await (await connect(adminToken)).subscribe({ jobId: id });
      if (!mine.ok || !theirs.ok) throw new Error(`subscribe failed: ${JSON.stringify([mine, theirs])}`);
      const ownSnapshot: JobSnapshot = mine.snapshot;
      expect(ownSnapshot.results[0].data.exceptionMessage).toBe(own.data.exceptionMessage);
      expect(ownSnapshot.results[0].meta).not.toHaveProperty('stackTrace');
      expect(theirs.snapshot.results[0].meta.stackTrace).toBe(asAdmin.body.meta.stackTrace);
    });

    it('repeats at most 64 characters of a bad socket target in the ack', async () => {
      const socket = await connect();
      const key = 'k'.repeat(900_000);
      for (const ack of [
        await socket.subscribe({ [key]: 1 } as never),
        await socket.unsubscribe({ [key]: 1 } as never),
      ]) {
        expect(ack).toEqual({
          ok: false,
          error: `unknown target "${'k'.repeat(64)}…": use jobId, deploymentId, deviceId or all`,
        });
      }
    });
  });
});
