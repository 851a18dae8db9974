// First: the compile cache covers every module loaded after it.
import { flushCompileCache } from './common/compile-cache';
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './app.module';
import { closeOnSignals, loadConfigOrExit, resolveDatabase, announce } from './startup';
import type { AppConfig } from './config/app-config';
import { embeddedUrl } from './database/embedded-postgres';

/**
 * `npm run worker`: a process that only executes jobs (WorkerModule: no HTTP, no socket.io, no admin UI). Any number of them may run beside
 * `npm start` on one database. Without DATABASE_URL it uses the private PostgreSQL of `npm start`
 * when that one is running (its data directory's postmaster.pid names the port), else starts it.
 */

/** The port of a live embedded server in `dataDir`, from its postmaster.pid, or undefined. */
function runningEmbeddedPort(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch (err) {
    // EPERM: alive but owned by another user (the `postgres` user, when started as root)
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? port : undefined;
  }
}

async function resolveWorkerDatabase(config: AppConfig) {
  if (!config.databaseUrl) {
    const port = runningEmbeddedPort(config.embeddedDataDir);
    if (port !== undefined) {
      config.databaseUrl = embeddedUrl(port, 'qunest');
      return undefined;
    }
  }
  return resolveDatabase(config);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const embedded = await resolveWorkerDatabase(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  closeOnSignals(config, async () => {
    await app.close();
    await embedded?.stop();
  });
  await app.init();
  flushCompileCache();
  announce(config, `Qunest worker ready (pid ${process.pid}, ${config.workerConcurrency} jobs at a time)`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
