import type { ChangeSet } from '@mikro-orm/core';
import type { EventMapper, JobSeq, PendingEvent } from '../database/outbox/outbox.subscriber';
import { Job } from './job.entity';
import type { JobState, ResultType } from './job.enums';
import { Result } from './result.entity';
import { resultView } from './job.views';

/** What every job event carries: the rows it is about and the owner used for visibility. */
export interface JobRef {
  jobId: string;
  deploymentId: string | null;
  deviceId: string;
  ownerId: string | null;
  /** Per-job sequence number: rises by one with every event of the job. */
  seq: number;
  at: string;
}

export interface ResultPayload {
  id: string;
  programId: string | null;
  resultType: ResultType;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
}

/** The events of jobs and their results (part of events/domain-events.ts' DomainEventMap). */
export interface JobEventMap {
  'job.created': JobRef & { name: string | null; state: JobState; progress: number; type: string; shots: number };
  'job.state': JobRef & { state: JobState; progress: number };
  /** Progress, and for a job at a remote provider what the provider says (providerStatus, queuePosition). */
  'job.progress': JobRef & { progress: number; providerStatus?: string | null; queuePosition?: number | null };
  'job.result': JobRef & { result: ResultPayload };
  'job.error': JobRef & { message: string; programId: string | null; resultId: string };
  'job.deleted': JobRef;
}

/** Ordering inside one flush: a job's creation, then its results and errors, then progress, then state. */
const ORDER = { created: 0, result: 1, progress: 2, state: 3 } as const;

/** Adds one event of `job`: its own fields after the JobRef (seq comes when it is numbered). */
function jobEvent<N extends keyof JobEventMap>(
  out: PendingEvent[],
  job: Job,
  name: N,
  fields: Omit<JobEventMap[N], keyof JobRef>,
  order: number,
  seq?: number,
): void {
  const ref: Omit<JobRef, 'seq'> = {
    jobId: job.id,
    deploymentId: job.deployment?.id ?? null,
    deviceId: job.executedOn.id,
    ownerId: job.executedBy ?? null,
    at: new Date().toISOString(),
  };
  const { jobId, deploymentId, deviceId, ownerId } = ref;
  out.push({ name, jobId, deploymentId, deviceId, ownerId, seq, payload: { ...ref, ...fields }, order });
}

/** Domain events of jobs and their results. */
export const jobEventMapper: EventMapper = (cs: ChangeSet<object>, out) => {
  const entity = cs.entity;
  if (entity instanceof Job) {
    if (cs.type === 'create') {
      const fields = {
        name: entity.name ?? null,
        state: entity.state,
        progress: entity.progress,
        type: entity.type,
        shots: entity.shots,
      };
      jobEvent(out, entity, 'job.created', fields, ORDER.created, 1);
    } else if (cs.type === 'update') {
      const changed = cs.payload as Partial<Job>;
      if ('state' in changed) {
        jobEvent(out, entity, 'job.state', { state: entity.state, progress: entity.progress }, ORDER.state);
      } else if ('providerStatus' in changed || 'queuePosition' in changed) {
        const remote = { providerStatus: entity.providerStatus ?? null, queuePosition: entity.queuePosition ?? null };
        jobEvent(out, entity, 'job.progress', { progress: entity.progress, ...remote }, ORDER.progress);
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
      jobEvent(out, job, 'job.result', { result: resultView(entity) }, ORDER.result);
    }
  }
};

/** A job's events are numbered from its eventSeq, written by the same UPDATE as the change itself. */
export const jobSeq: JobSeq = {
  counter: (entity) => (entity instanceof Job ? { jobId: entity.id, property: 'eventSeq' } : null),
};
