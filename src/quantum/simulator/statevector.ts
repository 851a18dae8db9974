import * as os from 'node:os';
import { SimulationAbortedError, SimulationLimitError } from './errors';
import type { AbortLike } from './types';

/**
 * The state vector and its in-place kernels.
 *
 * Layout: one Float64Array, interleaved `[re0, im0, re1, im1, ...]`; amplitude `i` is the basis state
 * whose bit `q` is qubit `q` (qubit 0 least significant). Interleaved beat two separate arrays by
 * 1.3-3x at 23-24 qubits on the benchmark machine (bench/layout.bench.ts): a pair update touches two
 * memory streams instead of four.
 *
 * Kernel shape. A gate with target `t` and controls `c1..ck` fixes k+1 bits of the index ("fixed",
 * sorted ascending) and leaves n-k-1 bits free. With `p0` the lowest fixed bit, the indices to visit
 * come in runs of 2^p0 consecutive amplitudes; each run's start is the block number with a zero bit
 * inserted at every fixed position, OR the control values (`setMask`). So a kernel visits only the
 * amplitudes whose controls match, with no per-amplitude test, and its inner loop is a plain
 * strided loop over a typed array: no allocation, no closure, no call. Uncontrolled gates on qubit 0
 * and 1 (runs of length 1 and 2) have their own unrolled loops.
 *
 * Indices are int32 bit-tricked, so HARD_MAX_QUBITS is 30 (2^30 amplitudes = 16 GiB anyway).
 *
 * Cancellation: every kernel checks `abort.aborted` after each chunk of about 2^20 amplitudes.
 */

export const HARD_MAX_QUBITS = 30;
/** Amplitudes between two abort checks inside a kernel. */
const CHECK_AMPS_LOG2 = 20;
/** Doubles between two abort checks in the unrolled loops. */
const CHECK_DOUBLES = 2 << CHECK_AMPS_LOG2;

