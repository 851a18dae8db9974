import type { Principal } from '../auth/principal';
import type { Job } from './job.entity';
import type { JobState, JobType, ResultType } from './job.enums';
import type { ResultPayload } from './job.events';
import type { Result } from './result.entity';

/**
 * The one place where jobs and results become plain data for the outside: the REST answers
 * (dto/job.dto.ts), the socket snapshots (realtime) and the event payloads (job.events.ts) all start
 * from these, so that a field is named and formatted the same way everywhere.
 */

/** Who reads a result: what of it they may see depends on it. */
export type Viewer = Pick<Principal, 'isAdmin'>;

/**
 * A result's meta as `viewer` may see it: an ERROR result's `stackTrace` (absolute paths of the
 * server) is for admins; everyone else gets the message (in `data.exceptionMessage`) without it.
 * The database keeps the stack.
 */
export function visibleMeta(
  result: { resultType: ResultType; meta: Record<string, unknown> },
  viewer: Viewer,
): Record<string, unknown> {
  const { meta } = result;
  if (viewer.isAdmin || result.resultType !== 'ERROR' || meta == null || !('stackTrace' in meta)) return meta;
  const { stackTrace: _, ...rest } = meta;
  return rest;
}

/** Where the entries of a result are paged (`?offset&limit&order`) and downloaded (`?format=csv|ndjson`). */
export function resultDataUrl(jobId: string, resultId: string): string {
  return `/api/jobs/${jobId}/results/${resultId}/data`;
}

/**
 * A result as data; with a viewer, its meta as that viewer may see it (else whole, for events). A
 * large result's data is its most probable entries (meta.truncated, meta.entries, ...: see
 * result-data.ts), and its meta says where the rest is: `dataUrl`.
 */
export function resultView(r: Result, viewer?: Viewer): ResultPayload {
  const meta = viewer ? visibleMeta(r, viewer) : r.meta;
  return {
    id: r.id,
    programId: r.program?.id ?? null,
    resultType: r.resultType,
    data: r.data,
    meta: r.dataEntries == null ? meta : { ...meta, dataUrl: resultDataUrl(r.job.id, r.id) },
  };
}

/** A job's own fields as data (no results, no settings beyond type and shots). */
export interface JobCore {
  id: string;
  name: string | null;
  state: JobState;
  progress: number;
  type: JobType;
  shots: number;
  deploymentId: string | null;
  /** The deployment's revision whose programs the job runs (null for jobs older than revisions). */
  deploymentRevision: number | null;
  deviceId: string;
  /** Owner (JWT sub), null for a public job. */
  ownerId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export function jobView(j: Job): JobCore {
  return {
    id: j.id,
    name: j.name ?? null,
    state: j.state,
    progress: j.progress,
    type: j.type,
    shots: j.shots,
    deploymentId: j.deployment?.id ?? null,
    deploymentRevision: j.deploymentRevision ?? null,
    deviceId: j.executedOn.id,
    ownerId: j.executedBy ?? null,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}
