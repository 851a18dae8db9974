/**
 * The statevector simulator: `simulate` runs a circuit in the calling thread; `SimulatorPool` runs
 * it in worker threads, with cancellation and progress. It knows circuits, not the database.
 */
export { simulate, runStatevector, MAX_SHOTS, hexOfBits, keyRegisters, formatOutcomes } from './simulate';
export type { FormattedOutcomes } from './simulate';
export type { StatevectorOptions } from './simulate';
export { SimulatorPool } from './pool';
export type { SimulatorPoolOptions, PoolRunOptions, ProgramRunOptions, ParseRunOptions, AbortSignalLike } from './pool';
export { parseTask, programTask, translateTask, countOperations } from './program-task';
export type {
  ProgramText,
  ProgramRequest,
  ProgramRunResult,
  ParseSummary,
  TranslateRequest,
  CircuitLayout,
  LaidOutTranslation,
} from './program-task';
export {
  sortDistribution,
  chunkDistributions,
  checkChunking,
  orderByValue,
  sortedChunk,
  sortedChunkCount,
  sortedBuffers,
} from './distribution';
export { StateVector, HARD_MAX_QUBITS, stateBytes, checkMemory } from './statevector';
export {
  SimulationAbortedError,
  SimulationInputError,
  SimulationLimitError,
  SimulationWorkerError,
  ProgramTooWideError,
  ParseTimeoutError,
} from './errors';
export type * from './types';
