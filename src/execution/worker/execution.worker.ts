import { EntityManager } from '@mikro-orm/postgresql';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job as QueueJob } from 'pg-boss';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DomainEventBus } from '../../database/outbox/domain-event-bus';
import type { AnyDomainEvent } from '../../database/outbox/domain-events';
import { QuantumProgram } from '../../deployments/quantum-program.entity';
import { Device } from '../../devices/device.entity';
import { Job, type NewResult } from '../../jobs/job.entity';
import { JobsService } from '../../jobs/jobs.service';
import { JOBS_QUEUE, PgBossQueue, type QueuedJobData } from '../queue/pg-boss.provider';
import { preparePrograms, ProgramFailure, runPrograms, type DeviceToRunOn, type ProgramToRun } from './program-runner';
import { ProgressReporter } from './progress-reporter';
import { SimulatorPoolService } from './simulator-pool.service';

/** Where pg-boss moves a queue entry whose retries are used up (its workers kept dying). */
export const JOBS_DEAD_QUEUE = 'qunest-jobs-dead';

/** How often a worker process looks for RUNNING jobs whose queue entry is gone (see sweepOrphans). */
export const ORPHAN_SWEEP_MS = 60_000;

/** How long a shutdown waits for running jobs before it stops them and hands them back to the queue. */
export const SHUTDOWN_GRACE_MS = 10_000;

type AbortReason = 'canceled' | 'deleted' | 'claim-lost' | 'shutdown';

interface ActiveRun {
  jobId: string;
  controller: AbortController;
  reason: AbortReason | null;
}

interface Slot {
  id?: string;
  busy: boolean;
}

/** Thrown from the handler so that pg-boss puts the entry back for another worker (shutdown). */
class HandBack extends Error {
  override readonly name = 'HandBack';
}

/**
 * Executes queued jobs: takes them from pg-boss, runs their programs in the simulator's worker
 * threads, and stores the results (or the reason it could not) through JobsService, each a unit of
 * work of its own. Any number of processes may run it on one database: pg-boss gives each entry to
 * one worker at a time and retries it when that worker's heartbeat stops (crash); entries whose
 * retries are used up land on {@link JOBS_DEAD_QUEUE}, whose handler ends the job in ERROR.
 *
 * A job canceled (or deleted) while it runs is stopped through the domain event bus: every process
 * hears the committed `job.state` CANCELED, and the one running the job aborts its simulation.
 */
