import {
  CircuitError,
  type BarrierOp,
  type Circuit,
  type ConditionalOp,
  type GateOp,
  type Matrix2,
  type Op,
  type Register,
} from '../circuit/circuit';
import { adjoint, phase } from '../circuit/gates';
import type { ClassicalType, Expr, GateCall, GateDefStmt, IndexSpec, Operand, Pos, Program, Stmt } from './ast';
import { BUILTIN_CX, BUILTIN_GPHASE, BUILTIN_U, libraryGates, type NativeGate } from './library';

/**
 * Walks the syntax tree and produces the circuit IR: registers are flattened, user gates inlined,
 * modifiers applied, loops unrolled and classical conditions turned into ConditionalOps.
 */

export interface LowerOptions {
  /** Most operations (and loop iterations) a program may expand to. */
  maxOperations: number;
}

/** Deepest chain of gate definitions calling one another. */
const MAX_GATE_NESTING = 1000;

type Sym =
  | { kind: 'qreg'; reg: Register; scalar: boolean }
  | { kind: 'creg'; reg: Register; scalar: boolean }
  | { kind: 'value'; value: number; what: string }
  /** A name whose value is not known while checking (gate parameters, loop variables). */
  | { kind: 'unknown'; what: string };

class Scope {
  readonly vars = new Map<string, Sym>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): Sym | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

type BodyItem = { kind: 'call'; call: GateCall; def: GateDef; local: number[] } | { kind: 'barrier'; local: number[] };

interface GateDef {
  name: string;
  numParams: number;
  numQubits: number;
  native?: NativeGate;
  /** Include file the gate came from, for messages. */
  library?: string;
  paramNames?: string[];
  body?: BodyItem[];
  /** Number of ops one call expands to, when it does not depend on the parameters. */
  size?: number;
}

/** Ops a native gate emits (the same for every parameter value). */
const nativeSizes = new WeakMap<NativeGate, number>();
function nativeSize(g: NativeGate): number {
  let n = nativeSizes.get(g);
  if (n === undefined) {
    const tmp: Op[] = [];
    g.lower([0.1, 0.2, 0.3, 0.4], [0, 1, 2, 3, 4, 5], tmp);
    n = tmp.length;
    nativeSizes.set(g, n);
  }
  return n;
}
function nativeDef(name: string, native: NativeGate, library?: string): GateDef {
  return { name, numParams: native.numParams, numQubits: native.numQubits, native, library, size: nativeSize(native) };
}

interface EvaluatedModifier {
  kind: 'ctrl' | 'negctrl' | 'inv' | 'pow';
  n: number;
}
const NO_MODIFIERS: EvaluatedModifier[] = [];

/** A resolved operand: global indices, and whether it is a single qubit/bit or a register (slice). */
interface Resolved {
  indices: number[];
  single: boolean;
  label: string;
  pos: Pos;
}

/** A classical condition: a static truth value, or "clbits read as an integer equal value" (negated if neg). */
type Cond = { kind: 'static'; value: boolean } | { kind: 'bits'; bits: number[]; value: number; neg: boolean };

const CONSTANTS_V2 = new Map([['pi', Math.PI]]);
const CONSTANTS_V3 = new Map([
  ['pi', Math.PI],
  ['π', Math.PI],
  ['tau', 2 * Math.PI],
  ['τ', 2 * Math.PI],
  ['euler', Math.E],
  ['ℇ', Math.E],
  ['true', 1],
  ['false', 0],
]);

type MathFn = (...a: number[]) => number;
const FUNCTIONS_V2 = new Map<string, MathFn>([
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['tan', Math.tan],
  ['exp', Math.exp],
  ['ln', Math.log],
  ['sqrt', Math.sqrt],
]);
const FUNCTIONS_V3 = new Map<string, MathFn>([
  ...FUNCTIONS_V2,
  ['arcsin', Math.asin],
  ['arccos', Math.acos],
  ['arctan', Math.atan],
  ['log', Math.log],
  ['floor', Math.floor],
  ['ceiling', Math.ceil],
  ['mod', (a: number, b: number) => a - b * Math.floor(a / b)],
]);

