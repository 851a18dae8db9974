import { adjoint } from '../circuit/gates';
import type { Circuit, Matrix2 } from '../circuit/circuit';
import { SimulationAbortedError, SimulationInputError } from '../simulator/errors';
import type { Rng } from '../simulator/random';
import { checkMemory } from '../simulator/statevector';
import type { AbortLike } from '../simulator/types';
import { hasIdleNoise, type IdleNoise, type NoiseModel } from './model';

/**
 * The noisy engine: the probabilities of the basis states at the end of a circuit run under a
 * NoiseModel, by density matrix (exact) up to `densityMaxQubits`, and by quantum trajectories
 * (statevectors with the channels' Kraus operators drawn at random, averaged) above. Kernels here
 * are plain loops over the interleaved (re, im) Float64Array: a density matrix of n qubits is the
 * vector of 2n "bits", rho[i, j] at index i + j * 2^n (the row in the low bits), so that
 * U rho U^dagger is U on the row bits and conj(U) on the column bits.
 */

/** Widest circuit simulated by density matrix (2^(2n) amplitudes: 12 qubits = 256 MiB); trajectories above. */
export const DENSITY_MAX_QUBITS = 12;
/** Most trajectories averaged above DENSITY_MAX_QUBITS (fewer when the job has fewer shots). */
export const MAX_TRAJECTORIES = 200;

/** A unitary step of a noisy circuit: a controlled single-qubit gate, or a controlled swap. */
export type NoisyGate =
  | { kind: 'gate'; target: number; matrix: Matrix2; cmask: number; cval: number; qubits: number[] }
  | { kind: 'swap'; a: number; b: number; cmask: number; cval: number; qubits: number[] };

/** A circuit as the noisy engine runs it: its gates, and its terminal measurements in order. */
export interface NoisyCircuit {
  numQubits: number;
  numClbits: number;
  gates: NoisyGate[];
  measurements: { qubit: number; clbit: number }[];
  /**
   * The layer of each gate (0-based), when the circuit was scheduled by hand (dynamical decoupling
   * places its pulses in idle windows); absent: ALAP (`schedule`). Gates of one layer act on
   * distinct qubits, and a gate's layer is after the layers of the gates before it on its qubits.
   */
  layers?: number[];
}

/**
 * The layer of each gate, ALAP: measurements all come at the end, so each gate is placed as late
 * as the gates after it on its qubits allow (what a device's scheduler does before dynamical
 * decoupling: a qubit starts late rather than wait prepared, and a final basis change comes right
 * before its measurement). `c.layers` when given. The depth is the number of layers.
 */
export function schedule(c: NoisyCircuit): { layers: number[]; depth: number } {
  if (c.layers) return { layers: c.layers, depth: c.layers.reduce((m, l) => Math.max(m, l + 1), 0) };
  const fromEnd = new Array<number>(c.gates.length);
  const next = new Array<number>(c.numQubits).fill(0);
  let depth = 0;
  for (let i = c.gates.length - 1; i >= 0; i--) {
    let r = 0;
    for (const q of c.gates[i].qubits) r = Math.max(r, next[q]);
    r++;
    for (const q of c.gates[i].qubits) next[q] = r;
    fromEnd[i] = r;
    depth = Math.max(depth, r);
  }
  return { layers: fromEnd.map((r) => depth - r), depth };
}

/**
 * The circuit's layers in order: each layer's gates (indices into c.gates) and the mask of the
 * qubits that wait in it (acted on in an earlier layer, no gate in this one): they get the idle noise.
 */
export function idleLayers(c: NoisyCircuit): { gates: number[]; idle: number }[] {
  const { layers, depth } = schedule(c);
  const out = Array.from({ length: depth }, () => ({ gates: [] as number[], idle: 0 }));
  layers.forEach((l, i) => out[l].gates.push(i));
  let touched = 0;
  for (const layer of out) {
    let busy = 0;
    for (const i of layer.gates) for (const q of c.gates[i].qubits) busy |= 1 << q;
    layer.idle = touched & ~busy;
    touched |= busy;
  }
  return out;
}

