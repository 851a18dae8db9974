import type { BranchOp, Circuit, ConditionalOp, GateOp, Op } from '../circuit/circuit';
import { keyRegisters, simulate, type CountsResult } from '../simulator';
import { parseQasm } from '.';
import { unitaryDistance, unitaryOf } from './testing';

const q3 = (body: string): Circuit => parseQasm(`OPENQASM 3.0;\ninclude "stdgates.inc";\n${body}`);
const same = (a: string, b: string, tol = 1e-12) => {
  const ca = q3(a);
  const cb = q3(b);
  expect(ca.numQubits).toBe(cb.numQubits);
  expect(unitaryDistance(unitaryOf(ca), unitaryOf(cb))).toBeLessThan(tol);
};
const targets = (c: Circuit | Op[]) => (Array.isArray(c) ? c : c.ops).map((o) => (o as GateOp).target);

describe('OpenQASM 3: header and declarations', () => {
  it.each(['OPENQASM 3;', 'OPENQASM 3.0;', 'OPENQASM 3.1;'])('accepts %s', (h) => {
    expect(parseQasm(`${h} qubit q;`).numQubits).toBe(1);
  });

  it('allows a program without a header, which is OpenQASM 3 when no language is given', () => {
    expect(parseQasm('qubit[2] q; U(0, 0, 0) q[1];', 'QASM3').numQubits).toBe(2);
    expect(parseQasm('// no header\ninclude "stdgates.inc";\nqubit[2] q;\nctrl @ x q[0], q[1];').ops.length).toBe(1);
  });

  it('declares qubit[n], qubit, bit[n], bit and the old qreg/creg, flattened in order', () => {
    const c = q3('qubit[2] a; bit[3] c; qubit b; bit d; qreg e[2]; creg f[1];');
    expect(c.qregs).toEqual([
      { name: 'a', size: 2, offset: 0 },
      { name: 'b', size: 1, offset: 2 },
      { name: 'e', size: 2, offset: 3 },
    ]);
    expect(c.cregs).toEqual([
      { name: 'c', size: 3, offset: 0 },
      { name: 'd', size: 1, offset: 3 },
      { name: 'f', size: 1, offset: 4 },
    ]);
    expect([c.numQubits, c.numClbits]).toEqual([5, 5]);
  });

  it('constants size registers and index qubits', () => {
    const c = q3('const int n = 3; const uint m = n - 1; qubit[n * 2] q; x q[m]; x q[n + m];');
    expect(c.numQubits).toBe(6);
    expect(targets(c)).toEqual([2, 5]);
  });

  it('float and angle constants feed gate parameters', () => {
    same('qubit q; const float a = 0.25; const angle b = pi / 8; rx(a * 2 + b) q;', 'qubit q; rx(0.5 + π/8) q;');
  });

  it('int[n] and uint[n] constants are range checked', () => {
    expect(q3('const int[8] a = -128; const uint[8] b = 255; qubit[1] q;').numQubits).toBe(1);
  });

  it('constants π, pi, τ, tau, ℇ, euler', () => {
    same('qubit q; rz(π + pi + τ + tau + ℇ + euler) q;', `qubit q; rz(${4 * Math.PI + 2 * Math.PI + 2 * Math.E}) q;`);
  });

  it('comments of both kinds', () => {
    const c = q3('qubit q; // line comment\n/* block\ncomment */ x q; /**/ x /* inline */ q;');
    expect(c.ops.length).toBe(2);
  });

  it('expressions: ** is power, % is modulo, casts and functions', () => {
    same(
      'qubit q; rz(2 ** 3 ** 2 / 1000 + 7 % 3 + int(2.7) + float(1) + arcsin(1) + log(euler)) q;',
      `qubit q; rz(${512 / 1000 + 1 + 2 + 1 + Math.PI / 2 + 1}) q;`,
    );
    same('qubit q; rz(-2 ** 2) q;', 'qubit q; rz(-4) q;');
  });

  it('unicode parameter names in gate definitions', () => {
    same('qubit q; gate r(θ, φ) a { U(θ, φ, 0) a; } r(0.1, 0.2) q;', 'qubit q; U(0.1, 0.2, 0) q;');
  });
});

