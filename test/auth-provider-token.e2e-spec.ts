// the real module object (an ES namespace import would be a copy, and sonic-boom would not see the spies)
import fs = require('node:fs');
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { SignJWT } from 'jose';
import { PROVIDER_TOKEN_KEY, ProviderTokens } from '../src/auth/provider-tokens';
import { JobsService } from '../src/jobs/jobs.service';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil, type Reply } from './helpers/http';

const SECRET = 'e2e-provider-token-secret-0123456789abcdef';

/**
 * Everything the process writes to stdout and stderr, captured instead of printed: pino writes its
 * JSON lines either through process.stdout.write (when something such as jest wrapped it) or
 * through sonic-boom's fs.write/fs.writeSync on fd 1.
 */
function captureOutput(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const realWrite = fs.write;
  const realWriteSync = fs.writeSync;
  const toText = (data: unknown) =>
    typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8');
  const write = jest.spyOn(fs, 'write').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd !== 1 && fd !== 2) return (realWrite as (...a: unknown[]) => void)(fd, data, ...rest);
    const text = toText(data);
    chunks.push(text);
    const done = rest.find((a) => typeof a === 'function') as ((err: null, n: number) => void) | undefined;
    process.nextTick(() => done?.(null, Buffer.byteLength(text)));
  }) as typeof fs.write);
  const writeSync = jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd !== 1 && fd !== 2) return (realWriteSync as (...a: unknown[]) => number)(fd, data, ...rest);
    const text = toText(data);
    chunks.push(text);
    return Buffer.byteLength(text);
  }) as typeof fs.writeSync);
  const streams = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(((data: unknown, ...rest: unknown[]) => {
      chunks.push(toText(data));
      const done = rest.find((a) => typeof a === 'function') as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    }) as typeof process.stdout.write),
  );
  return {
    text: () => chunks.join(''),
    restore: () => {
      write.mockRestore();
      writeSync.mockRestore();
      streams.forEach((s) => s.mockRestore());
    },
  };
}

/** Rows of every table of the app's database (public and pgboss schemas) whose text contains `needle`. */
async function rowsContaining(databaseUrl: string, needle: string): Promise<string[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const tables = await db.query<{ s: string; t: string }>(
      `select table_schema as s, table_name as t from information_schema.tables
        where table_schema in ('public', 'pgboss') and table_type = 'BASE TABLE'`,
    );
    expect(tables.rows.map((r) => r.t)).toEqual(
      expect.arrayContaining(['job', 'result', 'outbox_event', 'transient_job_state']),
    );
    const hits: string[] = [];
    for (const { s, t } of tables.rows) {
      const q = await db.query(`select x::text as row from "${s}"."${t}" x where strpos(x::text, $1) > 0`, [needle]);
      hits.push(...q.rows.map((r: { row: string }) => `${s}.${t}: ${r.row}`));
    }
    return hits;
  } finally {
    await db.end();
  }
}

// One capture for the whole file (spies on the same methods do not nest).
const output = captureOutput();
afterAll(() => output.restore());

