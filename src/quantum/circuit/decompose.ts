import type { Circuit, ClassicalExpr, DynamicGateOp, Matrix2, Op } from './circuit';
import { H, multiply, phase, ry, rz, SX, T, TDG, X, adjoint, zyz } from './gates';

/**
 * Decomposition of the circuit IR into a smaller gate set, for the emitters of languages without
 * controlled gates (OpenQASM 2's u3 + cx, IonQ's cnot).
 *
 * Basis `'u+cx'`: uncontrolled single-qubit `GateOp`s and CX (a `GateOp` with matrix X and one
 * control of state 1) only; `gphase`, `measure`, `reset`, `barrier` and the classical ops pass
 * through (the bodies of `if`, `branch` and `while` decomposed too; an uncontrolled `dgate` passes
 * through, a controlled one becomes uncontrolled `dgate`s with expression angles and CX).
 *
 * Every construction is exact, global phase included (the result has the very same unitary, so a
 * piece can itself sit under a control):
 * - negative controls: X before and after on those controls;
 * - C(U): the ABC decomposition (Barenco et al. 1995, Lemma 5.1): U = e^{iα} A X B X C with
 *   ABC = I, so C(U) = C · CX · B · CX · A and the phase e^{iα} on the control;
 * - C^n(U), n ≥ 2, with an idle qubit (one the gate does not touch): A, B, C as above around two
 *   C^nX, and the phase as C^{n-1}(P(α)) on the last control (a recursion on n); without one:
 *   Barenco Lemma 7.5, C^n(U) = C(V) · C^{n-1}X · C(V†) · C^{n-1}X · C^{n-1}(V) with V² = U
 *   ({@link sqrtUnitary}), the C^{n-1}X borrowing the target and C^{n-1}(V) the last control;
 * - C²X: the 6-CX Toffoli (Nielsen & Chuang fig. 4.9, qelib1's `ccx`);
 * - C^kX, k ≥ 3, with k-2 idle qubits: Barenco Lemma 7.2 (4(k-2) Toffolis, the idle qubits "dirty":
 *   their state, whatever it is, is restored); with at least one idle qubit: Lemma 7.4 (split the
 *   controls in two halves, each half's C^mX borrowing the other half as idle qubits); with none:
 *   Lemma 7.5, C^kX = C(V) · C^{k-1}X · C(V†) · C^{k-1}X · C^{k-1}(V) with V = sqrt(X), the
 *   C^{k-1}X borrowing the target;
 * - swap: three CX; a controlled swap: CX(b→a) · C^{k+1}X(controls, a → b) · CX(b→a).
 *
 * Size: a gate with k controls becomes O(k²) ops at worst, O(k) for a C^kX when the circuit has
 * a qubit the gate does not touch (about 105k ops); {@link decompositionBound} is the bound the
 * tests check, 40 + 130k² (measured: k = 24 gives 50,012 ops on 25 qubits). Uncontrolled gates
 * are kept as they are (one op each), CX too; a swap becomes 3 ops.
 */
export type DecomposeBasis = 'u+cx';

export interface DecomposeOptions {
  /** Most ops the result may have (counting nested bodies); default 10,000,000. */
  maxOperations?: number;
}

/** The decomposed circuit would exceed `maxOperations`. */
export class DecompositionTooLargeError extends Error {
  override readonly name = 'DecompositionTooLargeError';
  constructor(readonly limit: number) {
    super(`the decomposed circuit has more than ${limit} operations`);
  }
}

/** Upper bound of the ops one gate with `k` controls becomes (see the doc of this file). */
export function decompositionBound(k: number): number {
  return 40 + 130 * k * k;
}

/** What a decomposition changed, counted per kind (emitters turn them into warnings). */
export interface DecompositionStats {
  /** Gates with two or more controls (including controlled swaps with one or more). */
  multiControlled: number;
  /** Single-controlled gates other than CX. */
  controlled: number;
  /** Uncontrolled swaps. */
  swaps: number;
  /** Gates with negative controls. */
  negated: number;
}

const EPS = 1e-14;