function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}
function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export class Lowerer {
  private readonly v3: boolean;
  private readonly constants: Map<string, number>;
  private readonly functions: Map<string, MathFn>;
  private readonly global = new Scope();
  /** Scope of OpenQASM 2 gate bodies: nothing but their parameters (and pi). */
  private readonly empty = new Scope();
  private readonly gates = new Map<string, GateDef>();
  private readonly includes = new Set<string>();
  private readonly qregs: Register[] = [];
  private readonly cregs: Register[] = [];
  private numQubits = 0;
  private numClbits = 0;
  private count = 0;
  /** Statement being lowered, for errors that have no better position (size limits). */
  private current: Pos = { line: 1, col: 1 };
  /** Position of the statement being lowered (for unexpected failures). */
  get position(): Pos {
    return this.current;
  }

  constructor(
    private readonly version: 2 | 3,
    private readonly options: LowerOptions,
  ) {
    this.v3 = version === 3;
    this.constants = this.v3 ? CONSTANTS_V3 : CONSTANTS_V2;
    this.functions = this.v3 ? FUNCTIONS_V3 : FUNCTIONS_V2;
    this.gates.set('U', nativeDef('U', BUILTIN_U));
    if (this.v3) this.gates.set('gphase', nativeDef('gphase', BUILTIN_GPHASE));
    else this.gates.set('CX', nativeDef('CX', BUILTIN_CX));
  }

  lower(program: Program): Circuit {
    const ops: Op[] = [];
    this.lowerStmts(program.statements, this.global, ops);
    return { numQubits: this.numQubits, numClbits: this.numClbits, qregs: this.qregs, cregs: this.cregs, ops };
  }

  // ---- helpers ----

  private fail(msg: string, at: Pos): never {
    throw new CircuitError(msg, at.line, at.col);
  }
  private feature(name: string, at: Pos): never {
    this.fail(`OpenQASM 3 feature '${name}' is not supported`, at);
  }
  private bump(n: number, at: Pos = this.current) {
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

  // ---- statements ----

  private lowerStmts(stmts: Stmt[], scope: Scope, out: Op[]) {
    for (const s of stmts) this.lowerStmt(s, scope, out);
  }

  private lowerStmt(s: Stmt, scope: Scope, out: Op[]) {
    this.current = s;
    switch (s.k) {
      case 'include':
        return this.include(s.file, s);
      case 'qreg':
      case 'creg': {
        this.declareRegister(s.k, s.name, s.size, s, scope);
        if (s.init) this.lowerMeasure(s.init, { name: s.name, line: s.line, col: s.col }, scope, out);
        return;
      }
      case 'const':
        return this.declareConst(s, scope);
      case 'gatedef':
        return this.defineGate(s);
      case 'call':
        return this.lowerCall(s, scope, out);
      case 'measure':
        return this.lowerMeasure(s.qubits, s.bits, scope, out);
      case 'reset':
        for (const o of s.operands) {
          for (const q of this.resolve(o, 'qreg', scope).indices) {
            this.bump(1);
            out.push({ kind: 'reset', qubit: q });
          }
        }
        return;
      case 'barrier':
        return this.lowerBarrier(s.operands, scope, out);
      case 'if':
        return s.qasm2 ? this.lowerIf2(s, scope, out) : this.lowerIf3(s, scope, out);
      case 'for':
        return this.lowerFor(s, scope, out);
      case 'block':
        return this.lowerStmts(s.body, new Scope(scope), out);
    }
  }

  private include(file: string, at: Pos) {
    const lib = libraryGates(file, this.version);
    if (!lib) {
      const available = this.v3 ? 'stdgates.inc' : 'qelib1.inc';
      this.fail(`cannot include "${file}": the only include file available is "${available}"`, at);
    }
    if (this.includes.has(file)) this.fail(`"${file}" is already included`, at);
    this.includes.add(file);
    for (const [name, native] of lib) {
      if (this.gates.has(name)) this.fail(`gate '${name}' of "${file}" is already defined`, at);
      const sym = this.global.vars.get(name);
      if (sym) this.fail(`gate '${name}' of "${file}" has the same name as ${this.describeSym(name, sym)}`, at);
      this.gates.set(name, nativeDef(name, native, file));
    }
  }

  private kindOf(sym: Sym): string {
    return sym.kind === 'qreg' ? 'qubit register' : sym.kind === 'creg' ? 'classical register' : sym.what;
  }
  private describeSym(name: string, sym: Sym): string {
    return `${this.kindOf(sym)} '${name}'`;
  }

  /** A new name in scope: not a gate, not already declared in this scope. */
  private checkNewName(name: string, at: Pos, scope: Scope) {
    const existing = scope.vars.get(name);
    if (existing) this.fail(`'${name}' is already declared as ${article(this.kindOf(existing))}`, at);
    if (this.gates.has(name)) this.fail(`'${name}' is already declared as a gate`, at);
  }

  private declareRegister(kind: 'qreg' | 'creg', name: string, sizeExpr: Expr | undefined, at: Pos, scope: Scope) {
    this.checkNewName(name, at, scope);
    let size = 1;
    if (sizeExpr) {
      size = this.intValue(sizeExpr, scope, 'register size');
      if (size < 1) this.fail(`register size must be at least 1, not ${size}`, sizeExpr);
    }
    if (this.numQubits + this.numClbits + size > this.options.maxOperations) {
      this.fail(`program too large: more than ${this.options.maxOperations} qubits and bits`, sizeExpr ?? at);
    }
    const q = kind === 'qreg';
    const reg: Register = { name, size, offset: q ? this.numQubits : this.numClbits };
    if (q) {
      this.numQubits += size;
      this.qregs.push(reg);
    } else {
      this.numClbits += size;
      this.cregs.push(reg);
    }
    scope.vars.set(name, { kind, reg, scalar: sizeExpr === undefined });
  }

  private declareConst(s: Stmt & { k: 'const' }, scope: Scope) {
    this.checkNewName(s.name, s, scope);
    const v = this.evalExpr(s.value, scope);
    this.checkTypedValue(v, s.type, s.width, scope, s.value, `constant '${s.name}'`);
    scope.vars.set(s.name, { kind: 'value', value: v, what: 'constant' });
  }

  private checkTypedValue(
    v: number,
    type: ClassicalType | undefined,
    width: Expr | undefined,
    scope: Scope,
    at: Pos,
    what: string,
  ) {
    if (type !== 'int' && type !== 'uint') return;
    if (!Number.isInteger(v)) this.fail(`${what} is declared ${type} but its value ${fmt(v)} is not an integer`, at);
    if (type === 'uint' && v < 0) this.fail(`${what} is declared uint but its value ${fmt(v)} is negative`, at);
    if (width) {
      const w = this.intValue(width, scope, 'bit width');
      if (w < 1) this.fail(`bit width must be at least 1, not ${w}`, width);
      const fits = type === 'uint' ? v < 2 ** w : v >= -(2 ** (w - 1)) && v < 2 ** (w - 1);
      if (!fits) this.fail(`${what}: value ${fmt(v)} does not fit in ${type}[${w}]`, at);
    }
  }

  // ---- gate definitions ----

  private defineGate(s: GateDefStmt) {
    if (this.gates.has(s.name)) {
      const prev = this.gates.get(s.name)!;
      this.fail(`gate '${s.name}' is already defined${prev.library ? ` (by "${prev.library}")` : ''}`, s);
    }
    const sym = this.global.vars.get(s.name);
    if (sym) this.fail(`gate '${s.name}' has the same name as ${this.describeSym(s.name, sym)}`, s);
    const scope = new Scope(this.v3 ? this.global : this.empty);
    const seen = new Set<string>();
    for (const p of s.params) {
      if (seen.has(p.name)) this.fail(`duplicate parameter '${p.name}' in gate '${s.name}'`, p);
      seen.add(p.name);
      scope.vars.set(p.name, { kind: 'unknown', what: 'gate parameter' });
    }
    const qubitIndex = new Map<string, number>();
    s.qubits.forEach((q, i) => {
      if (qubitIndex.has(q.name) || seen.has(q.name))
        this.fail(`duplicate name '${q.name}' in the arguments of gate '${s.name}'`, q);
      qubitIndex.set(q.name, i);
    });
    const body: BodyItem[] = [];
    let size: number | undefined = 0;
    for (const st of s.body) {
      const local = st.operands.map((o) => {
        if (o.index) this.fail(`qubit arguments cannot be indexed inside a gate definition`, o.index);
        const i = qubitIndex.get(o.name);
        if (i === undefined) {
          if (o.name === s.name) this.fail(`unknown qubit '${o.name}' in gate '${s.name}'`, o);
          this.fail(
            `unknown qubit '${o.name}' in gate '${s.name}' (a gate body can use only the gate's own qubit arguments)`,
            o,
          );
        }
        return i;
      });
      if (st.k === 'barrier') {
        body.push({ kind: 'barrier', local });
        if (size !== undefined) size++;
        continue;
      }
      if (st.name === s.name) this.fail(`gate '${s.name}' cannot call itself`, st.namePos);
      const def = this.lookupGate(st);
      for (const m of st.modifiers) {
        if (m.arg) this.checkExpr(m.arg, scope);
        if ((m.kind === 'ctrl' || m.kind === 'negctrl') && m.arg) this.controlCount(m.arg, scope);
      }
      for (const a of st.args) this.checkExpr(a, scope);
      this.checkArity(st, def, scope);
      this.checkDistinct(
        local,
        (k) => `'${st.operands[k].name}'`,
        (k) => st.operands[k],
        () => this.callName(st),
      );
      body.push({ kind: 'call', call: st, def, local });
      if (size !== undefined) {
        const reps = this.staticRepetitions(st, scope);
        size = def.size === undefined || reps === undefined ? undefined : size + def.size * reps;
      }
    }
    this.gates.set(s.name, {
      name: s.name,
      numParams: s.params.length,
      numQubits: s.qubits.length,
      paramNames: s.params.map((p) => p.name),
      body,
      size,
    });
  }

  /** How many times pow modifiers repeat a call, when that does not depend on gate parameters. */
  private staticRepetitions(call: GateCall, scope: Scope): number | undefined {
    let reps = 1;
    for (const m of call.modifiers) {
      if (m.kind !== 'pow' || !m.arg) continue;
      if (this.mentionsUnknown(m.arg, scope)) return undefined;
      const k = this.evalExpr(m.arg, scope);
      if (!Number.isInteger(k)) return undefined;
      reps *= Math.abs(k);
    }
    return reps;
  }

  private lookupGate(call: GateCall): GateDef {
    const def = this.gates.get(call.name);
    if (def) return def;
    const lib = this.v3 ? 'stdgates.inc' : 'qelib1.inc';
    if (!this.includes.has(lib) && libraryGates(lib, this.version)!.has(call.name)) {
      this.fail(`unknown gate '${call.name}' (it is defined in "${lib}": add 'include "${lib}";')`, call.namePos);
    }
    this.fail(`unknown gate '${call.name}'`, call.namePos);
  }

  private callName(call: GateCall): string {
    const mods = call.modifiers.map((m) => (m.arg ? `${m.kind}(…) @ ` : `${m.kind} @ `)).join('');
    return `${mods}${call.name}`;
  }

  private controlCount(arg: Expr, scope: Scope): number {
    const n = this.intValue(arg, scope, 'control count');
    if (n < 1) this.fail(`control count must be at least 1, not ${n}`, arg);
    return n;
  }

  /** Parameter and qubit counts of a call; returns the number of control qubits its modifiers add. */
  private checkArity(call: GateCall, def: GateDef, scope: Scope): number {
    if (call.args.length !== def.numParams) {
      this.fail(
        `gate '${call.name}' takes ${plural(def.numParams, 'parameter')} but ${call.args.length} ${call.args.length === 1 ? 'was' : 'were'} given`,
        call.namePos,
      );
    }
    let controls = 0;
    for (const m of call.modifiers) {
      if (m.kind === 'ctrl' || m.kind === 'negctrl') controls += m.arg ? this.controlCount(m.arg, scope) : 1;
    }
    const want = controls + def.numQubits;
    if (call.operands.length !== want) {
      const given = call.operands.length;
      this.fail(
        `'${this.callName(call)}' takes ${plural(want, 'qubit')} but ${given} ${given === 1 ? 'was' : 'were'} given`,
        call.namePos,
      );
    }
    return controls;
  }

  private checkDistinct(
    qs: readonly number[],
    label: (k: number) => string,
    pos: (k: number) => Pos,
    name: () => string,
  ) {
    const n = qs.length;
    if (n < 2) return;
    if (n <= 16) {
      for (let j = 1; j < n; j++) {
        for (let i = 0; i < j; i++) {
          if (qs[i] === qs[j]) this.fail(`qubit ${label(j)} is used more than once in '${name()}'`, pos(j));
        }
      }
      return;
    }
    const seen = new Set<number>();
    for (let j = 0; j < n; j++) {
      if (seen.has(qs[j])) this.fail(`qubit ${label(j)} is used more than once in '${name()}'`, pos(j));
      seen.add(qs[j]);
    }
  }

  // ---- gate calls ----

  private lowerCall(call: GateCall, scope: Scope, out: Op[], wrap?: (ops: Op[]) => Op) {
    const def = this.lookupGate(call);
    this.checkArity(call, def, scope);
    const mods = this.evalModifiers(call, scope);
    const params = call.args.map((a) => this.evalExpr(a, scope));
    const resolved = call.operands.map((o) => this.resolve(o, 'qreg', scope));
    const name = () => this.callName(call);
    if (def.size !== undefined) {
      // Refuse an explosive call before expanding it.
      let reps = def.size;
      for (const m of mods) if (m.kind === 'pow') reps *= Math.abs(m.n);
      const width = resolved.reduce((w, r) => (r.single ? w : Math.max(w, r.indices.length)), 1);
      if (this.count + reps * width > this.options.maxOperations) this.bump(reps * width, call);
    }
    this.broadcast(resolved, name, 'qubit', (qs) => {
      this.checkDistinct(
        qs,
        (k) => this.qubitLabel(qs[k]),
        (k) => resolved[k].pos,
        name,
      );
      if (wrap) {
        const tmp: Op[] = [];
        this.applyModified(mods, 0, def, params, qs, tmp, 0);
        this.bump(1);
        out.push(wrap(tmp));
      } else this.applyModified(mods, 0, def, params, qs, out, 0);
    });
  }

  private evalModifiers(call: GateCall, scope: Scope): EvaluatedModifier[] {
    return call.modifiers.map((m) => {
      switch (m.kind) {
        case 'ctrl':
        case 'negctrl':
          return { kind: m.kind, n: m.arg ? this.controlCount(m.arg, scope) : 1 };
        case 'inv':
          return { kind: 'inv', n: 0 };
        case 'pow': {
          const k = this.evalExpr(m.arg!, scope);
          if (!Number.isInteger(k)) this.feature('non-integer pow', m.arg!);
          return { kind: 'pow', n: k };
        }
      }
    });
  }

  /** Calls `each` once per broadcast instance with the global indices of that instance. */
  private broadcast(ops: Resolved[], name: () => string, unit: string, each: (indices: number[]) => void) {
    let first: Resolved | undefined;
    for (const r of ops) {
      if (r.single) continue;
      if (!first) first = r;
      else if (r.indices.length !== first.indices.length) {
        this.fail(
          `register sizes do not match in '${name()}': '${first.label}' has ${plural(first.indices.length, unit)} but '${r.label}' has ${r.indices.length}`,
          r.pos,
        );
      }
    }
    if (!first) {
      each(ops.map((r) => r.indices[0]));
      return;
    }
    const n = first.indices.length;
    for (let i = 0; i < n; i++) each(ops.map((r) => (r.single ? r.indices[0] : r.indices[i])));
  }

  /** Applies modifiers mods[from..] (outermost first) to a gate and appends the result to out. */
  private applyModified(
    mods: EvaluatedModifier[],
    from: number,
    def: GateDef,
    params: readonly number[],
    qubits: readonly number[],
    out: Op[],
    depth: number,
  ) {
    if (from === mods.length) {
      this.applyGate(def, params, qubits, out, depth);
      return;
    }
    const m = mods[from];
    const tmp: Op[] = [];
    switch (m.kind) {
      case 'ctrl':
      case 'negctrl': {
        const controls = qubits.slice(0, m.n);
        this.applyModified(mods, from + 1, def, params, qubits.slice(m.n), tmp, depth);
        this.bump(tmp.length);
        const state = m.kind === 'ctrl' ? 1 : 0;
        for (const op of tmp) out.push(addControls(op, controls, state));
        return;
      }
      case 'inv': {
        this.applyModified(mods, from + 1, def, params, qubits, tmp, depth);
        this.bump(tmp.length);
        for (let i = tmp.length - 1; i >= 0; i--) out.push(invert(tmp[i]));
        return;
      }
      case 'pow': {
        if (m.n === 0) return;
        this.applyModified(mods, from + 1, def, params, qubits, tmp, depth);
        const reps = Math.abs(m.n);
        if (tmp.length * reps > this.options.maxOperations) this.bump(this.options.maxOperations + 1);
        this.bump(tmp.length * reps);
        const body = m.n > 0 ? tmp : tmp.map((_, i) => invert(tmp[tmp.length - 1 - i]));
        for (let r = 0; r < reps; r++) for (const op of body) out.push(r === 0 ? op : cloneOp(op));
        return;
      }
    }
  }

  private applyGate(def: GateDef, params: readonly number[], qubits: readonly number[], out: Op[], depth: number) {
    if (def.native) {
      const before = out.length;
      def.native.lower(params, qubits, out);
      this.bump(out.length - before);
      return;
    }
    if (depth >= MAX_GATE_NESTING)
      this.fail(`gate calls are nested too deeply (more than ${MAX_GATE_NESTING} levels)`, this.current);
    const names = def.paramNames!;
    let scope = this.v3 ? this.global : this.empty;
    if (names.length) {
      scope = new Scope(scope);
      for (let i = 0; i < names.length; i++) {
        scope.vars.set(names[i], { kind: 'value', value: params[i], what: 'gate parameter' });
      }
    }
    for (const item of def.body!) {
      if (item.kind === 'barrier') {
        this.bump(1);
        const op: BarrierOp = { kind: 'barrier', qubits: item.local.map((i) => qubits[i]) };
        out.push(op);
        continue;
      }
      const call = item.call;
      const ps = new Array<number>(call.args.length);
      for (let i = 0; i < ps.length; i++) ps[i] = this.evalExpr(call.args[i], scope);
      const mods = call.modifiers.length ? this.evalModifiers(call, scope) : NO_MODIFIERS;
      const qs = new Array<number>(item.local.length);
      for (let i = 0; i < qs.length; i++) qs[i] = qubits[item.local[i]];
      this.applyModified(mods, 0, item.def, ps, qs, out, depth + 1);
    }
  }

  // ---- operands ----

  private qubitLabel(q: number): string {
    return this.label(this.qregs, q, 'qreg');
  }

  private label(regs: Register[], index: number, kind: 'qreg' | 'creg'): string {
    for (const r of regs) {
      if (index >= r.offset && index < r.offset + r.size) {
        const sym = this.global.vars.get(r.name);
        return sym && sym.kind === kind && sym.scalar ? r.name : `${r.name}[${index - r.offset}]`;
      }
    }
    return String(index);
  }

  private resolve(o: Operand, kind: 'qreg' | 'creg', scope: Scope): Resolved {
    const sym = scope.lookup(o.name);
    const unit = kind === 'qreg' ? 'qubit' : 'bit';
    if (!sym) this.fail(`unknown ${kind === 'qreg' ? 'qubit' : 'classical'} register '${o.name}'`, o);
    if (sym.kind !== kind) {
      const want = kind === 'qreg' ? 'a qubit register' : 'a classical register';
      this.fail(`'${o.name}' is ${article(this.kindOf(sym))}, not ${want}`, o);
    }
    const reg = sym.reg;
    if (!o.index) {
      const indices = new Array<number>(reg.size);
      for (let i = 0; i < reg.size; i++) indices[i] = reg.offset + i;
      return { indices, single: sym.scalar, label: o.name, pos: o };
    }
    if (sym.scalar) this.fail(`'${o.name}' is a single ${unit} and cannot be indexed`, o.index);
    const one = (e: Expr): number => {
      const i = this.intValue(e, scope, `${unit} index`);
      const j = this.v3 && i < 0 ? i + reg.size : i;
      if (j < 0 || j >= reg.size)
        this.fail(`${unit} index ${i} out of range for register '${o.name}' of size ${reg.size}`, e);
      return j;
    };
    const spec = o.index;
    switch (spec.k) {
      case 'single': {
        const i = one(spec.expr);
        return { indices: [reg.offset + i], single: true, label: `${o.name}[${i}]`, pos: o };
      }
      case 'set': {
        const indices = spec.items.map((e) => reg.offset + one(e));
        return { indices, single: false, label: `${o.name}[{…}]`, pos: o };
      }
      case 'range': {
        const start = spec.start ? one(spec.start) : 0;
        const step = spec.step ? this.intValue(spec.step, scope, 'range step') : 1;
        if (step === 0) this.fail(`range step cannot be zero`, spec.step!);
        const end = spec.end ? one(spec.end) : step > 0 ? reg.size - 1 : 0;
        const indices: number[] = [];
        for (let i = start; step > 0 ? i <= end : i >= end; i += step) indices.push(reg.offset + i);
        if (indices.length === 0) this.fail(`the range selects no ${unit}s of register '${o.name}'`, spec);
        return { indices, single: false, label: `${o.name}[${start}:${end}]`, pos: o };
      }
    }
  }

  // ---- measure, barrier ----

  private lowerMeasure(qo: Operand, co: Operand, scope: Scope, out: Op[], wrap?: (ops: Op[]) => Op) {
    const q = this.resolve(qo, 'qreg', scope);
    const c = this.resolve(co, 'creg', scope);
    if (q.indices.length !== c.indices.length) {
      this.fail(
        `cannot measure ${plural(q.indices.length, 'qubit')} ('${q.label}') into ${plural(c.indices.length, 'bit')} ('${c.label}')`,
        co,
      );
    }
    this.bump(q.indices.length);
    for (let i = 0; i < q.indices.length; i++) {
      const op: Op = { kind: 'measure', qubit: q.indices[i], clbit: c.indices[i] };
      out.push(wrap ? wrap([op]) : op);
    }
  }

  private lowerBarrier(operands: Operand[], scope: Scope, out: Op[]) {
    let qubits: number[];
    if (operands.length === 0) {
      qubits = Array.from({ length: this.numQubits }, (_, i) => i);
    } else {
      const seen = new Set<number>();
      qubits = [];
      for (const o of operands) {
        for (const q of this.resolve(o, 'qreg', scope).indices) {
          if (!seen.has(q)) {
            seen.add(q);
            qubits.push(q);
          }
        }
      }
    }
    this.bump(1 + (qubits.length >> 4));
    out.push({ kind: 'barrier', qubits });
  }

  // ---- if ----

  private lowerIf2(s: Stmt & { k: 'if' }, scope: Scope, out: Op[]) {
    const cond = s.cond as Expr & { k: 'binary' };
    const left = cond.left;
    const operand: Operand =
      left.k === 'index'
        ? { name: left.name, index: left.index, ...left.namePos }
        : { name: (left as Expr & { k: 'id' }).name, line: left.line, col: left.col };
    const bits = this.resolve(operand, 'creg', scope);
    const value = (cond.right as Expr & { k: 'num' }).value;
    const clbits = bits.indices;
    // Like Qiskit, each instance of a broadcast operation is conditioned separately.
    const wrap = (body: Op[]): ConditionalOp => ({ kind: 'if', clbits: clbits.slice(), value, body });
    const body = s.then[0];
    this.current = body;
    if (body.k === 'call') this.lowerCall(body, scope, out, wrap);
    else if (body.k === 'measure') this.lowerMeasure(body.qubits, body.bits, scope, out, wrap);
    else if (body.k === 'reset') {
      for (const q of this.resolve(body.operands[0], 'qreg', scope).indices) {
        this.bump(1);
        out.push(wrap([{ kind: 'reset', qubit: q }]));
      }
    }
  }

  private lowerIf3(s: Stmt & { k: 'if' }, scope: Scope, out: Op[]) {
    const cond = this.normalize(this.compileCond(s.cond, scope));
    if (cond.kind === 'static') {
      const [taken, other] = cond.value ? [s.then, s.else] : [s.else, s.then];
      if (taken) this.lowerStmts(taken, new Scope(scope), out);
      if (other) this.checkStmts(other, new Scope(scope));
      return;
    }
    const thenOps: Op[] = [];
    this.lowerStmts(s.then, new Scope(scope), thenOps);
    const elseOps: Op[] = [];
    if (s.else) this.lowerStmts(s.else, new Scope(scope), elseOps);
    this.current = s;
    // A runs when the bits equal the value, B when they do not.
    const [a, b] = cond.neg ? [elseOps, thenOps] : [thenOps, elseOps];
    const condBits = new Set(cond.bits);
    const writesA = writesAny(a, condBits);
    const writesB = writesAny(b, condBits);
    const emitA = () => {
      if (a.length) {
        this.bump(1);
        out.push({ kind: 'if', clbits: cond.bits.slice(), value: cond.value, body: a });
      }
    };
    const emitB = () => {
      if (!b.length) return;
      const k = cond.bits.length;
      if (k > 1 && writesB) {
        this.fail(
          `an 'else' branch (or '!=' condition) that measures into the bits of its own multi-bit condition is not supported`,
          s,
        );
      }
      if (k > 53) this.fail(`an 'else' branch (or '!=' condition) on more than 53 bits is not supported`, s);
      // "bits != value" as disjoint cases: the first i bits match and bit i differs.
      for (let i = 0; i < k; i++) {
        const low = cond.value % 2 ** i;
        const bit = Math.floor(cond.value / 2 ** i) % 2;
        const body = i === 0 ? b : b.map(cloneOp);
        this.bump(i === 0 ? 1 : 1 + countOps(b));
        out.push({ kind: 'if', clbits: cond.bits.slice(0, i + 1), value: low + (1 - bit) * 2 ** i, body });
      }
    };
    if (writesA && writesB) {
      this.fail(`'if' and 'else' branches that both measure into the bits of their condition are not supported`, s);
    }
    // Emit first the side that does not change the condition bits, so the other still sees them as they were.
    if (writesA) {
      emitB();
      emitA();
    } else {
      emitA();
      emitB();
    }
  }

  /** Turns impossible comparisons into static values and single negated bits into plain ones. */
  private normalize(c: Cond | { kind: 'never'; neg: boolean }): Cond {
    if (c.kind === 'never') return { kind: 'static', value: c.neg };
    if (c.kind === 'bits' && c.neg && c.bits.length === 1)
      return { kind: 'bits', bits: c.bits, value: 1 - c.value, neg: false };
    return c;
  }

  private refersToBits(e: Expr, scope: Scope): boolean {
    switch (e.k) {
      case 'index':
        return true;
      case 'id': {
        if (this.constants.has(e.name)) return false;
        const sym = scope.lookup(e.name);
        if (sym?.kind === 'qreg') this.fail(`qubit register '${e.name}' cannot be used in a condition`, e);
        return sym?.kind === 'creg';
      }
      case 'unary':
      case 'cast':
        return this.refersToBits(e.arg, scope);
      case 'binary':
        return this.refersToBits(e.left, scope) || this.refersToBits(e.right, scope);
      case 'call':
        return e.args.some((a) => this.refersToBits(a, scope));
      case 'num':
        return false;
    }
  }

  /** The bits a condition operand denotes (`c`, `c[0]`, `c[0:2]`), and whether it is a single bit. */
  private condBits(e: Expr, scope: Scope): Resolved {
    // `int[n](c)` and `uint(c)` read the bits as an unsigned integer, as `c` itself does.
    if (e.k === 'cast' && (e.type === 'int' || e.type === 'uint')) return this.condBits(e.arg, scope);
    if (e.k === 'id') return this.resolve({ name: e.name, line: e.line, col: e.col }, 'creg', scope);
    if (e.k === 'index') return this.resolve({ name: e.name, index: e.index, ...e.namePos }, 'creg', scope);
    this.feature('classical computations on bits in conditions', e);
  }

  private compileCond(e: Expr, scope: Scope): Cond | { kind: 'never'; neg: boolean } {
    if (!this.refersToBits(e, scope)) return { kind: 'static', value: this.evalExpr(e, scope) !== 0 };
    switch (e.k) {
      case 'id':
      case 'index':
      case 'cast': {
        const r = this.condBits(e, scope);
        // A bit is true when it is 1; a register is true when it is not 0.
        return r.single
          ? { kind: 'bits', bits: r.indices, value: 1, neg: false }
          : { kind: 'bits', bits: r.indices, value: 0, neg: true };
      }
      case 'unary': {
        if (e.op !== '!') this.feature(`'${e.op}' on classical bits`, e);
        const c = this.normalize(this.compileCond(e.arg, scope));
        return c.kind === 'static' ? { kind: 'static', value: !c.value } : { ...c, neg: !c.neg };
      }
      case 'binary': {
        if (e.op === '==' || e.op === '!=') {
          const lb = this.refersToBits(e.left, scope);
          const rb = this.refersToBits(e.right, scope);
          if (lb && rb) this.feature('comparing classical bits with each other', e);
          const r = this.condBits(lb ? e.left : e.right, scope);
          const v = this.evalExpr(lb ? e.right : e.left, scope);
          const neg = e.op === '!=';
          if (!Number.isInteger(v) || v < 0 || v >= 2 ** r.indices.length) return { kind: 'never', neg };
          if (v > Number.MAX_SAFE_INTEGER) this.fail(`condition value is too large`, e);
          return { kind: 'bits', bits: r.indices, value: v, neg };
        }
        if (e.op === '&&') {
          const l = this.normalize(this.compileCond(e.left, scope));
          const r = this.normalize(this.compileCond(e.right, scope));
          if (l.kind === 'static') return l.value ? r : l;
          if (r.kind === 'static') return r.value ? l : r;
          if (l.neg || r.neg) this.feature(`'&&' with a '!=' comparison of a multi-bit register`, e);
          const want = new Map<number, number>();
          for (const c of [l, r]) {
            c.bits.forEach((b, i) => {
              const bit = Math.floor(c.value / 2 ** i) % 2;
              const prev = want.get(b);
              if (prev !== undefined && prev !== bit) want.set(b, -1);
              else want.set(b, bit);
            });
          }
          if ([...want.values()].includes(-1)) return { kind: 'never', neg: false };
          if (want.size > 53) this.fail(`conditions on more than 53 bits are not supported`, e);
          const bits = [...want.keys()];
          const value = bits.reduce((acc, b, i) => acc + want.get(b)! * 2 ** i, 0);
          return { kind: 'bits', bits, value, neg: false };
        }
        if (e.op === '||') {
          const l = this.normalize(this.compileCond(e.left, scope));
          const r = this.normalize(this.compileCond(e.right, scope));
          if (l.kind === 'static') return l.value ? l : r;
          if (r.kind === 'static') return r.value ? r : l;
          this.feature(`'||' in conditions on classical bits`, e);
        }
        this.feature(`'${e.op}' on classical bits`, e);
      }
      // falls through (feature never returns)
      default:
        this.feature('classical computations on bits in conditions', e);
    }
  }

  // ---- for ----

  private lowerFor(s: Stmt & { k: 'for' }, scope: Scope, out: Op[]) {
    const values = this.loopValues(s, scope);
    if (values.length === 0) {
      const inner = new Scope(scope);
      inner.vars.set(s.varName, { kind: 'unknown', what: 'loop variable' });
      this.checkStmts(s.body, inner);
      return;
    }
    let perIteration = Infinity;
    for (let k = 0; k < values.length; k++) {
      const before = this.count;
      this.bump(1, s);
      const inner = new Scope(scope);
      inner.vars.set(s.varName, { kind: 'value', value: values[k], what: 'loop variable' });
      this.lowerStmts(s.body, inner, out);
      if (k < 2) {
        // Refuse a loop that will clearly expand too far, judging by its first iterations.
        perIteration = Math.min(perIteration, this.count - before);
        const rest = values.length - k - 1;
        if (k === 1 && this.count + perIteration * rest > this.options.maxOperations) this.bump(perIteration * rest, s);
      }
    }
  }

  private loopValues(s: Stmt & { k: 'for' }, scope: Scope): number[] {
    const spec: IndexSpec = s.range;
    const check = (v: number, at: Pos) => {
      this.checkTypedValue(
        v,
        s.type ?? (spec.k === 'range' ? 'int' : undefined),
        undefined,
        scope,
        at,
        `loop variable '${s.varName}'`,
      );
      return v;
    };
    if (spec.k === 'set') return spec.items.map((e) => check(this.evalExpr(e, scope), e));
    if (spec.k !== 'range') return [];
    const start = this.intValue(spec.start!, scope, 'range start');
    const end = this.intValue(spec.end!, scope, 'range end');
    const step = spec.step ? this.intValue(spec.step, scope, 'range step') : 1;
    if (step === 0) this.fail(`range step cannot be zero`, spec.step!);
    const n = Math.floor((end - start) / step) + 1;
    if (n <= 0) return [];
    if (n > this.options.maxOperations) this.bump(this.options.maxOperations + 1, s);
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) values[i] = check(start + i * step, spec);
    return values;
  }

  // ---- static checks of code that is not run (zero-iteration loops, untaken static branches) ----

  private checkStmts(stmts: Stmt[], scope: Scope) {
    for (const s of stmts) {
      switch (s.k) {
        case 'call': {
          const def = this.lookupGate(s);
          for (const a of s.args) this.checkExpr(a, scope);
          for (const m of s.modifiers) if (m.arg) this.checkExpr(m.arg, scope);
          if (s.modifiers.every((m) => !m.arg || m.kind === 'pow' || !this.mentionsUnknown(m.arg, scope)))
            this.checkArity(s, def, scope);
          for (const o of s.operands) this.checkOperand(o, 'qreg', scope);
          break;
        }
        case 'measure':
          this.checkOperand(s.qubits, 'qreg', scope);
          this.checkOperand(s.bits, 'creg', scope);
          break;
        case 'reset':
        case 'barrier':
          for (const o of s.operands) this.checkOperand(o, 'qreg', scope);
          break;
        case 'if':
          this.checkExpr(s.cond, scope, true);
          this.checkStmts(s.then, new Scope(scope));
          if (s.else) this.checkStmts(s.else, new Scope(scope));
          break;
        case 'for': {
          const spec = s.range;
          if (spec.k === 'set') spec.items.forEach((e) => this.checkExpr(e, scope));
          else if (spec.k === 'range') [spec.start, spec.step, spec.end].forEach((e) => e && this.checkExpr(e, scope));
          const inner = new Scope(scope);
          inner.vars.set(s.varName, { kind: 'unknown', what: 'loop variable' });
          this.checkStmts(s.body, inner);
          break;
        }
        case 'const':
          this.checkExpr(s.value, scope);
          this.checkNewName(s.name, s, scope);
          scope.vars.set(s.name, { kind: 'unknown', what: 'constant' });
          break;
        case 'block':
          this.checkStmts(s.body, new Scope(scope));
          break;
        default:
          // Declarations, includes and gate definitions are only allowed at global scope (parser).
          break;
      }
    }
  }

  private mentionsUnknown(e: Expr, scope: Scope): boolean {
    switch (e.k) {
      case 'id':
        return scope.lookup(e.name)?.kind === 'unknown';
      case 'unary':
      case 'cast':
        return this.mentionsUnknown(e.arg, scope);
      case 'binary':
        return this.mentionsUnknown(e.left, scope) || this.mentionsUnknown(e.right, scope);
      case 'call':
        return e.args.some((a) => this.mentionsUnknown(a, scope));
      default:
        return false;
    }
  }

  private checkOperand(o: Operand, kind: 'qreg' | 'creg', scope: Scope) {
    const sym = scope.lookup(o.name);
    if (!sym || sym.kind !== kind) {
      this.resolve(o, kind, scope); // throws the usual error
    }
    const spec = o.index;
    if (!spec) return;
    if (spec.k === 'single') this.checkExpr(spec.expr, scope);
    else if (spec.k === 'set') spec.items.forEach((e) => this.checkExpr(e, scope));
    else [spec.start, spec.step, spec.end].forEach((e) => e && this.checkExpr(e, scope));
  }

  /** Checks names and function arities of an expression without evaluating it. */
  private checkExpr(e: Expr, scope: Scope, condition = false): void {
    switch (e.k) {
      case 'num':
        return;
      case 'id': {
        if (this.constants.has(e.name)) return;
        const sym = scope.lookup(e.name);
        if (sym && (sym.kind === 'value' || sym.kind === 'unknown')) return;
        if (sym && condition && sym.kind === 'creg') return;
        this.evalExpr(e, scope); // throws the usual error
        return;
      }
      case 'unary':
      case 'cast':
        return this.checkExpr(e.arg, scope, condition);
      case 'binary':
        this.checkExpr(e.left, scope, condition);
        return this.checkExpr(e.right, scope, condition);
      case 'call': {
        this.functionFor(e);
        for (const a of e.args) this.checkExpr(a, scope, condition);
        return;
      }
      case 'index':
        if (condition) return this.checkOperand({ name: e.name, index: e.index, ...e.namePos }, 'creg', scope);
        this.evalExpr(e, scope); // throws
    }
  }

  // ---- expressions ----

  private intValue(e: Expr, scope: Scope, what: string): number {
    const v = this.evalExpr(e, scope);
    if (!Number.isInteger(v)) this.fail(`${what} must be an integer, but is ${fmt(v)}`, e);
    return v;
  }

  private functionFor(e: Expr & { k: 'call' }): MathFn {
    const fn = this.functions.get(e.fn);
    if (!fn) {
      if (this.gates.has(e.fn)) this.fail(`gate '${e.fn}' cannot be used in an expression`, e);
      this.fail(`unknown function '${e.fn}'`, e);
    }
    if (fn.length !== e.args.length) {
      this.fail(
        `function '${e.fn}' takes ${plural(fn.length, 'argument')} but ${e.args.length} ${e.args.length === 1 ? 'was' : 'were'} given`,
        e,
      );
    }
    return fn;
  }

  private evalExpr(e: Expr, scope: Scope): number {
    switch (e.k) {
      case 'num':
        return e.value;
      case 'id': {
        const c = this.constants.get(e.name);
        if (c !== undefined) return c;
        const sym = scope.lookup(e.name);
        if (!sym) this.fail(`unknown identifier '${e.name}'`, e);
        switch (sym.kind) {
          case 'value':
            return sym.value;
          case 'unknown':
            this.fail(`${sym.what} '${e.name}' has no constant value here`, e);
          // falls through (fail never returns)
          case 'qreg':
            this.fail(`qubit register '${e.name}' cannot be used in an expression`, e);
          // falls through
          case 'creg':
            if (this.v3) this.feature('classical bits in expressions (outside if conditions)', e);
            this.fail(`classical register '${e.name}' cannot be used in an expression`, e);
        }
      }
      // falls through (every case above returns or throws)
      case 'unary': {
        const v = this.evalExpr(e.arg, scope);
        if (e.op === '-') return -v;
        if (e.op === '+') return v;
        return v === 0 ? 1 : 0;
      }
      case 'binary':
        return this.evalBinary(e, scope);
      case 'call': {
        const fn = this.functionFor(e);
        const args = e.args.map((a) => this.evalExpr(a, scope));
        const r = fn(...args);
        if (!Number.isFinite(r)) this.fail(`${e.fn}(${args.map(fmt).join(', ')}) is not a finite real number`, e);
        return r;
      }
      case 'cast': {
        const v = this.evalExpr(e.arg, scope);
        if (e.type === 'int' || e.type === 'uint') {
          const t = Math.trunc(v);
          if (e.type === 'uint' && t < 0) this.fail(`cannot cast ${fmt(v)} to uint`, e);
          return t === 0 ? 0 : t;
        }
        return v;
      }
      case 'index':
        if (this.v3) this.feature('classical bits in expressions (outside if conditions)', e);
        this.fail(`'${e.name}[...]' cannot be used in an expression`, e);
    }
  }

  private evalBinary(e: Expr & { k: 'binary' }, scope: Scope): number {
    const a = this.evalExpr(e.left, scope);
    if (e.op === '&&') return a !== 0 && this.evalExpr(e.right, scope) !== 0 ? 1 : 0;
    if (e.op === '||') return a !== 0 || this.evalExpr(e.right, scope) !== 0 ? 1 : 0;
    const b = this.evalExpr(e.right, scope);
    let r: number;
    switch (e.op) {
      case '+':
        r = a + b;
        break;
      case '-':
        r = a - b;
        break;
      case '*':
        r = a * b;
        break;
      case '/':
        if (b === 0) this.fail(`division by zero`, e);
        r = a / b;
        break;
      case '%':
        if (b === 0) this.fail(`modulo by zero`, e);
        r = a % b;
        break;
      case '**':
        r = a ** b;
        break;
      case '==':
        return a === b ? 1 : 0;
      case '!=':
        return a !== b ? 1 : 0;
      case '<':
        return a < b ? 1 : 0;
      case '<=':
        return a <= b ? 1 : 0;
      case '>':
        return a > b ? 1 : 0;
      case '>=':
        return a >= b ? 1 : 0;
      default:
        this.fail(`operator '${e.op}' is not supported`, e);
    }
    if (!Number.isFinite(r)) {
      const op = e.op === '**' && !this.v3 ? '^' : e.op;
      this.fail(`${fmt(a)} ${op} ${fmt(b)} is not a finite real number`, e);
    }
    return r;
  }
}

