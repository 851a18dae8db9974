import type { Matrix2 } from '../circuit/circuit';
import { H, SDG } from '../circuit/gates';
import { SimulationInputError } from '../simulator/errors';
import { randomSeed, Rng, sortedUniforms } from '../simulator/random';
import { checkRunSettings, formatOutcomes, parsePauli } from '../simulator/simulate';
import type {
  QuasiDistResult,
  SimulateOptions,
  SimulationRequest,
  SimulationResult,
  ValueAndVarianceResult,
} from '../simulator/types';
import {
  dampingFidelities,
  DENSITY_MAX_QUBITS,
  foldGates,
  MAX_TRAJECTORIES,
  noisyCircuit,
  noisyProbabilities,
  type NoisyCircuit,
  type NoisyGate,
} from './density';
import { withDynamicalDecoupling } from './decoupling';
import {
  decouplingProblem,
  gatesAreNoiseless,
  hasIdleNoise,
  NoiseModelError,
  validateNoiseModel,
  type NoiseModel,
} from './model';

/**
 * Noisy runs and error mitigation: a SimulationRequest run under a NoiseModel (`simulateNoisy`),
 * optionally mitigated. Every extra circuit a method needs (calibration circuits, folded circuits)
 * runs here, in the same thread, under the same model and seed; the results keep their types (a
 * mitigated QUASI_DIST, a mitigated VALUE_AND_VARIANCE) and carry the raw ones in
 * `meta.errorMitigation.raw`.
 */

/** The methods the engine applies (names of the job field `errorMitigation`). */
export const MITIGATION_METHODS = [
  'readout_mitigation',
  'twirled_readout_error_extinction',
  'zne',
  'pec',
  'dd',
] as const;
export type MitigationMethod = (typeof MITIGATION_METHODS)[number];

/** The job types each method applies to: all give mitigated values; PEC expectation values only. */
export const MITIGATION_JOB_TYPES: Readonly<Record<MitigationMethod, readonly ('SAMPLER' | 'ESTIMATOR')[]>> = {
  readout_mitigation: ['SAMPLER', 'ESTIMATOR'],
  twirled_readout_error_extinction: ['SAMPLER', 'ESTIMATOR'],
  zne: ['SAMPLER', 'ESTIMATOR'],
  pec: ['ESTIMATOR'],
  dd: ['SAMPLER', 'ESTIMATOR'],
};

/** 1-norm of the quasi-probabilities of the inverse of k-qubit depolarizing p (PEC's cost factor). */
function inverseDepolarizingNorm(k: number, p: number): number {
  if (p === 0) return 1;
  const g = 1 / (1 - p);
  const d = 4 ** k;
  return Math.abs(1 + (d - 1) * g) / d + ((d - 1) * Math.abs(1 - g)) / d;
}

/** 1-norm of the quasi-probabilities of the inverse Pauli channel of fidelities (1, fx, fx, fz). */
function inverseDampingNorm(fx: number, fz: number): number {
  const gx = 1 / fx;
  const gz = 1 / fz;
  return (Math.abs(1 + 2 * gx + gz) + 2 * Math.abs(1 - gz) + Math.abs(1 - 2 * gx + gz)) / 4;
}

/**
 * PEC's gamma for a circuit and the readout of `measured` qubits: the product over its gates of the
 * 1-norms of their inverse noise's quasi-probabilities, times, for each measured qubit, the largest
 * magnitude a shot's inverted readout can take. A device needs about gamma^2 times the shots for the
 * precision of an unmitigated estimate.
 */
function pecGamma(c: NoisyCircuit, noise: NoiseModel, measured: number): number {
  const { fx, fz } = dampingFidelities(noise);
  const damp = inverseDampingNorm(fx, fz);
  let gamma = 1;
  for (const g of c.gates) {
    const k = g.qubits.length;
    gamma *= inverseDepolarizingNorm(k, k === 1 ? noise.oneQubitDepolarizing : noise.twoQubitDepolarizing);
    gamma *= damp ** k;
  }
  const { p01: a, p10: b } = noise.readoutError;
  return gamma * ((1 + Math.abs(a - b)) / (1 - a - b)) ** popcount(measured);
}

