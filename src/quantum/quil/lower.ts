import {
  CircuitError,
  type BarrierOp,
  type Circuit,
  type ClassicalExpr,
  type ClassicalTarget,
  type ClassicalVar,
  type Op,
  type Register,
} from '../circuit/circuit';
import type { DefCircuit, DefGate, Instr, MemRef, MemoryType, Modifier, Operand, Pos, Program, QubitArg } from './ast';
import { STANDARD_GATES, addControl, dagger } from './gates';
import { structure, type Item } from './structure';
import { MAX_PAULI_NORM, cmatrix, expPauliSum, lowerUnitary, unitarityError } from './unitary';
import { evaluate, evaluateComplex, num, type ExprEnv, type Real, type Value } from './values';

/**
 * Lowering of a parsed Quil program to the circuit IR: memory regions become classical registers
 * (BIT, OCTET) and variables (INTEGER, REAL); gates are expanded with their modifiers; DEFCIRCUITs
 * are inlined; jumps are turned into structured control flow (see structure.ts).
 */

interface Region {
  name: string;
  type: MemoryType;
  length: number;
  /** BIT/OCTET: first clbit; INTEGER/REAL: first variable. */
  first: number;
  pos: Pos;
}

interface Scope {
  qubits: ReadonlyMap<string, number>;
  params: ReadonlyMap<string, Value>;
  /** Labels defined in the circuit body being expanded, renamed for this expansion. */
  labels: ReadonlyMap<string, string>;
  depth: number;
}

/** Most qubits a DEFGATE matrix may act on. */
const MAX_DEFGATE_QUBITS = 8;
const MAX_CIRCUIT_DEPTH = 64;
/** Most qubits a PAULI-SUM DEFGATE may act on (its exponential is computed densely). */
const MAX_PAULI_QUBITS = 6;
/** Tolerance of the unitarity check of DEFGATE matrices (largest entry of |U U† - I|). */
export const UNITARITY_TOLERANCE = 1e-6;

const fail = (msg: string, pos: Pos): never => {
  throw new CircuitError(msg, pos.line, pos.col);
};

export class Lowerer {
  private readonly regions = new Map<string, Region>();
  private readonly cregs: Register[] = [];
  private readonly vars: ClassicalVar[] = [];
  private numClbits = 0;
  private maxQubit = -1;
  private count = 0;
  private expansions = 0;
  private readonly items: Item[] = [];
  private readonly resetAll: BarrierOp[] = [];
  private readonly scratch = new Map<string, number>();
  private readonly matrixCache = new Map<string, Op[]>();
  /** The instruction being lowered, for errors that are not expected. */
  position: Pos = { line: 1, col: 1 };

  constructor(
    private readonly program: Program,
    private readonly maxOperations: number,
  ) {}

