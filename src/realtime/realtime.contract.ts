/**
 * The socket.io contract of Qunest, shared by the gateway, the typed client helper (client.ts) and
 * the admin UI: what a client may emit, what it gets back, and which server events carry which
 * payloads. Server event names are the domain event names; payloads are the domain payloads as the
 * outbox committed them (see docs/realtime.md). Types only, plus the pure validation of targets, so
 * that a client bundle can import it without pulling in the server.
 */
import type { DomainEventMap } from '../events/domain-events';
import type { JobState } from '../jobs/job.enums';
import type { JobCore } from '../jobs/job.views';
import { echo } from '../common/text';
import { isUuid } from '../common/uuid';

/** What a client can follow. `all` is for admins only. */
export type SubscriptionTarget = { jobId: string } | { deploymentId: string } | { deviceId: string } | { all: true };

/** The domain events a client may receive (deployment.created goes to admins only). */
export const SERVER_EVENTS = [
  'job.created',
  'job.state',
  'job.progress',
  'job.result',
  'job.error',
  'job.deleted',
  'deployment.created',
  'deployment.updated',
  'deployment.deleted',
  'device.status',
] as const satisfies readonly (keyof DomainEventMap)[];

export type ServerEventName = (typeof SERVER_EVENTS)[number];

/** Compact state of one job, with the seq of its last committed event. */
export interface JobBrief {
  id: string;
  state: JobState;
  progress: number;
  /** job.eventSeq: the seq of the last event of this job that the snapshot includes. */
  seq: number;
}

/** A job as a snapshot shows it: the fields of jobs/job.views.ts' jobView, and the seq of its last event. */
export type JobView = JobCore & JobBrief;

export interface JobSnapshot {
  job: JobView;
  /** Results so far, oldest first, in the shape of job.result's `result`. */
  results: DomainEventMap['job.result']['result'][];
}

export interface DeploymentSnapshot {
  deployment: { id: string; name: string; ownerId: string | null };
  /** The newest jobs of the deployment that the subscriber may see (at most {@link SNAPSHOT_JOB_LIMIT}). */
  jobs: JobBrief[];
  /** How many visible jobs the deployment has in all. */
  totalJobs: number;
}

export interface DeviceSnapshot {
  device: {
    id: string;
    name: string;
    status: string;
    providerId: string;
    providerName: string;
    numQubits: number;
    isSimulator: boolean;
  };
  /** Visible jobs on the device that have not ended (READY, BLOCKED, RUNNING), newest first, capped. */
  activeJobs: JobBrief[];
}

export interface AllSnapshot {
  /** Jobs by state, over the whole database. */
  jobsByState: Partial<Record<JobState, number>>;
  /** Sockets connected to the API instance that answered. */
  connections: number;
}

export const SNAPSHOT_JOB_LIMIT = 1000;

export type SnapshotOf<T extends SubscriptionTarget> = T extends { jobId: string }
  ? JobSnapshot
  : T extends { deploymentId: string }
    ? DeploymentSnapshot
    : T extends { deviceId: string }
      ? DeviceSnapshot
      : AllSnapshot;

export type AnySnapshot = JobSnapshot | DeploymentSnapshot | DeviceSnapshot | AllSnapshot;

export type SubscribeAck<S = AnySnapshot> = { ok: true; snapshot: S } | { ok: false; error: string };
export type UnsubscribeAck = { ok: true } | { ok: false; error: string };

/** Server -> client events: one listener type per domain event. */
export type ServerToClientEvents = {
  [N in ServerEventName]: (payload: DomainEventMap[N]) => void;
};

/** Client -> server events; both always answer through the ack. */
export interface ClientToServerEvents {
  subscribe: (target: SubscriptionTarget, ack: (reply: SubscribeAck) => void) => void;
  unsubscribe: (target: SubscriptionTarget, ack: (reply: UnsubscribeAck) => void) => void;
}

/**
 * Checks what a client sent as a target: exactly one of jobId / deploymentId / deviceId (a UUID),
 * or `{all: true}`. Returns the normalized target, or the reason it is not one.
 */
export function parseTarget(raw: unknown): { target: SubscriptionTarget } | { error: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { error: 'target must be an object: {jobId}, {deploymentId}, {deviceId} or {all: true}' };
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    return { error: 'target must have exactly one of jobId, deploymentId, deviceId, all' };
  }
  const key = keys[0];
  const value = (raw as Record<string, unknown>)[key];
  if (key === 'all') {
    return value === true ? { target: { all: true } } : { error: 'all must be true' };
  }
  if (key !== 'jobId' && key !== 'deploymentId' && key !== 'deviceId') {
    return { error: `unknown target ${JSON.stringify(echo(key))}: use jobId, deploymentId, deviceId or all` };
  }
  if (typeof value !== 'string' || !isUuid(value)) return { error: `${key} must be a UUID` };
  return { target: { [key]: value.toLowerCase() } as SubscriptionTarget };
}

/** A stable key of a target, e.g. `job:<id>`; used for the per-socket subscription set. */
export function targetKey(target: SubscriptionTarget): string {
  if ('jobId' in target) return `job:${target.jobId}`;
  if ('deploymentId' in target) return `deployment:${target.deploymentId}`;
  if ('deviceId' in target) return `device:${target.deviceId}`;
  return 'all';
}
