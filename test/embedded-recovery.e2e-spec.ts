import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { embeddedUrl } from '../src/database/embedded-postgres';

/**
 * Issue #15: a Qunest that dies without stopping its embedded PostgreSQL must not block the next
 * start. Child Node processes start the server as `npm start` does (startEmbeddedPostgres with a
 * persistent data directory, no signal hooks, on Node 24 like the npm scripts): a first one is
 * killed with SIGKILL, or left alive, and a second one then starts on the same data directory.
 * Real servers, real processes.
 */

const ROOT = join(__dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

/**
 * The child: compiles src/database/embedded-postgres.ts with @swc/core (as jest does), starts the
 * server, prints its log lines (`LOG …`) and `READY <port>`, and stops it in order (then exits) when
 * a line arrives on stdin. A start that fails prints `FAILED <error name>: <message>` and exits 1.
 */
const CHILD = `
const swc = require('@swc/core');
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformFileSync(filename, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const { startEmbeddedPostgres } = require(${JSON.stringify(join(ROOT, 'src', 'database', 'embedded-postgres.ts'))});
startEmbeddedPostgres({
  dataDir: process.env.RECOVERY_DATA_DIR,
  persistent: true,
  stopOnSignals: false,
  log: (line) => console.log('LOG ' + line),
}).then(
  (db) => {
    console.log('READY ' + db.port);
    process.stdin.once('data', () => db.stop().then(() => process.exit(0)));
  },
  (err) => {
    console.log('FAILED ' + err.name + ': ' + err.message);
    process.exit(1);
  },
);
`;

interface Child {
  process: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<void>;
}

interface Started extends Child {
  port: number;
}

// Named like the test servers' directories, so that a later run removes it should this one be killed.
const root = join(tmpdir(), 'qunest', `test-${process.pid}-${Date.now()}`);
const dataDirs: string[] = [];
const children: Child[] = [];

function newDataDir(name: string): string {
  const dir = join(root, name);
  dataDirs.push(dir);
  return dir;
}

/** Runs the child on `dataDir` until its server serves (`port`) or its start failed (`failure`). */
async function launch(dataDir: string): Promise<{ started?: Started; failure?: string }> {
  mkdirSync(root, { recursive: true });
  const child = spawn(NODE, ['-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', RECOVERY_DATA_DIR: dataDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running: Child = { process: child, output: () => out, exited };
  children.push(running);
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /^READY (\d+)$/m.exec(out);
      if (ready) resolve({ started: { ...running, port: Number(ready[1]) } });
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code, signal) => resolve({ failure: `exit ${code ?? signal}:\n${out}` }));
  });
}

/** A child whose server serves. */
async function startChild(dataDir: string): Promise<Started> {
  const { started, failure } = await launch(dataDir);
  if (!started) throw new Error(`the child did not start its server: ${failure}`);
  return started;
}

/** Stops the child's server in order, as `npm start` does at its end, and waits for the child to exit. */
async function stopChild(child: Child): Promise<void> {
  child.process.stdin.write('stop\n');
  await child.exited;
}

async function query(port: number, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: embeddedUrl(port) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const pidFile = (dir: string) => join(dir, 'postmaster.pid');

/** The postmaster's pid from the data directory's postmaster.pid, or undefined without one. */
function serverPid(dir: string): number | undefined {
  return existsSync(pidFile(dir)) ? Number(readFileSync(pidFile(dir), 'utf8').split('\n')[0]) : undefined;
}

function ownerRecord(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'qunest.owner'), 'utf8')) as Record<string, unknown>;
}