export function stateBytes(numQubits: number): number {
  return 16 * 2 ** numQubits;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Memory the OS says we may still use (MemAvailable, or the cgroup's constraint if smaller). */
export function availableMemoryBytes(): number {
  let avail = os.freemem();
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  if (constrained > 0 && constrained < 2 ** 52) {
    avail = Math.min(avail, Math.max(0, constrained - process.memoryUsage.rss()));
  }
  return avail;
}

/**
 * Throws SimulationLimitError unless `copies` state vectors of `numQubits` fit into the smaller of
 * `maxMemoryBytes` and 90 % of the available memory.
 */
export function checkMemory(numQubits: number, copies: number, maxMemoryBytes?: number): void {
  const bytes = stateBytes(numQubits) * copies;
  const avail = Math.floor(availableMemoryBytes() * 0.9);
  const configured = maxMemoryBytes ?? Infinity;
  const limit = Math.min(configured, avail);
  if (bytes > limit) {
    const what = copies === 1 ? `2^${numQubits} amplitudes` : `${copies} state vectors of 2^${numQubits} amplitudes`;
    const source = configured <= avail ? 'configured maxMemoryBytes' : '90% of the memory available now';
    throw new SimulationLimitError(
      `circuit needs ${what} (${formatBytes(bytes)}), more than the limit of ${formatBytes(limit)} (${source})`,
    );
  }
}

function allocate(numQubits: number): Float64Array {
  try {
    return new Float64Array(2 * 2 ** numQubits);
  } catch (err) {
    throw new SimulationLimitError(
      `could not allocate 2^${numQubits} amplitudes (${formatBytes(stateBytes(numQubits))}): ${(err as Error).message}`,
    );
  }
}

function aborted(abort: AbortLike | null): void {
  if (abort !== null && abort.aborted) throw new SimulationAbortedError();
}

/** Start index (in amplitudes) of run `b`: zeros inserted at the fixed bits, then the set bits. */
function runStart(b: number, p0: number, fixed: Int32Array, k: number, setMask: number): number {
  let idx = b << p0;
  for (let f = 0; f < k; f++) {
    const p = fixed[f];
    const low = idx & ((1 << p) - 1);
    idx = ((idx ^ low) << 1) | low;
  }
  return idx | setMask;
}

/** Longest run (log2, in amplitudes) a kernel processes between two abort checks. */
const MAX_RUN_LOG2 = CHECK_AMPS_LOG2 - 1;

/**
 * log2 of the run length for fixed bits whose lowest is `lowest`: runs longer than 2^MAX_RUN_LOG2
 * are cut into pieces (the bits between MAX_RUN_LOG2 and `lowest` then count as block bits), so
 * that the abort flag is read every 2^20 amplitudes even for a gate on the highest qubit.
 */
function runLog2(lowest: number): number {
  return Math.min(lowest, MAX_RUN_LOG2);
}
/** Number of runs for a kernel with `k` fixed bits and runs of 2^p0 amplitudes. */
function runs(n: number, k: number, p0: number): number {
  return 2 ** (n - k - p0);
}
function runsPerCheck(p0: number): number {
  return 2 ** (MAX_RUN_LOG2 - p0);
}

/**
 * Runs of 2^5..2^8 amplitudes (PREFETCH_MIN..PREFETCH_MAX) put the two halves of each pair 0.5-4
 * KiB apart, a pattern the hardware prefetcher of the benchmark machine (AMD EPYC) does not follow:
 * even the loads alone ran 2.5-3x slower than a streaming pass. Reading one double per cache line
 * of both runs, in address order, before processing them turns the access into a sequential stream
 * and halved these kernels' times there (30 vs 60 ms at 24 qubits, target 5; a streaming pass is
 * 20 ms); for shorter and longer runs it only cost time, so it is off for them.
 */
const PREFETCH_MIN = 5;
const PREFETCH_MAX = 8;
/** Keeps the prefetch loads observable (their sum is otherwise unused). */
export let prefetchSink = 0;

/** Reads one double per cache line of [a, a + len) and [b, b + len) (doubles; a < b). */
function touch(d: Float64Array, a: number, b: number, len: number): number {
  let s = 0;
  if (a + len === b) {
    for (let x = a, end = a + 2 * len; x < end; x += 8) s += d[x];
  } else {
    for (let x = a, end = a + len; x < end; x += 8) s += d[x];
    for (let x = b, end = b + len; x < end; x += 8) s += d[x];
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Single-qubit unitary [[a, b], [c, d]] (m = interleaved row-major 2x2), with controls.

export function applyUnitary(
  d: Float64Array,
  n: number,
  t: number,
  m: Float64Array,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): void {
  const m0 = m[0],
    m1 = m[1],
    m2 = m[2],
    m3 = m[3],
    m4 = m[4],
    m5 = m[5],
    m6 = m[6],
    m7 = m[7];
  const k = fixed.length;
  const E = 2 * 2 ** n;
  if (k === 1 && t === 0) {
    for (let c = 0; c < E; c += CHECK_DOUBLES) {
      const end = Math.min(E, c + CHECK_DOUBLES);
      for (let p = c; p < end; p += 4) {
        const ar = d[p],
          ai = d[p + 1],
          br = d[p + 2],
          bi = d[p + 3];
        d[p] = m0 * ar - m1 * ai + m2 * br - m3 * bi;
        d[p + 1] = m0 * ai + m1 * ar + m2 * bi + m3 * br;
        d[p + 2] = m4 * ar - m5 * ai + m6 * br - m7 * bi;
        d[p + 3] = m4 * ai + m5 * ar + m6 * bi + m7 * br;
      }
      aborted(abort);
    }
    return;
  }
  if (k === 1 && t === 1) {
    for (let c = 0; c < E; c += CHECK_DOUBLES) {
      const end = Math.min(E, c + CHECK_DOUBLES);
      for (let p = c; p < end; p += 8) {
        let ar = d[p],
          ai = d[p + 1],
          br = d[p + 4],
          bi = d[p + 5];
        d[p] = m0 * ar - m1 * ai + m2 * br - m3 * bi;
        d[p + 1] = m0 * ai + m1 * ar + m2 * bi + m3 * br;
        d[p + 4] = m4 * ar - m5 * ai + m6 * br - m7 * bi;
        d[p + 5] = m4 * ai + m5 * ar + m6 * bi + m7 * br;
        ar = d[p + 2];
        ai = d[p + 3];
        br = d[p + 6];
        bi = d[p + 7];
        d[p + 2] = m0 * ar - m1 * ai + m2 * br - m3 * bi;
        d[p + 3] = m0 * ai + m1 * ar + m2 * bi + m3 * br;
        d[p + 6] = m4 * ar - m5 * ai + m6 * br - m7 * bi;
        d[p + 7] = m4 * ai + m5 * ar + m6 * bi + m7 * br;
      }
      aborted(abort);
    }
    return;
  }
  const p0 = runLog2(fixed[0]);
  const len = 2 << p0; // doubles per run
  const off = 2 << t; // doubles between the two amplitudes of a pair
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  const prefetch = p0 >= PREFETCH_MIN && p0 <= PREFETCH_MAX;
  let sink = 0;
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      if (prefetch) sink += touch(d, start, start + off, len);
      for (let p = start; p < end; p += 2) {
        const q = p + off;
        const ar = d[p],
          ai = d[p + 1],
          br = d[q],
          bi = d[q + 1];
        d[p] = m0 * ar - m1 * ai + m2 * br - m3 * bi;
        d[p + 1] = m0 * ai + m1 * ar + m2 * bi + m3 * br;
        d[q] = m4 * ar - m5 * ai + m6 * br - m7 * bi;
        d[q + 1] = m4 * ai + m5 * ar + m6 * bi + m7 * br;
      }
    }
    aborted(abort);
  }
  prefetchSink += sink;
}

/** diag(d0, d1) on target t, with controls (d0 != 1; otherwise use applyPhase). */
export function applyDiagonal(
  d: Float64Array,
  n: number,
  t: number,
  m: Float64Array,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): void {
  const ar0 = m[0],
    ai0 = m[1],
    ar1 = m[6],
    ai1 = m[7];
  const k = fixed.length;
  const p0 = runLog2(fixed[0]);
  const len = 2 << p0;
  const off = 2 << t;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  const prefetch = p0 >= PREFETCH_MIN && p0 <= PREFETCH_MAX;
  let sink = 0;
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      if (prefetch) sink += touch(d, start, start + off, len);
      for (let p = start; p < end; p += 2) {
        const q = p + off;
        const xr = d[p],
          xi = d[p + 1],
          yr = d[q],
          yi = d[q + 1];
        d[p] = ar0 * xr - ai0 * xi;
        d[p + 1] = ar0 * xi + ai0 * xr;
        d[q] = ar1 * yr - ai1 * yi;
        d[q + 1] = ar1 * yi + ai1 * yr;
      }
    }
    aborted(abort);
  }
  prefetchSink += sink;
}

