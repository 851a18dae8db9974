import { CircuitError } from '../circuit/circuit';
import type {
  ClassicalType,
  Expr,
  GateBodyStmt,
  GateCall,
  GateDefStmt,
  IndexSpec,
  Modifier,
  Operand,
  Pos,
  Program,
  Stmt,
} from './ast';
import { show, type Token } from './lexer';

/** Deepest expression tree accepted (a chain like 1+1+...+1 counts one level per operator). */
export const MAX_EXPR_DEPTH = 1000;
/** Deepest nesting of parentheses and unary operators while parsing. */
const MAX_PAREN_NESTING = 200;
/** Deepest nesting of blocks (if, for, { }). */
const MAX_BLOCK_NESTING = 200;

/** OpenQASM 3 keywords whose features this front end does not implement, with the feature's name. */
const UNSUPPORTED_V3 = new Map<string, string>(
  Object.entries({
    while: 'while',
    def: 'def',
    delay: 'delay',
    box: 'box',
    input: 'input',
    output: 'output',
    extern: 'extern',
    cal: 'cal',
    defcal: 'defcal',
    defcalgrammar: 'defcalgrammar',
    let: 'let',
    return: 'return',
    break: 'break',
    continue: 'continue',
    end: 'end',
    switch: 'switch',
    case: 'switch',
    default: 'switch',
    opaque: 'opaque',
    durationof: 'durationof',
    duration: 'duration',
    stretch: 'stretch',
    complex: 'complex',
    array: 'array',
    bool: 'bool',
    readonly: 'array references',
    mutable: 'array references',
    sizeof: 'sizeof',
    nop: 'nop',
    pragma: 'pragma',
  }),
);

/** Words that name a classical scalar type. */
const CLASSICAL_TYPES = new Set(['int', 'uint', 'float', 'angle']);

/** Identifiers OpenQASM 3 reserves; they cannot name gates, registers or constants. */
export const RESERVED_V3 = new Set([
  ...UNSUPPORTED_V3.keys(),
  ...CLASSICAL_TYPES,
  'OPENQASM',
  'include',
  'qubit',
  'bit',
  'qreg',
  'creg',
  'const',
  'gate',
  'measure',
  'reset',
  'barrier',
  'if',
  'else',
  'for',
  'in',
  'gphase',
  'U',
  'ctrl',
  'negctrl',
  'inv',
  'pow',
  'true',
  'false',
  'pi',
  'π',
  'tau',
  'τ',
  'euler',
  'ℇ',
]);
export const RESERVED_V2 = new Set([
  'OPENQASM',
  'include',
  'qreg',
  'creg',
  'gate',
  'opaque',
  'measure',
  'reset',
  'barrier',
  'if',
  'U',
  'CX',
  'pi',
]);

export class Parser {
  private i = 0;
  private parenNesting = 0;
  private blockNesting = 0;
  private readonly v3: boolean;

  constructor(
    private readonly toks: Token[],
    private readonly version: 2 | 3,
    /** OpenQASM 2 without its header, starting with `include "qelib1.inc";`. */
    private readonly headerless = false,
  ) {
    this.v3 = version === 3;
  }

  // ---- token helpers ----

