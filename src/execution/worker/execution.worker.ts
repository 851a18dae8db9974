import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../common/database-errors';
import { PeriodicTasks } from '../../common/periodic-tasks';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DomainEventBus } from '../../events/domain-event-bus';
import type { AnyDomainEvent } from '../../events/domain-events';
import { JobQueue, type QueueEntry } from '../../jobs/job-queue';
import type { JobRun } from '../../jobs/job-run';
import { JobsService } from '../../jobs/jobs.service';
import { BackendRegistry } from '../backends/backend-registry';
import { failureOf, ProgramFailure, type QuantumBackend } from '../backends/quantum-backend';
import { ProgressReporter } from './progress-reporter';
import { RemoteFollower } from './remote-follower';

/** How often a worker process looks for RUNNING jobs whose queue entry is gone (see sweepOrphans). */
export const ORPHAN_SWEEP_MS = 60_000;

/** How long a worker waits out a database that cannot be reached before it leaves the entry to the queue's retry. */
export const UNAVAILABLE_PATIENCE_MS = 30_000;

/** How long a shutdown waits for running jobs before it stops them and hands them back to the queue. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * How long a job handed back for fair scheduling waits before a worker may take it again. The queue
 * already skips the entries of an owner at the limit; the delay only keeps a worker from taking the
 * same entry again at once when the two counts disagree for a moment (a RUNNING job whose worker died
 * has no active entry until its retry).
 */
export const HAND_BACK_DELAY_SECONDS = 2;

type AbortReason = 'canceled' | 'deleted' | 'claim-lost' | 'shutdown' | 'timeout';

interface ActiveRun {
  jobId: string;
  /** The queue entry it runs under. */
  entryId: string;
  controller: AbortController;
  reason: AbortReason | null;
  /** Resolves when the run has returned. */
  done: Promise<void>;
}

/**
 * Thrown from the handler so that the queue puts the entry back for another worker: only when a
 * shutdown could not hand the job back as a new entry (that costs no retry; this does).
 */
class HandBack extends Error {
  override readonly name = 'HandBack';
}

/**
 * Executes queued jobs, as a thin adapter between three ports: it takes entries from the JobQueue,
 * starts, progresses and ends each job through JobsService (each a unit of work of its own), and has
 * it executed by the backend registered for the device's provider. Any number of processes may run
 * it on one database: the queue gives each entry to one worker at a time and retries it when that
 * worker's heartbeat stops (crash); an entry whose retries are used up ends its job in ERROR.
 *
 * A job canceled (or deleted) while it runs is stopped through the domain event bus: every process
 * hears the committed `job.state` CANCELED, and the one running the job aborts its execution.
 */