describe('OpenQASM 3: measure', () => {
  it('c = measure q, c[i] = measure q[j], measure q -> c, bit b = measure q', () => {
    const c = q3(
      'qubit[2] q; bit[2] c; c = measure q; c[0] = measure q[1]; measure q -> c; measure q[0] -> c[1]; bit b = measure q[1];',
    );
    expect(c.ops).toEqual([
      { kind: 'measure', qubit: 0, clbit: 0 },
      { kind: 'measure', qubit: 1, clbit: 1 },
      { kind: 'measure', qubit: 1, clbit: 0 },
      { kind: 'measure', qubit: 0, clbit: 0 },
      { kind: 'measure', qubit: 1, clbit: 1 },
      { kind: 'measure', qubit: 0, clbit: 1 },
      { kind: 'measure', qubit: 1, clbit: 2 },
    ]);
  });

  it('indexes with negative indices, ranges and sets', () => {
    const c = q3('qubit[5] q; x q[-1]; h q[1:3]; z q[0:2:4]; y q[{3, 1}]; s q[3:]; t q[:1];');
    expect(c.ops.map((o) => `${(o as GateOp).name}${(o as GateOp).target}`)).toEqual([
      'x4',
      'h1',
      'h2',
      'h3',
      'z0',
      'z2',
      'z4',
      'y3',
      'y1',
      's3',
      's4',
      't0',
      't1',
    ]);
  });

  it('reset and barrier (no arguments: every qubit)', () => {
    const c = q3('qubit[2] q; qubit r; reset q; barrier; barrier q[1], r;');
    expect(c.ops).toEqual([
      { kind: 'reset', qubit: 0 },
      { kind: 'reset', qubit: 1 },
      { kind: 'barrier', qubits: [0, 1, 2] },
      { kind: 'barrier', qubits: [1, 2] },
    ]);
  });
});