function controlBits(controls: number[], states: (0 | 1)[] | undefined): { cmask: number; cval: number } {
  let cmask = 0;
  let cval = 0;
  controls.forEach((c, i) => {
    cmask |= 1 << c;
    if ((states?.[i] ?? 1) === 1) cval |= 1 << c;
  });
  return { cmask, cval };
}

/**
 * The circuit's gates and measurements, or SimulationInputError for what the noisy engine does not
 * run: mid-circuit measurement (a gate on a measured qubit), reset, conditionals and per-shot
 * classical computation. Global phases and barriers are dropped (no effect on a density matrix).
 */
export function noisyCircuit(circuit: Circuit): NoisyCircuit {
  const gates: NoisyGate[] = [];
  const measurements: { qubit: number; clbit: number }[] = [];
  const measured = new Set<number>();
  const refuse = (what: string) =>
    new SimulationInputError(
      `a noisy device runs circuits whose measurements all come at the end; this one has ${what}`,
    );
  for (const op of circuit.ops) {
    switch (op.kind) {
      case 'gate':
      case 'swap': {
        const qubits = op.kind === 'gate' ? [op.target, ...op.controls] : [op.a, op.b, ...op.controls];
        const { cmask, cval } = controlBits(op.controls, op.controlStates);
        if (qubits.some((q) => measured.has(q))) throw refuse('a gate on a qubit after its measurement');
        gates.push(
          op.kind === 'gate'
            ? { kind: 'gate', target: op.target, matrix: op.matrix, cmask, cval, qubits }
            : { kind: 'swap', a: op.a, b: op.b, cmask, cval, qubits },
        );
        break;
      }
      case 'measure': {
        measured.add(op.qubit);
        // A later measurement into the same clbit overwrites it.
        const earlier = measurements.findIndex((m) => m.clbit === op.clbit);
        if (earlier >= 0) measurements.splice(earlier, 1);
        measurements.push({ qubit: op.qubit, clbit: op.clbit });
        break;
      }
      case 'gphase':
      case 'barrier':
        break;
      case 'reset':
        throw refuse('a reset');
      case 'if':
        throw refuse('a conditional (if)');
      default:
        throw refuse(`per-shot classical computation (${op.kind})`);
    }
  }
  return { numQubits: circuit.numQubits, numClbits: circuit.numClbits, gates, measurements };
}

/** The circuit with every gate G replaced by G (G^dagger G)^k: the same unitary, (2k+1) times the gate noise. */
export function foldGates(c: NoisyCircuit, scale: number): NoisyCircuit {
  if (!Number.isInteger(scale) || scale < 1 || scale % 2 === 0) {
    throw new SimulationInputError(`a fold scale must be an odd integer, not ${scale}`);
  }
  const gates: NoisyGate[] = [];
  for (const g of c.gates) {
    gates.push(g);
    const inverse: NoisyGate = g.kind === 'gate' ? { ...g, matrix: adjoint(g.matrix) } : g;
    for (let k = 0; k < (scale - 1) / 2; k++) gates.push(inverse, g);
  }
  // Scheduled again (ALAP): the folded circuit is longer, so its qubits also wait longer.
  return { ...c, gates, layers: undefined };
}

// ---------------------------------------------------------------------------------------------
// Kernels on an interleaved complex vector of `bits` bits.

function checkAbort(abort: AbortLike | null): void {
  if (abort?.aborted) throw new SimulationAbortedError();
}

/** A 2x2 matrix (interleaved, row-major) on bit t where (i & cmask) === cval. */
function apply1(d: Float64Array, bits: number, t: number, m: Matrix2, cmask: number, cval: number): void {
  const half = 2 ** (bits - 1);
  const tb = 1 << t;
  const low = tb - 1;
  const [m0, m1, m2, m3, m4, m5, m6, m7] = m;
  for (let k = 0; k < half; k++) {
    // The k-th index with bit t clear.
    const i = ((k >>> t) << (t + 1)) | (k & low);
    if ((i & cmask) !== cval) continue;
    const a = 2 * i;
    const b = 2 * (i | tb);
    const ar = d[a],
      ai = d[a + 1],
      br = d[b],
      bi = d[b + 1];
    d[a] = m0 * ar - m1 * ai + m2 * br - m3 * bi;
    d[a + 1] = m0 * ai + m1 * ar + m2 * bi + m3 * br;
    d[b] = m4 * ar - m5 * ai + m6 * br - m7 * bi;
    d[b + 1] = m4 * ai + m5 * ar + m6 * bi + m7 * br;
  }
}

