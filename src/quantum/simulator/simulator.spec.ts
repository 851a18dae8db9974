import type { Circuit } from '../circuit/circuit';
import * as G from '../circuit/gates';
import {
  runStatevector,
  simulate,
  SimulationAbortedError,
  SimulationInputError,
  SimulationLimitError,
  type CountsResult,
  type QuasiDistResult,
  type SimulationRequest,
  type SimulationResult,
  type ValueAndVarianceResult,
} from './index';
import { formatOutcomes, hexOfBits } from './simulate';
import { compile } from './program';
import { applyInstr } from './interpreter';
import { Rng } from './random';
import { CircuitBuilder, ghz, qft, randomCircuit } from './testing/circuits';
import { runWithQuantumCircuit } from './testing/quantum-circuit-oracle';
import { referenceState } from './testing/reference';

const req = (circuit: Circuit, extra: Partial<SimulationRequest> = {}): SimulationRequest => ({
  circuit,
  shots: 1000,
  seed: 1234,
  type: 'RUNNER',
  maxQubits: 26,
  ...extra,
});

const counts = (circuit: Circuit, extra: Partial<SimulationRequest> = {}) =>
  (simulate(req(circuit, extra))[0] as CountsResult).data;

/** |observed - expected| within 5 standard deviations of a binomial count. */
function expectBinomial(observed: number, shots: number, p: number) {
  const sd = Math.sqrt(shots * p * (1 - p));
  expect(Math.abs(observed - shots * p)).toBeLessThanOrEqual(5 * sd + 1e-9);
}

function expectStatesClose(actual: Float64Array, expected: ArrayLike<number>, tol = 1e-10) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tol);
}

