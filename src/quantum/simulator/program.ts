import { childBodies, type Circuit, type Matrix2, type Op } from '../circuit/circuit';
import { multiply } from '../circuit/gates';
import { ClassicalCompiler, type CompiledExpr, type CompiledTarget } from './classical';
import { SimulationInputError } from './errors';

/**
 * Lowers the circuit IR to a flat list of kernel instructions:
 * - runs of uncontrolled single-qubit gates on a qubit are fused into one matrix (gates on other
 *   qubits in between do not break a run: they commute);
 * - every matrix is classified: identity (dropped), diagonal (a phase on the |1> half only, the rest
 *   goes to the global phase), X (a permutation), anti-diagonal, or general;
 * - global phases are summed and applied once at the end (they are unobservable in counts and
 *   expectation values);
 * - `if` bodies become a conditional jump over their instructions, so that a trajectory can resume
 *   at any instruction index; `branch` and `while` become conditional and unconditional jumps,
 *   `break`/`continue` unconditional ones, and their classical expressions closures (classical.ts).
 */

export const OP_UNITARY = 0;
export const OP_DIAGONAL = 1;
export const OP_PHASE = 2;
export const OP_X = 3;
export const OP_ANTIDIAGONAL = 4;
export const OP_SWAP = 5;
export const OP_SCALE = 6;
export const OP_MEASURE = 7;
export const OP_RESET = 8;
export const OP_JUMP_UNLESS = 9;
/** `target = expr`. */
export const OP_SET = 10;
/** Measure qubit `a` into bit `b` of `target`. */
export const OP_MEASURE_VAR = 11;
/** Jump to `jump` when `expr` is 0. */
export const OP_JUMP_IF_FALSE = 12;
/** Jump to `jump`; `value` 1 marks a loop's back edge (counted against the loop limit). */
export const OP_GOTO = 13;
/** End the shot. */
export const OP_END = 14;
/** e^{i exprs[3]} U(exprs[0], exprs[1], exprs[2]) on `a`, controlled by `fixed`/`setMask`. */
export const OP_DYNAMIC_GATE = 15;

/** One instruction; every instruction has every field, so that the interpreter's loads stay monomorphic. */
export interface Instr {
  op: number;
  /** Target qubit; swap: first qubit; measure/reset: the qubit. */
  a: number;
  /** Swap: second qubit; measure: the clbit. */
  b: number;
  /** Matrix (interleaved 2x2) for unitary/diagonal/antidiagonal; [c, s] for phase and scale. */
  m: Float64Array;
  /** Fixed index bits (controls, target; for swap both qubits), ascending. */
  fixed: Int32Array;
  /** Values of the fixed bits (controls' states; the target's 1 for a phase). */
  setMask: number;
  /** Jump: the clbits compared, least significant first. */
  clbits: Int32Array;
  /** Jump: the value they must equal to run the body. */
  value: number;
  /** Jump: where to go when they do not. */
  jump: number;
  /** The IR gate names fused into this instruction (diagnostics, benchmarks). */
  fused: number;
  /** Set: the value; jump-if-false: the condition. */
  expr: CompiledExpr | null;
  /** Dynamic gate: theta, phi, lambda, phase. */
  exprs: CompiledExpr[] | null;
  /** Set, measure-var: where to write. */
  target: CompiledTarget | null;
}

export interface Program {
  numQubits: number;
  numClbits: number;
  instrs: Instr[];
  /** Sum of the global phases outside of conditionals, applied at the end. */
  globalPhase: number;
  /** Number of classical variables (their initial values are 0). */
  numVars: number;
}

const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

function instr(fields: Partial<Instr> & { op: number }): Instr {
  return {
    op: fields.op,
    a: fields.a ?? 0,
    b: fields.b ?? 0,
    m: fields.m ?? EMPTY_F64,
    fixed: fields.fixed ?? EMPTY_I32,
    setMask: fields.setMask ?? 0,
    clbits: fields.clbits ?? EMPTY_I32,
    value: fields.value ?? 0,
    jump: fields.jump ?? 0,
    fused: fields.fused ?? 1,
    expr: fields.expr ?? null,
    exprs: fields.exprs ?? null,
    target: fields.target ?? null,
  };
}

/** Entries below this magnitude count as zero when classifying a matrix (entries of unitaries are <= 1). */
const EPS = 1e-14;
const near = (x: number, y: number) => Math.abs(x - y) < EPS;

export interface CompileOptions {
  /** Drop measurements (terminal sampling and the estimator read the final state instead). */
  dropMeasurements?: boolean;
}