/** The k-th integer whose bits `sorted` (ascending) are all clear. */
function withZeros(k: number, sorted: readonly number[]): number {
  for (const b of sorted) k = ((k >>> b) << (b + 1)) | (k & ((1 << b) - 1));
  return k;
}

function swapBits(d: Float64Array, bits: number, a: number, b: number, cmask: number, cval: number): void {
  const N = 2 ** bits;
  const ab = 1 << a;
  const bb = 1 << b;
  for (let i = 0; i < N; i++) {
    if ((i & ab) === 0 || (i & bb) !== 0 || (i & cmask) !== cval) continue;
    const x = 2 * i;
    const y = 2 * (i ^ ab ^ bb);
    const r = d[x],
      im = d[x + 1];
    d[x] = d[y];
    d[x + 1] = d[y + 1];
    d[y] = r;
    d[y + 1] = im;
  }
}

const conj = (m: Matrix2): Matrix2 => [m[0], -m[1], m[2], -m[3], m[4], -m[5], m[6], -m[7]];

const PAULI: Matrix2[] = [
  [0, 0, 1, 0, 1, 0, 0, 0], // X
  [0, 0, 0, -1, 0, 1, 0, 0], // Y
  [1, 0, 0, 0, 0, 0, -1, 0], // Z
];

// ---------------------------------------------------------------------------------------------
// Density matrix.

function gateOnDensity(d: Float64Array, n: number, g: NoisyGate): void {
  if (g.kind === 'gate') {
    apply1(d, 2 * n, g.target, g.matrix, g.cmask, g.cval);
    apply1(d, 2 * n, g.target + n, conj(g.matrix), g.cmask * 2 ** n, g.cval * 2 ** n);
  } else {
    swapBits(d, 2 * n, g.a, g.b, g.cmask, g.cval);
    swapBits(d, 2 * n, g.a + n, g.b + n, g.cmask * 2 ** n, g.cval * 2 ** n);
  }
}

/** (1 - p) rho + p Tr_Q(rho) (x) I / 2^k on the qubits Q. */
function depolarizeDensity(d: Float64Array, n: number, qubits: number[], p: number): void {
  if (p === 0) return;
  const k = qubits.length;
  const diag: number[] = [];
  for (let c = 0; c < 2 ** k; c++) {
    let off = 0;
    for (let j = 0; j < k; j++) if (c & (1 << j)) off |= (1 << qubits[j]) | (1 << (qubits[j] + n));
    diag.push(off);
  }
  const offsets: number[] = [];
  const allBits = qubits.flatMap((q) => [q, q + n]);
  for (let c = 0; c < 4 ** k; c++) {
    let off = 0;
    for (let j = 0; j < 2 * k; j++) if (c & (1 << j)) off |= 1 << allBits[j];
    offsets.push(off);
  }
  const groups = 2 ** (2 * n - 2 * k);
  const sorted = [...allBits].sort((x, y) => x - y);
  const keep = 1 - p;
  const share = p / 2 ** k;
  for (let g = 0; g < groups; g++) {
    const base = withZeros(g, sorted);
    let tr = 0;
    let ti = 0;
    for (const off of diag) {
      tr += d[2 * (base + off)];
      ti += d[2 * (base + off) + 1];
    }
    for (const off of offsets) {
      d[2 * (base + off)] *= keep;
      d[2 * (base + off) + 1] *= keep;
    }
    for (const off of diag) {
      d[2 * (base + off)] += share * tr;
      d[2 * (base + off) + 1] += share * ti;
    }
  }
}

