import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { ProviderTokens } from './provider-tokens';
import { JobSubmissionLimiter } from './rate-limit';

@Global()
@Module({
  providers: [AuthService, ProviderTokens, JobSubmissionLimiter, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, ProviderTokens, JobSubmissionLimiter],
})
export class AuthModule {}
