import type { Circuit, Matrix2 } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { runStatevector, simulate } from '../simulator/simulate';
import { programTask } from '../simulator/program-task';
import { Rng } from '../simulator/random';
import { ghz, randomCircuit } from '../simulator/testing/circuits';
import type { QuasiDistResult, SimulationResult, ValueAndVarianceResult } from '../simulator/types';
import {
  DEFAULT_NOISE_MODEL,
  foldGates,
  NOISE_PRESETS,
  noiseModelProblem,
  noisyCircuit,
  noisyProbabilities,
  richardson,
  simulateNoisy,
  validateNoiseModel,
  type MitigationMethod,
  type NoiseModel,
  type NoisySimulationRequest,
} from './index';
import { NOISELESS_MODEL } from './model';

const NOISELESS: NoiseModel = NOISELESS_MODEL;
const model = (m: Partial<Omit<NoiseModel, 'readoutError'>> & { p01?: number; p10?: number }): NoiseModel => ({
  ...NOISELESS,
  ...m,
  readoutError: { p01: m.p01 ?? 0, p10: m.p10 ?? 0 },
});

/** One gate on qubit 0 of a 1-qubit circuit, then (optionally) a measurement. */
function oneGate(matrix: Matrix2, measure = true): Circuit {
  return {
    numQubits: 1,
    numClbits: measure ? 1 : 0,
    qregs: [{ name: 'q', size: 1, offset: 0 }],
    cregs: measure ? [{ name: 'c', size: 1, offset: 0 }] : [],
    ops: [
      { kind: 'gate', name: 'u', target: 0, matrix, controls: [] },
      ...(measure ? [{ kind: 'measure' as const, qubit: 0, clbit: 0 }] : []),
    ],
  };
}

const probs = (c: Circuit, noise: NoiseModel, densityMaxQubits = 12, seed = 1, trajectories = 200) =>
  noisyProbabilities(noisyCircuit(c), noise, new Rng(seed), { densityMaxQubits, trajectories }).p;

const value = (r: SimulationResult[]) => (r[0] as ValueAndVarianceResult).data.value;

describe('noise model validation', () => {
  it('accepts the default model and names the first bad field', () => {
    expect(noiseModelProblem(DEFAULT_NOISE_MODEL)).toBeNull();
    for (const preset of Object.values(NOISE_PRESETS)) expect(noiseModelProblem(preset)).toBeNull();
    expect(noiseModelProblem({ ...DEFAULT_NOISE_MODEL, twoQubitDepolarizing: 1.5 })?.field).toBe(
      'noiseModel.twoQubitDepolarizing',
    );
    expect(noiseModelProblem({ ...DEFAULT_NOISE_MODEL, readoutError: { p01: 0.6, p10: 0 } })?.field).toBe(
      'noiseModel.readoutError.p01',
    );
    expect(noiseModelProblem({ ...DEFAULT_NOISE_MODEL, readoutError: { p01: 0.1 } })?.field).toBe(
      'noiseModel.readoutError.p10',
    );
    expect(noiseModelProblem({ ...DEFAULT_NOISE_MODEL, t1: 3 })?.field).toBe('noiseModel.t1');
    const { phaseDamping: _dropped, ...missing } = DEFAULT_NOISE_MODEL;
    expect(noiseModelProblem(missing)?.field).toBe('noiseModel.phaseDamping');
    expect(noiseModelProblem('x')?.field).toBe('noiseModel');
    expect(() => validateNoiseModel({ ...DEFAULT_NOISE_MODEL, amplitudeDamping: -0.1 })).toThrow(
      'noiseModel.amplitudeDamping must be a number from 0 to 1',
    );
  });
});

