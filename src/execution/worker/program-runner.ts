import { CircuitError, type Circuit } from '../circuit/circuit';
import { parseQasm, type QasmLanguage } from '../qasm';
import type { JobType, Observable, PoolRunOptions, SimulationRequest, SimulationResult } from '../simulator';

/** Languages this service can execute itself. Anything else (QISKIT, BRAKET, QUIL, PYTHON, ...) is refused: user code never runs here. */
export const EXECUTABLE_LANGUAGES: readonly QasmLanguage[] = ['QASM2', 'QASM3'];

export interface ProgramToRun {
  id: string;
  position: number;
  quantumCircuit: string;
  assemblerLanguage: string;
}

export interface DeviceToRunOn {
  /** `provider/device`, for messages. */
  label: string;
  numQubits: number;
  /** The provider's supportedLanguages. */
  acceptedLanguages: readonly string[];
}

export interface RunSettings {
  shots: number;
  seed: number | null;
  type: JobType;
  observables: Observable[] | null;
}

/** A program's results, in the simulator's {resultType, data, meta} shape. */
export interface ProgramResults {
  programId: string;
  results: SimulationResult[];
}

/** Why a job could not run, naming the program at fault (null when it is about the job as a whole). */
export class ProgramFailure extends Error {
  override readonly name = 'ProgramFailure';
  constructor(
    message: string,
    readonly programId: string | null,
    override readonly cause?: unknown,
    readonly extraData: Record<string, unknown> = {},
  ) {
    super(message);
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${message}\nCaused by: ${cause.stack}`;
  }
}

export type Simulate = (req: SimulationRequest, opts: PoolRunOptions) => Promise<SimulationResult[]>;

/** The simulator's seed is 32 bits; a job's seed may be any safe integer and is folded into that range. */
export function simulatorSeed(seed: number | null): number | undefined {
  if (seed === null || seed === undefined) return undefined;
  return Number(BigInt(seed) % 2n ** 32n);
}

/**
 * Checks every program before any runs: the device accepts its language, this service can execute
 * it, it parses, and it fits the device. Returns the circuits in program order; throws ProgramFailure.
 */
export function preparePrograms(programs: ProgramToRun[], device: DeviceToRunOn): Circuit[] {
  if (programs.length === 0) throw new ProgramFailure('the deployment has no programs to run', null);
  const runnable = EXECUTABLE_LANGUAGES.filter((l) => device.acceptedLanguages.includes(l));
  return programs.map((program) => {
    const lang = program.assemblerLanguage;
    const where = `program ${program.position}`;
    if (!device.acceptedLanguages.includes(lang) || !(EXECUTABLE_LANGUAGES as readonly string[]).includes(lang)) {
      throw new ProgramFailure(
        `${where} is written in ${lang}, which device ${device.label} cannot run (it runs ${runnable.length > 0 ? runnable.join(', ') : 'no language this service can execute'})`,
        program.id,
        undefined,
        { assemblerLanguage: lang, acceptedLanguages: runnable },
      );
    }
    let circuit: Circuit;
    try {
      circuit = parseQasm(program.quantumCircuit, lang as QasmLanguage);
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
        `${where} uses ${circuit.numQubits} qubits, more than the ${device.numQubits} of device ${device.label}`,
        program.id,
        undefined,
        { qubits: circuit.numQubits, deviceQubits: device.numQubits },
      );
    }
    return circuit;
  });
}

/**
 * Runs the programs one after the other in the simulator, reporting overall progress (0..1) as it
 * goes. An abort rejects with the simulator's SimulationAbortedError; any other failure is a
 * ProgramFailure naming the program.
 */
export async function runPrograms(
  simulate: Simulate,
  programs: ProgramToRun[],
  circuits: Circuit[],
  settings: RunSettings,
  device: DeviceToRunOn,
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
      results = await simulate(req, {
        signal: opts.signal,
        onProgress: opts.onProgress ? (f) => opts.onProgress!((i + f) / n) : undefined,
      });
    } catch (err) {
      if ((err as Error)?.name === 'SimulationAbortedError') throw err;
      const e = err as Error;
      throw new ProgramFailure(
        `program ${program.position} failed in the simulator: ${e?.message ?? String(err)}`,
        program.id,
        err,
        {
          errorType: e?.name ?? 'Error',
        },
      );
    }
    out.push({ programId: program.id, results });
  }
  opts.onProgress?.(1);
  return out;
}
