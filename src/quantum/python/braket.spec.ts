import { CircuitError, type Circuit } from '../circuit/circuit';
import { parseBraket } from '.';
import { c, counts, diag, e, unitaryError, I_, L, mi, O, permutation, scaled, type Rows } from './testing';

const expectUnitary = (circuit: Circuit, rows: Rows, n?: number) =>
  expect(unitaryError(circuit, rows, n)).toBeLessThan(1e-9);

/**
 * Matrices copied from amazon-braket-sdk-python v1.125 `src/braket/circuits/gates.py` (`to_matrix`).
 * Braket writes multi-qubit matrices big-endian in target order (the first target most
 * significant); the IR's qubit 0 is the least significant, so multi-qubit gates are applied to
 * targets in descending order (`cnot(1, 0)`, `ccnot(2, 1, 0)`) to compare the matrices as written.
 */

const R = Math.SQRT1_2;
const [A, B, D] = [0.3, -1.1, 2.2];
const co = Math.cos(A / 2);
const si = Math.sin(A / 2);
const unitary = (call: string, n: number): Circuit => parseBraket(`Circuit().${call}.i(${n - 1})`);
const noMeasure = (circ: Circuit): Circuit => ({ ...circ, ops: circ.ops.filter((o) => o.kind !== 'measure') });

const ONE: [string, Rows][] = [
  [
    'h(0)',
    [
      [c(R), c(R)],
      [c(R), c(-R)],
    ],
  ],
  ['i(0)', diag(L, L)],
  [
    'x(0)',
    [
      [O, L],
      [L, O],
    ],
  ],
  [
    'y(0)',
    [
      [O, mi],
      [I_, O],
    ],
  ],
  ['z(0)', diag(L, c(-1))],
  ['s(0)', diag(L, I_)],
  ['si(0)', diag(L, mi)],
  ['t(0)', diag(L, e(Math.PI / 4))],
  ['ti(0)', diag(L, e(-Math.PI / 4))],
  [
    'v(0)',
    [
      [c(0.5, 0.5), c(0.5, -0.5)],
      [c(0.5, -0.5), c(0.5, 0.5)],
    ],
  ],
  [
    'vi(0)',
    [
      [c(0.5, -0.5), c(0.5, 0.5)],
      [c(0.5, 0.5), c(0.5, -0.5)],
    ],
  ],
  [
    `rx(0, ${A})`,
    [
      [c(co), c(0, -si)],
      [c(0, -si), c(co)],
    ],
  ],
  [
    `ry(0, ${A})`,
    [
      [c(co), c(-si)],
      [c(si), c(co)],
    ],
  ],
  [`rz(0, ${A})`, diag(e(-A / 2), e(A / 2))],
  [`phaseshift(0, ${A})`, diag(L, e(A))],
  [
    `u(0, ${A}, ${B}, ${D})`,
    [
      [c(co), e(D + Math.PI, si)],
      [e(B, si), e(B + D, co)],
    ],
  ],
  [
    `gpi(0, ${B})`,
    [
      [O, e(-B)],
      [e(B), O],
    ],
  ],
  [
    `gpi2(0, ${B})`,
    [
      [c(R), e(-B - Math.PI / 2, R)],
      [e(B - Math.PI / 2, R), c(R)],
    ],
  ],
  [
    `prx(0, ${A}, ${B})`,
    [
      [c(co), e(-B - Math.PI / 2, si)],
      [e(B - Math.PI / 2, si), c(co)],
    ],
  ],
];

