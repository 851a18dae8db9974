import type { Circuit } from '../circuit/circuit';

/**
 * Request and result shapes of the simulator. The result shapes follow qunicorn-core's
 * `{resultType, data, meta}` (its ADRs 0010 "Job Results" and 0011 "Result Types", and the mapping
 * code of its IBM pilot); README.md beside this file explains the choices and the deviations.
 */

export type JobType = 'RUNNER' | 'SAMPLER' | 'ESTIMATOR';

export type ResultType = 'COUNTS' | 'PROBABILITIES' | 'QUASI_DIST' | 'VALUE_AND_VARIANCE';

/**
 * One weighted Pauli string, in qiskit's order: the rightmost character acts on qubit 0.
 * Its length must equal the circuit's number of qubits. `"ZZI"` on 3 qubits is Z(q2) Z(q1) I(q0).
 */
export interface Observable {
  pauli: string;
  /** Real weight; defaults to 1. The value is `coefficient * <P>`. */
  coefficient?: number;
}

/** Anything with an `aborted` flag: an AbortSignal, or the worker's SharedArrayBuffer-backed flag. */
export interface AbortLike {
  readonly aborted: boolean;
}

export interface SimulationRequest {
  circuit: Circuit;
  /** Positive integer, at most MAX_SHOTS. */
  shots: number;
  /** Unsigned 32-bit seed of the sampling PRNG; a random one is drawn (and reported) if omitted. */
  seed?: number;
  type: JobType;
  /** Required (non-empty) for ESTIMATOR, ignored otherwise. */
  observables?: Observable[];
  /** The device's qubit limit (default device: 26). At most HARD_MAX_QUBITS. */
  maxQubits: number;
  /**
   * Memory the simulation may use for state vectors, in bytes. The effective limit is the smaller of
   * this and 90 % of the memory the OS reports available at the start of the run.
   */
  maxMemoryBytes?: number;
}

export interface SimulateOptions {
  /** Checked between gates and every 2^20 amplitudes inside a gate; throws SimulationAbortedError. */
  signal?: AbortLike;
  /** Fraction of the work done, 0..1, non-decreasing. Called often (per gate): throttle on your side. */
  onProgress?: (fraction: number) => void;
}

/** A classical register as it appears in the keys: `registers[0]` is the leftmost word. */
export type RegisterInfo = { name: string; size: number };

/**
 * How the shots were produced. `sampled-once`: all measurements are terminal, the distribution was
 * computed once and every shot drawn from it. `per-shot`: mid-circuit measurement, reset or a
 * conditional; shots follow their own trajectories (sharing the deterministic prefix, and sharing
 * the work of trajectories until their measurement outcomes differ).
 */
export type SamplingMode = 'sampled-once' | 'per-shot' | 'no-measurements';

/** How a noisy device simulated a result (../noise): exactly, or averaging trajectories. */
export type NoiseInfo = { simulation: 'density-matrix' | 'trajectories'; trajectories?: number };

/**
 * The mitigation a noisy device applied: the method, what it cost (extra circuits and shots), its
 * method's details (calibration, scale factors, gamma, ...) and the raw, unmitigated result's data.
 */
export type ErrorMitigationInfo = {
  method: string;
  applied: true;
  extraCircuits: number;
  extraShots: number;
  raw: unknown;
  [detail: string]: unknown;
};

export type CountsMeta = {
  format: 'hex';
  shots: number;
  /** Registers in key order: the last-declared register first, as qiskit prints counts. */
  registers: RegisterInfo[];
  seed: number;
  timeTakenMs: number;
  mode: SamplingMode;
  /** On a noisy device. */
  noise?: NoiseInfo;
};

/** How `runProgram` (or `chunkDistributions`) answers distributions of more than `inlineEntries` entries. */
export interface DistributionChunking {
  /**
   * A distribution of more entries than this is answered sorted and chunked (`sorted`), its `data`
   * holding only its first (most probable) `inlineEntries`; one of at most this many is answered
   * as before. Integer >= 0.
   */
  inlineEntries: number;
  /** Entries a chunk holds (the last one may hold fewer). Integer >= 1. */
  chunkEntries: number;
  /**
   * Most entries kept in `sorted`: the least probable beyond are dropped, counted and summed up
   * (`droppedEntries`, `droppedWeight`). Integer >= 1; default: all.
   */
  maxEntries?: number;
}