/** Amplitude damping (gamma) then phase damping (lambda) of qubit q. */
function dampDensity(d: Float64Array, n: number, q: number, gamma: number, lambda: number): void {
  if (gamma === 0 && lambda === 0) return;
  const r = 1 << q;
  const c = 1 << (q + n);
  const groups = 2 ** (2 * n - 2);
  const off = Math.sqrt(1 - gamma) * Math.sqrt(1 - lambda);
  const qc = q + n;
  const lowQ = r - 1;
  const lowC = c - 1;
  for (let g = 0; g < groups; g++) {
    const x = ((g >>> q) << (q + 1)) | (g & lowQ);
    const base = ((x >>> qc) << (qc + 1)) | (x & lowC);
    const i00 = 2 * base,
      i01 = 2 * (base | c),
      i10 = 2 * (base | r),
      i11 = 2 * (base | r | c);
    d[i00] += gamma * d[i11];
    d[i00 + 1] += gamma * d[i11 + 1];
    d[i11] *= 1 - gamma;
    d[i11 + 1] *= 1 - gamma;
    d[i01] *= off;
    d[i01 + 1] *= off;
    d[i10] *= off;
    d[i10 + 1] *= off;
  }
}

function popcount(x: number): number {
  let k = 0;
  for (; x; x &= x - 1) k++;
  return k;
}

/**
 * The idle noise of one layer on the qubits of `mask` (rho of n qubits): Rz(detuning), then
 * amplitude and phase damping, on each of them. The coherences get, per qubit whose row bit is 1
 * and column bit 0 (u of them) or the reverse (v), kappa^(u+v) e^(i detuning (u - v)) with kappa =
 * sqrt(1 - gamma) sqrt(1 - lambda): one pass over rho; amplitude damping's population transfer
 * (|1><1| -> |0><0|) one pass per qubit.
 */
function idleDensity(d: Float64Array, n: number, mask: number, idle: IdleNoise): void {
  const { detuning, amplitudeDamping: gamma, phaseDamping: lambda } = idle;
  if (mask === 0 || (detuning === 0 && gamma === 0 && lambda === 0)) return;
  const k = popcount(mask);
  const kappa = Math.sqrt(1 - gamma) * Math.sqrt(1 - lambda);
  // factor[u * (k + 1) + v]
  const fr = new Float64Array((k + 1) * (k + 1));
  const fi = new Float64Array((k + 1) * (k + 1));
  for (let u = 0; u <= k; u++) {
    for (let v = 0; v <= k; v++) {
      const m = kappa ** (u + v);
      fr[u * (k + 1) + v] = m * Math.cos(detuning * (u - v));
      fi[u * (k + 1) + v] = m * Math.sin(detuning * (u - v));
    }
  }
  const dim = 2 ** n;
  for (let j = 0; j < dim; j++) {
    const jm = j & mask;
    const base = j * dim;
    for (let i = 0; i < dim; i++) {
      const diff = (i & mask) ^ jm;
      if (diff === 0) continue;
      const t = popcount(diff & i) * (k + 1) + popcount(diff & j);
      const a = 2 * (base + i);
      const re = d[a];
      const im = d[a + 1];
      d[a] = fr[t] * re - fi[t] * im;
      d[a + 1] = fr[t] * im + fi[t] * re;
    }
  }
  if (gamma === 0) return;
  for (let q = 0; q < n; q++) {
    if (!((mask >>> q) & 1)) continue;
    const r = 1 << q;
    const c = 1 << (q + n);
    const qc = q + n;
    for (let g = 0; g < 2 ** (2 * n - 2); g++) {
      const x = ((g >>> q) << (q + 1)) | (g & (r - 1));
      const base = ((x >>> qc) << (qc + 1)) | (x & (c - 1));
      const i00 = 2 * base;
      const i11 = 2 * (base | r | c);
      d[i00] += gamma * d[i11];
      d[i00 + 1] += gamma * d[i11 + 1];
      d[i11] *= 1 - gamma;
      d[i11 + 1] *= 1 - gamma;
    }
  }
}

/**
 * The inverse of the Pauli channel of fidelities (1, fx, fx, fz) on qubit q (fx of X and Y, fz of Z):
 * the Pauli-twirled damping of the model, inverted (PEC).
 */