describe('density matrix', () => {
  it('without noise, gives the statevector probabilities of random circuits', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const n = 1 + (seed % 5);
      const c = randomCircuit(n, 25, seed);
      const sv = runStatevector(c).data;
      const p = probs(c, NOISELESS);
      for (let i = 0; i < 2 ** n; i++) {
        expect(p[i]).toBeCloseTo(sv[2 * i] ** 2 + sv[2 * i + 1] ** 2, 10);
      }
    }
  });

  it('depolarizing p on |0> leaves <Z> = 1 - p; on a Bell pair <ZZ> = 1 - p (two-qubit rate)', () => {
    const p = probs(oneGate(G.I), model({ oneQubitDepolarizing: 0.3 }));
    expect(p[0] - p[1]).toBeCloseTo(0.7, 12);
    const bell = ghz(2);
    const q = probs(bell, model({ twoQubitDepolarizing: 0.2 }));
    expect(q[0] + q[3] - q[1] - q[2]).toBeCloseTo(0.8, 12);
    // The Hadamard's channel (rate 0) did nothing; the CX's took 20 % of the correlation.
    expect(q[0]).toBeCloseTo(0.4 + 0.05, 12);
  });

  it('amplitude damping gamma after X leaves P(1) = 1 - gamma; phase damping lambda on |+> leaves <X> = sqrt(1 - lambda)', () => {
    const p = probs(oneGate(G.X), model({ amplitudeDamping: 0.25 }));
    expect(p[1]).toBeCloseTo(0.75, 12);
    // H, phase damping, H again: <X> before the second H is <Z> after it.
    const c = oneGate(G.H, false);
    c.ops.push({ kind: 'gate', name: 'h', target: 0, matrix: G.H, controls: [] });
    const q = probs(c, model({ phaseDamping: 0.36 }));
    // Both H gates damp; the first's damping acts on |+>, the second's on a state diagonal... in Z
    // only after the basis change, so <Z> at the end = sqrt(1 - 0.36) = 0.8.
    expect(q[0] - q[1]).toBeCloseTo(0.8, 12);
  });

  it('trajectories converge to the density matrix, and a seed gives the same answer', () => {
    const c = randomCircuit(4, 20, 5, { maxControls: 1 });
    const noise = model({
      oneQubitDepolarizing: 0.05,
      twoQubitDepolarizing: 0.1,
      amplitudeDamping: 0.05,
      phaseDamping: 0.05,
    });
    const exact = probs(c, noise);
    const traj = probs(c, noise, 0, 3, 4000);
    let tvd = 0;
    for (let i = 0; i < exact.length; i++) tvd += Math.abs(exact[i] - traj[i]) / 2;
    expect(tvd).toBeLessThan(0.05);
    expect([...probs(c, noise, 0, 9, 50)]).toEqual([...probs(c, noise, 0, 9, 50)]);
  });

  it('gate folding keeps the unitary', () => {
    const c = randomCircuit(3, 15, 2);
    const folded = foldGates(noisyCircuit(c), 5);
    const a = noisyProbabilities(noisyCircuit(c), NOISELESS, new Rng(1)).p;
    const b = noisyProbabilities(folded, NOISELESS, new Rng(1)).p;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 10);
    expect(folded.gates.length).toBe(5 * noisyCircuit(c).gates.length);
  });

  it('refuses mid-circuit measurement and reset', () => {
    const c = ghz(2);
    c.ops.push({ kind: 'gate', name: 'x', target: 0, matrix: G.X, controls: [] });
    expect(() => noisyCircuit(c)).toThrow('measurements all come at the end');
    expect(() => noisyCircuit({ ...ghz(1), ops: [{ kind: 'reset', qubit: 0 }] })).toThrow('a reset');
  });

  it('extrapolates a polynomial of degree 2 exactly (Richardson, scales 1, 3, 5)', () => {
    const f = (s: number) => 0.9 - 0.05 * s + 0.002 * s * s;
    expect(richardson([1, 3, 5], [f(1), f(3), f(5)])).toBeCloseTo(0.9, 12);
  });
});