describe('statevector engine: amplitudes', () => {
  it('agrees amplitude by amplitude with a dense-matrix reference on seeded random circuits (1-8 qubits, all kernels)', () => {
    for (let n = 1; n <= 8; n++) {
      for (let seed = 1; seed <= 6; seed++) {
        const circuit = randomCircuit(n, 12 + 4 * n, 1000 * n + seed);
        const expected = referenceState(circuit).flat();
        expectStatesClose(runStatevector(circuit).data, expected);
      }
    }
  });

  it('agrees amplitude by amplitude with the quantum-circuit package on seeded random circuits (1-8 qubits)', () => {
    for (let n = 1; n <= 8; n++) {
      for (let seed = 1; seed <= 4; seed++) {
        const circuit = randomCircuit(n, 10 + 5 * n, 7000 * n + seed, { quantumCircuitCompatible: true });
        expectStatesClose(runStatevector(circuit).data, runWithQuantumCircuit(circuit));
      }
    }
  });

  it('covers every kernel in the random circuits it checks', () => {
    const kinds = new Set<string>();
    for (let n = 1; n <= 8; n++) {
      for (let seed = 1; seed <= 6; seed++) {
        for (const op of randomCircuit(n, 12 + 4 * n, 1000 * n + seed).ops) {
          if (op.kind === 'gate') {
            kinds.add(`gate/${op.controls.length}`);
            if (op.controlStates?.includes(0)) kinds.add('negctrl');
          } else if (op.kind === 'swap') kinds.add(`swap/${op.controls.length}`);
          else kinds.add(op.kind);
        }
      }
    }
    for (const k of [
      'gate/0',
      'gate/1',
      'gate/2',
      'gate/3',
      'negctrl',
      'swap/0',
      'swap/1',
      'swap/2',
      'gphase',
      'barrier',
    ]) {
      expect(kinds).toContain(k);
    }
  });

  it('tracks qubits in a definite basis state exactly (classical gates with negated controls, then superposition)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const n = 6;
      const rng = new Rng(seed);
      const int = (k: number) => Math.floor(rng.next() * k);
      const b = new CircuitBuilder(n);
      const pick = (k: number) => {
        const pool = [0, 1, 2, 3, 4, 5];
        return Array.from({ length: k }, () => pool.splice(int(pool.length), 1)[0]);
      };
      for (let i = 0; i < 30; i++) {
        const r = rng.next();
        const states = (k: number) => Array.from({ length: k }, () => (rng.next() < 0.4 ? 0 : 1) as 0 | 1);
        if (r < 0.2) b.x(int(n));
        else if (r < 0.5) {
          const [t, ...c] = pick(1 + int(3));
          b.gate('mcx', G.X, t, c, states(c.length));
        } else if (r < 0.65) {
          const [x, y, ...c] = pick(2 + int(2));
          b.swap(x, y, c, states(c.length));
        } else if (r < 0.8) {
          const [t, ...c] = pick(1 + int(2));
          b.gate('mcp', G.phase(rng.next() * 6), t, c, states(c.length));
        } else if (r < 0.9) {
          const [t, ...c] = pick(1 + int(2));
          b.gate('mcy', G.Y, t, c, states(c.length));
        } else {
          b.h(int(n)); // occasionally a qubit leaves the basis
        }
      }
      const circuit = b.build();
      expectStatesClose(runStatevector(circuit).data, referenceState(circuit).flat(), 1e-12);
    }
  });

  it('fuses runs of single-qubit gates without changing the state (H H = I, S S = Z, T^8 = I)', () => {
    const b = new CircuitBuilder(2);
    b.h(0).h(1).h(1).s(0).s(0).t(1);
    for (let i = 0; i < 8; i++) b.t(0);
    const circuit = b.build();
    expectStatesClose(runStatevector(circuit).data, referenceState(circuit).flat(), 1e-12);
  });

  it('QFT amplitudes match 2^{-n/2} e^{2 pi i x y / 2^n}', () => {
    for (const [n, x] of [
      [3, 5],
      [5, 11],
      [10, 777],
    ]) {
      const circuit = qft(n, (b) => {
        for (let q = 0; q < n; q++) if ((x >> q) & 1) b.x(q);
      });
      const d = runStatevector(circuit).data;
      const N = 2 ** n;
      for (let y = 0; y < N; y++) {
        const phi = (2 * Math.PI * x * y) / N;
        expect(d[2 * y]).toBeCloseTo(Math.cos(phi) / Math.sqrt(N), 12);
        expect(d[2 * y + 1]).toBeCloseTo(Math.sin(phi) / Math.sqrt(N), 12);
      }
    }
  });

  it('keeps the global phase in the state vector', () => {
    const circuit = new CircuitBuilder(1)
      .gphase(Math.PI / 2)
      .rz(Math.PI, 0)
      .build();
    // rz(pi) = diag(-i, i); times i: diag(1, -1) on |0> gives |0>.
    const d = runStatevector(circuit).data;
    expect(d[0]).toBeCloseTo(1, 14);
    expect(d[1]).toBeCloseTo(0, 14);
  });
});

