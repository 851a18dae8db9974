/**
 * Entry of a simulator worker thread (see pool.ts). Runs one simulation at a time; the main thread
 * cancels through a shared Int32Array flag that the kernels read, since this thread's event loop is
 * blocked while it simulates.
 */
import { parentPort } from 'node:worker_threads';
import { simulate } from './simulate';
import type { SimulationRequest } from './types';

export interface RunMessage {
  type: 'run';
  id: number;
  req: SimulationRequest;
  /** SharedArrayBuffer of one Int32: non-zero = cancel. */
  cancel: SharedArrayBuffer;
  progressIntervalMs: number;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export type WorkerReply =
  | { type: 'progress'; id: number; fraction: number }
  | { type: 'result'; id: number; results: ReturnType<typeof simulate> }
  | { type: 'error'; id: number; error: SerializedError };

function serialize(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      stack: err.stack,
      code: typeof code === 'string' ? code : undefined,
    };
  }
  return { name: 'Error', message: String(err) };
}

const port = parentPort;
if (!port) throw new Error('simulator.worker must run in a worker thread');

port.on('message', (msg: RunMessage) => {
  if (msg.type !== 'run') return;
  const flag = new Int32Array(msg.cancel);
  const signal = {
    get aborted(): boolean {
      return Atomics.load(flag, 0) !== 0;
    },
  };
  let last = 0;
  const onProgress = (fraction: number) => {
    const now = performance.now();
    if (now - last >= msg.progressIntervalMs) {
      last = now;
      port.postMessage({ type: 'progress', id: msg.id, fraction } satisfies WorkerReply);
    }
  };
  let reply: WorkerReply;
  try {
    reply = { type: 'result', id: msg.id, results: simulate(msg.req, { signal, onProgress }) };
  } catch (err) {
    reply = { type: 'error', id: msg.id, error: serialize(err) };
  }
  port.postMessage(reply);
});
