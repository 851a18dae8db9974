/**
 * End-to-end throughput: one-program Bell jobs of 1,000 shots, from POST /api/jobs to FINISHED,
 * through the real app (REST, MikroORM, outbox events, pg-boss, the execution workers, the simulator
 * worker threads) on a private embedded PostgreSQL, against a raw pg-boss send + work round trip on
 * the same server in the same run.
 *
 *   npm run build && node dist/bench/throughput.bench.js      (BENCH_JOBS=2000, BENCH_CLIENTS=32)
 *
 * Phases, each on its own fresh database:
 *   1. submit only: an app without workers takes BENCH_JOBS submissions (BENCH_CLIENTS at a time);
 *   2. drain only: a second app, with workers, started on that database, runs the READY backlog;
 *   3. end to end: one app (API + workers, as `npm start`) takes submissions and runs them; jobs/s
 *      and the latency from the start of the POST to the FINISHED event (the committed state change,
 *      as every process hears it), p50/p99;
 *      then, on the same app with its queue empty, BENCH_QUIET_JOBS (100) jobs one at a time: the
 *      latency of a POST and of a whole job without a backlog;
 *   4. baseline: pg-boss alone, the same number of sends (BENCH_CLIENTS at a time) and a worker of
 *      the same concurrency with an empty handler, woken the same way as ours.
 * The report ends with the ratio of each end-to-end rate to pg-boss alone in the same run.
 * The HTTP clients run in this process too, so they share the two cores with the server. Bounded:
 * fixed counts, every wait has a timeout, everything is closed at the end and the process exits.
 * Prints a markdown report; with BENCH_WRITE_DOCS=1 also puts it into docs/benchmarks.md's
 * "End-to-end throughput" section (other sections are left alone).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { PgBoss } from 'pg-boss';
import { createApp } from '../src/bootstrap';
import { loadConfig, type AppConfig } from '../src/config/app-config';
import { createDatabase, startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { DomainEventBus } from '../src/events/domain-event-bus';
import { preparePrograms } from '../src/execution/backends/program-runner';
import { SimulatorPoolService } from '../src/execution/backends/simulator-pool.service';
import { JOBS_QUEUE, PgBossQueue, type QueuedJobData } from '../src/queue/pg-boss.queue';
import { JobsService } from '../src/jobs/jobs.service';
import { BELL_QASM2 } from '../src/quantum';

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const SHOTS = 1000;
/** Worker concurrencies to measure (jobs one process executes at once); the first is the default, nproc. */
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? `${cpus().length},8`).split(',').map(Number);
const WAIT_MS = 10 * 60_000;
/** Jobs submitted one at a time on an idle app, for the latency without a backlog. */
const QUIET_JOBS = Number(process.env.BENCH_QUIET_JOBS ?? 100);
const BELL = BELL_QASM2;
/**
 * Phases to run (BENCH_PHASES, comma separated; all by default): warmup, anatomy, submit, drain, e2e,
 * split (API + worker process), boss (pg-boss alone). A partial run is for A/B comparisons of one
 * phase; the ratio line needs e2e or split and boss.
 */
const PHASES = new Set(
  (process.env.BENCH_PHASES ?? 'warmup,anatomy,submit,drain,e2e,split,boss').split(',').map((s) => s.trim()),
);
const phase = (name: string) => PHASES.has(name);

/**
 * With BENCH_PROFILE=<phase> (submit, drain), a CPU profile of this process during that phase only,
 * written to BENCH_PROFILE_FILE (default /tmp/<phase>.cpuprofile; open it in Chrome's DevTools).
 * Returns the function that stops it.
 */
