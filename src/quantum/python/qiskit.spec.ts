import { execSync } from 'node:child_process';
import { CircuitError, type Circuit, type GateOp } from '../circuit/circuit';
import { parseBraket, parsePyQuil, parseQiskit } from '.';
import { unitaryDistance, unitaryOf } from '../qasm/testing';
import { c, counts, diag, e, unitaryError, I_, L, mi, O, permutation, scaled, type Rows } from './testing';

const expectUnitary = (circuit: Circuit, rows: Rows, n?: number) =>
  expect(unitaryError(circuit, rows, n)).toBeLessThan(1e-9);

const R = Math.SQRT1_2;
const [A, B, D, F] = [0.3, -1.1, 2.2, 0.7];
const cs = (t: number): [number, number] => [Math.cos(t / 2), Math.sin(t / 2)];

/** The gate call on a fresh circuit of n qubits. */
const gate = (n: number, call: string): Circuit =>
  parseQiskit(`from qiskit import QuantumCircuit\nqc = QuantumCircuit(${n})\nqc.${call}\n`);

/** 2x2 matrices from the Qiskit documentation (qiskit.circuit.library). */
const ONE: [string, Rows][] = [
  [
    'h(0)',
    [
      [c(R), c(R)],
      [c(R), c(-R)],
    ],
  ],
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
  ['sdg(0)', diag(L, mi)],
  ['t(0)', diag(L, e(Math.PI / 4))],
  ['tdg(0)', diag(L, e(-Math.PI / 4))],
  [
    'sx(0)',
    [
      [c(0.5, 0.5), c(0.5, -0.5)],
      [c(0.5, -0.5), c(0.5, 0.5)],
    ],
  ],
  [
    'sxdg(0)',
    [
      [c(0.5, -0.5), c(0.5, 0.5)],
      [c(0.5, 0.5), c(0.5, -0.5)],
    ],
  ],
  [`p(${A}, 0)`, diag(L, e(A))],
  [`u1(${A}, 0)`, diag(L, e(A))],
  [
    `rx(${A}, 0)`,
    [
      [c(cs(A)[0]), c(0, -cs(A)[1])],
      [c(0, -cs(A)[1]), c(cs(A)[0])],
    ],
  ],
  [
    `ry(${A}, 0)`,
    [
      [c(cs(A)[0]), c(-cs(A)[1])],
      [c(cs(A)[1]), c(cs(A)[0])],
    ],
  ],
  [`rz(${A}, 0)`, diag(e(-A / 2), e(A / 2))],
  [
    `r(${A}, ${B}, 0)`,
    [
      [c(cs(A)[0]), e(-B - Math.PI / 2, cs(A)[1])],
      [e(B - Math.PI / 2, cs(A)[1]), c(cs(A)[0])],
    ],
  ],
  [
    `u(${A}, ${B}, ${D}, 0)`,
    [
      [c(cs(A)[0]), e(D + Math.PI, cs(A)[1])],
      [e(B, cs(A)[1]), e(B + D, cs(A)[0])],
    ],
  ],
  [
    `u3(${A}, ${B}, ${D}, 0)`,
    [
      [c(cs(A)[0]), e(D + Math.PI, cs(A)[1])],
      [e(B, cs(A)[1]), e(B + D, cs(A)[0])],
    ],
  ],
  [
    `u2(${B}, ${D}, 0)`,
    [
      [c(R), e(D + Math.PI, R)],
      [e(B, R), e(B + D, R)],
    ],
  ],
  ['id(0)', diag(L, L)],
];

/** A 2x2 matrix m controlled by qubit 0, acting on qubit 1 (Qiskit's little-endian layout). */
const ctrl01 = (m: Rows): Rows => [
  [L, O, O, O],
  [O, m[0][0], O, m[0][1]],
  [O, O, L, O],
  [O, m[1][0], O, m[1][1]],
];
const m1 = (call: string) => ONE.find(([k]) => k === call)![1];

