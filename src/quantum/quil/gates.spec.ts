import { fromRows, unitaryDistance, unitaryOf } from '../qasm/testing';
import { parseQuil } from '.';

/**
 * Every standard gate against its documented matrix (pyQuil's pyquil/simulation/matrices.py),
 * global phase included. `G q(n-1) ... q0` puts the first argument on the most significant bit,
 * as Quil's convention, so the circuit's unitary in the IR's index order is the matrix as written.
 */

type C = [number, number];
const c = (re: number, im = 0): C => [re, im];
const cis = (x: number): C => [Math.cos(x), Math.sin(x)];
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const O = c(0);
const L = c(1);
const diag = (...d: C[]): C[][] => d.map((x, r) => d.map((_, k) => (k === r ? x : O)));
const perm = (p: number[]): C[][] => p.map((_, r) => p.map((_, k) => (p[k] === r ? L : O)));

const R = Math.SQRT1_2;
const a = 0.7;
const b = -1.3;
const g = 2.1;
const z = 0.4;
const x = -0.9;
const [ca, sa] = [Math.cos(a / 2), Math.sin(a / 2)];

const DOCUMENTED: [string, number, C[][]][] = [
  ['I', 1, diag(L, L)],
  [
    'X',
    1,
    [
      [O, L],
      [L, O],
    ],
  ],
  [
    'Y',
    1,
    [
      [O, c(0, -1)],
      [c(0, 1), O],
    ],
  ],
  ['Z', 1, diag(L, c(-1))],
  [
    'H',
    1,
    [
      [c(R), c(R)],
      [c(R), c(-R)],
    ],
  ],
  ['S', 1, diag(L, c(0, 1))],
  ['T', 1, diag(L, cis(Math.PI / 4))],
  [`PHASE(${a})`, 1, diag(L, cis(a))],
  [
    `RX(${a})`,
    1,
    [
      [c(ca), c(0, -sa)],
      [c(0, -sa), c(ca)],
    ],
  ],
  [
    `RY(${a})`,
    1,
    [
      [c(ca), c(-sa)],
      [c(sa), c(ca)],
    ],
  ],
  [`RZ(${a})`, 1, diag(cis(-a / 2), cis(a / 2))],
  [
    `U(${a}, ${b}, ${g})`,
    1,
    [
      [c(ca), mul(c(-sa), cis(g))],
      [mul(c(sa), cis(b)), mul(c(ca), cis(b + g))],
    ],
  ],
  ['CZ', 2, diag(L, L, L, c(-1))],
  ['CNOT', 2, perm([0, 1, 3, 2])],
  ['CCNOT', 3, perm([0, 1, 2, 3, 4, 5, 7, 6])],
  [`CPHASE00(${a})`, 2, diag(cis(a), L, L, L)],
  [`CPHASE01(${a})`, 2, diag(L, cis(a), L, L)],
  [`CPHASE10(${a})`, 2, diag(L, L, cis(a), L)],
  [`CPHASE(${a})`, 2, diag(L, L, L, cis(a))],
  ['SWAP', 2, perm([0, 2, 1, 3])],
  ['CSWAP', 3, perm([0, 1, 2, 3, 4, 6, 5, 7])],
  [
    'ISWAP',
    2,
    [
      [L, O, O, O],
      [O, O, c(0, 1), O],
      [O, c(0, 1), O, O],
      [O, O, O, L],
    ],
  ],
  [
    `PSWAP(${a})`,
    2,
    [
      [L, O, O, O],
      [O, O, cis(a), O],
      [O, cis(a), O, O],
      [O, O, O, L],
    ],
  ],
  [
    `XY(${a})`,
    2,
    [
      [L, O, O, O],
      [O, c(ca), c(0, sa), O],
      [O, c(0, sa), c(ca), O],
      [O, O, O, L],
    ],
  ],
  [
    'SQISW',
    2,
    [
      [L, O, O, O],
      [O, c(R), c(0, R), O],
      [O, c(0, R), c(R), O],
      [O, O, O, L],
    ],
  ],
  [
    `FSIM(${a}, ${b})`,
    2,
    [
      [L, O, O, O],
      [O, c(ca), c(0, sa), O],
      [O, c(0, sa), c(ca), O],
      [O, O, O, cis(b)],
    ],
  ],
  [
    `PHASEDFSIM(${a}, ${z}, ${x}, ${g}, ${b})`,
    2,
    [
      [L, O, O, O],
      [O, mul(cis(-(g + z)), c(ca)), mul(cis(-(g - x)), c(0, sa)), O],
      [O, mul(cis(-(g + x)), c(0, sa)), mul(cis(-(g - z)), c(ca)), O],
      [O, O, O, cis(b - 2 * g)],
    ],
  ],
  [`RZZ(${a})`, 2, diag(cis(-a / 2), cis(a / 2), cis(a / 2), cis(-a / 2))],
  [
    `RXX(${a})`,
    2,
    [
      [c(ca), O, O, c(0, -sa)],
      [O, c(ca), c(0, -sa), O],
      [O, c(0, -sa), c(ca), O],
      [c(0, -sa), O, O, c(ca)],
    ],
  ],
  [
    `RYY(${a})`,
    2,
    [
      [c(ca), O, O, c(0, sa)],
      [O, c(ca), c(0, -sa), O],
      [O, c(0, -sa), c(ca), O],
      [c(0, sa), O, O, c(ca)],
    ],
  ],
  [
    `BARENCO(${a}, ${b}, ${g})`,
    2,
    [
      [L, O, O, O],
      [O, L, O, O],
      [O, O, mul(cis(b), c(Math.cos(g))), mul(cis(a - b), c(0, -Math.sin(g)))],
      [O, O, mul(cis(a + b), c(0, -Math.sin(g))), mul(cis(a), c(Math.cos(g)))],
    ],
  ],
];

