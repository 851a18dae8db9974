import type {
  BinaryOp,
  Expr,
  GateBodyStmt,
  GateCall,
  GateDefStmt,
  IntLit,
  Measure,
  Operand,
  Pos,
  Program,
  Reset,
  Stmt,
} from './ast';
import { show, TokenReader, type Token } from './lexer';

/**
 * Recursive-descent parser of OpenQASM 2 (OpenQASM 3 has its own, parser3.ts).
 */

/** Deepest expression tree accepted (a chain like 1+1+...+1 counts one level per operator). */
export const MAX_EXPR_DEPTH = 1000;
/** Deepest nesting of parentheses and unary operators while parsing. */
const MAX_PAREN_NESTING = 200;

/** Identifiers OpenQASM 2 reserves; they cannot name gates, registers or parameters. */
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

/** Words that cannot start a statement of a gate body. */
const NOT_IN_GATE_BODY = new Set([
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
]);

/** Binary operators and their precedence (higher binds tighter); '^' is in parsePower. */
const PREC = new Map<string, number>([
  ['+', 1],
  ['-', 1],
  ['*', 2],
  ['/', 2],
]);

export class Parser extends TokenReader {
  private parenNesting = 0;

  constructor(
    toks: Token[],
    /** OpenQASM 2 without its header, starting with `include "qelib1.inc";`. */
    private readonly headerless = false,
  ) {
    super(toks, RESERVED_V2);
  }

  // ---- program ----

  parseProgram(): Program {
    const first = this.peek();
    if (this.isId(first, 'OPENQASM')) {
      this.next();
      const vt = this.next();
      if (vt.kind !== 'int' && vt.kind !== 'float')
        this.fail(`expected a version number after 'OPENQASM' but found ${show(vt)}`, vt);
      if (!/^2(\.0)?$/.test(vt.text)) {
        if (vt.text.split('.')[0] === '3') {
          this.fail(`the program declares OpenQASM ${vt.text} but was submitted as QASM2`, vt);
        }
        this.fail(`unsupported OpenQASM version '${vt.text}'`, vt);
      }
      this.expectOp(';');
    } else if (!this.headerless) {
      this.fail(`expected 'OPENQASM 2.0;' at the start of the program but found ${show(first)}`, first);
    }
    const statements: Stmt[] = [];
    while (this.peek().kind !== 'eof') statements.push(this.parseStatement());
    return { statements };
  }

