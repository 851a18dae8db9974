/**
 * The domain events of Qunest: one typed map from event name to payload, shared by the outbox
 * (which writes them in the transaction that made the change), the relay (which delivers them to
 * every process after commit) and the realtime gateway and its client helper (which push them to
 * socket.io subscribers). Every payload names the rows it is about, and the owner used for
 * visibility (null = public), so that nobody on the path has to read the database again.
 */
import type { JobState, ResultType } from '../../jobs/job.enums';

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

export interface DomainEventMap {
  'job.created': JobRef & { name: string | null; state: JobState; progress: number; type: string; shots: number };
  'job.state': JobRef & { state: JobState; progress: number };
  'job.progress': JobRef & { progress: number };
  'job.result': JobRef & { result: ResultPayload };
  'job.error': JobRef & { message: string; programId: string | null; resultId: string };
  'job.deleted': JobRef;
  'deployment.created': { deploymentId: string; ownerId: string | null; name: string; at: string };
  'deployment.updated': { deploymentId: string; ownerId: string | null; name: string; at: string };
  'deployment.deleted': { deploymentId: string; ownerId: string | null; at: string };
  'device.status': { deviceId: string; providerId: string; name: string; status: string; at: string };
}

export type DomainEventName = keyof DomainEventMap;

export interface DomainEvent<N extends DomainEventName = DomainEventName> {
  /** Outbox row id. */
  id: number;
  name: N;
  payload: DomainEventMap[N];
}

export type AnyDomainEvent = { [N in DomainEventName]: DomainEvent<N> }[DomainEventName];
