import type { Circuit, ConditionalOp, GateOp, Op } from '../circuit/circuit';
import { parseQasm } from '.';
import { fromRows, run, unitaryDistance, unitaryOf, type State } from './testing';

const QuantumCircuit = require('quantum-circuit');

const HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';
const q2 = (body: string): Circuit => parseQasm(HEADER + body, 'QASM2');
const R = Math.SQRT1_2;
type C = [number, number];
const c = (re: number, im = 0): C => [re, im];
const eiphi = (phi: number): C => [Math.cos(phi), Math.sin(phi)];
const O = c(0);
const L = c(1);

/** Rows of a permutation matrix where basis state k goes to perm[k]. */
function permutation(perm: number[]): C[][] {
  return perm.map((_, i) => perm.map((to) => (to === i ? L : O)));
}

function expectUnitary(circuit: Circuit, rows: C[][]) {
  expect(unitaryDistance(unitaryOf(circuit), fromRows(rows))).toBeLessThan(1e-12);
}

/** The value of a parameter expression, read back from the matrix of U(0, 0, expr/1000). */
function value(expr: string): number {
  const op = q2(`qreg q[1]; U(0, 0, (${expr}) / 1000) q[0];`).ops[0] as GateOp;
  return Math.atan2(op.matrix[7], op.matrix[6]) * 1000;
}

describe('OpenQASM 2: registers', () => {
  it('flattens registers in declaration order, quantum and classical separately', () => {
    const c = parseQasm(
      'OPENQASM 2.0; qreg a[2]; creg c[3]; qreg b[3]; creg d[1]; CX a[1], b[2]; measure b[0] -> d[0];',
    );
    expect(c.numQubits).toBe(5);
    expect(c.numClbits).toBe(4);
    expect(c.qregs).toEqual([
      { name: 'a', size: 2, offset: 0 },
      { name: 'b', size: 3, offset: 2 },
    ]);
    expect(c.cregs).toEqual([
      { name: 'c', size: 3, offset: 0 },
      { name: 'd', size: 1, offset: 3 },
    ]);
    expect(c.ops).toEqual([
      { kind: 'gate', name: 'CX', target: 4, matrix: [0, 0, 1, 0, 1, 0, 0, 0], controls: [1] },
      { kind: 'measure', qubit: 2, clbit: 3 },
    ]);
  });

  it('auto-detects the language from the header', () => {
    expect(parseQasm('OPENQASM 2.0; qreg q[1]; U(0,0,0) q[0];').numQubits).toBe(1);
    expect(parseQasm('// a comment\n/* and another */ OPENQASM 2.0; qreg q[2];').numQubits).toBe(2);
  });

  it('accepts comments, CRLF line ends and free layout', () => {
    const c = parseQasm(
      'OPENQASM 2.0;\r\ninclude "qelib1.inc"; // comment\r\nqreg q[2];/* block\r\n comment */h\nq[0]\n;\n\ncx q[0],\tq[1];',
    );
    expect(c.ops.map((o) => (o as GateOp).name)).toEqual(['h', 'cx']);
  });
});