describe('noisy runs', () => {
  const req = (c: Circuit, extra: Partial<NoisySimulationRequest> = {}): NoisySimulationRequest => ({
    circuit: c,
    shots: 4000,
    seed: 11,
    type: 'SAMPLER',
    maxQubits: 20,
    noise: DEFAULT_NOISE_MODEL,
    ...extra,
  });

  it('a noiseless model gives the ideal simulator distribution; a seed gives the same counts', () => {
    const c = ghz(3);
    const noisy = simulateNoisy(req(c, { type: 'RUNNER', noise: NOISELESS }));
    expect(Object.keys(noisy[0].data).sort()).toEqual(['0x0', '0x7']);
    expect(noisy[0].resultType).toBe('COUNTS');
    const a = simulateNoisy(req(c, { type: 'RUNNER' }));
    const b = simulateNoisy(req(c, { type: 'RUNNER' }));
    expect(a[0].data).toEqual(b[0].data);
    expect(Object.keys(a[0].data).length).toBeGreaterThan(2);
    // The ideal simulator's ESTIMATOR and a noiseless one agree exactly.
    const obs = [{ pauli: 'ZZZ' }, { pauli: 'XXX' }, { pauli: 'YYX' }];
    const ideal = simulate({ circuit: c, shots: 10, type: 'ESTIMATOR', observables: obs, maxQubits: 5 });
    const clean = simulateNoisy(req(c, { type: 'ESTIMATOR', observables: obs, noise: NOISELESS }));
    for (let i = 0; i < 3; i++) {
      expect((clean[i] as ValueAndVarianceResult).data.value).toBeCloseTo(
        (ideal[i] as ValueAndVarianceResult).data.value,
        10,
      );
    }
  });

  it('answers empty results for a circuit without measurement, as the ideal simulator does', () => {
    for (const type of ['RUNNER', 'SAMPLER'] as const) {
      const shape = (rs: SimulationResult[]) =>
        rs.map((x) => [x.resultType, x.data, (x.meta as { mode: string }).mode]);
      expect(shape(simulateNoisy(req(ghz(2, false), { type })))).toEqual(
        shape(simulate({ circuit: ghz(2, false), shots: 10, type, maxQubits: 5 })),
      );
    }
  });

  it('reports progress over all its circuits, non-decreasing, ending at 1', () => {
    const seen: number[] = [];
    simulateNoisy(
      req(ghz(4), { type: 'ESTIMATOR', observables: [{ pauli: 'ZZZZ' }, { pauli: 'XXXX' }], errorMitigation: 'zne' }),
      { onProgress: (f) => seen.push(f) },
    );
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((f, i) => i === 0 || f >= seen[i - 1])).toBe(true);
    expect(seen.filter((f) => f > 0.4 && f < 0.6).length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('runs from program text through programTask with `noise`, and refuses mitigation without it', () => {
    const source =
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n';
    const base = {
      program: { language: 'QASM2', source },
      shots: 1000,
      seed: 3,
      type: 'SAMPLER' as const,
      maxQubits: 5,
    };
    const run = programTask({ ...base, noise: DEFAULT_NOISE_MODEL, errorMitigation: 'readout_mitigation' });
    const meta = (run.results[0] as QuasiDistResult).meta as unknown as {
      errorMitigation: { method: string; raw: object };
    };
    expect(meta.errorMitigation.method).toBe('readout_mitigation');
    expect(Object.keys(meta.errorMitigation.raw).length).toBeGreaterThan(2);
    expect(() => programTask({ ...base, errorMitigation: 'zne' })).toThrow('needs a noisy device');
    expect(() => programTask({ ...base, type: 'RUNNER', noise: DEFAULT_NOISE_MODEL, errorMitigation: 'zne' })).toThrow(
      'use SAMPLER or ESTIMATOR',
    );
  });

  // The proofs: each method brings the estimate closer to the exact value than the raw run.
  const zs = (n: number) => 'Z'.repeat(n);
  const mitigated = (c: Circuit, pauli: string, method: MitigationMethod, noise = DEFAULT_NOISE_MODEL) => {
    const r = simulateNoisy(
      req(c, { type: 'ESTIMATOR', observables: [{ pauli }], noise, errorMitigation: method, shots: 20000 }),
    );
    const raw = (r[0].meta as unknown as { errorMitigation: { raw: { value: number } } }).errorMitigation.raw.value;
    return { value: value(r), raw };
  };

  it.each(['readout_mitigation', 'twirled_readout_error_extinction', 'zne', 'pec'] as const)(
    '%s brings <Z..Z> of GHZ-4 and <ZIZZ> of a random circuit closer to the exact value',
    (method) => {
      const plainRaw = (c: Circuit, pauli: string) =>
        value(simulateNoisy(req(c, { type: 'ESTIMATOR', observables: [{ pauli }] })));
      const g = ghz(4, true);
      const m = mitigated(g, zs(4), method);
      // Readout methods remove most of the error; ZNE only the gates' part (readout error is not scaled by folding).
      const factor = method === 'zne' ? 1 : 2;
      expect(Math.abs(m.value - 1)).toBeLessThan(Math.abs(plainRaw(g, zs(4)) - 1) / factor);
      const r = randomCircuit(4, 16, 8, { maxControls: 1 });
      const exact = value(
        simulate({ circuit: r, shots: 1, type: 'ESTIMATOR', observables: [{ pauli: 'ZIZZ' }], maxQubits: 5 }),
      );
      const rm = mitigated(r, 'ZIZZ', method);
      expect(Math.abs(rm.value - exact)).toBeLessThan(Math.abs(plainRaw(r, 'ZIZZ') - exact));
    },
  );

  it('PEC, with the model known exactly, leaves only the non-unital part of the damping', () => {
    const m = mitigated(ghz(6), zs(6), 'pec');
    expect(Math.abs(m.raw - 1)).toBeGreaterThan(0.3);
    expect(Math.abs(m.value - 1)).toBeLessThan(0.01);
    // Without amplitude damping, the twirled noise is the noise: PEC is exact.
    const pauliOnly = { ...DEFAULT_NOISE_MODEL, amplitudeDamping: 0 };
    expect(mitigated(randomCircuit(4, 16, 8, { maxControls: 1 }), 'ZIZZ', 'pec', pauliOnly).value).toBeCloseTo(
      value(
        simulate({
          circuit: randomCircuit(4, 16, 8, { maxControls: 1 }),
          shots: 1,
          type: 'ESTIMATOR',
          observables: [{ pauli: 'ZIZZ' }],
          maxQubits: 5,
        }),
      ),
      10,
    );
    const r = simulateNoisy(
      req(ghz(6), { type: 'ESTIMATOR', observables: [{ pauli: zs(6) }], errorMitigation: 'pec' }),
    );
    const meta = (r[0].meta as unknown as { errorMitigation: { gamma: number; samplingOverhead: number } })
      .errorMitigation;
    expect(meta.gamma).toBeGreaterThan(1);
    expect(meta.samplingOverhead).toBeCloseTo(meta.gamma ** 2, 10);
    expect(() => simulateNoisy(req(ghz(3), { errorMitigation: 'pec' }))).toThrow('use ESTIMATOR, not SAMPLER');
  });

  it('ZNE at least halves the error of <ZZZZZZ> on GHZ-6 at a two-qubit error rate of 1 %', () => {
    const noise = { ...DEFAULT_NOISE_MODEL, readoutError: { p01: 0, p10: 0 } };
    const m = mitigated(ghz(6), zs(6), 'zne', noise);
    expect(Math.abs(m.raw - 1)).toBeGreaterThan(0.03);
    expect(Math.abs(m.value - 1)).toBeLessThan(Math.abs(m.raw - 1) / 2);
  });

  it.each(['readout_mitigation', 'twirled_readout_error_extinction', 'zne'] as const)(
    '%s brings the quasi-distribution of GHZ-3 closer to the exact one (total variation distance)',
    (method) => {
      const r = simulateNoisy(req(ghz(3), { errorMitigation: method, shots: 20000 }))[0] as QuasiDistResult;
      const raw = (r.meta as unknown as { errorMitigation: { raw: Record<string, number> } }).errorMitigation.raw;
      const exact: Record<string, number> = { '0x0': 0.5, '0x7': 0.5 };
      const tvd = (d: Record<string, number>) =>
        [...new Set([...Object.keys(d), ...Object.keys(exact)])].reduce(
          (s, k) => s + Math.abs((d[k] ?? 0) - (exact[k] ?? 0)) / 2,
          0,
        );
      expect(tvd(r.data)).toBeLessThan(tvd(raw));
    },
  );
});
