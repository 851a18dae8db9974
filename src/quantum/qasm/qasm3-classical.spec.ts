import fc from 'fast-check';
import { CircuitError, type Circuit, type ClassicalExpr, type GateOp, type Op } from '../circuit/circuit';
import { multiply, scale, u3 } from '../circuit/gates';
import { keyRegisters, simulate, type CountsResult } from '../simulator';
import { parseQasm } from '.';
import { matrixPower } from './lower3';
import { fromRows, unitaryDistance, unitaryOf } from './testing';

const H3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n';
const q3 = (body: string): Circuit => parseQasm(H3 + body);

function counts(c: Circuit, shots = 200, seed = 3): Record<string, number> {
  return (simulate({ circuit: c, shots, seed, type: 'RUNNER', maxQubits: 26 })[0] as CountsResult).data;
}
/** Register values of a key. */
function regs(c: Circuit, key: string): Record<string, number> {
  const words = key.split(' ');
  const out: Record<string, number> = {};
  keyRegisters(c).forEach((r, i) => (out[r.name] = parseInt(words[i], 16)));
  return out;
}
/** The single outcome of a deterministic program (it must measure something). */
function only(body: string): Record<string, number> {
  const c = q3(body);
  const d = counts(c, 20);
  expect(Object.keys(d)).toHaveLength(1);
  return regs(c, Object.keys(d)[0]);
}
/** Appends a measurement so that the simulator samples (clbits set only classically are not sampled). */
const M = ' qubit zz__; bit zm__ = measure zz__;';
const vals = (body: string) => {
  const r = only(body + M);
  delete r.zm__;
  return r;
};
function refusal(src: string): CircuitError {
  try {
    parseQasm(src);
  } catch (e) {
    expect(e).toBeInstanceOf(CircuitError);
    return e as CircuitError;
  }
  throw new Error('expected a CircuitError');
}

/** Evaluates a ClassicalExpr with variables' values (for comparing dgates with their constant version). */
function evalCE(e: ClassicalExpr, vars: number[]): number {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'var':
      return vars[e.index];
    case 'unary':
      return e.op === '-' ? -evalCE(e.a, vars) : e.op === '!' ? Number(!evalCE(e.a, vars)) : ~evalCE(e.a, vars);
    case 'binary': {
      const a = evalCE(e.a, vars);
      const b = evalCE(e.b, vars);
      const ops: Record<string, number> = { '+': a + b, '-': a - b, '*': a * b, '/': a / b };
      if (!(e.op in ops)) throw new Error(`op ${e.op}`);
      return ops[e.op];
    }
    case 'cast':
      return e.to === 'float' ? evalCE(e.a, vars) : Math.trunc(evalCE(e.a, vars));
    case 'call': {
      const x = evalCE(e.args[0], vars);
      const f: Record<string, number> = {
        floor: Math.floor(x),
        sin: Math.sin(x),
        cos: Math.cos(x),
        sqrt: Math.sqrt(x),
      };
      return f[e.fn];
    }
    default:
      throw new Error(`kind ${e.k}`);
  }
}
/** Ops with dgates turned into gates, given the variables' values. */
function substitute(ops: Op[], vars: number[]): Op[] {
  return ops.map((op) => {
    if (op.kind !== 'dgate') return op;
    const g: GateOp = {
      kind: 'gate',
      name: op.name,
      target: op.target,
      matrix: scale(
        u3(evalCE(op.theta, vars), evalCE(op.phi, vars), evalCE(op.lambda, vars)),
        op.phase ? evalCE(op.phase, vars) : 0,
      ),
      controls: op.controls,
    };
    if (op.controlStates) g.controlStates = op.controlStates;
    return g;
  });
}

