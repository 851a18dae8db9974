import { defineConfig, MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { DeploymentSchema } from '../deployments/deployment.entity';
import { QuantumProgram, QuantumProgramSchema } from '../deployments/quantum-program.entity';
import { Device, DeviceSchema } from '../devices/device.entity';
import { ProviderSchema } from '../devices/provider.entity';
import { Job, JobSchema } from './job.entity';
import { JOB_STATES, TERMINAL_STATES, TRANSITIONS, type JobState } from './job.enums';
import { Result, ResultSchema } from './result.entity';
import { TransientJobState, TransientJobStateSchema } from './transient-job-state.entity';

// The ORM is initialised for its metadata only: the entities need it for their defaults and their
// collections. It gets the job's entity schemas and those they reference, and the app's settings that
// matter here (no global context, UTC). MikroORM 7's init does not connect: the connection is made on
// the first query, and none is made here (port 1 would refuse it anyway).
let orm: MikroORM;
let em: EntityManager;

beforeAll(async () => {
  orm = await MikroORM.init(
    defineConfig({
      clientUrl: 'postgresql://nobody@127.0.0.1:1/nowhere',
      entities: [
        ProviderSchema,
        DeviceSchema,
        DeploymentSchema,
        QuantumProgramSchema,
        JobSchema,
        ResultSchema,
        TransientJobStateSchema,
      ],
      allowGlobalContext: false,
      forceUtcTimezone: true,
    }),
  );
});

afterAll(async () => {
  // No connection was ever opened (not merely a failed one).
  expect(await orm.checkConnection()).toEqual({ ok: false, reason: 'Connection not established' });
  await orm.close(true);
});

beforeEach(() => {
  em = orm.em.fork();
});

const DEVICE_ID = '0190b6f0-0000-7000-8000-00000000d001';
const PROGRAM_ID = '0190b6f0-0000-7000-8000-00000000a001';
const T0 = new Date('2025-01-02T03:04:05.000Z');
const T1 = new Date('2025-01-02T03:09:00.000Z');

/** A new job, as JobsService creates one, put into `state` directly (as a loaded row would be). */
function newJob(state: JobState = 'READY', fields: Partial<Pick<Job, 'progress' | 'attempts'>> = {}): Job {
  const job = em.create(Job, { shots: 100, executedOn: em.getReference(Device, DEVICE_ID) });
  job.state = state;
  Object.assign(job, fields);
  return job;
}

/**
 * A job as the ORM builds it from a row: its collections are not loaded, unless `transientStates`
 * rows are given, which are loaded into its collection as `populate: ['transientStates']` would.
 */
function loadedJob(state: JobState, progress = 0, transientStates = 0): Job {
  const factory = em.getEntityFactory();
  const loaded = { merge: true, newEntity: false, initialized: true };
  const job = factory.create(
    Job,
    {
      id: '0190b6f0-0000-7000-8000-00000000b001',
      shots: 100,
      executedOn: DEVICE_ID,
      state,
      progress,
      attempts: 1,
      eventSeq: 3,
      version: 2,
    },
    loaded,
  );
  if (transientStates > 0) {
    const rows = Array.from({ length: transientStates }, (_, i) =>
      factory.create(
        TransientJobState,
        { id: `0190b6f0-0000-7000-8000-00000000c00${i}`, job: job.id, data: { fragment: i } },
        loaded,
      ),
    );
    job.transientStates.hydrate(rows);
  }
  return job;
}

/** The transient state rows the unit of work will delete at the next flush (orphan removal). */
function orphansToDelete(): TransientJobState[] {
  return [...em.getUnitOfWork().getOrphanRemoveStack()].filter((e) => e instanceof TransientJobState);
}

/** Everything a domain method may change. */
function snapshot(job: Job) {
  return {
    state: job.state,
    progress: job.progress,
    attempts: job.attempts,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    results: job.results.getItems().map((r) => ({ resultType: r.resultType, data: r.data })),
    transientStates: job.transientStates.count(),
  };
}

type Method = 'start' | 'updateProgress' | 'saveResults' | 'saveError' | 'cancel' | 'requeue';
const METHODS: Record<Method, (job: Job) => boolean> = {
  start: (job) => job.start(T1),
  updateProgress: (job) => job.updateProgress(70),
  saveResults: (job) => job.saveResults([{ resultType: 'COUNTS', data: { '00': 1 } }], 'FINISHED', T1),
  saveError: (job) => job.saveError({ message: 'late' }, null, {}, {}, T1),
  cancel: (job) => job.cancel(T1),
  requeue: (job) => job.requeue(),
};

const NON_TERMINAL = JOB_STATES.filter((s) => !TERMINAL_STATES.has(s));
const TERMINAL = JOB_STATES.filter((s) => TERMINAL_STATES.has(s));

describe('the transition table', () => {
  it('is the documented one, and exactly the terminal states have no way out', () => {
    expect(TRANSITIONS).toEqual({
      READY: ['RUNNING', 'BLOCKED', 'CANCELED', 'ERROR', 'FINISHED'],
      BLOCKED: ['READY', 'CANCELED', 'ERROR'],
      RUNNING: ['READY', 'FINISHED', 'ERROR', 'CANCELED'],
      FINISHED: [],
      ERROR: [],
      CANCELED: [],
    });
    expect([...TERMINAL_STATES].sort()).toEqual(['CANCELED', 'ERROR', 'FINISHED']);
    for (const state of JOB_STATES) {
      expect(TRANSITIONS[state].length === 0).toBe(TERMINAL_STATES.has(state));
      for (const to of TRANSITIONS[state]) expect(JOB_STATES).toContain(to);
    }
  });

  it.each(JOB_STATES)('isTerminal of a %s job follows TERMINAL_STATES', (state) => {
    expect(newJob(state).isTerminal).toBe(TERMINAL_STATES.has(state));
  });

  it.each(JOB_STATES)('canMoveTo from %s agrees with TRANSITIONS for every target state', (from) => {
    const job = newJob(from);
    for (const to of JOB_STATES) {
      expect({ to, allowed: job.canMoveTo(to) }).toEqual({
        to,
        allowed: to === from || TRANSITIONS[from].includes(to),
      });
    }
    expect(job.state).toBe(from);
  });

  it.each(NON_TERMINAL)('every method applied to a %s job lands in a state TRANSITIONS allows', (from) => {
    for (const [name, apply] of Object.entries(METHODS)) {
      const job = newJob(from, { progress: 10 });
      const before = snapshot(job);
      const applied = apply(job);
      if (applied) {
        expect({ name, to: job.state, allowed: TRANSITIONS[from].includes(job.state) || job.state === from }).toEqual({
          name,
          to: job.state,
          allowed: true,
        });
      } else {
        expect({ name, after: snapshot(job) }).toEqual({ name, after: before });
      }
    }
  });
});

describe('a new job', () => {
  it('is READY with no progress, no attempts, an id and empty loaded collections', () => {
    const job = newJob();
    expect(job).toMatchObject({ state: 'READY', progress: 0, attempts: 0, eventSeq: 1, type: 'RUNNER' });
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.startedAt).toBeUndefined();
    expect(job.finishedAt).toBeUndefined();
    expect(job.results.isInitialized()).toBe(true);
    expect(job.results.count()).toBe(0);
    expect(job.transientStates.isInitialized()).toBe(true);
  });
});