const TWO: [string, number, Rows][] = [
  [
    'cx(0, 1)',
    2,
    [
      [L, O, O, O],
      [O, O, O, L],
      [O, O, L, O],
      [O, L, O, O],
    ],
  ],
  ['cnot(0, 1)', 2, ctrl01(m1('x(0)'))],
  [
    'cy(0, 1)',
    2,
    [
      [L, O, O, O],
      [O, O, O, mi],
      [O, O, L, O],
      [O, I_, O, O],
    ],
  ],
  ['cz(0, 1)', 2, diag(L, L, L, c(-1))],
  [
    'ch(0, 1)',
    2,
    [
      [L, O, O, O],
      [O, c(R), O, c(R)],
      [O, O, L, O],
      [O, c(R), O, c(-R)],
    ],
  ],
  ['cs(0, 1)', 2, diag(L, L, L, I_)],
  ['csdg(0, 1)', 2, diag(L, L, L, mi)],
  ['csx(0, 1)', 2, ctrl01(m1('sx(0)'))],
  [`cp(${A}, 0, 1)`, 2, diag(L, L, L, e(A))],
  [`cu1(${A}, 0, 1)`, 2, diag(L, L, L, e(A))],
  [`crx(${A}, 0, 1)`, 2, ctrl01(m1(`rx(${A}, 0)`))],
  [`cry(${A}, 0, 1)`, 2, ctrl01(m1(`ry(${A}, 0)`))],
  [`crz(${A}, 0, 1)`, 2, ctrl01(m1(`rz(${A}, 0)`))],
  [`cu3(${A}, ${B}, ${D}, 0, 1)`, 2, ctrl01(m1(`u3(${A}, ${B}, ${D}, 0)`))],
  [
    `cu(${A}, ${B}, ${D}, ${F}, 0, 1)`,
    2,
    [
      [L, O, O, O],
      [O, e(F, cs(A)[0]), O, e(F + D + Math.PI, cs(A)[1])],
      [O, O, L, O],
      [O, e(F + B, cs(A)[1]), O, e(F + B + D, cs(A)[0])],
    ],
  ],
  ['swap(0, 1)', 2, permutation([0, 2, 1, 3])],
  [
    'iswap(0, 1)',
    2,
    [
      [L, O, O, O],
      [O, O, I_, O],
      [O, I_, O, O],
      [O, O, O, L],
    ],
  ],
  [
    'dcx(0, 1)',
    2,
    [
      [L, O, O, O],
      [O, O, O, L],
      [O, L, O, O],
      [O, O, L, O],
    ],
  ],
  [
    'ecr(0, 1)',
    2,
    scaled(
      [
        [O, L, O, I_],
        [L, O, mi, O],
        [O, I_, O, L],
        [mi, O, L, O],
      ],
      c(R),
    ),
  ],
  [
    `rxx(${A}, 0, 1)`,
    2,
    [
      [c(cs(A)[0]), O, O, c(0, -cs(A)[1])],
      [O, c(cs(A)[0]), c(0, -cs(A)[1]), O],
      [O, c(0, -cs(A)[1]), c(cs(A)[0]), O],
      [c(0, -cs(A)[1]), O, O, c(cs(A)[0])],
    ],
  ],
  [
    `ryy(${A}, 0, 1)`,
    2,
    [
      [c(cs(A)[0]), O, O, c(0, cs(A)[1])],
      [O, c(cs(A)[0]), c(0, -cs(A)[1]), O],
      [O, c(0, -cs(A)[1]), c(cs(A)[0]), O],
      [c(0, cs(A)[1]), O, O, c(cs(A)[0])],
    ],
  ],
  [`rzz(${A}, 0, 1)`, 2, diag(e(-A / 2), e(A / 2), e(A / 2), e(-A / 2))],
  [
    `rzx(${A}, 0, 1)`,
    2,
    [
      [c(cs(A)[0]), O, c(0, -cs(A)[1]), O],
      [O, c(cs(A)[0]), O, c(0, cs(A)[1])],
      [c(0, -cs(A)[1]), O, c(cs(A)[0]), O],
      [O, c(0, cs(A)[1]), O, c(cs(A)[0])],
    ],
  ],
  ['ccx(0, 1, 2)', 3, permutation([0, 1, 2, 7, 4, 5, 6, 3])],
  ['toffoli(0, 1, 2)', 3, permutation([0, 1, 2, 7, 4, 5, 6, 3])],
  ['ccz(0, 1, 2)', 3, diag(L, L, L, L, L, L, L, c(-1))],
  ['cswap(0, 1, 2)', 3, permutation([0, 1, 2, 5, 4, 3, 6, 7])],
  ['mcx([0, 1], 2)', 3, permutation([0, 1, 2, 7, 4, 5, 6, 3])],
  [`mcp(${A}, [0, 1], 2)`, 3, diag(L, L, L, L, L, L, L, e(A))],
  [`mcrz(${A}, [0], 1)`, 2, ctrl01(m1(`rz(${A}, 0)`))],
  [`mcry(${A}, [0], 1)`, 2, ctrl01(m1(`ry(${A}, 0)`))],
  [`mcrx(${A}, [0], 1)`, 2, ctrl01(m1(`rx(${A}, 0)`))],
];

