import { EntityManager } from '@mikro-orm/postgresql';
import { ExecutionWorker } from '../src/execution/worker/execution.worker';
import { Job } from '../src/jobs/job.entity';
import { JOBS_QUEUE, PgBossQueue } from '../src/queue/pg-boss.queue';
import { startTestApp, type TestApp } from './helpers/app';
import { longQasm3 } from './helpers/circuits';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

/**
 * The jobs queue's own fetch loop (PgBossQueue): claims for all free slots in one fetch, one
 * heartbeat for every claim, and the entry ended in saveResults' commit. Against real pg-boss.
 */
describe('the fetch loop of the jobs queue', () => {
  let t: TestApp;
  let http: Http;
  let deviceId: string;
  let em: EntityManager;
  let queue: PgBossQueue;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, workerConcurrency: 4, jobHeartbeatSeconds: 10 });
    http = new Http(t.baseUrl);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    em = t.get<EntityManager>(EntityManager);
    queue = t.get<PgBossQueue>(PgBossQueue);
  });
  afterAll(() => t?.close());

  const deploy = async (text: string, language = 'QASM2') =>
    (
      await http.post('/api/deployments', {
        name: 'q',
        programs: [{ quantumCircuit: text, assemblerLanguage: language }],
      })
    ).body.id as string;
  const submit = async (deploymentId: string) => {
    const r = await http.post('/api/jobs', { deploymentId, deviceId, shots: 100 });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const settled = (id: string) =>
    waitUntil(
      async () => {
        const job = await em.fork().findOneOrFail(Job, id);
        return ['FINISHED', 'ERROR', 'CANCELED'].includes(job.state) ? job : undefined;
      },
      `job ${id} to end`,
      120_000,
    );

  /** A job of several seconds, once a worker has started it. */
  const longJobRunning = async () => {
    const id = await submit(await deploy(longQasm3(20, 200), 'QASM3'));
    return waitUntil(
      async () => {
        const job = await em.fork().findOneOrFail(Job, id);
        return job.state === 'RUNNING' ? job : undefined;
      },
      'the long job to run',
      60_000,
    );
  };

  it('ends each entry with its job: completed, once, in the commit of the results', async () => {
    const dep = await deploy(BELL_QASM2);
    const ids = await Promise.all(Array.from({ length: 12 }, () => submit(dep)));
    for (const id of ids) {
      const job = await settled(id);
      expect(job).toMatchObject({ state: 'FINISHED', attempts: 1 });
      // completed by the job's own commit: no entry is left active after its job has ended
      const [entry] = await queue.boss.findJobs(JOBS_QUEUE, { id: job.queueJobId! });
      expect(entry).toMatchObject({ state: 'completed', retryCount: 0 });
    }
  });

  it('aborts a run whose claim is gone (failed elsewhere, as for a missed heartbeat), and the retry runs the job to the end once', async () => {
    const running = await longJobRunning();
    const id = running.id;
    const [claimed] = await queue.boss.findJobs(JOBS_QUEUE, { id: running.queueJobId! });
    expect(claimed).toMatchObject({ state: 'active', retryCount: 0 });
    // pg-boss's supervisor fails an entry whose heartbeat is overdue; here from outside, at once.
    await queue.boss.fail(JOBS_QUEUE, { id: claimed.id, retryCount: 0 }, { message: 'claim taken away by the test' });
    // The next heartbeat (within JOB_HEARTBEAT_SECONDS / 2) finds the claim gone and stops the run;
    // the retry (any slot) starts the job again as attempt 2 and finishes it.
    const job = await settled(id);
    expect(job).toMatchObject({ state: 'FINISHED', attempts: 2 });
    const results = (await http.get(`/api/jobs/${id}`)).body.results as { resultType: string }[];
    expect(results.filter((r) => r.resultType === 'COUNTS')).toHaveLength(1);
    const [entry] = await queue.boss.findJobs(JOBS_QUEUE, { id: claimed.id });
    expect(entry).toMatchObject({ state: 'completed', retryCount: 1 });
  });

  it('stops a run whose claim another process took (its heartbeat finds the claim gone), before the entry comes back here', async () => {
    const running = await longJobRunning();
    const id = running.id;
    const entryId = running.queueJobId!;
    // Failed elsewhere, and its retry held back, so this process does not claim it again meanwhile:
    // only the heartbeat can tell the run that its claim is gone.
    await queue.boss.fail(JOBS_QUEUE, { id: entryId, retryCount: 0 }, { message: 'claim taken away by the test' });
    const sql = em.fork().getConnection();
    await sql.execute(`update pgboss.job set start_after = now() + interval '1 hour' where id = ?`, [entryId]);
    const worker = t.get<ExecutionWorker>(ExecutionWorker) as unknown as { active: Map<string, unknown> };
    await waitUntil(async () => !worker.active.has(id) || undefined, 'the run to stop', 30_000);
    // Stopped without writing: the job still RUNNING, its entry waiting for its retry.
    expect(await em.fork().findOneOrFail(Job, id)).toMatchObject({ state: 'RUNNING', attempts: 1 });
    expect((await queue.boss.findJobs(JOBS_QUEUE, { id: entryId }))[0]).toMatchObject({ state: 'retry' });
    await sql.execute(`update pgboss.job set start_after = now() where id = ?`, [entryId]);
    queue.wake();
    expect(await settled(id)).toMatchObject({ state: 'FINISHED', attempts: 2 });
  });
});
