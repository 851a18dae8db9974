import type { ClassicalExpr, Matrix2, Op } from '../circuit/circuit';
import { H, I, S, scale, SDG, SX, T, TDG, u3, X, Y, Z, adjoint } from '../circuit/gates';

/**
 * Gates whose parameters may be per-shot values (ClassicalExpr) as well as numbers: the
 * parametrised gates of stdgates.inc (for calls with per-shot parameters; calls with constant
 * parameters use library.ts) and Amazon Braket's built-in gate set (for constant and per-shot
 * parameters alike).
 *
 * Every gate is written as `e^{i phase} U(theta, phi, lambda)` pieces (controlled or not), swaps
 * and global phases, so that a call with numbers gives GateOps with exact matrices and a call with
 * per-shot values gives DynamicGateOps with the same unitary.
 *
 * Braket's gates and their matrices are those of the Amazon Braket default simulator,
 * `braket/default_simulator/gate_operations.py` (BRAKET_GATES, amazon-braket-default-simulator-python,
 * Apache-2.0): i, h, x, y, z, cv, cnot, cy, cz, ecr, s, si, t, ti, v, vi, phaseshift,
 * cphaseshift, cphaseshift00, cphaseshift01, cphaseshift10, rx, ry, rz, swap, iswap, pswap, xy,
 * xx, yy, zz, ccnot, cswap, prx, gpi, gpi2, ms, U, gphase. Braket orders a gate's qubits with the
 * first one most significant in its matrix; the decompositions below are checked against those
 * matrices in braket.spec.ts.
 */

export type Num = number | ClassicalExpr;

const PI = Math.PI;

export const ce = (v: Num): ClassicalExpr => (typeof v === 'number' ? { k: 'num', v } : v);
export function add(a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return { k: 'binary', op: '+', a: ce(a), b: ce(b) };
}
export function sub(a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (b === 0) return a;
  return { k: 'binary', op: '-', a: ce(a), b: ce(b) };
}
export function mul(a: Num, b: Num): Num {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  return { k: 'binary', op: '*', a: ce(a), b: ce(b) };
}
export function neg(a: Num): Num {
  return typeof a === 'number' ? -a : { k: 'unary', op: '-', a };
}

/** Collects the ops of one gate call. */
export class Emit {
  constructor(
    readonly name: string,
    readonly out: Op[],
  ) {}
  /** `e^{i phase} U(theta, phi, lambda)` on `target`, controlled by `controls` (states default 1). */
  u(theta: Num, phi: Num, lambda: Num, phase: Num, target: number, controls: number[] = [], states?: (0 | 1)[]) {
    if (
      typeof theta === 'number' &&
      typeof phi === 'number' &&
      typeof lambda === 'number' &&
      typeof phase === 'number'
    ) {
      let m = u3(theta, phi, lambda);
      if (phase !== 0) m = scale(m, phase);
      this.matrix(m, target, controls, states);
      return;
    }
    const op: Op = {
      kind: 'dgate',
      name: this.name,
      target,
      theta: ce(theta),
      phi: ce(phi),
      lambda: ce(lambda),
      controls: controls.slice(),
    };
    if (phase !== 0) op.phase = ce(phase);
    if (states && states.some((s) => s === 0)) op.controlStates = states.slice();
    this.out.push(op);
  }
  matrix(m: Matrix2, target: number, controls: number[] = [], states?: (0 | 1)[]) {
    const op: Op = { kind: 'gate', name: this.name, target, matrix: m, controls: controls.slice() };
    if (states && states.some((s) => s === 0)) op.controlStates = states.slice();
    this.out.push(op);
  }
  swap(a: number, b: number, controls: number[] = []) {
    this.out.push({ kind: 'swap', a, b, controls: controls.slice() });
  }
  /** A global phase; per-shot phases need a qubit to carry them (`anchor`). */
  gphase(theta: Num, anchor: number | undefined) {
    if (typeof theta === 'number') this.out.push({ kind: 'gphase', theta });
    else if (anchor !== undefined) this.u(0, 0, 0, theta, anchor);
  }
  cx(c: number, t: number) {
    this.matrix(X, t, [c]);
  }
  /** exp(-i theta/2 Z⊗Z). */
  zz(theta: Num, a: number, b: number) {
    this.cx(a, b);
    this.u(0, 0, theta, mul(theta, -0.5), b);
    this.cx(a, b);
  }
  /** exp(-i theta/2 X⊗X). */
  xx(theta: Num, a: number, b: number) {
    this.matrix(H, a);
    this.matrix(H, b);
    this.zz(theta, a, b);
    this.matrix(H, a);
    this.matrix(H, b);
  }
  /** exp(-i theta/2 Y⊗Y) = (S⊗S) XX (S†⊗S†). */
  yy(theta: Num, a: number, b: number) {
    this.matrix(SDG, a);
    this.matrix(SDG, b);
    this.xx(theta, a, b);
    this.matrix(S, a);
    this.matrix(S, b);
  }
}

