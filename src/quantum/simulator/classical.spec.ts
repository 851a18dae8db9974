import type { Circuit, ClassicalExpr, ClassicalVar, Op } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { bitOf, ClassicalCompiler, withBit, wrapInteger } from './classical';
import { SimulationInputError } from './errors';
import { MAX_LOOP_ITERATIONS, simulate } from './simulate';
import { stateBytes } from './statevector';
import type { CountsResult, SimulationRequest } from './types';

/** Per-shot classical computation (circuit.ts's classical ops) run by the simulator. */

const num = (v: number): ClassicalExpr => ({ k: 'num', v });
const bit = (clbit: number): ClassicalExpr => ({ k: 'bit', clbit });
const v = (index: number): ClassicalExpr => ({ k: 'var', index });
const bin = (op: Extract<ClassicalExpr, { k: 'binary' }>['op'], a: ClassicalExpr, b: ClassicalExpr): ClassicalExpr => ({
  k: 'binary',
  op,
  a,
  b,
});
const gate = (
  name: string,
  target: number,
  matrix: G.EulerAngles | readonly number[],
  controls: number[] = [],
): Op => ({
  kind: 'gate',
  name,
  target,
  matrix: matrix as never,
  controls,
});
const h = (q: number): Op => gate('h', q, G.H);
const x = (q: number): Op => gate('x', q, G.X);
const measure = (qubit: number, clbit: number): Op => ({ kind: 'measure', qubit, clbit });
const reset = (qubit: number): Op => ({ kind: 'reset', qubit });

function circuit(numQubits: number, numClbits: number, ops: Op[], vars: ClassicalVar[] = []): Circuit {
  return {
    numQubits,
    numClbits,
    qregs: [{ name: 'q', size: numQubits, offset: 0 }],
    cregs: numClbits > 0 ? [{ name: 'c', size: numClbits, offset: 0 }] : [],
    ops,
    vars,
  };
}

const run = (c: Circuit, extra: Partial<SimulationRequest> = {}) =>
  (simulate({ circuit: c, shots: 4000, seed: 7, type: 'RUNNER', maxQubits: 26, ...extra })[0] as CountsResult).data;

/** |observed - expected| within 5 standard deviations of a binomial count. */
function expectBinomial(observed: number, shots: number, p: number) {
  const sd = Math.sqrt(shots * p * (1 - p));
  expect(Math.abs(observed - shots * p)).toBeLessThanOrEqual(5 * sd + 1e-9);
}

describe('classical values', () => {
  it('reads and writes bits of integers, negative ones in two’s complement', () => {
    expect([0, 1, 2, 3].map((i) => bitOf(10, i))).toEqual([0, 1, 0, 1]);
    expect(bitOf(-1, 40)).toBe(1);
    expect(bitOf(2 ** 40, 40)).toBe(1);
    expect(withBit(10, 0, 1)).toBe(11);
    expect(withBit(10, 3, 0)).toBe(2);
    expect(withBit(0, 45, 1)).toBe(2 ** 45);
  });

  it('wraps integers to their width', () => {
    expect(wrapInteger(7.9, 3, false)).toBe(7);
    expect(wrapInteger(8, 3, false)).toBe(0);
    expect(wrapInteger(-1, 4, false)).toBe(15);
    expect(wrapInteger(7, 3, true)).toBe(-1);
    expect(wrapInteger(-2.5, undefined, true)).toBe(-2);
    expect(() => wrapInteger(Infinity, 8, true)).toThrow(SimulationInputError);
  });

  it('evaluates operators, functions and casts as circuit.ts documents them', () => {
    const c = new ClassicalCompiler(2, [{ name: 'a', type: 'int' }]);
    const state = { clbits: Uint8Array.of(1, 1), vars: Float64Array.of(-7) };
    const ev = (e: ClassicalExpr) => c.expr(e)(state);
    expect(ev({ k: 'bits', clbits: [0, 1] })).toBe(3);
    expect(ev(bin('idiv', v(0), num(2)))).toBe(-3);
    expect(ev(bin('/', v(0), num(2)))).toBe(-3.5);
    expect(ev(bin('%', v(0), num(3)))).toBe(-1);
    expect(ev(bin('&', num(12), num(10)))).toBe(8);
    expect(ev(bin('<<', num(1), num(4)))).toBe(16);
    expect(ev(bin('&&', num(2), num(0)))).toBe(0);
    expect(ev({ k: 'unary', op: '!', a: num(0) })).toBe(1);
    expect(ev({ k: 'call', fn: 'popcount', args: [num(0b1011)] })).toBe(3);
    expect(ev({ k: 'call', fn: 'rotl', args: [num(0b1001), num(1), num(4)] })).toBe(0b0011);
    expect(ev({ k: 'call', fn: 'rotr', args: [num(0b1001), num(1), num(4)] })).toBe(0b1100);
    expect(ev({ k: 'cast', to: 'uint', width: 4, a: v(0) })).toBe(9);
    expect(ev({ k: 'cond', test: bit(0), a: num(5), b: num(6) })).toBe(5);
    expect(() => ev(bin('idiv', num(1), num(0)))).toThrow(/division by zero/);
    expect(() => c.expr({ k: 'var', index: 1 })).toThrow(/variable 1 is out of range/);
    expect(() => c.expr(bit(2))).toThrow(/clbit 2 is out of range/);
  });
});

