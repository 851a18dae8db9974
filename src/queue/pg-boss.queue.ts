import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PgBoss, fromKysely, type Db, type Job as BossJob } from 'pg-boss';
import { GroupCommit } from '../common/group-commit';
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

/** An entry of the jobs queue this process has claimed and is running. */
interface Claimed {
  job: BossJob<QueuedJobData>;
  /** Aborted when a heartbeat finds the claim gone (another worker may have the entry now). */
  claim: AbortController;
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
  private consuming = false;
  private consumer?: QueueConsumer;
  /** Claims of entries of the jobs queue held by this process, by claimKey. */
  private readonly claimed = new Map<string, Claimed>();
  /** The fetch in flight (one at a time), which stopConsuming waits for. */
  private filling: Promise<void> | null = null;
  /** A wake (or a freed slot) arrived while a fetch was in flight: fetch again after it. */
  private fetchAgain = false;
  private pollTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  /** Resolves when the last claimed entry has been settled (stopConsuming waits on it). */
  private idle?: { promise: Promise<void>; resolve: () => void };
  /** Completions of entries whose runs ended without completing them, several in one statement. */
  private readonly completions = new GroupCommit<BossJob<QueuedJobData>, void>(COMPLETIONS_MAX, async (jobs) => {
    await this.boss.complete(JOBS_QUEUE, jobs.map(attemptOf));
    return jobs.map(() => undefined);
  });

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

  async finishMany(entries: QueueEntry[], em: EntityManager): Promise<void> {
    if (entries.length === 0) return;
    if (entries.some((e) => e.kind === 'follow')) throw new Error('finishMany settles entries of the jobs queue only');
    // Fenced to the claims this process holds (their attempts), as finish() is.
    const fenced = entries.every((e) => e.attempt !== undefined);
    await this.boss.complete(
      JOBS_QUEUE,
      fenced ? entries.map((e) => ({ id: e.id, retryCount: e.attempt! })) : entries.map((e) => e.id),
      null,
      { db: this.db(em) },
    );
  }

  async remove(entryId: string, em: EntityManager): Promise<void> {
    await this.boss.cancel(JOBS_QUEUE, entryId, { db: this.db(em) });
  }

  // ---- consumer ----

  async consume(consumer: QueueConsumer): Promise<void> {
    if (this.consuming) throw new Error('this process already consumes the jobs queue');
    this.consuming = true;
    this.consumer = consumer;
    // The jobs queue has our own fetch loop rather than pg-boss's work(): one fetch claims as many
    // entries as there are free slots, one statement completes the entries that ended meanwhile, and
    // one heartbeat refreshes every claim; each entry still runs on its own, and a slot that frees is
    // filled at once (docs/benchmarks.md, "End-to-end throughput").
    this.pollTimer = setInterval(() => void this.fill(), JOBS_POLL_MS);
    const heartbeatMs = (this.config.jobHeartbeatSeconds * 1000) / 2;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatMs);
    void this.fill();
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

  /**
   * Claims entries for the free slots, one fetch for all of them (fair scheduling in the fetch: the
   * entries of a group with `maxRunningPerGroup` active ones are skipped, across all processes; see
   * docs/decisions/0004-fair-scheduling.md), and starts each. Runs one fetch at a time; a call made
   * meanwhile makes it fetch again once it is done.
   */
  private fill(): Promise<void> {
    if (!this.consuming || !this.consumer) return Promise.resolve();
    if (this.filling) {
      this.fetchAgain = true;
      return this.filling;
    }
    this.filling = this.fetchAndRun().finally(() => (this.filling = null));
    return this.filling;
  }

  private async fetchAndRun(): Promise<void> {
    // One turn of the event loop first, so that slots freed in the same turn (runs that ended in one
    // group commit) are filled by one fetch, and their starts go in one transaction.
    await new Promise<void>((r) => setImmediate(r));
    do {
      this.fetchAgain = false;
      const consumer = this.consumer;
      if (!this.consuming || !consumer) break;
      const free = consumer.concurrency - this.claimed.size;
      if (free <= 0) break;
      const maxPerGroup = consumer.maxRunningPerGroup;
      let jobs: BossJob<QueuedJobData>[];
      try {
        jobs = await this.boss.fetch<QueuedJobData>(JOBS_QUEUE, {
          batchSize: free,
          ...(maxPerGroup && { groupConcurrency: maxPerGroup }),
        } as Parameters<PgBoss['fetch']>[1]);
      } catch (err) {
        this.logger.warn(`could not fetch from the jobs queue: ${String(err)}`);
        break;
      }
      // Claimed: they run even when a stop began during the fetch (stopConsuming waits for this
      // fetch, then for them; the worker hands a run back if the shutdown's grace runs out).
      for (const job of jobs) this.run(job, consumer);
      // As many as asked: there may be more (filled when a slot frees). Fewer: the queue is empty
      // for us now; a wake or the poll fetches again.
    } while (this.fetchAgain && this.consuming);
  }

