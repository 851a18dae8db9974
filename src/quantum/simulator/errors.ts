/** Errors thrown by the simulator. They survive the trip through a worker thread (see pool.ts). */

/** The simulation was cancelled through its signal. */
export class SimulationAbortedError extends Error {
  override readonly name = 'SimulationAbortedError';
  constructor(message = 'simulation aborted') {
    super(message);
  }
}

/** The circuit is too large for the configured limits (qubits or memory). */
export class SimulationLimitError extends Error {
  override readonly name = 'SimulationLimitError';
}

/** The request is malformed: bad shots, a qubit out of range, an observable of the wrong length, ... */
export class SimulationInputError extends Error {
  override readonly name = 'SimulationInputError';
}

/** A worker thread died (out of memory, crashed) while running a simulation. */
export class SimulationWorkerError extends Error {
  override readonly name = 'SimulationWorkerError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A program has more qubits than the request's `maxQubits` (checked right after parsing it). */
export class ProgramTooWideError extends Error {
  override readonly name = 'ProgramTooWideError';
  constructor(
    readonly qubits: number,
    readonly maxQubits: number,
  ) {
    super(`the program uses ${qubits} qubits, more than the limit of ${maxQubits}`);
  }
}

/** A pool thread took longer than the run's `parseTimeoutMs` to parse a program; it was terminated. */
export class ParseTimeoutError extends Error {
  override readonly name = 'ParseTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`the program took too long to parse (more than ${timeoutMs} ms)`);
  }
}
