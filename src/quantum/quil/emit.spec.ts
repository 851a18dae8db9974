import fc from 'fast-check';
import type { Circuit, ClassicalExpr, Op } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { TranslationError, emitProgram, parseProgram, translateProgram } from '../languages';
import { unitaryOf, type State } from '../qasm/testing';
import { simulate } from '../simulator';
import { Rng } from '../simulator/random';
import { CircuitBuilder, randomCircuit } from '../simulator/testing/circuits';
import { emitQuil, parseQuil } from '.';

/** Largest entry distance between two unitaries after removing one global phase. */
function distanceUpToPhase(a: State[], b: State[]): number {
  let re = 0;
  let im = 0;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].re.length; i++) {
      // conj(a) * b
      re += a[k].re[i] * b[k].re[i] + a[k].im[i] * b[k].im[i];
      im += a[k].re[i] * b[k].im[i] - a[k].im[i] * b[k].re[i];
    }
  }
  const norm = Math.hypot(re, im) || 1;
  const [c, s] = [re / norm, im / norm];
  let d = 0;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].re.length; i++) {
      const ar = a[k].re[i] * c - a[k].im[i] * s;
      const ai = a[k].re[i] * s + a[k].im[i] * c;
      d = Math.max(d, Math.hypot(ar - b[k].re[i], ai - b[k].im[i]));
    }
  }
  return d;
}

function probabilities(circuit: Circuit, shots = 4000): Record<string, number> {
  const [, probs] = simulate({ circuit, shots, seed: 11, type: 'RUNNER', maxQubits: 12 });
  return probs.data as Record<string, number>;
}

function expectClose(a: Record<string, number>, b: Record<string, number>, tol: number): void {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    expect(Math.abs((a[k] ?? 0) - (b[k] ?? 0))).toBeLessThan(tol);
  }
}

