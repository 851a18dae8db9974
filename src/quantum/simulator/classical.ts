import type { ClassicalExpr, ClassicalTarget, ClassicalVar } from '../circuit/circuit';
import { SimulationInputError } from './errors';

/**
 * Per-shot classical computation: the circuit's classical expressions compiled once into closures
 * over a shot's classical state (its clbits and variables), so that evaluating one costs a few
 * calls. Semantics are those documented on `ClassicalExpr` in circuit.ts.
 */

/** The classical state of one trajectory: its clbits (0/1) and variables (numbers). */
export interface ClassicalState {
  clbits: Uint8Array;
  vars: Float64Array;
}

export type CompiledExpr = (s: ClassicalState) => number;

/** Writes a value to a target. */
export type CompiledTarget = {
  read: CompiledExpr;
  write: (s: ClassicalState, value: number) => void;
};

/** Bit `i` of the integer part of `v` (two's complement for negative values), any `i` < 1024. */
export function bitOf(v: number, i: number): 0 | 1 {
  const t = Math.trunc(v);
  if (i < 31 && t >= -(2 ** 31) && t < 2 ** 31) return ((t >> i) & 1) as 0 | 1;
  const q = Math.floor(t / 2 ** i);
  return (((q % 2) + 2) % 2) as 0 | 1;
}

/** `v` with bit `i` of its integer part set to `bit`. */
export function withBit(v: number, i: number, bit: 0 | 1): number {
  const t = Math.trunc(v);
  const current = bitOf(t, i);
  return t + (bit - current) * 2 ** i;
}

/** Truncates toward zero and wraps to `width` bits: two's complement when `signed`, else modulo 2^width. */
export function wrapInteger(v: number, width: number | undefined, signed: boolean): number {
  if (!Number.isFinite(v)) throw new SimulationInputError(`cannot convert ${v} to an integer`);
  const t = Math.trunc(v);
  if (width === undefined) return t === 0 ? 0 : t; // no -0
  const m = 2 ** width;
  let r = ((t % m) + m) % m;
  if (signed && r >= m / 2) r -= m;
  return r;
}

function popcount32(x: number): number {
  let v = x >>> 0;
  let n = 0;
  while (v !== 0) {
    v &= v - 1;
    n++;
  }
  return n;
}

function rotate(x: number, k: number, width: number, left: boolean): number {
  if (!Number.isInteger(width) || width < 1 || width > 32) {
    throw new SimulationInputError(`rotation width must be an integer from 1 to 32, not ${width}`);
  }
  const m = width === 32 ? 0xffffffff : 2 ** width - 1;
  const v = (x >>> 0) & m;
  const s = ((Math.trunc(k) % width) + width) % width;
  if (s === 0) return v;
  const r = left ? (v << s) | (v >>> (width - s)) : (v >>> s) | (v << (width - s));
  return (r & m) >>> 0;
}

const FUNCTIONS: Record<string, (args: number[]) => number> = {
  sin: ([a]) => Math.sin(a),
  cos: ([a]) => Math.cos(a),
  tan: ([a]) => Math.tan(a),
  arcsin: ([a]) => Math.asin(a),
  arccos: ([a]) => Math.acos(a),
  arctan: ([a]) => Math.atan(a),
  exp: ([a]) => Math.exp(a),
  log: ([a]) => Math.log(a),
  sqrt: ([a]) => Math.sqrt(a),
  floor: ([a]) => Math.floor(a),
  ceiling: ([a]) => Math.ceil(a),
  abs: ([a]) => Math.abs(a),
  popcount: ([a]) => popcount32(a),
  rotl: ([a, k, w]) => rotate(a, k, w, true),
  rotr: ([a, k, w]) => rotate(a, k, w, false),
};

/** Compiles expressions and targets of one circuit; checks every clbit and variable index once. */
export class ClassicalCompiler {
  constructor(
    private readonly numClbits: number,
    private readonly vars: readonly ClassicalVar[],
  ) {}

  private clbit(c: number): number {
    if (!Number.isInteger(c) || c < 0 || c >= this.numClbits) {
      throw new SimulationInputError(
        `classical expression: clbit ${c} is out of range (the circuit has ${this.numClbits})`,
      );
    }
    return c;
  }