  private parseStatement(): Stmt {
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
        return this.parseRegister();
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
        return this.parseMeasure();
      case 'reset':
        return this.parseReset();
      case 'if':
        return this.parseIf();
      default:
        return this.parseGateCall();
    }
  }

  private parseIf(): Stmt {
    const kw = this.next();
    this.expectOp('(');
    const name = this.expectId('a classical register name');
    const creg: Operand = { name: name.text, ...this.pos(name) };
    if (this.isOp(this.peek(), '[')) creg.index = this.parseIndex();
    const eq = this.peek();
    if (!this.isOp(eq, '==')) this.fail(`expected '==' but found ${show(eq)}`, eq);
    this.next();
    const value = this.parseInt('an integer').value;
    this.expectOp(')');
    const bt = this.peek();
    let body: GateCall | Measure | Reset;
    if (this.isId(bt, 'measure')) body = this.parseMeasure();
    else if (this.isId(bt, 'reset')) body = this.parseReset();
    else if (
      bt.kind === 'id' &&
      !['if', 'barrier', 'gate', 'opaque', 'qreg', 'creg', 'include', 'OPENQASM'].includes(bt.text)
    ) {
      body = this.parseGateCall();
    } else this.fail(`expected a gate, 'measure' or 'reset' after 'if (...)' but found ${show(bt)}`, bt);
    return { k: 'if', creg, value, body, ...this.pos(kw) };
  }

  /** An integer literal; `what` names it in the error when something else stands there. */
  private parseInt(what: string): IntLit {
    const t = this.peek();
    if (t.kind !== 'int') this.fail(`expected ${what} but found ${show(t)}`, t);
    this.next();
    return { value: t.value, ...this.pos(t) };
  }

  private parseRegister(): Stmt {
    const kw = this.next();
    const name = this.newName('register');
    this.expectOp('[');
    const size = this.parseInt('an integer index');
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

  private parseMeasure(): Measure {
    const kw = this.next();
    const qubits = this.parseOperand();
    const arrow = this.peek();
    if (!this.isOp(arrow, '->')) this.fail(`expected '->' but found ${show(arrow)}`, arrow);
    this.next();
    const bits = this.parseOperand();
    this.expectOp(';');
    return { k: 'measure', qubits, bits, ...this.pos(kw) };
  }

  private parseReset(): Reset {
    const kw = this.next();
    const operand = this.parseOperand();
    this.expectOp(';');
    return { k: 'reset', operand, ...this.pos(kw) };
  }

  private parseBarrier(): Stmt & { k: 'barrier' } {
    const kw = this.next();
    const operands: Operand[] = [this.parseOperand()];
    while (this.eatOp(',')) operands.push(this.parseOperand());
    this.expectOp(';');
    return { k: 'barrier', operands, ...this.pos(kw) };
  }

  private parseGateDef(): GateDefStmt {
    this.next();
    const name = this.newName('gate');
    const params: (Pos & { name: string })[] = [];
    if (this.eatOp('(')) {
      if (!this.isOp(this.peek(), ')')) {
        do {
          const p = this.newName('parameter');
          params.push({ name: p.text, ...this.pos(p) });
        } while (this.eatOp(','));
      }
      this.expectOp(')');
    }
    const qubits: (Pos & { name: string })[] = [];
    do {
      const q = this.newName('qubit argument');
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
    if (t.kind !== 'id') this.fail(`expected a gate call but found ${show(t)}`, t);
    if (t.text === 'barrier') return this.parseBarrier();
    if (NOT_IN_GATE_BODY.has(t.text)) this.fail(`'${t.text}' is not allowed inside a gate definition`, t);
    return this.parseGateCall();
  }

  private parseGateCall(): GateCall {
    const name = this.peek();
    if (name.kind !== 'id') this.fail(`expected a gate name but found ${show(name)}`, name);
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
    const after = this.peek();
    if (after.kind !== 'id' && !this.isOp(after, '$'))
      this.fail(`expected a qubit argument but found ${show(after)}`, after);
    const operands: Operand[] = [this.parseOperand()];
    while (this.eatOp(',')) operands.push(this.parseOperand());
    this.expectOp(';');
    return { k: 'call', name: name.text, args, operands, ...this.pos(name) };
  }

  private parseOperand(): Operand {
    const t = this.peek();
    if (this.isOp(t, '$')) this.fail(`expected a register name but found '$'`, t);
    const name = this.expectId('a register name');
    const operand: Operand = { name: name.text, ...this.pos(name) };
    if (this.isOp(this.peek(), '[')) operand.index = this.parseIndex();
    return operand;
  }

  /** `[n]` after a register name. */
  private parseIndex(): IntLit & { bracket: Pos } {
    const lb = this.next();
    const index = { ...this.parseInt('an integer index'), bracket: this.pos(lb) };
    this.expectOp(']');
    return index;
  }

  // ---- expressions ----

  private node<T extends Expr>(e: T): T {
    if (e.depth > MAX_EXPR_DEPTH) this.fail(`expression is nested too deeply (more than ${MAX_EXPR_DEPTH} levels)`, e);
    return e;
  }

  private parseExpr(): Expr {
    return this.parseBinary(1);
  }

  /** Precedence climbing over left-associative binary operators; '^' and unary ones are in parseUnary. */
  private parseBinary(minPrec: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'op' ? PREC.get(t.text) : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const right = this.parseBinary(prec + 1);
      left = this.node({
        k: 'binary',
        op: t.text as BinaryOp,
        left,
        right,
        depth: Math.max(left.depth, right.depth) + 1,
        ...this.pos(t),
      });
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isOp(t, '-') || this.isOp(t, '+')) {
      this.next();
      if (++this.parenNesting > MAX_PAREN_NESTING) this.fail(`expression is nested too deeply`, t);
      const arg = this.parseUnary();
      this.parenNesting--;
      return this.node({ k: 'unary', op: t.text as '-' | '+', arg, depth: arg.depth + 1, ...this.pos(t) });
    }
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parsePrimary();
    const t = this.peek();
    if (this.isOp(t, '^')) {
      this.next();
      if (++this.parenNesting > MAX_PAREN_NESTING) this.fail(`expression is nested too deeply`, t);
      const exp = this.parseUnary();
      this.parenNesting--;
      return this.node({
        k: 'binary',
        op: '^',
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
      return { k: 'num', value: t.value, depth: 1, ...this.pos(t) };
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
      if (!this.isOp(n1, '(')) return { k: 'id', name: t.text, depth: 1, ...this.pos(t) };
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
      return this.node({ k: 'call', fn: t.text, args, depth, ...this.pos(t) });
    }
    this.fail(`expected an expression but found ${show(t)}`, t);
  }
}
