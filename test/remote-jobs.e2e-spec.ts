import { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig, type AppConfig } from '../src/config/app-config';
import { Device } from '../src/devices/device.entity';
import { Provider } from '../src/devices/provider.entity';
import { Job } from '../src/jobs/job.entity';
import { FOLLOW_QUEUE, JOBS_QUEUE } from '../src/queue/pg-boss.queue';
import { startTestApp, type TestApp } from './helpers/app';
import { buildDist } from './helpers/build';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';
import { startWorker, stopWorker, type WorkerProcess } from './helpers/worker-process';
import {
  FAKE_IBM_API_KEY,
  FAKE_IBM_INSTANCE,
  startFakeIbmQuantum,
  type FakeIbmQuantum,
} from './fakes/ibm-quantum.fake';
import { ASYMMETRIC } from './helpers/remote';

/**
 * The remote lifecycle of a job (src/execution/worker/remote-follower.ts), end to end: the real
 * application, its IBM adapter and a fake of IBM Quantum (test/fakes/ibm-quantum.fake.ts, Qiskit
 * Runtime REST API 2026-04-15) on 127.0.0.1. Polls every second here (REMOTE_POLL_*_SECONDS=1).
 */

const ENCRYPTION_KEY = 'remote-jobs-test-token-encryption-key';
type ProvidersConfig = AppConfig['providers'];

function providers(ibm: FakeIbmQuantum | null, overrides: Partial<ProvidersConfig> = {}): ProvidersConfig {
  const base = loadConfig({}).providers;
  return {
    ...base,
    pollMinSeconds: 1,
    pollMaxSeconds: 1,
    statusCacheSeconds: 0,
    requestTimeoutSeconds: 5,
    ibm: ibm
      ? { token: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE, apiUrl: ibm.url, iamUrl: ibm.url }
      : { ...base.ibm, token: undefined, instance: undefined },
    ...overrides,
  };
}

