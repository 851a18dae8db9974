import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NODE, ROOT } from './build';
import { waitUntil } from './http';

/** A worker process (`node dist/src/worker.js`, as `npm run worker` starts it) for end-to-end tests; build dist first (buildDist). */

const WORKER = join(ROOT, 'dist', 'src', 'worker.js');

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `node dist/src/worker.js` on `databaseUrl`; resolves once it says it is ready. */
export async function startWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(NODE, [WORKER], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      DATABASE_URL: databaseUrl,
      LOCAL_DEVICE_QUBITS: '20',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const w = { child, output: () => out, exited };
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${out}`);
      return out.includes('Qunest worker ready');
    },
    'the worker process to start',
    60_000,
  );
  return w;
}

export async function stopWorker(w: WorkerProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill(signal);
  await w.exited;
}
