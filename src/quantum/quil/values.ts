import { CircuitError, type ClassicalExpr } from '../circuit/circuit';
import type { Expr, MemRef, Pos } from './ast';

/**
 * Values of Quil expressions: complex constants (folded at parse time) or, when an expression
 * reads classical memory, a real `ClassicalExpr` evaluated per shot.
 */

export interface Complex {
  re: number;
  im: number;
}

/** A real parameter: a number, or an expression of memory evaluated per shot. */
export type Real = number | ClassicalExpr;

export type Value = { c: Complex } | { e: ClassicalExpr };

export interface ExprEnv {
  /** Values of `%name` parameters. */
  params: ReadonlyMap<string, Value>;
  /** Reads a memory element as a per-shot expression (throws CircuitError when unknown). */
  readMem(ref: MemRef): ClassicalExpr;
}

const fail = (msg: string, pos: Pos): never => {
  throw new CircuitError(msg, pos.line, pos.col);
};

export function num(v: number): ClassicalExpr {
  return { k: 'num', v };
}

/** A real value as a ClassicalExpr. */
export function toExpr(v: Real): ClassicalExpr {
  return typeof v === 'number' ? num(v) : v;
}

function realOf(v: Value, pos: Pos, what: string): ClassicalExpr {
  if ('e' in v) return v.e;
  if (Math.abs(v.c.im) > 1e-12) fail(`${what} cannot be complex when it depends on memory`, pos);
  return num(v.c.re);
}

export function binary(op: '+' | '-' | '*' | '/' | '**', a: ClassicalExpr, b: ClassicalExpr): ClassicalExpr {
  if (a.k === 'num' && b.k === 'num') {
    switch (op) {
      case '+':
        return num(a.v + b.v);
      case '-':
        return num(a.v - b.v);
      case '*':
        return num(a.v * b.v);
      case '/':
        return num(a.v / b.v);
      default:
        return num(a.v ** b.v);
    }
  }
  if (op === '*' && ((a.k === 'num' && a.v === 1) || (b.k === 'num' && b.v === 1))) return a.k === 'num' ? b : a;
  if ((op === '+' || op === '-') && b.k === 'num' && b.v === 0) return a;
  return { k: 'binary', op, a, b };
}

export function negate(a: ClassicalExpr): ClassicalExpr {
  if (a.k === 'num') return num(-a.v);
  if (a.k === 'unary' && a.op === '-') return a.a;
  return { k: 'unary', op: '-', a };
}

/** `k * v` for a real value. */
export function scaleReal(k: number, v: Real): Real {
  if (typeof v === 'number') return k * v;
  if (k === 1) return v;
  if (k === -1) return negate(v);
  return binary('*', num(k), v);
}

export function addReal(a: Real, b: Real): Real {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  return binary('+', toExpr(a), toExpr(b));
}

function cmul(a: Complex, b: Complex): Complex {
  return { re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re };
}
function cdiv(a: Complex, b: Complex): Complex {
  const d = b.re * b.re + b.im * b.im;
  return { re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d };
}
function cexp(a: Complex): Complex {
  const m = Math.exp(a.re);
  return { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}
function clog(a: Complex): Complex {
  return { re: Math.log(Math.hypot(a.re, a.im)), im: Math.atan2(a.im, a.re) };
}
function cpow(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0 && (a.re >= 0 || Number.isInteger(b.re))) return { re: a.re ** b.re, im: 0 };
  if (a.re === 0 && a.im === 0) return { re: b.re === 0 && b.im === 0 ? 1 : 0, im: 0 };
  return cexp(cmul(b, clog(a)));
}
function csqrt(a: Complex): Complex {
  if (a.im === 0 && a.re >= 0) return { re: Math.sqrt(a.re), im: 0 };
  const r = Math.hypot(a.re, a.im);
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sign(a.im || 1) * Math.sqrt((r - a.re) / 2);
  return { re, im };
}
function csin(a: Complex): Complex {
  return { re: Math.sin(a.re) * Math.cosh(a.im), im: Math.cos(a.re) * Math.sinh(a.im) };
}
function ccos(a: Complex): Complex {
  return { re: Math.cos(a.re) * Math.cosh(a.im), im: -Math.sin(a.re) * Math.sinh(a.im) };
}

/** Evaluates a Quil expression: a complex constant, or a real per-shot expression. */
export function evaluate(e: Expr, env: ExprEnv): Value {
  switch (e.k) {
    case 'num':
      return { c: { re: e.re, im: e.im } };
    case 'pi':
      return { c: { re: Math.PI, im: 0 } };
    case 'param': {
      const v = env.params.get(e.name);
      if (!v) return fail(`unknown parameter '%${e.name}'`, e.pos);
      return v;
    }
    case 'mem':
      return { e: env.readMem(e.ref) };
    case 'neg': {
      const a = evaluate(e.a, env);
      return 'c' in a ? { c: { re: -a.c.re, im: -a.c.im } } : { e: negate(a.e) };
    }
    case 'bin': {
      const a = evaluate(e.a, env);
      const b = evaluate(e.b, env);
      if ('c' in a && 'c' in b) {
        switch (e.op) {
          case '+':
            return { c: { re: a.c.re + b.c.re, im: a.c.im + b.c.im } };
          case '-':
            return { c: { re: a.c.re - b.c.re, im: a.c.im - b.c.im } };
          case '*':
            return { c: cmul(a.c, b.c) };
          case '/':
            return { c: cdiv(a.c, b.c) };
          default:
            return { c: cpow(a.c, b.c) };
        }
      }
      const op = e.op === '^' ? '**' : e.op;
      return { e: binary(op, realOf(a, e.pos, 'an operand'), realOf(b, e.pos, 'an operand')) };
    }
    case 'call': {
      const a = evaluate(e.arg, env);
      if ('c' in a) {
        switch (e.fn) {
          case 'sin':
            return { c: csin(a.c) };
          case 'cos':
            return { c: ccos(a.c) };
          case 'sqrt':
            return { c: csqrt(a.c) };
          case 'exp':
            return { c: cexp(a.c) };
          default:
            return { c: cexp({ re: -a.c.im, im: a.c.re }) };
        }
      }
      if (e.fn === 'cis') return fail('cis() of a memory reference is complex', e.pos);
      return { e: { k: 'call', fn: e.fn as 'sin', args: [a.e] } };
    }
  }
}

/** A real gate parameter: a number, or a per-shot expression. */
export function evaluateReal(e: Expr, env: ExprEnv): Real {
  const v = evaluate(e, env);
  if ('e' in v) return v.e;
  if (!Number.isFinite(v.c.re) || !Number.isFinite(v.c.im)) fail('parameter is not a finite number', e.pos);
  if (Math.abs(v.c.im) > 1e-9 * Math.max(1, Math.abs(v.c.re))) {
    fail(`parameter must be real, not ${v.c.re} + ${v.c.im}i`, e.pos);
  }
  return v.c.re;
}

export function evaluateComplex(e: Expr, env: ExprEnv): Complex {
  const v = evaluate(e, env);
  if ('e' in v) return fail('a DEFGATE matrix cannot depend on classical memory', e.pos);
  if (!Number.isFinite(v.c.re) || !Number.isFinite(v.c.im)) fail('matrix entry is not a finite number', e.pos);
  return v.c;
}
