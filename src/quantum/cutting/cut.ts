import type { Circuit, Op } from '../circuit/circuit';
import { H, SDG } from '../circuit/gates';
import { SimulationAbortedError } from '../simulator/errors';
import { clbitSources, hasMeasurement } from '../simulator/program';
import { Rng, randomSeed, sortedUniforms } from '../simulator/random';
import { checkRunSettings, formatOutcomes, parseObservables, simulate } from '../simulator/simulate';
import type { SimulateOptions, SimulationRequest, SimulationResult } from '../simulator/types';
import { CutError, planCuts, summarize, type CutPlan, type CutSummary, type PlanOptions } from './plan';
import { recombine, runFragments } from './recombine';

/** How a circuit is cut and its fragments run. */
export interface CutOptions extends PlanOptions {
  /** Widest fragment, in qubits (integer >= 1). A circuit no wider runs uncut. */
  width: number;
  /**
   * Sample every sub-experiment with this many shots (as a device would) instead of taking its
   * exact distribution from the statevector (the default).
   */
  shotsPerVariant?: number;
}

/** What `meta.cut` of a result says. */
export type CutMeta =
  | { width: number; needed: false; reason: string }
  | (CutSummary & {
      needed: true;
      method: 'wire-cuts';
      /** `exact`: each sub-experiment's distribution from its state vector; `sampled`: shotsPerVariant shots each. */
      fragmentResults: 'exact' | 'sampled';
      shotsPerSubexperiment: number | null;
      /** Sum of the negative quasi-probabilities clipped at 0 (then renormalised); ~0 when exact. */
      negativeMass: number;
      /** Sum of the recombined values before clipping; ~1 when exact. */
      recombinedTotal: number;
      fragmentMs: number;
      recombineMs: number;
    });