describe('jobs on a remote device (IBM Quantum, against its fake)', () => {
  let ibm: FakeIbmQuantum;
  const apps: TestApp[] = [];
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ibm = await startFakeIbmQuantum({ autoAdvance: false });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await Promise.all(apps.map((a) => a.close()));
    await ibm.close();
  });

  async function start(overrides: Parameters<typeof startTestApp>[0] = {}) {
    const t = await startTestApp({
      workerConcurrency: 1,
      providers: providers(ibm),
      ...overrides,
      auth: { tokenEncryptionKey: ENCRYPTION_KEY, ...overrides.auth },
    });
    apps.push(t);
    const http = new Http(t.baseUrl);
    const em = t.get<EntityManager>(EntityManager);
    const ibmId: string = (await http.get('/api/providers?limit=100')).body.items.find(
      (p: { name: string }) => p.name === 'IBM',
    ).id;
    const deploy = async (quantumCircuit = BELL_QASM2) => {
      const res = await http.post('/api/deployments', {
        name: 'remote',
        programs: [{ quantumCircuit, assemblerLanguage: 'QASM2' }],
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const device = async (name: string) => {
      const res = await http.get(`/api/devices?provider=IBM&limit=100`);
      return res.body.items.find((d: { name: string }) => d.name === name) as
        { id: string; status: string } | undefined;
    };
    const sync = async () => {
      const res = await http.post(`/api/providers/${ibmId}/sync`, {});
      expect(res.status).toBe(200);
      return res.body;
    };
    const submit = async (deploymentId: string, deviceName = 'ibm_fake_small', extra: Record<string, unknown> = {}) => {
      const res = await http.post('/api/jobs', { deploymentId, providerName: 'IBM', deviceName, shots: 200, ...extra });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const row = (id: string) => em.fork().findOneOrFail(Job, id, { populate: ['results'] });
    const until = (id: string, what: string, ok: (j: Job) => boolean, ms = 30_000) =>
      waitUntil(
        async () => {
          const j = await row(id);
          return ok(j) ? j : undefined;
        },
        `job ${id}: ${what}`,
        ms,
      );
    const ended = (id: string, ms?: number) => until(id, 'to end', (j) => j.isTerminal, ms);
    const ibmJobOf = async (id: string, ms = 30_000) => {
      const j = await until(id, 'to be submitted to IBM', (x) => x.providerSpecificId != null, ms);
      return j.providerSpecificId!;
    };
    return { t, http, em, ibmId, deploy, device, sync, submit, row, until, ended, ibmJobOf };
  }

  it('lists the providers; sync asks IBM for its backends, and names the credential it lacks', async () => {
    const { http, ibmId, sync, device } = await start();
    const names = (await http.get('/api/providers?limit=100')).body.items.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['LOCAL', 'IBM', 'AWS', 'RIGETTI']));
    const outcome = await sync();
    expect(outcome.added.sort()).toEqual(['ibm_fake_brisbane', 'ibm_fake_kyiv', 'ibm_fake_small']);
    expect(await device('ibm_fake_kyiv')).toMatchObject({ status: 'offline', isLocal: false, numQubits: 127 });
    expect(await device('ibm_fake_small')).toMatchObject({
      status: 'online',
      isLocal: false,
      providerDeviceId: 'ibm_fake_small',
    });
    expect(await device('aer_simulator')).toMatchObject({ isLocal: true });
    // again: nothing new
    expect(await sync()).toMatchObject({ added: [], updated: [], offline: [] });
    // a token IBM refuses: 422 naming the token
    const refused = await http.post(`/api/providers/${ibmId}/sync`, { token: 'not-a-key' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ field: 'token', message: expect.stringContaining('refused by IBM') });
    // a local provider has nothing to sync
    const local = (await http.get('/api/providers?limit=100')).body.items.find(
      (p: { name: string }) => p.name === 'LOCAL',
    );
    expect((await http.post(`/api/providers/${local.id}/sync`, {})).status).toBe(422);
  });

  it('without credentials: sync answers 422 naming the token, and a job on a remote device is refused', async () => {
    const { t, http, ibmId, deploy } = await start({ providers: providers(null) });
    const res = await http.post(`/api/providers/${ibmId}/sync`, {});
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('token');
    expect(res.body.message).toContain('IBM_QUANTUM_TOKEN');
    // a remote device, as a sync with credentials would have stored it
    const fork = t.get<EntityManager>(EntityManager).fork();
    const provider = await fork.findOneOrFail(Provider, { name: 'IBM' });
    fork.create(Device, {
      provider,
      name: 'ibm_fake_small',
      numQubits: 5,
      isSimulator: false,
      isLocal: false,
      providerDeviceId: 'ibm_fake_small',
      status: 'online',
    });
    await fork.flush();
    const job = await http.post('/api/jobs', {
      deploymentId: await deploy(),
      providerName: 'IBM',
      deviceName: 'ibm_fake_small',
      shots: 10,
    });
    expect(job.status).toBe(422);
    expect(job.body).toMatchObject({ field: 'token', message: expect.stringContaining('IBM_QUANTUM_TOKEN') });
    // nothing was written
    expect((await http.get('/api/jobs')).body.total).toBe(0);
  });

  it('device status and calibration come from IBM; a local device answers from here', async () => {
    const { http, sync, device } = await start();
    await sync();
    const brisbane = await device('ibm_fake_brisbane');
    const status = await http.get(`/api/devices/${brisbane!.id}/status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ source: 'provider', online: true, queueLength: 3 });
    const calibration = await http.get(`/api/devices/${brisbane!.id}/calibration`);
    expect(calibration.status).toBe(200);
    expect(calibration.body).toMatchObject({ source: 'provider', calibration: expect.any(Object) });
    const aer = await device('aer_simulator');
    expect((await http.get(`/api/devices/${aer!.id}/status`)).body).toMatchObject({ source: 'local', online: true });
    expect((await http.get(`/api/devices/${aer!.id}/calibration`)).body).toMatchObject({
      source: 'local',
      calibration: null,
    });
  });

  it('submit, queued at IBM (worker slot free meanwhile), running, done: results as local ones', async () => {
    const { http, em, deploy, sync, submit, ended, until, ibmJobOf, row } = await start();
    await sync();
    const dep = await deploy(ASYMMETRIC);
    const id = await submit(dep);
    const ibmJob = await ibmJobOf(id);
    expect(ibm.jobs.get(ibmJob)).toMatchObject({
      status: 'Queued',
      backend: 'ibm_fake_small',
      tags: expect.arrayContaining([`qunest:qunest-${id}`]),
    });
    const queued = await until(id, 'to be queued at IBM', (j) => j.providerStatus === 'queued');
    expect(queued).toMatchObject({ state: 'RUNNING', queuePosition: expect.any(Number) });
    expect((await http.get(`/api/jobs/${id}`)).body).toMatchObject({
      state: 'RUNNING',
      providerSpecificId: ibmJob,
      providerStatus: 'queued',
      queuePosition: queued.queuePosition,
    });
    // The one worker (WORKER_CONCURRENCY=1) is free while IBM holds the job: a local job runs to its end.
    const local = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const localJob = await http.post('/api/jobs', { deploymentId: dep, deviceId: local, shots: 200, seed: 3 });
    expect((await ended(localJob.body.id)).state).toBe('FINISHED');
    expect((await row(id)).state).toBe('RUNNING');
    // The job waits on a follow entry (a delayed queue entry), its run entry has ended.
    const sql = em.getConnection();
    const entries = await sql.execute<{ name: string; state: string }[]>(
      `select name, state from pgboss.job where data->>'jobId' = ? order by created_on`,
      [id],
    );
    expect(entries[0]).toEqual({ name: JOBS_QUEUE, state: 'completed' });
    expect(entries.slice(1).every((e) => e.name === FOLLOW_QUEUE)).toBe(true);
    ibm.advance(ibmJob, 'Running');
    await until(id, 'to run at IBM', (j) => j.providerStatus === 'running');
    ibm.advance(ibmJob, 'Completed');
    const done = await ended(id);
    expect(done.state).toBe('FINISHED');
    expect(done.providerStatus).toBe('done');
    const body = (await http.get(`/api/jobs/${id}`)).body;
    const localBody = (await http.get(`/api/jobs/${localJob.body.id}`)).body;
    const counts = body.results.find((r: { resultType: string }) => r.resultType === 'COUNTS');
    const localCounts = localBody.results.find((r: { resultType: string }) => r.resultType === 'COUNTS');
    // X on q[0], measured into b[1]: b = 0b10, a = 0 — the same key as on our engine
    expect(counts.data).toEqual({ '0x2 0x0': 200 });
    expect(counts.data).toEqual(localCounts.data);
    expect(counts.meta.registers).toEqual(localCounts.meta.registers);
    expect(counts.meta).toMatchObject({ format: 'hex', shots: 200 });
    expect(body.results.map((r: { resultType: string }) => r.resultType).sort()).toEqual(['COUNTS', 'PROBABILITIES']);
  });

  it('a job IBM fails ends in ERROR with IBM’s words', async () => {
    const { http, deploy, sync, submit, ended, ibmJobOf } = await start();
    await sync();
    const id = await submit(await deploy());
    const ibmJob = await ibmJobOf(id);
    ibm.advance(ibmJob, 'Failed', 'Error code 1517; the circuit uses gates the backend does not support', 1517);
    const job = await ended(id);
    expect(job.state).toBe('ERROR');
    const error = (await http.get(`/api/jobs/${id}`)).body.results.find(
      (r: { resultType: string }) => r.resultType === 'ERROR',
    );
    expect(error.data.exceptionMessage).toContain('IBM reports that the job failed');
    expect(error.data.exceptionMessage).toContain('Error code 1517');
    expect(error.data.exceptionMessage).not.toMatch(/\n\s+at /); // no stack trace as the message
  });

  it('a token IBM refuses ends the job in ERROR saying so', async () => {
    const { http, deploy, sync, submit, ended } = await start();
    await sync();
    const id = await submit(await deploy(), 'ibm_fake_small', { token: 'a-key-ibm-does-not-know' });
    expect((await ended(id)).state).toBe('ERROR');
    const error = (await http.get(`/api/jobs/${id}`)).body.results[0];
    expect(error.data.exceptionMessage).toContain('the token was refused by IBM');
  });

  it('429 with Retry-After: the next look waits at least as long, and the job still finishes', async () => {
    const { em, deploy, sync, submit, ended, ibmJobOf } = await start();
    await sync();
    const id = await submit(await deploy());
    const ibmJob = await ibmJobOf(id);
    ibm.failNext(429, { headers: { 'Retry-After': '3' }, on: new RegExp(`/v1/jobs/${ibmJob}$`), times: 2 });
    ibm.advance(ibmJob, 'Completed');
    expect((await ended(id)).state).toBe('FINISHED');
    const waited = await em.getConnection().execute<{ seconds: number }[]>(
      `select extract(epoch from start_after - created_on)::float as seconds from pgboss.job
          where name = ? and data->>'jobId' = ? and data->'follow'->>'unavailableSince' is not null`,
      [FOLLOW_QUEUE, id],
    );
    expect(waited.length).toBeGreaterThanOrEqual(1);
    for (const w of waited) expect(w.seconds).toBeGreaterThanOrEqual(3);
  });

  it('cancel: accepted by IBM ends the job CANCELED; refused (the job has ended there) is a 409 with IBM’s reason', async () => {
    // Looks an hour apart: nothing but the test moves the job.
    const { http, deploy, sync, submit, row, ibmJobOf } = await start({
      providers: { ...providers(ibm), pollMinSeconds: 3600, pollMaxSeconds: 3600 },
    });
    await sync();
    const dep = await deploy();
    const a = await submit(dep);
    const ibmA = await ibmJobOf(a);
    const canceled = await http.post(`/api/jobs/${a}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.state).toBe('CANCELED');
    expect(ibm.jobs.get(ibmA)!.status).toBe('Cancelled');
    const b = await submit(dep);
    const ibmB = await ibmJobOf(b);
    ibm.advance(ibmB, 'Completed');
    const refused = await http.post(`/api/jobs/${b}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('could not be canceled at IBM');
    expect((await row(b)).state).toBe('RUNNING');
    // deleting a job that waits at IBM cancels it there first
    const c = await submit(dep);
    const ibmC = await ibmJobOf(c);
    expect((await http.delete(`/api/jobs/${c}`)).status).toBe(204);
    expect(ibm.jobs.get(ibmC)!.status).toBe('Cancelled');
    expect((await http.get(`/api/jobs/${c}`)).status).toBe(404);
  });

  describe('worker processes', () => {
    beforeAll(() => buildDist(), 180_000);

    const env = () => ({
      IBM_QUANTUM_TOKEN: FAKE_IBM_API_KEY,
      IBM_QUANTUM_INSTANCE: FAKE_IBM_INSTANCE,
      IBM_QUANTUM_API_URL: ibm.url,
      IBM_IAM_URL: ibm.url,
      REMOTE_POLL_MIN_SECONDS: '1',
      REMOTE_POLL_MAX_SECONDS: '1',
      TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
    });
    const submissionsOf = (id: string) =>
      ibm
        .apiRequests()
        .filter((r) => r.method === 'POST' && r.path === '/v1/jobs' && JSON.stringify(r.body).includes(id));

    it('a worker killed after IBM took the job, before it was recorded: the retry finds it by its tag; IBM got it once', async () => {
      const { t, deploy, sync, submit, ended, ibmJobOf, row } = await start({ runWorkers: false });
      await sync();
      const hold = ibm.holdNext('POST', /^\/v1\/jobs$/);
      const a = await startWorker(t.config.databaseUrl!, env());
      workers.push(a);
      const id = await submit(await deploy());
      await hold.arrived; // IBM has created the job; its answer has not reached the worker
      await stopWorker(a, 'SIGKILL');
      hold.release();
      expect((await row(id)).providerSpecificId).toBeNull();
      const b = await startWorker(t.config.databaseUrl!, env());
      workers.push(b);
      // pg-boss retries the entry once the dead worker's heartbeat is overdue; the new attempt asks IBM first
      const ibmJob = await ibmJobOf(id, 120_000);
      expect((await row(id)).attempts).toBe(2);
      expect(
        ibm
          .apiRequests()
          .some((r) => r.method === 'GET' && r.path === '/v1/jobs' && r.query.get('tags') === `qunest:qunest-${id}`),
      ).toBe(true);
      ibm.advance(ibmJob, 'Completed');
      expect((await ended(id)).state).toBe('FINISHED');
      expect(submissionsOf(id)).toHaveLength(1);
    }, 180_000);

    it('a worker killed while its job waits at IBM: another process follows it; IBM got it once', async () => {
      const { t, deploy, sync, submit, ended, ibmJobOf } = await start({ runWorkers: false });
      await sync();
      const a = await startWorker(t.config.databaseUrl!, env());
      workers.push(a);
      const id = await submit(await deploy());
      const ibmJob = await ibmJobOf(id);
      await stopWorker(a, 'SIGKILL');
      const b = await startWorker(t.config.databaseUrl!, env());
      workers.push(b);
      ibm.advance(ibmJob, 'Completed');
      expect((await ended(id)).state).toBe('FINISHED');
      const submissions = ibm
        .apiRequests()
        .filter((r) => r.method === 'POST' && r.path === '/v1/jobs' && JSON.stringify(r.body).includes(id));
      expect(submissions).toHaveLength(1);
    }, 120_000);
  });
});