class Compiler {
  readonly out: Instr[] = [];
  globalPhase = 0;
  /** Nesting depth of `if` bodies being compiled (global phases inside them are applied in place). */
  private depth = 0;
  private readonly pending: (Matrix2 | null)[];
  private readonly pendingCount: number[];
  private readonly classical: ClassicalCompiler;
  /** The loops being compiled, innermost last: where `continue` goes, and the `break` jumps to patch. */
  private readonly loops: { start: number; breaks: Instr[] }[] = [];

  constructor(
    private readonly circuit: Circuit,
    private readonly options: CompileOptions,
  ) {
    this.pending = new Array<Matrix2 | null>(circuit.numQubits).fill(null);
    this.pendingCount = new Array<number>(circuit.numQubits).fill(0);
    if (circuit.vars !== undefined && !Array.isArray(circuit.vars)) {
      throw new SimulationInputError('circuit.vars must be an array');
    }
    this.classical = new ClassicalCompiler(circuit.numClbits, circuit.vars ?? []);
  }

  /** Compiles `ops` as a nested body (its global phases applied in place). */
  private nested(ops: Op[]): void {
    if (!Array.isArray(ops)) throw new SimulationInputError('a body of operations must be an array');
    this.depth++;
    this.compile(ops);
    this.flushAll();
    this.depth--;
  }

  private qubit(q: number, what: string): number {
    if (!Number.isInteger(q) || q < 0 || q >= this.circuit.numQubits) {
      throw new SimulationInputError(`${what}: qubit ${q} is out of range (the circuit has ${this.circuit.numQubits})`);
    }
    return q;
  }

  private clbit(c: number, what: string): number {
    if (!Number.isInteger(c) || c < 0 || c >= this.circuit.numClbits) {
      throw new SimulationInputError(`${what}: clbit ${c} is out of range (the circuit has ${this.circuit.numClbits})`);
    }
    return c;
  }

  /** Validates the qubits of a gate (distinct, in range) and returns its fixed bits and control values. */
  private controls(
    what: string,
    own: number[],
    controls: number[],
    states: (0 | 1)[] | undefined,
  ): { fixed: Int32Array; setMask: number } {
    if (states !== undefined && states.length !== controls.length) {
      throw new SimulationInputError(`${what}: ${controls.length} controls but ${states.length} control states`);
    }
    const all = [...own, ...controls].map((q) => this.qubit(q, what));
    if (new Set(all).size !== all.length) {
      throw new SimulationInputError(`${what}: a qubit appears twice among the gate's qubits (${all.join(', ')})`);
    }
    let setMask = 0;
    controls.forEach((q, i) => {
      const s = states ? states[i] : 1;
      if (s !== 0 && s !== 1) throw new SimulationInputError(`${what}: control state ${String(s)} is not 0 or 1`);
      if (s === 1) setMask |= 1 << q;
    });
    return { fixed: Int32Array.from(all.sort((x, y) => x - y)), setMask };
  }

  flush(q: number): void {
    const m = this.pending[q];
    if (m === null) return;
    const count = this.pendingCount[q];
    this.pending[q] = null;
    this.pendingCount[q] = 0;
    this.emitMatrix(m, q, Int32Array.of(q), 0, false, count);
  }

  flushAll(): void {
    for (let q = 0; q < this.pending.length; q++) this.flush(q);
  }

  /** Emits a (controlled) single-qubit matrix as the cheapest kernel that applies it. */
  private emitMatrix(
    m: Matrix2,
    t: number,
    fixed: Int32Array,
    setMask: number,
    controlled: boolean,
    fused: number,
  ): void {
    const topLevel = this.depth === 0;
    const offDiagZero = Math.abs(m[2]) < EPS && Math.abs(m[3]) < EPS && Math.abs(m[4]) < EPS && Math.abs(m[5]) < EPS;
    const diagZero = Math.abs(m[0]) < EPS && Math.abs(m[1]) < EPS && Math.abs(m[6]) < EPS && Math.abs(m[7]) < EPS;
    if (offDiagZero) {
      let [d0r, d0i, d1r, d1i] = [m[0], m[1], m[6], m[7]];
      if (!controlled && Math.abs(Math.hypot(d0r, d0i) - 1) < 1e-12) {
        // diag(d0, d1) = d0 * diag(1, d1/d0): the d0 goes to the global phase.
        const theta = Math.atan2(d0i, d0r);
        if (topLevel) this.globalPhase += theta;
        else if (!near(theta, 0)) this.out.push(instr({ op: OP_SCALE, m: Float64Array.of(d0r, d0i), fused: 0 }));
        [d1r, d1i] = [d1r * d0r + d1i * d0i, d1i * d0r - d1r * d0i];
        d0r = 1;
        d0i = 0;
      }
      if (near(d0r, 1) && near(d0i, 0)) {
        if (near(d1r, 1) && near(d1i, 0)) return; // identity
        this.out.push(
          instr({ op: OP_PHASE, a: t, m: Float64Array.of(d1r, d1i), fixed, setMask: setMask | (1 << t), fused }),
        );
        return;
      }
      this.out.push(instr({ op: OP_DIAGONAL, a: t, m: Float64Array.from(m), fixed, setMask, fused }));
      return;
    }
    if (diagZero) {
      const isX = near(m[2], 1) && near(m[3], 0) && near(m[4], 1) && near(m[5], 0);
      this.out.push(instr({ op: isX ? OP_X : OP_ANTIDIAGONAL, a: t, m: Float64Array.from(m), fixed, setMask, fused }));
      return;
    }
    this.out.push(instr({ op: OP_UNITARY, a: t, m: Float64Array.from(m), fixed, setMask, fused }));
  }