export interface CutDistribution {
  plan: CutPlan;
  /** Probability of each clbit value (clbit 0 least significant), only the non-zero ones. */
  distribution: Map<number, number>;
  meta: Extract<CutMeta, { needed: true }>;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Cuts a circuit (whose measurements are all terminal) to fragments of at most `cut.width` qubits,
 * runs every sub-experiment, and recombines the distribution of its clbits. Throws CutError (plan)
 * or SimulationAbortedError.
 */
export function cutDistribution(
  circuit: Circuit,
  cut: CutOptions,
  opts: SimulateOptions & { seed?: number } = {},
): CutDistribution {
  if (circuit.numClbits > 30) {
    throw new CutError(
      `circuit cutting handles at most 30 classical bits; the circuit has ${circuit.numClbits}`,
      'unsupported-circuit',
    );
  }
  const plan = planCuts(circuit, cut.width, cut);
  const t0 = performance.now();
  const results = runFragments(plan, {
    shotsPerVariant: cut.shotsPerVariant,
    seed: opts.seed,
    signal: opts.signal,
    onProgress: opts.onProgress ? (f) => opts.onProgress!(0.95 * f) : undefined,
  });
  const t1 = performance.now();
  const rec = recombine(plan, results, opts.signal);
  const src = clbitSources(circuit);
  const position = new Map(plan.outputs.map((q, i) => [q, i]));
  const distribution = new Map<number, number>();
  rec.probabilities.forEach((p, x) => {
    if (p <= 0) return;
    let key = 0;
    for (let c = 0; c < src.length; c++) {
      if (src[c] >= 0) key += ((x >>> position.get(src[c])!) & 1) * 2 ** c;
    }
    distribution.set(key, (distribution.get(key) ?? 0) + p);
  });
  const t2 = performance.now();
  return {
    plan,
    distribution,
    meta: {
      ...summarize(plan),
      needed: true,
      method: 'wire-cuts',
      fragmentResults: cut.shotsPerVariant === undefined ? 'exact' : 'sampled',
      shotsPerSubexperiment: cut.shotsPerVariant ?? null,
      negativeMass: rec.negativeMass,
      recombinedTotal: rec.total,
      fragmentMs: round3(t1 - t0),
      recombineMs: round3(t2 - t1),
    },
  };
}

/**
 * The plan of the largest cut a job needs: of the circuit itself, or (for an ESTIMATOR job's
 * observables) of the circuit measured in each observable's basis. Observables that are the identity
 * or do not fit the circuit are left out (the run reports those). Null when the circuit is no wider
 * than the width. Throws CutError as planCuts does.
 */
export function planForJob(
  circuit: Circuit,
  width: number,
  opts: PlanOptions & { observables?: string[] } = {},
): CutSummary | null {
  if (circuit.numQubits <= width) return null;
  const paulis = [...new Set((opts.observables ?? []).map((p) => String(p).toUpperCase()))].filter(
    (p) => p.length === circuit.numQubits && /^[IXYZ]*$/.test(p) && /[XYZ]/.test(p),
  );
  if (opts.observables === undefined) return summarize(planCuts(circuit, width, opts));
  let largest: CutSummary | null = null;
  for (const p of paulis) {
    const s = summarize(planCuts(observableCircuit(circuit, p), width, opts));
    if (largest === null || s.subexperiments > largest.subexperiments) largest = s;
  }
  return largest;
}

/** `shots` draws from a distribution over clbit values, as '0'/'1' strings (clbit 0 first) -> count. */
function sample(distribution: Map<number, number>, numClbits: number, shots: number, rng: Rng): Map<string, number> {
  const entries = [...distribution.entries()].sort(([a], [b]) => a - b);
  let total = 0;
  for (const [, p] of entries) total += p;
  const u = sortedUniforms(rng, shots, total);
  const counts = new Map<string, number>();
  const bits = (key: number) => {
    let s = '';
    for (let c = 0; c < numClbits; c++) s += Math.floor(key / 2 ** c) % 2 === 1 ? '1' : '0';
    return s;
  };
  let acc = 0;
  let s = 0;
  for (const [key, p] of entries) {
    acc += p;
    let c = 0;
    while (s < shots && u[s] < acc) {
      s++;
      c++;
    }
    if (c > 0) counts.set(bits(key), c);
  }
  if (s < shots && entries.length > 0) {
    const last = bits(entries[entries.length - 1][0]);
    counts.set(last, (counts.get(last) ?? 0) + shots - s);
  }
  return counts;
}

/**
 * A simulation request run through circuit cutting: the results have the shapes `simulate` gives,
 * with `meta.cut` (CutMeta). A circuit no wider than `cut.width` is simulated uncut (`needed:
 * false`). RUNNER and SAMPLER draw the request's shots from the recombined distribution (as the
 * uncut simulator draws them from the final state's); ESTIMATOR cuts the circuit once per
 * observable, measured in the observable's basis, and answers the recombined expectation value.
 * The fragments must fit `req.maxQubits`; the whole circuit need not.
 */
export function simulateCut(req: SimulationRequest, cut: CutOptions, opts: SimulateOptions = {}): SimulationResult[] {
  const t0 = performance.now();
  checkRunSettings(req);
  const { circuit } = req;
  if (!Number.isInteger(cut.width) || cut.width < 1)
    throw new CutError(`the width must be an integer >= 1; got ${cut.width}`, 'bad-width');
  if (cut.width > req.maxQubits) {
    throw new CutError(`the width ${cut.width} is more than the ${req.maxQubits} qubits of the device`, 'bad-width');
  }
  if (circuit.numQubits <= cut.width) {
    const results = simulate(req, opts);
    const meta: CutMeta = {
      width: cut.width,
      needed: false,
      reason: `the circuit has ${circuit.numQubits} qubits, no more than the width`,
    };
    for (const r of results) (r.meta as Record<string, unknown>).cut = meta;
    return results;
  }
  if (opts.signal?.aborted) throw new SimulationAbortedError();
  const seed = req.seed ?? randomSeed();
  const elapsed = () => round3(performance.now() - t0);

  if (req.type === 'ESTIMATOR') {
    const parsed = parseObservables(req.observables, circuit.numQubits);
    return parsed.map(({ pauli, coefficient }, i) => {
      const measured = observableCircuit(circuit, pauli);
      let ev = 1;
      let cutMeta: CutMeta = { width: cut.width, needed: false, reason: 'the observable is the identity' };
      if (measured.numClbits > 0) {
        const r = cutDistribution(
          measured,
          { ...cut, shotsPerVariant: cut.shotsPerVariant },
          {
            seed,
            signal: opts.signal,
            onProgress: opts.onProgress ? (f) => opts.onProgress!((i + f) / parsed.length) : undefined,
          },
        );
        ev = 0;
        for (const [key, p] of r.distribution) ev += parity(key) ? -p : p;
        ev = Math.max(-1, Math.min(1, ev));
        cutMeta = r.meta;
      }
      // `exact` is false only when the sub-experiments were sampled (shotsPerVariant: benchmarks).
      return {
        resultType: 'VALUE_AND_VARIANCE',
        data: { value: coefficient * ev, variance: coefficient * coefficient * Math.max(0, 1 - ev * ev) },
        meta: {
          observable: pauli,
          coefficient,
          exact: cut.shotsPerVariant === undefined,
          shots: req.shots,
          timeTakenMs: elapsed(),
          cut: cutMeta,
        },
      } as SimulationResult;
    });
  }

  if (!hasMeasurement(circuit.ops)) {
    const results = simulate(req, opts);
    const meta: CutMeta = { width: cut.width, needed: false, reason: 'the circuit measures nothing' };
    for (const r of results) (r.meta as Record<string, unknown>).cut = meta;
    return results;
  }
  const r = cutDistribution(circuit, cut, { seed, signal: opts.signal, onProgress: opts.onProgress });
  const outcomes = sample(r.distribution, circuit.numClbits, req.shots, new Rng(seed));
  opts.onProgress?.(1);
  return formatOutcomes(circuit, req.type === 'SAMPLER' ? 'SAMPLER' : 'RUNNER', req.shots, outcomes, {
    seed,
    timeTakenMs: elapsed(),
    mode: 'sampled-once',
    cut: r.meta,
  }) as SimulationResult[];
}

function parity(key: number): boolean {
  let odd = false;
  for (let k = key; k > 0; k = Math.floor(k / 2)) if (k % 2 === 1) odd = !odd;
  return odd;
}

/**
 * The circuit's gates followed by, on every qubit the Pauli string acts on, a rotation into its
 * basis (X: H; Y: S^dagger then H) and a measurement into clbits 0, 1, ... (qubit order).
 */
export function observableCircuit(circuit: Circuit, pauli: string): Circuit {
  const ops: Op[] = circuit.ops.filter((op) => op.kind !== 'measure');
  let clbit = 0;
  const n = circuit.numQubits;
  for (let q = 0; q < n; q++) {
    const ch = pauli[n - 1 - q];
    if (ch === 'I') continue;
    if (ch === 'Y') ops.push({ kind: 'gate', name: 'sdg', target: q, matrix: SDG, controls: [] });
    if (ch === 'X' || ch === 'Y') ops.push({ kind: 'gate', name: 'h', target: q, matrix: H, controls: [] });
    ops.push({ kind: 'measure', qubit: q, clbit: clbit++ });
  }
  return {
    numQubits: n,
    numClbits: clbit,
    qregs: circuit.qregs,
    cregs: clbit > 0 ? [{ name: 'c', size: clbit, offset: 0 }] : [],
    ops,
  };
}