/** Noise scale factors of zero-noise extrapolation (gate folding G (G^dagger G)^k). */
export const ZNE_SCALE_FACTORS = [1, 3, 5] as const;
/** Most clbits a mitigated distribution may have (the inverse readout matrices act on 2^clbits entries). */
export const MITIGATION_MAX_CLBITS = 16;

export type NoisySimulationRequest = SimulationRequest & {
  noise: NoiseModel;
  errorMitigation?: MitigationMethod;
  /** Widest circuit simulated by density matrix; default DENSITY_MAX_QUBITS. */
  densityMaxQubits?: number;
};

/** Readout of one measurement: P(read 1 | 0) and P(read 0 | 1). */
type Flip = { a: number; b: number };

/** Richardson extrapolation to scale 0 through the points (s_i, y_i). */
export function richardson(scales: readonly number[], ys: readonly number[]): number {
  let out = 0;
  for (let i = 0; i < scales.length; i++) {
    let w = 1;
    for (let j = 0; j < scales.length; j++) if (j !== i) w *= scales[j] / (scales[j] - scales[i]);
    out += w * ys[i];
  }
  return out;
}

/**
 * Exponential extrapolation y(s) = y0 e^(-c s) through the first two points (what global
 * depolarizing noise gives), or null when they do not have the same sign or do not decay.
 */
export function exponentialExtrapolation(scales: readonly number[], ys: readonly number[]): number | null {
  const [s1, s2] = scales;
  const [y1, y2] = ys;
  if (!(y1 * y2 > 0) || Math.abs(y2) >= Math.abs(y1)) return null;
  const c = Math.log(y1 / y2) / (s2 - s1);
  return y1 * Math.exp(c * s1);
}

class NoisyRun {
  readonly rng: Rng;
  readonly flip: Flip;
  circuitsRun = 0;
  method: 'density-matrix' | 'trajectories' = 'density-matrix';
  trajectories = 0;
  /** Circuits this run expects to simulate (an estimate, for progress); those done so far. */
  expected = 1;
  private done = 0;
  private reported = 0;

  constructor(
    readonly req: NoisySimulationRequest,
    readonly noise: NoiseModel,
    readonly seed: number,
    readonly opts: SimulateOptions,
  ) {
    this.rng = new Rng(seed);
    this.flip = { a: noise.readoutError.p01, b: noise.readoutError.p10 };
  }

  /** Reports progress over all the run's circuits: non-decreasing, below 1 until the run ends. */
  private progress(fraction: number): void {
    const f = Math.min(0.99, (this.done + fraction) / Math.max(this.expected, this.done + 1));
    if (f > this.reported) {
      this.reported = f;
      this.opts.onProgress?.(f);
    }
  }

  probabilities(c: NoisyCircuit, cancel = false): Float64Array {
    this.circuitsRun++;
    const onProgress = this.opts.onProgress ? (f: number) => this.progress(f) : undefined;
    const r = noisyProbabilities(c, this.noise, this.rng, {
      onProgress,
      cancel,
      densityMaxQubits: this.req.densityMaxQubits ?? DENSITY_MAX_QUBITS,
      trajectories:
        gatesAreNoiseless(this.noise) && !hasIdleNoise(this.noise) ? 1 : Math.min(this.req.shots, MAX_TRAJECTORIES),
      maxMemoryBytes: this.req.maxMemoryBytes,
      signal: this.opts.signal,
    });
    this.method = r.method;
    this.trajectories = Math.max(this.trajectories, r.trajectories ?? 0);
    this.done++;
    this.progress(0);
    return r.p;
  }

