/**
 * The quantum engine: circuits (the IR and its gates), the language front ends, and the statevector
 * simulator with its worker pool. A library with no Nest and no database; the application imports
 * it only through this file (a lint rule holds both ways). See README.md beside this file.
 */

// Circuits: the IR every front end produces and every backend consumes.
export { CircuitError, isDynamic } from './circuit/circuit';
export type {
  Circuit,
  CircuitErrorCode,
  Op,
  GateOp,
  Register,
  Matrix2,
  ClassicalExpr,
  ClassicalVar,
} from './circuit/circuit';

// Languages: program text in, circuit out.
export {
  ENGINE_LANGUAGES,
  EMITTED_LANGUAGES,
  canParse,
  parseProgram,
  emitProgram,
  translateProgram,
} from './languages';
export { UnsupportedLanguageError, TranslationError } from './languages';
export type { FrontEnd, Emitter, Emitted, ParseOptions, Translation } from './languages';
export { parseQasm, detectQasmLanguage, DEFAULT_MAX_OPERATIONS } from './qasm';
export type { QasmLanguage, QasmOptions } from './qasm';
export { emitQasm2, emitQasm3 } from './emit';
export { parseIonq, emitIonq } from './ionq';
export { parseQuil, emitQuil } from './quil';
export type { QuilOptions } from './quil';
export type { IonqOptions } from './ionq';
export { decompose, DecompositionTooLargeError } from './circuit/decompose';
export type { DecomposeBasis, DecomposeOptions, DecompositionStats } from './circuit/decompose';

// The simulator: in this thread (`simulate`) or in worker threads (`SimulatorPool`), which also
// parse and run programs given as text (`runProgram`, `parse`) so the caller never holds a circuit.
export { simulate, runStatevector, MAX_SHOTS, SimulatorPool, HARD_MAX_QUBITS, stateBytes } from './simulator';
// Shots measured elsewhere (a quantum cloud) in the formats of the simulator's results.
export { formatOutcomes } from './simulator';
export type { FormattedOutcomes } from './simulator';
export { parseTask, programTask, translateTask, countOperations } from './simulator';
export { SimulationAbortedError, SimulationInputError, SimulationLimitError, SimulationWorkerError } from './simulator';
export { ProgramTooWideError, ParseTimeoutError } from './simulator';
// Large distributions sorted and chunked where they were produced (runProgram's `chunking`).
export { sortDistribution, chunkDistributions, orderByValue, sortedChunk, sortedChunkCount } from './simulator';
export type {
  JobType,
  ResultType,
  Observable,
  SimulationRequest,
  SimulationResult,
  PoolRunOptions,
  ProgramRunOptions,
  ParseRunOptions,
  SimulatorPoolOptions,
  ProgramText,
  ProgramRequest,
  ProgramRunResult,
  ParseSummary,
  TranslateRequest,
  CircuitLayout,
  LaidOutTranslation,
  DistributionChunking,
  SortedDistribution,
} from './simulator';

// Noisy devices and error mitigation (the noisy engine runs a ProgramRequest with `noise`).
export {
  DEFAULT_NOISE_MODEL,
  NOISE_PRESETS,
  noiseModelProblem,
  validateNoiseModel,
  NoiseModelError,
  decouplingProblem,
  simulateNoisy,
  MITIGATION_METHODS,
  MITIGATION_JOB_TYPES,
  ZNE_SCALE_FACTORS,
  DENSITY_MAX_QUBITS,
  MAX_TRAJECTORIES,
  MITIGATION_MAX_CLBITS,
} from './noise';
export type { NoiseModel, IdleNoise, NoiseModelProblem, MitigationMethod, NoisySimulationRequest } from './noise';

// Circuit cutting: wire cuts to fragments of a width, run on the statevector, recombined
// (ProgramRequest's `cutToWidth` runs it in a pool thread; ProgramText's `planCut` plans at a parse).
export {
  planCuts,
  simulateCut,
  cutDistribution,
  CutError,
  MAX_CUT_SUBEXPERIMENTS,
  MAX_RECOMBINATION_WORK,
} from './cutting';
export type { CutPlan, CutSummary, CutErrorReason, CutOptions, CutMeta } from './cutting';

// Example programs (tests, benchmarks, README).
export { BELL_QASM2 } from './examples';
