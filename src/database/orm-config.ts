import type { EntitySchema } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
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
  debug?: boolean;
}

/** The one MikroORM configuration of a model (see src/model.ts), for the app, the workers, tools and tests. */
export function buildOrmConfig({ model, url, events = true, poolMax = 10, debug = false }: OrmConfigOptions) {
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
    forceUtcTimezone: true,
    allowGlobalContext: false,
    debug,
    discovery: { warnWhenNoEntities: true },
  });
}
