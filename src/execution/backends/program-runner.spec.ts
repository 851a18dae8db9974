import { BELL_QASM2, SimulationAbortedError, simulate } from '../../quantum';
import { preparePrograms, runPrograms, simulatorSeed } from './program-runner';
import { ProgramFailure, type ProgramSource, type TargetDevice } from './quantum-backend';

const BELL = BELL_QASM2;
const ghz = (n: number) =>
  `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${n}];\ncreg c[${n}];\nh q[0];\n${Array.from({ length: n - 1 }, (_, i) => `cx q[${i}], q[${i + 1}];`).join('\n')}\nmeasure q -> c;\n`;
const device: TargetDevice = {
  id: 'd',
  providerName: 'LOCAL',
  name: 'sim',
  numQubits: 3,
  acceptedLanguages: ['QASM2', 'QASM3'],
};
const program = (source: string, language = 'QASM2', position = 0): ProgramSource => ({
  id: `p${position}`,
  position,
  source,
  language,
});

function failure(f: () => unknown): ProgramFailure {
  try {
    f();
  } catch (err) {
    if (err instanceof ProgramFailure) return err;
    throw err;
  }
  throw new Error('expected a ProgramFailure');
}

describe('preparePrograms', () => {
  it('parses every program in order', () => {
    const circuits = preparePrograms([program(BELL), program(ghz(3), 'QASM2', 1)], device);
    expect(circuits.map((c) => c.numQubits)).toEqual([2, 3]);
  });

  it.each(['QISKIT', 'BRAKET', 'QUIL', 'QRISP', 'PYTHON'])(
    'refuses %s, naming the languages the device runs',
    (lang) => {
      const f = failure(() =>
        preparePrograms([program(BELL), program('import os', lang, 1)], {
          ...device,
          acceptedLanguages: ['QASM2', 'QASM3', lang],
        }),
      );
      expect(f.message).toBe(
        `program 1 is written in ${lang}, which device LOCAL/sim cannot run (it runs QASM2, QASM3)`,
      );
      expect(f.programId).toBe('p1');
    },
  );

  it('refuses a language the provider does not accept', () => {
    const f = failure(() => preparePrograms([program(BELL, 'QASM3')], { ...device, acceptedLanguages: ['QASM2'] }));
    expect(f.message).toBe('program 0 is written in QASM3, which device LOCAL/sim cannot run (it runs QASM2)');
  });

  it('reports parse errors with line and column', () => {
    const f = failure(() => preparePrograms([program('OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n')], device));
    expect(f.message).toMatch(/^program 0 does not parse: .*\(line 3, column \d+\)$/);
    expect(f.extraData).toMatchObject({ line: 3 });
  });

  it('refuses a circuit wider than the device', () => {
    const f = failure(() => preparePrograms([program(ghz(4))], device));
    expect(f.message).toBe('program 0 uses 4 qubits, more than the 3 of device LOCAL/sim');
  });

  it('refuses a deployment without programs', () => {
    expect(failure(() => preparePrograms([], device)).message).toBe('the deployment has no programs to run');
  });
});

describe('simulatorSeed', () => {
  it('keeps 32-bit seeds and folds larger ones into 32 bits', () => {
    expect(simulatorSeed(null)).toBeUndefined();
    expect(simulatorSeed(42)).toBe(42);
    expect(simulatorSeed(2 ** 32 + 5)).toBe(5);
    expect(simulatorSeed(Number.MAX_SAFE_INTEGER)).toBe(Number(BigInt(Number.MAX_SAFE_INTEGER) % 2n ** 32n));
  });
});

describe('runPrograms', () => {
  const settings = { shots: 100, seed: 7, type: 'RUNNER' as const, observables: null };
  const inline = async (req: Parameters<typeof simulate>[0]) => simulate(req);

  it('runs each program and reports progress from 0 to 1 without going back', async () => {
    const programs = [program(BELL), program(BELL, 'QASM2', 1)];
    const seen: number[] = [];
    const out = await runPrograms(inline, programs, preparePrograms(programs, device), settings, device, {
      onProgress: (f) => seen.push(f),
    });
    expect(out.map((o) => o.programId)).toEqual(['p0', 'p1']);
    expect(out[0].results.map((r) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });

  it('names the program the simulator failed on', async () => {
    const programs = [program(BELL)];
    const estimator = { ...settings, type: 'ESTIMATOR' as const, observables: [{ pauli: 'ZZZ' }] };
    await expect(
      runPrograms(inline, programs, preparePrograms(programs, device), estimator, device),
    ).rejects.toMatchObject({
      name: 'ProgramFailure',
      programId: 'p0',
      message: expect.stringMatching(/^program 0 failed in the simulator: observable ZZZ has 3 Paulis/),
    });
  });

  it('passes an abort through as SimulationAbortedError', async () => {
    const programs = [program(BELL)];
    const aborted = async () => {
      throw new SimulationAbortedError();
    };
    await expect(
      runPrograms(aborted, programs, preparePrograms(programs, device), settings, device),
    ).rejects.toBeInstanceOf(SimulationAbortedError);
  });
});
