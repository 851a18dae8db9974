import type { ChangeSet, FlushEventArgs } from '@mikro-orm/core';
import { OutboxEvent } from '../database/outbox/outbox-event.entity';
import { OutboxSubscriber, type EventMapper, type PendingEvent } from '../database/outbox/outbox.subscriber';
import { Deployment } from '../deployments/deployment.entity';
import { QuantumProgram } from '../deployments/quantum-program.entity';
import { Device } from '../devices/device.entity';
import { Provider } from '../devices/provider.entity';
import { Job } from './job.entity';
import { jobEventMapper, jobSeq } from './job.events';
import { Result } from './result.entity';
import { TransientJobState } from './transient-job-state.entity';

// The mapper only reads the change set's entity, type and payload, and the entity's own fields, so
// the entities here are plain instances of the real classes: no ORM, no database.

const DEVICE_ID = '0190b6f0-0000-7000-8000-00000000d001';
const DEPLOYMENT_ID = '0190b6f0-0000-7000-8000-00000000e001';
const PROGRAM_ID = '0190b6f0-0000-7000-8000-00000000a001';

type ChangeType = 'create' | 'update' | 'delete';

/** A change set of the shape the mapper and the outbox subscriber read. */
function changeSet(entity: object, type: ChangeType, payload: Record<string, unknown> = {}): ChangeSet<object> {
  return { entity, type, payload } as unknown as ChangeSet<object>;
}

let counter = 0;
function job(fields: Partial<Job> = {}): Job {
  counter += 1;
  return Object.assign(new Job(), {
    id: `0190b6f0-0000-7000-8000-${String(counter).padStart(12, '0')}`,
    name: 'bell',
    executedBy: 'alice',
    executedOn: Object.assign(new Device(), { id: DEVICE_ID }),
    deployment: Object.assign(new Deployment(), { id: DEPLOYMENT_ID }),
    state: 'READY',
    progress: 0,
    type: 'RUNNER',
    shots: 1000,
    eventSeq: 1,
    ...fields,
  });
}

function result(of: Job, fields: Partial<Result> = {}): Result {
  counter += 1;
  return Object.assign(new Result(), {
    id: `0190b6f0-0000-7000-8000-f${String(counter).padStart(11, '0')}`,
    job: of,
    program: Object.assign(new QuantumProgram(), { id: PROGRAM_ID }),
    resultType: 'COUNTS',
    data: { '00': 6, '11': 4 },
    meta: { shots: 10 },
    ...fields,
  });
}

function map(...changeSets: ChangeSet<object>[]): PendingEvent[] {
  const out: PendingEvent[] = [];
  for (const cs of changeSets) jobEventMapper(cs, out);
  return out;
}

function expectIsoTimestamp(at: unknown): void {
  expect(typeof at).toBe('string');
  expect(new Date(at as string).toISOString()).toBe(at);
}

