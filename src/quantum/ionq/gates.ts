import type { GateOp, Matrix2, Op } from '../circuit/circuit';
import { adjoint, H, rx, ry, rz, S, SDG, SX, T, TDG, X, Y, Z } from '../circuit/gates';

/**
 * IonQ's gates, as documented for the IonQ API v0.3 and v0.4 (docs.ionq.com: "Writing quantum
 * programs" for the `qis` gateset, "Native gates" for `native`; the native matrices as in IonQ's
 * qiskit-ionq `ionq_gates.py`), lowered to the circuit IR exactly (global phase included).
 *
 * qis (angles `rotation` in radians): x y z h not s si t ti v (= sqrt(X)) vi rx ry rz (e^{-iθP/2}),
 * cnot, swap, and the two-qubit xx yy zz: e^{-iθ/2 P⊗P}.
 *
 * native (phases in turns, 1 turn = 2π):
 * - gpi(φ) = [[0, e^{-2πiφ}], [e^{2πiφ}, 0]];
 * - gpi2(φ) = 1/√2 [[1, -i e^{-2πiφ}], [-i e^{2πiφ}, 1]];
 * - ms(φ0, φ1, θ = 0.25) = exp(-iπθ σ(φ0)⊗σ(φ1)), σ(φ) = cos(2πφ) X + sin(2πφ) Y, φ0 on the
 *   first target (θ = 0.25: fully entangling);
 * - zz(θ) = exp(-iπθ Z⊗Z).
 */

export const QIS_FIXED: Readonly<Record<string, Matrix2>> = {
  x: X,
  not: X,
  y: Y,
  z: Z,
  h: H,
  s: S,
  si: SDG,
  t: T,
  ti: TDG,
  v: SX,
  vi: adjoint(SX),
};

export const QIS_ROTATIONS: Readonly<Partial<Record<string, (theta: number) => Matrix2>>> = { rx, ry, rz };

const TURN = 2 * Math.PI;

export function gpi(phi: number): Matrix2 {
  const a = TURN * phi;
  return [0, 0, Math.cos(a), -Math.sin(a), Math.cos(a), Math.sin(a), 0, 0];
}

export function gpi2(phi: number): Matrix2 {
  const a = TURN * phi;
  const r = Math.SQRT1_2;
  // -i e^{-ia} = -sin(a) - i cos(a); -i e^{ia} = sin(a) - i cos(a)
  return [r, 0, -r * Math.sin(a), -r * Math.cos(a), r * Math.sin(a), -r * Math.cos(a), r, 0];
}

const gate = (name: string, matrix: Matrix2, target: number, controls: number[] = []): GateOp => ({
  kind: 'gate',
  name,
  matrix,
  target,
  controls,
});

/** e^{-i θ/2 Z⊗Z} on (a, b): CX · Rz(θ) on b · CX. */
function zzOps(theta: number, a: number, b: number, out: Op[]): void {
  out.push(gate('cx', X, b, [a]), gate('rz', rz(theta), b), gate('cx', X, b, [a]));
}

/** e^{-i θ/2 P⊗P} for P = X, Y, Z: the ZZ rotation in P's eigenbasis (W P W† = Z on each qubit). */
export function pauliPairOps(pauli: 'x' | 'y' | 'z', theta: number, a: number, b: number, out: Op[]): void {
  const before: Matrix2[] = pauli === 'x' ? [H] : pauli === 'y' ? [SDG, H] : [];
  for (const q of [a, b]) for (const m of before) out.push(gate('w', m, q));
  zzOps(theta, a, b, out);
  for (const q of [a, b]) for (const m of [...before].reverse()) out.push(gate('w', adjoint(m), q));
}

/** Native ms(φ0, φ1, θ) on (a, b). */
export function msOps(phi0: number, phi1: number, theta: number, a: number, b: number, out: Op[]): void {
  out.push(gate('rz', rz(-TURN * phi0), a), gate('rz', rz(-TURN * phi1), b));
  pauliPairOps('x', TURN * theta, a, b, out);
  out.push(gate('rz', rz(TURN * phi0), a), gate('rz', rz(TURN * phi1), b));
}

/** Native zz(θ) on (a, b). */
export function nativeZzOps(theta: number, a: number, b: number, out: Op[]): void {
  zzOps(TURN * theta, a, b, out);
}
