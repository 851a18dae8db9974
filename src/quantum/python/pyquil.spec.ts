import fc from 'fast-check';
import { CircuitError, type Circuit } from '../circuit/circuit';
import { parseQuil } from '../quil';
import { looksLikePyQuil, parsePyQuil } from '.';
import { counts, diag, e, L, permutation, type Rows, unitaryError } from './testing';

const expectUnitary = (circuit: Circuit, rows: Rows, n?: number) =>
  expect(unitaryError(circuit, rows, n)).toBeLessThan(1e-9);

const located = (src: string): CircuitError => {
  try {
    parsePyQuil(src);
  } catch (err) {
    if (err instanceof CircuitError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('pyQuil', () => {
  const qunicorn = [
    'from pyquil import Program \n\nfrom pyquil.gates import * \n\nfrom pyquil.quilbase import Declare\n\ncircuit = Program(\nDeclare("ro", "BIT", 2),\nH(0),\nCNOT(0, 1),\nMEASURE(0, ("ro", 0)),\nMEASURE(1, ("ro", 1)),\n)',
    'from pyquil import Program \n\nfrom pyquil.gates import * \n\nfrom pyquil.quilbase import Declare\n\ncircuit = Program(\nDeclare("ro", "BIT", 2),\nH(0), \nH(0),\nCNOT(0, 1),\nMEASURE(0, ("ro", 0)),\nMEASURE(1, ("ro", 1)),\n)',
  ];

  it("reads qunicorn-core's programs: the Bell distribution and |00>", () => {
    const bell = counts(parsePyQuil(qunicorn[0]));
    expect(Object.keys(bell).sort()).toEqual(['0x0', '0x3']);
    expect(Math.abs(bell['0x0'] - 1000)).toBeLessThan(5 * Math.sqrt(500));
    expect(counts(parsePyQuil(qunicorn[1]))).toEqual({ '0x0': 2000 });
  });

  it('gives the same circuit as the Quil text it stands for', () => {
    const py = [
      'from pyquil import Program',
      'from pyquil.gates import H, CNOT, RX, CPHASE, MEASURE, X',
      'import numpy as np',
      'p = Program()',
      'ro = p.declare("ro", "BIT", 3)',
      'p += H(0)',
      'for q in range(2):',
      '    p += CNOT(q, q + 1)',
      'p.inst(RX(np.pi / 4, 2), CPHASE(0.5, 0, 2))',
      'p += [X(1).dagger(), H(2).controlled(0), X(0).controlled([1, 2])]',
      'p += [MEASURE(i, ro[i]) for i in range(0)] if False else MEASURE(0, ro[0])',
    ];
    // comprehensions and conditional expressions are outside the subset: the last line is refused
    expect(located(py.join('\n')).line).toBe(11);
    const src = [...py.slice(0, -1), 'for i in range(3):', '    p += MEASURE(i, ro[i])', 'circuit = p'].join('\n');
    const quil = [
      'DECLARE ro BIT[3]',
      'H 0',
      'CNOT 0 1',
      'CNOT 1 2',
      `RX(${Math.PI / 4}) 2`,
      'CPHASE(0.5) 0 2',
      'DAGGER X 1',
      'CONTROLLED H 0 2',
      'CONTROLLED CONTROLLED X 2 1 0',
      'MEASURE 0 ro[0]',
      'MEASURE 1 ro[1]',
      'MEASURE 2 ro[2]',
    ].join('\n');
    expect(parsePyQuil(src)).toEqual(parseQuil(quil));
  });

  it('gate matrices come from the Quil front end (pyQuil conventions)', () => {
    const g = (call: string, n: number) =>
      parsePyQuil(`from pyquil.gates import *\ncircuit = Program(${call}, I(${n - 1}))`);
    expectUnitary(g('CPHASE10(0.3, 1, 0)', 2), diag(L, L, e(0.3), L));
    expectUnitary(g('SWAP(0, 1)', 2), permutation([0, 2, 1, 3]));
    expectUnitary(g('PHASE(0.7, 0)', 1), diag(L, e(0.7)));
  });

  it('measure_all, RESET, HALT, raw Quil strings and wrap_in_numshots_loop', () => {
    const c = parsePyQuil(
      'from pyquil import Program\nfrom pyquil.gates import X, RESET, HALT\np = Program(X(1), "X 0")\np.measure_all()\np.wrap_in_numshots_loop(100)\np += HALT\ncircuit = p',
    );
    expect(c.cregs).toEqual([{ name: 'ro', size: 2, offset: 0 }]);
    expect(counts(c)).toEqual({ '0x3': 2000 });
  });

  it('maps Quil errors back to the Python call, and refuses what is not pyQuil', () => {
    const bad = located('from pyquil.gates import *\ncircuit = Program(\n  H(0),\n  MEASURE(0, ("ro", 0)))');
    expect([bad.line, bad.column]).toEqual([4, 10]);
    expect(bad.reason).toContain('MEASURE 0 ro[0]');
    const unknownQubitType = located('from pyquil.gates import *\ncircuit = Program(H("a"))');
    expect([unknownQubitType.line, unknownQubitType.column]).toEqual([2, 21]);
    expect(located('import os\ncircuit = Program()').reason).toContain("import of module 'os'");
    expect(located('circuit = Program()\ncircuit.run()').reason).toContain('Program.run is not supported');
  });

  it('looksLikePyQuil tells pyQuil code from Quil text', () => {
    expect(looksLikePyQuil('from pyquil import Program\np = Program()')).toBe(true);
    expect(looksLikePyQuil('circuit = Program(H(0))')).toBe(true);
    expect(looksLikePyQuil('DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\n')).toBe(false);
    expect(looksLikePyQuil('RX(pi/2) 0\nMEASURE 0 ro[0]')).toBe(false);
  });

  it('mutated programs throw only CircuitError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...qunicorn),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 3 })), {
          minLength: 1,
          maxLength: 5,
        }),
        (src, edits) => {
          let s = src;
          for (const [pos, del, ins] of edits) {
            const at = pos % (s.length + 1);
            s = s.slice(0, at) + ins + s.slice(at + del);
          }
          try {
            parsePyQuil(s, { maxOperations: 10_000 });
          } catch (err) {
            if (!(err instanceof CircuitError)) throw err;
            expect(err.reason).not.toMatch(/internal error/);
          }
        },
      ),
      { numRuns: 800 },
    );
  });
});
