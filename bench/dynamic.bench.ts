/**
 * Dynamic circuits: mid-circuit measurement with classical feedback, run per shot. The same
 * feedback written two ways and timed alternately in one run:
 * - baseline: OpenQASM 2's `if (c[k] == 1) x q[k+1];` (the IR's ConditionalOp on clbits);
 * - dynamic: OpenQASM 3's classical computation: a variable that counts the ones measured so far
 *   (`n += c[k]`) and `if (n % 2 == 1) x q[k+1]; else z q[k+1];` (set, branch with else), plus a
 *   repeat-until-success `while` loop on one qubit.
 * Both start from a layer of rotations on every qubit (no amplitude can be skipped), measure K
 * qubits mid-circuit, then measure all.
 */
import type { Circuit, ClassicalExpr, Op } from '../src/quantum/circuit/circuit';
import * as G from '../src/quantum/circuit/gates';
import { simulate } from '../src/quantum/simulator/simulate';
import type { CountsResult } from '../src/quantum/simulator/types';
import { CircuitBuilder, ghz } from '../src/quantum/simulator/testing/circuits';
import { fmtMs, median, table } from './util';

const SHOTS = 1024;
const FEEDBACK = 4;

function prepared(n: number): CircuitBuilder {
  const b = new CircuitBuilder(n, n);
  for (let q = 0; q < n; q++) b.u3(0.3 + q * 0.1, 0.2 * q, 0.1, q);
  return b;
}

/** `if (c[k] == 1) x q[k+1]` after each of FEEDBACK mid-circuit measurements. */
export function staticFeedback(n: number): Circuit {
  const b = prepared(n);
  for (let k = 0; k < FEEDBACK; k++) {
    b.measure(k, k);
    b.if([k], 1, (i) => i.x(k + 1));
    b.h(k + 1);
  }
  for (let q = 0; q < n; q++) b.measure(q, q);
  return b.build();
}

const num = (v: number): ClassicalExpr => ({ k: 'num', v });
const ones: ClassicalExpr = { k: 'var', index: 0 };

/** The same measurements with a counter variable, if/else on its parity, and a repeat-until-success loop. */
export function dynamicFeedback(n: number): Circuit {
  const b = prepared(n);
  const gate = (name: string, m: G.EulerAngles | readonly number[], q: number): Op => ({
    kind: 'gate',
    name,
    target: q,
    matrix: m as never,
    controls: [],
  });
  for (let k = 0; k < FEEDBACK; k++) {
    b.measure(k, k);
    b.ops.push(
      { kind: 'set', target: { var: 0 }, value: { k: 'binary', op: '+', a: ones, b: { k: 'bit', clbit: k } } },
      {
        kind: 'branch',
        cond: { k: 'binary', op: '==', a: { k: 'binary', op: '%', a: ones, b: num(2) }, b: num(1) },
        then: [gate('x', G.X, k + 1)],
        otherwise: [gate('z', G.Z, k + 1)],
      },
    );
    b.h(k + 1);
  }
  // Repeat until success on the last qubit: h and measure until it reads 1.
  const last = n - 1;
  b.ops.push({
    kind: 'while',
    cond: { k: 'unary', op: '!', a: { k: 'bit', clbit: last } },
    body: [{ kind: 'reset', qubit: last }, gate('h', G.H, last), { kind: 'measure', qubit: last, clbit: last }],
  });
  for (let q = 0; q < n - 1; q++) b.measure(q, q);
  return { ...b.build(), vars: [{ name: 'ones', type: 'int', width: 32 }] };
}

/** GHZ(n) then a repeat-until-success loop on qubit 0 measured into a variable: per-shot mode at full width. */
export function dynamicMemoryCircuit(n: number): Circuit {
  const c = ghz(n, false);
  const ops: Op[] = [
    ...c.ops,
    {
      kind: 'while',
      cond: { k: 'binary', op: '==', a: { k: 'var', index: 0 }, b: num(0) },
      body: [
        { kind: 'reset', qubit: 0 },
        { kind: 'gate', name: 'h', target: 0, matrix: G.H, controls: [] },
        { kind: 'measure-var', qubit: 0, target: { var: 0 } },
      ],
    },
    { kind: 'measure', qubit: 0, clbit: 0 },
  ];
  return { ...c, numClbits: 1, cregs: [{ name: 'c', size: 1, offset: 0 }], ops, vars: [{ name: 'done', type: 'bit' }] };
}

function run(circuit: Circuit): CountsResult {
  return simulate({ circuit, shots: SHOTS, seed: 11, type: 'RUNNER', maxQubits: 26 })[0] as CountsResult;
}

export interface DynamicRow {
  qubits: number;
  staticMs: number;
  dynamicMs: number;
  staticOutcomes: number;
  dynamicOutcomes: number;
}

export function dynamicBench(sizes: number[] = [16, 20]): DynamicRow[] {
  const rows: DynamicRow[] = [];
  for (const n of sizes) {
    const s = staticFeedback(n);
    const d = dynamicFeedback(n);
    const repeats = n <= 16 ? 7 : n <= 20 ? 5 : 3;
    const staticTimes: number[] = [];
    const dynamicTimes: number[] = [];
    let so = 0;
    let dO = 0;
    for (let r = 0; r < repeats; r++) {
      let t0 = performance.now();
      so = Object.keys(run(s).data).length;
      staticTimes.push(performance.now() - t0);
      t0 = performance.now();
      dO = Object.keys(run(d).data).length;
      dynamicTimes.push(performance.now() - t0);
    }
    rows.push({
      qubits: n,
      staticMs: median(staticTimes),
      dynamicMs: median(dynamicTimes),
      staticOutcomes: so,
      dynamicOutcomes: dO,
    });
  }
  return rows;
}

export function dynamicTable(rows: DynamicRow[]): string {
  return table(
    [
      'qubits',
      'if (c[k] == 1) (baseline)',
      'variables, if/else, while',
      'dynamic / baseline',
      'outcomes (baseline, dynamic)',
    ],
    rows.map((r) => [
      r.qubits,
      fmtMs(r.staticMs),
      fmtMs(r.dynamicMs),
      (r.dynamicMs / r.staticMs).toFixed(2),
      `${r.staticOutcomes}, ${r.dynamicOutcomes}`,
    ]),
  );
}
