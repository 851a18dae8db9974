import { CircuitError, type Circuit } from '../circuit/circuit';
import type { Emitted } from '../languages';
import { emit } from './emit';
import { tokenize } from './lexer';
import { Lowerer } from './lower';
import { Parser } from './parser';

/**
 * Quil (Rigetti's instruction language): program text in, circuit IR out, and back. See README.md
 * in this folder for the supported subset and how each construct is lowered.
 */

export interface QuilOptions {
  /** Most operations the program may expand to (DEFCIRCUITs inlined, modifiers applied). Default 10,000,000. */
  maxOperations?: number;
}

export const DEFAULT_MAX_OPERATIONS = 10_000_000;

/** Parses a Quil program. Throws only CircuitError, with the 1-based line and column at fault. */
export function parseQuil(source: string, options: QuilOptions = {}): Circuit {
  let lowerer: Lowerer | undefined;
  try {
    if (typeof source !== 'string') throw new CircuitError('the program must be a string', 1, 1);
    const max = options?.maxOperations ?? DEFAULT_MAX_OPERATIONS;
    if (typeof max !== 'number' || !(max >= 0)) {
      throw new CircuitError(`maxOperations must be a non-negative number, not ${String(max)}`, 1, 1);
    }
    const program = new Parser(tokenize(source)).parseProgram();
    lowerer = new Lowerer(program, max);
    return lowerer.lower();
  } catch (err) {
    if (err instanceof CircuitError) throw err;
    const at = lowerer?.position ?? { line: 1, col: 1 };
    if (err instanceof RangeError) throw new CircuitError('program too large or too deeply nested', at.line, at.col);
    throw new CircuitError(`internal error: ${err instanceof Error ? err.message : String(err)}`, at.line, at.col);
  }
}

/** Writes a circuit as Quil that parseQuil (and pyQuil) read back. Throws TranslationError. */
export function emitQuil(circuit: Circuit): Emitted {
  return emit(circuit);
}
