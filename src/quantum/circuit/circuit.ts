/**
 * The circuit intermediate representation shared by the OpenQASM front ends (which produce it)
 * and the statevector simulator (which runs it). It knows nothing of the database or of Nest.
 *
 * Every gate is lowered to a (multi-)controlled single-qubit unitary, a (controlled) swap or a
 * global phase, so that the simulator needs only a handful of kernels. Qubit and clbit indices
 * are global (registers are flattened in declaration order); bit 0 is the least significant.
 */

/** A 2x2 complex matrix, row-major, interleaved: [re00, im00, re01, im01, re10, im10, re11, im11]. */
export type Matrix2 = readonly [number, number, number, number, number, number, number, number];

export interface Register {
  name: string;
  size: number;
  /** Index of the register's bit 0 in the flat qubit or clbit space. */
  offset: number;
}

/** A (multi-)controlled single-qubit unitary. */
export interface GateOp {
  kind: 'gate';
  /** Name of the gate as written (for diagnostics only). */
  name: string;
  target: number;
  matrix: Matrix2;
  /** Control qubits; empty for an uncontrolled gate. */
  controls: number[];
  /** For each control, the value it must have (1 = ctrl@, 0 = negctrl@). Omitted means all 1. */
  controlStates?: (0 | 1)[];
}

export interface SwapOp {
  kind: 'swap';
  a: number;
  b: number;
  controls: number[];
  controlStates?: (0 | 1)[];
}

/** A global phase e^{i theta}. Only visible in amplitudes; a controlled gphase is lowered to a GateOp. */
export interface GlobalPhaseOp {
  kind: 'gphase';
  theta: number;
}

export interface MeasureOp {
  kind: 'measure';
  qubit: number;
  clbit: number;
}

export interface ResetOp {
  kind: 'reset';
  qubit: number;
}

export interface BarrierOp {
  kind: 'barrier';
  qubits: number[];
}

/**
 * Runs `body` when the classical bits `clbits` (least significant first), read as an unsigned
 * integer, equal `value`. OpenQASM 2 `if (c == 3)` and OpenQASM 3 `if (c[0])` / `if (!c[1])` both
 * lower to this.
 */
export interface ConditionalOp {
  kind: 'if';
  clbits: number[];
  value: number;
  body: Op[];
}

export type Op = GateOp | SwapOp | GlobalPhaseOp | MeasureOp | ResetOp | BarrierOp | ConditionalOp;

export interface Circuit {
  numQubits: number;
  numClbits: number;
  qregs: Register[];
  cregs: Register[];
  ops: Op[];
}

/**
 * Why a program was refused, where a caller needs to tell it apart from the message:
 * `TOO_MANY_OPERATIONS` when it expands to more operations than `maxOperations` allows.
 */
export type CircuitErrorCode = 'TOO_MANY_OPERATIONS';

/** A parse or semantic error in a program, with a 1-based line and column. */
export class CircuitError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly code?: CircuitErrorCode,
  ) {
    super(`${message} (line ${line}, column ${column})`);
    this.name = 'CircuitError';
  }
  /** The message without the position suffix. */
  get reason(): string {
    return this.message.replace(/ \(line \d+, column \d+\)$/, '');
  }
}
