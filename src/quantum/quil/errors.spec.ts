import fc from 'fast-check';
import { CircuitError } from '../circuit/circuit';
import { parseQuil } from '.';

function error(src: string): CircuitError {
  try {
    parseQuil(src, { maxOperations: 10_000 });
  } catch (e) {
    if (e instanceof CircuitError) return e;
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(src)}`);
}

const CASES: [string, RegExp, number, number][] = [
  ['H\n', /expected the qubits of 'H'/, 1, 2],
  ['h 0\n', /unknown gate 'h' \(Quil is case-sensitive: H\)/, 1, 1],
  ['CNOT 0 0\n', /qubit 0 is used twice by CNOT/, 1, 8],
  ['RX 0\n', /RX takes 1 parameter, not 0/, 1, 1],
  ['X 0 1\n', /X acts on 1 qubit, not 2/, 1, 1],
  ['RX(theta) 0\n', /undeclared memory region 'theta'/, 1, 4],
  ['DECLARE ro BIT[2]\nMEASURE 0 ro[2]\n', /index 2 out of range for 'ro' \(length 2\)/, 2, 11],
  ['DECLARE x REAL\nMEASURE 0 x\n', /MEASURE into REAL memory 'x'/, 2, 11],
  ['JUMP @nowhere\n', /jump to undefined label @nowhere/, 1, 1],
  ['LABEL @a\nX 0\nLABEL @a\n', /label @a is defined twice/, 3, 1],
  ['DECLARE x REAL SHARING y\n', /SHARING is not supported/, 1, 16],
  ['DECLARE ro BIT[2]\nDECLARE ro BIT\n', /'ro' is already declared/, 2, 1],
  ['DECLARE ro QUBIT[2]\n', /unknown memory type 'QUBIT'/, 1, 12],
  ['DEFGATE G:\n    1, 0\n    0, 2\nG 0\n', /DEFGATE G is not unitary/, 4, 1],
  ['DEFGATE G:\n    1, 0, 0\n    0, 1, 0\n    0, 0, 1\nG 0\n', /size 3 is not a power of 2/, 1, 1],
  ['DEFGATE G:\n    1, 0\n    0, 1\nG 0 1\n', /G acts on 1 qubit, not 2/, 4, 1],
  ['DEFGATE P(%t) q AS PAULI-SUM:\n    ZW(%t) q\n', /'ZW' is not a Pauli word/, 2, 5],
  ['DEFGATE P(%t) q AS PAULI-SUM:\n    ZZ(%t) q\n', /the Pauli word ZZ needs 2 qubits, not 1/, 2, 5],
  ['DEFGATE P(%t) q AS PAULI-SUM:\n    Z(%t) r\n', /unknown qubit 'r' \(the gate's qubits are q\)/, 2, 11],
  ['DEFGATE P(%t) q AS PAULI-SUM:\n    Z(%t*i) q\nP(1) 0\n', /coefficient must be real/, 2, 9],
  ['DEFGATE P q:\n    1, 0\n    0, 1\n', /only PAULI-SUM gates name their qubits/, 1, 9],
  ['DEFGATE G AS PERMUTATION:\n    0, 0\nG 0\n', /not a permutation of 0..1/, 2, 8],
  ['DEFGATE G(%a):\n    cos(%a), sin(%b)\n    1, 0\nG(1) 0\n', /unknown parameter '%b'/, 2, 18],
  ['X 0 &\n', /unexpected character '&'/, 1, 5],
  ['RX(1+) 0\n', /expected an expression, found '\)'/, 1, 6],
  ['RX(foo(1)) 0\n', /unknown function 'foo'/, 1, 4],
  ['RZ(i) 0\n', /gate parameter must be real/, 1, 4],
  ['DECLARE ro BIT\nMOVE ro 0.5\n', /cannot MOVE the real number 0.5 into BIT memory/, 2, 9],
  ['DECLARE r REAL\nNOT r\n', /NOT of REAL memory/, 2, 1],
  [
    'DECLARE b BIT[2]\nDECLARE i INTEGER\nDECLARE x INTEGER\nLOAD x b i\n',
    /LOAD from BIT memory 'b' is not supported/,
    4,
    1,
  ],
  ['DEFCIRCUIT R q:\n    R q\nR 0\n', /nested too deeply/, 2, 5],
  ['DEFCIRCUIT B a b:\n    CNOT a b\nB 0\n', /B takes 2 qubits, not 1/, 3, 1],
  ['DEFCIRCUIT B a:\n    CNOT a c\nB 0\n', /unknown qubit 'c'/, 2, 12],
  ['DEFCIRCUIT B a:\n    X a\nDAGGER B 0\n', /modifiers on DEFCIRCUIT 'B' are not supported/, 3, 1],
  ['PULSE 0 "rf" flat\n', /PULSE \(Quil-T, pulse-level control\) is not supported/, 1, 1],
  ['INCLUDE "stdgates.quil"\n', /INCLUDE is not supported/, 1, 1],
  ['FORKED RX(1) 0 1\n', /FORKED RX needs an even number of parameters/, 1, 1],
  ['CONTROLLED X 0\n', /CONTROLLED X needs more qubits/, 1, 1],
  ['RX(0.5) 2000000\n', /qubit index 2000000 too large/, 1, 9],
  ['X 0\n  JUMP-WHEN @a ro[0]\n', /undeclared memory region 'ro'/, 2, 16],
  ['LABEL\n', /expected a label such as @loop, found end of line/, 1, 6],
  ['X 1.5\n', /expected a qubit index, found '1.5'/, 1, 3],
];

describe('Quil errors', () => {
  it.each(CASES)('%j fails with %s at line %i, column %i', (src, message, line, column) => {
    const e = error(src);
    expect(e.reason).toMatch(message);
    expect([e.line, e.column]).toEqual([line, column]);
  });

  it('non-string input is a CircuitError', () => {
    expect(() => parseQuil(42 as unknown as string)).toThrow(CircuitError);
  });

  const SAMPLES = [
    'DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n',
    'DECLARE ro BIT\nDECLARE n INTEGER\nLABEL @loop\nH 0\nMEASURE 0 ro\nADD n 1\nJUMP-WHEN @loop ro[0]\nHALT\n',
    'DEFGATE G(%t):\n    cos(%t), -i*sin(%t)\n    -i*sin(%t), cos(%t)\n\nDEFCIRCUIT C(%a) p q:\n    G(%a) p\n    CONTROLLED G(%a/2) p q\n\nC(0.3) 0 1\nDAGGER FORKED RX(1, 2) 2 0\n',
    'DECLARE theta REAL[2]\nDECLARE ro BIT[2]\nMOVE theta[1] 2.5\nRX(theta[1]*2) 0\nJUMP-UNLESS @end ro[0]\nX 1\nLABEL @end\nMEASURE 1 ro[1]\n',
    'DEFGATE P AS PERMUTATION:\n    0, 1, 3, 2\nP 1 0\nCPHASE10(pi/3) 0 1\nXY(1) 0 1\nPRAGMA X "y"\nRESET\n',
  ];
  const PIECES = [
    '\n',
    ' ',
    '    ',
    '(',
    ')',
    '[',
    ']',
    ',',
    ':',
    '@',
    '%',
    '-',
    '*',
    '^',
    'i',
    'pi',
    '0',
    '1.5e3',
    'X',
    'H',
    'JUMP @loop',
    'LABEL @x',
    'CONTROLLED',
    'DAGGER',
    'FORKED',
    'DEFGATE',
    'DEFCIRCUIT',
    'MEASURE',
    'ro',
    '"',
    '#',
    ';',
    'e',
    '\t',
  ];

  it('mutated programs fail only with CircuitError, at a position inside the program', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLES),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.constantFrom(...PIECES)), { minLength: 1, maxLength: 6 }),
        (sample, edits) => {
          let src = sample;
          for (const [at, kind, piece] of edits) {
            const k = at % (src.length + 1);
            if (kind === 0) src = src.slice(0, k) + piece + src.slice(k);
            else if (kind === 1) src = src.slice(0, k) + src.slice(k + 1 + (at % 5));
            else src = src.slice(0, k) + piece + src.slice(k + piece.length);
          }
          try {
            parseQuil(src, { maxOperations: 10_000 });
          } catch (e) {
            expect(e).toBeInstanceOf(CircuitError);
            const err = e as CircuitError;
            expect(err.line).toBeGreaterThanOrEqual(1);
            expect(err.column).toBeGreaterThanOrEqual(1);
            expect(err.line).toBeLessThanOrEqual(src.split('\n').length + 1);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random text fails only with CircuitError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (src) => {
        try {
          parseQuil(src, { maxOperations: 1000 });
        } catch (e) {
          expect(e).toBeInstanceOf(CircuitError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('exponential DEFCIRCUIT expansion stops at maxOperations', () => {
    let src = 'DEFCIRCUIT C0 q:\n    H q\n';
    for (let k = 1; k <= 40; k++) src += `DEFCIRCUIT C${k} q:\n    C${k - 1} q\n    C${k - 1} q\n`;
    src += 'C40 0\n';
    const e = error(src);
    expect(e.code).toBe('TOO_MANY_OPERATIONS');
  });
});
