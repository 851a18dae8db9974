import fc from 'fast-check';
import { CircuitError, type Circuit } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { emitProgram, parseProgram, translateProgram, TranslationError } from '../languages';
import { CircuitBuilder, randomCircuit } from '../simulator/testing/circuits';
import { emitBraket, emitQiskit, parseBraket, parsePyQuil, parseQiskit } from '.';
import { counts, finalState, stateDistance } from './testing';

const roundTrip = (circuit: Circuit, language: 'QISKIT' | 'BRAKET'): Circuit => {
  const { text } = emitProgram(language, circuit);
  return parseProgram(language, text);
};

describe('QISKIT and BRAKET emitters', () => {
  it.each(['QISKIT', 'BRAKET'] as const)(
    '%s: random circuits (measured or not) read back with the same statevector (global phase included)',
    (language) => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 0, max: 30 }),
          fc.integer(),
          fc.boolean(),
          (n, gates, seed, measure) => {
            const circuit = randomCircuit(n, gates, seed, { maxControls: 3, measure });
            const back = roundTrip(circuit, language);
            expect(back.numQubits).toBe(n);
            expect(stateDistance(finalState(back), finalState(circuit))).toBeLessThan(1e-9);
          },
        ),
        { numRuns: 150 },
      );
    },
  );

  it('long programs: a Braket chain of 20,000 calls reads without deep recursion', () => {
    const circuit = randomCircuit(4, 20_000, 3);
    const braket = emitBraket(circuit).text;
    expect(braket.split('\n').length).toBeGreaterThan(20_000);
    expect(stateDistance(finalState(parseBraket(braket)), finalState(circuit))).toBeLessThan(1e-8);
    expect(stateDistance(finalState(parseQiskit(emitQiskit(circuit).text)), finalState(circuit))).toBeLessThan(1e-8);
  });

  it('QISKIT keeps registers, measurements, resets, barriers and conditions', () => {
    const b = new CircuitBuilder();
    b.qreg('a', 2);
    b.qreg('b', 1);
    b.creg('m', 2);
    b.creg('n', 1);
    b.h(0).cx(0, 1).measure(0, 0).measure(1, 1);
    b.if([0, 1], 3, (body) => body.x(2));
    b.if([2], 0, (body) => body.h(2));
    b.reset(0).barrier(0, 1, 2).measure(2, 2);
    const circuit = b.build();
    const { text } = emitQiskit(circuit);
    expect(text).toContain('QuantumRegister(2, "a")');
    expect(text).toContain('with circuit.if_test((cr0, 3)):');
    const back = parseQiskit(text);
    expect(back.qregs).toEqual(circuit.qregs);
    expect(back.cregs).toEqual(circuit.cregs);
    expect(counts(back, 3000, 5)).toEqual(counts(circuit, 3000, 5));
    // a condition on bits that are not one register: one if_test per bit
    const odd = new CircuitBuilder(2, 2)
      .x(0)
      .measure(0, 1)
      .if([1, 0], 1, (body) => body.x(1))
      .measure(1, 0)
      .build();
    const oddText = emitQiskit(odd).text;
    expect(oddText).toContain('with circuit.if_test((1, 1)):');
    expect(counts(parseQiskit(oddText))).toEqual(counts(odd));
  });

  it('QISKIT: if_test with else reads back as a branch and is written back the same way', () => {
    const src = [
      'from qiskit import QuantumCircuit, QuantumRegister, ClassicalRegister',
      'qr = QuantumRegister(2)',
      'cr = ClassicalRegister(1)',
      'circuit = QuantumCircuit(qr, cr)',
      'circuit.h(0)',
      'circuit.measure(0, 0)',
      'with circuit.if_test((cr, 1)) as else_:',
      '    circuit.x(1)',
      'with else_:',
      '    circuit.h(1)',
      'circuit.measure(1, 0)',
    ].join('\n');
    const circuit = parseQiskit(src);
    expect(circuit.ops[2]).toMatchObject({
      kind: 'branch',
      then: [{ kind: 'gate', name: 'x' }],
      otherwise: [{ kind: 'gate', name: 'h' }],
    });
    // c = 1 then x → 1; c = 0 then h → 0 or 1: P(1) = 1/2 + 1/4
    const r = counts(circuit, 4000, 3);
    expect(Math.abs(r['0x1'] - 3000)).toBeLessThan(5 * Math.sqrt(4000 * 0.75 * 0.25));
    const text = emitQiskit(circuit).text;
    expect(text).toContain(
      'with circuit.if_test((cr0, 1)) as else_0:\n    circuit.x(1)\nwith else_0:\n    circuit.h(1)',
    );
    expect(parseQiskit(text).ops).toEqual(circuit.ops);
    expect(() => parseQiskit(src.replace('with else_:', 'circuit.x(0)\nwith else_:'))).toThrow(/directly follow/);
  });

  it('QISKIT writes standard gates by name and multi-controlled gates with append', () => {
    const circuit = new CircuitBuilder(3)
      .h(0)
      .cx(0, 1)
      .ccx(0, 1, 2)
      .gate('u', G.u3(0.1, 0.2, 0.3), 2, [0, 1], [0, 1])
      .gate('s', G.S, 0, [1, 2], [1, 0])
      .swap(0, 1, [2], [0])
      .build();
    const { text } = emitQiskit(circuit);
    expect(text).toContain('circuit.h(0)\ncircuit.cx(0, 1)\ncircuit.ccx(0, 1, 2)');
    expect(text).toMatch(/UGate\(0\.1\d*, 0\.2\d*, 0\.3\d*\)\.control\(2, ctrl_state='10'\), \[0, 1, 2\]/);
    expect(text).toContain("SwapGate().control(1, ctrl_state='0'), [2, 0, 1]");
    expect(text).toContain("SGate().control(2, ctrl_state='01'), [1, 2, 0]");
    expect(stateDistance(finalState(parseQiskit(text)), finalState(circuit))).toBeLessThan(1e-12);
  });

  it('BRAKET: implicit measurement, measurement order, idle qubits and refusals', () => {
    const bell = new CircuitBuilder(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1).build();
    const { text, warnings } = emitBraket(bell);
    expect(text).toBe('(\n    Circuit()\n    .h(0)\n    .cnot(0, 1)\n)\n');
    expect(warnings).toEqual([]);
    expect(counts(parseBraket(text))).toEqual(counts(bell));

    // a qubit that is only measured stays in the circuit
    const idleMeasured = new CircuitBuilder(2, 2).x(0).measure(0, 0).measure(1, 1).build();
    const idleText = emitBraket(idleMeasured).text;
    expect(idleText).toContain('.i(1)');
    expect(parseBraket(idleText).numQubits).toBe(2);
    expect(counts(parseBraket(idleText))).toEqual(counts(idleMeasured));

    const swapped = new CircuitBuilder(3, 2).x(0).measure(0, 1).measure(2, 0).build();
    const out = emitBraket(swapped);
    expect(out.text).toContain('.i(1)');
    expect(out.text).toContain('.measure([2, 0])');
    expect(out.warnings.join(' ')).toContain("qubit 0 (the circuit's clbit 1)");
    expect(counts(parseBraket(out.text))).toEqual(counts(swapped));

    const refuse = (c: Circuit, construct: string) => {
      let err: unknown;
      try {
        emitBraket(c);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(TranslationError);
      expect((err as TranslationError).construct).toBe(construct);
    };
    refuse(new CircuitBuilder(1, 1).measure(0, 0).x(0).build(), 'mid-circuit measurement');
    refuse(new CircuitBuilder(1, 1).reset(0).build(), 'reset');
    refuse(
      new CircuitBuilder(1, 1)
        .measure(0, 0)
        .if([0], 1, (x) => x.x(0))
        .build(),
      'classical control',
    );
  });

  it('translateProgram: QASM2 to QISKIT and BRAKET and back', () => {
    const qasm =
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n';
    for (const to of ['QISKIT', 'BRAKET']) {
      const t = translateProgram('QASM2', to, qasm);
      const r = counts(parseProgram(to, t.quantumCircuit));
      expect(Object.keys(r).sort()).toEqual(['0x0', '0x3']);
    }
  });
});