  compile(ops: Op[]): void {
    for (const op of ops) {
      switch (op.kind) {
        case 'gate': {
          const what = `gate ${op.name}`;
          if (!Array.isArray(op.matrix) || op.matrix.length !== 8 || !op.matrix.every(Number.isFinite)) {
            throw new SimulationInputError(`${what}: matrix must be 8 finite numbers`);
          }
          const { fixed, setMask } = this.controls(what, [op.target], op.controls ?? [], op.controlStates);
          if (fixed.length === 1) {
            const prev = this.pending[op.target];
            this.pending[op.target] = prev === null ? op.matrix : multiply(op.matrix, prev);
            this.pendingCount[op.target]++;
          } else {
            for (const q of fixed) this.flush(q);
            this.emitMatrix(op.matrix, op.target, fixed, setMask, true, 1);
          }
          break;
        }
        case 'swap': {
          const { fixed, setMask } = this.controls('swap', [op.a, op.b], op.controls ?? [], op.controlStates);
          for (const q of fixed) this.flush(q);
          this.out.push(instr({ op: OP_SWAP, a: op.a, b: op.b, fixed, setMask }));
          break;
        }
        case 'gphase': {
          if (!Number.isFinite(op.theta)) throw new SimulationInputError('gphase: angle must be finite');
          if (this.depth === 0) this.globalPhase += op.theta;
          else this.out.push(instr({ op: OP_SCALE, m: Float64Array.of(Math.cos(op.theta), Math.sin(op.theta)) }));
          break;
        }
        case 'measure': {
          this.qubit(op.qubit, 'measure');
          this.clbit(op.clbit, 'measure');
          if (this.options.dropMeasurements) break;
          this.flushAll(); // keeps the deterministic prefix as long as possible
          this.out.push(instr({ op: OP_MEASURE, a: op.qubit, b: op.clbit, fused: 0 }));
          break;
        }
        case 'reset': {
          this.qubit(op.qubit, 'reset');
          this.flushAll();
          this.out.push(instr({ op: OP_RESET, a: op.qubit, fused: 0 }));
          break;
        }
        case 'barrier':
          break;
        case 'if': {
          const clbits = Int32Array.from(op.clbits.map((c) => this.clbit(c, 'if')));
          if (!Number.isInteger(op.value) || op.value < 0) {
            throw new SimulationInputError(`if: value ${op.value} is not a non-negative integer`);
          }
          this.flushAll();
          const jump = instr({ op: OP_JUMP_UNLESS, clbits, value: op.value, fused: 0 });
          this.out.push(jump);
          this.depth++;
          this.compile(op.body);
          this.flushAll();
          this.depth--;
          jump.jump = this.out.length;
          break;
        }
        case 'set':
          this.out.push(
            instr({
              op: OP_SET,
              target: this.classical.target(op.target),
              expr: this.classical.expr(op.value),
              fused: 0,
            }),
          );
          break;
        case 'measure-var': {
          this.qubit(op.qubit, 'measure');
          const bit = op.bit ?? 0;
          if (!Number.isInteger(bit) || bit < 0 || bit > 52) {
            throw new SimulationInputError(`measure: bit ${bit} must be an integer from 0 to 52`);
          }
          const target = this.classical.target(op.target);
          this.flushAll();
          this.out.push(instr({ op: OP_MEASURE_VAR, a: op.qubit, b: bit, target, fused: 0 }));
          break;
        }
        case 'branch': {
          const cond = this.classical.expr(op.cond);
          this.flushAll();
          const skipThen = instr({ op: OP_JUMP_IF_FALSE, expr: cond, fused: 0 });
          this.out.push(skipThen);
          this.nested(op.then);
          if (Array.isArray(op.otherwise) && op.otherwise.length > 0) {
            const skipElse = instr({ op: OP_GOTO, fused: 0 });
            this.out.push(skipElse);
            skipThen.jump = this.out.length;
            this.nested(op.otherwise);
            skipElse.jump = this.out.length;
          } else {
            skipThen.jump = this.out.length;
          }
          break;
        }
        case 'while': {
          const cond = this.classical.expr(op.cond);
          this.flushAll();
          const start = this.out.length;
          const exit = instr({ op: OP_JUMP_IF_FALSE, expr: cond, fused: 0 });
          this.out.push(exit);
          const loop = { start, breaks: [] as Instr[] };
          this.loops.push(loop);
          this.nested(op.body);
          this.loops.pop();
          this.out.push(instr({ op: OP_GOTO, jump: start, value: 1, fused: 0 }));
          exit.jump = this.out.length;
          for (const b of loop.breaks) b.jump = this.out.length;
          break;
        }
        case 'break':
        case 'continue': {
          const loop = this.loops[this.loops.length - 1];
          if (loop === undefined) throw new SimulationInputError(`${op.kind} outside of a loop`);
          this.flushAll();
          const jump = instr({ op: OP_GOTO, jump: loop.start, value: op.kind === 'continue' ? 1 : 0, fused: 0 });
          if (op.kind === 'break') loop.breaks.push(jump);
          this.out.push(jump);
          break;
        }
        case 'end':
          this.flushAll();
          this.out.push(instr({ op: OP_END, fused: 0 }));
          break;
        case 'dgate': {
          const what = `gate ${op.name}`;
          const { fixed, setMask } = this.controls(what, [op.target], op.controls ?? [], op.controlStates);
          const exprs = [op.theta, op.phi, op.lambda, op.phase ?? { k: 'num' as const, v: 0 }].map((e) =>
            this.classical.expr(e),
          );
          for (const q of fixed) this.flush(q);
          this.out.push(instr({ op: OP_DYNAMIC_GATE, a: op.target, exprs, fixed, setMask }));
          break;
        }
        default: {
          const unknown: never = op;
          throw new SimulationInputError(`unknown operation ${JSON.stringify(unknown)}`);
        }
      }
    }
  }
}