describe('provider tokens sent with a job', () => {
  let t: TestApp;
  let alice: Http;
  let deploymentId: string;
  let deviceId: string;
  const answers: string[] = [];
  // distinctive, so that any trace of it is found
  const providerToken = `ptok-${randomBytes(24).toString('hex')}`;

  const keep = <T>(r: Reply<T>) => {
    answers.push(JSON.stringify(r.body), JSON.stringify([...r.headers]));
    return r;
  };

  beforeAll(async () => {
    t = await startTestApp({
      runWorkers: false,
      logLevel: 'trace',
      auth: { jwtSecret: SECRET, tokenEncryptionKey: `operator-key-${randomBytes(8).toString('hex')}` },
    });
    const jwt = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    alice = new Http(t.baseUrl).as(jwt);
    deviceId = (await alice.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    deploymentId = (
      await alice.post('/api/deployments', {
        name: 'with-token',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      })
    ).body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps the token sealed in transient state only while the job runs, and nowhere else', async () => {
    const jobs = t.get<JobsService>(JobsService);
    const tokens = t.get<ProviderTokens>(ProviderTokens);

    const created = keep(await alice.post('/api/jobs', { deploymentId, deviceId, shots: 100, token: providerToken }));
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('token');
    const jobId: string = created.body.id;

    // transient state: one entry, ciphertext only, that opens to the token for this job alone
    const states = await jobs.getTransientState(jobId);
    expect(states).toHaveLength(1);
    expect(Object.keys(states[0].data)).toEqual([PROVIDER_TOKEN_KEY]);
    const sealed = states[0].data[PROVIDER_TOKEN_KEY] as string;
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(providerToken);
    expect(tokens.open(jobId, await jobs.getTransientStateKey(jobId, PROVIDER_TOKEN_KEY, null))).toBe(providerToken);
    expect(() => tokens.open(deploymentId, sealed)).toThrow(/does not open/);

    // the job is read in every way the API offers, while it waits and after it has ended
    const readAll = async () => {
      keep(await alice.get(`/api/jobs/${jobId}`));
      keep(await alice.get('/api/jobs'));
      keep(await alice.get(`/api/jobs/${jobId}/results`));
      keep(await alice.get(`/api/deployments/${deploymentId}/jobs`));
    };
    await readAll();
    expect(await rowsContaining(t.config.databaseUrl!, providerToken)).toEqual([]);

    // end it as a worker would: the transient state (and so the ciphertext) goes in the same commit
    const ended = await jobs.saveResults(jobId, [
      { resultType: 'COUNTS', data: { '00': 50, '11': 50 }, meta: { shots: 100 } },
    ]);
    expect(ended.applied).toBe(true);
    expect(await jobs.getTransientState(jobId)).toEqual([]);
    expect(await rowsContaining(t.config.databaseUrl!, sealed)).toEqual([]);
    await readAll();
    const results = keep(await alice.get(`/api/jobs/${jobId}/results`));
    expect(results.body).toHaveLength(1);

    // outbox rows were written for this job (so the search below looked at real events)
    const events = await rowsContaining(t.config.databaseUrl!, jobId);
    expect(events.some((row) => row.startsWith('public.outbox_event'))).toBe(true);
    expect(await rowsContaining(t.config.databaseUrl!, providerToken)).toEqual([]);
    for (const answer of answers) expect(answer).not.toContain(providerToken);
  });

  it('drops the token when a waiting job is canceled or deleted', async () => {
    const jobs = t.get<JobsService>(JobsService);
    const a = keep(await alice.post('/api/jobs', { deploymentId, deviceId, shots: 10, token: providerToken }));
    const b = keep(await alice.post('/api/jobs', { deploymentId, deviceId, shots: 10, token: providerToken }));
    expect(await jobs.getTransientState(a.body.id)).toHaveLength(1);
    expect(await jobs.getTransientState(b.body.id)).toHaveLength(1);
    expect(keep(await alice.post(`/api/jobs/${a.body.id}/cancel`)).body.state).toBe('CANCELED');
    expect(await jobs.getTransientState(a.body.id)).toEqual([]);
    expect((await alice.delete(`/api/jobs/${b.body.id}`)).status).toBe(204);
    expect(await jobs.getTransientState(b.body.id)).toEqual([]);
    expect(await rowsContaining(t.config.databaseUrl!, 'v1.')).toEqual([]);
  });

  it('does not echo a token in validation errors', async () => {
    const bad = keep(await alice.post('/api/jobs', { deploymentId, deviceId, shots: 0, token: providerToken }));
    expect(bad.status).toBe(400);
    const empty = keep(await alice.post('/api/jobs', { deploymentId, deviceId, shots: 10, token: '' }));
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([{ field: 'token', message: 'token should not be empty' }]);
    const tooLong = keep(
      await alice.post('/api/jobs', { deploymentId, deviceId, shots: 10, token: providerToken.repeat(200) }),
    );
    expect(tooLong.status).toBe(400);
    for (const answer of answers) expect(answer).not.toContain(providerToken);
  });

  it('never writes the token (or the bearer token) to the log', async () => {
    // let pino's asynchronous writes reach the captured stream
    await new Promise((resolve) => setImmediate(resolve));
    const log = output.text();
    // the capture works: request lines of this test are there, at trace level
    expect(log).toContain('"url":"/api/jobs"');
    expect(log).toContain('request completed');
    expect(log).toContain('"authorization":"[redacted]"');
    expect(log).not.toContain(providerToken);
    expect(log).not.toContain(providerToken.slice(5, 30));
    expect(log).not.toMatch(/Bearer ey/);
  });
});

describe('provider tokens with a worker running the job', () => {
  let t: TestApp;
  const providerToken = `ptok-${randomBytes(24).toString('hex')}`;

  beforeAll(async () => {
    t = await startTestApp({
      runWorkers: true,
      logLevel: 'trace',
      auth: { jwtSecret: SECRET, tokenEncryptionKey: `operator-key-${randomBytes(8).toString('hex')}` },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs the job to its end, after which the sealed token is gone and no trace of it is anywhere', async () => {
    const jwt = await new SignJWT({ sub: 'erin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const erin = new Http(t.baseUrl).as(jwt);
    const deviceId = (await erin.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const deploymentId = (
      await erin.post('/api/deployments', {
        name: 'run-with-token',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      })
    ).body.id;
    const answers: string[] = [];
    const created = await erin.post('/api/jobs', { deploymentId, deviceId, shots: 200, seed: 7, token: providerToken });
    expect(created.status).toBe(201);
    answers.push(JSON.stringify(created.body));
    const jobId: string = created.body.id;
    const done = await waitUntil(async () => {
      const r = await erin.get(`/api/jobs/${jobId}`);
      answers.push(JSON.stringify(r.body));
      return ['FINISHED', 'ERROR', 'CANCELED'].includes(r.body.state) ? r.body : null;
    }, 'the job to end');
    expect(done.state).toBe('FINISHED');
    const results = await erin.get(`/api/jobs/${jobId}/results`);
    answers.push(JSON.stringify(results.body));
    expect(results.body.length).toBeGreaterThan(0);
    expect(await t.get<JobsService>(JobsService).getTransientState(jobId)).toEqual([]);
    expect(await rowsContaining(t.config.databaseUrl!, providerToken)).toEqual([]);
    expect((await rowsContaining(t.config.databaseUrl!, jobId)).some((r) => r.startsWith('public.outbox_event'))).toBe(
      true,
    );
    for (const answer of answers) expect(answer).not.toContain(providerToken);
    await new Promise((resolve) => setImmediate(resolve));
    const log = output.text();
    expect(log).toContain(jobId);
    expect(log).not.toContain(providerToken);
  });
});
