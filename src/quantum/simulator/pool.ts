import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { CircuitError, type CircuitErrorCode } from '../circuit/circuit';
import { TranslationError, UnsupportedLanguageError } from '../languages';
import { CutError, type CutErrorReason } from '../cutting/plan';
import {
  ParseTimeoutError,
  ProgramTooWideError,
  SimulationAbortedError,
  SimulationInputError,
  SimulationLimitError,
  SimulationWorkerError,
} from './errors';
import type {
  LaidOutTranslation,
  ParseSummary,
  ProgramRequest,
  ProgramRunResult,
  ProgramText,
  TranslateRequest,
} from './program-task';
import type { RunMessage, SerializedError, WorkerReply, WorkerTask } from './simulator.worker';
import type { SimulationRequest, SimulationResult } from './types';

/**
 * A small pool of worker threads running `simulate`, so that the API's event loop stays free. It
 * also takes programs as text (`runProgram`: parse and simulate in the thread; `parse`: parse only,
 * to validate), so that the calling thread never holds an unrolled circuit, with a time limit on
 * the parse that terminates the thread when it is exceeded.
 *
 * Worker entry. Compiled (dist/), the pool starts `simulator.worker.js` beside its own file. From
 * TypeScript sources (jest, where this file is `pool.ts` and no `.js` sibling exists), it starts an
 * eval'd CommonJS bootstrap that registers a `.ts` require hook compiling with @swc/core (the
 * compiler jest already uses here, a devDependency) and then requires `simulator.worker.ts`. So the
 * tests run the same worker code and the same message protocol as production; only the loading
 * differs. Node's own type stripping cannot do it: it needs explicit `.ts` extensions in imports.
 * If neither file exists (or @swc/core is missing), the constructor throws.
 *
 * Cancellation: each run gets a SharedArrayBuffer flag that the kernels poll (between gates and
 * every 2^20 amplitudes), so a running simulation stops within milliseconds; should the worker not
 * answer within `abortGraceMs`, it is terminated and replaced. A worker that dies (out of memory,
 * crash) rejects its run with SimulationWorkerError and is replaced; the process survives. A parse
 * (which reads no flag) that outlives its `parseTimeoutMs` rejects with ParseTimeoutError, and its
 * worker is terminated and replaced.
 */

export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface PoolRunOptions {
  signal?: AbortSignalLike;
  /** Fraction done, 0..1, at most every `progressIntervalMs`. */
  onProgress?: (fraction: number) => void;
}

/** Options of `runProgram`: those of `run`, a time limit on the parse, and the size once parsed. */
export interface ProgramRunOptions extends PoolRunOptions {
  /** Longest the parse may take, from when a thread starts it; then ParseTimeoutError. Default: none. */
  parseTimeoutMs?: number;
  /** Called once the program is parsed, with its size (before the simulation starts). */
  onParsed?: (summary: ParseSummary) => void;
}

/** Options of `parse`. */
export interface ParseRunOptions {
  signal?: AbortSignalLike;
  /** Longest the parse may take, from when a thread starts it; then ParseTimeoutError. Default: none. */
  timeoutMs?: number;
}

export interface SimulatorPoolOptions {
  /** Number of worker threads; default os.availableParallelism(). Workers start on demand. */
  size?: number;
  /** Passed to each Worker (heap limits; state vectors live outside the heap). */
  resourceLimits?: ResourceLimits;
  /** After an abort, how long the worker may take to notice before it is terminated. Default 1000. */
  abortGraceMs?: number;
  /** Minimum time between two progress reports of a run. Default 100 (10 per second). */
  progressIntervalMs?: number;
}

interface Job {
  id: number;
  task: WorkerTask;
  opts: ProgramRunOptions;
  cancel: Int32Array<SharedArrayBuffer>;
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
  settled: boolean;
  slot: Slot | null;
  abortTimer: NodeJS.Timeout | null;
  /** Armed when a thread starts a task with a parse time limit; cleared once parsed. */
  parseTimer: NodeJS.Timeout | null;
  onAbort: (() => void) | null;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  dead: boolean;
}

type WorkerSpec = { file: string; eval: false } | { file: string; eval: true; workerData: unknown };

const TS_BOOTSTRAP = `
const Module = require('node:module');
const fs = require('node:fs');
const { workerData } = require('node:worker_threads');
const swc = require(workerData.swc);
Module._extensions['.ts'] = function (module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
require(workerData.entry);
`;

