import type { Matrix2, Op } from '../circuit/circuit';
import * as G from '../circuit/gates';

/**
 * Gates as short sequences of IR operations on local qubits 0, 1, 2 (a gate's own arguments, in
 * the order the SDK takes them), shared by the Qiskit and Braket builders. A gate with more
 * controls (Qiskit's `.control(k)`, Braket's `control=`) or a power (Braket's `power=`) is the same
 * sequence with the controls added to every piece and repeated, inverted or (for one-piece gates)
 * raised to a fractional power.
 */

export type Piece =
  | { k: 'u'; m: Matrix2; t: number; c?: number[]; s?: (0 | 1)[] }
  | { k: 'swap'; a: number; b: number; c?: number[]; s?: (0 | 1)[] }
  | { k: 'phase'; theta: number };

export interface GateDef {
  /** Local qubits the gate acts on. */
  qubits: number;
  pieces: Piece[];
}

const u = (m: Matrix2, t = 0, c?: number[], s?: (0 | 1)[]): Piece => ({
  k: 'u',
  m,
  t,
  ...(c ? { c } : {}),
  ...(s ? { s } : {}),
});
export const one = (m: Matrix2): GateDef => ({ qubits: 1, pieces: [u(m)] });
/** `m` on qubit 1 controlled by qubit 0 (state `s`, default 1). */
export const ctrl = (m: Matrix2, s: 0 | 1 = 1): GateDef => ({
  qubits: 2,
  pieces: [u(m, 1, [0], s === 1 ? undefined : [0])],
});

export const M = {
  /** qiskit `sxdg`, Braket `vi`. */
  SXDG: G.adjoint(G.SX),
  u2: (phi: number, lambda: number) => G.u3(Math.PI / 2, phi, lambda),
  /** Qiskit R(θ, φ), Braket PRx(θ, φ): exp(-i θ/2 (cos φ X + sin φ Y)). */
  r: (theta: number, phi: number): Matrix2 => {
    const c = Math.cos(theta / 2);
    const s = Math.sin(theta / 2);
    // [[c, -i e^{-iφ} s], [-i e^{iφ} s, c]]
    return [c, 0, -s * Math.sin(phi), -s * Math.cos(phi), s * Math.sin(phi), -s * Math.cos(phi), c, 0];
  },
  /** Braket GPi(φ) = [[0, e^{-iφ}], [e^{iφ}, 0]]. */
  gpi: (phi: number): Matrix2 => [0, 0, Math.cos(phi), -Math.sin(phi), Math.cos(phi), Math.sin(phi), 0, 0],
  /** Braket GPi2(φ) = 1/√2 [[1, -i e^{-iφ}], [-i e^{iφ}, 1]]. */
  gpi2: (phi: number): Matrix2 => {
    const r = Math.SQRT1_2;
    return [r, 0, -r * Math.sin(phi), -r * Math.cos(phi), r * Math.sin(phi), -r * Math.cos(phi), r, 0];
  },
  /** diag(e^{iθ}, 1). */
  phase0: (theta: number): Matrix2 => [Math.cos(theta), Math.sin(theta), 0, 0, 0, 0, 1, 0],
};

/** exp(-iθ/2 Z⊗Z) on qubits a, b. */
function rzzPieces(theta: number, a = 0, b = 1): Piece[] {
  return [u(G.X, b, [a]), u(G.rz(theta), b), u(G.X, b, [a])];
}
function rxxPieces(theta: number, a = 0, b = 1): Piece[] {
  return [u(G.H, a), u(G.H, b), ...rzzPieces(theta, a, b), u(G.H, a), u(G.H, b)];
}
function ryyPieces(theta: number, a = 0, b = 1): Piece[] {
  const h = Math.PI / 2;
  return [u(G.rx(-h), a), u(G.rx(-h), b), ...rzzPieces(theta, a, b), u(G.rx(h), a), u(G.rx(h), b)];
}
/** exp(-iθ/2 Z⊗X): Z on qubit 0, X on qubit 1 (Qiskit's rzx). */
function rzxPieces(theta: number): Piece[] {
  return [u(G.H, 1), ...rzzPieces(theta), u(G.H, 1)];
}

