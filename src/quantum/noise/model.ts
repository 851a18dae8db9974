/**
 * A device's noise model: what happens to every gate and every measurement of a circuit run on a
 * noisy simulated device. Rates are probabilities per gate, and per layer for idle noise (not per
 * unit of time).
 *
 * After every gate (its target, controls and, for a swap, both swapped qubits are "its qubits"):
 * 1. depolarizing over its qubits: `E(rho) = (1 - p) rho + p Tr_Q(rho) (x) I / 2^k`, with
 *    `p = oneQubitDepolarizing` for a gate on one qubit, `twoQubitDepolarizing` for a gate on two or
 *    more (qiskit's `depolarizing_error(p, k)`: a Pauli error occurs with probability p (4^k - 1) / 4^k);
 * 2. amplitude damping (T1-like) of rate `amplitudeDamping` on each of its qubits;
 * 3. phase damping (T2-like) of rate `phaseDamping` on each of its qubits.
 * At measurement, the read bit is flipped with probability `readoutError.p01` (a qubit in |0> read
 * as 1) or `readoutError.p10` (a qubit in |1> read as 0), independently for each measurement.
 *
 * Idle noise (`idle`, optional: without it a qubit that waits is not disturbed): the circuit is
 * scheduled into layers (ALAP: each gate as late as the gates after it allow, measurements all at
 * the end), and in each layer every qubit that has been acted on and has no gate in that layer
 * waits: it gets a coherent detuning, a Z rotation `Rz(idle.detuning)` (radians per layer), then
 * amplitude damping `idle.amplitudeDamping` and phase damping `idle.phaseDamping`. The detuning is
 * what dynamical decoupling cancels (an X flips its sign); the damping is Markovian and DD cannot.
 */
export interface NoiseModel {
  oneQubitDepolarizing: number;
  twoQubitDepolarizing: number;
  amplitudeDamping: number;
  phaseDamping: number;
  readoutError: { p01: number; p10: number };
  idle?: IdleNoise;
}

/** What happens, per layer, to a qubit that waits (see NoiseModel). */
export interface IdleNoise {
  /** Coherent Z rotation Rz(detuning) per idle layer, radians in [-pi, pi] (a frequency offset). */
  detuning: number;
  /** Amplitude damping (T1-like) per idle layer. */
  amplitudeDamping: number;
  /** Phase damping (T2-like, Markovian) per idle layer. */
  phaseDamping: number;
}

/**
 * The model `noisy-simulator` starts with: figures of the order of today's superconducting devices
 * (0.1 % single-qubit and 1 % two-qubit gate errors, a few percent readout error, read 1 as 0 more
 * often than 0 as 1 because |1> decays during the readout).
 */
export const DEFAULT_NOISE_MODEL: NoiseModel = Object.freeze({
  oneQubitDepolarizing: 0.001,
  twoQubitDepolarizing: 0.01,
  amplitudeDamping: 0.001,
  phaseDamping: 0.002,
  readoutError: Object.freeze({ p01: 0.02, p10: 0.04 }),
}) as NoiseModel;

/** A model without any noise: the noisy engine then answers what the ideal simulator does (specs compare them). */
export const NOISELESS_MODEL: NoiseModel = Object.freeze({
  oneQubitDepolarizing: 0,
  twoQubitDepolarizing: 0,
  amplitudeDamping: 0,
  phaseDamping: 0,
  readoutError: Object.freeze({ p01: 0, p10: 0 }),
}) as NoiseModel;

/**
 * Device-like presets, of the order of published figures (not a copy of any one device's
 * calibration): `superconducting` after the median errors IBM publishes for its Heron-class
 * processors (about 3e-4 single-qubit and 3e-3 two-qubit gate error, T1 in the hundreds of µs
 * against gates of tens of ns, 1-2 % readout error); `trappedIon` after IonQ's Aria-class figures
 * (about 5e-4 and 4e-3 gate error, no amplitude damping to speak of (T1 of seconds and more), 0.4 %
 * state preparation and measurement error). A depolarizing rate p gives a gate error of 3p/4 (one
 * qubit) and 15p/16 (two).
 */
export const NOISE_PRESETS: Readonly<Record<'superconducting' | 'trappedIon', NoiseModel>> = Object.freeze({
  // Idle: a residual frequency offset of ~20 kHz over a layer of ~100 ns (0.0126 rad), T1 ~ 300 µs
  // and a pure dephasing time of ~500 µs against that layer.
  superconducting: Object.freeze({
    oneQubitDepolarizing: 0.0004,
    twoQubitDepolarizing: 0.0032,
    amplitudeDamping: 0.0003,
    phaseDamping: 0.0005,
    readoutError: Object.freeze({ p01: 0.01, p10: 0.02 }),
    idle: Object.freeze({ detuning: 0.0126, amplitudeDamping: 0.0003, phaseDamping: 0.0004 }),
  }) as NoiseModel,
  // Idle: a slow magnetic-field drift of ~1 Hz over a layer of ~600 µs (0.004 rad), no T1 to speak of.
  trappedIon: Object.freeze({
    oneQubitDepolarizing: 0.0007,
    twoQubitDepolarizing: 0.0043,
    amplitudeDamping: 0,
    phaseDamping: 0.0005,
    readoutError: Object.freeze({ p01: 0.004, p10: 0.004 }),
    idle: Object.freeze({ detuning: 0.004, amplitudeDamping: 0, phaseDamping: 0.0001 }),
  }) as NoiseModel,
});

/** What is wrong with a noise model: the field (a path from `prefix`, e.g. `noiseModel.readoutError.p01`) and why. */
export interface NoiseModelProblem {
  field: string;
  message: string;
}