describe('jobEventMapper', () => {
  it('maps a created job to job.created with seq 1, first in the flush', () => {
    const j = job({ name: 'bell', state: 'READY', progress: 0, type: 'SAMPLER', shots: 512 });
    const [event, ...rest] = map(changeSet(j, 'create', { id: j.id }));
    expect(rest).toEqual([]);
    expect(event).toEqual({
      name: 'job.created',
      jobId: j.id,
      deploymentId: DEPLOYMENT_ID,
      deviceId: DEVICE_ID,
      ownerId: 'alice',
      seq: 1,
      order: 0,
      payload: {
        jobId: j.id,
        deploymentId: DEPLOYMENT_ID,
        deviceId: DEVICE_ID,
        ownerId: 'alice',
        at: expect.any(String),
        name: 'bell',
        state: 'READY',
        progress: 0,
        type: 'SAMPLER',
        shots: 512,
      },
    });
    expectIsoTimestamp((event.payload as { at: unknown }).at);
    expect('seq' in event.payload).toBe(false);
  });

  it('gives a public job without deployment or name nulls, not undefined', () => {
    const j = job({ executedBy: null, deployment: null, name: null });
    const [event] = map(changeSet(j, 'create'));
    expect(event).toMatchObject({ deploymentId: null, ownerId: null });
    expect(event.payload).toMatchObject({ deploymentId: null, ownerId: null, name: null });

    const unset = job();
    delete (unset as Partial<Job>).executedBy;
    delete (unset as Partial<Job>).deployment;
    delete (unset as Partial<Job>).name;
    const [other] = map(changeSet(unset, 'create'));
    expect(other).toMatchObject({ deploymentId: null, ownerId: null });
    expect(other.payload).toMatchObject({ deploymentId: null, ownerId: null, name: null });
  });

  it('maps a state change to job.state with the state and progress, last in the flush, seq left open', () => {
    const j = job({ state: 'FINISHED', progress: 100 });
    const events = map(changeSet(j, 'update', { state: 'FINISHED', progress: 100, finishedAt: new Date() }));
    expect(events).toEqual([
      {
        name: 'job.state',
        jobId: j.id,
        deploymentId: DEPLOYMENT_ID,
        deviceId: DEVICE_ID,
        ownerId: 'alice',
        seq: undefined,
        order: 3,
        payload: {
          jobId: j.id,
          deploymentId: DEPLOYMENT_ID,
          deviceId: DEVICE_ID,
          ownerId: 'alice',
          at: expect.any(String),
          state: 'FINISHED',
          progress: 100,
        },
      },
    ]);
  });

  it('maps a state change without a progress change the same way, with the current progress', () => {
    const j = job({ state: 'CANCELED', progress: 40 });
    const [event] = map(changeSet(j, 'update', { state: 'CANCELED' }));
    expect(event).toMatchObject({ name: 'job.state', order: 3, payload: { state: 'CANCELED', progress: 40 } });
  });

  it('maps a progress-only change to job.progress', () => {
    const j = job({ state: 'RUNNING', progress: 42 });
    const events = map(changeSet(j, 'update', { progress: 42 }));
    expect(events).toEqual([
      {
        name: 'job.progress',
        jobId: j.id,
        deploymentId: DEPLOYMENT_ID,
        deviceId: DEVICE_ID,
        ownerId: 'alice',
        seq: undefined,
        order: 2,
        payload: {
          jobId: j.id,
          deploymentId: DEPLOYMENT_ID,
          deviceId: DEVICE_ID,
          ownerId: 'alice',
          at: expect.any(String),
          progress: 42,
        },
      },
    ]);
  });

  it('maps an update of neither state nor progress to nothing', () => {
    const j = job({ state: 'RUNNING' });
    expect(map(changeSet(j, 'update', { queueJobId: 'q-1', eventSeq: 4, version: 3 }))).toEqual([]);
    expect(map(changeSet(j, 'update', {}))).toEqual([]);
  });

  it('maps a deleted job to job.deleted, carrying only the references', () => {
    const j = job({ state: 'FINISHED', progress: 100 });
    const events = map(changeSet(j, 'delete'));
    expect(events).toEqual([
      {
        name: 'job.deleted',
        jobId: j.id,
        deploymentId: DEPLOYMENT_ID,
        deviceId: DEVICE_ID,
        ownerId: 'alice',
        seq: undefined,
        order: 3,
        payload: {
          jobId: j.id,
          deploymentId: DEPLOYMENT_ID,
          deviceId: DEVICE_ID,
          ownerId: 'alice',
          at: expect.any(String),
        },
      },
    ]);
  });

  it('maps a created COUNTS result to job.result with the whole result, before the state change', () => {
    const j = job({ state: 'RUNNING' });
    const r = result(j, { resultType: 'COUNTS', data: { '00': 6, '11': 4 }, meta: { shots: 10 } });
    const events = map(changeSet(r, 'create'));
    expect(events).toEqual([
      {
        name: 'job.result',
        jobId: j.id,
        deploymentId: DEPLOYMENT_ID,
        deviceId: DEVICE_ID,
        ownerId: 'alice',
        seq: undefined,
        order: 1,
        payload: {
          jobId: j.id,
          deploymentId: DEPLOYMENT_ID,
          deviceId: DEVICE_ID,
          ownerId: 'alice',
          at: expect.any(String),
          result: {
            id: r.id,
            programId: PROGRAM_ID,
            resultType: 'COUNTS',
            data: { '00': 6, '11': 4 },
            meta: { shots: 10 },
          },
        },
      },
    ]);
    expectIsoTimestamp((events[0].payload as { at: unknown }).at);
  });

  it('gives a result without a program a null programId', () => {
    const j = job();
    const [event] = map(changeSet(result(j, { program: null, resultType: 'PROBABILITIES' }), 'create'));
    expect(event.name).toBe('job.result');
    expect(event.payload).toMatchObject({ result: { programId: null, resultType: 'PROBABILITIES' } });
  });

  it('maps a created ERROR result to job.error with its message, program and result id', () => {
    const j = job({ state: 'RUNNING', executedBy: 'bob' });
    const r = result(j, {
      resultType: 'ERROR',
      data: { exceptionMessage: 'qubit count exceeded', needed: 40 },
      meta: { stackTrace: 'Error: ...' },
    });
    const events = map(changeSet(r, 'create'));
    expect(events).toEqual([
      {
        name: 'job.error',
        jobId: j.id,
        deploymentId: DEPLOYMENT_ID,
        deviceId: DEVICE_ID,
        ownerId: 'bob',
        seq: undefined,
        order: 1,
        payload: {
          jobId: j.id,
          deploymentId: DEPLOYMENT_ID,
          deviceId: DEVICE_ID,
          ownerId: 'bob',
          at: expect.any(String),
          message: 'qubit count exceeded',
          programId: PROGRAM_ID,
          resultId: r.id,
        },
      },
    ]);
  });

  it("says 'error' for an ERROR result without a message, and stringifies one that is not a string", () => {
    const j = job();
    const [noMessage] = map(changeSet(result(j, { resultType: 'ERROR', data: {}, program: null }), 'create'));
    expect(noMessage.payload).toMatchObject({ message: 'error', programId: null });
    const [numeric] = map(changeSet(result(j, { resultType: 'ERROR', data: { exceptionMessage: 42 } }), 'create'));
    expect(numeric.payload).toMatchObject({ message: '42' });
  });

  it('ignores updated and deleted results', () => {
    const j = job();
    expect(map(changeSet(result(j), 'update', { meta: {} }), changeSet(result(j), 'delete'))).toEqual([]);
  });

  it('produces nothing for other entities', () => {
    const j = job();
    const others: object[] = [
      Object.assign(new Device(), { id: DEVICE_ID, status: 'offline' }),
      Object.assign(new Deployment(), { id: DEPLOYMENT_ID, name: 'd' }),
      Object.assign(new QuantumProgram(), { id: PROGRAM_ID }),
      new Provider(),
      Object.assign(new TransientJobState(), { job: j, data: {} }),
      Object.assign(new OutboxEvent(), { name: 'job.state', jobId: j.id }),
      { state: 'RUNNING', progress: 10 },
    ];
    for (const entity of others) {
      for (const type of ['create', 'update', 'delete'] as const) {
        expect(map(changeSet(entity, type, { state: 'RUNNING', progress: 10, status: 'offline' }))).toEqual([]);
      }
    }
  });

  it('appends to the events already collected in the flush', () => {
    const a = job();
    const b = job();
    const out: PendingEvent[] = [];
    jobEventMapper(changeSet(a, 'create'), out);
    jobEventMapper(changeSet(b, 'update', { progress: 5 }), out);
    jobEventMapper(changeSet(result(a), 'create'), out);
    expect(out.map((e) => [e.name, e.jobId])).toEqual([
      ['job.created', a.id],
      ['job.progress', b.id],
      ['job.result', a.id],
    ]);
  });
});

