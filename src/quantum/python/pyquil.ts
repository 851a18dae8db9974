import { CircuitError, type Circuit } from '../circuit/circuit';
import { parseQuil } from '../quil';
import { num } from './emit';
import {
  type Args,
  fail,
  Interp,
  itemsOf,
  mathModule,
  own,
  PyFunc,
  PyList,
  PyModule,
  PyObj,
  toInt,
  typeOf,
  Unsupported,
  type Value,
  sdkImports,
} from './interp';
import type { Pos, Stmt } from './parser';

/**
 * The pyQuil builder: `Program`, the gate functions of `pyquil.gates`, `Declare`, `MEASURE`,
 * `RESET`, `HALT`; `Program(...)`, `p += ...`, `p.inst(...)`, `p.declare(...)`, `.dagger()` and
 * `.controlled(q)` on gates. The calls are written as Quil text, one line per instruction, which
 * parseQuil reads (so pyQuil programs get exactly the Quil front end's gates and semantics); its
 * errors are reported at the Python call that produced the instruction.
 */

/** pyquil.gates: name → [number of parameters, number of qubits]. */
const GATES: Record<string, [number, number]> = {
  I: [0, 1],
  X: [0, 1],
  Y: [0, 1],
  Z: [0, 1],
  H: [0, 1],
  S: [0, 1],
  T: [0, 1],
  PHASE: [1, 1],
  RX: [1, 1],
  RY: [1, 1],
  RZ: [1, 1],
  CZ: [0, 2],
  CNOT: [0, 2],
  CCNOT: [0, 3],
  CPHASE00: [1, 2],
  CPHASE01: [1, 2],
  CPHASE10: [1, 2],
  CPHASE: [1, 2],
  SWAP: [0, 2],
  CSWAP: [0, 3],
  ISWAP: [0, 2],
  PSWAP: [1, 2],
  XY: [1, 2],
  SQISW: [0, 2],
  FSIM: [2, 2],
  PHASEDFSIM: [5, 2],
  RZZ: [1, 2],
  RXX: [1, 2],
  RYY: [1, 2],
};

interface Line {
  text: string;
  at: Pos;
}

/** Something a Program holds: one or more Quil lines. */
abstract class Instruction extends PyObj {
  abstract lines(at: Pos): Line[];
}

class RawInstruction extends Instruction {
  constructor(
    readonly typeName: string,
    readonly text: string,
    readonly at: Pos,
  ) {
    super();
  }
  /** `at`: where the instruction was added, for the constants (HALT) that have no call of their own. */
  lines(at: Pos): Line[] {
    return [{ text: this.text, at: this.at.line === 0 ? at : this.at }];
  }
}

class Gate extends Instruction {
  readonly typeName = 'Gate';
  constructor(
    readonly name: string,
    readonly params: string[],
    readonly qubits: number[],
    readonly modifiers: string[],
    readonly at: Pos,
  ) {
    super();
  }
  lines(): Line[] {
    const p = this.params.length ? `(${this.params.join(', ')})` : '';
    return [{ text: `${[...this.modifiers, this.name].join(' ')}${p} ${this.qubits.join(' ')}`, at: this.at }];
  }
  override getAttr(name: string): Value | undefined {
    if (name === 'dagger') {
      return new PyFunc(`${this.name}.dagger`, (a) => {
        if (a.args.length || a.kwargs.size) fail('dagger() takes no arguments', a.at);
        return new Gate(this.name, this.params, this.qubits, ['DAGGER', ...this.modifiers], this.at);
      });
    }
    if (name === 'controlled') {
      return new PyFunc(`${this.name}.controlled`, (a, ctx) => {
        if (a.args.length !== 1 || a.kwargs.size) fail('controlled() takes one qubit or a list of qubits', a.at);
        const v = a.args[0];
        const list = v instanceof PyList ? itemsOf(v, a.argPos[0], ctx) : [v];
        const qubits = [...this.qubits];
        const modifiers = [...this.modifiers];
        for (const q of list) {
          qubits.unshift(qubit(q, a.argPos[0]));
          modifiers.unshift('CONTROLLED');
        }
        if (modifiers.length > 64) fail('too many gate modifiers', a.at);
        return new Gate(this.name, this.params, qubits, modifiers, this.at);
      });
    }
    if (name === 'name') return this.name;
    return undefined;
  }
}

