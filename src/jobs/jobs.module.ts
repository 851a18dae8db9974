import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { DevicesModule } from '../devices/devices.module';
import { DeploymentJobsController, JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

/** Jobs need a JobQueue; the execution module provides it (see ExecutionModule / QueueModule). */
@Module({
  imports: [DeploymentsModule, DevicesModule],
  controllers: [JobsController, DeploymentJobsController],
  providers: [JobsService],
  exports: [JobsService],
})
export class JobsModule {}