describe('jobSeq', () => {
  it("names the job's eventSeq as the counter of a Job, and no counter for anything else", () => {
    const j = job({ eventSeq: 7 });
    const c = jobSeq.counter(j);
    expect(c).toEqual({ jobId: j.id, property: 'eventSeq' });
    expect((j as unknown as Record<string, unknown>)[c!.property]).toBe(7);
    expect(jobSeq.counter(result(j))).toBeNull();
    expect(jobSeq.counter(new Device())).toBeNull();
    expect(jobSeq.counter({ id: j.id, eventSeq: 7 })).toBeNull();
  });
});

describe('OutboxSubscriber with the job mapper', () => {
  interface Row {
    entity: unknown;
    data: Record<string, unknown>;
  }

  /** Runs onFlush over `changeSets` with a unit of work and entity manager that record what it does. */
  function flush(changeSets: ChangeSet<object>[], subscriber = new OutboxSubscriber([jobEventMapper], jobSeq)) {
    const rows: Row[] = [];
    const computed: Row[] = [];
    const recomputed: object[] = [];
    const em = {
      create: (entity: unknown, data: Record<string, unknown>): Row => {
        const row = { entity, data };
        rows.push(row);
        return row;
      },
    };
    const uow = {
      getChangeSets: () => changeSets,
      computeChangeSet: (row: Row) => computed.push(row),
      recomputeSingleChangeSet: (entity: object) => recomputed.push(entity),
    };
    subscriber.onFlush({ em, uow } as unknown as FlushEventArgs);
    return { rows, computed, recomputed, events: rows.map((r) => r.data) };
  }

  it('numbers the events of an updated job from its eventSeq, in order, and raises the counter once', () => {
    const j = job({ state: 'FINISHED', progress: 100, eventSeq: 5 });
    const counts = result(j, { resultType: 'COUNTS' });
    const error = result(j, { resultType: 'ERROR', data: { exceptionMessage: 'partly failed' } });
    // The job's own change set comes first, but its state event must follow its results.
    const { rows, computed, recomputed, events } = flush([
      changeSet(j, 'update', { state: 'FINISHED', progress: 100 }),
      changeSet(counts, 'create'),
      changeSet(error, 'create'),
    ]);

    expect(events.map((e) => [e.name, e.seq])).toEqual([
      ['job.result', 6],
      ['job.error', 7],
      ['job.state', 8],
    ]);
    expect(j.eventSeq).toBe(8);
    expect(recomputed).toEqual([j]);
    expect(rows.every((r) => r.entity === OutboxEvent)).toBe(true);
    expect(computed).toEqual(rows);
    expect(events[2]).toEqual({
      name: 'job.state',
      jobId: j.id,
      deploymentId: DEPLOYMENT_ID,
      deviceId: DEVICE_ID,
      ownerId: 'alice',
      seq: 8,
      payload: expect.objectContaining({ jobId: j.id, state: 'FINISHED', progress: 100 }),
      createdAt: expect.any(Date),
    });
    // The payload goes to the outbox without seq: the row's column carries it.
    for (const e of events) expect('seq' in (e.payload as object)).toBe(false);
  });

  it('keeps job.created at seq 1 and leaves the other events of a job inserted in the flush to the trigger', () => {
    const j = job({ eventSeq: 1 });
    const { events, recomputed } = flush([changeSet(j, 'create'), changeSet(result(j), 'create')]);
    expect(events.map((e) => [e.name, e.seq])).toEqual([
      ['job.created', 1],
      ['job.result', null],
    ]);
    expect(j.eventSeq).toBe(1);
    expect(recomputed).toEqual([]);
  });

  it('leaves job.deleted to the trigger', () => {
    const j = job({ eventSeq: 9 });
    const { events, recomputed } = flush([changeSet(j, 'delete')]);
    expect(events.map((e) => [e.name, e.seq])).toEqual([['job.deleted', null]]);
    expect(j.eventSeq).toBe(9);
    expect(recomputed).toEqual([]);
  });

  it('numbers the results of a job whose update itself is no event (e.g. only its queue id changed)', () => {
    const j = job({ eventSeq: 2 });
    const { events, recomputed } = flush([
      changeSet(j, 'update', { queueJobId: 'q-9' }),
      changeSet(result(j), 'create'),
    ]);
    expect(events.map((e) => [e.name, e.seq])).toEqual([['job.result', 3]]);
    expect(j.eventSeq).toBe(3);
    expect(recomputed).toEqual([j]);
  });

  it('numbers each updated job on its own counter', () => {
    const a = job({ state: 'RUNNING', progress: 30, eventSeq: 10 });
    const b = job({ state: 'RUNNING', eventSeq: 3 });
    const c = job({ eventSeq: 4 }); // not updated in this flush: its result is left to the trigger
    const { events, recomputed } = flush([
      changeSet(a, 'update', { progress: 30 }),
      changeSet(b, 'update', { state: 'RUNNING', progress: 0 }),
      changeSet(result(a), 'create'),
      changeSet(result(c), 'create'),
    ]);
    expect(events.map((e) => [e.name, e.jobId, e.seq])).toEqual([
      ['job.result', a.id, 11],
      ['job.result', c.id, null],
      ['job.progress', a.id, 12],
      ['job.state', b.id, 4],
    ]);
    expect([a.eventSeq, b.eventSeq, c.eventSeq]).toEqual([12, 4, 4]);
    expect(recomputed).toEqual([a, b]);
  });

  it('writes nothing when no change set maps to an event, and never maps its own outbox rows', () => {
    const seen: object[] = [];
    const spy: EventMapper = (cs, out) => {
      seen.push(cs.entity);
      jobEventMapper(cs, out);
    };
    const j = job({ eventSeq: 2 });
    const own = Object.assign(new OutboxEvent(), { name: 'job.state' });
    const { rows, recomputed } = flush(
      [changeSet(own, 'create'), changeSet(j, 'update', { queueJobId: 'q' })],
      new OutboxSubscriber([spy], jobSeq),
    );
    expect(seen).toEqual([j]);
    expect(rows).toEqual([]);
    expect(recomputed).toEqual([]);
    expect(j.eventSeq).toBe(2);
  });

  it('keeps the seq of an event that fixes its own, numbering only the others', () => {
    // A mapper may fix an event's seq (as jobEventMapper does for job.created); the numbering skips it.
    const fixed: EventMapper = (cs, out) => {
      if (cs.entity instanceof Job && cs.type === 'update') {
        out.push({
          name: 'job.progress',
          jobId: cs.entity.id,
          ownerId: null,
          seq: 99,
          payload: { jobId: cs.entity.id, deploymentId: null, deviceId: DEVICE_ID, ownerId: null, at: '', progress: 1 },
          order: 0,
        });
      }
    };
    const j = job({ state: 'RUNNING', eventSeq: 5 });
    const { events } = flush(
      [changeSet(j, 'update', { state: 'RUNNING' }), changeSet(result(j), 'create')],
      new OutboxSubscriber([jobEventMapper, fixed], jobSeq),
    );
    expect(events.map((e) => [e.name, e.seq])).toEqual([
      ['job.progress', 99],
      ['job.result', 6],
      ['job.state', 7],
    ]);
    expect(j.eventSeq).toBe(7);
  });

  it('leaves every seq but job.created to the trigger without a JobSeq', () => {
    const j = job({ state: 'RUNNING', eventSeq: 5 });
    const { events, recomputed } = flush(
      [changeSet(j, 'update', { state: 'RUNNING' }), changeSet(result(j), 'create')],
      new OutboxSubscriber([jobEventMapper]),
    );
    expect(events.map((e) => [e.name, e.seq])).toEqual([
      ['job.result', null],
      ['job.state', null],
    ]);
    expect(j.eventSeq).toBe(5);
    expect(recomputed).toEqual([]);
  });
});
