import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { ApiModule } from './app.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { rootLogger } from './common/logger';
import { hardenHttp } from './common/http-hardening';
import { createValidationPipe, RejectNulPipe } from './common/validation';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import {
  createDatabase,
  EmbeddedPostgresInUseError,
  embeddedUrl,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from './database/embedded-postgres';
import { EmbeddedPostgresUnavailableError } from './database/postgres-binaries';

/** Builds the HTTP application (API under /api, OpenAPI at /api/docs) without listening. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  hardenHttp(app);
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  app.setGlobalPrefix('api');
  app.useGlobalPipes(new RejectNulPipe(), createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  const openapi = new DocumentBuilder()
    .setTitle('Qunest')
    .setDescription('Run quantum programs as jobs on quantum devices and follow them live.')
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openapi), {
    jsonDocumentUrl: 'api/docs/openapi.json',
  });
  return app;
}

/** The validated configuration, or exit 2 with a message that names every bad value. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Resolves the database: DATABASE_URL when set, else a private PostgreSQL (embedded-postgres) whose
 * data directory survives restarts. Returns the handle of the embedded server, to stop it at the end.
 * A server that a crashed Qunest left running in the data directory is stopped and started again;
 * one that a live Qunest uses refuses the start (EmbeddedPostgresInUseError names that process).
 */
export async function resolveDatabase(config: AppConfig): Promise<EmbeddedDatabase | undefined> {
  if (config.databaseUrl) return undefined;
  const log = startupLogger(config, 'EmbeddedPostgres');
  let embedded: EmbeddedDatabase;
  try {
    embedded = await startEmbeddedPostgres({
      dataDir: config.embeddedDataDir,
      persistent: true,
      stopOnSignals: false,
      log: (line) => log.warn(line),
    });
  } catch (err) {
    // What to do is in the message: say it, without a stack trace, and exit (2: the setup, not a bug).
    if (err instanceof EmbeddedPostgresUnavailableError || err instanceof EmbeddedPostgresInUseError) {
      log.error(err.message);
    } else {
      log.error(
        `could not start the embedded PostgreSQL: ${err instanceof Error ? err.message : String(err)}. ` +
          'Set DATABASE_URL to a PostgreSQL server to do without it.',
      );
    }
    process.exit(2);
  }
  try {
    await createDatabase(embedded.url, 'qunest');
  } catch (err) {
    if (!String(err).includes('already exists')) throw err;
  }
  config.databaseUrl = embeddedUrl(embedded.port, 'qunest');
  log.info(
    `started a private PostgreSQL on port ${embedded.port} (data in ${config.embeddedDataDir}); set DATABASE_URL to use your own`,
  );
  return embedded;
}

/** A logger for the start-up and shutdown of the process, on the process's one logger (common/logger.ts). */
export function startupLogger(config: AppConfig, context: string): PinoLogger {
  return rootLogger(config).child({ context });
}

/**
 * Says that the process is ready ("Qunest listening on …", "Qunest worker ready …"): a line that
 * supervisors and scripts wait for, so it is written whatever LOG_LEVEL says (as an info line of the
 * logger when info is on, else as a plain line).
 */
export function announce(config: AppConfig, message: string): void {
  const log = startupLogger(config, 'Qunest');
  if (log.isLevelEnabled('info')) log.info(message);
  else process.stdout.write(`${message}\n`);
}

/** Stops the app (in-flight requests finish, workers stop) and then the embedded database, on SIGINT/SIGTERM. */
export function closeOnSignals(config: AppConfig, close: () => Promise<void>): void {
  let closing = false;
  const log = startupLogger(config, 'Shutdown');
  const onSignal = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info(`${signal}: shutting down`);
    close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