describe('sampling', () => {
  it('Bell state: halves within 5 sigma, nothing else', () => {
    const bell = new CircuitBuilder(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1).build();
    const shots = 10_000;
    const c = counts(bell, { shots, seed: 42 });
    expect(Object.keys(c).sort()).toEqual(['0x0', '0x3']);
    expect(c['0x0'] + c['0x3']).toBe(shots);
    expectBinomial(c['0x0'], shots, 0.5);
  });

  it('GHZ on 12 qubits: all zeros or all ones', () => {
    const shots = 4000;
    const c = counts(ghz(12), { shots, seed: 7 });
    expect(Object.keys(c).sort()).toEqual(['0x0', '0xfff']);
    expectBinomial(c['0xfff'], shots, 0.5);
  });

  it('deterministic circuits give exact counts: X gates', () => {
    const b = new CircuitBuilder(5, 5).x(0).x(2).x(4).x(4);
    for (let q = 0; q < 5; q++) b.measure(q, q);
    expect(counts(b.build(), { shots: 333 })).toEqual({ '0x5': 333 });
  });

  it('deterministic circuits give exact counts: a 3-bit ripple-carry adder from ccx and cx', () => {
    // Cuccaro-style without the uncompute: a (q0..q2), b (q3..q5), carries (q6..q8), sum into b, carry-out q9.
    for (const [a, bb] of [
      [0, 0],
      [3, 5],
      [7, 7],
      [6, 3],
      [5, 2],
    ]) {
      const b = new CircuitBuilder(0, 0);
      b.qreg('a', 3);
      b.qreg('b', 3);
      b.qreg('carry', 4);
      b.creg('sum', 4);
      for (let i = 0; i < 3; i++) {
        if ((a >> i) & 1) b.x(i);
        if ((bb >> i) & 1) b.x(3 + i);
      }
      for (let i = 0; i < 3; i++) {
        const ai = i,
          bi = 3 + i,
          ci = 6 + i,
          co = 7 + i;
        b.ccx(ai, bi, co); // carry-out |= a & b
        b.cx(ai, bi); // b = a ^ b
        b.ccx(ci, bi, co); // carry-out |= c & (a ^ b)
        b.cx(ci, bi); // b = a ^ b ^ c  (the sum bit)
      }
      for (let i = 0; i < 3; i++) b.measure(3 + i, i);
      b.measure(9, 3);
      expect(counts(b.build(), { shots: 100 })).toEqual({ [`0x${(a + bb).toString(16)}`]: 100 });
    }
  });

  it('deterministic circuits give exact counts: Bernstein-Vazirani finds the secret in one query', () => {
    const secret = 0b101101;
    const n = 6;
    const b = new CircuitBuilder(n + 1, n);
    b.x(n).h(n);
    for (let q = 0; q < n; q++) b.h(q);
    for (let q = 0; q < n; q++) if ((secret >> q) & 1) b.cx(q, n);
    for (let q = 0; q < n; q++) b.h(q);
    for (let q = 0; q < n; q++) b.measure(q, q);
    expect(counts(b.build(), { shots: 500 })).toEqual({ '0x2d': 500 });
  });

  it('same seed, same counts; another seed, other counts', () => {
    const circuit = randomCircuit(5, 40, 99, { measure: true });
    const a = counts(circuit, { seed: 1 });
    expect(counts(circuit, { seed: 1 })).toEqual(a);
    expect(counts(circuit, { seed: 2 })).not.toEqual(a);
    const unseeded = simulate(req(circuit, { seed: undefined }))[0] as CountsResult;
    expect(Number.isInteger(unseeded.meta.seed)).toBe(true);
    expect(counts(circuit, { seed: unseeded.meta.seed })).toEqual(unseeded.data);
  });

  it('sampled counts follow the exact distribution (chi-square, 5 qubits, 20000 shots)', () => {
    const circuit = randomCircuit(5, 40, 5, { measure: true });
    const shots = 20_000;
    const c = counts(circuit, { shots, seed: 3 });
    const d = runStatevector(circuit).data;
    let chi2 = 0;
    for (let i = 0; i < 32; i++) {
      const p = d[2 * i] ** 2 + d[2 * i + 1] ** 2;
      const o = c[`0x${i.toString(16)}`] ?? 0;
      if (p * shots > 5) chi2 += (o - p * shots) ** 2 / (p * shots);
      else expect(o).toBeLessThan(p * shots + 20);
    }
    expect(chi2).toBeLessThan(80); // 31 degrees of freedom: p(chi2 > 80) < 1e-5
  });
});

