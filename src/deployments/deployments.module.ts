import { Module } from '@nestjs/common';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { ProgramValidator } from './program-validator';

@Module({
  providers: [DeploymentsService, ProgramValidator],
  exports: [DeploymentsService],
})
export class DeploymentsModule {}

/** The deployments' HTTP API (API processes only). */
@Module({
  imports: [DeploymentsModule],
  controllers: [DeploymentsController],
})
export class DeploymentsHttpModule {}