describe('OpenQASM 2: qelib1 gates', () => {
  it('cx: control first, target second', () => {
    // q[0] control, q[1] target: |01> (index 1) <-> |11> (index 3).
    expectUnitary(q2('qreg q[2]; cx q[0], q[1];'), permutation([0, 3, 2, 1]));
    const op = q2('qreg q[2]; cx q[1], q[0];').ops[0] as GateOp;
    expect(op).toMatchObject({ kind: 'gate', target: 0, controls: [1] });
  });

  it('ccx flips the target when both controls are 1', () => {
    expectUnitary(q2('qreg q[3]; ccx q[0], q[1], q[2];'), permutation([0, 1, 2, 7, 4, 5, 6, 3]));
    expect(q2('qreg q[3]; ccx q[2], q[0], q[1];').ops).toEqual([
      { kind: 'gate', name: 'ccx', target: 1, matrix: [0, 0, 1, 0, 1, 0, 0, 0], controls: [2, 0] },
    ]);
  });

  it('swap and cswap', () => {
    expectUnitary(q2('qreg q[2]; swap q[0], q[1];'), permutation([0, 2, 1, 3]));
    // control q[0]: swap q[1], q[2] when q[0] = 1: |011> (3) <-> |101> (5).
    expectUnitary(q2('qreg q[3]; cswap q[0], q[1], q[2];'), permutation([0, 1, 2, 5, 4, 3, 6, 7]));
    expect(q2('qreg q[3]; cswap q[0], q[1], q[2];').ops).toEqual([{ kind: 'swap', a: 1, b: 2, controls: [0] }]);
  });

  it('cu3 is the controlled u3', () => {
    const [t, p, l] = [0.3, 0.5, -0.7];
    const cs = Math.cos(t / 2);
    const sn = Math.sin(t / 2);
    const u = [
      [c(cs), [-Math.cos(l) * sn, -Math.sin(l) * sn] as C],
      [[Math.cos(p) * sn, Math.sin(p) * sn] as C, [Math.cos(p + l) * cs, Math.sin(p + l) * cs] as C],
    ];
    // control q[0], target q[1]: the u3 block acts on indices 1 and 3.
    expectUnitary(q2(`qreg q[2]; cu3(${t}, ${p}, ${l}) q[0], q[1];`), [
      [L, O, O, O],
      [O, u[0][0], O, u[0][1]],
      [O, O, L, O],
      [O, u[1][0], O, u[1][1]],
    ]);
  });

  it('rzz(θ) = cx; u1(θ); cx, which is e^{iθ/2} exp(-iθ/2 Z⊗Z)', () => {
    const t = 0.9;
    expectUnitary(q2(`qreg q[2]; rzz(${t}) q[0], q[1];`), [
      [L, O, O, O],
      [O, eiphi(t), O, O],
      [O, O, eiphi(t), O],
      [O, O, O, L],
    ]);
  });

  it('rxx(θ) is e^{-iθ/2} exp(-iθ/2 X⊗X), as its qelib1 definition gives', () => {
    const t = 0.8;
    const p = eiphi(-t / 2);
    const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
    const d = mul(p, c(Math.cos(t / 2)));
    const o = mul(p, c(0, -Math.sin(t / 2)));
    expectUnitary(q2(`qreg q[2]; rxx(${t}) q[0], q[1];`), [
      [d, O, O, o],
      [O, d, o, O],
      [O, o, d, O],
      [o, O, O, d],
    ]);
  });

  it('ch is the controlled H times the global phase e^{iπ/4} its qelib1 definition has', () => {
    const p = eiphi(Math.PI / 4);
    const m = (x: number): C => [p[0] * x, p[1] * x];
    expectUnitary(q2('qreg q[2]; ch q[0], q[1];'), [
      [p, O, O, O],
      [O, m(R), O, m(R)],
      [O, O, p, O],
      [O, m(R), O, m(-R)],
    ]);
  });

  it('u1 and rz are the same gate in qelib1 (rz(φ) is defined as u1(φ)), p too', () => {
    const a = q2('qreg q[1]; rz(0.4) q[0];');
    expectUnitary(a, [
      [L, O],
      [O, eiphi(0.4)],
    ]);
    expect(unitaryDistance(unitaryOf(a), unitaryOf(q2('qreg q[1]; u1(0.4) q[0];')))).toBeLessThan(1e-15);
    expect(unitaryDistance(unitaryOf(a), unitaryOf(q2('qreg q[1]; p(0.4) q[0];')))).toBeLessThan(1e-15);
  });

  it('lowers every qelib1 gate to gate, swap or gphase ops only', () => {
    const all =
      'u3(1,2,3) q[0]; u2(1,2) q[0]; u1(1) q[0]; cx q[0],q[1]; id q[0]; u0(1) q[0]; u(1,2,3) q[0]; p(1) q[0]; ' +
      'x q[0]; y q[0]; z q[0]; h q[0]; s q[0]; sdg q[0]; t q[0]; tdg q[0]; rx(1) q[0]; ry(1) q[0]; rz(1) q[0]; ' +
      'sx q[0]; sxdg q[0]; cz q[0],q[1]; cy q[0],q[1]; ch q[0],q[1]; swap q[0],q[1]; ccx q[0],q[1],q[2]; ' +
      'cswap q[0],q[1],q[2]; crx(1) q[0],q[1]; cry(1) q[0],q[1]; crz(1) q[0],q[1]; cu1(1) q[0],q[1]; ' +
      'cp(1) q[0],q[1]; cu3(1,2,3) q[0],q[1]; csx q[0],q[1]; cu(1,2,3,4) q[0],q[1]; rxx(1) q[0],q[1]; ' +
      'rzz(1) q[0],q[1]; rccx q[0],q[1],q[2]; rc3x q[0],q[1],q[2],q[3]; c3x q[0],q[1],q[2],q[3]; ' +
      'c3sqrtx q[0],q[1],q[2],q[3]; c4x q[0],q[1],q[2],q[3],q[4];';
    const c = q2(`qreg q[5]; ${all}`);
    expect(new Set(c.ops.map((o) => o.kind))).toEqual(new Set(['gate', 'swap', 'gphase']));
    for (const op of c.ops) if (op.kind === 'gate') expect(op.matrix.every(Number.isFinite)).toBe(true);
  });

  it('U and CX are built in without any include', () => {
    const c = parseQasm('OPENQASM 2.0; qreg q[2]; U(pi, 0, pi) q[0]; CX q[0], q[1];');
    // X on q[0], then CX: |00> -> |11>, |01> -> |00>, |10> -> |01>, |11> -> |10>.
    expectUnitary(c, permutation([3, 0, 1, 2]));
  });
});