describe('mid-circuit measurement, reset and conditionals', () => {
  /** Teleports ry(theta)|0> from q0 to q2; c0, c1 hold Alice's bits, c2 the measured q2. */
  function teleport(theta: number): Circuit {
    const b = new CircuitBuilder(0, 0);
    b.qreg('q', 3);
    const c0 = b.creg('c0', 1);
    const c1 = b.creg('c1', 1);
    const c2 = b.creg('c2', 1);
    b.ry(theta, 0);
    b.h(1).cx(1, 2);
    b.cx(0, 1).h(0);
    b.measure(0, c0).measure(1, c1);
    b.if([c1], 1, (x) => x.x(2));
    b.if([c0], 1, (x) => x.z(2));
    b.measure(2, c2);
    return b.build();
  }

  it('teleportation: |1> arrives as 1 in every shot, whatever Alice measured', () => {
    const r = simulate(req(teleport(Math.PI), { shots: 2000, seed: 11 }));
    const c = (r[0] as CountsResult).data;
    expect(r[0].meta).toMatchObject({
      mode: 'per-shot',
      registers: [
        { name: 'c2', size: 1 },
        { name: 'c1', size: 1 },
        { name: 'c0', size: 1 },
      ],
    });
    // key "c2 c1 c0": c2 is always 1; Alice's bits are uniform
    expect(Object.keys(c).sort()).toEqual(['0x1 0x0 0x0', '0x1 0x0 0x1', '0x1 0x1 0x0', '0x1 0x1 0x1']);
    for (const v of Object.values(c)) expectBinomial(v, 2000, 0.25);
  });

  it('teleportation: ry(theta)|0> arrives with P(1) = sin^2(theta/2)', () => {
    const theta = 1.1;
    const shots = 20_000;
    const c = counts(teleport(theta), { shots, seed: 12 });
    const ones = Object.entries(c)
      .filter(([k]) => k.startsWith('0x1 '))
      .reduce((s, [, v]) => s + v, 0);
    expectBinomial(ones, shots, Math.sin(theta / 2) ** 2);
  });

  it('teleportation keeps the q0 state: without the corrections the result would differ', () => {
    // Sanity check of the test itself: drop the conditionals and q2 is no longer |1>.
    const circuit = teleport(Math.PI);
    circuit.ops = circuit.ops.filter((op) => op.kind !== 'if');
    const c = counts(circuit, { shots: 2000, seed: 11 });
    expect(Object.keys(c).some((k) => k.startsWith('0x0 '))).toBe(true);
  });

  it('reset sets a qubit to |0>, also one entangled with another', () => {
    expect(counts(new CircuitBuilder(1, 1).x(0).reset(0).measure(0, 0).build(), { shots: 100 })).toEqual({
      '0x0': 100,
    });
    const shots = 4000;
    const c = counts(new CircuitBuilder(2, 2).h(0).cx(0, 1).reset(0).measure(0, 0).measure(1, 1).build(), {
      shots,
      seed: 5,
    });
    expect(Object.keys(c).sort()).toEqual(['0x0', '0x2']);
    expectBinomial(c['0x2'], shots, 0.5);
  });

  it('reuse of a measured qubit: h, measure, h, measure gives four uniform outcomes', () => {
    const shots = 8000;
    const r = simulate(req(new CircuitBuilder(1, 2).h(0).measure(0, 0).h(0).measure(0, 1).build(), { shots, seed: 8 }));
    expect(r[0].meta).toMatchObject({ mode: 'per-shot' });
    const c = (r[0] as CountsResult).data;
    expect(Object.keys(c).sort()).toEqual(['0x0', '0x1', '0x2', '0x3']);
    for (const v of Object.values(c)) expectBinomial(v, shots, 0.25);
  });

  it('a multi-bit condition (if c == 2) and unmeasured clbits reading 0', () => {
    const b = new CircuitBuilder(3, 4);
    b.x(1).measure(0, 0).measure(1, 1);
    b.if([0, 1], 2, (x) => x.x(2));
    b.if([0, 1], 1, (x) => x.x(0));
    b.measure(2, 2).measure(0, 3);
    // c = [0, 1, 1, 0]: 0b0110; c[3] measured q0 = 0. Nothing writes c3's other meaning.
    expect(counts(b.build(), { shots: 50 })).toEqual({ '0x6': 50 });
  });

  it('replaying branches from the prefix gives the same counts as resuming saved states', () => {
    const circuit = randomCircuit(6, 30, 4);
    const b = new CircuitBuilder(6, 6);
    b.ops.push(...circuit.ops);
    b.measure(0, 0).measure(1, 1);
    b.if([0], 1, (x) => x.h(2).cx(2, 3));
    b.reset(1).h(1).measure(1, 4);
    for (let q = 2; q < 6; q++) b.measure(q, q);
    const dynamic = b.build();
    const bytes = 16 * 2 ** 6;
    const withSnapshots = counts(dynamic, { shots: 3000, seed: 21 });
    const replayed = counts(dynamic, { shots: 3000, seed: 21, maxMemoryBytes: 2 * bytes });
    expect(Object.keys(withSnapshots).length).toBeGreaterThan(8);
    expect(replayed).toEqual(withSnapshots);
  });

  it('per-shot mode samples the same distribution as sampling once (terminal measurements)', () => {
    const base = randomCircuit(4, 30, 17, { measure: true });
    const shots = 20_000;
    const once = counts(base, { shots, seed: 1 });
    // An extra qubit that is reset at the end forces per-shot mode without changing the outcome.
    const b = new CircuitBuilder(5, 4);
    b.ops.push(...base.ops);
    b.reset(4);
    const r = simulate(req(b.build(), { shots, seed: 2 }));
    expect(r[0].meta).toMatchObject({ mode: 'per-shot' });
    const perShot = (r[0] as CountsResult).data;
    const d = runStatevector(base).data;
    for (let i = 0; i < 16; i++) {
      const p = d[2 * i] ** 2 + d[2 * i + 1] ** 2;
      const key = `0x${i.toString(16)}`;
      expectBinomial(once[key] ?? 0, shots, p);
      expectBinomial(perShot[key] ?? 0, shots, p);
    }
  });
});

