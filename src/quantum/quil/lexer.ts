import { CircuitError } from '../circuit/circuit';

/**
 * Tokenizer of Quil. Newlines (and `;`) end instructions, so they are tokens; `#` starts a comment
 * to the end of the line. Identifiers may hold dashes inside (`JUMP-WHEN`, `my-gate`), labels are
 * `@name`, gate parameters `%name`. Lines and columns are 1-based.
 */

export type TokenKind = 'id' | 'num' | 'imag' | 'label' | 'param' | 'str' | 'op' | 'nl' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier, label or parameter name (without `@`/`%`), operator, string contents, number as written. */
  text: string;
  /** Value of 'num' and 'imag' tokens (the imaginary part of 'imag'). */
  value: number;
  /** Whether a 'num' token is written as an integer (no dot, no exponent). */
  integer: boolean;
  line: number;
  col: number;
  /** First token of a line that starts with whitespace (a DEFGATE/DEFCIRCUIT body line). */
  indented: boolean;
}

export function show(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'nl':
      return 'end of line';
    case 'label':
      return `'@${t.text}'`;
    case 'param':
      return `'%${t.text}'`;
    case 'str':
      return `"${t.text}"`;
    default:
      return `'${t.text}'`;
  }
}

const OPS = new Set('()[],:+-*/^');

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || isDigit(c) || c === 45;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Most tokens a program may have (a bound on memory for absurd inputs). */
const MAX_TOKENS = 20_000_000;

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  let sawSpace = false;
  const push = (kind: TokenKind, text: string, start: number, value = 0, integer = false) => {
    if (out.length >= MAX_TOKENS) throw new CircuitError('program too large', line, start - lineStart + 1);
    out.push({
      kind,
      text,
      value,
      integer,
      line,
      col: start - lineStart + 1,
      indented: atLineStart && sawSpace && kind !== 'nl',
    });
    if (kind !== 'nl') atLineStart = false;
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      push('nl', '\n', i);
      i++;
      line++;
      lineStart = i;
      atLineStart = true;
      sawSpace = false;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xfeff || c === 0xa0) {
      if (atLineStart && c !== 13 && c !== 0xfeff) sawSpace = true;
      i++;
      continue;
    }
    if (c === 35) {
      // '#' comment
      const end = src.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === 59) {
      push('nl', ';', i);
      i++;
      continue;
    }
    const start = i;
    if (isIdStart(c)) {
      i++;
      while (i < n && isIdPart(src.charCodeAt(i))) i++;
      // Identifiers do not end with a dash.
      while (src.charCodeAt(i - 1) === 45) i--;
      push('id', src.slice(start, i), start);
      continue;
    }
    if (c === 64 || c === 37) {
      // '@label' or '%param'
      i++;
      if (i >= n || !isIdStart(src.charCodeAt(i))) {
        throw new CircuitError(`expected a name after '${src[start]}'`, line, start - lineStart + 1);
      }
      const s = i;
      while (i < n && isIdPart(src.charCodeAt(i))) i++;
      while (src.charCodeAt(i - 1) === 45) i--;
      push(c === 64 ? 'label' : 'param', src.slice(s, i), start);
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      let integer = true;
      if (src.charCodeAt(i) === 46) {
        integer = false;
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const e = src.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        if (src.charCodeAt(j) === 43 || src.charCodeAt(j) === 45) j++;
        if (isDigit(src.charCodeAt(j))) {
          integer = false;
          i = j;
          while (i < n && isDigit(src.charCodeAt(i))) i++;
        }
      }
      const text = src.slice(start, i);
      const value = Number(text);
      if (src.charCodeAt(i) === 105 && !isIdPart(src.charCodeAt(i + 1))) {
        i++;
        push('imag', text + 'i', start, value);
        continue;
      }
      if (isIdStart(src.charCodeAt(i))) {
        throw new CircuitError(`malformed number '${src.slice(start, i + 1)}'`, line, start - lineStart + 1);
      }
      push('num', text, start, value, integer);
      continue;
    }
    if (c === 34) {
      i++;
      let text = '';
      while (i < n && src.charCodeAt(i) !== 34) {
        if (src.charCodeAt(i) === 10) {
          throw new CircuitError('unterminated string', line, start - lineStart + 1);
        }
        if (src.charCodeAt(i) === 92 && i + 1 < n) i++;
        text += src[i];
        i++;
      }
      if (i >= n) throw new CircuitError('unterminated string', line, start - lineStart + 1);
      i++;
      push('str', text, start);
      continue;
    }
    const ch = src[i];
    if (OPS.has(ch)) {
      i++;
      push('op', ch, start);
      continue;
    }
    const cp = src.codePointAt(i) ?? c;
    throw new CircuitError(`unexpected character '${String.fromCodePoint(cp)}'`, line, start - lineStart + 1);
  }
  push('nl', '', i);
  push('eof', '', i);
  return out;
}
