import type { EntityManager } from '@mikro-orm/postgresql';

/** One entry taken from the queue: the job to run. */
export interface QueueEntry {
  /** The entry's id (the job's queueJobId). */
  id: string;
  jobId: string;
  /** Aborted when this process loses its claim on the entry (heartbeat missed: another worker may have it). */
  signal?: AbortSignal;
  /** Which claim of the entry this is (the queue's retry count), so that settling it touches no later claim. */
  attempt?: number;
  /**
   * `run`: the job is to be executed (or, on a remote device, submitted). `follow`: the job is at a
   * remote provider, and this entry is one scheduled look at it (poll), with the state of the following.
   */
  kind?: 'run' | 'follow';
  follow?: FollowState;
  /**
   * Set (after its commit) by a use case that ended this entry inside its own transaction, as
   * saveResults does: the queue then does not complete it a second time.
   */
  settled?: boolean;
}

/** How a job at a remote provider has been followed so far, carried from one follow entry to the next. */
export interface FollowState {
  /** Looks at the provider so far (the wait before the next one grows with it). */
  polls: number;
  /** Since when (ISO) the provider has been out of reach or asking us to wait; null while it answers. */
  unavailableSince: string | null;
}

/** How an entry is queued. */
export interface EnqueueOptions {
  /**
   * The fair-share group of the job (its owner): the queue hands out no entry of a group that already
   * has `QueueConsumer.maxRunningPerGroup` entries running, across all processes. Null: no group.
   */
  group?: string | null;
  /** Not to be taken before this many seconds from now. */
  startAfterSeconds?: number;
}

/** What the queue knows of an entry, for the sweep of RUNNING jobs that nobody will finish. */
export type QueueEntryFate =
  /** Waiting, running or due for a retry: a worker will (or does) take care of it. */
  | { kind: 'pending' }
  /** Failed for good, and the dead letter handler will end its job. */
  | { kind: 'dead-lettered' }
  /** Ended (completed, failed or cancelled) without anyone left to end its job; or gone. */
  | { kind: 'lost'; state: string | null };

export interface QueueConsumer {
  /** Entries one process runs at once. */
  concurrency: number;
  /** Most entries of one group running at once, across all processes; 0 or unset = no limit. */
  maxRunningPerGroup?: number;
  /**
   * Runs one entry. Returning ends the entry; throwing puts it back for another try (on any process),
   * as long as retries are left; after the last, it goes to `dead`.
   */
  run(entry: QueueEntry): Promise<void>;
  /** An entry whose retries are used up (its workers kept dying). */
  dead(entry: QueueEntry): Promise<void>;
  /** Takes one follow entry (a look at a job at a remote provider); as `run`, returning ends it. */
  follow?(entry: QueueEntry): Promise<void>;
  /** Follow entries one process handles at once (they wait on the network, not on a core). */
  followConcurrency?: number;
}

/**
 * The job queue as jobs and execution see it; the queue module implements it with pg-boss. The
 * producer side (`enqueue`, `remove`) runs on the caller's transaction, so that the job row and its
 * queue entry commit (or roll back) together. The consumer side is what a worker needs.
 */
export abstract class JobQueue {
  /** Adds the job to the queue inside `em`'s transaction, as entry `entryId` (a UUID the caller made). */
  abstract enqueue(jobId: string, em: EntityManager, entryId: string, options?: EnqueueOptions): Promise<void>;
  /** {@link enqueue} of several jobs, in one statement. */
  abstract enqueueMany(
    entries: { jobId: string; entryId: string; options?: EnqueueOptions }[],
    em: EntityManager,
  ): Promise<void>;
  /** Takes a waiting job off the queue inside `em`'s transaction (no-op when it is no longer waiting). */
  abstract remove(entryId: string, em: EntityManager): Promise<void>;

  /**
   * Ends an entry this process has taken, inside `em`'s transaction, without a retry: for an entry
   * replaced by a new one (a job handed back for fair scheduling). No-op when the claim has lapsed.
   */
  abstract finish(entry: QueueEntry, em: EntityManager): Promise<void>;

  /** {@link finish} of several entries of the jobs queue, in one statement. */
  abstract finishMany(entries: QueueEntry[], em: EntityManager): Promise<void>;

  /**
   * Schedules a look at a job that is at a remote provider, inside `em`'s transaction, as entry
   * `entryId` due in `startAfterSeconds`: a delayed queue entry, so no worker waits on the remote job.
   */
  abstract enqueueFollow(
    jobId: string,
    em: EntityManager,
    entryId: string,
    startAfterSeconds: number,
    state: FollowState,
  ): Promise<void>;

  /** Starts taking entries in this process. */
  abstract consume(consumer: QueueConsumer): Promise<void>;
  /** A new entry is waiting: one idle consumer fetches now instead of at its next poll. */
  abstract wake(): void;
  /** Stops taking entries; resolves when the entries being run have returned or thrown. */
  abstract stopConsuming(): Promise<void>;
  /** What became of an entry. */
  abstract fate(entryId: string): Promise<QueueEntryFate>;
}
