import { CircuitError } from '../circuit/circuit';
import type { Pos } from './ast';

/** What the OpenQASM 2 (lower.ts) and OpenQASM 3 (lower3.ts) lowerings share. */

export interface LowerOptions {
  /** Most operations (and loop iterations) a program may expand to. */
  maxOperations: number;
}

/** A number as error messages show it: integers as they are, others to 12 significant digits. */
export function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Errors at a position, and the budget of operations a program may expand to. */
export class LowererBase {
  /** Operations (and loop iterations) emitted so far. */
  protected count = 0;
  /** Statement being lowered, for errors that have no better position (size limits). */
  protected current: Pos = { line: 1, col: 1 };

  constructor(protected readonly options: LowerOptions) {}

  /** Position of the statement being lowered (for unexpected failures). */
  get position(): Pos {
    return this.current;
  }

  protected fail(msg: string, at: Pos): never {
    throw new CircuitError(msg, at.line, at.col);
  }

  /** Counts n more operations; throws TOO_MANY_OPERATIONS past options.maxOperations. */
  protected bump(n: number, at: Pos = this.current) {
    this.count += n;
    if (this.count > this.options.maxOperations) {
      throw new CircuitError(
        `program too large: it expands to more than ${this.options.maxOperations} operations`,
        at.line,
        at.col,
        'TOO_MANY_OPERATIONS',
      );
    }
  }
}
