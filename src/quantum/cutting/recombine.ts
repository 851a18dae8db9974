import type { Circuit, GateOp, Op } from '../circuit/circuit';
import { H, SDG, S, X } from '../circuit/gates';
import { runStatevector } from '../simulator/simulate';
import { Rng } from '../simulator/random';
import { SimulationAbortedError } from '../simulator/errors';
import type { AbortLike } from '../simulator/types';
import type { CutPlan, Fragment } from './plan';

/**
 * Wire cutting, steps 2 and 3: the fragments' sub-experiments, and their recombination.
 *
 * A cut wire carries a state rho; rho = 1/2 sum_{P in I,X,Y,Z} Tr(P rho) P. The fragment before the
 * cut measures the wire in the basis of P (I and Z from the same Z-basis run, so 3 bases), and
 * weighs each outcome by P's eigenvalue (1 for I); the fragment after it starts the wire in a state
 * and P is written over the four states |0>, |1>, |+>, |+i>: I = |0><0| + |1><1|,
 * Z = |0><0| - |1><1|, X = 2|+><+| - |0><0| - |1><1|, Y = 2|+i><+i| - |0><0| - |1><1|.
 * A fragment with a incoming and b outgoing cuts thus has 4^a 3^b variants (its sub-experiments).
 * The distribution of the measured qubits is
 *   p(x) = (1/2)^cuts sum_{P per cut} prod_fragments T_f[P](x_f),
 * where T_f[P](x_f) combines the fragment's variants' distributions with those weights. With exact
 * fragment distributions (a statevector) p is exact up to rounding; with sampled ones it is a
 * quasi-probability (it may have negative entries), which is clipped at 0 and renormalised.
 */

/** The state a cut wire is started in: |0>, |1>, |+>, |+i>. */
const PREPARE: readonly (readonly GateOp[])[] = [
  [],
  [{ kind: 'gate', name: 'x', target: 0, matrix: X, controls: [] }],
  [{ kind: 'gate', name: 'h', target: 0, matrix: H, controls: [] }],
  [
    { kind: 'gate', name: 'h', target: 0, matrix: H, controls: [] },
    { kind: 'gate', name: 's', target: 0, matrix: S, controls: [] },
  ],
];
/** The basis a cut wire is measured in: Z (also for I), X, Y. */
const ROTATE: readonly (readonly GateOp[])[] = [
  [],
  [{ kind: 'gate', name: 'h', target: 0, matrix: H, controls: [] }],
  [
    { kind: 'gate', name: 'sdg', target: 0, matrix: SDG, controls: [] },
    { kind: 'gate', name: 'h', target: 0, matrix: H, controls: [] },
  ],
];
/** Paulis in the order I, X, Y, Z. The measurement basis of each (index into ROTATE). */
const BASIS_OF = [0, 1, 2, 0];
/** The weight of each prepared state (|0>, |1>, |+>, |+i>) in each Pauli (I, X, Y, Z). */
const PREP_WEIGHT = [
  [1, 1, 0, 0],
  [-1, -1, 2, 0],
  [-1, -1, 0, 2],
  [1, -1, 0, 0],
];

const on = (ops: readonly GateOp[], q: number): GateOp[] => ops.map((op) => ({ ...op, target: q }));

/** One variant of a fragment: the states of its incoming cuts and the bases of its outgoing ones. */
export interface Variant {
  /** Per incoming cut (in Fragment.inCuts order): 0 |0>, 1 |1>, 2 |+>, 3 |+i>. */
  states: number[];
  /** Per outgoing cut (in Fragment.outCuts order): 0 Z, 1 X, 2 Y. */
  bases: number[];
}

/** Every variant of a fragment, in a fixed order (states, then bases, each first-cut-fastest). */
export function fragmentVariants(fragment: Fragment): Variant[] {
  const a = fragment.inCuts.length;
  const b = fragment.outCuts.length;
  const out: Variant[] = [];
  for (let i = 0; i < 4 ** a; i++) {
    for (let j = 0; j < 3 ** b; j++) {
      out.push({ states: digits(i, 4, a), bases: digits(j, 3, b) });
    }
  }
  return out;
}

function digits(v: number, base: number, count: number): number[] {
  const d: number[] = [];
  for (let i = 0; i < count; i++) {
    d.push(v % base);
    v = Math.floor(v / base);
  }
  return d;
}