describe('start', () => {
  it('moves READY to RUNNING, counts the attempt and sets startedAt', () => {
    const job = newJob('READY');
    expect(job.start(T0)).toBe(true);
    expect(job).toMatchObject({ state: 'RUNNING', attempts: 1, progress: 0, startedAt: T0 });
    expect(job.finishedAt).toBeUndefined();
  });

  it('starts a RUNNING job again on a retry: another attempt, a new startedAt, progress from 0', () => {
    const job = newJob('READY');
    job.start(T0);
    job.updateProgress(55);
    expect(job.start(T1)).toBe(true);
    expect(job).toMatchObject({ state: 'RUNNING', attempts: 2, progress: 0, startedAt: T1 });
  });

  it('is refused for a BLOCKED job, which may not move to RUNNING', () => {
    const job = newJob('BLOCKED');
    expect(job.canMoveTo('RUNNING')).toBe(false);
    expect(job.start(T0)).toBe(false);
    expect(job).toMatchObject({ state: 'BLOCKED', attempts: 0 });
    expect(job.startedAt).toBeUndefined();
  });

  it.each(TERMINAL)('is refused for a %s job', (state) => {
    const job = newJob(state, { progress: 100, attempts: 1 });
    expect(job.start(T0)).toBe(false);
    expect(job).toMatchObject({ state, attempts: 1, progress: 100 });
    expect(job.startedAt).toBeUndefined();
  });
});

