import type { Circuit } from './circuit/circuit';
import { emitQasm2, emitQasm3 } from './emit';
import { emitIonq, parseIonq } from './ionq';
import { emitBraket, emitQiskit, looksLikePyQuil, parseBraket, parsePyQuil, parseQiskit } from './python';
import { parseQasm } from './qasm';
import { emitQuil, parseQuil } from './quil';

/**
 * The languages of the engine: front ends (program text in one language → circuit IR) and
 * emitters (circuit IR → program text). `parseProgram` and `translateProgram` are what the rest of
 * the world calls. Adding a language is adding a {@link FrontEnd} to {@link FRONT_ENDS} and, when it
 * can be written, an {@link Emitter} to {@link EMITTERS} (see README.md, "Adding a language").
 */

export interface ParseOptions {
  /**
   * Most operations a program may expand to (loops unrolled, gates inlined, modifiers applied);
   * loop iterations count too. Default 10,000,000.
   */
  maxOperations?: number;
}

export interface FrontEnd {
  /** The language's name as programs are stored with it (qunicorn-core's `assemblerLanguage`). */
  readonly language: string;
  /** Parses a whole program. Throws only CircuitError, with the line and column at fault. */
  parse(source: string, options?: ParseOptions): Circuit;
}

/** A program written by an emitter, with what it had to change to express the circuit. */
export interface Emitted {
  text: string;
  /** Decompositions and dropped no-ops, one sentence each ("ccx decomposed into cx and u3"). */
  warnings: string[];
}

export interface Emitter {
  readonly language: string;
  /**
   * Writes `circuit` in the emitter's language so that it runs with the same distribution. Throws
   * {@link TranslationError} for a construct the language cannot express.
   */
  emit(circuit: Circuit): Emitted;
}

/** A circuit holds a construct the target language cannot express (mid-circuit measurement in IonQ JSON, ...). */
export class TranslationError extends Error {
  override readonly name = 'TranslationError';
  constructor(
    /** The construct, in a few words ("classical control", "reset"). */
    readonly construct: string,
    readonly language: string,
    detail?: string,
  ) {
    super(`${language} cannot express ${construct}${detail ? `: ${detail}` : ''}`);
  }
}

const FRONT_ENDS: ReadonlyMap<string, FrontEnd> = new Map(
  (
    [
      { language: 'QASM2', parse: (source, options) => parseQasm(source, 'QASM2', options) },
      { language: 'QASM3', parse: (source, options) => parseQasm(source, 'QASM3', options) },
      {
        // Quil text, or pyQuil builder code (`Program(H(0), CNOT(0, 1))`), which is read as the Quil it builds.
        language: 'QUIL',
        parse: (source, options) =>
          looksLikePyQuil(source) ? parsePyQuil(source, options) : parseQuil(source, options),
      },
      { language: 'IONQ', parse: (source, options) => parseIonq(source, options) },
      { language: 'QISKIT', parse: (source, options) => parseQiskit(source, options) },
      { language: 'BRAKET', parse: (source, options) => parseBraket(source, options) },
    ] satisfies FrontEnd[]
  ).map((f) => [f.language, f]),
);

const EMITTERS: ReadonlyMap<string, Emitter> = new Map(
  (
    [
      { language: 'QUIL', emit: (circuit) => emitQuil(circuit) },
      { language: 'QASM3', emit: (circuit) => emitQasm3(circuit) },
      { language: 'QASM2', emit: (circuit) => emitQasm2(circuit) },
      { language: 'IONQ', emit: (circuit) => emitIonq(circuit) },
      { language: 'QISKIT', emit: (circuit) => emitQiskit(circuit) },
      { language: 'BRAKET', emit: (circuit) => emitBraket(circuit) },
    ] satisfies Emitter[]
  ).map((e) => [e.language, e]),
);

/** The languages the engine reads, in the order of {@link FRONT_ENDS}. */
export const ENGINE_LANGUAGES: readonly string[] = [...FRONT_ENDS.keys()];

/** The languages the engine writes (targets of {@link translateProgram}). */
export const EMITTED_LANGUAGES: readonly string[] = [...EMITTERS.keys()];

/** Whether the engine has a front end for `language`. */
export function canParse(language: string): boolean {
  return FRONT_ENDS.has(language);
}

/** A language the engine has no front end (or, for a translation's target, no emitter) for. */
export class UnsupportedLanguageError extends Error {
  override readonly name = 'UnsupportedLanguageError';
  constructor(
    readonly language: string,
    readonly role: 'read' | 'write' = 'read',
  ) {
    super(
      role === 'read'
        ? `the engine cannot read ${language} programs (it reads ${ENGINE_LANGUAGES.join(', ')})`
        : `the engine cannot write ${language} programs (it writes ${EMITTED_LANGUAGES.join(', ')})`,
    );
  }
}

/**
 * Parses `source` as a program in `language`. Throws {@link UnsupportedLanguageError} for a language
 * without front end, and {@link CircuitError} (line, column, reason) for a program that does not parse.
 */
export function parseProgram(language: string, source: string, options?: ParseOptions): Circuit {
  const frontEnd = FRONT_ENDS.get(language);
  if (!frontEnd) throw new UnsupportedLanguageError(language);
  return frontEnd.parse(source, options);
}

/** Writes a circuit in `language`. Throws UnsupportedLanguageError (role 'write') or TranslationError. */
export function emitProgram(language: string, circuit: Circuit): Emitted {
  const emitter = EMITTERS.get(language);
  if (!emitter) throw new UnsupportedLanguageError(language, 'write');
  return emitter.emit(circuit);
}

export interface Translation {
  language: string;
  quantumCircuit: string;
  warnings: string[];
}

/**
 * Translates a program from one language to another through the circuit IR, keeping its
 * distribution (not its text: user gates are inlined, loops unrolled). Throws
 * UnsupportedLanguageError, CircuitError (the source does not parse) or TranslationError.
 */
export function translateProgram(from: string, to: string, source: string, options?: ParseOptions): Translation {
  if (!EMITTERS.has(to)) throw new UnsupportedLanguageError(to, 'write');
  const circuit = parseProgram(from, source, options);
  const { text, warnings } = emitProgram(to, circuit);
  return { language: to, quantumCircuit: text, warnings };
}