export interface SymbolicGate {
  /** Parameter counts accepted (ms takes 2 or 3). */
  numParams: number[];
  numQubits: number;
  lower(p: readonly Num[], q: readonly number[], e: Emit): void;
}

const fixed = (numQubits: number, m: Matrix2): SymbolicGate => ({
  numParams: [0],
  numQubits,
  lower: (_p, q, e) => e.matrix(m, q[numQubits - 1], q.slice(0, numQubits - 1)),
});
const one = (
  numParams: number,
  numQubits: number,
  f: (p: readonly Num[]) => [Num, Num, Num, Num],
  states?: (0 | 1)[],
): SymbolicGate => ({
  numParams: [numParams],
  numQubits,
  lower: (p, q, e) => {
    const [t, ph, l, g] = f(p);
    e.u(t, ph, l, g, q[numQubits - 1], q.slice(0, numQubits - 1), states);
  },
});

const rxA = (p: readonly Num[]): [Num, Num, Num, Num] => [p[0], -PI / 2, PI / 2, 0];
const ryA = (p: readonly Num[]): [Num, Num, Num, Num] => [p[0], 0, 0, 0];
const rzA = (p: readonly Num[]): [Num, Num, Num, Num] => [0, 0, p[0], mul(p[0], -0.5)];
const phaseA = (p: readonly Num[]): [Num, Num, Num, Num] => [0, 0, p[0], 0];
/** diag(e^{i lambda}, 1) = e^{i lambda} U(0, 0, -lambda). */
const phase0A = (p: readonly Num[]): [Num, Num, Num, Num] => [0, 0, neg(p[0]), p[0]];

/** stdgates.inc's parametrised gates (and U), for calls with per-shot parameters. */
export const STDGATES_SYMBOLIC = new Map<string, SymbolicGate>([
  ['U', one(3, 1, (p) => [p[0], p[1], p[2], 0])],
  ['p', one(1, 1, phaseA)],
  ['phase', one(1, 1, phaseA)],
  ['u1', one(1, 1, phaseA)],
  ['rx', one(1, 1, rxA)],
  ['ry', one(1, 1, ryA)],
  ['rz', one(1, 1, rzA)],
  ['u2', one(2, 1, (p) => [PI / 2, p[0], p[1], mul(add(p[0], p[1]), -0.5)])],
  ['u3', one(3, 1, (p) => [p[0], p[1], p[2], mul(add(p[1], p[2]), -0.5)])],
  ['cp', one(1, 2, phaseA)],
  ['cphase', one(1, 2, phaseA)],
  ['crx', one(1, 2, rxA)],
  ['cry', one(1, 2, ryA)],
  ['crz', one(1, 2, rzA)],
  ['cu', one(4, 2, (p) => [p[0], p[1], p[2], p[3]])],
]);

/** prx(theta, phi) = U(theta, phi - pi/2, pi/2 - phi). */
const prxA = (theta: Num, phi: Num): [Num, Num, Num, Num] => [theta, sub(phi, PI / 2), sub(PI / 2, phi), 0];

