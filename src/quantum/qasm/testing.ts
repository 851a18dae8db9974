import type { Circuit, Op } from '../circuit/circuit';

/**
 * A tiny dense reference simulator over the circuit IR, for tests only: unitaries of small
 * circuits and single runs with chosen measurement outcomes. Bit 0 is the least significant.
 */

export interface State {
  n: number;
  re: Float64Array;
  im: Float64Array;
}

export function basisState(n: number, index = 0): State {
  const re = new Float64Array(1 << n);
  const im = new Float64Array(1 << n);
  re[index] = 1;
  return { n, re, im };
}

function controlsHold(i: number, controls: number[], states?: (0 | 1)[]): boolean {
  for (let k = 0; k < controls.length; k++) {
    const want = states ? states[k] : 1;
    if (((i >> controls[k]) & 1) !== want) return false;
  }
  return true;
}

/** Applies a unitary op (gate, swap, gphase, barrier) to a state in place. */
export function applyUnitaryOp(st: State, op: Op): void {
  const { re, im } = st;
  const dim = re.length;
  switch (op.kind) {
    case 'gate': {
      const m = op.matrix;
      const bit = 1 << op.target;
      for (let i = 0; i < dim; i++) {
        if (i & bit || !controlsHold(i, op.controls, op.controlStates)) continue;
        const j = i | bit;
        const ar = re[i];
        const ai = im[i];
        const br = re[j];
        const bi = im[j];
        re[i] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;
        im[i] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;
        re[j] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;
        im[j] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;
      }
      return;
    }
    case 'swap': {
      const a = 1 << op.a;
      const b = 1 << op.b;
      for (let i = 0; i < dim; i++) {
        if (!(i & a) || i & b || !controlsHold(i, op.controls, op.controlStates)) continue;
        const j = (i & ~a) | b;
        [re[i], re[j]] = [re[j], re[i]];
        [im[i], im[j]] = [im[j], im[i]];
      }
      return;
    }
    case 'gphase': {
      const c = Math.cos(op.theta);
      const s = Math.sin(op.theta);
      for (let i = 0; i < dim; i++) {
        const r = re[i];
        re[i] = r * c - im[i] * s;
        im[i] = r * s + im[i] * c;
      }
      return;
    }
    case 'barrier':
      return;
    default:
      throw new Error(`not a unitary op: ${op.kind}`);
  }
}

/** Full unitary of a circuit without measurements: column k is the image of basis state k. */
export function unitaryOf(c: Circuit | Op[], n?: number): State[] {
  const ops = Array.isArray(c) ? c : c.ops;
  const qubits = n ?? (Array.isArray(c) ? 0 : c.numQubits);
  const cols: State[] = [];
  for (let k = 0; k < 1 << qubits; k++) {
    const st = basisState(qubits, k);
    for (const op of ops) applyUnitaryOp(st, op);
    cols.push(st);
  }
  return cols;
}

/** Largest absolute difference between two unitaries. */
export function unitaryDistance(a: State[], b: State[]): number {
  let d = 0;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].re.length; i++) {
      d = Math.max(d, Math.hypot(a[k].re[i] - b[k].re[i], a[k].im[i] - b[k].im[i]));
    }
  }
  return d;
}

/** A dense matrix given as rows of [re, im] pairs, as a list of columns. */
export function fromRows(rows: [number, number][][]): State[] {
  const dim = rows.length;
  const n = Math.log2(dim);
  const cols: State[] = [];
  for (let k = 0; k < dim; k++) {
    const st: State = { n, re: new Float64Array(dim), im: new Float64Array(dim) };
    for (let i = 0; i < dim; i++) {
      st.re[i] = rows[i][k][0];
      st.im[i] = rows[i][k][1];
    }
    cols.push(st);
  }
  return cols;
}

export interface Run {
  state: State;
  clbits: number[];
}

/**
 * Runs a circuit once from |0...0>. `pick(qubit, p1)` chooses each measurement outcome (default:
 * the more likely one, 0 on a tie); it must not choose an outcome of probability 0.
 */
export function run(c: Circuit, pick: (qubit: number, p1: number) => 0 | 1 = (_q, p1) => (p1 > 0.5 ? 1 : 0)): Run {
  const state = basisState(c.numQubits);
  const clbits = new Array<number>(c.numClbits).fill(0);
  const measure = (q: number): 0 | 1 => {
    const bit = 1 << q;
    let p1 = 0;
    for (let i = 0; i < state.re.length; i++) if (i & bit) p1 += state.re[i] ** 2 + state.im[i] ** 2;
    const outcome = pick(q, p1);
    const p = outcome ? p1 : 1 - p1;
    if (p < 1e-12) throw new Error(`impossible outcome ${outcome} on qubit ${q}`);
    const norm = 1 / Math.sqrt(p);
    for (let i = 0; i < state.re.length; i++) {
      if (((i & bit) !== 0) === (outcome === 1)) {
        state.re[i] *= norm;
        state.im[i] *= norm;
      } else {
        state.re[i] = 0;
        state.im[i] = 0;
      }
    }
    return outcome;
  };
  const exec = (ops: Op[]) => {
    for (const op of ops) {
      switch (op.kind) {
        case 'measure':
          clbits[op.clbit] = measure(op.qubit);
          break;
        case 'reset':
          if (measure(op.qubit))
            applyUnitaryOp(state, {
              kind: 'gate',
              name: 'x',
              target: op.qubit,
              matrix: [0, 0, 1, 0, 1, 0, 0, 0],
              controls: [],
            });
          break;
        case 'if': {
          const v = op.clbits.reduce((acc, b, i) => acc + clbits[b] * 2 ** i, 0);
          if (v === op.value) exec(op.body);
          break;
        }
        default:
          applyUnitaryOp(state, op);
      }
    }
  };
  exec(c.ops);
  return { state, clbits };
}