  private variable(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.vars.length) {
      throw new SimulationInputError(
        `classical expression: variable ${i} is out of range (the circuit has ${this.vars.length})`,
      );
    }
    return i;
  }

  private element(first: number, length: number, at: ClassicalExpr): CompiledExpr {
    if (!Number.isInteger(length) || length < 1) {
      throw new SimulationInputError(`classical expression: array length ${length} is not a positive integer`);
    }
    this.variable(first);
    this.variable(first + length - 1);
    const index = this.expr(at);
    return (s) => {
      const i = index(s);
      if (!Number.isInteger(i) || i < 0 || i >= length) {
        throw new SimulationInputError(`index ${i} is out of range for an array of ${length}`);
      }
      return first + i;
    };
  }

  expr(e: ClassicalExpr): CompiledExpr {
    if (e === null || typeof e !== 'object') throw new SimulationInputError('classical expression must be an object');
    switch (e.k) {
      case 'num': {
        const v = e.v;
        if (typeof v !== 'number' || Number.isNaN(v))
          throw new SimulationInputError('classical constant must be a number');
        return () => v;
      }
      case 'bit': {
        const c = this.clbit(e.clbit);
        return (s) => s.clbits[c];
      }
      case 'bits': {
        const cs = Int32Array.from(e.clbits.map((c) => this.clbit(c)));
        return (s) => {
          let v = 0;
          for (let i = cs.length - 1; i >= 0; i--) v = v * 2 + s.clbits[cs[i]];
          return v;
        };
      }
      case 'var': {
        const i = this.variable(e.index);
        return (s) => s.vars[i];
      }
      case 'elem': {
        const at = this.element(e.first, e.length, e.at);
        return (s) => s.vars[at(s)];
      }
      case 'unary': {
        const a = this.expr(e.a);
        switch (e.op) {
          case '-':
            return (s) => -a(s);
          case '!':
            return (s) => (a(s) === 0 ? 1 : 0);
          case '~':
            return (s) => ~a(s);
          default:
            throw new SimulationInputError(`unknown unary operator ${String((e as { op: unknown }).op)}`);
        }
      }
      case 'binary':
        return this.binary(e.op, this.expr(e.a), this.expr(e.b));
      case 'call': {
        const f = FUNCTIONS[e.fn];
        if (f === undefined || !Object.hasOwn(FUNCTIONS, e.fn)) {
          throw new SimulationInputError(`unknown function ${String(e.fn)}`);
        }
        const expected = e.fn === 'rotl' || e.fn === 'rotr' ? 3 : 1;
        if (!Array.isArray(e.args) || e.args.length !== expected) {
          throw new SimulationInputError(`${e.fn} takes ${expected} argument${expected === 1 ? '' : 's'}`);
        }
        const args = e.args.map((x) => this.expr(x));
        if (expected === 1) {
          const a = args[0];
          return (s) => f([a(s)]);
        }
        return (s) => f(args.map((x) => x(s)));
      }
      case 'cast': {
        const a = this.expr(e.a);
        const w = e.width;
        if (w !== undefined && (!Number.isInteger(w) || w < 1 || w > 53)) {
          throw new SimulationInputError(`cast width ${w} must be an integer from 1 to 53`);
        }
        switch (e.to) {
          case 'int':
            return (s) => wrapInteger(a(s), w, true);
          case 'uint':
            return (s) => wrapInteger(a(s), w, false);
          case 'bool':
            return (s) => (a(s) !== 0 ? 1 : 0);
          case 'float':
            return a;
          default:
            throw new SimulationInputError(`unknown cast to ${String(e.to)}`);
        }
      }
      case 'cond': {
        const t = this.expr(e.test);
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        return (s) => (t(s) !== 0 ? a(s) : b(s));
      }
      default: {
        const unknown: never = e;
        throw new SimulationInputError(`unknown classical expression ${JSON.stringify(unknown)}`);
      }
    }
  }

  private binary(op: string, a: CompiledExpr, b: CompiledExpr): CompiledExpr {
    switch (op) {
      case '+':
        return (s) => a(s) + b(s);
      case '-':
        return (s) => a(s) - b(s);
      case '*':
        return (s) => a(s) * b(s);
      case '/':
        return (s) => a(s) / b(s);
      case 'idiv':
        return (s) => {
          const d = b(s);
          if (d === 0) throw new SimulationInputError('integer division by zero');
          return Math.trunc(a(s) / d);
        };
      case '%':
        return (s) => {
          const d = b(s);
          if (d === 0) throw new SimulationInputError('remainder of a division by zero');
          return a(s) % d;
        };
      case '**':
        return (s) => a(s) ** b(s);
      case '==':
        return (s) => (a(s) === b(s) ? 1 : 0);
      case '!=':
        return (s) => (a(s) !== b(s) ? 1 : 0);
      case '<':
        return (s) => (a(s) < b(s) ? 1 : 0);
      case '<=':
        return (s) => (a(s) <= b(s) ? 1 : 0);
      case '>':
        return (s) => (a(s) > b(s) ? 1 : 0);
      case '>=':
        return (s) => (a(s) >= b(s) ? 1 : 0);
      case '&&':
        return (s) => (a(s) !== 0 && b(s) !== 0 ? 1 : 0);
      case '||':
        return (s) => (a(s) !== 0 || b(s) !== 0 ? 1 : 0);
      case '&':
        return (s) => a(s) & b(s);
      case '|':
        return (s) => a(s) | b(s);
      case '^':
        return (s) => a(s) ^ b(s);
      case '<<':
        return (s) => a(s) << b(s);
      case '>>':
        return (s) => a(s) >> b(s);
      default:
        throw new SimulationInputError(`unknown binary operator ${op}`);
    }
  }

  target(t: ClassicalTarget): CompiledTarget {
    if (t === null || typeof t !== 'object') throw new SimulationInputError('classical target must be an object');
    if ('var' in t) {
      const i = this.variable(t.var);
      return {
        read: (s) => s.vars[i],
        write: (s, v) => {
          s.vars[i] = v;
        },
      };
    }
    if ('clbits' in t) {
      const cs = Int32Array.from(t.clbits.map((c) => this.clbit(c)));
      const read = this.expr({ k: 'bits', clbits: [...cs] });
      return {
        read,
        write: (s, v) => {
          for (let i = 0; i < cs.length; i++) s.clbits[cs[i]] = bitOf(v, i);
        },
      };
    }
    if ('first' in t) {
      const at = this.element(t.first, t.length, t.at);
      return {
        read: (s) => s.vars[at(s)],
        write: (s, v) => {
          s.vars[at(s)] = v;
        },
      };
    }
    throw new SimulationInputError(`unknown classical target ${JSON.stringify(t)}`);
  }
}
