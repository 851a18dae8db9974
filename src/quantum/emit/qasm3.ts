import type {
  Circuit,
  ClassicalExpr,
  ClassicalTarget,
  ClassicalVar,
  DynamicGateOp,
  GateOp,
  Matrix2,
  Op,
} from '../circuit/circuit';
import { phase, rx, ry, rz, zyz } from '../circuit/gates';
import { TranslationError, type Emitted } from '../languages';
import { BitNames, formatNumber, identifier, NAMED_GATES_QASM3, namesOf, QASM3_RESERVED, sameMatrix } from './common';

/**
 * The OpenQASM 3 emitter: `OPENQASM 3.0; include "stdgates.inc";`, the circuit's registers
 * (`qubit[n] q; bit[k] c;`), its classical variables, and one statement per op. Gates keep their
 * controls as `ctrl @` / `negctrl @` modifiers; a matrix is written by name when it is exactly a
 * stdgates gate (x, h, s, rz(θ), p(λ), ...), else as `U(θ, φ, λ)` with its global phase: as
 * `gphase` under the same modifiers when controlled (exact), summed into one `gphase` at the end of
 * its block when not. Nothing is decomposed, so the unitary is the same, global phase included.
 */
const LANGUAGE = 'QASM3';

const TWO_PI = 2 * Math.PI;

/** `θ` reduced to (-π, π] for printing (a phase, where 2π changes nothing). */
function reducePhase(theta: number): number {
  let t = theta % TWO_PI;
  if (t > Math.PI) t -= TWO_PI;
  if (t <= -Math.PI) t += TWO_PI;
  return t;
}

/** A stdgates name (with parameters) whose matrix is exactly `m`, global phase included. */
export function stdgateOf(m: Matrix2): string | undefined {
  for (const [name, g] of NAMED_GATES_QASM3) if (sameMatrix(m, g)) return name;
  const num = (x: number) => formatNumber(x);
  const offDiag = Math.hypot(m[2], m[3], m[4], m[5]);
  if (offDiag < 1e-15) {
    const a0 = Math.atan2(m[1], m[0]);
    const a1 = Math.atan2(m[7], m[6]);
    if (Math.abs(a0) < 1e-15 && sameMatrix(m, phase(a1))) return `p(${num(a1)})`;
    if (sameMatrix(m, rz(a1 - a0))) return `rz(${num(a1 - a0)})`;
    return undefined;
  }
  // rx: [[c, -is], [-is, c]]; ry: [[c, -s], [s, c]] with c = cos(θ/2) >= ... any sign.
  const theta = 2 * Math.atan2(-m[3], m[0]);
  if (sameMatrix(m, rx(theta))) return `rx(${num(theta)})`;
  const thetaY = 2 * Math.atan2(m[4], m[0]);
  if (sameMatrix(m, ry(thetaY))) return `ry(${num(thetaY)})`;
  return undefined;
}

// ----------------------------------------------------------------------------------------------
// Classical expressions.

type Ty = 'int' | 'float' | 'bool' | 'bit' | 'unknown';

/** Binding strength of OpenQASM 3 operators (higher binds tighter). */
const PREC: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
  unary: 11,
  '**': 12,
  atom: 13,
};

interface Printed {
  text: string;
  prec: number;
  ty: Ty;
}