/**
 * A distribution's entries, largest value first, ties in the order of the producer's keys (so the
 * order is fixed once produced), cut into chunks of `chunkEntries`.
 */
export interface SortedDistribution {
  /** Entries the distribution had. */
  entries: number;
  /** Entries kept in `chunks`: min(entries, maxEntries). */
  keptEntries: number;
  /** Entries beyond `maxEntries`, not kept (0 when none was dropped). */
  droppedEntries: number;
  /** Sum of the values of the dropped entries (0 when none was dropped). */
  droppedWeight: number;
  /** Entries a chunk holds; the last may hold fewer. */
  chunkEntries: number;
  /**
   * The kept entries in order, `chunkEntries` a chunk, each chunk a JSON array of `[key, value]`
   * pairs (exactly `JSON.stringify` of the chunk's entries), as UTF-8, one chunk after the other.
   * Chunk i is `text.subarray(chunkOffsets[i], chunkOffsets[i + 1])` (sortedChunk decodes it).
   * Bytes, not strings, so that a pool thread hands them over without a copy (transferred).
   */
  text: Uint8Array;
  /** Byte offsets of the chunks in `text`: one per chunk, then `text.length`. */
  chunkOffsets: Uint32Array;
}

/** Measured outcomes → number of shots. Keys: one hex word per register, separated by a space. */
export type CountsResult = {
  resultType: 'COUNTS';
  data: Record<string, number>;
  meta: CountsMeta;
  /** Only with `chunking`, for more than its `inlineEntries` outcomes: all of them; `data` is then the first. */
  sorted?: SortedDistribution;
};

/** Same keys as COUNTS, values count / shots (as qunicorn-core's calculate_probabilities). */
export type ProbabilitiesResult = {
  resultType: 'PROBABILITIES';
  data: Record<string, number>;
  meta: CountsMeta;
  /** As COUNTS' `sorted`. */
  sorted?: SortedDistribution;
};

export type QuasiDistMeta = {
  /**
   * `hex`: one key per outcome, `"0x" + integer.toString(16)`, where the integer reads all classical
   * bits with clbit 0 as the least significant bit (qiskit Sampler V1's integer keys, which
   * qunicorn-core converts with `hex(k)`). No register separation.
   */
  format: 'hex';
  shots: number;
  numClbits: number;
  /** Registers from the most significant bits to the least (the last-declared first). */
  registers: RegisterInfo[];
  seed: number;
  timeTakenMs: number;
  mode: SamplingMode;
  /** On a noisy device. */
  noise?: NoiseInfo;
  /** A mitigated distribution (`data`): the method, and the raw distribution in `raw`. */
  errorMitigation?: ErrorMitigationInfo;
};

/** Outcome → relative frequency over the shots (sums to 1), as qiskit's Sampler with `shots` set. */
export type QuasiDistResult = {
  resultType: 'QUASI_DIST';
  data: Record<string, number>;
  meta: QuasiDistMeta;
  /** As COUNTS' `sorted`. */
  sorted?: SortedDistribution;
};

export type ValueAndVarianceMeta = {
  /** The Pauli string as given (upper-cased). */
  observable: string;
  coefficient: number;
  /**
   * True when computed without sampling noise: from the final state vector, or on a noisy device
   * from its density matrix (the noisy state's exact expectation). False for trajectories and for
   * values mitigated with sampled calibration shots.
   */
  exact: boolean;
  /** The job's shots, for the caller's standard error: sqrt(variance / shots). */
  shots: number;
  timeTakenMs: number;
  /** On a noisy device. */
  noise?: NoiseInfo;
  /** A mitigated value (`data`): the method, and the raw `{value, variance}` in `raw`. */
  errorMitigation?: ErrorMitigationInfo;
};

/**
 * `value` = coefficient * <psi|P|psi>; `variance` = <O^2> - <O>^2 = coefficient^2 (1 - <P>^2), the
 * variance of a single-shot measurement of the observable (not of the mean over shots).
 * Numbers, where qunicorn-core stores strings.
 */
export type ValueAndVarianceResult = {
  resultType: 'VALUE_AND_VARIANCE';
  data: { value: number; variance: number };
  meta: ValueAndVarianceMeta;
};

export type SimulationResult = CountsResult | ProbabilitiesResult | QuasiDistResult | ValueAndVarianceResult;