describe('Qiskit: qunicorn-core programs', () => {
  const data: string[] = [
    'circuit = QuantumCircuit(2, 2);circuit.h(0);circuit.cx(0, 1);circuit.measure(0, 0);circuit.measure(1, 1)',
    'circuit = QuantumCircuit(2, 2);circuit.h(0);circuit.h(0);circuit.cx(0, 1);circuit.measure(0, 0);circuit.measure(1, 1)',
  ];
  it('gives the Bell distribution for the first and |00> for the second', () => {
    const bell = counts(parseQiskit(data[0]));
    expect(Object.keys(bell).sort()).toEqual(['0x0', '0x3']);
    expect(Math.abs(bell['0x0'] - 1000)).toBeLessThan(5 * Math.sqrt(500));
    expect(counts(parseQiskit(data[1]))).toEqual({ '0x0': 2000 });
  });

  it('reads registers, imports, loops and measure_all', () => {
    const src = [
      'from qiskit import QuantumCircuit, QuantumRegister, ClassicalRegister',
      'import math',
      'qr = QuantumRegister(3, "q")',
      "cr = ClassicalRegister(3, 'c')",
      'circuit = QuantumCircuit(qr, cr)',
      'circuit.h(qr[0])',
      'for i in range(2):',
      '    circuit.cx(qr[i], qr[i + 1])  # a GHZ chain',
      'circuit.rz(math.pi * 2, 2)',
      'circuit.measure(qr, cr)',
    ].join('\n');
    const circ = parseQiskit(src);
    expect(circ.qregs).toEqual([{ name: 'q', size: 3, offset: 0 }]);
    expect(Object.keys(counts(circ)).sort()).toEqual(['0x0', '0x7']);

    const all = parseQiskit('circuit = QuantumCircuit(2)\ncircuit.x(1)\ncircuit.measure_all()');
    expect(all.cregs).toEqual([{ name: 'meas', size: 2, offset: 0 }]);
    expect(all.ops.map((o) => o.kind)).toEqual(['gate', 'barrier', 'measure', 'measure']);
    expect(counts(all)).toEqual({ '0x2': 2000 });
  });

  it('nested loops, broadcasting, lists of qubits, numpy pi and arithmetic', () => {
    const src = [
      'import numpy as np',
      'from qiskit import QuantumCircuit',
      'n = 3',
      'circuit = QuantumCircuit(n, n)',
      'for i in range(n):',
      '    for j in range(i):',
      '        circuit.cp(np.pi / 2 ** (i - j), j, i)',
      '    circuit.h(i)',
      'circuit.x([0, 1])',
      'circuit.measure([0, 1, 2], [0, 1, 2])',
    ].join('\n');
    const circ = parseQiskit(src);
    expect(circ.ops.filter((o) => o.kind === 'gate')).toHaveLength(3 + 3 + 2);
    const cp = circ.ops.find((o) => o.kind === 'gate' && o.name === 'cp') as GateOp;
    expect(cp.controls).toEqual([0]);
    expect(cp.target).toBe(1);
    expect(Math.atan2(cp.matrix[7], cp.matrix[6])).toBeCloseTo(Math.PI / 2, 12);
  });
});