function inversePauliDamping(d: Float64Array, n: number, q: number, fx: number, fz: number): void {
  const gx = 1 / fx;
  const gz = 1 / fz;
  const a = (1 + gz) / 2;
  const b = (1 - gz) / 2;
  const r = 1 << q;
  const c = 1 << (q + n);
  const groups = 2 ** (2 * n - 2);
  const qc = q + n;
  for (let g = 0; g < groups; g++) {
    const x = ((g >>> q) << (q + 1)) | (g & (r - 1));
    const base = ((x >>> qc) << (qc + 1)) | (x & (c - 1));
    const i00 = 2 * base,
      i01 = 2 * (base | c),
      i10 = 2 * (base | r),
      i11 = 2 * (base | r | c);
    for (let im = 0; im < 2; im++) {
      const p0 = d[i00 + im];
      const p1 = d[i11 + im];
      d[i00 + im] = a * p0 + b * p1;
      d[i11 + im] = b * p0 + a * p1;
      d[i01 + im] *= gx;
      d[i10 + im] *= gx;
    }
  }
}

/** Pauli fidelities of the model's damping of one qubit, twirled: X and Y, and Z. */
export function dampingFidelities(noise: NoiseModel): { fx: number; fz: number } {
  return {
    fx: Math.sqrt(1 - noise.amplitudeDamping) * Math.sqrt(1 - noise.phaseDamping),
    fz: 1 - noise.amplitudeDamping,
  };
}

/** The gate, then its noise (and, with `cancel`, the inverse of its Pauli-twirled noise), on rho of n qubits. */
function gateStep(d: Float64Array, n: number, g: NoisyGate, noise: NoiseModel, cancel: boolean): void {
  gateOnDensity(d, n, g);
  const dep = g.qubits.length === 1 ? noise.oneQubitDepolarizing : noise.twoQubitDepolarizing;
  depolarizeDensity(d, n, g.qubits, dep);
  for (const q of g.qubits) dampDensity(d, n, q, noise.amplitudeDamping, noise.phaseDamping);
  if (cancel) {
    // PEC in expectation: the inverse of the gate's Pauli-twirled noise (fidelities 1 - dep of the
    // depolarizing, fx and fz of each qubit's damping); the damping's non-unital part stays.
    const { fx, fz } = dampingFidelities(noise);
    for (const q of g.qubits) if (fx !== 1 || fz !== 1) inversePauliDamping(d, n, q, fx, fz);
    if (dep > 0) depolarizeDensity(d, n, g.qubits, 1 - 1 / (1 - dep));
  }
}

/**
 * A gate's step (gateStep) as a sparse superoperator on its k qubits: row r of the 4^k x 4^k matrix
 * acting on the vectorised k-qubit density matrix (local bit i = row of qubits[i], bit k + i = its
 * column) is `cols[r]` with complex weights `re[r]`, `im[r]`. Built by running the step on each
 * basis element of a k-qubit density matrix: the whole step then costs one pass over rho.
 */
interface Superoperator {
  size: number;
  cols: Int32Array[];
  re: Float64Array[];
  im: Float64Array[];
}

function superoperator(g: NoisyGate, noise: NoiseModel, cancel: boolean): Superoperator {
  const k = g.qubits.length;
  const local = (q: number) => g.qubits.indexOf(q);
  let cmask = 0;
  let cval = 0;
  for (const q of g.qubits) {
    if ((g.cmask >>> q) & 1) {
      cmask |= 1 << local(q);
      if ((g.cval >>> q) & 1) cval |= 1 << local(q);
    }
  }
  const qubits = g.qubits.map((_, i) => i);
  const lg: NoisyGate =
    g.kind === 'gate'
      ? { kind: 'gate', target: local(g.target), matrix: g.matrix, cmask, cval, qubits }
      : { kind: 'swap', a: local(g.a), b: local(g.b), cmask, cval, qubits };
  const size = 4 ** k;
  const rows: { c: number; re: number; im: number }[][] = Array.from({ length: size }, () => []);
  const buf = new Float64Array(2 * size);
  for (let j = 0; j < size; j++) {
    buf.fill(0);
    buf[2 * j] = 1;
    gateStep(buf, k, lg, noise, cancel);
    for (let r = 0; r < size; r++) {
      const re = buf[2 * r];
      const im = buf[2 * r + 1];
      if (Math.abs(re) > 1e-15 || Math.abs(im) > 1e-15) rows[r].push({ c: j, re, im });
    }
  }
  return {
    size,
    cols: rows.map((row) => Int32Array.from(row, (e) => e.c)),
    re: rows.map((row) => Float64Array.from(row, (e) => e.re)),
    im: rows.map((row) => Float64Array.from(row, (e) => e.im)),
  };
}