/**
 * The circuit of one variant: the cut wires coming in prepared, the fragment's gates, the cut wires
 * going out rotated into their basis, and a measurement of every observed qubit (outputs first,
 * then outgoing cuts) into clbits 0, 1, ... in that order.
 */
export function variantCircuit(plan: CutPlan, fragment: Fragment, variant: Variant): Circuit {
  const ops: Op[] = [];
  fragment.inCuts.forEach((c, i) => ops.push(...on(PREPARE[variant.states[i]], plan.cuts[c].toLocal)));
  ops.push(...fragment.ops);
  fragment.outCuts.forEach((c, i) => ops.push(...on(ROTATE[variant.bases[i]], plan.cuts[c].fromLocal)));
  const observed = [...fragment.outputs.map((o) => o.local), ...fragment.outCuts.map((c) => plan.cuts[c].fromLocal)];
  observed.forEach((q, clbit) => ops.push({ kind: 'measure', qubit: q, clbit }));
  const w = fragment.qubits.length;
  return {
    numQubits: w,
    numClbits: observed.length,
    qregs: [{ name: 'q', size: w, offset: 0 }],
    cregs: observed.length > 0 ? [{ name: 'c', size: observed.length, offset: 0 }] : [],
    ops,
  };
}

/**
 * The exact distribution of a variant's measured clbits (clbit 0 least significant), from its
 * final state vector.
 */
export function exactDistribution(circuit: Circuit, signal?: AbortLike): Float64Array {
  const state = runStatevector(circuit, { signal });
  // Clbit -> the qubit measured into it (the last measurement wins); a clbit never written reads 0.
  const observed: number[] = [];
  for (const op of circuit.ops) if (op.kind === 'measure') observed[op.clbit] = op.qubit;
  const out = new Float64Array(2 ** observed.length);
  const d = state.data;
  const size = 2 ** circuit.numQubits;
  for (let i = 0; i < size; i++) {
    const p = d[2 * i] * d[2 * i] + d[2 * i + 1] * d[2 * i + 1];
    if (p === 0) continue;
    let key = 0;
    for (let c = 0; c < observed.length; c++) if (observed[c] !== undefined) key |= ((i >>> observed[c]) & 1) << c;
    out[key] += p;
  }
  return out;
}

/** `shots` draws from `p` (which sums to about 1), as relative frequencies (inverse CDF, binary search per shot). */
export function sampleFrequencies(p: Float64Array, shots: number, rng: Rng): Float64Array {
  const cdf = new Float64Array(p.length);
  let acc = 0;
  for (let i = 0; i < p.length; i++) cdf[i] = acc += Math.max(0, p[i]);
  const out = new Float64Array(p.length);
  for (let s = 0; s < shots; s++) {
    const u = rng.next() * acc;
    let lo = 0;
    let hi = p.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    out[lo]++;
  }
  for (let i = 0; i < out.length; i++) out[i] /= shots;
  return out;
}

/** The distributions of every variant of every fragment, in fragmentVariants order. */
export type FragmentResults = Float64Array[][];

export interface RunFragmentsOptions {
  /** Sample each variant with this many shots instead of taking its exact distribution. */
  shotsPerVariant?: number;
  seed?: number;
  signal?: AbortLike;
  /** Fraction of the variants done, 0..1. */
  onProgress?: (fraction: number) => void;
}

/** Runs every sub-experiment of a plan on the statevector simulator (exactly, or sampled). */
export function runFragments(plan: CutPlan, opts: RunFragmentsOptions = {}): FragmentResults {
  const rng = new Rng(opts.seed ?? 0);
  let done = 0;
  return plan.fragments.map((f) =>
    fragmentVariants(f).map((v) => {
      if (opts.signal?.aborted) throw new SimulationAbortedError();
      const exact = exactDistribution(variantCircuit(plan, f, v), opts.signal);
      opts.onProgress?.(++done / plan.subexperiments);
      return opts.shotsPerVariant === undefined ? exact : sampleFrequencies(exact, opts.shotsPerVariant, rng);
    }),
  );
}

/**
 * T_f[P](x) of one fragment for every Pauli assignment P of its cuts: index = in-cut Paulis
 * (base 4, first cut fastest) then out-cut Paulis, each a vector over the fragment's outputs.
 */
