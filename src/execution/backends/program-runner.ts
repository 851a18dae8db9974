import {
  canParse,
  CircuitError,
  CutError,
  ENGINE_LANGUAGES,
  ParseTimeoutError,
  parseProgram,
  ProgramTooWideError,
  SimulationWorkerError,
  type Circuit,
  type DistributionChunking,
  type MitigationMethod,
  type ProgramRequest,
  type ProgramRunOptions,
  type ProgramRunResult,
  type SimulationResult,
} from '../../quantum';
import {
  ProgramFailure,
  type ProgramResults,
  type ProgramSource,
  type RunSettings,
  type TargetDevice,
} from './quantum-backend';

/**
 * Runs one program, given as text, in the engine: parsed and simulated in a worker thread of the
 * pool in production (SimulatorPool.runProgram), so that this thread never holds its circuit.
 */
export type RunProgram = (req: ProgramRequest, opts: ProgramRunOptions) => Promise<ProgramRunResult>;

/** What one job may cost; the names of the settings are those of the README's configuration table. */
export interface RunLimits {
  /** Most operations one program may expand to (MAX_CIRCUIT_OPERATIONS). */
  maxOperations: number;
  /** Most operations the programs of one job may expand to together (MAX_JOB_OPERATIONS). */
  maxJobOperations: number;
  /** Longest the parse of one program may take (PARSE_TIMEOUT_SECONDS), in ms. */
  parseTimeoutMs?: number;
  /** The heap of an engine thread (ENGINE_THREAD_HEAP_MB), named when a program needs more. */
  threadHeapMb?: number;
  /**
   * How the engine answers large distributions: sorted and chunked in its thread, as the results
   * are stored (jobs' presortedChunking of RESULT_INLINE_ENTRIES and MAX_RESULT_ENTRIES), so that
   * saving them does no per-entry work on this thread. Without it, whole `data` maps come back.
   */
  resultChunking?: DistributionChunking;
}

/** The simulator's seed is 32 bits; a job's seed may be any safe integer and is folded into that range. */
export function simulatorSeed(seed: number | null): number | undefined {
  if (seed === null) return undefined;
  return Number(BigInt(seed) % 2n ** 32n);
}

const label = (device: TargetDevice) => `${device.providerName}/${device.name}`;

/**
 * Checks, before any program runs, that there are programs and that the device and the engine
 * read the language of each. Throws ProgramFailure.
 */
export function checkLanguages(programs: ProgramSource[], device: TargetDevice): void {
  if (programs.length === 0) throw new ProgramFailure('the deployment has no programs to run', null);
  const runnable = ENGINE_LANGUAGES.filter((l) => device.acceptedLanguages.includes(l));
  for (const program of programs) {
    const lang = program.language;
    if (!device.acceptedLanguages.includes(lang) || !canParse(lang)) {
      throw new ProgramFailure(
        `program ${program.position} is written in ${lang}, which device ${label(device)} cannot run (it runs ${runnable.length > 0 ? runnable.join(', ') : 'no language this service can execute'})`,
        program.id,
        undefined,
        { assemblerLanguage: lang, acceptedLanguages: runnable },
      );
    }
  }
}

/**
 * Parses every program in this thread and returns the circuits, after the checks of checkLanguages
 * and against the device's width. For benchmarks and tests of the parser's cost only: jobs go
 * through runPrograms, which parses in the engine's threads.
 */
export function preparePrograms(programs: ProgramSource[], device: TargetDevice, maxOperations?: number): Circuit[] {
  checkLanguages(programs, device);
  return programs.map((program) => {
    let circuit: Circuit;
    try {
      circuit = parseProgram(program.language, program.source, { maxOperations });
    } catch (err) {
      throw programFailure(
        program,
        device,
        err,
        { maxOperations: maxOperations ?? Infinity, maxJobOperations: Infinity },
        0,
      );
    }
    if (circuit.numQubits > device.numQubits) {
      throw programFailure(
        program,
        device,
        new ProgramTooWideError(circuit.numQubits, device.numQubits),
        {
          maxOperations: Infinity,
          maxJobOperations: Infinity,
        },
        0,
      );
    }
    return circuit;
  });
}