  private peek(offset = 0): Token {
    const k = this.i + offset;
    return this.toks[k < this.toks.length ? k : this.toks.length - 1];
  }
  private next(): Token {
    const t = this.toks[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isOp(t: Token, s: string): boolean {
    return t.kind === 'op' && t.text === s;
  }
  private isId(t: Token, s: string): boolean {
    return t.kind === 'id' && t.text === s;
  }
  private fail(msg: string, at: Pos): never {
    throw new CircuitError(msg, at.line, at.col);
  }
  private feature(name: string, at: Pos): never {
    this.fail(`OpenQASM 3 feature '${name}' is not supported`, at);
  }
  private expectOp(s: string): Token {
    const t = this.peek();
    if (!this.isOp(t, s)) this.fail(`expected '${s}' but found ${show(t)}`, t);
    return this.next();
  }
  private eatOp(s: string): boolean {
    if (this.isOp(this.peek(), s)) {
      this.next();
      return true;
    }
    return false;
  }
  private expectId(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'id') this.fail(`expected ${what} but found ${show(t)}`, t);
    return this.next();
  }
  /** An identifier that names something new (register, gate, parameter, constant, loop variable). */
  private expectNewName(noun: string): Token {
    const t = this.expectId(`a ${noun} name`);
    if ((this.v3 ? RESERVED_V3 : RESERVED_V2).has(t.text))
      this.fail(`'${t.text}' is a reserved word and cannot be used as a ${noun} name`, t);
    return t;
  }
  private pos(t: Token): Pos {
    return { line: t.line, col: t.col };
  }

  // ---- program ----

  parseProgram(): Program {
    const first = this.peek();
    if (this.isId(first, 'OPENQASM')) {
      this.next();
      const vt = this.next();
      if (vt.kind !== 'int' && vt.kind !== 'float')
        this.fail(`expected a version number after 'OPENQASM' but found ${show(vt)}`, vt);
      const ok = this.v3 ? /^3(\.[01])?$/.test(vt.text) : /^2(\.0)?$/.test(vt.text);
      if (!ok) {
        const major = vt.text.split('.')[0];
        if ((major === '2' || major === '3') && major !== String(this.version)) {
          this.fail(`the program declares OpenQASM ${vt.text} but was submitted as QASM${this.version}`, vt);
        }
        this.fail(`unsupported OpenQASM version '${vt.text}'`, vt);
      }
      this.expectOp(';');
    } else if (!this.v3 && !this.headerless) {
      this.fail(`expected 'OPENQASM 2.0;' at the start of the program but found ${show(first)}`, first);
    }
    const statements: Stmt[] = [];
    while (this.peek().kind !== 'eof') statements.push(this.parseStatement(true));
    return { version: this.version, statements };
  }

  private parseStatement(global: boolean): Stmt {
    return this.v3 ? this.parseStatement3(global) : this.parseStatement2();
  }

  // ---- OpenQASM 2 ----

  private parseStatement2(): Stmt {
    const t = this.peek();
    if (t.kind !== 'id') this.fail(`expected a statement but found ${show(t)}`, t);
    switch (t.text) {
      case 'OPENQASM':
        this.fail(`'OPENQASM' must be the first statement of the program`, t);
      // falls through (fail never returns)
      case 'include':
        return this.parseInclude();
      case 'qreg':
      case 'creg':
        return this.parseOldRegister();
      case 'gate':
        return this.parseGateDef();
      case 'opaque': {
        this.next();
        const name = this.expectId('a gate name');
        this.fail(`opaque gate '${name.text}' is not supported`, name);
      }
      // falls through
      case 'barrier':
        return this.parseBarrier();
      case 'measure':
        return this.parseMeasureArrow();
      case 'reset': {
        this.next();
        const operand = this.parseOperand();
        this.expectOp(';');
        return { k: 'reset', operands: [operand], ...this.pos(t) };
      }
      case 'if':
        return this.parseIf2();
      default:
        return this.parseGateCall();
    }
  }

  private parseIf2(): Stmt {
    const kw = this.next();
    this.expectOp('(');
    const name = this.expectId('a classical register name');
    let left: Expr = { k: 'id', name: name.text, depth: 1, ...this.pos(name) };
    if (this.isOp(this.peek(), '[')) {
      const lb = this.next();
      const idx = this.parseIndexInt2();
      this.expectOp(']');
      left = {
        k: 'index',
        name: name.text,
        namePos: this.pos(name),
        index: { k: 'single', expr: idx, ...this.pos(lb) },
        depth: 2,
        ...this.pos(name),
      };
    }
    const eq = this.peek();
    if (!this.isOp(eq, '==')) this.fail(`expected '==' but found ${show(eq)}`, eq);
    this.next();
    const vt = this.peek();
    if (vt.kind !== 'int') this.fail(`expected an integer but found ${show(vt)}`, vt);
    this.next();
    const right: Expr = { k: 'num', value: vt.value, isInt: true, depth: 1, ...this.pos(vt) };
    this.expectOp(')');
    const bt = this.peek();
    let body: Stmt;
    if (this.isId(bt, 'measure')) body = this.parseMeasureArrow();
    else if (this.isId(bt, 'reset')) body = this.parseStatement2();
    else if (
      bt.kind === 'id' &&
      !['if', 'barrier', 'gate', 'opaque', 'qreg', 'creg', 'include', 'OPENQASM'].includes(bt.text)
    ) {
      body = this.parseGateCall();
    } else this.fail(`expected a gate, 'measure' or 'reset' after 'if (...)' but found ${show(bt)}`, bt);
    const cond: Expr = { k: 'binary', op: '==', left, right, depth: 3, ...this.pos(eq) };
    return { k: 'if', cond, then: [body], qasm2: true, ...this.pos(kw) };
  }

  private parseIndexInt2(): Expr {
    const t = this.peek();
    if (t.kind !== 'int') this.fail(`expected an integer index but found ${show(t)}`, t);
    this.next();
    return { k: 'num', value: t.value, isInt: true, depth: 1, ...this.pos(t) };
  }

  private parseOldRegister(): Stmt {
    const kw = this.next();
    const name = this.expectNewName('register');
    this.expectOp('[');
    let size: Expr;
    if (this.v3) size = this.parseExpr();
    else size = this.parseIndexInt2();
    this.expectOp(']');
    this.expectOp(';');
    return { k: kw.text === 'qreg' ? 'qreg' : 'creg', name: name.text, size, ...this.pos(name) };
  }

  private parseInclude(): Stmt {
    this.next();
    const f = this.peek();
    if (f.kind !== 'str') this.fail(`expected a file name in quotes after 'include' but found ${show(f)}`, f);
    this.next();
    this.expectOp(';');
    return { k: 'include', file: f.text, ...this.pos(f) };
  }

  private parseMeasureArrow(): Stmt {
    const kw = this.next();
    const qubits = this.parseOperand();
    const arrow = this.peek();
    if (!this.isOp(arrow, '->')) {
      if (this.v3 && this.isOp(arrow, ';')) this.feature('measure without a target bit', kw);
      this.fail(`expected '->' but found ${show(arrow)}`, arrow);
    }
    this.next();
    const bits = this.parseOperand();
    this.expectOp(';');
    return { k: 'measure', qubits, bits, ...this.pos(kw) };
  }

  private parseBarrier(): Stmt & { k: 'barrier' } {
    const kw = this.next();
    const operands: Operand[] = [];
    if (!(this.v3 && this.isOp(this.peek(), ';'))) {
      operands.push(this.parseOperand());
      while (this.eatOp(',')) operands.push(this.parseOperand());
    }
    this.expectOp(';');
    return { k: 'barrier', operands, ...this.pos(kw) };
  }

  private parseGateDef(): GateDefStmt {
    this.next();
    const name = this.expectNewName('gate');
    const params: (Pos & { name: string })[] = [];
    if (this.eatOp('(')) {
      if (!this.isOp(this.peek(), ')')) {
        do {
          const t = this.peek();
          if (this.v3 && t.kind === 'id' && (CLASSICAL_TYPES.has(t.text) || this.isOp(this.peek(1), ':'))) {
            this.feature('typed gate parameters', t);
          }
          const p = this.expectNewName('parameter');
          params.push({ name: p.text, ...this.pos(p) });
        } while (this.eatOp(','));
      }
      this.expectOp(')');
    }
    const qubits: (Pos & { name: string })[] = [];
    do {
      const q = this.expectNewName('qubit argument');
      if (this.isOp(this.peek(), '[')) this.fail(`gate qubit arguments cannot have a size`, this.peek());
      qubits.push({ name: q.text, ...this.pos(q) });
    } while (this.eatOp(','));
    this.expectOp('{');
    const body: GateBodyStmt[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '}')) break;
      if (t.kind === 'eof') this.fail(`expected '}' but found end of input`, t);
      body.push(this.parseGateBodyStmt());
    }
    this.next();
    return { k: 'gatedef', name: name.text, params, qubits, body, ...this.pos(name) };
  }

  private parseGateBodyStmt(): GateBodyStmt {
    const t = this.peek();
    if (t.kind === 'id') {
      if (t.text === 'barrier') return this.parseBarrier();
      const notAllowed = [
        'measure',
        'reset',
        'if',
        'for',
        'gate',
        'qreg',
        'creg',
        'qubit',
        'bit',
        'include',
        'const',
        'opaque',
        'OPENQASM',
      ];
      if (notAllowed.includes(t.text)) {
        if (this.v3 && (t.text === 'for' || t.text === 'if')) this.feature(`'${t.text}' inside a gate definition`, t);
        this.fail(`'${t.text}' is not allowed inside a gate definition`, t);
      }
      const unsupported = this.v3 ? UNSUPPORTED_V3.get(t.text) : undefined;
      if (unsupported) this.feature(unsupported, t);
      return this.parseGateCall();
    }
    this.fail(`expected a gate call but found ${show(t)}`, t);
  }

  /** Gate call, with OpenQASM 3 modifiers when enabled. */
  private parseGateCall(): GateCall {
    const start = this.peek();
    const modifiers: Modifier[] = [];
    if (this.v3) {
      for (;;) {
        const t = this.peek();
        if (t.kind !== 'id' || !(t.text === 'ctrl' || t.text === 'negctrl' || t.text === 'inv' || t.text === 'pow'))
          break;
        this.next();
        const m: Modifier = { kind: t.text, ...this.pos(t) };
        if (this.isOp(this.peek(), '(')) {
          if (t.text === 'inv') this.fail(`'inv' takes no argument`, this.peek());
          this.next();
          m.arg = this.parseExpr();
          this.expectOp(')');
        } else if (t.text === 'pow') {
          this.fail(`expected '(' after 'pow' but found ${show(this.peek())}`, this.peek());
        }
        this.expectOp('@');
        modifiers.push(m);
      }
    }
    const name = this.peek();
    if (name.kind !== 'id') this.fail(`expected a gate name but found ${show(name)}`, name);
    const unsupported = this.v3 ? UNSUPPORTED_V3.get(name.text) : undefined;
    if (unsupported) this.feature(unsupported, name);
    this.next();
    const args: Expr[] = [];
    if (this.isOp(this.peek(), '(')) {
      this.next();
      if (!this.isOp(this.peek(), ')')) {
        do args.push(this.parseExpr());
        while (this.eatOp(','));
      }
      this.expectOp(')');
    }
    const operands: Operand[] = [];
    const after = this.peek();
    if (!this.isOp(after, ';') || !this.v3) {
      if (after.kind !== 'id' && !this.isOp(after, '$'))
        this.fail(`expected a qubit argument but found ${show(after)}`, after);
      operands.push(this.parseOperand());
      while (this.eatOp(',')) operands.push(this.parseOperand());
    }
    this.expectOp(';');
    return {
      k: 'call',
      modifiers,
      name: name.text,
      namePos: this.pos(name),
      args,
      operands,
      ...this.pos(modifiers.length ? start : name),
    };
  }

  private parseOperand(): Operand {
    const t = this.peek();
    if (this.isOp(t, '$')) {
      if (this.v3) this.feature('physical qubits', t);
      this.fail(`expected a register name but found '$'`, t);
    }
    const name = this.expectId('a register name');
    const operand: Operand = { name: name.text, ...this.pos(name) };
    if (this.isOp(this.peek(), '[')) {
      if (this.v3) operand.index = this.parseIndexSpec();
      else {
        const lb = this.next();
        operand.index = { k: 'single', expr: this.parseIndexInt2(), ...this.pos(lb) };
        this.expectOp(']');
      }
    }
    return operand;
  }

  // ---- OpenQASM 3 ----

  private parseStatement3(global: boolean): Stmt {
    const t = this.peek();
    if (t.kind === 'op') {
      if (t.text === '{') return this.parseBlock();
      if (t.text === '#') this.feature('pragma', t);
      if (t.text === '@') this.feature('annotations', t);
      if (t.text === '$') this.feature('physical qubits', t);
      this.fail(`expected a statement but found ${show(t)}`, t);
    }
    if (t.kind !== 'id') this.fail(`expected a statement but found ${show(t)}`, t);
    const globalOnly = (what: string) => {
      if (!global) this.fail(`${what} are only allowed at global scope`, t);
    };
    switch (t.text) {
      case 'OPENQASM':
        this.fail(`'OPENQASM' must be the first statement of the program`, t);
      // falls through
      case 'include':
        globalOnly('includes');
        return this.parseInclude();
      case 'qreg':
      case 'creg':
        globalOnly(`'${t.text}' declarations`);
        return this.parseOldRegister();
      case 'qubit':
      case 'bit':
        globalOnly(`'${t.text}' declarations`);
        return this.parseNewRegister();
      case 'const':
        return this.parseConst();
      case 'gate':
        globalOnly('gate definitions');
        return this.parseGateDef();
      case 'measure':
        return this.parseMeasureArrow();
      case 'reset': {
        this.next();
        const operand = this.parseOperand();
        this.expectOp(';');
        return { k: 'reset', operands: [operand], ...this.pos(t) };
      }
      case 'barrier':
        return this.parseBarrier();
      case 'if':
        return this.parseIf3();
      case 'for':
        return this.parseFor();
      case 'else':
        this.fail(`'else' without a matching 'if'`, t);
      // falls through
      case 'int':
      case 'uint':
      case 'float':
      case 'angle':
        this.feature('classical variables', t);
      // falls through
      default:
        break;
    }
    const unsupported = UNSUPPORTED_V3.get(t.text);
    if (unsupported) this.feature(unsupported, t);
    // Assignment: `c = measure q;`, `c[0] = measure q[0];`, anything else is classical assignment.
    const n1 = this.peek(1);
    if (
      n1.kind === 'op' &&
      (n1.text === '=' ||
        n1.text === '[' ||
        (n1.text.length >= 2 &&
          n1.text.endsWith('=') &&
          n1.text !== '==' &&
          n1.text !== '!=' &&
          n1.text !== '<=' &&
          n1.text !== '>='))
    ) {
      return this.parseAssignment();
    }
    const n2 = this.peek(2);
    if ((this.isOp(n1, '+') && this.isOp(n2, '+')) || (this.isOp(n1, '-') && this.isOp(n2, '-'))) {
      this.feature('classical assignment', n1);
    }
    return this.parseGateCall();
  }

  private parseAssignment(): Stmt {
    const bits = this.parseOperand();
    const eq = this.peek();
    if (!this.isOp(eq, '=')) {
      if (eq.kind === 'op' && eq.text.endsWith('=')) this.feature('classical assignment', eq);
      this.fail(`expected '=' but found ${show(eq)}`, eq);
    }
    this.next();
    const m = this.peek();
    if (!this.isId(m, 'measure')) this.feature('classical assignment', eq);
    this.next();
    const qubits = this.parseOperand();
    this.expectOp(';');
    return { k: 'measure', qubits, bits, ...this.pos(m) };
  }

  private parseNewRegister(): Stmt {
    const kw = this.next();
    let size: Expr | undefined;
    if (this.eatOp('[')) {
      size = this.parseExpr();
      this.expectOp(']');
    }
    const name = this.expectNewName('register');
    let init: Operand | undefined;
    if (this.isOp(this.peek(), '=')) {
      const eq = this.next();
      if (kw.text === 'qubit') this.fail(`qubits cannot be initialized`, eq);
      if (!this.isId(this.peek(), 'measure')) this.feature('bit initializers', this.peek());
      this.next();
      init = this.parseOperand();
    }
    this.expectOp(';');
    return { k: kw.text === 'qubit' ? 'qreg' : 'creg', name: name.text, size, init, ...this.pos(name) };
  }

  private parseConst(): Stmt {
    this.next();
    const tt = this.peek();
    if (tt.kind !== 'id') this.fail(`expected a type after 'const' but found ${show(tt)}`, tt);
    if (!CLASSICAL_TYPES.has(tt.text)) {
      if (['bool', 'bit', 'complex', 'duration', 'stretch', 'array'].includes(tt.text))
        this.feature(`const ${tt.text}`, tt);
      this.fail(`expected a type (int, uint, float or angle) after 'const' but found ${show(tt)}`, tt);
    }
    this.next();
    let width: Expr | undefined;
    if (this.isOp(this.peek(), '[')) {
      if (tt.text === 'angle') this.feature('angle with a bit width', this.peek());
      this.next();
      width = this.parseExpr();
      this.expectOp(']');
    }
    const name = this.expectNewName('constant');
    this.expectOp('=');
    const value = this.parseExpr();
    this.expectOp(';');
    return { k: 'const', type: tt.text as ClassicalType, width, name: name.text, value, ...this.pos(name) };
  }

  private enterBlock(at: Pos) {
    if (++this.blockNesting > MAX_BLOCK_NESTING)
      this.fail(`blocks are nested too deeply (more than ${MAX_BLOCK_NESTING} levels)`, at);
  }

  private parseBlock(): Stmt {
    const lb = this.peek();
    return { k: 'block', body: this.parseBody(), ...this.pos(lb) };
  }

  /** `{ stmt* }` or a single statement. */
  private parseBody(): Stmt[] {
    const t = this.peek();
    this.enterBlock(t);
    let body: Stmt[];
    if (this.isOp(t, '{')) {
      this.next();
      body = [];
      for (;;) {
        const s = this.peek();
        if (this.isOp(s, '}')) break;
        if (s.kind === 'eof') this.fail(`expected '}' but found end of input`, s);
        body.push(this.parseStatement(false));
      }
      this.next();
    } else {
      if (this.isOp(t, ';')) this.fail(`expected a statement but found ';'`, t);
      body = [this.parseStatement(false)];
    }
    this.blockNesting--;
    return body;
  }

  private parseIf3(): Stmt {
    const kw = this.next();
    this.expectOp('(');
    const cond = this.parseExpr();
    this.expectOp(')');
    const then = this.parseBody();
    let elseBody: Stmt[] | undefined;
    if (this.isId(this.peek(), 'else')) {
      this.next();
      elseBody = this.parseBody();
    }
    return { k: 'if', cond, then, else: elseBody, qasm2: false, ...this.pos(kw) };
  }

  private parseFor(): Stmt {
    const kw = this.next();
    let type: ClassicalType | undefined;
    const t1 = this.peek();
    if (t1.kind === 'id' && CLASSICAL_TYPES.has(t1.text)) {
      type = t1.text as ClassicalType;
      this.next();
      if (this.isOp(this.peek(), '[')) {
        this.next();
        this.parseExpr();
        this.expectOp(']');
      }
    } else if (t1.kind === 'id' && ['bit', 'bool', 'complex', 'duration'].includes(t1.text)) {
      this.feature(`for loops over ${t1.text} values`, t1);
    }
    const v = this.expectNewName('loop variable');
    const inTok = this.peek();
    if (!this.isId(inTok, 'in')) this.fail(`expected 'in' but found ${show(inTok)}`, inTok);
    this.next();
    const range = this.parseLoopValues();
    const body = this.parseBody();
    return { k: 'for', type, varName: v.text, varPos: this.pos(v), range, body, ...this.pos(kw) };
  }

  private parseLoopValues(): IndexSpec {
    const rt = this.peek();
    if (this.isOp(rt, '{')) return this.parseSet();
    if (rt.kind === 'id') this.feature('for loops over registers', rt);
    if (!this.isOp(rt, '[')) this.fail(`expected a range or a set after 'in' but found ${show(rt)}`, rt);
    const spec = this.parseIndexSpec();
    if (spec.k !== 'range') this.fail(`expected a range like [0:3] but found a single value`, spec);
    if (!spec.start || !spec.end) this.fail(`a for loop range needs a start and an end`, spec);
    return spec;
  }

  private parseSet(): IndexSpec {
    const lb = this.expectOp('{');
    const items: Expr[] = [];
    if (!this.isOp(this.peek(), '}')) {
      do items.push(this.parseExpr());
      while (this.eatOp(','));
    }
    this.expectOp('}');
    return { k: 'set', items, ...this.pos(lb) };
  }

  /** `[e]`, `[a:b]`, `[a:s:b]` (any part of a range may be omitted) or `[{a, b}]`. */
  private parseIndexSpec(): IndexSpec {
    const lb = this.expectOp('[');
    let spec: IndexSpec;
    if (this.isOp(this.peek(), '{')) {
      spec = this.parseSet();
    } else {
      const startExpr = this.isOp(this.peek(), ':') ? undefined : this.parseExpr();
      if (this.isOp(this.peek(), ':')) {
        this.next();
        const parts: (Expr | undefined)[] = [startExpr];
        parts.push(this.isOp(this.peek(), ':') || this.isOp(this.peek(), ']') ? undefined : this.parseExpr());
        if (this.eatOp(':')) parts.push(this.isOp(this.peek(), ']') ? undefined : this.parseExpr());
        spec =
          parts.length === 3
            ? { k: 'range', start: parts[0], step: parts[1], end: parts[2], ...this.pos(lb) }
            : { k: 'range', start: parts[0], end: parts[1], ...this.pos(lb) };
      } else {
        spec = { k: 'single', expr: startExpr!, ...this.pos(lb) };
      }
    }
    const t = this.peek();
    if (this.isOp(t, ',')) this.feature('multi-dimensional indexing', t);
    this.expectOp(']');
    if (this.isOp(this.peek(), '[')) this.feature('multi-dimensional indexing', this.peek());
    return spec;
  }

  // ---- expressions ----

  private node<T extends Expr>(e: T): T {
    if (e.depth > MAX_EXPR_DEPTH) this.fail(`expression is nested too deeply (more than ${MAX_EXPR_DEPTH} levels)`, e);
    return e;
  }

  parseExpr(): Expr {
    return this.parseBinary(1);
  }

  /** Binary operators and their precedence (higher binds tighter), by version. */
  private static readonly PREC_V2 = new Map([
    ['+', 9],
    ['-', 9],
    ['*', 10],
    ['/', 10],
  ]);
  private static readonly PREC_V3 = new Map([
    ['||', 1],
    ['&&', 2],
    ['|', 3],
    ['^', 4],
    ['&', 5],
    ['==', 6],
    ['!=', 6],
    ['<', 7],
    ['<=', 7],
    ['>', 7],
    ['>=', 7],
    ['<<', 8],
    ['>>', 8],
    ['+', 9],
    ['-', 9],
    ['*', 10],
    ['/', 10],
    ['%', 10],
  ]);

  /** Precedence climbing over left-associative binary operators; '**' and unary ones are in parseUnary. */
  private parseBinary(minPrec: number): Expr {
    const table = this.v3 ? Parser.PREC_V3 : Parser.PREC_V2;
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'op' ? table.get(t.text) : undefined;
      if (prec === undefined || prec < minPrec) return left;
      if (prec === 3 || prec === 4 || prec === 5 || prec === 8) {
        this.feature(t.text === '^' ? "bitwise operators (use '**' for powers)" : 'bitwise operators', t);
      }
      this.next();
      const right = this.parseBinary(prec + 1);
      left = this.node({
        k: 'binary',
        op: t.text,
        left,
        right,
        depth: Math.max(left.depth, right.depth) + 1,
        ...this.pos(t),
      });
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isOp(t, '-') || this.isOp(t, '+') || (this.v3 && (this.isOp(t, '!') || this.isOp(t, '~')))) {
      if (t.text === '~') this.feature('bitwise operators', t);
      this.next();
      if (++this.parenNesting > MAX_PAREN_NESTING) this.fail(`expression is nested too deeply`, t);
      const arg = this.parseUnary();
      this.parenNesting--;
      return this.node({ k: 'unary', op: t.text as '-' | '+' | '!', arg, depth: arg.depth + 1, ...this.pos(t) });
    }
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parsePrimary();
    const t = this.peek();
    if (this.isOp(t, this.v3 ? '**' : '^')) {
      this.next();
      if (++this.parenNesting > MAX_PAREN_NESTING) this.fail(`expression is nested too deeply`, t);
      const exp = this.parseUnary();
      this.parenNesting--;
      return this.node({
        k: 'binary',
        op: '**',
        left: base,
        right: exp,
        depth: Math.max(base.depth, exp.depth) + 1,
        ...this.pos(t),
      });
    }
    return base;
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (t.kind === 'int' || t.kind === 'float') {
      this.next();
      return { k: 'num', value: t.value, isInt: t.kind === 'int', depth: 1, ...this.pos(t) };
    }
    if (this.isOp(t, '(')) {
      this.next();
      if (++this.parenNesting > MAX_PAREN_NESTING) this.fail(`expression is nested too deeply`, t);
      const e = this.parseExpr();
      this.parenNesting--;
      this.expectOp(')');
      return e;
    }
    if (t.kind === 'id') {
      this.next();
      const n1 = this.peek();
      if (this.isOp(n1, '(')) {
        this.next();
        const args: Expr[] = [];
        if (!this.isOp(this.peek(), ')')) {
          if (++this.parenNesting > MAX_PAREN_NESTING) this.fail(`expression is nested too deeply`, n1);
          do args.push(this.parseExpr());
          while (this.eatOp(','));
          this.parenNesting--;
        }
        this.expectOp(')');
        const depth = args.reduce((d, a) => Math.max(d, a.depth), 0) + 1;
        if (this.v3 && CLASSICAL_TYPES.has(t.text)) {
          if (args.length !== 1) this.fail(`a cast to '${t.text}' takes 1 argument but ${args.length} were given`, n1);
          return this.node({ k: 'cast', type: t.text, arg: args[0], depth, ...this.pos(t) });
        }
        return this.node({ k: 'call', fn: t.text, args, depth, ...this.pos(t) });
      }
      if (this.v3 && CLASSICAL_TYPES.has(t.text) && this.isOp(n1, '[')) {
        // A cast with a width, `int[4](c)`; the width does not change the value.
        this.next();
        this.parseExpr();
        this.expectOp(']');
        this.expectOp('(');
        const arg = this.parseExpr();
        this.expectOp(')');
        return this.node({ k: 'cast', type: t.text, arg, depth: arg.depth + 1, ...this.pos(t) });
      }
      if (this.v3 && this.isOp(n1, '[')) {
        const index = this.parseIndexSpec();
        return { k: 'index', name: t.text, namePos: this.pos(t), index, depth: 2, ...this.pos(t) };
      }
      if (this.v3 && t.text === 'measure') this.feature('measure inside an expression', t);
      return { k: 'id', name: t.text, depth: 1, ...this.pos(t) };
    }
    if (t.kind === 'duration') this.feature('durations', t);
    if (t.kind === 'imag') this.feature('complex numbers', t);
    if (t.kind === 'str') {
      this.fail(
        this.v3
          ? `OpenQASM 3 feature 'bit string literals' is not supported`
          : `expected an expression but found ${show(t)}`,
        t,
      );
    }
    this.fail(`expected an expression but found ${show(t)}`, t);
  }
}