/** Whether process `pid` runs: it exists and has not exited (an exited one may wait as a zombie for its parent). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]);
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const child of children) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) continue;
    child.process.stdin.write('stop\n');
    await child.exited;
  }
  // A server a failed test left without owner: fast shutdown, as its owner would have done.
  for (const dir of dataDirs) {
    const pid = serverPid(dir);
    if (pid === undefined || !isRunning(pid)) continue;
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 300 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(root, { recursive: true, force: true });
});

describe('embedded PostgreSQL left by a crashed Qunest', () => {
  it('stops the orphaned server and starts a new one on the same data, at the same port', async () => {
    const dir = newDataDir('orphan');
    const crashed = await startChild(dir);
    const orphan = serverPid(dir)!;
    await query(crashed.port, 'CREATE TABLE survivor (note text)');
    await query(crashed.port, "INSERT INTO survivor VALUES ('written before the crash')");

    crashed.process.kill('SIGKILL');
    await crashed.exited;
    // The crash left the server running, serving, and holding the data directory.
    expect(isRunning(orphan)).toBe(true);
    expect(await query(crashed.port, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);

    const next = await startChild(dir);

    expect(await query(next.port, 'SELECT note FROM survivor')).toEqual([{ note: 'written before the crash' }]);
    expect(isRunning(orphan)).toBe(false);
    const server = serverPid(dir)!;
    expect(server).not.toBe(orphan);
    expect(isRunning(server)).toBe(true);
    expect(next.port).toBe(crashed.port);
    expect(ownerRecord(dir)).toMatchObject({ pid: next.process.pid, postmasterPid: server, port: next.port });
    expect(next.output()).toContain(
      `LOG PostgreSQL (pid ${orphan}) in ${dir} was left running by Qunest process ${crashed.process.pid}, which is gone`,
    );

    await stopChild(next);
    expect(next.process.exitCode).toBe(0);
    expect(existsSync(pidFile(dir))).toBe(false);
  });

  it('refuses to start beside a server whose Qunest is alive, naming it, and leaves that server alone', async () => {
    const dir = newDataDir('owned');
    const owner = await startChild(dir);
    const server = serverPid(dir)!;
    await query(owner.port, 'CREATE TABLE untouched (n int)');

    const second = await launch(dir);

    expect(second.started).toBeUndefined();
    expect(second.failure).toContain(
      `FAILED EmbeddedPostgresInUseError: the embedded PostgreSQL in ${dir} (server pid ${server}, port ${owner.port})` +
        ` is in use by Qunest process ${owner.process.pid}`,
    );
    expect(serverPid(dir)).toBe(server);
    expect(isRunning(server)).toBe(true);
    expect(owner.process.exitCode).toBeNull();
    expect(ownerRecord(dir)).toMatchObject({ pid: owner.process.pid, postmasterPid: server });
    expect(await query(owner.port, 'SELECT count(*)::int AS n FROM untouched')).toEqual([{ n: 0 }]);

    // Its owner still stops it in order.
    await stopChild(owner);
    expect(owner.process.exitCode).toBe(0);
    expect(existsSync(pidFile(dir))).toBe(false);
    expect(isRunning(server)).toBe(false);
  });

  it('starts over a postmaster.pid whose process is gone, as after a power cut', async () => {
    const dir = newDataDir('stale');
    const first = await startChild(dir);
    const lock = readFileSync(pidFile(dir), 'utf8');
    const gone = serverPid(dir)!;
    await stopChild(first);
    // Reaped by the child that spawned it: no process has that pid any more.
    expect(existsSync(`/proc/${gone}`)).toBe(false);
    writeFileSync(pidFile(dir), lock);

    const next = await startChild(dir);

    expect(await query(next.port, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(serverPid(dir)).not.toBe(gone);
    await stopChild(next);
  });

  it('starts over a postmaster.pid whose pid now belongs to a server of another directory, which it leaves alone', async () => {
    const dir = newDataDir('reused');
    await stopChild(await startChild(dir));
    const other = newDataDir('reused-other');
    const otherOwner = await startChild(other);
    const otherServer = serverPid(other)!;
    // PostgreSQL itself refuses this lock file: its pid is a live process of its own user.
    writeFileSync(pidFile(dir), readFileSync(pidFile(other), 'utf8'));

    const next = await startChild(dir);

    expect(await query(next.port, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(serverPid(dir)).not.toBe(otherServer);
    expect(serverPid(other)).toBe(otherServer);
    expect(isRunning(otherServer)).toBe(true);
    expect(await query(otherOwner.port, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await stopChild(next);
    await stopChild(otherOwner);
  });
});