/**
 * Multiplies by (c + i s) every amplitude whose `fixed` bits equal `setMask`: a phase gate, an rz
 * (up to global phase), a controlled phase, cz, ccz... It touches 2^(n-k) amplitudes only.
 */
export function applyPhase(
  d: Float64Array,
  n: number,
  c: number,
  s: number,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): void {
  const k = fixed.length;
  const p0 = runLog2(fixed[0]);
  if (k === 1 && p0 === 0) {
    const E = 2 * 2 ** n;
    for (let ch = 0; ch < E; ch += CHECK_DOUBLES) {
      const end = Math.min(E, ch + CHECK_DOUBLES);
      for (let p = ch + 2; p < end; p += 4) {
        const xr = d[p],
          xi = d[p + 1];
        d[p] = c * xr - s * xi;
        d[p + 1] = c * xi + s * xr;
      }
      aborted(abort);
    }
    return;
  }
  const len = 2 << p0;
  const total = runs(n, k, p0);
  const chunk = 2 * runsPerCheck(p0);
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      for (let p = start; p < end; p += 2) {
        const xr = d[p],
          xi = d[p + 1];
        d[p] = c * xr - s * xi;
        d[p + 1] = c * xi + s * xr;
      }
    }
    aborted(abort);
  }
}

/** X (a permutation: swaps the two amplitudes of each pair), with controls: x, cx, ccx, mcx. */
export function applyX(
  d: Float64Array,
  n: number,
  t: number,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): void {
  const k = fixed.length;
  if (k === 1 && t === 0) {
    const E = 2 * 2 ** n;
    for (let ch = 0; ch < E; ch += CHECK_DOUBLES) {
      const end = Math.min(E, ch + CHECK_DOUBLES);
      for (let p = ch; p < end; p += 4) {
        const xr = d[p],
          xi = d[p + 1];
        d[p] = d[p + 2];
        d[p + 1] = d[p + 3];
        d[p + 2] = xr;
        d[p + 3] = xi;
      }
      aborted(abort);
    }
    return;
  }
  const p0 = runLog2(fixed[0]);
  const len = 2 << p0;
  const off = 2 << t;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  const prefetch = p0 >= PREFETCH_MIN && p0 <= PREFETCH_MAX;
  let sink = 0;
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      if (prefetch) sink += touch(d, start, start + off, len);
      for (let p = start; p < end; p += 2) {
        const q = p + off;
        const xr = d[p],
          xi = d[p + 1];
        d[p] = d[q];
        d[p + 1] = d[q + 1];
        d[q] = xr;
        d[q + 1] = xi;
      }
    }
    aborted(abort);
  }
  prefetchSink += sink;
}