describe('Qiskit: every gate method has its documented matrix', () => {
  it.each(ONE)('%s', (call, rows) => expectUnitary(gate(1, call), rows));
  it.each(TWO)('%s', (call, n, rows) => expectUnitary(gate(n, call), rows));

  it('ctrl_state on controlled methods and append(UGate(...).control(k, ctrl_state=...))', () => {
    // control on |0> of qubit 0
    expectUnitary(gate(2, 'cx(0, 1, ctrl_state=0)'), permutation([2, 1, 0, 3]));
    // two controls: q0 must be 1 (the string's last character), q1 must be 0
    const circ = parseQiskit(
      'from qiskit import QuantumCircuit\nfrom qiskit.circuit.library import UGate, XGate\nqc = QuantumCircuit(3)\nqc.append(XGate().control(2, ctrl_state="01"), [0, 1, 2])',
    );
    expectUnitary(circ, permutation([0, 5, 2, 3, 4, 1, 6, 7]));
    // UGate controlled by one qubit = cu3
    const u = parseQiskit(
      `from qiskit.circuit.library import UGate\nfrom qiskit import QuantumCircuit\nqc = QuantumCircuit(2)\nqc.append(UGate(${A}, ${B}, ${D}).control(1), [0, 1])`,
    );
    expectUnitary(u, ctrl01(m1(`u3(${A}, ${B}, ${D}, 0)`)));
    // a global phase gate controlled by one qubit is a phase gate on it
    const gp = parseQiskit(
      `from qiskit.circuit.library import GlobalPhaseGate\nfrom qiskit import QuantumCircuit\nqc = QuantumCircuit(1)\nqc.append(GlobalPhaseGate(${A}).control(1), [0])`,
    );
    expectUnitary(gp, diag(L, e(A)));
  });

  it('global_phase, barrier, reset and if_test', () => {
    const g = parseQiskit(`qc = QuantumCircuit(1, global_phase=${A})\nqc.global_phase += ${B}`);
    expectUnitary(g, diag(e(A + B), e(A + B)));
    const r = parseQiskit('qc = QuantumCircuit(2, 1)\nqc.barrier()\nqc.x(0)\nqc.reset(0)\nqc.measure(0, 0)');
    expect(r.ops.map((o) => o.kind)).toEqual(['barrier', 'gate', 'reset', 'measure']);
    const cond = parseQiskit(
      'from qiskit import *\nqr = QuantumRegister(2)\ncr = ClassicalRegister(1)\nqc = QuantumCircuit(qr, cr)\nqc.x(0)\nqc.measure(0, 0)\nwith qc.if_test((cr, 1)):\n    qc.x(1)\nqc.measure(1, 0)',
    );
    expect(cond.ops[2]).toMatchObject({ kind: 'if', clbits: [0], value: 1 });
    expect(counts(cond)).toEqual({ '0x1': 2000 });
    // Qiskit 1.x's c_if: the same condition
    const cif = parseQiskit(
      'from qiskit import *\nqr = QuantumRegister(2)\ncr = ClassicalRegister(1)\nqc = QuantumCircuit(qr, cr)\nqc.x(0)\nqc.measure(0, 0)\nqc.x(1).c_if(cr, 1)\nqc.measure(1, 0)',
    );
    expect(cif.ops).toEqual(cond.ops);
  });
});

