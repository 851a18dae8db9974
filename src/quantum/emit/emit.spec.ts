import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Circuit, ClassicalExpr, Matrix2, Op } from '../circuit/circuit';
import { u3, X } from '../circuit/gates';
import { emitProgram, parseProgram, TranslationError, translateProgram } from '../languages';
import { parseQasm } from '../qasm';
import { applyUnitaryOp, basisState, unitaryOf, type State } from '../qasm/testing';
import { simulate } from '../simulator';
import { CircuitBuilder, randomCircuit } from '../simulator/testing/circuits';
import { emitQasm2, emitQasm3 } from '.';

/** Largest distance between two unitaries after removing one global phase (none if `exact`). */
function distance(a: State[], b: State[], exact: boolean): number {
  let phaseRe = 1;
  let phaseIm = 0;
  if (!exact) {
    // The phase of b relative to a, read at a's largest entry.
    let best = -1;
    for (let k = 0; k < a.length; k++) {
      for (let i = 0; i < a[k].re.length; i++) {
        const m = Math.hypot(a[k].re[i], a[k].im[i]);
        if (m > best) {
          best = m;
          const br = b[k].re[i];
          const bi = b[k].im[i];
          const ar = a[k].re[i];
          const ai = a[k].im[i];
          // a / b, normalised
          const re = ar * br + ai * bi;
          const im = ai * br - ar * bi;
          const n = Math.hypot(re, im) || 1;
          phaseRe = re / n;
          phaseIm = im / n;
        }
      }
    }
  }
  let d = 0;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].re.length; i++) {
      const re = b[k].re[i] * phaseRe - b[k].im[i] * phaseIm;
      const im = b[k].re[i] * phaseIm + b[k].im[i] * phaseRe;
      d = Math.max(d, Math.hypot(a[k].re[i] - re, a[k].im[i] - im));
    }
  }
  return d;
}

/** The value of the conditions the front ends produce (bits, numbers, comparisons, logic). */
function evaluate(e: ClassicalExpr, clbits: number[]): number {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'bit':
      return clbits[e.clbit];
    case 'bits':
      return e.clbits.reduce((acc, b, i) => acc + clbits[b] * 2 ** i, 0);
    case 'unary':
      return e.op === '!' ? Number(!evaluate(e.a, clbits)) : -evaluate(e.a, clbits);
    case 'cast':
      return e.to === 'bool' ? Number(evaluate(e.a, clbits) !== 0) : evaluate(e.a, clbits);
    case 'binary': {
      const a = evaluate(e.a, clbits);
      const b = evaluate(e.b, clbits);
      const ops: Record<string, number> = {
        '==': Number(a === b),
        '!=': Number(a !== b),
        '&&': Number(!!a && !!b),
        '||': Number(!!a || !!b),
      };
      if (e.op in ops) return ops[e.op];
      throw new Error(`unexpected operator ${e.op}`);
    }
    default:
      throw new Error(`unexpected expression ${e.k}`);
  }
}

/**
 * Runs a circuit once from |0...0> like the reference simulator's `run`, also through `branch`
 * ops on clbit conditions; `pick` chooses each measurement outcome (throws for an impossible one).
 */
function runAll(c: Circuit, pick: () => 0 | 1): { state: State; clbits: number[] } {
  const state = basisState(c.numQubits);
  const clbits = new Array<number>(c.numClbits).fill(0);
  const measure = (q: number): 0 | 1 => {
    const bit = 1 << q;
    // Each outcome's probability summed over its own amplitudes (1 - p1 would cancel to a few ulps
    // where the outcome is impossible, and a zero state would pass for a possible one).
    const p = [0, 0];
    for (let i = 0; i < state.re.length; i++) p[i & bit ? 1 : 0] += state.re[i] ** 2 + state.im[i] ** 2;
    const outcome = pick();
    if (p[outcome] < 1e-10) throw new Error('impossible outcome');
    for (let i = 0; i < state.re.length; i++) {
      const keep = ((i & bit) !== 0) === (outcome === 1);
      state.re[i] = keep ? state.re[i] / Math.sqrt(p[outcome]) : 0;
      state.im[i] = keep ? state.im[i] / Math.sqrt(p[outcome]) : 0;
    }
    return outcome;
  };
  const exec = (ops: Op[]): void => {
    for (const op of ops) {
      if (op.kind === 'measure') clbits[op.clbit] = measure(op.qubit);
      else if (op.kind === 'reset') {
        if (measure(op.qubit))
          applyUnitaryOp(state, { kind: 'gate', name: 'x', target: op.qubit, matrix: X, controls: [] });
      } else if (op.kind === 'if') {
        if (op.clbits.reduce((acc, b, i) => acc + clbits[b] * 2 ** i, 0) === op.value) exec(op.body);
      } else if (op.kind === 'branch') exec(evaluate(op.cond, clbits) ? op.then : op.otherwise);
      else applyUnitaryOp(state, op);
    }
  };
  exec(c.ops);
  return { state, clbits };
}

type Outcome = { clbits: number[]; state: State } | 'impossible';