  /**
   * `shots` shots of `c` read through the readout error: clbits as an integer (clbit 0 least
   * significant) -> shots. With `twirl`, each shot's measured qubits are flipped at random before
   * the readout and the read bits flipped back (TREX), which makes the readout error symmetric.
   */
  sample(c: NoisyCircuit, shots: number, twirl: boolean, p = this.probabilities(c)): Map<number, number> {
    const total = p.reduce((s, x) => s + x, 0);
    const u = sortedUniforms(this.rng, shots, total);
    const out = new Map<number, number>();
    let x = 0;
    let cum = p[0];
    for (let s = 0; s < shots; s++) {
      while (u[s] >= cum && x < p.length - 1) cum += p[++x];
      let key = 0;
      for (const m of c.measurements) {
        let bit = (x >>> m.qubit) & 1;
        const flipped = twirl && this.rng.next() < 0.5 ? 1 : 0;
        bit ^= flipped;
        if (this.rng.next() < (bit === 0 ? this.flip.a : this.flip.b)) bit ^= 1;
        key |= (bit ^ flipped) << m.clbit;
      }
      out.set(key, (out.get(key) ?? 0) + 1);
    }
    return out;
  }

  /** A calibration circuit: nothing, or an X on each measured qubit, then the same measurements. */
  calibration(c: NoisyCircuit, ones: boolean): NoisyCircuit {
    const X: Matrix2 = [0, 0, 1, 0, 1, 0, 0, 0];
    const gates: NoisyGate[] = ones
      ? [...new Set(c.measurements.map((m) => m.qubit))].map((q) => ({
          kind: 'gate',
          target: q,
          matrix: X,
          cmask: 0,
          cval: 0,
          qubits: [q],
        }))
      : [];
    return { ...c, gates };
  }
}

function hex(key: number): string {
  return '0x' + key.toString(16);
}

/** Frequencies over all 2^clbits outcomes. */
function dense(outcomes: Map<number, number>, shots: number, numClbits: number): Float64Array {
  const v = new Float64Array(2 ** numClbits);
  for (const [k, n] of outcomes) v[k] += n / shots;
  return v;
}

/** Applies, for each clbit c with a matrix, the 2x2 `inv[c]` ([m00, m01, m10, m11]) to the vector. */
function applyTensored(v: Float64Array, inv: (readonly number[] | undefined)[]): void {
  for (let c = 0; c < inv.length; c++) {
    const m = inv[c];
    if (!m) continue;
    const bit = 1 << c;
    for (let i = 0; i < v.length; i++) {
      if ((i & bit) !== 0) continue;
      const x0 = v[i];
      const x1 = v[i | bit];
      v[i] = m[0] * x0 + m[1] * x1;
      v[i | bit] = m[2] * x0 + m[3] * x1;
    }
  }
}

/** Inverse of the readout matrix [[1 - a, b], [a, 1 - b]] (columns: the true bit), row-major. */
function inverseReadout({ a, b }: Flip): number[] {
  const det = 1 - a - b;
  if (Math.abs(det) < 1e-9) throw new SimulationInputError('a readout error of 50 % cannot be inverted');
  return [(1 - b) / det, -b / det, -a / det, (1 - a) / det];
}

function sparse(v: Float64Array): Record<string, number> {
  const data: Record<string, number> = {};
  for (let i = 0; i < v.length; i++) if (Math.abs(v[i]) > 1e-12) data[hex(i)] = v[i];
  return data;
}

/** Estimated flips of each measured clbit from calibration shots of |0..0> and |1..1>. */
function clbitFlips(
  c: NoisyCircuit,
  zeros: Map<number, number>,
  ones: Map<number, number> | null,
  shots: number,
): (Flip | undefined)[] {
  const flips: (Flip | undefined)[] = new Array(c.numClbits).fill(undefined);
  for (const m of c.measurements) {
    let read1From0 = 0;
    let read0From1 = 0;
    for (const [k, n] of zeros) if ((k >>> m.clbit) & 1) read1From0 += n;
    if (ones) for (const [k, n] of ones) if (((k >>> m.clbit) & 1) === 0) read0From1 += n;
    const a = read1From0 / shots;
    // TREX: the twirled readout is symmetric, a = b.
    flips[m.clbit] = { a, b: ones ? read0From1 / shots : a };
  }
  return flips;
}

// ---------------------------------------------------------------------------------------------