/** Anti-diagonal [[0, b], [c, 0]] (y, and x times a phase), with controls. */
export function applyAntiDiagonal(
  d: Float64Array,
  n: number,
  t: number,
  m: Float64Array,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): void {
  const br = m[2],
    bi = m[3],
    cr = m[4],
    ci = m[5];
  const k = fixed.length;
  const p0 = runLog2(fixed[0]);
  const len = 2 << p0;
  const off = 2 << t;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  const prefetch = p0 >= PREFETCH_MIN && p0 <= PREFETCH_MAX;
  let sink = 0;
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      if (prefetch) sink += touch(d, start, start + off, len);
      for (let p = start; p < end; p += 2) {
        const q = p + off;
        const xr = d[p],
          xi = d[p + 1],
          yr = d[q],
          yi = d[q + 1];
        d[p] = br * yr - bi * yi;
        d[p + 1] = br * yi + bi * yr;
        d[q] = cr * xr - ci * xi;
        d[q + 1] = cr * xi + ci * xr;
      }
    }
    aborted(abort);
  }
  prefetchSink += sink;
}

/** Swaps qubits a and b (where the controls match): exchanges amplitudes |..a=1..b=0..> and |..a=0..b=1..>. */
export function applySwap(
  d: Float64Array,
  n: number,
  a: number,
  b: number,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): void {
  const k = fixed.length;
  const p0 = runLog2(fixed[0]);
  const len = 2 << p0;
  const offA = 2 << a;
  const offB = 2 << b;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let r = b0; r < bEnd; r++) {
      const start = 2 * runStart(r, p0, fixed, k, setMask);
      const end = start + len;
      for (let p = start; p < end; p += 2) {
        const i = p + offA;
        const j = p + offB;
        const xr = d[i],
          xi = d[i + 1];
        d[i] = d[j];
        d[i + 1] = d[j + 1];
        d[j] = xr;
        d[j + 1] = xi;
      }
    }
    aborted(abort);
  }
}

