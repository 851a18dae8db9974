import { createServer, type AddressInfo } from 'node:net';
import { EntityManager } from '@mikro-orm/postgresql';
import { Job } from '../src/jobs/job.entity';
import { buildDist } from './helpers/build';
import { startWorker, stopWorker, type WorkerProcess } from './helpers/worker-process';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';
import { longQasm3 } from './helpers/circuits';

/**
 * Worker processes (`node dist/src/worker.js`, as `npm run worker` starts them) on the database of a
 * test app that runs no workers itself: several at once, and one killed with SIGKILL in mid-job.
 * pg-boss notices a dead worker when its heartbeat is overdue (JOB_HEARTBEAT_SECONDS, 10) at its next
 * supervision pass (every 60 s), so the crash tests wait up to a few minutes.
 */

describe('worker processes', () => {
  const workers: WorkerProcess[] = [];
  const apps: TestApp[] = [];

  beforeAll(() => buildDist(), 180_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await Promise.all(apps.map((a) => a.close()));
  });

  async function api(overrides: Parameters<typeof startTestApp>[0] = {}) {
    const t = await startTestApp({ runWorkers: false, ...overrides });
    apps.push(t);
    const http = new Http(t.baseUrl);
    const deviceId: string = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const em = t.get<EntityManager>(EntityManager);
    const deploy = async (quantumCircuit: string, assemblerLanguage = 'QASM2') => {
      const res = await http.post('/api/deployments', {
        name: 'proc',
        programs: [{ quantumCircuit, assemblerLanguage }],
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const submit = async (deploymentId: string, shots = 100) => {
      const res = await http.post('/api/jobs', { deploymentId, deviceId, shots });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const row = (id: string) => em.fork().findOneOrFail(Job, id, { populate: ['results'] });
    return { t, http, deploy, submit, row };
  }

  async function spawnWorker(databaseUrl: string, env: Record<string, string> = {}) {
    const w = await startWorker(databaseUrl, env);
    workers.push(w);
    return w;
  }

  it('an API without workers leaves jobs READY; a worker process (no HTTP) runs them', async () => {
    const { t, http, deploy, submit, row } = await api();
    const dep = await deploy(BELL_QASM2);
    const id = await submit(dep, 100);
    // The API's own process runs no worker (RUN_WORKERS=false): the job waits for one.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await row(id)).state).toBe('READY');
    // A free port for the worker's PORT setting: the worker must not listen on it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await spawnWorker(t.config.databaseUrl!, { PORT: String(port), HOST: '127.0.0.1' });
    const job = await waitUntil(
      async () => {
        const j = await row(id);
        return j.isTerminal ? j : undefined;
      },
      `job ${id} to end`,
      60_000,
    );
    expect(job.state).toBe('FINISHED');
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    expect((await http.get(`/api/jobs/${id}`)).body.state).toBe('FINISHED');
  });

  it('two worker processes on one database run every job exactly once', async () => {
    const { t, deploy, submit, row } = await api();
    const [a, b] = await Promise.all([
      spawnWorker(t.config.databaseUrl!, { WORKER_CONCURRENCY: '2' }),
      spawnWorker(t.config.databaseUrl!, { WORKER_CONCURRENCY: '2' }),
    ]);
    const dep = await deploy(BELL_QASM2);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await submit(dep, 200));
    for (const id of ids) {
      const job = await waitUntil(
        async () => {
          const j = await row(id);
          return j.isTerminal ? j : undefined;
        },
        `job ${id} to end`,
        60_000,
      );
      expect(job.state).toBe('FINISHED');
      expect(job.attempts).toBe(1);
      const results = job.results.getItems();
      expect(results.map((r) => r.resultType).sort()).toEqual(['COUNTS', 'PROBABILITIES']);
      const counts = results.find((r) => r.resultType === 'COUNTS')!.data as Record<string, number>;
      expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(200);
    }
    // A graceful stop (SIGTERM) of an idle worker exits cleanly.
    await stopWorker(a);
    await stopWorker(b);
    expect(a.child.exitCode).toBe(0);
    expect(b.child.exitCode).toBe(0);
  }, 120_000);

  it('retries a job whose worker process was killed (kill -9) on another worker, which finishes it', async () => {
    const { t, deploy, submit, row } = await api();
    const url = t.config.databaseUrl!;
    const first = await spawnWorker(url);
    const id = await submit(await deploy(longQasm3(20, 100), 'QASM3'));
    await waitUntil(async () => (await row(id)).state === 'RUNNING', 'the job to run', 60_000);
    await stopWorker(first, 'SIGKILL');
    expect((await row(id)).state).toBe('RUNNING');
    await spawnWorker(url);
    const job = await waitUntil(
      async () => {
        const j = await row(id);
        return j.isTerminal ? j : undefined;
      },
      'the retried job to end',
      240_000,
    );
    expect(job.state).toBe('FINISHED');
    expect(job.attempts).toBe(2);
    const results = job.results.getItems();
    expect(results.map((r) => r.resultType).sort()).toEqual(['COUNTS', 'PROBABILITIES']);
    const counts = results.find((r) => r.resultType === 'COUNTS')!.data as Record<string, number>;
    expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(100);
  }, 300_000);

  it('ends a job in ERROR when its workers died more often than the retry limit allows', async () => {
    const { t, deploy, submit, row } = await api({ jobRetryLimit: 0 });
    const url = t.config.databaseUrl!;
    const first = await spawnWorker(url, { JOB_RETRY_LIMIT: '0' });
    const id = await submit(await deploy(longQasm3(20, 100), 'QASM3'));
    await waitUntil(async () => (await row(id)).state === 'RUNNING', 'the job to run', 60_000);
    await stopWorker(first, 'SIGKILL');
    await spawnWorker(url, { JOB_RETRY_LIMIT: '0' });
    const job = await waitUntil(
      async () => {
        const j = await row(id);
        return j.isTerminal ? j : undefined;
      },
      'the job to end',
      240_000,
    );
    expect(job.state).toBe('ERROR');
    expect(job.attempts).toBe(1);
    const results = job.results.getItems();
    expect(results.map((r) => r.resultType)).toEqual(['ERROR']);
    expect(results[0].data.exceptionMessage).toMatch(/the worker died 1 time while running this job/);
    expect(results[0].data).toMatchObject({ reason: 'worker-died', attempts: 1 });
  }, 300_000);
});
