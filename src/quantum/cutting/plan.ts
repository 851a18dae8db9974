import { isDynamic, type Circuit, type Op } from '../circuit/circuit';
import { measurementsAreTerminal } from '../simulator/program';
import { Rng } from '../simulator/random';

/**
 * Wire cutting, step 1: where to cut. A circuit's qubit wires are cut between their multi-qubit
 * gates so that the circuit falls apart into fragments of at most `width` qubits each; a wire cut
 * in a fragment is one qubit of it (the segment of the wire up to the cut, or from it on).
 *
 * The search assigns every multi-qubit operation a fragment (a label). Along a wire, a change of
 * label between two consecutive multi-qubit operations is a cut; a fragment's width is the number
 * of wire segments it holds. The cost of a plan is its number of sub-experiments (see
 * {@link subexperimentsOf}), then its number of cuts. Candidates: a greedy pass in time order (a
 * gate joins the fragment of one of its wires when it fits, else opens a new one), tried with
 * random tie-breaks, and blocks of consecutive qubits; each improved by moving single operations
 * to a neighbour's fragment (or a new one) while that lowers the cost. Deterministic (a fixed seed).
 */

/** Most sub-experiments (fragment variants) a cut may need; a plan above it is refused (CutError). */
export const MAX_CUT_SUBEXPERIMENTS = 4096;

/**
 * Most terms x entries of the recombination: 4^cuts Pauli terms, each a product over the 2^m
 * outcomes of the m measured qubits. Above it the plan is refused (CutError).
 */
export const MAX_RECOMBINATION_WORK = 2 ** 28;

/**
 * Most measured qubits of a cut circuit: the recombination holds distributions over all of them
 * (2^20 entries, 8 MiB a copy). An ESTIMATOR job measures the qubits its observable acts on.
 */
export const MAX_CUT_MEASURED_QUBITS = 20;

/**
 * Most numbers the recombination may hold at once (the fragments' variant distributions and Pauli
 * terms): 2^24, 128 MiB of doubles.
 */
export const MAX_CUT_HELD_ENTRIES = 2 ** 24;

/** Wire entries the plan search may visit (a few seconds of work at most). */
const SEARCH_BUDGET = 30_000_000;

export type CutErrorReason =
  | 'too-many-subexperiments'
  | 'recombination-too-large'
  | 'gate-wider-than-width'
  | 'unsupported-circuit'
  | 'too-many-measured-qubits'
  | 'bad-width';

/** The circuit cannot be cut as asked; `reason` says why. Survives the trip through a pool thread. */
export class CutError extends Error {
  override readonly name = 'CutError';
  constructor(
    message: string,
    readonly reason: CutErrorReason,
    readonly subexperiments?: number,
    readonly limit?: number,
  ) {
    super(message);
  }
}

/** A wire cut: qubit `qubit`'s segment `from` (in fragment `fromFragment`) continues as segment `from + 1`. */
export interface WireCut {
  qubit: number;
  /** Segment index along the wire before the cut (the one after is `from + 1`). */
  from: number;
  fromFragment: number;
  toFragment: number;
  /** Local qubit of the wire in the fragment before the cut (measured there) and after it (prepared there). */
  fromLocal: number;
  toLocal: number;
}

/** One fragment: a circuit of at most `width` qubits, with its incoming and outgoing cuts. */
export interface Fragment {
  /** Local qubit i is segment `segments[i]` of wire `qubits[i]`. */
  qubits: number[];
  segments: number[];
  /** The fragment's gates on its local qubits, in the original order (no measurements). */
  ops: Op[];
  /** Indices (into CutPlan.cuts) of the cuts it prepares a state for, and of those it measures. */
  inCuts: number[];
  outCuts: number[];
  /** Measured qubits whose last segment is here: `global` qubit is local qubit `local`. */
  outputs: { global: number; local: number }[];
}

export interface CutPlan {
  width: number;
  numQubits: number;
  cuts: WireCut[];
  fragments: Fragment[];
  /** Sum over fragments of 4^(incoming cuts) x 3^(outgoing cuts). */
  subexperiments: number;
  /** The measured qubits in output order: fragment 0's outputs first (least significant bits), then fragment 1's, ... */
  outputs: number[];
}

