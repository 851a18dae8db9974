import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { ExecutionWorker } from './worker/execution.worker';
import { RemoteFollower } from './worker/remote-follower';

/**
 * The execution workers: they take jobs off the queue (the JobQueue port, provided globally by
 * QueueModule) and have them executed by the backends (BackendsModule, global too). A composition
 * root imports this module only where jobs are to be executed: `npm run worker` always, `npm start`
 * unless RUN_WORKERS=false.
 */
@Module({
  imports: [JobsModule],
  providers: [ExecutionWorker, RemoteFollower],
})
export class ExecutionModule {}
