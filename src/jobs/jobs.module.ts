import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DevicesModule } from '../devices/devices.module';
import { DeploymentJobsController, JobsController } from './jobs.controller';
import { JobQueueStats } from './job-queue-stats';
import { JobsService } from './jobs.service';

/** Jobs' use cases. They need the JobQueue port, which the global QueueModule provides. */
@Module({
  imports: [DeploymentsModule, DevicesModule],
  providers: [JobsService, JobQueueStats],
  exports: [JobsService, JobQueueStats],
})
export class JobsModule {}

/** The jobs' HTTP API (API processes only). */
@Module({
  imports: [JobsModule],
  controllers: [JobsController, DeploymentJobsController],
})
export class JobsHttpModule {}
