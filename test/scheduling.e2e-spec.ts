import { EntityManager } from '@mikro-orm/postgresql';
import { SignJWT } from 'jose';
import { DomainEventBus } from '../src/events/domain-event-bus';
import type { AnyDomainEvent } from '../src/events/domain-events';
import type { QueueEntry } from '../src/jobs/job-queue';
import { Job } from '../src/jobs/job.entity';
import { JobsService } from '../src/jobs/jobs.service';
import { JOBS_QUEUE, PgBossQueue, type QueuedJobData } from '../src/queue/pg-boss.queue';
import { JobQueue } from '../src/jobs/job-queue';
import { startTestApp, type TestApp } from './helpers/app';
import { freshDatabase } from './helpers/database';
import { longQasm3 } from './helpers/circuits';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

/** Issue #15 item 6: a time limit per job, and fair scheduling between users. */

const SECRET = 'e2e-scheduling-secret-0123456789-abcdefghij';
const TERMINAL = new Set(['FINISHED', 'ERROR', 'CANCELED']);

const token = (sub: string) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

async function deploy(who: Http, quantumCircuit: string, assemblerLanguage = 'QASM2'): Promise<string> {
  const r = await who.post('/api/deployments', { name: 'sched', programs: [{ quantumCircuit, assemblerLanguage }] });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function submit(who: Http, deploymentId: string, deviceId: string): Promise<string> {
  const r = await who.post('/api/jobs', { deploymentId, deviceId, shots: 10 });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function ended(who: Http, id: string, timeoutMs = 60_000): Promise<any> {
  return waitUntil(
    async () => {
      const job = (await who.get(`/api/jobs/${id}`)).body;
      return TERMINAL.has(job.state) ? job : undefined;
    },
    `job ${id} to end`,
    timeoutMs,
  );
}

describe('fair scheduling: WORKER_CONCURRENCY=2, MAX_RUNNING_JOBS_PER_USER=1, auth on', () => {
  let t: TestApp;
  let alice: Http;
  let bob: Http;
  let deviceId: string;
  const events: AnyDomainEvent[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      runWorkers: true,
      workerConcurrency: 2,
      maxRunningJobsPerUser: 1,
      auth: { jwtSecret: SECRET },
    });
    t.get<DomainEventBus>(DomainEventBus).subscribe((e) => events.push(e));
    const anon = new Http(t.baseUrl);
    alice = anon.as(await token('alice'));
    bob = anon.as(await token('bob'));
    deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });
  afterAll(() => t?.close());

  it("runs bob's Bell job to FINISHED while alice's three long jobs are still RUNNING or READY", async () => {
    const long = await deploy(alice, longQasm3(20, 40), 'QASM3');
    const aliceJobs: string[] = [];
    for (let i = 0; i < 3; i++) aliceJobs.push(await submit(alice, long, deviceId));
    await waitUntil(
      async () => (await alice.get(`/api/jobs/${aliceJobs[0]}`)).body.state === 'RUNNING',
      "alice's first job to run",
    );
    const bobJob = await submit(bob, await deploy(bob, BELL_QASM2), deviceId);

    const bobEnd = await ended(bob, bobJob);
    expect(bobEnd.state).toBe('FINISHED');
    expect(bobEnd.results.find((r: any) => r.resultType === 'COUNTS')).toBeDefined();
    const aliceNow = await Promise.all(aliceJobs.map(async (id) => (await alice.get(`/api/jobs/${id}`)).body.state));
    expect(aliceNow.filter((s) => s === 'RUNNING' || s === 'READY').length).toBeGreaterThan(0);

    // Alice's jobs all finish in the end, one after the other, each on its first attempt: a job put
    // back in the queue because of her share spent no retry.
    for (const id of aliceJobs) expect((await ended(alice, id)).state).toBe('FINISHED');
    const rows = await t
      .get<EntityManager>(EntityManager)
      .fork()
      .find(Job, { id: { $in: aliceJobs } });
    expect(rows.map((j) => j.attempts)).toEqual([1, 1, 1]);

    // In commit order (the bus delivers events so): never two of alice's jobs RUNNING at once, and
    // bob's job FINISHED before any of hers: it did not wait for a slot.
    let running = 0;
    let most = 0;
    let aliceEnded = 0;
    let aliceEndedWhenBobFinished = -1;
    for (const e of events) {
      if (e.name !== 'job.state') continue;
      const { jobId, state } = e.payload;
      if (jobId === bobJob && state === 'FINISHED') aliceEndedWhenBobFinished = aliceEnded;
      if (!aliceJobs.includes(jobId)) continue;
      if (state === 'RUNNING') most = Math.max(most, ++running);
      if (TERMINAL.has(state)) {
        running--;
        aliceEnded++;
      }
    }
    expect(most).toBe(1);
    expect(aliceEndedWhenBobFinished).toBe(0);
  }, 120_000);
});

