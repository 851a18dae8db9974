import { CircuitError } from '../circuit/circuit';
import type { Expr, Pos, Stmt } from './parser';

/**
 * The evaluator of the Python subset: it walks the AST with a single global scope, computes
 * numbers, strings, lists and ranges itself, and hands every call and attribute on an SDK object
 * to that object (a {@link PyObj} the SDK's builder defines). Names it does not know, modules
 * outside the SDK's, and attributes that no builder object defines are refused: nothing of the
 * program is ever executed, only the builder calls are interpreted.
 */

export type Value = number | boolean | string | null | PyList | PyRange | PyObj;

export class PyList {
  constructor(
    readonly items: Value[],
    readonly tuple: boolean,
  ) {}
}

export class PyRange {
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {}
  get length(): number {
    const n = Math.ceil((this.stop - this.start) / this.step);
    return Math.max(0, n);
  }
  at(i: number): number {
    return this.start + i * this.step;
  }
}

/** Arguments of a call, evaluated, with where each was written. */
export interface Args {
  args: Value[];
  argPos: Pos[];
  kwargs: Map<string, { value: Value; pos: Pos }>;
  at: Pos;
  /** What is called, for messages ("QuantumCircuit.h"). */
  callee: string;
}

/** An object of an SDK (a circuit, a register, a gate), a function or a module. */
export abstract class PyObj {
  abstract readonly typeName: string;
  /** An attribute, or undefined when the object has no such (supported) attribute. */
  getAttr(_name: string, _at: Pos, _ctx: Interp): Value | undefined {
    return undefined;
  }
  setAttr(_name: string, _value: Value, _at: Pos, _ctx: Interp): boolean {
    return false;
  }
  call?(a: Args, ctx: Interp): Value;
  getItem?(index: Value, at: Pos, ctx: Interp): Value;
  /** `len(x)`, and the items for `for x in obj` / broadcasting. */
  items?(at: Pos, ctx: Interp): Value[];
  /** `x += value`; returns the new value of x. */
  iadd?(value: Value, at: Pos, ctx: Interp): Value;
  /** `with obj:` / `with obj as alias:` (the object binds `alias` itself, or refuses it). */
  withBlock?(body: () => void, at: Pos, ctx: Interp, alias?: string): void;
}

export class PyFunc extends PyObj {
  readonly typeName = 'function';
  constructor(
    readonly name: string,
    readonly fn: (a: Args, ctx: Interp) => Value,
  ) {
    super();
  }
  override call(a: Args, ctx: Interp): Value {
    return this.fn(a, ctx);
  }
}

/** A module: its members are computed on access. */
export class PyModule extends PyObj {
  readonly typeName = 'module';
  constructor(
    readonly name: string,
    private readonly members: (name: string) => Value | undefined,
  ) {
    super();
  }
  override getAttr(name: string): Value | undefined {
    return this.members(name);
  }
}

/**
 * Something a program may import or mention but not use (`from qiskit import transpile`,
 * `from qiskit_aer import AerSimulator`): any use of it is refused.
 */
export class Unsupported extends PyObj {
  readonly typeName = 'unsupported';
  constructor(readonly qualname: string) {
    super();
  }
  override getAttr(name: string): Value {
    return new Unsupported(`${this.qualname}.${name}`);
  }
  override call(a: Args): Value {
    throw new CircuitError(`${this.qualname} is not supported (only circuit building is read)`, a.at.line, a.at.col);
  }
}

/** `rec[key]` when `key` is the record's own property (never `constructor`, `toString`, ... of its prototype). */
export function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

/**
 * The import hook of an SDK: its modules the builder knows, and any other module of the SDK's
 * packages (`isSdk` of the path's first name) as a module whose every name is unsupported, so that
 * importing it is fine and using it is a located refusal. Other modules are unknown.
 */
