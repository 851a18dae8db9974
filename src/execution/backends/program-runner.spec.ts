import { BELL_QASM2, SimulationAbortedError, SimulatorPool, sortedChunk, sortedChunkCount } from '../../quantum';
import { checkLanguages, preparePrograms, runPrograms, simulatorSeed, type RunLimits } from './program-runner';
import type { PresortedEntries } from '../../jobs/result-data';
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
  isLocal: true,
  providerDeviceId: null,
};
/** 1 KB of nested gate definitions that unroll to 2^n + 2^(n-1) + 2^(n-2) gates (issue #15). */
function nested(n: number): string {
  let src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\ngate g0 a { h a; }\n';
  for (let i = 1; i <= n; i++) src += `gate g${i} a { g${i - 1} a; g${i - 1} a; }\n`;
  return `${src}g${n} q[0]; g${n - 1} q[0]; g${n - 2} q[0];\nmeasure q -> c;\n`;
}
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

  // languages the engine does not read (QUIL, QISKIT, BRAKET and IONQ it does now)
  it.each(['QRISP', 'PYTHON'])('refuses %s, naming the languages the device runs', (lang) => {
    const f = failure(() =>
      preparePrograms([program(BELL), program('import os', lang, 1)], {
        ...device,
        acceptedLanguages: ['QASM2', 'QASM3', lang],
      }),
    );
    expect(f.message).toBe(`program 1 is written in ${lang}, which device LOCAL/sim cannot run (it runs QASM2, QASM3)`);
    expect(f.programId).toBe('p1');
  });

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
    expect(failure(() => checkLanguages([], device)).message).toBe('the deployment has no programs to run');
  });

  it('checkLanguages refuses a language before any program is parsed', () => {
    const f = failure(() =>
      checkLanguages([program('not even a program'), program(BELL, 'QRISP', 1)], {
        ...device,
        acceptedLanguages: ['QASM2', 'QRISP'],
      }),
    );
    expect(f.message).toBe('program 1 is written in QRISP, which device LOCAL/sim cannot run (it runs QASM2)');
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

describe('runPrograms (programs parsed and simulated in engine threads)', () => {
  const settings = {
    shots: 100,
    seed: 7,
    type: 'RUNNER' as const,
    observables: null,
    errorMitigation: 'none' as const,
  };
  const limits: RunLimits = {
    maxOperations: 100_000,
    maxJobOperations: 400_000,
    parseTimeoutMs: 60_000,
    threadHeapMb: 512,
  };
  let pool: SimulatorPool;
  let runProgram: SimulatorPool['runProgram'];
  beforeAll(() => {
    pool = new SimulatorPool({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    runProgram = pool.runProgram.bind(pool);
  });
  afterAll(() => pool.close());

  const rejection = async (p: Promise<unknown>): Promise<ProgramFailure> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    if (!(e instanceof ProgramFailure)) throw new Error(`expected a ProgramFailure, got ${String(e)}`);
    return e;
  };

  it('runs each program and reports progress from 0 to 1 without going back', async () => {
    const programs = [program(BELL), program(ghz(3), 'QASM2', 1)];
    const seen: number[] = [];
    const out = await runPrograms(runProgram, programs, settings, device, limits, { onProgress: (f) => seen.push(f) });
    expect(out.map((o) => o.programId)).toEqual(['p0', 'p1']);
    expect(out[0].results.map((r) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    expect(Object.keys(out[0].results[0].data).sort()).toEqual(['0x0', '0x3']);
    expect(Object.keys(out[1].results[0].data).sort()).toEqual(['0x0', '0x7']);
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });

  it('asks the engine for large distributions sorted and chunked (resultChunking), small ones whole', async () => {
    const entriesOf = (s: PresortedEntries) =>
      Array.from({ length: sortedChunkCount(s) }, (_, i) => JSON.parse(sortedChunk(s, i)) as [string, number][]).flat();
    const uniform = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q;\nmeasure q -> c;\n';
    const chunked = { ...limits, resultChunking: { inlineEntries: 4, chunkEntries: 3, maxEntries: 7 } };
    const [big, bell] = await runPrograms(
      runProgram,
      [program(uniform), program(BELL, 'QASM2', 1)],
      { ...settings, shots: 1000 },
      device,
      chunked,
    );
    for (const r of big.results) {
      // 1000 shots over 8 equally likely outcomes: all 8 are seen; 7 kept, 4 inline
      expect(r.sorted).toMatchObject({ entries: 8, keptEntries: 7, droppedEntries: 1, chunkEntries: 3 });
      const kept = entriesOf(r.sorted!);
      expect(kept).toHaveLength(7);
      for (let i = 1; i < kept.length; i++) expect(kept[i - 1][1]).toBeGreaterThanOrEqual(kept[i][1]);
      expect(Object.entries(r.data)).toEqual(kept.slice(0, 4));
    }
    const counts = big.results[0].sorted!;
    const kept = entriesOf(counts);
    expect(kept.reduce((s, [, n]) => s + n, 0) + counts.droppedWeight).toBe(1000);
    expect(bell.results.every((r) => r.sorted === undefined)).toBe(true);
    expect(Object.keys(bell.results[0].data).sort()).toEqual(['0x0', '0x3']);
  });

  it('reports parse errors with line and column, and a circuit wider than the device', async () => {
    const bad = await rejection(
      runPrograms(
        runProgram,
        [program(BELL), program('OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n', 'QASM2', 1)],
        settings,
        device,
        limits,
      ),
    );
    expect(bad.message).toMatch(/^program 1 does not parse: .*\(line 3, column \d+\)$/);
    expect(bad.programId).toBe('p1');
    expect(bad.extraData).toMatchObject({ line: 3 });
    const wide = await rejection(runPrograms(runProgram, [program(ghz(4))], settings, device, limits));
    expect(wide.message).toBe('program 0 uses 4 qubits, more than the 3 of device LOCAL/sim');
    expect(wide.extraData).toEqual({ qubits: 4, deviceQubits: 3 });
  });

  it('bounds the operations of one program (MAX_CIRCUIT_OPERATIONS) as the parser words it', async () => {
    const f = await rejection(runPrograms(runProgram, [program(nested(17))], settings, device, limits));
    expect(f.message).toMatch(
      /^program 0 does not parse: program too large: it expands to more than 100000 operations/,
    );
  });

  it('bounds the operations of the whole job (MAX_JOB_OPERATIONS), naming the limit and the program', async () => {
    // nested(15) is 57,345 operations: 6 fit in 400,000, the 7th does not
    const programs = Array.from({ length: 24 }, (_, i) => program(nested(15), 'QASM2', i));
    const f = await rejection(runPrograms(runProgram, programs, settings, device, limits));
    expect(f.message).toBe(
      'program 6 would take the job past its limit of 400000 operations in all (MAX_JOB_OPERATIONS): the programs before it expand to 344070, and it to more than the 55930 left',
    );
    expect(f.programId).toBe('p6');
    expect(f.extraData).toEqual({ limit: 'MAX_JOB_OPERATIONS', maxJobOperations: 400_000, operationsBefore: 344_070 });
  });

  it('ends a program whose parse takes too long (PARSE_TIMEOUT_SECONDS); the next run gets a fresh thread', async () => {
    const f = await rejection(
      runPrograms(runProgram, [program(nested(20))], settings, device, {
        ...limits,
        maxOperations: 2_000_000,
        maxJobOperations: 2_000_000,
        parseTimeoutMs: 100,
      }),
    );
    expect(f.message).toBe('program 0 took too long to parse: more than 0.1 s (PARSE_TIMEOUT_SECONDS)');
    const out = await runPrograms(runProgram, [program(BELL)], settings, device, limits);
    expect(Object.keys(out[0].results[0].data).sort()).toEqual(['0x0', '0x3']);
  });

  it('a program that needs more memory than a thread may use fails with the limit named (ENGINE_THREAD_HEAP_MB)', async () => {
    const small = new SimulatorPool({
      size: 1,
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    });
    try {
      const run = small.runProgram.bind(small);
      const big = { ...limits, maxOperations: 2_000_000, maxJobOperations: 8_000_000, threadHeapMb: 32 };
      const programs = [program(BELL), program(nested(19), 'QASM2', 1), program(BELL, 'QASM2', 2)];
      const f = await rejection(runPrograms(run, programs, settings, device, big));
      expect(f.message).toBe(
        'program 1 needs more memory than the 32 MB an engine thread may use (ENGINE_THREAD_HEAP_MB); its thread was replaced',
      );
      expect(f.programId).toBe('p1');
      const out = await runPrograms(run, [program(BELL)], settings, device, big);
      expect(Object.keys(out[0].results[0].data).sort()).toEqual(['0x0', '0x3']);
    } finally {
      await small.close();
    }
  });

  it('names the program the simulator failed on', async () => {
    const estimator = { ...settings, type: 'ESTIMATOR' as const, observables: [{ pauli: 'ZZZ' }] };
    await expect(runPrograms(runProgram, [program(BELL)], estimator, device, limits)).rejects.toMatchObject({
      name: 'ProgramFailure',
      programId: 'p0',
      message: expect.stringMatching(/^program 0 failed in the simulator: observable ZZZ has 3 Paulis/),
    });
  });

  it('passes an abort through as SimulationAbortedError', async () => {
    await expect(
      runPrograms(
        runProgram,
        [program(nested(20))],
        settings,
        device,
        { ...limits, maxOperations: 2_000_000 },
        {
          signal: AbortSignal.abort(),
        },
      ),
    ).rejects.toBeInstanceOf(SimulationAbortedError);
  });
});
