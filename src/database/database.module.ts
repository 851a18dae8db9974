import { MikroORM } from '@mikro-orm/postgresql';
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

export async function migrate(orm: MikroORM, url: string, logger?: Logger): Promise<void> {
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
