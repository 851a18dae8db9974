import { EntityManager } from '@mikro-orm/postgresql';
import { SignJWT } from 'jose';
import { Job } from '../src/jobs/job.entity';
import { JobQueue } from '../src/jobs/job-queue';
import { JOBS_DEAD_QUEUE, JOBS_QUEUE, PgBossQueue } from '../src/queue/pg-boss.queue';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http } from './helpers/http';

const SECRET = 'e2e-submission-batch-secret-0123456789-abcdefgh';
const token = (sub: string) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));

const QUIL_BELL = 'DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n';

/**
 * The group commit of submissions (JobsService.createTogether): POSTs that arrive together are
 * written in one transaction, and each still gets its own answer. Without workers, so the jobs stay
 * READY with their queue entries as written.
 */
describe('submissions written together', () => {
  let t: TestApp;
  let anon: Http;
  let alice: Http;
  let bob: Http;
  let local: string;
  let aws: string;
  let dAlice: string;
  let dPublic: string;
  let dQuil: string;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false, auth: { jwtSecret: SECRET, jobsPerMinute: 0 } });
    anon = new Http(t.baseUrl);
    alice = anon.as(await token('alice'));
    bob = anon.as(await token('bob'));
    const devices = (await anon.get('/api/devices?limit=100')).body.items as {
      id: string;
      providerName: string;
      name: string;
    }[];
    local = devices.find((d) => d.providerName === 'LOCAL' && d.name === 'statevector-simulator')!.id;
    aws = devices.find((d) => d.providerName === 'AWS' && d.name === 'local_simulator')!.id;
    const deploy = async (who: Http, language: string, text: string) =>
      (
        await who.post('/api/deployments', {
          name: 'b',
          programs: [{ quantumCircuit: text, assemblerLanguage: language }],
        })
      ).body.id as string;
    dAlice = await deploy(alice, 'QASM2', BELL_QASM2);
    dPublic = await deploy(anon, 'QASM2', BELL_QASM2);
    dQuil = await deploy(alice, 'QUIL', QUIL_BELL);
  });
  afterAll(() => t?.close());

  it('answers each of 60 racing submissions on its own: the valid ones are created with their entries, the refused ones write nothing', async () => {
    const queue = t.get<JobQueue>(JobQueue) as PgBossQueue;
    const missing = '0190b6f0-0000-7000-8000-0000000000aa';
    const cases = [
      { who: alice, sub: 'alice', body: { deploymentId: dAlice, deviceId: local }, status: 201 },
      { who: bob, sub: 'bob', body: { deploymentId: dPublic, deviceId: local }, status: 201 },
      { who: anon, sub: null, body: { deploymentId: dPublic, deviceId: local }, status: 201 },
      // bob cannot see alice's deployment: a 404, as for one that does not exist
      { who: bob, sub: 'bob', body: { deploymentId: dAlice, deviceId: local }, status: 404, says: 'deployment' },
      { who: alice, sub: 'alice', body: { deploymentId: missing, deviceId: local }, status: 404, says: 'deployment' },
      { who: alice, sub: 'alice', body: { deploymentId: dAlice, deviceId: missing }, status: 404, says: 'device' },
      // a program the device does not accept: 422 naming the program and the field
      { who: alice, sub: 'alice', body: { deploymentId: dQuil, deviceId: aws }, status: 422, says: 'QUIL' },
    ];
    const sent = Array.from({ length: 60 }, (_, i) => cases[i % cases.length]);
    const replies = await Promise.all(
      sent.map((c, i) => c.who.post('/api/jobs', { ...c.body, shots: 10 + i, name: `batch-${i}` })),
    );
    replies.forEach((r, i) => {
      expect({ i, status: r.status }).toEqual({ i, status: sent[i].status });
      if (sent[i].says) expect(r.body.message).toContain(sent[i].says);
    });
    // The refusal of a program names where it is.
    const refusedProgram = replies[sent.findIndex((c) => c.status === 422)];
    expect(refusedProgram.body).toMatchObject({ field: 'deploymentId', programIndex: 0 });
    const em = t.get<EntityManager>(EntityManager).fork();
    // Several submissions were written in one transaction at least once: the rows of one transaction
    // share its start time (now()), so fewer distinct creation times than jobs.
    const [{ jobs: jobRows, transactions }] = await em
      .getConnection()
      .execute<{ jobs: string; transactions: string }[]>(
        `select count(*) as jobs, count(distinct created_on) as transactions from pgboss.job where name = ?`,
        [JOBS_QUEUE],
      );
    expect(Number(transactions)).toBeLessThan(Number(jobRows));
    const jobs = await em.find(Job, { name: { $like: 'batch-%' } });
    const created = replies.filter((r) => r.status === 201);
    expect(jobs).toHaveLength(created.length);
    const boss = queue.boss;
    for (const r of created) {
      const i = replies.indexOf(r);
      const job = jobs.find((j) => j.id === r.body.id)!;
      // each job as asked, owned by its caller, with its own queue entry waiting in its fair-share group
      expect(job).toMatchObject({ name: `batch-${i}`, shots: 10 + i, state: 'READY', executedBy: sent[i].sub });
      const [entry] = await boss.findJobs(JOBS_QUEUE, { id: job.queueJobId! });
      expect(entry).toMatchObject({ state: 'created', data: { jobId: job.id } });
      const row = (
        await em
          .getConnection()
          .execute<{ group_id: string | null; retry_limit: number; heartbeat_seconds: number; dead_letter: string }[]>(
            'select group_id, retry_limit, heartbeat_seconds, dead_letter from pgboss.job where id = ?',
            [job.queueJobId],
          )
      )[0];
      expect(row).toEqual({
        group_id: sent[i].sub ? `user:${sent[i].sub}` : 'public',
        retry_limit: t.config.jobRetryLimit,
        heartbeat_seconds: t.config.jobHeartbeatSeconds,
        dead_letter: JOBS_DEAD_QUEUE,
      });
      // its one event, numbered 1
      const events = await sent[i].who.get(`/api/jobs/${job.id}/events`);
      expect(events.body.items.map((e: { name: string; seq: number }) => [e.name, e.seq])).toEqual([
        ['job.created', 1],
      ]);
    }
    // nothing of the refused ones: no job, no entry beyond the created ones
    const entries = await em
      .getConnection()
      .execute<{ n: string }[]>(`select count(*) as n from pgboss.job where name = ?`, [JOBS_QUEUE]);
    expect(Number(entries[0].n)).toBe(created.length);
  });
});
