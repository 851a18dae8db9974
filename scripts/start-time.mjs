#!/usr/bin/env node
/**
 * How long `npm start` takes to be healthy, and where the time goes (issue #11, docs/benchmarks.md
 * "Start to healthy"). A measurement, not a test: it asserts nothing.
 *
 *   node scripts/start-time.mjs [--runs 5] [--mode npm|node] [--tree DIR]... [--fresh-dist] [--json]
 *
 * Each run starts the server of a tree (default: this checkout) with the embedded PostgreSQL of a
 * data directory kept across runs (so every run after the first is "a start with nothing changed"),
 * polls GET /api/health every 20 ms until it answers 200, then stops the server with SIGTERM and waits
 * for it (and so for its PostgreSQL) to exit. Several trees (e.g. a worktree of the previous commit
 * and this one) are run alternately, so that the machine's load weighs on both alike.
 *
 * --mode npm (default) runs `npm start` (npm, the prestart build check, then the server); --mode node
 * runs `node dist/src/main.js` alone. --fresh-dist removes dist/ before each run (the first start
 * after `npm install`).
 *
 * The server, npm and the build are traced by scripts/start-trace.cjs (NODE_OPTIONS --require): the
 * breakdown is read from its time line. Reported per run: wall time to healthy, the CPU time of the
 * Node processes (npm, build, server up to listen) and of the PostgreSQL processes, the load average.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, realpathSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const HERE = dirname(fileURLToPath(import.meta.url));
const TRACER = join(HERE, 'start-trace.cjs');

function parseArgs(argv) {
  const args = { runs: 5, mode: 'npm', trees: [], freshDist: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--mode') args.mode = argv[++i];
    else if (a === '--tree') args.trees.push(resolve(argv[++i]));
    else if (a === '--fresh-dist') args.freshDist = true;
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (args.trees.length === 0) args.trees.push(resolve(HERE, '..'));
  return args;
}

const freePort = () =>
  new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const TICK = 100; // Linux USER_HZ
/** CPU ms of the PostgreSQL processes working in `dir` (alive now). */
function postgresCpu(dir) {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
      if (readlinkSync(`/proc/${name}/cwd`) !== dir) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return Math.round((ticks * 1000) / TICK);
}