describe('fair share check when two workers take two jobs of one owner at the same moment', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false, maxRunningJobsPerUser: 1, auth: { jwtSecret: SECRET } });
  });
  afterAll(() => t?.close());

  it('starts one, and hands the other back to the queue as a new entry without spending a retry', async () => {
    const anon = new Http(t.baseUrl);
    const carol = anon.as(await token('carol'));
    const deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const dep = await deploy(carol, BELL_QASM2);
    const ids = [await submit(carol, dep, deviceId), await submit(carol, dep, deviceId)];

    // Both entries taken from the queue, as two workers whose fetches raced would have them.
    const boss = (t.get<JobQueue>(JobQueue) as PgBossQueue).boss;
    const taken = await boss.fetch<QueuedJobData>(JOBS_QUEUE, { batchSize: 2 });
    expect(taken.map((e) => e.data.jobId).sort()).toEqual([...ids].sort());
    expect(taken.map((e) => e.groupId)).toEqual(['user:carol', 'user:carol']);
    const entries: QueueEntry[] = taken.map((e) => ({ id: e.id, jobId: e.data.jobId, attempt: e.retryCount }));

    const jobs = t.get<JobsService>(JobsService);
    const verdicts = await Promise.all(entries.map((e) => jobs.startWithinShare(e.jobId, e.id)));
    expect(verdicts.map((v) => v.kind).sort()).toEqual(['over-share', 'started']);
    const refused = entries[verdicts.findIndex((v) => v.kind === 'over-share')];
    expect(verdicts.find((v) => v.kind === 'over-share')).toEqual({ kind: 'over-share', running: 1, limit: 1 });

    expect(await jobs.handBack(refused.jobId, refused, 2)).toBe(true);
    const row = await t.get<EntityManager>(EntityManager).fork().findOneOrFail(Job, refused.jobId);
    expect(row).toMatchObject({ state: 'READY', attempts: 0 });
    expect(row.queueJobId).not.toBe(refused.id);
    const [old] = await boss.findJobs(JOBS_QUEUE, { id: refused.id });
    expect(old.state).toBe('completed');
    const [next] = await boss.findJobs<QueuedJobData>(JOBS_QUEUE, { id: row.queueJobId! });
    expect(next).toMatchObject({
      state: 'created',
      retryCount: 0,
      groupId: 'user:carol',
      data: { jobId: refused.jobId },
    });
    expect(next.startAfter.getTime()).toBeGreaterThan(Date.now());

    // The old entry, taken again (say by a worker whose claim had lapsed), no longer starts the job.
    expect(await jobs.startWithinShare(refused.jobId, refused.id)).toEqual({ kind: 'stale-entry' });
    // Handing back twice does nothing the second time.
    expect(await jobs.handBack(refused.jobId, refused, 2)).toBe(false);
  });
});

