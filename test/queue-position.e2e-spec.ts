import { startTestApp, type TestApp } from './helpers/app';
import { longQasm3 } from './helpers/circuits';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

/**
 * Queue positions, start estimates, wait times and job metrics (the job API issue), with one worker
 * slot that a slow job holds while others wait behind it.
 */
describe('queue position and wait times', () => {
  let t: TestApp;
  let http: Http;
  let deviceId: string;

  beforeAll(async () => {
    t = await startTestApp({ workerConcurrency: 1, maxRunningJobsPerUser: 0 });
    http = new Http(t.baseUrl);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });
  afterAll(() => t?.close());

  const deploy = async (quantumCircuit: string, assemblerLanguage = 'QASM2') =>
    (await http.post('/api/deployments', { name: 'q', programs: [{ quantumCircuit, assemblerLanguage }] })).body
      .id as string;
  const submit = async (deploymentId: string) => {
    const res = await http.post('/api/jobs', { deploymentId, deviceId, shots: 100 });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const job = async (id: string) => (await http.get(`/api/jobs/${id}`)).body;
  const ended = (id: string) =>
    waitUntil(
      async () => ['FINISHED', 'ERROR', 'CANCELED'].includes((await job(id)).state),
      `job ${id} to end`,
      60_000,
    );

  it('READY jobs answer their place behind the one that holds the only slot, and when they should start', async () => {
    const bell = await deploy(BELL_QASM2);
    // One finished job gives the device a run time to estimate from.
    const first = await submit(bell);
    await ended(first);
    const done = await job(first);
    expect(done.queuePosition).toBeNull();
    expect(done.estimatedStartAt).toBeNull();
    expect(done.metrics).toEqual({
      queuedMs: expect.any(Number),
      runningMs: expect.any(Number),
      totalMs: expect.any(Number),
    });
    expect(done.metrics.totalMs).toBeGreaterThanOrEqual(done.metrics.runningMs);
    expect(done.metrics.totalMs).toBe(new Date(done.finishedAt).getTime() - new Date(done.createdAt).getTime());

    const slow = await submit(await deploy(longQasm3(20, 400), 'QASM3'));
    await waitUntil(async () => (await job(slow)).state === 'RUNNING', 'the slow job to hold the slot', 30_000);
    const waiting = [await submit(bell), await submit(bell), await submit(bell)];
    const answers = await Promise.all(waiting.map(job));
    expect(answers.map((a) => [a.state, a.queuePosition])).toEqual([
      ['READY', 1],
      ['READY', 2],
      ['READY', 3],
    ]);
    expect(answers.map((a) => a.metrics)).toEqual(
      answers.map(() => ({ queuedMs: null, runningMs: null, totalMs: null })),
    );
    // one job runs, the device's jobs ran before: an estimate, later for a later place
    const starts = answers.map((a) => new Date(a.estimatedStartAt).getTime());
    expect(starts.every((s) => Number.isFinite(s))).toBe(true);
    expect(starts[0]).toBeLessThan(starts[1]);
    expect(starts[1]).toBeLessThan(starts[2]);
    // the list answers the same places
    const list = (await http.get(`/api/jobs?deviceId=${deviceId}&state=READY&sort=createdAt&order=asc`)).body.items;
    expect(list.map((j: { id: string; queuePosition: number }) => [j.id, j.queuePosition])).toEqual(
      waiting.map((id, i) => [id, i + 1]),
    );
    // the device: three waiting here, the wait of the jobs that started in the last 24 h
    const device = (await http.get(`/api/devices/${deviceId}`)).body;
    expect(device).toMatchObject({
      queueLength: 3,
      waitTimeSeconds: { average: expect.any(Number), p50: expect.any(Number), p95: expect.any(Number) },
      providerQueueLength: null,
    });
    // the first in line is canceled: the others move up
    expect((await http.post(`/api/jobs/${waiting[0]}/cancel`)).status).toBe(200);
    expect((await job(waiting[1])).queuePosition).toBe(1);
    expect((await job(waiting[2])).queuePosition).toBe(2);
    expect((await job(waiting[0])).queuePosition).toBeNull();
    // the slow job is stopped; the rest run and leave the queue
    expect((await http.post(`/api/jobs/${slow}/cancel`)).status).toBe(200);
    for (const id of waiting.slice(1)) await ended(id);
    expect((await http.get(`/api/devices/${deviceId}`)).body.queueLength).toBe(0);
  });

  it('a device without jobs in the last 24 h has no wait times', async () => {
    const aer = (await http.get('/api/devices?provider=IBM')).body.items[0].id;
    expect((await http.get(`/api/devices/${aer}`)).body).toMatchObject({ queueLength: 0, waitTimeSeconds: null });
  });
});