/**
 * Applies a gate's superoperator to rho of n qubits, one group of 4^k numbers at a time, skipping
 * the groups where a qubit in `idle` (no gate has touched it: it is still |0>, so rho is zero
 * wherever its row or column bit is set) has a bit set.
 */
function applySuperoperator(d: Float64Array, n: number, qubits: number[], s: Superoperator, idle: number[]): void {
  const k = qubits.length;
  const global = [...qubits, ...qubits.map((q) => q + n)];
  const sorted = [...global, ...idle, ...idle.map((q) => q + n)].sort((a, b) => a - b);
  const offsets = new Int32Array(s.size);
  for (let j = 0; j < s.size; j++) {
    let off = 0;
    for (let i = 0; i < 2 * k; i++) if ((j >>> i) & 1) off |= 1 << global[i];
    offsets[j] = off;
  }
  const inRe = new Float64Array(s.size);
  const inIm = new Float64Array(s.size);
  const groups = 2 ** (2 * n - sorted.length);
  for (let g = 0; g < groups; g++) {
    const base = withZeros(g, sorted);
    for (let j = 0; j < s.size; j++) {
      const a = 2 * (base + offsets[j]);
      inRe[j] = d[a];
      inIm[j] = d[a + 1];
    }
    for (let r = 0; r < s.size; r++) {
      const cols = s.cols[r];
      const wr = s.re[r];
      const wi = s.im[r];
      let sr = 0;
      let si = 0;
      for (let e = 0; e < cols.length; e++) {
        const xr = inRe[cols[e]];
        const xi = inIm[cols[e]];
        sr += wr[e] * xr - wi[e] * xi;
        si += wr[e] * xi + wi[e] * xr;
      }
      const a = 2 * (base + offsets[r]);
      d[a] = sr;
      d[a + 1] = si;
    }
  }
}