export function sdkImports(
  modules: Readonly<Record<string, PyModule>>,
  isSdk: (root: string) => boolean,
): (path: string[]) => PyModule | undefined {
  return (path) => {
    const key = path.join('.');
    const known = own(modules, key);
    if (known) return known;
    if (isSdk(path[0])) {
      return new PyModule(key, (n) => (n === '__all__' ? new PyList([], false) : new Unsupported(`${key}.${n}`)));
    }
    return undefined;
  };
}

export function fail(msg: string, at: Pos | undefined): never {
  throw new CircuitError(msg, at?.line ?? 1, at?.col ?? 1);
}

export function typeOf(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyList) return v.tuple ? 'tuple' : 'list';
  if (v instanceof PyRange) return 'range';
  return v.typeName;
}

/** The items of a list, tuple, range or iterable object (bounded by the operation budget). */
export function itemsOf(v: Value, at: Pos, ctx: Interp, what = 'value'): Value[] {
  if (v instanceof PyList) return v.items;
  if (v instanceof PyRange) {
    const n = v.length;
    ctx.tick(n, at);
    return Array.from({ length: n }, (_, i) => v.at(i));
  }
  if (v instanceof PyObj && v.items) return v.items(at, ctx);
  return fail(`expected a list of ${what}, found ${typeOf(v)}`, at);
}

export function isIterable(v: Value): boolean {
  return v instanceof PyList || v instanceof PyRange || (v instanceof PyObj && v.items !== undefined);
}

export function toNumber(v: Value, at: Pos, what = 'a number'): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return fail(`expected ${what}, found ${typeOf(v)}`, at);
}

export function toInt(v: Value, at: Pos, what = 'an integer'): number {
  const x = toNumber(v, at, what);
  if (!Number.isInteger(x)) fail(`expected ${what}, found ${x}`, at);
  return x;
}

/** Checks a call's arity and keywords; returns the value of each named parameter (undefined if omitted). */
export function bind(a: Args, params: string[], required: number, kwOnly: string[] = []): (Value | undefined)[] {
  if (a.args.length > params.length) {
    fail(`${a.callee}() takes at most ${params.length} positional arguments (${a.args.length} given)`, a.at);
  }
  const out: (Value | undefined)[] = params.map((_, i) => a.args[i]);
  const all = [...params, ...kwOnly];
  for (const [name, { value, pos }] of a.kwargs) {
    const i = all.indexOf(name);
    if (i < 0) fail(`${a.callee}() got an unsupported keyword argument '${name}'`, pos);
    if (out[i] !== undefined) fail(`${a.callee}() got multiple values for argument '${name}'`, pos);
    out[i] = value;
  }
  for (let i = 0; i < required; i++) {
    if (out[i] === undefined) fail(`${a.callee}() missing required argument '${params[i]}'`, a.at);
  }
  return out;
}

/** Where argument `name` (position `i`) was written, or the call. */
export function argPos(a: Args, i: number, name?: string): Pos {
  if (i < a.argPos.length) return a.argPos[i];
  const kw = name !== undefined ? a.kwargs.get(name) : undefined;
  return kw ? kw.pos : a.at;
}

const REFUSED_BUILTINS = new Set([
  'exec',
  'eval',
  'compile',
  'open',
  '__import__',
  'getattr',
  'setattr',
  'delattr',
  'globals',
  'locals',
  'vars',
  'input',
  'breakpoint',
  'help',
  'dir',
  'type',
  'object',
  'memoryview',
  'exit',
  'quit',
]);

export interface InterpOptions {
  maxOperations: number;
  /** Imports a module by dotted path; undefined when it is not one the SDK's builder knows. */
  importModule(path: string[], at: Pos): PyModule | undefined;
  /** Names bound before the program starts (qunicorn-core's exec globals). */
  globals?: Record<string, Value>;
}

