import { CircuitError } from '../circuit/circuit';

/**
 * Tokenizer shared by the OpenQASM 2 and 3 front ends. Keywords are plain identifiers; the parser
 * decides what they mean. Lines and columns are 1-based; a column counts Unicode code points.
 */

/** 'duration' and 'imag' are OpenQASM 3 literals this front end rejects when it meets them. */
export type TokenKind = 'id' | 'int' | 'float' | 'str' | 'op' | 'duration' | 'imag' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier or operator text, number as written, string contents without quotes. */
  text: string;
  /** Numeric value of 'int' and 'float' tokens (0 otherwise). */
  value: number;
  line: number;
  col: number;
}

/** Operators of two or three characters, by their first character. */
const MULTI_OPS = new Map<string, string[]>();
for (const op of [
  '<<=',
  '>>=',
  '**=',
  '->',
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  '&&',
  '||',
  '**',
  '++',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
]) {
  const list = MULTI_OPS.get(op[0]) ?? [];
  list.push(op);
  MULTI_OPS.set(op[0], list);
}
const SINGLE_OPS = new Set(';,()[]{}+-*/%^!~&|<>=@:.#$?');

/** How a token is shown in an error message: 'h', "qelib1.inc" or end of input. */
export function show(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  if (t.kind === 'str') return `"${t.text}"`;
  return `'${t.text}'`;
}

const DURATION_UNITS = new Set(['dt', 'ns', 'us', 'µs', 'ms', 's']);

function isAsciiIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isDigitOrUnderscore(c: number, v3: boolean): boolean {
  return (c >= 48 && c <= 57) || (v3 && c === 95);
}
const UNICODE_ID_START = /[\p{L}\p{Nl}]/u;
const UNICODE_ID_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;

export function tokenize(src: string, v3: boolean): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  // Columns count code points: astral characters seen so far on this line are subtracted.
  let astral = 0;
  const col = (at: number) => at - lineStart - astral + 1;
  const fail = (msg: string, l: number, c: number): never => {
    throw new CircuitError(msg, l, c);
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    // Whitespace and line breaks.
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      astral = 0;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xfeff || c === 0xa0) {
      i++;
      continue;
    }
    // Comments.
    if (c === 47 /* / */ && i + 1 < n) {
      const d = src.charCodeAt(i + 1);
      if (d === 47) {
        const end = src.indexOf('\n', i);
        i = end < 0 ? n : end;
        continue;
      }
      if (d === 42) {
        const sl = line;
        const sc = col(i);
        const end = src.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated block comment', sl, sc);
        for (let k = i; k < end; k++) {
          const ch = src.charCodeAt(k);
          if (ch === 10) {
            line++;
            lineStart = k + 1;
            astral = 0;
          } else if (ch >= 0xd800 && ch <= 0xdbff) astral++;
        }
        i = end + 2;
        continue;
      }
    }
    const tl = line;
    const tc = col(i);
    // Identifiers (ASCII fast path, then Unicode letters such as θ, π, τ, ℇ).
    if (isAsciiIdStart(c) || (c > 127 && UNICODE_ID_START.test(String.fromCodePoint(src.codePointAt(i)!)))) {
      const start = i;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (isAsciiIdStart(d) || isDigit(d)) {
          i++;
          continue;
        }
        if (d > 127) {
          const cp = src.codePointAt(i)!;
          if (UNICODE_ID_PART.test(String.fromCodePoint(cp))) {
            if (cp > 0xffff) {
              i += 2;
              astral++;
            } else i++;
            continue;
          }
        }
        break;
      }
      out.push({ kind: 'id', text: src.slice(start, i), value: 0, line: tl, col: tc });
      continue;
    }
    // Numbers.
    if (isDigit(c) || (c === 46 /* . */ && i + 1 < n && isDigit(src.charCodeAt(i + 1)))) {
      const start = i;
      let isFloat = false;
      let value: number;
      const radix = c === 48 && i + 1 < n ? src[i + 1] : '';
      if (radix === 'x' || radix === 'X' || radix === 'b' || radix === 'B' || radix === 'o' || radix === 'O') {
        i += 2;
        const re =
          radix === 'x' || radix === 'X' ? /[0-9a-fA-F_]/ : radix === 'b' || radix === 'B' ? /[01_]/ : /[0-7_]/;
        while (i < n && re.test(src[i])) i++;
        const digits = src.slice(start + 2, i).replace(/_/g, '');
        if (!v3) fail(`invalid number '${src.slice(start, i)}'`, tl, tc);
        if (digits === '') fail(`invalid number '${src.slice(start, i)}'`, tl, tc);
        const base = radix === 'x' || radix === 'X' ? 16 : radix === 'b' || radix === 'B' ? 2 : 8;
        value = parseInt(digits, base);
      } else {
        while (i < n && isDigitOrUnderscore(src.charCodeAt(i), v3)) i++;
        if (i < n && src.charCodeAt(i) === 46 /* . */) {
          isFloat = true;
          i++;
          while (i < n && isDigitOrUnderscore(src.charCodeAt(i), v3)) i++;
        }
        const e = src.charCodeAt(i);
        if (e === 101 || e === 69 /* e E */) {
          let k = i + 1;
          const sign = src.charCodeAt(k);
          if (sign === 43 || sign === 45) k++;
          if (k < n && isDigit(src.charCodeAt(k))) {
            isFloat = true;
            i = k;
            while (i < n && isDigitOrUnderscore(src.charCodeAt(i), v3)) i++;
          }
        }
        let text = src.slice(start, i);
        if (v3 && text.includes('_')) {
          if (/_$|_\.|\._|_[eE]/.test(text)) fail(`invalid number '${text}'`, tl, tc);
          text = text.replace(/_/g, '');
        }
        value = Number(text);
      }
      const raw = src.slice(start, i);
      // A letter straight after a number: imaginary literal, duration, or a typo.
      if (i < n && (isAsciiIdStart(src.charCodeAt(i)) || src.charCodeAt(i) > 127)) {
        let k = i;
        while (k < n && (isAsciiIdStart(src.charCodeAt(k)) || isDigit(src.charCodeAt(k)) || src.charCodeAt(k) === 0xb5))
          k++;
        const suffix = src.slice(i, k);
        if (v3 && (suffix === 'im' || DURATION_UNITS.has(suffix))) {
          out.push({ kind: suffix === 'im' ? 'imag' : 'duration', text: raw + suffix, value, line: tl, col: tc });
          i = k;
          continue;
        }
        fail(`invalid number '${raw}${suffix}'`, tl, tc);
      }
      if (!Number.isFinite(value)) fail(`number '${raw}' is too large`, tl, tc);
      if (!isFloat && !Number.isSafeInteger(value)) fail(`integer '${raw}' is too large`, tl, tc);
      out.push({ kind: isFloat ? 'float' : 'int', text: raw, value, line: tl, col: tc });
      continue;
    }
    // Strings (include file names).
    if (c === 34 || c === 39) {
      const quote = src[i];
      let k = i + 1;
      while (k < n && src[k] !== quote && src[k] !== '\n') k++;
      if (k >= n || src[k] !== quote) fail('unterminated string', tl, tc);
      out.push({ kind: 'str', text: src.slice(i + 1, k), value: 0, line: tl, col: tc });
      i = k + 1;
      continue;
    }
    // Operators.
    const ch = src[i];
    let op: string | undefined;
    const multi = MULTI_OPS.get(ch);
    if (multi) {
      for (const m of multi) {
        if (src.startsWith(m, i)) {
          op = m;
          break;
        }
      }
    }
    if (op === undefined && SINGLE_OPS.has(ch)) op = ch;
    if (op === undefined) {
      const cp = src.codePointAt(i)!;
      const shown = cp < 32 || cp === 127 ? `\\u${cp.toString(16).padStart(4, '0')}` : String.fromCodePoint(cp);
      fail(`unexpected character '${shown}'`, tl, tc);
    }
    out.push({ kind: 'op', text: op!, value: 0, line: tl, col: tc });
    i += op!.length;
  }
  out.push({ kind: 'eof', text: '', value: 0, line, col: col(n) });
  return out;
}

