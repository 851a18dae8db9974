import fc from 'fast-check';
import { run, unitaryDistance, unitaryOf } from '../qasm/testing';
import { CircuitBuilder, randomCircuit } from '../simulator/testing/circuits';
import type { Circuit, ClassicalExpr, GateOp, Matrix2, Op } from './circuit';
import {
  decompose,
  decompositionBound,
  DecompositionTooLargeError,
  inUcxBasis,
  isCX,
  abc,
  sqrtUnitary,
} from './decompose';
import { multiply, scale, u3, X, H, Z, S, T, SX, phase, rz, ry } from './gates';

/** Number of ops at any depth. */
function countOps(ops: Op[]): number {
  let n = 0;
  for (const op of ops) {
    n++;
    if (op.kind === 'if' || op.kind === 'while') n += countOps(op.body);
    if (op.kind === 'branch') n += countOps(op.then) + countOps(op.otherwise);
  }
  return n;
}

const unitaryMatrix = fc
  .tuple(
    fc.double({ min: -7, max: 7, noNaN: true }),
    fc.double({ min: -7, max: 7, noNaN: true }),
    fc.double({ min: -7, max: 7, noNaN: true }),
    fc.double({ min: -7, max: 7, noNaN: true }),
  )
  .map(([t, p, l, g]) => scale(u3(t, p, l), g));
const anyMatrix = fc.oneof(
  unitaryMatrix,
  fc.constantFrom<Matrix2>(X, H, Z, S, T, SX, phase(Math.PI / 3), rz(1.1), ry(0.4)),
);

/** A random controlled gate on `n` qubits with `k` controls. */
const controlledGate = (n: number, k: number) =>
  fc
    .tuple(
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: k + 1, maxLength: k + 1 },
      ),
      fc.array(fc.constantFrom<0 | 1>(0, 1), { minLength: k, maxLength: k }),
      anyMatrix,
    )
    .map(([qs, states, m]): GateOp => ({
      kind: 'gate',
      name: 'g',
      matrix: m,
      target: qs[0],
      controls: qs.slice(1),
      controlStates: states,
    }));

const circuitOf = (n: number, ops: Op[]): Circuit => ({
  numQubits: n,
  numClbits: 0,
  qregs: [{ name: 'q', size: n, offset: 0 }],
  cregs: [],
  ops,
});

