import { Module } from '@nestjs/common';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { ProgramValidator } from './program-validator';

@Module({
  controllers: [DeploymentsController],
  providers: [DeploymentsService, ProgramValidator],
  exports: [DeploymentsService],
})
export class DeploymentsModule {}
