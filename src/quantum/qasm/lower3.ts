import type {
  BranchOp,
  Circuit,
  ClassicalExpr,
  ClassicalTarget,
  ClassicalVar,
  GateOp,
  Matrix2,
  Op,
  Register,
} from '../circuit/circuit';
import { adjoint, multiply, phase as phaseMatrix } from '../circuit/gates';
import type { Expr, GateCall, Pos, Program3, Stmt, TypeSpec } from './ast3';
import { BUILTIN_U, libraryGates, type NativeGate } from './library';
import { fmt, LowererBase, plural, type LowerOptions } from './lowering';
import { BRAKET_GATES, Emit, STDGATES_SYMBOLIC, type Num, type SymbolicGate } from './symbolic';

/**
 * Lowers an OpenQASM 3 program (parser3.ts) to the circuit IR. Values known at compile time are
 * computed here (constants, static loops unrolled, static conditions folded); values that depend
 * on measurement results become the IR's per-shot classical ops (see README.md).
 */

const MAX_CALL_DEPTH = 100;
const TAU = 2 * Math.PI;

// ---- types and values ----

type TyName = 'bit' | 'bool' | 'int' | 'uint' | 'float' | 'angle' | 'complex' | 'duration';
interface Ty {
  k: TyName;
  /** int/uint/angle width; bit: register size (undefined: a single bit). */
  w?: number;
  /** An integer literal (or an expression of literals): `/` of two literals is real division. */
  lit?: boolean;
}
const BOOL: Ty = { k: 'bool' };
const FLOAT: Ty = { k: 'float' };
const INT: Ty = { k: 'int' };
const BIT: Ty = { k: 'bit' };

type Val =
  | { k: 's'; t: Ty; v: number; im?: number }
  | { k: 'd'; t: Ty; e: ClassicalExpr }
  | { k: 'arr'; t: Ty; dims: number[]; cells: Cell[]; owner?: Variable }
  | { k: 'q'; q: number[]; single: boolean; label: string };
type Scalar = Val & { k: 's' | 'd' };

interface Cell {
  t: Ty;
  /** The variable's name, for the IR's vars. */
  name?: string;
  known?: number;
  knownIm?: number;
  stor?: { var: number } | { clbits: number[] };
  /** Whether the storage holds `known`. */
  fresh: boolean;
  /** Dynamic nesting depth at declaration. */
  depth: number;
}

interface Variable {
  name: string;
  t: Ty;
  dims?: number[];
  cells: Cell[];
  /** First var of an array's contiguous storage. */
  block?: number;
  isConst: boolean;
  readonly?: boolean;
}

interface GateDef3 {
  name: string;
  /** Ops one call expands to, when that does not depend on its parameters (null: it does). */
  size?: number | null;
  native?: NativeGate;
  sym?: SymbolicGate;
  user?: Stmt & { k: 'gatedef' };
  numParams: number[];
  numQubits: number;
  library?: string;
}

type Sym =
  | { kind: 'qubits'; q: number[]; single: boolean }
  | { kind: 'var'; v: Variable }
  | { kind: 'value'; val: Val; what: string }
  | { kind: 'def'; def: Stmt & { k: 'def' } };

class Scope {
  readonly syms = new Map<string, Sym>();
  readonly cells: Cell[] = [];
  constructor(
    readonly parent?: Scope,
    /** 'def' and 'gate' bodies see only constants, gates and subroutines of outer scopes. */
    readonly wall?: 'def' | 'gate',
  ) {}
}

class Jump {
  constructor(readonly kind: 'break' | 'continue' | 'return' | 'end') {}
}

interface LoopCtx {
  kind: 'for' | 'while' | 'def';
  /** `dyn` inside the region. */
  depth: number;
  /** for: a per-shot break/continue happened in the current iteration. */
  dynJump?: boolean;
  dynBreak?: boolean;
  flag?: number;
  /** def: return type, value, per-shot return. */
  ret?: Ty;
  retArray?: boolean;
  retVal?: Val;
  retVar?: number;
  dynReturn?: boolean;
}

const CONSTANTS = new Map<string, Val>(
  Object.entries({ pi: Math.PI, π: Math.PI, tau: TAU, τ: TAU, euler: Math.E, ℇ: Math.E }).map(([k, v]) => [
    k,
    { k: 's', t: FLOAT, v },
  ]),
);

const FUNCTIONS: Record<string, [number, number]> = {
  sin: [1, 1],
  cos: [1, 1],
  tan: [1, 1],
  arcsin: [1, 1],
  arccos: [1, 1],
  arctan: [1, 1],
  exp: [1, 1],
  log: [1, 1],
  ln: [1, 1],
  sqrt: [1, 1],
  floor: [1, 1],
  ceiling: [1, 1],
  abs: [1, 1],
  popcount: [1, 1],
  rotl: [2, 2],
  rotr: [2, 2],
  mod: [2, 2],
  pow: [2, 2],
  real: [1, 1],
  imag: [1, 1],
  sizeof: [1, 2],
};

const isIntTy = (t: Ty) => t.k === 'int' || t.k === 'uint' || t.k === 'bit' || t.k === 'bool';
const tyName = (t: Ty) => (t.w !== undefined ? `${t.k}[${t.w}]` : t.k);

/** Wraps an integer into int[w] / uint[w] (w undefined: unbounded). */
function wrapInt(v: number, signed: boolean, w?: number): number {
  const t = Math.trunc(v);
  if (w === undefined || w > 53) return t === 0 ? 0 : t;
  const m = 2 ** w;
  let r = ((t % m) + m) % m;
  if (signed && r >= m / 2) r -= m;
  return r === 0 ? 0 : r;
}

export class Lowerer3 extends LowererBase {
  private readonly global = new Scope();
  private readonly gates = new Map<string, GateDef3>();
  private readonly includes = new Set<string>();
  private readonly qregs: Register[] = [];
  private readonly cregs: Register[] = [];
  private readonly vars: ClassicalVar[] = [];
  private numQubits = 0;
  private numClbits = 0;
  private physical = -1;
  private dyn = 0;
  private callDepth = 0;
  private readonly loops: LoopCtx[] = [];

  constructor(options: LowerOptions) {
    super(options);
    this.gates.set('U', {
      name: 'U',
      native: BUILTIN_U,
      sym: STDGATES_SYMBOLIC.get('U'),
      numParams: [3],
      numQubits: 1,
    });
  }

  lower(program: Program3): Circuit {
    const ops: Op[] = [];
    this.hoist(program.statements, this.global);
    try {
      this.stmts(program.statements, this.global, ops);
    } catch (e) {
      if (!(e instanceof Jump && e.kind === 'end')) throw e;
    }
    const c: Circuit = {
      numQubits: this.physical >= 0 ? this.physical + 1 : this.numQubits,
      numClbits: this.numClbits,
      qregs: this.qregs,
      cregs: this.cregs,
      ops,
    };
    if (this.vars.length) c.vars = this.vars;
    return c;
  }

  // ---- helpers ----

  private emit(out: Op[], op: Op) {
    this.bump(1);
    out.push(op);
  }
  private allocVar(name: string, t: Ty, at: Pos): number {
    if (t.k === 'complex') this.fail(`per-shot complex variable '${name}' is not supported`, at);
    const type: ClassicalVar['type'] = t.k === 'duration' ? 'float' : t.k;
    const v: ClassicalVar = { name, type };
    if (t.w !== undefined) v.width = t.w;
    this.vars.push(v);
    this.bump(1);
    return this.vars.length - 1;
  }

  /** Subroutine definitions are visible before they are defined (recursion, calls before the def). */
  private hoist(stmts: Stmt[], scope: Scope) {
    for (const s of stmts) {
      if (s.k === 'def') {
        if (scope.syms.has(s.name) || this.gates.has(s.name)) this.fail(`'${s.name}' is already declared`, s);
        scope.syms.set(s.name, { kind: 'def', def: s });
      }
    }
  }