function isIdentity(m: Matrix2): boolean {
  return (
    Math.abs(m[0] - 1) < EPS &&
    Math.abs(m[1]) < EPS &&
    Math.abs(m[2]) < EPS &&
    Math.abs(m[3]) < EPS &&
    Math.abs(m[4]) < EPS &&
    Math.abs(m[5]) < EPS &&
    Math.abs(m[6] - 1) < EPS &&
    Math.abs(m[7]) < EPS
  );
}

/** Whether `m` is exactly (to rounding) the Pauli X. */
export function isX(m: Matrix2): boolean {
  return (
    Math.abs(m[0]) < EPS &&
    Math.abs(m[1]) < EPS &&
    Math.abs(m[2] - 1) < EPS &&
    Math.abs(m[3]) < EPS &&
    Math.abs(m[4] - 1) < EPS &&
    Math.abs(m[5]) < EPS &&
    Math.abs(m[6]) < EPS &&
    Math.abs(m[7]) < EPS
  );
}

/** Whether an op is a CX of the `'u+cx'` basis. */
export function isCX(op: Op): boolean {
  return (
    op.kind === 'gate' &&
    op.controls.length === 1 &&
    (op.controlStates === undefined || op.controlStates[0] === 1) &&
    isX(op.matrix)
  );
}

/** The ABC decomposition of a single-qubit unitary: m = e^{i alpha} A X B X C, ABC = I. */
export function abc(m: Matrix2): { a: Matrix2; b: Matrix2; c: Matrix2; alpha: number } {
  const { theta, phi, lambda, phase: ph } = zyz(m);
  return {
    a: multiply(rz(phi), ry(theta / 2)),
    b: multiply(ry(-theta / 2), rz(-(lambda + phi) / 2)),
    c: rz((lambda - phi) / 2),
    alpha: ph + (phi + lambda) / 2,
  };
}

/**
 * The square root V (V² = m) of a 2x2 unitary, itself unitary: (m + sI) / t with s² = det m and
 * t² = tr m + 2s (the sign of s chosen so that t is not 0).
 */
export function sqrtUnitary(m: Matrix2): Matrix2 {
  const cmul = (ar: number, ai: number, br: number, bi: number): [number, number] => [
    ar * br - ai * bi,
    ar * bi + ai * br,
  ];
  const csqrt = (re: number, im: number): [number, number] => {
    const r = Math.sqrt(Math.hypot(re, im));
    const a = Math.atan2(im, re) / 2;
    return [r * Math.cos(a), r * Math.sin(a)];
  };
  const [d1r, d1i] = cmul(m[0], m[1], m[6], m[7]);
  const [d2r, d2i] = cmul(m[2], m[3], m[4], m[5]);
  let [sr, si] = csqrt(d1r - d2r, d1i - d2i);
  const trr = m[0] + m[6];
  const tri = m[1] + m[7];
  if (Math.hypot(trr + 2 * sr, tri + 2 * si) < Math.hypot(trr - 2 * sr, tri - 2 * si)) {
    sr = -sr;
    si = -si;
  }
  const [tr, ti] = csqrt(trr + 2 * sr, tri + 2 * si);
  const den = tr * tr + ti * ti;
  const div = (re: number, im: number): [number, number] => [(re * tr + im * ti) / den, (im * tr - re * ti) / den];
  return [
    ...div(m[0] + sr, m[1] + si),
    ...div(m[2], m[3]),
    ...div(m[4], m[5]),
    ...div(m[6] + sr, m[7] + si),
  ] as unknown as Matrix2;
}

/** Writes decomposed ops into `out`, counting them against a limit. */
class Writer {
  count = 0;
  constructor(
    private readonly limit: number,
    readonly numQubits: number,
  ) {}

  push(out: Op[], op: Op): void {
    if (++this.count > this.limit) throw new DecompositionTooLargeError(this.limit);
    out.push(op);
  }

  u(out: Op[], name: string, m: Matrix2, target: number): void {
    if (isIdentity(m)) return;
    this.push(out, { kind: 'gate', name, matrix: m, target, controls: [] });
  }