describe('OpenQASM 2: expressions', () => {
  it.each([
    ['pi', Math.PI],
    ['1.5e-3', 1.5e-3],
    ['.5', 0.5],
    ['2.', 2],
    ['3E2', 300],
    ['-pi/2', -Math.PI / 2],
    ['2*3+4/2-1', 7],
    ['2+3*4', 14],
    ['(2+3)*4', 20],
    ['-2^2', -4],
    ['2^3^2 / 100', 5.12],
    ['2^-1', 0.5],
    ['- -3', 3],
    ['sin(pi/2) + cos(0) + tan(0)', 2],
    ['exp(1)', Math.E],
    ['ln(exp(2))', 2],
    ['sqrt(16)', 4],
    ['10 - 2 - 3', 5],
    ['12 / 3 / 2', 2],
  ])('%s = %d', (expr, expected) => {
    expect(value(expr)).toBeCloseTo(expected, 9);
  });

  it('gate parameters are expressions of the definition parameters', () => {
    const c = q2('qreg q[1]; gate g(a, b) x { U(a*2, -b, a^2 + b) x; } g(0.25, 0.5) q[0];');
    const u = q2('qreg q[1]; U(0.5, -0.5, 0.5625) q[0];');
    expect(unitaryDistance(unitaryOf(c), unitaryOf(u))).toBeLessThan(1e-15);
  });
});

describe('OpenQASM 2: user gates', () => {
  it('inlines definitions, binding qubits and parameters', () => {
    const c = q2(`qreg q[3];
gate bell a, b { h a; cx a, b; }
gate twice(theta) a, b { rx(theta) a; bell a, b; rx(theta/2) b; }
twice(0.5) q[2], q[0];`);
    expect(c.ops.map((o) => [(o as GateOp).name, (o as GateOp).target, (o as GateOp).controls])).toEqual([
      ['rx', 2, []],
      ['h', 2, []],
      ['cx', 0, [2]],
      ['rx', 0, []],
    ]);
    expect(c.ops[3]).toEqual(q2('qreg q[3]; rx(0.25) q[0];').ops[0]);
  });

  it('a gate with empty parentheses and a barrier in its body', () => {
    const c = q2('qreg q[2]; gate g() a, b { barrier a, b; x b; } g() q[0], q[1]; g q[1], q[0];');
    expect(c.ops).toEqual([
      { kind: 'barrier', qubits: [0, 1] },
      { kind: 'gate', name: 'x', target: 1, matrix: [0, 0, 1, 0, 1, 0, 0, 0], controls: [] },
      { kind: 'barrier', qubits: [1, 0] },
      { kind: 'gate', name: 'x', target: 0, matrix: [0, 0, 1, 0, 1, 0, 0, 0], controls: [] },
    ]);
  });

  it('a user gate may reuse names of registers and gates for its arguments', () => {
    const c = q2('qreg q[1]; gate g(x) h { rx(x) h; } g(0.1) q[0];');
    expect(c.ops).toEqual(q2('qreg q[1]; rx(0.1) q[0];').ops);
  });
});

