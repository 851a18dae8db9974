import { defineEntity, p, type Opt } from '@mikro-orm/core';
import { uuidv7 } from '../common/uuid';
import { Deployment } from '../deployments/deployment.entity';
import { QuantumProgram } from '../deployments/quantum-program.entity';
import { Device } from '../devices/device.entity';
import {
  ERROR_MITIGATIONS,
  JOB_STATES,
  JOB_TYPES,
  JobState,
  ResultType,
  TERMINAL_STATES,
  TRANSITIONS,
} from './job.enums';
import { Result } from './result.entity';
import { TransientJobState } from './transient-job-state.entity';

export interface Observable {
  /** Pauli string, qiskit order: the rightmost character acts on qubit 0. */
  pauli: string;
  coefficient?: number;
}

export const JobSchema = defineEntity({
  name: 'Job',
  tableName: 'job',
  indexes: [{ properties: ['state'] }, { properties: ['executedBy'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    name: p.string().length(200).nullable(),
    /** Owner: the JWT `sub` of whoever submitted it, or null for a public job. */
    executedBy: p.string().length(255).nullable(),
    executedOn: () => p.manyToOne(Device).deleteRule('cascade'),
    deployment: () => p.manyToOne(Deployment).nullable().deleteRule('set null').index(),
    /**
     * The deployment's revision whose programs the job runs (its JobProgram rows); they stay when the
     * deployment is replaced or deleted. Null only for jobs whose deployment was deleted before revisions existed.
     */
    deploymentRevision: p.integer().nullable(),
    progress: p.integer().default(0),
    state: p.enum(JOB_STATES).default('READY'),
    shots: p.integer(),
    type: p.enum(JOB_TYPES).default('RUNNER'),
    errorMitigation: p.enum(ERROR_MITIGATIONS).default('none'),
    cutToWidth: p.integer().nullable(),
    seed: p.bigint('number').nullable(),
    observables: p.json<Observable[]>().nullable(),
    /** Labels for search (GET /api/jobs?tag=): at most 16 of 1-64 characters of A-Z a-z 0-9 _ . : - (job-tags.ts). */
    tags: p.array<string>().default([]),
    createdAt: p.datetime().onCreate(() => new Date()),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    providerSpecificId: p.string().length(255).nullable(),
    /** Of a job at a remote provider: what the provider last said (submitted, queued, running), null otherwise. */
    providerStatus: p.string().length(32).nullable(),
    /** Of a job waiting at a remote provider: its place in the provider's queue, where the provider tells it. */
    queuePosition: p.integer().nullable(),
    queueJobId: p.string().length(64).nullable(),
    /** How many times a worker has started it (crash recovery counts retries). */
    attempts: p.integer().default(0),
    /**
     * Per-job event sequence: the seq of the job's last event. When a flush updates the job, the
     * outbox subscriber numbers its events from here and raises it, so the ORM's UPDATE (with its
     * version check) writes it; otherwise (job.deleted) the outbox trigger raises it, and the version.
     * Domain code never sets it.
     */
    eventSeq: p.integer().default(1),
    results: () => p.oneToMany(Result).mappedBy('job').orderBy({ id: 'asc' }),
    transientStates: () => p.oneToMany(TransientJobState).mappedBy('job').orphanRemoval(),
    version: p.integer().version(),
  },
});

/**
 * A program a job runs: written when the job is submitted, read when it starts. The program row
 * cannot be deleted while this row exists (restrict), whatever happens to its deployment.
 */
export const JobProgramSchema = defineEntity({
  name: 'JobProgram',
  tableName: 'job_program',
  primaryKeys: ['job', 'program'],
  properties: {
    job: () => p.manyToOne(Job).primary().deleteRule('cascade'),
    program: () => p.manyToOne(QuantumProgram).primary().deleteRule('restrict').index(),
  },
});

export class JobProgram extends JobProgramSchema.class {}
JobProgramSchema.setClass(JobProgram);

export interface NewResult {
  program?: QuantumProgram | null;
  resultType: ResultType;
  data: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

/** What a domain method did: `false` means the job was already terminal and nothing changed. */
export type Applied = boolean;

export class Job extends JobSchema.class {
  get isTerminal(): Opt<boolean> {
    return TERMINAL_STATES.has(this.state);
  }

  canMoveTo(state: JobState): boolean {
    return state === this.state || TRANSITIONS[this.state as JobState].includes(state);
  }

  /** READY -> RUNNING, by a worker that took it from the queue. */
  start(now = new Date()): Applied {
    if (this.state !== 'READY' && this.state !== 'RUNNING') return false;
    this.state = 'RUNNING';
    this.startedAt = now;
    this.progress = 0;
    this.attempts += 1;
    return true;
  }

  /** Raises progress (0..100) of a job that is not terminal. Progress never goes back. */
  updateProgress(progress: number): Applied {
    if (this.isTerminal || !Number.isFinite(progress)) return false;
    const value = Math.max(0, Math.min(100, Math.round(progress)));
    if (value <= this.progress) return false;
    this.progress = value;
    return true;
  }

  /**
   * Appends the results, sets progress 100, the state (FINISHED by default) and finishedAt, and
   * removes all transient state: through the transientStates collection when it is loaded; when it
   * is not, the caller deletes the rows in the same transaction when this returns true (JobsService
   * does, with one DELETE instead of loading them first).
   */
  saveResults(results: NewResult[], state: JobState = 'FINISHED', now = new Date()): Applied {
    if (this.isTerminal || !this.canMoveTo(state)) return false;
    for (const r of results) this.results.add(this.newResult(r));
    this.leaveProvider('done');
    this.progress = 100;
    this.state = state;
    this.finishedAt = now;
    if (this.transientStates.isInitialized()) this.transientStates.removeAll();
    return true;
  }

  /**
   * Adds an ERROR result with data {exceptionMessage, ...extraData} and meta {stackTrace, ...extraMeta},
   * sets state ERROR, progress 100 and finishedAt (if unset), and removes all transient state (as
   * saveResults does: the loaded collection, or else the caller's DELETE).
   */
  saveError(
    error: { message: string; stack?: string },
    program?: QuantumProgram | null,
    extraData: Record<string, unknown> = {},
    extraMeta: Record<string, unknown> = {},
    now = new Date(),
  ): Applied {
    if (this.isTerminal) return false;
    this.results.add(
      this.newResult({
        program: program ?? null,
        resultType: 'ERROR',
        data: { exceptionMessage: error.message, ...extraData },
        meta: { stackTrace: error.stack ?? null, ...extraMeta },
      }),
    );
    this.leaveProvider('failed');
    this.state = 'ERROR';
    this.progress = 100;
    this.finishedAt ??= now;
    if (this.transientStates.isInitialized()) this.transientStates.removeAll();
    return true;
  }

  /**
   * Ends a job that is not terminal as CANCELED; its results so far are kept, transient state removed
   * (as saveResults does: the loaded collection, or else the caller's DELETE).
   */
  cancel(now = new Date()): Applied {
    if (this.isTerminal) return false;
    this.leaveProvider('canceled');
    this.state = 'CANCELED';
    this.finishedAt = now;
    if (this.transientStates.isInitialized()) this.transientStates.removeAll();
    return true;
  }

  /**
   * A RUNNING job handed to a remote provider: its ids there (providerSpecificId, comma-separated
   * when the provider took one task a program) and what the provider says of it now.
   */
  recordSubmission(providerIds: readonly string[]): Applied {
    if (this.state !== 'RUNNING') return false;
    this.providerSpecificId = providerIds.join(',').slice(0, 255);
    this.providerStatus = 'submitted';
    return true;
  }

  /** What the provider says of a RUNNING job: queued (at `queuePosition`, when it tells) or running. */
  followRemote(status: 'queued' | 'running', queuePosition: number | null, progress?: number): Applied {
    if (this.state !== 'RUNNING') return false;
    let changed = false;
    if (this.providerStatus !== status) {
      this.providerStatus = status;
      changed = true;
    }
    const position = status === 'queued' ? queuePosition : null;
    if ((this.queuePosition ?? null) !== position) {
      this.queuePosition = position;
      changed = true;
    }
    if (progress !== undefined && this.updateProgress(progress)) changed = true;
    return changed;
  }

  /** A RUNNING job whose worker died goes back to READY for another attempt. */
  requeue(): Applied {
    if (this.state !== 'RUNNING') return false;
    this.state = 'READY';
    this.progress = 0;
    return true;
  }

  /** A job that ends no longer waits in a provider's queue; the provider's last word is kept. */
  private leaveProvider(status: string): void {
    if (this.providerStatus != null) this.providerStatus = status;
    if (this.queuePosition != null) this.queuePosition = null;
  }

  private newResult(r: NewResult): Result {
    const result = new Result();
    result.job = this;
    result.program = r.program ?? null;
    result.resultType = r.resultType;
    result.data = r.data;
    result.meta = r.meta ?? {};
    result.createdAt = new Date();
    return result;
  }
}
JobSchema.setClass(Job);
