import type { GateOp, Matrix2, Op } from '../circuit/circuit';

/**
 * Exact lowering of an n-qubit unitary matrix (DEFGATE ... AS MATRIX / PERMUTATION) to the IR's
 * multi-controlled single-qubit gates: a QR decomposition by Givens rotations between basis
 * states adjacent in Gray-code order (each rotation touches two states that differ in one bit, so
 * it is one single-qubit gate controlled by every other qubit), then the remaining diagonal of
 * phases. `U = G1† ... Gm† D`, so the circuit applies D, then Gm†, ..., G1†.
 *
 * Quil's matrix convention: for `G q0 q1 ... q(n-1)` the row index is the bits of q0 ... q(n-1),
 * q0 the most significant.
 */

export interface CMatrix {
  dim: number;
  /** Row-major. */
  re: Float64Array;
  im: Float64Array;
}

export function cmatrix(dim: number): CMatrix {
  return { dim, re: new Float64Array(dim * dim), im: new Float64Array(dim * dim) };
}

/** Largest entry of |U U† - I|. */
export function unitarityError(m: CMatrix): number {
  const { dim, re, im } = m;
  let err = 0;
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < dim; k++) {
        // U[r][k] * conj(U[c][k])
        const ar = re[r * dim + k];
        const ai = im[r * dim + k];
        const br = re[c * dim + k];
        const bi = -im[c * dim + k];
        sr += ar * br - ai * bi;
        si += ar * bi + ai * br;
      }
      err = Math.max(err, Math.hypot(sr - (r === c ? 1 : 0), si));
    }
  }
  return err;
}

const EPS = 1e-13;

/** The IR ops of the unitary `m` applied to `qubits` (argument k is bit n-1-k of the index). */
export function lowerUnitary(name: string, m: CMatrix, qubits: number[]): Op[] {
  const n = qubits.length;
  const dim = m.dim;
  const qubitOfBit = (b: number) => qubits[n - 1 - b];
  /** A single-qubit gate on bit `b` between index `p` (bit b = 0) and p | 1<<b, controlled by the other bits of p. */
  const gateOn = (b: number, p: number, mat: Matrix2): GateOp => {
    const controls: number[] = [];
    const states: (0 | 1)[] = [];
    for (let k = 0; k < n; k++) {
      if (k === b) continue;
      controls.push(qubitOfBit(k));
      states.push(((p >> k) & 1) as 0 | 1);
    }
    const op: GateOp = { kind: 'gate', name, target: qubitOfBit(b), matrix: mat, controls };
    if (states.some((s) => s === 0)) op.controlStates = states;
    return op;
  };
  if (n === 1) {
    return [
      {
        kind: 'gate',
        name,
        target: qubits[0],
        matrix: [m.re[0], m.im[0], m.re[1], m.im[1], m.re[2], m.im[2], m.re[3], m.im[3]],
        controls: [],
      },
    ];
  }
  // Identity but for a 2x2 block on two states that differ in one bit: one controlled gate.
  const off: number[] = [];
  for (let r = 0; r < dim && off.length <= 2; r++) {
    for (let c = 0; c < dim; c++) {
      const want = r === c ? 1 : 0;
      if (Math.abs(m.re[r * dim + c] - want) > EPS || Math.abs(m.im[r * dim + c]) > EPS) {
        if (!off.includes(r)) off.push(r);
        if (!off.includes(c)) off.push(c);
      }
    }
  }
  if (off.length === 0) return [];
  if (off.length === 2) {
    const [x, y] = off[0] < off[1] ? off : [off[1], off[0]];
    const diff = x ^ y;
    if ((diff & (diff - 1)) === 0) {
      const b = Math.log2(diff);
      const at = (r: number, c: number): [number, number] => [m.re[r * dim + c], m.im[r * dim + c]];
      return [gateOn(b, x, [...at(x, x), ...at(x, y), ...at(y, x), ...at(y, y)] as unknown as Matrix2)];
    }
  }
  // Givens QR in Gray-code order.
  const re = Float64Array.from(m.re);
  const im = Float64Array.from(m.im);
  const gray = (k: number) => k ^ (k >> 1);
  const rotations: { b: number; p: number; mat: Matrix2 }[] = [];
  for (let j = 0; j < dim - 1; j++) {
    const col = gray(j);
    for (let r = dim - 1; r > j; r--) {
      const p = gray(r - 1);
      const q = gray(r);
      const br = re[q * dim + col];
      const bi = im[q * dim + col];
      if (Math.hypot(br, bi) < EPS) continue;
      const ar = re[p * dim + col];
      const ai = im[p * dim + col];
      const norm = Math.hypot(ar, ai, br, bi);
      // G = [[conj a, conj b], [-b, a]] / norm on rows (p, q).
      const g00r = ar / norm;
      const g00i = -ai / norm;
      const g01r = br / norm;
      const g01i = -bi / norm;
      const g10r = -br / norm;
      const g10i = -bi / norm;
      const g11r = ar / norm;
      const g11i = ai / norm;
      for (let c = 0; c < dim; c++) {
        const pr = re[p * dim + c];
        const pi = im[p * dim + c];
        const qr = re[q * dim + c];
        const qi = im[q * dim + c];
        re[p * dim + c] = g00r * pr - g00i * pi + g01r * qr - g01i * qi;
        im[p * dim + c] = g00r * pi + g00i * pr + g01r * qi + g01i * qr;
        re[q * dim + c] = g10r * pr - g10i * pi + g11r * qr - g11i * qi;
        im[q * dim + c] = g10r * pi + g10i * pr + g11r * qi + g11i * qr;
      }
      re[q * dim + col] = 0;
      im[q * dim + col] = 0;
      // The rotation's matrix in the basis (bit = 0, bit = 1) of the differing bit.
      const diff = p ^ q;
      const b = Math.log2(diff);
      const mat: Matrix2 =
        (p & diff) === 0
          ? [g00r, g00i, g01r, g01i, g10r, g10i, g11r, g11i]
          : [g11r, g11i, g10r, g10i, g01r, g01i, g00r, g00i];
      rotations.push({ b, p: p & ~diff, mat });
    }
  }
  const ops: Op[] = [];
  // D: phases of the diagonal, two states (differing in bit 0) per gate.
  for (let x = 0; x < dim; x += 2) {
    const d0 = unitPhase(re[x * dim + x], im[x * dim + x]);
    const d1 = unitPhase(re[(x + 1) * dim + x + 1], im[(x + 1) * dim + x + 1]);
    if (Math.abs(d0[0] - 1) < EPS && Math.abs(d0[1]) < EPS && Math.abs(d1[0] - 1) < EPS && Math.abs(d1[1]) < EPS) {
      continue;
    }
    ops.push(gateOn(0, x, [d0[0], d0[1], 0, 0, 0, 0, d1[0], d1[1]]));
  }
  for (let k = rotations.length - 1; k >= 0; k--) {
    const { b, p, mat } = rotations[k];
    ops.push(gateOn(b, p, adjoint2(mat)));
  }
  return ops;
}

