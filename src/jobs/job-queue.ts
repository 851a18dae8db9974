import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * What the jobs module needs of the queue, and no more: the execution module implements it with
 * pg-boss. `enqueue` and `remove` run on the caller's transaction, so that the job row and its queue
 * entry commit (or roll back) together.
 */
export abstract class JobQueue {
  /** Adds the job to the queue inside `em`'s transaction, as entry `entryId` (a UUID the caller made). */
  abstract enqueue(jobId: string, em: EntityManager, entryId: string): Promise<void>;
  /** Takes a waiting job off the queue inside `em`'s transaction (no-op when it is no longer waiting). */
  abstract remove(queueJobId: string, em: EntityManager): Promise<void>;
}