export function compile(circuit: Circuit, options: CompileOptions = {}): Program {
  const c = new Compiler(circuit, options);
  c.compile(circuit.ops);
  c.flushAll();
  return {
    numQubits: circuit.numQubits,
    numClbits: circuit.numClbits,
    instrs: c.out,
    globalPhase: c.globalPhase,
    numVars: circuit.vars?.length ?? 0,
  };
}

/**
 * True when every measurement is terminal: no reset, no conditional, and no gate touches a qubit
 * (as target, control or swap partner) after it was measured. Then the shots can be sampled from
 * the final state's distribution. Any per-shot classical computation makes them not terminal.
 */
export function measurementsAreTerminal(ops: Op[]): boolean {
  const measured = new Set<number>();
  for (const op of ops) {
    switch (op.kind) {
      case 'if':
      case 'reset':
      case 'set':
      case 'measure-var':
      case 'branch':
      case 'while':
      case 'break':
      case 'continue':
      case 'end':
      case 'dgate':
        return false;
      case 'measure':
        measured.add(op.qubit);
        break;
      case 'gate':
        if (measured.has(op.target) || op.controls.some((q) => measured.has(q))) return false;
        break;
      case 'swap':
        if (measured.has(op.a) || measured.has(op.b) || op.controls.some((q) => measured.has(q))) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

/** For terminal measurements: which qubit each clbit holds at the end (-1: never written, reads 0). */
export function clbitSources(circuit: Circuit): Int32Array {
  const src = new Int32Array(circuit.numClbits).fill(-1);
  for (const op of circuit.ops) if (op.kind === 'measure') src[op.clbit] = op.qubit;
  return src;
}

/**
 * Whether the circuit writes classical bits or variables from its qubits or its classical code: a
 * measurement (to a clbit or a variable) or a `set` of clbits. Without any, there is nothing to
 * report (qunicorn-core's ADR 0011: an empty counts dict).
 */
export function hasMeasurement(ops: Op[]): boolean {
  return ops.some(
    (op) =>
      op.kind === 'measure' ||
      op.kind === 'measure-var' ||
      (op.kind === 'set' && 'clbits' in op.target) ||
      childBodies(op).some((body) => hasMeasurement(body)),
  );
}