  lower(): Circuit {
    for (const ins of this.program.instrs) if (ins.k === 'declare') this.declare(ins);
    const top: Scope = { qubits: new Map(), params: new Map(), labels: new Map(), depth: 0 };
    this.expand(this.program.instrs, top);
    let ops = structure(this.items, {
      newVar: (name) => this.scratchVar(name, 'int'),
      count: (n, pos) => this.add(n, pos),
    });
    const numQubits = this.maxQubit + 1;
    if (this.resetAll.length > 0) ops = this.replaceResetAll(ops, numQubits);
    const circuit: Circuit = {
      numQubits,
      numClbits: this.numClbits,
      qregs: numQubits > 0 ? [{ name: 'q', size: numQubits, offset: 0 }] : [],
      cregs: this.cregs,
      ops,
    };
    if (this.vars.length > 0) circuit.vars = this.vars;
    return circuit;
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  private add(n: number, pos: Pos): void {
    this.count += n;
    if (this.count > this.maxOperations) {
      throw new CircuitError(
        `program expands to more than ${this.maxOperations} operations`,
        pos.line,
        pos.col,
        'TOO_MANY_OPERATIONS',
      );
    }
  }

  private emit(op: Op, pos: Pos): void {
    this.add(1, pos);
    this.items.push({ k: 'op', op });
  }

  private scratchVar(name: string, type: ClassicalVar['type']): number {
    let v = this.scratch.get(name);
    if (v === undefined) {
      v = this.vars.length;
      this.vars.push({ name, type });
      this.scratch.set(name, v);
    }
    return v;
  }

  private useQubit(q: number): number {
    if (q > this.maxQubit) this.maxQubit = q;
    return q;
  }

  private replaceResetAll(ops: Op[], numQubits: number): Op[] {
    const out: Op[] = [];
    for (const op of ops) {
      if (op.kind === 'barrier' && this.resetAll.includes(op)) {
        for (let q = 0; q < numQubits; q++) out.push({ kind: 'reset', qubit: q });
      } else if (op.kind === 'if') {
        out.push({ ...op, body: this.replaceResetAll(op.body, numQubits) });
      } else if (op.kind === 'branch') {
        out.push({
          ...op,
          then: this.replaceResetAll(op.then, numQubits),
          otherwise: this.replaceResetAll(op.otherwise, numQubits),
        });
      } else if (op.kind === 'while') {
        out.push({ ...op, body: this.replaceResetAll(op.body, numQubits) });
      } else {
        out.push(op);
      }
    }
    return out;
  }

  // ---- memory ---------------------------------------------------------------------------------

  private declare(d: Extract<Instr, { k: 'declare' }>): void {
    if (this.regions.has(d.name)) fail(`memory region '${d.name}' is already declared`, d.pos);
    let first: number;
    if (d.type === 'BIT' || d.type === 'OCTET') {
      const size = d.type === 'BIT' ? d.length : 8 * d.length;
      first = this.numClbits;
      this.cregs.push({ name: d.name, size, offset: first });
      this.numClbits += size;
    } else {
      first = this.vars.length;
      for (let k = 0; k < d.length; k++) {
        this.vars.push({ name: `${d.name}[${k}]`, type: d.type === 'INTEGER' ? 'int' : 'float' });
      }
    }
    this.regions.set(d.name, { name: d.name, type: d.type, length: d.length, first, pos: d.pos });
  }

  private region(name: string, pos: Pos): Region {
    const r = this.regions.get(name);
    if (!r) return fail(`undeclared memory region '${name}' (DECLARE it first)`, pos);
    return r;
  }

  private element(ref: MemRef): Region {
    const r = this.region(ref.name, ref.pos);
    if (ref.index >= r.length) {
      fail(`index ${ref.index} out of range for '${ref.name}' (length ${r.length})`, ref.pos);
    }
    return r;
  }

  private octetBits(r: Region, index: number): number[] {
    return Array.from({ length: 8 }, (_, k) => r.first + 8 * index + k);
  }

  /** A memory element's value, per shot. */
  private read(ref: MemRef): ClassicalExpr {
    const r = this.element(ref);
    switch (r.type) {
      case 'BIT':
        return { k: 'bit', clbit: r.first + ref.index };
      case 'OCTET':
        return { k: 'bits', clbits: this.octetBits(r, ref.index) };
      default:
        return { k: 'var', index: r.first + ref.index };
    }
  }

  private target(ref: MemRef): ClassicalTarget {
    const r = this.element(ref);
    switch (r.type) {
      case 'BIT':
        return { clbits: [r.first + ref.index] };
      case 'OCTET':
        return { clbits: this.octetBits(r, ref.index) };
      default:
        return { var: r.first + ref.index };
    }
  }

  private typeOf(ref: MemRef): MemoryType {
    return this.element(ref).type;
  }

  /** An operand's value and type (immediates: INTEGER when written as integers, REAL otherwise). */
  private operand(o: Operand): { e: ClassicalExpr; type: MemoryType } {
    if (o.k === 'imm') return { e: num(o.value), type: o.integer ? 'INTEGER' : 'REAL' };
    return { e: this.read(o.ref), type: this.typeOf(o.ref) };
  }

  /** `value` (of type `from`) converted for storage in memory of type `to`. */
  private convert(value: ClassicalExpr, from: MemoryType, to: MemoryType): ClassicalExpr {
    if (to === 'REAL' || from === to) return value;
    if (to === 'BIT') return from === 'BIT' ? value : { k: 'cast', to: 'bool', a: value };
    if (from === 'REAL') {
      return to === 'OCTET' ? { k: 'cast', to: 'uint', width: 8, a: value } : { k: 'cast', to: 'int', a: value };
    }
    return value;
  }

  private set(ref: MemRef, value: ClassicalExpr, pos: Pos): void {
    this.emit({ kind: 'set', target: this.target(ref), value }, pos);
  }

  // ---- instructions -------------------------------------------------------------------------

  private expand(instrs: Instr[], scope: Scope): void {
    for (const ins of instrs) {
      this.position = ins.pos;
      this.instruction(ins, scope);
    }
  }

  private qubit(q: QubitArg, scope: Scope): number {
    if (q.k === 'index') return this.useQubit(q.index);
    const v = scope.qubits.get(q.name);
    if (v === undefined) return fail(`unknown qubit '${q.name}'`, q.pos);
    return v;
  }

  private env(scope: Scope): ExprEnv {
    return { params: scope.params, readMem: (ref) => this.readParam(ref) };
  }

  private readParam(ref: MemRef): ClassicalExpr {
    const r = this.element(ref);
    if (r.type === 'OCTET') fail('OCTET memory cannot be a gate parameter', ref.pos);
    return this.read(ref);
  }

  private label(name: string, scope: Scope): string {
    return scope.labels.get(name) ?? name;
  }

  private instruction(ins: Instr, scope: Scope): void {
    const pos = ins.pos;
    switch (ins.k) {
      case 'declare':
      case 'nop':
      case 'pragma':
      case 'delay':
      case 'wait':
        return;
      case 'fence': {
        const qubits = ins.qubits.map((q) => this.qubit(q, scope));
        if (qubits.length > 0) this.emit({ kind: 'barrier', qubits }, pos);
        return;
      }
      case 'halt':
        this.emit({ kind: 'end' }, pos);
        return;
      case 'reset': {
        if (ins.qubit) {
          this.emit({ kind: 'reset', qubit: this.qubit(ins.qubit, scope) }, pos);
        } else {
          const marker: BarrierOp = { kind: 'barrier', qubits: [] };
          this.resetAll.push(marker);
          this.emit(marker, pos);
        }
        return;
      }
      case 'measure': {
        const qubit = this.qubit(ins.qubit, scope);
        if (!ins.target) {
          // The outcome is discarded: measure into a scratch variable.
          const v = this.scratchVar('__discard', 'bit');
          this.emit({ kind: 'measure-var', qubit, target: { var: v } }, pos);
          return;
        }
        const r = this.element(ins.target);
        if (r.type === 'BIT') {
          this.emit({ kind: 'measure', qubit, clbit: r.first + ins.target.index }, pos);
        } else if (r.type === 'INTEGER') {
          const target = this.target(ins.target);
          this.emit({ kind: 'set', target, value: num(0) }, pos);
          this.emit({ kind: 'measure-var', qubit, target }, pos);
        } else {
          fail(`MEASURE into ${r.type} memory '${r.name}' (only BIT or INTEGER)`, ins.target.pos);
        }
        return;
      }
      case 'label':
        this.items.push({ k: 'label', name: this.label(ins.name, scope), pos });
        return;
      case 'jump':
        this.items.push({ k: 'jump', label: this.label(ins.label, scope), pos });
        return;
      case 'jump-when':
      case 'jump-unless': {
        const c = this.read(ins.cond);
        const cond: ClassicalExpr = ins.k === 'jump-when' ? c : { k: 'unary', op: '!', a: c };
        this.items.push({ k: 'jump', label: this.label(ins.label, scope), cond, pos });
        return;
      }
      case 'move':
      case 'convert': {
        const b = this.operand(ins.b);
        const to = this.typeOf(ins.a);
        if (ins.b.k === 'imm' && !ins.b.integer && to !== 'REAL') {
          fail(
            `cannot ${ins.k === 'move' ? 'MOVE' : 'CONVERT'} the real number ${ins.b.value} into ${to} memory`,
            ins.b.pos,
          );
        }
        this.set(ins.a, this.convert(b.e, b.type, to), pos);
        return;
      }
      case 'exchange': {
        if (ins.b.k !== 'mem') return fail('EXCHANGE needs two memory references', ins.b.pos);
        const ta = this.typeOf(ins.a);
        const tb = this.typeOf(ins.b.ref);
        const tmp = this.scratchVar('__exchange', 'float');
        this.emit({ kind: 'set', target: { var: tmp }, value: this.read(ins.a) }, pos);
        this.set(ins.a, this.convert(this.read(ins.b.ref), tb, ta), pos);
        this.set(ins.b.ref, this.convert({ k: 'var', index: tmp }, ta, tb), pos);
        return;
      }
      case 'unary': {
        const t = this.typeOf(ins.a);
        const a = this.read(ins.a);
        if (ins.op === 'NEG') {
          if (t === 'BIT' || t === 'OCTET') fail(`NEG of ${t} memory`, pos);
          this.set(ins.a, { k: 'unary', op: '-', a }, pos);
        } else {
          if (t === 'REAL') fail('NOT of REAL memory', pos);
          const value: ClassicalExpr =
            t === 'BIT'
              ? { k: 'unary', op: '!', a }
              : t === 'OCTET'
                ? { k: 'binary', op: '^', a, b: num(255) }
                : { k: 'unary', op: '~', a };
          this.set(ins.a, value, pos);
        }
        return;
      }
      case 'arith': {
        const t = this.typeOf(ins.a);
        const a = this.read(ins.a);
        const b = this.operand(ins.b);
        let value: ClassicalExpr;
        switch (ins.op) {
          case 'AND':
          case 'IOR':
          case 'XOR':
            if (t === 'REAL' || b.type === 'REAL') fail(`${ins.op} on REAL memory`, pos);
            value = { k: 'binary', op: ins.op === 'AND' ? '&' : ins.op === 'IOR' ? '|' : '^', a, b: b.e };
            break;
          case 'DIV':
            value =
              t === 'REAL' || b.type === 'REAL'
                ? { k: 'binary', op: '/', a, b: b.e }
                : { k: 'binary', op: 'idiv', a, b: b.e };
            break;
          default:
            value = { k: 'binary', op: ins.op === 'ADD' ? '+' : ins.op === 'SUB' ? '-' : '*', a, b: b.e };
        }
        const from: MemoryType = t === 'REAL' || b.type === 'REAL' ? 'REAL' : 'INTEGER';
        this.set(ins.a, this.convert(value, from, t), pos);
        return;
      }
      case 'compare': {
        const a = { e: this.read(ins.a), type: this.typeOf(ins.a) };
        const b = this.operand(ins.b);
        const op = { EQ: '==', GT: '>', GE: '>=', LT: '<', LE: '<=' }[ins.op] as '==';
        this.set(ins.r, this.convert({ k: 'binary', op, a: a.e, b: b.e }, 'BIT', this.typeOf(ins.r)), pos);
        return;
      }
      case 'load': {
        const r = this.region(ins.region, pos);
        if (r.type === 'BIT' || r.type === 'OCTET')
          fail(`LOAD from ${r.type} memory '${r.name}' is not supported`, pos);
        const value: ClassicalExpr = { k: 'elem', first: r.first, length: r.length, at: this.read(ins.index) };
        this.set(ins.a, this.convert(value, r.type, this.typeOf(ins.a)), pos);
        return;
      }
      case 'store': {
        const r = this.region(ins.region, pos);
        if (r.type === 'BIT' || r.type === 'OCTET')
          fail(`STORE into ${r.type} memory '${r.name}' is not supported`, pos);
        const b = this.operand(ins.b);
        this.emit(
          {
            kind: 'set',
            target: { first: r.first, length: r.length, at: this.read(ins.index) },
            value: this.convert(b.e, b.type, r.type),
          },
          pos,
        );
        return;
      }
      case 'gate':
        this.gate(ins, scope);
        return;
    }
  }

  // ---- gates ----------------------------------------------------------------------------------

  private gate(ins: Extract<Instr, { k: 'gate' }>, scope: Scope): void {
    const qubits = ins.qubits.map((q) => this.qubit(q, scope));
    for (let a = 0; a < qubits.length; a++) {
      for (let b = a + 1; b < qubits.length; b++) {
        if (qubits[a] === qubits[b]) fail(`qubit ${qubits[a]} is used twice by ${ins.name}`, ins.qubits[b].pos);
      }
    }
    const circuit = this.program.circuits.get(ins.name);
    if (circuit) {
      if (ins.mods.length > 0) fail(`modifiers on DEFCIRCUIT '${ins.name}' are not supported`, ins.mods[0].pos);
      this.call(circuit, ins, qubits, scope);
      return;
    }
    const env = this.env(scope);
    const params = ins.params.map((p) => evaluate(p, env));
    const ops = this.modified(
      ins.mods.map((m) => m.mod),
      ins,
      params,
      qubits,
    );
    this.add(ops.length, ins.pos);
    for (const op of ops) this.items.push({ k: 'op', op });
  }

  private modified(mods: Modifier[], ins: Extract<Instr, { k: 'gate' }>, params: Value[], qubits: number[]): Op[] {
    if (mods.length === 0) return this.base(ins, params, qubits);
    const [mod, ...rest] = mods;
    const need = () => {
      if (qubits.length < 2) fail(`${mod} ${ins.name} needs more qubits`, ins.pos);
    };
    switch (mod) {
      case 'DAGGER':
        return dagger(this.modified(rest, ins, params, qubits));
      case 'CONTROLLED':
        need();
        return addControl(this.modified(rest, ins, params, qubits.slice(1)), qubits[0], 1);
      case 'FORKED': {
        need();
        if (params.length % 2 !== 0 || params.length === 0) {
          fail(`FORKED ${ins.name} needs an even number of parameters (two sets)`, ins.pos);
        }
        const half = params.length / 2;
        return [
          ...addControl(this.modified(rest, ins, params.slice(0, half), qubits.slice(1)), qubits[0], 0),
          ...addControl(this.modified(rest, ins, params.slice(half), qubits.slice(1)), qubits[0], 1),
        ];
      }
    }
  }

  private base(ins: Extract<Instr, { k: 'gate' }>, params: Value[], qubits: number[]): Op[] {
    const name = ins.name;
    const def = this.program.gates.get(name);
    if (def) return this.defined(def, ins, params, qubits);
    const std = STANDARD_GATES.get(name);
    if (!std) {
      const upper = STANDARD_GATES.has(name.toUpperCase()) ? ` (Quil is case-sensitive: ${name.toUpperCase()})` : '';
      return fail(`unknown gate '${name}'${upper}`, ins.pos);
    }
    if (params.length !== std.params) {
      fail(`${name} takes ${std.params} parameter${std.params === 1 ? '' : 's'}, not ${params.length}`, ins.pos);
    }
    if (qubits.length !== std.qubits) {
      fail(`${name} acts on ${std.qubits} qubit${std.qubits === 1 ? '' : 's'}, not ${qubits.length}`, ins.pos);
    }
    const reals = params.map((v, k) => this.real(v, ins.params[k].pos));
    if (!std.dynamic && reals.some((r) => typeof r !== 'number')) {
      fail(`the parameters of ${name} must be constants (not memory references)`, ins.pos);
    }
    return std.lower(reals, qubits);
  }

  private real(v: Value, pos: Pos): Real {
    if ('e' in v) return v.e;
    if (!Number.isFinite(v.c.re) || !Number.isFinite(v.c.im)) fail('parameter is not a finite number', pos);
    if (Math.abs(v.c.im) > 1e-9 * Math.max(1, Math.abs(v.c.re))) fail('gate parameter must be real', pos);
    return v.c.re;
  }

  private defined(def: DefGate, ins: Extract<Instr, { k: 'gate' }>, params: Value[], qubits: number[]): Op[] {
    if (params.length !== def.params.length) {
      fail(`${def.name} takes ${def.params.length} parameters, not ${params.length}`, ins.pos);
    }
    const n = qubits.length;
    const key = `${def.name}(${params.map((p) => ('c' in p ? `${p.c.re},${p.c.im}` : 'dyn')).join(';')})`;
    for (let k = 0; k < params.length; k++) {
      if ('e' in params[k]) fail(`the parameters of DEFGATE ${def.name} must be constants`, ins.params[k].pos);
    }
    let ops = this.matrixCache.get(key);
    if (!ops) {
      const dim = dimensionOf(def);
      if (def.kind === 'PAULI-SUM' && def.qubits.length > MAX_PAULI_QUBITS) {
        fail(`DEFGATE ${def.name} AS PAULI-SUM acts on more than ${MAX_PAULI_QUBITS} qubits`, def.pos);
      }
      if ((dim & (dim - 1)) !== 0 || dim < 2) {
        fail(
          `DEFGATE ${def.name}: the ${def.kind === 'MATRIX' ? 'matrix' : 'permutation'} size ${dim} is not a power of 2`,
          def.pos,
        );
      }
      const arity = Math.log2(dim);
      if (arity > MAX_DEFGATE_QUBITS)
        fail(`DEFGATE ${def.name} acts on more than ${MAX_DEFGATE_QUBITS} qubits`, def.pos);
      if (n !== arity) fail(`${def.name} acts on ${arity} qubit${arity === 1 ? '' : 's'}, not ${n}`, ins.pos);
      const m = cmatrix(dim);
      if (def.kind === 'PERMUTATION') {
        if (def.rows.length !== 1) fail(`DEFGATE ${def.name} AS PERMUTATION takes one line of integers`, def.pos);
        const seen = new Set<number>();
        def.rows[0].forEach((e, j) => {
          const v = e.k === 'num' && e.im === 0 ? e.re : NaN;
          if (!Number.isInteger(v) || v < 0 || v >= dim || seen.has(v)) {
            fail(`DEFGATE ${def.name}: not a permutation of 0..${dim - 1}`, e.pos);
          }
          seen.add(v);
          // |j> -> |p_j>
          m.re[v * dim + j] = 1;
        });
      } else if (def.kind === 'PAULI-SUM') {
        const env: ExprEnv = {
          params: new Map(def.params.map((p, k) => [p, params[k]])),
          readMem: (ref) => fail('a DEFGATE cannot read memory', ref.pos),
        };
        const terms = def.terms.map((t) => {
          const c = evaluateComplex(t.coef, env);
          if (Math.abs(c.im) > 1e-12) fail('a PAULI-SUM coefficient must be real (the sum is Hermitian)', t.coef.pos);
          // The gate's qubit k is bit n-1-k of the index.
          return { coef: c.re, word: t.word, bits: t.qubits.map((k) => n - 1 - k) };
        });
        const norm = terms.reduce((acc, t) => acc + Math.abs(t.coef), 0);
        if (!(norm <= MAX_PAULI_NORM)) fail(`the coefficients of ${def.name} are too large`, ins.pos);
        const u = expPauliSum(n, terms);
        m.re.set(u.re);
        m.im.set(u.im);
      } else {
        const env: ExprEnv = {
          params: new Map(def.params.map((p, k) => [p, params[k]])),
          readMem: (ref) => fail('a DEFGATE matrix cannot read memory', ref.pos),
        };
        def.rows.forEach((row, r) => {
          if (row.length !== dim) {
            fail(`DEFGATE ${def.name}: row ${r + 1} has ${row.length} entries, not ${dim}`, row[0]?.pos ?? def.pos);
          }
          row.forEach((e, c) => {
            const v = evaluateComplex(e, env);
            m.re[r * dim + c] = v.re;
            m.im[r * dim + c] = v.im;
          });
        });
        const err = unitarityError(m);
        if (!(err <= UNITARITY_TOLERANCE)) {
          fail(`DEFGATE ${def.name} is not unitary (|U U† - I| = ${err.toPrecision(3)})`, ins.pos);
        }
      }
      ops = lowerUnitary(
        def.name,
        m,
        Array.from({ length: n }, (_, k) => k),
      );
      if (this.matrixCache.size < 10_000) this.matrixCache.set(key, ops);
    } else if (dimensionOf(def) !== 2 ** n) {
      fail(`${def.name} acts on ${Math.log2(dimensionOf(def))} qubits, not ${n}`, ins.pos);
    }
    return ops.map((op) => remap(op, qubits));
  }

  private call(def: DefCircuit, ins: Extract<Instr, { k: 'gate' }>, qubits: number[], scope: Scope): void {
    if (scope.depth >= MAX_CIRCUIT_DEPTH) fail(`DEFCIRCUIT ${def.name} nested too deeply (recursive?)`, ins.pos);
    if (ins.params.length !== def.params.length) {
      fail(`${def.name} takes ${def.params.length} parameters, not ${ins.params.length}`, ins.pos);
    }
    if (qubits.length !== def.qubits.length) {
      fail(`${def.name} takes ${def.qubits.length} qubits, not ${qubits.length}`, ins.pos);
    }
    this.add(1, ins.pos);
    const env = this.env(scope);
    const params = new Map(def.params.map((p, k) => [p, evaluate(ins.params[k], env)]));
    const id = ++this.expansions;
    const labels = new Map<string, string>();
    for (const b of def.body) if (b.k === 'label') labels.set(b.name, `${b.name}@${def.name}#${id}`);
    const inner: Scope = {
      qubits: new Map(def.qubits.map((q, k) => [q, qubits[k]])),
      params,
      labels,
      depth: scope.depth + 1,
    };
    this.expand(def.body, inner);
  }
}

function dimensionOf(def: DefGate): number {
  switch (def.kind) {
    case 'MATRIX':
      return def.rows.length;
    case 'PERMUTATION':
      return def.rows[0].length;
    default:
      return 2 ** def.qubits.length;
  }
}

/** An op of a DEFGATE lowered on qubits 0..n-1, moved onto `qubits`. */
function remap(op: Op, qubits: number[]): Op {
  switch (op.kind) {
    case 'gate':
      return { ...op, target: qubits[op.target], controls: op.controls.map((c) => qubits[c]) };
    case 'swap':
      return { ...op, a: qubits[op.a], b: qubits[op.b], controls: op.controls.map((c) => qubits[c]) };
    default:
      return op;
  }
}