  /** Runs one claimed entry: returning completes it (batched), throwing fails it (a retry, or the dead letter queue). */
  private run(job: BossJob<QueuedJobData>, consumer: QueueConsumer): void {
    const claim = new AbortController();
    // A new claim of an entry this process still holds proves the old claim gone (the entry was
    // failed, e.g. for a missed heartbeat, and handed out again): the old run stops.
    for (const c of this.claimed.values()) {
      if (c.job.id === job.id) c.claim.abort(new Error(`queue entry ${job.id} was handed out again`));
    }
    const key = claimKey(job);
    this.claimed.set(key, { job, claim });
    const entry = toEntry(job);
    void (async () => {
      try {
        if (!entry) {
          this.logger.warn(`queue entry ${job.id} has no jobId; dropped`);
        } else {
          entry.signal = claim.signal;
          await consumer.run(entry);
        }
        // Completed here unless the run's last write did it in its own transaction (saveResults). A
        // claim lost meanwhile is not completed: the attempt fence leaves the entry to its new holder.
        if (!entry?.settled) await this.completions.submit(job);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await this.boss
          .fail(JOBS_QUEUE, attemptOf(job), { message })
          .catch((e: unknown) => this.logger.warn(`could not fail queue entry ${job.id}: ${String(e)}`));
      }
    })()
      .catch((err: unknown) => this.logger.warn(`could not complete queue entry ${job.id}: ${String(err)}`))
      .finally(() => {
        this.claimed.delete(key);
        if (this.claimed.size === 0) this.idle?.resolve();
        void this.fill();
      });
  }

  /**
   * Refreshes every claim of this process in one statement (pg-boss fails an entry whose heartbeat is
   * overdue, and retries it elsewhere). A claim it did not refresh is gone: its run is aborted. A
   * heartbeat that could not run says nothing about the claims, so nothing is aborted then.
   */
  private async heartbeat(): Promise<void> {
    const held = [...this.claimed.values()].filter((c) => !c.claim.signal.aborted);
    if (held.length === 0) return;
    let settled: string[] | undefined;
    try {
      const touched = await this.boss.touch(
        JOBS_QUEUE,
        held.map((c) => attemptOf(c.job)),
      );
      // touch() answers the ids it refreshed (fenced to the attempts this process claimed).
      settled = (touched as { settled?: string[] }).settled;
    } catch (err) {
      this.logger.warn(`could not refresh the claims on the jobs queue: ${String(err)}`);
      return;
    }
    if (!settled) return;
    const refreshed = new Set(settled);
    for (const c of held) {
      if (!refreshed.has(c.job.id) && this.claimed.get(claimKey(c.job)) === c) {
        c.claim.abort(new Error(`queue entry ${c.job.id} is no longer claimed by this process`));
      }
    }
  }

  /** A new entry is waiting: fetch now (for the free slots) instead of at the next poll. */
  wake(): void {
    if (this.consuming) void this.fill();
  }

  async stopConsuming(): Promise<void> {
    if (!this.consuming) return;
    this.consuming = false;
    clearInterval(this.pollTimer);
    // A fetch in flight may still claim entries: they run too (see fetchAndRun), so wait for it.
    await this.filling;
    // Claims stay refreshed until their runs end.
    if (this.claimed.size > 0) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.idle = { promise, resolve };
      await promise;
    }
    clearInterval(this.heartbeatTimer);
    await this.completions.flushed();
    await this.boss.offWork(FOLLOW_QUEUE, { wait: true }).catch(() => undefined);
    await this.boss.offWork(JOBS_DEAD_QUEUE, { wait: true });
    this.consumer = undefined;
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

/** Most entries one statement completes. */
const COMPLETIONS_MAX = 64;

/** How often an idle process looks at the jobs queue (a wake fetches at once; this catches what no wake announced). */
const JOBS_POLL_MS = 2000;

/** A claim of an entry: one attempt of it (a retry is a new claim of the same entry). */
const claimKey = (job: BossJob<QueuedJobData>) => `${job.id}/${job.retryCount}`;

/** An entry as settled: fenced to the attempt this process claimed, so no later claim is touched. */
function attemptOf(job: BossJob<QueuedJobData>): { id: string; retryCount: number } {
  return { id: job.id, retryCount: job.retryCount };
}

function toEntry(job: BossJob<QueuedJobData>, kind: 'run' | 'follow' = 'run'): QueueEntry | null {
  const jobId = job.data?.jobId;
  if (typeof jobId !== 'string') return null;
  const entry: QueueEntry = { id: job.id, jobId, signal: job.signal, attempt: job.retryCount, kind };
  if (kind === 'follow') entry.follow = job.data.follow ?? { polls: 0, unavailableSince: null };
  return entry;
}