export interface PlanOptions {
  /** Default MAX_CUT_SUBEXPERIMENTS. */
  maxSubexperiments?: number;
  /** Default MAX_RECOMBINATION_WORK. */
  maxRecombinationWork?: number;
  /** Default MAX_CUT_HELD_ENTRIES. */
  maxHeldEntries?: number;
  /** Random restarts of the search (default 24). */
  restarts?: number;
}

/** A summary of a plan, as meta and admission report it. */
export interface CutSummary {
  width: number;
  cuts: number;
  fragments: number;
  fragmentWidths: number[];
  subexperiments: number;
}

export function summarize(plan: CutPlan): CutSummary {
  return {
    width: plan.width,
    cuts: plan.cuts.length,
    fragments: plan.fragments.length,
    fragmentWidths: plan.fragments.map((f) => f.qubits.length),
    subexperiments: plan.subexperiments,
  };
}

/** Sub-experiments of fragments with these numbers of incoming and outgoing cuts. */
export function subexperimentsOf(fragments: readonly { inCuts: number; outCuts: number }[]): number {
  let s = 0;
  for (const f of fragments) s += 4 ** f.inCuts * 3 ** f.outCuts;
  return s;
}

function qubitsOf(op: Op): number[] {
  switch (op.kind) {
    case 'gate':
      return [...op.controls, op.target];
    case 'swap':
      return [...op.controls, op.a, op.b];
    default:
      return [];
  }
}

/** Why a circuit cannot be cut by wire cuts here, or null. */
function unsupported(circuit: Circuit): string | null {
  if (isDynamic(circuit.ops) || !measurementsAreTerminal(circuit.ops)) {
    return 'circuit cutting takes circuits whose measurements are all at the end (no mid-circuit measurement, reset, conditional or classical computation)';
  }
  return null;
}

interface Evaluation {
  /** Sum over fragments of the segments beyond the width (0 when feasible). */
  overflow: number;
  subexperiments: number;
  cuts: number;
}

/**
 * Plans wire cuts so that every fragment has at most `width` qubits. Throws CutError when the
 * circuit is not supported, a gate spans more than `width` qubits, or the best plan found needs
 * more than `maxSubexperiments` sub-experiments (or a recombination above `maxRecombinationWork`).
 */
