import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { rootLogger } from './common/logger';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import {
  createDatabase,
  EmbeddedPostgresInUseError,
  embeddedUrl,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from './database/embedded-postgres';
import { EmbeddedPostgresUnavailableError } from './database/postgres-binaries';

/**
 * What a process does before and after its application: the configuration, the database (the
 * embedded PostgreSQL when DATABASE_URL is unset), the start-up log lines and the shutdown on
 * signals. It loads no Nest, ORM or queue module (bootstrap.ts does), so that `npm start` can start
 * PostgreSQL before it loads them and PostgreSQL boots while they load (src/main.ts).
 */

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
 *
 * `onBooting` is called once the server process is spawned and the start only waits for it to
 * accept connections: the caller may load its modules meanwhile (src/main.ts).
 */
export async function resolveDatabase(
  config: AppConfig,
  options: { onBooting?: () => void } = {},
): Promise<EmbeddedDatabase | undefined> {
  if (config.databaseUrl) return undefined;
  const log = startupLogger(config, 'EmbeddedPostgres');
  if (!existsSync(join(config.embeddedDataDir, 'PG_VERSION'))) {
    log.info(`first start: creating the private PostgreSQL's data directory in ${config.embeddedDataDir} (initdb)`);
  }
  let embedded: EmbeddedDatabase;
  try {
    embedded = await startEmbeddedPostgres({
      dataDir: config.embeddedDataDir,
      persistent: true,
      stopOnSignals: false,
      log: (line) => log.warn(line),
      onBooting: options.onBooting,
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