const MULTI: [string, number, Rows][] = [
  [
    'cnot(1, 0)',
    2,
    [
      [L, O, O, O],
      [O, L, O, O],
      [O, O, O, L],
      [O, O, L, O],
    ],
  ],
  [
    'cy(1, 0)',
    2,
    [
      [L, O, O, O],
      [O, L, O, O],
      [O, O, O, mi],
      [O, O, I_, O],
    ],
  ],
  ['cz(1, 0)', 2, diag(L, L, L, c(-1))],
  [
    'cv(1, 0)',
    2,
    [
      [L, O, O, O],
      [O, L, O, O],
      [O, O, c(0.5, 0.5), c(0.5, -0.5)],
      [O, O, c(0.5, -0.5), c(0.5, 0.5)],
    ],
  ],
  [`cphaseshift(1, 0, ${A})`, 2, diag(L, L, L, e(A))],
  [`cphaseshift00(1, 0, ${A})`, 2, diag(e(A), L, L, L)],
  [`cphaseshift01(1, 0, ${A})`, 2, diag(L, e(A), L, L)],
  [`cphaseshift10(1, 0, ${A})`, 2, diag(L, L, e(A), L)],
  ['swap(1, 0)', 2, permutation([0, 2, 1, 3])],
  [
    'iswap(1, 0)',
    2,
    [
      [L, O, O, O],
      [O, O, I_, O],
      [O, I_, O, O],
      [O, O, O, L],
    ],
  ],
  [
    `pswap(1, 0, ${A})`,
    2,
    [
      [L, O, O, O],
      [O, O, e(A), O],
      [O, e(A), O, O],
      [O, O, O, L],
    ],
  ],
  [
    `xy(1, 0, ${A})`,
    2,
    [
      [L, O, O, O],
      [O, c(co), c(0, si), O],
      [O, c(0, si), c(co), O],
      [O, O, O, L],
    ],
  ],
  [
    `xx(1, 0, ${A})`,
    2,
    [
      [c(co), O, O, c(0, -si)],
      [O, c(co), c(0, -si), O],
      [O, c(0, -si), c(co), O],
      [c(0, -si), O, O, c(co)],
    ],
  ],
  [
    `yy(1, 0, ${A})`,
    2,
    [
      [c(co), O, O, c(0, si)],
      [O, c(co), c(0, -si), O],
      [O, c(0, -si), c(co), O],
      [c(0, si), O, O, c(co)],
    ],
  ],
  [`zz(1, 0, ${A})`, 2, diag(e(-A / 2), e(A / 2), e(A / 2), e(-A / 2))],
  [
    'ecr(1, 0)',
    2,
    scaled(
      [
        [O, O, L, I_],
        [O, O, I_, L],
        [L, mi, O, O],
        [mi, L, O, O],
      ],
      c(R),
    ),
  ],
  ['ccnot(2, 1, 0)', 3, permutation([0, 1, 2, 3, 4, 5, 7, 6])],
  ['cswap(2, 1, 0)', 3, permutation([0, 1, 2, 3, 4, 6, 5, 7])],
  [
    `ms(1, 0, ${B}, ${D}, ${A})`,
    2,
    [
      [c(co), O, O, e(-(B + D) - Math.PI / 2, si)],
      [O, c(co), e(-(B - D) - Math.PI / 2, si), O],
      [O, e(B - D - Math.PI / 2, si), c(co), O],
      [e(B + D - Math.PI / 2, si), O, O, c(co)],
    ],
  ],
];

describe('Braket: qunicorn-core programs', () => {
  it('Circuit().h(0).cnot(0, 1) gives the Bell distribution (implicit measurement of every qubit)', () => {
    const bell = parseBraket('Circuit().h(0).cnot(0, 1)');
    expect(bell.cregs).toEqual([{ name: 'c', size: 2, offset: 0 }]);
    const r = counts(bell);
    expect(Object.keys(r).sort()).toEqual(['0x0', '0x3']);
    expect(Math.abs(r['0x0'] - 1000)).toBeLessThan(5 * Math.sqrt(500));
    expect(counts(parseBraket('Circuit().h(0).h(0).cnot(0, 1)'))).toEqual({ '0x0': 2000 });
  });

  it('reads statements, imports, loops and explicit measure', () => {
    const src = [
      'from braket.circuits import Circuit',
      'import numpy as np',
      'circuit = Circuit()',
      'circuit.h(0)',
      'for q in range(1, 3):',
      '    circuit.cnot(q - 1, q)',
      'circuit.rz(2, np.pi * 2)',
      'circuit.measure([2, 0])',
    ].join('\n');
    const circ = parseBraket(src);
    expect(circ.numClbits).toBe(2);
    expect(circ.ops.filter((o) => o.kind === 'measure')).toEqual([
      { kind: 'measure', qubit: 2, clbit: 0 },
      { kind: 'measure', qubit: 0, clbit: 1 },
    ]);
    expect(Object.keys(counts(circ)).sort()).toEqual(['0x0', '0x3']);
  });

  it('keeps the qubits a circuit uses, in order', () => {
    const circ = parseBraket('Circuit().x(5).h(2)');
    expect(circ.numQubits).toBe(2);
    expect(counts(circ, 400)['0x2'] + counts(circ, 400)['0x3']).toBe(400);
  });
});