describe('OpenQASM 3 classical types and values', () => {
  it('int, uint, float, bool, bit values and arithmetic are computed at compile time', () => {
    expect(
      vals(
        `int[8] a = -3; uint[4] u = 9; float f = 2.5; bool tr = true;
        bit[8] r1 = a * 2 + 10;            // 4
        bit[8] r2 = u + 10;                // 19 (uint[4] holds 9; the sum is not wrapped)
        uint[4] w = 15; w += 3; bit[8] r3 = w;   // 18 wraps to 2 in uint[4]
        bit[8] r4 = int(f * 4);            // 10
        bit[8] r5 = t ? 1 : 0;`.replace('t ? 1 : 0', 'int(tr)'),
      ),
    ).toEqual({ r1: 4, r2: 19, r3: 2, r4: 10, r5: 1 });
  });

  it('int / int divides as integers, literals divide as reals; %, **, comparisons', () => {
    expect(
      vals(`int a = 7; int b = 2; bit[8] q1 = a / b; bit[8] q2 = int(7 / 2 * 2); bit[8] m = a % b;
        bit[8] pw = 2 ** 5; bit c1 = a > b; bit c2 = a == b; bit c3 = a != b && b <= 2;`),
    ).toEqual({ q1: 3, q2: 7, m: 1, pw: 32, c1: 1, c2: 0, c3: 1 });
  });

  it('bitwise operators, shifts and compound assignments', () => {
    expect(
      vals(`uint[8] xv = 0xF0; bit[8] a = xv & 0x3C; bit[8] o = xv | 0x0F; bit[8] e = xv ^ 0xFF;
        bit[8] n = ~xv; uint[8] sv = 3; sv <<= 2; sv |= 1; bit[8] sh = sv; bit[8] r = xv >> 4;
        int i = 10; i -= 3; i *= 2; i /= 4; bit[8] ii = i; i %= 2; bit[8] im = i;`),
    ).toEqual({ a: 0x30, o: 0xff, e: 0x0f, n: 0x0f, sh: 13, r: 15, ii: 3, im: 1 });
  });

  it("~ of a signed integer is its two's complement, at compile time and per shot; of unsigned bits, 2^w - 1 - x", () => {
    // Per shot: x is complemented only when q measures 0 (always, from |0>).
    expect(
      only(`qubit q; bit neg; bit[8] low; uint[8] u = 5; bit is250;
        int[32] xi = 5; if (measure q == 0) { xi = ~xi; } neg = xi < 0; low = xi;
        const int[32] k = ~5; bit kneg = k < 0; u = ~u; is250 = u == 250;`),
    ).toMatchObject({ neg: 1, low: 0xfa, kneg: 1, is250: 1 });
  });

  it('bit strings, bit slices and concatenation with ++', () => {
    expect(
      vals(`bit[4] a = "0110"; bit[2] hi = a[2:3]; bit[2] lo = a[0:1]; bit[6] cat = hi ++ "11";
        bit b0 = a[0]; bit b1 = a[1]; bit[4] sv = a; sv[0] = 1; sv[3] = true;`),
    ).toEqual({ a: 6, hi: 1, lo: 2, cat: 0b000111, b0: 0, b1: 1, sv: 0b1111 });
  });

  it('angle[n] holds k for 2πk/2^n; casts between angles, floats and bits', () => {
    expect(
      vals(`angle[4] a = pi / 2; bit[4] k = a; angle[4] b = a + a; bit[4] kb = b;
        angle[4] c = 3 * pi / 2; c <<= 1; bit[4] kc = c; bit c0 = a[2];
        bit[8] deg = int(float(b) / pi * 180);`),
    ).toEqual({ k: 4, kb: 8, kc: 8, c0: 1, deg: 180 });
  });

  it('math functions and constants', () => {
    expect(
      vals(`bit[8] a = int(sqrt(16) + floor(2.7) + ceiling(0.2) + abs(-3)); bit[8] b = int(100 * sin(pi / 6) + 0.5);
        bit[8] c = int(exp(log(5)) + 0.5); bit[8] d = popcount(uint[8](0xB7)); bit[8] e = int(arctan(1) * 4 / pi);
        bit[8] f = rotl(uint[8](0x81), 1); bit[8] g = int(τ / π);`),
    ).toEqual({ a: 10, b: 50, c: 5, d: 6, e: 1, f: 0x03, g: 2 });
  });

  it('complex numbers at compile time', () => {
    expect(
      vals(`const complex zc = (1 + 2im) * (3 - 1im); bit[8] re = int(real(zc)); bit[8] im = int(imag(zc));
        bit[8] m = int(abs(3 + 4im));`),
    ).toEqual({ re: 5, im: 5, m: 5 });
    const e = refusal(H3 + 'qubit q; bit b = measure q; complex zc = 1; if (b) { zc = 2im; }');
    expect(e.reason).toBe(
      "per-shot complex variable 'zc' is not supported (complex values are computed at compile time)",
    );
    expect([e.line, e.column]).toEqual([3, 57]);
  });

  it('arrays: declaration, literals, indexing, slices, sizeof, copies', () => {
    expect(
      vals(`array[int[8], 3, 2] a = {{1, 2}, {3, 4}, {5, 6}}; array[int[8], 2] r = a[1];
        a[2][0] = 50; a[0, 1] = a[2, 0] + 1; r[0] = 9;
        bit[8] xv = a[2][0]; bit[8] yv = a[0][1]; bit[8] zv = a[1][0]; bit[8] w = r[0];
        bit[8] sz = sizeof(a) * 10 + sizeof(a, 1); array[int[8], 2, 2] b = a[1:2]; bit[8] v = b[1][1];`),
    ).toEqual({ xv: 50, yv: 51, zv: 3, w: 9, sz: 32, v: 6 });
  });

  it('const values size registers; output declarations are variables; pragmas and annotations are ignored', () => {
    const c = q3(`const uint n = 2 * 2; qubit[n] q; output bit[n] c; pragma anything goes here
      @annotation with words
      x q[0]; c = measure q;`);
    expect([c.numQubits, c.cregs]).toEqual([4, [{ name: 'c', size: 4, offset: 0 }]]);
  });

  it('casts, and implicit conversions to the declared type', () => {
    expect(
      vals(`float f = 3.75; bit[8] a = int(f); bit[8] b = uint[2](7); bool tr = 2; bit[8] c = int(tr);
        bit[8] d = int[8](-1); int xv = 5; float g = xv / 2.0; bit[8] e = int(g * 10);`),
    ).toEqual({ a: 3, b: 3, c: 1, d: 255, e: 25 });
  });
});