class MemoryRegion extends PyObj {
  readonly typeName = 'MemoryReference';
  constructor(
    readonly name: string,
    readonly size: number,
  ) {
    super();
  }
  override getItem(index: Value, at: Pos): Value {
    const i = toInt(index, at, 'an integer offset');
    if (i < 0 || i >= this.size) fail(`offset ${i} out of range for '${this.name}' of size ${this.size}`, at);
    return new MemRef(this.name, i);
  }
  override getAttr(name: string): Value | undefined {
    return name === 'name' ? this.name : undefined;
  }
}

class MemRef extends PyObj {
  readonly typeName = 'MemoryReference';
  constructor(
    readonly name: string,
    readonly offset: number,
  ) {
    super();
  }
  get text(): string {
    return `${this.name}[${this.offset}]`;
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MEMORY_TYPES = new Set(['BIT', 'OCTET', 'INTEGER', 'REAL']);
const MAX_MEMORY = 1 << 20;

function qubit(v: Value, at: Pos): number {
  const q = toInt(v, at, 'a qubit index');
  if (q < 0) fail(`qubit ${q} must not be negative`, at);
  return q;
}

function param(v: Value, at: Pos): string {
  if (typeof v === 'number' || typeof v === 'boolean') return num(+v);
  if (v instanceof MemRef) return v.text;
  if (v instanceof MemoryRegion) return v.name;
  return fail(`expected a number or a memory reference as gate parameter, found ${typeOf(v)}`, at);
}

function memRef(v: Value, at: Pos): string {
  if (v instanceof MemRef) return v.text;
  if (v instanceof MemoryRegion) return `${v.name}[0]`;
  if (v instanceof PyList && v.items.length === 2 && typeof v.items[0] === 'string') {
    if (!IDENT.test(v.items[0])) fail(`invalid memory region name '${v.items[0]}'`, at);
    return `${v.items[0]}[${toInt(v.items[1], at, 'an integer offset')}]`;
  }
  if (typeof v === 'string' && IDENT.test(v)) return `${v}[0]`;
  return fail(`expected a memory reference such as ("ro", 0) or ro[0], found ${typeOf(v)}`, at);
}

function declare(a: Args, regions: Map<string, MemoryRegion>): { line: string; region: MemoryRegion } {
  const names = ['name', 'memory_type', 'memory_size'];
  const vals: (Value | undefined)[] = names.map((_, i) => a.args[i]);
  if (a.args.length > 3) fail(`${a.callee}() takes at most 3 positional arguments`, a.at);
  for (const [k, { value, pos }] of a.kwargs) {
    const i = names.indexOf(k === 'size' ? 'memory_size' : k === 'type' ? 'memory_type' : k);
    if (i < 0) fail(`${a.callee}() got an unsupported keyword argument '${k}'`, pos);
    vals[i] = value;
  }
  const [name, type, size] = vals;
  if (typeof name !== 'string' || !IDENT.test(name)) fail('a memory region needs a name (a string)', a.at);
  const t = type === undefined ? 'BIT' : type;
  if (typeof t !== 'string' || !MEMORY_TYPES.has(t))
    fail('memory_type must be "BIT", "OCTET", "INTEGER" or "REAL"', a.at);
  const n = size === undefined ? 1 : toInt(size, a.at, 'a memory size');
  if (n < 1 || n > MAX_MEMORY) fail(`memory_size ${n} out of range`, a.at);
  const region = new MemoryRegion(name, n);
  regions.set(name, region);
  return { line: `DECLARE ${name} ${t}${n > 1 ? `[${n}]` : ''}`, region };
}

class Program extends PyObj {
  readonly typeName = 'Program';
  readonly body: Line[] = [];
  constructor(private readonly regions: Map<string, MemoryRegion>) {
    super();
  }

  add(v: Value, at: Pos, ctx: Interp, depth = 0): void {
    if (v instanceof Instruction) {
      const lines = v.lines(at);
      ctx.tick(lines.length, at);
      this.body.push(...lines);
    } else if (v instanceof Program) {
      ctx.tick(v.body.length, at);
      this.body.push(...v.body);
    } else if (typeof v === 'string') {
      ctx.tick(1, at);
      for (const text of v.split('\n')) this.body.push({ text, at });
    } else if (depth < 8 && v instanceof PyList) {
      for (const x of v.items) this.add(x, at, ctx, depth + 1);
    } else {
      fail(`a Program holds instructions, found ${typeOf(v)}`, at);
    }
  }

  override iadd(value: Value, at: Pos, ctx: Interp): Value {
    this.add(value, at, ctx);
    return this;
  }

  override getAttr(name: string): Value | undefined {
    switch (name) {
      case 'inst':
        return new PyFunc('Program.inst', (a, ctx) => {
          if (a.kwargs.size) fail('inst() takes no keyword arguments', a.at);
          a.args.forEach((v, i) => this.add(v, a.argPos[i], ctx));
          return this;
        });
      case 'declare':
        return new PyFunc('Program.declare', (a, ctx) => {
          const { line, region } = declare(a, this.regions);
          ctx.tick(1, a.at);
          this.body.push({ text: line, at: a.at });
          return region;
        });
      case 'measure_all':
        return new PyFunc('Program.measure_all', (a, ctx) => {
          if (a.args.length || a.kwargs.size) fail('measure_all() with arguments is not supported', a.at);
          const qubits = [...new Set(this.body.flatMap((l) => usedQubits(l.text)))].sort((x, y) => x - y);
          if (qubits.length === 0) return this;
          ctx.tick(qubits.length + 1, a.at);
          this.body.push({ text: `DECLARE ro BIT[${qubits.length}]`, at: a.at });
          qubits.forEach((q, i) => this.body.push({ text: `MEASURE ${q} ro[${i}]`, at: a.at }));
          return this;
        });
      case 'wrap_in_numshots_loop':
        // The number of shots is the job's; the program is the same.
        return new PyFunc('Program.wrap_in_numshots_loop', () => this);
      default:
        return new Unsupported(`Program.${name}`);
    }
  }
}

/** Qubit indices of a gate, MEASURE or RESET line this builder wrote. */
function usedQubits(text: string): number[] {
  const m = /^(?:(?:CONTROLLED|DAGGER) )*[A-Z0-9]+(?:\([^)]*\))?((?: \d+)+)/.exec(text);
  if (m && !text.startsWith('DECLARE')) return m[1].trim().split(' ').map(Number);
  const meas = /^(?:MEASURE|RESET) (\d+)/.exec(text);
  return meas ? [Number(meas[1])] : [];
}

/** Reads a pyQuil program: its Quil text goes through parseQuil. */
export function readPyQuil(stmts: Stmt[], maxOperations: number): Circuit {
  const regions = new Map<string, MemoryRegion>();
  const created: Program[] = [];
  const ProgramClass = new PyFunc('Program', (a, ctx) => {
    if (a.kwargs.size) fail('Program() takes no keyword arguments', a.at);
    const p = new Program(regions);
    a.args.forEach((v, i) => p.add(v, a.argPos[i], ctx));
    created.push(p);
    return p;
  });
  const gate = (name: string, [np, nq]: [number, number]) =>
    new PyFunc(name, (a) => {
      if (a.kwargs.size) fail(`${name}() takes positional arguments only`, a.at);
      if (a.args.length !== np + nq) fail(`${name}() takes ${np + nq} arguments (${a.args.length} given)`, a.at);
      const params = a.args.slice(0, np).map((v, i) => param(v, a.argPos[i]));
      const qubits = a.args.slice(np).map((v, i) => qubit(v, a.argPos[np + i]));
      return new Gate(name, params, qubits, [], a.at);
    });
  const gatesMember = (n: string): Value | undefined => {
    const g = own(GATES, n);
    if (g) return gate(n, g);
    switch (n) {
      case 'MEASURE':
        return new PyFunc('MEASURE', (a) => {
          if (a.kwargs.size || a.args.length < 1 || a.args.length > 2)
            fail('MEASURE(qubit, classical_reg) takes 1 or 2 arguments', a.at);
          const q = qubit(a.args[0], a.argPos[0]);
          const target = a.args.length > 1 && a.args[1] !== null ? ` ${memRef(a.args[1], a.argPos[1])}` : '';
          return new RawInstruction('Measurement', `MEASURE ${q}${target}`, a.at);
        });
      case 'RESET':
        return new PyFunc('RESET', (a) => {
          if (a.kwargs.size || a.args.length > 1) fail('RESET takes at most one qubit', a.at);
          const q = a.args.length && a.args[0] !== null ? ` ${qubit(a.args[0], a.argPos[0])}` : '';
          return new RawInstruction('Reset', `RESET${q}`, a.at);
        });
      case 'HALT':
      case 'NOP':
      case 'WAIT':
        return new RawInstruction(n, n, { line: 0, col: 0 });
      case 'Declare':
        return declareClass;
      default:
        return undefined;
    }
  };
  const declareClass = new PyFunc('Declare', (a) => {
    const { line } = declare(a, regions);
    return new RawInstruction('Declare', line, a.at);
  });
  const ALL = new PyList([...Object.keys(GATES), 'MEASURE', 'RESET', 'HALT', 'NOP', 'WAIT'], false);
  const modules: Record<string, PyModule> = {
    math: mathModule('math'),
    numpy: mathModule('numpy'),
  };
  const member = (path: string, f: (n: string) => Value | undefined) =>
    (modules[path] = new PyModule(
      path,
      (n) => f(n) ?? own(modules, `${path}.${n}`) ?? new Unsupported(`${path}.${n}`),
    ));
  member('pyquil', (n) =>
    n === 'Program' ? ProgramClass : n === '__all__' ? new PyList(['Program'], false) : undefined,
  );
  member('pyquil.quil', (n) =>
    n === 'Program' ? ProgramClass : n === '__all__' ? new PyList(['Program'], false) : undefined,
  );
  member('pyquil.gates', (n) => (n === '__all__' ? ALL : gatesMember(n)));
  member('pyquil.quilbase', (n) =>
    n === 'Declare' ? declareClass : n === '__all__' ? new PyList(['Declare'], false) : undefined,
  );
  const interp = new Interp({
    maxOperations,
    globals: { Program: ProgramClass },
    importModule: sdkImports(modules, (root) => root === 'pyquil'),
  });
  interp.run(stmts);
  const v = interp.env.get('circuit');
  let program: Program;
  if (v instanceof Program) program = v;
  else if (v !== undefined)
    return fail(`the variable 'circuit' holds ${typeOf(v)}, not a Program`, { line: 1, col: 1 });
  else if (created.length === 1) program = created[0];
  else {
    return fail(
      created.length === 0
        ? 'the program builds no Program'
        : "the program must assign its Program to a variable named 'circuit'",
      {
        line: 1,
        col: 1,
      },
    );
  }
  const text = program.body.map((l) => l.text).join('\n') + '\n';
  try {
    return parseQuil(text, { maxOperations });
  } catch (err) {
    if (!(err instanceof CircuitError)) throw err;
    const line = program.body[err.line - 1];
    if (!line) throw new CircuitError(err.reason, 1, 1, err.code);
    throw new CircuitError(
      `${err.reason} (in the Quil instruction '${line.text.trim()}')`,
      line.at.line,
      line.at.col,
      err.code,
    );
  }
}

/**
 * Whether a program looks like pyQuil code rather than Quil text: it imports pyquil, or calls
 * `Program(`, or assigns (Quil has no `=`).
 */
export function looksLikePyQuil(source: string): boolean {
  if (typeof source !== 'string') return false;
  return (
    /^\s*(from\s+pyquil\b|import\s+pyquil\b)/m.test(source) ||
    /\bProgram\s*\(/.test(source) ||
    /^\s*[A-Za-z_]\w*\s*\+?=[^=]/m.test(source)
  );
}