function sampler(run: NoisyRun, c: NoisyCircuit, type: 'RUNNER' | 'SAMPLER', t0: number): SimulationResult[] {
  const { req } = run;
  const shots = req.shots;
  const method = req.errorMitigation;
  const baseMeta = () => ({
    seed: run.seed,
    timeTakenMs: performance.now() - t0,
    mode: 'sampled-once',
    noise: { simulation: run.method, ...(run.method === 'trajectories' ? { trajectories: run.trajectories } : {}) },
  });
  const format = (outcomes: Map<number, number>, extra: Record<string, unknown>) =>
    formatOutcomes(
      req.circuit,
      type,
      shots,
      [...outcomes].map(([k, n]) => [bitString(k, c.numClbits), n] as const),
      extra,
    ) as SimulationResult[];
  // As the ideal simulator: a circuit without measurement answers empty results.
  if (c.measurements.length === 0) {
    if (method) throw new SimulationInputError(`errorMitigation ${method} needs a circuit that measures`);
    return format(new Map(), { ...baseMeta(), mode: 'no-measurements' });
  }
  if (!method) return format(run.sample(c, shots, false), baseMeta());
  if (c.numClbits > MITIGATION_MAX_CLBITS) {
    throw new SimulationInputError(
      `error mitigation of a distribution is done for circuits of at most ${MITIGATION_MAX_CLBITS} clbits; this one has ${c.numClbits}`,
    );
  }
  let mitigated: Float64Array;
  let raw: Map<number, number>;
  let details: Record<string, unknown>;
  if (method === 'dd') {
    const dd = withDynamicalDecoupling(c, run.noise);
    raw = run.sample(c, shots, false);
    mitigated = dense(run.sample(dd.circuit, shots, false), shots, c.numClbits);
    details = decouplingDetails(dd);
  } else if (method === 'zne') {
    const folded = ZNE_SCALE_FACTORS.map((s) => dense(run.sample(foldGates(c, s), shots, false), shots, c.numClbits));
    raw = new Map();
    for (let i = 0; i < folded[0].length; i++) if (folded[0][i] > 0) raw.set(i, Math.round(folded[0][i] * shots));
    mitigated = new Float64Array(folded[0].length);
    for (let i = 0; i < mitigated.length; i++) {
      mitigated[i] = richardson(
        ZNE_SCALE_FACTORS,
        folded.map((f) => f[i]),
      );
    }
    details = {
      scaleFactors: [...ZNE_SCALE_FACTORS],
      folding: 'gate',
      extrapolation: 'richardson',
      extraCircuits: ZNE_SCALE_FACTORS.length - 1,
      extraShots: (ZNE_SCALE_FACTORS.length - 1) * shots,
    };
  } else {
    const twirl = method === 'twirled_readout_error_extinction';
    raw = run.sample(c, shots, twirl);
    const zeros = run.sample(run.calibration(c, false), shots, twirl);
    const ones = twirl ? null : run.sample(run.calibration(c, true), shots, false);
    const flips = clbitFlips(c, zeros, ones, shots);
    mitigated = dense(raw, shots, c.numClbits);
    applyTensored(
      mitigated,
      flips.map((f) => (f ? inverseReadout(f) : undefined)),
    );
    details = {
      ...(twirl ? { twirling: 'a random X before each measurement, undone on the read bit' } : {}),
      calibration: Object.fromEntries(flips.flatMap((f, clbit) => (f ? [[`c${clbit}`, { p01: f.a, p10: f.b }]] : []))),
      extraCircuits: twirl ? 1 : 2,
      extraShots: (twirl ? 1 : 2) * shots,
    };
  }
  const [result] = format(raw, baseMeta()) as [QuasiDistResult];
  const rawData = result.data;
  result.data = sparse(mitigated);
  result.meta.errorMitigation = { method, applied: true, extraCircuits: 0, extraShots: 0, ...details, raw: rawData };
  return [result];
}

/** meta.errorMitigation of dynamical decoupling: its cost is its pulses (extra gates), no extra circuit. */
function decouplingDetails(dd: ReturnType<typeof withDynamicalDecoupling>): Record<string, unknown> {
  return {
    sequence: 'X-X',
    placement: 'a idle layers, X, b, X, c with b = a + c (CPMG-like), in each idle window of at least minWindow layers',
    scheduling: 'ALAP',
    minWindow: dd.minWindow,
    windows: dd.windows,
    extraGates: dd.pulses,
    extraCircuits: 0,
    extraShots: 0,
  };
}

