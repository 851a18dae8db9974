import { DEFAULT_NOISE_MODEL, NOISE_PRESETS } from '../quantum';
import { localMitigationProblem } from './local-mitigation';

describe('localMitigationProblem', () => {
  const noisy = { providerName: 'LOCAL', name: 'noisy-simulator', noiseModel: DEFAULT_NOISE_MODEL };
  const ideal = { providerName: 'LOCAL', name: 'statevector-simulator', noiseModel: null };

  it('admits the engine methods on a noisy device for SAMPLER and ESTIMATOR jobs, and none anywhere', () => {
    for (const method of ['readout_mitigation', 'twirled_readout_error_extinction', 'zne'] as const) {
      expect(localMitigationProblem(noisy, method, 'SAMPLER')).toBeNull();
      expect(localMitigationProblem(noisy, method, 'ESTIMATOR')).toBeNull();
    }
    expect(localMitigationProblem(noisy, 'pec', 'ESTIMATOR')).toBeNull();
    const superconducting = {
      providerName: 'LOCAL',
      name: 'noisy-superconducting',
      noiseModel: NOISE_PRESETS.superconducting,
    };
    expect(localMitigationProblem(superconducting, 'dd', 'ESTIMATOR')).toBeNull();
    expect(localMitigationProblem(superconducting, 'dd', 'SAMPLER')).toBeNull();
    expect(localMitigationProblem(ideal, 'none', 'RUNNER')).toBeNull();
    expect(localMitigationProblem(noisy, 'none', 'RUNNER')).toBeNull();
  });

  it('says why it refuses: an ideal device, a method the engine does not apply, a RUNNER job', () => {
    expect(localMitigationProblem(ideal, 'zne', 'ESTIMATOR')).toContain(
      'device LOCAL/statevector-simulator is an ideal simulator',
    );
    expect(localMitigationProblem(noisy, 'dd', 'ESTIMATOR')).toBe(
      'device LOCAL/noisy-simulator does not apply errorMitigation dd: its noise model has no idle noise (a qubit that waits is not disturbed), so dynamical decoupling could not change anything',
    );
    const markovian = {
      ...noisy,
      noiseModel: { ...DEFAULT_NOISE_MODEL, idle: { detuning: 0, amplitudeDamping: 0.01, phaseDamping: 0 } },
    };
    expect(localMitigationProblem(markovian, 'dd', 'SAMPLER')).toContain('no coherent detuning');
    expect(localMitigationProblem(noisy, 'pec', 'SAMPLER')).toBe(
      'errorMitigation pec gives expectation values: use type ESTIMATOR',
    );
    expect(localMitigationProblem(noisy, 'debiasing', 'SAMPLER')).toContain('does not apply errorMitigation debiasing');
    expect(localMitigationProblem(noisy, 'zne', 'RUNNER')).toContain('use type SAMPLER or ESTIMATOR');
  });
});