const MATH_FUNCTIONS: Record<string, (...x: number[]) => number> = {
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  atan2: Math.atan2,
  arctan2: Math.atan2,
  exp: Math.exp,
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  floor: Math.floor,
  ceil: Math.ceil,
  fabs: Math.abs,
  abs: Math.abs,
  radians: (d: number) => (d * Math.PI) / 180,
  degrees: (r: number) => (r * 180) / Math.PI,
};

/** `math` or `numpy`: constants and numeric functions of scalars. */
export function mathModule(name: string): PyModule {
  return new PyModule(name, (attr) => {
    if (attr === '__all__') return new PyList(['pi', 'e', 'tau', ...Object.keys(MATH_FUNCTIONS)], false);
    if (attr === 'pi') return Math.PI;
    if (attr === 'e') return Math.E;
    if (attr === 'tau') return 2 * Math.PI;
    const f = own(MATH_FUNCTIONS, attr);
    if (f) {
      return new PyFunc(`${name}.${attr}`, (a) => {
        const arity = f.length || 1;
        if (a.args.length !== arity || a.kwargs.size > 0) fail(`${name}.${attr}() takes ${arity} argument(s)`, a.at);
        const r = f(...a.args.map((v, i) => toNumber(v, a.argPos[i])));
        if (!Number.isFinite(r)) fail(`${name}.${attr}(): math domain error`, a.at);
        return r;
      });
    }
    return new Unsupported(`${name}.${attr}`);
  });
}

export class Interp {
  readonly env = new Map<string, Value>();
  private ops = 0;
  /** The value of the last expression statement (Braket programs are one expression). */
  lastExpression: { value: Value; at: Pos } | undefined;

  constructor(readonly options: InterpOptions) {
    for (const [k, v] of Object.entries(options.globals ?? {})) this.env.set(k, v);
  }

  /** Counts `n` operations (or loop iterations) against `maxOperations`. */
  tick(n: number, at: Pos): void {
    this.ops += n;
    if (this.ops > this.options.maxOperations) {
      throw new CircuitError(
        `the program expands to more than ${this.options.maxOperations} operations`,
        at.line,
        at.col,
        'TOO_MANY_OPERATIONS',
      );
    }
  }

  run(stmts: Stmt[]): void {
    for (const s of stmts) this.exec(s);
  }

  private exec(s: Stmt): void {
    switch (s.k) {
      case 'pass':
        return;
      case 'import':
        for (const { path, alias, pos } of s.names) {
          const mod = this.importModule(path, pos);
          if (alias) this.env.set(alias, mod);
          else this.env.set(path[0], this.importModule(path.slice(0, 1), pos));
        }
        return;
      case 'from': {
        const mod = this.importModule(s.module, s);
        if (s.names === '*') {
          const star = mod.getAttr('__all__');
          if (!(star instanceof PyList)) fail(`'from ${s.module.join('.')} import *' is not supported`, s);
          for (const n of star.items) this.env.set(n as string, mod.getAttr(n as string) ?? null);
          return;
        }
        for (const { name, alias, pos } of s.names) {
          const v = mod.getAttr(name) ?? this.tryImport([...s.module, name], pos);
          if (v === undefined) fail(`cannot import name '${name}' from '${s.module.join('.')}'`, pos);
          this.env.set(alias ?? name, v);
        }
        return;
      }
      case 'assign': {
        const v = this.eval(s.value);
        for (const t of s.targets) this.assign(t, v);
        return;
      }
      case 'augassign': {
        const cur = this.eval(s.target);
        const rhs = this.eval(s.value);
        let next: Value;
        if (cur instanceof PyObj) {
          if (s.op !== '+' || !cur.iadd) fail(`'${s.op}=' is not supported on ${typeOf(cur)}`, s);
          next = cur.iadd(rhs, s.value, this);
        } else {
          next = this.binary(s.op, cur, rhs, s);
        }
        this.assign(s.target, next);
        return;
      }
      case 'expr':
        this.lastExpression = { value: this.eval(s.e), at: s.e };
        return;
      case 'for': {
        const it = this.eval(s.iter);
        const step = (v: Value) => {
          this.tick(1, s);
          this.assign(s.target, v);
          this.run(s.body);
        };
        if (it instanceof PyRange) {
          const n = it.length;
          for (let i = 0; i < n; i++) step(it.at(i));
        } else {
          for (const v of itemsOf(it, s.iter, this, 'items to loop over')) step(v);
        }
        return;
      }
      case 'with': {
        const ctx = this.eval(s.ctx);
        if (!(ctx instanceof PyObj) || !ctx.withBlock) fail(`'with' is not supported on ${typeOf(ctx)}`, s.ctx);
        ctx.withBlock(() => this.run(s.body), s, this, s.alias);
        return;
      }
    }
  }

