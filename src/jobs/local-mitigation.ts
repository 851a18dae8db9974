import {
  decouplingProblem,
  MITIGATION_JOB_TYPES,
  MITIGATION_METHODS,
  type MitigationMethod,
  type NoiseModel,
} from '../quantum';
import type { ErrorMitigation, JobType } from './job.enums';

/**
 * Why a local device cannot apply a job's `errorMitigation` (answered 422 naming the field), or null
 * when it can. Our engine mitigates only on a noisy device (one with a noise model): on an ideal
 * simulator there is no noise to mitigate, and answering "applied: false" would be a field accepted
 * and ignored. It applies the engine's methods (MITIGATION_METHODS) to the job types each gives
 * results of (MITIGATION_JOB_TYPES: SAMPLER and ESTIMATOR, PEC ESTIMATOR only); a RUNNER job's counts
 * cannot be mitigated and stay counts. Dynamical decoupling (`dd`) only where the model's idle
 * noise has a coherent detuning, the noise it cancels. See docs/noise.md.
 */
export function localMitigationProblem(
  device: { name: string; providerName: string; noiseModel?: unknown },
  method: ErrorMitigation,
  type: JobType,
): string | null {
  if (method === 'none') return null;
  const label = `${device.providerName}/${device.name}`;
  const applied = MITIGATION_METHODS.join(', ');
  if (!device.noiseModel) {
    return `device ${label} is an ideal simulator: it has no noise to mitigate, so errorMitigation ${method} is refused; send 'none', or run on LOCAL/noisy-simulator (it applies ${applied})`;
  }
  if (!(MITIGATION_METHODS as readonly string[]).includes(method)) {
    return `device ${label} does not apply errorMitigation ${method} (it applies ${applied})`;
  }
  if (method === 'dd') {
    const problem = decouplingProblem(device.noiseModel as NoiseModel);
    if (problem) return `device ${label} does not apply errorMitigation dd: ${problem}`;
  }
  const types: readonly string[] = MITIGATION_JOB_TYPES[method as MitigationMethod];
  if (!types.includes(type)) {
    const gives = method === 'pec' ? 'expectation values' : 'mitigated quasi-probabilities or expectation values';
    return `errorMitigation ${method} gives ${gives}: use type ${types.join(' or ')}${type === 'RUNNER' ? " (a RUNNER job's counts cannot be mitigated)" : ''}`;
  }
  return null;
}