const FLOAT_FUNCTIONS = new Set(['sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'exp', 'log', 'sqrt']);

class ExprPrinter {
  constructor(
    private readonly clbits: BitNames,
    private readonly vars: ClassicalVar[],
    private readonly varNames: string[],
    private readonly arrays: Map<number, { name: string; length: number }>,
  ) {}

  varType(index: number): Ty {
    const v = this.vars[index];
    if (!v) return 'unknown';
    if (v.type === 'float' || (v.type === 'angle' && v.width === undefined)) return 'float';
    if (v.type === 'bool') return 'bool';
    if (v.type === 'bit') return v.width === undefined ? 'bit' : 'int';
    return 'int';
  }

  varRef(index: number): string {
    const name = this.varNames[index];
    if (name === undefined) throw new TranslationError('a reference to an undeclared variable', LANGUAGE, `#${index}`);
    return name;
  }

  private wrap(p: Printed, min: number): string {
    return p.prec < min ? `(${p.text})` : p.text;
  }

  /** As a float (casting ints and bits). */
  asFloat(e: ClassicalExpr): string {
    const p = this.print(e);
    if (e.k === 'num') return p.text;
    return p.ty === 'float' ? p.text : `float[64](${p.text})`;
  }

  /** As a bool (`bool(x)` is x != 0). */
  asBool(e: ClassicalExpr): string {
    if (e.k === 'num') return e.v !== 0 ? 'true' : 'false';
    const p = this.print(e);
    return p.ty === 'bool' || p.ty === 'bit' ? p.text : `bool(${p.text})`;
  }

  print(e: ClassicalExpr): Printed {
    switch (e.k) {
      case 'num': {
        if (!Number.isFinite(e.v)) throw new TranslationError('a non-finite constant', LANGUAGE, String(e.v));
        const isInt = Number.isInteger(e.v);
        const text = isInt ? String(Math.abs(e.v)) : formatNumber(Math.abs(e.v));
        const ty: Ty = isInt && Math.abs(e.v) < 2 ** 53 && !text.includes('e') ? 'int' : 'float';
        const literal = ty === 'float' && /^\d+$/.test(text) ? `${text}.0` : text;
        if (e.v < 0 || Object.is(e.v, -0)) return { text: `-${literal}`, prec: PREC.unary, ty };
        return { text: literal, prec: /[*/]/.test(literal) ? PREC['*'] : PREC.atom, ty };
      }
      case 'bit':
        return { text: this.clbits.ref(e.clbit), prec: PREC.atom, ty: 'bit' };
      case 'bits': {
        const reg = this.clbits.wholeRegister(e.clbits);
        if (reg) return { text: `uint[${reg.size}](${reg.name})`, prec: PREC.atom, ty: 'int' };
        if (e.clbits.length === 0) return { text: '0', prec: PREC.atom, ty: 'int' };
        const terms = e.clbits.map((b, i) =>
          i === 0 ? `uint(${this.clbits.ref(b)})` : `(uint(${this.clbits.ref(b)}) << ${i})`,
        );
        return { text: terms.join(' + '), prec: PREC['+'], ty: 'int' };
      }
      case 'var':
        return { text: this.varRef(e.index), prec: PREC.atom, ty: this.varType(e.index) };
      case 'elem': {
        const arr = this.arrays.get(e.first);
        if (!arr) throw new TranslationError('an array access outside a declared array', LANGUAGE);
        return { text: `${arr.name}[${this.print(e.at).text}]`, prec: PREC.atom, ty: this.varType(e.first) };
      }
      case 'unary': {
        if (e.op === '~') {
          // The IR's ~ is JavaScript's (two's complement): -x - 1, which reads the same whatever
          // width a reader gives the operand (OpenQASM 3 readers differ on ~ of a signed int).
          return this.binary('-', { k: 'unary', op: '-', a: e.a }, { k: 'num', v: 1 });
        }
        const a = this.print(e.a);
        const ty: Ty = e.op === '!' ? 'bool' : a.ty === 'bit' || a.ty === 'bool' ? 'int' : a.ty;
        const boolish = a.ty === 'bool' || a.ty === 'bit';
        const inner =
          e.op === '!'
            ? boolish
              ? this.wrap(a, PREC.unary)
              : `bool(${a.text})`
            : boolish
              ? `int(${a.text})`
              : this.wrap(a, PREC.unary);
        return { text: `${e.op}${inner}`, prec: PREC.unary, ty };
      }
      case 'binary':
        return this.binary(e.op, e.a, e.b);
      case 'call':
        return this.call(e.fn, e.args);
      case 'cast': {
        const a = this.print(e.a);
        if (e.to === 'bool') return { text: `bool(${a.text})`, prec: PREC.atom, ty: 'bool' };
        if (e.to === 'float') return { text: `float[64](${a.text})`, prec: PREC.atom, ty: 'float' };
        const w = e.width === undefined ? '' : `[${e.width}]`;
        return { text: `${e.to}${w}(${a.text})`, prec: PREC.atom, ty: 'int' };
      }
      case 'cond':
        throw new TranslationError('conditional expressions (a ? b : c)', LANGUAGE);
    }
  }

  private binary(op: string, ea: ClassicalExpr, eb: ClassicalExpr): Printed {
    const a = this.print(ea);
    const b = this.print(eb);
    const numeric = (p: Printed): Ty => (p.ty === 'bit' || p.ty === 'bool' ? 'int' : p.ty);
    const asNum = (p: Printed): Printed =>
      p.ty === 'bit' || p.ty === 'bool' ? { text: `int(${p.text})`, prec: PREC.atom, ty: 'int' } : p;
    const join = (o: string, l: Printed, r: Printed, prec: number, ty: Ty, rightAssoc = false): Printed => ({
      text: `${this.wrap(l, rightAssoc ? prec + 1 : prec)} ${o} ${this.wrap(r, rightAssoc ? prec : prec + 1)}`,
      prec,
      ty,
    });
    switch (op) {
      case '+':
      case '-':
      case '*':
      case '%': {
        const ty: Ty = numeric(a) === 'float' || numeric(b) === 'float' ? 'float' : 'int';
        return join(op, asNum(a), asNum(b), PREC[op], ty);
      }
      case '**': {
        const ty: Ty = numeric(a) === 'float' || numeric(b) === 'float' ? 'float' : 'int';
        return join('**', asNum(a), asNum(b), PREC['**'], ty, true);
      }
      case '/': {
        // Real division: OpenQASM 3 divides two integers as integers, so cast one to float.
        const l =
          numeric(a) === 'float' || numeric(b) === 'float' ? asNum(a) : this.print({ k: 'cast', to: 'float', a: ea });
        return join('/', l, asNum(b), PREC['/'], 'float');
      }
      case 'idiv': {
        // int(a / b): the truncated quotient whether a reader divides two integers as integers (the
        // OpenQASM 3 specification) or as reals (this engine's front end, see ../qasm/README.md).
        const q = join('/', asNum(a), asNum(b), PREC['/'], 'float');
        return { text: `int(${q.text})`, prec: PREC.atom, ty: 'int' };
      }
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return join(op, asNum(a), asNum(b), PREC[op], 'bool');
      case '&&':
      case '||': {
        const l =
          a.ty === 'bool' || a.ty === 'bit' ? a : { text: `bool(${a.text})`, prec: PREC.atom, ty: 'bool' as Ty };
        const r =
          b.ty === 'bool' || b.ty === 'bit' ? b : { text: `bool(${b.text})`, prec: PREC.atom, ty: 'bool' as Ty };
        return join(op, l, r, PREC[op], 'bool');
      }
      case '&':
      case '|':
      case '^':
      case '<<':
      case '>>':
        return join(op, asNum(a), asNum(b), PREC[op], 'int');
      default:
        throw new TranslationError(`the operator ${op}`, LANGUAGE);
    }
  }

  private call(fn: string, args: ClassicalExpr[]): Printed {
    const p = args.map((x) => this.print(x));
    if (FLOAT_FUNCTIONS.has(fn)) return { text: `${fn}(${this.asFloat(args[0])})`, prec: PREC.atom, ty: 'float' };
    switch (fn) {
      case 'floor':
      case 'ceiling':
        return { text: `${fn}(${this.asFloat(args[0])})`, prec: PREC.atom, ty: 'float' };
      case 'abs': {
        // No abs in OpenQASM 3: x * (1 - 2 * int(x < 0)), exact.
        const x: Printed =
          p[0].ty === 'bool' || p[0].ty === 'bit' ? { text: `int(${p[0].text})`, prec: PREC.atom, ty: 'int' } : p[0];
        const t = this.wrap(x, PREC.atom);
        return {
          text: `${t} * (1 - 2 * int(${this.wrap(x, PREC['<'] + 1)} < 0))`,
          prec: PREC['*'],
          ty: x.ty === 'float' ? 'float' : 'int',
        };
      }
      case 'popcount':
        return { text: `popcount(bit[32](${p[0].text}))`, prec: PREC.atom, ty: 'int' };
      case 'rotl':
      case 'rotr': {
        const width = args[2]?.k === 'num' ? args[2].v : undefined;
        if (width === undefined || !Number.isInteger(width) || width < 1) {
          throw new TranslationError(`${fn} with a width computed per shot`, LANGUAGE);
        }
        return {
          text: `uint[${width}](${fn}(uint[${width}](${p[0].text}), ${p[1].text}))`,
          prec: PREC.atom,
          ty: 'int',
        };
      }
      default:
        throw new TranslationError(`the function ${fn}`, LANGUAGE);
    }
  }
}

// ----------------------------------------------------------------------------------------------

/** `ctrl(2) @ negctrl @ ` for control states [1, 1, 0]. */
function modifiers(states: (0 | 1)[]): string {
  let out = '';
  let i = 0;
  while (i < states.length) {
    let j = i;
    while (j < states.length && states[j] === states[i]) j++;
    const n = j - i;
    out += `${states[i] === 1 ? 'ctrl' : 'negctrl'}${n > 1 ? `(${n})` : ''} @ `;
    i = j;
  }
  return out;
}

function varDeclType(v: ClassicalVar): string {
  const w = v.width === undefined ? '' : `[${v.width}]`;
  switch (v.type) {
    case 'float':
      return 'float[64]';
    case 'angle':
      // The IR keeps k for the angle 2πk/2^n (its ops convert explicitly): the integer is declared.
      return v.width === undefined ? 'float[64]' : `uint${w}`;
    case 'bool':
      return 'bool';
    case 'bit':
      // A bit variable is not an output: `bit` declarations are registers in OpenQASM 3.
      return v.width === undefined ? 'bool' : `uint${w}`;
    default:
      return `${v.type}${w}`;
  }
}

/** Arrays (variables read or written by a per-shot index): first var → length. */
function collectArrays(ops: Op[], out: Map<number, number>): void {
  const expr = (e: ClassicalExpr | undefined): void => {
    if (!e) return;
    switch (e.k) {
      case 'elem':
        out.set(e.first, Math.max(out.get(e.first) ?? 0, e.length));
        expr(e.at);
        return;
      case 'unary':
      case 'cast':
        expr(e.a);
        return;
      case 'binary':
        expr(e.a);
        expr(e.b);
        return;
      case 'call':
        e.args.forEach(expr);
        return;
      case 'cond':
        expr(e.test);
        expr(e.a);
        expr(e.b);
        return;
      default:
        return;
    }
  };
  const target = (t: ClassicalTarget) => {
    if ('first' in t) {
      out.set(t.first, Math.max(out.get(t.first) ?? 0, t.length));
      expr(t.at);
    }
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'set':
        target(op.target);
        expr(op.value);
        break;
      case 'measure-var':
        target(op.target);
        break;
      case 'branch':
        expr(op.cond);
        collectArrays(op.then, out);
        collectArrays(op.otherwise, out);
        break;
      case 'while':
        expr(op.cond);
        collectArrays(op.body, out);
        break;
      case 'if':
        collectArrays(op.body, out);
        break;
      case 'dgate':
        [op.theta, op.phi, op.lambda, op.phase].forEach(expr);
        break;
      default:
        break;
    }
  }
}

/** Most `a ? b : c` written as if/else (each one duplicates an assignment). */
const MAX_LIFTED = 10_000;

/**
 * The first conditional expression in `e` (outside other conditionals' branches): `e` with it
 * replaced by its `a` and by its `b`. Expressions have no side effects, so `x = E[t ? a : b]` is
 * `if (t) x = E[a]; else x = E[b];`.
 */
function liftCond(e: ClassicalExpr): { test: ClassicalExpr; a: ClassicalExpr; b: ClassicalExpr } | undefined {
  switch (e.k) {
    case 'cond':
      return { test: e.test, a: e.a, b: e.b };
    case 'unary':
    case 'cast': {
      const r = liftCond(e.a);
      return r && { test: r.test, a: { ...e, a: r.a }, b: { ...e, a: r.b } };
    }
    case 'binary': {
      const l = liftCond(e.a);
      if (l) return { test: l.test, a: { ...e, a: l.a }, b: { ...e, a: l.b } };
      const r = liftCond(e.b);
      return r && { test: r.test, a: { ...e, b: r.a }, b: { ...e, b: r.b } };
    }
    case 'elem': {
      const r = liftCond(e.at);
      return r && { test: r.test, a: { ...e, at: r.a }, b: { ...e, at: r.b } };
    }
    case 'call':
      for (let i = 0; i < e.args.length; i++) {
        const r = liftCond(e.args[i]);
        if (r) {
          const with_ = (x: ClassicalExpr) => ({ ...e, args: e.args.map((y, j) => (j === i ? x : y)) });
          return { test: r.test, a: with_(r.a), b: with_(r.b) };
        }
      }
      return undefined;
    default:
      return undefined;
  }
}

class Qasm3Writer {
  readonly lines: string[] = [];
  private readonly qubits: BitNames;
  private readonly clbits: BitNames;
  private readonly exprs: ExprPrinter;
  private readonly vars: ClassicalVar[];
  private readonly varNames: string[] = [];
  private readonly arrays = new Map<number, { name: string; length: number }>();
  private depth = 0;
  private lifted = 0;
  readonly warnings: string[] = [];

  constructor(private readonly circuit: Circuit) {
    const names = namesOf(circuit, QASM3_RESERVED, false);
    this.qubits = names.qubits;
    this.clbits = names.clbits;
    this.vars = circuit.vars ?? [];
    const arrays = new Map<number, number>();
    collectArrays(circuit.ops, arrays);
    const inArray = new Set<number>();
    for (const [first, length] of [...arrays.entries()].sort((a, b) => a[0] - b[0])) {
      if (first < 0 || first + length > this.vars.length || length < 1) {
        throw new TranslationError('an array access outside the declared variables', LANGUAGE);
      }
      for (let i = first; i < first + length; i++) {
        if (inArray.has(i)) throw new TranslationError('overlapping arrays', LANGUAGE);
        inArray.add(i);
      }
      const base = this.vars[first].name.replace(/\[.*$/, '');
      const name = identifier(base, QASM3_RESERVED, names.used, false);
      this.arrays.set(first, { name, length });
      for (let i = first; i < first + length; i++) this.varNames[i] = `${name}[${i - first}]`;
    }
    this.vars.forEach((v, i) => {
      if (!inArray.has(i)) this.varNames[i] = identifier(v.name, QASM3_RESERVED, names.used, false);
    });
    this.exprs = new ExprPrinter(this.clbits, this.vars, this.varNames, this.arrays);
  }

  private line(s: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${s}`);
  }

  emit(): string {
    this.lines.push('OPENQASM 3.0;', 'include "stdgates.inc";');
    for (const r of this.qubits.regs) this.lines.push(`qubit[${r.size}] ${r.name};`);
    for (const r of this.clbits.regs) this.lines.push(`bit[${r.size}] ${r.name};`);
    for (const [first, { name, length }] of this.arrays) {
      this.lines.push(`array[${varDeclType(this.vars[first])}, ${length}] ${name};`);
    }
    this.vars.forEach((v, i) => {
      if (![...this.arrays.keys()].some((f) => i >= f && i < f + this.arrays.get(f)!.length)) {
        this.lines.push(`${varDeclType(v)} ${this.varNames[i]};`);
      }
    });
    this.block(this.circuit.ops);
    return `${this.lines.join('\n')}\n`;
  }

  /** Writes ops; uncontrolled global phases are summed and written once at the end. */
  private block(ops: Op[]): void {
    let phaseSum = 0;
    for (const op of ops) phaseSum += this.op(op);
    const p = reducePhase(phaseSum);
    if (Math.abs(p) > 1e-15) this.line(`gphase(${formatNumber(p)});`);
  }

  private q(i: number): string {
    return this.qubits.ref(i);
  }

  /** Writes one op; returns the global phase it leaves to its block. */
  private op(op: Op): number {
    switch (op.kind) {
      case 'gate':
        return this.gate(op);
      case 'swap': {
        const states = op.controls.map((_, i) => op.controlStates?.[i] ?? 1);
        const qs = [...op.controls, op.a, op.b].map((q) => this.q(q)).join(', ');
        this.line(`${modifiers(states)}swap ${qs};`);
        return 0;
      }
      case 'gphase':
        return op.theta;
      case 'measure':
        this.line(`${this.clbits.ref(op.clbit)} = measure ${this.q(op.qubit)};`);
        return 0;
      case 'reset':
        this.line(`reset ${this.q(op.qubit)};`);
        return 0;
      case 'barrier':
        if (op.qubits.length > 0) this.line(`barrier ${op.qubits.map((q) => this.q(q)).join(', ')};`);
        return 0;
      case 'if':
        this.conditional(op.clbits, op.value, op.body);
        return 0;
      case 'set':
        this.set(op.target, op.value);
        return 0;
      case 'measure-var':
        this.measureVar(op.qubit, op.target, op.bit ?? 0);
        return 0;
      case 'branch':
        this.line(`if (${this.exprs.asBool(op.cond)}) {`);
        this.nested(op.then);
        if (op.otherwise.length > 0) {
          this.line('} else {');
          this.nested(op.otherwise);
        }
        this.line('}');
        return 0;
      case 'while':
        this.line(`while (${this.exprs.asBool(op.cond)}) {`);
        this.nested(op.body);
        this.line('}');
        return 0;
      case 'break':
      case 'continue':
      case 'end':
        this.line(`${op.kind};`);
        return 0;
      case 'dgate':
        this.dgate(op);
        return 0;
    }
  }

  private nested(ops: Op[]): void {
    this.depth++;
    this.block(ops);
    this.depth--;
  }

  private gate(op: GateOp): number {
    const states = op.controls.map((_, i) => op.controlStates?.[i] ?? 1);
    const allPositive = states.every((s) => s === 1);
    const args = [...op.controls, op.target].map((q) => this.q(q)).join(', ');
    const named = stdgateOf(op.matrix);
    if (named === 'x' && allPositive && states.length === 1) {
      this.line(`cx ${args};`);
      return 0;
    }
    if (named === 'x' && allPositive && states.length === 2) {
      this.line(`ccx ${args};`);
      return 0;
    }
    const mods = modifiers(states);
    if (named) {
      this.line(`${mods}${named} ${args};`);
      return 0;
    }
    const { theta, phi, lambda, phase: ph } = zyz(op.matrix);
    const f = (x: number) => formatNumber(x);
    this.line(`${mods}U(${f(theta)}, ${f(phi)}, ${f(lambda)}) ${args};`);
    if (op.controls.length === 0) return ph;
    const p = reducePhase(ph);
    if (Math.abs(p) > 1e-15) {
      this.line(`${mods}gphase(${f(p)}) ${op.controls.map((q) => this.q(q)).join(', ')};`);
    }
    return 0;
  }

  private dgate(op: DynamicGateOp): void {
    const states = op.controls.map((_, i) => op.controlStates?.[i] ?? 1);
    const mods = modifiers(states);
    const args = [...op.controls, op.target].map((q) => this.q(q)).join(', ');
    const e = this.exprs;
    this.line(`${mods}U(${e.asFloat(op.theta)}, ${e.asFloat(op.phi)}, ${e.asFloat(op.lambda)}) ${args};`);
    if (op.phase && !(op.phase.k === 'num' && op.phase.v === 0)) {
      const ctrl = op.controls.map((q) => this.q(q)).join(', ');
      this.line(`${mods}gphase(${e.asFloat(op.phase)})${ctrl ? ` ${ctrl}` : ''};`);
    }
  }

  private conditional(clbits: number[], value: number, body: Op[]): void {
    if (clbits.length === 0) {
      // An empty condition is 0: always true for value 0, never otherwise.
      if (value === 0) this.block(body);
      return;
    }
    if (value < 0 || value >= 2 ** clbits.length || !Number.isInteger(value)) return;
    const reg = this.clbits.wholeRegister(clbits);
    let cond: string;
    if (reg && reg.size > 1) cond = `${reg.name} == ${value}`;
    else if (clbits.length === 1) cond = value ? this.clbits.ref(clbits[0]) : `!${this.clbits.ref(clbits[0])}`;
    else {
      cond = clbits.map((b, i) => `${this.clbits.ref(b)} == ${(value >> i) & 1}`).join(' && ');
    }
    this.line(`if (${cond}) {`);
    this.nested(body);
    this.line('}');
  }

  private targetRef(t: ClassicalTarget): { text: string; ty: 'var' | 'clbits'; index?: number } {
    if ('var' in t) return { text: this.exprs.varRef(t.var), ty: 'var', index: t.var };
    if ('first' in t) {
      const arr = this.arrays.get(t.first);
      if (!arr) throw new TranslationError('an array access outside a declared array', LANGUAGE);
      return { text: `${arr.name}[${this.exprs.print(t.at).text}]`, ty: 'var', index: t.first };
    }
    return { text: '', ty: 'clbits' };
  }

  private set(target: ClassicalTarget, value: ClassicalExpr): void {
    const lifted = liftCond(value);
    if (lifted) {
      // OpenQASM 3 has no `a ? b : c`: the assignment is made in each branch.
      if (++this.lifted > MAX_LIFTED) {
        throw new TranslationError('conditional expressions (a ? b : c)', LANGUAGE, 'too many to write as if/else');
      }
      this.line(`if (${this.exprs.asBool(lifted.test)}) {`);
      this.depth++;
      this.set(target, lifted.a);
      this.depth--;
      this.line('} else {');
      this.depth++;
      this.set(target, lifted.b);
      this.depth--;
      this.line('}');
      return;
    }
    const p = this.exprs.print(value);
    if ('clbits' in target) {
      const bits = target.clbits;
      const reg = this.clbits.wholeRegister(bits);
      if (bits.length === 1) {
        const v = p.ty === 'bool' || p.ty === 'bit' ? p.text : `(${p.text} & 1) == 1`;
        this.line(`${this.clbits.ref(bits[0])} = ${v};`);
      } else if (reg) {
        this.line(`${reg.name} = bit[${reg.size}](${p.text});`);
      } else {
        const tmp = p.prec >= PREC.atom ? p.text : `(${p.text})`;
        bits.forEach((b, i) => this.line(`${this.clbits.ref(b)} = (${tmp} >> ${i} & 1) == 1;`));
      }
      return;
    }
    const t = this.targetRef(target);
    const v = this.vars[t.index!];
    const want = v ? varDeclType(v) : 'float[64]';
    // Assignment converts to the variable's type as the cast would; write it only where OpenQASM 3
    // has no implicit conversion.
    const same =
      (p.ty === 'int' && (v?.type === 'int' || v?.type === 'uint')) ||
      (p.ty === 'int' && v?.type === 'angle' && v.width !== undefined) ||
      (p.ty === 'float' && (v?.type === 'float' || (v?.type === 'angle' && v.width === undefined))) ||
      (p.ty === 'bool' && v?.type === 'bool') ||
      (p.ty === 'bit' && v?.type === 'bit' && v.width === undefined);
    this.line(`${t.text} = ${same ? p.text : `${want}(${p.text})`};`);
  }

  private measureVar(qubit: number, target: ClassicalTarget, bit: number): void {
    if ('clbits' in target) {
      const b = target.clbits[bit];
      if (b === undefined) throw new TranslationError('a measurement into a missing bit', LANGUAGE);
      this.line(`${this.clbits.ref(b)} = measure ${this.q(qubit)};`);
      return;
    }
    const t = this.targetRef(target);
    const v = this.vars[t.index!];
    const scalarBit = v?.type === 'bit' && v.width === undefined;
    const lhs = scalarBit || v?.type === 'bool' ? t.text : `${t.text}[${bit}]`;
    this.line(`${lhs} = measure ${this.q(qubit)};`);
  }
}

/** Writes `circuit` as an OpenQASM 3 program (see the doc of this file). */
export function emitQasm3(circuit: Circuit): Emitted {
  const w = new Qasm3Writer(circuit);
  const text = w.emit();
  return { text, warnings: w.warnings };
}