const RATES = ['oneQubitDepolarizing', 'twoQubitDepolarizing', 'amplitudeDamping', 'phaseDamping'] as const;
const READOUT = ['p01', 'p10'] as const;
const IDLE = ['detuning', 'amplitudeDamping', 'phaseDamping'] as const;
const FIELDS = [...RATES, 'readoutError', 'idle'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function rateProblem(v: unknown, field: string, max: number, min = 0, range = `0 to ${max}`): NoiseModelProblem | null {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    return { field, message: `${field} must be a number from ${range}, not ${JSON.stringify(v) ?? String(v)}` };
  }
  return null;
}

/**
 * The first problem of `value` as a NoiseModel, or null when it is one: every field present, a
 * probability, no other field (`idle` may be left out: no idle noise; when present, all its fields).
 * Readout flip probabilities must stay below 0.5 (at 0.5 a readout says nothing and no mitigation
 * can invert it); the idle detuning is an angle in [-pi, pi].
 */
export function noiseModelProblem(value: unknown, prefix = 'noiseModel'): NoiseModelProblem | null {
  if (!isObject(value)) return { field: prefix, message: `${prefix} must be an object` };
  for (const key of Object.keys(value)) {
    if (!FIELDS.includes(key)) {
      return {
        field: `${prefix}.${key}`,
        message: `${prefix}.${key} is not a field of a noise model (it has ${FIELDS.join(', ')})`,
      };
    }
  }
  for (const rate of RATES) {
    const p = rateProblem(value[rate], `${prefix}.${rate}`, 1);
    if (p) return p;
  }
  const readout = value.readoutError;
  const field = `${prefix}.readoutError`;
  if (!isObject(readout)) return { field, message: `${field} must be an object {p01, p10}` };
  for (const key of Object.keys(readout)) {
    if (!(READOUT as readonly string[]).includes(key)) {
      return { field: `${field}.${key}`, message: `${field}.${key} is not a field of readoutError (it has p01, p10)` };
    }
  }
  for (const key of READOUT) {
    const p = rateProblem(readout[key], `${field}.${key}`, 0.49);
    if (p) return p;
  }
  if (value.idle === undefined) return null;
  const idle = value.idle;
  const idleField = `${prefix}.idle`;
  if (!isObject(idle)) return { field: idleField, message: `${idleField} must be an object {${IDLE.join(', ')}}` };
  for (const key of Object.keys(idle)) {
    if (!(IDLE as readonly string[]).includes(key)) {
      return {
        field: `${idleField}.${key}`,
        message: `${idleField}.${key} is not a field of idle (it has ${IDLE.join(', ')})`,
      };
    }
  }
  const detuning = rateProblem(
    idle.detuning,
    `${idleField}.detuning`,
    Math.PI,
    -Math.PI,
    '-pi to pi (radians per layer)',
  );
  if (detuning) return detuning;
  for (const key of ['amplitudeDamping', 'phaseDamping'] as const) {
    const p = rateProblem(idle[key], `${idleField}.${key}`, 1);
    if (p) return p;
  }
  return null;
}

/** Thrown for a request whose noise model is not one. */
export class NoiseModelError extends Error {
  override readonly name = 'NoiseModelError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The model itself (a copy of its fields only), or NoiseModelError naming the first bad field. */
export function validateNoiseModel(value: unknown, prefix = 'noiseModel'): NoiseModel {
  const problem = noiseModelProblem(value, prefix);
  if (problem) throw new NoiseModelError(problem.field, problem.message);
  const v = value as NoiseModel;
  return {
    oneQubitDepolarizing: v.oneQubitDepolarizing,
    twoQubitDepolarizing: v.twoQubitDepolarizing,
    amplitudeDamping: v.amplitudeDamping,
    phaseDamping: v.phaseDamping,
    readoutError: { p01: v.readoutError.p01, p10: v.readoutError.p10 },
    ...(v.idle
      ? {
          idle: {
            detuning: v.idle.detuning,
            amplitudeDamping: v.idle.amplitudeDamping,
            phaseDamping: v.idle.phaseDamping,
          },
        }
      : {}),
  };
}

/** True when the model does nothing to gates (only readout error, if any). */
export function gatesAreNoiseless(m: NoiseModel): boolean {
  return (
    m.oneQubitDepolarizing === 0 && m.twoQubitDepolarizing === 0 && m.amplitudeDamping === 0 && m.phaseDamping === 0
  );
}

/** True when the model disturbs a qubit that waits. */
export function hasIdleNoise(m: NoiseModel): boolean {
  return !!m.idle && (m.idle.detuning !== 0 || m.idle.amplitudeDamping !== 0 || m.idle.phaseDamping !== 0);
}

/**
 * Why dynamical decoupling cannot do anything under this model (null when it can): DD's X pulses
 * flip the sign of a coherent detuning, which then cancels over the idle window; Markovian
 * amplitude and phase damping are unchanged by an X (the channels commute with it), so without
 * detuning DD would only add its pulses' gate noise.
 */
export function decouplingProblem(m: NoiseModel): string | null {
  if (!m.idle || !hasIdleNoise(m)) {
    return 'its noise model has no idle noise (a qubit that waits is not disturbed), so dynamical decoupling could not change anything';
  }
  if (m.idle.detuning === 0) {
    return "its idle noise has no coherent detuning (idle.detuning is 0): dynamical decoupling cancels a detuning, and cannot reduce Markovian damping (an X commutes with it), so it would only add its pulses' noise";
  }
  return null;
}
