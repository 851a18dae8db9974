import { CircuitError } from '../circuit/circuit';
import type {
  DefCircuit,
  DefGate,
  Expr,
  Instr,
  MemRef,
  MemoryType,
  Modifier,
  Operand,
  PauliTerm,
  Pos,
  Program,
  QubitArg,
} from './ast';
import { show, type Token } from './lexer';

/**
 * Parser of Quil 2 (the instruction set of the Quil specification without Quil-T). One
 * instruction per line; DEFGATE and DEFCIRCUIT bodies are the lines that follow them indented
 * deeper than the DEFGATE/DEFCIRCUIT keyword.
 * Keywords are case-sensitive, as in the specification.
 */

const MODIFIERS = new Set(['CONTROLLED', 'DAGGER', 'FORKED']);
const ARITH = new Set(['AND', 'IOR', 'XOR', 'ADD', 'SUB', 'MUL', 'DIV']);
const COMPARE = new Set(['EQ', 'GT', 'GE', 'LT', 'LE']);
const TYPES = new Set(['BIT', 'OCTET', 'INTEGER', 'REAL']);
const QUIL_T = new Set([
  'DEFCAL',
  'DEFFRAME',
  'DEFWAVEFORM',
  'PULSE',
  'CAPTURE',
  'RAW-CAPTURE',
  'SET-FREQUENCY',
  'SHIFT-FREQUENCY',
  'SET-PHASE',
  'SHIFT-PHASE',
  'SET-SCALE',
  'SWAP-PHASES',
]);
/** Largest qubit index, memory length and permutation size the front end accepts. */
export const MAX_INDEX = 1 << 20;
const MAX_EXPR_DEPTH = 200;

export class Parser {
  private i = 0;
  private depth = 0;
  private readonly gates = new Map<string, DefGate>();
  private readonly circuits = new Map<string, DefCircuit>();

  constructor(private readonly toks: Token[]) {}