/** The ProgramFailure that tells why `program` could not run, from what the engine threw. */
function programFailure(
  program: ProgramSource,
  device: TargetDevice,
  err: unknown,
  limits: RunLimits,
  operationsBefore: number,
): ProgramFailure {
  const where = `program ${program.position}`;
  if (err instanceof CircuitError) {
    const left = limits.maxJobOperations - operationsBefore;
    if (err.code === 'TOO_MANY_OPERATIONS' && left < limits.maxOperations) {
      return new ProgramFailure(
        `${where} would take the job past its limit of ${limits.maxJobOperations} operations in all (MAX_JOB_OPERATIONS): the programs before it expand to ${operationsBefore}, and it to more than the ${left} left`,
        program.id,
        err,
        { limit: 'MAX_JOB_OPERATIONS', maxJobOperations: limits.maxJobOperations, operationsBefore },
      );
    }
    return new ProgramFailure(`${where} does not parse: ${err.message}`, program.id, err, {
      line: err.line,
      column: err.column,
    });
  }
  if (err instanceof ProgramTooWideError) {
    return new ProgramFailure(
      `${where} uses ${err.qubits} qubits, more than the ${device.numQubits} of device ${label(device)}`,
      program.id,
      undefined,
      { qubits: err.qubits, deviceQubits: device.numQubits },
    );
  }
  if (err instanceof CutError) {
    return new ProgramFailure(`${where} cannot be cut as asked (cutToWidth): ${err.message}`, program.id, err, {
      field: 'cutToWidth',
      reason: err.reason,
      ...(err.subexperiments !== undefined && { subexperiments: err.subexperiments, limit: err.limit }),
    });
  }
  if (err instanceof ParseTimeoutError) {
    return new ProgramFailure(
      `${where} took too long to parse: more than ${err.timeoutMs / 1000} s (PARSE_TIMEOUT_SECONDS)`,
      program.id,
      err,
      { limit: 'PARSE_TIMEOUT_SECONDS', parseTimeoutMs: err.timeoutMs },
    );
  }
  if (err instanceof SimulationWorkerError && err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    const heap = limits.threadHeapMb !== undefined ? `the ${limits.threadHeapMb} MB ` : 'the heap ';
    return new ProgramFailure(
      `${where} needs more memory than ${heap}an engine thread may use (ENGINE_THREAD_HEAP_MB); its thread was replaced`,
      program.id,
      err,
      { limit: 'ENGINE_THREAD_HEAP_MB', threadHeapMb: limits.threadHeapMb },
    );
  }
  const e = err as Error;
  return new ProgramFailure(`${where} failed in the simulator: ${e?.message ?? String(err)}`, program.id, err, {
    errorType: e?.name ?? 'Error',
  });
}

/**
 * Runs the programs one after the other in the engine, each parsed and simulated in an engine
 * thread, reporting overall progress (0..1) as it goes. Each program may expand to
 * `limits.maxOperations`, all of them together to `limits.maxJobOperations`: a program is parsed
 * with what is left of the job's budget. An abort rejects with the engine's SimulationAbortedError;
 * any other failure is a ProgramFailure naming the program (and the limit, when one was reached).
 */
export async function runPrograms(
  runProgram: RunProgram,
  programs: ProgramSource[],
  settings: RunSettings,
  device: TargetDevice,
  limits: RunLimits,
  opts: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {},
): Promise<ProgramResults[]> {
  checkLanguages(programs, device);
  const out: ProgramResults[] = [];
  const n = programs.length;
  let operations = 0;
  for (let i = 0; i < n; i++) {
    const program = programs[i];
    const maxOperations = Math.min(limits.maxOperations, limits.maxJobOperations - operations);
    const req: ProgramRequest = {
      program: { language: program.language, source: program.source, maxOperations },
      shots: settings.shots,
      seed: simulatorSeed(settings.seed),
      type: settings.type,
      observables: settings.observables ?? undefined,
      maxQubits: device.numQubits,
      chunking: limits.resultChunking,
    };
    // Circuit cutting, in the engine thread (admitted on ideal local devices only: JobsService).
    if (settings.cutToWidth != null) req.cutToWidth = settings.cutToWidth;
    // A noisy device runs on the noisy engine, which also applies the job's mitigation (admitted
    // only where it applies: jobs' localMitigationProblem).
    if (device.noiseModel) {
      req.noise = device.noiseModel;
      if (settings.errorMitigation !== 'none') req.errorMitigation = settings.errorMitigation as MitigationMethod;
    }
    opts.onProgress?.(i / n);
    let results: SimulationResult[];
    try {
      const onProgress = opts.onProgress;
      const run = await runProgram(req, {
        signal: opts.signal,
        parseTimeoutMs: limits.parseTimeoutMs,
        onProgress: onProgress ? (f) => onProgress((i + f) / n) : undefined,
      });
      results = run.results;
      operations += run.operations;
    } catch (err) {
      if ((err as Error)?.name === 'SimulationAbortedError') throw err;
      throw programFailure(program, device, err, limits, operations);
    }
    out.push({ programId: program.id, results });
  }
  opts.onProgress?.(1);
  return out;
}