// ---- op transformations ----

function addControls(op: Op, controls: number[], state: 0 | 1): Op {
  const states = (existing: number[], existingStates: (0 | 1)[] | undefined): (0 | 1)[] | undefined => {
    if (state === 1 && !existingStates) return undefined;
    return [...controls.map(() => state), ...(existingStates ?? existing.map((): 0 | 1 => 1))];
  };
  switch (op.kind) {
    case 'gate': {
      const g: GateOp = {
        kind: 'gate',
        name: op.name,
        target: op.target,
        matrix: op.matrix,
        controls: [...controls, ...op.controls],
      };
      const cs = states(op.controls, op.controlStates);
      if (cs) g.controlStates = cs;
      return g;
    }
    case 'swap': {
      const cs = states(op.controls, op.controlStates);
      return cs
        ? { kind: 'swap', a: op.a, b: op.b, controls: [...controls, ...op.controls], controlStates: cs }
        : { kind: 'swap', a: op.a, b: op.b, controls: [...controls, ...op.controls] };
    }
    case 'gphase': {
      // A controlled global phase is a phase gate on (one of) the controls.
      const c = Math.cos(op.theta);
      const s = Math.sin(op.theta);
      const m: Matrix2 = state === 1 ? phase(op.theta) : [c, s, 0, 0, 0, 0, 1, 0];
      const g: GateOp = { kind: 'gate', name: 'gphase', target: controls[0], matrix: m, controls: controls.slice(1) };
      if (state === 0 && controls.length > 1) g.controlStates = controls.slice(1).map(() => 0);
      return g;
    }
    case 'barrier':
      return { kind: 'barrier', qubits: [...controls, ...op.qubits] };
    default:
      // Measure, reset and conditionals never occur inside a gate.
      return op;
  }
}