  cx(out: Op[], control: number, target: number): void {
    this.push(out, { kind: 'gate', name: 'cx', matrix: X, target, controls: [control] });
  }

  /** Qubits of the circuit outside `used` (idle qubits to borrow). */
  idle(used: number[]): number[] {
    const set = new Set(used);
    const out: number[] = [];
    for (let q = 0; q < this.numQubits; q++) if (!set.has(q)) out.push(q);
    return out;
  }

  toffoli(out: Op[], a: number, b: number, t: number): void {
    this.u(out, 'h', H, t);
    this.cx(out, b, t);
    this.u(out, 'tdg', TDG, t);
    this.cx(out, a, t);
    this.u(out, 't', T, t);
    this.cx(out, b, t);
    this.u(out, 'tdg', TDG, t);
    this.cx(out, a, t);
    this.u(out, 't', T, b);
    this.u(out, 't', T, t);
    this.u(out, 'h', H, t);
    this.cx(out, a, b);
    this.u(out, 't', T, a);
    this.u(out, 'tdg', TDG, b);
    this.cx(out, a, b);
  }

  /** C^kX on positive controls; `idle` lists qubits it may borrow (restored exactly). */
  mcx(out: Op[], controls: number[], target: number, idle: number[]): void {
    const k = controls.length;
    if (k === 0) return this.u(out, 'x', X, target);
    if (k === 1) return this.cx(out, controls[0], target);
    if (k === 2) return this.toffoli(out, controls[0], controls[1], target);
    if (idle.length >= k - 2) {
      // Barenco Lemma 7.2: a V of Toffolis through the borrowed qubits, twice.
      const anc = idle.slice(0, k - 2);
      const chain: [number, number, number][] = [];
      for (let i = k - 1; i >= 2; i--) chain.push([controls[i], anc[i - 2], i === k - 1 ? target : anc[i - 1]]);
      const apex: [number, number, number] = [controls[0], controls[1], anc[0]];
      const vee = (steps: [number, number, number][]) => {
        for (const s of steps) this.toffoli(out, ...s);
        this.toffoli(out, ...apex);
        for (let i = steps.length - 1; i >= 0; i--) this.toffoli(out, ...steps[i]);
      };
      vee(chain);
      vee(chain.slice(1));
      return;
    }
    if (idle.length >= 1) {
      // Barenco Lemma 7.4: one borrowed qubit a; target ^= AND(B, a) twice around a ^= AND(A).
      const a = idle[0];
      const m1 = Math.ceil(k / 2);
      const first = controls.slice(0, m1);
      const second = [...controls.slice(m1), a];
      for (let rep = 0; rep < 2; rep++) {
        this.mcx(out, first, a, [...controls.slice(m1), target]);
        this.mcx(out, second, target, first);
      }
      return;
    }
    // Barenco Lemma 7.5 with V = sqrt(X): no qubit to borrow.
    const last = controls[k - 1];
    const rest = controls.slice(0, k - 1);
    this.cu(out, SX, last, target);
    this.mcx(out, rest, last, [target]);
    this.cu(out, adjoint(SX), last, target);
    this.mcx(out, rest, last, [target]);
    this.mcu(out, SX, rest, target, [last]);
  }

  /** C(U) with one positive control: ABC. */
  cu(out: Op[], m: Matrix2, control: number, target: number): void {
    if (isX(m)) return this.cx(out, control, target);
    const { a, b, c, alpha } = abc(m);
    this.u(out, 'u', c, target);
    this.cx(out, control, target);
    this.u(out, 'u', b, target);
    this.cx(out, control, target);
    this.u(out, 'u', a, target);
    this.u(out, 'p', phase(alpha), control);
  }

