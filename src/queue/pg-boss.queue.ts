import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PgBoss, fromKysely, type Db, type Job as BossJob } from 'pg-boss';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import {
  JobQueue,
  type FollowState,
  type EnqueueOptions,
  type QueueConsumer,
  type QueueEntry,
  type QueueEntryFate,
} from '../jobs/job-queue';

/** The queue of jobs to run. */
export const JOBS_QUEUE = 'qunest-jobs';
/** Where pg-boss moves an entry of {@link JOBS_QUEUE} whose retries are used up (its workers kept dying). */
export const JOBS_DEAD_QUEUE = 'qunest-jobs-dead';
/**
 * Scheduled looks at jobs that are at a remote provider: one delayed entry at a time a job, each
 * replaced by the next in the transaction that records what the provider said (docs/providers.md).
 */
export const FOLLOW_QUEUE = 'qunest-remote-follow';

/**
 * How long an entry may stay active beyond the job time limit before pg-boss gives up on its handler
 * and fails it (a retry): time for the worker to stop the run and write the ERROR.
 */
export const EXPIRY_MARGIN_SECONDS = 600;
const PG_BOSS_MAX_EXPIRY_SECONDS = 24 * 3600;

/** pg-boss's expiry of an active entry: above JOB_TIMEOUT_SECONDS, which the worker enforces itself. */
export function entryExpirySeconds(jobTimeoutSeconds: number): number {
  return Math.min(PG_BOSS_MAX_EXPIRY_SECONDS, jobTimeoutSeconds + EXPIRY_MARGIN_SECONDS);
}

export interface QueuedJobData {
  jobId: string;
  /** Of a follow entry: how the job has been followed so far. */
  follow?: FollowState;
}

/** A consumer slot: one pg-boss worker with one entry at a time, woken by id. */
interface Slot {
  id: string;
  busy: boolean;
}

/**
 * pg-boss in the application's own database (schema `pgboss`), and the one place where its queues are
 * set up: the jobs queue (retries, heartbeat, retention) with its dead letter queue attached. The
 * queue entry of a job is written on the caller's transaction (pg-boss's `db` option over MikroORM's
 * Kysely transaction), so a job row and its queue entry commit together or not at all.
 */
