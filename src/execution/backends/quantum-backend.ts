import type { ProviderDescription } from '../../devices/provider-catalog';
import type { JobRun, ProgramSource, RunSettings, TargetDevice } from '../../jobs/job-run';
import type { PresortedEntries } from '../../jobs/result-data';
import type { LaidOutTranslation, ResultType, TranslateRequest } from '../../quantum';

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

/**
 * How an error that ends a job is written (saveError): its message, its stack for the logs and admins,
 * and, for a ProgramFailure, the program at fault and its details.
 */
export function failureOf(err: unknown): {
  error: { message: string; stack?: string };
  failure: { programId?: string | null; data: Record<string, unknown> };
} {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    error: { message: e.message, stack: e.stack },
    failure:
      err instanceof ProgramFailure
        ? { programId: err.programId, data: err.extraData }
        : { data: { errorType: e.name } },
  };
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

/** A device of a remote provider, as the adapter needs it. */
export interface RemoteDevice {
  /** Our name of the device (unique within its provider). */
  name: string;
  /** The provider's own id of the device (a Braket device ARN, an IBM backend name). */
  providerDeviceId: string;
  numQubits: number;
}

/** Who a call to a provider is made for: the job's own token (opened), or null for the server's credentials. */
export interface RemoteCredentials {
  token: string | null;
}

/**
 * What a provider was given for one job: its ids (one IBM job, one Braket task per program) and
 * whatever the adapter needs later to read the results (kept as JSON in the job's transient state,
 * `{type: provider, providerIds, data}`, as qunicorn-core does; providerSpecificId = providerIds joined by ',').
 */
export interface RemoteHandle {
  providerIds: string[];
  data?: Record<string, unknown>;
}

/** What a remote backend reports of a job it was given. */
export type RemoteStatus =
  /** Waiting at the provider; its place in the provider's queue where the provider tells it. */
  | { state: 'queued'; queuePosition?: number | null }
  | { state: 'running'; progress?: number }
  | { state: 'done' }
  /** Ended in failure at the provider: `message` is the provider's own words, for the job's ERROR. */
  | { state: 'failed'; message: string; data?: Record<string, unknown> }
  | { state: 'canceled' };

/** The answer to a cancel: accepted by the provider, or refused with the provider's reason (a 409). */
export type CancelOutcome = { canceled: true } | { canceled: false; reason: string };

/** A device as the provider lists it now (sync). */
export interface ListedDevice {
  name: string;
  providerDeviceId: string;
  numQubits: number;
  isSimulator: boolean;
  online: boolean;
}

/** The live status of a device at its provider. */
export interface RemoteDeviceStatus {
  online: boolean;
  /** Jobs waiting at the provider for the device, where it tells. */
  queueLength: number | null;
  /** The provider's words on the status (e.g. "maintenance"). */
  message: string | null;
  /** The provider's own answer, as it gave it. */
  raw: Record<string, unknown>;
}

/**
 * A quantum cloud. A job is handed over (`submit`) by a worker that then lets it go; scheduled
 * polls (`poll`, any process) follow it to its end without a worker waiting on it, and its results
 * are fetched once it is done. Every call may throw one of the errors of remote/remote-errors.ts:
 * RemoteUnavailable (transient: network, 5xx, 429; tried again later, honouring Retry-After),
 * CredentialsRefused (401/403), or anything else (a permanent failure: the job ends in ERROR with its
 * message; a ProgramFailure names the program).
 */
export interface RemoteBackend extends BackendBase {
  readonly kind: 'remote';
  /**
   * The job's `errorMitigation` methods the provider applies (besides `none`); a job asking for
   * another is refused at submission (422). The backend reads the method from `run.settings`.
   */
  readonly errorMitigations?: readonly string[];
  /**
   * Whether a job's `seed` makes this device's sampling reproducible (a simulator that takes one);
   * a job with a seed on a device that cannot honour it is refused at submission (422 naming `seed`).
   */
  takesSeed?(providerDeviceId: string): boolean;
  /**
   * Why a job of this provider cannot be accepted (a 422 naming `field`), or null: credentials missing
   * (no job token and no server-wide ones), a job type or a setting the provider cannot honour. No
   * network call: it answers from configuration.
   */
  admissionProblem(job: { hasToken: boolean; type: string; shots: number }): { field: string; message: string } | null;
  /**
   * Translates every program to what the provider takes and submits the job to `device`. Idempotent
   * under `submissionKey` (the same for every attempt of one job) where the provider allows it
   * (Braket's clientToken); where it does not, `findSubmitted` finds an earlier submission.
   */
  submit(run: BackendRun, device: RemoteDevice, creds: RemoteCredentials, submissionKey: string): Promise<RemoteHandle>;
  /** A job submitted earlier under `submissionKey` (by a worker that died before it could record it), or null. */
  findSubmitted(submissionKey: string, device: RemoteDevice, creds: RemoteCredentials): Promise<RemoteHandle | null>;
  poll(handle: RemoteHandle, creds: RemoteCredentials): Promise<RemoteStatus>;
  cancel(handle: RemoteHandle, creds: RemoteCredentials): Promise<CancelOutcome>;
  /**
   * The results of a job that is done, one ProgramResults per program of `run` in order, in the
   * formats of local results (formatOutcomes of the engine), the provider's metadata (backend,
   * execution time, usage) in `meta`.
   */
  fetchResults(handle: RemoteHandle, run: BackendRun, creds: RemoteCredentials): Promise<ProgramResults[]>;
  /** The provider's devices as it lists them now (POST /api/providers/:id/sync). */
  listDevices(creds: RemoteCredentials): Promise<ListedDevice[]>;
  deviceStatus(device: RemoteDevice, creds: RemoteCredentials): Promise<RemoteDeviceStatus>;
  /** The provider's calibration or properties data of the device, as it gives it. */
  calibration(device: RemoteDevice, creds: RemoteCredentials): Promise<Record<string, unknown>>;
}

export type QuantumBackend = LocalBackend | RemoteBackend;

/** What a remote backend is built with besides its own settings (BackendsModule makes it). */
export interface RemoteBackendDeps {
  /**
   * Translates a program in an engine thread (never in the caller's), with `withLayout` its circuit's
   * registers and measurements, to read the provider's answer back. Throws the engine's errors
   * (CircuitError with line and column, UnsupportedLanguageError, TranslationError).
   */
  translate(req: TranslateRequest): Promise<LaidOutTranslation>;
  /** Most operations one program may expand to (MAX_CIRCUIT_OPERATIONS). */
  maxOperations: number;
  /** Longest one call to the provider may take (PROVIDER_REQUEST_TIMEOUT_SECONDS), in ms. */
  requestTimeoutMs: number;
}