describe('Quil emitter', () => {
  it('writes a Bell circuit as pyQuil would', () => {
    const b = new CircuitBuilder(2, 0);
    b.creg('ro', 2);
    const circuit = b.h(0).cx(0, 1).measure(0, 0).measure(1, 1).build();
    circuit.cregs = [{ name: 'ro', size: 2, offset: 0 }];
    const { text, warnings } = emitQuil(circuit);
    expect(text).toBe('DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n');
    expect(warnings).toEqual([]);
  });

  it('writes rotations by name, under control too', () => {
    const circuit = parseQuil('RX(0.5) 0\nCONTROLLED RY(0.25) 0 1\nRZ(-1) 1\nCPHASE(0.3) 0 1\nCONTROLLED RX(2) 1 0\n');
    const { text, warnings } = emitQuil(circuit);
    expect(text.split('\n').map((l) => l.replace(/\(.*\)/, '(a)'))).toEqual([
      'RX(a) 0',
      'CONTROLLED RY(a) 0 1',
      'RZ(a) 1',
      'CPHASE(a) 0 1',
      'CONTROLLED RX(a) 1 0',
      '',
    ]);
    expect(warnings).toEqual([]);
    expect(distanceUpToPhase(unitaryOf(circuit), unitaryOf(parseQuil(text)))).toBeLessThan(1e-12);
  });

  it('random circuits (controls, negative controls, swaps, global phases) read back with the same unitary', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 30 }), fc.nat(), (n, gates, seed) => {
        const circuit = randomCircuit(n, gates, seed, { maxControls: 3 });
        const { text } = emitQuil(circuit);
        const back = parseQuil(text);
        expect(back.numQubits).toBe(n);
        expect(distanceUpToPhase(unitaryOf(circuit), unitaryOf(back))).toBeLessThan(1e-9);
      }),
      { numRuns: 150 },
    );
  });

  it('controlled gates keep their phase: a controlled global phase is a PHASE on the control', () => {
    const circuit = new CircuitBuilder(2).gate('cs', G.scale(G.rz(0.8), 0.3), 1, [0]).build();
    const { text, warnings } = emitQuil(circuit);
    expect(text).toContain('PHASE(');
    expect(warnings.join(' ')).toMatch(/CONTROLLED RZ\/RY\/RZ/);
    // Exactly, not only up to a global phase: the control makes the phase relative.
    const a = unitaryOf(circuit);
    const b = unitaryOf(parseQuil(text));
    for (let k = 0; k < 4; k++) {
      for (let i = 0; i < 4; i++) {
        expect(Math.hypot(a[k].re[i] - b[k].re[i], a[k].im[i] - b[k].im[i])).toBeLessThan(1e-12);
      }
    }
  });

  it('drops a top-level global phase with a warning', () => {
    const circuit = new CircuitBuilder(1).h(0).gphase(0.5).build();
    const { warnings } = emitQuil(circuit);
    expect(warnings.join(' ')).toMatch(/global phase/);
  });

  it('random circuits with measurements give the same distribution after a round trip', () => {
    for (const seed of [1, 2, 3]) {
      const circuit = randomCircuit(3, 15, seed, { measure: true });
      const back = parseQuil(emitQuil(circuit).text);
      expect(back.cregs).toEqual(circuit.cregs);
      expectClose(probabilities(circuit, 20000), probabilities(back, 20000), 0.03);
    }
  });

  const DYNAMIC = [
    'DECLARE ro BIT[3]\nRY(1.1) 0\nH 1\nCNOT 1 2\nCNOT 0 1\nH 0\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\nJUMP-UNLESS @a ro[1]\nX 2\nLABEL @a\nJUMP-UNLESS @b ro[0]\nZ 2\nLABEL @b\nMEASURE 2 ro[2]\n',
    'DECLARE ro BIT\nLABEL @again\nH 0\nMEASURE 0 ro\nJUMP-WHEN @again ro[0]\n',
    'DECLARE i INTEGER\nDECLARE go BIT\nDECLARE stop BIT\nDECLARE ro BIT[3]\nMOVE go 1\nLABEL @top\nJUMP-UNLESS @out go\nX 0\nADD i 1\nEQ stop i 5\nJUMP-WHEN @out stop\nJUMP @top\nLABEL @out\nMEASURE 0 ro[0]\nEQ ro[1] i 5\n',
    'DECLARE ro BIT[2]\nJUMP @b\nLABEL @a\nX 0\nJUMP @c\nLABEL @b\nJUMP @a\nLABEL @c\nMEASURE 0 ro[0]\n',
    'DECLARE theta REAL[2]\nDECLARE ro BIT[2]\nMOVE theta[0] 0.6\nMOVE theta[1] 1.0\nRX(2*theta[0]) 0\nCONTROLLED RY(theta[1] * 2 - theta[0] + 0.6) 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n',
    'DECLARE a INTEGER[3]\nDECLARE i INTEGER\nDECLARE x INTEGER\nDECLARE r REAL\nDECLARE ro BIT[8]\nMOVE i 2\nSTORE a i 7\nLOAD x a i\nEQ ro[0] x 7\nADD x 3\nMUL x 2\nSUB x 6\nDIV x 4\nEQ ro[1] x 3\nMOVE r 1.5\nCONVERT x r\nEQ ro[2] x 1\nEXCHANGE a[0] a[2]\nEQ ro[3] a[0] 7\nEQ ro[4] a[2] 0\nNOT ro[5]\nMOVE ro[6] 1\nAND ro[6] ro[0]\nMEASURE 0 ro[7]\nGT ro[7] r 2.0\n',
    'DECLARE m INTEGER\nDECLARE ro BIT[2]\nH 0\nMEASURE 0 m\nJUMP-WHEN @flip m\nJUMP @done\nLABEL @flip\nX 1\nLABEL @done\nMEASURE 1 ro[1]\nHALT\nX 1\n',
    'DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0\nRESET 0\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n',
  ];

  it.each(DYNAMIC.map((src, k) => [k, src]))('dynamic program %i reads back with the same distribution', (_k, src) => {
    const circuit = parseQuil(src as string);
    const { text } = emitQuil(circuit);
    const back = parseQuil(text);
    expect(back.cregs).toEqual(circuit.cregs);
    expectClose(probabilities(circuit, 20000), probabilities(back, 20000), 0.03);
  });

  it('compiles per-shot expressions into classical instructions and refuses what Quil cannot compute', () => {
    const b = new CircuitBuilder(1, 1);
    const circuit: Circuit = {
      ...b.build(),
      vars: [{ name: 'x', type: 'float' }],
      ops: [
        { kind: 'set', target: { var: 0 }, value: { k: 'num', v: 0.25 } },
        {
          kind: 'branch',
          cond: { k: 'binary', op: '<', a: { k: 'var', index: 0 }, b: { k: 'num', v: 0.5 } },
          then: [{ kind: 'gate', name: 'x', target: 0, matrix: G.X, controls: [] }],
          otherwise: [],
        },
        { kind: 'measure', qubit: 0, clbit: 0 },
      ],
    };
    const back = parseQuil(emitQuil(circuit).text);
    expect(probabilities(back, 100)).toEqual({ '0x1': 1 });
    const sin: Circuit = {
      ...circuit,
      ops: [{ kind: 'set', target: { var: 0 }, value: { k: 'call', fn: 'log', args: [{ k: 'var', index: 0 }] } }],
    };
    expect(() => emitQuil(sin)).toThrow(TranslationError);
    expect(() => emitQuil(sin)).toThrow(/QUIL cannot express the function log/);
  });

  it("OpenQASM 2's if (c == n) becomes one jump per bit (translateProgram QASM2 → QUIL)", () => {
    const src = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[2];
creg r[1];
h q[0];
h q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];
if (c == 2) x q[2];
measure q[2] -> r[0];
`;
    const t = translateProgram('QASM2', 'QUIL', src);
    expect(t.quantumCircuit).toContain('JUMP-WHEN');
    const original = parseProgram('QASM2', src);
    const back = parseQuil(t.quantumCircuit);
    expect(back.cregs).toEqual(original.cregs);
    expectClose(probabilities(original, 20000), probabilities(back, 20000), 0.03);
    // r is 1 exactly when c == 2
    for (const key of Object.keys(probabilities(back))) {
      const [r, c] = key.split(' ');
      expect(r === '0x1').toBe(c === '0x2');
    }
  });

  it('an OpenQASM 3 dynamic program (while on a measurement, int[32] arithmetic, per-shot angle) translates to Quil', () => {
    const src = `OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
int[32] n = 0;
h q[0];
c[0] = measure q[0];
while (c[0] == 0 && n < 5) {
  h q[0];
  c[0] = measure q[0];
  n += 1;
}
rx(0.4 * n) q[1];
if (n > 1) { x q[1]; }
c[1] = measure q[1];
`;
    const t = translateProgram('QASM3', 'QUIL', src);
    expect(t.quantumCircuit).toContain('LABEL @loop_1');
    const original = parseProgram('QASM3', src);
    const back = parseQuil(t.quantumCircuit);
    expect(back.cregs).toEqual(original.cregs);
    expectClose(probabilities(original, 20000), probabilities(back, 20000), 0.03);
  });

  it('casts to int[w] / uint[w] wrap as the IR says', () => {
    const values = [0, 5, -5, 127, 128, -129, 255, 256, 1000.7, -1000.7];
    for (const [to, width] of [
      ['int', 8],
      ['uint', 8],
      ['int', 4],
    ] as const) {
      const circuit: Circuit = {
        numQubits: 1,
        numClbits: 8 * values.length + 1,
        qregs: [{ name: 'q', size: 1, offset: 0 }],
        cregs: [
          ...values.map((_, k) => ({ name: `r${k}`, size: 8, offset: 8 * k })),
          { name: 'm', size: 1, offset: 8 * values.length },
        ],
        vars: [{ name: 'x', type: 'float' }],
        ops: values.flatMap((v, k): Op[] => [
          ...(k === 0 ? [{ kind: 'measure', qubit: 0, clbit: 8 * values.length } as const] : []),
          { kind: 'set', target: { var: 0 }, value: { k: 'num', v } },
          {
            kind: 'set',
            target: { clbits: Array.from({ length: 8 }, (_, b) => 8 * k + b) },
            value: { k: 'cast', to, width, a: { k: 'var', index: 0 } },
          },
        ]),
      };
      const expected = probabilities(circuit, 10);
      expect(Object.keys(expected)).toHaveLength(1);
      expect(probabilities(parseQuil(emitQuil(circuit).text), 10)).toEqual(expected);
    }
  });

  it('%, ** and shifts by constants, floor and ceiling compute what the engine computes', () => {
    const x: ClassicalExpr = { k: 'var', index: 0 };
    const y: ClassicalExpr = { k: 'var', index: 1 };
    const exprs: ClassicalExpr[] = [
      { k: 'binary', op: '%', a: { k: 'cast', to: 'int', a: x }, b: { k: 'num', v: 7 } },
      { k: 'binary', op: '%', a: x, b: y },
      { k: 'cast', to: 'int', a: { k: 'binary', op: '**', a: y, b: { k: 'num', v: 3 } } },
      { k: 'binary', op: '<<', a: { k: 'cast', to: 'int', a: x }, b: { k: 'num', v: 5 } },
      { k: 'binary', op: '<<', a: { k: 'cast', to: 'int', a: x }, b: { k: 'num', v: 31 } },
      { k: 'binary', op: '>>', a: { k: 'cast', to: 'int', a: x }, b: { k: 'num', v: 3 } },
      { k: 'binary', op: '>>', a: { k: 'cast', to: 'int', a: x }, b: { k: 'num', v: 0 } },
      { k: 'call', fn: 'floor', args: [x] },
      { k: 'call', fn: 'ceiling', args: [x] },
    ];
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -(2 ** 34), max: 2 ** 34 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
        fc.oneof(
          fc.integer({ min: -9, max: 9 }).filter((v) => v !== 0),
          fc.double({ min: 0.5, max: 20, noNaN: true }),
        ),
        (xv, yv) => {
          const width = 40;
          const circuit: Circuit = {
            numQubits: 1,
            numClbits: width * exprs.length + 1,
            qregs: [{ name: 'q', size: 1, offset: 0 }],
            cregs: [
              ...exprs.map((_, k) => ({ name: `r${k}`, size: width, offset: width * k })),
              { name: 'm', size: 1, offset: width * exprs.length },
            ],
            vars: [
              { name: 'x', type: 'float' },
              { name: 'y', type: 'float' },
            ],
            ops: [
              { kind: 'measure', qubit: 0, clbit: width * exprs.length },
              { kind: 'set', target: { var: 0 }, value: { k: 'num', v: xv } },
              { kind: 'set', target: { var: 1 }, value: { k: 'num', v: yv } },
              ...exprs.map((e, k): Op => ({
                kind: 'set',
                target: { clbits: Array.from({ length: width }, (_, b) => width * k + b) },
                value: { k: 'cast', to: 'int', a: e },
              })),
            ],
          };
          const expected = probabilities(circuit, 1);
          expect(probabilities(parseQuil(emitQuil(circuit).text), 1)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('measurements into a bit of a variable, multi-bit sets and array elements read back the same', () => {
    const circuit: Circuit = {
      numQubits: 2,
      numClbits: 3,
      qregs: [{ name: 'q', size: 2, offset: 0 }],
      cregs: [{ name: 'c', size: 3, offset: 0 }],
      vars: [
        { name: 'm', type: 'int' },
        { name: 'a[0]', type: 'int' },
        { name: 'a[1]', type: 'int' },
        { name: 'a[2]', type: 'int' },
      ],
      ops: [
        { kind: 'set', target: { var: 0 }, value: { k: 'num', v: 1 } },
        { kind: 'gate', name: 'x', target: 1, matrix: G.X, controls: [] },
        // m = 1 | (1 << 2) = 5
        { kind: 'measure-var', qubit: 1, target: { var: 0 }, bit: 2 },
        // a[m - 3] = m + 1 (a[2] = 6)
        {
          kind: 'set',
          target: {
            first: 1,
            length: 3,
            at: { k: 'binary', op: '-', a: { k: 'var', index: 0 }, b: { k: 'num', v: 3 } },
          },
          value: { k: 'binary', op: '+', a: { k: 'var', index: 0 }, b: { k: 'num', v: 1 } },
        },
        // c = a[2] (low three bits: 6)
        {
          kind: 'set',
          target: { clbits: [0, 1, 2] },
          value: { k: 'elem', first: 1, length: 3, at: { k: 'num', v: 2 } },
        },
      ],
    };
    const { text } = emitQuil(circuit);
    expect(text).toContain('DECLARE a INTEGER[3]');
    expect(text).toContain('STORE a ');
    expect(text).toContain('LOAD ');
    const back = parseQuil(text);
    expect(probabilities(back, 10)).toEqual({ '0x6': 1 });
  });

  it('random dynamic circuits (branches, bounded loops, variables, per-shot angles) read back with the same distribution', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const circuit = randomDynamic(seed);
      const back = parseQuil(emitQuil(circuit).text);
      expect(back.cregs).toEqual(circuit.cregs);
      expectClose(probabilities(circuit, 8000), probabilities(back, 8000), 0.05);
    }
  });

  it('is registered: translateProgram QUIL → QUIL and emitProgram', () => {
    const t = translateProgram('QUIL', 'QUIL', 'DECLARE ro BIT\nRX(pi/2) 0\nMEASURE 0 ro\n');
    expect(t.language).toBe('QUIL');
    expect(t.quantumCircuit).toContain('MEASURE 0 ro[0]');
    expect(emitProgram('QUIL', parseQuil('X 0\n')).text).toBe('X 0\n');
  });
});

/**
 * A seeded random dynamic circuit on 2 qubits: gates, measurements, variables (i, j integers, x
 * real) set from random expressions, branches, loops bounded by a counter k, per-shot RY angles,
 * measurements into a variable.
 */
function randomDynamic(seed: number): Circuit {
  const rng = new Rng(seed);
  const int = (n: number) => Math.floor(rng.next() * n);
  const I = 0;
  const J = 1;
  const X = 2;
  const K = 3;
  const v = (index: number): ClassicalExpr => ({ k: 'var', index });
  const num = (x: number): ClassicalExpr => ({ k: 'num', v: x });
  const intExpr = (d: number): ClassicalExpr => {
    const r = int(d > 2 ? 3 : 6);
    if (r === 0) return num(int(7) - 3);
    if (r === 1) return v(int(2) === 0 ? I : J);
    if (r === 2) return { k: 'bit', clbit: int(2) };
    if (r === 3) return { k: 'binary', op: (['+', '-', '*'] as const)[int(3)], a: intExpr(d + 1), b: intExpr(d + 1) };
    if (r === 4) return { k: 'cond', test: boolExpr(d + 1), a: intExpr(d + 1), b: intExpr(d + 1) };
    return { k: 'cast', to: 'int', a: realExpr(d + 1) };
  };
  const realExpr = (d: number): ClassicalExpr => {
    const r = int(d > 2 ? 2 : 4);
    if (r === 0) return num(Math.round((rng.next() * 4 - 2) * 100) / 100);
    if (r === 1) return v(X);
    if (r === 2) return { k: 'binary', op: (['+', '-', '*'] as const)[int(3)], a: realExpr(d + 1), b: intExpr(d + 1) };
    return { k: 'unary', op: '-', a: realExpr(d + 1) };
  };
  const boolExpr = (d: number): ClassicalExpr => {
    const r = int(d > 2 ? 2 : 5);
    if (r === 0) return { k: 'bit', clbit: int(2) };
    if (r === 1)
      return {
        k: 'binary',
        op: (['<', '<=', '==', '!=', '>', '>='] as const)[int(6)],
        a: intExpr(d + 1),
        b: intExpr(d + 1),
      };
    if (r === 2) return { k: 'binary', op: int(2) ? '&&' : '||', a: boolExpr(d + 1), b: boolExpr(d + 1) };
    if (r === 3) return { k: 'unary', op: '!', a: boolExpr(d + 1) };
    return { k: 'binary', op: '<', a: realExpr(d + 1), b: num(0.5) };
  };
  const ops = (d: number, count: number, inLoop: boolean): Op[] => {
    const out: Op[] = [];
    for (let n = 0; n < count; n++) {
      const r = int(d > 1 ? 6 : 9);
      const q = int(2);
      if (r === 0) out.push({ kind: 'gate', name: 'h', target: q, matrix: G.H, controls: [] });
      else if (r === 1)
        out.push({
          kind: 'gate',
          name: 'ry',
          target: q,
          matrix: G.ry(rng.next() * 3),
          controls: int(2) ? [1 - q] : [],
        });
      else if (r === 2) out.push({ kind: 'measure', qubit: q, clbit: int(2) });
      else if (r === 3) {
        const t = int(3);
        out.push({ kind: 'set', target: { var: t }, value: t === X ? realExpr(0) : intExpr(0) });
      } else if (r === 4) out.push({ kind: 'measure-var', qubit: q, target: { var: int(2) ? I : J } });
      else if (r === 5) {
        out.push({
          kind: 'dgate',
          name: 'ry',
          target: q,
          theta: realExpr(1),
          phi: num(0),
          lambda: num(0),
          controls: int(2) ? [1 - q] : [],
        });
      } else if (r === 6 || (r === 8 && inLoop)) {
        out.push({
          kind: 'branch',
          cond: boolExpr(0),
          then: ops(d + 1, 1 + int(3), inLoop),
          otherwise: int(2) ? ops(d + 1, int(3), inLoop) : [],
        });
      } else if (r === 7) {
        if (inLoop) {
          out.push({
            kind: 'branch',
            cond: boolExpr(1),
            then: [{ kind: int(2) ? 'break' : 'continue' }],
            otherwise: [],
          });
          continue;
        }
        // k = 0; while (k < bound) { k = k + 1; body }
        out.push({ kind: 'set', target: { var: K }, value: num(0) });
        out.push({
          kind: 'while',
          cond: { k: 'binary', op: '<', a: v(K), b: num(1 + int(3)) },
          body: [
            { kind: 'set', target: { var: K }, value: { k: 'binary', op: '+', a: v(K), b: num(1) } },
            ...ops(d + 1, 1 + int(3), true),
          ],
        });
      } else {
        out.push({ kind: 'end' });
      }
    }
    return out;
  };
  const body = ops(0, 6 + int(6), false);
  body.push({ kind: 'measure', qubit: 0, clbit: 0 }, { kind: 'measure', qubit: 1, clbit: 1 });
  return {
    numQubits: 2,
    numClbits: 2,
    qregs: [{ name: 'q', size: 2, offset: 0 }],
    cregs: [{ name: 'c', size: 2, offset: 0 }],
    vars: [
      { name: 'i', type: 'int' },
      { name: 'j', type: 'int' },
      { name: 'x', type: 'float' },
      { name: 'k', type: 'int' },
    ],
    ops: body,
  };
}