function fragmentTensors(fragment: Fragment, results: Float64Array[]): Float64Array[] {
  const a = fragment.inCuts.length;
  const b = fragment.outCuts.length;
  const m = fragment.outputs.length;
  const size = 2 ** m;
  const nb = 3 ** b;
  const tensors: Float64Array[] = [];
  for (let pin = 0; pin < 4 ** a; pin++) {
    const pIn = digits(pin, 4, a);
    for (let pout = 0; pout < 4 ** b; pout++) {
      const pOut = digits(pout, 4, b);
      let basisIndex = 0;
      for (let j = b - 1; j >= 0; j--) basisIndex = basisIndex * 3 + BASIS_OF[pOut[j]];
      const t = new Float64Array(size);
      for (let s = 0; s < 4 ** a; s++) {
        const states = digits(s, 4, a);
        let w = 1;
        for (let i = 0; i < a && w !== 0; i++) w *= PREP_WEIGHT[pIn[i]][states[i]];
        if (w === 0) continue;
        const dist = results[s * nb + basisIndex];
        for (let k = 0; k < dist.length; k++) {
          const v = dist[k];
          if (v === 0) continue;
          // Outcome bits of the outgoing cuts sit above the outputs' m bits.
          let sign = 1;
          for (let j = 0; j < b; j++) if (pOut[j] !== 0 && (k >>> (m + j)) & 1) sign = -sign;
          t[k & (size - 1)] += w * sign * v;
        }
      }
      tensors.push(t);
    }
  }
  return tensors;
}

export interface Recombined {
  /** Over CutPlan.outputs (bit i = outputs[i]): clipped at 0 and renormalised. */
  probabilities: Float64Array;
  /** Sum of the recombined values before clipping (1 up to rounding when exact). */
  total: number;
  /** Sum of the negative values clipped (0 up to rounding when exact). */
  negativeMass: number;
}

/** Contracts the fragments' results into the distribution of the measured qubits (CutPlan.outputs). */
export function recombine(plan: CutPlan, results: FragmentResults, signal?: AbortLike): Recombined {
  const tensors = plan.fragments.map((f, i) => fragmentTensors(f, results[i]));
  const c = plan.cuts.length;
  const assignment = new Int32Array(c).fill(-1);
  const out = new Float64Array(2 ** plan.outputs.length);
  const F = plan.fragments.length;
  // Depth-first over fragments: at fragment i, choose the Paulis of its cuts not chosen yet; the
  // product of the tensors so far is kept per level.
  const visit = (i: number, prefix: Float64Array) => {
    if (i === F) {
      for (let k = 0; k < prefix.length; k++) out[k] += prefix[k];
      return;
    }
    if (signal?.aborted) throw new SimulationAbortedError();
    const f = plan.fragments[i];
    const own = [...f.inCuts, ...f.outCuts].filter((cut) => assignment[cut] < 0);
    for (let choice = 0; choice < 4 ** own.length; choice++) {
      const ds = digits(choice, 4, own.length);
      own.forEach((cut, k) => (assignment[cut] = ds[k]));
      let pin = 0;
      for (let j = f.inCuts.length - 1; j >= 0; j--) pin = pin * 4 + assignment[f.inCuts[j]];
      let pout = 0;
      for (let j = f.outCuts.length - 1; j >= 0; j--) pout = pout * 4 + assignment[f.outCuts[j]];
      const t = tensors[i][pin * 4 ** f.outCuts.length + pout];
      if (t.every((v) => v === 0)) continue;
      const next = new Float64Array(prefix.length * t.length);
      for (let hi = 0; hi < t.length; hi++) {
        const v = t[hi];
        if (v === 0) continue;
        const base = hi * prefix.length;
        for (let lo = 0; lo < prefix.length; lo++) next[base + lo] = prefix[lo] * v;
      }
      visit(i + 1, next);
    }
    own.forEach((cut) => (assignment[cut] = -1));
  };
  visit(0, Float64Array.of(0.5 ** c));
  let total = 0;
  let negativeMass = 0;
  for (let k = 0; k < out.length; k++) {
    total += out[k];
    if (out[k] < 0) {
      negativeMass -= out[k];
      out[k] = 0;
    }
  }
  const kept = total + negativeMass;
  if (kept > 0) for (let k = 0; k < out.length; k++) out[k] /= kept;
  return { probabilities: out, total, negativeMass };
}