function invert(op: Op): Op {
  switch (op.kind) {
    case 'gate': {
      const g: GateOp = {
        kind: 'gate',
        name: op.name,
        target: op.target,
        matrix: adjoint(op.matrix),
        controls: op.controls.slice(),
      };
      if (op.controlStates) g.controlStates = op.controlStates.slice();
      return g;
    }
    case 'gphase':
      return { kind: 'gphase', theta: -op.theta };
    default:
      return cloneOp(op);
  }
}

function cloneOp(op: Op): Op {
  switch (op.kind) {
    case 'gate': {
      const g: GateOp = {
        kind: 'gate',
        name: op.name,
        target: op.target,
        matrix: op.matrix,
        controls: op.controls.slice(),
      };
      if (op.controlStates) g.controlStates = op.controlStates.slice();
      return g;
    }
    case 'swap':
      return op.controlStates
        ? { kind: 'swap', a: op.a, b: op.b, controls: op.controls.slice(), controlStates: op.controlStates.slice() }
        : { kind: 'swap', a: op.a, b: op.b, controls: op.controls.slice() };
    case 'barrier':
      return { kind: 'barrier', qubits: op.qubits.slice() };
    case 'if':
      return { kind: 'if', clbits: op.clbits.slice(), value: op.value, body: op.body.map(cloneOp) };
    default:
      return { ...op };
  }
}

function countOps(ops: Op[]): number {
  let n = 0;
  for (const op of ops) n += op.kind === 'if' ? 1 + countOps(op.body) : 1;
  return n;
}

function writesAny(ops: Op[], bits: Set<number>): boolean {
  for (const op of ops) {
    if (op.kind === 'measure' && bits.has(op.clbit)) return true;
    if (op.kind === 'if' && writesAny(op.body, bits)) return true;
  }
  return false;
}
