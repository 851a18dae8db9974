import { EntityManager } from '@mikro-orm/postgresql';
import { DomainEventBus } from '../src/events/domain-event-bus';
import type { AnyDomainEvent } from '../src/events/domain-events';
import { Job } from '../src/jobs/job.entity';
import { JobsService } from '../src/jobs/jobs.service';
import { Provider } from '../src/devices/provider.entity';
import { QuantumProgram } from '../src/deployments/quantum-program.entity';
import { JOBS_QUEUE, PgBossQueue } from '../src/queue/pg-boss.queue';
import { startTestApp, type TestApp } from './helpers/app';
import { freshDatabase } from './helpers/database';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';
import { longQasm3 } from './helpers/circuits';

const TERMINAL = new Set(['FINISHED', 'ERROR', 'CANCELED']);

/** Jobs run through the real queue and workers: POST /api/jobs to FINISHED, ERROR or CANCELED. */
describe('execution workers', () => {
  let t: TestApp;
  let http: Http;
  let em: EntityManager;
  let deviceId: string;
  const events: AnyDomainEvent[] = [];

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, workerConcurrency: 2 });
    http = new Http(t.baseUrl);
    em = t.get<EntityManager>(EntityManager).fork();
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    t.get<DomainEventBus>(DomainEventBus).subscribe((e) => events.push(e));
  });

  const eventsOf = (jobId: string) => events.filter((e) => 'jobId' in e.payload && e.payload.jobId === jobId);
  afterAll(() => t?.close());

  async function deploy(
    programs: { quantumCircuit: string; assemblerLanguage?: string }[],
  ): Promise<{ id: string; programIds: string[] }> {
    const res = await http.post('/api/deployments', {
      name: 'exec',
      programs: programs.map((p) => ({ assemblerLanguage: 'QASM2', ...p })),
    });
    expect(res.status).toBe(201);
    return { id: res.body.id, programIds: res.body.programs.map((p: { id: string }) => p.id) };
  }

  async function submit(deploymentId: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await http.post('/api/jobs', { deploymentId, deviceId, shots: 1000, ...extra });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function finished(id: string, timeoutMs = 30_000): Promise<any> {
    return waitUntil(
      async () => {
        const job = (await http.get(`/api/jobs/${id}`)).body;
        return TERMINAL.has(job.state) ? job : undefined;
      },
      `job ${id} to end`,
      timeoutMs,
    );
  }

  it('runs a Bell job from POST /api/jobs to FINISHED with counts, probabilities and linked programs', async () => {
    const dep = await deploy([{ quantumCircuit: BELL_QASM2 }]);
    const job = await finished(await submit(dep.id));
    expect(job.state).toBe('FINISHED');
    expect(job.progress).toBe(100);
    expect(job.startedAt).toEqual(expect.any(String));
    expect(job.finishedAt).toEqual(expect.any(String));
    expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.startedAt));
    const counts = job.results.find((r: any) => r.resultType === 'COUNTS');
    const probs = job.results.find((r: any) => r.resultType === 'PROBABILITIES');
    expect(counts).toBeDefined();
    expect(probs).toBeDefined();
    expect(job.results).toHaveLength(2);
    for (const r of job.results) expect(r.programId).toBe(dep.programIds[0]);
    const keys = Object.keys(counts.data);
    for (const k of keys) expect(['0x0', '0x3']).toContain(k);
    expect(Object.values(counts.data as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(counts.meta).toMatchObject({ format: 'hex', shots: 1000, registers: [{ name: 'c', size: 2 }] });
    const psum = Object.values(probs.data as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(psum).toBeCloseTo(1, 9);
    for (const k of keys) expect(probs.data[k]).toBeCloseTo(counts.data[k] / 1000, 12);
    const row = await em.fork().findOneOrFail(Job, job.id);
    expect(row.attempts).toBe(1);
  });

  it('gives identical counts for the same seed', async () => {
    const dep = await deploy([{ quantumCircuit: BELL_QASM2 }]);
    const [a, b] = await Promise.all([submit(dep.id, { seed: 42 }), submit(dep.id, { seed: 42 })]);
    const [ja, jb] = await Promise.all([finished(a), finished(b)]);
    const countsOf = (j: any) => j.results.find((r: any) => r.resultType === 'COUNTS');
    expect(ja.state).toBe('FINISHED');
    expect(jb.state).toBe('FINISHED');
    expect(countsOf(ja).data).toEqual(countsOf(jb).data);
    expect(countsOf(ja).meta.seed).toBe(42);
  });

  it('runs every program of a deployment in order, each result linked to its program', async () => {
    const ghz = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\nmeasure q -> c;\n`;
    const dep = await deploy([{ quantumCircuit: BELL_QASM2 }, { quantumCircuit: ghz }]);
    const job = await finished(await submit(dep.id));
    expect(job.state).toBe('FINISHED');
    // Results come in program order (ids are monotonic UUIDv7s, and results are ordered by id).
    expect(job.results.map((r: any) => [r.programId, r.resultType])).toEqual([
      [dep.programIds[0], 'COUNTS'],
      [dep.programIds[0], 'PROBABILITIES'],
      [dep.programIds[1], 'COUNTS'],
      [dep.programIds[1], 'PROBABILITIES'],
    ]);
    const ghzCounts = job.results.find((r: any) => r.programId === dep.programIds[1] && r.resultType === 'COUNTS');
    expect(ghzCounts.meta.registers).toEqual([{ name: 'c', size: 3 }]);
    for (const k of Object.keys(ghzCounts.data)) expect(['0x0', '0x7']).toContain(k);
  });

  it('gives QUASI_DIST for a SAMPLER job and <ZZ> = 1 for an ESTIMATOR job on Bell', async () => {
    const dep = await deploy([{ quantumCircuit: BELL_QASM2 }]);
    const [s, e] = await Promise.all([
      submit(dep.id, { type: 'SAMPLER' }),
      submit(dep.id, {
        type: 'ESTIMATOR',
        observables: [{ pauli: 'ZZ' }, { pauli: 'XX', coefficient: 2 }, { pauli: 'ZI' }],
      }),
    ]);
    const sampler = await finished(s);
    expect(sampler.state).toBe('FINISHED');
    expect(sampler.results.map((r: any) => r.resultType)).toEqual(['QUASI_DIST']);
    const quasi = sampler.results[0];
    for (const k of Object.keys(quasi.data)) expect(['0x0', '0x3']).toContain(k);
    expect(Object.values(quasi.data as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);

    const estimator = await finished(e);
    expect(estimator.state).toBe('FINISHED');
    const values = estimator.results.filter((r: any) => r.resultType === 'VALUE_AND_VARIANCE');
    expect(values).toHaveLength(3);
    const byObs = Object.fromEntries(values.map((r: any) => [r.meta.observable, r.data]));
    expect(byObs.ZZ.value).toBeCloseTo(1, 12);
    expect(byObs.ZZ.variance).toBeCloseTo(0, 12);
    expect(byObs.XX.value).toBeCloseTo(2, 12);
    expect(byObs.ZI.value).toBeCloseTo(0, 12);
    expect(byObs.ZI.variance).toBeCloseTo(1, 12);
  });

  it('ends in ERROR naming the language when the engine cannot read a stored program', async () => {
    // Uploads refuse QRISP today; a row stored before (the check constraint keeps QRISP for them), on
    // a provider that claims it, gets through POST /api/jobs to the worker, which must refuse it.
    const dep = await deploy([{ quantumCircuit: BELL_QASM2 }, { quantumCircuit: BELL_QASM2 }]);
    await em.fork().nativeUpdate(QuantumProgram, { id: dep.programIds[1] }, { assemblerLanguage: 'QRISP' });
    const provider = await em.fork().findOneOrFail(Provider, { name: 'LOCAL' });
    const before = provider.supportedLanguages;
    await em.fork().nativeUpdate(Provider, { id: provider.id }, { supportedLanguages: [...before, 'QRISP'] });
    let id: string;
    try {
      id = await submit(dep.id);
      const job = await finished(id);
      expect(job.state).toBe('ERROR');
      const error = job.results.find((r: any) => r.resultType === 'ERROR');
      expect(error.programId).toBe(dep.programIds[1]);
      expect(error.data.exceptionMessage).toMatch(/program 1 is written in QRISP/);
      expect(error.data.exceptionMessage).toMatch(/QASM2, QASM3/);
      // The Bell program before it did not produce results either: the job is refused as a whole.
      expect(job.results.filter((r: any) => r.resultType === 'COUNTS')).toHaveLength(0);
    } finally {
      await em.fork().nativeUpdate(Provider, { id: provider.id }, { supportedLanguages: before });
    }
    // An ERROR is an outcome, not a crash: the queue entry is completed, not retried.
    const row = await em.fork().findOneOrFail(Job, id);
    expect(row.attempts).toBe(1);
    // The worker completes the entry right after the job's commit: wait for it, then check it was not retried.
    const entry = await waitUntil(
      async () => {
        const [e] = await t.get<PgBossQueue>(PgBossQueue).boss.findJobs(JOBS_QUEUE, { id: row.queueJobId! });
        return e?.state === 'active' ? undefined : e;
      },
      'the queue entry to end',
      10_000,
    );
    expect(entry).toMatchObject({ state: 'completed', retryCount: 0 });
  });

  it('ends in ERROR with line and column when a stored program does not parse', async () => {
    const dep = await deploy([{ quantumCircuit: BELL_QASM2 }]);
    // Uploads are validated; a program changed behind the API's back reaches the worker unparsed.
    await em
      .fork()
      .nativeUpdate(
        QuantumProgram,
        { id: dep.programIds[0] },
        { quantumCircuit: 'OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n' },
      );
    const job = await finished(await submit(dep.id));
    expect(job.state).toBe('ERROR');
    const error = job.results.find((r: any) => r.resultType === 'ERROR');
    expect(error.programId).toBe(dep.programIds[0]);
    expect(error.data.exceptionMessage).toMatch(/^program 0 does not parse: .*\(line 3, column \d+\)$/);
    expect(error.data).toMatchObject({ line: 3 });
  });

  it('ends in ERROR when a circuit is wider than the device', async () => {
    const wide = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[21];\ncreg c[21];\nh q[0];\nmeasure q -> c;\n`;
    const dep = await deploy([{ quantumCircuit: wide }]);
    const job = await finished(await submit(dep.id));
    expect(job.state).toBe('ERROR');
    const error = job.results.find((r: any) => r.resultType === 'ERROR');
    expect(error.programId).toBe(dep.programIds[0]);
    expect(error.data.exceptionMessage).toMatch(
      /uses 21 qubits, more than the 20 of device LOCAL\/statevector-simulator/,
    );
    expect(error.meta.stackTrace).toEqual(expect.any(String));
  });

  it('ends in ERROR with the simulator reason for an ESTIMATOR observable of the wrong width', async () => {
    const dep = await deploy([{ quantumCircuit: BELL_QASM2 }]);
    const job = await finished(await submit(dep.id, { type: 'ESTIMATOR', observables: [{ pauli: 'ZZZ' }] }));
    expect(job.state).toBe('ERROR');
    const error = job.results.find((r: any) => r.resultType === 'ERROR');
    expect(error.data.exceptionMessage).toMatch(/observable ZZZ has 3 Paulis, but the circuit has 2 qubits/);
  });

  it('raises progress while a longer job runs, throttled, never backwards, then 100 with the results', async () => {
    const dep = await deploy([
      { quantumCircuit: longQasm3(20, 20), assemblerLanguage: 'QASM3' },
      { quantumCircuit: longQasm3(20, 20), assemblerLanguage: 'QASM3' },
    ]);
    const id = await submit(dep.id, { shots: 100 });
    const job = await finished(id, 60_000);
    expect(job.state).toBe('FINISHED');
    await waitUntil(
      async () => eventsOf(id).some((e) => e.name === 'job.state' && e.payload.state === 'FINISHED'),
      'FINISHED event',
    );
    const progress = eventsOf(id)
      .filter((e) => e.name === 'job.progress')
      .map((e) => (e.payload as { progress: number }).progress);
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]);
    expect(Math.max(...progress)).toBeLessThan(100);
    const names = eventsOf(id).map((e) => e.name);
    expect(names.indexOf('job.progress')).toBeGreaterThan(names.indexOf('job.state'));
    expect(names.lastIndexOf('job.progress')).toBeLessThan(names.indexOf('job.result'));
  });

  it('stops a RUNNING job canceled through the API: CANCELED, no counts', async () => {
    const dep = await deploy([{ quantumCircuit: longQasm3(20, 400), assemblerLanguage: 'QASM3' }]);
    const id = await submit(dep.id, { shots: 100 });
    await waitUntil(async () => (await http.get(`/api/jobs/${id}`)).body.state === 'RUNNING', 'job to run');
    const cancel = await http.post(`/api/jobs/${id}/cancel`);
    expect(cancel.status).toBeLessThan(300);
    const job = await finished(id);
    expect(job.state).toBe('CANCELED');
    await waitUntil(
      async () => eventsOf(id).some((e) => e.name === 'job.state' && e.payload.state === 'CANCELED'),
      'CANCELED event',
    );
    const states = eventsOf(id)
      .filter((e) => e.name === 'job.state')
      .map((e) => (e.payload as { state: string }).state);
    expect(states).toEqual(['RUNNING', 'CANCELED']);
    expect(job.results.filter((r: any) => r.resultType === 'COUNTS')).toHaveLength(0);
    // The worker let go of it: a new job runs to the end on the freed slot.
    const next = await finished(await submit((await deploy([{ quantumCircuit: BELL_QASM2 }])).id));
    expect(next.state).toBe('FINISHED');
  });

  it('on shutdown hands a running job back to the queue, and another instance takes it up', async () => {
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
      const dep = await ha.post('/api/deployments', {
        name: 'shutdown',
        programs: [{ quantumCircuit: longQasm3(20, 1500), assemblerLanguage: 'QASM3' }],
      });
      const id = (await ha.post('/api/jobs', { deploymentId: dep.body.id, deviceId: dev, shots: 10 })).body.id;
      await waitUntil(async () => (await ha.get(`/api/jobs/${id}`)).body.state === 'RUNNING', 'job to run');
      await a.app.close();
      a = undefined;

      b = await startTestApp({ runWorkers: true, workerConcurrency: 1, databaseUrl: db.url });
      const hb = new Http(b.baseUrl);
      const emb = b.get<EntityManager>(EntityManager).fork();
      const row = await waitUntil(async () => {
        const j = await emb.fork().findOneOrFail(Job, id);
        return j.state === 'RUNNING' && j.attempts === 2 ? j : undefined;
      }, 'the job to run again');
      expect(row.attempts).toBe(2);
      expect((await hb.post(`/api/jobs/${id}/cancel`)).status).toBeLessThan(300);
      const job = await waitUntil(async () => {
        const j = (await hb.get(`/api/jobs/${id}`)).body;
        return TERMINAL.has(j.state) ? j : undefined;
      }, 'the job to end');
      expect(job.state).toBe('CANCELED');
      expect(job.results).toEqual([]);
    } finally {
      await a?.app.close();
      await b?.app.close();
      await db.drop();
    }
  }, 120_000);

  it('ends in ERROR a RUNNING job whose queue entry is gone (nobody would ever finish it)', async () => {
    const db = await freshDatabase();
    let a: TestApp | undefined;
    let b: TestApp | undefined;
    try {
      a = await startTestApp({ runWorkers: false, databaseUrl: db.url });
      const ha = new Http(a.baseUrl);
      const dev = (await ha.get('/api/devices?provider=LOCAL')).body.items.find(
        (d: { name: string }) => d.name === 'statevector-simulator',
      ).id;
      const dep = await ha.post('/api/deployments', {
        name: 'orphan',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      });
      const id = (await ha.post('/api/jobs', { deploymentId: dep.body.id, deviceId: dev, shots: 10 })).body.id;
      // A worker that claimed the entry and started the job, then its entry vanished (deleted by hand).
      const boss = a.get<PgBossQueue>(PgBossQueue).boss;
      const [entry] = await boss.fetch(JOBS_QUEUE);
      expect(entry.data).toEqual({ jobId: id });
      expect(await a.get<JobsService>(JobsService).start(id)).not.toBeNull();
      await boss.deleteJob(JOBS_QUEUE, entry.id);

      b = await startTestApp({ runWorkers: true, databaseUrl: db.url });
      const job = await waitUntil(async () => {
        const j = (await ha.get(`/api/jobs/${id}`)).body;
        return TERMINAL.has(j.state) ? j : undefined;
      }, 'the orphaned job to end');
      expect(job.state).toBe('ERROR');
      expect(job.results[0].data).toMatchObject({ reason: 'queue-entry-lost', queueState: null });
      expect(job.results[0].data.exceptionMessage).toMatch(/queue entry of this RUNNING job is gone/);
    } finally {
      await a?.app.close();
      await b?.app.close();
      await db.drop();
    }
  });
});