describe('OpenQASM 3: gate modifiers', () => {
  it('inv @ s equals sdg, inv @ t equals tdg', () => {
    same('qubit q; inv @ s q;', 'qubit q; sdg q;');
    same('qubit q; inv @ t q;', 'qubit q; tdg q;');
  });

  it('ctrl @ x equals cx; ctrl(2) @ x and ctrl @ ctrl @ x equal ccx', () => {
    same('qubit[2] q; ctrl @ x q[0], q[1];', 'qubit[2] q; cx q[0], q[1];');
    same('qubit[3] q; ctrl(2) @ x q[0], q[1], q[2];', 'qubit[3] q; ccx q[0], q[1], q[2];');
    same('qubit[3] q; ctrl @ ctrl @ x q[2], q[0], q[1];', 'qubit[3] q; ccx q[2], q[0], q[1];');
    expect(q3('qubit[2] q; ctrl @ x q[0], q[1];').ops).toEqual([
      { kind: 'gate', name: 'x', target: 1, matrix: [0, 0, 1, 0, 1, 0, 0, 0], controls: [0] },
    ]);
  });

  it('negctrl @ x acts when the control is 0', () => {
    same('qubit[2] q; negctrl @ x q[0], q[1];', 'qubit[2] q; x q[0]; cx q[0], q[1]; x q[0];');
    expect(q3('qubit[2] q; negctrl @ x q[0], q[1];').ops[0]).toMatchObject({ controls: [0], controlStates: [0] });
    same(
      'qubit[3] q; ctrl @ negctrl @ h q[0], q[1], q[2];',
      'qubit[3] q; x q[1]; ch q[0], q[1]; x q[1];'.replace('ch q[0], q[1]', 'ctrl(2) @ h q[0], q[1], q[2]'),
    );
  });

  it('pow(2) @ s equals z; pow(-1) @ t equals tdg; pow(0) is the identity; pow(3) @ sx equals inv @ sx times x', () => {
    same('qubit q; pow(2) @ s q;', 'qubit q; z q;');
    same('qubit q; pow(-1) @ t q;', 'qubit q; tdg q;');
    expect(q3('qubit q; pow(0) @ h q;').ops).toEqual([]);
    same('qubit q; pow(3) @ sx q;', 'qubit q; x q; sx q;');
    same('qubit q; pow(-2) @ s q;', 'qubit q; z q;');
  });

  it('modifiers on user gates: inv reverses and adjoints the body, ctrl controls every op', () => {
    const def = 'qubit[3] q; gate g(a) x, y { h x; rz(a) y; cx x, y; s y; }';
    same(`${def} inv @ g(0.3) q[0], q[1];`, `${def} sdg q[1]; cx q[0], q[1]; rz(-0.3) q[1]; h q[0];`);
    same(
      `${def} ctrl @ g(0.3) q[2], q[0], q[1];`,
      `${def} ch q[2], q[0]; crz(0.3) q[2], q[1]; ccx q[2], q[0], q[1]; ctrl @ s q[2], q[1];`,
    );
  });

  it('ctrl @ gphase is a phase gate on the control, negctrl @ gphase a phase on |0>', () => {
    expect(q3('qubit q; ctrl @ gphase(0.5) q;').ops).toEqual([
      {
        kind: 'gate',
        name: 'gphase',
        target: 0,
        matrix: [1, 0, 0, 0, 0, 0, Math.cos(0.5), Math.sin(0.5)],
        controls: [],
      },
    ]);
    same('qubit q; negctrl @ gphase(0.5) q;', 'qubit q; x q; p(0.5) q; x q;');
    same('qubit[3] q; ctrl(2) @ gphase(0.5) q[0], q[1];', 'qubit[3] q; cp(0.5) q[0], q[1];');
    same(
      'qubit[3] q; negctrl(2) @ gphase(0.5) q[0], q[2];',
      'qubit[3] q; x q[0]; x q[2]; cp(0.5) q[0], q[2]; x q[0]; x q[2];',
    );
    expect(q3('gphase(0.5);').ops).toEqual([{ kind: 'gphase', theta: 0.5 }]);
  });

  it('ctrl @ of a gate containing gphase keeps the phase as a controlled phase', () => {
    // rz = gphase(-λ/2) U(0,0,λ); controlled it is crz, not cp.
    same('qubit[2] q; ctrl @ rz(0.7) q[0], q[1];', 'qubit[2] q; crz(0.7) q[0], q[1];');
    same(
      'qubit[2] q; gate g(a) x { gphase(-a/2); U(0, 0, a) x; } ctrl @ g(0.7) q[0], q[1];',
      'qubit[2] q; crz(0.7) q[0], q[1];',
    );
  });

  it('inv @ ctrl and ctrl @ inv agree; modifiers combine with broadcast', () => {
    same('qubit[2] q; inv @ ctrl @ rx(0.4) q[0], q[1];', 'qubit[2] q; ctrl @ inv @ rx(0.4) q[0], q[1];');
    same('qubit[2] q; inv @ ctrl @ rx(0.4) q[0], q[1];', 'qubit[2] q; crx(-0.4) q[0], q[1];');
    const c = q3('qubit[3] q; qubit r; ctrl @ x r, q;');
    expect(c.ops.map((o) => [(o as GateOp).controls[0], (o as GateOp).target])).toEqual([
      [3, 0],
      [3, 1],
      [3, 2],
    ]);
  });

  it('swap under ctrl is a controlled swap op', () => {
    expect(q3('qubit[3] q; negctrl @ swap q[0], q[1], q[2];').ops).toEqual([
      { kind: 'swap', a: 1, b: 2, controls: [0], controlStates: [0] },
    ]);
  });

  it('U and gphase are built in without any include', () => {
    const c = parseQasm('OPENQASM 3; qubit q; U(π, 0, π) q; gphase(π);');
    expect(
      unitaryDistance(
        unitaryOf(c),
        unitaryOf(parseQasm('OPENQASM 3; include "stdgates.inc"; qubit q; x q; z q; x q; z q; x q;')),
      ),
    ).toBeLessThan(1e-12);
  });
});

describe('OpenQASM 3: stdgates phases', () => {
  it('rz and u1 differ by the global phase e^{-iλ/2}; u3 and U by e^{-i(φ+λ)/2}', () => {
    same('qubit q; rz(0.6) q;', 'qubit q; gphase(-0.3); u1(0.6) q;');
    same('qubit q; u3(0.1, 0.2, 0.3) q;', 'qubit q; gphase(-0.25); U(0.1, 0.2, 0.3) q;');
    same('qubit q; u2(0.2, 0.3) q;', 'qubit q; gphase(-0.25); U(π/2, 0.2, 0.3) q;');
    const rz = unitaryOf(q3('qubit q; rz(0.6) q;'));
    const u1 = unitaryOf(q3('qubit q; u1(0.6) q;'));
    expect(unitaryDistance(rz, u1)).toBeGreaterThan(0.1);
  });
});

