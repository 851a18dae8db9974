import { EntityManager } from '@mikro-orm/postgresql';
import type { AnyDomainEvent } from '../src/events/domain-events';
import { DomainEventBus } from '../src/events/domain-event-bus';
import { Job } from '../src/jobs/job.entity';
import { JobsService } from '../src/jobs/jobs.service';
import { TransientJobState } from '../src/jobs/transient-job-state.entity';
import { Result } from '../src/jobs/result.entity';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

/** saveResults / saveError / cancel against real PostgreSQL, and the domain events they raise after commit. */
describe('job lifecycle on PostgreSQL', () => {
  let t: TestApp;
  let http: Http;
  let jobs: JobsService;
  let em: EntityManager;
  let bus: DomainEventBus;
  let deploymentId: string;
  let programId: string;
  let deviceId: string;
  const events: AnyDomainEvent[] = [];

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false });
    http = new Http(t.baseUrl);
    jobs = t.get(JobsService);
    em = t.get<EntityManager>(EntityManager).fork();
    bus = t.get(DomainEventBus);
    bus.subscribe((e) => events.push(e));
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const dep = await http.post('/api/deployments', {
      name: 'life',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    deploymentId = dep.body.id;
    programId = dep.body.programs[0].id;
  });
  afterAll(() => t?.close());

  async function newRunningJob(): Promise<string> {
    const job = (await http.post('/api/jobs', { deploymentId, deviceId, shots: 10 })).body;
    expect(await jobs.start(job.id)).not.toBeNull();
    await jobs.addTransientState(job.id, { step: 1 }, { program: programId, circuitFragmentId: 'a' });
    await jobs.addTransientState(job.id, { step: 2, kind: 'x' }, { program: programId, circuitFragmentId: 'b' });
    return job.id;
  }

  const eventsOf = (jobId: string) => events.filter((e) => 'jobId' in e.payload && e.payload.jobId === jobId);

  it('saveResults appends results, sets progress 100, FINISHED and finishedAt, deletes transient state, in one commit', async () => {
    const id = await newRunningJob();
    expect(await jobs.getTransientState(id)).toHaveLength(2);
    const { applied } = await jobs.saveResults(id, [
      { resultType: 'COUNTS', data: { '0x0': 6, '0x3': 4 }, meta: { format: 'hex', shots: 10 } },
      { resultType: 'PROBABILITIES', data: { '0x0': 0.6, '0x3': 0.4 }, meta: { format: 'hex', shots: 10 } },
    ]);
    expect(applied).toBe(true);
    const job = await em.fork().findOneOrFail(Job, id, { populate: ['results'] });
    expect(job).toMatchObject({ state: 'FINISHED', progress: 100 });
    expect(job.finishedAt).toBeInstanceOf(Date);
    expect(job.results.getItems().map((r) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    expect(await em.fork().count(TransientJobState, { job: id })).toBe(0);

    const api = await http.get(`/api/jobs/${id}`);
    expect(api.body.results.map((r: { resultType: string }) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    const one = await http.get(`/api/jobs/${id}/results/${api.body.results[0].id}`);
    expect(one.body.data).toEqual({ '0x0': 6, '0x3': 4 });

    // Events arrive after commit, numbered without gaps; results come before the terminal state.
    await waitUntil(
      async () => eventsOf(id).some((e) => e.name === 'job.state' && e.payload.state === 'FINISHED'),
      'FINISHED event',
    );
    const mine = eventsOf(id);
    expect(mine.map((e) => e.name)).toEqual(['job.created', 'job.state', 'job.result', 'job.result', 'job.state']);
    expect(mine.map((e) => (e.payload as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
    expect(job.eventSeq).toBe(5);
  });

  it('saveError adds an ERROR result with message and stack, sets ERROR, in one commit', async () => {
    const id = await newRunningJob();
    const err = new Error('the circuit is too wide');
    await jobs.saveError(id, err, { programId, data: { qubits: 40 }, meta: { worker: 'w1' } });
    const job = await em.fork().findOneOrFail(Job, id, { populate: ['results'] });
    expect(job).toMatchObject({ state: 'ERROR', progress: 100 });
    expect(job.finishedAt).toBeInstanceOf(Date);
    const [result] = job.results.getItems();
    expect(result.resultType).toBe('ERROR');
    expect(result.program?.id).toBe(programId);
    expect(result.data).toEqual({ exceptionMessage: 'the circuit is too wide', qubits: 40 });
    expect(result.meta).toMatchObject({ worker: 'w1' });
    expect(String(result.meta.stackTrace)).toContain('job-lifecycle.e2e-spec');
    expect(await em.fork().count(TransientJobState, { job: id })).toBe(0);
    await waitUntil(
      async () => eventsOf(id).some((e) => e.name === 'job.state' && e.payload.state === 'ERROR'),
      'ERROR event',
    );
    expect(
      eventsOf(id)
        .map((e) => e.name)
        .slice(-2),
    ).toEqual(['job.error', 'job.state']);
  });

  it('a failure inside saveResults leaves nothing half-written and raises no event', async () => {
    const id = await newRunningJob();
    const before = eventsOf(id).length;
    // PostgreSQL refuses \u0000 in jsonb: the second insert fails after the first result was written.
    await expect(
      jobs.saveResults(id, [
        { resultType: 'COUNTS', data: { '0x0': 1 } },
        { resultType: 'PROBABILITIES', data: { bad: 'nul\u0000byte' } },
      ]),
    ).rejects.toThrow();
    const job = await em.fork().findOneOrFail(Job, id);
    expect(job).toMatchObject({ state: 'RUNNING', progress: 0, finishedAt: null });
    expect(await em.fork().count(Result, { job: id })).toBe(0);
    expect(await em.fork().count(TransientJobState, { job: id })).toBe(2);
    // A later event of the job proves the stream moved on without the rolled-back ones.
    await jobs.updateProgress(id, 50);
    await waitUntil(async () => eventsOf(id).some((e) => e.name === 'job.progress'), 'progress event');
    const after = eventsOf(id).slice(before);
    expect(after.map((e) => e.name)).toEqual(['job.progress']);
    const seqs = eventsOf(id).map((e) => (e.payload as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('a failure inside saveError leaves nothing half-written', async () => {
    const id = await newRunningJob();
    await expect(jobs.saveError(id, new Error('bad'), { data: { junk: 'x\u0000' } })).rejects.toThrow();
    const job = await em.fork().findOneOrFail(Job, id);
    expect(job.state).toBe('RUNNING');
    expect(await em.fork().count(Result, { job: id })).toBe(0);
    expect(await em.fork().count(TransientJobState, { job: id })).toBe(2);
  });

  it('a terminal state is final: late saveResults, saveError and progress change nothing', async () => {
    const id = await newRunningJob();
    await jobs.saveResults(id, [{ resultType: 'COUNTS', data: { '0x0': 10 } }]);
    expect((await jobs.saveResults(id, [{ resultType: 'COUNTS', data: { '0x1': 10 } }])).applied).toBe(false);
    expect((await jobs.saveError(id, new Error('late'))).applied).toBe(false);
    expect(await jobs.updateProgress(id, 10)).toBe(false);
    const job = await em.fork().findOneOrFail(Job, id, { populate: ['results'] });
    expect(job.state).toBe('FINISHED');
    expect(job.results.getItems().map((r) => r.data)).toEqual([{ '0x0': 10 }]);
  });

  it('a cancel racing a finish leaves exactly one terminal state', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await newRunningJob();
      const [cancel, finish] = await Promise.allSettled([
        http.post(`/api/jobs/${id}/cancel`),
        jobs.saveResults(id, [{ resultType: 'COUNTS', data: { '0x0': 10 } }]),
      ]);
      expect(finish.status).toBe('fulfilled');
      const job = await em.fork().findOneOrFail(Job, id, { populate: ['results'] });
      const canceled = cancel.status === 'fulfilled' && cancel.value.status === 200;
      if (canceled) {
        expect(job.state).toBe('CANCELED');
        expect(job.results.count()).toBe(0);
        expect((finish as PromiseFulfilledResult<{ applied: boolean }>).value.applied).toBe(false);
      } else {
        expect(job.state).toBe('FINISHED');
        expect(job.results.count()).toBe(1);
        expect(cancel.status === 'fulfilled' && cancel.value.status).toBe(409);
      }
    }
  });

  it('concurrent writers of one job keep its seq gapless and strictly increasing, results before the end', async () => {
    const id = await newRunningJob();
    // Progress updates race the results: each is its own unit of work on the same job row.
    await Promise.all([
      ...[10, 20, 30, 40, 50, 60].map((p) => jobs.updateProgress(id, p)),
      jobs.saveResults(id, [
        { resultType: 'COUNTS', data: { '0x0': 5, '0x3': 5 } },
        { resultType: 'PROBABILITIES', data: { '0x0': 0.5, '0x3': 0.5 } },
      ]),
    ]);
    await waitUntil(
      async () => eventsOf(id).some((e) => e.name === 'job.state' && e.payload.state === 'FINISHED'),
      'FINISHED event',
    );
    const mine = eventsOf(id);
    const seqs = mine.map((e) => (e.payload as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const names = mine.map((e) => e.name);
    expect(names.slice(-3)).toEqual(['job.result', 'job.result', 'job.state']);
    const job = await em.fork().findOneOrFail(Job, id);
    expect(job.eventSeq).toBe(seqs[seqs.length - 1]);
    // The outbox rows carry the same numbers, once each.
    const rows = await em
      .fork()
      .getConnection()
      .execute<{ seq: number }[]>('select seq from outbox_event where job_id = ? order by id', [id]);
    expect(rows.map((r) => r.seq)).toEqual(seqs);

    // An event whose job row the flush does not update (job.deleted) is numbered by the trigger: next seq.
    await http.delete(`/api/jobs/${id}`);
    await waitUntil(async () => eventsOf(id).some((e) => e.name === 'job.deleted'), 'deleted event');
    const deleted = eventsOf(id).find((e) => e.name === 'job.deleted')!;
    expect((deleted.payload as { seq: number }).seq).toBe(seqs[seqs.length - 1] + 1);
  });

  it('reads transient state by program, fragment and filter', async () => {
    const id = await newRunningJob();
    expect(await jobs.getTransientState(id, { circuitFragmentId: 'a' })).toHaveLength(1);
    expect(await jobs.getTransientState(id, { program: programId })).toHaveLength(2);
    expect(await jobs.getTransientState(id, { filter: { kind: 'x' } })).toHaveLength(1);
    expect(await jobs.getTransientStateKey(id, 'step', 0, { filter: { kind: 'x' } })).toBe(2);
    expect(await jobs.getTransientStateKey(id, 'missing', 'fallback')).toBe('fallback');
  });

  it('finds jobs by deployment with the ownership rule', async () => {
    const own = em.fork();
    const template = await own.findOneOrFail(Job, { deployment: deploymentId });
    own.create(Job, {
      executedBy: 'alice',
      executedOn: template.executedOn,
      deployment: template.deployment,
      shots: 1,
      createdAt: new Date(),
    });
    own.create(Job, {
      executedBy: 'bob',
      executedOn: template.executedOn,
      deployment: template.deployment,
      shots: 1,
      createdAt: new Date(),
    });
    await own.flush();
    const [all] = await jobs.findByDeployment(deploymentId);
    const [anon] = await jobs.findByDeployment(deploymentId, { userId: null, isAdmin: false, roles: [] });
    const [alice] = await jobs.findByDeployment(deploymentId, { userId: 'alice', isAdmin: false, roles: [] });
    expect(anon.every((j) => j.executedBy === null)).toBe(true);
    expect(alice.filter((j) => j.executedBy !== null).map((j) => j.executedBy)).toEqual(['alice']);
    expect(alice.length).toBe(anon.length + 1);
    expect(all.length).toBe(anon.length + 2);
  });
});