function bitString(key: number, numClbits: number): string {
  let s = '';
  for (let c = 0; c < numClbits; c++) s += (key >>> c) & 1 ? '1' : '0';
  return s;
}

/** The circuit with the basis change that makes the Pauli string diagonal (H for X, S^dagger then H for Y). */
function rotated(c: NoisyCircuit, masks: { x: number; z: number }): NoisyCircuit {
  const gates = [...c.gates];
  const one = (q: number, matrix: Matrix2): NoisyGate => ({
    kind: 'gate',
    target: q,
    matrix,
    cmask: 0,
    cval: 0,
    qubits: [q],
  });
  for (let q = 0; q < c.numQubits; q++) {
    if (!((masks.x >>> q) & 1)) continue;
    if ((masks.z >>> q) & 1) gates.push(one(q, SDG));
    gates.push(one(q, H));
  }
  return { ...c, gates, layers: undefined };
}

/** Expected product of the read ±1 values of the qubits in `support`, with `f(q, bit)` the expected read value. */
function parity(p: Float64Array, support: number, f: (q: number, bit: number) => number): number {
  const qubits: number[] = [];
  for (let q = 0; 1 << q <= support; q++) if ((support >>> q) & 1) qubits.push(q);
  let e = 0;
  for (let x = 0; x < p.length; x++) {
    if (p[x] === 0) continue;
    let v = p[x];
    for (const q of qubits) v *= f(q, (x >>> q) & 1);
    e += v;
  }
  return e;
}