  private lookup(name: string, scope: Scope, at: Pos): Sym | undefined {
    let wall: 'def' | 'gate' | undefined;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const sym = s.syms.get(name);
      if (sym) {
        if (wall && s !== scope) {
          const ok = sym.kind === 'def' || (sym.kind === 'value' && sym.what === 'constant');
          const qOk = wall === 'def' && sym.kind === 'qubits';
          const constVar = sym.kind === 'var' && sym.v.isConst;
          if (!ok && !qOk && !constVar) {
            this.fail(
              `'${name}' cannot be used inside a ${wall === 'def' ? 'subroutine' : 'gate definition'} (only constants${wall === 'def' ? ' and qubits' : ''} of outer scopes are visible)`,
              at,
            );
          }
        }
        return sym;
      }
      if (s.wall) wall = s.wall;
    }
    return undefined;
  }

  private declare(scope: Scope, name: string, sym: Sym, at: Pos) {
    if (scope.syms.has(name)) this.fail(`'${name}' is already declared in this scope`, at);
    if (this.gates.has(name)) this.fail(`'${name}' is already declared as a gate`, at);
    scope.syms.set(name, sym);
  }

  // ---- statements ----

  private stmts(list: Stmt[], scope: Scope, out: Op[]) {
    for (const s of list) this.stmt(s, scope, out);
  }

  private block(list: Stmt[], scope: Scope, out: Op[], wall?: 'def' | 'gate'): Scope {
    const inner = new Scope(scope, wall);
    this.hoist(list, inner);
    this.stmts(list, inner, out);
    return inner;
  }

  private stmt(s: Stmt, scope: Scope, out: Op[]) {
    this.current = s;
    const inGate = this.inGate(scope);
    if (inGate && !['gatecall', 'barrier', 'for', 'if', 'block', 'nop', 'decl', 'alias', 'box'].includes(s.k)) {
      this.fail(`'${s.k === 'measurearrow' ? 'measure' : s.k}' is not allowed inside a gate definition`, s);
    }
    switch (s.k) {
      case 'nop':
        return;
      case 'include':
        if (scope !== this.global) this.fail(`includes are only allowed at global scope`, s);
        return this.include(s.file, s);
      case 'qubit':
        return this.declareQubits(s, scope);
      case 'decl':
        return this.declareVar(s, scope, out);
      case 'gatedef':
        if (scope !== this.global) this.fail(`gate definitions are only allowed at global scope`, s);
        return this.defineGate(s);
      case 'def':
        if (scope !== this.global) this.fail(`subroutine definitions are only allowed at global scope`, s);
        return;
      case 'gatecall':
        return this.gateCall(s, scope, out);
      case 'expr':
        this.expr(s.expr, scope, out, true);
        return;
      case 'assign':
        return this.assign(s, scope, out);
      case 'measurearrow': {
        if (!s.bits) {
          const q = this.qubits(s.qubits, scope);
          for (const x of q.q) {
            const tmp = this.allocVar('measure', BIT, s);
            this.emit(out, { kind: 'measure-var', qubit: x, target: { var: tmp } });
          }
          return;
        }
        return this.measureInto(s.bits, s.qubits, scope, out, s);
      }
      case 'reset':
        for (const q of this.qubits(s.operand, scope).q) this.emit(out, { kind: 'reset', qubit: q });
        return;
      case 'barrier': {
        const qs = s.operands.length
          ? [...new Set(s.operands.flatMap((o) => this.qubits(o, scope).q))]
          : Array.from({ length: this.numQubits }, (_, i) => i);
        this.emit(out, { kind: 'barrier', qubits: qs });
        return;
      }
      case 'delay':
        // Timing is the identity for a simulator: check the operands and the duration.
        if (s.duration) this.expr(s.duration, scope, out);
        for (const o of s.operands) this.qubits(o, scope);
        return;
      case 'box':
      case 'block':
        this.block(s.body, scope, out);
        return;
      case 'alias':
        return this.alias(s, scope, out);
      case 'if':
        return this.ifStmt(s, scope, out);
      case 'for':
        return this.forStmt(s, scope, out);
      case 'while':
        return this.whileStmt(s, scope, out);
      case 'switch':
        return this.switchStmt(s, scope, out);
      case 'break':
      case 'continue':
        return this.jump(s.k, s, out);
      case 'end':
        this.emit(out, { kind: 'end' });
        if (this.dyn === 0) throw new Jump('end');
        this.jumped = true;
        return;
      case 'return':
        return this.returnStmt(s, scope, out);
    }
  }

  private inGate(scope: Scope): boolean {
    for (let s: Scope | undefined = scope; s; s = s.parent) if (s.wall) return s.wall === 'gate';
    return false;
  }

  /** Set when a per-shot break/continue/return/end was emitted: the rest of the region runs conditionally. */
  private jumped = false;

  private include(file: string, at: Pos) {
    const lib = libraryGates(file, 3);
    if (!lib) this.fail(`cannot include "${file}": the only include file available is "stdgates.inc"`, at);
    if (this.includes.has(file)) this.fail(`"${file}" is already included`, at);
    this.includes.add(file);
    for (const [name, native] of lib) {
      if (this.gates.has(name)) this.fail(`gate '${name}' of "${file}" is already defined`, at);
      if (this.global.syms.has(name)) this.fail(`gate '${name}' of "${file}" has the same name as a declaration`, at);
      this.gates.set(name, {
        name,
        native,
        sym: STDGATES_SYMBOLIC.get(name),
        numParams: [native.numParams],
        numQubits: native.numQubits,
        library: file,
      });
    }
  }

  private declareQubits(s: Stmt & { k: 'qubit' }, scope: Scope) {
    if (scope !== this.global) this.fail(`qubits can only be declared at global scope`, s);
    if (this.physical >= 0) this.fail(`a program cannot declare qubits and also use physical qubits`, s);
    const size = s.size ? this.constInt(s.size, scope, 'register size') : 1;
    if (size < 1) this.fail(`register size must be at least 1, not ${size}`, s.size ?? s);
    if (this.numQubits + size > this.options.maxOperations || this.numQubits + size > 1e6)
      this.fail(`program too large: too many qubits`, s.size ?? s);
    const reg: Register = { name: s.name, size, offset: this.numQubits };
    this.numQubits += size;
    this.qregs.push(reg);
    const q = Array.from({ length: size }, (_, i) => reg.offset + i);
    this.declare(scope, s.name, { kind: 'qubits', q, single: s.size === undefined }, s);
  }

  // ---- types ----

  private tyOf(spec: TypeSpec, scope: Scope): { t: Ty; dims?: number[] } {
    if (spec.name === 'array') {
      const { t } = this.tyOf(spec.elem!, scope);
      const dims = spec.dims!.map((d) => this.constInt(d, scope, 'array dimension'));
      for (let i = 0; i < dims.length; i++)
        if (dims[i] < 1) this.fail(`array dimension must be at least 1`, spec.dims![i]);
      const size = dims.reduce((a, b) => a * b, 1);
      if (size > 1e6 || size > this.options.maxOperations) this.fail(`array too large`, spec);
      return { t, dims };
    }
    if (spec.name === 'qubit') this.fail(`expected a classical type`, spec);
    if (spec.name === 'stretch') return { t: { k: 'duration' } };
    const t: Ty = { k: spec.name };
    if (spec.width) {
      if (spec.name === 'complex') {
        this.constInt(spec.width, scope, 'float width');
        return { t };
      }
      const w = this.constInt(spec.width, scope, 'bit width');
      if (w < 1) this.fail(`bit width must be at least 1, not ${w}`, spec.width);
      if (w > 1e6) this.fail(`bit width ${w} is too large`, spec.width);
      if (spec.name === 'float') {
        if (![16, 32, 64, 128].includes(w)) this.fail(`float width must be 16, 32, 64 or 128, not ${w}`, spec.width);
        return { t };
      }
      if ((spec.name === 'int' || spec.name === 'uint' || spec.name === 'angle') && w > 53)
        this.fail(`${spec.name}[${w}] is wider than the 53 bits this simulator computes exactly`, spec.width);
      if (spec.name === 'bit' && w > 53) this.fail(`bit[${w}] is wider than 53 bits`, spec.width);
      t.w = w;
    }
    return { t };
  }

  // ---- variables ----

  private newCell(t: Ty, name?: string): Cell {
    return { t, name, known: 0, knownIm: t.k === 'complex' ? 0 : undefined, fresh: true, depth: this.dyn };
  }

  private declareVar(s: Stmt & { k: 'decl' }, scope: Scope, out: Op[]) {
    const { t, dims } = this.tyOf(s.type, scope);
    if (s.isConst) {
      if (!s.init) this.fail(`constant '${s.name}' needs a value`, s);
      const v = this.expr(s.init, scope, out);
      if (dims) {
        const arr = this.makeArray(s.name, t, dims, false);
        this.assignArray(arr, v, s.init, out);
        arr.isConst = true;
        this.declare(scope, s.name, { kind: 'var', v: arr }, s.namePos);
        return;
      }
      if (v.k !== 's') this.fail(`the value of constant '${s.name}' must be known at compile time`, s.init);
      this.checkIntValue(v, t, s.init, `constant '${s.name}'`);
      this.declare(scope, s.name, { kind: 'value', val: this.convert(v, t, s.init), what: 'constant' }, s.namePos);
      return;
    }
    const isCreg = t.k === 'bit' && !dims && scope === this.global;
    let variable: Variable;
    if (isCreg) {
      const size = t.w ?? 1;
      if (this.numClbits + size > 1e6) this.fail(`too many bits`, s);
      const reg: Register = { name: s.name, size, offset: this.numClbits };
      this.numClbits += size;
      this.cregs.push(reg);
      const cell = this.newCell(t, s.name);
      cell.stor = { clbits: Array.from({ length: size }, (_, i) => reg.offset + i) };
      variable = { name: s.name, t, cells: [cell], isConst: false };
    } else if (dims) {
      variable = this.makeArray(s.name, t, dims, false);
    } else {
      variable = { name: s.name, t, cells: [this.newCell(t, s.name)], isConst: false };
    }
    scope.cells.push(...variable.cells);
    if (s.init?.k === 'measure' && !dims) {
      this.declare(scope, s.name, { kind: 'var', v: variable }, s.namePos);
      this.measureInto({ k: 'id', name: s.name, ...s.namePos }, s.init.operand, scope, out, s.init);
      return;
    }
    if (s.init) {
      const v = this.expr(s.init, scope, out, false, variable.cells[0].t);
      if (dims) this.assignArray(variable, v, s.init, out);
      else if (v.k === 's' && v.t.lit) this.checkIntValue(v, t, s.init, `variable '${s.name}'`);
      if (dims) {
        // assigned above
      } else this.writeCell(variable.cells[0], this.convert(this.scalar(v, s.init), t, s.init), out, s.init);
    }
    this.declare(scope, s.name, { kind: 'var', v: variable }, s.namePos);
  }

  private makeArray(name: string, t: Ty, dims: number[], isConst: boolean): Variable {
    const n = dims.reduce((a, b) => a * b, 1);
    this.bump(n);
    const cells: Cell[] = [];
    for (let i = 0; i < n; i++) cells.push(this.newCell(t, name));
    return { name, t, dims, cells, isConst };
  }

  private assignArray(target: Variable | Val, v: Val, at: Pos, out: Op[]) {
    const cells = 'cells' in target ? target.cells : [];
    const dims = 'dims' in target ? target.dims! : [];
    const t = 't' in target ? target.t : FLOAT;
    if (v.k === 'arr') {
      if (v.dims.join(',') !== dims.join(',')) this.fail(`array shapes differ: [${v.dims}] and [${dims}]`, at);
      const vals = v.cells.map((c) => this.readCell(c));
      vals.forEach((x, i) => this.writeCell(cells[i], this.convert(x as Scalar, t, at), out, at));
      return;
    }
    this.fail(`expected an array value`, at);
  }

  private ensureStorage(c: Cell, at: Pos): void {
    if (!c.stor) c.stor = { var: this.allocVar(c.name ?? 'tmp', c.t, at) };
  }

  private target(c: Cell): ClassicalTarget {
    const st = c.stor!;
    return 'var' in st ? { var: st.var } : { clbits: st.clbits };
  }

  /** Writes the cell's known value to its storage if the storage is stale. */
  private materialize(c: Cell, out: Op[], at: Pos) {
    if (c.known === undefined || c.fresh) return;
    if (c.t.k === 'complex') return;
    this.ensureStorage(c, at);
    this.emit(out, { kind: 'set', target: this.target(c), value: { k: 'num', v: c.known } });
    c.fresh = true;
  }

  private readCell(c: Cell): Val {
    if (c.known !== undefined) return { k: 's', t: c.t, v: c.known, im: c.knownIm };
    return { k: 'd', t: c.t, e: this.storageExpr(c) };
  }

  private storageExpr(c: Cell): ClassicalExpr {
    const st = c.stor!;
    if ('var' in st) return { k: 'var', index: st.var };
    return c.t.w === undefined ? { k: 'bit', clbit: st.clbits[0] } : { k: 'bits', clbits: st.clbits };
  }

  private writeCell(c: Cell, v: Scalar, out: Op[], at: Pos) {
    if (this.dyn > c.depth || v.k === 'd') {
      if (c.t.k === 'complex')
        this.fail(
          `per-shot complex variable '${c.name ?? 'value'}' is not supported (complex values are computed at compile time)`,
          at,
        );
      this.ensureStorage(c, at);
      this.emit(out, { kind: 'set', target: this.target(c), value: this.toCE(v) });
      c.known = this.dyn > c.depth || v.k === 'd' ? undefined : (v as { v: number }).v;
      c.knownIm = undefined;
      c.fresh = true;
      return;
    }
    if (c.stor && 'clbits' in c.stor) {
      if (c.known !== v.v) this.emit(out, { kind: 'set', target: this.target(c), value: { k: 'num', v: v.v } });
      c.known = v.v;
      c.fresh = true;
      return;
    }
    c.known = v.v;
    c.knownIm = v.im;
    c.fresh = !c.stor ? true : false;
    if (!c.stor) c.fresh = false;
  }

  /** Makes every live variable's storage hold its known value (before per-shot control flow). */
  private materializeAll(scope: Scope, out: Op[], at: Pos) {
    for (let s: Scope | undefined = scope; s; s = s.parent) for (const c of s.cells) this.materialize(c, out, at);
  }

  private materializeNames(names: Set<string>, scope: Scope, out: Op[], at: Pos, forget: boolean) {
    for (const n of names) {
      let sym: Sym | undefined;
      for (let s: Scope | undefined = scope; s && !sym; s = s.parent) sym = s.syms.get(n);
      if (sym?.kind !== 'var') continue;
      for (const c of sym.v.cells) {
        this.materialize(c, out, at);
        if (forget && c.t.k !== 'complex') {
          this.ensureStorage(c, at);
          c.known = undefined;
        }
      }
    }
  }

  /** Names a statement list may assign (syntactically; also arrays passed to subroutines). */
  private assigned(list: Stmt[], acc = new Set<string>()): Set<string> {
    const root = (e: Expr): string | undefined => (e.k === 'id' ? e.name : e.k === 'index' ? root(e.base) : undefined);
    const walkExpr = (e: Expr | undefined) => {
      if (!e) return;
      if (e.k === 'call') e.args.forEach((a) => (a.k === 'id' ? acc.add(a.name) : walkExpr(a)));
      else if (e.k === 'binary') {
        walkExpr(e.left);
        walkExpr(e.right);
      } else if (e.k === 'unary' || e.k === 'cast') walkExpr(e.arg);
      else if (e.k === 'index') walkExpr(e.base);
    };
    for (const s of list) {
      switch (s.k) {
        case 'assign': {
          const r = root(s.target);
          if (r) acc.add(r);
          walkExpr(s.value);
          break;
        }
        case 'measurearrow':
          if (s.bits) {
            const r = root(s.bits);
            if (r) acc.add(r);
          }
          break;
        case 'expr':
          walkExpr(s.expr);
          break;
        case 'decl':
          walkExpr(s.init);
          break;
        case 'gatecall':
          // A subroutine called with gate syntax.
          s.args.forEach((a) => (a.k === 'id' ? acc.add(a.name) : walkExpr(a)));
          break;
        case 'if':
          walkExpr(s.cond);
          this.assigned(s.then, acc);
          if (s.else) this.assigned(s.else, acc);
          break;
        case 'for':
        case 'while':
        case 'box':
        case 'block':
          this.assigned(s.body, acc);
          break;
        case 'switch':
          s.cases.forEach((c) => this.assigned(c.body, acc));
          if (s.default) this.assigned(s.default, acc);
          break;
        case 'return':
          walkExpr(s.value);
          break;
        default:
          break;
      }
    }
    return acc;
  }

  private mentions(e: Expr | undefined, names: Set<string>): boolean {
    if (!e) return false;
    switch (e.k) {
      case 'id':
        return names.has(e.name);
      case 'unary':
      case 'cast':
        return this.mentions(e.arg, names);
      case 'binary':
        return this.mentions(e.left, names) || this.mentions(e.right, names);
      case 'index':
        return this.mentions(e.base, names) || e.index.some((i) => this.mentions(i, names));
      case 'call':
        return true;
      case 'measure':
        return true;
      default:
        return false;
    }
  }

  private hasJump(list: Stmt[]): boolean {
    for (const s of list) {
      switch (s.k) {
        case 'break':
        case 'continue':
        case 'return':
          return true;
        case 'if':
          if (this.hasJump(s.then) || (s.else && this.hasJump(s.else))) return true;
          break;
        case 'for':
        case 'while':
        case 'box':
        case 'block':
          if (this.hasJump(s.body)) return true;
          break;
        case 'switch':
          if (s.cases.some((c) => this.hasJump(c.body)) || (s.default && this.hasJump(s.default))) return true;
          break;
        default:
          break;
      }
    }
    return false;
  }

  /** Prepares for per-shot control flow over `bodies`: storage of what they write holds its value. */
  private beforeDynamic(bodies: Stmt[][], scope: Scope, out: Op[], at: Pos, forget: boolean) {
    if (bodies.some((b) => this.hasJump(b))) this.materializeAll(scope, out, at);
    const names = new Set<string>();
    for (const b of bodies) this.assigned(b, names);
    this.materializeNames(names, scope, out, at, forget);
  }

  // ---- alias ----

  private alias(s: Stmt & { k: 'alias' }, scope: Scope, out: Op[]) {
    const v = this.expr(s.value, scope, out);
    if (v.k !== 'q') this.fail(`'let' aliases of classical values are not supported (only of qubits)`, s.value);
    this.declare(scope, s.name, { kind: 'qubits', q: v.q, single: v.single }, s);
  }

  // ---- assignment and measurement ----

  private lvalue(
    e: Expr,
    scope: Scope,
    out: Op[],
  ): { v: Variable; cells: Cell[]; bit?: number; bits?: number[]; dynIndex?: Scalar; dims?: number[] } {
    if (e.k === 'id') {
      const sym = this.lookup(e.name, scope, e);
      if (!sym) this.fail(`unknown variable '${e.name}'`, e);
      if (sym.kind !== 'var') {
        if (sym.kind === 'value') this.fail(`${sym.what} '${e.name}' cannot be assigned`, e);
        this.fail(`'${e.name}' is not a classical variable`, e);
      }
      if (sym.v.isConst || sym.v.readonly) this.fail(`'${e.name}' is read-only`, e);
      return { v: sym.v, cells: sym.v.cells };
    }
    if (e.k === 'index') {
      const base = this.lvalue(e.base, scope, out);
      const v = base.v;
      if (v.dims && base.bit === undefined) {
        // Array element(s).
        const sel = this.arraySelect(v, base.cells, e, scope, out);
        return { v, cells: sel.cells, dynIndex: sel.dynIndex, dims: sel.dims };
      }
      // Bit of an integer / bit register / angle.
      if (e.index.length !== 1) this.fail(`expected one index`, e);
      if (base.cells.length !== 1 || base.bit !== undefined) this.fail(`cannot index this value`, e);
      const t = base.cells[0].t;
      const width = t.k === 'bit' ? (t.w ?? 1) : t.w;
      if (width === undefined || (t.k !== 'bit' && t.k !== 'int' && t.k !== 'uint' && t.k !== 'angle'))
        this.fail(`cannot index a value of type ${tyName(t)}`, e);
      if (t.k === 'bit' && t.w === undefined) this.fail(`'${v.name}' is a single bit and cannot be indexed`, e);
      const ix = e.index[0];
      if (ix.k === 'range' || ix.k === 'set')
        return { v, cells: base.cells, bits: this.rangeIndices(ix, width, scope, out) };
      const i = this.constIndex(ix, scope, width, out);
      return { v, cells: base.cells, bit: i };
    }
    this.fail(`cannot assign to this expression`, e);
  }

  private constIndex(e: Expr, scope: Scope, size: number, out: Op[]): number {
    if (e.k === 'range' || e.k === 'set') this.fail(`expected a single index`, e);
    const v = this.scalar(this.expr(e, scope, out), e);
    if (v.k !== 's') this.fail(`this index must be known at compile time`, e);
    if (!Number.isInteger(v.v)) this.fail(`index must be an integer, not ${fmt(v.v)}`, e);
    const i = v.v < 0 ? v.v + size : v.v;
    if (i < 0 || i >= size) this.fail(`index ${v.v} out of range for size ${size}`, e);
    return i;
  }

  private arraySelect(
    v: Variable,
    cells: Cell[],
    e: Expr & { k: 'index' },
    scope: Scope,
    out: Op[],
  ): { cells: Cell[]; dims: number[]; dynIndex?: Scalar } {
    const dims = v.dims!;
    // The dims of `cells` (a sub-array if cells is smaller).
    let curDims = dims.slice(dims.length - this.dimsOf(cells.length, dims).length);
    let cur = cells;
    for (const ix of e.index) {
      if (curDims.length === 0) this.fail(`too many indices`, ix);
      const stride = curDims.slice(1).reduce((a, b) => a * b, 1);
      if (ix.k === 'range' || ix.k === 'set') {
        const idx = this.rangeIndices(ix, curDims[0], scope, out);
        cur = idx.flatMap((i) => cur.slice(i * stride, (i + 1) * stride));
        curDims = [idx.length, ...curDims.slice(1)];
        continue;
      }
      const iv = this.scalar(this.expr(ix, scope, out), ix);
      if (iv.k === 'd') {
        if (curDims.length !== 1 || cur !== v.cells || dims.length !== 1)
          this.fail(`a per-shot index is only supported on a whole one-dimensional array`, ix);
        return { cells: cur, dims: [], dynIndex: iv };
      }
      if (!Number.isInteger(iv.v)) this.fail(`index must be an integer, not ${fmt(iv.v)}`, ix);
      const i = iv.v < 0 ? iv.v + curDims[0] : iv.v;
      if (i < 0 || i >= curDims[0]) this.fail(`index ${iv.v} out of range for dimension of size ${curDims[0]}`, ix);
      cur = cur.slice(i * stride, (i + 1) * stride);
      curDims = curDims.slice(1);
    }
    return { cells: cur, dims: curDims };
  }

  private dimsOf(n: number, dims: number[]): number[] {
    // Trailing dims whose product is n.
    let p = 1;
    for (let i = dims.length - 1; i >= 0; i--) {
      if (p === n) return dims.slice(i + 1);
      p *= dims[i];
    }
    return dims;
  }

  private rangeIndices(ix: Expr, size: number, scope: Scope, out: Op[]): number[] {
    const one = (e: Expr): number => {
      const v = this.scalar(this.expr(e, scope, out), e);
      if (v.k !== 's') this.fail(`a range or set of indices must be known at compile time`, e);
      if (!Number.isInteger(v.v)) this.fail(`index must be an integer, not ${fmt(v.v)}`, e);
      const i = v.v < 0 ? v.v + size : v.v;
      if (i < 0 || i >= size) this.fail(`index ${v.v} out of range for size ${size}`, e);
      return i;
    };
    if (ix.k === 'set') return ix.items.map(one);
    if (ix.k !== 'range') return [one(ix)];
    const start = ix.start ? one(ix.start) : 0;
    let step = 1;
    if (ix.step) {
      const sv = this.scalar(this.expr(ix.step, scope, out), ix.step);
      if (sv.k !== 's' || !Number.isInteger(sv.v) || sv.v === 0)
        this.fail(`range step must be a non-zero integer`, ix.step);
      step = sv.v;
    }
    const end = ix.end ? one(ix.end) : step > 0 ? size - 1 : 0;
    const r: number[] = [];
    for (let i = start; step > 0 ? i <= end : i >= end; i += step) r.push(i);
    if (r.length === 0) this.fail(`the range selects nothing`, ix);
    return r;
  }

  private assign(s: Stmt & { k: 'assign' }, scope: Scope, out: Op[]) {
    if (s.value.k === 'measure' && s.op === '=') return this.measureInto(s.target, s.value.operand, scope, out, s);
    const lv = this.lvalue(s.target, scope, out);
    const binop = s.op === '=' ? undefined : s.op.slice(0, -1);
    if (lv.dynIndex) {
      const v = lv.v;
      let value = this.scalar(this.expr(s.value, scope, out), s.value);
      const block = this.arrayBlock(v, out, s);
      const at = this.toCE(this.convert(lv.dynIndex, INT, s.target));
      if (binop) {
        const cur: Scalar = { k: 'd', t: v.t, e: { k: 'elem', first: block, length: v.cells.length, at } };
        value = this.binary(binop, cur, value, s);
      }
      value = this.convert(value, v.t, s.value);
      this.emit(out, {
        kind: 'set',
        target: { first: block, length: v.cells.length, at },
        value: this.toCE(value),
      });
      for (const c of v.cells) c.known = undefined;
      return;
    }
    const rhs = this.expr(s.value, scope, out, false, lv.cells.length === 1 ? lv.cells[0].t : undefined);
    if (lv.cells.length !== 1) {
      if (binop) this.fail(`compound assignment to an array is not supported`, s);
      return this.assignArray({ k: 'arr', t: lv.v.t, dims: lv.dims ?? lv.v.dims!, cells: lv.cells }, rhs, s.value, out);
    }
    const cell = lv.cells[0];
    if (lv.bits) {
      const value = this.scalar(rhs, s.value);
      if (binop) this.fail(`compound assignment to a bit slice is not supported`, s);
      const w = value.t.k === 'bit' ? (value.t.w ?? 1) : lv.bits.length;
      if (w !== lv.bits.length) this.fail(`cannot assign ${plural(w, 'bit')} to ${plural(lv.bits.length, 'bit')}`, s);
      const bits = this.convert(value, { k: 'bit', w }, s.value);
      lv.bits.forEach((b, j) => this.writeBit(cell, b, this.bitOf(bits, j), out, s));
      return;
    }
    if (lv.bit !== undefined) {
      let bitVal = this.scalar(rhs, s.value);
      const cur = this.bitOf(this.readCell(cell) as Scalar, lv.bit);
      if (binop) bitVal = this.binary(binop, cur, bitVal, s);
      return this.writeBit(cell, lv.bit, this.convert(bitVal, BIT, s.value), out, s);
    }
    let value = this.scalar(rhs, s.value);
    if (binop) value = this.binary(binop, this.readCell(cell) as Scalar, value, s);
    this.writeCell(cell, this.convert(value, cell.t, s.value), out, s);
  }

  private arrayBlock(v: Variable, out: Op[], at: Pos): number {
    if (v.block === undefined) {
      v.block = this.vars.length;
      v.cells.forEach((c, i) => {
        if (c.stor) this.fail(`internal: array storage`, at);
        c.stor = { var: this.allocVar(`${v.name}[${i}]`, c.t, at) };
        c.fresh = false;
      });
    }
    for (const c of v.cells) this.materialize(c, out, at);
    return v.block;
  }

  private bitOf(v: Scalar, i: number): Scalar {
    if (v.k === 's') return { k: 's', t: BIT, v: Math.floor(v.v / 2 ** i) % 2 };
    if (v.e.k === 'bits') return { k: 'd', t: BIT, e: { k: 'bit', clbit: v.e.clbits[i] } };
    return {
      k: 'd',
      t: BIT,
      e: { k: 'binary', op: '&', a: { k: 'binary', op: '>>', a: v.e, b: { k: 'num', v: i } }, b: { k: 'num', v: 1 } },
    };
  }

  private writeBit(cell: Cell, i: number, b: Scalar, out: Op[], at: Pos) {
    const st = cell.stor;
    if (st && 'clbits' in st) {
      // Each clbit is its own storage.
      if (this.dyn > cell.depth || b.k === 'd') {
        this.emit(out, { kind: 'set', target: { clbits: [st.clbits[i]] }, value: this.toCE(b) });
        cell.known = undefined;
        return;
      }
      const cur = cell.known;
      if (cur !== undefined) {
        const nv = cur - (Math.floor(cur / 2 ** i) % 2) * 2 ** i + b.v * 2 ** i;
        this.writeCell(cell, { k: 's', t: cell.t, v: nv }, out, at);
      } else this.emit(out, { kind: 'set', target: { clbits: [st.clbits[i]] }, value: { k: 'num', v: b.v } });
      return;
    }
    const cur = this.readCell(cell) as Scalar;
    if (cur.k === 's' && b.k === 's') {
      const nv = cur.v - (Math.floor(cur.v / 2 ** i) % 2) * 2 ** i + b.v * 2 ** i;
      return this.writeCell(cell, { k: 's', t: cell.t, v: nv }, out, at);
    }
    if (i > 30) this.fail(`per-shot writes of bit ${i} (beyond 31) are not supported`, at);
    const mask = { k: 'num', v: ~(1 << i) } as ClassicalExpr;
    const e: ClassicalExpr = {
      k: 'binary',
      op: '|',
      a: { k: 'binary', op: '&', a: this.toCE(cur), b: mask },
      b: { k: 'binary', op: '<<', a: this.toCE(b), b: { k: 'num', v: i } },
    };
    this.writeCell(cell, { k: 'd', t: cell.t, e }, out, at);
  }

  /** `target = measure qubits` / `measure qubits -> target`. */
  private measureInto(target: Expr, qe: Expr, scope: Scope, out: Op[], at: Pos) {
    const q = this.qubits(qe, scope).q;
    const lv = this.lvalue(target, scope, out);
    if (lv.dynIndex) this.fail(`measuring into an array element chosen per shot is not supported`, target);
    const cell = lv.cells[0];
    if (lv.bits) {
      if (lv.bits.length !== q.length)
        this.fail(`cannot measure ${plural(q.length, 'qubit')} into ${plural(lv.bits.length, 'bit')}`, target);
      lv.bits.forEach((b, i) => this.measureCell(cell, b, q[i], out, at));
      return;
    }
    if (lv.cells.length !== 1) {
      if (lv.cells.length !== q.length)
        this.fail(`cannot measure ${plural(q.length, 'qubit')} into ${lv.cells.length} values`, target);
      lv.cells.forEach((c, i) => this.measureCell(c, undefined, q[i], out, at));
      return;
    }
    const t = cell.t;
    const width = lv.bit !== undefined ? 1 : t.k === 'bit' ? (t.w ?? 1) : (t.w ?? 1);
    if (q.length !== width && !(q.length === 1 && width >= 1 && t.k !== 'bit'))
      this.fail(`cannot measure ${plural(q.length, 'qubit')} into ${plural(width, 'bit')}`, target);
    if (lv.bit !== undefined) return this.measureCell(cell, lv.bit, q[0], out, at);
    if (q.length === 1 && t.k !== 'bit' && width > 1) {
      // `int x = measure q;`: the value is 0 or 1.
      this.writeCell(cell, { k: 's', t, v: 0 }, out, at);
      return this.measureCell(cell, 0, q[0], out, at);
    }
    q.forEach((x, i) => this.measureCell(cell, t.w === undefined && t.k === 'bit' ? undefined : i, x, out, at));
  }

  private measureCell(cell: Cell, bit: number | undefined, qubit: number, out: Op[], at: Pos) {
    const st = cell.stor;
    if (st && 'clbits' in st) {
      this.emit(out, { kind: 'measure', qubit, clbit: st.clbits[bit ?? 0] });
      cell.known = undefined;
      return;
    }
    if (cell.t.k === 'complex') this.fail(`cannot measure into a complex value`, at);
    // Other bits of the value must be in storage.
    if (bit !== undefined && this.dyn === cell.depth) this.materialize(cell, out, at);
    this.ensureStorage(cell, at);
    if (cell.known !== undefined && !cell.fresh) this.materialize(cell, out, at);
    const op: Op = { kind: 'measure-var', qubit, target: this.target(cell) };
    if (bit) op.bit = bit;
    this.emit(out, op);
    cell.known = undefined;
  }

  // ---- control flow ----

  private ifStmt(s: Stmt & { k: 'if' }, scope: Scope, out: Op[]) {
    const cond = this.truth(this.expr(s.cond, scope, out), s.cond);
    if (cond.k === 's') {
      const taken = cond.v ? s.then : s.else;
      if (taken) this.block(taken, scope, out);
      return;
    }
    this.beforeDynamic([s.then, s.else ?? []], scope, out, s, false);
    const [thenOps, j1] = this.dynBody(s.then, scope);
    const [elseOps, j2] = s.else ? this.dynBody(s.else, scope) : [[], false];
    this.emitBranch(cond.e, thenOps, elseOps, out);
    if (j1 || j2) this.afterJump(scope, out, s);
  }

  private emitBranch(cond: ClassicalExpr, then: Op[], otherwise: Op[], out: Op[]) {
    // Plain clbit conditions without else stay OpenQASM 2 style conditionals.
    if (otherwise.length === 0) {
      if (cond.k === 'bit') return this.emit(out, { kind: 'if', clbits: [cond.clbit], value: 1, body: then });
      if (cond.k === 'unary' && cond.op === '!' && cond.a.k === 'bit')
        return this.emit(out, { kind: 'if', clbits: [cond.a.clbit], value: 0, body: then });
      if (cond.k === 'binary' && cond.op === '==') {
        const [b, n] = cond.a.k === 'num' ? [cond.b, cond.a] : [cond.a, cond.b];
        if (n.k === 'num' && (b.k === 'bits' || b.k === 'bit')) {
          const clbits = b.k === 'bits' ? b.clbits : [b.clbit];
          if (Number.isInteger(n.v) && n.v >= 0 && n.v < 2 ** clbits.length)
            return this.emit(out, { kind: 'if', clbits: clbits.slice(), value: n.v, body: then });
        }
      }
    }
    const op: BranchOp = { kind: 'branch', cond, then, otherwise };
    this.emit(out, op);
  }

  /** Lowers a body under a per-shot condition; returns its ops and whether it jumped out. */
  private dynBody(list: Stmt[], scope: Scope): [Op[], boolean] {
    const ops: Op[] = [];
    const savedJ = this.jumped;
    const savedDyn = this.dyn;
    this.jumped = false;
    this.dyn++;
    let jumped = false;
    try {
      this.regionBody(list, scope, ops);
    } finally {
      jumped = this.jumped;
      this.dyn = savedDyn;
      this.jumped = savedJ;
    }
    return [ops, jumped];
  }

  /** Lowers statements; after a per-shot jump, the rest runs conditionally (dyn raised). */
  private regionBody(list: Stmt[], scope: Scope, out: Op[], inner = new Scope(scope)) {
    this.hoist(list, inner);
    const saved = this.dyn;
    try {
      for (const st of list) {
        const before = this.jumped;
        this.jumped = false;
        try {
          this.stmt(st, inner, out);
        } catch (e) {
          if (e instanceof Jump && e.kind !== 'end') {
            this.jumped ||= before;
            throw e;
          }
          throw e;
        }
        if (this.jumped && !before) this.dyn = Math.max(this.dyn, saved + 1);
        this.jumped ||= before;
      }
    } finally {
      this.dyn = saved;
    }
  }

  private afterJump(scope: Scope, out: Op[], at: Pos) {
    void scope;
    void out;
    void at;
    this.jumped = true;
  }

  private innermostLoop(at: Pos, what: string): LoopCtx {
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const l = this.loops[i];
      if (l.kind === 'def') break;
      return l;
    }
    this.fail(`'${what}' outside a loop`, at);
  }

  private jump(kind: 'break' | 'continue', at: Pos, out: Op[]) {
    const ctx = this.innermostLoop(at, kind);
    if (this.dyn === ctx.depth) {
      if (ctx.kind === 'while') this.emit(out, { kind });
      throw new Jump(kind);
    }
    if (ctx.kind === 'while') {
      this.emit(out, { kind });
    } else {
      // An unrolled for loop: each iteration is wrapped in `while (1) { ...; break; }`.
      ctx.dynJump = true;
      if (kind === 'break') {
        ctx.dynBreak = true;
        ctx.flag ??= this.allocVar('break', BOOL, at);
        this.emit(out, { kind: 'set', target: { var: ctx.flag }, value: { k: 'num', v: 1 } });
      }
      this.emit(out, { kind: 'break' });
    }
    this.jumped = true;
  }

  /** A range loop whose bounds are per-shot values: a `while` op with a counter variable. */
  private dynamicRange(s: Stmt & { k: 'for' }, scope: Scope, out: Op[]): boolean {
    const it = s.iter;
    if (it.k !== 'range') return false;
    const pre: Op[] = [];
    const evalB = (e: Expr) => this.scalar(this.expr(e, scope, pre), e);
    const a = evalB(it.start!);
    const b = evalB(it.end!);
    const st = it.step ? evalB(it.step) : ({ k: 's', t: INT, v: 1 } as Scalar);
    // Static bounds: loopItems evaluates them again (they measure nothing).
    if (a.k === 's' && b.k === 's') return false;
    out.push(...pre);
    if (st.k !== 's' || !Number.isInteger(st.v) || st.v === 0)
      this.fail(
        `the step of a range with per-shot bounds must be a non-zero integer known at compile time`,
        it.step ?? it,
      );
    const step = st.v;
    const t: Ty = s.type ? this.tyOf(s.type, scope).t : INT;
    this.beforeDynamic([s.body], scope, out, s, true);
    // counter = start - step; while (counter + step <= end) { counter += step; body }
    const counter = this.allocVar(s.varName, t.k === 'uint' ? INT : t, s);
    const A = this.toCE(this.convert(a, INT, it.start!));
    const B = this.toCE(this.convert(b, INT, it.end!));
    this.emit(out, {
      kind: 'set',
      target: { var: counter },
      value: { k: 'binary', op: '-', a: A, b: { k: 'num', v: step } },
    });
    const next: ClassicalExpr = { k: 'binary', op: '+', a: { k: 'var', index: counter }, b: { k: 'num', v: step } };
    const cond: ClassicalExpr = { k: 'binary', op: step > 0 ? '<=' : '>=', a: next, b: B };
    const body: Op[] = [{ kind: 'set', target: { var: counter }, value: next }];
    this.bump(1);
    const ctx: LoopCtx = { kind: 'while', depth: this.dyn + 1 };
    this.loops.push(ctx);
    const savedDyn = this.dyn;
    this.dyn++;
    const inner = new Scope(scope);
    inner.syms.set(s.varName, {
      kind: 'value',
      val: { k: 'd', t, e: { k: 'var', index: counter } },
      what: 'loop variable',
    });
    try {
      this.regionBody(s.body, inner, body);
    } catch (e) {
      if (!(e instanceof Jump) || (e.kind !== 'break' && e.kind !== 'continue')) throw e;
    } finally {
      this.loops.pop();
      this.dyn = savedDyn;
      this.jumped = false;
    }
    this.emit(out, { kind: 'while', cond, body });
    return true;
  }

  private forStmt(s: Stmt & { k: 'for' }, scope: Scope, out: Op[]) {
    if (this.dynamicRange(s, scope, out)) return;
    const items = this.loopItems(s, scope, out);
    const ctx: LoopCtx = { kind: 'for', depth: this.dyn };
    const start = out.length;
    let target = out;
    this.loops.push(ctx);
    const savedDyn = this.dyn;
    let perIteration = Infinity;
    try {
      for (let k = 0; k < items.length; k++) {
        const before = this.count;
        this.bump(1, s);
        const inner = new Scope(scope);
        if (s.type)
          this.checkIntValue(
            this.scalar(items[k], s.iter),
            this.tyOf(s.type, scope).t,
            s.iter,
            `loop variable '${s.varName}'`,
          );
        const loopVal = s.type
          ? this.convert(this.scalar(items[k], s.iter), this.tyOf(s.type, scope).t, s.iter)
          : items[k];
        inner.syms.set(s.varName, { kind: 'value', val: loopVal, what: 'loop variable' });
        ctx.dynJump = false;
        const iterStart = target.length;
        let stop = false;
        try {
          this.regionBody(s.body, inner, target);
        } catch (e) {
          if (!(e instanceof Jump) || (e.kind !== 'break' && e.kind !== 'continue')) throw e;
          if (e.kind === 'break') stop = true;
        }
        this.jumped = false;
        if (ctx.dynJump) {
          const body = target.splice(iterStart);
          body.push({ kind: 'break' });
          this.emit(target, { kind: 'while', cond: { k: 'num', v: 1 }, body });
          if (ctx.dynBreak) {
            // Later iterations run only if no break happened.
            const guard: BranchOp = {
              kind: 'branch',
              cond: { k: 'unary', op: '!', a: { k: 'var', index: ctx.flag! } },
              then: [],
              otherwise: [],
            };
            if (k < items.length - 1) {
              this.emit(target, guard);
              target = guard.then;
            }
            ctx.dynBreak = false;
            this.dyn = savedDyn + 1;
            ctx.depth = savedDyn + 1;
          }
        }
        if (stop) break;
        if (k < 2) {
          perIteration = Math.min(perIteration, this.count - before);
          if (k === 1 && this.count + perIteration * (items.length - 2) > this.options.maxOperations)
            this.bump(perIteration * (items.length - 2), s);
        }
      }
    } finally {
      this.loops.pop();
      this.dyn = savedDyn;
    }
    if (ctx.flag !== undefined) {
      out.splice(start, 0, { kind: 'set', target: { var: ctx.flag }, value: { k: 'num', v: 0 } });
      this.bump(1);
    }
  }

  private loopItems(s: Stmt & { k: 'for' }, scope: Scope, out: Op[]): Val[] {
    const it = s.iter;
    const intTy: Ty = s.type ? this.tyOf(s.type, scope).t : INT;
    const st = (e: Expr): { v: number } => {
      const v = this.scalar(this.expr(e, scope, out), e);
      if (v.k !== 's')
        this.fail(`for loop values must be known at compile time (they depend on measurement results)`, e);
      return v;
    };
    if (it.k === 'range') {
      const a = st(it.start!);
      const b = st(it.end!);
      const step = it.step ? st(it.step).v : 1;
      if (![a.v, b.v, step].every(Number.isInteger)) this.fail(`range bounds must be integers`, it);
      if (step === 0) this.fail(`range step cannot be zero`, it.step!);
      const n = Math.floor((b.v - a.v) / step) + 1;
      if (n <= 0) return [];
      if (n > this.options.maxOperations) this.bump(this.options.maxOperations + 1, s);
      const vals: Val[] = [];
      for (let i = 0; i < n; i++) vals.push({ k: 's', t: intTy.k === 'uint' ? intTy : INT, v: a.v + i * step });
      return vals;
    }
    if (it.k === 'set') return it.items.map((e) => this.expr(e, scope, out));
    const v = this.expr(it, scope, out);
    if (v.k === 'arr') return v.cells.map((c) => this.readCell(c));
    if (v.k === 's' && v.t.k === 'bit' && v.t.w !== undefined)
      return Array.from({ length: v.t.w }, (_, i) => this.bitOf(v, i));
    this.fail(`expected a range, a set or an array to loop over`, it);
  }

  private whileStmt(s: Stmt & { k: 'while' }, scope: Scope, out: Op[]) {
    if (!this.hasJump(s.body) && !this.mentions(s.cond, this.assigned(s.body))) {
      // A condition the body cannot change: false skips the loop, true is a loop that only `end`
      // or the simulator's per-shot bound stops.
      const c = this.truth(this.expr(s.cond, scope, []), s.cond);
      if (c.k === 's' && !c.v) return;
    } else if (!this.hasJump(s.body)) {
      // Unroll while the condition is known at compile time.
      for (;;) {
        const before = out.length;
        const c = this.truth(this.expr(s.cond, scope, out), s.cond);
        if (c.k !== 's') {
          out.length = before;
          break;
        }
        if (!c.v) return;
        this.bump(1, s);
        this.block(s.body, scope, out);
      }
    }
    this.beforeDynamic([s.body], scope, out, s, true);
    const condOps: Op[] = [];
    const cond = this.truth(this.expr(s.cond, scope, condOps), s.cond);
    if (condOps.length) this.fail(`a while condition cannot measure`, s.cond);
    const ctx: LoopCtx = { kind: 'while', depth: this.dyn + 1 };
    this.loops.push(ctx);
    const savedDyn = this.dyn;
    const body: Op[] = [];
    this.dyn++;
    try {
      this.regionBody(s.body, scope, body);
    } catch (e) {
      if (!(e instanceof Jump) || (e.kind !== 'break' && e.kind !== 'continue')) throw e;
    } finally {
      this.loops.pop();
      this.dyn = savedDyn;
      this.jumped = false;
    }
    this.emit(out, { kind: 'while', cond: cond.k === 's' ? { k: 'num', v: cond.v } : cond.e, body });
  }

  private switchStmt(s: Stmt & { k: 'switch' }, scope: Scope, out: Op[]) {
    const subj = this.scalar(this.expr(s.subject, scope, out), s.subject);
    if (!isIntTy(subj.t)) this.fail(`a switch needs an integer value, not ${tyName(subj.t)}`, s.subject);
    const caseVals = s.cases.map((c) =>
      c.values.map((e) => {
        const v = this.scalar(this.expr(e, scope, out), e);
        if (v.k !== 's' || !Number.isInteger(v.v)) this.fail(`case values must be integers known at compile time`, e);
        return v.v;
      }),
    );
    const seen = new Set<number>();
    caseVals.forEach((vs, i) =>
      vs.forEach((v, j) => {
        if (seen.has(v)) this.fail(`duplicate case value ${v}`, s.cases[i].values[j]);
        seen.add(v);
      }),
    );
    if (subj.k === 's') {
      const i = caseVals.findIndex((vs) => vs.includes(subj.v));
      const body = i >= 0 ? s.cases[i].body : s.default;
      if (body) this.block(body, scope, out);
      return;
    }
    const bodies = [...s.cases.map((c) => c.body), s.default ?? []];
    this.beforeDynamic(bodies, scope, out, s, false);
    let e = subj.e;
    if (e.k !== 'var' && e.k !== 'bits' && e.k !== 'bit' && e.k !== 'num') {
      const tmp = this.allocVar('switch', subj.t, s);
      this.emit(out, { kind: 'set', target: { var: tmp }, value: e });
      e = { k: 'var', index: tmp };
    }
    let jumped = false;
    const build = (i: number): Op[] => {
      if (i === s.cases.length) {
        if (!s.default) return [];
        const [ops, j] = this.dynBody(s.default, scope);
        jumped ||= j;
        return ops;
      }
      const [then, j] = this.dynBody(s.cases[i].body, scope);
      jumped ||= j;
      let cond: ClassicalExpr | undefined;
      for (const v of caseVals[i]) {
        const c: ClassicalExpr = { k: 'binary', op: '==', a: e, b: { k: 'num', v } };
        cond = cond ? { k: 'binary', op: '||', a: cond, b: c } : c;
      }
      const otherwise = build(i + 1);
      this.bump(1);
      return [{ kind: 'branch', cond: cond!, then, otherwise }];
    };
    out.push(...build(0));
    if (jumped) this.jumped = true;
  }

  private returnStmt(s: Stmt & { k: 'return' }, scope: Scope, out: Op[]) {
    let ctx: LoopCtx | undefined;
    let loopsInside = false;
    for (let i = this.loops.length - 1; i >= 0; i--) {
      if (this.loops[i].kind === 'def') {
        ctx = this.loops[i];
        break;
      }
      loopsInside = true;
    }
    if (!ctx) this.fail(`'return' outside a subroutine`, s);
    let val: Val | undefined;
    if (s.value) {
      if (!ctx.ret) this.fail(`this subroutine returns no value`, s.value);
      val = this.expr(s.value, scope, out, false, ctx.ret);
      val = this.convert(this.scalar(val, s.value), ctx.ret, s.value);
    } else if (ctx.ret) this.fail(`this subroutine must return a ${tyName(ctx.ret)} value`, s);
    if (this.dyn === ctx.depth) {
      ctx.retVal = val;
      throw new Jump('return');
    }
    if (loopsInside) this.fail(`'return' under a per-shot condition inside a loop is not supported`, s);
    ctx.dynReturn = true;
    if (val) {
      ctx.retVar ??= this.allocVar('return', ctx.ret!, s);
      this.emit(out, { kind: 'set', target: { var: ctx.retVar }, value: this.toCE(val as Scalar) });
    }
    this.emit(out, { kind: 'break' });
    this.jumped = true;
  }

  // ---- subroutine calls ----

  private callDef(
    def: Stmt & { k: 'def' },
    args: Expr[],
    qubitArgs: Expr[] | undefined,
    scope: Scope,
    out: Op[],
    at: Pos,
  ): Val | undefined {
    const all = qubitArgs ? [...args, ...qubitArgs] : args;
    if (all.length !== def.params.length)
      this.fail(
        `subroutine '${def.name}' takes ${plural(def.params.length, 'argument')} but ${all.length} ${all.length === 1 ? 'was' : 'were'} given`,
        at,
      );
    if (this.callDepth >= MAX_CALL_DEPTH)
      this.fail(
        `subroutine calls are nested too deeply (more than ${MAX_CALL_DEPTH} levels; unbounded recursion?)`,
        at,
      );
    this.bump(1, at);
    const inner = new Scope(this.global, 'def');
    const bound: [string, Sym, Pos][] = [];
    for (let i = 0; i < def.params.length; i++) {
      const p = def.params[i];
      const a = all[i];
      const spec = p.type!;
      if (spec.name === 'qubit') {
        const q = this.qubits(a, scope);
        const n = spec.width ? this.constInt(spec.width, this.global, 'size') : undefined;
        if (n === undefined ? q.q.length !== 1 : q.q.length !== n)
          this.fail(
            `argument ${i + 1} of '${def.name}' must be ${n === undefined ? 'one qubit' : plural(n, 'qubit')}, not ${q.q.length}`,
            a,
          );
        bound.push([p.name, { kind: 'qubits', q: q.q, single: n === undefined }, p]);
        continue;
      }
      const v = this.expr(a, scope, out);
      const { t, dims } = this.tyOf(spec, this.global);
      if (spec.name === 'array') {
        if (v.k !== 'arr') this.fail(`argument ${i + 1} of '${def.name}' must be an array`, a);
        if (v.dims.join(',') !== dims!.join(','))
          this.fail(`argument ${i + 1} of '${def.name}': array shape [${v.dims}] is not [${dims}]`, a);
        const ref: Variable = {
          name: p.name,
          t: v.t,
          dims: v.dims,
          cells: v.cells,
          isConst: false,
          readonly: spec.access !== 'mutable',
          block: v.owner && v.owner.cells === v.cells ? v.owner.block : undefined,
        };
        bound.push([p.name, { kind: 'var', v: ref }, p]);
        continue;
      }
      const cell = this.newCell(t, p.name);
      const variable: Variable = { name: p.name, t, cells: [cell], isConst: false };
      this.writeCell(cell, this.convert(this.scalar(v, a), t, a), out, a);
      inner.cells.push(cell);
      bound.push([p.name, { kind: 'var', v: variable }, p]);
    }
    for (const [n, sym, p] of bound) this.declare(inner, n, sym, p);
    const ret = def.returns ? this.tyOf(def.returns, this.global).t : undefined;
    const ctx: LoopCtx = { kind: 'def', depth: this.dyn, ret };
    this.loops.push(ctx);
    this.callDepth++;
    const start = out.length;
    const savedJ = this.jumped;
    this.jumped = false;
    try {
      this.regionBody(def.body, inner, out, new Scope(inner));
    } catch (e) {
      if (!(e instanceof Jump) || e.kind !== 'return') throw e;
    } finally {
      this.loops.pop();
      this.callDepth--;
      this.jumped = savedJ;
    }
    if (ctx.dynReturn) {
      const body = out.splice(start);
      // The final static return (if any) is now conditional: write it to the return variable.
      if (ctx.retVal && ctx.retVar !== undefined)
        body.push({ kind: 'set', target: { var: ctx.retVar }, value: this.toCE(ctx.retVal as Scalar) });
      body.push({ kind: 'break' });
      this.emit(out, { kind: 'while', cond: { k: 'num', v: 1 }, body });
      if (ctx.retVar !== undefined) return { k: 'd', t: ret!, e: { k: 'var', index: ctx.retVar } };
      return undefined;
    }
    if (ret && !ctx.retVal) this.fail(`subroutine '${def.name}' ended without returning a value`, at);
    return ctx.retVal;
  }

  // ---- gates ----

  private defineGate(s: Stmt & { k: 'gatedef' }) {
    if (this.gates.has(s.name)) {
      const prev = this.gates.get(s.name)!;
      this.fail(`gate '${s.name}' is already defined${prev.library ? ` (by "${prev.library}")` : ''}`, s);
    }
    if (this.global.syms.has(s.name)) this.fail(`gate '${s.name}' has the same name as a declaration`, s);
    const seen = new Set<string>();
    for (const p of [...s.params, ...s.qubits]) {
      if (seen.has(p.name)) this.fail(`duplicate name '${p.name}' in the arguments of gate '${s.name}'`, p);
      seen.add(p.name);
    }
    const check = (list: Stmt[]) => {
      for (const st of list) {
        if (st.k === 'gatecall' && st.name === s.name) this.fail(`gate '${s.name}' cannot call itself`, st.namePos);
        if (!['gatecall', 'barrier', 'for', 'if', 'block', 'nop', 'decl', 'alias', 'box'].includes(st.k))
          this.fail(`'${st.k === 'measurearrow' ? 'measure' : st.k}' is not allowed inside a gate definition`, st);
        if (st.k === 'decl' && !st.isConst) this.fail(`only constants can be declared inside a gate definition`, st);
        if (st.k === 'for' || st.k === 'box' || st.k === 'block') check(st.body);
        if (st.k === 'if') {
          check(st.then);
          if (st.else) check(st.else);
        }
      }
    };
    check(s.body);
    this.gates.set(s.name, { name: s.name, user: s, numParams: [s.params.length], numQubits: s.qubits.length });
  }

  private lookupGate(name: string, at: Pos): GateDef3 | undefined {
    const def = this.gates.get(name);
    if (def) return def;
    // Not defined nor included: stdgates names (as Braket accepts them), then Braket's gate set.
    const std = libraryGates('stdgates.inc', 3)!.get(name);
    if (std && !this.includes.has('stdgates.inc')) {
      const g: GateDef3 = {
        name,
        native: std,
        sym: STDGATES_SYMBOLIC.get(name),
        numParams: [std.numParams],
        numQubits: std.numQubits,
      };
      return g;
    }
    const bk = BRAKET_GATES.get(name);
    if (bk) return { name, sym: bk, numParams: bk.numParams, numQubits: bk.numQubits };
    void at;
    return undefined;
  }

  private gateCall(call: GateCall, scope: Scope, out: Op[]) {
    if (call.name === 'gphase' && !this.gates.has('gphase')) return this.gphase(call, scope, out);
    const def = this.lookupGate(call.name, call.namePos);
    if (!def) {
      const sym = this.lookup(call.name, scope, call.namePos);
      if (sym?.kind === 'def') {
        // A subroutine called with gate syntax (`f(a) q;`, as some openqasm examples do).
        if (call.modifiers.length) this.fail(`modifiers cannot be applied to subroutine '${call.name}'`, call);
        this.callDef(sym.def, call.args, call.operands, scope, out, call.namePos);
        return;
      }
      this.fail(`unknown gate '${call.name}'`, call.namePos);
    }
    if (!def.numParams.includes(call.args.length)) {
      const want = def.numParams.map(String).join(' or ');
      this.fail(
        `gate '${call.name}' takes ${want} parameter${want === '1' ? '' : 's'} but ${call.args.length} ${call.args.length === 1 ? 'was' : 'were'} given`,
        call.namePos,
      );
    }
    const params = call.args.map((a) => {
      const v = this.scalar(this.expr(a, scope, out), a);
      if (v.k === 's' && v.im) this.fail(`a gate parameter must be real`, a);
      return this.convert(v, FLOAT, a);
    });
    const mods = call.modifiers.map((m) => {
      if (m.kind === 'inv') return { kind: m.kind, n: 0 };
      if (m.kind === 'pow') {
        const v = this.scalar(this.expr(m.arg!, scope, out), m.arg!);
        if (v.k !== 's') this.fail(`pow(k) needs a k known at compile time`, m.arg!);
        return { kind: m.kind, n: (this.convert(v, FLOAT, m.arg!) as { v: number }).v, pos: m.arg! };
      }
      let n = 1;
      if (m.arg) {
        n = this.constInt(m.arg, scope, 'control count');
        if (n < 1) this.fail(`control count must be at least 1, not ${n}`, m.arg);
      }
      return { kind: m.kind, n };
    });
    const controls = mods.reduce((a, m) => a + (m.kind === 'ctrl' || m.kind === 'negctrl' ? m.n : 0), 0);
    const want = controls + def.numQubits;
    const callName = () => call.modifiers.map((m) => (m.arg ? `${m.kind}(…) @ ` : `${m.kind} @ `)).join('') + call.name;
    if (call.operands.length !== want) {
      this.fail(
        `'${callName()}' takes ${plural(want, 'qubit')} but ${call.operands.length} ${call.operands.length === 1 ? 'was' : 'were'} given`,
        call.namePos,
      );
    }
    const resolved = call.operands.map((o) => ({ ...this.qubits(o, scope), pos: o as Pos }));
    let width = 0;
    for (const r of resolved) {
      if (r.single) continue;
      if (width && r.q.length !== width)
        this.fail(`register sizes do not match in '${call.name}': ${width} and ${r.q.length}`, r.pos);
      width = r.q.length;
    }
    const n = width || 1;
    const size = this.gateSize(def);
    if (size !== undefined) {
      let reps = size * n;
      for (const m of mods) if (m.kind === 'pow' && Number.isInteger(m.n)) reps *= Math.abs(m.n);
      if (this.count + reps > this.options.maxOperations) this.bump(reps, call);
    }
    for (let i = 0; i < n; i++) {
      const qs = resolved.map((r) => (r.single ? r.q[0] : r.q[i]));
      for (let a = 0; a < qs.length; a++)
        for (let b = 0; b < a; b++)
          if (qs[a] === qs[b])
            this.fail(`qubit ${this.qubitLabel(qs[a])} is used more than once in '${callName()}'`, resolved[a].pos);
      this.applyModified(mods, 0, def, params, qs, out, call);
    }
  }

  /** Ops one call of a gate expands to, when known without its parameters (refuses explosive calls early). */
  private gateSize(def: GateDef3, depth = 0): number | undefined {
    if (def.size !== undefined) return def.size ?? undefined;
    let size: number | null = null;
    if (def.native || def.sym) {
      const tmp: Op[] = [];
      const dummy = [0.1, 0.2, 0.3, 0.4];
      if (def.native) def.native.lower(dummy.slice(0, def.numParams[0]), [0, 1, 2, 3, 4, 5], tmp);
      else def.sym!.lower(dummy.slice(0, def.numParams[0]), [0, 1, 2, 3, 4, 5], new Emit(def.name, tmp));
      size = tmp.length;
    } else if (def.user && depth < 1000) {
      let total = 0;
      for (const st of def.user.body) {
        if (st.k === 'barrier' || st.k === 'nop') {
          total += 1;
          continue;
        }
        if (st.k !== 'gatecall') return this.noSize(def);
        if (st.name === 'gphase') {
          total += 1;
          continue;
        }
        const callee = this.gates.get(st.name) ?? this.lookupGate(st.name, st);
        if (!callee) return this.noSize(def);
        let reps = 1;
        for (const m of st.modifiers) {
          if (m.kind !== 'pow') continue;
          if (m.arg?.k !== 'num' || !Number.isInteger(m.arg.value)) return this.noSize(def);
          reps *= Math.abs(m.arg.value);
        }
        const n = this.gateSize(callee, depth + 1);
        if (n === undefined) return this.noSize(def);
        total += n * reps;
      }
      size = total;
    }
    def.size = size;
    return size ?? undefined;
  }

  private noSize(def: GateDef3): undefined {
    def.size = null;
    return undefined;
  }

  private gphase(call: GateCall, scope: Scope, out: Op[]) {
    if (call.args.length !== 1)
      this.fail(`gate 'gphase' takes 1 parameter but ${call.args.length} were given`, call.namePos);
    const theta = this.convert(this.scalar(this.expr(call.args[0], scope, out), call.args[0]), FLOAT, call.args[0]);
    const def: GateDef3 = {
      name: 'gphase',
      numParams: [1],
      numQubits: 0,
      sym: {
        numParams: [1],
        numQubits: 0,
        lower: (p, _q, e) => e.gphase(p[0], this.anyQubit()),
      },
    };
    const rewritten: GateCall = { ...call, args: [] };
    void rewritten;
    const mods = call.modifiers.map((m) => {
      if (m.kind === 'inv') return { kind: m.kind, n: 0 };
      if (m.kind === 'pow') {
        const v = this.scalar(this.expr(m.arg!, scope, out), m.arg!);
        if (v.k !== 's') this.fail(`pow(k) needs a k known at compile time`, m.arg!);
        return { kind: m.kind, n: v.v, pos: m.arg! };
      }
      return { kind: m.kind, n: m.arg ? this.constInt(m.arg, scope, 'control count') : 1 };
    });
    const controls = mods.reduce((a, m) => a + (m.kind === 'ctrl' || m.kind === 'negctrl' ? m.n : 0), 0);
    if (call.operands.length !== controls)
      this.fail(
        `'gphase' takes ${plural(controls, 'qubit')} but ${call.operands.length} ${call.operands.length === 1 ? 'was' : 'were'} given`,
        call.namePos,
      );
    const qs = call.operands.map((o) => {
      const r = this.qubits(o, scope);
      if (!r.single && r.q.length !== 1) this.fail(`gphase controls must be single qubits`, o);
      return r.q[0];
    });
    this.applyModified(mods, 0, def, [theta], qs, out, call);
  }

  private qubitLabel(q: number): string {
    for (const r of this.qregs) if (q >= r.offset && q < r.offset + r.size) return `${r.name}[${q - r.offset}]`;
    return `$${q}`;
  }

  private anyQubit(): number | undefined {
    if (this.physical >= 0) return 0;
    return this.numQubits > 0 ? 0 : undefined;
  }

  private applyModified(
    mods: { kind: string; n: number; pos?: Pos }[],
    from: number,
    def: GateDef3,
    params: Scalar[],
    qubits: number[],
    out: Op[],
    at: Pos,
  ) {
    if (from === mods.length) return this.applyGate(def, params, qubits, out, at);
    const m = mods[from];
    const tmp: Op[] = [];
    if (m.kind === 'ctrl' || m.kind === 'negctrl') {
      const controls = qubits.slice(0, m.n);
      this.applyModified(mods, from + 1, def, params, qubits.slice(m.n), tmp, at);
      this.bump(tmp.length);
      for (const op of tmp) out.push(addControls(op, controls, m.kind === 'ctrl' ? 1 : 0));
      return;
    }
    this.applyModified(mods, from + 1, def, params, qubits, tmp, at);
    if (m.kind === 'inv') {
      this.bump(tmp.length);
      for (let i = tmp.length - 1; i >= 0; i--) out.push(invert(tmp[i]));
      return;
    }
    // pow
    const k = m.n;
    if (Number.isInteger(k)) {
      if (k === 0) return;
      const reps = Math.abs(k);
      this.bump(tmp.length * reps);
      const body = k > 0 ? tmp : tmp.map((_, i) => invert(tmp[tmp.length - 1 - i]));
      for (let r = 0; r < reps; r++) for (const op of body) out.push(r === 0 ? op : { ...op });
      return;
    }
    const single = this.asSingleMatrix(tmp);
    if (!single)
      this.fail(
        `pow(${fmt(k)}) with a non-integer exponent needs a gate that is one (controlled) single-qubit unitary with known parameters`,
        m.pos ?? at,
      );
    this.bump(1);
    if (single.kind === 'gphase') out.push({ kind: 'gphase', theta: single.theta * k });
    else out.push({ ...single, matrix: matrixPower(single.matrix, k), controls: single.controls.slice() });
  }

  /** The ops as one GateOp (same target and controls, matrices multiplied) or one global phase. */
  private asSingleMatrix(ops: Op[]): GateOp | { kind: 'gphase'; theta: number } | undefined {
    let g: GateOp | undefined;
    let phase = 0;
    for (const op of ops) {
      if (op.kind === 'barrier') continue;
      if (op.kind === 'gphase') {
        phase += op.theta;
        continue;
      }
      if (op.kind !== 'gate') return undefined;
      if (!g) {
        g = { ...op, controls: op.controls.slice() };
        continue;
      }
      if (
        op.target !== g.target ||
        op.controls.join() !== g.controls.join() ||
        (op.controlStates ?? []).join() !== (g.controlStates ?? []).join()
      )
        return undefined;
      g = { ...g, matrix: multiply(op.matrix, g.matrix) };
    }
    if (!g) return { kind: 'gphase', theta: phase };
    if (phase !== 0) {
      if (g.controls.length) return undefined;
      const c = Math.cos(phase);
      const s = Math.sin(phase);
      const m = g.matrix;
      const r: number[] = [];
      for (let i = 0; i < 8; i += 2) r.push(m[i] * c - m[i + 1] * s, m[i] * s + m[i + 1] * c);
      g = { ...g, matrix: r as unknown as Matrix2 };
    }
    return g;
  }

  private applyGate(def: GateDef3, params: Scalar[], qubits: number[], out: Op[], at: Pos) {
    const allStatic = params.every((p) => p.k === 's');
    if (def.native && allStatic) {
      const before = out.length;
      def.native.lower(
        params.map((p) => (p as { v: number }).v),
        qubits,
        out,
      );
      this.bump(out.length - before);
      return;
    }
    if (def.sym) {
      const before = out.length;
      def.sym.lower(
        params.map((p): Num => (p.k === 's' ? p.v : p.e)),
        qubits,
        new Emit(def.name, out),
      );
      this.bump(out.length - before);
      return;
    }
    if (def.native) this.fail(`gate '${def.name}' cannot take per-shot parameters`, at);
    // A user gate: its body, with the parameters bound (per-shot values are substituted).
    const g = def.user!;
    if (this.callDepth >= 1000) this.fail(`gate calls are nested too deeply`, at);
    const inner = new Scope(this.global, 'gate');
    g.params.forEach((p, i) => {
      let v: Scalar = params[i];
      if (p.type) v = this.convert(v, this.tyOf(p.type, this.global).t, p);
      inner.syms.set(p.name, { kind: 'value', val: v, what: 'gate parameter' });
    });
    g.qubits.forEach((q, i) => inner.syms.set(q.name, { kind: 'qubits', q: [qubits[i]], single: true }));
    this.callDepth++;
    const savedCurrent = this.current;
    try {
      this.stmts(g.body, new Scope(inner), out);
    } finally {
      this.callDepth--;
      this.current = savedCurrent;
    }
  }

  // ---- qubits ----

  private qubits(e: Expr, scope: Scope): { q: number[]; single: boolean } {
    const v = this.qubitVal(e, scope);
    return v;
  }

  private qubitVal(e: Expr, scope: Scope): { q: number[]; single: boolean } {
    if (e.k === 'phys') {
      if (this.numQubits > 0) this.fail(`a program cannot declare qubits and also use physical qubits`, e);
      if (e.index > 1e6 || e.index >= this.options.maxOperations)
        this.fail(`physical qubit $${e.index} is out of range`, e);
      this.physical = Math.max(this.physical, e.index);
      return { q: [e.index], single: true };
    }
    if (e.k === 'id') {
      const sym = this.lookup(e.name, scope, e);
      if (!sym) this.fail(`unknown qubit or register '${e.name}'`, e);
      if (sym.kind !== 'qubits') this.fail(`'${e.name}' is not a qubit or qubit register`, e);
      return { q: sym.q, single: sym.single };
    }
    if (e.k === 'index') {
      const base = this.qubitVal(e.base, scope);
      if (base.single) this.fail(`a single qubit cannot be indexed`, e);
      let cur = base.q;
      let single = false;
      for (const ix of e.index) {
        if (single) this.fail(`too many indices`, ix);
        if (ix.k === 'range' || ix.k === 'set') {
          cur = this.rangeIndices(ix, cur.length, scope, []).map((i) => cur[i]);
        } else {
          const v = ix.k === 'num' ? { k: 's' as const, v: ix.value } : this.scalar(this.expr(ix, scope, []), ix);
          if (v.k !== 's')
            this.fail(`a qubit index must be known at compile time (it depends on measurement results)`, ix);
          if (!Number.isInteger(v.v)) this.fail(`qubit index must be an integer, but is ${fmt(v.v)}`, ix);
          const i = v.v < 0 ? v.v + cur.length : v.v;
          if (i < 0 || i >= cur.length)
            this.fail(`qubit index ${v.v} out of range for a register of size ${cur.length}`, ix);
          cur = [cur[i]];
          single = true;
        }
      }
      return { q: cur, single };
    }
    if (e.k === 'binary' && e.op === '++') {
      const a = this.qubitVal(e.left, scope);
      const b = this.qubitVal(e.right, scope);
      return { q: [...a.q, ...b.q], single: false };
    }
    this.fail(`expected qubits`, e);
  }

  // ---- expressions ----

  private constInt(e: Expr, scope: Scope, what: string): number {
    const v = this.scalar(this.expr(e, scope, []), e);
    if (v.k !== 's') this.fail(`${what} must be known at compile time`, e);
    if (!Number.isInteger(v.v)) this.fail(`${what} must be an integer, but is ${fmt(v.v)}`, e);
    return v.v;
  }

  private scalar(v: Val, at: Pos): Scalar {
    if (v.k === 'arr') this.fail(`expected a single value but found an array`, at);
    if (v.k === 'q') this.fail(`qubits cannot be used as a classical value`, at);
    return v;
  }

  private truth(v: Val, at: Pos): Scalar & ({ k: 's'; v: number } | { k: 'd'; e: ClassicalExpr }) {
    const s = this.scalar(v, at);
    return this.convert(s, BOOL, at) as never;
  }

  toCE(v: Scalar): ClassicalExpr {
    if (v.k === 'd') return v.e;
    return { k: 'num', v: v.v };
  }

  /** An int/uint declaration or loop variable given a value that is not one (no silent truncation). */
  private checkIntValue(v: Scalar, t: Ty, at: Pos, what: string) {
    if (v.k !== 's' || (t.k !== 'int' && t.k !== 'uint') || v.t.k === 'angle') return;
    if (!Number.isInteger(v.v))
      this.fail(`${what} is declared ${tyName(t)} but its value ${fmt(v.v)} is not an integer`, at);
    if (t.k === 'uint' && v.v < 0)
      this.fail(`${what} is declared ${tyName(t)} but its value ${fmt(v.v)} is negative`, at);
    if (t.w !== undefined) {
      const fits = t.k === 'uint' ? v.v < 2 ** t.w : v.v >= -(2 ** (t.w - 1)) && v.v < 2 ** (t.w - 1);
      if (!fits) this.fail(`${what}: value ${fmt(v.v)} does not fit in ${tyName(t)}`, at);
    }
  }

  /** Converts a value to a type (casts and implicit conversions). */
  private convert(v: Scalar, t: Ty, at: Pos): Scalar {
    const from = v.t;
    if (from.k === t.k && from.w === t.w && !from.lit) return v;
    if (from.k === 'complex' && t.k !== 'complex') {
      if (v.k === 's' && v.im) this.fail(`cannot convert a complex value to ${tyName(t)}`, at);
    }
    if (t.k === 'complex') {
      if (v.k === 'd') this.fail(`per-shot complex values are not supported`, at);
      const real = this.convert(v, FLOAT, at) as { v: number };
      return { k: 's', t, v: real.v, im: v.im ?? 0 };
    }
    if (v.k === 's') return { k: 's', t: { ...t, lit: undefined }, v: this.convertNum(v.v, from, t, at) };
    return { k: 'd', t: { ...t, lit: undefined }, e: this.convertCE(v.e, from, t) };
  }

  private angleToFloat(k: number, w?: number): number {
    return w === undefined ? k : (TAU * k) / 2 ** w;
  }

  private convertNum(x: number, from: Ty, t: Ty, at: Pos): number {
    const real = from.k === 'angle' ? this.angleToFloat(x, from.w) : x;
    switch (t.k) {
      case 'bool':
        return real !== 0 ? 1 : 0;
      case 'bit':
        if (t.w === undefined) return real !== 0 ? 1 : 0;
        return wrapInt(from.k === 'angle' ? x : real, false, t.w);
      case 'int':
      case 'uint':
        if (from.k === 'angle' && t.w !== undefined) return wrapInt(x, t.k === 'int', t.w);
        if (!Number.isFinite(real)) this.fail(`cannot convert ${fmt(real)} to ${tyName(t)}`, at);
        return wrapInt(real, t.k === 'int', t.w);
      case 'float':
      case 'duration':
        return real;
      case 'angle': {
        if (t.w === undefined) return real;
        if (from.k === 'angle' && from.w !== undefined) {
          // Same angle at another width.
          return wrapInt(Math.round((x * 2 ** t.w) / 2 ** from.w), false, t.w);
        }
        if (from.k === 'bit' && from.w !== undefined) return wrapInt(x, false, t.w);
        const k = Math.round((real / TAU) * 2 ** t.w);
        return wrapInt(k, false, t.w);
      }
      default:
        return real;
    }
  }

  private convertCE(e: ClassicalExpr, from: Ty, t: Ty): ClassicalExpr {
    const real: ClassicalExpr =
      from.k === 'angle' && from.w !== undefined
        ? { k: 'binary', op: '*', a: e, b: { k: 'num', v: TAU / 2 ** from.w } }
        : e;
    switch (t.k) {
      case 'bool':
        return from.k === 'bool' || (from.k === 'bit' && from.w === undefined) ? e : { k: 'cast', to: 'bool', a: real };
      case 'bit':
        if (t.w === undefined)
          return from.k === 'bool' || (from.k === 'bit' && from.w === undefined)
            ? e
            : { k: 'cast', to: 'bool', a: real };
        return { k: 'cast', to: 'uint', width: t.w, a: from.k === 'angle' ? e : real };
      case 'int':
      case 'uint': {
        const src = from.k === 'angle' && t.w !== undefined ? e : real;
        if (
          (from.k === 'bit' || from.k === 'bool') &&
          (t.w === undefined || (from.w ?? 1) <= t.w - (t.k === 'int' ? 1 : 0))
        )
          return src;
        const c: ClassicalExpr = { k: 'cast', to: t.k, a: src };
        if (t.w !== undefined) c.width = t.w;
        return c;
      }
      case 'angle': {
        if (t.w === undefined) return real;
        if (from.k === 'angle' && from.w !== undefined) {
          if (from.w === t.w) return e;
          return angleSteps(e, 2 ** t.w / 2 ** from.w, t.w);
        }
        if (from.k === 'bit' && from.w !== undefined) return { k: 'cast', to: 'uint', width: t.w, a: e };
        return angleSteps(real, 2 ** t.w / TAU, t.w);
      }
      default:
        return real;
    }
  }

  /** Evaluates an expression. `stmt`: it is a statement of its own (a call whose value is unused). */
  private expr(e: Expr, scope: Scope, out: Op[], stmt = false, hint?: Ty): Val {
    switch (e.k) {
      case 'num':
        return { k: 's', t: e.isInt ? { k: 'int', lit: true } : FLOAT, v: e.value };
      case 'imag':
        return { k: 's', t: { k: 'complex' }, v: 0, im: e.value };
      case 'bool':
        return { k: 's', t: BOOL, v: e.value ? 1 : 0 };
      case 'duration': {
        const scale: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, dt: 1e-9 };
        return { k: 's', t: { k: 'duration' }, v: e.value * (scale[e.unit] ?? 1) };
      }
      case 'durationof':
        return { k: 's', t: { k: 'duration' }, v: 0 };
      case 'bitstring': {
        const n = e.text.length;
        if (n > 53) this.fail(`bit string of more than 53 bits`, e);
        let v = 0;
        for (const ch of e.text) v = v * 2 + (ch === '1' ? 1 : 0);
        return { k: 's', t: { k: 'bit', w: n }, v };
      }
      case 'id':
        return this.ident(e, scope);
      case 'phys':
        return { k: 'q', ...this.qubitVal(e, scope), label: `$${e.index}` };
      case 'measure': {
        const q = this.qubits(e.operand, scope).q;
        const t: Ty =
          q.length === 1 && (hint === undefined || hint.k !== 'bit' || hint.w === undefined)
            ? BIT
            : { k: 'bit', w: q.length };
        if (t.w !== undefined && t.w > 31)
          this.fail(`measuring more than 31 qubits into a temporary value is not supported`, e);
        const tmp = this.allocVar('measure', t, e);
        this.emit(out, { kind: 'set', target: { var: tmp }, value: { k: 'num', v: 0 } });
        q.forEach((x, i) => {
          const op: Op = { kind: 'measure-var', qubit: x, target: { var: tmp } };
          if (i) op.bit = i;
          this.emit(out, op);
        });
        return { k: 'd', t, e: { k: 'var', index: tmp } };
      }
      case 'array':
        return this.arrayLiteral(e, scope, out);
      case 'set':
      case 'range':
        this.fail(`a ${e.k} is not a value here`, e);
      // falls through
      case 'unary': {
        const a = this.scalar(this.expr(e.arg, scope, out), e.arg);
        return this.unary(e.op, a, e);
      }
      case 'binary': {
        if (e.op === '++') return this.concat(e, scope, out);
        const a = this.expr(e.left, scope, out);
        if (e.op === '&&' || e.op === '||') {
          const l = this.truth(a, e.left);
          if (l.k === 's' && (e.op === '&&' ? !l.v : l.v)) return { k: 's', t: BOOL, v: l.v };
          const r = this.truth(this.expr(e.right, scope, out), e.right);
          if (l.k === 's') return r;
          if (r.k === 's') return e.op === '&&' ? (r.v ? l : r) : r.v ? r : l;
          return { k: 'd', t: BOOL, e: { k: 'binary', op: e.op, a: l.e, b: r.e } };
        }
        const b = this.expr(e.right, scope, out);
        return this.binary(e.op, this.scalar(a, e.left), this.scalar(b, e.right), e);
      }
      case 'cast': {
        const { t, dims } = this.tyOf(e.type, scope);
        if (dims) this.fail(`cannot cast to an array type`, e);
        return this.convert(this.scalar(this.expr(e.arg, scope, out), e.arg), t, e);
      }
      case 'index':
        return this.indexExpr(e, scope, out);
      case 'call':
        return this.call(e, scope, out, stmt);
    }
  }

  private ident(e: Expr & { k: 'id' }, scope: Scope): Val {
    const c = CONSTANTS.get(e.name);
    if (c !== undefined) return c;
    const sym = this.lookup(e.name, scope, e);
    if (!sym) this.fail(`unknown identifier '${e.name}'`, e);
    switch (sym.kind) {
      case 'value':
        return sym.val;
      case 'qubits':
        return { k: 'q', q: sym.q, single: sym.single, label: e.name };
      case 'def':
        this.fail(`subroutine '${e.name}' must be called`, e);
      // falls through
      case 'var': {
        const v = sym.v;
        if (v.dims) return { k: 'arr', t: v.t, dims: v.dims, cells: v.cells, owner: v };
        return this.readCell(v.cells[0]);
      }
    }
  }

  private arrayLiteral(e: Expr & { k: 'array' }, scope: Scope, out: Op[]): Val {
    const items = e.items.map((x) => this.expr(x, scope, out));
    if (items.length === 0) this.fail(`empty array literal`, e);
    if (items.every((x) => x.k === 'arr')) {
      const first = items[0] as Val & { k: 'arr' };
      for (const x of items as (Val & { k: 'arr' })[])
        if (x.dims.join() !== first.dims.join()) this.fail(`rows of an array literal must have the same shape`, e);
      const cells: Cell[] = [];
      for (const x of items as (Val & { k: 'arr' })[]) cells.push(...x.cells);
      return { k: 'arr', t: first.t, dims: [items.length, ...first.dims], cells };
    }
    const cells = items.map((x, i) => {
      const s = this.scalar(x, e.items[i]);
      const c = this.newCell(s.t);
      if (s.k === 's') {
        c.known = s.v;
        c.knownIm = s.im;
      } else {
        c.known = undefined;
        c.stor = { var: this.allocVar('tmp', s.t, e) };
        this.emit(out, { kind: 'set', target: { var: c.stor.var }, value: s.e });
      }
      return c;
    });
    return { k: 'arr', t: cells[0].t, dims: [cells.length], cells };
  }

  private concat(e: Expr & { k: 'binary' }, scope: Scope, out: Op[]): Val {
    const a = this.expr(e.left, scope, out);
    const b = this.expr(e.right, scope, out);
    if (a.k === 'q' && b.k === 'q')
      return { k: 'q', q: [...a.q, ...b.q], single: false, label: `${a.label} ++ ${b.label}` };
    if (a.k === 'arr' && b.k === 'arr') {
      if (a.dims.length !== 1 || b.dims.length !== 1) this.fail(`'++' concatenates one-dimensional arrays`, e);
      return { k: 'arr', t: a.t, dims: [a.dims[0] + b.dims[0]], cells: [...a.cells, ...b.cells] };
    }
    const sa = this.scalar(a, e.left);
    const sb = this.scalar(b, e.right);
    if (sa.t.k !== 'bit' || sb.t.k !== 'bit') this.fail(`'++' concatenates bits, arrays or qubits`, e);
    const wa = sa.t.w ?? 1;
    const wb = sb.t.w ?? 1;
    if (wa + wb > 53) this.fail(`bit concatenation wider than 53 bits`, e);
    const t: Ty = { k: 'bit', w: wa + wb };
    // a ++ b: a's bits are the most significant.
    if (sa.k === 's' && sb.k === 's') return { k: 's', t, v: sa.v * 2 ** wb + sb.v };
    if (
      sa.k === 'd' &&
      sb.k === 'd' &&
      (sa.e.k === 'bits' || sa.e.k === 'bit') &&
      (sb.e.k === 'bits' || sb.e.k === 'bit')
    ) {
      const bits = (x: ClassicalExpr) => (x.k === 'bits' ? x.clbits : x.k === 'bit' ? [x.clbit] : []);
      return { k: 'd', t, e: { k: 'bits', clbits: [...bits(sb.e), ...bits(sa.e)] } };
    }
    return {
      k: 'd',
      t,
      e: {
        k: 'binary',
        op: '+',
        a: { k: 'binary', op: '*', a: this.toCE(sa), b: { k: 'num', v: 2 ** wb } },
        b: this.toCE(sb),
      },
    };
  }

  private indexExpr(e: Expr & { k: 'index' }, scope: Scope, out: Op[]): Val {
    const base = this.expr(e.base, scope, out);
    if (base.k === 'q') return { k: 'q', ...this.qubitVal(e, scope), label: 'qubits' };
    if (base.k === 'arr') {
      const owner = base.owner ?? { name: 'array', t: base.t, dims: base.dims, cells: base.cells, isConst: true };
      const sel = this.arraySelect({ ...owner, dims: base.dims, cells: base.cells }, base.cells, e, scope, out);
      if (sel.dynIndex) {
        if (!base.owner) this.fail(`a per-shot index is only supported on array variables`, e);
        const first = this.arrayBlock(base.owner, out, e);
        return {
          k: 'd',
          t: base.t,
          e: { k: 'elem', first, length: base.cells.length, at: this.toCE(this.convert(sel.dynIndex, INT, e)) },
        };
      }
      if (sel.dims.length === 0) return this.readCell(sel.cells[0]);
      return { k: 'arr', t: base.t, dims: sel.dims, cells: sel.cells, owner: undefined };
    }
    const v = this.scalar(base, e.base);
    const t = v.t;
    const width = t.k === 'bit' ? t.w : t.k === 'int' || t.k === 'uint' || t.k === 'angle' ? t.w : undefined;
    if (width === undefined) this.fail(`a value of type ${tyName(t)} cannot be indexed`, e);
    if (e.index.length !== 1) this.fail(`expected one index`, e);
    const ix = e.index[0];
    if (ix.k === 'range' || ix.k === 'set') {
      const idx = this.rangeIndices(ix, width, scope, out);
      if (v.k === 's')
        return {
          k: 's',
          t: { k: 'bit', w: idx.length },
          v: idx.reduce((acc, i, j) => acc + (Math.floor(v.v / 2 ** i) % 2) * 2 ** j, 0),
        };
      if (v.e.k === 'bits') {
        const bits = (v.e as { clbits: number[] }).clbits;
        return { k: 'd', t: { k: 'bit', w: idx.length }, e: { k: 'bits', clbits: idx.map((i) => bits[i]) } };
      }
      let acc: ClassicalExpr | undefined;
      idx.forEach((i, j) => {
        const b = this.bitOf(v, i) as { e: ClassicalExpr };
        const term: ClassicalExpr = j ? { k: 'binary', op: '<<', a: b.e, b: { k: 'num', v: j } } : b.e;
        acc = acc ? { k: 'binary', op: '|', a: acc, b: term } : term;
      });
      return { k: 'd', t: { k: 'bit', w: idx.length }, e: acc! };
    }
    const iv = this.scalar(this.expr(ix, scope, out), ix);
    if (iv.k === 'd') this.fail(`a bit index must be known at compile time`, ix);
    if (!Number.isInteger(iv.v)) this.fail(`index must be an integer, not ${fmt(iv.v)}`, ix);
    const i = iv.v < 0 ? iv.v + width : iv.v;
    if (i < 0 || i >= width) this.fail(`bit index ${iv.v} out of range for ${tyName(t)}`, ix);
    return this.bitOf(v, i);
  }

  private call(e: Expr & { k: 'call' }, scope: Scope, out: Op[], stmt: boolean): Val {
    const sym = this.lookup(e.fn, scope, e);
    if (sym?.kind === 'def') {
      const r = this.callDef(sym.def, e.args, undefined, scope, out, e);
      if (!r) {
        if (!stmt) this.fail(`subroutine '${e.fn}' returns no value`, e);
        return { k: 's', t: BOOL, v: 0 };
      }
      return r;
    }
    if (sym) this.fail(`'${e.fn}' is not a function`, e);
    const arity = FUNCTIONS[e.fn];
    if (!arity) {
      if (this.gates.has(e.fn) || this.lookupGate(e.fn, e))
        this.fail(`gate '${e.fn}' cannot be used in an expression`, e);
      this.fail(`unknown function '${e.fn}'`, e);
    }
    if (e.args.length < arity[0] || e.args.length > arity[1])
      this.fail(
        `function '${e.fn}' takes ${plural(arity[0], 'argument')} but ${e.args.length} ${e.args.length === 1 ? 'was' : 'were'} given`,
        e,
      );
    if (e.fn === 'sizeof') {
      const a = this.expr(e.args[0], scope, out);
      if (a.k !== 'arr') this.fail(`sizeof needs an array`, e.args[0]);
      const d = e.args[1] ? this.constInt(e.args[1], scope, 'dimension') : 0;
      if (d < 0 || d >= a.dims.length) this.fail(`array has no dimension ${d}`, e.args[1] ?? e);
      return { k: 's', t: { k: 'uint' }, v: a.dims[d] };
    }
    const args = e.args.map((a) => this.scalar(this.expr(a, scope, out), a));
    const x = args[0];
    if (e.fn === 'real' || e.fn === 'imag') {
      if (x.k === 'd') return e.fn === 'real' ? this.convert(x, FLOAT, e) : { k: 's', t: FLOAT, v: 0 };
      return { k: 's', t: FLOAT, v: e.fn === 'real' ? x.v : (x.im ?? 0) };
    }
    if (args.some((a) => a.k === 's' && a.im)) return this.complexFn(e, args as (Scalar & { k: 's' })[]);
    if (e.fn === 'mod') return this.binary('%mod', args[0], args[1], e);
    if (e.fn === 'pow') return this.binary('**', args[0], args[1], e);
    if (e.fn === 'popcount' || e.fn === 'rotl' || e.fn === 'rotr') {
      const w = x.t.w ?? 32;
      if (x.k === 's' && args.every((a) => a.k === 's')) {
        const v = x.v;
        if (e.fn === 'popcount') {
          let c = 0;
          for (let i = 0; i < w; i++) c += Math.floor(v / 2 ** i) % 2;
          return { k: 's', t: { k: 'uint' }, v: c };
        }
        const kk = (((args[1] as { v: number }).v % w) + w) % w;
        const s = e.fn === 'rotl' ? kk : (w - kk) % w;
        const r = ((v * 2 ** s) % 2 ** w) + Math.floor(v / 2 ** (w - s));
        return { k: 's', t: x.t, v: s === 0 ? v : r };
      }
      if (w > 32) this.fail(`per-shot ${e.fn} on more than 32 bits is not supported`, e);
      if (e.fn === 'popcount')
        return { k: 'd', t: { k: 'uint' }, e: { k: 'call', fn: 'popcount', args: [this.toCE(x)] } };
      return {
        k: 'd',
        t: x.t,
        e: { k: 'call', fn: e.fn, args: [this.toCE(x), this.toCE(args[1]), { k: 'num', v: w }] },
      };
    }
    const f = this.convert(x, FLOAT, e.args[0]);
    const fns: Record<string, (v: number) => number> = {
      sin: Math.sin,
      cos: Math.cos,
      tan: Math.tan,
      arcsin: Math.asin,
      arccos: Math.acos,
      arctan: Math.atan,
      exp: Math.exp,
      log: Math.log,
      ln: Math.log,
      sqrt: Math.sqrt,
      floor: Math.floor,
      ceiling: Math.ceil,
      abs: Math.abs,
    };
    const intResult = (e.fn === 'floor' || e.fn === 'ceiling' || e.fn === 'abs') && isIntTy(x.t);
    if (f.k === 's') {
      const r = fns[e.fn](f.v);
      if (!Number.isFinite(r)) this.fail(`${e.fn}(${fmt(f.v)}) is not a finite real number`, e);
      return { k: 's', t: intResult ? { ...x.t, lit: undefined } : FLOAT, v: r };
    }
    const fn = (e.fn === 'ln' ? 'log' : e.fn) as 'sin';
    return { k: 'd', t: intResult ? x.t : FLOAT, e: { k: 'call', fn, args: [f.e] } };
  }

  private complexFn(e: Expr & { k: 'call' }, args: (Scalar & { k: 's' })[]): Val {
    const re = args[0].v;
    const im = args[0].im ?? 0;
    const c = (r: number, i: number): Val => ({ k: 's', t: { k: 'complex' }, v: r, im: i });
    switch (e.fn) {
      case 'abs':
        return { k: 's', t: FLOAT, v: Math.hypot(re, im) };
      case 'exp':
        return c(Math.exp(re) * Math.cos(im), Math.exp(re) * Math.sin(im));
      case 'sqrt': {
        const r = Math.hypot(re, im);
        const sr = Math.sqrt((r + re) / 2);
        const si = Math.sign(im || 1) * Math.sqrt((r - re) / 2);
        return c(sr, si);
      }
      case 'log':
      case 'ln':
        return c(Math.log(Math.hypot(re, im)), Math.atan2(im, re));
      case 'sin':
        return c(Math.sin(re) * Math.cosh(im), Math.cos(re) * Math.sinh(im));
      case 'cos':
        return c(Math.cos(re) * Math.cosh(im), -Math.sin(re) * Math.sinh(im));
      default:
        this.fail(`function '${e.fn}' is not defined on complex numbers`, e);
    }
  }

  private unary(op: string, a: Scalar, at: Pos): Scalar {
    if (op === '+') return a;
    if (op === '!') {
      const b = this.convert(a, BOOL, at);
      return b.k === 's'
        ? { k: 's', t: BOOL, v: b.v ? 0 : 1 }
        : { k: 'd', t: BOOL, e: { k: 'unary', op: '!', a: b.e } };
    }
    if (op === '-') {
      if (a.k === 's') {
        if (a.t.k === 'angle' && a.t.w !== undefined) return { k: 's', t: a.t, v: wrapInt(-a.v, false, a.t.w) };
        if (a.t.k === 'uint' || a.t.k === 'bit') return { k: 's', t: INT, v: -a.v };
        return { k: 's', t: a.t, v: -a.v === 0 ? 0 : -a.v, im: a.im ? -a.im : a.im };
      }
      if (a.t.k === 'angle' && a.t.w !== undefined)
        return { k: 'd', t: a.t, e: { k: 'cast', to: 'uint', width: a.t.w, a: { k: 'unary', op: '-', a: a.e } } };
      return {
        k: 'd',
        t: a.t.k === 'uint' || a.t.k === 'bit' || a.t.k === 'bool' ? INT : a.t,
        e: { k: 'unary', op: '-', a: a.e },
      };
    }
    // '~'
    if (!isIntTy(a.t) && a.t.k !== 'angle') this.fail(`'~' needs an integer or bits, not ${tyName(a.t)}`, at);
    const w = a.t.k === 'bool' || (a.t.k === 'bit' && a.t.w === undefined) ? 1 : a.t.w;
    // A signed integer's complement is two's complement (-x - 1, in range whatever its width); an
    // unsigned value's, or bits', is 2^w - 1 - x.
    if (a.t.k === 'int' || w === undefined) {
      if (a.k === 's') return { k: 's', t: a.t, v: -a.v - 1 };
      return {
        k: 'd',
        t: a.t,
        e: { k: 'binary', op: '-', a: { k: 'unary', op: '-', a: a.e }, b: { k: 'num', v: 1 } },
      };
    }
    if (a.k === 's') return { k: 's', t: a.t, v: 2 ** w - 1 - a.v };
    return { k: 'd', t: a.t, e: { k: 'binary', op: '-', a: { k: 'num', v: 2 ** w - 1 }, b: a.e } };
  }

  /** Binary operators (not && || ++). */
  private binary(op: string, a: Scalar, b: Scalar, at: Pos): Scalar {
    if ((a.k === 's' && a.im) || (b.k === 's' && b.im) || a.t.k === 'complex' || b.t.k === 'complex')
      return this.complexOp(op, a, b, at);
    const cmp = ['==', '!=', '<', '<=', '>', '>='].includes(op);
    const bitwise = ['&', '|', '^', '<<', '>>'].includes(op);
    const aAngle = a.t.k === 'angle' && a.t.w !== undefined;
    const bAngle = b.t.k === 'angle' && b.t.w !== undefined;
    // Result type and operand conversion.
    let t: Ty;
    let ca = a;
    let cb = b;
    let intDiv = false;
    if (bitwise) {
      if (!isIntTy(a.t) && !aAngle) this.fail(`'${op}' needs integers or bits, not ${tyName(a.t)}`, at);
      if (!isIntTy(b.t) && !bAngle) this.fail(`'${op}' needs integers or bits, not ${tyName(b.t)}`, at);
      t = { ...a.t, lit: a.t.lit && b.t.lit ? true : undefined };
      if (t.k === 'bool') t = BOOL;
    } else if (aAngle && bAngle && a.t.w === b.t.w && (op === '+' || op === '-' || cmp)) {
      t = a.t;
    } else if (aAngle && isIntTy(b.t) && (op === '*' || op === '/')) {
      t = a.t;
      intDiv = op === '/';
    } else if (bAngle && isIntTy(a.t) && op === '*') {
      t = b.t;
      [ca, cb] = [b, a];
    } else if (isIntTy(a.t) && isIntTy(b.t)) {
      const bothLit = a.t.lit && b.t.lit;
      t = { k: a.t.k === 'uint' && b.t.k === 'uint' ? 'uint' : 'int', lit: bothLit ? true : undefined };
      if (op === '/') {
        if (bothLit || a.t.lit || b.t.lit) t = FLOAT;
        else intDiv = true;
      }
      if (op === '**') t = FLOAT;
    } else {
      t = a.t.k === 'duration' || b.t.k === 'duration' ? { k: 'duration' } : FLOAT;
      ca = this.convert(a, FLOAT, at);
      cb = this.convert(b, FLOAT, at);
    }
    const resTy = cmp ? BOOL : t;
    if (ca.k === 's' && cb.k === 's') {
      const x = ca.v;
      const y = cb.v;
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
          if (y === 0) this.fail(`division by zero`, at);
          r = intDiv ? Math.trunc(x / y) : x / y;
          break;
        case '%':
          if (y === 0) this.fail(`modulo by zero`, at);
          r = x % y;
          break;
        case '%mod':
          if (y === 0) this.fail(`modulo by zero`, at);
          r = x - y * Math.floor(x / y);
          break;
        case '**':
          r = x ** y;
          if (isIntTy(a.t) && isIntTy(b.t) && y >= 0 && Number.isInteger(r))
            t = { k: 'int', lit: a.t.lit && b.t.lit ? true : undefined };
          break;
        case '==':
          return { k: 's', t: BOOL, v: x === y ? 1 : 0 };
        case '!=':
          return { k: 's', t: BOOL, v: x !== y ? 1 : 0 };
        case '<':
          return { k: 's', t: BOOL, v: x < y ? 1 : 0 };
        case '<=':
          return { k: 's', t: BOOL, v: x <= y ? 1 : 0 };
        case '>':
          return { k: 's', t: BOOL, v: x > y ? 1 : 0 };
        case '>=':
          return { k: 's', t: BOOL, v: x >= y ? 1 : 0 };
        case '&':
        case '|':
        case '^': {
          if (x > 2 ** 53 || y > 2 ** 53) this.fail(`bitwise operands are too large`, at);
          const hi = (v: number) => Math.floor(v / 2 ** 26);
          const lo = (v: number) => v - hi(v) * 2 ** 26;
          const f =
            op === '&'
              ? (p: number, q: number) => p & q
              : op === '|'
                ? (p: number, q: number) => p | q
                : (p: number, q: number) => p ^ q;
          if (x < 0 || y < 0) r = f(x, y);
          else r = f(hi(x), hi(y)) * 2 ** 26 + f(lo(x), lo(y));
          break;
        }
        case '<<':
          if (y < 0 || y > 1000) this.fail(`shift amount ${fmt(y)} is out of range`, at);
          r = x * 2 ** y;
          break;
        case '>>':
          if (y < 0 || y > 1000) this.fail(`shift amount ${fmt(y)} is out of range`, at);
          r = Math.floor(x / 2 ** y);
          break;
        default:
          this.fail(`unknown operator '${op}'`, at);
      }
      if (!Number.isFinite(r)) this.fail(`${fmt(x)} ${op} ${fmt(y)} is not a finite real number`, at);
      return { k: 's', t, v: this.wrapTo(r, t) };
    }
    // Per shot.
    const A = this.toCE(ca);
    const B = this.toCE(cb);
    const irOp = op === '/' && intDiv ? 'idiv' : op === '%mod' ? '%' : op;
    let ex: ClassicalExpr;
    if (op === '%mod') {
      // x - y * floor(x / y)
      ex = {
        k: 'binary',
        op: '-',
        a: A,
        b: { k: 'binary', op: '*', a: B, b: { k: 'call', fn: 'floor', args: [{ k: 'binary', op: '/', a: A, b: B }] } },
      };
    } else ex = { k: 'binary', op: irOp as '+', a: A, b: B };
    if (cmp) return { k: 'd', t: resTy, e: ex };
    if ((t.k === 'int' || t.k === 'uint' || t.k === 'angle' || t.k === 'bit') && t.w !== undefined)
      ex = { k: 'cast', to: t.k === 'int' ? 'int' : 'uint', width: t.w, a: ex };
    return { k: 'd', t, e: ex };
  }

  private wrapTo(r: number, t: Ty): number {
    if (t.k === 'int' || t.k === 'uint') return t.w === undefined ? r : wrapInt(r, t.k === 'int', t.w);
    if ((t.k === 'angle' || t.k === 'bit') && t.w !== undefined) return wrapInt(r, false, t.w);
    if (t.k === 'bool') return r ? 1 : 0;
    return r;
  }

  private complexOp(op: string, a: Scalar, b: Scalar, at: Pos): Scalar {
    if (a.k !== 's' || b.k !== 's') this.fail(`per-shot complex values are not supported`, at);
    const x = this.convert(a, { k: 'complex' }, at) as { v: number; im: number };
    const y = this.convert(b, { k: 'complex' }, at) as { v: number; im: number };
    const c = (re: number, im: number): Scalar => ({ k: 's', t: { k: 'complex' }, v: re, im });
    switch (op) {
      case '+':
        return c(x.v + y.v, x.im + y.im);
      case '-':
        return c(x.v - y.v, x.im - y.im);
      case '*':
        return c(x.v * y.v - x.im * y.im, x.v * y.im + x.im * y.v);
      case '/': {
        const d = y.v * y.v + y.im * y.im;
        if (d === 0) this.fail(`division by zero`, at);
        return c((x.v * y.v + x.im * y.im) / d, (x.im * y.v - x.v * y.im) / d);
      }
      case '**': {
        if (x.v === 0 && x.im === 0) return c(y.v === 0 && y.im === 0 ? 1 : 0, 0);
        const lr = Math.log(Math.hypot(x.v, x.im));
        const th = Math.atan2(x.im, x.v);
        const re = y.v * lr - y.im * th;
        const im = y.im * lr + y.v * th;
        return c(Math.exp(re) * Math.cos(im), Math.exp(re) * Math.sin(im));
      }
      case '==':
        return { k: 's', t: BOOL, v: x.v === y.v && x.im === y.im ? 1 : 0 };
      case '!=':
        return { k: 's', t: BOOL, v: x.v !== y.v || x.im !== y.im ? 1 : 0 };
      default:
        this.fail(`operator '${op}' is not defined on complex numbers`, at);
    }
  }
}