describe('updateProgress', () => {
  it('refuses a figure that is not a finite number, and changes nothing', () => {
    const job = newJob('RUNNING');
    expect(job.updateProgress(20)).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) expect(job.updateProgress(bad)).toBe(false);
    expect(job.progress).toBe(20);
  });

  it('raises progress and never lowers it', () => {
    const job = newJob('RUNNING');
    expect(job.updateProgress(40)).toBe(true);
    expect(job.progress).toBe(40);
    expect(job.updateProgress(30)).toBe(false);
    expect(job.progress).toBe(40);
    expect(job.updateProgress(40)).toBe(false);
    expect(job.updateProgress(41)).toBe(true);
    expect(job.progress).toBe(41);
  });

  it('rounds to a whole percent and clamps to 0..100', () => {
    const job = newJob('RUNNING');
    expect(job.updateProgress(-20)).toBe(false);
    expect(job.progress).toBe(0);
    expect(job.updateProgress(12.6)).toBe(true);
    expect(job.progress).toBe(13);
    expect(job.updateProgress(13.4)).toBe(false);
    expect(job.progress).toBe(13);
    expect(job.updateProgress(250)).toBe(true);
    expect(job.progress).toBe(100);
    expect(job.updateProgress(Infinity)).toBe(false);
    expect(job.progress).toBe(100);
  });

  it('also applies to a job that is not running yet (only terminal jobs refuse it)', () => {
    const job = newJob('READY');
    expect(job.updateProgress(5)).toBe(true);
    expect(job).toMatchObject({ state: 'READY', progress: 5 });
  });

  it.each(TERMINAL)('is refused for a %s job', (state) => {
    const job = newJob(state, { progress: 20 });
    expect(job.updateProgress(90)).toBe(false);
    expect(job.progress).toBe(20);
  });
});

describe('saveResults', () => {
  it('appends the results, sets progress 100, FINISHED and finishedAt', () => {
    const job = newJob('RUNNING', { progress: 60 });
    const program = em.getReference(QuantumProgram, PROGRAM_ID);
    const earlier = em.create(Result, { job, resultType: 'UPLOAD_SUCCESSFUL', data: {}, meta: {} });
    job.results.add(earlier);

    expect(
      job.saveResults(
        [
          { program, resultType: 'COUNTS', data: { '00': 6, '11': 4 }, meta: { shots: 10 } },
          { resultType: 'PROBABILITIES', data: { '00': 0.6 } },
        ],
        undefined,
        T1,
      ),
    ).toBe(true);

    expect(job).toMatchObject({ state: 'FINISHED', progress: 100, finishedAt: T1 });
    const results = job.results.getItems();
    expect(results).toHaveLength(3);
    expect(results[0]).toBe(earlier);
    expect(results[1]).toBeInstanceOf(Result);
    expect(results[1]).toMatchObject({
      job,
      program,
      resultType: 'COUNTS',
      data: { '00': 6, '11': 4 },
      meta: { shots: 10 },
    });
    expect(results[1].createdAt).toBeInstanceOf(Date);
    expect(results[2]).toMatchObject({
      job,
      program: null,
      resultType: 'PROBABILITIES',
      data: { '00': 0.6 },
    });
    expect(results[2].meta).toEqual({});
  });

  it('finishes a job with no results at all', () => {
    const job = newJob('RUNNING');
    expect(job.saveResults([], 'FINISHED', T1)).toBe(true);
    expect(job).toMatchObject({ state: 'FINISHED', progress: 100, finishedAt: T1 });
    expect(job.results.count()).toBe(0);
  });

  it('may end in another reachable state than FINISHED', () => {
    const job = newJob('RUNNING');
    expect(job.saveResults([{ resultType: 'COUNTS', data: {} }], 'CANCELED', T1)).toBe(true);
    expect(job).toMatchObject({ state: 'CANCELED', progress: 100, finishedAt: T1 });
    expect(job.results.count()).toBe(1);
  });

  it('is refused when the target state is not reachable, and changes nothing', () => {
    const job = newJob('BLOCKED', { progress: 10 });
    expect(job.canMoveTo('FINISHED')).toBe(false);
    const before = snapshot(job);
    expect(job.saveResults([{ resultType: 'COUNTS', data: { '0': 1 } }], 'FINISHED', T1)).toBe(false);
    expect(snapshot(job)).toEqual(before);

    const running = newJob('RUNNING');
    expect(running.saveResults([{ resultType: 'COUNTS', data: {} }], 'BLOCKED', T1)).toBe(false);
    expect(running.state).toBe('RUNNING');
    expect(running.results.count()).toBe(0);
  });

  it.each(TERMINAL)('is refused for a %s job, keeping its results', (state) => {
    const job = newJob('RUNNING');
    job.saveResults([{ resultType: 'COUNTS', data: { first: true } }], 'FINISHED', T0);
    job.state = state;
    expect(job.saveResults([{ resultType: 'COUNTS', data: { second: true } }], state, T1)).toBe(false);
    expect(job.results.getItems().map((r) => r.data)).toEqual([{ first: true }]);
    expect(job.finishedAt).toBe(T0);
  });

  it('removes the transient state when the collection is loaded (orphan removal deletes the rows)', () => {
    const job = loadedJob('RUNNING', 30, 2);
    const scratch = job.transientStates.getItems();
    expect(scratch).toHaveLength(2);
    expect(orphansToDelete()).toEqual([]);
    expect(job.saveResults([], 'FINISHED', T1)).toBe(true);
    expect(job.transientStates.count()).toBe(0);
    expect(orphansToDelete()).toEqual(scratch);
  });

  it('leaves transient state it has not loaded to the caller', () => {
    const job = loadedJob('RUNNING', 30);
    expect(job.transientStates.isInitialized()).toBe(false);
    expect(job.saveResults([{ resultType: 'COUNTS', data: { '1': 3 } }], 'FINISHED', T1)).toBe(true);
    expect(job).toMatchObject({ state: 'FINISHED', progress: 100, finishedAt: T1 });
    expect(job.transientStates.isInitialized()).toBe(false);
    expect(orphansToDelete()).toEqual([]);
    expect(job.results.getItems(false).map((r) => r.data)).toEqual([{ '1': 3 }]);
  });
});