/** Every run of a circuit with measurements, one per sequence of outcomes (in measurement order). */
function allRuns(c: Circuit, measurements: number): Outcome[] {
  const out: Outcome[] = [];
  for (let mask = 0; mask < 1 << measurements; mask++) {
    let k = 0;
    try {
      const r = runAll(c, () => ((mask >> k++) & 1) as 0 | 1);
      out.push({ clbits: r.clbits, state: r.state });
    } catch {
      out.push('impossible');
    }
  }
  return out;
}

function sameRuns(a: Outcome[], b: Outcome[], exact: boolean): void {
  expect(b.length).toBe(a.length);
  a.forEach((x, i) => {
    const y = b[i];
    if (x === 'impossible' || y === 'impossible') {
      expect(y).toBe(x);
      return;
    }
    expect(y.clbits).toEqual(x.clbits);
    expect(distance([x.state], [y.state], exact)).toBeLessThan(1e-9);
  });
}

const randomCircuits = (maxQubits: number) =>
  fc
    .tuple(fc.integer({ min: 1, max: maxQubits }), fc.integer({ min: 1, max: 25 }), fc.nat())
    .map(([n, g, seed]) => randomCircuit(n, g, seed, { maxControls: 3 }));

/**
 * Random circuits with mid-circuit measurements, resets and conditions: unitary blocks from
 * `randomCircuit`, then measurements into random bits and conditions on a whole register (or, if
 * `partial`, also on single bits and bit sets) around more gates.
 */
const randomDynamicCircuits = (partial: boolean) =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.array(
        fc.record({
          seed: fc.nat(),
          gates: fc.integer({ min: 1, max: 4 }),
          measure: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 2 }),
          reset: fc.boolean(),
          cond: fc.option(fc.tuple(fc.nat(), fc.nat(), fc.nat())),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([n, blocks]) => {
      const b = new CircuitBuilder();
      b.qreg('q', n);
      b.creg('a', 1);
      b.creg('b', 2);
      const block = (seed: number, gates: number) => {
        for (const op of randomCircuit(n, gates, seed, { maxControls: 2 }).ops) b.ops.push(op);
      };
      let measurements = 0;
      for (const blk of blocks) {
        block(blk.seed, blk.gates);
        for (const [q, c] of blk.measure) {
          b.measure(q % n, c % 3);
          measurements++;
        }
        if (blk.reset) {
          b.reset(blk.seed % n);
          measurements++;
        }
        if (blk.cond) {
          const [which, value, seed] = blk.cond;
          const sets = partial ? [[0], [1, 2], [1], [2], [0, 2]] : [[0], [1, 2]];
          const bits = sets[which % sets.length];
          const inner = randomCircuit(n, 2, seed, { maxControls: 2 }).ops;
          b.ops.push({ kind: 'if', clbits: bits, value: value % (1 << bits.length), body: inner });
        }
      }
      return { circuit: b.build(), measurements };
    });

/** A circuit with mid-circuit measurements and conditions on whole registers. */
function dynamicCircuit(): Circuit {
  const b = new CircuitBuilder();
  b.qreg('q', 3);
  b.creg('a', 1);
  b.creg('b', 2);
  b.h(0).ry(1.1, 1).cx(0, 2).measure(0, 0);
  b.if([0], 1, (i) => i.x(1).cp(0.4, 1, 2).ccx(1, 2, 0));
  b.measure(1, 1).h(2);
  b.if([1, 2], 1, (i) => i.swap(0, 2).rz(0.3, 2).measure(2, 2));
  b.reset(0).h(0).measure(0, 2);
  return b.build();
}