export function planCuts(circuit: Circuit, width: number, opts: PlanOptions = {}): CutPlan {
  const maxSub = opts.maxSubexperiments ?? MAX_CUT_SUBEXPERIMENTS;
  const maxWork = opts.maxRecombinationWork ?? MAX_RECOMBINATION_WORK;
  if (!Number.isInteger(width) || width < 1)
    throw new CutError(`the width must be an integer >= 1; got ${width}`, 'bad-width');
  const why = unsupported(circuit);
  if (why) throw new CutError(why, 'unsupported-circuit');
  const n = circuit.numQubits;

  // Multi-qubit operations and, per wire, their order.
  const multi: { index: number; qubits: number[] }[] = [];
  circuit.ops.forEach((op, index) => {
    const qs = qubitsOf(op);
    if (qs.length >= 2) {
      if (qs.length > width) {
        throw new CutError(
          `an operation (${op.kind === 'gate' ? op.name : 'swap'}) acts on ${qs.length} qubits at once, more than the width ${width}: wire cuts cannot split it`,
          'gate-wider-than-width',
        );
      }
      multi.push({ index, qubits: qs });
    }
  });
  const wires: number[][] = Array.from({ length: n }, () => []);
  multi.forEach((m, j) => m.qubits.forEach((q) => wires[q].push(j)));

  // The search's effort is bounded (in wire entries visited), so that a large circuit is planned in
  // seconds at most: the candidates are tried in order until the budget is spent.
  const entries = multi.reduce((s, m) => s + m.qubits.length, 0) + n;
  let work = 0;
  const spent = () => work > SEARCH_BUDGET;
  // Labels: the greedy's are below m, the blocks' at most n; `improve` opens fresh ones up to the bound.
  const maxLabels = 2 * multi.length + n + 2;
  const widths = new Int32Array(maxLabels);
  const ins = new Int32Array(maxLabels);
  const outs = new Int32Array(maxLabels);
  const touched: number[] = [];
  const evaluate = (labels: Int32Array): Evaluation => {
    work += entries;
    let cuts = 0;
    for (const seq of wires) {
      let prev = -1;
      for (const j of seq) {
        const l = labels[j];
        if (l !== prev) {
          if (widths[l]++ === 0) touched.push(l);
          if (prev >= 0) {
            cuts++;
            outs[prev]++;
            ins[l]++;
          }
          prev = l;
        }
      }
    }
    let overflow = 0;
    let subexperiments = 0;
    for (const l of touched) {
      overflow += Math.max(0, widths[l] - width);
      subexperiments += 4 ** ins[l] * 3 ** outs[l];
      widths[l] = ins[l] = outs[l] = 0;
    }
    touched.length = 0;
    return { overflow, subexperiments, cuts };
  };
  const better = (a: Evaluation, b: Evaluation) =>
    a.overflow !== b.overflow
      ? a.overflow < b.overflow
      : a.subexperiments !== b.subexperiments
        ? a.subexperiments < b.subexperiments
        : a.cuts < b.cuts;

  const greedy = (rng: Rng | null): Int32Array => {
    const labels = new Int32Array(multi.length);
    const current = new Int32Array(n).fill(-1);
    const widths: number[] = [];
    multi.forEach((m, j) => {
      const qs = m.qubits;
      let best = -1;
      let bestCuts = Infinity;
      let bestTie = 0;
      // The candidates: the fragments its wires are in (each once). No allocation per gate.
      for (let i = 0; i < qs.length; i++) {
        const l = current[qs[i]];
        if (l < 0) continue;
        let seen = false;
        for (let k = 0; k < i && !seen; k++) seen = current[qs[k]] === l;
        if (seen) continue;
        let segs = 0;
        let cuts = 0;
        for (const q of m.qubits) {
          if (current[q] !== l) {
            segs++;
            if (current[q] >= 0) cuts++;
          }
        }
        if (widths[l] + segs > width) continue;
        const tie = rng ? rng.next() : -widths[l];
        if (cuts < bestCuts || (cuts === bestCuts && tie < bestTie)) {
          best = l;
          bestCuts = cuts;
          bestTie = tie;
        }
      }
      if (best < 0) {
        best = widths.length;
        widths.push(0);
      }
      for (const q of m.qubits) {
        if (current[q] !== best) {
          widths[best]++;
          current[q] = best;
        }
      }
      labels[j] = best;
    });
    return labels;
  };

  const blocks = (size: number, shift: number): Int32Array => {
    const labels = new Int32Array(multi.length);
    const blockOf = (q: number) => Math.floor((q + shift) / size);
    multi.forEach((m, j) => {
      // The block most of its qubits are in (the target's on a tie).
      const qs = m.qubits;
      const votesFor = (b: number) => {
        let v = 0;
        for (const q of qs) if (blockOf(q) === b) v++;
        return v;
      };
      let best = blockOf(qs[qs.length - 1]);
      let bestVotes = votesFor(best);
      for (const q of qs) {
        const v = votesFor(blockOf(q));
        if (v > bestVotes) {
          best = blockOf(q);
          bestVotes = v;
        }
      }
      labels[j] = best;
    });
    return labels;
  };

  const improve = (labels: Int32Array): { labels: Int32Array; score: Evaluation } => {
    let score = evaluate(labels);
    let fresh = maxOf(labels, -1) + 1;
    for (let sweep = 0; sweep < 50 && !spent(); sweep++) {
      let changed = false;
      for (let j = 0; j < multi.length && !spent(); j++) {
        const options = new Set<number>(fresh < maxLabels ? [fresh] : []);
        for (const q of multi[j].qubits) {
          const seq = wires[q];
          const at = seq.indexOf(j);
          if (at > 0) options.add(labels[seq[at - 1]]);
          if (at < seq.length - 1) options.add(labels[seq[at + 1]]);
        }
        const own = labels[j];
        for (const l of options) {
          if (l === own) continue;
          labels[j] = l;
          const s = evaluate(labels);
          if (better(s, score)) {
            score = s;
            changed = true;
            if (l === fresh) fresh++;
            break;
          }
          labels[j] = own;
        }
      }
      if (!changed) break;
    }
    return { labels, score };
  };

  let best = improve(greedy(null));
  const consider = (candidate: () => Int32Array) => {
    if (spent()) return;
    const c = improve(candidate());
    if (better(c.score, best.score)) best = c;
  };
  for (let size = width; size >= Math.max(1, width - 1); size--) {
    for (let shift = 0; shift < size; shift++) consider(() => blocks(size, shift));
  }
  const rng = new Rng(0x5eed);
  const restarts = opts.restarts ?? 24;
  for (let r = 0; r < restarts; r++) consider(() => greedy(rng));

  if (best.score.overflow > 0) {
    throw new CutError(
      `no wire cut found that leaves every fragment at most ${width} qubits wide`,
      'gate-wider-than-width',
    );
  }
  const plan = build(circuit, width, multi, wires, best.labels);
  if (plan.outputs.length > MAX_CUT_MEASURED_QUBITS) {
    throw new CutError(
      `a cut circuit may measure at most ${MAX_CUT_MEASURED_QUBITS} qubits (the recombined distribution covers them all); this one measures ${plan.outputs.length}`,
      'too-many-measured-qubits',
    );
  }
  if (plan.subexperiments > maxSub) {
    throw new CutError(
      `cutting to width ${width} needs ${plan.subexperiments} sub-experiments (${plan.cuts.length} cuts, ${plan.fragments.length} fragments), more than the limit of ${maxSub}`,
      'too-many-subexperiments',
      plan.subexperiments,
      maxSub,
    );
  }
  const terms = 4 ** plan.cuts.length * 2 ** plan.outputs.length;
  if (terms > maxWork) {
    throw new CutError(
      `recombining ${plan.cuts.length} cuts over ${plan.outputs.length} measured qubits takes 4^${plan.cuts.length} x 2^${plan.outputs.length} terms, more than the limit of ${maxWork}`,
      'recombination-too-large',
    );
  }
  // What the recombination holds at once: every variant's distribution (over the fragment's measured
  // qubits and outgoing cuts) and every Pauli term's tensor (over its measured qubits).
  let held = 0;
  for (const f of plan.fragments) {
    const a = f.inCuts.length;
    const b = f.outCuts.length;
    held += 4 ** a * 3 ** b * 2 ** (f.outputs.length + b) + 4 ** (a + b) * 2 ** f.outputs.length;
  }
  const maxHeld = opts.maxHeldEntries ?? MAX_CUT_HELD_ENTRIES;
  if (held > maxHeld) {
    throw new CutError(
      `recombining this cut would hold ${held} numbers at once (the fragments' distributions and Pauli terms), more than the limit of ${maxHeld}`,
      'recombination-too-large',
    );
  }
  return plan;
}