describe('OpenQASM 2: broadcast', () => {
  it('a one-qubit gate on a register applies to each qubit', () => {
    const c = q2('qreg q[3]; h q;');
    expect(c.ops.map((o) => (o as GateOp).target)).toEqual([0, 1, 2]);
  });

  it('two registers of equal size pair up; a single qubit is repeated', () => {
    const pairs = (c: Circuit) => c.ops.map((o) => [(o as GateOp).controls[0], (o as GateOp).target]);
    expect(pairs(q2('qreg a[2]; qreg b[2]; cx a, b;'))).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(pairs(q2('qreg a[2]; qreg b[3]; cx a[1], b;'))).toEqual([
      [1, 2],
      [1, 3],
      [1, 4],
    ]);
    expect(pairs(q2('qreg a[2]; qreg b[3]; cx b, a[0];'))).toEqual([
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
  });

  it('user gates broadcast too', () => {
    const c = q2('qreg a[2]; qreg b[2]; gate g x, y { cz x, y; } g a, b;');
    expect(c.ops.map((o) => [(o as GateOp).controls[0], (o as GateOp).target])).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it('measure, reset and barrier on registers', () => {
    const c = q2('qreg q[2]; creg c[2]; barrier q; measure q -> c; reset q; measure q[1] -> c[0];');
    expect(c.ops).toEqual([
      { kind: 'barrier', qubits: [0, 1] },
      { kind: 'measure', qubit: 0, clbit: 0 },
      { kind: 'measure', qubit: 1, clbit: 1 },
      { kind: 'reset', qubit: 0 },
      { kind: 'reset', qubit: 1 },
      { kind: 'measure', qubit: 1, clbit: 0 },
    ]);
  });

  it('barrier over several arguments lists each qubit once', () => {
    expect(q2('qreg a[2]; qreg b[1]; barrier a, b[0], a[1];').ops).toEqual([{ kind: 'barrier', qubits: [0, 1, 2] }]);
  });
});

describe('OpenQASM 2: if', () => {
  it('lowers if (c == n) to a ConditionalOp over the whole register', () => {
    const c = q2('qreg q[1]; creg c[3]; creg d[1]; if (c == 5) x q[0];');
    expect(c.ops).toEqual([
      {
        kind: 'if',
        clbits: [0, 1, 2],
        value: 5,
        body: [{ kind: 'gate', name: 'x', target: 0, matrix: [0, 0, 1, 0, 1, 0, 0, 0], controls: [] }],
      },
    ]);
    expect((q2('qreg q[1]; creg c[3]; creg d[1]; if (d == 1) x q[0];').ops[0] as ConditionalOp).clbits).toEqual([3]);
  });

  it('conditions each broadcast instance; a user gate stays in one conditional', () => {
    const c = q2('qreg q[2]; creg c[2]; if (c == 1) h q; gate g a, b { h a; cx a, b; } if (c == 0) g q[0], q[1];');
    expect(c.ops.map((o) => [o.kind, (o as ConditionalOp).body.length])).toEqual([
      ['if', 1],
      ['if', 1],
      ['if', 2],
    ]);
  });

  it('measure and reset may be conditioned', () => {
    const c = q2('qreg q[1]; creg c[1]; if (c == 0) measure q[0] -> c[0]; if (c == 1) reset q[0];');
    expect(c.ops).toEqual([
      { kind: 'if', clbits: [0], value: 0, body: [{ kind: 'measure', qubit: 0, clbit: 0 }] },
      { kind: 'if', clbits: [0], value: 1, body: [{ kind: 'reset', qubit: 0 }] },
    ]);
  });

  it('runs: a measured 1 triggers the conditioned gate', () => {
    const c = q2('qreg q[2]; creg c[2]; x q[0]; measure q[0] -> c[0]; if (c == 1) x q[1]; measure q[1] -> c[1];');
    expect(run(c).clbits).toEqual([1, 1]);
    const d = q2('qreg q[2]; creg c[2]; measure q[0] -> c[0]; if (c == 1) x q[1]; measure q[1] -> c[1];');
    expect(run(d).clbits).toEqual([0, 0]);
  });
});

describe('OpenQASM 2: agrees with the quantum-circuit package on random circuits', () => {
  // Gates whose definitions the package shares (up to global phase). Not rxx: the package maps it
  // to exp(-iθ X⊗X), where qelib1 (and Qiskit) have exp(-iθ/2 X⊗X).
  const GATES: [string, number, number][] = [
    ['u3', 3, 1],
    ['u2', 2, 1],
    ['u1', 1, 1],
    ['cx', 0, 2],
    ['id', 0, 1],
    ['x', 0, 1],
    ['y', 0, 1],
    ['z', 0, 1],
    ['h', 0, 1],
    ['s', 0, 1],
    ['sdg', 0, 1],
    ['t', 0, 1],
    ['tdg', 0, 1],
    ['rx', 1, 1],
    ['ry', 1, 1],
    ['rz', 1, 1],
    ['sx', 0, 1],
    ['sxdg', 0, 1],
    ['cz', 0, 2],
    ['cy', 0, 2],
    ['ch', 0, 2],
    ['swap', 0, 2],
    ['ccx', 0, 3],
    ['cswap', 0, 3],
    ['crx', 1, 2],
    ['cry', 1, 2],
    ['crz', 1, 2],
    ['cu1', 1, 2],
    ['cp', 1, 2],
    ['cu3', 3, 2],
    ['csx', 0, 2],
    ['rzz', 1, 2],
    ['p', 1, 1],
    ['u', 3, 1],
  ];

  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };

  function randomProgram(n: number, length: number): string {
    const lines = [HEADER, `qreg q[${n}];`];
    for (let k = 0; k < length; k++) {
      const [name, np, nq] = GATES[Math.floor(rand() * GATES.length)];
      const qubits: number[] = [];
      while (qubits.length < nq) {
        const x = Math.floor(rand() * n);
        if (!qubits.includes(x)) qubits.push(x);
      }
      const params = Array.from({ length: np }, () => (rand() * 6 - 3).toFixed(4));
      lines.push(`${name}${np ? `(${params.join(',')})` : ''} ${qubits.map((x) => `q[${x}]`).join(',')};`);
    }
    return lines.join('\n');
  }

  function theirState(src: string): State {
    const qc = new QuantumCircuit();
    const errors: unknown[] = [];
    qc.importQASM(src, (e: unknown[]) => errors.push(...e));
    expect(errors).toEqual([]);
    qc.run();
    const n = qc.numQubits;
    const st: State = { n, re: new Float64Array(1 << n), im: new Float64Array(1 << n) };
    for (const s of qc.stateAsArray(false)) {
      st.re[s.index] = s.amplitude.re;
      st.im[s.index] = s.amplitude.im;
    }
    return st;
  }

  it.each(Array.from({ length: 30 }, (_, i) => i))('random circuit %d: same state up to a global phase', () => {
    const src = randomProgram(4, 25);
    const mine = run(parseQasm(src)).state;
    const theirs = theirState(src);
    // Align the global phase on the largest amplitude, then compare everything.
    let k = 0;
    for (let i = 0; i < mine.re.length; i++)
      if (Math.hypot(mine.re[i], mine.im[i]) > Math.hypot(mine.re[k], mine.im[k])) k = i;
    const phase = Math.atan2(theirs.im[k], theirs.re[k]) - Math.atan2(mine.im[k], mine.re[k]);
    const [pc, ps] = [Math.cos(phase), Math.sin(phase)];
    for (let i = 0; i < mine.re.length; i++) {
      expect(mine.re[i] * pc - mine.im[i] * ps).toBeCloseTo(theirs.re[i], 8);
      expect(mine.re[i] * ps + mine.im[i] * pc).toBeCloseTo(theirs.im[i], 8);
    }
  });
});

describe('OpenQASM 2: ops are fresh objects', () => {
  it('does not share control arrays between ops', () => {
    const ops: Op[] = q2('qreg q[2]; cx q[0], q[1]; cx q[0], q[1];').ops;
    expect((ops[0] as GateOp).controls).not.toBe((ops[1] as GateOp).controls);
  });
});
