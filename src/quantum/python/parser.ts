import { CircuitError } from '../circuit/circuit';
import { MAX_NESTING, tokenize, type Token } from './lexer';

/**
 * Parser for the Python subset of the builder front ends (README.md): a small AST of statements
 * (imports, assignments, expression statements, `for ... in ...:` loops, `with ...:` blocks,
 * `pass`) and expressions (literals, names, attributes, calls, subscripts, lists, tuples,
 * arithmetic). Everything else is refused with a CircuitError naming the construct.
 */

export interface Pos {
  line: number;
  col: number;
}

export type Expr = Pos &
  (
    | { k: 'num'; v: number; isInt: boolean }
    | { k: 'str'; v: string }
    | { k: 'const'; v: boolean | null }
    | { k: 'name'; id: string }
    | { k: 'attr'; obj: Expr; name: string }
    | { k: 'call'; fn: Expr; args: Expr[]; kwargs: { name: string; value: Expr; pos: Pos }[] }
    | { k: 'index'; obj: Expr; index: Expr }
    | { k: 'slice'; lo?: Expr; hi?: Expr; step?: Expr }
    | { k: 'list'; items: Expr[]; tuple: boolean }
    | { k: 'unary'; op: '-' | '+'; a: Expr }
    | { k: 'binary'; op: '+' | '-' | '*' | '/' | '//' | '%' | '**'; a: Expr; b: Expr }
  );

export type Stmt = Pos &
  (
    | { k: 'import'; names: { path: string[]; alias?: string; pos: Pos }[] }
    | { k: 'from'; module: string[]; names: { name: string; alias?: string; pos: Pos }[] | '*' }
    | { k: 'assign'; targets: Expr[]; value: Expr }
    | { k: 'augassign'; target: Expr; op: '+' | '-' | '*' | '/'; value: Expr }
    | { k: 'expr'; e: Expr }
    | { k: 'for'; target: Expr; iter: Expr; body: Stmt[] }
    | { k: 'with'; ctx: Expr; alias?: string; body: Stmt[] }
    | { k: 'pass' }
  );

const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

const STATEMENT_NAMES: Record<string, string> = {
  def: "function definitions ('def')",
  class: "class definitions ('class')",
  if: "'if' statements",
  elif: "'elif' statements",
  else: "'else' blocks",
  while: "'while' loops",
  try: "'try' statements",
  except: "'except' blocks",
  finally: "'finally' blocks",
  return: "'return' statements",
  raise: "'raise' statements",
  del: "'del' statements",
  global: "'global' statements",
  nonlocal: "'nonlocal' statements",
  assert: "'assert' statements",
  lambda: "'lambda' expressions",
  yield: "'yield' expressions",
  async: "'async' code",
  await: "'await' expressions",
  break: "'break' statements",
  continue: "'continue' statements",
};

export function parsePython(src: string): Stmt[] {
  return new Parser(tokenize(src)).program();
}

