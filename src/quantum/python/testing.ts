import type { Circuit, Op } from '../circuit/circuit';
import { simulate } from '../simulator';
import type { CountsResult } from '../simulator/types';
import { applyUnitaryOp, basisState, fromRows, unitaryDistance, unitaryOf, type State } from '../qasm/testing';

/** Test helpers: dense complex matrices written from the SDKs' documentation, and runs. */

export type C = [number, number];
export type Rows = C[][];

export const c = (re: number, im = 0): C => [re, im];
export const e = (phi: number, r = 1): C => [r * Math.cos(phi), r * Math.sin(phi)];
export const O = c(0);
export const L = c(1);
export const I_ = c(0, 1);
export const mi = c(0, -1);

export function cmul(a: C, b: C): C {
  return [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
}

/** Rows scaled by a complex factor. */
export function scaled(rows: Rows, f: C): Rows {
  return rows.map((r) => r.map((x) => cmul(x, f)));
}

export function diag(...d: C[]): Rows {
  return d.map((x, i) => d.map((_, j) => (i === j ? x : O)));
}

/** Rows of a permutation where basis state k goes to perm[k]. */
export function permutation(perm: number[]): Rows {
  return perm.map((_, i) => perm.map((to) => (to === i ? L : O)));
}

/** Largest entry of |U - rows| for the circuit's unitary U (global phase included; row = output basis state). */
export function unitaryError(circuit: Circuit | Op[], rows: Rows, n?: number): number {
  const qubits = n ?? (Array.isArray(circuit) ? Math.log2(rows.length) : circuit.numQubits);
  return unitaryDistance(unitaryOf(Array.isArray(circuit) ? circuit : unitaryOps(circuit), qubits), fromRows(rows));
}

/** The circuit's unitary ops (terminal measurements dropped; anything else non-unitary is an error). */
export function unitaryOps(circuit: Circuit): Op[] {
  const ops = circuit.ops.filter((op) => op.kind !== 'measure');
  for (const op of ops) {
    if (!['gate', 'swap', 'gphase', 'barrier'].includes(op.kind)) throw new Error(`not unitary: ${op.kind}`);
  }
  const lastMeasure = circuit.ops.map((op) => op.kind).lastIndexOf('measure');
  const measured = new Set<number>();
  circuit.ops.forEach((op, i) => {
    if (op.kind === 'measure') measured.add(op.qubit);
    else if (i < lastMeasure && op.kind !== 'barrier' && op.kind !== 'gphase') {
      const qs =
        op.kind === 'gate' ? [op.target, ...op.controls] : op.kind === 'swap' ? [op.a, op.b, ...op.controls] : [];
      if (qs.some((q) => measured.has(q))) throw new Error('mid-circuit measurement');
    }
  });
  return ops;
}

/** Final state of the circuit's unitary part from |0...0>. */
export function finalState(circuit: Circuit, n = circuit.numQubits): State {
  const st = basisState(n);
  for (const op of unitaryOps(circuit)) applyUnitaryOp(st, op);
  return st;
}

export function stateDistance(a: State, b: State): number {
  let d = 0;
  for (let i = 0; i < a.re.length; i++) d = Math.max(d, Math.hypot(a.re[i] - b.re[i], a.im[i] - b.im[i]));
  return d;
}

/** Counts of a run on the engine's simulator. */
export function counts(circuit: Circuit, shots = 2000, seed = 7): Record<string, number> {
  const [r] = simulate({ circuit, shots, seed, type: 'RUNNER', maxQubits: 20 });
  return (r as CountsResult).data;
}
