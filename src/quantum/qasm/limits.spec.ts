import { CircuitError } from '../circuit/circuit';
import { parseQasm } from '.';

function errorOf(src: string, options?: { maxOperations?: number }): CircuitError {
  try {
    parseQasm(src, undefined, options);
  } catch (err) {
    expect(err).toBeInstanceOf(CircuitError);
    return err as CircuitError;
  }
  throw new Error('expected a CircuitError');
}

// Parse speed is measured by the benchmarks (npm run bench), never asserted here: the machines are shared.
describe('large programs', () => {
  const gates2 = [
    'h q[{a}];',
    'cx q[{a}], q[{b}];',
    'rz(pi/({a}+1)+0.25) q[{b}];',
    'u3(0.1, 0.2*{a}, -0.3) q[{a}];',
    'ccx q[{a}], q[{b}], q[{c}];',
    'measure q[{a}] -> c[{a}];',
    'my(0.5) q[{a}], q[{b}];',
  ];
  function program2(lines: number): string {
    const out = [
      'OPENQASM 2.0;',
      'include "qelib1.inc";',
      'qreg q[20];',
      'creg c[20];',
      'gate my(t) a, b { rx(t) a; cx a, b; rz(-t/2) b; }',
    ];
    for (let i = 0; i < lines; i++) {
      const fill = (s: string) =>
        s
          .replace(/\{a\}/g, String(i % 20))
          .replace(/\{b\}/g, String((i + 7) % 20))
          .replace(/\{c\}/g, String((i + 13) % 20));
      out.push(fill(gates2[i % gates2.length]));
    }
    return out.join('\n');
  }
  function program3(lines: number): string {
    const out = [
      'OPENQASM 3.0;',
      'include "stdgates.inc";',
      'qubit[20] q;',
      'bit[20] c;',
      'gate my(t) a, b { rx(t) a; ctrl @ rz(t) a, b; }',
    ];
    for (let i = 0; i < lines; i++) {
      const [a, b] = [i % 20, (i + 7) % 20];
      const choices = [
        `h q[${a}];`,
        `ctrl @ x q[${a}], q[${b}];`,
        `inv @ my(π/${a + 1}) q[${a}], q[${b}];`,
        `c[${a}] = measure q[${a}];`,
        `if (c[${a}]) { x q[${b}]; } else { z q[${b}]; }`,
      ];
      out.push(choices[i % choices.length]);
    }
    return out.join('\n');
  }
  it.each([
    ['OpenQASM 2', program2],
    ['OpenQASM 3', program3],
  ])('%s: 10,000 and 100,000 lines parse completely', (_name, program) => {
    const ten = parseQasm(program(10_000));
    const hundred = parseQasm(program(100_000));
    expect(ten.ops.length).toBeGreaterThan(10_000);
    expect(hundred.ops.length).toBeGreaterThan(9 * ten.ops.length);
    expect(hundred.numQubits).toBe(20);
  });

  it('unrolls a loop to a million operations', () => {
    const circuit = parseQasm('OPENQASM 3; include "stdgates.inc"; qubit[10] q; for int i in [0:99999] { h q; }');
    expect(circuit.ops.length).toBe(1_000_000);
  });
});

describe('limits', () => {
  it('rejects programs that expand beyond the operation limit, before expanding them', () => {
    const cases: [string, number, number][] = [
      ['OPENQASM 3; qubit q; for int i in [0:1000000000000] { }', 1, 22],
      ['OPENQASM 3; include "stdgates.inc"; qubit q;\npow(100000000000) @ x q;', 2, 1],
      [
        'OPENQASM 3; include "stdgates.inc"; qubit q;\nfor int i in [0:10000] { for int j in [0:10000] { x q; } }',
        2,
        1,
      ],
      ['OPENQASM 2.0; qreg q[100000000000];', 1, 22],
    ];
    for (const [src, line, column] of cases) {
      const err = errorOf(src);
      expect(err.reason).toMatch(/^program too large/);
      expect([err.line, err.column]).toEqual([line, column]);
    }
  });

  it('rejects gate definitions that double at each level', () => {
    const defs = ['OPENQASM 2.0;', 'qreg q[1];', 'gate g0 a { U(0.1, 0, 0) a; }'];
    for (let i = 1; i <= 40; i++) defs.push(`gate g${i} a { g${i - 1} a; g${i - 1} a; }`);
    defs.push('g40 q[0];');
    const err = errorOf(defs.join('\n'));
    expect(err.reason).toBe('program too large: it expands to more than 10000000 operations');
    expect([err.line, err.column]).toEqual([44, 1]);
  });

  it('honours a smaller maxOperations option', () => {
    const src = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[10]; h q; h q;';
    expect(parseQasm(src, 'QASM2', { maxOperations: 20 }).ops.length).toBe(20);
    expect(errorOf(src, { maxOperations: 19 }).reason).toBe('program too large: it expands to more than 19 operations');
  });

  it('rejects deeply nested expressions and blocks with a CircuitError, not a stack overflow', () => {
    const parens = errorOf(`OPENQASM 2.0; qreg q[1]; U(${'('.repeat(100_000)}1${')'.repeat(100_000)}, 0, 0) q[0];`);
    expect(parens.reason).toBe('expression is nested too deeply');
    const minus = errorOf(`OPENQASM 2.0; qreg q[1]; U(${'-'.repeat(100_000)}1, 0, 0) q[0];`);
    expect(minus.reason).toBe('expression is nested too deeply');
    const chain = errorOf(`OPENQASM 2.0; qreg q[1]; U(1${'+1'.repeat(100_000)}, 0, 0) q[0];`);
    expect(chain.reason).toBe('expression is nested too deeply (more than 1000 levels)');
    const blocks = errorOf(`OPENQASM 3; qubit q; ${'if (true) { '.repeat(10_000)}${'}'.repeat(10_000)}`);
    expect(blocks.reason).toBe('program is nested too deeply (more than 200 levels)');
  });

  it('accepts moderately deep nesting', () => {
    const c = parseQasm(
      `OPENQASM 2.0; qreg q[1]; U(${'('.repeat(150)}1${')'.repeat(150)} + 1${'+1'.repeat(900)}, 0, 0) q[0];`,
    );
    expect(c.ops.length).toBe(1);
    expect(
      parseQasm(`OPENQASM 3; qubit q; ${'if (true) { '.repeat(150)}U(0, 0, 0) q;${'}'.repeat(150)}`).ops.length,
    ).toBe(1);
  });

  it('rejects long chains of gates calling gates before the stack runs out', () => {
    const defs = ['OPENQASM 2.0;', 'qreg q[1];', 'gate g0 a { U(0.1, 0, 0) a; }'];
    for (let i = 1; i <= 5000; i++) defs.push(`gate g${i} a { g${i - 1} a; }`);
    defs.push('g5000 q[0];');
    const err = errorOf(defs.join('\n'));
    expect(err.reason).toBe('gate calls are nested too deeply (more than 1000 levels)');
    expect(err.line).toBe(5004);
    const ok = [...defs.slice(0, 903), 'g900 q[0];'].join('\n');
    expect(parseQasm(ok).ops.length).toBe(1);
  });
});
