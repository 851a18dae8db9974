import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { ExecutionWorker } from './worker/execution.worker';
import { SimulatorPoolService } from './worker/simulator-pool.service';

/**
 * The execution workers: they take jobs off the pg-boss queue (provided globally by QueueModule) and
 * run them in the simulator. They work only where config.runWorkers is true (`npm start` by default,
 * `npm run worker` always); every process attaches the queue's dead letter queue.
 */
@Module({
  imports: [JobsModule],
  providers: [SimulatorPoolService, ExecutionWorker],
  exports: [ExecutionWorker],
})
export class ExecutionModule {}
