import type { BarrierOp, Circuit, ConditionalOp, Op, Register } from '../circuit/circuit';
import type { Expr, GateCall, GateDefStmt, Operand, Pos, Program, Stmt } from './ast';
import { BUILTIN_CX, BUILTIN_U, libraryGates, type NativeGate } from './library';
import { fmt, LowererBase, plural, type LowerOptions } from './lowering';

/**
 * Walks the OpenQASM 2 syntax tree and produces the circuit IR: registers are flattened, user
 * gates inlined, broadcasts expanded and `if (c == n)` turned into ConditionalOps. OpenQASM 3 has
 * its own lowering, lower3.ts.
 */

/** Deepest chain of gate definitions calling one another. */
const MAX_GATE_NESTING = 1000;

type Sym =
  | { kind: 'qreg'; reg: Register }
  | { kind: 'creg'; reg: Register }
  /** A gate parameter while its gate is expanded. */
  | { kind: 'value'; value: number }
  /** A gate parameter while its gate's definition is checked (no value yet). */
  | { kind: 'unknown' };

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
  /** Number of ops one call expands to (the same for every parameter value). */
  size: number;
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

/** A resolved operand: global indices, and whether it is a single qubit/bit or a whole register. */
interface Resolved {
  indices: number[];
  single: boolean;
  label: string;
  pos: Pos;
}

const LIBRARY = 'qelib1.inc';
const CONSTANTS = new Map([['pi', Math.PI]]);

type MathFn = (a: number) => number;
const FUNCTIONS = new Map<string, MathFn>([
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['tan', Math.tan],
  ['exp', Math.exp],
  ['ln', Math.log],
  ['sqrt', Math.sqrt],
]);

function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

export class Lowerer extends LowererBase {
  private readonly global = new Scope();
  /** Scope of gate bodies: nothing but their parameters (and pi). */
  private readonly empty = new Scope();
  private readonly gates = new Map<string, GateDef>();
  private readonly includes = new Set<string>();
  private readonly qregs: Register[] = [];
  private readonly cregs: Register[] = [];
  private numQubits = 0;
  private numClbits = 0;

  constructor(options: LowerOptions) {
    super(options);
    this.gates.set('U', nativeDef('U', BUILTIN_U));
    this.gates.set('CX', nativeDef('CX', BUILTIN_CX));
  }

  lower(program: Program): Circuit {
    const ops: Op[] = [];
    for (const s of program.statements) this.lowerStmt(s, ops);
    return { numQubits: this.numQubits, numClbits: this.numClbits, qregs: this.qregs, cregs: this.cregs, ops };
  }

  // ---- statements ----

  private lowerStmt(s: Stmt, out: Op[]) {
    this.current = s;
    switch (s.k) {
      case 'include':
        return this.include(s.file, s);
      case 'qreg':
      case 'creg':
        return this.declareRegister(s.k, s.name, s.size, s);
      case 'gatedef':
        return this.defineGate(s);
      case 'call':
        return this.lowerCall(s, out);
      case 'measure':
        return this.lowerMeasure(s.qubits, s.bits, out);
      case 'reset':
        return this.lowerReset(s.operand, out);
      case 'barrier':
        return this.lowerBarrier(s.operands, out);
      case 'if':
        return this.lowerIf(s, out);
    }
  }

  private include(file: string, at: Pos) {
    const lib = libraryGates(file, 2);
    if (!lib) this.fail(`cannot include "${file}": the only include file available is "${LIBRARY}"`, at);
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
    return sym.kind === 'qreg' ? 'qubit register' : sym.kind === 'creg' ? 'classical register' : 'gate parameter';
  }
  private describeSym(name: string, sym: Sym): string {
    return `${this.kindOf(sym)} '${name}'`;
  }

