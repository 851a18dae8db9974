import type { Circuit } from '../circuit/circuit';
import { Rng } from '../simulator/random';
import { CircuitBuilder, randomCircuit } from '../simulator/testing/circuits';
import type { QuasiDistResult, SimulationResult, ValueAndVarianceResult } from '../simulator/types';
import {
  DEFAULT_NOISE_MODEL,
  decouplingMinWindow,
  decouplingProblem,
  idleLayers,
  NOISE_PRESETS,
  noiseModelProblem,
  noisyCircuit,
  noisyProbabilities,
  schedule,
  simulateNoisy,
  validateNoiseModel,
  withDynamicalDecoupling,
  type NoiseModel,
  type NoisySimulationRequest,
} from './index';
import { NOISELESS_MODEL } from './model';

const NOISELESS: NoiseModel = NOISELESS_MODEL;
const idleOnly = (detuning: number, amplitudeDamping = 0, phaseDamping = 0): NoiseModel => ({
  ...NOISELESS,
  idle: { detuning, amplitudeDamping, phaseDamping },
});

/** A Bell pair on q0, q1; then q0 does `wait` gates (H H pairs: the identity) while q1 waits. */
function bellThenWait(wait: number, undo = false): Circuit {
  const b = new CircuitBuilder(2, undo ? 2 : 0);
  b.h(0).cx(0, 1);
  for (let i = 0; i < wait; i++) b.h(0);
  if (undo) b.cx(0, 1).h(0).measure(0, 0).measure(1, 1);
  return b.build();
}

const probs = (c: Circuit, noise: NoiseModel, densityMaxQubits = 12, trajectories = 200) =>
  noisyProbabilities(noisyCircuit(c), noise, new Rng(3), { densityMaxQubits, trajectories }).p;

const req = (c: Circuit, extra: Partial<NoisySimulationRequest>): NoisySimulationRequest => ({
  circuit: c,
  shots: 10000,
  seed: 7,
  type: 'ESTIMATOR',
  maxQubits: 20,
  noise: DEFAULT_NOISE_MODEL,
  ...extra,
});
const value = (r: SimulationResult[]) => (r[0] as ValueAndVarianceResult).data.value;