// ---- op transformations ----

function addControls(op: Op, controls: number[], state: 0 | 1): Op {
  const states = (existing: number[], existingStates: (0 | 1)[] | undefined): (0 | 1)[] | undefined => {
    if (state === 1 && !existingStates) return undefined;
    return [...controls.map(() => state), ...(existingStates ?? existing.map((): 0 | 1 => 1))];
  };
  switch (op.kind) {
    case 'gate':
    case 'dgate':
    case 'swap': {
      const r = { ...op, controls: [...controls, ...op.controls] } as Op & { controlStates?: (0 | 1)[] };
      const cs = states(op.controls, op.controlStates);
      if (cs) r.controlStates = cs;
      else delete r.controlStates;
      return r;
    }
    case 'gphase': {
      const c = Math.cos(op.theta);
      const s = Math.sin(op.theta);
      const m: Matrix2 = state === 1 ? phaseMatrix(op.theta) : [c, s, 0, 0, 0, 0, 1, 0];
      const g: GateOp = { kind: 'gate', name: 'gphase', target: controls[0], matrix: m, controls: controls.slice(1) };
      if (state === 0 && controls.length > 1) g.controlStates = controls.slice(1).map(() => 0);
      return g;
    }
    case 'barrier':
      return { kind: 'barrier', qubits: [...controls, ...op.qubits] };
    default:
      return op;
  }
}

