import {
  canParse,
  CircuitError,
  ENGINE_LANGUAGES,
  parseProgram,
  type Circuit,
  type PoolRunOptions,
  type SimulationRequest,
  type SimulationResult,
} from '../../quantum';
import {
  ProgramFailure,
  type ProgramResults,
  type ProgramSource,
  type RunSettings,
  type TargetDevice,
} from './quantum-backend';

/** Runs one circuit in the engine (the worker pool in production, `simulate` inline in tests). */
export type Simulate = (req: SimulationRequest, opts: PoolRunOptions) => Promise<SimulationResult[]>;

/** The simulator's seed is 32 bits; a job's seed may be any safe integer and is folded into that range. */
export function simulatorSeed(seed: number | null): number | undefined {
  if (seed === null) return undefined;
  return Number(BigInt(seed) % 2n ** 32n);
}

const label = (device: TargetDevice) => `${device.providerName}/${device.name}`;

/**
 * Checks every program before any runs: the device accepts its language, the engine reads it, it
 * parses, and it fits the device. Returns the circuits in program order; throws ProgramFailure.
 */
export function preparePrograms(programs: ProgramSource[], device: TargetDevice, maxOperations?: number): Circuit[] {
  if (programs.length === 0) throw new ProgramFailure('the deployment has no programs to run', null);
  const runnable = ENGINE_LANGUAGES.filter((l) => device.acceptedLanguages.includes(l));
  return programs.map((program) => {
    const lang = program.language;
    const where = `program ${program.position}`;
    if (!device.acceptedLanguages.includes(lang) || !canParse(lang)) {
      throw new ProgramFailure(
        `${where} is written in ${lang}, which device ${label(device)} cannot run (it runs ${runnable.length > 0 ? runnable.join(', ') : 'no language this service can execute'})`,
        program.id,
        undefined,
        { assemblerLanguage: lang, acceptedLanguages: runnable },
      );
    }
    let circuit: Circuit;
    try {
      circuit = parseProgram(lang, program.source, { maxOperations });
    } catch (err) {
      if (err instanceof CircuitError) {
        throw new ProgramFailure(`${where} does not parse: ${err.message}`, program.id, err, {
          line: err.line,
          column: err.column,
        });
      }
      throw new ProgramFailure(
        `${where} could not be parsed: ${String((err as Error)?.message ?? err)}`,
        program.id,
        err,
      );
    }
    if (circuit.numQubits > device.numQubits) {
      throw new ProgramFailure(
        `${where} uses ${circuit.numQubits} qubits, more than the ${device.numQubits} of device ${label(device)}`,
        program.id,
        undefined,
        { qubits: circuit.numQubits, deviceQubits: device.numQubits },
      );
    }
    return circuit;
  });
}

/**
 * Runs the programs one after the other in the engine, reporting overall progress (0..1) as it
 * goes. An abort rejects with the engine's SimulationAbortedError; any other failure is a
 * ProgramFailure naming the program.
 */
export async function runPrograms(
  simulate: Simulate,
  programs: ProgramSource[],
  circuits: Circuit[],
  settings: RunSettings,
  device: TargetDevice,
  opts: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<ProgramResults[]> {
  const out: ProgramResults[] = [];
  const n = programs.length;
  for (let i = 0; i < n; i++) {
    const program = programs[i];
    const req: SimulationRequest = {
      circuit: circuits[i],
      shots: settings.shots,
      seed: simulatorSeed(settings.seed),
      type: settings.type,
      observables: settings.observables ?? undefined,
      maxQubits: device.numQubits,
    };
    opts.onProgress?.(i / n);
    let results: SimulationResult[];
    try {
      const onProgress = opts.onProgress;
      results = await simulate(req, {
        signal: opts.signal,
        onProgress: onProgress ? (f) => onProgress((i + f) / n) : undefined,
      });
    } catch (err) {
      if ((err as Error)?.name === 'SimulationAbortedError') throw err;
      const e = err as Error;
      throw new ProgramFailure(
        `program ${program.position} failed in the simulator: ${e?.message ?? String(err)}`,
        program.id,
        err,
        { errorType: e?.name ?? 'Error' },
      );
    }
    out.push({ programId: program.id, results });
  }
  opts.onProgress?.(1);
  return out;
}