describe('OpenQASM 3 control flow', () => {
  it('for over ranges (with steps, negative), sets and arrays; while with static conditions unrolls', () => {
    const c = q3(`qubit[8] q; for int i in [0:2:6] { x q[i]; } for i in {1, 3} { x q[i]; }
      array[int, 2] a = {5, 7}; for int v in a { x q[v]; } int k = 0; while (k < 3) { k += 1; }
      for int j in [2:-1:1] { h q[j]; }`);
    expect(c.ops.map((o) => `${(o as GateOp).name}${(o as GateOp).target}`)).toEqual([
      'x0',
      'x2',
      'x4',
      'x6',
      'x1',
      'x3',
      'x5',
      'x7',
      'h2',
      'h1',
    ]);
    expect(c.vars).toBeUndefined();
  });

  it('break and continue in loops with static conditions are decided while lowering', () => {
    const c = q3('qubit[6] q; for int i in [0:5] { if (i == 1) continue; if (i == 4) break; x q[i]; }');
    expect(c.ops.map((o) => (o as GateOp).target)).toEqual([0, 2, 3]);
  });

  it('if/else on measurement results runs the right branch', () => {
    for (const v of [0, 1]) {
      expect(
        only(`qubit[2] q; bit b; bit r; ${v ? 'x q[0];' : ''} b = measure q[0];
          if (b) { x q[1]; } else { } r = measure q[1];`).r,
      ).toBe(v);
      expect(
        only(`qubit[2] q; bit b; bit r; ${v ? 'x q[0];' : ''} b = measure q[0];
          if (!b) { x q[1]; } else { h q[1]; h q[1]; } r = measure q[1];`).r,
      ).toBe(1 - v);
    }
  });

  it('measure as an expression in conditions and initialisers', () => {
    expect(only('qubit[2] q; bit r; x q[0]; if (measure q[0]) { x q[1]; } r = measure q[1];').r).toBe(1);
    expect(only('qubit[2] q; x q[1]; bit[2] b = measure q;').b).toBe(2);
  });

  it('per-shot variables: a counter incremented from measurements, compared and written back to bits', () => {
    // Four qubits, qubits 0 and 2 flipped: the count of ones is 2.
    expect(
      only(`qubit[4] q; bit[3] n; int count = 0; x q[0]; x q[2];
        for int i in [0:3] { bit b = measure q[i]; if (b) count += 1; }
        n = count; `).n,
    ).toBe(2);
  });

  it('while on a measurement result: repeat until success', () => {
    // Measure |+> until it reads 1; then flags is 1 and the tries counter is at least 1.
    const c = q3(`qubit q; bit ok; int tries = 0; bit[8] nt;
      while (!ok) { reset q; h q; ok = measure q; tries += 1; } nt = tries;`);
    expect(c.ops.some((o) => o.kind === 'while')).toBe(true);
    const d = counts(c, 300);
    let total = 0;
    for (const [k, n] of Object.entries(d)) {
      const r = regs(c, k);
      expect(r.ok).toBe(1);
      expect(r.nt).toBeGreaterThanOrEqual(1);
      total += n;
    }
    expect(total).toBe(300);
  });

  it('break and continue under per-shot conditions, in for and while loops', () => {
    // q[0] = 1: the loop stops at i = 0 and never flips q[1..2].
    expect(
      only(
        'qubit[3] q; bit b; bit[2] r; x q[0]; b = measure q[0]; for int i in [1:2] { if (b) break; x q[i]; } r = measure q[1:2];',
      ).r,
    ).toBe(0);
    expect(
      only(
        'qubit[3] q; bit b; bit[2] r; b = measure q[0]; for int i in [1:2] { if (b) break; x q[i]; } r = measure q[1:2];',
      ).r,
    ).toBe(3);
    // continue skips the x of every iteration.
    expect(
      only(
        'qubit[3] q; bit b; bit[2] r; x q[0]; b = measure q[0]; for int i in [1:2] { if (b) continue; x q[i]; } r = measure q[1:2];',
      ).r,
    ).toBe(0);
    expect(
      only(`qubit q; bit b; int k = 0; bit[8] r; x q; b = measure q;
        while (true) { k += 1; if (k > 4 && b) break; if (b) continue; } r = k;`).r,
    ).toBe(5);
  });

  it('values computed before and after a per-shot break are right on both paths', () => {
    for (const v of [0, 1]) {
      const prep = v ? 'x q;' : '';
      expect(
        only(`qubit q; bit b; bit[4] r; bit[4] sj; int k = 0; int j = 10; ${prep} b = measure q;
          for int i in [0:3] { k += 1; if (b) break; j -= 1; } r = k; sj = j;`),
      ).toEqual(v ? { b: 1, r: 1, sj: 10 } : { b: 0, r: 4, sj: 6 });
      expect(
        only(`qubit q; bit b; bit[4] r; int k = 3; ${prep} b = measure q;
          def f(int a, bit c) -> int { int w = a; if (c) { return w * 2; } w += 1; return w; } r = f(k, b);`),
      ).toEqual(v ? { b: 1, r: 6 } : { b: 0, r: 4 });
    }
  });

  it('for loops over ranges with per-shot bounds are while loops with a counter', () => {
    for (const v of [0, 1, 2, 3]) {
      const set = `${v & 1 ? 'x q[0];' : ''} ${v & 2 ? 'x q[1];' : ''}`;
      // sum of i for i in [1 : 2c + 1], and the same down from 2c + 1 with continue on odd i.
      expect(
        only(`qubit[2] q; bit[2] c; bit[8] s1; bit[8] s2; int n; int t1 = 0; int t2 = 0; ${set} c = measure q;
          n = 2 * int(c) + 1; for int i in [1:n] { t1 += i; } for int i in [n:-1:0] { if (i % 2 == 1) continue; t2 += i; }
          s1 = t1; s2 = t2;`),
      ).toEqual({ c: v, s1: ((2 * v + 1) * (2 * v + 2)) / 2, s2: v * (v + 1) });
    }
  });

  it('switch on compile-time and per-shot values', () => {
    expect(
      vals('int i = 2; bit[4] r; switch (i) { case 1 { r = 1; } case 2, 3 { r = 2; } default { r = 9; } }').r,
    ).toBe(2);
    for (const v of [0, 1, 2, 3]) {
      const set = `${v & 1 ? 'x q[0];' : ''} ${v & 2 ? 'x q[1];' : ''}`;
      expect(
        only(`qubit[2] q; bit[2] c; bit[4] r; ${set} c = measure q;
          switch (int(c)) { case 0 { r = 5; } case 1, 2 { r = 6; } default { r = 7; } }`).r,
      ).toBe([5, 6, 6, 7][v]);
    }
  });

  it('end stops the shot; clbits keep their values', () => {
    expect(only('qubit[2] q; bit[2] c; x q[0]; c[0] = measure q[0]; end; x q[1]; c[1] = measure q[1];').c).toBe(1);
    expect(
      only('qubit[2] q; bit[2] c; x q[0]; c[0] = measure q[0]; if (c[0]) end; x q[1]; c[1] = measure q[1];').c,
    ).toBe(1);
    expect(only('qubit[2] q; bit[2] c; c[0] = measure q[0]; if (c[0]) end; x q[1]; c[1] = measure q[1];').c).toBe(2);
  });
});