/** Multiplies every amplitude by (c + i s). */
export function applyScale(d: Float64Array, c: number, s: number, abort: AbortLike | null): void {
  const E = d.length;
  for (let ch = 0; ch < E; ch += CHECK_DOUBLES) {
    const end = Math.min(E, ch + CHECK_DOUBLES);
    for (let p = ch; p < end; p += 2) {
      const xr = d[p],
        xi = d[p + 1];
      d[p] = c * xr - s * xi;
      d[p + 1] = c * xi + s * xr;
    }
    aborted(abort);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement and expectation values.

/** Lowest fixed bit, or n when there is none (then the whole state is one long run). */
function lowestFixed(fixed: Int32Array, n: number): number {
  return fixed.length > 0 ? fixed[0] : n;
}

/**
 * Sum of |amplitude|^2 over the amplitudes whose `fixed` bits equal `setMask` (all of them when
 * `fixed` is empty).
 */
export function norm2(d: Float64Array, n: number, fixed: Int32Array, setMask: number, abort: AbortLike | null): number {
  let sum = 0;
  const k = fixed.length;
  const p0 = runLog2(lowestFixed(fixed, n));
  const len = 2 << p0;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    let part = 0;
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      for (let p = start; p < end; p += 2) {
        const xr = d[p],
          xi = d[p + 1];
        part += xr * xr + xi * xi;
      }
    }
    sum += part;
    aborted(abort);
  }
  return sum;
}

/**
 * Probabilities that qubit q reads 0 and 1 (unnormalised sums; their total is the norm), summed
 * over the amplitudes whose `fixed` bits (which include q) equal `setMask` (whose bit q is 0).
 */
export function qubitProbabilities(
  d: Float64Array,
  n: number,
  q: number,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): [number, number] {
  let p0sum = 0;
  let p1sum = 0;
  const k = fixed.length;
  const p0 = runLog2(fixed[0]);
  const len = 2 << p0;
  const off = 2 << q;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      for (let p = start; p < end; p += 2) {
        const xr = d[p],
          xi = d[p + 1],
          yr = d[p + off],
          yi = d[p + off + 1];
        p0sum += xr * xr + xi * xi;
        p1sum += yr * yr + yi * yi;
      }
    }
    aborted(abort);
  }
  return [p0sum, p1sum];
}

/**
 * Projects qubit q on `outcome` and renormalises by 1/sqrt(probability). With `reset`, the kept
 * amplitudes move to q = 0 (a reset is a measurement followed by an X when the outcome was 1).
 * Visits the amplitudes whose `fixed` bits (which include q) equal `setMask` (bit q 0): the others
 * are zero.
 */
export function collapse(
  d: Float64Array,
  n: number,
  q: number,
  outcome: 0 | 1,
  probability: number,
  reset: boolean,
  fixed: Int32Array,
  setMask: number,
  abort: AbortLike | null,
): void {
  const scale = 1 / Math.sqrt(probability);
  const k = fixed.length;
  const p0 = runLog2(fixed[0]);
  const len = 2 << p0;
  const off = 2 << q;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  const move = reset && outcome === 1;
  const keepOff = outcome === 1 ? off : 0;
  const dropOff = outcome === 1 ? 0 : off;
  for (let b0 = 0; b0 < total; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd; b++) {
      const start = 2 * runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      if (move) {
        for (let p = start; p < end; p += 2) {
          d[p] = d[p + off] * scale;
          d[p + 1] = d[p + off + 1] * scale;
          d[p + off] = 0;
          d[p + off + 1] = 0;
        }
      } else {
        for (let p = start; p < end; p += 2) {
          d[p + keepOff] *= scale;
          d[p + keepOff + 1] *= scale;
          d[p + dropOff] = 0;
          d[p + dropOff + 1] = 0;
        }
      }
    }
    aborted(abort);
  }
}

/**
 * Draws `shots` basis states from |amplitude|^2 over the amplitudes whose `fixed` bits equal
 * `setMask`, without allocating anything of the state's size: the shots' uniform numbers (scaled
 * by the norm `total`) are sorted, and one pass over the amplitudes walks the cumulative
 * distribution alongside them (inverse-CDF sampling, O(2^n + shots log shots)).
 * `uniforms` must be sorted ascending, in [0, total). Returns basis index -> number of shots.
 */
