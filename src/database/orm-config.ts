import type { EntitySchema } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import { MIGRATIONS } from './migrations';
import { OutboxSubscriber, type EventMapper, type JobSeq } from './outbox/outbox.subscriber';

/** What the modules bring to the database: their entities, and the mappers from their changes to events. */
export interface OrmModel {
  /** Every entity (MikroORM schemas), the outbox's included. */
  entities: readonly EntitySchema<any, any>[];
  eventMappers: readonly EventMapper[];
  /** Which entity carries the per-job event counter, so that the outbox numbers job events in the flush. */
  jobSeq: JobSeq;
}

export interface OrmConfigOptions {
  model: OrmModel;
  url: string;
  /** Write domain events to the outbox (default true). */
  events?: boolean;
  poolMax?: number;
  /**
   * Longest a unit of work waits for a connection of the pool (or for a new connection to open)
   * before it fails, in ms (default {@link DEFAULT_ACQUIRE_TIMEOUT_MS}). node-postgres waits without
   * limit unless told: a bound turns a pool that cannot give a connection into an error, not a hang.
   */
  acquireTimeoutMs?: number;
  debug?: boolean;
}

export const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;

/**
 * Gives a pooled connection that dies while checked out back to the pool, so that the pool forgets it.
 *
 * Kysely (under MikroORM) releases a transaction's connection only when its BEGIN, COMMIT or ROLLBACK
 * succeeds (kysely 0.29: `ControlledTransactionBuilder.execute`, `ControlledTransaction.commit`,
 * `rollback`). When the server ends the connection inside a transaction (pg_terminate_backend, a
 * restart), the statement fails, MikroORM's rollback fails too ("not queryable"), and nobody ever
 * releases the client: node-postgres counts it as checked out for good. After `max` such deaths every
 * checkout waits forever, and so do the unit of work, the job handler and its queue slot (while
 * pg-boss, on its own pool, keeps the entry's heartbeat fresh, so the entry is never retried).
 *
 * Here each client's `release` (set by pg-pool at every checkout) is made idempotent, and a client
 * that ends or fails while checked out is released with the error at once: the pool removes it and
 * serves the next waiter with a new connection. Whoever still holds the dead client only sees its
 * queries fail; their own release later is a no-op instead of pg-pool's double-release error.
 */
export function releaseDeadClients(pool: Pool): void {
  pool.on('connect', (client: PoolClient) => {
    let release: ((err?: Error | boolean) => void) | undefined;
    let checkedOut = false;
    Object.defineProperty(client, 'release', {
      configurable: true,
      enumerable: true,
      get: () => release,
      set: (poolRelease: (err?: Error | boolean) => void) => {
        let released = false;
        checkedOut = true;
        release = (err?: Error | boolean) => {
          if (released) return;
          released = true;
          checkedOut = false;
          poolRelease(err);
        };
      },
    });
    const onDeath = (err: Error) => {
      if (checkedOut) release?.(err);
    };
    client.on('error', onDeath);
    client.on('end', () => onDeath(new Error('connection ended while checked out')));
  });
}

/** The one MikroORM configuration of a model (see src/model.ts), for the app, the workers, tools and tests. */
export function buildOrmConfig({
  model,
  url,
  events = true,
  poolMax = 10,
  acquireTimeoutMs = DEFAULT_ACQUIRE_TIMEOUT_MS,
  debug = false,
}: OrmConfigOptions) {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities: [...model.entities],
    extensions: [Migrator],
    subscribers: events ? [new OutboxSubscriber(model.eventMappers, model.jobSeq)] : [],
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    pool: { min: 0, max: poolMax },
    // Passed to node-postgres's Pool as they are (PostgreSqlConnection.createKyselyDialect).
    driverOptions: { connectionTimeoutMillis: acquireTimeoutMs, onPoolCreated: releaseDeadClients },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    debug,
    discovery: { warnWhenNoEntities: true },
  });
}
