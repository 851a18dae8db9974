import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import type { AppConfig } from './config/app-config';
import { QunestConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { DevicesModule } from './devices/devices.module';
import { ExecutionModule } from './execution/execution.module';
import { QueueModule } from './execution/queue/queue.module';
import { JobsModule } from './jobs/jobs.module';
import { RealtimeModule } from './realtime/realtime.module';

export function loggerModule(config: AppConfig) {
  return LoggerModule.forRoot({
    // Nest 11's router syntax (the default '*' makes path-to-regexp 8 warn at every start).
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      autoLogging: { ignore: (req) => req.url === '/api/health' },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.body.token'], censor: '[redacted]' },
      quietReqLogger: true,
    },
  });
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        QunestConfigModule.forRoot(config),
        loggerModule(config),
        DatabaseModule,
        AuthModule,
        QueueModule,
        DevicesModule,
        DeploymentsModule,
        JobsModule,
        ExecutionModule,
        RealtimeModule,
        AdminModule,
      ],
    };
  }
}