describe('decompose to u+cx', () => {
  it('the ABC decomposition rebuilds the matrix: e^{iα} A X B X C, and ABC = I', () => {
    fc.assert(
      fc.property(anyMatrix, (m) => {
        const { a, b, c, alpha } = abc(m);
        const rebuilt = scale(multiply(a, multiply(X, multiply(b, multiply(X, c)))), alpha);
        rebuilt.forEach((v, i) => expect(v).toBeCloseTo(m[i], 10));
        const id = multiply(a, multiply(b, c));
        [1, 0, 0, 0, 0, 0, 1, 0].forEach((v, i) => expect(id[i]).toBeCloseTo(v, 10));
      }),
    );
  });

  it('sqrtUnitary squares back to the matrix, for scalars (-I) and rotations by pi too', () => {
    const check = (m: Matrix2) => {
      const v = sqrtUnitary(m);
      multiply(v, v).forEach((x, i) => expect(x).toBeCloseTo(m[i], 9));
    };
    check(scale([1, 0, 0, 0, 0, 0, 1, 0], Math.PI));
    check(X);
    check(Z);
    fc.assert(fc.property(anyMatrix, check));
  });

  it('a gate with k controls (mixed states) has exactly the same unitary, global phase included, within the size bound', () => {
    for (const [k, extra] of [
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 0],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
      [3, 2],
      [4, 2],
    ]) {
      const n = k + 1 + extra;
      fc.assert(
        fc.property(controlledGate(n, k), (g) => {
          const c = circuitOf(n, [g]);
          const d = decompose(c);
          expect(inUcxBasis(d.ops)).toBe(true);
          expect(d.ops.every((op) => op.kind === 'gate' && (op.controls.length === 0 || isCX(op)))).toBe(true);
          expect(d.ops.length).toBeLessThanOrEqual(decompositionBound(k));
          expect(unitaryDistance(unitaryOf(c), unitaryOf(d))).toBeLessThan(1e-9);
        }),
        { numRuns: k >= 4 ? 3 : 10 },
      );
    }
  });

  it('the size of a C^kX and a C^kU grows at most quadratically (the documented bound)', () => {
    for (let k = 1; k <= 20; k++) {
      const g: GateOp = { kind: 'gate', name: 'u', matrix: u3(1, 2, 3), target: k, controls: [...Array(k).keys()] };
      const noIdle = decompose(circuitOf(k + 1, [g])).ops.length;
      const mcx = decompose(circuitOf(k + 1, [{ ...g, matrix: X }])).ops.length;
      const withIdle = decompose(circuitOf(k + 2, [{ ...g, matrix: X }])).ops.length;
      expect(noIdle).toBeLessThanOrEqual(decompositionBound(k));
      expect(mcx).toBeLessThanOrEqual(decompositionBound(k));
      // linear with one idle qubit
      expect(withIdle).toBeLessThanOrEqual(20 + 130 * k);
    }
  });

  it('swaps and controlled swaps (with negative controls) keep the unitary exactly', () => {
    const cases: Op[] = [
      { kind: 'swap', a: 0, b: 2, controls: [] },
      { kind: 'swap', a: 1, b: 0, controls: [2] },
      { kind: 'swap', a: 1, b: 3, controls: [0, 2], controlStates: [0, 1] },
      { kind: 'swap', a: 3, b: 0, controls: [1, 2], controlStates: [0, 0] },
    ];
    for (const op of cases) {
      const c = circuitOf(4, [op]);
      const d = decompose(c);
      expect(inUcxBasis(d.ops)).toBe(true);
      expect(unitaryDistance(unitaryOf(c), unitaryOf(d))).toBeLessThan(1e-9);
    }
  });

  it('random circuits over every kernel keep their unitary exactly (fast-check over seeds and sizes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (n, gates, seed) => {
          const c = randomCircuit(n, gates, seed, { maxControls: 4 });
          const d = decompose(c);
          expect(inUcxBasis(d.ops)).toBe(true);
          expect(d.ops.length).toBeLessThanOrEqual(c.ops.length * decompositionBound(Math.max(0, n - 1)));
          expect(unitaryDistance(unitaryOf(c), unitaryOf(d))).toBeLessThan(1e-8);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decomposes inside conditionals, branches and loops, and passes measure/reset/barrier/classical ops through', () => {
    const b = new CircuitBuilder(3, 3);
    b.h(0).measure(0, 0);
    b.if([0], 1, (i) => i.ccx(0, 1, 2).swap(1, 2));
    b.measure(1, 1).measure(2, 2);
    const c = b.build();
    const d = decompose(c);
    expect(inUcxBasis(d.ops)).toBe(true);
    const cond = d.ops.find((o) => o.kind === 'if');
    expect(cond && cond.kind === 'if' && cond.body.length).toBeGreaterThan(2);
    // Same run for both outcomes of the first measurement.
    for (const outcome of [0, 1] as const) {
      const pick = (q: number, p1: number): 0 | 1 => (q === 0 ? outcome : p1 > 0.5 ? 1 : 0);
      const a = run(c, pick);
      const e = run(d, pick);
      expect(e.clbits).toEqual(a.clbits);
      expect(unitaryDistance([a.state], [e.state])).toBeLessThan(1e-9);
    }
    const loop: Circuit = {
      ...circuitOf(3, [
        {
          kind: 'while',
          cond: { k: 'var', index: 0 },
          body: [
            { kind: 'gate', name: 'ccz', matrix: Z, target: 2, controls: [0, 1] },
            { kind: 'break' },
            { kind: 'reset', qubit: 0 },
          ],
        },
        {
          kind: 'branch',
          cond: { k: 'num', v: 1 },
          then: [{ kind: 'swap', a: 0, b: 1, controls: [] }],
          otherwise: [{ kind: 'barrier', qubits: [0] }],
        },
      ]),
      vars: [{ name: 'v', type: 'int' }],
    };
    const dl = decompose(loop);
    expect(inUcxBasis(dl.ops)).toBe(true);
    expect(dl.vars).toEqual(loop.vars);
    const w = dl.ops[0];
    expect(w.kind).toBe('while');
    if (w.kind === 'while') {
      expect(
        unitaryDistance(unitaryOf(w.body.slice(0, -2), 3), unitaryOf([(loop.ops[0] as { body: Op[] }).body[0]], 3)),
      ).toBeLessThan(1e-9);
      expect(w.body.slice(-2)).toEqual([{ kind: 'break' }, { kind: 'reset', qubit: 0 }]);
    }
    expect(dl.stats).toEqual({ multiControlled: 1, controlled: 0, swaps: 1, negated: 0 });
  });

  it('a controlled gate with per-shot angles becomes uncontrolled per-shot gates and CX with the same unitary', () => {
    // Evaluate the (constant) expressions the decomposition builds, then compare unitaries.
    const evaluate = (e: ClassicalExpr): number => {
      switch (e.k) {
        case 'num':
          return e.v;
        case 'unary':
          return -evaluate(e.a);
        case 'binary': {
          const a = evaluate(e.a);
          const b = evaluate(e.b);
          if (e.op === '+') return a + b;
          if (e.op === '-') return a - b;
          if (e.op === '*') return a * b;
          if (e.op === '/') return a / b;
          throw new Error(`unexpected ${e.op}`);
        }
        default:
          throw new Error(`unexpected ${e.k}`);
      }
    };
    const toGates = (ops: Op[]): Op[] =>
      ops.map((op) =>
        op.kind === 'dgate'
          ? {
              kind: 'gate',
              name: op.name,
              target: op.target,
              controls: op.controls,
              controlStates: op.controlStates,
              matrix: scale(
                u3(evaluate(op.theta), evaluate(op.phi), evaluate(op.lambda)),
                op.phase ? evaluate(op.phase) : 0,
              ),
            }
          : op,
      );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.double({ min: -7, max: 7, noNaN: true }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.constantFrom<0 | 1>(0, 1), { minLength: 3, maxLength: 3 }),
        (k, extra, [t, p, l, g], states) => {
          const n = k + 1 + extra;
          const controls = Array.from({ length: k }, (_, i) => i + 1);
          const dyn: Op = {
            kind: 'dgate',
            name: 'u',
            target: 0,
            theta: { k: 'num', v: t },
            phi: { k: 'num', v: p },
            lambda: { k: 'num', v: l },
            phase: { k: 'num', v: g },
            controls,
            controlStates: states.slice(0, k),
          };
          const d = decompose(circuitOf(n, [dyn]));
          expect(inUcxBasis(d.ops)).toBe(true);
          const expected = toGates([dyn]);
          expect(unitaryDistance(unitaryOf(toGates(d.ops), n), unitaryOf(expected, n))).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses to grow beyond maxOperations', () => {
    const c = circuitOf(6, [{ kind: 'gate', name: 'c5x', matrix: X, target: 5, controls: [0, 1, 2, 3, 4] }]);
    expect(() => decompose(c, 'u+cx', { maxOperations: 20 })).toThrow(DecompositionTooLargeError);
    expect(countOps(decompose(c).ops)).toBeGreaterThan(20);
  });
});
