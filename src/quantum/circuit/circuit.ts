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

// ---------------------------------------------------------------------------------------------
// Classical computation per shot (OpenQASM 3 dynamic circuits, Quil's classical control).
//
// A circuit may declare classical variables (`vars`) besides its clbits. Variables are not part of
// the results (only clbits are), hold a JS number each (0 at the start of every shot), and are
// read and written by the ops below, whose conditions and values are `ClassicalExpr` trees
// evaluated per shot. Types are the front end's business: it inserts the conversions (`cast`) and
// picks the operators (`idiv` for integer division, `>>>`-free bitwise ops on at most 32 bits), so
// that evaluating an expression needs no type information. Integers are exact up to 2^53.

/** A classical variable. `type` and `width` are kept for emitters and diagnostics. */
export interface ClassicalVar {
  name: string;
  type: 'bool' | 'int' | 'uint' | 'float' | 'angle' | 'bit';
  /** Bits of int/uint/angle (angle[n] holds k for the angle 2*pi*k/2^n); omitted: unbounded/float64. */
  width?: number;
}

export type ClassicalUnaryOp = '-' | '!' | '~';
export type ClassicalBinaryOp =
  | '+'
  | '-'
  | '*'
  /** Real division. */
  | '/'
  /** Integer division, truncating toward zero. */
  | 'idiv'
  /** Remainder with the sign of the dividend (JS `%`). */
  | '%'
  | '**'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  /** Short-circuit; results are 0 or 1. */
  | '&&'
  | '||'
  /** Bitwise on the operands' low 32 bits (two's complement), as JS does. */
  | '&'
  | '|'
  | '^'
  | '<<'
  | '>>';
export type ClassicalFunction =
  | 'sin'
  | 'cos'
  | 'tan'
  | 'arcsin'
  | 'arccos'
  | 'arctan'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'floor'
  | 'ceiling'
  | 'abs'
  /** popcount of the low 32 bits. */
  | 'popcount'
  /** rotl(x, k, width) / rotr(x, k, width): rotation of the low `width` bits. */
  | 'rotl'
  | 'rotr';

/**
 * A classical expression, evaluated per shot to a number (booleans are 0 and 1).
 * - `num`: a constant; `bit`: a clbit (0 or 1); `bits`: clbits read as an unsigned integer, the
 *   first least significant; `var`: a variable; `elem`: variable `first + at` (an array element;
 *   `at` out of [0, length) stops the shot with an error).
 * - `cast` to `int`/`uint` of `width` bits wraps (two's complement / modulo 2^width) after
 *   truncating toward zero; to `bool` gives `x != 0`; `float` leaves the value as it is.
 * - `cond`: `a ? b : c` (only the chosen branch is evaluated).
 */
export type ClassicalExpr =
  | { k: 'num'; v: number }
  | { k: 'bit'; clbit: number }
  | { k: 'bits'; clbits: number[] }
  | { k: 'var'; index: number }
  | { k: 'elem'; first: number; length: number; at: ClassicalExpr }
  | { k: 'unary'; op: ClassicalUnaryOp; a: ClassicalExpr }
  | { k: 'binary'; op: ClassicalBinaryOp; a: ClassicalExpr; b: ClassicalExpr }
  | { k: 'call'; fn: ClassicalFunction; args: ClassicalExpr[] }
  | { k: 'cast'; to: 'int' | 'uint' | 'bool' | 'float'; width?: number; a: ClassicalExpr }
  | { k: 'cond'; test: ClassicalExpr; a: ClassicalExpr; b: ClassicalExpr };

/** Where `set` and `measure` (to a variable) write: a variable, an array element, or clbits. */
export type ClassicalTarget =
  | { var: number }
  | { first: number; length: number; at: ClassicalExpr }
  /** The value's low bits, the first clbit least significant (`bit` values: 0 or 1). */
  | { clbits: number[] };

/** `target = value`. Writing a variable stores the number as it is (the front end casts). */
export interface SetOp {
  kind: 'set';
  target: ClassicalTarget;
  value: ClassicalExpr;
}

/** Measures `qubit` into bit `bit` (default 0) of a variable's integer value (other bits kept). */
export interface MeasureToVarOp {
  kind: 'measure-var';
  qubit: number;
  target: ClassicalTarget;
  bit?: number;
}

/** `if (cond) then else otherwise`, with a condition evaluated per shot. */
export interface BranchOp {
  kind: 'branch';
  cond: ClassicalExpr;
  then: Op[];
  otherwise: Op[];
}

/** `while (cond) body`; `break` and `continue` act on the innermost loop. */
export interface WhileOp {
  kind: 'while';
  cond: ClassicalExpr;
  body: Op[];
}

export interface BreakOp {
  kind: 'break';
}
export interface ContinueOp {
  kind: 'continue';
}
/** Ends the shot (OpenQASM 3 `end`, Quil `HALT`); its clbits are recorded as they are. */
export interface EndOp {
  kind: 'end';
}

/**
 * `e^{i phase} U(theta, phi, lambda)` (OpenQASM 3's U), controlled, with angles evaluated per
 * shot: a gate whose parameters depend on measurement results. Gates with constant parameters are
 * `GateOp`s.
 */
export interface DynamicGateOp {
  kind: 'dgate';
  name: string;
  target: number;
  theta: ClassicalExpr;
  phi: ClassicalExpr;
  lambda: ClassicalExpr;
  /** Omitted: 0. */
  phase?: ClassicalExpr;
  controls: number[];
  controlStates?: (0 | 1)[];
}

/** Ops that only circuits with classical computation have (see {@link isDynamic}). */
export type ClassicalOp = SetOp | MeasureToVarOp | BranchOp | WhileOp | BreakOp | ContinueOp | EndOp | DynamicGateOp;

export type Op = GateOp | SwapOp | GlobalPhaseOp | MeasureOp | ResetOp | BarrierOp | ConditionalOp | ClassicalOp;

export interface Circuit {
  numQubits: number;
  numClbits: number;
  qregs: Register[];
  cregs: Register[];
  ops: Op[];
  /** Classical variables (see {@link ClassicalVar}); omitted when there are none. */
  vars?: ClassicalVar[];
}

/** The bodies nested in an op (if, branch, while), for walks over the whole tree. */
export function childBodies(op: Op): Op[][] {
  switch (op.kind) {
    case 'if':
      return [op.body];
    case 'branch':
      return [op.then, op.otherwise];
    case 'while':
      return [op.body];
    default:
      return [];
  }
}

/** Whether `ops` (at any depth) use classical computation beyond OpenQASM 2's `if (c == n)`. */
export function isDynamic(ops: Op[]): boolean {
  for (const op of ops) {
    switch (op.kind) {
      case 'set':
      case 'measure-var':
      case 'branch':
      case 'while':
      case 'break':
      case 'continue':
      case 'end':
      case 'dgate':
        return true;
      case 'if':
        if (isDynamic(op.body)) return true;
        break;
      default:
        break;
    }
  }
  return false;
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