function invert(op: Op): Op {
  switch (op.kind) {
    case 'gate':
      return { ...op, matrix: adjoint(op.matrix), controls: op.controls.slice() };
    case 'dgate': {
      // (e^{iγ} U(θ, φ, λ))† = e^{-iγ} U(-θ, -λ, -φ).
      const negate = (e: ClassicalExpr): ClassicalExpr =>
        e.k === 'num' ? { k: 'num', v: -e.v } : { k: 'unary', op: '-', a: e };
      const r: Op = {
        ...op,
        theta: negate(op.theta),
        phi: negate(op.lambda),
        lambda: negate(op.phi),
        controls: op.controls.slice(),
      };
      if (op.phase) r.phase = negate(op.phase);
      return r;
    }
    case 'gphase':
      return { kind: 'gphase', theta: -op.theta };
    default:
      return { ...op };
  }
}

/**
 * m^k for a 2x2 unitary and real k, by eigen-decomposition with the principal branch of each
 * eigenvalue (arguments in (-π, π]). m = e^{iα} (cos β I - i sin β N) with N² = I; its eigenvalues
 * are e^{i(α∓β)} on the projectors (I ± N)/2, and m^k = Σ e^{ikθ} P. Stable near degenerate
 * eigenvalues (the two coefficients then differ by O(β)).
 */