describe('OpenQASM 3 emitter', () => {
  it('writes header, registers and readable gates', () => {
    const b = new CircuitBuilder();
    b.qreg('q', 2);
    b.qreg('anc', 1);
    b.creg('c', 2);
    b.h(0)
      .cx(0, 1)
      .ccx(0, 1, 2)
      .rz(0.5, 2)
      .p(Math.PI / 2, 1)
      .measure(0, 0)
      .measure(1, 1);
    const { text, warnings } = emitQasm3(b.build());
    expect(text).toBe(
      [
        'OPENQASM 3.0;',
        'include "stdgates.inc";',
        'qubit[2] q;',
        'qubit[1] anc;',
        'bit[2] c;',
        'h q[0];',
        'cx q[0], q[1];',
        'ccx q[0], q[1], anc[0];',
        'rz(0.5) anc[0];',
        's q[1];',
        'c[0] = measure q[0];',
        'c[1] = measure q[1];',
        '',
      ].join('\n'),
    );
    expect(warnings).toEqual([]);
  });

  it('random circuits read back with exactly the same unitary, global phase included', () => {
    fc.assert(
      fc.property(randomCircuits(4), (c) => {
        const back = parseQasm(emitQasm3(c).text, 'QASM3');
        expect(back.numQubits).toBe(c.numQubits);
        expect(distance(unitaryOf(c), unitaryOf(back), true)).toBeLessThan(1e-9);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps negative controls, controlled swaps and the phase of controlled gates exact', () => {
    const b = new CircuitBuilder(4);
    b.gate('u', u3(0.3, 1.2, -0.4), 3, [0, 1, 2], [0, 1, 0]);
    b.swap(0, 3, [1, 2], [1, 0]);
    b.gate('cu', [0, 0, 0, 1, 0, -1, 0, 0], 2, [0]); // e^{iπ/2}... a controlled Y-like matrix with a phase
    const c = b.build();
    const { text } = emitQasm3(c);
    expect(text).toContain('negctrl @ ctrl @ negctrl @ U(');
    expect(text).toContain('ctrl @ negctrl @ swap q[1], q[2], q[0], q[3];');
    expect(distance(unitaryOf(c), unitaryOf(parseQasm(text, 'QASM3')), true)).toBeLessThan(1e-12);
  });

  it('conditions on whole registers, single bits and parts of registers read back with the same runs', () => {
    const c = dynamicCircuit();
    const b = new CircuitBuilder(2, 3);
    b.h(0).h(1).measure(0, 0).measure(1, 2);
    b.if([0, 2], 1, (i) => i.x(1)); // c[0] == 1 && c[2] == 0
    b.if([2], 0, (i) => i.h(0)); // !c[2]
    b.measure(1, 1);
    for (const circuit of [c, b.build()]) {
      const back = parseQasm(emitQasm3(circuit).text, 'QASM3');
      expect(back.cregs.map((r) => [r.name, r.size])).toEqual(circuit.cregs.map((r) => [r.name, r.size]));
      sameRuns(allRuns(circuit, 5), allRuns(back, 5), true);
    }
  });

  it('random circuits with mid-circuit measurements, resets and conditions run the same after reading back (fast-check)', () => {
    fc.assert(
      fc.property(randomDynamicCircuits(true), ({ circuit, measurements }) => {
        const back = parseQasm(emitQasm3(circuit).text, 'QASM3');
        sameRuns(allRuns(circuit, measurements), allRuns(back, measurements), true);
      }),
      { numRuns: 40 },
    );
  });

  it('renames registers that clash with keywords or gates, and registers that do not tile the bits', () => {
    const c: Circuit = {
      numQubits: 2,
      numClbits: 1,
      qregs: [{ name: 'h', size: 2, offset: 0 }],
      cregs: [{ name: 'measure', size: 1, offset: 0 }],
      ops: [
        {
          kind: 'gate',
          name: 'h',
          matrix: [Math.SQRT1_2, 0, Math.SQRT1_2, 0, Math.SQRT1_2, 0, -Math.SQRT1_2, 0],
          target: 0,
          controls: [],
        },
        { kind: 'measure', qubit: 0, clbit: 0 },
      ],
    };
    const { text } = emitQasm3(c);
    expect(text).toContain('qubit[2] h_;');
    expect(text).toContain('bit[1] measure_;');
    expect(parseQasm(text, 'QASM3').cregs[0].name).toBe('measure_');
    const loose: Circuit = { numQubits: 3, numClbits: 0, qregs: [], cregs: [], ops: [{ kind: 'reset', qubit: 2 }] };
    expect(emitQasm3(loose).text).toContain('qubit[3] q;\nreset q[2];');
  });

  it('writes classical variables, set, measure into a variable, if/else, while, break, continue, end and per-shot gates', () => {
    const c: Circuit = {
      numQubits: 2,
      numClbits: 2,
      qregs: [{ name: 'q', size: 2, offset: 0 }],
      cregs: [{ name: 'c', size: 2, offset: 0 }],
      vars: [
        { name: 'n', type: 'int', width: 32 },
        { name: 'theta', type: 'float' },
        { name: 'ok', type: 'bool' },
        { name: 'm', type: 'bit', width: 2 },
      ],
      ops: [
        { kind: 'set', target: { var: 0 }, value: { k: 'num', v: 3 } },
        {
          kind: 'while',
          cond: { k: 'binary', op: '>', a: { k: 'var', index: 0 }, b: { k: 'num', v: 0 } },
          body: [
            {
              kind: 'set',
              target: { var: 0 },
              value: { k: 'binary', op: '-', a: { k: 'var', index: 0 }, b: { k: 'num', v: 1 } },
            },
            { kind: 'measure-var', qubit: 0, target: { var: 3 }, bit: 1 },
            {
              kind: 'branch',
              cond: { k: 'binary', op: '==', a: { k: 'var', index: 0 }, b: { k: 'num', v: 1 } },
              then: [{ kind: 'break' }],
              otherwise: [{ kind: 'continue' }],
            },
          ],
        },
        {
          kind: 'set',
          target: { var: 1 },
          value: { k: 'binary', op: '/', a: { k: 'var', index: 0 }, b: { k: 'num', v: 2 } },
        },
        {
          kind: 'dgate',
          name: 'rx',
          target: 1,
          theta: { k: 'binary', op: '*', a: { k: 'var', index: 1 }, b: { k: 'num', v: Math.PI } },
          phi: { k: 'num', v: 0 },
          lambda: { k: 'num', v: 0 },
          controls: [0],
        },
        {
          kind: 'set',
          target: { var: 2 },
          value: { k: 'binary', op: '&&', a: { k: 'bit', clbit: 0 }, b: { k: 'var', index: 2 } },
        },
        {
          kind: 'set',
          target: { clbits: [0, 1] },
          value: { k: 'binary', op: 'idiv', a: { k: 'var', index: 0 }, b: { k: 'num', v: 2 } },
        },
        { kind: 'end' },
      ],
    };
    const { text } = emitQasm3(c);
    expect(text).toBe(
      [
        'OPENQASM 3.0;',
        'include "stdgates.inc";',
        'qubit[2] q;',
        'bit[2] c;',
        'int[32] n;',
        'float[64] theta;',
        'bool ok;',
        'uint[2] m;',
        'n = 3;',
        'while (n > 0) {',
        '  n = n - 1;',
        '  m[1] = measure q[0];',
        '  if (n == 1) {',
        '    break;',
        '  } else {',
        '    continue;',
        '  }',
        '}',
        'theta = float[64](n) / 2;',
        'ctrl @ U(theta * pi, 0, 0) q[0], q[1];',
        'ok = c[0] && ok;',
        'c = bit[2](int(n / 2));',
        'end;',
        '',
      ].join('\n'),
    );
  });

  it('a deterministic program using every classical construct runs the same after reading back', () => {
    const X = [0, 0, 1, 0, 1, 0, 0, 0] as const;
    const c: Circuit = {
      numQubits: 3,
      numClbits: 3,
      qregs: [{ name: 'q', size: 3, offset: 0 }],
      cregs: [{ name: 'c', size: 3, offset: 0 }],
      vars: [
        { name: 'n', type: 'int', width: 32 },
        { name: 'theta', type: 'float' },
        { name: 'ok', type: 'bool' },
        { name: 'k', type: 'uint', width: 8 },
      ],
      ops: [
        { kind: 'gate', name: 'x', matrix: X, target: 0, controls: [] },
        { kind: 'set', target: { var: 0 }, value: { k: 'num', v: 5 } },
        {
          kind: 'while',
          cond: { k: 'binary', op: '>', a: { k: 'var', index: 0 }, b: { k: 'num', v: 0 } },
          body: [
            {
              kind: 'set',
              target: { var: 0 },
              value: { k: 'binary', op: '-', a: { k: 'var', index: 0 }, b: { k: 'num', v: 1 } },
            },
            {
              kind: 'set',
              target: { var: 3 },
              value: { k: 'binary', op: '+', a: { k: 'var', index: 3 }, b: { k: 'num', v: 1 } },
            },
            { kind: 'measure-var', qubit: 0, target: { clbits: [0] } },
            {
              kind: 'branch',
              cond: { k: 'binary', op: '==', a: { k: 'var', index: 0 }, b: { k: 'num', v: 2 } },
              then: [{ kind: 'break' }],
              otherwise: [{ kind: 'continue' }],
            },
            { kind: 'gate', name: 'x', matrix: X, target: 2, controls: [] },
          ],
        },
        {
          kind: 'set',
          target: { var: 1 },
          value: { k: 'binary', op: '/', a: { k: 'var', index: 0 }, b: { k: 'num', v: 2 } },
        },
        {
          kind: 'dgate',
          name: 'rx',
          target: 1,
          theta: { k: 'binary', op: '*', a: { k: 'var', index: 1 }, b: { k: 'num', v: Math.PI } },
          phi: { k: 'num', v: 0 },
          lambda: { k: 'num', v: 0 },
          controls: [0],
        },
        {
          kind: 'set',
          target: { var: 2 },
          value: {
            k: 'binary',
            op: '&&',
            a: { k: 'bit', clbit: 0 },
            b: { k: 'binary', op: '==', a: { k: 'var', index: 3 }, b: { k: 'num', v: 3 } },
          },
        },
        {
          kind: 'branch',
          cond: { k: 'var', index: 2 },
          then: [{ kind: 'measure', qubit: 1, clbit: 1 }],
          otherwise: [],
        },
        {
          kind: 'set',
          target: { clbits: [2] },
          value: { k: 'binary', op: 'idiv', a: { k: 'var', index: 0 }, b: { k: 'num', v: 2 } },
        },
        { kind: 'end' },
        { kind: 'gate', name: 'x', matrix: X, target: 2, controls: [] },
      ],
    };
    const back = parseQasm(emitQasm3(c).text, 'QASM3');
    const counts = (x: Circuit) => simulate({ circuit: x, shots: 20, seed: 5, type: 'RUNNER', maxQubits: 26 })[0].data;
    // c[0] = 1 (q0 flipped), c[1] = 1 (rx(pi) on q1 after the loop left n = 2), c[2] = (n idiv 2) & 1 = 1.
    expect(counts(c)).toEqual({ '0x7': 20 });
    expect(counts(back)).toEqual(counts(c));
  });

  it('an OpenQASM 3 program with arrays, a per-shot index, a measurement into an integer and a switch runs the same after emitting and reading back', () => {
    const src = `OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
array[int[32], 4] a = {1, 2, 3, 4};
int[32] i = 0;
uint[3] u;
float[64] f = 0.5;
angle[8] th = pi / 2;
for int k in [0:3] { a[k] = a[k] * 2; }
x q[0];
u[0] = measure q[0];
i = u + 1;
a[i] = 7;
if (a[1] == 7 && a[2] == 6) { x q[1]; }
rx(th * 2) q[2];
f = f * 4;
switch (i) { case 1 { x q[2]; } default { } }
c = measure q;
`;
    const c = parseQasm(src, 'QASM3');
    const text = emitQasm3(c).text;
    expect(text).toContain('array[int[32], 4] a;');
    expect(text).toContain('u[0] = measure q[0];');
    const counts = (x: Circuit) => simulate({ circuit: x, shots: 10, seed: 2, type: 'RUNNER', maxQubits: 26 })[0].data;
    // q0 = 1; i = 2 so a[2] = 7 and the if does nothing; rx(pi) flips q2; the switch's case 1 does not run.
    expect(counts(c)).toEqual({ '0x5': 10 });
    expect(counts(parseQasm(text, 'QASM3'))).toEqual(counts(c));
  });

  it('integer expressions keep their values through printing and reading back (fast-check over expression trees)', () => {
    const leaf: fc.Arbitrary<ClassicalExpr> = fc.oneof(
      fc.integer({ min: -6, max: 6 }).map((v): ClassicalExpr => ({ k: 'num', v })),
      fc.constantFrom<ClassicalExpr>({ k: 'var', index: 0 }, { k: 'var', index: 1 }, { k: 'bit', clbit: 8 }),
    );
    const ops = ['+', '-', '*', 'idiv', '%', '&', '|', '^', '==', '!=', '<', '<=', '>', '>=', '&&', '||'] as const;
    const expr = fc.letrec<{ e: ClassicalExpr }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.tuple(fc.constantFrom(...ops), tie('e'), tie('e')).map(([op, a, b]): ClassicalExpr => {
          // Divisors are never 0: b | 1.
          const d: ClassicalExpr =
            op === 'idiv' || op === '%' ? { k: 'binary', op: '|', a: b, b: { k: 'num', v: 1 } } : b;
          return { k: 'binary', op, a, b: d };
        }),
        fc
          .tuple(fc.constantFrom('-', '!', '~' as const), tie('e'))
          .map(([op, a]): ClassicalExpr => ({ k: 'unary', op, a })),
        tie('e').map((a): ClassicalExpr => ({ k: 'call', fn: 'abs', args: [a] })),
      ),
    })).e;
    const counts = (x: Circuit) => simulate({ circuit: x, shots: 1, seed: 1, type: 'RUNNER', maxQubits: 26 })[0].data;
    fc.assert(
      fc.property(expr, fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 }), (e, a, b) => {
        const c: Circuit = {
          numQubits: 1,
          numClbits: 9,
          qregs: [{ name: 'q', size: 1, offset: 0 }],
          cregs: [
            { name: 'c', size: 8, offset: 0 },
            { name: 'm', size: 1, offset: 8 },
          ],
          vars: [
            { name: 'a', type: 'int', width: 32 },
            { name: 'b', type: 'int', width: 32 },
            { name: 'r', type: 'int', width: 32 },
          ],
          ops: [
            { kind: 'gate', name: 'x', matrix: [0, 0, 1, 0, 1, 0, 0, 0], target: 0, controls: [] },
            { kind: 'measure', qubit: 0, clbit: 8 },
            { kind: 'set', target: { var: 0 }, value: { k: 'num', v: a } },
            { kind: 'set', target: { var: 1 }, value: { k: 'num', v: b } },
            { kind: 'set', target: { var: 2 }, value: e },
            { kind: 'set', target: { clbits: [0, 1, 2, 3, 4, 5, 6, 7] }, value: { k: 'var', index: 2 } },
          ],
        };
        const text = emitQasm3(c).text;
        expect(counts(parseQasm(text, 'QASM3'))).toEqual(counts(c));
      }),
      { numRuns: 150 },
    );
  });

  it('real expressions keep their values through printing and reading back (fast-check over expression trees)', () => {
    const leaf: fc.Arbitrary<ClassicalExpr> = fc.oneof(
      fc.constantFrom(-2, -1.25, 0.5, 1, 3, Math.PI / 2).map((v): ClassicalExpr => ({ k: 'num', v })),
      fc.constantFrom<ClassicalExpr>({ k: 'var', index: 0 }, { k: 'var', index: 1 }),
    );
    const expr = fc.letrec<{ e: ClassicalExpr }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc
          .tuple(fc.constantFrom('+', '-', '*', '/', '<', '==' as const), tie('e'), tie('e'))
          .map(([op, a, b]): ClassicalExpr => {
            // Divisors are never 0: 2 + b * b.
            const d: ClassicalExpr =
              op === '/' ? { k: 'binary', op: '+', a: { k: 'num', v: 2 }, b: { k: 'binary', op: '*', a: b, b } } : b;
            return { k: 'binary', op, a, b: d };
          }),
        fc
          .tuple(fc.constantFrom('sin', 'cos', 'arctan', 'exp', 'floor', 'ceiling' as const), tie('e'))
          .map(([fn, a]): ClassicalExpr => ({
            k: 'call',
            fn,
            args: [{ k: 'binary', op: '/', a, b: { k: 'num', v: 8 } }],
          })),
      ),
    })).e;
    const counts = (x: Circuit) => simulate({ circuit: x, shots: 1, seed: 1, type: 'RUNNER', maxQubits: 26 })[0].data;
    fc.assert(
      fc.property(expr, fc.integer({ min: -5, max: 5 }), fc.constantFrom(-0.75, 0.25, 2.5), (e, a, b) => {
        const c: Circuit = {
          numQubits: 1,
          numClbits: 17,
          qregs: [{ name: 'q', size: 1, offset: 0 }],
          cregs: [
            { name: 'c', size: 16, offset: 0 },
            { name: 'm', size: 1, offset: 16 },
          ],
          vars: [
            { name: 'a', type: 'int', width: 32 },
            { name: 'b', type: 'float' },
            { name: 'r', type: 'float' },
          ],
          ops: [
            { kind: 'measure', qubit: 0, clbit: 16 },
            { kind: 'set', target: { var: 0 }, value: { k: 'num', v: a } },
            { kind: 'set', target: { var: 1 }, value: { k: 'num', v: b } },
            { kind: 'set', target: { var: 2 }, value: e },
            // 1024 r, truncated, into 16 bits
            {
              kind: 'set',
              target: { clbits: Array.from({ length: 16 }, (_, i) => i) },
              value: {
                k: 'cast',
                to: 'int',
                width: 32,
                a: { k: 'binary', op: '*', a: { k: 'var', index: 2 }, b: { k: 'num', v: 1024 } },
              },
            },
          ],
        };
        const text = emitQasm3(c).text;
        expect(counts(parseQasm(text, 'QASM3'))).toEqual(counts(c));
      }),
      { numRuns: 150 },
    );
  });

  it('an angle[n] variable (the IR keeps its integer k) runs the same after emitting and reading back', () => {
    const src = `OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
angle[4] th;
x q[0];
bit b = measure q[0];
if (b) { th = pi / 2; }
th = th * 2;
rx(th) q[1];
c = measure q;
`;
    const c = parseQasm(src, 'QASM3');
    const text = emitQasm3(c).text;
    expect(text).toContain('uint[4] th;');
    const counts = (x: Circuit) => simulate({ circuit: x, shots: 20, seed: 2, type: 'RUNNER', maxQubits: 26 })[0].data;
    // th = pi/2 then doubled: rx(pi) flips q[1].
    expect(counts(c)).toEqual({ '0x1 0x3': 20 });
    expect(counts(parseQasm(text, 'QASM3'))).toEqual(counts(c));
  });

  it('prints expressions with the precedence and casts OpenQASM 3 needs', () => {
    const c: Circuit = {
      numQubits: 1,
      numClbits: 0,
      qregs: [{ name: 'q', size: 1, offset: 0 }],
      cregs: [],
      vars: [
        { name: 'a', type: 'int' },
        { name: 'r', type: 'float' },
      ],
      ops: [
        {
          kind: 'set',
          target: { var: 0 },
          value: {
            k: 'binary',
            op: '*',
            a: { k: 'binary', op: '+', a: { k: 'var', index: 0 }, b: { k: 'num', v: 1 } },
            b: {
              k: 'binary',
              op: '-',
              a: { k: 'var', index: 0 },
              b: { k: 'binary', op: '-', a: { k: 'num', v: 2 }, b: { k: 'num', v: 3 } },
            },
          },
        },
        {
          kind: 'set',
          target: { var: 1 },
          value: {
            k: 'binary',
            op: '**',
            a: { k: 'binary', op: '**', a: { k: 'var', index: 1 }, b: { k: 'num', v: 2 } },
            b: { k: 'unary', op: '-', a: { k: 'call', fn: 'abs', args: [{ k: 'var', index: 1 }] } },
          },
        },
        {
          kind: 'set',
          target: { var: 0 },
          value: { k: 'binary', op: 'idiv', a: { k: 'var', index: 1 }, b: { k: 'num', v: 2 } },
        },
      ],
    };
    const lines = emitQasm3(c).text.split('\n');
    expect(lines).toContain('a = (a + 1) * (a - (2 - 3));');
    expect(lines).toContain('r = (r ** 2) ** (-(r * (1 - 2 * int(r < 0))));');
    expect(lines).toContain('a = int(r / 2);');
  });

  it('writes an assignment of a ? b : c as if/else, and refuses a conditional expression elsewhere', () => {
    const X: Matrix2 = [0, 0, 1, 0, 1, 0, 0, 0];
    const pick: ClassicalExpr = {
      k: 'binary',
      op: '+',
      a: { k: 'num', v: 10 },
      b: {
        k: 'cond',
        test: { k: 'bit', clbit: 0 },
        a: { k: 'num', v: 2 },
        b: { k: 'cond', test: { k: 'bit', clbit: 1 }, a: { k: 'num', v: 3 }, b: { k: 'num', v: 4 } },
      },
    };
    const c: Circuit = {
      numQubits: 2,
      numClbits: 2,
      qregs: [{ name: 'q', size: 2, offset: 0 }],
      cregs: [{ name: 'c', size: 2, offset: 0 }],
      vars: [{ name: 'v', type: 'int', width: 16 }],
      ops: [
        { kind: 'gate', name: 'x', matrix: X, target: 0, controls: [] },
        { kind: 'measure', qubit: 0, clbit: 0 },
        { kind: 'set', target: { var: 0 }, value: pick },
        {
          kind: 'branch',
          cond: { k: 'binary', op: '==', a: { k: 'var', index: 0 }, b: { k: 'num', v: 12 } },
          then: [{ kind: 'gate', name: 'x', matrix: X, target: 1, controls: [] }],
          otherwise: [],
        },
        { kind: 'measure', qubit: 1, clbit: 1 },
      ],
    };
    const { text } = emitQasm3(c);
    expect(text).toContain(
      [
        'if (c[0]) {',
        '  v = 10 + 2;',
        '} else {',
        '  if (c[1]) {',
        '    v = 10 + 3;',
        '  } else {',
        '    v = 10 + 4;',
        '  }',
        '}',
      ].join('\n'),
    );
    const counts = (x: Circuit) => simulate({ circuit: x, shots: 10, seed: 2, type: 'RUNNER', maxQubits: 26 })[0].data;
    expect(counts(c)).toEqual({ '0x3': 10 });
    expect(counts(parseQasm(text, 'QASM3'))).toEqual(counts(c));

    const loop: Circuit = {
      ...c,
      ops: [
        {
          kind: 'while',
          cond: { k: 'cond', test: { k: 'bit', clbit: 0 }, a: { k: 'num', v: 0 }, b: { k: 'num', v: 0 } },
          body: [],
        },
      ],
    };
    expect(() => emitQasm3(loop)).toThrow(TranslationError);
    expect(() => emitQasm3(loop)).toThrow(/conditional expressions/);
  });

  it('declares bit variables as bool or uint[n], not as bit registers, so results keep their registers', () => {
    const src =
      'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[0];\nmeasure q[1];\nif (measure q[0]) x q[1];\nc = measure q;\n';
    const original = parseQasm(src, 'QASM3');
    const text = emitQasm3(original).text;
    const back = parseQasm(text, 'QASM3');
    expect(back.cregs).toEqual(original.cregs);
    const counts = (x: Circuit) => simulate({ circuit: x, shots: 10, seed: 2, type: 'RUNNER', maxQubits: 26 })[0].data;
    expect(counts(back)).toEqual(counts(original));
    expect(counts(back)).toEqual({ '0x3': 10 });
  });
  it('a Quil program with conditional jumps and a loop translates to OpenQASM 3 with the same distribution', () => {
    const quil = `DECLARE ro BIT[3]
DECLARE n INTEGER
DECLARE flag BIT
H 0
MEASURE 0 flag
JUMP-WHEN @one flag
X 1
JUMP @end
LABEL @one
MOVE n 2
LABEL @loop
X 2
SUB n 1
GT flag n 0
JUMP-WHEN @loop flag
LABEL @end
MEASURE 0 ro[0]
MEASURE 1 ro[1]
MEASURE 2 ro[2]
`;
    const t = translateProgram('QUIL', 'QASM3', quil);
    expect(t.quantumCircuit).toContain('while (true) {');
    const probabilities = (x: Circuit) =>
      simulate({ circuit: x, shots: 4000, seed: 2, type: 'RUNNER', maxQubits: 26 })[1].data as Record<string, number>;
    const before = probabilities(parseProgram('QUIL', quil));
    const after = probabilities(parseProgram('QASM3', t.quantumCircuit));
    // flag (the last-declared register) is 0 after the loop; ro is 001 (q0 measured 1, two x on q2) or 010.
    expect(Object.keys(after).sort()).toEqual(['0x0 0x1', '0x0 0x2']);
    expect(Object.keys(before).sort()).toEqual(Object.keys(after).sort());
    for (const k of Object.keys(after)) expect(after[k]).toBeCloseTo(0.5, 1);
  });
});

