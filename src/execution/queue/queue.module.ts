import { Global, Module } from '@nestjs/common';
import { JobQueue } from '../../jobs/job-queue';
import { PgBossQueue } from './pg-boss.provider';

/** Provides the JobQueue (pg-boss) to the jobs module and the workers. */
@Global()
@Module({
  providers: [PgBossQueue, { provide: JobQueue, useExisting: PgBossQueue }],
  exports: [PgBossQueue, JobQueue],
})
export class QueueModule {}