export const TWO = {
  swap: (): GateDef => ({ qubits: 2, pieces: [{ k: 'swap', a: 0, b: 1 }] }),
  /** [[1,0,0,0],[0,0,i,0],[0,i,0,0],[0,0,0,1]] = SWAP · (S⊗S) · CZ. */
  iswap: (): GateDef => ({
    qubits: 2,
    pieces: [u(G.S, 0), u(G.S, 1), u(G.Z, 1, [0]), { k: 'swap', a: 0, b: 1 }],
  }),
  /** Braket PSwap(θ): SWAP with e^{iθ} on |01>, |10>. */
  pswap: (theta: number): GateDef => ({
    qubits: 2,
    pieces: [u(G.phase(theta), 0), u(G.phase(theta), 1), u(G.phase(-2 * theta), 1, [0]), { k: 'swap', a: 0, b: 1 }],
  }),
  rzz: (theta: number): GateDef => ({ qubits: 2, pieces: rzzPieces(theta) }),
  rxx: (theta: number): GateDef => ({ qubits: 2, pieces: rxxPieces(theta) }),
  ryy: (theta: number): GateDef => ({ qubits: 2, pieces: ryyPieces(theta) }),
  rzx: (theta: number): GateDef => ({ qubits: 2, pieces: rzxPieces(theta) }),
  /** Braket XY(θ) = exp(iθ/4 (XX + YY)). */
  xy: (theta: number): GateDef => ({ qubits: 2, pieces: [...rxxPieces(-theta / 2), ...ryyPieces(-theta / 2)] }),
  /** ECR = RZX(π/4) · X(0) · RZX(-π/4) (Qiskit; Braket's ecr(a, b) is the same matrix). */
  ecr: (): GateDef => ({ qubits: 2, pieces: [...rzxPieces(Math.PI / 4), u(G.X, 0), ...rzxPieces(-Math.PI / 4)] }),
  dcx: (): GateDef => ({ qubits: 2, pieces: [u(G.X, 1, [0]), u(G.X, 0, [1])] }),
  /** Braket MS(φ0, φ1, θ) = exp(-iθ/2 (cos φ0 X + sin φ0 Y) ⊗ (cos φ1 X + sin φ1 Y)). */
  ms: (phi0: number, phi1: number, theta: number): GateDef => ({
    qubits: 2,
    pieces: [u(G.rz(-phi0), 0), u(G.rz(-phi1), 1), ...rxxPieces(theta), u(G.rz(phi0), 0), u(G.rz(phi1), 1)],
  }),
};

/** The gate's pieces raised to `p`: repeated for a positive integer, inverted for a negative one. */
export function power(def: GateDef, p: number): Piece[] | string {
  if (p === 1) return def.pieces;
  if (Number.isInteger(p)) {
    if (Math.abs(p) > 64) return 'powers beyond 64 in absolute value';
    const base = p > 0 ? def.pieces : inverse(def.pieces);
    const out: Piece[] = [];
    for (let i = 0; i < Math.abs(p); i++) out.push(...base);
    return out;
  }
  if (def.pieces.length === 1) {
    // a negative power is the inverse raised to -p (Braket's rule; it matters on the branch cut)
    const pc = p < 0 ? inverse(def.pieces)[0] : def.pieces[0];
    const q = Math.abs(p);
    if (pc.k === 'phase') return [{ k: 'phase', theta: pc.theta * q }];
    if (pc.k === 'u') return [{ ...pc, m: matrixPower(pc.m, q) }];
  }
  return 'fractional powers of multi-qubit gates';
}

export function inverse(pieces: Piece[]): Piece[] {
  return pieces
    .slice()
    .reverse()
    .map((pc) =>
      pc.k === 'u' ? { ...pc, m: G.adjoint(pc.m) } : pc.k === 'phase' ? { k: 'phase', theta: -pc.theta } : pc,
    );
}

/**
 * m^p for a unitary 2x2 m and real p, on the principal branch of each eigenvalue's argument
 * (scipy's fractional_matrix_power, which Braket's power uses).
 */
