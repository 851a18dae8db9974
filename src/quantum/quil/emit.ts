import type { Circuit, ClassicalExpr, ClassicalTarget, ClassicalVar, Matrix2, Op } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { TranslationError, type Emitted } from '../languages';

/**
 * The Quil emitter: circuit IR → Quil text that parseQuil reads back and pyQuil accepts.
 *
 * - Every classical register is a `DECLARE name BIT[n]`; classical variables are INTEGER/REAL
 *   regions (variables named `a[0]`, `a[1]`, ... become one region `a`).
 * - Gates: the standard names where the matrix is one (X, CNOT, CCNOT, Z, CZ, H, S, T, PHASE,
 *   CPHASE, SWAP, CSWAP), otherwise the ZYZ Euler angles `RZ(λ) RY(θ) RZ(φ)` with CONTROLLED
 *   modifiers; the global phase of a controlled gate is a PHASE on a control (CONTROLLED by the
 *   others), negative controls are X before and after. Uncontrolled gates drop their (unobservable)
 *   global phase, and top-level `gphase` ops are dropped with a warning.
 * - Classical control (`if`, `branch`, `while`, `break`, `continue`) becomes labels and
 *   JUMP-WHEN/JUMP-UNLESS; expressions are compiled into classical instructions on scratch memory
 *   (`qtmp_*` regions). Functions Quil has no instruction for (sin, log, ...) in classical code
 *   throw TranslationError; in the angles of per-shot gates they are written as Quil expressions.
 */

const LANG = 'QUIL';
const EPS = 1e-12;
const KEYWORDS = new Set([
  'pi',
  'i',
  'sin',
  'cos',
  'sqrt',
  'exp',
  'cis',
  'DECLARE',
  'MEASURE',
  'RESET',
  'HALT',
  'NOP',
  'WAIT',
  'LABEL',
  'JUMP',
  'PRAGMA',
  'DEFGATE',
  'DEFCIRCUIT',
  'CONTROLLED',
  'DAGGER',
  'FORKED',
  'BIT',
  'OCTET',
  'INTEGER',
  'REAL',
]);

function fmt(x: number): string {
  if (!Number.isFinite(x)) throw new TranslationError('a non-finite number', LANG, String(x));
  if (Object.is(x, -0)) return '0';
  // Integers from 1e21 on print with an exponent in JS, which would read back as a REAL.
  if (Number.isInteger(x) && Math.abs(x) >= 1e21) return BigInt(x).toString();
  return String(x);
}

function fmtReal(x: number): string {
  const s = fmt(x);
  return /^-?\d+$/.test(s) ? `${s}.0` : s;
}

function close(m: Matrix2, n: Matrix2): boolean {
  for (let k = 0; k < 8; k++) if (Math.abs(m[k] - n[k]) > 1e-10) return false;
  return true;
}

type MemType = 'BIT' | 'INTEGER' | 'REAL';

interface VarRegion {
  name: string;
  type: MemType;
  first: number;
  length: number;
}

class Emitter {
  private readonly lines: string[] = [];
  private readonly warnings = new Set<string>();
  private readonly used = new Set<string>();
  private clbitRef: string[] = [];
  private varRegions: VarRegion[] = [];
  private varRef: { region: VarRegion; index: number }[] = [];
  private labels = 0;
  private readonly temps: Record<MemType, number> = { BIT: 0, INTEGER: 0, REAL: 0 };
  private tempNames: Record<MemType, string> = { BIT: '', INTEGER: '', REAL: '' };
  private readonly loops: { top: string; exit: string }[] = [];

  constructor(private readonly circuit: Circuit) {}