export function matrixPower(m: Matrix2, k: number): Matrix2 {
  const [ar, ai, br, bi, cr, ci, dr, di] = m;
  const detRe = ar * dr - ai * di - (br * cr - bi * ci);
  const detIm = ar * di + ai * dr - (br * ci + bi * cr);
  const alpha = Math.atan2(detIm, detRe) / 2;
  // V = e^{-iα} m, in SU(2).
  const ca = Math.cos(alpha);
  const sa = Math.sin(alpha);
  const v = [ar, ai, br, bi, cr, ci, dr, di];
  for (let j = 0; j < 8; j += 2) {
    const re = v[j];
    const im = v[j + 1];
    v[j] = re * ca + im * sa;
    v[j + 1] = im * ca - re * sa;
  }
  // cos β = Re V00 (= Re V11), sin β = |(Im V00, V01)| (accurate for small β, unlike acos).
  const cosB = (v[0] + v[6]) / 2;
  const sinB = Math.sqrt(((v[1] - v[7]) / 2) ** 2 + ((v[2] - v[4]) / 2) ** 2 + ((v[3] + v[5]) / 2) ** 2);
  const beta = Math.atan2(sinB, cosB);
  const principal = (x: number) => {
    let r = x - 2 * Math.PI * Math.round(x / (2 * Math.PI));
    if (r <= -Math.PI) r += 2 * Math.PI;
    return r;
  };
  const cis = (x: number) => [Math.cos(k * x), Math.sin(k * x)];
  if (sinB < 1e-300) {
    const z = cis(principal(cosB > 0 ? alpha : alpha + Math.PI));
    return [z[0], z[1], 0, 0, 0, 0, z[0], z[1]];
  }
  // N = i (V - cos β I) / sin β.
  const n: number[] = [];
  const id = [1, 0, 0, 0, 0, 0, 1, 0];
  for (let j = 0; j < 8; j += 2) {
    const re = v[j] - cosB * id[j];
    const im = v[j + 1];
    n.push(-im / sinB, re / sinB);
  }
  const plus = cis(principal(alpha - beta));
  const minus = cis(principal(alpha + beta));
  const out: number[] = [];
  for (let j = 0; j < 8; j += 2) {
    // (plus (I + N) + minus (I - N)) / 2
    const pr = (id[j] + n[j]) / 2;
    const pi = n[j + 1] / 2;
    const mr = (id[j] - n[j]) / 2;
    const mi = -n[j + 1] / 2;
    out.push(
      plus[0] * pr - plus[1] * pi + minus[0] * mr - minus[1] * mi,
      plus[0] * pi + plus[1] * pr + minus[0] * mi + minus[1] * mr,
    );
  }
  return out as unknown as Matrix2;
}

/** The k of angle[width] nearest to `x * scale` (rounded half up), as a per-shot expression. */
function angleSteps(x: ClassicalExpr, scale: number, width: number): ClassicalExpr {
  return {
    k: 'cast',
    to: 'uint',
    width,
    a: {
      k: 'call',
      fn: 'floor',
      args: [
        { k: 'binary', op: '+', a: { k: 'binary', op: '*', a: x, b: { k: 'num', v: scale } }, b: { k: 'num', v: 0.5 } },
      ],
    },
  };
}
