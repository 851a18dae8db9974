import type { Expr, GateCall, Modifier, Param, Pos, Program3, ScalarTypeName, Stmt, TypeSpec } from './ast3';
import { show, TokenReader, type Token } from './lexer';

/**
 * Recursive-descent parser of OpenQASM 3 (the whole language; lower3.ts decides what a simulator
 * can run). Pulse-level features (`defcal`, `cal`, `defcalgrammar`), `extern`, `input` without a
 * value, `opaque` and `#dim` are refused here, naming the feature.
 */

const MAX_NESTING = 200;

const SCALAR_TYPES = new Set<string>([
  'bit',
  'bool',
  'int',
  'uint',
  'float',
  'angle',
  'complex',
  'duration',
  'stretch',
]);

/** Words that cannot name anything new. */
export const RESERVED3 = new Set([
  ...SCALAR_TYPES,
  'OPENQASM',
  'include',
  'qubit',
  'qreg',
  'creg',
  'const',
  'gate',
  'def',
  'measure',
  'reset',
  'barrier',
  'delay',
  'box',
  'if',
  'else',
  'for',
  'in',
  'while',
  'break',
  'continue',
  'end',
  'return',
  'switch',
  'case',
  'default',
  'let',
  'input',
  'output',
  'extern',
  'defcal',
  'cal',
  'defcalgrammar',
  'opaque',
  'array',
  'readonly',
  'mutable',
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
  'durationof',
  'sizeof',
  'void',
]);