describe('OpenQASM 2 emitter', () => {
  it('writes qelib1 gates, u3 and cx only, and reads back with the same unitary up to global phase', () => {
    fc.assert(
      fc.property(randomCircuits(4), (c) => {
        const { text } = emitQasm2(c);
        for (const line of text.split('\n').slice(2)) {
          expect(line).toMatch(
            /^(|qreg \w+\[\d+\];|(x|y|z|h|s|sdg|t|tdg|u1\([^)]*\)|rx\([^)]*\)|ry\([^)]*\)|u3\([^)]*\)) \w+\[\d+\];|cx \w+\[\d+\], \w+\[\d+\];|barrier .*;)$/,
          );
        }
        const back = parseQasm(text, 'QASM2');
        expect(distance(unitaryOf(c), unitaryOf(back), false)).toBeLessThan(1e-8);
      }),
      { numRuns: 60 },
    );
  });

  it('writes one sentence per kind of change', () => {
    const b = new CircuitBuilder(3);
    b.ccx(0, 1, 2).ccx(1, 2, 0).gate('cx', [0, 0, 1, 0, 1, 0, 0, 0], 1, [0], [0]).cz(0, 1).swap(0, 1).gphase(0.3);
    expect(emitQasm2(b.build()).warnings).toEqual([
      '2 multi-controlled gates decomposed into cx and u3',
      '1 controlled gate other than cx decomposed into cx and u3',
      '1 swap written as 3 cx',
      '1 gate with negative controls written with x around the controls',
      'the global phase dropped (qelib1 gates have none; it is not observable)',
    ]);
    const plain = new CircuitBuilder(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1).build();
    expect(emitQasm2(plain).warnings).toEqual([]);
  });

  it('conditions each op on a whole register, with the same runs after reading back', () => {
    const c = dynamicCircuit();
    const { text } = emitQasm2(c);
    expect(text).toContain('if (a == 1) x q[1];');
    expect(text).toContain('if (b == 1) measure q[2] -> b[1];');
    const back = parseQasm(text, 'QASM2');
    sameRuns(allRuns(c, 5), allRuns(back, 5), false);
  });

  it('random circuits with mid-circuit measurements, resets and whole-register conditions run the same after reading back (fast-check)', () => {
    fc.assert(
      fc.property(randomDynamicCircuits(false), ({ circuit, measurements }) => {
        const back = parseQasm(emitQasm2(circuit).text, 'QASM2');
        sameRuns(allRuns(circuit, measurements), allRuns(back, measurements), false);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses other classical constructs, naming them', () => {
    const base = (ops: Op[], vars?: Circuit['vars']): Circuit => ({
      numQubits: 2,
      numClbits: 2,
      qregs: [{ name: 'q', size: 2, offset: 0 }],
      cregs: [{ name: 'c', size: 2, offset: 0 }],
      ops,
      ...(vars ? { vars } : {}),
    });
    const x: Op = { kind: 'gate', name: 'x', matrix: [0, 0, 1, 0, 1, 0, 0, 0], target: 0, controls: [] };
    const cases: [Op[], string][] = [
      [[{ kind: 'if', clbits: [0], value: 1, body: [x] }], 'a condition on part of a register'],
      [[{ kind: 'if', clbits: [1, 0], value: 1, body: [x] }], 'a condition on part of a register'],
      [
        [{ kind: 'if', clbits: [0, 1], value: 1, body: [{ kind: 'if', clbits: [0, 1], value: 2, body: [x] }] }],
        'nested conditions',
      ],
      [[{ kind: 'while', cond: { k: 'num', v: 0 }, body: [] }], 'while loops'],
      [[{ kind: 'set', target: { var: 0 }, value: { k: 'num', v: 1 } }], 'classical variables'],
      [[{ kind: 'measure-var', qubit: 0, target: { var: 0 } }], 'classical variables'],
      [[{ kind: 'branch', cond: { k: 'bit', clbit: 0 }, then: [x], otherwise: [] }], 'if/else on a computed condition'],
      [[{ kind: 'end' }], 'end statements'],
      [
        [
          {
            kind: 'dgate',
            name: 'u',
            target: 0,
            theta: { k: 'var', index: 0 },
            phi: { k: 'num', v: 0 },
            lambda: { k: 'num', v: 0 },
            controls: [],
          },
        ],
        'gates with angles computed per shot',
      ],
    ];
    for (const [ops, construct] of cases) {
      let err: unknown;
      try {
        emitQasm2(base(ops, [{ name: 'v', type: 'int' }]));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TranslationError);
      expect((err as TranslationError).construct).toBe(construct);
      expect((err as TranslationError).language).toBe('QASM2');
    }
  });

  it('renames registers OpenQASM 2 cannot name (reserved, uppercase)', () => {
    const c: Circuit = {
      numQubits: 1,
      numClbits: 1,
      qregs: [{ name: 'Q', size: 1, offset: 0 }],
      cregs: [{ name: 'cx', size: 1, offset: 0 }],
      ops: [{ kind: 'measure', qubit: 0, clbit: 0 }],
    };
    const back = parseQasm(emitQasm2(c).text, 'QASM2');
    expect(back.qregs[0].name).toBe('rQ');
    expect(back.cregs[0].name).toBe('cx_');
  });
});

describe('registry', () => {
  it('translates between OpenQASM 2 and 3 through the registered emitters', () => {
    const src =
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\nccx q[0], q[1], q[2];\ncu1(0.25) q[2], q[0];\nmeasure q -> c;\n';
    const to3 = translateProgram('QASM2', 'QASM3', src);
    expect(to3.language).toBe('QASM3');
    const original = parseProgram('QASM2', src);
    const via3 = parseProgram('QASM3', to3.quantumCircuit);
    const unitary = (c: Circuit) =>
      unitaryOf(
        c.ops.filter((o) => o.kind !== 'measure'),
        c.numQubits,
      );
    expect(distance(unitary(original), unitary(via3), true)).toBeLessThan(1e-12);
    const to2 = emitProgram('QASM2', via3);
    expect(distance(unitary(original), unitary(parseProgram('QASM2', to2.text)), false)).toBeLessThan(1e-9);
  });
});

describe('the openqasm/openqasm examples (test/fixtures/openqasm)', () => {
  const dir = join(__dirname, '../../../test/fixtures/openqasm');
  const probabilities = (x: Circuit) =>
    simulate({ circuit: x, shots: 4000, seed: 7, type: 'RUNNER', maxQubits: 26 })[1].data as Record<string, number>;
  /** Total variation distance between two distributions. */
  const tv = (a: Record<string, number>, b: Record<string, number>) => {
    let t = 0;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) t += Math.abs((a[k] ?? 0) - (b[k] ?? 0));
    return t / 2;
  };
  const both = ['adder', 'alignment', 'inverseqft2', 'qft', 'qpt', 'rb', 'teleport'];
  const qasm3Only = ['inverseqft1', 'ipe', 'qec', 'rus'];
  it.each([...both, ...qasm3Only])(
    '%s runs with the same distribution after an OpenQASM 3 round trip (and OpenQASM 2 where it can)',
    (name) => {
      const c = parseQasm(readFileSync(join(dir, `${name}.qasm`), 'utf8'), 'QASM3');
      const p = probabilities(c);
      expect(tv(p, probabilities(parseQasm(emitQasm3(c).text, 'QASM3')))).toBeLessThan(0.05);
      if (both.includes(name)) {
        expect(tv(p, probabilities(parseQasm(emitQasm2(c).text, 'QASM2')))).toBeLessThan(0.05);
      } else {
        expect(() => emitQasm2(c)).toThrow(TranslationError);
      }
    },
  );
});