describe('OpenQASM 3: for loops', () => {
  it('ranges are inclusive and the loop variable indexes qubits', () => {
    expect(targets(q3('qubit[4] q; for uint i in [0:3] { x q[i]; }'))).toEqual([0, 1, 2, 3]);
    expect(targets(q3('qubit[4] q; for int i in [0:2:3] x q[i];'))).toEqual([0, 2]);
    expect(targets(q3('qubit[5] q; for i in [4:-2:0] { x q[i]; }'))).toEqual([4, 2, 0]);
    expect(targets(q3('qubit[5] q; for int i in {3, 1, 4} { x q[i]; }'))).toEqual([3, 1, 4]);
    expect(q3('qubit[2] q; for i in [1:0] { x q[i]; }').ops).toEqual([]);
  });

  it('the loop variable is usable in expressions, ranges are bounded by constants, loops nest', () => {
    const c = q3(
      'const int n = 3; qubit[n] q; for uint i in [0:n-2] { for uint j in [i+1:n-1] { cp(pi / 2 ** (j - i)) q[j], q[i]; } }',
    );
    const expected = q3('qubit[3] q; cp(pi/2) q[1], q[0]; cp(pi/4) q[2], q[0]; cp(pi/2) q[2], q[1];');
    expect(c.ops).toEqual(expected.ops);
  });

  it('constants may be declared in loop bodies; the loop variable is scoped to the body', () => {
    expect(targets(q3('qubit[4] q; for int i in [0:1] { const int j = 2 * i + 1; x q[j]; }'))).toEqual([1, 3]);
    const c = q3('const int i = 0; qubit[3] q; for int i in [1:2] { x q[i]; } x q[i];');
    expect(targets(c)).toEqual([1, 2, 0]);
  });

  it('float loop variables over sets', () => {
    same('qubit q; for float a in {0.1, 0.2} { rx(a) q; }', 'qubit q; rx(0.3) q;');
  });
});

