/**
 * Entry of a simulator worker thread (see pool.ts). Runs one task at a time: a simulation of a
 * circuit (`simulate`), a program given as text (`program`: parse, then simulate), a parse alone
 * (`parse`, to validate a program), or a translation (`translate`: parse, then emit). The main
 * thread cancels through a shared Int32Array flag that the kernels read, since this thread's event
 * loop is blocked while it works.
 */
import { parentPort } from 'node:worker_threads';
import { CircuitError } from '../circuit/circuit';
import { TranslationError, UnsupportedLanguageError } from '../languages';
import { sortedBuffers } from './distribution';
import { ProgramTooWideError } from './errors';
import { CutError } from '../cutting/plan';
import {
  parseTask,
  programTask,
  translateTask,
  type ParseSummary,
  type ProgramRequest,
  type ProgramText,
  type TranslateRequest,
} from './program-task';
import { simulate } from './simulate';
import type { SimulationRequest } from './types';

export type WorkerTask =
  | { kind: 'simulate'; req: SimulationRequest }
  | { kind: 'program'; req: ProgramRequest }
  | { kind: 'parse'; req: ProgramText }
  | { kind: 'translate'; req: TranslateRequest };

export interface RunMessage {
  type: 'run';
  id: number;
  task: WorkerTask;
  /** SharedArrayBuffer of one Int32: non-zero = cancel. */
  cancel: SharedArrayBuffer;
  progressIntervalMs: number;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** Fields of the engine's errors that the pool rebuilds (CircuitError: line, column, reason). */
  data?: Record<string, string | number>;
}

export type WorkerReply =
  /** The thread has begun the task (the parse time limit counts from here, not from its start-up). */
  | { type: 'started'; id: number }
  | { type: 'progress'; id: number; fraction: number }
  | { type: 'parsed'; id: number; summary: ParseSummary }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError };

function serialize(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    let data: SerializedError['data'];
    if (err instanceof CircuitError) data = { line: err.line, column: err.column, reason: err.reason };
    else if (err instanceof ProgramTooWideError) data = { qubits: err.qubits, maxQubits: err.maxQubits };
    else if (err instanceof UnsupportedLanguageError) data = { language: err.language, role: err.role };
    else if (err instanceof TranslationError) data = { construct: err.construct, language: err.language };
    else if (err instanceof CutError) {
      data = { reason: err.reason };
      if (err.subexperiments !== undefined) data.subexperiments = err.subexperiments;
      if (err.limit !== undefined) data.limit = err.limit;
    }
    return {
      name: err.name,
      message: err.message,
      stack: err.stack,
      code: typeof code === 'string' ? code : undefined,
      data,
    };
  }
  return { name: 'Error', message: String(err) };
}

const port = parentPort;
if (!port) throw new Error('simulator.worker must run in a worker thread');

port.on('message', (msg: RunMessage) => {
  if (msg.type !== 'run') return;
  port.postMessage({ type: 'started', id: msg.id } satisfies WorkerReply);
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
  const onParsed = (summary: ParseSummary) =>
    port.postMessage({ type: 'parsed', id: msg.id, summary } satisfies WorkerReply);
  let reply: WorkerReply;
  // Buffers handed over with the reply instead of copied: sorted distributions' (runProgram's `chunking`).
  let transfer: ArrayBuffer[] = [];
  try {
    const task = msg.task;
    let value: unknown;
    switch (task.kind) {
      case 'simulate':
        value = simulate(task.req, { signal, onProgress });
        break;
      case 'program': {
        const run = programTask(task.req, { signal, onProgress, onParsed });
        transfer = sortedBuffers(run.results);
        value = run;
        break;
      }
      case 'parse':
        value = parseTask(task.req);
        break;
      case 'translate':
        value = translateTask(task.req);
        break;
    }
    reply = { type: 'result', id: msg.id, value };
  } catch (err) {
    reply = { type: 'error', id: msg.id, error: serialize(err) };
  }
  port.postMessage(reply, transfer);
});