describe('saveError', () => {
  it('adds an ERROR result with the message, the stack and the extras, and ends the job in ERROR', () => {
    const job = loadedJob('RUNNING', 35, 1);
    job.results.hydrate([]);
    const program = em.getReference(QuantumProgram, PROGRAM_ID);
    const scratch = job.transientStates.getItems();

    expect(
      job.saveError(
        { message: 'qubit count exceeded', stack: 'Error: qubit count exceeded\n    at run' },
        program,
        { needed: 40, available: 32 },
        { attempt: 2 },
        T1,
      ),
    ).toBe(true);

    expect(job).toMatchObject({ state: 'ERROR', progress: 100, finishedAt: T1 });
    const [result] = job.results.getItems();
    expect(job.results.count()).toBe(1);
    expect(result).toBeInstanceOf(Result);
    expect(result).toMatchObject({
      job,
      program,
      resultType: 'ERROR',
      data: { exceptionMessage: 'qubit count exceeded', needed: 40, available: 32 },
      meta: { stackTrace: 'Error: qubit count exceeded\n    at run', attempt: 2 },
    });
    expect(job.transientStates.count()).toBe(0);
    expect(orphansToDelete()).toEqual(scratch);
  });

  it('stores a null stack trace and no program when there are none', () => {
    const job = newJob('READY');
    expect(job.saveError({ message: 'no device' }, undefined, undefined, undefined, T1)).toBe(true);
    expect(job.results.getItems()[0]).toMatchObject({
      program: null,
      resultType: 'ERROR',
      data: { exceptionMessage: 'no device' },
      meta: { stackTrace: null },
    });
    expect(job).toMatchObject({ state: 'ERROR', progress: 100, finishedAt: T1 });
  });

  it('keeps a finishedAt that is already set', () => {
    const job = newJob('RUNNING');
    job.finishedAt = T0;
    expect(job.saveError({ message: 'boom' }, null, {}, {}, T1)).toBe(true);
    expect(job.finishedAt).toBe(T0);
    expect(job.state).toBe('ERROR');
  });

  it('works on a job whose collections are not loaded, leaving transient state to the caller', () => {
    const job = loadedJob('RUNNING', 80);
    expect(job.saveError({ message: 'worker died' }, null, { reason: 'worker-died' }, {}, T1)).toBe(true);
    expect(job).toMatchObject({ state: 'ERROR', progress: 100, finishedAt: T1 });
    expect(job.transientStates.isInitialized()).toBe(false);
    const added = job.results.getItems(false);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      resultType: 'ERROR',
      data: { exceptionMessage: 'worker died', reason: 'worker-died' },
    });
  });

  it.each(TERMINAL)('is refused for a %s job', (state) => {
    const job = newJob(state, { progress: 100 });
    job.finishedAt = T0;
    expect(job.saveError({ message: 'too late' }, null, {}, {}, T1)).toBe(false);
    expect(job).toMatchObject({ state, progress: 100, finishedAt: T0 });
    expect(job.results.count()).toBe(0);
  });
});