describe('result formats', () => {
  function twoRegisters() {
    const b = new CircuitBuilder(6, 0);
    const a = b.creg('a', 2); // declared first: rightmost in the key
    const c = b.creg('b', 4);
    b.x(0).x(3).x(4).x(5);
    b.measure(0, a).measure(1, a + 1);
    b.measure(3, c + 1)
      .measure(4, c + 2)
      .measure(5, c + 3); // b[0] never written: reads 0
    return b.build();
  }

  it('RUNNER: COUNTS and PROBABILITIES, hex per register, last-declared register first', () => {
    const results = simulate(req(twoRegisters(), { shots: 64, seed: 5 }));
    expect(results.map((r) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    expect(results[0].data).toEqual({ '0xe 0x1': 64 });
    expect(results[1].data).toEqual({ '0xe 0x1': 1 });
    expect(results[0].meta).toEqual({
      format: 'hex',
      shots: 64,
      registers: [
        { name: 'b', size: 4 },
        { name: 'a', size: 2 },
      ],
      seed: 5,
      timeTakenMs: expect.any(Number),
      mode: 'sampled-once',
    });
    // the documented generic shape
    const generic: { resultType: string; data: Record<string, unknown>; meta: Record<string, unknown> } = results[0];
    expect(generic.resultType).toBe('COUNTS');
  });

  it('PROBABILITIES are counts / shots', () => {
    const bell = new CircuitBuilder(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1).build();
    const [c, p] = simulate(req(bell, { shots: 1000, seed: 9 })) as CountsResult[];
    for (const [k, v] of Object.entries(c.data)) expect(p.data[k]).toBe(v / 1000);
  });

  it('SAMPLER: QUASI_DIST keyed by the hex of all clbits (clbit 0 least significant)', () => {
    const [r] = simulate(req(twoRegisters(), { type: 'SAMPLER', shots: 10 })) as QuasiDistResult[];
    expect(r.resultType).toBe('QUASI_DIST');
    expect(r.data).toEqual({ [`0x${((0b1110 << 2) | 0b01).toString(16)}`]: 1 });
    expect(r.meta).toMatchObject({ format: 'hex', shots: 10, numClbits: 6, seed: 1234 });
    const [bell] = simulate(
      req(new CircuitBuilder(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1).build(), { type: 'SAMPLER', shots: 1000 }),
    );
    const values = Object.values(bell.data) as number[];
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('a circuit without measurements gives empty counts', () => {
    const results = simulate(req(new CircuitBuilder(2, 2).h(0).build(), { shots: 10 }));
    expect(results[0]).toMatchObject({ resultType: 'COUNTS', data: {}, meta: { shots: 10, mode: 'no-measurements' } });
    expect(results[1]).toMatchObject({ resultType: 'PROBABILITIES', data: {} });
  });

  it('registers wider than 53 bits', () => {
    const b = new CircuitBuilder(2, 0);
    b.creg('wide', 60);
    b.x(1).measure(1, 59).measure(0, 0);
    expect(counts(b.build(), { shots: 3 })).toEqual({ '0x800000000000000': 3 });
    // more than 30 clbits (string keys inside) and two registers; and the same in 30 clbits (integer keys)
    for (const size of [20, 15]) {
      const c = new CircuitBuilder(3, 0);
      const lo = c.creg('lo', size);
      const hi = c.creg('hi', size);
      c.x(0)
        .x(2)
        .measure(0, lo)
        .measure(2, hi + size - 1)
        .measure(1, lo + 3);
      const top = (2 ** (size - 1)).toString(16);
      expect(counts(c.build(), { shots: 2 })).toEqual({ [`0x${top} 0x1`]: 2 });
      const [q] = simulate(req(c.build(), { shots: 2, type: 'SAMPLER' }));
      expect(q.data).toEqual({ [`0x${(BigInt(2 ** (size - 1)) * 2n ** BigInt(size) + 1n).toString(16)}`]: 1 });
    }
    expect(hexOfBits('0000', 0, 4)).toBe('0x0');
    expect(hexOfBits('10001', 0, 5)).toBe('0x11');
  });

  it('formatOutcomes: shots measured elsewhere come out as the simulator formats them', () => {
    const circuit = twoRegisters();
    const ours = simulate(req(circuit, { shots: 64, seed: 5 }));
    // clbit 0 first: a = (1, 0), b = (0, 1, 1, 1)
    const theirs = formatOutcomes(circuit, 'RUNNER', 64, [['100111', 64]], { backend: 'ibm_test' });
    expect(theirs.map((r) => [r.resultType, r.data])).toEqual(ours.map((r) => [r.resultType, r.data]));
    expect(theirs[0].meta).toEqual({
      format: 'hex',
      shots: 64,
      registers: (ours[0].meta as { registers: unknown }).registers,
      backend: 'ibm_test',
    });
    const [quasi] = formatOutcomes(circuit, 'SAMPLER', 4, [
      ['100111', 3],
      ['000000', 1],
    ]);
    expect(quasi).toMatchObject({ resultType: 'QUASI_DIST', data: { '0x0': 0.25, '0x39': 0.75 } });
    // more than 30 clbits: string keys inside
    const wide = new CircuitBuilder(1, 0);
    wide.creg('w', 40);
    const bits = '1' + '0'.repeat(38) + '1';
    expect(formatOutcomes(wide.build(), 'RUNNER', 2, [[bits, 2]])[0].data).toEqual({ '0x8000000001': 2 });
    expect(() => formatOutcomes(circuit, 'RUNNER', 1, [['10', 1]])).toThrow(/6 clbits/);
  });
});

describe('estimator', () => {
  const estimate = (circuit: Circuit, paulis: (string | [string, number])[]) =>
    simulate(
      req(circuit, {
        type: 'ESTIMATOR',
        observables: paulis.map((p) => (typeof p === 'string' ? { pauli: p } : { pauli: p[0], coefficient: p[1] })),
      }),
    ) as ValueAndVarianceResult[];

  it('Bell state: <ZZ> = <XX> = 1, <YY> = -1, <ZI> = <IZ> = 0', () => {
    const bell = new CircuitBuilder(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1).build();
    const r = estimate(bell, ['ZZ', 'XX', 'YY', 'ZI', 'IZ', 'II', ['zz', 0.5]]);
    const values = r.map((x) => x.data.value);
    [1, 1, -1, 0, 0, 1, 0.5].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 12));
    expect(r[3].data.variance).toBeCloseTo(1, 12);
    expect(r[0].data.variance).toBeCloseTo(0, 12);
    expect(r[6].meta).toMatchObject({ observable: 'ZZ', coefficient: 0.5, exact: true, shots: 1000 });
    expect(r[6].resultType).toBe('VALUE_AND_VARIANCE');
  });

  it('qiskit order: the rightmost character acts on qubit 0', () => {
    const one = new CircuitBuilder(3).x(0).build(); // |001>
    const r = estimate(one, ['IIZ', 'ZII', 'IZI']);
    expect(r.map((x) => x.data.value)).toEqual([-1, 1, 1]);
  });

  it('single-qubit states: <X> on |+>, <Y> on |+i>, and a rotated state', () => {
    expect(estimate(new CircuitBuilder(1).h(0).build(), ['X', 'Z'])[0].data.value).toBeCloseTo(1, 12);
    expect(estimate(new CircuitBuilder(1).h(0).s(0).build(), ['Y'])[0].data.value).toBeCloseTo(1, 12);
    const theta = 0.7;
    const [z, x] = estimate(new CircuitBuilder(1).ry(theta, 0).build(), ['Z', 'X']);
    expect(z.data.value).toBeCloseTo(Math.cos(theta), 12);
    expect(x.data.value).toBeCloseTo(Math.sin(theta), 12);
    expect(z.data.variance).toBeCloseTo(Math.sin(theta) ** 2, 12);
  });

  it('agrees with the dense reference on random circuits for random Pauli strings', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const n = 4;
      const circuit = randomCircuit(n, 25, 300 + seed);
      const psi = referenceState(circuit);
      const paulis = ['XYZI', 'ZZZZ', 'YIXY', 'IXIX'];
      const r = estimate(circuit, paulis);
      paulis.forEach((p, k) => {
        // reference: apply the Pauli matrices one by one to psi and take <psi|P psi>
        const single: Record<string, typeof G.X> = { I: G.I, X: G.X, Y: G.Y, Z: G.Z };
        let phi = psi;
        for (let q = 0; q < n; q++) {
          const m = single[p[n - 1 - q]];
          phi = phi.map((_, i) => {
            const b = (i >> q) & 1;
            const j0 = i & ~(1 << q),
              j1 = i | (1 << q);
            const [ar, ai] = [m[b * 2 * 2], m[b * 2 * 2 + 1]];
            const [br, bi] = [m[(b * 2 + 1) * 2], m[(b * 2 + 1) * 2 + 1]];
            return [
              ar * phi[j0][0] - ai * phi[j0][1] + br * phi[j1][0] - bi * phi[j1][1],
              ar * phi[j0][1] + ai * phi[j0][0] + br * phi[j1][1] + bi * phi[j1][0],
            ];
          });
        }
        const ev = psi.reduce((s, [re, im], i) => s + re * phi[i][0] + im * phi[i][1], 0);
        expect(r[k].data.value).toBeCloseTo(ev, 10);
      });
    }
  });

  it('rejects bad observables and dynamic circuits', () => {
    const c = new CircuitBuilder(2, 2).h(0).build();
    expect(() => estimate(c, ['Z'])).toThrow(SimulationInputError);
    expect(() => estimate(c, ['ZA'])).toThrow(/I, X, Y and Z/);
    expect(() => simulate(req(c, { type: 'ESTIMATOR' }))).toThrow(/at least one observable/);
    const dyn = new CircuitBuilder(2, 2).h(0).measure(0, 0).x(0).build();
    expect(() => estimate(dyn, ['ZZ'])).toThrow(/mid-circuit/);
  });
});