/** The largest of `xs`, or `empty` (no spread: a circuit may have millions of gates). */
function maxOf(xs: ArrayLike<number>, empty: number): number {
  let m = empty;
  for (let i = 0; i < xs.length; i++) if (xs[i] > m) m = xs[i];
  return m;
}

/** Builds the fragments of a labelling: segments, local qubits, cuts, ops and outputs. */
function build(
  circuit: Circuit,
  width: number,
  multi: { index: number; qubits: number[] }[],
  wires: number[][],
  labels: Int32Array,
): CutPlan {
  const n = circuit.numQubits;
  // Per wire: the label of each segment, and the op index where each segment after the first starts.
  const segLabels: number[][] = [];
  const segStarts: number[][] = [];
  for (let q = 0; q < n; q++) {
    const ls: number[] = [];
    const starts: number[] = [];
    for (const j of wires[q]) {
      const l = labels[j];
      if (ls.length === 0 || ls[ls.length - 1] !== l) {
        ls.push(l);
        starts.push(multi[j].index);
      }
    }
    segLabels.push(ls);
    segStarts.push(starts);
  }
  const measured = new Set<number>();
  for (const op of circuit.ops) if (op.kind === 'measure') measured.add(op.qubit);
  // A wire without multi-qubit operations matters only when measured; it joins a fragment with room.
  const used = [...new Set(labels)];
  const widthOf = new Map<number, number>(used.map((l) => [l, 0]));
  for (const ls of segLabels) for (const l of ls) widthOf.set(l, widthOf.get(l)! + 1);
  let nextLabel = maxOf(used, -1) + 1;
  for (let q = 0; q < n; q++) {
    if (segLabels[q].length > 0 || !measured.has(q)) continue;
    let home = -1;
    for (const [l, w] of widthOf) if (w < width && (home < 0 || w > widthOf.get(home)!)) home = l;
    if (home < 0) {
      home = nextLabel++;
      widthOf.set(home, 0);
    }
    widthOf.set(home, widthOf.get(home)! + 1);
    segLabels[q] = [home];
    segStarts[q] = [0];
  }
  // Fragments in order of first appearance; local qubits in order of (wire, segment).
  const order = new Map<number, number>();
  for (let q = 0; q < n; q++) for (const l of segLabels[q]) if (!order.has(l)) order.set(l, order.size);
  const fragments: Fragment[] = [...order.keys()].map(() => ({
    qubits: [],
    segments: [],
    ops: [],
    inCuts: [],
    outCuts: [],
    outputs: [],
  }));
  const localOf: number[][] = [];
  for (let q = 0; q < n; q++) {
    localOf.push(
      segLabels[q].map((l, s) => {
        const f = fragments[order.get(l)!];
        f.qubits.push(q);
        f.segments.push(s);
        return f.qubits.length - 1;
      }),
    );
  }
  const cuts: WireCut[] = [];
  for (let q = 0; q < n; q++) {
    for (let s = 0; s + 1 < segLabels[q].length; s++) {
      const from = order.get(segLabels[q][s])!;
      const to = order.get(segLabels[q][s + 1])!;
      fragments[from].outCuts.push(cuts.length);
      fragments[to].inCuts.push(cuts.length);
      cuts.push({
        qubit: q,
        from: s,
        fromFragment: from,
        toFragment: to,
        fromLocal: localOf[q][s],
        toLocal: localOf[q][s + 1],
      });
    }
  }
  // The segment of wire q at op index t: the last segment that starts at or before t. Ops are visited
  // in order, so each wire's segment only moves forward.
  const current = new Int32Array(n);
  const segmentAt = (q: number, t: number): number => {
    const starts = segStarts[q];
    let s = current[q];
    while (s + 1 < starts.length && starts[s + 1] <= t) s++;
    current[q] = s;
    return s;
  };
  circuit.ops.forEach((op, t) => {
    const qs = qubitsOf(op);
    if (qs.length === 0) return; // measurements (outputs, below), barriers, global phases
    if (qs.some((q) => segLabels[q].length === 0)) return; // an unmeasured wire of single-qubit gates: no effect
    const segs = qs.map((q) => segmentAt(q, t));
    const f = order.get(segLabels[qs[0]][segs[0]])!;
    const local = (q: number) => localOf[q][segmentAt(q, t)];
    if (op.kind === 'gate') {
      fragments[f].ops.push({ ...op, target: local(op.target), controls: op.controls.map(local) });
    } else if (op.kind === 'swap') {
      fragments[f].ops.push({ ...op, a: local(op.a), b: local(op.b), controls: op.controls.map(local) });
    }
  });
  const outputs: number[] = [];
  fragments.forEach((f) => {
    f.qubits.forEach((q, local) => {
      if (measured.has(q) && f.segments[local] === segLabels[q].length - 1) {
        f.outputs.push({ global: q, local });
      }
    });
    for (const o of f.outputs) outputs.push(o.global);
  });
  const subexperiments = subexperimentsOf(
    fragments.map((f) => ({ inCuts: f.inCuts.length, outCuts: f.outCuts.length })),
  );
  return { width, numQubits: n, cuts, fragments, subexperiments, outputs };
}
