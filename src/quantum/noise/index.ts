/**
 * Noisy simulation and error mitigation: a device's NoiseModel, the density-matrix and trajectory
 * engine (density.ts) and the mitigation methods run around it (run.ts). See README.md beside this file.
 */
export {
  DEFAULT_NOISE_MODEL,
  NOISE_PRESETS,
  noiseModelProblem,
  validateNoiseModel,
  NoiseModelError,
  gatesAreNoiseless,
  hasIdleNoise,
  decouplingProblem,
} from './model';
export type { NoiseModel, NoiseModelProblem, IdleNoise } from './model';
export { withDynamicalDecoupling, decouplingMinWindow, DD_MIN_WINDOW } from './decoupling';
export type { DecoupledCircuit } from './decoupling';
export {
  DENSITY_MAX_QUBITS,
  MAX_TRAJECTORIES,
  noisyCircuit,
  foldGates,
  noisyProbabilities,
  schedule,
  idleLayers,
} from './density';
export type { NoisyCircuit, NoisyGate, NoisyRunOptions, NoisyProbabilities } from './density';
export {
  simulateNoisy,
  MITIGATION_METHODS,
  MITIGATION_JOB_TYPES,
  ZNE_SCALE_FACTORS,
  MITIGATION_MAX_CLBITS,
  richardson,
  exponentialExtrapolation,
} from './run';
export type { MitigationMethod, NoisySimulationRequest } from './run';