/** `G q(n-1) ... q0`: the first argument is the most significant bit. */
function apply(gate: string, n: number): string {
  return `${gate} ${Array.from({ length: n }, (_, k) => n - 1 - k).join(' ')}\n`;
}

describe('Quil standard gates', () => {
  it.each(DOCUMENTED)('%s has its documented matrix, global phase included', (gate, n, rows) => {
    const circuit = parseQuil(apply(gate, n));
    expect(circuit.numQubits).toBe(n);
    expect(unitaryDistance(unitaryOf(circuit), fromRows(rows))).toBeLessThan(1e-12);
  });

  it('CONTROLLED adds a control on the first qubit', () => {
    const circuit = parseQuil(`CONTROLLED RY(${a}) 1 0\n`);
    const r = DOCUMENTED.find(([name]) => name.startsWith('RY'))![2];
    expect(
      unitaryDistance(
        unitaryOf(circuit),
        fromRows([
          [L, O, O, O],
          [O, L, O, O],
          [O, O, ...r[0]],
          [O, O, ...r[1]],
        ]),
      ),
    ).toBeLessThan(1e-12);
  });

  it('CONTROLLED keeps the global phase of the gate it controls (CONTROLLED RZ is not CONTROLLED PHASE)', () => {
    const rz = parseQuil(`CONTROLLED RZ(${a}) 1 0\n`);
    expect(unitaryDistance(unitaryOf(rz), fromRows(diag(L, L, cis(-a / 2), cis(a / 2))))).toBeLessThan(1e-12);
    const iswap = parseQuil('CONTROLLED ISWAP 2 1 0\n');
    const expected = diag(L, L, L, L, L, L, L, L);
    expected[5][5] = O;
    expected[6][6] = O;
    expected[5][6] = c(0, 1);
    expected[6][5] = c(0, 1);
    expect(unitaryDistance(unitaryOf(iswap), fromRows(expected))).toBeLessThan(1e-12);
  });

  it('DAGGER inverts, and CONTROLLED CONTROLLED X is CCNOT', () => {
    const circuit = parseQuil(
      `RX(${a}) 0\nDAGGER RX(${a}) 0\nPSWAP(${b}) 1 0\nDAGGER PSWAP(${b}) 1 0\nDAGGER DAGGER T 0\nDAGGER T 0\n`,
    );
    expect(unitaryDistance(unitaryOf(circuit), fromRows(diag(L, L, L, L)))).toBeLessThan(1e-12);
    const cc = parseQuil('CONTROLLED CONTROLLED X 2 1 0\n');
    expect(unitaryDistance(unitaryOf(cc), unitaryOf(parseQuil('CCNOT 2 1 0\n')))).toBeLessThan(1e-12);
  });

  it('FORKED picks the parameters by its first qubit', () => {
    const circuit = parseQuil(`FORKED RZ(${a}, ${b}) 1 0\n`);
    expect(
      unitaryDistance(unitaryOf(circuit), fromRows(diag(cis(-a / 2), cis(a / 2), cis(-b / 2), cis(b / 2)))),
    ).toBeLessThan(1e-12);
  });

  it('evaluates parameter expressions: pi, arithmetic, ^, and sin cos sqrt exp cis', () => {
    const circuit = parseQuil('RZ(2*pi/4 - -1^2 + sin(0.3)*cos(0.2) + sqrt(4) + exp(0) + cis(0)) 0\n');
    const theta = Math.PI / 2 + 1 + Math.sin(0.3) * Math.cos(0.2) + 2 + 1 + 1;
    expect(unitaryDistance(unitaryOf(circuit), fromRows(diag(cis(-theta / 2), cis(theta / 2))))).toBeLessThan(1e-12);
  });
});