describe('idle noise in the model', () => {
  it('is optional, validated with field names, and kept by validateNoiseModel', () => {
    expect(noiseModelProblem(DEFAULT_NOISE_MODEL)).toBeNull();
    for (const preset of Object.values(NOISE_PRESETS)) {
      expect(noiseModelProblem(preset)).toBeNull();
      expect(preset.idle!.detuning).toBeGreaterThan(0);
    }
    const withIdle = { ...DEFAULT_NOISE_MODEL, idle: { detuning: -0.1, amplitudeDamping: 0.001, phaseDamping: 0 } };
    expect(validateNoiseModel(withIdle)).toEqual(withIdle);
    expect(validateNoiseModel(DEFAULT_NOISE_MODEL)).not.toHaveProperty('idle');
    const problem = (idle: unknown) => noiseModelProblem({ ...DEFAULT_NOISE_MODEL, idle });
    expect(problem({ detuning: 4, amplitudeDamping: 0, phaseDamping: 0 })).toEqual({
      field: 'noiseModel.idle.detuning',
      message: 'noiseModel.idle.detuning must be a number from -pi to pi (radians per layer), not 4',
    });
    expect(problem({ detuning: 0.1, amplitudeDamping: 0 })?.field).toBe('noiseModel.idle.phaseDamping');
    expect(problem({ detuning: 0.1, amplitudeDamping: -1, phaseDamping: 0 })?.field).toBe(
      'noiseModel.idle.amplitudeDamping',
    );
    expect(problem({ detuning: 0.1, amplitudeDamping: 0, phaseDamping: 0, t1: 5 })?.field).toBe('noiseModel.idle.t1');
    expect(problem(0.1)?.field).toBe('noiseModel.idle');
  });

  it('schedules ALAP: a qubit starts as late as it can, a final basis change comes right before the end', () => {
    const b = new CircuitBuilder(3);
    b.h(2).h(0).cx(0, 1).h(0).h(0).h(0).h(1);
    const c = noisyCircuit(b.build());
    // Gates: h2, h0, cx01, h0, h0, h0, h1. q0: h, cx, h, h, h: depth 5.
    expect(schedule(c)).toEqual({ layers: [4, 0, 1, 2, 3, 4, 4], depth: 5 });
    // q1 waits in layers 2 and 3 (after the cx, before its h); q2 is not acted on before layer 4.
    expect(idleLayers(c).map((l) => l.idle)).toEqual([0, 0, 0b010, 0b010, 0]);
  });

  it('turns a waiting qubit by Rz(detuning) per layer: <XX> of a Bell pair = cos(L detuning), by density matrix and trajectories', () => {
    const d = 0.05;
    for (const wait of [0, 6, 20]) {
      const c = bellThenWait(wait);
      // <XX>: measure both in the X basis (H on each, at the end).
      const b = new CircuitBuilder(2);
      for (const op of c.ops) b.ops.push(op);
      b.h(0).h(1);
      const measured = b.build();
      for (const dm of [12, 1]) {
        const p = probs(measured, idleOnly(d), dm, 5);
        const xx = p[0] - p[1] - p[2] + p[3];
        expect(xx).toBeCloseTo(Math.cos(wait * d), 10);
      }
    }
  });

  it('damps a waiting |1>: P(1) = (1 - gamma)^L; trajectories agree with the density matrix', () => {
    const gamma = 0.02;
    const b = new CircuitBuilder(2);
    b.x(0).cx(0, 1);
    for (let i = 0; i < 10; i++) b.x(1);
    const p = probs(b.build(), idleOnly(0, gamma));
    // q0 waits 10 layers in |1>; q1 ends in |1> (cx then 10 X).
    expect(p[0b11]).toBeCloseTo((1 - gamma) ** 10, 10);
    expect(p[0b10]).toBeCloseTo(1 - (1 - gamma) ** 10, 10);

    const model: NoiseModel = {
      ...DEFAULT_NOISE_MODEL,
      idle: { detuning: 0.1, amplitudeDamping: 0.01, phaseDamping: 0.01 },
    };
    const r = randomCircuit(5, 40, 9);
    const exact = probs(r, model);
    const sampled = probs(r, model, 1, 2000);
    const tvd = exact.reduce((s, x, i) => s + Math.abs(x - sampled[i]) / 2, 0);
    expect(tvd).toBeLessThan(0.05);
  });
});