  /** C^n(U) on positive controls. */
  mcu(out: Op[], m: Matrix2, controls: number[], target: number, idle: number[]): void {
    const n = controls.length;
    if (n === 0) return this.u(out, 'u', m, target);
    if (n === 1) return this.cu(out, m, controls[0], target);
    if (isX(m)) return this.mcx(out, controls, target, idle);
    if (idle.length === 0) {
      // Barenco Lemma 7.5 with V = sqrt(U): the C^{n-1}X borrow the target, C^{n-1}(V) the last control.
      const v = sqrtUnitary(m);
      const last = controls[n - 1];
      const rest = controls.slice(0, n - 1);
      this.cu(out, v, last, target);
      this.mcx(out, rest, last, [target]);
      this.cu(out, adjoint(v), last, target);
      this.mcx(out, rest, last, [target]);
      this.mcu(out, v, rest, target, [last]);
      return;
    }
    const { a, b, c, alpha } = abc(m);
    this.u(out, 'u', c, target);
    this.mcx(out, controls, target, idle);
    this.u(out, 'u', b, target);
    this.mcx(out, controls, target, idle);
    this.u(out, 'u', a, target);
    if (Math.abs(Math.sin(alpha / 2)) > EPS) {
      this.mcu(out, phase(alpha), controls.slice(0, n - 1), controls[n - 1], [...idle, target]);
    }
  }
}

// Expression arithmetic for controlled dynamic gates.
const num = (v: number): ClassicalExpr => ({ k: 'num', v });
const add = (a: ClassicalExpr, b: ClassicalExpr): ClassicalExpr => ({ k: 'binary', op: '+', a, b });
const sub = (a: ClassicalExpr, b: ClassicalExpr): ClassicalExpr => ({ k: 'binary', op: '-', a, b });
const half = (a: ClassicalExpr): ClassicalExpr => ({ k: 'binary', op: '/', a, b: num(2) });
const neg = (a: ClassicalExpr): ClassicalExpr => ({ k: 'unary', op: '-', a });
const ZERO = num(0);

/**
 * A dynamic `e^{i ph} U(θ, φ, λ)` on positive controls: the ABC decomposition with expression
 * angles (A = Rz(φ) Ry(θ/2), B = Ry(-θ/2) Rz(-(λ+φ)/2), C = Rz((λ-φ)/2), α = ph + (φ+λ)/2), the
 * phase as a C^{n-1}(P(α)) dynamic gate, recursively. Rz(z) is `e^{-iz/2} U(0, 0, z)`.
 */
function mcDynamic(w: Writer, out: Op[], op: DynamicGateOp, controls: number[], idle: number[]): void {
  const { target, theta, phi, lambda } = op;
  const ph = op.phase ?? ZERO;
  if (controls.length === 0) {
    w.push(out, { kind: 'dgate', name: op.name, target, theta, phi, lambda, phase: ph, controls: [] });
    return;
  }
  const dyn = (name: string, t: ClassicalExpr, p: ClassicalExpr, l: ClassicalExpr, phs: ClassicalExpr, q = target) =>
    w.push(out, { kind: 'dgate', name, target: q, theta: t, phi: p, lambda: l, phase: phs, controls: [] });
  const rzDyn = (z: ClassicalExpr) => dyn('rz', ZERO, ZERO, z, neg(half(z)));
  const ryDyn = (y: ClassicalExpr) => dyn('ry', y, ZERO, ZERO, ZERO);
  const ctrlX = () => w.mcx(out, controls, target, idle);
  // C
  rzDyn(half(sub(lambda, phi)));
  ctrlX();
  // B = Ry(-θ/2) Rz(-(λ+φ)/2): Rz first in time
  rzDyn(neg(half(add(lambda, phi))));
  ryDyn(neg(half(theta)));
  ctrlX();
  // A = Rz(φ) Ry(θ/2)
  ryDyn(half(theta));
  rzDyn(phi);
  const alpha = add(ph, half(add(phi, lambda)));
  const n = controls.length;
  const phaseGate: DynamicGateOp = {
    kind: 'dgate',
    name: 'p',
    target: controls[n - 1],
    theta: ZERO,
    phi: ZERO,
    lambda: alpha,
    controls: [],
  };
  mcDynamic(w, out, phaseGate, controls.slice(0, n - 1), [...idle, target]);
}

