import { SignJWT } from 'jose';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http } from './helpers/http';

const SECRET = 'e2e-limits-secret-0123456789-abcdefghijklm';
const PER_MINUTE = 3;

const jwt = (sub: string) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

describe('limits: job submissions per minute, request body size', () => {
  let t: TestApp;
  let anon: Http;
  let deploymentId: string;
  let deviceId: string;

  beforeAll(async () => {
    t = await startTestApp({
      runWorkers: false,
      bodyLimitBytes: 4096,
      auth: { jwtSecret: SECRET, jobsPerMinute: PER_MINUTE },
    });
    anon = new Http(t.baseUrl);
    deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    deploymentId = (
      await anon.post('/api/deployments', {
        name: 'public',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      })
    ).body.id;
  });
  afterAll(() => t?.close());

  const job = () => ({ deploymentId, deviceId, shots: 10 });

  const expect429 = (r: { status: number; body: any; headers: Headers }) => {
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining(`at most ${PER_MINUTE} jobs`),
    });
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(r.body.retryAfterSeconds).toBe(retryAfter);
  };

  it('answers 429 with Retry-After once a user has submitted the limit, counting reruns, per user', async () => {
    const alice = anon.as(await jwt('alice'));
    const first = await alice.post('/api/jobs', job());
    expect(first.status).toBe(201);
    expect((await alice.post('/api/jobs', job())).status).toBe(201);
    expect((await alice.post(`/api/jobs/${first.body.id}/rerun`)).status).toBe(201);
    expect429(await alice.post('/api/jobs', job()));
    expect429(await alice.post(`/api/jobs/${first.body.id}/rerun`));
    // reading is not limited, and nothing was created by the refused calls
    const mine = await alice.get('/api/jobs');
    expect(mine.status).toBe(200);
    expect(mine.body.items.filter((j: { executedBy: string }) => j.executedBy === 'alice')).toHaveLength(3);
    // another user has a budget of their own
    const bob = anon.as(await jwt('bob'));
    expect((await bob.post('/api/jobs', job())).status).toBe(201);
  });

  it('counts only accepted submissions: a refused one does not use up the budget', async () => {
    const erin = anon.as(await jwt('erin'));
    const unknown = '3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f';
    for (let i = 0; i < 2 * PER_MINUTE; i++) {
      expect((await erin.post('/api/jobs', { ...job(), shots: 'many' })).status).toBe(400);
      expect((await erin.post('/api/jobs', { ...job(), deviceId: unknown })).status).toBe(404);
      expect((await erin.post(`/api/jobs/${unknown}/rerun`)).status).toBe(404);
    }
    for (let i = 0; i < PER_MINUTE; i++) expect((await erin.post('/api/jobs', job())).status).toBe(201);
    expect429(await erin.post('/api/jobs', job()));
    // at the limit, even a bad submission is answered 429
    expect429(await erin.post('/api/jobs', { ...job(), shots: 'many' }));
  });

  it('counts anonymous callers per IP address', async () => {
    for (let i = 0; i < PER_MINUTE; i++) expect((await anon.post('/api/jobs', job())).status).toBe(201);
    expect429(await anon.post('/api/jobs', job()));
  });

  it('answers 413 in the standard shape for a body over BODY_LIMIT, before anything else', async () => {
    const alice = anon.as(await jwt('carol'));
    const big = {
      name: 'big',
      programs: [{ quantumCircuit: `${BELL_QASM2}// ${'x'.repeat(5000)}\n`, assemblerLanguage: 'QASM2' }],
    };
    const r = await alice.post('/api/deployments', big);
    expect(r.status).toBe(413);
    expect(r.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'request body is larger than the limit of 4096 bytes',
    });
    const jobTooBig = await alice.post('/api/jobs', { ...job(), token: 't'.repeat(5000) });
    expect(jobTooBig.status).toBe(413);
    // the refused oversized submission did not use up carol's budget
    for (let i = 0; i < PER_MINUTE; i++) expect((await alice.post('/api/jobs', job())).status).toBe(201);
  });
});