@Injectable()
export class ExecutionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExecutionWorker.name);
  private readonly active = new Map<string, ActiveRun>();
  private unsubscribe?: () => void;
  private working = false;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly jobs: JobsService,
    private readonly backends: BackendRegistry,
    private readonly bus: DomainEventBus,
    private readonly periodic: PeriodicTasks,
    private readonly remote: RemoteFollower,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.working = true;
    this.unsubscribe = this.bus.subscribe((e) => this.onEvent(e));
    await this.queue.consume({
      concurrency: this.config.workerConcurrency,
      maxRunningPerGroup: this.config.maxRunningJobsPerUser,
      run: (entry) => this.execute(entry),
      dead: (entry) => this.giveUp(entry),
      follow: (entry) => this.remote.follow(entry),
      followConcurrency: Math.max(4, this.config.workerConcurrency),
    });
    this.logger.log(
      `executing jobs, ${this.config.workerConcurrency} at a time, at most ${this.config.jobTimeoutSeconds} s each` +
        (this.config.maxRunningJobsPerUser > 0
          ? `, at most ${this.config.maxRunningJobsPerUser} running per user`
          : ', no limit per user'),
    );
    this.periodic.every('orphaned RUNNING jobs', ORPHAN_SWEEP_MS, () => this.sweepOrphans(), { runNow: true });
  }

  /**
   * The last line of defence against a job RUNNING forever: a RUNNING job whose queue entry has ended
   * (or is gone) has nobody left to finish it - e.g. an entry that failed for good without the dead
   * letter queue attached, or one deleted by hand. Such a job ends in ERROR. Jobs running in this
   * process are skipped; an entry still active or waiting for a retry is left to the queue, and a
   * dead-lettered one to giveUp. A job that finishes meanwhile is not touched (saveError ignores
   * terminal jobs).
   */
  async sweepOrphans(): Promise<number> {
    let ended = 0;
    for (const job of await this.jobs.findRunning(500)) {
      if (this.active.has(job.jobId) || this.stopping) continue;
      const fate = await this.queue.fate(job.queueJobId);
      if (fate.kind !== 'lost') continue;
      const what = fate.state ? `has ended (${fate.state})` : 'is gone';
      const { applied } = await this.jobs.saveError(
        job.jobId,
        {
          message: `the queue entry of this RUNNING job ${what}, so no worker will finish it (its worker probably died)`,
        },
        { data: { reason: 'queue-entry-lost', queueState: fate.state, attempts: job.attempts } },
      );
      if (applied) {
        ended++;
        this.logger.warn(`job ${job.jobId}: queue entry ${what} while RUNNING; ended in ERROR`);
      }
    }
    return ended;
  }

  private onEvent(e: AnyDomainEvent): void {
    switch (e.name) {
      case 'job.created':
        if (!this.stopping) this.queue.wake();
        return;
      case 'job.state':
        if (e.payload.state === 'CANCELED') this.abort(e.payload.jobId, 'canceled');
        return;
      case 'job.deleted':
        this.abort(e.payload.jobId, 'deleted');
        return;
      default:
        return;
    }
  }

  private abort(jobId: string, reason: AbortReason): void {
    const run = this.active.get(jobId);
    if (!run || run.reason) return;
    run.reason = reason;
    run.controller.abort();
    this.logger.log(`job ${jobId}: stopping (${reason})`);
  }

  /** Runs one queue entry. Returns normally when the entry is done with (whatever the job's outcome). */
  private async execute(entry: QueueEntry): Promise<void> {
    const { jobId } = entry;
    const previous = this.active.get(jobId);
    if (previous && previous.entryId === entry.id) {
      // The queue handed out the entry of a run still going here: its claim is gone (failed for a
      // missed heartbeat, say), so that run stops, writing nothing, and this claim takes over.
      this.logger.warn(`job ${jobId}: its queue entry was handed out again while it ran here; the earlier run stops`);
      this.abort(jobId, 'claim-lost');
      await previous.done;
    } else if (previous) {
      // A second entry of one job: only one of them is the job's (startWithinShare tells); keep the one running.
      this.logger.error(`job ${jobId} is already running in this process; entry ${entry.id} dropped`);
      return;
    }
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    const run: ActiveRun = { jobId, entryId: entry.id, controller: new AbortController(), reason: null, done };
    this.active.set(jobId, run);
    const onClaimLost = () => this.abort(jobId, 'claim-lost');
    entry.signal?.addEventListener('abort', onClaimLost, { once: true });
    let progress: ProgressReporter | undefined;
    let timeLimit: NodeJS.Timeout | undefined;
    try {
      const verdict = await this.whileUnavailable(`start job ${jobId}`, () =>
        this.jobs.startWithinShare(jobId, entry.id),
      );
      switch (verdict.kind) {
        case 'not-runnable': // canceled or deleted before it could start
          return;
        case 'stale-entry':
          this.logger.warn(`job ${jobId} waits on another queue entry than ${entry.id}; this one is dropped`);
          return;
        case 'over-share':
          await this.handBack(entry, verdict.running, verdict.limit);
          return;
        case 'started':
          break;
      }
      const started = verdict.run;
      const backend = this.backendOf(started);
      if (backend.kind === 'remote') {
        // Submitted, recorded and followed by scheduled entries: this worker's slot is free at once.
        await this.remote.submit(started, backend, entry);
        return;
      }
      timeLimit = setTimeout(() => this.abort(jobId, 'timeout'), this.config.jobTimeoutSeconds * 1000);
      progress = new ProgressReporter((p) => this.jobs.updateProgress(jobId, p));
      const out = await backend.run(started, { signal: run.controller.signal, onProgress: (f) => progress!.report(f) });
      const results = out.flatMap(({ programId, results }) => results.map((r) => ({ programId, ...r })));
      await progress.stop();
      if (run.reason) return await this.stopped(run, entry);
      const { applied, job } = await this.whileUnavailable(`save the results of job ${jobId}`, () =>
        this.jobs.saveResults(jobId, results, 'FINISHED', entry),
      );
      if (!applied) this.logger.log(`job ${jobId} ended as ${job.state} while running; results dropped`);
    } catch (err) {
      await progress?.stop();
      // The database stayed out of reach: the queue retries the entry later (a retry spent), rather
      // than the job ending in ERROR for something that is not its fault.
      if (isDatabaseUnavailable(err)) throw err;
      if (run.reason) return await this.stopped(run, entry);
      await this.fail(jobId, err);
    } finally {
      clearTimeout(timeLimit);
      entry.signal?.removeEventListener('abort', onClaimLost);
      if (this.active.get(jobId) === run) this.active.delete(jobId);
      finished();
    }
  }

  /** The backend that executes the job: its device's, local or remote. Throws ProgramFailure. */
  private backendOf(job: JobRun): QuantumBackend {
    if (job.programs.length === 0) {
      throw new ProgramFailure('the deployment of this job was deleted, or has no programs to run', null);
    }
    const backend = this.backends.forDevice(job.device);
    if (!backend) {
      const where = job.device.isLocal ? 'on this service' : 'at the provider';
      throw new ProgramFailure(
        `no backend is registered for provider ${job.device.providerName} ${where}, so device ${job.device.providerName}/${job.device.name} cannot run jobs here`,
        null,
      );
    }
    return backend;
  }

  /**
   * Fair scheduling: the job's owner already has their share of RUNNING jobs, so this slot goes to
   * someone else's job. The job stays READY and gets a new queue entry (no retry spent); returning
   * ends the taken one.
   */
  private async handBack(entry: QueueEntry, running: number, limit: number): Promise<void> {
    const handedBack = await this.jobs.handBack(entry.jobId, entry, HAND_BACK_DELAY_SECONDS);
    if (handedBack) {
      this.logger.log(
        `job ${entry.jobId}: its owner already runs ${running} job(s) (MAX_RUNNING_JOBS_PER_USER=${limit}); back to the queue`,
      );
    }
  }

  private async stopped(run: ActiveRun, entry: QueueEntry): Promise<void> {
    if (run.reason === 'timeout') {
      // Ends here, for good: returning completes the queue entry, so it is not retried.
      const limit = this.config.jobTimeoutSeconds;
      const { applied } = await this.jobs.saveError(
        run.jobId,
        { message: `the job ran longer than JOB_TIMEOUT_SECONDS=${limit} and was stopped` },
        { data: { reason: 'timeout', limitSeconds: limit } },
      );
      if (applied) this.logger.warn(`job ${run.jobId}: stopped after JOB_TIMEOUT_SECONDS=${limit}; ended in ERROR`);
      return;
    }
    if (run.reason === 'shutdown') {
      // Back to READY with a new queue entry, for this or another process: a shutdown is not a crash,
      // so it spends none of the job's retries. Should that fail, throwing makes the queue retry the
      // entry (a retry spent).
      if (!(await this.jobs.requeue(run.jobId))) return; // ended or gone meanwhile: nothing to hand back
      if (await this.jobs.handBack(run.jobId, entry, 0)) return;
      throw new HandBack(`job ${run.jobId} handed back to the queue: this worker is shutting down`);
    }
    // canceled or deleted: nothing to write (saveResults on a CANCELED job would be ignored anyway);
    // claim lost: another worker has the entry now.
  }

  /**
   * Calls `fn` again while the database cannot be reached (restarting, connections terminated),
   * waiting 0.25 s, 0.5 s, ... up to 4 s between tries and about 30 s in all; then throws its error.
   * Only for calls that are safe to repeat: a use case that committed before its answer was lost
   * finds the job moved on and changes nothing.
   */
  private async whileUnavailable<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + UNAVAILABLE_PATIENCE_MS;
    for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
      try {
        return await fn();
      } catch (err) {
        if (!isDatabaseUnavailable(err) || Date.now() + wait > deadline || this.stopping) throw err;
        this.logger.warn(`could not ${what}: the database cannot be reached (${String(err)}); again in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private async fail(jobId: string, err: unknown): Promise<void> {
    const { error, failure } = failureOf(err);
    // The stack stays in the logs (and in the ERROR result, which only admins are shown).
    this.logger.warn(`job ${jobId} failed: ${error.stack ?? error.message}`);
    // If this write fails too (database gone for long), the error propagates and the queue retries the entry.
    await this.whileUnavailable(`save the error of job ${jobId}`, () => this.jobs.saveError(jobId, error, failure));
  }

  /** A queue entry whose retries are used up: its workers died every time. The job ends in ERROR. */
  private async giveUp(entry: QueueEntry): Promise<void> {
    const outcome = await this.jobs.endAfterWorkerDeaths(entry.jobId);
    if (outcome?.applied) this.logger.warn(`job ${entry.jobId}: its workers died every time; ended in ERROR`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.working) return;
    this.stopping = true;
    this.periodic.cancel('orphaned RUNNING jobs');
    const drained = this.queue.stopConsuming();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), SHUTDOWN_GRACE_MS)));
    if ((await Promise.race([drained.then(() => 'drained' as const), graceOver])) === 'timeout') {
      this.logger.warn(`shutting down: handing ${this.active.size} running job(s) back to the queue`);
      for (const jobId of [...this.active.keys()]) this.abort(jobId, 'shutdown');
      await drained;
    }
    clearTimeout(timer);
    this.unsubscribe?.();
    this.working = false;
  }
}
