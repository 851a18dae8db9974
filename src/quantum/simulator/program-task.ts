import { childBodies, isDynamic, type Circuit, type Op, type Register } from '../circuit/circuit';
import { EMITTED_LANGUAGES, emitProgram, parseProgram, UnsupportedLanguageError, type Translation } from '../languages';
import { measurementsAreTerminal } from './program';
import { checkChunking, chunkDistributions } from './distribution';
import { ProgramTooWideError, SimulationInputError, SimulationLimitError } from './errors';
import type { NoiseModel } from '../noise/model';
import { simulateNoisy, type MitigationMethod } from '../noise/run';
import { simulate } from './simulate';
import type { CutSummary } from '../cutting/plan';
import { planForJob, simulateCut } from '../cutting/cut';
import type { DistributionChunking, SimulateOptions, SimulationRequest, SimulationResult } from './types';

/**
 * The tasks a pool thread runs from program text, so that the thread that asked never holds the
 * unrolled circuit: `parse` (validation: does it parse, and how large is it), `program` (parse,
 * then simulate) and `translate` (parse, then emit in another language). All run in the calling
 * thread here; SimulatorPool runs them in its workers.
 */

/** A program as text, in one of the engine's languages (ENGINE_LANGUAGES). */
export interface ProgramText {
  language: string;
  source: string;
  /** Most operations the program may expand to (loops unrolled, gates inlined); see ParseOptions. */
  maxOperations?: number;
  /**
   * Plan a circuit cut too (parseTask only): where the program is wider than `width`, ParseSummary's
   * `cut` answers the plan's size, or planCuts throws CutError (too many sub-experiments, ...). With
   * `observables` (an ESTIMATOR job's), the circuit measured in each one's basis is planned.
   */
  planCut?: { width: number; maxSubexperiments?: number; observables?: string[] };
}

/** What a parse found: the circuit's size, without the circuit. */
export interface ParseSummary {
  /** Operations of the circuit, those inside conditionals included. */
  operations: number;
  numQubits: number;
  numClbits: number;
  /** Time the parse took in its thread. */
  parseMs: number;
  /** With ProgramText's `planCut`: the plan's size, or null when the program is no wider than the width. */
  cut?: CutSummary | null;
}

/**
 * A simulation of a program given as text: the SimulationRequest with `program` for `circuit`, and
 * optionally `chunking`: distributions of more than `chunking.inlineEntries` entries are answered
 * sorted and chunked in the thread that ran them (`sorted`, see DistributionChunking), so that the
 * thread that asked receives a few strings instead of an object of as many keys as outcomes.
 */
export type ProgramRequest = Omit<SimulationRequest, 'circuit'> & {
  program: ProgramText;
  chunking?: DistributionChunking;
  /**
   * Circuit cutting (cutting/cut.ts simulateCut): a program wider than this runs as fragments of at
   * most this many qubits, recombined; the results' `meta.cut` says how. The program itself may then
   * be wider than `maxQubits` (the width may not).
   */
  cutToWidth?: number;
  /** The most sub-experiments a cut may need (default MAX_CUT_SUBEXPERIMENTS); more: CutError. */
  maxSubexperiments?: number;
  /**
   * The device's noise model: the program runs on the noisy engine (../noise: density matrix, or
   * trajectories above `densityMaxQubits`), its measurements all at the end.
   */
  noise?: NoiseModel;
  /** With `noise`: the mitigation to apply (the extra circuits run in this thread too). */
  errorMitigation?: MitigationMethod;
  /** With `noise`: the widest circuit simulated by density matrix (default DENSITY_MAX_QUBITS). */
  densityMaxQubits?: number;
};

export interface ProgramRunResult extends ParseSummary {
  results: SimulationResult[];
}

/** Operations of a circuit, counting those inside conditionals and loops (each once). */
export function countOperations(ops: readonly Op[]): number {
  let n = 0;
  for (const op of ops) {
    n++;
    for (const body of childBodies(op)) n += countOperations(body);
  }
  return n;
}

function parseText(program: ProgramText): { circuit: Circuit; summary: ParseSummary } {
  const t0 = performance.now();
  const circuit = parseProgram(program.language, program.source, { maxOperations: program.maxOperations });
  const summary: ParseSummary = {
    operations: countOperations(circuit.ops),
    numQubits: circuit.numQubits,
    numClbits: circuit.numClbits,
    parseMs: performance.now() - t0,
  };
  return { circuit, summary };
}

/**
 * Parses a program and answers its size. Throws CircuitError (line, column, reason, code) or
 * UnsupportedLanguageError, as parseProgram does.
 */
export function parseTask(program: ProgramText): ParseSummary {
  const { circuit, summary } = parseText(program);
  if (program.planCut !== undefined) {
    const { width, maxSubexperiments, observables } = program.planCut;
    summary.cut = planForJob(circuit, width, { maxSubexperiments, observables });
  }
  return summary;
}