describe('Qiskit: composing circuits', () => {
  it('compose (in place and not, on chosen qubits), copy, inverse, to_gate().control()', () => {
    const bell = 'from qiskit import QuantumCircuit\nbell = QuantumCircuit(2)\nbell.h(0)\nbell.cx(0, 1)\n';
    const composed = parseQiskit(
      bell +
        'circuit = QuantumCircuit(3, 3)\ncircuit.compose(bell, qubits=[2, 1], inplace=True)\ncircuit = circuit.compose(bell.copy(), [0, 1])\ncircuit.measure([0, 1, 2], [0, 1, 2])',
    );
    expect(
      composed.ops.filter((o) => o.kind === 'gate').map((o) => [(o as GateOp).target, (o as GateOp).controls]),
    ).toEqual([
      [2, []],
      [1, [2]],
      [0, []],
      [1, [0]],
    ]);
    // u followed by its inverse is the identity, global phase included
    const inv = parseQiskit(
      `from qiskit import QuantumCircuit\nqc = QuantumCircuit(2, global_phase=${A})\nqc.u(${A}, ${B}, ${D}, 0)\nqc.cp(${B}, 0, 1)\nqc.swap(0, 1)\ncircuit = qc.compose(qc.inverse())`,
    );
    expectUnitary(inv, diag(L, L, L, L));
    // a circuit as a gate, controlled: controlled-Bell-preparation
    const cg = parseQiskit(bell + 'circuit = QuantumCircuit(3)\ncircuit.append(bell.to_gate().control(1), [2, 0, 1])');
    const ref = parseQiskit('circuit = QuantumCircuit(3)\ncircuit.ch(2, 0)\ncircuit.ccx(2, 0, 1)');
    expect(unitaryDistance(unitaryOf(cg), unitaryOf(ref))).toBeLessThan(1e-12);
  });
});