describe('time limit: JOB_TIMEOUT_SECONDS=2', () => {
  let t: TestApp;
  let http: Http;
  let deviceId: string;

  beforeAll(async () => {
    // 4 s: long enough that a Bell job fits in it on a loaded machine, short enough for a test
    t = await startTestApp({ runWorkers: true, workerConcurrency: 2, jobTimeoutSeconds: 4 });
    http = new Http(t.baseUrl);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });
  afterAll(() => t?.close());

  it('keeps the queue expiry above the limit', async () => {
    const queue = await (t.get<JobQueue>(JobQueue) as PgBossQueue).boss.getQueue(JOBS_QUEUE);
    expect(queue?.expireInSeconds).toBeGreaterThan(4);
  });

  it('stops a job that runs longer: ERROR naming the limit, not retried; a Bell job then finishes', async () => {
    const id = await submit(http, await deploy(http, longQasm3(20, 1500), 'QASM3'), deviceId);
    const job = await ended(http, id);
    expect(job.state).toBe('ERROR');
    const error = job.results.find((r: any) => r.resultType === 'ERROR');
    expect(error.data).toMatchObject({
      exceptionMessage: 'the job ran longer than JOB_TIMEOUT_SECONDS=4 and was stopped',
      reason: 'timeout',
      limitSeconds: 4,
    });
    expect(job.results.filter((r: any) => r.resultType === 'COUNTS')).toEqual([]);
    expect(new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime()).toBeGreaterThanOrEqual(4000);

    // Ended for good: the queue entry completed (no retry), the job ran once.
    const row = await t.get<EntityManager>(EntityManager).fork().findOneOrFail(Job, id);
    expect(row.attempts).toBe(1);
    const [entry] = await (t.get<JobQueue>(JobQueue) as PgBossQueue).boss.findJobs(JOBS_QUEUE, {
      id: row.queueJobId!,
    });
    expect(entry).toMatchObject({ state: 'completed', retryCount: 0 });

    const bell = await ended(http, await submit(http, await deploy(http, BELL_QASM2), deviceId));
    expect(bell.state).toBe('FINISHED');
  }, 90_000);
});

describe('shutdown with a job running', () => {
  it('hands the job back as a new queue entry: READY, no retry spent', async () => {
    const db = await freshDatabase();
    let a: TestApp | undefined;
    let b: TestApp | undefined;
    try {
      a = await startTestApp({ runWorkers: true, workerConcurrency: 1, databaseUrl: db.url });
      const ha = new Http(a.baseUrl);
      const dev = (await ha.get('/api/devices?provider=LOCAL')).body.items.find(
        (d: { name: string }) => d.name === 'statevector-simulator',
      ).id;
      // Longer than the shutdown grace (10 s) on any machine.
      const id = await submit(ha, await deploy(ha, longQasm3(20, 1500), 'QASM3'), dev);
      await waitUntil(async () => (await ha.get(`/api/jobs/${id}`)).body.state === 'RUNNING', 'job to run');
      const taken = (await a.get<EntityManager>(EntityManager).fork().findOneOrFail(Job, id)).queueJobId!;
      await a.app.close();
      a = undefined;

      b = await startTestApp({ runWorkers: false, databaseUrl: db.url });
      const row = await b.get<EntityManager>(EntityManager).fork().findOneOrFail(Job, id);
      expect(row).toMatchObject({ state: 'READY', attempts: 1 });
      expect(row.queueJobId).not.toBe(taken);
      const boss = (b.get<JobQueue>(JobQueue) as PgBossQueue).boss;
      expect((await boss.findJobs(JOBS_QUEUE, { id: taken }))[0].state).toBe('completed');
      expect((await boss.findJobs(JOBS_QUEUE, { id: row.queueJobId! }))[0]).toMatchObject({
        state: 'created',
        retryCount: 0,
      });
    } finally {
      await a?.app.close();
      await b?.app.close();
      await db.drop();
    }
  }, 90_000);
});
