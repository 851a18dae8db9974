import type { ChangeSet } from '@mikro-orm/core';
import type { JobRef } from '../database/outbox/domain-events';
import type { EventMapper, JobSeq, PendingEvent } from '../database/outbox/outbox.subscriber';
import { Job } from './job.entity';
import { Result } from './result.entity';

/** Ordering inside one flush: a job's creation, then its results and errors, then progress, then state. */
const ORDER = { created: 0, result: 1, progress: 2, state: 3 } as const;

function ref(job: Job): Omit<JobRef, 'seq'> {
  return {
    jobId: job.id,
    deploymentId: job.deployment?.id ?? null,
    deviceId: job.executedOn.id,
    ownerId: job.executedBy ?? null,
    at: new Date().toISOString(),
  };
}

function jobEvent(
  out: PendingEvent[],
  job: Job,
  name: PendingEvent['name'],
  payload: object,
  order: number,
  seq?: number,
) {
  const r = ref(job);
  out.push({
    name,
    jobId: r.jobId,
    deploymentId: r.deploymentId,
    deviceId: r.deviceId,
    ownerId: r.ownerId,
    seq,
    payload: { ...r, ...payload } as never,
    order,
  });
}

/** Domain events of jobs and their results. */
export const jobEventMapper: EventMapper = (cs: ChangeSet<object>, out) => {
  const entity = cs.entity;
  if (entity instanceof Job) {
    if (cs.type === 'create') {
      jobEvent(
        out,
        entity,
        'job.created',
        {
          name: entity.name ?? null,
          state: entity.state,
          progress: entity.progress,
          type: entity.type,
          shots: entity.shots,
        },
        ORDER.created,
        1,
      );
    } else if (cs.type === 'update') {
      const changed = cs.payload as Partial<Job>;
      if ('state' in changed) {
        jobEvent(out, entity, 'job.state', { state: entity.state, progress: entity.progress }, ORDER.state);
      } else if ('progress' in changed) {
        jobEvent(out, entity, 'job.progress', { progress: entity.progress }, ORDER.progress);
      }
    } else if (cs.type === 'delete') {
      jobEvent(out, entity, 'job.deleted', {}, ORDER.state);
    }
  } else if (entity instanceof Result && cs.type === 'create') {
    const job = entity.job;
    const programId = entity.program?.id ?? null;
    if (entity.resultType === 'ERROR') {
      const message = String((entity.data as { exceptionMessage?: unknown }).exceptionMessage ?? 'error');
      jobEvent(out, job, 'job.error', { message, programId, resultId: entity.id }, ORDER.result);
    } else {
      jobEvent(
        out,
        job,
        'job.result',
        { result: { id: entity.id, programId, resultType: entity.resultType, data: entity.data, meta: entity.meta } },
        ORDER.result,
      );
    }
  }
};

/** A job's events are numbered from its eventSeq, written by the same UPDATE as the change itself. */
export const jobSeq: JobSeq = {
  counter: (entity) => (entity instanceof Job ? { jobId: entity.id, property: 'eventSeq' } : null),
};