function estimator(run: NoisyRun, c: NoisyCircuit, t0: number): ValueAndVarianceResult[] {
  const { req } = run;
  const shots = req.shots;
  const method = req.errorMitigation;
  if (!Array.isArray(req.observables) || req.observables.length === 0) {
    throw new SimulationInputError('ESTIMATOR needs at least one observable');
  }
  const { a, b } = run.flip;
  // Expected read value (+1 for 0, -1 for 1) of a qubit whose true bit is `bit`.
  const plain = (_q: number, bit: number) => (bit === 0 ? 1 - 2 * a : -(1 - 2 * b));
  const twirled = (_q: number, bit: number) => (1 - a - b) * (bit === 0 ? 1 : -1);
  // Readout calibration (shared by the observables): circuits on all qubits, measured all.
  const all: NoisyCircuit = {
    ...c,
    numClbits: c.numQubits,
    measurements: Array.from({ length: c.numQubits }, (_, q) => ({ qubit: q, clbit: q })),
  };
  let calibration: { zeros: Map<number, number>; ones: Map<number, number> | null } | null = null;
  if (method === 'readout_mitigation' || method === 'twirled_readout_error_extinction') {
    const twirl = method === 'twirled_readout_error_extinction';
    calibration = {
      zeros: run.sample(run.calibration(all, false), shots, twirl),
      ones: twirl ? null : run.sample(run.calibration(all, true), shots, false),
    };
  }
  const cache = new Map<string, Float64Array>();
  const probs = (circuit: NoisyCircuit, key: string) => {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = run.probabilities(circuit)));
    return p;
  };
  const out = req.observables.map((o) => {
    const coefficient = o.coefficient ?? 1;
    if (!Number.isFinite(coefficient))
      throw new SimulationInputError(`coefficient of ${o.pauli} must be a finite number`);
    const masks = parsePauli(o.pauli, c.numQubits);
    const support = masks.x | masks.z;
    const basis = `${masks.x}:${masks.z & masks.x}`;
    const circuit = rotated(c, masks);
    let value: number;
    let details: Record<string, unknown> | null = null;
    let rawValue: number;
    let pecGammaOf = 0;
    if (method === 'dd') {
      rawValue = parity(probs(circuit, basis), support, plain);
      const dd = withDynamicalDecoupling(circuit, run.noise);
      value = parity(probs(dd.circuit, `${basis}@dd`), support, plain);
      details = decouplingDetails(dd);
    } else if (method === 'zne') {
      const ys = ZNE_SCALE_FACTORS.map((s) =>
        parity(s === 1 ? probs(circuit, basis) : probs(foldGates(circuit, s), `${basis}@${s}`), support, plain),
      );
      rawValue = ys[0];
      value = richardson(ZNE_SCALE_FACTORS, ys);
      details = {
        scaleFactors: [...ZNE_SCALE_FACTORS],
        folding: 'gate',
        extrapolation: 'richardson',
        noisyValues: ys.map((y) => coefficient * y),
        exponential: ((e) => (e === null ? null : coefficient * e))(exponentialExtrapolation(ZNE_SCALE_FACTORS, ys)),
        extraCircuits: ZNE_SCALE_FACTORS.length - 1,
        extraShots: (ZNE_SCALE_FACTORS.length - 1) * shots,
      };
    } else if (method === 'pec') {
      rawValue = parity(probs(circuit, basis), support, plain);
      // The expectation of the PEC estimator: the gates' noise cancelled on the density matrix, the
      // readout inverted with the model's exact rates (so read bits count as the true ones).
      value = parity(run.probabilities(circuit, true), support, (_q, bit) => (bit === 0 ? 1 : -1));
      const gamma = pecGamma(circuit, run.noise, support);
      pecGammaOf = gamma;
      details = {
        noiseModel: "known exactly (the device's)",
        twirling: "the inverse of each gate's Pauli-twirled noise; the damping's non-unital part is not cancelled",
        expectation:
          'the mean of the PEC estimator over infinitely many sampled circuits, computed on the density matrix',
        gamma,
        samplingOverhead: gamma * gamma,
        extraCircuits: 0,
        extraShots: Math.ceil((gamma * gamma - 1) * shots),
      };
    } else if (calibration && method === 'readout_mitigation') {
      const flips = clbitFlips(all, calibration.zeros, calibration.ones, shots);
      const p = probs(circuit, basis);
      rawValue = parity(p, support, plain);
      // The mitigated estimator's expectation: the read distribution through the estimated inverse.
      value = parity(p, support, (q, bit) => {
        const [m00, m01, m10, m11] = inverseReadout(flips[q]!);
        const w0 = m00 - m10; // [1, -1] A^-1, first column
        const w1 = m01 - m11;
        const read1 = bit === 0 ? a : 1 - b;
        return (1 - read1) * w0 + read1 * w1;
      });
      details = {
        calibration: Object.fromEntries(flips.map((f, q) => [`q${q}`, { p01: f!.a, p10: f!.b }])),
        extraCircuits: 2,
        extraShots: 2 * shots,
      };
    } else if (calibration) {
      const p = probs(circuit, basis);
      rawValue = parity(p, support, twirled);
      let cal = 0;
      for (const [k, n] of calibration.zeros) cal += (popcount(k & support) % 2 === 0 ? n : -n) / shots;
      if (Math.abs(cal) < 1e-9) {
        throw new SimulationInputError(
          `the twirled readout calibration of ${o.pauli} measured 0: it cannot be inverted`,
        );
      }
      value = rawValue / cal;
      details = {
        twirling: 'a random X before each measurement, undone on the read bit',
        calibration: { [String(o.pauli).toUpperCase()]: cal },
        extraCircuits: 1,
        extraShots: shots,
      };
    } else {
      rawValue = parity(probs(circuit, basis), support, plain);
      value = rawValue;
    }
    const ev = Math.max(-1, Math.min(1, value));
    // PEC's single-shot estimator takes the values ±gamma: its variance is gamma^2 - <O>^2.
    const spread = method === 'pec' ? pecGammaOf * pecGammaOf : 1;
    const result: ValueAndVarianceResult = {
      resultType: 'VALUE_AND_VARIANCE',
      data: { value: coefficient * value, variance: coefficient * coefficient * Math.max(0, spread - ev * ev) },
      meta: {
        observable: String(o.pauli).toUpperCase(),
        coefficient,
        // Exact: the noisy state's expectation (readout error included) without sampling noise;
        // not with trajectories or with sampled calibration shots.
        exact:
          run.method === 'density-matrix' &&
          (method === undefined || method === 'zne' || method === 'pec' || method === 'dd'),
        shots,
        timeTakenMs: 0,
      },
    };
    const meta = result.meta;
    meta.noise = {
      simulation: run.method,
      ...(run.method === 'trajectories' ? { trajectories: run.trajectories } : {}),
    };
    if (method && details) {
      meta.errorMitigation = {
        method,
        applied: true,
        extraCircuits: 0,
        extraShots: 0,
        ...details,
        raw: {
          value: coefficient * rawValue,
          variance: coefficient * coefficient * Math.max(0, 1 - rawValue * rawValue),
        },
      };
    }
    return result;
  });
  const timeTakenMs = performance.now() - t0;
  for (const r of out) r.meta.timeTakenMs = timeTakenMs;
  return out;
}