async function profileIf(name: string): Promise<() => Promise<void>> {
  if (process.env.BENCH_PROFILE !== name) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    const file = process.env.BENCH_PROFILE_FILE ?? path.join(tmpdir(), `${name}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    log(`wrote the CPU profile of ${name} to ${file}`);
  };
}

const now = () => performance.now();

/** Busy and total jiffies of the whole machine (/proc/stat), to tell this process's CPU from PostgreSQL's. */
function machineJiffies(): { busy: number; total: number } {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

let postmasterPid = 0;
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds used so far by one process (all its threads). */
function procCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** CPU seconds used so far by our PostgreSQL: the postmaster and its live children (backends, walwriter, ...). */
function postgresCpuSeconds(): number {
  if (!postmasterPid) return NaN;
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // after the command: state(0) ppid(1) ... utime(11) stime(12)
      if (Number(pid) === postmasterPid || Number(f[1]) === postmasterPid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / CLOCK_TICKS;
}

/**
 * Measures CPU over a phase, in cores, and the CPU time of our processes per job (BENCH_JOBS jobs a
 * phase: this process, our PostgreSQL and any extra process given; it depends far less on what else
 * runs on the machine than the rates do): this process (API, workers, simulator threads, HTTP clients),
 * our PostgreSQL (backends that exited during the phase are not counted), and the whole machine
 * (anything else running on it included).
 */
/**
 * Statements sent to PostgreSQL by this process (every pg client: MikroORM's pool, the event bus's
 * listener, and pg-boss's own copy of pg), counted by wrapping pg's Client.prototype.query. Unlike
 * the rates and CPU times, the count a job does not depend on the rest of the machine.
 */
let statements = 0;
function countStatements(): void {
  const copies = new Set<{ Client: { prototype: { query: (...args: unknown[]) => unknown } } }>();
  for (const from of [__filename, require.resolve('pg-boss')]) {
    try {
      copies.add(createRequire(from)('pg'));
    } catch {
      // that copy is not installed apart
    }
  }
  for (const pg of copies) {
    const proto = pg.Client.prototype;
    const query = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]) {
      statements++;
      return query.apply(this, args);
    };
  }
}

function cpuMeter() {
  const s0 = statements;
  const u0 = process.cpuUsage();
  const m0 = machineJiffies();
  const p0 = postgresCpuSeconds();
  const t0 = now();
  /** `extraCores`: another process of ours (the worker process), counted in the CPU time a job. */
  return (extraCores = 0) => {
    const u = process.cpuUsage(u0);
    const m = machineJiffies();
    const wall = (now() - t0) / 1000;
    const node = (u.user + u.system) / 1e6 / wall;
    const pg = (postgresCpuSeconds() - p0) / wall;
    const machine = ((m.busy - m0.busy) / (m.total - m0.total)) * cpus().length;
    const perJob = ((node + pg + extraCores) * wall * 1000) / JOBS;
    const sent = (statements - s0) / JOBS;
    return `${node.toFixed(2)} / ${pg.toFixed(2)} / ${machine.toFixed(2)} (${perJob.toFixed(1)} ms a job; ${sent.toFixed(1)} statements a job${extraCores ? ' from this process' : ''})`;
  };
}
const log = (s: string) => process.stderr.write(`${s}\n`);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** Runs `n` tasks, `concurrency` at a time. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

function waitFor(cond: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > end) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

interface Started {
  app: INestApplication;
  url: string;
  finishedAt: Map<string, number>;
  failed: Map<string, string>;
}

async function start(config: AppConfig): Promise<Started> {
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const finishedAt = new Map<string, number>();
  const failed = new Map<string, string>();
  app.get(DomainEventBus).subscribe((e) => {
    if (e.name !== 'job.state') return;
    if (e.payload.state === 'FINISHED') finishedAt.set(e.payload.jobId, now());
    else if (e.payload.state === 'ERROR' || e.payload.state === 'CANCELED')
      failed.set(e.payload.jobId, e.payload.state);
  });
  return { app, url: `http://127.0.0.1:${port}`, finishedAt, failed };
}

async function post(url: string, body: unknown, retried = false): Promise<any> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    // A kept-alive connection that the server closed as it was reused (after an idle wait): again, once.
    if (retried || (err as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw err;
    return post(url, body, true);
  }
  const json = await res.json();
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function setUp(s: Started): Promise<{ deploymentId: string; deviceId: string }> {
  const devices = (await (await fetch(`${s.url}/api/devices?provider=LOCAL`)).json()) as { items: { id: string }[] };
  const dep = await post(`${s.url}/api/deployments`, {
    name: 'bench',
    programs: [{ quantumCircuit: BELL, assemblerLanguage: 'QASM2' }],
  });
  return { deploymentId: dep.id, deviceId: devices.items[0].id };
}

/** Submits `n` jobs; returns job ids with the time each POST started and how long it took. */
async function submitAll(s: Started, n: number, ids: { deploymentId: string; deviceId: string }) {
  const jobs: { id: string; t0: number; submitMs: number }[] = new Array(n);
  await pool(n, CLIENTS, async (i) => {
    const t0 = now();
    const job = await post(`${s.url}/api/jobs`, { ...ids, shots: SHOTS });
    jobs[i] = { id: job.id, t0, submitMs: now() - t0 };
  });
  return jobs;
}

/**
 * The worker's steps for one job, timed one job at a time (no overlap, so each number is the latency
 * of that step alone): the same calls ExecutionWorker makes, in the same order.
 */
async function anatomy(s: Started, n: number, ids: { deploymentId: string; deviceId: string }): Promise<string[]> {
  const jobs = s.app.get(JobsService);
  const boss = s.app.get(PgBossQueue).boss;
  const pool = s.app.get(SimulatorPoolService);
  for (let i = 0; i < n; i++) await post(`${s.url}/api/jobs`, { ...ids, shots: SHOTS });
  const steps = new Map<string, number>();
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t = now();
    const r = await f();
    steps.set(name, (steps.get(name) ?? 0) + now() - t);
    return r;
  };
  for (let i = 0; i < n; i++) {
    const [entry] = await timed('pg-boss fetch (claim the entry)', () => boss.fetch<QueuedJobData>(JOBS_QUEUE));
    const job = (await timed(
      'JobsService.start (READY -> RUNNING with its device, one transaction; then its programs)',
      () => jobs.start(entry.data.jobId),
    ))!;
    const [circuit] = await timed('parse OpenQASM', () => preparePrograms(job.programs, job.device));
    const results = await timed('simulate in the worker-thread pool', () =>
      pool.run({ circuit, shots: job.settings.shots, type: job.settings.type, maxQubits: job.device.numQubits }),
    );
    await timed('JobsService.saveResults (2 results, FINISHED, one transaction)', () =>
      jobs.saveResults(
        job.jobId,
        results.map((r) => ({ programId: job.programs[0].id, ...r })),
      ),
    );
    await timed('pg-boss complete', () => boss.complete(JOBS_QUEUE, entry.id));
  }
  const total = [...steps.values()].reduce((a, b) => a + b, 0);
  return [
    '| step of one job (one at a time) | mean | share |',
    '|---|---|---|',
    ...[...steps].map(([k, v]) => `| ${k} | ${ms(v / n)} ms | ${((v / total) * 100).toFixed(0)} % |`),
    `| **total** | **${ms(total / n)} ms** | |`,
  ];
}

async function main(): Promise<void> {
  countStatements();
  const startedAt = new Date();
  const startLoad = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const dataDir = path.join(tmpdir(), 'qunest', `bench-tp-${process.pid}-${Date.now()}`);
  const db = await startEmbeddedPostgres({ dataDir, persistent: false });
  try {
    postmasterPid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    postmasterPid = 0;
  }
  const base = loadConfig({ LOG_LEVEL: 'silent' });
  const concurrency = CONCURRENCIES[0];
  const configFor = async (name: string, runWorkers: boolean, url?: string): Promise<AppConfig> => ({
    ...base,
    port: 0,
    host: '127.0.0.1',
    serveAdminUi: false,
    runWorkers,
    databaseUrl: url ?? (await createDatabase(db.url, name)),
    auth: { ...base.auth, jobsPerMinute: 0 },
  });
  const lines: string[] = [];
  try {
    // Warm-up (JIT, connection pools, simulator threads), not measured.
    if (phase('warmup')) {
      const s = await start(await configFor('bench_warm', true));
      const ids = await setUp(s);
      const jobs = await submitAll(s, 200, ids);
      await waitFor(() => jobs.every((j) => s.finishedAt.has(j.id) || s.failed.has(j.id)), 'warm-up');
      await s.app.close();
      log('warm-up done');
    }

    // 0: the anatomy of one job, on an app without workers (the bench makes the worker's calls).
    let anatomyRows: string[] = [];
    if (phase('anatomy')) {
      const s = await start(await configFor('bench_anatomy', false));
      anatomyRows = await anatomy(s, Number(process.env.BENCH_ANATOMY_JOBS ?? 200), await setUp(s));
      await s.app.close();
      log('anatomy done');
    }

    // 1: submit only.
    const rows: string[] = [];
    const e2eRates: { what: string; rate: number }[] = [];
    let workerConcurrency = CONCURRENCIES[0];
    const splitCfg = async (name: string) => ({ ...(await configFor(name, false)), workerConcurrency });
    if (phase('submit')) {
      const api = await start(await splitCfg('bench_submit'));
      const ids = await setUp(api);
      const t = now();
      const profile = await profileIf('submit');
      const cpu = cpuMeter();
      const submitted = await submitAll(api, JOBS, ids);
      await profile();
      const secs = (now() - t) / 1000;
      const cpuUsed = cpu();
      const lat = submitted.map((j) => j.submitMs);
      log(`submit only: ${(JOBS / secs).toFixed(0)} jobs/s`);
      rows.push(
        `| submit only (POST /api/jobs, no workers) | – | ${(JOBS / secs).toFixed(0)} | ${ms(pct(lat, 50))} ms | ${ms(pct(lat, 99))} ms | 0 | ${cpuUsed} |`,
      );
      await api.app.close();
    }
    for (const c of CONCURRENCIES) {
      workerConcurrency = c;
      // 2: drain only: a READY backlog (submitted without workers), then an app with workers on it.
      if (phase('drain')) {
        const cfg = await splitCfg(`bench_drain_${c}`);
        const api = await start(cfg);
        const submitted = await submitAll(api, JOBS, await setUp(api));
        const workers = await start({ ...cfg, runWorkers: true });
        const profile = await profileIf('drain');
        const drainStart = now();
        const cpu = cpuMeter();
        await waitFor(() => submitted.every((j) => workers.finishedAt.has(j.id) || workers.failed.has(j.id)), 'drain');
        await profile();
        const drainEnd = Math.max(...submitted.map((j) => workers.finishedAt.get(j.id) ?? 0));
        const secs = (drainEnd - drainStart) / 1000;
        const cpuUsed = cpu();
        const failed = submitted.filter((j) => workers.failed.has(j.id)).length;
        log(`drain only, concurrency ${c}: ${(JOBS / secs).toFixed(0)} jobs/s`);
        rows.push(
          `| drain only (workers on a backlog of ${JOBS} READY jobs) | ${c} | ${(JOBS / secs).toFixed(0)} | – | – | ${failed} | ${cpuUsed} |`,
        );
        await workers.app.close();
        await api.app.close();
      }
      // 3: end to end.
      if (phase('e2e')) {
        const e2e = await start({ ...(await configFor(`bench_e2e_${c}`, true)), workerConcurrency: c });
        const ids = await setUp(e2e);
        const firstPost = now();
        const cpu = cpuMeter();
        const jobs = await submitAll(e2e, JOBS, ids);
        await waitFor(() => jobs.every((j) => e2e.finishedAt.has(j.id) || e2e.failed.has(j.id)), 'end to end');
        const lastFinish = Math.max(...jobs.map((j) => e2e.finishedAt.get(j.id) ?? 0));
        const secs = (lastFinish - firstPost) / 1000;
        const cpuUsed = cpu();
        const lat = jobs.filter((j) => e2e.finishedAt.has(j.id)).map((j) => e2e.finishedAt.get(j.id)! - j.t0);
        const failed = jobs.filter((j) => e2e.failed.has(j.id)).length;
        const sub = jobs.map((j) => j.submitMs);
        log(`end to end, concurrency ${c}: ${(JOBS / secs).toFixed(0)} jobs/s`);
        e2eRates.push({ what: `one process, concurrency ${c}`, rate: JOBS / secs });
        rows.push(
          `| **end to end** (POST to FINISHED event; API + workers in one process) | ${c} | **${(JOBS / secs).toFixed(0)}** | ${ms(pct(lat, 50))} ms | ${ms(pct(lat, 99))} ms | ${failed} | ${cpuUsed} |`,
          `| … of which the POST itself | ${c} | – | ${ms(pct(sub, 50))} ms | ${ms(pct(sub, 99))} ms | – | |`,
        );
        if (c === CONCURRENCIES[0]) {
          // 3a: without a backlog: one client, one job at a time, on the same app (queue empty).
          const one: { post: number; done: number }[] = [];
          for (let i = 0; i < QUIET_JOBS; i++) {
            const t0 = now();
            const job = await post(`${e2e.url}/api/jobs`, { ...ids, shots: SHOTS });
            const posted = now() - t0;
            await waitFor(() => e2e.finishedAt.has(job.id) || e2e.failed.has(job.id), 'one job', 60_000);
            one.push({ post: posted, done: (e2e.finishedAt.get(job.id) ?? now()) - t0 });
          }
          const p = one.map((o) => o.post);
          const d = one.map((o) => o.done);
          rows.push(
            `| one job at a time, no backlog (${QUIET_JOBS} jobs): POST to FINISHED event | ${c} | – | ${ms(pct(d, 50))} ms | ${ms(pct(d, 99))} ms | – | |`,
            `| … of which the POST itself (submit latency without backlog) | ${c} | – | ${ms(pct(p, 50))} ms | ${ms(pct(p, 99))} ms | – | |`,
          );
        }
        await e2e.app.close();
      }
    }

    // 3b: end to end with the workers in their own process (`npm run worker`), the API in this one.
    for (const c of phase('split') ? [CONCURRENCIES[CONCURRENCIES.length - 1]] : []) {
      const cfg = await configFor(`bench_split_proc_${c}`, false);
      const api = await start(cfg);
      const child = spawn(process.execPath, [path.join(__dirname, '..', 'src', 'worker.js')], {
        env: { ...process.env, DATABASE_URL: cfg.databaseUrl, WORKER_CONCURRENCY: String(c), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('Qunest worker ready') || child.exitCode !== null, 'the worker process', 60_000);
      if (child.exitCode !== null) throw new Error(`worker process exited: ${out}`);
      const ids = await setUp(api);
      const firstPost = now();
      const cpu = cpuMeter();
      const child0 = procCpuSeconds(child.pid!);
      const jobs = await submitAll(api, JOBS, ids);
      await waitFor(
        () => jobs.every((j) => api.finishedAt.has(j.id) || api.failed.has(j.id)),
        'end to end, two processes',
      );
      const childCores = (procCpuSeconds(child.pid!) - child0) / ((now() - firstPost) / 1000);
      const lastFinish = Math.max(...jobs.map((j) => api.finishedAt.get(j.id) ?? 0));
      const secs = (lastFinish - firstPost) / 1000;
      const cpuUsed = cpu(childCores);
      const lat = jobs.filter((j) => api.finishedAt.has(j.id)).map((j) => api.finishedAt.get(j.id)! - j.t0);
      const failed = jobs.filter((j) => api.failed.has(j.id)).length;
      log(`end to end, API + worker process (concurrency ${c}): ${(JOBS / secs).toFixed(0)} jobs/s`);
      e2eRates.push({ what: `API + worker process, concurrency ${c}`, rate: JOBS / secs });
      rows.push(
        `| **end to end, API here + one \`npm run worker\` process** | ${c} | **${(JOBS / secs).toFixed(0)}** | ${ms(pct(lat, 50))} ms | ${ms(pct(lat, 99))} ms | ${failed} | ${cpuUsed} (+ ${childCores.toFixed(2)} the worker process) |`,
      );
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await api.app.close();
    }

    // 4: baseline, pg-boss alone.
    let bossRate = NaN;
    const bossRows: string[] = [];
    if (phase('boss')) {
      const boss = new PgBoss({
        connectionString: await createDatabase(db.url, 'bench_boss'),
        schema: 'pgboss',
        max: 5,
      });
      boss.on('error', (err: Error) => log(`pg-boss: ${err.message}`));
      await boss.start();
      await boss.createQueue('bench', { retryLimit: 2, heartbeatSeconds: 10 });
      const sentAt = new Map<string, number>();
      const doneAt = new Map<string, number>();
      const slotIds: (string | undefined)[] = [];
      const busy: boolean[] = [];
      for (let i = 0; i < concurrency; i++) {
        busy.push(false);
        slotIds.push(
          await boss.work<{ k: number }>(
            'bench',
            { batchSize: 1, localConcurrency: 1, pollingIntervalSeconds: 2 },
            async (batch) => {
              busy[i] = true;
              for (const j of batch) doneAt.set(String(j.data.k), now());
              busy[i] = false;
              if (slotIds[i]) boss.notifyWorker(slotIds[i]!);
            },
          ),
        );
      }
      const bossStart = now();
      const bossCpu = cpuMeter();
      await pool(JOBS, CLIENTS, async (k) => {
        sentAt.set(String(k), now());
        await boss.send('bench', { k });
        for (let i = 0; i < concurrency; i++) if (!busy[i] && slotIds[i]) boss.notifyWorker(slotIds[i]!);
      });
      await waitFor(() => doneAt.size >= JOBS, 'pg-boss baseline');
      const bossSecs = (Math.max(...doneAt.values()) - bossStart) / 1000;
      const bossCpuUsed = bossCpu();
      const bossLat = [...doneAt.entries()].map(([k, d]) => d - sentAt.get(k)!);
      log(`pg-boss alone: ${(JOBS / bossSecs).toFixed(0)} jobs/s`);
      await boss.stop({ graceful: false, timeout: 1000 });
      bossRate = JOBS / bossSecs;
      bossRows.push(
        `| baseline: pg-boss alone (send, work with an empty handler) | ${concurrency} | ${(JOBS / bossSecs).toFixed(0)} | ${ms(pct(bossLat, 50))} ms | ${ms(pct(bossLat, 99))} ms | 0 | ${bossCpuUsed} |`,
      );
    }

    const cpu = cpus();
    lines.push(
      `Machine: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length} (nproc ${cpu.length}), Node ${process.version}, ${startedAt.toISOString()}; ` +
        `load average at start ${startLoad}, at end ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}. ` +
        `${JOBS} one-program Bell jobs of ${SHOTS} shots, ${CLIENTS} HTTP clients at a time (in the same process), ` +
        `embedded PostgreSQL (fsync on) on the same machine.`,
      '',
      '| phase | worker concurrency | jobs/s | latency p50 | latency p99 | failed | CPU cores: this process / our PostgreSQL / whole machine (CPU time of ours a job; statements sent a job) |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      ...bossRows,
    );
    if (bossRows.length > 0 && e2eRates.length > 0) {
      lines.push(
        '',
        `**End to end against pg-boss alone in this run (${bossRate.toFixed(0)} jobs/s):** ` +
          e2eRates
            .map((r) => `${(r.rate / bossRate).toFixed(2)}x (${r.what}, ${r.rate.toFixed(0)} jobs/s)`)
            .join('; ') +
          '.',
      );
    }
    if (anatomyRows.length > 0) lines.push('', ...anatomyRows);
  } finally {
    await db.stop();
  }
  const report = lines.join('\n');
  process.stdout.write(report + '\n');
  if (process.env.BENCH_WRITE_DOCS === '1') writeDocs(report);
}

const START = '<!-- throughput-bench:start -->';
const END = '<!-- throughput-bench:end -->';

/** Puts the report between its markers under "## End-to-end throughput", leaving every other section alone. */
function writeDocs(report: string): void {
  const file = path.join(__dirname, '..', '..', 'docs', 'benchmarks.md');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${START}\n${report}\n${END}`;
  const s = text.indexOf(START);
  const e = text.indexOf(END);
  const next =
    s >= 0 && e > s
      ? text.slice(0, s) + block + text.slice(e + END.length)
      : `${text.trimEnd()}\n\n## End-to-end throughput\n\n${block}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, next);
  log(`wrote ${file}`);
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