  private unique(raw: string): string {
    let base = raw.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `m_${base}`;
    let name = base;
    for (let k = 1; this.used.has(name) || KEYWORDS.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  run(): Emitted {
    const c = this.circuit;
    const header: string[] = [];
    // Classical registers.
    this.clbitRef = new Array<string>(c.numClbits);
    for (const r of c.cregs) {
      if (r.size <= 0) continue;
      const name = this.unique(r.name);
      header.push(`DECLARE ${name} BIT[${r.size}]`);
      for (let k = 0; k < r.size; k++) this.clbitRef[r.offset + k] = `${name}[${k}]`;
    }
    const loose: number[] = [];
    for (let k = 0; k < c.numClbits; k++) if (this.clbitRef[k] === undefined) loose.push(k);
    if (loose.length > 0) {
      const name = this.unique('c');
      header.push(`DECLARE ${name} BIT[${loose.length}]`);
      loose.forEach((k, j) => (this.clbitRef[k] = `${name}[${j}]`));
    }
    // Variables, grouped back into regions.
    const vars = c.vars ?? [];
    for (let v = 0; v < vars.length;) {
      const m = /^(.*)\[0\]$/.exec(vars[v].name);
      const type = memType(vars[v]);
      let length = 1;
      if (m) {
        while (
          v + length < vars.length &&
          vars[v + length].name === `${m[1]}[${length}]` &&
          memType(vars[v + length]) === type
        ) {
          length++;
        }
      }
      const region: VarRegion = { name: this.unique(m ? m[1] : vars[v].name), type, first: v, length };
      this.varRegions.push(region);
      header.push(`DECLARE ${region.name} ${type}${length > 1 ? `[${length}]` : ''}`);
      for (let k = 0; k < length; k++) this.varRef[v + k] = { region, index: k };
      v += length;
    }
    this.tempNames = { BIT: '', INTEGER: this.unique('qtmp_int'), REAL: this.unique('qtmp_real') };
    // The highest qubit, so that the program reads back with as many qubits.
    if (c.numQubits > 0 && !usesQubit(c.ops, c.numQubits - 1)) this.lines.push(`I ${c.numQubits - 1}`);
    this.ops(c.ops);
    for (const t of ['INTEGER', 'REAL'] as MemType[]) {
      if (this.temps[t] > 0) header.push(`DECLARE ${this.tempNames[t]} ${t}[${this.temps[t]}]`);
    }
    const text = [...header, ...this.lines].join('\n') + '\n';
    return { text, warnings: [...this.warnings] };
  }

  // ---- quantum ops -----------------------------------------------------------------------------

  private ops(ops: Op[]): void {
    for (const op of ops) this.op(op);
  }

  private controlled(k: number): string {
    return 'CONTROLLED '.repeat(k);
  }

  private withNegControls(controls: number[], states: (0 | 1)[] | undefined, body: () => void): void {
    const neg = states ? controls.filter((_, k) => states[k] === 0) : [];
    for (const q of neg) this.lines.push(`X ${q}`);
    body();
    for (const q of neg) this.lines.push(`X ${q}`);
    if (neg.length > 0) this.warnings.add('Negative controls are written as X before and after the controlled gate.');
  }

  private op(op: Op): void {
    switch (op.kind) {
      case 'gate':
        this.withNegControls(op.controls, op.controlStates, () => this.gate(op.matrix, op.target, op.controls));
        return;
      case 'swap':
        this.withNegControls(op.controls, op.controlStates, () => {
          if (op.controls.length === 0) this.lines.push(`SWAP ${op.a} ${op.b}`);
          else {
            this.lines.push(
              `${this.controlled(op.controls.length - 1)}CSWAP ${[...op.controls].reverse().join(' ')} ${op.a} ${op.b}`,
            );
          }
        });
        return;
      case 'gphase':
        if (Math.abs(op.theta) > EPS)
          this.warnings.add('A global phase (gphase) is dropped: Quil has no global phase, and it is unobservable.');
        return;
      case 'measure':
        this.lines.push(`MEASURE ${op.qubit} ${this.clbitRef[op.clbit]}`);
        return;
      case 'reset':
        this.lines.push(`RESET ${op.qubit}`);
        return;
      case 'barrier':
        if (op.qubits.length > 0) this.warnings.add('Barriers are dropped (no effect on the results).');
        return;
      case 'if': {
        const skip = this.label('skip');
        op.clbits.forEach((b, k) => {
          const want = Math.floor(op.value / 2 ** k) % 2;
          this.lines.push(`${want ? 'JUMP-UNLESS' : 'JUMP-WHEN'} @${skip} ${this.clbitRef[b]}`);
        });
        if (op.value >= 2 ** op.clbits.length) this.lines.push(`JUMP @${skip}`);
        this.ops(op.body);
        this.lines.push(`LABEL @${skip}`);
        return;
      }
      case 'branch': {
        const c = this.condition(op.cond);
        const other = this.label('else');
        const end = this.label('endif');
        this.lines.push(`JUMP-UNLESS @${other} ${c}`);
        this.ops(op.then);
        if (op.otherwise.length > 0) {
          this.lines.push(`JUMP @${end}`);
          this.lines.push(`LABEL @${other}`);
          this.ops(op.otherwise);
          this.lines.push(`LABEL @${end}`);
        } else {
          this.lines.push(`LABEL @${other}`);
        }
        return;
      }
      case 'while': {
        const top = this.label('loop');
        const exit = this.label('done');
        this.lines.push(`LABEL @${top}`);
        if (!(op.cond.k === 'num' && op.cond.v !== 0))
          this.lines.push(`JUMP-UNLESS @${exit} ${this.condition(op.cond)}`);
        this.loops.push({ top, exit });
        this.ops(op.body);
        this.loops.pop();
        this.lines.push(`JUMP @${top}`);
        this.lines.push(`LABEL @${exit}`);
        return;
      }
      case 'break':
      case 'continue': {
        const loop = this.loops[this.loops.length - 1];
        if (!loop) throw new TranslationError(`${op.kind} outside a loop`, LANG);
        this.lines.push(`JUMP @${op.kind === 'break' ? loop.exit : loop.top}`);
        return;
      }
      case 'end':
        this.lines.push('HALT');
        return;
      case 'set':
        this.set(op.target, op.value);
        return;
      case 'measure-var':
        this.measureVar(op.qubit, op.target, op.bit ?? 0);
        return;
      case 'dgate':
        this.withNegControls(op.controls, op.controlStates, () => {
          const th = this.param(op.theta);
          const ph = this.param(op.phi);
          const la = this.param(op.lambda);
          const pre = this.controlled(op.controls.length);
          const qs = [...op.controls, op.target].join(' ');
          this.lines.push(`${pre}RZ(${la}) ${qs}`, `${pre}RY(${th}) ${qs}`, `${pre}RZ(${ph}) ${qs}`);
          if (op.controls.length > 0) {
            // e^{i phase} U = e^{i (phase + (phi + lambda)/2)} RZ(phi) RY(theta) RZ(lambda)
            const alpha = `${op.phase ? `${this.param(op.phase)} + ` : ''}((${ph}) + (${la}))/2`;
            const [first, ...rest] = op.controls;
            this.lines.push(`${this.controlled(rest.length)}PHASE(${alpha}) ${[...rest, first].join(' ')}`);
          }
        });
        return;
    }
  }

  private gate(m: Matrix2, target: number, controls: number[]): void {
    const k = controls.length;
    const qs = [...controls, target].join(' ');
    const named = (name: string, max: Record<number, string> = {}): void => {
      if (max[k]) this.lines.push(`${max[k]} ${qs}`);
      else this.lines.push(`${this.controlled(k)}${name} ${qs}`);
    };
    if (close(m, G.X)) return named('X', { 1: 'CNOT', 2: 'CCNOT' });
    if (close(m, G.Z)) return named('Z', { 1: 'CZ' });
    if (close(m, G.Y)) return named('Y');
    if (close(m, G.H)) return named('H');
    if (close(m, G.S)) return named('S');
    if (close(m, G.T)) return named('T');
    if (close(m, G.I)) return;
    // diag(1, e^{i lambda})
    if (Math.abs(m[0] - 1) < 1e-10 && Math.abs(m[1]) < 1e-10 && Math.hypot(m[2], m[3], m[4], m[5]) < 1e-10) {
      const lambda = Math.atan2(m[7], m[6]);
      return named(`PHASE(${fmtReal(lambda)})`, { 1: `CPHASE(${fmtReal(lambda)})` });
    }
    // A rotation, exactly (so also under control).
    const tz = 2 * Math.atan2(m[7], m[6]);
    if (close(m, G.rz(tz))) return named(`RZ(${fmtReal(tz)})`);
    const tx = 2 * Math.atan2(-m[3], m[0]);
    if (close(m, G.rx(tx))) return named(`RX(${fmtReal(tx)})`);
    const ty = 2 * Math.atan2(m[4], m[0]);
    if (close(m, G.ry(ty))) return named(`RY(${fmtReal(ty)})`);
    const { theta, phi, lambda, phase } = G.zyz(m);
    const pre = this.controlled(k);
    if (k === 0) {
      // Uncontrolled, a rotation up to its (dropped) global phase.
      const near = (x: number, y: number) => Math.abs(Math.atan2(Math.sin(x - y), Math.cos(x - y))) < 1e-10;
      if (Math.abs(theta) < 1e-10) return named(`RZ(${fmtReal(phi + lambda)})`);
      if (near(phi, -Math.PI / 2) && near(lambda, Math.PI / 2)) return named(`RX(${fmtReal(theta)})`);
      if (near(phi, 0) && near(lambda, 0)) return named(`RY(${fmtReal(theta)})`);
    }
    if (Math.abs(lambda) > EPS) this.lines.push(`${pre}RZ(${fmtReal(lambda)}) ${qs}`);
    if (Math.abs(theta) > EPS) this.lines.push(`${pre}RY(${fmtReal(theta)}) ${qs}`);
    if (Math.abs(phi) > EPS) this.lines.push(`${pre}RZ(${fmtReal(phi)}) ${qs}`);
    const alpha = phase + (phi + lambda) / 2;
    if (k > 0) {
      const wrapped = Math.atan2(Math.sin(alpha), Math.cos(alpha));
      if (Math.abs(wrapped) > EPS) {
        const [first, ...rest] = controls;
        this.lines.push(`${this.controlled(rest.length)}PHASE(${fmtReal(wrapped)}) ${[...rest, first].join(' ')}`);
      }
      this.warnings.add('Controlled gates are written as CONTROLLED RZ/RY/RZ rotations with the phase on a control.');
    } else {
      this.warnings.add('Single-qubit gates are written as RZ/RY/RZ rotations (their global phase dropped).');
    }
  }

  // ---- classical ----------------------------------------------------------------------------------

  private label(kind: string): string {
    return `${kind}_${++this.labels}`;
  }

  /**
   * A scratch memory cell. Booleans live in INTEGER scratch too: a BIT region would read back as a
   * classical register, that is as part of the results.
   */
  private temp(type: MemType): string {
    const t = type === 'BIT' ? 'INTEGER' : type;
    return `${this.tempNames[t]}[${this.temps[t]++}]`;
  }

  /** A memory reference and its type for a variable. */
  private varMem(index: number): { ref: string; type: MemType } {
    const v = this.varRef[index];
    if (!v) throw new TranslationError('a reference to an undeclared variable', LANG, `variable ${index}`);
    return { ref: `${v.region.name}[${v.index}]`, type: v.region.type };
  }

  /** A BIT holding `cond != 0`. */
  private condition(cond: ClassicalExpr): string {
    if (cond.k === 'bit') return this.clbitRef[cond.clbit];
    if (cond.k === 'cast' && cond.to === 'bool') return this.condition(cond.a);
    if (cond.k === 'var' && this.varMem(cond.index).type === 'INTEGER') return this.varMem(cond.index).ref;
    const v = this.value(cond);
    if (v.type === 'BIT' && v.mem) return v.text;
    return this.nonZero(v);
  }

  /** A 0/1 cell holding `v != 0` (NOT is bitwise on INTEGER memory, so booleans use EQ ... 0). */
  private nonZero(v: { text: string; type: MemType; mem: boolean }): string {
    const b = this.temp('BIT');
    this.lines.push(`EQ ${b} ${this.asMem(v)} ${v.type === 'REAL' ? '0.0' : '0'}`, `EQ ${b} ${b} 0`);
    return b;
  }

  private asMem(v: { text: string; type: MemType; mem: boolean }): string {
    if (v.mem) return v.text;
    const t = this.temp(v.type);
    this.lines.push(`MOVE ${t} ${v.text}`);
    return t;
  }

  /** Copies `v` into a fresh temporary of type `type` (converting). */
  private into(v: { text: string; type: MemType; mem: boolean }, type: MemType): string {
    const t = this.temp(type);
    if (v.type === type || !v.mem) {
      this.lines.push(`MOVE ${t} ${v.mem ? v.text : immediate(v.text, type)}`);
    } else {
      this.lines.push(`CONVERT ${t} ${v.text}`);
    }
    return t;
  }

  /** Compiles an expression: an immediate or a memory reference holding its value. */
  private value(e: ClassicalExpr): { text: string; type: MemType; mem: boolean } {
    switch (e.k) {
      case 'num':
        return { text: fmt(e.v), type: Number.isInteger(e.v) ? 'INTEGER' : 'REAL', mem: false };
      case 'bit':
        return { text: this.clbitRef[e.clbit], type: 'BIT', mem: true };
      case 'bits': {
        const t = this.temp('INTEGER');
        this.lines.push(`MOVE ${t} 0`);
        e.clbits.forEach((b, k) => {
          const skip = this.label('bit');
          this.lines.push(`JUMP-UNLESS @${skip} ${this.clbitRef[b]}`, `ADD ${t} ${2 ** k}`, `LABEL @${skip}`);
        });
        return { text: t, type: 'INTEGER', mem: true };
      }
      case 'var': {
        const m = this.varMem(e.index);
        return { text: m.ref, type: m.type, mem: true };
      }
      case 'elem': {
        const region = this.varRegions.find((r) => r.first === e.first && r.length === e.length);
        if (!region) throw new TranslationError('indexing variables that are not one array', LANG);
        const at = this.into(this.value(e.at), 'INTEGER');
        const t = this.temp(region.type);
        this.lines.push(`LOAD ${t} ${region.name} ${at}`);
        return { text: t, type: region.type, mem: true };
      }
      case 'unary': {
        const a = this.value(e.a);
        if (e.op === '-') {
          const t = this.into(a, a.type === 'BIT' ? 'INTEGER' : a.type);
          this.lines.push(`NEG ${t}`);
          return { text: t, type: a.type === 'BIT' ? 'INTEGER' : a.type, mem: true };
        }
        if (e.op === '!') {
          const t = this.temp('BIT');
          this.lines.push(`EQ ${t} ${this.asMem(a)} ${a.type === 'REAL' ? '0.0' : '0'}`);
          return { text: t, type: 'BIT', mem: true };
        }
        const t = this.into(a, 'INTEGER');
        this.lines.push(`NOT ${t}`);
        return { text: t, type: 'INTEGER', mem: true };
      }
      case 'binary':
        return this.binary(e.op, e.a, e.b);
      case 'cast': {
        const a = this.value(e.a);
        if (e.to === 'float') return a;
        if (e.to === 'bool') return { text: this.nonZero(a), type: 'BIT', mem: true };
        const t = this.into(a, 'INTEGER');
        if (e.width !== undefined && e.width < 53) this.wrap(t, e.width, e.to === 'int');
        return { text: t, type: 'INTEGER', mem: true };
      }
      case 'cond': {
        const test = this.condition(e.test);
        const a = this.value(e.a);
        const b = this.value(e.b);
        const type: MemType = a.type === 'REAL' || b.type === 'REAL' ? 'REAL' : 'INTEGER';
        const t = this.temp(type);
        const other = this.label('else');
        const end = this.label('endif');
        this.lines.push(`JUMP-UNLESS @${other} ${test}`);
        this.moveInto(t, type, a);
        this.lines.push(`JUMP @${end}`, `LABEL @${other}`);
        this.moveInto(t, type, b);
        this.lines.push(`LABEL @${end}`);
        return { text: t, type, mem: true };
      }
      case 'call':
        if (e.fn === 'abs') {
          const a = this.value(e.args[0]);
          const type = a.type === 'REAL' ? 'REAL' : 'INTEGER';
          const t = this.into(a, type);
          const b = this.temp('BIT');
          const skip = this.label('abs');
          this.lines.push(
            `LT ${b} ${t} ${type === 'REAL' ? '0.0' : '0'}`,
            `JUMP-UNLESS @${skip} ${b}`,
            `NEG ${t}`,
            `LABEL @${skip}`,
          );
          return { text: t, type, mem: true };
        }
        if (e.fn === 'floor' || e.fn === 'ceiling') {
          const a = this.value(e.args[0]);
          if (a.type !== 'REAL') return a;
          const x = this.asMem(a);
          const t = this.temp('INTEGER');
          const back = this.temp('REAL');
          const off = this.temp('BIT');
          const done = this.label(e.fn);
          this.lines.push(
            `CONVERT ${t} ${x}`,
            `CONVERT ${back} ${t}`,
            `${e.fn === 'floor' ? 'GT' : 'LT'} ${off} ${back} ${x}`,
            `JUMP-UNLESS @${done} ${off}`,
            `${e.fn === 'floor' ? 'SUB' : 'ADD'} ${t} 1`,
            `LABEL @${done}`,
          );
          return { text: t, type: 'INTEGER', mem: true };
        }
        throw new TranslationError(`the function ${e.fn} in classical code`, LANG, 'Quil has no instruction for it');
    }
  }

  /**
   * Wraps the integer in `t` to `width` bits: modulo 2^width (uint) or two's complement (int). The
   * remainder is corrected when negative, so it holds whether DIV truncates or floors.
   */
  private wrap(t: string, width: number, signed: boolean): void {
    const m = 2 ** width;
    const half = 2 ** (width - 1);
    if (signed) this.lines.push(`ADD ${t} ${half}`);
    const q = this.temp('INTEGER');
    const neg = this.temp('BIT');
    const ok = this.label('wrapped');
    this.lines.push(
      `MOVE ${q} ${t}`,
      `DIV ${q} ${m}`,
      `MUL ${q} ${m}`,
      `SUB ${t} ${q}`,
      `LT ${neg} ${t} 0`,
      `JUMP-UNLESS @${ok} ${neg}`,
      `ADD ${t} ${m}`,
      `LABEL @${ok}`,
    );
    if (signed) this.lines.push(`SUB ${t} ${half}`);
  }

  private moveInto(t: string, type: MemType, v: { text: string; type: MemType; mem: boolean }): void {
    if (!v.mem) this.lines.push(`MOVE ${t} ${immediate(v.text, type)}`);
    else if (v.type === type) this.lines.push(`MOVE ${t} ${v.text}`);
    else this.lines.push(`CONVERT ${t} ${v.text}`);
  }

  private binary(op: string, ea: ClassicalExpr, eb: ClassicalExpr): { text: string; type: MemType; mem: boolean } {
    const a = this.value(ea);
    const b = this.value(eb);
    const real = a.type === 'REAL' || b.type === 'REAL';
    const arithType: MemType = real ? 'REAL' : 'INTEGER';
    const operand = (v: { text: string; type: MemType; mem: boolean }, type: MemType) =>
      v.mem ? (v.type === type ? v.text : this.into(v, type)) : immediate(v.text, type);
    const arith = (instr: string, type: MemType) => {
      const t = this.into(a, type);
      this.lines.push(`${instr} ${t} ${operand(b, type)}`);
      return { text: t, type, mem: true };
    };
    const compare = (instr: string, negate = false) => {
      const t = this.temp('BIT');
      this.lines.push(
        `${instr} ${t} ${real ? this.into(a, 'REAL') : this.asMem(a)} ${operand(b, real ? 'REAL' : b.type === 'BIT' ? 'BIT' : 'INTEGER')}`,
      );
      if (negate) this.lines.push(`EQ ${t} ${t} 0`);
      return { text: t, type: 'BIT' as MemType, mem: true };
    };
    switch (op) {
      case '+':
        return arith('ADD', arithType);
      case '-':
        return arith('SUB', arithType);
      case '*':
        return arith('MUL', arithType);
      case '/':
        return arith('DIV', 'REAL');
      case 'idiv':
        if (real) throw new TranslationError('integer division of real numbers', LANG);
        return arith('DIV', 'INTEGER');
      case '&':
      case '&&':
        if (real) throw new TranslationError(`'${op}' on real numbers`, LANG);
        return op === '&' ? arith('AND', 'INTEGER') : this.logic('AND', a, b);
      case '|':
      case '||':
        if (real) throw new TranslationError(`'${op}' on real numbers`, LANG);
        return op === '|' ? arith('IOR', 'INTEGER') : this.logic('IOR', a, b);
      case '^':
        if (real) throw new TranslationError(`'${op}' on real numbers`, LANG);
        return arith('XOR', 'INTEGER');
      case '==':
        return compare('EQ');
      case '!=':
        return compare('EQ', true);
      case '<':
        return compare('LT');
      case '<=':
        return compare('LE');
      case '>':
        return compare('GT');
      case '>=':
        return compare('GE');
      case '%': {
        // a - trunc(a / b) * b, as JS's % (the sign of the dividend)
        const r = this.into(a, 'REAL');
        const q = this.temp('REAL');
        const qi = this.temp('INTEGER');
        this.lines.push(`MOVE ${q} ${r}`, `DIV ${q} ${operand(b, 'REAL')}`, `CONVERT ${qi} ${q}`, `CONVERT ${q} ${qi}`);
        this.lines.push(`MUL ${q} ${operand(b, 'REAL')}`, `SUB ${r} ${q}`);
        return real
          ? { text: r, type: 'REAL', mem: true }
          : { text: this.into({ text: r, type: 'REAL', mem: true }, 'INTEGER'), type: 'INTEGER', mem: true };
      }
      case '**': {
        const k = eb.k === 'num' ? eb.v : NaN;
        if (!(Number.isInteger(k) && k >= 0 && k <= 64)) {
          throw new TranslationError(`'**' with an exponent other than a constant integer in 0..64`, LANG);
        }
        const t = this.temp(arithType);
        this.lines.push(`MOVE ${t} ${arithType === 'REAL' ? '1.0' : '1'}`);
        const base = operand(a, arithType);
        for (let n = 0; n < k; n++) this.lines.push(`MUL ${t} ${base}`);
        return { text: t, type: arithType, mem: true };
      }
      case '<<':
      case '>>': {
        const k = eb.k === 'num' && Number.isInteger(eb.v) ? eb.v & 31 : NaN;
        if (Number.isNaN(k)) throw new TranslationError(`'${op}' by a per-shot amount`, LANG);
        const t = this.into(a, 'INTEGER');
        if (op === '<<') {
          // The low 32 - k bits, shifted, read as a 32-bit two's complement (exact in doubles).
          this.wrap(t, 32 - k, false);
          this.lines.push(`MUL ${t} ${2 ** k}`);
          this.wrap(t, 32, true);
        } else {
          // floor(int32(a) / 2^k): remove the low k bits, then divide exactly.
          this.wrap(t, 32, true);
          const low = this.temp('INTEGER');
          this.lines.push(`MOVE ${low} ${t}`);
          this.wrap(low, k, false);
          this.lines.push(`SUB ${t} ${low}`, `DIV ${t} ${2 ** k}`);
        }
        return { text: t, type: 'INTEGER', mem: true };
      }
      default:
        throw new TranslationError(`the operator '${op}' in classical code`, LANG, 'Quil has no instruction for it');
    }
  }

  private logic(
    instr: 'AND' | 'IOR',
    a: { text: string; type: MemType; mem: boolean },
    b: { text: string; type: MemType; mem: boolean },
  ) {
    const ta = this.nonZero(a);
    const tb = this.nonZero(b);
    this.lines.push(`${instr} ${ta} ${tb}`);
    return { text: ta, type: 'BIT' as MemType, mem: true };
  }

  /** A gate angle: a Quil parameter expression (memory references, arithmetic, sin/cos/sqrt/exp). */
  private param(e: ClassicalExpr): string {
    const inline = this.inlineParam(e);
    if (inline !== undefined) return inline;
    const v = this.value(e);
    return v.mem && v.type === 'REAL' ? v.text : this.into(v, 'REAL');
  }

  private inlineParam(e: ClassicalExpr): string | undefined {
    switch (e.k) {
      case 'num':
        return fmtReal(e.v);
      case 'var': {
        const m = this.varMem(e.index);
        return m.type === 'REAL' ? m.ref : undefined;
      }
      case 'unary': {
        if (e.op !== '-') return undefined;
        const a = this.inlineParam(e.a);
        return a === undefined ? undefined : `-(${a})`;
      }
      case 'binary': {
        const ops: Record<string, string> = { '+': '+', '-': '-', '*': '*', '/': '/', '**': '^' };
        const o = ops[e.op];
        if (!o) return undefined;
        const a = this.inlineParam(e.a);
        const b = this.inlineParam(e.b);
        return a === undefined || b === undefined ? undefined : `(${a})${o}(${b})`;
      }
      case 'call': {
        if (!['sin', 'cos', 'sqrt', 'exp'].includes(e.fn)) return undefined;
        const a = this.inlineParam(e.args[0]);
        return a === undefined ? undefined : `${e.fn}(${a})`;
      }
      default:
        return undefined;
    }
  }

  private set(target: ClassicalTarget, value: ClassicalExpr): void {
    if ('var' in target) {
      const m = this.varMem(target.var);
      this.moveInto(m.ref, m.type, this.value(value));
      return;
    }
    if ('clbits' in target) {
      if (target.clbits.length === 1) {
        const v = this.value(value);
        const ref = this.clbitRef[target.clbits[0]];
        if (v.type === 'BIT' && v.mem) this.lines.push(`MOVE ${ref} ${v.text}`);
        else if (!v.mem) this.lines.push(`MOVE ${ref} ${Math.abs(Math.trunc(Number(v.text))) % 2}`);
        else {
          // The low bit of an integer.
          const t = this.into(v, 'INTEGER');
          this.lines.push(`AND ${t} 1`, `CONVERT ${ref} ${t}`);
        }
        return;
      }
      const v = this.into(this.value(value), 'INTEGER');
      for (const b of target.clbits) {
        const bit = this.temp('INTEGER');
        this.lines.push(
          `MOVE ${bit} ${v}`,
          `AND ${bit} 1`,
          `CONVERT ${this.clbitRef[b]} ${bit}`,
          `SUB ${v} ${bit}`,
          `DIV ${v} 2`,
        );
      }
      return;
    }
    const region = this.varRegions.find((r) => r.first === target.first && r.length === target.length);
    if (!region) throw new TranslationError('indexing variables that are not one array', LANG);
    const at = this.into(this.value(target.at), 'INTEGER');
    const v = this.value(value);
    const src = v.mem ? (v.type !== region.type ? this.into(v, region.type) : v.text) : immediate(v.text, region.type);
    this.lines.push(`STORE ${region.name} ${at} ${src}`);
  }

  private measureVar(qubit: number, target: ClassicalTarget, bit: number): void {
    if ('clbits' in target) {
      const clbit = target.clbits[bit];
      if (clbit === undefined) throw new TranslationError('a measurement into a missing bit', LANG);
      this.lines.push(`MEASURE ${qubit} ${this.clbitRef[clbit]}`);
      return;
    }
    if (!('var' in target)) throw new TranslationError('a measurement into an array element', LANG);
    const m = this.varMem(target.var);
    const b = this.temp('BIT');
    this.lines.push(`MEASURE ${qubit} ${b}`);
    if (m.type === 'BIT') {
      if (bit === 0) this.lines.push(`MOVE ${m.ref} ${b}`);
      return;
    }
    // value = (value without bit `bit`) + outcome * 2^bit
    const weight = 2 ** bit;
    const cur = this.into({ text: m.ref, type: m.type, mem: true }, 'INTEGER');
    const has = this.temp('INTEGER');
    const keep = this.label('keep');
    const set = this.label('set');
    this.lines.push(
      `MOVE ${has} ${cur}`,
      `DIV ${has} ${weight}`,
      `AND ${has} 1`,
      `JUMP-UNLESS @${keep} ${has}`,
      `SUB ${cur} ${weight}`,
      `LABEL @${keep}`,
      `JUMP-UNLESS @${set} ${b}`,
      `ADD ${cur} ${weight}`,
      `LABEL @${set}`,
    );
    this.moveInto(m.ref, m.type, { text: cur, type: 'INTEGER', mem: true });
  }
}

/** A number written for memory of `type`: REAL keeps it (with a dot), integers are truncated toward zero. */
function immediate(text: string, type: MemType): string {
  return type === 'REAL' ? fmtReal(Number(text)) : fmt(Math.trunc(Number(text)));
}

function memType(v: ClassicalVar): MemType {
  return v.type === 'float' || v.type === 'angle' ? 'REAL' : v.type === 'bit' ? 'INTEGER' : 'INTEGER';
}

function usesQubit(ops: Op[], q: number): boolean {
  for (const op of ops) {
    switch (op.kind) {
      case 'gate':
      case 'dgate':
        if (op.target === q || op.controls.includes(q)) return true;
        break;
      case 'swap':
        if (op.a === q || op.b === q || op.controls.includes(q)) return true;
        break;
      case 'measure':
      case 'reset':
      case 'measure-var':
        if (op.qubit === q) return true;
        break;
      case 'if':
        if (usesQubit(op.body, q)) return true;
        break;
      case 'branch':
        if (usesQubit(op.then, q) || usesQubit(op.otherwise, q)) return true;
        break;
      case 'while':
        if (usesQubit(op.body, q)) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

export function emit(circuit: Circuit): Emitted {
  return new Emitter(circuit).run();
}