export function matrixPower(m: Matrix2, p: number): Matrix2 {
  const [ar, ai, br, bi, cr, ci, dr, di] = m;
  // eigenvalues of [[a, b], [c, d]]: (a+d)/2 ± sqrt(((a-d)/2)^2 + bc)
  const tr = [(ar + dr) / 2, (ai + di) / 2];
  const hd = [(ar - dr) / 2, (ai - di) / 2];
  const disc = [hd[0] * hd[0] - hd[1] * hd[1] + (br * cr - bi * ci), 2 * hd[0] * hd[1] + (br * ci + bi * cr)];
  const mod = Math.sqrt(Math.hypot(disc[0], disc[1]));
  const ang = Math.atan2(disc[1], disc[0]) / 2;
  const sq = [mod * Math.cos(ang), mod * Math.sin(ang)];
  const l1 = [tr[0] + sq[0], tr[1] + sq[1]];
  const l2 = [tr[0] - sq[0], tr[1] - sq[1]];
  const pw = (l: number[]) => {
    const r = Math.hypot(l[0], l[1]) ** p;
    // principal argument in (-π, π]: -π (an eigenvalue -1 with a rounding-negative imaginary part) is π
    let arg = Math.atan2(l[1], l[0]);
    if (arg <= -Math.PI + 1e-12) arg = Math.PI;
    const t = arg * p;
    return [r * Math.cos(t), r * Math.sin(t)];
  };
  const f1 = pw(l1);
  const f2 = pw(l2);
  const dl = [l1[0] - l2[0], l1[1] - l2[1]];
  const dn = Math.hypot(dl[0], dl[1]);
  if (dn < 1e-9) {
    // m is (numerically) a multiple of the identity (a unitary with equal eigenvalues)
    return [f1[0], f1[1], 0, 0, 0, 0, f1[0], f1[1]];
  }
  // f(m) = f1 (m - l2 I)/(l1 - l2) + f2 (m - l1 I)/(l2 - l1)  (Sylvester)
  const cdiv = (x: number[], y: number[]) => {
    const d = y[0] * y[0] + y[1] * y[1];
    return [(x[0] * y[0] + x[1] * y[1]) / d, (x[1] * y[0] - x[0] * y[1]) / d];
  };
  const k1 = cdiv(f1, dl);
  const k2 = cdiv(f2, [-dl[0], -dl[1]]);
  const mul = (x: number[], y: number[]) => [x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0]];
  const out: number[] = [];
  const entries = [
    [ar, ai],
    [br, bi],
    [cr, ci],
    [dr, di],
  ];
  entries.forEach((e, idx) => {
    const diag = idx === 0 || idx === 3;
    const a1 = diag ? [e[0] - l2[0], e[1] - l2[1]] : e;
    const a2 = diag ? [e[0] - l1[0], e[1] - l1[1]] : e;
    const v1 = mul(k1, a1);
    const v2 = mul(k2, a2);
    out.push(v1[0] + v2[0], v1[1] + v2[1]);
  });
  return out as unknown as Matrix2;
}

/**
 * The IR operations of `pieces` on global qubits `qubits` (local qubit i is `qubits[i]`), with
 * `controls` (states `states`) added to each. A global phase under controls becomes a phase gate
 * on the last control, controlled by the others.
 */
export function instantiate(
  name: string,
  pieces: Piece[],
  qubits: number[],
  controls: number[] = [],
  states?: (0 | 1)[],
): Op[] {
  const allOnes = !states || states.every((s) => s === 1);
  const out: Op[] = [];
  for (const pc of pieces) {
    if (pc.k === 'phase') {
      if (pc.theta === 0) continue;
      if (controls.length === 0) {
        out.push({ kind: 'gphase', theta: pc.theta });
        continue;
      }
      const last = controls.length - 1;
      const st = states ? states[last] : 1;
      const rest = controls.slice(0, last);
      const restStates = states?.slice(0, last);
      out.push({
        kind: 'gate',
        name,
        target: controls[last],
        matrix: st === 1 ? G.phase(pc.theta) : M.phase0(pc.theta),
        controls: rest,
        ...(restStates && !restStates.every((s) => s === 1) ? { controlStates: restStates } : {}),
      });
      continue;
    }
    const own = (pc.c ?? []).map((i) => qubits[i]);
    const ownStates: (0 | 1)[] = pc.s ?? own.map(() => 1);
    const allControls = [...controls, ...own];
    const allStates: (0 | 1)[] = [...(states ?? controls.map(() => 1 as const)), ...ownStates];
    const cs = allOnes && ownStates.every((s) => s === 1) ? {} : { controlStates: allStates };
    if (pc.k === 'u') {
      out.push({ kind: 'gate', name, target: qubits[pc.t], matrix: pc.m, controls: allControls, ...cs });
    } else {
      out.push({ kind: 'swap', a: qubits[pc.a], b: qubits[pc.b], controls: allControls, ...cs });
    }
  }
  return out;
}