/** Amazon Braket's built-in gates (see the file comment). */
export const BRAKET_GATES = new Map<string, SymbolicGate>([
  ['i', fixed(1, I)],
  ['h', fixed(1, H)],
  ['x', fixed(1, X)],
  ['y', fixed(1, Y)],
  ['z', fixed(1, Z)],
  ['s', fixed(1, S)],
  ['si', fixed(1, SDG)],
  ['t', fixed(1, T)],
  ['ti', fixed(1, TDG)],
  ['v', fixed(1, SX)],
  ['vi', fixed(1, adjoint(SX))],
  ['cnot', fixed(2, X)],
  ['cy', fixed(2, Y)],
  ['cz', fixed(2, Z)],
  ['cv', fixed(2, SX)],
  ['ccnot', fixed(3, X)],
  ['rx', one(1, 1, rxA)],
  ['ry', one(1, 1, ryA)],
  ['rz', one(1, 1, rzA)],
  ['phaseshift', one(1, 1, phaseA)],
  ['cphaseshift', one(1, 2, phaseA)],
  // cphaseshift00 = diag(e^{iφ}, 1, 1, 1): both qubits 0. cphaseshift01 = diag(1, e^{iφ}, 1, 1):
  // first qubit 0, second 1. cphaseshift10 = diag(1, 1, e^{iφ}, 1): first 1, second 0.
  ['cphaseshift00', one(1, 2, phase0A, [0])],
  ['cphaseshift01', one(1, 2, phaseA, [0])],
  ['cphaseshift10', one(1, 2, phase0A, [1])],
  ['U', one(3, 1, (p) => [p[0], p[1], p[2], 0])],
  // gpi(φ) = [[0, e^{-iφ}], [e^{iφ}, 0]] = U(π, φ, π - φ).
  ['gpi', one(1, 1, (p) => [PI, p[0], sub(PI, p[0]), 0])],
  // gpi2(φ) = prx(π/2, φ).
  ['gpi2', one(1, 1, (p) => prxA(PI / 2, p[0]))],
  ['prx', one(2, 1, (p) => prxA(p[0], p[1]))],
  [
    'swap',
    {
      numParams: [0],
      numQubits: 2,
      lower: (_p, q, e) => e.swap(q[0], q[1]),
    },
  ],
  [
    'cswap',
    {
      numParams: [0],
      numQubits: 3,
      lower: (_p, q, e) => e.swap(q[1], q[2], [q[0]]),
    },
  ],
  // iswap = swap · diag(1, i, i, 1) = pswap(π/2).
  ['iswap', { numParams: [0], numQubits: 2, lower: (_p, q, e) => pswap(PI / 2, q, e) }],
  ['pswap', { numParams: [1], numQubits: 2, lower: (p, q, e) => pswap(p[0], q, e) }],
  // xy(θ) = exp(iθ/4 (XX + YY)) = XX(-θ/2) YY(-θ/2).
  [
    'xy',
    {
      numParams: [1],
      numQubits: 2,
      lower: (p, q, e) => {
        e.xx(mul(p[0], -0.5), q[0], q[1]);
        e.yy(mul(p[0], -0.5), q[0], q[1]);
      },
    },
  ],
  ['xx', { numParams: [1], numQubits: 2, lower: (p, q, e) => e.xx(p[0], q[0], q[1]) }],
  ['yy', { numParams: [1], numQubits: 2, lower: (p, q, e) => e.yy(p[0], q[0], q[1]) }],
  ['zz', { numParams: [1], numQubits: 2, lower: (p, q, e) => e.zz(p[0], q[0], q[1]) }],
  // ecr = X on the first qubit after (first = 0: rx(π/2) on the second; first = 1: rx(-π/2)).
  [
    'ecr',
    {
      numParams: [0],
      numQubits: 2,
      lower: (_p, q, e) => {
        e.u(PI / 2, -PI / 2, PI / 2, 0, q[1], [q[0]], [0]);
        e.u(-PI / 2, -PI / 2, PI / 2, 0, q[1], [q[0]]);
        e.matrix(X, q[0]);
      },
    },
  ],
  // ms(φ0, φ1, θ = π/2) = (Rz(φ0) ⊗ Rz(φ1)) XX(θ) (Rz(-φ0) ⊗ Rz(-φ1)).
  [
    'ms',
    {
      numParams: [2, 3],
      numQubits: 2,
      lower: (p, q, e) => {
        const theta = p.length > 2 ? p[2] : PI / 2;
        e.u(...rzA([neg(p[0])]), q[0]);
        e.u(...rzA([neg(p[1])]), q[1]);
        e.xx(theta, q[0], q[1]);
        e.u(...rzA([p[0]]), q[0]);
        e.u(...rzA([p[1]]), q[1]);
      },
    },
  ],
]);

/** pswap(θ) = [[1,0,0,0],[0,0,e^{iθ},0],[0,e^{iθ},0,0],[0,0,0,1]] = e^{iθ/2} ZZ(θ) · swap. */
function pswap(theta: Num, q: readonly number[], e: Emit) {
  e.swap(q[0], q[1]);
  e.zz(theta, q[0], q[1]);
  e.gphase(mul(theta, 0.5), q[0]);
}