@Injectable()
export class ExecutionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExecutionWorker.name);
  private readonly active = new Map<string, ActiveRun>();
  private readonly slots: Slot[] = [];
  private unsubscribe?: () => void;
  private working = false;
  private nextWake = 0;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: PgBossQueue,
    private readonly jobs: JobsService,
    private readonly em: EntityManager,
    private readonly bus: DomainEventBus,
    private readonly simulator: SimulatorPoolService,
  ) {}

  /** Jobs this process is executing right now. */
  get running(): string[] {
    return [...this.active.keys()];
  }

  async onApplicationBootstrap(): Promise<void> {
    const boss = this.queue.boss;
    // Every process (API-only ones too) makes sure the dead letter queue exists and is attached, so
    // that the entries it sends carry it.
    await boss.createQueue(JOBS_DEAD_QUEUE, {
      retryLimit: 3,
      retentionSeconds: 7 * 24 * 3600,
      deleteAfterSeconds: 24 * 3600,
    });
    await boss.updateQueue(JOBS_QUEUE, { deadLetter: JOBS_DEAD_QUEUE });
    if (this.config.runWorkers) await this.startWorking();
  }

  private async startWorking(): Promise<void> {
    const boss = this.queue.boss;
    this.working = true;
    this.unsubscribe = this.bus.subscribe((e) => this.onEvent(e));
    // One pg-boss worker per slot (rather than localConcurrency: n) so that each can be woken by id:
    // pg-boss waits out its polling interval after every job unless woken, and this process hears of
    // new jobs through the domain event bus at once.
    for (let i = 0; i < this.config.workerConcurrency; i++) {
      const slot: Slot = { busy: false };
      this.slots.push(slot);
      slot.id = await boss.work<QueuedJobData>(
        JOBS_QUEUE,
        { batchSize: 1, localConcurrency: 1, pollingIntervalSeconds: 2 },
        async (batch) => {
          slot.busy = true;
          try {
            for (const entry of batch) await this.execute(entry);
          } finally {
            slot.busy = false;
            // Fetch again at once instead of after the polling interval: there may be more.
            if (!this.stopping && slot.id) boss.notifyWorker(slot.id);
          }
        },
      );
    }
    await boss.work<QueuedJobData>(JOBS_DEAD_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async (batch) => {
      for (const entry of batch) await this.giveUp(entry);
    });
    this.logger.log(`executing jobs, ${this.config.workerConcurrency} at a time`);
    void this.sweepOrphans();
    this.sweepTimer = setInterval(() => void this.sweepOrphans(), ORPHAN_SWEEP_MS);
    this.sweepTimer.unref();
  }

  /**
   * The last line of defence against a job RUNNING forever: a RUNNING job whose queue entry has ended
   * (or is gone) has nobody left to finish it - e.g. an entry that failed for good without the dead
   * letter queue attached (sent before it was), or one deleted by hand. Such a job ends in ERROR.
   * Jobs running in this process are skipped; an entry still active or waiting for a retry is left
   * to pg-boss. A job that finishes meanwhile is not touched (saveError ignores terminal jobs).
   */
  async sweepOrphans(): Promise<number> {
    if (this.sweeping || this.stopping) return 0;
    this.sweeping = true;
    let ended = 0;
    try {
      const running = await this.em
        .fork()
        .find(Job, { state: 'RUNNING', queueJobId: { $ne: null } }, { orderBy: { startedAt: 'asc' }, limit: 500 });
      for (const job of running) {
        if (this.active.has(job.id) || this.stopping) continue;
        const [entry] = await this.queue.boss.findJobs(JOBS_QUEUE, { id: job.queueJobId! });
        if (entry && entry.state !== 'completed' && entry.state !== 'failed' && entry.state !== 'cancelled') continue;
        // A failed entry with the dead letter queue attached is that queue's handler's to end (giveUp).
        if (entry?.state === 'failed' && entry.deadLetter === JOBS_DEAD_QUEUE) continue;
        const what = entry ? `has ended (${entry.state})` : 'is gone';
        const { applied } = await this.jobs.saveError(
          job.id,
          {
            message: `the queue entry of this RUNNING job ${what}, so no worker will finish it (its worker probably died)`,
          },
          null,
          { reason: 'queue-entry-lost', queueState: entry?.state ?? null, attempts: job.attempts },
        );
        if (applied) {
          ended++;
          this.logger.warn(`job ${job.id}: queue entry ${what} while RUNNING; ended in ERROR`);
        }
      }
    } catch (err) {
      this.logger.warn(`looking for orphaned RUNNING jobs failed: ${String(err)}`);
    } finally {
      this.sweeping = false;
    }
    return ended;
  }

  private onEvent(e: AnyDomainEvent): void {
    if (e.name === 'job.created') {
      if (!this.stopping) this.wakeOne();
      return;
    }
    if (e.name === 'job.state' && e.payload.state === 'CANCELED') this.abort(e.payload.jobId, 'canceled');
    else if (e.name === 'job.deleted') this.abort(e.payload.jobId, 'deleted');
  }

  /** Wakes one idle slot (round robin), not all of them: one new job needs one fetch. */
  private wakeOne(): void {
    const n = this.slots.length;
    for (let k = 0; k < n; k++) {
      const slot = this.slots[(this.nextWake + k) % n];
      if (!slot.busy && slot.id) {
        this.nextWake = (this.nextWake + k + 1) % n;
        this.queue.boss.notifyWorker(slot.id);
        return;
      }
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
  private async execute(entry: QueueJob<QueuedJobData>): Promise<void> {
    const jobId = entry.data?.jobId;
    if (typeof jobId !== 'string') {
      this.logger.warn(`queue entry ${entry.id} has no jobId; dropped`);
      return;
    }
    if (this.active.has(jobId)) {
      // Cannot happen while pg-boss holds one claim per entry; guard anyway against a second entry.
      this.logger.error(`job ${jobId} is already running in this process; entry ${entry.id} dropped`);
      return;
    }
    const run: ActiveRun = { jobId, controller: new AbortController(), reason: null };
    this.active.set(jobId, run);
    const onClaimLost = () => this.abort(jobId, 'claim-lost');
    entry.signal?.addEventListener('abort', onClaimLost, { once: true });
    let progress: ProgressReporter | undefined;
    try {
      const started = await this.jobs.start(jobId);
      if (!started) return; // canceled or deleted before it could start
      progress = new ProgressReporter((p) => this.jobs.updateProgress(jobId, p));
      const results = await this.runJob(started, run, progress);
      await progress.stop();
      if (run.reason) return this.stopped(run);
      const { applied, job } = await this.jobs.saveResults(jobId, results);
      if (!applied) this.logger.log(`job ${jobId} ended as ${job.state} while running; results dropped`);
    } catch (err) {
      await progress?.stop();
      if (run.reason) return this.stopped(run);
      await this.fail(jobId, err);
    } finally {
      entry.signal?.removeEventListener('abort', onClaimLost);
      this.active.delete(jobId);
    }
  }

  /** Loads the job's programs and device, runs them, and maps the results. Throws ProgramFailure. */
  private async runJob(job: Job, run: ActiveRun, progress: ProgressReporter): Promise<NewResult[]> {
    // The job as start() left it has its settings and the ids of its deployment and device.
    const deploymentId = job.deployment?.id;
    if (!deploymentId) throw new ProgramFailure('the deployment of this job was deleted', null);
    const [device, programs] = await Promise.all([
      this.em.fork().findOneOrFail(Device, job.executedOn.id, { populate: ['provider'] }),
      this.em.fork().find(QuantumProgram, { deployment: deploymentId }, { orderBy: { position: 'asc' } }),
    ]);
    const target: DeviceToRunOn = {
      label: `${device.provider.name}/${device.name}`,
      numQubits: device.numQubits,
      acceptedLanguages: device.provider.supportedLanguages,
    };
    if (!device.isLocal || !device.isSimulator) {
      throw new ProgramFailure(
        `device ${target.label} is not a local simulator, and this service has no other backend`,
        null,
      );
    }
    const toRun: ProgramToRun[] = programs.map((p) => ({
      id: p.id,
      position: p.position,
      quantumCircuit: p.quantumCircuit,
      assemblerLanguage: p.assemblerLanguage,
    }));
    const circuits = preparePrograms(toRun, target);
    const settings = {
      shots: job.shots,
      seed: job.seed ?? null,
      type: job.type,
      observables: job.observables ?? null,
    };
    const out = await runPrograms((req, opts) => this.simulator.run(req, opts), toRun, circuits, settings, target, {
      signal: run.controller.signal,
      onProgress: (f) => progress.report(f),
    });
    const byId = new Map(programs.map((p) => [p.id, p]));
    return out.flatMap(({ programId, results }) =>
      results.map((r) => ({ program: byId.get(programId)!, resultType: r.resultType, data: r.data, meta: r.meta })),
    );
  }

  private async stopped(run: ActiveRun): Promise<void> {
    if (run.reason === 'shutdown') {
      // Back to READY; throwing makes pg-boss retry the entry, on this or another process.
      await this.jobs.requeue(run.jobId);
      throw new HandBack(`job ${run.jobId} handed back to the queue: this worker is shutting down`);
    }
    // canceled or deleted: nothing to write (saveResults on a CANCELED job would be ignored anyway);
    // claim lost: another worker has the entry now.
  }

  private async fail(jobId: string, err: unknown): Promise<void> {
    const e = err instanceof Error ? err : new Error(String(err));
    const programId = err instanceof ProgramFailure ? err.programId : null;
    const extra = err instanceof ProgramFailure ? err.extraData : { errorType: e.name };
    this.logger.warn(`job ${jobId} failed: ${e.message}`);
    // If this write fails too (database gone), the error propagates and pg-boss retries the entry.
    await this.jobs.saveError(jobId, { message: e.message, stack: e.stack }, programId, extra);
  }

  /** A queue entry whose retries are used up: its workers died every time. The job ends in ERROR. */
  private async giveUp(entry: QueueJob<QueuedJobData>): Promise<void> {
    const jobId = entry.data?.jobId;
    if (typeof jobId !== 'string') return;
    const job = await this.em.fork().findOne(Job, jobId);
    if (!job || job.isTerminal) return;
    const times = Math.max(1, job.attempts);
    const message = `the worker died ${times} time${times === 1 ? '' : 's'} while running this job (its heartbeat stopped), and no retries are left`;
    this.logger.warn(`job ${jobId}: ${message}`);
    await this.jobs.saveError(jobId, { message }, null, { attempts: job.attempts, reason: 'worker-died' });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.working) return;
    this.stopping = true;
    clearInterval(this.sweepTimer);
    const boss = this.queue.boss;
    const drained = boss.offWork(JOBS_QUEUE, { wait: true });
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), SHUTDOWN_GRACE_MS)));
    if ((await Promise.race([drained.then(() => 'drained' as const), graceOver])) === 'timeout') {
      this.logger.warn(`shutting down: handing ${this.active.size} running job(s) back to the queue`);
      for (const jobId of [...this.active.keys()]) this.abort(jobId, 'shutdown');
      await drained;
    }
    clearTimeout(timer);
    await boss.offWork(JOBS_DEAD_QUEUE, { wait: true });
    this.unsubscribe?.();
    this.working = false;
  }
}