function readTrace(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The server's process: `node dist/src/main.js`, or `node scripts/start.mjs` (build check and server in one). */
const isServer = (e) => e.argv.some((a) => a.endsWith('dist/src/main.js') || a.endsWith('scripts/start.mjs'));

/** One start: spawn, wait for health, stop; returns the numbers. */
async function run(tree, args, dataDir) {
  const port = await freePort();
  const traceDir = mkdtempSync(join(tmpdir(), 'qunest-start-'));
  const trace = join(traceDir, 'trace.jsonl');
  if (args.freshDist) rmSync(join(tree, 'dist'), { recursive: true, force: true });
  const env = {
    ...process.env,
    PATH: `${join(tree, 'node_modules', '.bin')}:${process.env.PATH}`,
    PORT: String(port),
    QUNEST_DATA_DIR: dataDir,
    QUNEST_START_TRACE: trace,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${TRACER}`.trim(),
  };
  delete env.DATABASE_URL;
  const load = loadavg()[0];
  const spawnedAt = performance.timeOrigin + performance.now();
  const [cmd, cmdArgs] =
    args.mode === 'npm' ? ['npm', ['start']] : [join(tree, 'node_modules', '.bin', 'node'), ['dist/src/main.js']];
  const child = spawn(cmd, cmdArgs, { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  let healthyAt;
  while (!exitedEarly) {
    if (await healthy(port)) {
      healthyAt = performance.timeOrigin + performance.now();
      break;
    }
    await sleep(20);
  }
  const pgCpu = existsSync(dataDir) ? postgresCpu(realpathSync(dataDir)) : 0;

  const events = readTrace(trace);
  const server = events.find((e) => e.type === 'process' && isServer(e));
  // Stop the server itself (npm forwards nothing we rely on) and wait for its PostgreSQL to stop.
  if (server) {
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  } else child.kill('SIGTERM');
  const { code } = await exited;
  for (let i = 0; i < 200 && existsSync(join(dataDir, 'postmaster.pid')); i++) await sleep(50);
  const orphaned = existsSync(join(dataDir, 'postmaster.pid'));
  const all = readTrace(trace);
  rmSync(traceDir, { recursive: true, force: true });
  if (!healthyAt) throw new Error(`the server exited (code ${code}) before it was healthy:\n${output}`);
  return { tree, load, wallMs: healthyAt - spawnedAt, spawnedAt, healthyAt, events: all, pgCpu, orphaned, output };
}

/** The breakdown of one run: phases in ms from the spawn. */
function breakdown(r) {
  const rel = (t) => Math.round(t - r.spawnedAt);
  const procs = r.events.filter((e) => e.type === 'process');
  const exits = new Map(r.events.filter((e) => e.type === 'exit').map((e) => [e.pid, e]));
  const server = procs.find((p) => isServer(p));
  const build = procs.find((p) => p.argv.some((a) => a.endsWith('scripts/build.mjs')));
  const npm = procs.find((p) => p !== server && p !== build);
  const spans = r.events.filter((e) => e.type === 'span' && e.pid === server?.pid);
  const first = (name) => spans.find((s) => s.name === name);
  const sum = (pred) => spans.filter((s) => pred(s.name)).reduce((t, s) => t + (s.end - s.start), 0);
  const listen = first('NestApplication.listen');
  const cpuAtListen = listen?.cpuTotal ?? 0;
  const row = {
    wallMs: Math.round(r.wallMs),
    load: r.load,
    cpu: {
      npm: npm ? (exits.get(npm.pid)?.cpu ?? 0) : 0,
      build: build ? (exits.get(build.pid)?.cpu ?? 0) : 0,
      server: cpuAtListen,
      postgres: r.pgCpu,
    },
    phases: {},
    spans: spans.map((s) => ({ name: s.name, at: rel(s.start), ms: Math.round(s.end - s.start), cpu: s.cpu })),
    loads: r.events
      .filter((e) => e.type === 'load' && e.pid === server?.pid)
      .map((e) => ({ name: e.name, ms: Math.round(e.end - e.start) }))
      .sort((a, b) => b.ms - a.ms),
    orphaned: r.orphaned,
  };
  if (build) row.phases.buildCheck = Math.round((exits.get(build.pid)?.at ?? build.start) - build.start);
  if (npm) row.phases.npmUntilServer = rel(server.start) - (row.phases.buildCheck ?? 0);
  row.phases.serverProcessStart = rel(server.start);
  // From the server process's start to main.js's first require: Node's start, plus the build check
  // when it runs in the same process (scripts/start.mjs).
  const mainStart = spans.find((s) => s.name.startsWith('require '));
  if (mainStart) row.phases.untilMainJs = Math.round(mainStart.start - server.start);
  const req = spans.find((s) => s.name.startsWith('require ./bootstrap'));
  if (req) row.phases.moduleLoad = Math.round(req.end - req.start);
  const db = first('resolveDatabase');
  if (db) row.phases.embeddedPostgres = Math.round(db.end - db.start);
  const create = first('NestFactory.create');
  if (create) row.phases.nestCreate = Math.round(create.end - create.start);
  const init = first('NestApplication.init');
  if (init) row.phases.nestInit = Math.round(init.end - init.start);
  row.phases.onModuleInit = Math.round(sum((n) => n.endsWith('.onModuleInit')));
  row.phases.onApplicationBootstrap = Math.round(sum((n) => n.endsWith('.onApplicationBootstrap')));
  if (listen) row.phases.listenReturned = rel(listen.end);
  row.phases.healthy = Math.round(r.wallMs);
  return row;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // Under /tmp/qunest (the app makes it writable for the postgres user when it runs as root).
  const dataDirs = new Map(args.trees.map((t, i) => [t, join(tmpdir(), 'qunest', `start-time-${process.pid}-${i}`)]));
  console.error(
    `machine: ${cpus()[0]?.model} x ${cpus().length}, ${new Date().toISOString()}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  // A first start of each tree creates its data directory (initdb) and applies the migrations: not measured.
  for (const tree of args.trees) {
    const r = await run(tree, { ...args, freshDist: false }, dataDirs.get(tree));
    console.error(`warm-up ${tree}: ${Math.round(r.wallMs)} ms`);
  }
  const rows = new Map(args.trees.map((t) => [t, []]));
  for (let i = 0; i < args.runs; i++) {
    for (const tree of i % 2 ? [...args.trees].reverse() : args.trees) {
      const r = await run(tree, args, dataDirs.get(tree));
      const b = breakdown(r);
      rows.get(tree).push(b);
      if (!args.json) {
        const p = b.phases;
        console.log(
          `${tree}: healthy ${b.wallMs} ms (load ${b.load.toFixed(1)}) | cpu npm ${b.cpu.npm} build ${b.cpu.build} server ${b.cpu.server} pg ${b.cpu.postgres} ms | ` +
            Object.entries(p)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') +
            (b.orphaned ? ' | POSTGRES LEFT RUNNING' : ''),
        );
      }
    }
  }
  for (const dir of dataDirs.values()) rmSync(dir, { recursive: true, force: true });
  if (args.json) {
    console.log(JSON.stringify(Object.fromEntries(rows), null, 2));
    return;
  }
  for (const [tree, rs] of rows) {
    console.log(
      `\n${tree} (${rs.length} runs): median healthy ${median(rs.map((r) => r.wallMs))} ms, min ${Math.min(...rs.map((r) => r.wallMs))}, max ${Math.max(...rs.map((r) => r.wallMs))}`,
    );
    console.log(
      `  median cpu: npm ${median(rs.map((r) => r.cpu.npm))}, build ${median(rs.map((r) => r.cpu.build))}, server ${median(rs.map((r) => r.cpu.server))}, postgres ${median(rs.map((r) => r.cpu.postgres))} ms`,
    );
    const names = [...new Set(rs.flatMap((r) => r.spans.map((s) => s.name)))];
    console.log('  spans of the server (median ms wall / cpu):');
    for (const name of names) {
      const ss = rs.map((r) => r.spans.find((s) => s.name === name)).filter(Boolean);
      console.log(`    ${name}: ${median(ss.map((s) => s.ms))} / ${median(ss.map((s) => s.cpu))}`);
    }
    const pkgs = [...new Set(rs.flatMap((r) => r.loads.map((l) => l.name)))];
    const loadRows = pkgs
      .map((name) => ({ name, ms: median(rs.map((r) => r.loads.find((l) => l.name === name)?.ms ?? 0)) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15);
    console.log(
      `  first require of packages from the app's files (median ms, inclusive): ${loadRows.map((l) => `${l.name} ${l.ms}`).join(', ')}`,
    );
  }
}

await main();