/** How many circuits a run simulates (calibration circuits included), for its progress. */
function expectedCircuits(req: NoisySimulationRequest): number {
  const method = req.errorMitigation;
  const extra = method === 'readout_mitigation' ? 2 : method === 'twirled_readout_error_extinction' ? 1 : 0;
  const per = method === 'zne' ? ZNE_SCALE_FACTORS.length : method === 'pec' || method === 'dd' ? 2 : 1;
  if (req.type !== 'ESTIMATOR') return per + extra;
  const bases = new Set(
    (req.observables ?? []).map((o) => {
      try {
        const m = parsePauli(o.pauli, req.circuit.numQubits);
        return `${m.x}:${m.z & m.x}`;
      } catch {
        return '';
      }
    }),
  );
  return Math.max(1, bases.size) * per + extra;
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

/**
 * Runs `req.circuit` on a noisy device: gates and readout under `req.noise`, by density matrix up
 * to `densityMaxQubits` qubits and by trajectories above, reproducibly for a seed; mitigated when
 * `req.errorMitigation` is set (SAMPLER and ESTIMATOR only: mitigated counts would not be counts).
 */
export function simulateNoisy(req: NoisySimulationRequest, opts: SimulateOptions = {}): SimulationResult[] {
  const t0 = performance.now();
  let noise: NoiseModel;
  try {
    noise = validateNoiseModel(req.noise, 'noise');
  } catch (err) {
    if (err instanceof NoiseModelError) throw new SimulationInputError(err.message);
    throw err;
  }
  checkRunSettings(req);
  if (req.errorMitigation !== undefined && !(MITIGATION_METHODS as readonly string[]).includes(req.errorMitigation)) {
    throw new SimulationInputError(
      `errorMitigation ${String(req.errorMitigation)} is not applied by the engine (it applies ${MITIGATION_METHODS.join(', ')})`,
    );
  }
  if (req.errorMitigation && !(MITIGATION_JOB_TYPES[req.errorMitigation] as readonly string[]).includes(req.type)) {
    const gives = req.errorMitigation === 'pec' ? 'expectation values' : 'quasi-probabilities or values';
    throw new SimulationInputError(
      `errorMitigation ${req.errorMitigation} gives ${gives}: use ${MITIGATION_JOB_TYPES[req.errorMitigation].join(' or ')}, not ${req.type}`,
    );
  }
  if (req.errorMitigation === 'dd') {
    const problem = decouplingProblem(noise);
    if (problem) throw new SimulationInputError(`errorMitigation dd is refused: ${problem}`);
  }
  if (req.circuit.numQubits > req.maxQubits) {
    throw new SimulationInputError(
      `circuit has ${req.circuit.numQubits} qubits, more than the limit of ${req.maxQubits}`,
    );
  }
  if (req.circuit.numClbits > 30) {
    throw new SimulationInputError(`a noisy device reads at most 30 clbits; this circuit has ${req.circuit.numClbits}`);
  }
  const c = noisyCircuit(req.circuit);
  const run = new NoisyRun(req, noise, req.seed ?? randomSeed(), opts);
  run.expected = expectedCircuits(req);
  const results = req.type === 'ESTIMATOR' ? estimator(run, c, t0) : sampler(run, c, req.type, t0);
  opts.onProgress?.(1);
  return results;
}