  private tryImport(path: string[], at: Pos): PyModule | undefined {
    return this.options.importModule(path, at);
  }

  private importModule(path: string[], at: Pos): PyModule {
    const mod = this.options.importModule(path, at);
    if (!mod) {
      fail(
        `import of module '${path.join('.')}' is not supported (only the SDK's circuit classes, math and numpy)`,
        at,
      );
    }
    return mod;
  }

  private assign(target: Expr, v: Value): void {
    switch (target.k) {
      case 'name':
        if (REFUSED_BUILTINS.has(target.id) || target.id.startsWith('__'))
          fail(`cannot assign to '${target.id}'`, target);
        this.env.set(target.id, v);
        return;
      case 'list': {
        const items = itemsOf(v, target, this, 'values to unpack');
        if (items.length !== target.items.length) {
          fail(`cannot unpack ${items.length} values into ${target.items.length} names`, target);
        }
        target.items.forEach((t, i) => this.assign(t, items[i]));
        return;
      }
      case 'attr': {
        const obj = this.eval(target.obj);
        if (!(obj instanceof PyObj) || !obj.setAttr(target.name, v, target, this)) {
          fail(`cannot set attribute '${target.name}' of ${typeOf(obj)}`, target);
        }
        return;
      }
      default:
        fail('item assignment is not supported', target);
    }
  }

  eval(e: Expr): Value {
    switch (e.k) {
      case 'num':
        return e.v;
      case 'str':
        return e.v;
      case 'const':
        return e.v;
      case 'name': {
        const v = this.env.get(e.id);
        if (v !== undefined) return v;
        const b = this.builtin(e.id);
        if (b) return b;
        if (REFUSED_BUILTINS.has(e.id)) fail(`'${e.id}' is not supported (the program is read, never run)`, e);
        return fail(`name '${e.id}' is not defined`, e);
      }
      case 'attr':
      case 'call':
      case 'index':
        return this.chain(e);
      case 'slice':
        return fail('a slice is only allowed inside brackets', e);
      case 'list':
        return new PyList(
          e.items.map((x) => this.eval(x)),
          e.tuple,
        );
      case 'unary': {
        const a = toNumber(this.eval(e.a), e.a);
        return e.op === '-' ? -a : a;
      }
      case 'binary':
        return this.binary(e.op, this.eval(e.a), this.eval(e.b), e);
    }
  }

  /**
   * A chain of attributes, calls and subscripts (`Circuit().h(0).cnot(0, 1)...`), evaluated in a
   * loop from its base so that long method chains need no deep recursion.
   */
  private chain(e: Expr): Value {
    const spine: Expr[] = [];
    let cur = e;
    while (cur.k === 'attr' || cur.k === 'call' || cur.k === 'index') {
      spine.push(cur);
      cur = cur.k === 'call' ? cur.fn : cur.obj;
    }
    let v = this.eval(cur);
    for (let i = spine.length - 1; i >= 0; i--) v = this.step(spine[i], v);
    return v;
  }