function densityProbabilities(
  c: NoisyCircuit,
  noise: NoiseModel,
  abort: AbortLike | null,
  cancel: boolean,
  progress: (fraction: number) => void,
): Float64Array {
  const n = c.numQubits;
  const d = new Float64Array(2 * 2 ** (2 * n));
  d[0] = 1;
  let touched = 0;
  let done = 0;
  const step = (g: NoisyGate) => {
    checkAbort(abort);
    if (done > 0) progress(done / c.gates.length);
    done++;
    for (const q of g.qubits) touched |= 1 << q;
    const untouched: number[] = [];
    for (let q = 0; q < n; q++) if (((touched >>> q) & 1) === 0) untouched.push(q);
    applySuperoperator(d, n, g.qubits, superoperator(g, noise, cancel), untouched);
  };
  if (noise.idle && hasIdleNoise(noise)) {
    // Layer by layer: its gates, then the idle noise of the qubits that wait in it (PEC's `cancel`
    // inverts gate noise only).
    for (const layer of idleLayers(c)) {
      for (const i of layer.gates) step(c.gates[i]);
      checkAbort(abort);
      idleDensity(d, n, layer.idle, noise.idle);
    }
  } else {
    for (const g of c.gates) step(g);
  }
  const dim = 2 ** n;
  const p = new Float64Array(dim);
  // Quasi-probabilities under `cancel` (may be slightly negative); probabilities otherwise.
  for (let i = 0; i < dim; i++) p[i] = cancel ? d[2 * (i + i * dim)] : Math.max(0, d[2 * (i + i * dim)]);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Trajectories.

function norm2Where(d: Float64Array, n: number, bit: number): number {
  const N = 2 ** n;
  let s = 0;
  for (let i = 0; i < N; i++) if ((i & bit) !== 0) s += d[2 * i] * d[2 * i] + d[2 * i + 1] * d[2 * i + 1];
  return s;
}

function scaleWhere(d: Float64Array, n: number, bit: number, value: 0 | 1 | -1, f: number): void {
  const N = 2 ** n;
  for (let i = 0; i < N; i++) {
    if (value !== -1 && ((i & bit) !== 0 ? 1 : 0) !== value) continue;
    d[2 * i] *= f;
    d[2 * i + 1] *= f;
  }
}

/** One Kraus operator of amplitude damping, drawn with its probability; the state stays normalised. */
function dampTrajectory(d: Float64Array, n: number, q: number, gamma: number, rng: Rng): void {
  if (gamma === 0) return;
  const bit = 1 << q;
  const p1 = norm2Where(d, n, bit);
  if (rng.next() < gamma * p1) {
    // K1 = sqrt(gamma) |0><1|: |1> decays to |0>.
    const N = 2 ** n;
    const f = 1 / Math.sqrt(p1);
    for (let i = 0; i < N; i++) {
      if ((i & bit) !== 0) continue;
      const j = i | bit;
      d[2 * i] = d[2 * j] * f;
      d[2 * i + 1] = d[2 * j + 1] * f;
      d[2 * j] = 0;
      d[2 * j + 1] = 0;
    }
  } else {
    scaleWhere(d, n, bit, 1, Math.sqrt(1 - gamma));
    scaleWhere(d, n, bit, -1, 1 / Math.sqrt(1 - gamma * p1));
  }
}

function trajectoryProbabilities(
  c: NoisyCircuit,
  noise: NoiseModel,
  trajectories: number,
  rng: Rng,
  abort: AbortLike | null,
  progress: (fraction: number) => void,
): Float64Array {
  const n = c.numQubits;
  const dim = 2 ** n;
  const p = new Float64Array(dim);
  const d = new Float64Array(2 * dim);
  // Phase damping lambda is a Z with probability (1 - sqrt(1 - lambda)) / 2 (the same channel).
  const pz = (1 - Math.sqrt(1 - noise.phaseDamping)) / 2;
  const idle = noise.idle && hasIdleNoise(noise) ? noise.idle : null;
  const layers = idle ? idleLayers(c) : [{ gates: c.gates.map((_, i) => i), idle: 0 }];
  // Idle phase damping is a Z with probability (1 - sqrt(1 - lambda)) / 2 on each waiting qubit.
  const idleZ = idle ? (1 - Math.sqrt(1 - idle.phaseDamping)) / 2 : 0;
  for (let t = 0; t < trajectories; t++) {
    if (t > 0) progress(t / trajectories);
    d.fill(0);
    d[0] = 1;
    for (const layer of layers) {
      for (const i of layer.gates) gateTrajectory(c.gates[i]);
      if (idle && layer.idle !== 0) idleTrajectory(d, n, layer.idle, idle, idleZ, rng);
    }
    for (let i = 0; i < dim; i++) p[i] += (d[2 * i] * d[2 * i] + d[2 * i + 1] * d[2 * i + 1]) / trajectories;
  }
  return p;

  function gateTrajectory(g: NoisyGate): void {
    checkAbort(abort);
    if (g.kind === 'gate') apply1(d, n, g.target, g.matrix, g.cmask, g.cval);
    else swapBits(d, n, g.a, g.b, g.cmask, g.cval);
    const dep = g.qubits.length === 1 ? noise.oneQubitDepolarizing : noise.twoQubitDepolarizing;
    // Depolarizing p: with probability p, a uniformly random Pauli (identity included) on the qubits.
    if (dep > 0 && rng.next() < dep) {
      for (const q of g.qubits) {
        const k = Math.floor(rng.next() * 4);
        if (k > 0) apply1(d, n, q, PAULI[k - 1], 0, 0);
      }
    }
    for (const q of g.qubits) {
      dampTrajectory(d, n, q, noise.amplitudeDamping, rng);
      if (pz > 0 && rng.next() < pz) apply1(d, n, q, PAULI[2], 0, 0);
    }
  }
}

/**
 * One trajectory's idle noise on the qubits of `mask`: Rz(detuning) on each (a phase
 * e^(i detuning popcount(i & mask)) on amplitude i, up to a global phase) and Z with probability
 * `pz` (phase damping), in one pass; then amplitude damping's Kraus operator drawn per qubit.
 */
function idleTrajectory(d: Float64Array, n: number, mask: number, idle: IdleNoise, pz: number, rng: Rng): void {
  let zmask = 0;
  if (pz > 0) for (let q = 0; q < n; q++) if ((mask >>> q) & 1 && rng.next() < pz) zmask |= 1 << q;
  if (idle.detuning !== 0 || zmask !== 0) {
    const k = popcount(mask);
    const cr = new Float64Array(k + 1);
    const ci = new Float64Array(k + 1);
    for (let u = 0; u <= k; u++) {
      cr[u] = Math.cos(idle.detuning * u);
      ci[u] = Math.sin(idle.detuning * u);
    }
    const N = 2 ** n;
    for (let i = 0; i < N; i++) {
      const u = popcount(i & mask);
      const sign = popcount(i & zmask) & 1 ? -1 : 1;
      const re = d[2 * i];
      const im = d[2 * i + 1];
      d[2 * i] = sign * (cr[u] * re - ci[u] * im);
      d[2 * i + 1] = sign * (cr[u] * im + ci[u] * re);
    }
  }
  if (idle.amplitudeDamping > 0) {
    for (let q = 0; q < n; q++) if ((mask >>> q) & 1) dampTrajectory(d, n, q, idle.amplitudeDamping, rng);
  }
}

export interface NoisyRunOptions {
  /** Widest circuit simulated by density matrix (default DENSITY_MAX_QUBITS). */
  densityMaxQubits?: number;
  /** Trajectories averaged above that width (default MAX_TRAJECTORIES). */
  trajectories?: number;
  /**
   * Probabilistic error cancellation in expectation: after each gate's noise, the inverse of its
   * Pauli-twirled noise (density matrix only; quasi-probabilities come back).
   */
  cancel?: boolean;
  /** Fraction of this circuit done, 0..1, non-decreasing: after each gate, or each trajectory. */
  onProgress?: (fraction: number) => void;
  maxMemoryBytes?: number;
  signal?: AbortLike;
}

export interface NoisyProbabilities {
  /** Probability of each basis state of the qubits (bit q of the index = qubit q). */
  p: Float64Array;
  method: 'density-matrix' | 'trajectories';
  /** Trajectories averaged (trajectories only). */
  trajectories?: number;
}

/**
 * The probabilities of the basis states at the end of `c` under `noise` (gate noise only: readout
 * error is applied where shots are read, see sampling in run.ts). Exact by density matrix up to
 * `densityMaxQubits`; above, the average of `trajectories` trajectories drawn from `rng`.
 */
export function noisyProbabilities(
  c: NoisyCircuit,
  noise: NoiseModel,
  rng: Rng,
  opts: NoisyRunOptions = {},
): NoisyProbabilities {
  const n = c.numQubits;
  const abort = opts.signal ?? null;
  const progress = opts.onProgress ?? (() => {});
  if (n <= (opts.densityMaxQubits ?? DENSITY_MAX_QUBITS)) {
    checkMemory(2 * n, 1, opts.maxMemoryBytes);
    return { p: densityProbabilities(c, noise, abort, opts.cancel ?? false, progress), method: 'density-matrix' };
  }
  if (opts.cancel) {
    throw new SimulationInputError(
      `probabilistic error cancellation is done on the density matrix, up to ${opts.densityMaxQubits ?? DENSITY_MAX_QUBITS} qubits; this circuit has ${n}`,
    );
  }
  checkMemory(n, 2, opts.maxMemoryBytes);
  const trajectories = Math.max(1, opts.trajectories ?? MAX_TRAJECTORIES);
  return {
    p: trajectoryProbabilities(c, noise, trajectories, rng, abort, progress),
    method: 'trajectories',
    trajectories,
  };
}
