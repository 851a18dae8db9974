import { CircuitError } from '../circuit/circuit';

/**
 * Tokenizer for the Python subset the builder front ends read (see README.md). It follows
 * Python's lexical rules where the subset needs them: indentation (INDENT/DEDENT), implicit line
 * joining inside brackets, backslash continuation, comments, string literals (no f-strings),
 * integer and float literals (no complex numbers).
 */

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'indent' | 'dedent' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Name, operator text, or the string's value. */
  text: string;
  /** For numbers. */
  value?: number;
  line: number;
  col: number;
}

/** Longest first. */
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '**',
  '//',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '==',
  '!=',
  '<=',
  '>=',
  '->',
  '<<',
  '>>',
  ':=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  ';',
  '=',
  '<',
  '>',
  '@',
  '&',
  '|',
  '^',
  '~',
];

/** Most nested brackets and indentation levels a program may use. */
export const MAX_NESTING = 100;

const isIdStart = (c: string) => /[A-Za-z_]/.test(c) || c.charCodeAt(0) > 127;
const isIdPart = (c: string) => /[A-Za-z0-9_]/.test(c) || c.charCodeAt(0) > 127;
const isDigit = (c: string) => c >= '0' && c <= '9';

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const indents = [0];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0; // bracket depth
  let atLineStart = true;
  const n = src.length;
  const err = (msg: string, l = line, c = i - lineStart + 1): never => {
    throw new CircuitError(msg, l, c);
  };
  const push = (kind: TokenKind, text: string, l: number, c: number, value?: number) => {
    tokens.push(value === undefined ? { kind, text, line: l, col: c } : { kind, text, value, line: l, col: c });
  };
  const lastIsNewline = () => tokens.length === 0 || tokens[tokens.length - 1].kind === 'newline';

  while (i < n) {
    if (atLineStart && depth === 0) {
      // measure indentation of a logical line
      let col = 0;
      let j = i;
      while (j < n && (src[j] === ' ' || src[j] === '\t' || src[j] === '\f')) {
        col = src[j] === '\t' ? (Math.floor(col / 8) + 1) * 8 : src[j] === '\f' ? 0 : col + 1;
        j++;
      }
      const c = src[j];
      if (j >= n || c === '\n' || c === '\r' || c === '#') {
        // blank or comment-only line: no indentation change
        i = j;
        if (c === '#') while (i < n && src[i] !== '\n') i++;
        if (i < n) {
          i++;
          line++;
          lineStart = i;
        }
        continue;
      }
      if (c === '\\' && (src[j + 1] === '\n' || (src[j + 1] === '\r' && src[j + 2] === '\n'))) {
        err('a line may not start with a line continuation', line, j - lineStart + 1);
      }
      atLineStart = false;
      i = j;
      const top = indents[indents.length - 1];
      if (col > top) {
        if (indents.length > MAX_NESTING) err('too deeply nested blocks');
        indents.push(col);
        push('indent', '', line, 1);
      } else if (col < top) {
        while (col < indents[indents.length - 1]) {
          indents.pop();
          push('dedent', '', line, 1);
        }
        if (col !== indents[indents.length - 1]) err('unindent does not match any outer indentation level', line, 1);
      }
      continue;
    }
    const ch = src[i];
    const col = i - lineStart + 1;
    if (ch === '\n') {
      if (depth === 0) {
        if (!lastIsNewline()) push('newline', '', line, col);
        atLineStart = true;
      }
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\ufeff') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (ch === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        line++;
        lineStart = i;
        continue;
      }
      if (src[i + 1] === '\r' && src[i + 2] === '\n') {
        i += 3;
        line++;
        lineStart = i;
        continue;
      }
      err('unexpected character after line continuation');
    }
    // strings, with optional prefix
    const prefix = /^[rRbBuUfF]{0,2}(?=['"])/.exec(src.slice(i, i + 3));
    if (isIdStart(ch) && !(prefix && prefix[0].length > 0)) {
      let j = i + 1;
      while (j < n && isIdPart(src[j])) j++;
      push('name', src.slice(i, j), line, col);
      i = j;
      continue;
    }
    if (ch === '"' || ch === "'" || (prefix && prefix[0].length > 0)) {
      const pre = prefix ? prefix[0].toLowerCase() : '';
      if (pre.includes('f')) err('f-strings are not supported');
      if (pre.includes('b')) err('bytes literals are not supported');
      const raw = pre.includes('r');
      let j = i + pre.length;
      const q = src[j];
      const triple = src.slice(j, j + 3) === q.repeat(3);
      j += triple ? 3 : 1;
      let value = '';
      const startLine = line;
      for (;;) {
        if (j >= n) err('unterminated string literal', startLine, col);
        const c = src[j];
        if (triple ? src.slice(j, j + 3) === q.repeat(3) : c === q) {
          j += triple ? 3 : 1;
          break;
        }
        if (c === '\n') {
          if (!triple) err('unterminated string literal', startLine, col);
          line++;
          lineStart = j + 1;
        }
        if (c === '\\' && j + 1 < n) {
          const e = src[j + 1];
          if (raw) {
            value += c + e;
          } else if (Object.prototype.hasOwnProperty.call(ESCAPES, e)) {
            value += ESCAPES[e];
          } else {
            value += c + e;
          }
          if (e === '\n') {
            line++;
            lineStart = j + 2;
          }
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      push('string', value, startLine, col);
      i = j;
      continue;
    }
    if (isDigit(ch) || (ch === '.' && isDigit(src[i + 1] ?? ''))) {
      const m =
        /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)/.exec(
          src.slice(i, i + 400),
        );
      const text = m ? m[0] : '';
      const j = i + text.length;
      if (src[j] === 'j' || src[j] === 'J') err('complex numbers are not supported');
      if (j < n && isIdPart(src[j])) err(`invalid number literal '${text}${src[j]}'`);
      const clean = text.replace(/_/g, '');
      if (/^0\d/.test(clean) && /^\d+$/.test(clean) && !/^0+$/.test(clean)) {
        err('leading zeros in decimal integer literals are not permitted');
      }
      const value = /^0[xob]/i.test(clean) ? Number(clean.toLowerCase()) : Number(clean);
      if (!Number.isFinite(value)) err(`number literal '${text}' out of range`);
      push('number', text, line, col, value);
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) err(`unexpected character '${ch}'`);
    if (op === '(' || op === '[' || op === '{') {
      depth++;
      if (depth > MAX_NESTING) err('too deeply nested brackets');
    } else if (op === ')' || op === ']' || op === '}') {
      depth = Math.max(0, depth - 1);
    }
    push('op', op!, line, col);
    i += op!.length;
  }
  if (depth > 0) err('unexpected end of program inside brackets');
  if (!lastIsNewline()) push('newline', '', line, i - lineStart + 1);
  while (indents.length > 1) {
    indents.pop();
    push('dedent', '', line, 1);
  }
  push('eof', '', line, i - lineStart + 1);
  return tokens;
}
