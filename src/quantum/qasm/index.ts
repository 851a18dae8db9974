import { CircuitError, type Circuit } from '../circuit/circuit';
import { tokenize } from './lexer';
import { Lowerer } from './lower';
import { Lowerer3 } from './lower3';
import { Parser } from './parser';
import { Parser3 } from './parser3';

/**
 * OpenQASM 2 and 3 front ends: program text in, circuit IR out. See README.md in this folder for
 * what is supported and how each construct is lowered.
 */

export type QasmLanguage = 'QASM2' | 'QASM3';

export interface QasmOptions {
  /**
   * Most operations a program may expand to (loops unrolled, gates inlined, modifiers applied);
   * loop iterations count too. Default 10,000,000.
   */
  maxOperations?: number;
}

export const DEFAULT_MAX_OPERATIONS = 10_000_000;

/** Skips whitespace and comments; returns the offset of the first token, its line and column. */
function firstToken(src: string): { offset: number; line: number; col: number } {
  let i = 0;
  let line = 1;
  let lineStart = 0;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
    } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xfeff || c === 0xa0) {
      i++;
    } else if (c === 47 && src.charCodeAt(i + 1) === 47) {
      const end = src.indexOf('\n', i);
      i = end < 0 ? src.length : end;
    } else if (c === 47 && src.charCodeAt(i + 1) === 42) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) return { offset: i, line, col: i - lineStart + 1 };
      for (let k = i; k < end; k++) {
        if (src.charCodeAt(k) === 10) {
          line++;
          lineStart = k + 1;
        }
      }
      i = end + 2;
    } else {
      return { offset: i, line, col: i - lineStart + 1 };
    }
  }
}

/** Whether the program's first statement is `include "qelib1.inc";` (OpenQASM 2 without its header). */
function startsWithQelib1(src: string): boolean {
  const { offset } = firstToken(src);
  return /^include[ \t\r\n]*["']qelib1\.inc["'][ \t\r\n]*;/.test(src.slice(offset, offset + 64));
}

/**
 * The language a program declares in its `OPENQASM 2.0;` / `OPENQASM 3;` header, or undefined
 * when it has no header (or an unknown version).
 */
export function detectQasmLanguage(source: string): QasmLanguage | undefined {
  if (typeof source !== 'string') return undefined;
  const { offset } = firstToken(source);
  const m = /^OPENQASM[ \t\r\n]+(\d+)/.exec(source.slice(offset, offset + 64));
  if (!m) return undefined;
  return m[1] === '2' ? 'QASM2' : m[1] === '3' ? 'QASM3' : undefined;
}

/**
 * Parses an OpenQASM program into a circuit. The language is taken from the program's
 * `OPENQASM` header when omitted (a program without a header is OpenQASM 3, which makes the
 * header optional; OpenQASM 2 requires it). Throws CircuitError, with the 1-based line and column
 * of the offending token, on any error.
 */
export function parseQasm(source: string, language?: QasmLanguage, options: QasmOptions = {}): Circuit {
  let lowerer: Lowerer | Lowerer3 | undefined;
  try {
    if (typeof source !== 'string') throw new CircuitError('the program must be a string', 1, 1);
    if (language !== undefined && language !== 'QASM2' && language !== 'QASM3') {
      throw new CircuitError(`unknown language '${String(language)}' (expected QASM2 or QASM3)`, 1, 1);
    }
    const max = options?.maxOperations ?? DEFAULT_MAX_OPERATIONS;
    if (typeof max !== 'number' || !(max >= 0)) {
      throw new CircuitError(`maxOperations must be a non-negative number, not ${String(max)}`, 1, 1);
    }
    let lang = language;
    if (!lang) {
      lang = detectQasmLanguage(source);
      if (!lang) {
        const first = firstToken(source);
        const m = /^(OPENQASM[ \t\r\n]+)([^;\s]*)/.exec(source.slice(first.offset, first.offset + 64));
        if (m) {
          // Point at the version: count the line breaks between the keyword and it.
          const gap = m[1].split('\n');
          const line = first.line + gap.length - 1;
          const col = gap.length === 1 ? first.col + m[1].length : gap[gap.length - 1].length + 1;
          throw new CircuitError(`unsupported OpenQASM version '${m[2]}'`, line, col);
        }
        // No header: OpenQASM 3 (where it is optional), unless the program starts with
        // `include "qelib1.inc";`, which only OpenQASM 2 has (QASMBench programs do; Qiskit reads them).
        lang = startsWithQelib1(source) ? 'QASM2' : 'QASM3';
      }
    }
    if (lang === 'QASM3') {
      const program3 = new Parser3(tokenize(source, true)).parseProgram();
      lowerer = new Lowerer3({ maxOperations: max });
      return lowerer.lower(program3);
    }
    const tokens = tokenize(source, false);
    const program = new Parser(tokens, startsWithQelib1(source)).parseProgram();
    lowerer = new Lowerer({ maxOperations: max });
    return lowerer.lower(program);
  } catch (err) {
    if (err instanceof CircuitError) throw err;
    // Not expected: a bug or an exhausted stack. Still a CircuitError, at the statement being lowered.
    const current = lowerer?.position ?? { line: 1, col: 1 };
    if (err instanceof RangeError) {
      throw new CircuitError('program too large or too deeply nested', current.line, current.col);
    }
    throw new CircuitError(
      `internal error: ${err instanceof Error ? err.message : String(err)}`,
      current.line,
      current.col,
    );
  }
}