  private get t(): Token {
    return this.toks[this.i];
  }
  private peek(k = 1): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }
  private pos(t: Token = this.t): Pos {
    return { line: t.line, col: t.col };
  }
  private fail(msg: string, t: Token = this.t): never {
    throw new CircuitError(msg, t.line, t.col);
  }
  private next(): Token {
    const t = this.t;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isOp(op: string): boolean {
    return this.t.kind === 'op' && this.t.text === op;
  }
  private expectOp(op: string, what: string): Token {
    if (!this.isOp(op)) this.fail(`expected '${op}' ${what}, found ${show(this.t)}`);
    return this.next();
  }
  private expectId(what: string): Token {
    if (this.t.kind !== 'id') this.fail(`expected ${what}, found ${show(this.t)}`);
    return this.next();
  }
  private endOfInstruction(what: string): void {
    if (this.t.kind !== 'nl' && this.t.kind !== 'eof') this.fail(`unexpected ${show(this.t)} after ${what}`);
  }
  private skipNewlines(): void {
    while (this.t.kind === 'nl') this.i++;
  }

  parseProgram(): Program {
    const instrs: Instr[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.t.kind === 'eof') break;
      const t = this.t;
      if (t.kind === 'id' && t.text === 'DEFGATE') {
        this.parseDefGate();
        continue;
      }
      if (t.kind === 'id' && t.text === 'DEFCIRCUIT') {
        this.parseDefCircuit();
        continue;
      }
      instrs.push(this.parseInstruction(false));
    }
    return { instrs, gates: this.gates, circuits: this.circuits };
  }

  // ---- DEFGATE / DEFCIRCUIT --------------------------------------------------------------

  private parseParamList(): string[] {
    const params: string[] = [];
    if (!this.isOp('(')) return params;
    this.next();
    for (;;) {
      if (this.t.kind !== 'param') this.fail(`expected a parameter such as %theta, found ${show(this.t)}`);
      const name = this.next().text;
      if (params.includes(name)) this.fail(`duplicate parameter '%${name}'`, this.peek(-1));
      params.push(name);
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      this.expectOp(')', 'after the parameters');
      return params;
    }
  }

  private parseDefGate(): void {
    const kw = this.next();
    const nameTok = this.expectId('a gate name after DEFGATE');
    const name = nameTok.text;
    const params = this.parseParamList();
    let kind: DefGate['kind'] = 'MATRIX';
    // Qubit names (PAULI-SUM gates) and the AS clause.
    const qubits: string[] = [];
    while (this.t.kind === 'id' && this.t.text !== 'AS') {
      const q = this.next();
      if (qubits.includes(q.text)) this.fail(`duplicate qubit argument '${q.text}'`, q);
      qubits.push(q.text);
    }
    if (this.t.kind === 'id' && this.t.text === 'AS') {
      this.next();
      const k = this.expectId('MATRIX, PERMUTATION or PAULI-SUM after AS');
      if (k.text !== 'MATRIX' && k.text !== 'PERMUTATION' && k.text !== 'PAULI-SUM') {
        this.fail(`expected MATRIX, PERMUTATION or PAULI-SUM after AS, found ${show(k)}`, k);
      }
      kind = k.text;
    }
    if (kind === 'PAULI-SUM' ? qubits.length === 0 : qubits.length > 0) {
      this.fail(
        kind === 'PAULI-SUM' ? 'a PAULI-SUM DEFGATE names its qubits' : `only PAULI-SUM gates name their qubits`,
        nameTok,
      );
    }
    this.expectOp(':', 'at the end of the DEFGATE line');
    this.endOfInstruction('DEFGATE ...:');
    const rows: Expr[][] = [];
    const terms: PauliTerm[] = [];
    for (;;) {
      this.skipNewlines();
      if (!this.t.indented || this.t.col <= kw.col) break;
      if (kind === 'PAULI-SUM') {
        terms.push(this.parsePauliTerm(qubits));
        continue;
      }
      const row: Expr[] = [];
      for (;;) {
        row.push(this.parseExpr());
        if (this.isOp(',')) {
          this.next();
          continue;
        }
        break;
      }
      this.endOfInstruction('a matrix row');
      rows.push(row);
    }
    if (rows.length === 0 && terms.length === 0) {
      this.fail(
        `DEFGATE ${name} has no ${kind === 'MATRIX' ? 'matrix' : kind === 'PERMUTATION' ? 'permutation' : 'terms'}`,
        kw,
      );
    }
    if (this.gates.has(name) || this.circuits.has(name)) this.fail(`'${name}' is already defined`, nameTok);
    this.gates.set(name, { name, params, kind, rows, qubits, terms, pos: this.pos(kw) });
  }

  /** `ZZ(expr) p q`: a Pauli word, its coefficient, the qubits it acts on. */
  private parsePauliTerm(qubits: string[]): PauliTerm {
    const word = this.expectId('a Pauli word such as ZZ');
    if (!/^[IXYZ]+$/.test(word.text)) this.fail(`'${word.text}' is not a Pauli word (letters I, X, Y, Z)`, word);
    this.expectOp('(', 'before the coefficient');
    const coef = this.parseExpr();
    this.expectOp(')', 'after the coefficient');
    const on: number[] = [];
    while (this.t.kind === 'id') {
      const q = this.next();
      const k = qubits.indexOf(q.text);
      if (k < 0) this.fail(`unknown qubit '${q.text}' (the gate's qubits are ${qubits.join(', ')})`, q);
      if (on.includes(k)) this.fail(`qubit '${q.text}' appears twice in a term`, q);
      on.push(k);
    }
    if (on.length !== word.text.length) {
      this.fail(`the Pauli word ${word.text} needs ${word.text.length} qubits, not ${on.length}`, word);
    }
    this.endOfInstruction('a Pauli term');
    return { word: word.text, coef, qubits: on, pos: this.pos(word) };
  }

  private parseDefCircuit(): void {
    const kw = this.next();
    const nameTok = this.expectId('a circuit name after DEFCIRCUIT');
    const name = nameTok.text;
    const params = this.parseParamList();
    const qubits: string[] = [];
    while (this.t.kind === 'id') {
      const q = this.next();
      if (qubits.includes(q.text)) this.fail(`duplicate qubit argument '${q.text}'`, q);
      qubits.push(q.text);
    }
    this.expectOp(':', 'at the end of the DEFCIRCUIT line');
    this.endOfInstruction('DEFCIRCUIT ...:');
    const body: Instr[] = [];
    for (;;) {
      this.skipNewlines();
      if (!this.t.indented || this.t.col <= kw.col) break;
      const first: Token = this.t;
      if (first.kind === 'id' && (first.text === 'DEFGATE' || first.text === 'DEFCIRCUIT')) {
        this.fail(`${first.text} inside DEFCIRCUIT is not allowed`);
      }
      const ins = this.parseInstruction(true);
      if (ins.k === 'declare') this.fail('DECLARE inside DEFCIRCUIT is not allowed', this.toks[this.i - 1]);
      body.push(ins);
    }
    if (this.gates.has(name) || this.circuits.has(name)) this.fail(`'${name}' is already defined`, nameTok);
    this.circuits.set(name, { name, params, qubits, body, pos: this.pos(kw) });
  }

  // ---- instructions ---------------------------------------------------------------------------

  private parseInstruction(inCircuit: boolean): Instr {
    const t = this.t;
    if (t.kind !== 'id') this.fail(`expected an instruction, found ${show(t)}`);
    const pos = this.pos(t);
    const ins = this.parseInstructionBody(t, pos, inCircuit);
    this.endOfInstruction(t.text);
    return ins;
  }

  private parseInstructionBody(t: Token, pos: Pos, inCircuit: boolean): Instr {
    const word = t.text;
    switch (word) {
      case 'DECLARE':
        return this.parseDeclare();
      case 'MEASURE': {
        this.next();
        const qubit = this.parseQubit(inCircuit);
        if (this.t.kind === 'nl' || this.t.kind === 'eof') return { k: 'measure', qubit, pos };
        return { k: 'measure', qubit, target: this.parseMemRef(), pos };
      }
      case 'RESET':
        this.next();
        if (this.t.kind === 'nl' || this.t.kind === 'eof') return { k: 'reset', pos };
        return { k: 'reset', qubit: this.parseQubit(inCircuit), pos };
      case 'HALT':
        this.next();
        return { k: 'halt', pos };
      case 'NOP':
        this.next();
        return { k: 'nop', pos };
      case 'WAIT':
        this.next();
        return { k: 'wait', pos };
      case 'PRAGMA':
        this.next();
        while (this.t.kind !== 'nl' && this.t.kind !== 'eof') this.next();
        return { k: 'pragma', pos };
      case 'FENCE': {
        this.next();
        const qubits: QubitArg[] = [];
        while (this.t.kind !== 'nl' && this.t.kind !== 'eof') qubits.push(this.parseQubit(inCircuit));
        return { k: 'fence', qubits, pos };
      }
      case 'DELAY':
        this.next();
        while (this.t.kind !== 'nl' && this.t.kind !== 'eof') this.next();
        return { k: 'delay', pos };
      case 'LABEL':
        this.next();
        return { k: 'label', name: this.parseLabel(), pos };
      case 'JUMP':
        this.next();
        return { k: 'jump', label: this.parseLabel(), pos };
      case 'JUMP-WHEN':
      case 'JUMP-UNLESS': {
        this.next();
        const label = this.parseLabel();
        return { k: word === 'JUMP-WHEN' ? 'jump-when' : 'jump-unless', label, cond: this.parseMemRef(), pos };
      }
      case 'MOVE':
      case 'EXCHANGE':
      case 'CONVERT': {
        this.next();
        const a = this.parseMemRef();
        const b = word === 'MOVE' ? this.parseOperand() : this.memOperand();
        return { k: word === 'MOVE' ? 'move' : word === 'EXCHANGE' ? 'exchange' : 'convert', a, b, pos };
      }
      case 'NEG':
      case 'NOT':
        this.next();
        return { k: 'unary', op: word, a: this.parseMemRef(), pos };
      case 'LOAD': {
        this.next();
        const a = this.parseMemRef();
        const region = this.expectId('a memory region').text;
        return { k: 'load', a, region, index: this.parseMemRef(), pos };
      }
      case 'STORE': {
        this.next();
        const region = this.expectId('a memory region').text;
        const index = this.parseMemRef();
        return { k: 'store', region, index, b: this.parseOperand(), pos };
      }
      case 'INCLUDE':
        this.fail('INCLUDE is not supported', t);
        break;
      case 'DEFGATE':
      case 'DEFCIRCUIT':
        this.fail(`${word} must start at the beginning of a line`, t);
        break;
      default:
        break;
    }
    if (ARITH.has(word)) {
      this.next();
      const a = this.parseMemRef();
      return { k: 'arith', op: word as 'ADD', a, b: this.parseOperand(), pos };
    }
    if (COMPARE.has(word)) {
      this.next();
      const r = this.parseMemRef();
      const a = this.parseMemRef();
      return { k: 'compare', op: word as 'EQ', r, a, b: this.parseOperand(), pos };
    }
    if (QUIL_T.has(word)) this.fail(`${word} (Quil-T, pulse-level control) is not supported`, t);
    return this.parseGate(pos, inCircuit);
  }

  private parseDeclare(): Instr {
    const kw = this.next();
    const name = this.expectId('a memory region name after DECLARE').text;
    const typeTok = this.expectId('a memory type (BIT, OCTET, INTEGER or REAL)');
    if (!TYPES.has(typeTok.text)) {
      this.fail(`unknown memory type '${typeTok.text}' (expected BIT, OCTET, INTEGER or REAL)`, typeTok);
    }
    let length = 1;
    if (this.isOp('[')) {
      this.next();
      const n = this.t;
      if (n.kind !== 'num' || !n.integer) this.fail(`expected the length of '${name}', found ${show(n)}`);
      this.next();
      if (n.value < 1 || n.value > MAX_INDEX) this.fail(`memory length ${n.text} out of range (1 to ${MAX_INDEX})`, n);
      length = n.value;
      this.expectOp(']', 'after the memory length');
    }
    if (this.t.kind === 'id' && this.t.text === 'SHARING') this.fail('DECLARE ... SHARING is not supported');
    return { k: 'declare', name, type: typeTok.text as MemoryType, length, pos: this.pos(kw) };
  }

  private parseLabel(): string {
    if (this.t.kind !== 'label') this.fail(`expected a label such as @loop, found ${show(this.t)}`);
    return this.next().text;
  }

  private parseQubit(inCircuit: boolean): QubitArg {
    const t = this.t;
    if (t.kind === 'num' && t.integer) {
      this.next();
      if (t.value >= MAX_INDEX) this.fail(`qubit index ${t.text} too large (at most ${MAX_INDEX - 1})`, t);
      return { k: 'index', index: t.value, pos: this.pos(t) };
    }
    if (t.kind === 'id' && inCircuit) {
      this.next();
      return { k: 'formal', name: t.text, pos: this.pos(t) };
    }
    return this.fail(`expected a qubit index, found ${show(t)}`);
  }

  private parseMemRef(): MemRef {
    const t = this.t;
    if (t.kind !== 'id') this.fail(`expected a memory reference such as ro[0], found ${show(t)}`);
    this.next();
    let index = 0;
    if (this.isOp('[')) {
      this.next();
      const n = this.t;
      if (n.kind !== 'num' || !n.integer) this.fail(`expected an index, found ${show(n)}`);
      this.next();
      if (n.value >= MAX_INDEX) this.fail(`index ${n.text} out of range`, n);
      index = n.value;
      this.expectOp(']', 'after the index');
    }
    return { name: t.text, index, pos: this.pos(t) };
  }

  private memOperand(): Operand {
    const pos = this.pos();
    return { k: 'mem', ref: this.parseMemRef(), pos };
  }

  private parseOperand(): Operand {
    const t = this.t;
    const pos = this.pos(t);
    let sign = 1;
    if (this.isOp('-') && this.peek().kind === 'num') {
      this.next();
      sign = -1;
    }
    if (this.t.kind === 'num') {
      const n = this.next();
      return { k: 'imm', value: sign * n.value, integer: n.integer, pos };
    }
    if (sign < 0) this.fail(`expected a number, found ${show(this.t)}`);
    if (t.kind === 'id') return { k: 'mem', ref: this.parseMemRef(), pos };
    return this.fail(`expected a memory reference or a number, found ${show(t)}`);
  }

  private parseGate(pos: Pos, inCircuit: boolean): Instr {
    const mods: { mod: Modifier; pos: Pos }[] = [];
    while (this.t.kind === 'id' && MODIFIERS.has(this.t.text)) {
      const m = this.next();
      mods.push({ mod: m.text as Modifier, pos: this.pos(m) });
    }
    const nameTok = this.expectId('a gate name');
    const params: Expr[] = [];
    if (this.isOp('(')) {
      this.next();
      for (;;) {
        params.push(this.parseExpr());
        if (this.isOp(',')) {
          this.next();
          continue;
        }
        this.expectOp(')', 'after the gate parameters');
        break;
      }
    }
    const qubits: QubitArg[] = [];
    while (this.t.kind !== 'nl' && this.t.kind !== 'eof') qubits.push(this.parseQubit(inCircuit));
    if (qubits.length === 0) this.fail(`expected the qubits of '${nameTok.text}', found ${show(this.t)}`);
    return { k: 'gate', mods, name: nameTok.text, params, qubits, pos: mods.length ? pos : this.pos(nameTok) };
  }

  // ---- expressions ------------------------------------------------------------------------------

  parseExpr(): Expr {
    if (++this.depth > MAX_EXPR_DEPTH) this.fail('expression too deeply nested');
    try {
      let a = this.parseTerm();
      while (this.isOp('+') || this.isOp('-')) {
        const op = this.next();
        a = { k: 'bin', op: op.text as '+', a, b: this.parseTerm(), pos: this.pos(op) };
      }
      return a;
    } finally {
      this.depth--;
    }
  }

  private parseTerm(): Expr {
    let a = this.parseUnary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = this.next();
      a = { k: 'bin', op: op.text as '*', a, b: this.parseUnary(), pos: this.pos(op) };
    }
    return a;
  }

  private parseUnary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.next();
      if (++this.depth > MAX_EXPR_DEPTH) this.fail('expression too deeply nested', op);
      try {
        const a = this.parseUnary();
        return op.text === '-' ? { k: 'neg', a, pos: this.pos(op) } : a;
      } finally {
        this.depth--;
      }
    }
    return this.parsePower();
  }

  /** `^` is right-associative and binds tighter than unary minus on its left. */
  private parsePower(): Expr {
    const a = this.parseAtom();
    if (this.isOp('^')) {
      const op = this.next();
      if (++this.depth > MAX_EXPR_DEPTH) this.fail('expression too deeply nested', op);
      try {
        return { k: 'bin', op: '^', a, b: this.parseUnary(), pos: this.pos(op) };
      } finally {
        this.depth--;
      }
    }
    return a;
  }

  private parseAtom(): Expr {
    const t = this.t;
    const pos = this.pos(t);
    if (t.kind === 'num') {
      this.next();
      return { k: 'num', re: t.value, im: 0, pos };
    }
    if (t.kind === 'imag') {
      this.next();
      return { k: 'num', re: 0, im: t.value, pos };
    }
    if (t.kind === 'param') {
      this.next();
      return { k: 'param', name: t.text, pos };
    }
    if (this.isOp('(')) {
      this.next();
      const e = this.parseExpr();
      this.expectOp(')', 'to close the parenthesis');
      return e;
    }
    if (t.kind === 'id') {
      if (t.text === 'pi') {
        this.next();
        return { k: 'pi', pos };
      }
      if (t.text === 'i') {
        this.next();
        return { k: 'num', re: 0, im: 1, pos };
      }
      if (this.peek().kind === 'op' && this.peek().text === '(') {
        const fn = this.next().text;
        if (!FUNCTIONS.has(fn)) this.fail(`unknown function '${fn}' (Quil has ${[...FUNCTIONS].join(', ')})`, t);
        this.next();
        const arg = this.parseExpr();
        this.expectOp(')', `to close ${fn}(`);
        return { k: 'call', fn, arg, pos };
      }
      return { k: 'mem', ref: this.parseMemRef(), pos };
    }
    return this.fail(`expected an expression, found ${show(t)}`);
  }
}

export const FUNCTIONS = new Set(['sin', 'cos', 'sqrt', 'exp', 'cis']);