@Injectable()
export class PgBossQueue extends JobQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PgBossQueue.name);
  /** The pg-boss instance; public for tests and benchmarks that look underneath the port. */
  readonly boss: PgBoss;
  private readonly slots: Slot[] = [];
  private nextWake = 0;
  private consuming = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
    this.boss = new PgBoss({
      connectionString: config.databaseUrl,
      schema: 'pgboss',
      application_name: 'qunest-queue',
      max: 5,
      // A worker that died is noticed at the next supervision pass after its heartbeat is overdue:
      // pass as often as the heartbeat, not every 60 s (pg-boss's default), so a crashed job is
      // retried within about two heartbeats.
      superviseIntervalSeconds: config.jobHeartbeatSeconds,
      monitorIntervalSeconds: config.jobHeartbeatSeconds,
    });
    this.boss.on('error', (err: Error) => this.logger.error(`pg-boss: ${err.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    await this.boss.createQueue(JOBS_DEAD_QUEUE, {
      retryLimit: 3,
      retentionSeconds: 7 * 24 * 3600,
      deleteAfterSeconds: 24 * 3600,
    });
    const jobsQueue = {
      retryLimit: this.config.jobRetryLimit,
      retryDelay: 0,
      heartbeatSeconds: this.config.jobHeartbeatSeconds,
      // The worker stops a job at JOB_TIMEOUT_SECONDS and ends it in ERROR; pg-boss's own expiry (which
      // would retry it) is only the backstop for a handler that never returns.
      expireInSeconds: entryExpirySeconds(this.config.jobTimeoutSeconds),
      retentionSeconds: 7 * 24 * 3600,
      deleteAfterSeconds: 24 * 3600,
      deadLetter: JOBS_DEAD_QUEUE,
    };
    // createQueue leaves an existing queue as it is: update it, so that a changed setting (or the
    // dead letter queue of a database made before it existed) takes effect.
    await this.boss.createQueue(JOBS_QUEUE, jobsQueue);
    await this.boss.updateQueue(JOBS_QUEUE, jobsQueue);
    const followQueue = {
      // A look that dies with its process is taken again by another one; one that keeps dying ends
      // the job through the dead letter queue, as a run does.
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      heartbeatSeconds: this.config.jobHeartbeatSeconds,
      // A look is a few calls to the provider, each bounded by PROVIDER_REQUEST_TIMEOUT_SECONDS: one
      // held longer (an entry claimed by a process that stopped before its handler ran) is taken
      // again. A look that is taken twice changes nothing twice: the job waits on one entry only.
      expireInSeconds: 60 + 4 * this.config.providers.requestTimeoutSeconds,
      retentionSeconds: 7 * 24 * 3600,
      deleteAfterSeconds: 24 * 3600,
      deadLetter: JOBS_DEAD_QUEUE,
    };
    await this.boss.createQueue(FOLLOW_QUEUE, followQueue);
    await this.boss.updateQueue(FOLLOW_QUEUE, followQueue);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 10_000 }).catch(() => undefined);
  }

  // ---- producer ----

  private db(em: EntityManager): Db | undefined {
    const trx = em.getTransactionContext<Parameters<typeof fromKysely>[0]>();
    return trx ? fromKysely(trx) : undefined;
  }

  async enqueue(jobId: string, em: EntityManager, entryId: string, options: EnqueueOptions = {}): Promise<void> {
    const id = await this.boss.send(JOBS_QUEUE, { jobId } satisfies QueuedJobData, {
      id: entryId,
      db: this.db(em),
      ...(options.group && { group: { id: options.group } }),
      ...(options.startAfterSeconds && { startAfter: options.startAfterSeconds }),
    });
    if (id !== entryId) throw new Error(`pg-boss did not accept job ${jobId}`);
  }

  async enqueueMany(
    entries: { jobId: string; entryId: string; options?: EnqueueOptions }[],
    em: EntityManager,
  ): Promise<void> {
    if (entries.length === 0) return;
    // insert() takes the queue's settings (retries, expiry, heartbeat, dead letter) as send() does.
    const ids = await this.boss.insert(
      JOBS_QUEUE,
      entries.map(({ jobId, entryId, options = {} }) => ({
        id: entryId,
        data: { jobId } satisfies QueuedJobData,
        ...(options.group && { group: { id: options.group } }),
        ...(options.startAfterSeconds && { startAfter: options.startAfterSeconds }),
      })),
      { db: this.db(em), returnId: true },
    );
    if (ids?.length !== entries.length) {
      throw new Error(`pg-boss accepted ${ids?.length ?? 0} of ${entries.length} queue entries`);
    }
  }

  async enqueueFollow(
    jobId: string,
    em: EntityManager,
    entryId: string,
    startAfterSeconds: number,
    state: FollowState,
  ): Promise<void> {
    const id = await this.boss.send(FOLLOW_QUEUE, { jobId, follow: state } satisfies QueuedJobData, {
      id: entryId,
      db: this.db(em),
      ...(startAfterSeconds > 0 && { startAfter: startAfterSeconds }),
    });
    if (id !== entryId) throw new Error(`pg-boss did not accept the follow entry of job ${jobId}`);
  }

  async finish(entry: QueueEntry, em: EntityManager): Promise<void> {
    // With the attempt, pg-boss completes only this claim (its attempt fence), never a later one.
    const target = entry.attempt === undefined ? entry.id : { id: entry.id, retryCount: entry.attempt };
    await this.boss.complete(entry.kind === 'follow' ? FOLLOW_QUEUE : JOBS_QUEUE, target, null, { db: this.db(em) });
  }

  async remove(entryId: string, em: EntityManager): Promise<void> {
    await this.boss.cancel(JOBS_QUEUE, entryId, { db: this.db(em) });
  }

  // ---- consumer ----

  async consume(consumer: QueueConsumer): Promise<void> {
    if (this.consuming) throw new Error('this process already consumes the jobs queue');
    this.consuming = true;
    // One pg-boss worker per slot (rather than localConcurrency: n) so that each can be woken by id:
    // pg-boss waits out its polling interval after every entry unless woken, and this process hears
    // of new jobs through the domain event bus at once (see wake).
    for (let i = 0; i < consumer.concurrency; i++) {
      const slot: Slot = { id: '', busy: false };
      slot.id = await this.boss.work<QueuedJobData>(
        JOBS_QUEUE,
        {
          batchSize: 1,
          localConcurrency: 1,
          pollingIntervalSeconds: 2,
          // Fair scheduling: the fetch skips the entries of a group (owner) with this many active
          // entries, in the database, so across all processes (docs/decisions/0004-fair-scheduling.md).
          ...(consumer.maxRunningPerGroup && { groupConcurrency: consumer.maxRunningPerGroup }),
        },
        async (batch) => {
          slot.busy = true;
          try {
            for (const job of batch) {
              const entry = toEntry(job);
              if (entry) await consumer.run(entry);
              else this.logger.warn(`queue entry ${job.id} has no jobId; dropped`);
            }
          } finally {
            slot.busy = false;
            // Fetch again at once instead of after the polling interval: there may be more.
            if (this.consuming) this.boss.notifyWorker(slot.id);
          }
        },
      );
      this.slots.push(slot);
    }
    const follow = consumer.follow?.bind(consumer);
    if (follow) {
      await this.boss.work<QueuedJobData>(
        FOLLOW_QUEUE,
        { batchSize: 1, localConcurrency: consumer.followConcurrency ?? 4, pollingIntervalSeconds: 1 },
        async (batch) => {
          for (const job of batch) {
            const entry = toEntry(job, 'follow');
            if (entry) await follow(entry);
          }
        },
      );
    }
    await this.boss.work<QueuedJobData>(JOBS_DEAD_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async (batch) => {
      for (const job of batch) {
        const entry = toEntry(job);
        if (entry) await consumer.dead(entry);
      }
    });
  }

  /** Wakes one idle slot (round robin), not all of them: one new entry needs one fetch. */
  wake(): void {
    if (!this.consuming) return;
    const n = this.slots.length;
    for (let k = 0; k < n; k++) {
      const slot = this.slots[(this.nextWake + k) % n];
      if (!slot.busy) {
        this.nextWake = (this.nextWake + k + 1) % n;
        this.boss.notifyWorker(slot.id);
        return;
      }
    }
  }

  async stopConsuming(): Promise<void> {
    if (!this.consuming) return;
    this.consuming = false;
    await this.boss.offWork(JOBS_QUEUE, { wait: true });
    await this.boss.offWork(FOLLOW_QUEUE, { wait: true }).catch(() => undefined);
    await this.boss.offWork(JOBS_DEAD_QUEUE, { wait: true });
    this.slots.length = 0;
  }

  async fate(entryId: string): Promise<QueueEntryFate> {
    // A job's entry is a run entry, or a follow entry while the job is at a remote provider.
    let [entry] = await this.boss.findJobs(JOBS_QUEUE, { id: entryId });
    entry ??= (await this.boss.findJobs(FOLLOW_QUEUE, { id: entryId }))[0];
    if (!entry) return { kind: 'lost', state: null };
    switch (entry.state) {
      case 'created':
      case 'retry':
      case 'active':
        return { kind: 'pending' };
      case 'failed':
        return entry.deadLetter === JOBS_DEAD_QUEUE ? { kind: 'dead-lettered' } : { kind: 'lost', state: entry.state };
      case 'completed':
      case 'cancelled':
        return { kind: 'lost', state: entry.state };
    }
  }
}

function toEntry(job: BossJob<QueuedJobData>, kind: 'run' | 'follow' = 'run'): QueueEntry | null {
  const jobId = job.data?.jobId;
  if (typeof jobId !== 'string') return null;
  const entry: QueueEntry = { id: job.id, jobId, signal: job.signal, attempt: job.retryCount, kind };
  if (kind === 'follow') entry.follow = job.data.follow ?? { polls: 0, unavailableSince: null };
  return entry;
}