export function sampleSorted(
  d: Float64Array,
  n: number,
  fixed: Int32Array,
  setMask: number,
  uniforms: Float64Array,
  abort: AbortLike | null,
): Map<number, number> {
  const counts = new Map<number, number>();
  const shots = uniforms.length;
  const k = fixed.length;
  const p0 = runLog2(lowestFixed(fixed, n));
  const len = 1 << p0;
  const total = runs(n, k, p0);
  const chunk = runsPerCheck(p0);
  let acc = 0;
  let s = 0;
  let last = -1;
  for (let b0 = 0; b0 < total && s < shots; b0 += chunk) {
    const bEnd = Math.min(total, b0 + chunk);
    for (let b = b0; b < bEnd && s < shots; b++) {
      const start = runStart(b, p0, fixed, k, setMask);
      const end = start + len;
      for (let i = start; i < end; i++) {
        const xr = d[2 * i],
          xi = d[2 * i + 1];
        const p = xr * xr + xi * xi;
        if (p === 0) continue;
        acc += p;
        last = i;
        if (uniforms[s] < acc) {
          let c = 0;
          while (s < shots && uniforms[s] < acc) {
            s++;
            c++;
          }
          counts.set(i, c);
          if (s === shots) break;
        }
      }
    }
    aborted(abort);
  }
  // Rounding can leave the last few numbers above the accumulated total: they go to the last basis
  // state with a non-zero probability.
  if (s < shots && last >= 0) counts.set(last, (counts.get(last) ?? 0) + (shots - s));
  return counts;
}

/**
 * sum_i conj(psi[i ^ x]) * (-1)^popcount(i & z) * psi[i], as [re, im]. For a Pauli string
 * P = i^nY * X^x Z^z (bitmasks: x = positions with X or Y, z = positions with Z or Y), <P> is
 * i^nY times this.
 */
export function pauliSum(d: Float64Array, n: number, x: number, z: number, abort: AbortLike | null): [number, number] {
  let re = 0;
  let im = 0;
  const N = 2 ** n;
  const chunk = 2 ** CHECK_AMPS_LOG2;
  for (let ch = 0; ch < N; ch += chunk) {
    const end = Math.min(N, ch + chunk);
    for (let i = ch; i < end; i++) {
      let v = i & z;
      v ^= v >>> 16;
      v ^= v >>> 8;
      v ^= v >>> 4;
      const sign = 1 - 2 * ((0x6996 >>> (v & 0xf)) & 1);
      const j = i ^ x;
      const ar = d[2 * j],
        ai = -d[2 * j + 1];
      const br = d[2 * i],
        bi = d[2 * i + 1];
      re += sign * (ar * br - ai * bi);
      im += sign * (ar * bi + ai * br);
    }
    aborted(abort);
  }
  return [re, im];
}

/** A state vector of `numQubits` qubits, allocated after a memory check and set to |0...0>. */
export class StateVector {
  readonly data: Float64Array;

  constructor(
    readonly numQubits: number,
    maxMemoryBytes?: number,
  ) {
    if (!Number.isInteger(numQubits) || numQubits < 0 || numQubits > HARD_MAX_QUBITS) {
      throw new SimulationLimitError(`cannot simulate ${numQubits} qubits (at most ${HARD_MAX_QUBITS})`);
    }
    checkMemory(numQubits, 1, maxMemoryBytes);
    this.data = allocate(numQubits);
    this.data[0] = 1;
  }

  get length(): number {
    return 2 ** this.numQubits;
  }

  copyFrom(other: StateVector): void {
    this.data.set(other.data);
  }

  /** Amplitude i as [re, im]. */
  amplitude(i: number): [number, number] {
    return [this.data[2 * i], this.data[2 * i + 1]];
  }
}