function resolveWorker(): WorkerSpec {
  const base = path.join(__dirname, 'simulator.worker');
  if (fs.existsSync(`${base}.js`)) return { file: `${base}.js`, eval: false };
  if (fs.existsSync(`${base}.ts`)) {
    let swc: string;
    try {
      swc = require.resolve('@swc/core');
    } catch {
      throw new Error(
        `${base}.js does not exist and @swc/core, needed to run ${base}.ts, is not installed: build first`,
      );
    }
    return { file: TS_BOOTSTRAP, eval: true, workerData: { entry: `${base}.ts`, swc } };
  }
  throw new Error(`simulator worker not found: neither ${base}.js nor ${base}.ts exists`);
}

function deserialize(e: SerializedError): Error {
  let err: Error;
  const d = e.data ?? {};
  switch (e.name) {
    case 'CircuitError':
      err = new CircuitError(String(d.reason), Number(d.line), Number(d.column), e.code as CircuitErrorCode);
      break;
    case 'ProgramTooWideError':
      err = new ProgramTooWideError(Number(d.qubits), Number(d.maxQubits));
      break;
    case 'UnsupportedLanguageError':
      err = new UnsupportedLanguageError(String(d.language), d.role === 'write' ? 'write' : 'read');
      err.message = e.message;
      break;
    case 'TranslationError':
      err = new TranslationError(String(d.construct), String(d.language));
      err.message = e.message;
      break;
    case 'SimulationAbortedError':
      err = new SimulationAbortedError(e.message);
      break;
    case 'CutError':
      err = new CutError(
        e.message,
        String(d.reason) as CutErrorReason,
        d.subexperiments === undefined ? undefined : Number(d.subexperiments),
        d.limit === undefined ? undefined : Number(d.limit),
      );
      break;
    case 'SimulationLimitError':
      err = new SimulationLimitError(e.message);
      break;
    case 'SimulationInputError':
      err = new SimulationInputError(e.message);
      break;
    default:
      err = new Error(e.message);
      err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}

export class SimulatorPool {
  readonly size: number;
  private readonly spec: WorkerSpec;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly abortGraceMs: number;
  private readonly progressIntervalMs: number;

  constructor(private readonly options: SimulatorPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? os.availableParallelism()));
    this.abortGraceMs = options.abortGraceMs ?? 1000;
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.spec = resolveWorker();
  }

  /** Workers alive, busy, and runs waiting for a worker. */
  get stats(): { workers: number; busy: number; queued: number } {
    return { workers: this.slots.length, busy: this.slots.filter((s) => s.job).length, queued: this.queue.length };
  }

  /** Simulates a circuit in a worker thread. */
  run(req: SimulationRequest, opts: PoolRunOptions = {}): Promise<SimulationResult[]> {
    return this.enqueue<SimulationResult[]>({ kind: 'simulate', req }, opts);
  }

  /**
   * Parses a program in a worker thread and simulates it there; answers the results with the
   * program's size. Rejects as `run` does, and besides with the parser's CircuitError (line,
   * column, reason, code), ProgramTooWideError (more qubits than `req.maxQubits`) and
   * ParseTimeoutError.
   *
   * With `req.chunking`, a distribution of more than `chunking.inlineEntries` entries is sorted and
   * cut into JSON chunks in the thread (its result's `sorted`; `data` keeps the most probable): what
   * crosses to this thread is a few strings, not an object of one key per outcome, so this thread
   * does no work per entry (a 20-qubit, 10^6-shot result has 643,832 of them).
   */
  runProgram(req: ProgramRequest, opts: ProgramRunOptions = {}): Promise<ProgramRunResult> {
    return this.enqueue<ProgramRunResult>({ kind: 'program', req }, opts);
  }

  /** Parses a program in a worker thread and answers its size; rejects as `runProgram` does. */
  parse(program: ProgramText, opts: ParseRunOptions = {}): Promise<ParseSummary> {
    return this.enqueue<ParseSummary>(
      { kind: 'parse', req: program },
      { signal: opts.signal, parseTimeoutMs: opts.timeoutMs },
    );
  }

  /**
   * Translates a program in a worker thread (parse, then emit in `req.to`), under the same time limit
   * as `parse` (the whole translation). Rejects as `parse` does, and besides with the engine's
   * UnsupportedLanguageError (language, role) and TranslationError (construct, language).
   */
  translate(req: TranslateRequest, opts: ParseRunOptions = {}): Promise<LaidOutTranslation> {
    return this.enqueue<LaidOutTranslation>(
      { kind: 'translate', req },
      { signal: opts.signal, parseTimeoutMs: opts.timeoutMs },
    );
  }

  private enqueue<T>(task: WorkerTask, opts: ProgramRunOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new Error('simulator pool is closed'));
      if (opts.signal?.aborted) return reject(new SimulationAbortedError());
      const job: Job = {
        id: this.nextId++,
        task,
        opts,
        cancel: new Int32Array(new SharedArrayBuffer(4)),
        resolve: resolve as (value: unknown) => void,
        reject,
        settled: false,
        slot: null,
        abortTimer: null,
        parseTimer: null,
        onAbort: null,
      };
      if (opts.signal) {
        job.onAbort = () => this.abort(job);
        opts.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Terminates the workers; queued and running simulations reject. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new Error('simulator pool closed'));
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        slot.dead = true;
        if (slot.job) this.settle(slot.job, new Error('simulator pool closed'));
        return slot.worker.terminate();
      }),
    );
  }

  private abort(job: Job): void {
    if (job.settled) return;
    const slot = job.slot;
    if (slot === null) {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.settle(job, new SimulationAbortedError());
      return;
    }
    Atomics.store(job.cancel, 0, 1);
    job.abortTimer = setTimeout(() => {
      if (job.settled || slot.job !== job) return;
      this.settle(job, new SimulationAbortedError('simulation aborted (worker terminated)'));
      this.retire(slot);
    }, this.abortGraceMs);
  }

  private settle(job: Job, outcome: Error | { value: unknown }): void {
    if (job.settled) return;
    job.settled = true;
    if (job.abortTimer) clearTimeout(job.abortTimer);
    if (job.parseTimer) clearTimeout(job.parseTimer);
    if (job.onAbort && job.opts.signal) job.opts.signal.removeEventListener('abort', job.onAbort);
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome.value);
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.job === null && !s.dead);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift()!;
      job.slot = slot;
      slot.job = job;
      slot.worker.ref();
      const msg: RunMessage = {
        type: 'run',
        id: job.id,
        task: job.task,
        cancel: job.cancel.buffer,
        progressIntervalMs: this.progressIntervalMs,
      };
      try {
        slot.worker.postMessage(msg);
      } catch (err) {
        // e.g. a request that cannot be cloned
        slot.job = null;
        slot.worker.unref();
        this.settle(job, err as Error);
        continue;
      }
    }
  }

  /**
   * Arms the parse time limit of a job its thread has begun (its 'started' reply): a thread that is
   * still starting up (loading the engine) does not use up the program's time.
   */
  private armParseTimer(slot: Slot, job: Job): void {
    const limit = job.opts.parseTimeoutMs;
    if (limit === undefined || job.task.kind === 'simulate' || job.settled || job.parseTimer) return;
    job.parseTimer = setTimeout(() => {
      if (job.settled || slot.job !== job) return;
      this.settle(job, new ParseTimeoutError(limit));
      this.retire(slot);
    }, limit);
  }

  private spawn(): Slot {
    const worker = this.spec.eval
      ? new Worker(this.spec.file, {
          eval: true,
          workerData: this.spec.workerData,
          resourceLimits: this.options.resourceLimits,
        })
      : new Worker(this.spec.file, { resourceLimits: this.options.resourceLimits });
    const slot: Slot = { worker, job: null, dead: false };
    worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
    const heap = this.options.resourceLimits?.maxOldGenerationSizeMb;
    worker.on('error', (err: Error & { code?: string }) => {
      const reason =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `simulation worker ran out of memory${heap ? ` (its heap may hold ${heap} MB)` : ''}: ${err.message}`
          : `simulation worker failed: ${err.message}`;
      this.fail(slot, new SimulationWorkerError(reason, err.code));
    });
    worker.on('exit', (code) => {
      this.fail(slot, new SimulationWorkerError(`simulation worker exited unexpectedly with code ${code}`));
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    if (reply.type === 'started') {
      this.armParseTimer(slot, job);
      return;
    }
    if (reply.type === 'parsed') {
      if (job.parseTimer) clearTimeout(job.parseTimer);
      job.parseTimer = null;
      if (!job.settled && job.opts.onParsed) {
        try {
          job.opts.onParsed(reply.summary);
        } catch {
          // a throwing listener must not break the pool
        }
      }
      return;
    }
    if (reply.type === 'progress') {
      if (!job.settled && job.opts.onProgress) {
        try {
          job.opts.onProgress(reply.fraction);
        } catch {
          // a throwing listener must not break the pool
        }
      }
      return;
    }
    slot.job = null;
    slot.worker.unref();
    // A result that crossed an abort still counts as aborted: the caller asked to stop.
    const aborted = Atomics.load(job.cancel, 0) !== 0;
    if (reply.type === 'result') this.settle(job, aborted ? new SimulationAbortedError() : { value: reply.value });
    else this.settle(job, deserialize(reply.error));
    this.dispatch();
  }

  /** A worker died: reject its run, drop it; the next dispatch starts a replacement. */
  private fail(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.job) this.settle(slot.job, err);
    slot.job = null;
    this.dispatch();
  }

  /** Terminates a worker we gave up on (an abort it did not notice in time). */
  private retire(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.job = null;
    void slot.worker.terminate();
    this.dispatch();
  }
}