function negatedControls(controls: number[], states: (0 | 1)[] | undefined): number[] {
  if (!states) return [];
  return controls.filter((_, i) => states[i] === 0);
}

function decomposeOps(w: Writer, ops: Op[], stats: DecompositionStats): Op[] {
  const out: Op[] = [];
  for (const op of ops) {
    switch (op.kind) {
      case 'gate': {
        if (op.controls.length === 0) {
          w.push(out, op);
          break;
        }
        if (isCX(op)) {
          w.push(out, op);
          break;
        }
        const negs = negatedControls(op.controls, op.controlStates);
        if (negs.length) stats.negated++;
        if (op.controls.length >= 2) stats.multiControlled++;
        else if (!isX(op.matrix)) stats.controlled++;
        for (const q of negs) w.u(out, 'x', X, q);
        w.mcu(out, op.matrix, op.controls, op.target, w.idle([...op.controls, op.target]));
        for (const q of negs) w.u(out, 'x', X, q);
        break;
      }
      case 'swap': {
        const negs = negatedControls(op.controls, op.controlStates);
        if (negs.length) stats.negated++;
        if (op.controls.length === 0) stats.swaps++;
        else stats.multiControlled++;
        for (const q of negs) w.u(out, 'x', X, q);
        w.cx(out, op.b, op.a);
        const controls = [...op.controls, op.a];
        w.mcx(out, controls, op.b, w.idle([...controls, op.b]));
        w.cx(out, op.b, op.a);
        for (const q of negs) w.u(out, 'x', X, q);
        break;
      }
      case 'dgate': {
        if (op.controls.length === 0) {
          w.push(out, op);
          break;
        }
        const negs = negatedControls(op.controls, op.controlStates);
        if (negs.length) stats.negated++;
        if (op.controls.length >= 2) stats.multiControlled++;
        else stats.controlled++;
        for (const q of negs) w.u(out, 'x', X, q);
        mcDynamic(w, out, op, op.controls, w.idle([...op.controls, op.target]));
        for (const q of negs) w.u(out, 'x', X, q);
        break;
      }
      case 'if':
        w.push(out, { ...op, body: decomposeOps(w, op.body, stats) });
        break;
      case 'branch':
        w.push(out, {
          ...op,
          then: decomposeOps(w, op.then, stats),
          otherwise: decomposeOps(w, op.otherwise, stats),
        });
        break;
      case 'while':
        w.push(out, { ...op, body: decomposeOps(w, op.body, stats) });
        break;
      default:
        w.push(out, op);
    }
  }
  return out;
}

/**
 * `circuit` in the gate set `basis` (see the doc of this file), with the very same unitary (global
 * phase included) and the same classical behaviour. Throws {@link DecompositionTooLargeError}
 * beyond `maxOperations`.
 */
export function decompose(
  circuit: Circuit,
  basis: DecomposeBasis = 'u+cx',
  options: DecomposeOptions = {},
): Circuit & { stats: DecompositionStats } {
  if (basis !== 'u+cx') throw new Error(`unknown basis ${String(basis)}`);
  const w = new Writer(options.maxOperations ?? 10_000_000, circuit.numQubits);
  const stats: DecompositionStats = { multiControlled: 0, controlled: 0, swaps: 0, negated: 0 };
  const ops = decomposeOps(w, circuit.ops, stats);
  return { ...circuit, ops, stats };
}

/** Whether `ops` (at any depth) are in the `'u+cx'` basis. */
export function inUcxBasis(ops: Op[]): boolean {
  for (const op of ops) {
    switch (op.kind) {
      case 'gate':
        if (op.controls.length !== 0 && !isCX(op)) return false;
        break;
      case 'swap':
        return false;
      case 'dgate':
        if (op.controls.length !== 0) return false;
        break;
      case 'if':
      case 'while':
        if (!inUcxBasis(op.body)) return false;
        break;
      case 'branch':
        if (!inUcxBasis(op.then) || !inUcxBasis(op.otherwise)) return false;
        break;
      default:
        break;
    }
  }
  return true;
}
