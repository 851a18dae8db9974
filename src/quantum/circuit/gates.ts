import type { Matrix2 } from './circuit';

/** Standard single-qubit matrices (interleaved complex, row-major), following OpenQASM's definitions. */

const { cos, sin } = Math;

/** OpenQASM 3 / qelib1 `U(theta, phi, lambda)` = u3. */
export function u3(theta: number, phi: number, lambda: number): Matrix2 {
  const c = cos(theta / 2);
  const s = sin(theta / 2);
  // prettier-ignore
  return [
    c, 0,
    -cos(lambda) * s, -sin(lambda) * s,
    cos(phi) * s, sin(phi) * s,
    cos(phi + lambda) * c, sin(phi + lambda) * c,
  ];
}

/** diag(1, e^{i lambda}): qelib1 u1, OpenQASM 3 p/phase. */
export function phase(lambda: number): Matrix2 {
  return [1, 0, 0, 0, 0, 0, cos(lambda), sin(lambda)];
}

export function rx(theta: number): Matrix2 {
  const c = cos(theta / 2);
  const s = sin(theta / 2);
  return [c, 0, 0, -s, 0, -s, c, 0];
}

export function ry(theta: number): Matrix2 {
  const c = cos(theta / 2);
  const s = sin(theta / 2);
  return [c, 0, -s, 0, s, 0, c, 0];
}

/** diag(e^{-i theta/2}, e^{i theta/2}). */
export function rz(theta: number): Matrix2 {
  const c = cos(theta / 2);
  const s = sin(theta / 2);
  return [c, -s, 0, 0, 0, 0, c, s];
}

const R = Math.SQRT1_2;
export const I: Matrix2 = [1, 0, 0, 0, 0, 0, 1, 0];
export const X: Matrix2 = [0, 0, 1, 0, 1, 0, 0, 0];
export const Y: Matrix2 = [0, 0, 0, -1, 0, 1, 0, 0];
export const Z: Matrix2 = [1, 0, 0, 0, 0, 0, -1, 0];
export const H: Matrix2 = [R, 0, R, 0, R, 0, -R, 0];
export const S: Matrix2 = [1, 0, 0, 0, 0, 0, 0, 1];
export const SDG: Matrix2 = [1, 0, 0, 0, 0, 0, 0, -1];
export const T: Matrix2 = [1, 0, 0, 0, 0, 0, R, R];
export const TDG: Matrix2 = [1, 0, 0, 0, 0, 0, R, -R];
/** sqrt(X) = 1/2 [[1+i, 1-i], [1-i, 1+i]]. */
export const SX: Matrix2 = [0.5, 0.5, 0.5, -0.5, 0.5, -0.5, 0.5, 0.5];

/** a * b (2x2 complex product). */
export function multiply(a: Matrix2, b: Matrix2): Matrix2 {
  const out = new Array<number>(8);
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < 2; k++) {
        const ar = a[(r * 2 + k) * 2];
        const ai = a[(r * 2 + k) * 2 + 1];
        const br = b[(k * 2 + c) * 2];
        const bi = b[(k * 2 + c) * 2 + 1];
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      out[(r * 2 + c) * 2] = re;
      out[(r * 2 + c) * 2 + 1] = im;
    }
  }
  return out as unknown as Matrix2;
}

/** Conjugate transpose. */
export function adjoint(m: Matrix2): Matrix2 {
  return [m[0], -m[1], m[4], -m[5], m[2], -m[3], m[6], -m[7]];
}

/** e^{i theta} * m. */
export function scale(m: Matrix2, theta: number): Matrix2 {
  const c = cos(theta);
  const s = sin(theta);
  const out = new Array<number>(8);
  for (let i = 0; i < 8; i += 2) {
    out[i] = m[i] * c - m[i + 1] * s;
    out[i + 1] = m[i] * s + m[i + 1] * c;
  }
  return out as unknown as Matrix2;
}

/** `m = e^{i phase} U(theta, phi, lambda)` for a unitary `m` (see {@link zyz}). */
export interface EulerAngles {
  theta: number;
  phi: number;
  lambda: number;
  phase: number;
}

/**
 * The Euler angles of a single-qubit unitary: `m = e^{i phase} U(theta, phi, lambda)` with
 * `theta` in [0, pi] (OpenQASM 3's U, qelib1's u3). Emitters write any matrix of the IR this way.
 */
export function zyz(m: Matrix2): EulerAngles {
  const abs00 = Math.hypot(m[0], m[1]);
  const abs10 = Math.hypot(m[4], m[5]);
  const theta = 2 * Math.atan2(abs10, abs00);
  const arg = (re: number, im: number) => Math.atan2(im, re);
  const EPS = 1e-12;
  if (abs00 > EPS) {
    const phase = arg(m[0], m[1]);
    if (abs10 > EPS) {
      const phi = arg(m[4], m[5]) - phase;
      const lambda = arg(-m[2], -m[3]) - phase;
      return { theta, phi, lambda, phase };
    }
    return { theta, phi: 0, lambda: arg(m[6], m[7]) - phase, phase };
  }
  const phase = arg(m[4], m[5]);
  return { theta, phi: 0, lambda: arg(-m[2], -m[3]) - phase, phase };
}
