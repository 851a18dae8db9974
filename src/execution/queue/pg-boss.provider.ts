import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PgBoss, fromKysely, type Db } from 'pg-boss';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { JobQueue } from '../../jobs/job-queue';

export const JOBS_QUEUE = 'qunest-jobs';

export interface QueuedJobData {
  jobId: string;
}

/**
 * pg-boss in the application's own database (schema `pgboss`). The queue entry of a job is written
 * on the caller's transaction (pg-boss's `db` option over MikroORM's Kysely transaction), so a job row
 * and its queue entry commit together or not at all.
 */
@Injectable()
export class PgBossQueue extends JobQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PgBossQueue.name);
  readonly boss: PgBoss;

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
    await this.boss.createQueue(JOBS_QUEUE, {
      retryLimit: this.config.jobRetryLimit,
      retryDelay: 0,
      heartbeatSeconds: this.config.jobHeartbeatSeconds,
      expireInSeconds: 24 * 3600,
      retentionSeconds: 7 * 24 * 3600,
      deleteAfterSeconds: 24 * 3600,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 10_000 }).catch(() => undefined);
  }

  private db(em: EntityManager): Db | undefined {
    const trx = em.getTransactionContext();
    return trx ? fromKysely(trx as never) : undefined;
  }

  async enqueue(jobId: string, em: EntityManager, entryId: string): Promise<void> {
    const id = await this.boss.send(JOBS_QUEUE, { jobId } satisfies QueuedJobData, { id: entryId, db: this.db(em) });
    if (id !== entryId) throw new Error(`pg-boss did not accept job ${jobId}`);
  }

  async remove(queueJobId: string, em: EntityManager): Promise<void> {
    await this.boss.cancel(JOBS_QUEUE, queueJobId, { db: this.db(em) });
  }
}
