import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { rootLogger } from './common/logger';
import { PeriodicTasksModule } from './common/periodic-tasks';
import type { AppConfig } from './config/app-config';
import { QunestConfigModule } from './config/config.module';
import { DatabaseModule, HealthModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { DeploymentsHttpModule } from './deployments/deployments.module';
import { DevicesHttpModule } from './devices/devices.module';
import { BackendsModule } from './execution/backends/backends.module';
import { ExecutionModule } from './execution/execution.module';
import { JobsHttpModule } from './jobs/jobs.module';
import { MODEL } from './model';
import { QueueModule } from './queue/queue.module';
import { RealtimeModule } from './realtime/realtime.module';
import { TranslationsHttpModule } from './translations/translations.module';
import { WebhookDeliveryModule, WebhooksHttpModule } from './webhooks/webhooks.module';

/**
 * The composition roots. Both processes share the core (config, logs, database and its event bus,
 * auth, queue, backends, periodic tasks); the API adds the HTTP controllers, the socket.io gateway
 * and the admin UI, and the workers where RUN_WORKERS is on; the worker process adds only the workers.
 */

function loggerModule(config: AppConfig) {
  return LoggerModule.forRoot({
    // Nest 11's router syntax (the default '*' makes path-to-regexp 8 warn at every start).
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      // the process's one logger (common/logger.ts): level, format and redaction are set there
      logger: rootLogger(config),
      autoLogging: { ignore: (req) => req.url === '/api/health' },
      quietReqLogger: true,
    },
  });
}

function core(config: AppConfig) {
  return [
    QunestConfigModule.forRoot(config),
    loggerModule(config),
    PeriodicTasksModule,
    DatabaseModule.forRoot(MODEL),
    EventsModule,
    AuthModule,
    QueueModule,
    BackendsModule,
  ];
}

/** `npm start`: the HTTP API, socket.io and the admin UI, with the workers unless RUN_WORKERS=false. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ...core(config),
        HealthModule,
        DevicesHttpModule,
        DeploymentsHttpModule,
        JobsHttpModule,
        TranslationsHttpModule,
        WebhooksHttpModule,
        RealtimeModule,
        AdminModule,
        ...(config.runWorkers ? [ExecutionModule, WebhookDeliveryModule] : []),
      ],
    };
  }
}

/** `npm run worker`: the workers alone, without HTTP, socket.io or the admin UI. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [...core(config), ExecutionModule, WebhookDeliveryModule] };
  }
}