describe('per-shot classical control', () => {
  it('computes with variables and writes the result to clbits', () => {
    // a = 5; b = a * 3 + 1 (16); c = b >> 1 (8): deterministic.
    const c = circuit(
      1,
      5,
      [
        { kind: 'set', target: { var: 0 }, value: num(5) },
        { kind: 'set', target: { var: 1 }, value: bin('+', bin('*', v(0), num(3)), num(1)) },
        { kind: 'set', target: { clbits: [0, 1, 2, 3, 4] }, value: bin('>>', v(1), num(1)) },
        measure(0, 4),
      ],
      [
        { name: 'a', type: 'int', width: 32 },
        { name: 'b', type: 'int', width: 32 },
      ],
    );
    expect(run(c)).toEqual({ '0x8': 4000 });
  });

  it('repeats until success: a while loop on a measurement ends with 1, after k tries with probability 2^-k', () => {
    // c0 = 0; tries = 0; while (!c0) { reset q; h q; c0 = measure q; tries += 1 } then clbits 1..3 = min(tries, 7).
    const ops: Op[] = [
      {
        kind: 'while',
        cond: { k: 'unary', op: '!', a: bit(0) },
        body: [reset(0), h(0), measure(0, 0), { kind: 'set', target: { var: 0 }, value: bin('+', v(0), num(1)) }],
      },
      {
        kind: 'set',
        target: { clbits: [1, 2, 3] },
        value: { k: 'cond', test: bin('>', v(0), num(7)), a: num(7), b: v(0) },
      },
    ];
    const shots = 20000;
    const counts = run(circuit(1, 4, ops, [{ name: 'tries', type: 'int' }]), { shots });
    let total = 0;
    for (const [key, n] of Object.entries(counts)) {
      const value = parseInt(key, 16);
      expect(value & 1).toBe(1); // always ends on success
      total += n;
    }
    expect(total).toBe(shots);
    for (let k = 1; k <= 4; k++) expectBinomial(counts['0x' + ((k << 1) | 1).toString(16)] ?? 0, shots, 2 ** -k);
  });

  it('branches with else on a measured bit: teleportation of |1> always arrives', () => {
    // q0 = |1>, Bell pair on q1,q2; Bell measurement of q0,q1; corrections by if/else; measure q2.
    const cx = (c: number, t: number) => gate('cx', t, G.X, [c]);
    const z = (q: number) => gate('z', q, G.Z);
    const ops: Op[] = [
      x(0),
      h(1),
      cx(1, 2),
      cx(0, 1),
      h(0),
      measure(0, 0),
      measure(1, 1),
      { kind: 'branch', cond: bit(1), then: [x(2)], otherwise: [] },
      { kind: 'branch', cond: { k: 'unary', op: '!', a: bit(0) }, then: [], otherwise: [z(2)] },
      measure(2, 2),
    ];
    const counts = run(circuit(3, 3, ops));
    for (const [key] of Object.entries(counts)) expect(parseInt(key, 16) >> 2).toBe(1);
  });

  it('break, continue and end act on the innermost loop and the shot', () => {
    // i = 0; while (true) { i += 1; if (i == 2) continue; if (i == 4) break; } ; c = i; end; x q (never).
    const ops: Op[] = [
      {
        kind: 'while',
        cond: num(1),
        body: [
          { kind: 'set', target: { var: 0 }, value: bin('+', v(0), num(1)) },
          { kind: 'branch', cond: bin('==', v(0), num(2)), then: [{ kind: 'continue' }], otherwise: [] },
          { kind: 'branch', cond: bin('==', v(0), num(4)), then: [{ kind: 'break' }], otherwise: [] },
        ],
      },
      { kind: 'set', target: { clbits: [0, 1, 2] }, value: v(0) },
      { kind: 'end' },
      x(0),
      measure(0, 3),
    ];
    expect(run(circuit(1, 4, ops, [{ name: 'i', type: 'int' }]))).toEqual({ '0x4': 4000 });
  });

  it('iterative phase estimation: measurements into the bits of a variable feed the next gate', () => {
    // Estimates phi = 2*pi*(3/8) of phase(phi) on |1> bit by bit, least significant first: round j
    // (k = 2 - j) applies ctrl-phase(2^k phi), removes the bits known so far with phase(-2*pi*c/2^(j+1))
    // (per shot: c holds them), and measures into bit j of c. Binary 0.011: c ends as 3.
    const phi = 2 * Math.PI * (3 / 8);
    const ops: Op[] = [x(1)];
    for (let j = 0; j < 3; j++) {
      ops.push(reset(0), h(0));
      ops.push(gate('cp', 1, G.phase(2 ** (2 - j) * phi), [0]));
      ops.push({
        kind: 'dgate',
        name: 'phase',
        target: 0,
        theta: num(0),
        phi: num(0),
        lambda: bin('/', bin('*', num(-2 * Math.PI), v(0)), num(2 ** (j + 1))),
        controls: [],
      });
      ops.push(h(0));
      ops.push({ kind: 'measure-var', qubit: 0, target: { var: 0 }, bit: j });
    }
    ops.push({ kind: 'set', target: { clbits: [0, 1, 2] }, value: v(0) });
    expect(run(circuit(2, 3, ops, [{ name: 'c', type: 'angle', width: 3 }]))).toEqual({ '0x3': 4000 });
  });

  it('gates with per-shot angles equal the constant gate, controlled and with a phase', () => {
    // ctrl @ (e^{i pi/2} U(pi, 0, pi)) = ctrl @ (i X): on |1>|0> gives i|1>|1>, measured 11.
    const ops: Op[] = [
      x(0),
      { kind: 'set', target: { var: 0 }, value: num(Math.PI) },
      {
        kind: 'dgate',
        name: 'u',
        target: 1,
        theta: v(0),
        phi: num(0),
        lambda: v(0),
        phase: num(Math.PI / 2),
        controls: [0],
      },
      measure(0, 0),
      measure(1, 1),
    ];
    expect(run(circuit(2, 2, ops, [{ name: 't', type: 'float' }]))).toEqual({ '0x3': 4000 });
  });

  it('same results when branches are replayed from the prefix instead of resumed from snapshots', () => {
    const ops: Op[] = [
      h(0),
      h(1),
      measure(0, 0),
      { kind: 'set', target: { var: 0 }, value: bin('+', bit(0), num(1)) },
      { kind: 'branch', cond: bin('==', v(0), num(2)), then: [x(2)], otherwise: [] },
      measure(1, 1),
      { kind: 'set', target: { var: 0 }, value: bin('+', v(0), bit(1)) },
      { kind: 'set', target: { clbits: [2, 3] }, value: v(0) },
    ];
    const c = circuit(3, 4, ops, [{ name: 'n', type: 'int' }]);
    const withSnapshots = run(c);
    // Room for the prefix and the working state only: no snapshot fits, every branch is replayed.
    const replayed = run(c, { maxMemoryBytes: 2 * stateBytes(3) + 1 });
    expect(replayed).toEqual(withSnapshots);
    expect(Object.keys(withSnapshots).sort()).toEqual(['0x4', '0x9', '0xa', '0xf']);
  });

  it('refuses a loop that never ends, and an index out of range, with the reason', () => {
    const forever = circuit(1, 1, [{ kind: 'while', cond: num(1), body: [] }, measure(0, 0)]);
    expect(() => run(forever, { shots: 1 })).toThrow(
      new SimulationInputError(
        `a loop ran more than ${MAX_LOOP_ITERATIONS.toLocaleString('en')} iterations in one shot`,
      ),
    );
    const outOfRange = circuit(
      1,
      1,
      [measure(0, 0), { kind: 'set', target: { first: 0, length: 2, at: num(2) }, value: num(1) }],
      [
        { name: 'a0', type: 'int' },
        { name: 'a1', type: 'int' },
      ],
    );
    expect(() => run(outOfRange)).toThrow(/index 2 is out of range for an array of 2/);
    expect(() => run(circuit(1, 1, [{ kind: 'break' }, measure(0, 0)]))).toThrow(/break outside of a loop/);
  });

  it('a circuit that only sets its bits (no measurement) reports them', () => {
    const ops: Op[] = [{ kind: 'set', target: { clbits: [0, 1] }, value: num(2) }];
    expect(run(circuit(1, 2, ops))).toEqual({ '0x2': 4000 });
  });

  it('a circuit that measures only into variables reports empty counts', () => {
    const ops: Op[] = [h(0), { kind: 'measure-var', qubit: 0, target: { var: 0 } }];
    expect(run(circuit(1, 0, ops, [{ name: 'b', type: 'bit' }]))).toEqual({});
  });
});
