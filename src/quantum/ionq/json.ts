import { CircuitError } from '../circuit/circuit';

/**
 * A small JSON reader that keeps the line and column (1-based, in code points) of every value, so
 * that the IonQ front end can point at the offending value. Strict JSON (RFC 8259) plus `//` and
 * `/* *\/` comments (IonQ's own examples carry them). Bounded: nesting at most {@link MAX_DEPTH}
 * deep; duplicate keys are refused. Throws only CircuitError.
 */

export const MAX_DEPTH = 64;

interface Pos {
  line: number;
  col: number;
}

export type JsonNode = Pos &
  (
    | { kind: 'object'; entries: Map<string, { key: Pos; value: JsonNode }> }
    | { kind: 'array'; items: JsonNode[] }
    | { kind: 'string'; value: string }
    | { kind: 'number'; value: number }
    | { kind: 'bool'; value: boolean }
    | { kind: 'null' }
  );

/** A short description of a node's type for messages ("a string", "an array"). */
export function describe(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return `the string ${JSON.stringify(node.value.length > 40 ? `${node.value.slice(0, 40)}…` : node.value)}`;
    case 'number':
      return `the number ${node.value}`;
    case 'bool':
      return String(node.value);
    case 'null':
      return 'null';
  }
}

class Reader {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  /** Surrogate pairs seen on the current line before `i` (columns count code points). */
  private pairs = 0;

  constructor(private readonly s: string) {}

  private pos(): Pos {
    return { line: this.line, col: this.i - this.lineStart - this.pairs + 1 };
  }

  private fail(message: string, at: Pos = this.pos()): never {
    throw new CircuitError(message, at.line, at.col);
  }

  private skip(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 10) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
        this.pairs = 0;
      } else if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
        this.i++;
      } else if (c === 47 && s.charCodeAt(this.i + 1) === 47) {
        while (this.i < s.length && s.charCodeAt(this.i) !== 10) this.advance();
      } else if (c === 47 && s.charCodeAt(this.i + 1) === 42) {
        const start = this.pos();
        this.i += 2;
        for (;;) {
          if (this.i >= s.length) this.fail('unterminated comment', start);
          if (s.charCodeAt(this.i) === 42 && s.charCodeAt(this.i + 1) === 47) {
            this.i += 2;
            break;
          }
          if (s.charCodeAt(this.i) === 10) {
            this.i++;
            this.line++;
            this.lineStart = this.i;
            this.pairs = 0;
          } else this.advance();
        }
      } else return;
    }
  }

  /** Moves past one UTF-16 unit on the current line, counting surrogate pairs once. */
  private advance(): void {
    const c = this.s.charCodeAt(this.i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = this.s.charCodeAt(this.i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        this.i++;
        this.pairs++;
      }
    }
    this.i++;
  }

  document(): JsonNode {
    this.skip();
    const v = this.value(0);
    this.skip();
    if (this.i < this.s.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) this.fail(`JSON nested more than ${MAX_DEPTH} deep`);
    const at = this.pos();
    const c = this.s[this.i];
    if (c === '{') return this.object(depth, at);
    if (c === '[') return this.array(depth, at);
    if (c === '"') return { kind: 'string', value: this.string(), ...at };
    if (c === '-' || (c >= '0' && c <= '9')) return { kind: 'number', value: this.number(), ...at };
    for (const [word, node] of [
      ['true', { kind: 'bool', value: true }],
      ['false', { kind: 'bool', value: false }],
      ['null', { kind: 'null' }],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return { ...node, ...at };
      }
    }
    if (this.i >= this.s.length) this.fail('unexpected end of the JSON text');
    this.fail(`unexpected character '${String.fromCodePoint(this.s.codePointAt(this.i)!)}' in JSON`);
  }

  private object(depth: number, at: Pos): JsonNode {
    this.i++;
    const entries = new Map<string, { key: Pos; value: JsonNode }>();
    this.skip();
    if (this.s[this.i] === '}') {
      this.i++;
      return { kind: 'object', entries, ...at };
    }
    for (;;) {
      this.skip();
      const keyPos = this.pos();
      if (this.s[this.i] !== '"') this.fail('expected a key (a string in double quotes)');
      const key = this.string();
      if (entries.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`, keyPos);
      this.skip();
      if (this.s[this.i] !== ':') this.fail("expected ':' after the key");
      this.i++;
      this.skip();
      entries.set(key, { key: keyPos, value: this.value(depth + 1) });
      this.skip();
      const c = this.s[this.i];
      this.i++;
      if (c === '}') return { kind: 'object', entries, ...at };
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or '}' in an object");
      }
    }
  }

  private array(depth: number, at: Pos): JsonNode {
    this.i++;
    const items: JsonNode[] = [];
    this.skip();
    if (this.s[this.i] === ']') {
      this.i++;
      return { kind: 'array', items, ...at };
    }
    for (;;) {
      this.skip();
      items.push(this.value(depth + 1));
      this.skip();
      const c = this.s[this.i];
      this.i++;
      if (c === ']') return { kind: 'array', items, ...at };
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or ']' in an array");
      }
    }
  }

  private string(): string {
    const start = this.pos();
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated string', start);
      const c = this.s.charCodeAt(this.i);
      if (c === 34) {
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('control character in a string (escape it)');
      if (c === 92) {
        const e = this.s[this.i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e in simple) {
          out += simple[e];
          this.i += 2;
        } else if (e === 'u') {
          const hex = this.s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
        } else this.fail('invalid escape in a string');
        continue;
      }
      const from = this.i;
      this.advance();
      out += this.s.slice(from, this.i);
    }
  }

  private number(): number {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail('invalid number');
    const v = Number(m[0]);
    if (!Number.isFinite(v)) this.fail(`number out of range: ${m[0]}`);
    this.i += m[0].length;
    return v;
  }
}

/** Reads a JSON text (see the doc of this file). */
export function readJson(text: string): JsonNode {
  return new Reader(text).document();
}