describe('mutated programs throw only CircuitError', () => {
  const seeds = [
    'circuit = QuantumCircuit(2, 2);circuit.h(0);circuit.cx(0, 1);circuit.measure(0, 0);circuit.measure(1, 1)',
    emitQiskit(randomCircuit(3, 12, 5, { measure: true })).text,
    'from qiskit import *\nqr = QuantumRegister(2)\ncr = ClassicalRegister(2)\nqc = QuantumCircuit(qr, cr)\nfor i in range(2):\n    qc.h(qr[i])\nwith qc.if_test((cr, 1)):\n    qc.x(0)\nqc.measure(qr, cr)\n',
  ];
  const braketSeeds = ['Circuit().h(0).cnot(0, 1)', emitBraket(randomCircuit(3, 12, 9)).text];
  const mutate = (src: string, edits: [number, number, string][]) => {
    let s = src;
    for (const [pos, del, ins] of edits) {
      const at = pos % (s.length + 1);
      s = s.slice(0, at) + ins + s.slice(at + del);
    }
    return s;
  };
  const pieces = fc.constantFrom(
    '(',
    ')',
    '[',
    ']',
    ':',
    '\n',
    '    ',
    ',',
    '.',
    '=',
    '+=',
    '**',
    '-',
    '1e400',
    'for ',
    'range(',
    '0',
    '99',
    'h',
    "'",
    '"',
    '#',
    '\\',
    'x',
    'i',
    'j',
    'with ',
    'import ',
    'os',
    '__',
    ';',
  );
  const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.oneof(pieces, fc.string({ maxLength: 3 })));

  it('random text, in every builder', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (src) => {
        for (const parse of [parseQiskit, parseBraket, parsePyQuil]) {
          try {
            parse(src, { maxOperations: 10_000 });
          } catch (err) {
            if (!(err instanceof CircuitError)) throw err;
            expect(err.reason).not.toMatch(/internal error/);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['QISKIT', seeds, parseQiskit],
    ['BRAKET', braketSeeds, parseBraket],
  ] as const)('%s', (_language, sources, parse) => {
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.array(edit, { minLength: 1, maxLength: 6 }), (src, edits) => {
        try {
          parse(mutate(src, edits), { maxOperations: 10_000 });
        } catch (err) {
          if (!(err instanceof CircuitError)) throw err;
          expect(err.line).toBeGreaterThanOrEqual(1);
          expect(err.column).toBeGreaterThanOrEqual(1);
          expect(err.reason).not.toMatch(/internal error/);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
