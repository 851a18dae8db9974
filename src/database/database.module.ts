import { MikroORM, TableNotFoundException } from '@mikro-orm/postgresql';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { DynamicModule, Global, Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import pg from 'pg';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { HealthController } from './health.controller';
import { buildOrmConfig, type OrmModel } from './orm-config';

const MIGRATION_LOCK = 7_420_111;

/** GET /api/health (API processes only): the database and the event loop, reported apart. */
@Module({ imports: [TerminusModule], controllers: [HealthController] })
export class HealthModule {}

/**
 * MikroORM on PostgreSQL with the model it is given (src/model.ts) and the outbox of domain events.
 * Migrations run at start-up, under an advisory lock so that many processes may start at once.
 */

@Global()
@Module({})
export class DatabaseModule implements OnModuleInit {
  static forRoot(model: OrmModel): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        MikroOrmModule.forRootAsync({
          driver: PostgreSqlDriver,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) =>
            buildOrmConfig({
              model,
              url: config.databaseUrl!,
              acquireTimeoutMs: config.dbAcquireTimeoutSeconds * 1000,
            }),
        }),
      ],
    };
  }

  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrate(this.orm, this.config.databaseUrl!, this.logger);
  }
}

/**
 * Applies the pending migrations, under an advisory lock. A start with nothing to apply (every
 * migration of the list recorded in the migrations table) costs one query on the ORM's pool: the
 * lock's connection and MikroORM's migrator (which checks and creates its table, then reads it)
 * are skipped. Migrations are only ever added, so a list found complete needs no lock.
 */
export async function migrate(orm: MikroORM, url: string, logger?: Logger): Promise<void> {
  if (await allApplied(orm)) return;
  const lock = new pg.Client({ connectionString: url, application_name: 'qunest-migrate' });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = await orm.migrator.up();
    if (done.length > 0) logger?.log(`applied migrations: ${done.map((m) => m.name).join(', ')}`);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}

/** Whether every migration of the configured list is recorded as applied (false when the table is missing). */
async function allApplied(orm: MikroORM): Promise<boolean> {
  const { migrationsList = [], tableName = 'mikro_orm_migrations' } = orm.config.get('migrations');
  let applied: Set<string>;
  try {
    const rows = await orm.em
      .getConnection()
      .execute<{ name: string }[]>(`select name from "${tableName.replace(/"/g, '""')}"`);
    applied = new Set(rows.map((r) => r.name));
  } catch (err) {
    // A new database, which the migrator sets up (undefined_table; the raw query's error is not mapped).
    if (err instanceof TableNotFoundException || (err as { code?: string }).code === '42P01') return false;
    throw err;
  }
  return migrationsList.every((m) => applied.has(m.name.replace(/\.[jt]s$/, '')));
}
