import type { ProviderDescription } from '../../devices/provider-catalog';
import type { JobRun, ProgramSource, RunSettings, TargetDevice } from '../../jobs/job-run';
import type { PresortedEntries } from '../../jobs/result-data';
import type { ResultType } from '../../quantum';

/**
 * The backend port: one interface for anything that executes circuits, whatever is behind it (our
 * engine in worker threads, or a quantum cloud). The worker picks the backend registered for the
 * device's provider (BackendRegistry) and never looks at what kind of device it is beyond `kind`.
 */

/** What a backend is asked to execute: a started job's programs on its device, with its settings. */
export type BackendRun = JobRun;
export type { TargetDevice, ProgramSource, RunSettings };

/** One result of one program, in qunicorn-core's {resultType, data, meta} shape. */
export interface BackendResult {
  resultType: ResultType;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  /**
   * A large distribution already sorted and chunked where it was produced (the engine's `chunking`,
   * asked for with presortedChunking), `data` then its most probable entries: saveResults stores it
   * as it is. Absent for other results; a backend may always leave it out and give the whole `data`.
   */
  sorted?: PresortedEntries;
}

export interface ProgramResults {
  programId: string;
  results: BackendResult[];
}

/** How a running execution is steered: stopped through `signal`, progress (0..1) reported back. */
export interface RunControl {
  signal: AbortSignal;
  onProgress: (fraction: number) => void;
}

/** Why a job could not run, naming the program at fault (null when it is about the job as a whole). */
export class ProgramFailure extends Error {
  override readonly name = 'ProgramFailure';
  constructor(
    message: string,
    readonly programId: string | null,
    override readonly cause?: unknown,
    readonly extraData: Record<string, unknown> = {},
  ) {
    super(message);
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${message}\nCaused by: ${cause.stack}`;
  }
}

interface BackendBase {
  /** The provider this backend serves, with the devices it has without asking anyone (seeded at start). */
  describe(): ProviderDescription;
}

/** Runs within the worker that took the job, and returns when the results are there. */
export interface LocalBackend extends BackendBase {
  readonly kind: 'local';
  /**
   * Executes every program, in order. Throws ProgramFailure for a program that cannot run, and the
   * engine's SimulationAbortedError when `control.signal` stopped it.
   */
  run(run: BackendRun, control: RunControl): Promise<ProgramResults[]>;
}

/** What a remote backend reports of a job it was given. */
export type RemoteStatus =
  | { state: 'queued' | 'running'; progress?: number }
  | { state: 'done' }
  | { state: 'failed'; message: string }
  | { state: 'canceled' };

/**
 * A quantum cloud: the job is handed over (`submit`), followed by scheduled polls (`poll`) without a
 * worker waiting on it, and its results fetched once it is done. `handle` is the provider's job id
 * (stored as the job's providerSpecificId).
 */
export interface RemoteBackend extends BackendBase {
  readonly kind: 'remote';
  submit(run: BackendRun): Promise<string>;
  poll(handle: string): Promise<RemoteStatus>;
  cancel(handle: string): Promise<void>;
  fetchResults(handle: string, run: BackendRun): Promise<ProgramResults[]>;
  /** The provider's devices as it lists them now (sync), where it can tell. */
  listDevices?(): Promise<ProviderDescription['devices']>;
}

export type QuantumBackend = LocalBackend | RemoteBackend;