  private step(e: Expr, base: Value): Value {
    switch (e.k) {
      case 'attr': {
        if (e.name.startsWith('__')) fail(`attribute '${e.name}' is not supported`, e);
        const obj = base;
        if (!(obj instanceof PyObj)) fail(`attribute '${e.name}' of ${typeOf(obj)} is not supported`, e);
        const v = obj.getAttr(e.name, e, this);
        if (v === undefined) fail(`${typeOf(obj)} has no supported attribute '${e.name}'`, e);
        return v;
      }
      case 'call': {
        const fn = base;
        const a: Args = {
          args: e.args.map((x) => this.eval(x)),
          argPos: e.args.map((x) => ({ line: x.line, col: x.col })),
          kwargs: new Map(e.kwargs.map((k) => [k.name, { value: this.eval(k.value), pos: k.pos }])),
          at: { line: e.line, col: e.col },
          callee: fn instanceof PyFunc ? fn.name : typeOf(fn),
        };
        if (!(fn instanceof PyObj) || !fn.call) fail(`${typeOf(fn)} is not callable`, e);
        return fn.call(a, this);
      }
      case 'index': {
        const obj = base;
        if (e.index.k === 'slice') {
          const sl = e.index;
          const items = obj instanceof PyObj && obj.items ? obj.items(e, this) : null;
          if (!(obj instanceof PyList) && !(obj instanceof PyRange) && !items) {
            fail(`slicing ${typeOf(obj)} is not supported`, e);
          }
          const all = items ?? itemsOf(obj, e, this);
          const opt = (x: Expr | undefined) => (x ? toInt(this.eval(x), x, 'an integer slice bound') : undefined);
          const step = opt(sl.step) ?? 1;
          if (step === 0) fail('slice step cannot be zero', sl);
          const n = all.length;
          const norm = (x: number | undefined, dflt: number) =>
            x === undefined ? dflt : x < 0 ? Math.max(x + n, step < 0 ? -1 : 0) : Math.min(x, step < 0 ? n - 1 : n);
          const lo = norm(opt(sl.lo), step > 0 ? 0 : n - 1);
          const hi = norm(opt(sl.hi), step > 0 ? n : -1);
          const out: Value[] = [];
          for (let i = lo; step > 0 ? i < hi : i > hi; i += step) out.push(all[i]);
          return new PyList(out, obj instanceof PyList && obj.tuple);
        }
        const index = this.eval(e.index);
        if (obj instanceof PyObj && obj.getItem) return obj.getItem(index, e.index, this);
        if (obj instanceof PyList || obj instanceof PyRange) {
          const n = obj instanceof PyList ? obj.items.length : obj.length;
          let i = toInt(index, e.index, 'an integer index');
          if (i < 0) i += n;
          if (i < 0 || i >= n) fail(`index ${toInt(index, e.index)} out of range`, e.index);
          return obj instanceof PyList ? obj.items[i] : obj.at(i);
        }
        return fail(`indexing ${typeOf(obj)} is not supported`, e);
      }
      default:
        return fail('unexpected expression', e);
    }
  }

  binary(op: string, a: Value, b: Value, at: Pos): Value {
    if (op === '+' && a instanceof PyList && b instanceof PyList && a.tuple === b.tuple) {
      this.tick(a.items.length + b.items.length, at);
      return new PyList([...a.items, ...b.items], a.tuple);
    }
    if (op === '+' && typeof a === 'string' && typeof b === 'string') {
      if (a.length + b.length > 1_000_000) fail('string too long', at);
      return a + b;
    }
    if ((typeof a !== 'number' && typeof a !== 'boolean') || (typeof b !== 'number' && typeof b !== 'boolean')) {
      return fail(`unsupported operand types for ${op}: ${typeOf(a)} and ${typeOf(b)}`, at);
    }
    const x = +a;
    const y = +b;
    let r: number;
    switch (op) {
      case '+':
        r = x + y;
        break;
      case '-':
        r = x - y;
        break;
      case '*':
        r = x * y;
        break;
      case '/':
        if (y === 0) fail('division by zero', at);
        r = x / y;
        break;
      case '//':
        if (y === 0) fail('division by zero', at);
        r = Math.floor(x / y);
        break;
      case '%':
        if (y === 0) fail('modulo by zero', at);
        r = x - Math.floor(x / y) * y;
        break;
      case '**':
        if (x === 0 && y < 0) fail('zero to a negative power', at);
        if (x < 0 && !Number.isInteger(y)) fail('complex results are not supported', at);
        r = x ** y;
        break;
      default:
        return fail(`the operator '${op}' is not supported`, at);
    }
    if (!Number.isFinite(r)) fail('number out of range', at);
    return r;
  }

