/**
 * Realtime fan-out: from a committed change to socket.io clients, against a bare socket.io
 * broadcast of the same payload, in the same run.
 *
 *   npm run bench:realtime        (build + node dist/bench/realtime.bench.js)
 *
 * The real app runs on loopback on a private embedded PostgreSQL (runWorkers off: the bench drives
 * JobsService.updateProgress, the use case a worker calls). 1,000 socket.io clients live in a
 * worker thread of this process (their own event loop, the server keeps the main one):
 *   A. 1,000 clients subscribed to one job;
 *   B. 1,000 clients each subscribed to its own job.
 * For each: "paced" events (one at a time, the next once every client has the previous one) give
 * the latency from the start of the write (a transaction that commits, fsync included) and from
 * the commit's acknowledgement, to receipt, p50/p99; a "burst" (writes back to back) gives
 * deliveries per second. The baseline is a plain socket.io server on another port that emits the
 * same payload to the same clients (one room, or a room a client). Bounded: fixed counts, every
 * wait has a timeout, everything is closed at the end and the process exits.
 */
import 'reflect-metadata';
import { createServer, type Server as HttpServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';
import { createDatabase, startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { EntityManager } from '@mikro-orm/postgresql';
import { Job } from '../src/jobs/job.entity';
import { JobsService } from '../src/jobs/jobs.service';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const PACED = Number(process.env.BENCH_PACED ?? 40);
const BURST = Number(process.env.BENCH_BURST ?? 40);
const WAIT_MS = 60_000;

const now = () => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------ clients (worker thread)

type ToClients =
  | { cmd: 'connect'; url: string; mode: 'qunest' | 'bare'; targets: string[]; perKey: number }
  | { cmd: 'report'; starts: Record<string, number>; commits: Record<string, number> }
  | { cmd: 'close' };

type FromClients =
  | { cmd: 'connected'; ms: number }
  | { cmd: 'got'; key: string }
  | {
      cmd: 'report';
      fromStart: number[];
      fromCommit: number[];
      deliveries: number;
      firstReceipt: number;
      lastReceipt: number;
    }
  | { cmd: 'error'; message: string };

function clientsMain(): void {
  const port = parentPort!;
  let sockets: Socket[] = [];
  let receipts = new Map<string, number[]>();
  let perKey = 1;
  const post = (m: FromClients) => port.postMessage(m);

  function onEvent(payload: { jobId?: string; seq?: number; key?: string }): void {
    const t = now();
    const key = payload.key ?? `${payload.jobId}:${payload.seq}`;
    let list = receipts.get(key);
    if (!list) receipts.set(key, (list = []));
    list.push(t);
    if (list.length === perKey) post({ cmd: 'got', key });
  }

  async function connectOne(url: string, mode: 'qunest' | 'bare', target: string): Promise<Socket> {
    const s = io(url, {
      transports: ['websocket'],
      reconnection: false,
      query: mode === 'bare' ? { room: target } : {},
    });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    if (mode === 'qunest') {
      const ack = (await s.timeout(WAIT_MS).emitWithAck('subscribe', { jobId: target })) as {
        ok: boolean;
        error?: string;
      };
      if (!ack.ok) throw new Error(`subscribe failed: ${ack.error}`);
      s.on('job.progress', onEvent);
    } else {
      s.on('job.progress', onEvent);
    }
    return s;
  }

  port.on('message', (m: ToClients) => {
    void (async () => {
      try {
        if (m.cmd === 'connect') {
          const t0 = now();
          perKey = m.perKey;
          receipts = new Map();
          for (let i = 0; i < m.targets.length; i += 50) {
            sockets.push(...(await Promise.all(m.targets.slice(i, i + 50).map((t) => connectOne(m.url, m.mode, t)))));
          }
          post({ cmd: 'connected', ms: now() - t0 });
        } else if (m.cmd === 'report') {
          const fromStart: number[] = [];
          const fromCommit: number[] = [];
          let deliveries = 0;
          let lastReceipt = 0;
          let firstReceipt = Infinity;
          for (const [key, list] of receipts) {
            deliveries += list.length;
            for (const t of list) {
              if (t > lastReceipt) lastReceipt = t;
              if (t < firstReceipt) firstReceipt = t;
              if (key in m.starts) fromStart.push(t - m.starts[key]);
              if (key in m.commits) fromCommit.push(t - m.commits[key]);
            }
          }
          post({ cmd: 'report', fromStart, fromCommit, deliveries, firstReceipt, lastReceipt });
        } else if (m.cmd === 'close') {
          for (const s of sockets) s.disconnect();
          sockets = [];
          receipts = new Map();
          post({ cmd: 'connected', ms: 0 });
        }
      } catch (err) {
        post({ cmd: 'error', message: String(err) });
      }
    })();
  });
}

// ------------------------------------------------------------------ driver (main thread)

class Clients {
  private readonly waiters = new Map<string, () => void>();
  private readonly got = new Set<string>();
  private next?: { resolve: (m: FromClients) => void; reject: (e: Error) => void };

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: FromClients) => {
      if (m.cmd === 'got') {
        this.got.add(m.key);
        this.waiters.get(m.key)?.();
      } else if (m.cmd === 'error') {
        this.next?.reject(new Error(m.message));
      } else {
        this.next?.resolve(m);
      }
    });
  }

  async request<T extends FromClients>(m: ToClients): Promise<T> {
    const reply = new Promise<T>(
      (resolve, reject) => (this.next = { resolve: resolve as (m: FromClients) => void, reject }),
    );
    this.worker.postMessage(m);
    try {
      return await withTimeout(reply, `clients: ${m.cmd}`);
    } finally {
      this.next = undefined;
    }
  }

  /** Resolves once every client that should receive `key` has it. */
  waitFor(key: string): Promise<void> {
    if (this.got.has(key)) return Promise.resolve();
    return withTimeout(new Promise<void>((resolve) => this.waiters.set(key, resolve)), `deliveries of ${key}`).finally(
      () => this.waiters.delete(key),
    );
  }

  reset(): void {
    this.got.clear();
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

interface Row {
  scenario: string;
  path: string;
  p50Start: number;
  p99Start: number;
  p50Commit: number;
  p99Commit: number;
  /** Median duration of the write itself (start to commit acknowledged); 0 for the bare path. */
  p50Write: number;
  eventsPerSecond: number;
}

const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function driverMain(): Promise<void> {
  const started = new Date();
  const startLoad = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  console.log(`realtime bench: ${CLIENTS} clients, ${PACED} paced + ${BURST} burst events a scenario`);
  const db = await startEmbeddedPostgres({
    dataDir: join(tmpdir(), 'qunest', `bench-rt-${process.pid}-${Date.now()}`),
    persistent: false,
  });
  const worker = new Worker(__filename, { workerData: { role: 'clients' } });
  const clients = new Clients(worker);
  const closers: (() => Promise<unknown>)[] = [() => db.stop(), () => worker.terminate()];
  const rows: Row[] = [];
  let memoryPerConnection = NaN;
  try {
    const config = {
      ...loadConfig({ LOG_LEVEL: 'silent' }),
      databaseUrl: await createDatabase(db.url, 'bench'),
      port: 0,
      host: '127.0.0.1',
      runWorkers: false,
      serveAdminUi: false,
    };
    config.auth = { ...config.auth, jobsPerMinute: 0 };
    const app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    closers.unshift(() => app.close());
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const jobs = app.get(JobsService);

    const post = async (path: string, body: unknown) => {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; items?: { id: string }[] };
    };
    const deviceId = ((await (await fetch(`${url}/api/devices?provider=LOCAL`)).json()) as { items: { id: string }[] })
      .items[0].id;
    const deploymentId = (
      await post('/api/deployments', {
        name: 'bench',
        programs: [
          { quantumCircuit: 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n', assemblerLanguage: 'QASM2' },
        ],
      })
    ).id;
    const lastSeq = new Map<string, number>();
    const newRunningJob = async () => {
      const { id } = await post('/api/jobs', { deploymentId, deviceId, shots: 1 });
      await jobs.start(id); // job.created is seq 1, RUNNING seq 2
      lastSeq.set(id, 2);
      return id;
    };

    // The bare baseline: socket.io on its own port, each client in the room named by its query.
    const bareHttp: HttpServer = createServer();
    const bare = new Server(bareHttp, { serveClient: false });
    bare.on('connection', (s) => void s.join(String(s.handshake.query.room)));
    await new Promise<void>((r) => bareHttp.listen(0, '127.0.0.1', r));
    closers.unshift(() => new Promise((r) => void bare.close(() => r(undefined))));
    const bareUrl = `http://127.0.0.1:${(bareHttp.address() as { port: number }).port}`;
    const barePayload = (jobId: string, seq: number, progress: number, key: string) => ({
      jobId,
      deploymentId,
      deviceId,
      ownerId: null,
      seq,
      at: new Date().toISOString(),
      progress,
      key,
    });

    /** Runs paced then burst events; `emit(i)` makes event i and returns its key once sent/committed. */
    async function measure(
      scenario: string,
      path: string,
      send: (i: number, starts: Record<string, number>, commits: Record<string, number>) => Promise<string>,
      burstParallel = 1,
    ): Promise<void> {
      clients.reset();
      const starts: Record<string, number> = {};
      const commits: Record<string, number> = {};
      const paced: Record<string, number> = {};
      for (let i = 1; i <= PACED; i++) {
        const key = await send(i, starts, commits);
        paced[key] = 1;
        await clients.waitFor(key);
      }
      const burstStarts: Record<string, number> = {};
      const burstCommits: Record<string, number> = {};
      const keys: string[] = [];
      const t0 = now();
      let next = PACED + 1;
      await Promise.all(
        Array.from({ length: burstParallel }, async () => {
          while (next <= PACED + BURST) keys.push(await send(next++, burstStarts, burstCommits));
        }),
      );
      await Promise.all(keys.map((k) => clients.waitFor(k)));
      const paceReport = await clients.request<Extract<FromClients, { cmd: 'report' }>>({
        cmd: 'report',
        starts,
        commits,
      });
      const burstReport = await clients.request<Extract<FromClients, { cmd: 'report' }>>({
        cmd: 'report',
        starts: burstStarts,
        commits: burstCommits,
      });
      const burstDeliveries = burstReport.fromStart.length;
      rows.push({
        scenario,
        path,
        p50Start: pct(paceReport.fromStart, 50),
        p99Start: pct(paceReport.fromStart, 99),
        p50Commit: pct(paceReport.fromCommit, 50),
        p99Commit: pct(paceReport.fromCommit, 99),
        p50Write: pct(
          Object.keys(starts).map((k) => commits[k] - starts[k]),
          50,
        ),
        eventsPerSecond: burstDeliveries / ((burstReport.lastReceipt - t0) / 1000),
      });
      const r = rows[rows.length - 1];
      console.log(
        `${scenario} / ${path}: p50 ${r.p50Start.toFixed(2)} ms (commit ack ${r.p50Commit.toFixed(2)}), p99 ${r.p99Start.toFixed(2)} ms (${r.p99Commit.toFixed(2)}), ${Math.round(r.eventsPerSecond)} deliveries/s`,
      );
    }

    /**
     * Fires a batch of events at once. Deliveries per second count from the first receipt to the
     * last: the rate of the fan-out once events flow (for Qunest, the commit's acknowledgement can be
     * handled after the gateway has already routed many of the notifications).
     */
    async function batch(scenario: string, path: string, fire: () => Promise<string[]>): Promise<void> {
      clients.reset();
      const t0 = now();
      const keys = await fire();
      const t1 = now();
      await Promise.all(keys.map((k) => clients.waitFor(k)));
      const starts = Object.fromEntries(keys.map((k) => [k, t0]));
      const commits = Object.fromEntries(keys.map((k) => [k, t1]));
      const report = await clients.request<Extract<FromClients, { cmd: 'report' }>>({ cmd: 'report', starts, commits });
      rows.push({
        scenario,
        path,
        p50Start: pct(report.fromStart, 50),
        p99Start: pct(report.fromStart, 99),
        p50Commit: pct(report.fromCommit, 50),
        p99Commit: pct(report.fromCommit, 99),
        p50Write: t1 - t0,
        eventsPerSecond: report.fromStart.length / ((report.lastReceipt - report.firstReceipt) / 1000),
      });
      const r = rows[rows.length - 1];
      console.log(
        `${scenario} / ${path}: writing took ${(t1 - t0).toFixed(1)} ms; receipts from ${(report.firstReceipt - t0).toFixed(1)} to ${(report.lastReceipt - t0).toFixed(1)} ms after the start; ${Math.round(r.eventsPerSecond)} deliveries/s`,
      );
    }

    const qunestSend =
      (jobIdOf: (i: number) => string, progressOf: (i: number) => number) =>
      async (i: number, starts: Record<string, number>, commits: Record<string, number>) => {
        const jobId = jobIdOf(i);
        const progress = progressOf(i);
        const seq = lastSeq.get(jobId)! + 1;
        lastSeq.set(jobId, seq);
        const key = `${jobId}:${seq}`;
        starts[key] = now();
        if (!(await jobs.updateProgress(jobId, progress)))
          throw new Error(`progress ${progress} of ${jobId} not applied`);
        commits[key] = now();
        return key;
      };
    const bareSend =
      (room: (i: number) => string, progressOf: (i: number) => number) =>
      async (i: number, starts: Record<string, number>, commits: Record<string, number>) => {
        const jobId = room(i);
        const key = `${jobId}:b${progressOf(i)}`;
        starts[key] = commits[key] = now();
        bare.to(jobId).emit('job.progress', barePayload(jobId, 2 + progressOf(i), progressOf(i), key));
        return key;
      };

    // ---- A: every client on one job
    const one = await newRunningJob();
    const heapBefore = heapUsed();
    const conn = await clients.request<Extract<FromClients, { cmd: 'connected' }>>({
      cmd: 'connect',
      url,
      mode: 'qunest',
      targets: Array.from({ length: CLIENTS }, () => one),
      perKey: CLIENTS,
    });
    memoryPerConnection = (heapUsed() - heapBefore) / CLIENTS;
    console.log(`connected and subscribed ${CLIENTS} clients in ${conn.ms.toFixed(0)} ms`);
    await measure(
      `A: ${CLIENTS} clients on one job`,
      'Qunest (commit → NOTIFY → gateway)',
      qunestSend(
        () => one,
        (i) => i,
      ),
    );
    await clients.request({ cmd: 'close' });
    await clients.request({
      cmd: 'connect',
      url: bareUrl,
      mode: 'bare',
      targets: Array.from({ length: CLIENTS }, () => 'one'),
      perKey: CLIENTS,
    });
    await measure(
      `A: ${CLIENTS} clients on one job`,
      'bare socket.io broadcast',
      bareSend(
        () => 'one',
        (i) => i,
      ),
    );
    await clients.request({ cmd: 'close' });

    // ---- B: every client on its own job
    const own: string[] = [];
    for (let i = 0; i < CLIENTS; i += 8)
      own.push(...(await Promise.all(Array.from({ length: Math.min(8, CLIENTS - i) }, newRunningJob))));
    // Paced events go to jobs 0..PACED-1, burst events to the next ones, progress 1 each.
    const jobOf = (i: number) => own[(i - 1) % own.length];
    await clients.request({ cmd: 'connect', url, mode: 'qunest', targets: own, perKey: 1 });
    await measure(
      `B: ${CLIENTS} clients, one job each`,
      'Qunest (commit → NOTIFY → gateway)',
      qunestSend(jobOf, () => 1),
      4,
    );
    await clients.request({ cmd: 'close' });
    await clients.request({ cmd: 'connect', url: bareUrl, mode: 'bare', targets: own, perKey: 1 });
    await measure(
      `B: ${CLIENTS} clients, one job each`,
      'bare socket.io broadcast',
      bareSend(jobOf, () => 1),
      4,
    );
    await clients.request({ cmd: 'close' });

    // ---- B': one commit that raises the progress of all 1,000 jobs (1,000 events at once): the
    // fan-out capacity of NOTIFY -> bus -> gateway, without one commit per event in the way.
    const em = app.get(EntityManager);
    const batchScenario = `B': one commit, one event for each of ${CLIENTS} jobs`;
    await clients.request({ cmd: 'connect', url, mode: 'qunest', targets: own, perKey: 1 });
    await batch(batchScenario, 'Qunest (commit → NOTIFY → gateway)', async () => {
      const keys = own.map((id) => {
        const seq = lastSeq.get(id)! + 1;
        lastSeq.set(id, seq);
        return `${id}:${seq}`;
      });
      await em.fork().transactional(async (tx) => {
        for (const job of await tx.find(Job, { id: { $in: own } })) {
          if (!job.updateProgress(50)) throw new Error(`progress of ${job.id} not applied`);
        }
      });
      return keys;
    });
    await clients.request({ cmd: 'close' });
    await clients.request({ cmd: 'connect', url: bareUrl, mode: 'bare', targets: own, perKey: 1 });
    await batch(batchScenario, 'bare socket.io broadcast', async () =>
      own.map((jobId) => {
        const key = `${jobId}:batch`;
        bare.to(jobId).emit('job.progress', barePayload(jobId, 0, 50, key));
        return key;
      }),
    );
    await clients.request({ cmd: 'close' });
  } finally {
    for (const close of closers) await close().catch((err: unknown) => console.error(`close: ${String(err)}`));
  }

  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  console.log('');
  console.log(
    `Machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}, ${started.toISOString()}, load average at start ${startLoad}, at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `Server heap per subscribed idle connection (main isolate, after GC): ${(memoryPerConnection / 1024).toFixed(1)} KiB`,
  );
  console.log('');
  console.log(
    '| scenario | path | p50 write (ms) | p50 from write start (ms) | p99 from write start (ms) | p50 from commit ack (ms) | p99 from commit ack (ms) | burst deliveries/s |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.path} | ${f(r.p50Write)} | ${f(r.p50Start)} | ${f(r.p99Start)} | ${f(r.p50Commit)} | ${f(r.p99Commit)} | ${Math.round(r.eventsPerSecond)} |`,
    );
  }
}

if (isMainThread) {
  driverMain().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else if ((workerData as { role?: string } | undefined)?.role === 'clients') {
  clientsMain();
}