describe('Qiskit: refused constructs are located errors', () => {
  const cases: [string, string, number, number][] = [
    ['qc = QuantumCircuit(1)\ndef f():\n    pass', 'function definitions', 2, 1],
    ['qc = QuantumCircuit(1)\nif True:\n    qc.h(0)', "'if' statements", 2, 1],
    ['qc = QuantumCircuit(1)\nqc.h(0 if 1 else 0)', "'if' expressions", 2, 8],
    ['qc = QuantumCircuit(1)\nqc.h(1)', 'qubit index 1 out of range', 2, 6],
    ['qc = QuantumCircuit(2)\nqc.cx(0, 0)', 'duplicate qubit', 2, 6],
    ['qc = QuantumCircuit(2)\nqc.cx(target_qubit=5, control_qubit=0)', 'qubit index 5 out of range', 2, 7],
    ['qc = QuantumCircuit(3)\nqc.mcx([0, 0], 1)', 'duplicate control qubits', 2, 7],
    ['qc = QuantumCircuit(1)\nqc.foo(0)', 'QuantumCircuit.foo is not supported', 2, 7],
    ['qc = QuantumCircuit(1)\nqc.h(x)', "name 'x' is not defined", 2, 6],
    ['qc = QuantumCircuit(1)\nqc.rx(1j, 0)', 'complex numbers', 2, 7],
    ['qc = QuantumCircuit(1)\n  qc.h(0)', 'unexpected indentation', 2, 1],
    ['qc = QuantumCircuit(1)\nqc.h(0', 'inside brackets', 2, 7],
    ['qc = QuantumCircuit(1)\nqc.h(f"{0}")', 'f-strings', 2, 6],
    ['qc = QuantumCircuit(1)\nqc.h([i for i in range(1)])', 'comprehensions', 2, 9],
    ['qc = QuantumCircuit(1)\nqc.rx(1 / 0, 0)', 'division by zero', 2, 9],
    ['qc = QuantumCircuit(1, 1)\nqc.x(0).c_if(0, 2)', 'c_if: 2 does not fit 1 bits', 2, 17],
    ['qc = QuantumCircuit(1, 1)\ng = qc.x(0)\nqc.h(0)\ng.c_if(0, 1)', 'directly follow', 4, 7],
    ['qc = QuantumCircuit(1)\nqc.x(0).foo()', "InstructionSet has no supported attribute 'foo'", 2, 8],
    ['from qiskit import transpile\nqc = QuantumCircuit(1)\ntranspile(qc)', 'qiskit.transpile is not supported', 3, 10],
    ['a = QuantumCircuit(1)\nb = QuantumCircuit(1)', "variable named 'circuit'", 1, 1],
    ['circuit = 3', "'circuit' holds int", 1, 1],
  ];
  it.each(cases)('%s', (src, message, line, column) => {
    let err: unknown;
    try {
      parseQiskit(src);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(CircuitError);
    expect((err as CircuitError).reason).toContain(message);
    expect([(err as CircuitError).line, (err as CircuitError).column]).toEqual([line, column]);
  });

  it("names of JavaScript's Object prototype are plain unknown names", () => {
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
    const programs = names.flatMap((n) => [
      `${n}(1)`,
      `import ${n}`,
      `from qiskit import ${n}\n${n}()`,
      `from qiskit.circuit.library import ${n}\n${n}()`,
      `import math\nmath.${n}(1)`,
      `qc = QuantumCircuit(1)\nqc.${n}(0)`,
      `qc = QuantumCircuit(1)\nqc.x(0, ${n}=1)`,
      `Circuit().${n}(0)`,
      `from pyquil.gates import ${n}\n${n}(0)`,
    ]);
    for (const src of programs) {
      for (const parse of [parseQiskit, parseBraket, parsePyQuil]) {
        let err: unknown;
        try {
          parse(src);
        } catch (x) {
          err = x;
        }
        expect(err).toBeInstanceOf(CircuitError);
        expect((err as CircuitError).reason).not.toMatch(/internal error/);
      }
    }
  });

  it('bounds loops by maxOperations', () => {
    const src = 'qc = QuantumCircuit(1)\nfor i in range(10 ** 9):\n    for j in range(10 ** 9):\n        qc.h(0)';
    let err: unknown;
    try {
      parseQiskit(src, { maxOperations: 1000 });
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(CircuitError);
    expect((err as CircuitError).code).toBe('TOO_MANY_OPERATIONS');
    expect(() => parseQiskit('qc = QuantumCircuit(2000000)\nqc.measure_all()', { maxOperations: 1000 })).toThrow(
      CircuitError,
    );
    expect(() => parseQiskit('x = ' + '('.repeat(5000) + '1' + ')'.repeat(5000))).toThrow(CircuitError);
    // doubling a circuit whose operations sit in a conditional block
    const doubling = [
      'qc = QuantumCircuit(1, 1)',
      'with qc.if_test((0, 1)):',
      '    for i in range(100):',
      '        qc.x(0)',
      'for i in range(60):',
      '    qc.compose(qc, inplace=True)',
    ].join('\n');
    expect(() => parseQiskit(doubling, { maxOperations: 100_000 })).toThrow(/more than 100000 operations/);
    expect(() => parseQiskit('x = ' + '-'.repeat(5000) + '1')).toThrow(CircuitError);
  });
});

describe('Python builders never run the program', () => {
  const marker = `/tmp/qunest-python-${process.pid}-${Date.now()}`;
  const attempts = [
    `import os\nos.system('touch ${marker}')`,
    `import subprocess; subprocess.run(['touch', '${marker}'])`,
    `__import__('os').system('touch ${marker}')`,
    `exec("open('${marker}', 'w')")`,
    `eval("open('${marker}', 'w')")`,
    `open('${marker}', 'w').write('x')`,
    `circuit = QuantumCircuit(1)\ncircuit.__class__.__init__.__globals__['os'].system('touch ${marker}')`,
    `circuit = QuantumCircuit(1)\nx = circuit.h.__self__`,
    `circuit = QuantumCircuit(1)\nf = (3).real`,
    `circuit = QuantumCircuit(1)\ncircuit.draw().save('${marker}')`,
    `from os import system\nsystem('touch ${marker}')`,
    `import builtins\nbuiltins.open('${marker}', 'w')`,
    `getattr(QuantumCircuit, 'mro')`,
    `circuit = QuantumCircuit(1)\nlambda: 1`,
    `circuit = QuantumCircuit(1)\nclass A:\n    pass`,
  ];
  it.each(attempts)('refuses %s', (src) => {
    expect(() => parseQiskit(src)).toThrow(CircuitError);
  });
  it('created no file', () => {
    for (const src of attempts) expect(() => parseQiskit(src)).toThrow(CircuitError);
    expect(execSync(`ls ${marker} 2>/dev/null || echo absent`).toString().trim()).toBe('absent');
  });
});
