/**
 * Why the state vector is one interleaved Float64Array: the same single-qubit kernel on an
 * interleaved array and on two arrays (re, im), timed in the same process.
 */
import { median, time } from './util';

function gateInterleaved(d: Float64Array, n: number, t: number, m: number[]): void {
  const [m0, m1, m2, m3, m4, m5, m6, m7] = m;
  const L = 1 << t;
  const N = 2 ** n;
  for (let base = 0; base < N; base += 2 * L) {
    for (let j = base, e = base + L; j < e; j++) {
      const p = 2 * j;
      const q = 2 * (j + L);
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
}

function gateSplit(re: Float64Array, im: Float64Array, n: number, t: number, m: number[]): void {
  const [m0, m1, m2, m3, m4, m5, m6, m7] = m;
  const L = 1 << t;
  const N = 2 ** n;
  for (let base = 0; base < N; base += 2 * L) {
    for (let j = base, e = base + L; j < e; j++) {
      const q = j + L;
      const ar = re[j],
        ai = im[j],
        br = re[q],
        bi = im[q];
      re[j] = m0 * ar - m1 * ai + m2 * br - m3 * bi;
      im[j] = m0 * ai + m1 * ar + m2 * bi + m3 * br;
      re[q] = m4 * ar - m5 * ai + m6 * br - m7 * bi;
      im[q] = m4 * ai + m5 * ar + m6 * bi + m7 * br;
    }
  }
}

export interface LayoutRow {
  qubits: number;
  target: number;
  interleavedMs: number;
  splitMs: number;
}

export function runLayoutBench(sizes: number[], repeats: number): LayoutRow[] {
  const R = Math.SQRT1_2;
  const H = [R, 0, R, 0, R, 0, -R, 0];
  const rows: LayoutRow[] = [];
  for (const n of sizes) {
    const d = new Float64Array(2 * 2 ** n);
    d[0] = 1;
    const re = new Float64Array(2 ** n);
    const im = new Float64Array(2 ** n);
    re[0] = 1;
    for (const t of [0, 3, 12, n - 1]) {
      gateInterleaved(d, n, t, H); // warm-up
      gateSplit(re, im, n, t, H);
      rows.push({
        qubits: n,
        target: t,
        interleavedMs: median(time(() => gateInterleaved(d, n, t, H), repeats)),
        splitMs: median(time(() => gateSplit(re, im, n, t, H), repeats)),
      });
    }
  }
  return rows;
}