describe('OpenQASM 3 subroutines', () => {
  it('def with qubit and classical arguments and a return value', () => {
    expect(
      only(`def flip(qubit a, int n) -> int { for int i in [1:n] { x a; } return n * 2; }
        qubit q; bit b; bit[4] r; r = flip(q, 3); b = measure q;`),
    ).toEqual({ b: 1, r: 6 });
  });

  it('returns a measurement (return measure q) and per-shot returns', () => {
    expect(
      only(`def m(qubit a) -> bit { x a; return measure a; } def pick(bit v) -> int { if (v) { return 4; } return 2; }
        qubit q; bit b; bit[4] r; b = m(q); r = pick(b);`),
    ).toEqual({ b: 1, r: 4 });
  });

  it('bounded recursion unrolls; unbounded recursion is refused where the call is', () => {
    expect(vals('def f(int n) -> int { if (n <= 1) { return 1; } return n * f(n - 1); } bit[8] r = f(5);').r).toBe(120);
    const e = refusal(H3 + 'def f(int n) -> int { return f(n + 1); }\nint x = f(1);');
    expect(e.reason).toMatch(/^subroutine calls are nested too deeply/);
    expect(e.line).toBe(3);
  });

  it('mutable array arguments are passed by reference', () => {
    expect(
      vals(`def inc(mutable array[int[8], 2] a, readonly array[int[8], 2] b) { a[0] += b[1]; }
        array[int[8], 2] xa = {1, 2}; inc(xa, xa); bit[8] r = xa[0];`).r,
    ).toBe(3);
    expect(
      refusal(H3 + 'def f(readonly array[int, 2] a) { a[0] = 1; }\narray[int, 2] xa = {1, 2};\nf(xa);').reason,
    ).toBe("'a' is read-only");
  });
});