/**
 * A cursor over tokens, with the helpers both parsers (parser.ts, parser3.ts) read them with.
 * `reserved` holds the words that cannot name anything new.
 */
export class TokenReader {
  protected i = 0;

  constructor(
    protected readonly toks: Token[],
    private readonly reserved: ReadonlySet<string>,
  ) {}

  protected peek(offset = 0): Token {
    const k = this.i + offset;
    return this.toks[k < this.toks.length ? k : this.toks.length - 1];
  }
  protected next(): Token {
    const t = this.toks[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  protected isOp(t: Token, s: string): boolean {
    return t.kind === 'op' && t.text === s;
  }
  protected isId(t: Token, s: string): boolean {
    return t.kind === 'id' && t.text === s;
  }
  protected pos(t: { line: number; col: number }): { line: number; col: number } {
    return { line: t.line, col: t.col };
  }
  protected fail(msg: string, at: { line: number; col: number }): never {
    throw new CircuitError(msg, at.line, at.col);
  }
  protected expectOp(s: string): Token {
    const t = this.peek();
    if (!this.isOp(t, s)) this.fail(`expected '${s}' but found ${show(t)}`, t);
    return this.next();
  }
  protected eatOp(s: string): boolean {
    if (this.isOp(this.peek(), s)) {
      this.next();
      return true;
    }
    return false;
  }
  protected expectId(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'id') this.fail(`expected ${what} but found ${show(t)}`, t);
    return this.next();
  }
  /** An identifier that names something new (register, gate, parameter, variable...). */
  protected newName(noun: string): Token {
    const t = this.expectId(`a ${noun} name`);
    if (this.reserved.has(t.text)) this.fail(`'${t.text}' is a reserved word and cannot be used as a ${noun} name`, t);
    return t;
  }
}
