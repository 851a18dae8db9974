import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { MIGRATIONS } from './migrations';
import { EVENT_MAPPERS, ENTITIES, JOB_SEQ } from './entities';
import { OutboxSubscriber } from './outbox/outbox.subscriber';

export interface OrmConfigOptions {
  url: string;
  /** Write domain events to the outbox (default true). */
  events?: boolean;
  poolMax?: number;
  debug?: boolean;
}

/** The one MikroORM configuration, for the app, the workers, the CLI script and the tests. */
export function buildOrmConfig({ url, events = true, poolMax = 10, debug = false }: OrmConfigOptions) {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities: ENTITIES,
    extensions: [Migrator],
    subscribers: events ? [new OutboxSubscriber(EVENT_MAPPERS, JOB_SEQ)] : [],
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