/**
 * Parses the program, calls `onParsed` with its size, refuses it with ProgramTooWideError when it
 * has more qubits than `req.maxQubits`, and simulates it; with `req.chunking`, large distributions
 * come back sorted and chunked (chunkDistributions). The circuit is dropped when this returns.
 */
export function programTask(
  req: ProgramRequest,
  opts: SimulateOptions & { onParsed?: (summary: ParseSummary) => void } = {},
): ProgramRunResult {
  const { program, chunking, noise, errorMitigation, densityMaxQubits, cutToWidth, maxSubexperiments, ...rest } = req;
  if (chunking !== undefined) checkChunking(chunking);
  const { circuit, summary } = parseText(program);
  opts.onParsed?.(summary);
  // A cut program may be wider than the device: its fragments are at most cutToWidth <= maxQubits wide.
  if (cutToWidth === undefined && circuit.numQubits > req.maxQubits) {
    throw new ProgramTooWideError(circuit.numQubits, req.maxQubits);
  }
  const simOpts = { signal: opts.signal, onProgress: opts.onProgress };
  if (cutToWidth !== undefined && noise !== undefined) {
    throw new SimulationInputError(
      'circuit cutting (cutToWidth) runs on the ideal statevector simulator, not on a noisy device',
    );
  }
  if (noise === undefined && errorMitigation !== undefined) {
    throw new SimulationInputError(`errorMitigation ${errorMitigation} needs a noisy device (a noise model)`);
  }
  const results =
    noise !== undefined
      ? simulateNoisy({ ...rest, circuit, noise, errorMitigation, densityMaxQubits }, simOpts)
      : cutToWidth !== undefined
        ? simulateCut({ ...rest, circuit }, { width: cutToWidth, maxSubexperiments }, simOpts)
        : simulate({ ...rest, circuit }, simOpts);
  return { ...summary, results: chunking ? chunkDistributions(results, chunking) : results };
}

/** A translation of a program given as text: {@link ProgramText} and the language to write it in. */
export interface TranslateRequest extends ProgramText {
  /** The target language (one of EMITTED_LANGUAGES). */
  to: string;
  /** Longest translated text (in UTF-16 code units) answered; a longer one is a SimulationLimitError. */
  maxLength?: number;
  /** Answer the circuit's layout too (what a provider adapter needs to read the provider's results). */
  withLayout?: boolean;
}

/**
 * The classical side of a circuit, as a provider adapter needs it to map a cloud's answer to the
 * formats of our results (formatOutcomes): its registers, and which qubit each clbit is measured from.
 */
export interface CircuitLayout {
  numQubits: number;
  numClbits: number;
  /** The classical registers in declaration order (offset = first clbit). */
  cregs: Register[];
  /**
   * Where every measurement is terminal: the measurements in program order (a later one of the same
   * clbit wins). Null for a circuit that measures mid-circuit, resets, or computes per shot.
   */
  measurements: { qubit: number; clbit: number }[] | null;
  /** The circuit computes per shot (classical variables, control flow on measured values). */
  dynamic: boolean;
}

export interface LaidOutTranslation extends Translation {
  layout?: CircuitLayout;
}

/**
 * Translates a program (parse, then emit). Throws as translateProgram does: UnsupportedLanguageError
 * (role 'read' or 'write'), CircuitError (line, column, reason, code) or TranslationError (construct);
 * and SimulationLimitError for a text longer than `req.maxLength`, so that it never leaves the thread.
 */
export function translateTask(req: TranslateRequest): LaidOutTranslation {
  if (!EMITTED_LANGUAGES.includes(req.to)) throw new UnsupportedLanguageError(req.to, 'write');
  const circuit = parseProgram(req.language, req.source, { maxOperations: req.maxOperations });
  const { text, warnings } = emitProgram(req.to, circuit);
  if (req.maxLength !== undefined && text.length > req.maxLength) {
    throw new SimulationLimitError(
      `the translation is ${text.length} characters long, more than the ${req.maxLength} an answer may hold`,
    );
  }
  const translation: LaidOutTranslation = { language: req.to, quantumCircuit: text, warnings };
  if (req.withLayout) translation.layout = layoutOf(circuit);
  return translation;
}

function layoutOf(circuit: Circuit): CircuitLayout {
  const terminal = measurementsAreTerminal(circuit.ops);
  return {
    numQubits: circuit.numQubits,
    numClbits: circuit.numClbits,
    cregs: circuit.cregs.map((r) => ({ name: r.name, size: r.size, offset: r.offset })),
    measurements: terminal
      ? circuit.ops.flatMap((op) => (op.kind === 'measure' ? [{ qubit: op.qubit, clbit: op.clbit }] : []))
      : null,
    dynamic: isDynamic(circuit.ops),
  };
}
