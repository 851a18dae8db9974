import type { DeviceDescription, ProviderDescription } from '../../devices/provider-catalog';
import { DEFAULT_NOISE_MODEL, ENGINE_LANGUAGES, NOISE_PRESETS } from '../../quantum';

export const LOCAL_PROVIDER = 'LOCAL';
export const LOCAL_SIMULATOR = 'statevector-simulator';
/** LOCAL's noisy device: its noise model is part of the device (docs/noise.md). */
export const NOISY_SIMULATOR = 'noisy-simulator';
/**
 * The noisy device's width: density matrix up to DENSITY_MAX_QUBITS (12), trajectories above, whose
 * cost grows with 2^n times the trajectories (up to 200): 16 keeps a job within seconds to minutes.
 */
export const NOISY_SIMULATOR_QUBITS = 16;

/**
 * The providers whose devices run on our own engine: LOCAL, and qunicorn-core's local devices of
 * other providers, under the names qunicorn clients use (`IBM`/`aer_simulator`,
 * `AWS`/`local_simulator`, `RIGETTI`/`Nq-qvm`), each accepting its provider's languages (those the
 * engine reads: a language whose front end is missing is left out rather than accepted and refused
 * later). Their remote devices (IBM Quantum, Amazon Braket) come with the providers' adapters.
 */
export function localProviders(localDeviceQubits: number): ProviderDescription[] {
  const local = (name: string, numQubits: number): DeviceDescription => ({
    name,
    numQubits,
    isSimulator: true,
    isLocal: true,
  });
  const readable = (languages: string[]) => languages.filter((l) => ENGINE_LANGUAGES.includes(l));
  return [
    {
      name: LOCAL_PROVIDER,
      withToken: false,
      languages: ENGINE_LANGUAGES,
      devices: [
        local(LOCAL_SIMULATOR, localDeviceQubits),
        {
          ...local(NOISY_SIMULATOR, Math.min(NOISY_SIMULATOR_QUBITS, localDeviceQubits)),
          noiseModel: DEFAULT_NOISE_MODEL,
        },
        // Device-like presets (docs/noise.md): noisy simulators too, with their own models.
        {
          ...local('noisy-superconducting', Math.min(NOISY_SIMULATOR_QUBITS, localDeviceQubits)),
          noiseModel: NOISE_PRESETS.superconducting,
        },
        {
          ...local('noisy-trapped-ion', Math.min(NOISY_SIMULATOR_QUBITS, localDeviceQubits)),
          noiseModel: NOISE_PRESETS.trappedIon,
        },
      ],
    },
    {
      // qunicorn-core's ibm_pilot seeds `aer_simulator` (Qiskit Aer, local); IBM jobs may bring a token.
      name: 'IBM',
      withToken: true,
      languages: readable(['QASM2', 'QASM3', 'QISKIT']),
      devices: [local('aer_simulator', localDeviceQubits)],
    },
    {
      // qunicorn-core's aws_pilot: the Braket SDK's LocalSimulator; AWS uses credentials, not a token.
      name: 'AWS',
      withToken: false,
      languages: readable(['QASM2', 'QASM3', 'BRAKET']),
      devices: [local('local_simulator', localDeviceQubits)],
    },
    {
      // qunicorn-core's rigetti_pilot: pyQuil's QVM, `get_qc("Nq-qvm")` with N qubits.
      name: 'RIGETTI',
      withToken: false,
      languages: readable(['QUIL', 'QASM2', 'QASM3']),
      devices: [2, 5, 9].map((n) => local(`${n}q-qvm`, Math.min(n, localDeviceQubits))),
    },
  ];
}