class Parser {
  private p = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private get t(): Token {
    return this.toks[this.p];
  }
  /** The current token's kind (a call, so that checks after advancing are not narrowed away). */
  private kind(): Token['kind'] {
    return this.toks[this.p].kind;
  }
  private err(msg: string, at: Pos = { line: this.t.line, col: this.t.col }): never {
    throw new CircuitError(msg, at.line, at.col);
  }
  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'end of program';
      case 'newline':
        return 'end of line';
      case 'indent':
        return 'indentation';
      case 'dedent':
        return 'dedent';
      case 'string':
        return 'string';
      default:
        return `'${t.text}'`;
    }
  }
  private isOp(text: string): boolean {
    return this.t.kind === 'op' && this.t.text === text;
  }
  private isName(text: string): boolean {
    return this.t.kind === 'name' && this.t.text === text;
  }
  private eatOp(text: string): boolean {
    if (this.isOp(text)) {
      this.p++;
      return true;
    }
    return false;
  }
  private expectOp(text: string, what?: string): Token {
    if (!this.isOp(text)) this.err(`expected '${text}'${what ? ` ${what}` : ''}, found ${this.describe(this.t)}`);
    return this.toks[this.p++];
  }
  private expectName(what: string): Token {
    if (this.t.kind !== 'name' || KEYWORDS.has(this.t.text)) {
      this.err(`expected ${what}, found ${this.describe(this.t)}`);
    }
    return this.toks[this.p++];
  }
  private pos(t: Token = this.t): Pos {
    return { line: t.line, col: t.col };
  }
  private enter(at: Pos) {
    if (++this.depth > MAX_NESTING) this.err('expression or block nested too deeply', at);
  }

  program(): Stmt[] {
    const out: Stmt[] = [];
    while (this.t.kind !== 'eof') {
      if (this.t.kind === 'newline') {
        this.p++;
        continue;
      }
      if (this.t.kind === 'indent') this.err('unexpected indentation');
      if (this.t.kind === 'dedent') this.err('unexpected dedent');
      out.push(...this.statement());
    }
    return out;
  }

  private statement(): Stmt[] {
    const t = this.t;
    if (t.kind === 'name' && (t.text === 'for' || t.text === 'with')) return [this.compound()];
    if (t.kind === 'op' && t.text === '@') this.err('decorators are not supported');
    const out: Stmt[] = [this.simple()];
    while (this.eatOp(';')) {
      if (this.t.kind === 'newline' || this.t.kind === 'eof') break;
      out.push(this.simple());
    }
    if (this.t.kind !== 'newline' && this.t.kind !== 'eof') {
      this.err(`expected end of statement, found ${this.describe(this.t)}`);
    }
    if (this.t.kind === 'newline') this.p++;
    return out;
  }

  private block(): Stmt[] {
    this.expectOp(':', 'to start the block');
    if (this.kind() !== 'newline') {
      // `for i in range(2): circuit.h(i)` on one line
      const out: Stmt[] = [this.simple()];
      while (this.eatOp(';')) {
        if (this.kind() === 'newline' || this.kind() === 'eof') break;
        out.push(this.simple());
      }
      if (this.kind() === 'newline') this.p++;
      else if (this.kind() !== 'eof') this.err(`expected end of statement, found ${this.describe(this.t)}`);
      return out;
    }
    this.p++;
    if (this.kind() !== 'indent') this.err('expected an indented block');
    this.p++;
    const body: Stmt[] = [];
    while (this.kind() !== 'dedent' && this.kind() !== 'eof') {
      if (this.kind() === 'newline') {
        this.p++;
        continue;
      }
      if (this.kind() === 'indent') this.err('unexpected indentation');
      body.push(...this.statement());
    }
    if (this.kind() === 'dedent') this.p++;
    return body;
  }

  private compound(): Stmt {
    const t = this.toks[this.p++];
    const at = this.pos(t);
    this.enter(at);
    let s: Stmt;
    if (t.text === 'for') {
      const target = this.targetList();
      if (!this.isName('in')) this.err(`expected 'in', found ${this.describe(this.t)}`);
      this.p++;
      const iter = this.exprOrTuple();
      const body = this.block();
      if (this.isName('else')) this.err("'else' blocks are not supported");
      s = { k: 'for', target, iter, body, ...at };
    } else {
      const ctx = this.expr();
      let alias: string | undefined;
      if (this.isName('as')) {
        this.p++;
        alias = this.expectName('a name after as').text;
      }
      if (this.isOp(',')) this.err("'with' statements with several contexts are not supported");
      s = { k: 'with', ctx, alias, body: this.block(), ...at };
    }
    this.depth--;
    return s;
  }

  private targetList(): Expr {
    const first = this.expectName('a loop variable');
    const items: Expr[] = [{ k: 'name', id: first.text, ...this.pos(first) }];
    while (this.eatOp(',')) {
      const n = this.expectName('a loop variable');
      items.push({ k: 'name', id: n.text, ...this.pos(n) });
    }
    return items.length === 1 ? items[0] : { k: 'list', items, tuple: true, ...this.pos(first) };
  }

  private simple(): Stmt {
    const t = this.t;
    const at = this.pos(t);
    if (t.kind === 'name') {
      if (t.text === 'pass') {
        this.p++;
        return { k: 'pass', ...at };
      }
      if (t.text === 'import') return this.importStmt();
      if (t.text === 'from') return this.fromStmt();
      if (Object.prototype.hasOwnProperty.call(STATEMENT_NAMES, t.text))
        this.err(`${STATEMENT_NAMES[t.text]} are not supported`);
      if (t.text === 'for' || t.text === 'with') this.err(`'${t.text}' must start its own line`);
    }
    const first = this.exprOrTuple();
    if (this.isOp('=')) {
      const targets = [first];
      let value: Expr = first;
      while (this.eatOp('=')) {
        value = this.exprOrTuple();
        targets.push(value);
      }
      targets.pop();
      for (const target of targets) this.checkTarget(target);
      return { k: 'assign', targets, value, ...at };
    }
    if (this.t.kind === 'op' && /^(\+|-|\*|\/)=$/.test(this.t.text)) {
      const op = this.t.text[0] as '+' | '-' | '*' | '/';
      this.p++;
      if (first.k !== 'name' && first.k !== 'attr')
        this.err('augmented assignment to this target is not supported', at);
      return { k: 'augassign', target: first, op, value: this.exprOrTuple(), ...at };
    }
    if (this.t.kind === 'op' && /^(\*\*|\/\/|%|>>|<<|:)=?$/.test(this.t.text) && this.t.text !== ':') {
      this.err(`the operator '${this.t.text}' is not supported here`);
    }
    if (this.isOp(':')) this.err('annotations are not supported');
    return { k: 'expr', e: first, ...at };
  }

  private checkTarget(e: Expr): void {
    if (e.k === 'name' || e.k === 'attr' || e.k === 'index') return;
    if (e.k === 'list') {
      for (const item of e.items) this.checkTarget(item);
      return;
    }
    this.err('cannot assign to this expression', e);
  }

  private dotted(): { path: string[]; pos: Pos } {
    const first = this.expectName('a module name');
    const path = [first.text];
    while (this.eatOp('.')) path.push(this.expectName('a module name').text);
    return { path, pos: this.pos(first) };
  }

  private importStmt(): Stmt {
    const at = this.pos();
    this.p++;
    const names: { path: string[]; alias?: string; pos: Pos }[] = [];
    do {
      const { path, pos } = this.dotted();
      let alias: string | undefined;
      if (this.isName('as')) {
        this.p++;
        alias = this.expectName('a name after as').text;
      }
      names.push({ path, alias, pos });
    } while (this.eatOp(','));
    return { k: 'import', names, ...at };
  }

  private fromStmt(): Stmt {
    const at = this.pos();
    this.p++;
    if (this.isOp('.')) this.err('relative imports are not supported');
    const { path } = this.dotted();
    if (!this.isName('import')) this.err(`expected 'import', found ${this.describe(this.t)}`);
    this.p++;
    if (this.eatOp('*')) return { k: 'from', module: path, names: '*', ...at };
    const paren = this.eatOp('(');
    const names: { name: string; alias?: string; pos: Pos }[] = [];
    do {
      if (paren && this.isOp(')')) break;
      const n = this.expectName('a name to import');
      let alias: string | undefined;
      if (this.isName('as')) {
        this.p++;
        alias = this.expectName('a name after as').text;
      }
      names.push({ name: n.text, alias, pos: this.pos(n) });
    } while (this.eatOp(','));
    if (paren) this.expectOp(')');
    return { k: 'from', module: path, names, ...at };
  }

  /** An expression, or a tuple without parentheses (`a, b`). */
  private exprOrTuple(): Expr {
    const at = this.pos();
    const first = this.expr();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.eatOp(',')) {
      if (this.startsExpr()) items.push(this.expr());
      else break;
    }
    return { k: 'list', items, tuple: true, ...at };
  }

  private startsExpr(): boolean {
    const t = this.t;
    if (t.kind === 'name' || t.kind === 'number' || t.kind === 'string') return !(t.kind === 'name' && t.text === 'in');
    return t.kind === 'op' && ['(', '[', '-', '+', '{', '~', '*'].includes(t.text);
  }

  expr(): Expr {
    const at = this.pos();
    this.enter(at);
    const e = this.sum();
    if (this.t.kind === 'name' && ['if', 'and', 'or', 'not', 'is', 'in'].includes(this.t.text)) {
      this.err(`'${this.t.text}' expressions are not supported`);
    }
    if (this.t.kind === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(this.t.text)) {
      this.err('comparisons are not supported');
    }
    if (this.t.kind === 'op' && ['&', '|', '^', '<<', '>>', '@'].includes(this.t.text)) {
      this.err(`the operator '${this.t.text}' is not supported`);
    }
    if (this.isOp(':=')) this.err("assignment expressions (':=') are not supported");
    this.depth--;
    return e;
  }

  private sum(): Expr {
    let a = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.toks[this.p++];
      a = { k: 'binary', op: t.text as '+' | '-', a, b: this.term(), ...this.pos(t) };
    }
    return a;
  }

  private term(): Expr {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.toks[this.p++];
      a = { k: 'binary', op: t.text as '*' | '/' | '//' | '%', a, b: this.unary(), ...this.pos(t) };
    }
    return a;
  }

  private unary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.toks[this.p++];
      this.enter(this.pos(t));
      const a = this.unary();
      this.depth--;
      return { k: 'unary', op: t.text as '-' | '+', a, ...this.pos(t) };
    }
    if (this.isOp('~')) this.err("the operator '~' is not supported");
    if (this.isName('not')) this.err("'not' expressions are not supported");
    return this.power();
  }

  private power(): Expr {
    const a = this.postfix();
    if (this.isOp('**')) {
      const t = this.toks[this.p++];
      this.enter(this.pos(t));
      const b = this.unary();
      this.depth--;
      return { k: 'binary', op: '**', a, b, ...this.pos(t) };
    }
    return a;
  }

  private postfix(): Expr {
    let e = this.atom();
    for (;;) {
      if (this.isOp('.')) {
        const t = this.toks[this.p++];
        const n = this.expectName('an attribute name');
        e = { k: 'attr', obj: e, name: n.text, ...this.pos(t) };
      } else if (this.isOp('(')) {
        const t = this.toks[this.p++];
        e = this.callArgs(e, this.pos(t));
      } else if (this.isOp('[')) {
        const t = this.toks[this.p++];
        const index = this.subscript();
        this.expectOp(']', 'to close the subscript');
        e = { k: 'index', obj: e, index, ...this.pos(t) };
      } else {
        return e;
      }
    }
  }

  private subscript(): Expr {
    const at = this.pos();
    const part = () => (this.isOp(':') || this.isOp(']') ? undefined : this.expr());
    const lo = part();
    if (!this.isOp(':')) {
      if (!lo) this.err('expected an index');
      if (this.isOp(',')) this.err('multi-dimensional subscripts are not supported');
      return lo;
    }
    this.p++;
    const hi = part();
    let step: Expr | undefined;
    if (this.eatOp(':')) step = part();
    return { k: 'slice', lo, hi, step, ...at };
  }

  private callArgs(fn: Expr, at: Pos): Expr {
    const args: Expr[] = [];
    const kwargs: { name: string; value: Expr; pos: Pos }[] = [];
    while (!this.isOp(')')) {
      if (this.isOp('*') || this.isOp('**')) this.err('argument unpacking (* and **) is not supported');
      if (this.t.kind === 'name' && this.toks[this.p + 1]?.kind === 'op' && this.toks[this.p + 1].text === '=') {
        const n = this.expectName('a keyword');
        this.p++;
        if (kwargs.some((k) => k.name === n.text)) this.err(`keyword argument repeated: ${n.text}`, this.pos(n));
        kwargs.push({ name: n.text, value: this.expr(), pos: this.pos(n) });
      } else {
        if (kwargs.length > 0) this.err('positional argument follows keyword argument');
        args.push(this.expr());
      }
      if (this.isName('for')) this.err('generator expressions are not supported');
      if (!this.eatOp(',')) break;
    }
    this.expectOp(')', 'to close the call');
    return { k: 'call', fn, args, kwargs, ...at };
  }

  private atom(): Expr {
    const t = this.t;
    const at = this.pos(t);
    if (t.kind === 'number') {
      this.p++;
      return { k: 'num', v: t.value!, isInt: !/[.eE]/.test(t.text) || /^0[xX]/.test(t.text), ...at };
    }
    if (t.kind === 'string') {
      this.p++;
      let v = t.text;
      while (this.t.kind === 'string') v += this.toks[this.p++].text;
      return { k: 'str', v, ...at };
    }
    if (t.kind === 'name') {
      if (t.text === 'True' || t.text === 'False' || t.text === 'None') {
        this.p++;
        return { k: 'const', v: t.text === 'None' ? null : t.text === 'True', ...at };
      }
      if (Object.prototype.hasOwnProperty.call(STATEMENT_NAMES, t.text))
        this.err(`${STATEMENT_NAMES[t.text]} are not supported`);
      if (KEYWORDS.has(t.text)) this.err(`unexpected keyword '${t.text}'`);
      this.p++;
      return { k: 'name', id: t.text, ...at };
    }
    if (t.kind === 'op' && (t.text === '(' || t.text === '[')) {
      const close = t.text === '(' ? ')' : ']';
      this.p++;
      this.enter(at);
      const items: Expr[] = [];
      let comma = false;
      while (!this.isOp(close)) {
        if (this.isOp('*')) this.err('unpacking (*) is not supported');
        items.push(this.expr());
        if (this.isName('for')) this.err('comprehensions are not supported');
        if (!this.eatOp(',')) break;
        comma = true;
      }
      this.expectOp(close);
      this.depth--;
      if (close === ')' && items.length === 1 && !comma) return items[0];
      return { k: 'list', items, tuple: close === ')', ...at };
    }
    if (t.kind === 'op' && t.text === '{') this.err('dictionaries and sets are not supported');
    this.err(`unexpected ${this.describe(t)}`);
  }
}
