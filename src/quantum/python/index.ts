import { CircuitError, type Circuit } from '../circuit/circuit';
import { readBraket } from './braket';
import { parsePython, type Stmt } from './parser';
import { readPyQuil } from './pyquil';
import { readQiskit } from './qiskit';

/**
 * Front ends for Python programs that build a circuit with an SDK (Qiskit, Amazon Braket, pyQuil),
 * as qunicorn-core receives them. The program is never executed: a parser for a documented subset
 * of Python (README.md) builds an AST, and an interpreter that knows only the SDK's circuit
 * classes and methods turns the builder calls into the circuit IR. Anything else is refused with
 * a CircuitError naming the construct, line and column.
 */

export interface PythonOptions {
  /** Most operations (and loop iterations) the program may expand to. Default 10,000,000. */
  maxOperations?: number;
}

export const DEFAULT_MAX_OPERATIONS = 10_000_000;

/** Runs `read` with CircuitError as the only exception that escapes. */
export function guarded<T>(
  source: unknown,
  options: PythonOptions | undefined,
  read: (src: string, max: number) => T,
): T {
  try {
    if (typeof source !== 'string') throw new CircuitError('the program must be a string', 1, 1);
    const max = options?.maxOperations ?? DEFAULT_MAX_OPERATIONS;
    if (typeof max !== 'number' || !(max >= 0)) {
      throw new CircuitError(`maxOperations must be a non-negative number, not ${String(max)}`, 1, 1);
    }
    return read(source, max);
  } catch (err) {
    if (err instanceof CircuitError) throw err;
    if (err instanceof RangeError) throw new CircuitError('program too large or too deeply nested', 1, 1);
    throw new CircuitError(`internal error: ${err instanceof Error ? err.message : String(err)}`, 1, 1);
  }
}

function parse(source: string): Stmt[] {
  return parsePython(source);
}

/** Reads a Qiskit program (`circuit = QuantumCircuit(2, 2); circuit.h(0); ...`). Throws only CircuitError. */
export function parseQiskit(source: string, options?: PythonOptions): Circuit {
  return guarded(source, options, (src, max) => readQiskit(parse(src), max));
}

/** Reads a Braket program (`Circuit().h(0).cnot(0, 1)`). Throws only CircuitError. */
export function parseBraket(source: string, options?: PythonOptions): Circuit {
  return guarded(source, options, (src, max) => readBraket(parse(src), max));
}

export { emitQiskit, emitBraket } from './emit';
export { looksLikePyQuil } from './pyquil';

/**
 * Reads a pyQuil program (`Program(Declare("ro", "BIT", 2), H(0), CNOT(0, 1), MEASURE(0, ("ro", 0)))`):
 * the builder calls become Quil text that parseQuil reads; its errors point at the Python call.
 * Throws only CircuitError.
 */
export function parsePyQuil(source: string, options?: PythonOptions): Circuit {
  return guarded(source, options, (src, max) => readPyQuil(parse(src), max));
}