describe('limits, validation and cancellation', () => {
  it('fails with a clear error when the state does not fit the memory limit', () => {
    expect(() => simulate(req(ghz(20), { maxMemoryBytes: 2 ** 20 }))).toThrow(SimulationLimitError);
    expect(() => simulate(req(ghz(20), { maxMemoryBytes: 2 ** 20 }))).toThrow(
      'circuit needs 2^20 amplitudes (16.0 MiB), more than the limit of 1.0 MiB (configured maxMemoryBytes)',
    );
  });

  it('fails with a clear error above the qubit limit, also the hard one', () => {
    expect(() => simulate(req(ghz(12), { maxQubits: 10 }))).toThrow(
      "circuit has 12 qubits, more than the limit of 10 (the device's maximum)",
    );
    const huge: Circuit = { numQubits: 31, numClbits: 0, qregs: [], cregs: [], ops: [] };
    expect(() => simulate(req(huge, { maxQubits: 40 }))).toThrow("more than the limit of 30 (the simulator's maximum)");
    // 2^30 amplitudes are 16 GiB: more than this machine allows, caught before allocating
    const big: Circuit = {
      numQubits: 30,
      numClbits: 1,
      qregs: [],
      cregs: [],
      ops: [{ kind: 'measure', qubit: 0, clbit: 0 }],
    };
    expect(() => simulate(req(big, { maxQubits: 30, maxMemoryBytes: 8 * 2 ** 30 }))).toThrow(
      /circuit needs 2\^30 amplitudes \(16\.0 GiB\), more than the limit of/,
    );
  });

  it('validates the request and the circuit', () => {
    const c = ghz(2);
    expect(() => simulate(req(c, { shots: 0 }))).toThrow(/shots/);
    expect(() => simulate(req(c, { shots: 1.5 }))).toThrow(/shots/);
    expect(() => simulate(req(c, { seed: -1 }))).toThrow(/seed/);
    expect(() => simulate(req(c, { type: 'OTHER' as never }))).toThrow(/type/);
    expect(() => simulate(req(new CircuitBuilder(2, 1).cx(0, 2).measure(0, 0).build()))).toThrow(
      /qubit 2 is out of range/,
    );
    expect(() => simulate(req(new CircuitBuilder(2, 1).gate('cx', G.X, 1, [1]).measure(0, 0).build()))).toThrow(
      /twice/,
    );
    expect(() => simulate(req(new CircuitBuilder(2, 1).measure(0, 3).build()))).toThrow(/clbit 3 is out of range/);
  });

  it('aborts a long simulation at the first check after the signal', () => {
    const circuit = randomCircuit(18, 5000, 1, { measure: true });
    let checks = 0;
    let checksAfterAbort = 0;
    const signal = {
      get aborted() {
        checks++;
        if (checks <= 20) return false;
        checksAfterAbort++;
        return true;
      },
    };
    expect(() => simulate(req(circuit), { signal })).toThrow(SimulationAbortedError);
    expect(checks).toBeGreaterThan(20);
    expect(checksAfterAbort).toBe(1);
  });

  it('reads the abort flag every 2^20 amplitudes inside a gate, whatever its qubits', () => {
    const n = 22;
    // a dense state (every qubit in superposition), so that no amplitude can be skipped
    const hAll = new CircuitBuilder(n);
    for (let q = 0; q < n; q++) hAll.h(q);
    const d = runStatevector(hAll.build()).data;
    // [gate, amplitudes the kernel visits]
    const cases: [string, (b: CircuitBuilder) => void, number][] = [
      ['h q0', (b) => b.h(0), 2 ** n],
      ['h q1', (b) => b.h(1), 2 ** n],
      ['h q21', (b) => b.h(n - 1), 2 ** n],
      ['rz q21', (b) => b.rz(0.3, n - 1), 2 ** (n - 1)],
      ['cx q21 q20', (b) => b.cx(n - 1, n - 2), 2 ** (n - 1)],
      ['ccx q0 q1 q21', (b) => b.ccx(0, 1, n - 1), 2 ** (n - 2)],
      ['swap q20 q21', (b) => b.swap(n - 2, n - 1), 2 ** (n - 1)],
    ];
    for (const [name, build, visited] of cases) {
      const b = new CircuitBuilder(n);
      build(b);
      const [ins] = compile(b.build()).instrs;
      let checks = 0;
      const counting = {
        get aborted() {
          checks++;
          return false;
        },
      };
      applyInstr(d, n, ins, counting);
      expect([name, checks]).toEqual([name, Math.max(1, visited / 2 ** 20)]);
      let seen = 0;
      const aborting = {
        get aborted() {
          return ++seen > 0;
        },
      };
      expect(() => applyInstr(d, n, ins, aborting)).toThrow(SimulationAbortedError);
      expect(seen).toBe(1);
    }
  });

  it('reads the abort flag inside measurements of the per-shot mode', () => {
    const n = 21;
    const b = new CircuitBuilder(n, 1);
    for (let q = 0; q < n; q++) b.h(q);
    b.measure(n - 1, 0).x(n - 1);
    let checks = 0;
    let after = false;
    simulate(req(b.build(), { shots: 1 }), {
      signal: {
        get aborted() {
          if (after) checks++;
          return false;
        },
      },
      onProgress: (f) => {
        after = f > (n - 0.5) / (n + 2); // the prefix (n of n + 2 instructions) is done
      },
    });
    // probabilities and collapse of q20 on 2^21 amplitudes, then the x: several checks each
    expect(checks).toBeGreaterThanOrEqual(6);
  });

  it('reports progress from 0 to 1, never decreasing', () => {
    const seen: number[] = [];
    simulate(req(randomCircuit(8, 100, 3, { measure: true })), { onProgress: (f) => seen.push(f) });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
  });
});

// keeps the union exported and usable
export type { SimulationResult };