  private declareRegister(kind: 'qreg' | 'creg', name: string, size: Pos & { value: number }, at: Pos) {
    const existing = this.global.vars.get(name);
    if (existing) this.fail(`'${name}' is already declared as ${article(this.kindOf(existing))}`, at);
    if (this.gates.has(name)) this.fail(`'${name}' is already declared as a gate`, at);
    if (size.value < 1) this.fail(`register size must be at least 1, not ${size.value}`, size);
    if (this.numQubits + this.numClbits + size.value > this.options.maxOperations) {
      this.fail(`program too large: more than ${this.options.maxOperations} qubits and bits`, size);
    }
    const q = kind === 'qreg';
    const reg: Register = { name, size: size.value, offset: q ? this.numQubits : this.numClbits };
    if (q) {
      this.numQubits += size.value;
      this.qregs.push(reg);
    } else {
      this.numClbits += size.value;
      this.cregs.push(reg);
    }
    this.global.vars.set(name, { kind, reg });
  }

  // ---- gate definitions ----

  private defineGate(s: GateDefStmt) {
    if (this.gates.has(s.name)) {
      const prev = this.gates.get(s.name)!;
      this.fail(`gate '${s.name}' is already defined${prev.library ? ` (by "${prev.library}")` : ''}`, s);
    }
    const sym = this.global.vars.get(s.name);
    if (sym) this.fail(`gate '${s.name}' has the same name as ${this.describeSym(s.name, sym)}`, s);
    const scope = new Scope(this.empty);
    const seen = new Set<string>();
    for (const p of s.params) {
      if (seen.has(p.name)) this.fail(`duplicate parameter '${p.name}' in gate '${s.name}'`, p);
      seen.add(p.name);
      scope.vars.set(p.name, { kind: 'unknown' });
    }
    const qubitIndex = new Map<string, number>();
    s.qubits.forEach((q, i) => {
      if (qubitIndex.has(q.name) || seen.has(q.name))
        this.fail(`duplicate name '${q.name}' in the arguments of gate '${s.name}'`, q);
      qubitIndex.set(q.name, i);
    });
    const body: BodyItem[] = [];
    let size = 0;
    for (const st of s.body) {
      const local = st.operands.map((o) => {
        if (o.index) this.fail(`qubit arguments cannot be indexed inside a gate definition`, o.index.bracket);
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
        size++;
        continue;
      }
      if (st.name === s.name) this.fail(`gate '${s.name}' cannot call itself`, st);
      const def = this.lookupGate(st);
      for (const a of st.args) this.checkExpr(a, scope);
      this.checkArity(st, def);
      this.checkDistinct(
        local,
        (k) => `'${st.operands[k].name}'`,
        (k) => st.operands[k],
        st.name,
      );
      body.push({ kind: 'call', call: st, def, local });
      size += def.size;
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

  private lookupGate(call: GateCall): GateDef {
    const def = this.gates.get(call.name);
    if (def) return def;
    if (!this.includes.has(LIBRARY) && libraryGates(LIBRARY, 2)!.has(call.name)) {
      this.fail(`unknown gate '${call.name}' (it is defined in "${LIBRARY}": add 'include "${LIBRARY}";')`, call);
    }
    this.fail(`unknown gate '${call.name}'`, call);
  }

  /** Parameter and qubit counts of a call. */
  private checkArity(call: GateCall, def: GateDef) {
    if (call.args.length !== def.numParams) {
      this.fail(
        `gate '${call.name}' takes ${plural(def.numParams, 'parameter')} but ${call.args.length} ${call.args.length === 1 ? 'was' : 'were'} given`,
        call,
      );
    }
    if (call.operands.length !== def.numQubits) {
      const given = call.operands.length;
      this.fail(
        `'${call.name}' takes ${plural(def.numQubits, 'qubit')} but ${given} ${given === 1 ? 'was' : 'were'} given`,
        call,
      );
    }
  }

  private checkDistinct(qs: readonly number[], label: (k: number) => string, pos: (k: number) => Pos, name: string) {
    const n = qs.length;
    if (n < 2) return;
    if (n <= 16) {
      for (let j = 1; j < n; j++) {
        for (let i = 0; i < j; i++) {
          if (qs[i] === qs[j]) this.fail(`qubit ${label(j)} is used more than once in '${name}'`, pos(j));
        }
      }
      return;
    }
    const seen = new Set<number>();
    for (let j = 0; j < n; j++) {
      if (seen.has(qs[j])) this.fail(`qubit ${label(j)} is used more than once in '${name}'`, pos(j));
      seen.add(qs[j]);
    }
  }

  // ---- gate calls ----

  private lowerCall(call: GateCall, out: Op[], wrap?: (ops: Op[]) => Op) {
    const def = this.lookupGate(call);
    this.checkArity(call, def);
    const params = call.args.map((a) => this.evalExpr(a, this.global));
    const resolved = call.operands.map((o) => this.resolve(o, 'qreg'));
    // Refuse an explosive call before expanding it.
    const width = resolved.reduce((w, r) => (r.single ? w : Math.max(w, r.indices.length)), 1);
    if (this.count + def.size * width > this.options.maxOperations) this.bump(def.size * width, call);
    this.broadcast(resolved, call.name, 'qubit', (qs) => {
      this.checkDistinct(
        qs,
        (k) => this.qubitLabel(qs[k]),
        (k) => resolved[k].pos,
        call.name,
      );
      if (wrap) {
        const tmp: Op[] = [];
        this.applyGate(def, params, qs, tmp, 0);
        this.bump(1);
        out.push(wrap(tmp));
      } else this.applyGate(def, params, qs, out, 0);
    });
  }

  /** Calls `each` once per broadcast instance with the global indices of that instance. */
  private broadcast(ops: Resolved[], name: string, unit: string, each: (indices: number[]) => void) {
    let first: Resolved | undefined;
    for (const r of ops) {
      if (r.single) continue;
      if (!first) first = r;
      else if (r.indices.length !== first.indices.length) {
        this.fail(
          `register sizes do not match in '${name}': '${first.label}' has ${plural(first.indices.length, unit)} but '${r.label}' has ${r.indices.length}`,
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
    let scope = this.empty;
    if (names.length) {
      scope = new Scope(scope);
      for (let i = 0; i < names.length; i++) scope.vars.set(names[i], { kind: 'value', value: params[i] });
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
      const qs = new Array<number>(item.local.length);
      for (let i = 0; i < qs.length; i++) qs[i] = qubits[item.local[i]];
      this.applyGate(item.def, ps, qs, out, depth + 1);
    }
  }

  // ---- operands ----

  private qubitLabel(q: number): string {
    for (const r of this.qregs) {
      if (q >= r.offset && q < r.offset + r.size) return `${r.name}[${q - r.offset}]`;
    }
    return String(q);
  }

  private resolve(o: Operand, kind: 'qreg' | 'creg'): Resolved {
    const sym = this.global.vars.get(o.name);
    if (!sym) this.fail(`unknown ${kind === 'qreg' ? 'qubit' : 'classical'} register '${o.name}'`, o);
    if (sym.kind !== kind) {
      const want = kind === 'qreg' ? 'a qubit register' : 'a classical register';
      this.fail(`'${o.name}' is ${article(this.kindOf(sym))}, not ${want}`, o);
    }
    const reg = sym.reg;
    if (!o.index) {
      const indices = new Array<number>(reg.size);
      for (let i = 0; i < reg.size; i++) indices[i] = reg.offset + i;
      return { indices, single: false, label: o.name, pos: o };
    }
    const i = o.index.value;
    if (i >= reg.size) {
      const unit = kind === 'qreg' ? 'qubit' : 'bit';
      this.fail(`${unit} index ${i} out of range for register '${o.name}' of size ${reg.size}`, o.index);
    }
    return { indices: [reg.offset + i], single: true, label: `${o.name}[${i}]`, pos: o };
  }

  // ---- measure, reset, barrier, if ----

  private lowerMeasure(qo: Operand, co: Operand, out: Op[], wrap?: (ops: Op[]) => Op) {
    const q = this.resolve(qo, 'qreg');
    const c = this.resolve(co, 'creg');
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

  private lowerReset(o: Operand, out: Op[], wrap?: (ops: Op[]) => Op) {
    for (const q of this.resolve(o, 'qreg').indices) {
      this.bump(1);
      const op: Op = { kind: 'reset', qubit: q };
      out.push(wrap ? wrap([op]) : op);
    }
  }

  private lowerBarrier(operands: Operand[], out: Op[]) {
    const seen = new Set<number>();
    const qubits: number[] = [];
    for (const o of operands) {
      for (const q of this.resolve(o, 'qreg').indices) {
        if (!seen.has(q)) {
          seen.add(q);
          qubits.push(q);
        }
      }
    }
    this.bump(1 + (qubits.length >> 4));
    out.push({ kind: 'barrier', qubits });
  }

  private lowerIf(s: Stmt & { k: 'if' }, out: Op[]) {
    const clbits = this.resolve(s.creg, 'creg').indices;
    const value = s.value;
    // Like Qiskit, each instance of a broadcast operation is conditioned separately.
    const wrap = (body: Op[]): ConditionalOp => ({ kind: 'if', clbits: clbits.slice(), value, body });
    const body = s.body;
    this.current = body;
    if (body.k === 'call') this.lowerCall(body, out, wrap);
    else if (body.k === 'measure') this.lowerMeasure(body.qubits, body.bits, out, wrap);
    else this.lowerReset(body.operand, out, wrap);
  }

  // ---- expressions ----

  /** Checks names and function arities of an expression of a gate body without evaluating it. */
  private checkExpr(e: Expr, scope: Scope): void {
    switch (e.k) {
      case 'num':
        return;
      case 'id':
        if (CONSTANTS.has(e.name) || scope.lookup(e.name)) return;
        this.evalExpr(e, scope); // throws the usual error
        return;
      case 'unary':
        return this.checkExpr(e.arg, scope);
      case 'binary':
        this.checkExpr(e.left, scope);
        return this.checkExpr(e.right, scope);
      case 'call':
        this.functionFor(e);
        for (const a of e.args) this.checkExpr(a, scope);
    }
  }

  private functionFor(e: Expr & { k: 'call' }): MathFn {
    const fn = FUNCTIONS.get(e.fn);
    if (!fn) {
      if (this.gates.has(e.fn)) this.fail(`gate '${e.fn}' cannot be used in an expression`, e);
      this.fail(`unknown function '${e.fn}'`, e);
    }
    if (e.args.length !== 1) {
      this.fail(
        `function '${e.fn}' takes 1 argument but ${e.args.length} ${e.args.length === 1 ? 'was' : 'were'} given`,
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
        const c = CONSTANTS.get(e.name);
        if (c !== undefined) return c;
        const sym = scope.lookup(e.name);
        if (!sym) this.fail(`unknown identifier '${e.name}'`, e);
        switch (sym.kind) {
          case 'value':
            return sym.value;
          case 'unknown':
            this.fail(`gate parameter '${e.name}' has no constant value here`, e);
          // falls through (fail never returns)
          case 'qreg':
            this.fail(`qubit register '${e.name}' cannot be used in an expression`, e);
          // falls through
          case 'creg':
            this.fail(`classical register '${e.name}' cannot be used in an expression`, e);
        }
      }
      // falls through (every case above returns or throws)
      case 'unary': {
        const v = this.evalExpr(e.arg, scope);
        return e.op === '-' ? -v : v;
      }
      case 'binary':
        return this.evalBinary(e, scope);
      case 'call': {
        const fn = this.functionFor(e);
        const arg = this.evalExpr(e.args[0], scope);
        const r = fn(arg);
        if (!Number.isFinite(r)) this.fail(`${e.fn}(${fmt(arg)}) is not a finite real number`, e);
        return r;
      }
    }
  }

  private evalBinary(e: Expr & { k: 'binary' }, scope: Scope): number {
    const a = this.evalExpr(e.left, scope);
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
      case '^':
        r = a ** b;
        break;
    }
    if (!Number.isFinite(r)) this.fail(`${fmt(a)} ${e.op} ${fmt(b)} is not a finite real number`, e);
    return r;
  }
}