describe('OpenQASM 3: if', () => {
  /** The clbits of a deterministic program, run by the simulator (clbit 0 first). */
  const bitsOf = (body: string): number[] => {
    const c = q3(body);
    const d = (simulate({ circuit: c, shots: 10, seed: 1, type: 'RUNNER', maxQubits: 26 })[0] as CountsResult).data;
    const keys = Object.keys(d);
    expect(keys).toHaveLength(1);
    const words = keys[0].split(' ');
    const bits = new Array<number>(c.numClbits).fill(0);
    keyRegisters(c).forEach((r, i) => {
      const v = parseInt(words[i], 16);
      for (let k = 0; k < r.size; k++) bits[r.offset + k] = Math.floor(v / 2 ** k) % 2;
    });
    return bits;
  };
  /** Prepares c (3 bits) = v and b = w from measurements, runs `src`, and reads r. */
  const check = (v: number, w: number, src: string): number => {
    const set = [0, 1, 2, 3].map((i) => (((i < 3 ? v : w) >> (i < 3 ? i : 0)) & 1 ? `x m[${i}];` : '')).join(' ');
    return bitsOf(
      `qubit[4] m; qubit tq; bit[3] c; bit b; bit r; ${set} c = measure m[0:2]; b = measure m[3]; ${src} r = measure tq;`,
    )[4];
  };

  it('if (c[0]) { } else { } lowers to one conditional per branch', () => {
    const c = q3('qubit[2] q; bit[2] c; c = measure q; if (c[1]) { x q[0]; } else { z q[0]; h q[1]; }');
    const branch = c.ops[c.ops.length - 1] as BranchOp;
    expect([branch.kind, branch.cond, targets(branch.then), targets(branch.otherwise)]).toEqual([
      'branch',
      { k: 'bit', clbit: 1 },
      [0],
      [0, 1],
    ]);
    // Without else, a condition on bits stays an OpenQASM 2 style conditional.
    const d = q3('qubit[2] q; bit[2] c; c = measure q; if (c == 2) { x q[0]; } if (!c[0]) x q[1];');
    expect(d.ops.slice(2).map((o) => [(o as ConditionalOp).clbits, (o as ConditionalOp).value])).toEqual([
      [[0, 1], 2],
      [[0], 0],
    ]);
  });

  it('if (!c[0]), if (c == 5), if (c[0] == 0), if (c), if (bit), && and || run for the right values', () => {
    const conds: [string, (c: number, b: number) => boolean][] = [
      ['!c[0]', (c) => (c & 1) === 0],
      ['c == 5', (c) => c === 5],
      ['5 == c', (c) => c === 5],
      ['c[2] == 0', (c) => (c & 4) === 0],
      ['c[2] == 1 && c[0] == 0', (c) => (c & 4) !== 0 && (c & 1) === 0],
      ['b', (_c, b) => b === 1],
      ['!b', (_c, b) => b === 0],
      ['b == false', (_c, b) => b === 0],
      ['uint[3](c) == 6', (c) => c === 6],
      // int[3] reads the bits as two's complement: 110 is -2.
      ['int[3](c) == -2', (c) => c === 6],
      ['uint(c) == 1 && int(c[2]) == 0', (c) => c === 1],
      ['c', (c) => c !== 0],
      ['c[0] || c[1]', (c) => (c & 3) !== 0],
      ['c > 4', (c) => c > 4],
      ['c[0] == c[1]', (c) => (c & 1) === (c >> 1) % 2],
      ['c != 5', (c) => c !== 5],
    ];
    for (const [cond, want] of conds) {
      for (const [v, w] of [
        [0, 0],
        [1, 1],
        [2, 0],
        [5, 1],
        [6, 0],
        [7, 1],
      ]) {
        const got = check(v, w, `if (${cond}) x tq;`);
        if (got !== (want(v, w) ? 1 : 0)) throw new Error(`if (${cond}) with c = ${v}, b = ${w}: ${got}`);
      }
    }
  });

  it('if (c == 5) else runs the right branch for every value of c', () => {
    for (let v = 0; v < 8; v++) {
      expect(check(v, 0, 'if (c == 5) { x tq; } else { x tq; x tq; }')).toBe(v === 5 ? 1 : 0);
      expect(check(v, 0, 'if (c == 5) { } else { x tq; }')).toBe(v === 5 ? 0 : 1);
    }
  });

  it('a branch that measures into its own condition bit does not trigger the other branch', () => {
    // c[0] = 1; the then-branch measures |0> into c[0]; the else-branch must not run afterwards.
    const src =
      'qubit[3] q; bit[2] c; x q[0]; c[0] = measure q[0]; if (c[0]) { c[0] = measure q[1]; } else { x q[2]; } c[1] = measure q[2];';
    expect(bitsOf(src)).toEqual([0, 0]);
    const src2 =
      'qubit[3] q; bit[2] c; c[0] = measure q[0]; if (c[0]) { x q[2]; } else { x q[1]; c[0] = measure q[1]; } c[1] = measure q[2];';
    expect(bitsOf(src2)).toEqual([1, 0]);
  });

  it('else if chains and nested ifs', () => {
    const src = (v: number) =>
      `qubit[3] q; bit[2] c; bit[1] r; ${v & 1 ? 'x q[0];' : ''} ${v & 2 ? 'x q[1];' : ''} c = measure q[0:1];
       if (c == 0) { } else if (c == 1) { x q[2]; } else if (c[1]) { if (c[0]) { x q[2]; } } r[0] = measure q[2];`;
    expect([0, 1, 2, 3].map((v) => bitsOf(src(v))[2])).toEqual([0, 1, 0, 1]);
  });

  it('conditions on loop variables, constants and unmeasured bits are decided while lowering', () => {
    const c = q3('qubit[4] q; for int i in [0:3] { if (i % 2 == 0) { x q[i]; } else { h q[i]; } }');
    expect(c.ops.map((o) => `${(o as GateOp).name}${(o as GateOp).target}`)).toEqual(['x0', 'h1', 'x2', 'h3']);
    expect(q3('const int n = 2; qubit q; if (n > 1 && n < 3) x q; if (n == 3 || false) h q;').ops.length).toBe(1);
    // Bits that no measurement has written are 0.
    expect(q3('qubit q; bit[2] c; if (c == 0) x q; if (c[1]) h q;').ops.map((o) => o.kind)).toEqual(['gate']);
  });

  it('mixes bits and loop variables in conditions', () => {
    const c = q3('qubit[2] q; bit[2] c; c = measure q; for int i in [0:1] { if (c[i] == i) x q[0]; }');
    expect(c.ops.slice(2).map((o) => [(o as ConditionalOp).clbits, (o as ConditionalOp).value])).toEqual([
      [[0], 0],
      [[1], 1],
    ]);
  });
});