describe('dynamical decoupling', () => {
  const model: NoiseModel = {
    ...DEFAULT_NOISE_MODEL,
    readoutError: { p01: 0, p10: 0 },
    idle: { detuning: 0.02, amplitudeDamping: 0.0003, phaseDamping: 0.0004 },
  };

  it('places an X-X pair in each idle window long enough, without moving the other gates or changing the unitary', () => {
    const c = noisyCircuit(bellThenWait(20));
    const before = schedule(c);
    const dd = withDynamicalDecoupling(c, model);
    expect(dd.minWindow).toBe(decouplingMinWindow(model));
    // q1 waits layers 2..21 (20 layers): one window; q0 never waits.
    expect(dd).toMatchObject({ windows: 1, pulses: 2 });
    const after = schedule(dd.circuit);
    const original = dd.circuit.gates.map((g, i) => ({ g, l: after.layers[i] })).filter(({ g }) => c.gates.includes(g));
    expect(original.map(({ l }) => l)).toEqual(before.layers);
    const pulses = dd.circuit.gates.map((g, i) => ({ g, l: after.layers[i] })).filter(({ g }) => !c.gates.includes(g));
    // a = 4 idle layers, X (layer 6), b = 9, X (layer 16), c = 5: b = a + c.
    expect(pulses.map(({ g, l }) => [g.qubits, l])).toEqual([
      [[1], 6],
      [[1], 16],
    ]);
    // Without noise: the same state (the pulses make the identity).
    const ideal = noisyProbabilities(dd.circuit, NOISELESS, new Rng(1)).p;
    expect(Array.from(ideal)).toEqual(Array.from(noisyProbabilities(c, NOISELESS, new Rng(1)).p));
    // A window shorter than minWindow gets none.
    expect(withDynamicalDecoupling(noisyCircuit(bellThenWait(dd.minWindow - 1)), model).pulses).toBe(0);
  });

  it('cancels a pure detuning exactly (density matrix), and the waiting Bell pair gets <XX> = 1 back', () => {
    const c = bellThenWait(30);
    const raw = simulateNoisy(req(c, { noise: idleOnly(0.05), observables: [{ pauli: 'XX' }] }));
    const dd = simulateNoisy(req(c, { noise: idleOnly(0.05), observables: [{ pauli: 'XX' }], errorMitigation: 'dd' }));
    expect(value(raw)).toBeCloseTo(Math.cos(30 * 0.05), 10);
    expect(value(dd)).toBeCloseTo(1, 10);
    expect((dd[0] as ValueAndVarianceResult).meta.errorMitigation).toMatchObject({
      method: 'dd',
      applied: true,
      sequence: 'X-X',
      windows: 1,
      extraGates: 2,
      extraCircuits: 0,
      raw: { value: value(raw) },
    });
  });

  it('at least halves the error of <XX> of a waiting Bell pair under gate, damping and detuning noise (density matrix)', () => {
    const c = bellThenWait(40);
    const observables = [{ pauli: 'XX' }, { pauli: 'YY' }];
    const [rawXX, rawYY] = simulateNoisy(req(c, { noise: model, observables })) as ValueAndVarianceResult[];
    const dd = simulateNoisy(req(c, { noise: model, observables, errorMitigation: 'dd' })) as ValueAndVarianceResult[];
    const rawError = Math.abs(rawXX.data.value - 1);
    const ddError = Math.abs(dd[0].data.value - 1);
    expect(rawError).toBeGreaterThan(0.3);
    expect(ddError).toBeLessThan(rawError / 2);
    expect(dd[0].meta.errorMitigation!.raw).toEqual(rawXX.data);
    // <YY> = -1 ideally: the same.
    expect(Math.abs(dd[1].data.value + 1)).toBeLessThan(Math.abs(rawYY.data.value + 1) / 2);
    expect(dd[0].meta.exact).toBe(true);
  });

  it('brings a SAMPLER distribution closer (an echo: Bell pair, wait, undo, read 00), by density matrix and by trajectories', () => {
    const c = bellThenWait(40, true);
    for (const densityMaxQubits of [12, 1]) {
      const run = (errorMitigation?: 'dd') =>
        simulateNoisy(
          req(c, { type: 'SAMPLER', noise: model, densityMaxQubits, errorMitigation }),
        )[0] as QuasiDistResult;
      const tvd = (d: Record<string, number>) =>
        [...new Set([...Object.keys(d), '0x0'])].reduce(
          (s, k) => s + Math.abs((d[k] ?? 0) - (k === '0x0' ? 1 : 0)) / 2,
          0,
        );
      const dd = run('dd');
      expect(dd.meta.noise!.simulation).toBe(densityMaxQubits === 1 ? 'trajectories' : 'density-matrix');
      const rawTvd = tvd(dd.meta.errorMitigation!.raw as Record<string, number>);
      expect(rawTvd).toBeGreaterThan(0.15);
      // What is left is mostly the gate noise of q0's 40 gates, which DD does not touch.
      expect(tvd(dd.data)).toBeLessThan(rawTvd * 0.7);
      // The raw distribution is the unmitigated run's.
      const plain = (run() as unknown as { data: Record<string, number> }).data;
      expect(tvd(plain)).toBeCloseTo(rawTvd, 1);
    }
  });

  it('is refused where it cannot do anything: no idle noise, or idle noise without detuning', () => {
    expect(decouplingProblem(DEFAULT_NOISE_MODEL)).toContain('has no idle noise');
    expect(decouplingProblem(idleOnly(0, 0.01, 0.01))).toContain('no coherent detuning');
    expect(decouplingProblem(model)).toBeNull();
    const c = bellThenWait(10);
    expect(() => simulateNoisy(req(c, { observables: [{ pauli: 'XX' }], errorMitigation: 'dd' }))).toThrow(
      /errorMitigation dd is refused: its noise model has no idle noise/,
    );
    expect(() => simulateNoisy(req(c, { type: 'RUNNER', noise: model, errorMitigation: 'dd' }))).toThrow(
      /use SAMPLER or ESTIMATOR/,
    );
  });
});