  private builtin(name: string): Value | undefined {
    const num1 = (f: (x: number) => number) =>
      new PyFunc(name, (a) => {
        if (a.args.length !== 1 || a.kwargs.size) fail(`${name}() takes one argument`, a.at);
        return f(toNumber(a.args[0], a.argPos[0]));
      });
    switch (name) {
      case 'range':
        return new PyFunc('range', (a) => {
          if (a.args.length < 1 || a.args.length > 3 || a.kwargs.size) fail('range() takes 1 to 3 arguments', a.at);
          const xs = a.args.map((v, i) => toInt(v, a.argPos[i], 'an integer argument to range()'));
          const [start, stop, step] = xs.length === 1 ? [0, xs[0], 1] : [xs[0], xs[1], xs[2] ?? 1];
          if (step === 0) fail('range() step must not be zero', a.at);
          return new PyRange(start, stop, step);
        });
      case 'len':
        return new PyFunc('len', (a, ctx) => {
          if (a.args.length !== 1 || a.kwargs.size) fail('len() takes one argument', a.at);
          const v = a.args[0];
          if (v instanceof PyRange) return v.length;
          if (typeof v === 'string') return v.length;
          return itemsOf(v, a.argPos[0], ctx).length;
        });
      case 'list':
      case 'tuple':
        return new PyFunc(name, (a, ctx) => {
          if (a.args.length > 1 || a.kwargs.size) fail(`${name}() takes at most one argument`, a.at);
          return new PyList(a.args.length ? [...itemsOf(a.args[0], a.argPos[0], ctx)] : [], name === 'tuple');
        });
      case 'abs':
        return num1(Math.abs);
      case 'float':
        return num1((x) => x + 0.0);
      case 'int':
        return num1(Math.trunc);
      case 'round':
        return new PyFunc('round', (a) => {
          if (a.args.length < 1 || a.args.length > 2 || a.kwargs.size) fail('round() takes 1 or 2 arguments', a.at);
          const x = toNumber(a.args[0], a.argPos[0]);
          const d = a.args.length > 1 ? toInt(a.args[1], a.argPos[1]) : 0;
          const f = 10 ** Math.min(Math.max(d, -300), 300);
          const y = x * f;
          // round half to even, as Python does
          const r = Math.round(y);
          const even = Math.abs(y - Math.trunc(y)) === 0.5 ? 2 * Math.round(y / 2) : r;
          return even / f;
        });
      case 'min':
      case 'max':
        return new PyFunc(name, (a, ctx) => {
          if (a.kwargs.size || a.args.length === 0) fail(`${name}() needs arguments`, a.at);
          const xs = a.args.length === 1 ? itemsOf(a.args[0], a.argPos[0], ctx) : a.args;
          if (xs.length === 0) fail(`${name}() of an empty sequence`, a.at);
          const ns = xs.map((v) => toNumber(v, a.at));
          return name === 'min' ? Math.min(...ns) : Math.max(...ns);
        });
      case 'print':
        // Printing has no effect on the circuit; its arguments were evaluated (and checked) already.
        return new PyFunc('print', () => null);
      default:
        return undefined;
    }
  }
}