describe('OpenQASM 3 gates', () => {
  it('per-shot parameters lower to dgates with the unitary of the constant version', () => {
    const gates = [
      'rx(th) q[0];',
      'ry(th) q[0];',
      'rz(th * 2) q[0];',
      'p(th) q[0];',
      'phase(-th) q[0];',
      'u1(th) q[0];',
      'u2(th, 2 * th) q[0];',
      'u3(th, 0.4, th + 1) q[0];',
      'U(th, th, 0.2) q[0];',
      'crx(th) q[0], q[1];',
      'cry(th) q[1], q[0];',
      'crz(th) q[0], q[1];',
      'cp(th) q[0], q[1];',
      'cphase(th) q[0], q[1];',
      'cu(th, 0.1, 0.2, th) q[0], q[1];',
      'ctrl @ rz(th) q[1], q[0];',
      'negctrl @ rx(th) q[1], q[0];',
      'inv @ u3(th, 0.3, 0.7) q[0];',
      'pow(2) @ ry(th) q[0];',
      'gphase(th);',
      'ctrl @ gphase(th) q[1];',
      'mygate(th) q[0], q[1];',
      'inv @ ctrl @ mygate(th) q[1], q[0], q[2];',
      'xx(th) q[0], q[1];',
      'ms(th, 0.2, th) q[0], q[1];',
      'pswap(th) q[0], q[1];',
    ];
    const def = 'gate mygate(a) x, y { rz(a / 2) x; cx x, y; ry(a) y; gphase(a); }';
    for (const g of gates) {
      // th per shot: a variable the program writes under a measurement-dependent condition.
      const dyn = q3(`${def} qubit[3] q; bit b; float th = 0.7; b = measure q[2]; if (b) { th = 0.1; } ${g}`);
      const ops = dyn.ops.filter(
        (o) => o.kind !== 'measure' && o.kind !== 'if' && o.kind !== 'branch' && o.kind !== 'set',
      );
      expect(ops.some((o) => o.kind === 'dgate')).toBe(true);
      const tVar = dyn.vars!.findIndex((v) => v.name === 'th');
      const values = dyn.vars!.map(() => 0);
      values[tVar] = 0.7;
      const stat = q3(`${def} qubit[3] q; ${g.replace(/\bth\b/g, '0.7')}`);
      const d = unitaryDistance(unitaryOf(substitute(ops, values), 3), unitaryOf(stat));
      if (d > 1e-12) throw new Error(`${g}: distance ${d}`);
    }
  });

  it('phase(c) with c an angle written from measurements (as in ipe.qasm)', () => {
    // c = 0b10 in angle[2] is π: phase(c) on |1> flips the sign, so H phase H maps |+> to |1>.
    expect(
      only(
        'qubit[2] q; angle[2] c; bit r; x q[0]; measure q[0] -> c[1]; h q[1]; phase(c) q[1]; h q[1]; r = measure q[1];',
      ).r,
    ).toBe(1);
  });

  it('pow(k) with a non-integer k: matrix powers by eigen-decomposition', () => {
    const cases: [string, string][] = [
      ['pow(0.5) @ x q[0];', 'sx q[0];'],
      ['pow(0.5) @ z q[0];', 's q[0];'],
      ['pow(0.25) @ z q[0];', 't q[0];'],
      ['pow(0.5) @ s q[0];', 't q[0];'],
      ['pow(-0.5) @ z q[0];', 'sdg q[0];'],
      ['pow(1.5) @ x q[0];', 'x q[0]; sx q[0];'],
      ['ctrl @ pow(0.5) @ x q[1], q[0];', 'ctrl @ sx q[1], q[0];'],
      ['pow(0.5) @ pow(0.5) @ ry(0.6) q[0];', 'ry(0.15) q[0];'],
      ['pow(1/3) @ rz(0.9) q[0];', 'rz(0.3) q[0];'],
    ];
    for (const [a, b] of cases) {
      const d = unitaryDistance(unitaryOf(q3(`qubit[2] q; ${a}`)), unitaryOf(q3(`qubit[2] q; ${b}`)));
      if (d > 1e-12) throw new Error(`${a}: distance ${d}`);
    }
    // A controlled gate's power is the controlled power; a swap has no single-qubit form.
    const cx = unitaryDistance(
      unitaryOf(q3('qubit[2] q; pow(0.5) @ cx q[0], q[1];')),
      unitaryOf(q3('qubit[2] q; ctrl @ sx q[0], q[1];')),
    );
    expect(cx).toBeLessThan(1e-12);
    const e = refusal(H3 + 'qubit[2] q;\npow(0.5) @ swap q[0], q[1];');
    expect(e.reason).toMatch(/^pow\(0\.5\) with a non-integer exponent needs a gate that is one/);
    expect([e.line, e.column]).toEqual([4, 5]);
  });

  it('matrixPower of random unitaries: (M^k)^(1/k) = M and M^a M^b = M^(a+b)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0.1, max: 0.9, noNaN: true }),
        (t, p, l, a) => {
          const m = u3(t, p, l);
          const x = matrixPower(m, a);
          const y = matrixPower(m, 1 - a);
          const prod = multiply(x, y);
          for (let i = 0; i < 8; i++) expect(Math.abs(prod[i] - m[i])).toBeLessThan(1e-9);
        },
      ),
    );
  });

  it('typed gate parameters and gates with loops and constant conditions in their bodies', () => {
    const a = q3(
      'gate g(angle[8] t, float s) a, b { for int i in [0:1] { if (i == 1) rx(t + s) a; } cx a, b; } qubit[2] q; g(pi, 0.5) q[0], q[1];',
    );
    const b = q3('qubit[2] q; rx(pi + 0.5) q[0]; cx q[0], q[1];');
    expect(unitaryDistance(unitaryOf(a), unitaryOf(b))).toBeLessThan(1e-12);
  });

  it('physical qubits $n: numQubits is the highest index + 1', () => {
    const c = q3('x $3; cx $3, $1; bit[2] b; b[0] = measure $3; b[1] = measure $1;');
    expect(c.numQubits).toBe(4);
    expect(regs(c, Object.keys(counts(c, 10))[0]).b).toBe(3);
  });

  it('timing is the identity: delay, box, durations, stretch, durationof, barrier', () => {
    const c = q3(`qubit[2] q; stretch g; duration d = 100ns + 2 * 5us + durationof({ x q[0]; });
      delay[d] q; box [1ms] { x q[0]; delay[10dt] q[1]; } barrier q; delay[2 * g] q[1];`);
    expect(c.ops.map((o) => o.kind)).toEqual(['gate', 'barrier']);
  });

  it('let aliases of qubits, with slices and concatenation', () => {
    const c = q3('qubit[4] q; let a = q[1:2] ++ q[0]; let b = a[2]; x a; h b;');
    expect(c.ops.map((o) => `${(o as GateOp).name}${(o as GateOp).target}`)).toEqual(['x1', 'x2', 'x0', 'h0']);
  });
});