describe('cancel', () => {
  it.each(NON_TERMINAL)('ends a %s job as CANCELED, keeping its progress and results', (state) => {
    const job = loadedJob(state, 25, 1);
    const kept = em.create(Result, { job, resultType: 'COUNTS', data: { '0': 1 }, meta: {} });
    job.results.hydrate([kept]);
    const scratch = job.transientStates.getItems();
    expect(job.cancel(T1)).toBe(true);
    expect(job).toMatchObject({ state: 'CANCELED', progress: 25, finishedAt: T1 });
    expect(job.results.getItems()).toEqual([kept]);
    expect(job.transientStates.count()).toBe(0);
    expect(orphansToDelete()).toEqual(scratch);
  });

  it('leaves transient state it has not loaded to the caller', () => {
    const job = loadedJob('READY');
    expect(job.cancel(T1)).toBe(true);
    expect(job.state).toBe('CANCELED');
    expect(job.transientStates.isInitialized()).toBe(false);
    expect(orphansToDelete()).toEqual([]);
  });

  it.each(TERMINAL)('is refused for a %s job', (state) => {
    const job = newJob(state);
    expect(job.cancel(T1)).toBe(false);
    expect(job.state).toBe(state);
    expect(job.finishedAt).toBeUndefined();
  });
});

describe('requeue', () => {
  it('sends a RUNNING job back to READY with progress 0, keeping its attempts and startedAt', () => {
    const job = newJob('READY');
    job.start(T0);
    job.updateProgress(45);
    expect(job.requeue()).toBe(true);
    expect(job).toMatchObject({ state: 'READY', progress: 0, attempts: 1, startedAt: T0 });
    expect(job.start(T1)).toBe(true);
    expect(job).toMatchObject({ state: 'RUNNING', attempts: 2, startedAt: T1 });
  });

  it.each(JOB_STATES.filter((s) => s !== 'RUNNING'))('is refused for a %s job', (state) => {
    const job = newJob(state, { progress: 10 });
    expect(job.requeue()).toBe(false);
    expect(job).toMatchObject({ state, progress: 10 });
  });
});

describe('a job at a remote provider', () => {
  it('records the ids the provider gave a RUNNING job, and what the provider says of it', () => {
    const job = newJob('READY');
    expect(job.recordSubmission(['task-1', 'task-2'])).toBe(false); // not started
    job.start(T0);
    expect(job.recordSubmission(['task-1', 'task-2'])).toBe(true);
    expect(job).toMatchObject({
      providerSpecificId: 'task-1,task-2',
      providerStatus: 'submitted',
    });
    expect(job.followRemote('queued', 7)).toBe(true);
    expect(job).toMatchObject({ providerStatus: 'queued', queuePosition: 7, progress: 0 });
    expect(job.followRemote('queued', 7)).toBe(false); // nothing new: nothing to write
    expect(job.followRemote('running', 3, 40)).toBe(true);
    expect(job).toMatchObject({ providerStatus: 'running', queuePosition: null, progress: 40 });
  });

  it.each([
    ['saveResults', (job: Job) => job.saveResults([]), 'done', 'FINISHED'],
    ['saveError', (job: Job) => job.saveError({ message: 'no' }), 'failed', 'ERROR'],
    ['cancel', (job: Job) => job.cancel(), 'canceled', 'CANCELED'],
  ] as const)('%s ends its wait in the queue and keeps the provider’s last word', (_, end, providerStatus, state) => {
    const job = newJob('READY');
    job.start(T0);
    job.recordSubmission(['ibm-job']);
    job.followRemote('queued', 2);
    expect(end(job)).toBe(true);
    expect(job).toMatchObject({ state, providerStatus, queuePosition: null, providerSpecificId: 'ibm-job' });
    expect(job.followRemote('running', null)).toBe(false);
  });

  it('leaves a local job without a provider status when it ends', () => {
    const job = newJob('READY');
    job.start(T0);
    job.saveResults([]);
    expect(job.providerStatus ?? null).toBeNull();
  });
});

describe('a terminal state is final', () => {
  const cases = TERMINAL.flatMap((state) => Object.keys(METHODS).map((method) => [state, method] as const));

  it.each(cases)('a %s job ignores %s', (state, method) => {
    const job = newJob('RUNNING', { progress: 50, attempts: 1 });
    job.startedAt = T0;
    if (state === 'ERROR') job.saveError({ message: 'failed', stack: 's' }, null, {}, {}, T0);
    else if (state === 'CANCELED') job.cancel(T0);
    else job.saveResults([{ resultType: 'COUNTS', data: { '00': 1 } }], state, T0);
    expect(job.state).toBe(state);
    expect(job.isTerminal).toBe(true);

    const before = snapshot(job);
    expect(METHODS[method as Method](job)).toBe(false);
    expect(snapshot(job)).toEqual(before);
  });
});