const BINARY_PREC = new Map([
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

const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=', '**=']);

export class Parser3 extends TokenReader {
  private nesting = 0;

  constructor(toks: Token[]) {
    super(toks, RESERVED3);
  }

  private feature(name: string, at: Pos): never {
    this.fail(`OpenQASM 3 feature '${name}' is not supported`, at);
  }
  private enter(at: Pos) {
    if (++this.nesting > MAX_NESTING) this.fail(`program is nested too deeply (more than ${MAX_NESTING} levels)`, at);
  }
  private leave() {
    this.nesting--;
  }

  parseProgram(): Program3 {
    const first = this.peek();
    if (this.isId(first, 'OPENQASM')) {
      this.next();
      const vt = this.next();
      if (vt.kind !== 'int' && vt.kind !== 'float')
        this.fail(`expected a version number after 'OPENQASM' but found ${show(vt)}`, vt);
      if (!/^3(\.[01])?$/.test(vt.text)) {
        if (vt.text.split('.')[0] === '2')
          this.fail(`the program declares OpenQASM ${vt.text} but was submitted as QASM3`, vt);
        this.fail(`unsupported OpenQASM version '${vt.text}'`, vt);
      }
      this.expectOp(';');
    }
    const statements: Stmt[] = [];
    while (this.peek().kind !== 'eof') {
      const s = this.statement();
      if (s) statements.push(s);
    }
    return { statements };
  }

  /** Skips the rest of the line of token `t` (pragmas and annotations). */
  private skipLine(t: Token) {
    while (this.peek().kind !== 'eof' && this.peek().line === t.line) this.next();
  }

  /** A statement, or undefined for a pragma or annotation line. */
  private statement(): Stmt | undefined {
    const t = this.peek();
    if (this.isOp(t, '#')) {
      if (this.isId(this.peek(1), 'pragma')) {
        this.skipLine(t);
        return undefined;
      }
      this.fail(`expected a statement but found '#'`, t);
    }
    if (this.isOp(t, '@') && this.peek(1).kind === 'id') {
      this.skipLine(t);
      return undefined;
    }
    if (this.isOp(t, '{')) return { k: 'block', body: this.body(), ...this.pos(t) };
    if (this.isOp(t, ';')) {
      this.next();
      return { k: 'nop', ...this.pos(t) };
    }
    if (t.kind !== 'id') {
      if (this.isOp(t, '$')) return this.exprOrCall();
      this.fail(`expected a statement but found ${show(t)}`, t);
    }
    switch (t.text) {
      case 'pragma':
        this.skipLine(t);
        return undefined;
      case 'OPENQASM':
        this.fail(`'OPENQASM' must be the first statement of the program`, t);
      // falls through
      case 'include': {
        this.next();
        const f = this.peek();
        if (f.kind !== 'str') this.fail(`expected a file name in quotes after 'include' but found ${show(f)}`, f);
        this.next();
        this.expectOp(';');
        return { k: 'include', file: f.text, ...this.pos(f) };
      }
      case 'defcalgrammar':
      case 'defcal':
      case 'cal':
      case 'extern':
      case 'opaque':
        this.feature(t.text, t);
      // falls through
      case 'qubit': {
        this.next();
        let size: Expr | undefined;
        if (this.eatOp('[')) {
          size = this.expr();
          this.expectOp(']');
        }
        const name = this.newName('register');
        this.expectOp(';');
        return { k: 'qubit', name: name.text, size, ...this.pos(name) };
      }
      case 'qreg':
      case 'creg': {
        this.next();
        const name = this.newName('register');
        let size: Expr | undefined;
        if (this.eatOp('[')) {
          size = this.expr();
          this.expectOp(']');
        }
        this.expectOp(';');
        if (t.text === 'qreg') return { k: 'qubit', name: name.text, size, ...this.pos(name) };
        return {
          k: 'decl',
          type: { name: 'bit', width: size, ...this.pos(t) },
          name: name.text,
          namePos: this.pos(name),
          isConst: false,
          ...this.pos(name),
        };
      }
      case 'const':
        this.next();
        return this.declaration(true);
      case 'input':
      case 'output': {
        this.next();
        const d = this.declaration(false, t.text);
        if (t.text === 'input' && d.k === 'decl' && !d.init) this.feature('input', t);
        return d;
      }
      case 'gate':
        return this.gateDef();
      case 'def':
        return this.def();
      case 'measure': {
        this.next();
        const qubits = this.operand();
        let bits: Expr | undefined;
        if (this.eatOp('->')) bits = this.operand();
        this.expectOp(';');
        return { k: 'measurearrow', qubits, bits, ...this.pos(t) };
      }
      case 'reset': {
        this.next();
        const operand = this.operand();
        this.expectOp(';');
        return { k: 'reset', operand, ...this.pos(t) };
      }
      case 'barrier': {
        this.next();
        const operands = this.operandList();
        this.expectOp(';');
        return { k: 'barrier', operands, ...this.pos(t) };
      }
      case 'delay': {
        this.next();
        let duration: Expr | undefined;
        if (this.eatOp('[')) {
          duration = this.expr();
          this.expectOp(']');
        }
        const operands = this.operandList();
        this.expectOp(';');
        return { k: 'delay', duration, operands, ...this.pos(t) };
      }
      case 'box': {
        this.next();
        if (this.eatOp('[')) {
          this.expr();
          this.expectOp(']');
        }
        if (!this.isOp(this.peek(), '{'))
          this.fail(`expected '{' after 'box' but found ${show(this.peek())}`, this.peek());
        return { k: 'box', body: this.body(), ...this.pos(t) };
      }
      case 'if': {
        this.next();
        this.expectOp('(');
        const cond = this.expr();
        this.expectOp(')');
        const then = this.body();
        let elseBody: Stmt[] | undefined;
        if (this.isId(this.peek(), 'else')) {
          this.next();
          elseBody = this.body();
        }
        return { k: 'if', cond, then, else: elseBody, ...this.pos(t) };
      }
      case 'else':
        this.fail(`'else' without a matching 'if'`, t);
      // falls through
      case 'for':
        return this.forLoop();
      case 'while': {
        this.next();
        this.expectOp('(');
        const cond = this.expr();
        this.expectOp(')');
        return { k: 'while', cond, body: this.body(), ...this.pos(t) };
      }
      case 'break':
      case 'continue':
      case 'end':
        this.next();
        this.expectOp(';');
        return { k: t.text, ...this.pos(t) };
      case 'return': {
        this.next();
        let value: Expr | undefined;
        if (!this.isOp(this.peek(), ';')) value = this.isId(this.peek(), 'measure') ? this.measureExpr() : this.expr();
        this.expectOp(';');
        return { k: 'return', value, ...this.pos(t) };
      }
      case 'switch':
        return this.switchStmt();
      case 'let': {
        this.next();
        const name = this.newName('alias');
        this.expectOp('=');
        const value = this.expr();
        this.expectOp(';');
        return { k: 'alias', name: name.text, value, ...this.pos(name) };
      }
      case 'case':
      case 'default':
        this.fail(`'${t.text}' outside a switch`, t);
      // falls through
      default:
        break;
    }
    if (SCALAR_TYPES.has(t.text) || t.text === 'array') {
      // `int[8] x;` or a cast used as an expression statement (`int(x);` is pointless, but valid).
      if (!(this.isOp(this.peek(1), '(') && t.text !== 'array')) return this.declaration(false);
    }
    return this.exprOrCall();
  }

  private declaration(isConst: boolean, io?: string): Stmt {
    const type = this.type();
    if (type.name === 'qubit') this.fail(`expected a classical type but found 'qubit'`, type);
    const name = this.newName('variable');
    let init: Expr | undefined;
    if (this.eatOp('=')) init = this.isId(this.peek(), 'measure') ? this.measureExpr() : this.expr();
    else if (isConst) this.fail(`constant '${name.text}' needs a value`, this.peek());
    this.expectOp(';');
    return {
      k: 'decl',
      type,
      name: name.text,
      namePos: this.pos(name),
      init,
      isConst,
      io: io as 'input' | 'output' | undefined,
      ...this.pos(name),
    };
  }

  /** A classical (or qubit) type: `int`, `int[8]`, `array[float[64], 2, 3]`, `complex[float[64]]`. */
  private type(): TypeSpec {
    const t = this.peek();
    if (t.kind !== 'id') this.fail(`expected a type but found ${show(t)}`, t);
    if (t.text === 'readonly' || t.text === 'mutable') {
      this.next();
      const inner = this.type();
      if (inner.name !== 'array') this.fail(`'${t.text}' applies only to array parameters`, t);
      return { ...inner, access: t.text };
    }
    if (t.text === 'array') {
      this.next();
      this.expectOp('[');
      const elem = this.type();
      if (elem.name === 'array' || elem.name === 'qubit') this.fail(`arrays of ${elem.name} are not allowed`, elem);
      const dims: Expr[] = [];
      while (this.eatOp(',')) {
        if (this.isOp(this.peek(), '#')) this.feature('#dim', this.peek());
        dims.push(this.expr());
      }
      if (dims.length === 0) this.fail(`an array type needs at least one dimension`, this.peek());
      this.expectOp(']');
      return { name: 'array', elem, dims, ...this.pos(t) };
    }
    if (!SCALAR_TYPES.has(t.text) && t.text !== 'qubit') this.fail(`expected a type but found ${show(t)}`, t);
    this.next();
    const spec: TypeSpec = { name: t.text as ScalarTypeName, ...this.pos(t) };
    if (this.eatOp('[')) {
      if (t.text === 'complex') {
        const inner = this.type();
        if (inner.name !== 'float') this.fail(`complex numbers have float parts`, inner);
        spec.width = inner.width;
      } else {
        if (t.text === 'bool' || t.text === 'duration' || t.text === 'stretch')
          this.fail(`type '${t.text}' takes no width`, t);
        spec.width = this.expr();
      }
      this.expectOp(']');
    }
    return spec;
  }

  private gateDef(): Stmt {
    this.next();
    const name = this.newName('gate');
    const params: Param[] = [];
    if (this.eatOp('(')) {
      if (!this.isOp(this.peek(), ')')) {
        do {
          let type: TypeSpec | undefined;
          const t = this.peek();
          if (t.kind === 'id' && SCALAR_TYPES.has(t.text) && this.peek(1).kind !== 'op') type = this.type();
          else if (t.kind === 'id' && SCALAR_TYPES.has(t.text) && this.isOp(this.peek(1), '[')) type = this.type();
          const p = this.newName('parameter');
          params.push({ name: p.text, type, ...this.pos(p) });
        } while (this.eatOp(','));
      }
      this.expectOp(')');
    }
    const qubits: Param[] = [];
    if (!this.isOp(this.peek(), '{')) {
      do {
        const q = this.newName('qubit argument');
        if (this.isOp(this.peek(), '[')) this.fail(`gate qubit arguments cannot have a size`, this.peek());
        qubits.push({ name: q.text, ...this.pos(q) });
      } while (this.eatOp(','));
    }
    if (!this.isOp(this.peek(), '{')) this.fail(`expected '{' but found ${show(this.peek())}`, this.peek());
    return { k: 'gatedef', name: name.text, params, qubits, body: this.body(), ...this.pos(name) };
  }

  private def(): Stmt {
    this.next();
    const name = this.newName('subroutine');
    this.expectOp('(');
    const params: Param[] = [];
    if (!this.isOp(this.peek(), ')')) {
      do {
        const type = this.type();
        const p = this.newName('parameter');
        params.push({ name: p.text, type, ...this.pos(p) });
      } while (this.eatOp(','));
    }
    this.expectOp(')');
    let returns: TypeSpec | undefined;
    if (this.eatOp('->')) {
      returns = this.type();
      if (returns.name === 'qubit' || returns.name === 'array')
        this.fail(`a subroutine cannot return ${returns.name === 'qubit' ? 'qubits' : 'an array'}`, returns);
    }
    if (!this.isOp(this.peek(), '{')) this.fail(`expected '{' but found ${show(this.peek())}`, this.peek());
    return { k: 'def', name: name.text, params, returns, body: this.body(), ...this.pos(name) };
  }

  private forLoop(): Stmt {
    const kw = this.next();
    let type: TypeSpec | undefined;
    const t1 = this.peek();
    if (t1.kind === 'id' && (SCALAR_TYPES.has(t1.text) || t1.text === 'array')) type = this.type();
    const v = this.newName('loop variable');
    const inTok = this.peek();
    if (!this.isId(inTok, 'in')) this.fail(`expected 'in' but found ${show(inTok)}`, inTok);
    this.next();
    let iter: Expr;
    const rt = this.peek();
    if (this.isOp(rt, '{')) iter = this.setLiteral();
    else if (this.isOp(rt, '[')) {
      this.next();
      iter = this.rangeOrExpr();
      if (iter.k !== 'range') this.fail(`expected a range like [0:3]`, iter);
      if (!iter.start || !iter.end) this.fail(`a for loop range needs a start and an end`, iter);
      this.expectOp(']');
    } else iter = this.expr();
    return { k: 'for', type, varName: v.text, varPos: this.pos(v), iter, body: this.body(), ...this.pos(kw) };
  }

  private switchStmt(): Stmt {
    const kw = this.next();
    this.expectOp('(');
    const subject = this.expr();
    this.expectOp(')');
    this.expectOp('{');
    const cases: { values: Expr[]; body: Stmt[]; pos: Pos }[] = [];
    let def: Stmt[] | undefined;
    for (;;) {
      const t = this.peek();
      if (this.isOp(t, '}')) break;
      if (this.isId(t, 'case')) {
        this.next();
        const values: Expr[] = [];
        do values.push(this.expr());
        while (this.eatOp(','));
        if (!this.isOp(this.peek(), '{')) this.fail(`expected '{' after the case values`, this.peek());
        cases.push({ values, body: this.body(), pos: this.pos(t) });
      } else if (this.isId(t, 'default')) {
        if (def) this.fail(`a switch has at most one 'default'`, t);
        this.next();
        if (!this.isOp(this.peek(), '{')) this.fail(`expected '{' after 'default'`, this.peek());
        def = this.body();
      } else this.fail(`expected 'case', 'default' or '}' but found ${show(t)}`, t);
    }
    this.next();
    return { k: 'switch', subject, cases, default: def, ...this.pos(kw) };
  }

  /** `{ stmt* }` or a single statement. */
  private body(): Stmt[] {
    const t = this.peek();
    this.enter(t);
    const out: Stmt[] = [];
    if (this.isOp(t, '{')) {
      this.next();
      for (;;) {
        const s = this.peek();
        if (this.isOp(s, '}')) break;
        if (s.kind === 'eof') this.fail(`expected '}' but found end of input`, s);
        const st = this.statement();
        if (st) out.push(st);
      }
      this.next();
    } else {
      if (this.isOp(t, ';')) this.fail(`expected a statement but found ';'`, t);
      const st = this.statement();
      if (st) out.push(st);
    }
    this.leave();
    return out;
  }

  /** Gate call, assignment, or expression statement (a subroutine call). */
  private exprOrCall(): Stmt {
    const start = this.peek();
    // Modifiers mean a gate call.
    if (start.kind === 'id' && ['ctrl', 'negctrl', 'inv', 'pow'].includes(start.text)) return this.gateCall();
    if (start.kind === 'id' && start.text === 'gphase') return this.gateCall();
    // Look ahead: an identifier followed by an identifier/`$` (operands) or by `(...)` then an
    // operand is a gate call.
    if (start.kind === 'id') {
      const n1 = this.peek(1);
      if (n1.kind === 'id' || this.isOp(n1, '$') || this.isOp(n1, ';')) return this.gateCall();
      if (this.isOp(n1, '(')) {
        // Find the matching ')' and look at what follows.
        let depth = 0;
        let k = this.i + 1;
        for (; k < this.toks.length; k++) {
          const tk = this.toks[k];
          if (tk.kind === 'eof') break;
          if (this.isOp(tk, '(')) depth++;
          else if (this.isOp(tk, ')') && --depth === 0) break;
        }
        const after = this.toks[Math.min(k + 1, this.toks.length - 1)];
        if (after.kind === 'id' || this.isOp(after, '$')) return this.gateCall();
      }
    }
    const target = this.expr();
    const t = this.peek();
    if (t.kind === 'op' && ASSIGN_OPS.has(t.text)) {
      if (target.k !== 'id' && target.k !== 'index') this.fail(`cannot assign to this expression`, target);
      this.next();
      const value = this.isId(this.peek(), 'measure') ? this.measureExpr() : this.expr();
      this.expectOp(';');
      return { k: 'assign', target, op: t.text, value, ...this.pos(t) };
    }
    if (target.k === 'id' && t.kind !== 'op') this.fail(`expected a statement but found ${show(start)}`, start);
    this.expectOp(';');
    return { k: 'expr', expr: target, ...this.pos(target) };
  }

  private gateCall(): GateCall {
    const start = this.peek();
    const modifiers: Modifier[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'id' || !['ctrl', 'negctrl', 'inv', 'pow'].includes(t.text)) break;
      this.next();
      const m: Modifier = { kind: t.text as Modifier['kind'], ...this.pos(t) };
      if (this.isOp(this.peek(), '(')) {
        if (t.text === 'inv') this.fail(`'inv' takes no argument`, this.peek());
        this.next();
        m.arg = this.expr();
        this.expectOp(')');
      } else if (t.text === 'pow') this.fail(`expected '(' after 'pow' but found ${show(this.peek())}`, this.peek());
      this.expectOp('@');
      modifiers.push(m);
    }
    const name = this.peek();
    if (name.kind !== 'id') this.fail(`expected a gate name but found ${show(name)}`, name);
    if (['defcal', 'cal', 'extern', 'defcalgrammar', 'opaque'].includes(name.text)) this.feature(name.text, name);
    this.next();
    const args: Expr[] = [];
    if (this.eatOp('(')) {
      if (!this.isOp(this.peek(), ')')) {
        do args.push(this.expr());
        while (this.eatOp(','));
      }
      this.expectOp(')');
    }
    if (this.eatOp('[')) {
      // A duration designator on a gate call (`x[100ns] q;`): timing only.
      this.expr();
      this.expectOp(']');
    }
    const operands: Expr[] = this.isOp(this.peek(), ';') ? [] : this.operandList();
    this.expectOp(';');
    return {
      k: 'gatecall',
      modifiers,
      name: name.text,
      namePos: this.pos(name),
      args,
      operands,
      ...this.pos(modifiers.length ? start : name),
    };
  }

  private operandList(): Expr[] {
    const out: Expr[] = [];
    if (this.isOp(this.peek(), ';')) return out;
    out.push(this.operand());
    while (this.eatOp(',')) out.push(this.operand());
    return out;
  }

  /** `q`, `q[i]`, `q[0:2]`, `q[{0, 1}]`, `$3`. */
  private operand(): Expr {
    const t = this.peek();
    if (this.isOp(t, '$')) {
      this.next();
      const n = this.peek();
      if (n.kind !== 'int') this.fail(`expected a physical qubit number after '$' but found ${show(n)}`, n);
      this.next();
      return { k: 'phys', index: n.value, ...this.pos(t) };
    }
    const name = this.expectId('a qubit or bit name');
    let e: Expr = { k: 'id', name: name.text, ...this.pos(name) };
    while (this.isOp(this.peek(), '[')) e = this.indexSuffix(e);
    return e;
  }

  private measureExpr(): Expr {
    const kw = this.next();
    return { k: 'measure', operand: this.operand(), ...this.pos(kw) };
  }

  private setLiteral(): Expr {
    const lb = this.expectOp('{');
    const items: Expr[] = [];
    if (!this.isOp(this.peek(), '}')) {
      do items.push(this.expr());
      while (this.eatOp(','));
    }
    this.expectOp('}');
    return { k: 'set', items, ...this.pos(lb) };
  }

  /** Inside brackets: `e`, `a:b`, `a:s:b` (parts optional), or `{...}`. */
  private rangeOrExpr(): Expr {
    const t = this.peek();
    if (this.isOp(t, '{')) return this.setLiteral();
    const start = this.isOp(t, ':') ? undefined : this.expr();
    if (!this.isOp(this.peek(), ':')) return start!;
    this.next();
    const parts: (Expr | undefined)[] = [start];
    const endOfPart = () => this.isOp(this.peek(), ':') || this.isOp(this.peek(), ']') || this.isOp(this.peek(), ',');
    parts.push(endOfPart() ? undefined : this.expr());
    if (this.eatOp(':')) parts.push(endOfPart() ? undefined : this.expr());
    return parts.length === 3
      ? { k: 'range', start: parts[0], step: parts[1], end: parts[2], ...this.pos(t) }
      : { k: 'range', start: parts[0], end: parts[1], ...this.pos(t) };
  }

  private indexSuffix(base: Expr): Expr {
    const lb = this.expectOp('[');
    const index: Expr[] = [this.rangeOrExpr()];
    while (this.eatOp(',')) index.push(this.rangeOrExpr());
    this.expectOp(']');
    return { k: 'index', base, index, ...this.pos(lb) };
  }

  // ---- expressions ----

  expr(): Expr {
    const left = this.binary(1);
    if (this.isOp(this.peek(), '++')) {
      const t = this.next();
      const right = this.expr();
      return { k: 'binary', op: '++', left, right, ...this.pos(t) };
    }
    return left;
  }

  private binary(minPrec: number): Expr {
    this.enter(this.peek());
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'op' ? BINARY_PREC.get(t.text) : undefined;
      if (prec === undefined || prec < minPrec) break;
      this.next();
      const right = this.binary(prec + 1);
      left = { k: 'binary', op: t.text, left, right, ...this.pos(t) };
    }
    this.leave();
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isOp(t, '-') || this.isOp(t, '+') || this.isOp(t, '!') || this.isOp(t, '~')) {
      this.next();
      this.enter(t);
      const arg = this.unary();
      this.leave();
      return { k: 'unary', op: t.text as '-', arg, ...this.pos(t) };
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.postfix();
    const t = this.peek();
    if (this.isOp(t, '**')) {
      this.next();
      this.enter(t);
      const exp = this.unary();
      this.leave();
      return { k: 'binary', op: '**', left: base, right: exp, ...this.pos(t) };
    }
    return base;
  }

  private postfix(): Expr {
    let e = this.primary();
    while (this.isOp(this.peek(), '[')) {
      this.enter(this.peek());
      e = this.indexSuffix(e);
      this.leave();
    }
    return e;
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
      case 'float':
        this.next();
        return { k: 'num', value: t.value, isInt: t.kind === 'int', ...this.pos(t) };
      case 'imag':
        this.next();
        return { k: 'imag', value: t.value, ...this.pos(t) };
      case 'duration':
        this.next();
        return { k: 'duration', value: t.value, unit: t.text.replace(/^[0-9._eE+-]+/, ''), ...this.pos(t) };
      case 'str':
        this.next();
        if (!/^[01_]+$/.test(t.text) || /^_|_$/.test(t.text)) this.fail(`invalid bit string "${t.text}"`, t);
        return { k: 'bitstring', text: t.text.replace(/_/g, ''), ...this.pos(t) };
      default:
        break;
    }
    if (this.isOp(t, '(')) {
      this.next();
      this.enter(t);
      const e = this.expr();
      this.leave();
      this.expectOp(')');
      return e;
    }
    if (this.isOp(t, '{')) {
      // Array literal.
      this.next();
      this.enter(t);
      const items: Expr[] = [];
      if (!this.isOp(this.peek(), '}')) {
        do items.push(this.expr());
        while (this.eatOp(','));
      }
      this.leave();
      this.expectOp('}');
      return { k: 'array', items, ...this.pos(t) };
    }
    if (this.isOp(t, '$')) return this.operand();
    if (t.kind !== 'id') this.fail(`expected an expression but found ${show(t)}`, t);
    if (t.text === 'true' || t.text === 'false') {
      this.next();
      return { k: 'bool', value: t.text === 'true', ...this.pos(t) };
    }
    if (t.text === 'measure') return this.measureExpr();
    if (t.text === 'durationof') {
      this.next();
      this.expectOp('(');
      if (!this.isOp(this.peek(), '{')) this.fail(`expected '{' after 'durationof('`, this.peek());
      const body = this.body();
      this.expectOp(')');
      return { k: 'durationof', body, ...this.pos(t) };
    }
    if (SCALAR_TYPES.has(t.text) || t.text === 'array') {
      const type = this.type();
      this.expectOp('(');
      const arg = this.expr();
      this.expectOp(')');
      return { k: 'cast', type, arg, ...this.pos(t) };
    }
    this.next();
    if (this.isOp(this.peek(), '(')) {
      const lp = this.next();
      const args: Expr[] = [];
      if (!this.isOp(this.peek(), ')')) {
        this.enter(lp);
        do args.push(this.expr());
        while (this.eatOp(','));
        this.leave();
      }
      this.expectOp(')');
      return { k: 'call', fn: t.text, args, ...this.pos(t) };
    }
    return { k: 'id', name: t.text, ...this.pos(t) };
  }
}