describe('OpenQASM 3: Amazon Braket programs', () => {
  it("qunicorn-core's QASM3 test program (no include, Braket gate names) reads a Bell pair", () => {
    const c = parseQasm(
      'OPENQASM 3.0;\nbit[2] bits;\nqubit[2] qubits;\nh qubits[0];\ncnot qubits[0], qubits[1];\nbits[0] = measure qubits[0];\nbits[1] = measure qubits[1];',
    );
    const d = counts(c, 400);
    expect(Object.keys(d).sort()).toEqual(['0x0', '0x3']);
  });

  it('stdgates names resolve without an include, with stdgates semantics', () => {
    const a = parseQasm('OPENQASM 3; qubit[3] q; ccx q[0], q[1], q[2]; rz(0.3) q[0]; sx q[1];');
    const b = q3('qubit[3] q; ccx q[0], q[1], q[2]; rz(0.3) q[0]; sx q[1];');
    expect(unitaryDistance(unitaryOf(a), unitaryOf(b))).toBeLessThan(1e-15);
  });

  // Braket's matrices (braket/default_simulator/gate_operations.py); the first qubit is the most
  // significant. Applied to q[1], q[0] so that the first operand is the high bit of our index.
  const c = Math.cos;
  const s = Math.sin;
  const e = (x: number): [number, number] => [c(x), s(x)];
  const R = Math.SQRT1_2;
  const t = 0.37;
  const p = 1.1;
  const braket: [string, [number, number][][]][] = [
    [
      'i',
      [
        [
          [1, 0],
          [0, 0],
        ],
        [
          [0, 0],
          [1, 0],
        ],
      ],
    ],
    [
      'si',
      [
        [
          [1, 0],
          [0, 0],
        ],
        [
          [0, 0],
          [0, -1],
        ],
      ],
    ],
    [
      'ti',
      [
        [
          [1, 0],
          [0, 0],
        ],
        [
          [0, 0],
          [R, -R],
        ],
      ],
    ],
    [
      'v',
      [
        [
          [0.5, 0.5],
          [0.5, -0.5],
        ],
        [
          [0.5, -0.5],
          [0.5, 0.5],
        ],
      ],
    ],
    [
      'vi',
      [
        [
          [0.5, -0.5],
          [0.5, 0.5],
        ],
        [
          [0.5, 0.5],
          [0.5, -0.5],
        ],
      ],
    ],
    [
      `phaseshift(${t})`,
      [
        [
          [1, 0],
          [0, 0],
        ],
        [[0, 0], e(t)],
      ],
    ],
    [
      `rz(${t})`,
      [
        [e(-t / 2), [0, 0]],
        [[0, 0], e(t / 2)],
      ],
    ],
    [
      `gpi(${p})`,
      [
        [[0, 0], e(-p)],
        [e(p), [0, 0]],
      ],
    ],
    [
      `gpi2(${p})`,
      [
        [
          [R, 0],
          [R * s(-p), -R * c(-p)],
        ],
        [
          [R * s(p), -R * c(p)],
          [R, 0],
        ],
      ],
    ],
    [
      `prx(${t}, ${p})`,
      [
        [
          [c(t / 2), 0],
          [s(t / 2) * s(-p), -s(t / 2) * c(-p)],
        ],
        [
          [s(t / 2) * s(p), -s(t / 2) * c(p)],
          [c(t / 2), 0],
        ],
      ],
    ],
  ];
  const z: [number, number] = [0, 0];
  const o: [number, number] = [1, 0];
  const ct = c(t / 2);
  const is = (x: number): [number, number] => [0, x];
  const braket2: [string, [number, number][][]][] = [
    [
      'cv',
      [
        [o, z, z, z],
        [z, o, z, z],
        [z, z, [0.5, 0.5], [0.5, -0.5]],
        [z, z, [0.5, -0.5], [0.5, 0.5]],
      ],
    ],
    [
      'iswap',
      [
        [o, z, z, z],
        [z, z, is(1), z],
        [z, is(1), z, z],
        [z, z, z, o],
      ],
    ],
    [
      `pswap(${t})`,
      [
        [o, z, z, z],
        [z, z, e(t), z],
        [z, e(t), z, z],
        [z, z, z, o],
      ],
    ],
    [
      `xy(${t})`,
      [
        [o, z, z, z],
        [z, [ct, 0], is(s(t / 2)), z],
        [z, is(s(t / 2)), [ct, 0], z],
        [z, z, z, o],
      ],
    ],
    [
      `xx(${t})`,
      [
        [[ct, 0], z, z, is(-s(t / 2))],
        [z, [ct, 0], is(-s(t / 2)), z],
        [z, is(-s(t / 2)), [ct, 0], z],
        [is(-s(t / 2)), z, z, [ct, 0]],
      ],
    ],
    [
      `yy(${t})`,
      [
        [[ct, 0], z, z, is(s(t / 2))],
        [z, [ct, 0], is(-s(t / 2)), z],
        [z, is(-s(t / 2)), [ct, 0], z],
        [is(s(t / 2)), z, z, [ct, 0]],
      ],
    ],
    [
      `zz(${t})`,
      [
        [e(-t / 2), z, z, z],
        [z, e(t / 2), z, z],
        [z, z, e(t / 2), z],
        [z, z, z, e(-t / 2)],
      ],
    ],
    [
      `cphaseshift(${t})`,
      [
        [o, z, z, z],
        [z, o, z, z],
        [z, z, o, z],
        [z, z, z, e(t)],
      ],
    ],
    [
      `cphaseshift00(${t})`,
      [
        [e(t), z, z, z],
        [z, o, z, z],
        [z, z, o, z],
        [z, z, z, o],
      ],
    ],
    [
      `cphaseshift01(${t})`,
      [
        [o, z, z, z],
        [z, e(t), z, z],
        [z, z, o, z],
        [z, z, z, o],
      ],
    ],
    [
      `cphaseshift10(${t})`,
      [
        [o, z, z, z],
        [z, o, z, z],
        [z, z, e(t), z],
        [z, z, z, o],
      ],
    ],
    [
      'ecr',
      [
        [z, z, [R, 0], [0, R]],
        [z, z, [0, R], [R, 0]],
        [[R, 0], [0, -R], z, z],
        [[0, -R], [R, 0], z, z],
      ],
    ],
    [
      `ms(${t}, ${p}, 0.8)`,
      (() => {
        const cc = c(0.4);
        const ss = s(0.4);
        const m = (ph: number): [number, number] => [ss * s(ph), -ss * c(ph)];
        return [
          [[cc, 0], z, z, m(-(t + p))],
          [z, [cc, 0], m(-(t - p)), z],
          [z, m(t - p), [cc, 0], z],
          [m(t + p), z, z, [cc, 0]],
        ];
      })(),
    ],
  ];
  it.each([...braket, ...braket2])('%s has Braket’s matrix', (gate, rows) => {
    const n = rows.length === 2 ? 1 : 2;
    const circuit = parseQasm(`OPENQASM 3; qubit[${n}] q; ${gate} ${n === 1 ? 'q[0]' : 'q[1], q[0]'};`);
    expect(unitaryDistance(unitaryOf(circuit), fromRows(rows))).toBeLessThan(1e-12);
  });

  it('ms with two parameters has θ = π/2; ccnot and cswap are Toffoli and Fredkin', () => {
    const a = parseQasm('OPENQASM 3; qubit[2] q; ms(0.3, 0.4) q[0], q[1];');
    const b = parseQasm('OPENQASM 3; qubit[2] q; ms(0.3, 0.4, pi / 2) q[0], q[1];');
    expect(unitaryDistance(unitaryOf(a), unitaryOf(b))).toBeLessThan(1e-15);
    const t1 = parseQasm('OPENQASM 3; qubit[3] q; ccnot q[0], q[1], q[2]; cswap q[2], q[0], q[1];');
    const t2 = q3('qubit[3] q; ccx q[0], q[1], q[2]; cswap q[2], q[0], q[1];');
    expect(unitaryDistance(unitaryOf(t1), unitaryOf(t2))).toBeLessThan(1e-15);
  });
});