function unitPhase(r: number, i: number): [number, number] {
  const a = Math.hypot(r, i);
  return a === 0 ? [1, 0] : [r / a, i / a];
}

function adjoint2(m: Matrix2): Matrix2 {
  return [m[0], -m[1], m[4], -m[5], m[2], -m[3], m[6], -m[7]];
}

/** One term `coef * P` of a Pauli sum; `word[k]` acts on the qubit of index bit `bits[k]`. */
export interface PauliTermValue {
  coef: number;
  word: string;
  bits: number[];
}

/** Largest sum of |coefficients| accepted (beyond it, exp(-iH) loses its precision). */
export const MAX_PAULI_NORM = 1e6;

/** `exp(-i sum_k coef_k P_k)` on `n` qubits, by scaling and squaring of its Taylor series. */
export function expPauliSum(n: number, terms: PauliTermValue[]): CMatrix {
  const dim = 2 ** n;
  const h = cmatrix(dim);
  let norm = 0;
  for (const t of terms) {
    norm += Math.abs(t.coef);
    let flip = 0;
    for (let k = 0; k < t.word.length; k++) if (t.word[k] === 'X' || t.word[k] === 'Y') flip |= 1 << t.bits[k];
    for (let x = 0; x < dim; x++) {
      // P|x> = phase |x ^ flip>
      let re = 1;
      let im = 0;
      for (let k = 0; k < t.word.length; k++) {
        const bit = (x >> t.bits[k]) & 1;
        const l = t.word[k];
        if (l === 'Z' && bit) {
          re = -re;
          im = -im;
        } else if (l === 'Y') {
          // Y|0> = i|1>, Y|1> = -i|0>
          const s = bit ? -1 : 1;
          [re, im] = [-im * s, re * s];
        }
      }
      const y = x ^ flip;
      h.re[y * dim + x] += t.coef * re;
      h.im[y * dim + x] += t.coef * im;
    }
  }
  // A = -i H / 2^s with |A| <= 1/4.
  const s = norm > 0.25 ? Math.ceil(Math.log2(norm / 0.25)) : 0;
  const scale = 1 / 2 ** s;
  const a = cmatrix(dim);
  for (let k = 0; k < dim * dim; k++) {
    a.re[k] = h.im[k] * scale;
    a.im[k] = -h.re[k] * scale;
  }
  let result = cmatrix(dim);
  let term = cmatrix(dim);
  for (let k = 0; k < dim; k++) {
    result.re[k * dim + k] = 1;
    term.re[k * dim + k] = 1;
  }
  for (let order = 1; order <= 20; order++) {
    term = multiplyC(term, a);
    for (let k = 0; k < dim * dim; k++) {
      term.re[k] /= order;
      term.im[k] /= order;
      result.re[k] += term.re[k];
      result.im[k] += term.im[k];
    }
  }
  for (let k = 0; k < s; k++) result = multiplyC(result, result);
  return result;
}

function multiplyC(x: CMatrix, y: CMatrix): CMatrix {
  const dim = x.dim;
  const out = cmatrix(dim);
  for (let r = 0; r < dim; r++) {
    for (let k = 0; k < dim; k++) {
      const xr = x.re[r * dim + k];
      const xi = x.im[r * dim + k];
      if (xr === 0 && xi === 0) continue;
      for (let c = 0; c < dim; c++) {
        const yr = y.re[k * dim + c];
        const yi = y.im[k * dim + c];
        out.re[r * dim + c] += xr * yr - xi * yi;
        out.im[r * dim + c] += xr * yi + xi * yr;
      }
    }
  }
  return out;
}