describe('Braket: every gate method has the SDK matrix', () => {
  it.each(ONE)('%s', (call, rows) => expectUnitary(noMeasure(unitary(call, 1)), rows));
  it.each(MULTI)('%s', (call, n, rows) => expectUnitary(noMeasure(unitary(call, n)), rows));

  it('gphase, control=, control_state= and power=', () => {
    expectUnitary(noMeasure(parseBraket(`Circuit().i(0).gphase(${A})`)), diag(e(A), e(A)));
    // gphase controlled on qubit 0 = phaseshift
    expectUnitary(noMeasure(parseBraket(`Circuit().gphase(${A}, control=0)`)), diag(L, e(A)));
    // x controlled by qubit 1 in state 0
    expectUnitary(noMeasure(parseBraket('Circuit().x(0, control=1, control_state=0)')), permutation([1, 0, 2, 3]));
    // control_state as an int is big-endian: 2 = "10": qubit 2 must be 1, qubit 1 must be 0
    expectUnitary(
      noMeasure(parseBraket('Circuit().x(0, control=[2, 1], control_state=2)')),
      permutation([0, 1, 2, 3, 5, 4, 6, 7]),
    );
    // cnot with two controls
    expectUnitary(noMeasure(parseBraket('Circuit().cnot([2, 1], 0)')), permutation([0, 1, 2, 3, 4, 5, 7, 6]));
    // v ** 2 = x, t ** -2 = si, x ** 0.5 = v
    expectUnitary(noMeasure(parseBraket('Circuit().v(0, power=2)')), [
      [O, L],
      [L, O],
    ]);
    expectUnitary(noMeasure(parseBraket('Circuit().t(0, power=-2)')), diag(L, mi));
    expectUnitary(noMeasure(parseBraket('Circuit().x(0, power=0.5)')), [
      [c(0.5, 0.5), c(0.5, -0.5)],
      [c(0.5, -0.5), c(0.5, 0.5)],
    ]);
    // a negative fractional power is the inverse raised to the positive power: x ** -0.5 = x ** 0.5 = v
    expectUnitary(noMeasure(parseBraket('Circuit().x(0, power=-0.5)')), [
      [c(0.5, 0.5), c(0.5, -0.5)],
      [c(0.5, -0.5), c(0.5, 0.5)],
    ]);
    // z ** 0.5 = s, and a controlled fractional power: cz ** 0.5 = cs
    expectUnitary(noMeasure(parseBraket('Circuit().z(0, power=0.5)')), diag(L, I_));
    expectUnitary(noMeasure(parseBraket('Circuit().cz(1, 0, power=0.5)')), diag(L, L, L, I_));
    // broadcasting over a target set
    expect(parseBraket('Circuit().h([0, 1, 2])').ops.filter((o) => o.kind === 'gate')).toHaveLength(3);
  });
});

describe('Braket: refused constructs are located errors', () => {
  const cases: [string, string, number, number][] = [
    ['Circuit().h(0).measure(0).x(0)', 'measured qubit 0', 1, 28],
    ['Circuit().h(0).probability()', 'Circuit.probability is not supported', 1, 27],
    ['Circuit().cnot(0, 0)', 'appears twice', 1, 15],
    ['Circuit().h(-1)', 'qubit -1 out of range', 1, 13],
    ['Circuit().swap(0, 1, power=0.5)', 'fractional powers of multi-qubit gates', 1, 22],
    ['Circuit().rx(0)', "missing required argument 'angle'", 1, 13],
    ['Circuit().h(0, foo=1)', "unsupported keyword argument 'foo'", 1, 16],
    ['import os\nCircuit().h(0)', "import of module 'os'", 1, 8],
    ['x = 1', 'builds no Circuit', 1, 1],
  ];
  it.each(cases)('%s', (src, message, line, column) => {
    let err: unknown;
    try {
      parseBraket(src);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(CircuitError);
    expect((err as CircuitError).reason).toContain(message);
    expect([(err as CircuitError).line, (err as CircuitError).column]).toEqual([line, column]);
  });
});
