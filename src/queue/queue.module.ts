import { Global, Module } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue';
import { PgBossQueue } from './pg-boss.queue';

/** Provides the JobQueue port (pg-boss) to the jobs module (producer) and the workers (consumer). */
@Global()
@Module({
  providers: [PgBossQueue, { provide: JobQueue, useExisting: PgBossQueue }],
  exports: [PgBossQueue, JobQueue],
})
export class QueueModule {}
