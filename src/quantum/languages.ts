import type { Circuit } from './circuit/circuit';
import { parseQasm } from './qasm';

/**
 * The language front ends of the engine: program text in one language, circuit IR out. One entry a
 * language; `parseProgram` is what the rest of the world calls. Adding a language is adding a
 * {@link FrontEnd} to {@link FRONT_ENDS} (see README.md, "Adding a language").
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

const FRONT_ENDS: ReadonlyMap<string, FrontEnd> = new Map(
  (
    [
      { language: 'QASM2', parse: (source, options) => parseQasm(source, 'QASM2', options) },
      { language: 'QASM3', parse: (source, options) => parseQasm(source, 'QASM3', options) },
    ] satisfies FrontEnd[]
  ).map((f) => [f.language, f]),
);

/** The languages the engine reads, in the order of {@link FRONT_ENDS}. */
export const ENGINE_LANGUAGES: readonly string[] = [...FRONT_ENDS.keys()];

/** Whether the engine has a front end for `language`. */
export function canParse(language: string): boolean {
  return FRONT_ENDS.has(language);
}

/** A language the engine has no front end for. */
export class UnsupportedLanguageError extends Error {
  override readonly name = 'UnsupportedLanguageError';
  constructor(readonly language: string) {
    super(`the engine cannot read ${language} programs (it reads ${ENGINE_LANGUAGES.join(', ')})`);
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
