import fc from 'fast-check';
import type { Circuit } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { TranslationError, emitProgram, parseProgram, translateProgram } from '../languages';
import { unitaryOf, type State } from '../qasm/testing';
import { simulate } from '../simulator';
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

  it('is registered: translateProgram QUIL → QUIL and emitProgram', () => {
    const t = translateProgram('QUIL', 'QUIL', 'DECLARE ro BIT\nRX(pi/2) 0\nMEASURE 0 ro\n');
    expect(t.language).toBe('QUIL');
    expect(t.quantumCircuit).toContain('MEASURE 0 ro[0]');
    expect(emitProgram('QUIL', parseQuil('X 0\n')).text).toBe('X 0\n');
  });
});