describe('OpenQASM 2 without its header', () => {
  it('a program starting with include "qelib1.inc" is OpenQASM 2 (as QASMBench sat_n11.qasm)', () => {
    const src =
      '// sat\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nrz(0.5) q[0];\nu2(0, pi) q[1];\nmeasure q -> c;\n';
    const a = parseQasm(src);
    const b = parseQasm(`OPENQASM 2.0;\n${src}`);
    expect(a).toEqual(b);
    expect(parseQasm(src, 'QASM2')).toEqual(b);
    // Read as OpenQASM 3 it would fail: qelib1.inc is not an OpenQASM 3 include.
    expect(() => parseQasm(src, 'QASM3')).toThrow('cannot include "qelib1.inc"');
  });
});

describe('OpenQASM 3 refusals', () => {
  it.each([
    ['input float theta;', "OpenQASM 3 feature 'input' is not supported", 3, 1],
    ['extern f(int) -> int;', "OpenQASM 3 feature 'extern' is not supported", 3, 1],
    ['cal { }', "OpenQASM 3 feature 'cal' is not supported", 3, 1],
    ['defcal x $0 { }', "OpenQASM 3 feature 'defcal' is not supported", 3, 1],
    ['defcalgrammar "openpulse";', "OpenQASM 3 feature 'defcalgrammar' is not supported", 3, 1],
    ['opaque g q;', "OpenQASM 3 feature 'opaque' is not supported", 3, 1],
    ['def f(readonly array[int, #dim = 2] a) { }', "OpenQASM 3 feature '#dim' is not supported", 3, 27],
    [
      'qubit[2] q;\nbit b = measure q[0];\nint n = b;\nfor int k in [0:n] { x q[k]; }',
      'a qubit index must be known at compile time (it depends on measurement results)',
      6,
      26,
    ],
    [
      'qubit[2] q;\nbit b = measure q[0];\nint i = b;\nx q[i];',
      'a qubit index must be known at compile time (it depends on measurement results)',
      6,
      5,
    ],
    ['qubit q;\nbit b = measure q;\nint i = b;\npow(i) @ x q;', 'pow(k) needs a k known at compile time', 6, 5],
    ['def f() { return; }\nbreak;', "'break' outside a loop", 4, 1],
    ['qubit q;\nx $0;', 'a program cannot declare qubits and also use physical qubits', 4, 3],
    ['qubit q;\nwhile (measure q) { }', 'a while condition cannot measure', 4, 8],
    ['const int n = 2.5;', "constant 'n' is declared int but its value 2.5 is not an integer", 3, 15],
    ['const uint[4] n = 16;', "constant 'n': value 16 does not fit in uint[4]", 3, 19],
    ['gate g q { reset q; }', "'reset' is not allowed inside a gate definition", 3, 12],
    ['qubit q;\nfoo q;', "unknown gate 'foo'", 4, 1],
  ])('%j', (body, message, line, column) => {
    const e = refusal(H3 + body);
    expect({ message: e.reason, line: e.line, column: e.column }).toEqual({ message, line, column });
  });

  it('maxOperations bounds loops, recursion and inlining', () => {
    const big = (src: string) => {
      try {
        parseQasm(H3 + src, 'QASM3', { maxOperations: 1000 });
      } catch (e) {
        expect(e).toBeInstanceOf(CircuitError);
        return (e as CircuitError).code;
      }
      return undefined;
    };
    expect(big('qubit q; for int i in [0:100000] { x q; }')).toBe('TOO_MANY_OPERATIONS');
    expect(big('qubit q; int i = 0; while (i < 1000000) { i += 1; }')).toBe('TOO_MANY_OPERATIONS');
    expect(big('qubit q; def f(int n) { x q; if (n > 0) { f(n - 1); f(n - 1); } } f(20);')).toBe('TOO_MANY_OPERATIONS');
    // Gates that double at each level are refused before they are expanded.
    const defs = ['qubit q;', 'gate g0 a { U(0.1, 0, 0) a; }'];
    for (let i = 1; i <= 60; i++) defs.push(`gate g${i} a { g${i - 1} a; pow(2) @ g${i - 1} a; }`);
    const t0 = performance.now();
    expect(big(`${defs.join('\n')}\ng60 q;`)).toBe('TOO_MANY_OPERATIONS');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('mutated programs (tokens deleted, inserted, swapped) throw nothing but CircuitError', () => {
    const programs = [
      `${H3}const int n = 3; qubit[n] q; bit[n] c; int k = 0; angle[4] a = pi / 2;
def f(qubit x, int m) -> bit { for int i in [0:m] { rx(a) x; } return measure x; }
gate g(t) u, v { ctrl @ rz(t / 2) u, v; pow(0.5) @ x v; }
c[0] = f(q[0], 2); if (c[0]) { k += 1; g(k * 0.1) q[1], q[2]; } else { h q; }
while (k < 2 && !c[1]) { c[1] = measure q[1]; k += 1; if (k == 1) continue; break; }
switch (k) { case 0 { x q[0]; } case 1, 2 { y q[1]; } default { end; } }
array[float, 2] arr = {0.5, 1.5}; for float v in arr { rz(v) q[2]; } c = measure q;`,
      'OPENQASM 3; bit[2] bits; qubit[2] qubits; h qubits[0]; cnot qubits[0], qubits[1]; xx(0.2) qubits[0], qubits[1]; bits = measure qubits;',
    ];
    const tokens = (s: string) => s.match(/[A-Za-z_][A-Za-z_0-9]*|\d+(\.\d+)?|"[^"]*"|\S/g) ?? [];
    const extra = [
      '(',
      ')',
      '{',
      '}',
      '[',
      ']',
      ';',
      ',',
      '=',
      '+=',
      '@',
      'if',
      'while',
      'def',
      'measure',
      'q',
      'k',
      '0',
      '-',
      '++',
      'return',
      'break',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...programs),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('del', 'ins', 'swap')), { minLength: 1, maxLength: 4 }),
        (program, edits) => {
          const toks = tokens(program);
          for (const [i, j, kind] of edits) {
            const at = i % (toks.length + 1);
            if (kind === 'del') toks.splice(at, 1);
            else if (kind === 'ins') toks.splice(at, 0, extra[j % extra.length]);
            else if (toks.length > 1) {
              const b = j % toks.length;
              [toks[at % toks.length], toks[b]] = [toks[b], toks[at % toks.length]];
            }
          }
          try {
            parseQasm(toks.join(' '), undefined, { maxOperations: 20000 });
          } catch (e) {
            if (!(e instanceof CircuitError)) throw e;
            expect(e.line).toBeGreaterThanOrEqual(1);
            expect(e.column).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 600, seed: 42 },
    );
  });
});
