import type { Circuit, Op } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { ctrl, type GateDef, instantiate, M, one, power, TWO } from './gatelib';
import {
  type Args,
  argPos,
  bind,
  fail,
  Interp,
  itemsOf,
  mathModule,
  own,
  PyFunc,
  PyList,
  PyModule,
  PyObj,
  PyRange,
  toInt,
  toNumber,
  typeOf,
  Unsupported,
  type Value,
  sdkImports,
} from './interp';
import type { Pos, Stmt } from './parser';

/**
 * The Amazon Braket builder: `Circuit()` and its gate methods, with the matrices of
 * amazon-braket-sdk-python v1.125 (`src/braket/circuits/gates.py`), its `control=`,
 * `control_state=` and `power=` keywords, and `measure`. Braket's multi-qubit matrices are
 * big-endian in the target order (the first target most significant); the definitions below are
 * written for that order and checked against the SDK's matrices in braket.spec.ts.
 *
 * Braket's circuits hold the qubits they use: the IR's qubit i is the i-th smallest qubit the
 * program uses (qubits 0..n-1 when it uses them all). A circuit without `measure` measures every
 * qubit at the end into one register `c` (qubit i → bit i); with `measure`, the j-th measured qubit
 * goes to bit j, as Braket reports `measured_qubits`.
 */

type Shape =
  /** `name(target, *angles)`: broadcast over the target set. */
  | 'single'
  /** `name(target1, target2, *angles)`. */
  | 'pair'
  /** `name(control, target, *angles, power=1)`: the control set; no control keywords. */
  | 'controlled'
  /** `ccnot(control1, control2, target)`. */
  | 'ccnot'
  /** `cswap(control, target1, target2, power=1)`. */
  | 'cswap';

interface BraketGate {
  shape: Shape;
  angles: string[];
  /** Defaults of trailing angles (ms's angle_3). */
  defaults?: number[];
  def: (p: number[]) => GateDef;
}

const S = (m: Parameters<typeof one>[0]): BraketGate => ({ shape: 'single', angles: [], def: () => one(m) });
const A1 = ['angle'];
const A3 = ['angle_1', 'angle_2', 'angle_3'];

export const BRAKET_GATES: Record<string, BraketGate> = {
  h: S(G.H),
  i: S(G.I),
  x: S(G.X),
  y: S(G.Y),
  z: S(G.Z),
  s: S(G.S),
  si: S(G.SDG),
  t: S(G.T),
  ti: S(G.TDG),
  v: S(G.SX),
  vi: S(M.SXDG),
  rx: { shape: 'single', angles: A1, def: ([t]) => one(G.rx(t)) },
  ry: { shape: 'single', angles: A1, def: ([t]) => one(G.ry(t)) },
  rz: { shape: 'single', angles: A1, def: ([t]) => one(G.rz(t)) },
  phaseshift: { shape: 'single', angles: A1, def: ([t]) => one(G.phase(t)) },
  u: { shape: 'single', angles: A3, def: ([t, p, l]) => one(G.u3(t, p, l)) },
  gpi: { shape: 'single', angles: A1, def: ([p]) => one(M.gpi(p)) },
  gpi2: { shape: 'single', angles: A1, def: ([p]) => one(M.gpi2(p)) },
  prx: { shape: 'single', angles: ['angle_1', 'angle_2'], def: ([t, p]) => one(M.r(t, p)) },
  cnot: { shape: 'controlled', angles: [], def: () => one(G.X) },
  cy: { shape: 'controlled', angles: [], def: () => one(G.Y) },
  cz: { shape: 'controlled', angles: [], def: () => one(G.Z) },
  cv: { shape: 'controlled', angles: [], def: () => one(G.SX) },
  cphaseshift: { shape: 'controlled', angles: A1, def: ([t]) => one(G.phase(t)) },
  // diag(e^{iθ},1,1,1), diag(1,e^{iθ},1,1), diag(1,1,e^{iθ},1) over |control target>
  cphaseshift00: { shape: 'controlled', angles: A1, def: ([t]) => ctrl(M.phase0(t), 0) },
  cphaseshift01: { shape: 'controlled', angles: A1, def: ([t]) => ctrl(G.phase(t), 0) },
  cphaseshift10: { shape: 'controlled', angles: A1, def: ([t]) => ctrl(M.phase0(t), 1) },
  swap: { shape: 'pair', angles: [], def: () => TWO.swap() },
  iswap: { shape: 'pair', angles: [], def: () => TWO.iswap() },
  pswap: { shape: 'pair', angles: A1, def: ([t]) => TWO.pswap(t) },
  xy: { shape: 'pair', angles: A1, def: ([t]) => TWO.xy(t) },
  xx: { shape: 'pair', angles: A1, def: ([t]) => TWO.rxx(t) },
  yy: { shape: 'pair', angles: A1, def: ([t]) => TWO.ryy(t) },
  zz: { shape: 'pair', angles: A1, def: ([t]) => TWO.rzz(t) },
  ecr: { shape: 'pair', angles: [], def: () => TWO.ecr() },
  ms: { shape: 'pair', angles: A3, defaults: [Math.PI / 2], def: ([a, b, t]) => TWO.ms(a, b, t) },
  ccnot: { shape: 'ccnot', angles: [], def: () => one(G.X) },
  cswap: { shape: 'cswap', angles: [], def: () => TWO.swap() },
};

const MAX_QUBIT = 2 ** 31 - 1;

/** Braket's control_state: an int (big-endian: the first control is the most significant bit), a string or a list. */
export function braketControlState(v: Value | undefined, n: number, at: Pos): (0 | 1)[] {
  if (v === undefined || v === null) return Array.from({ length: n }, () => 1);
  let bits: string;
  if (typeof v === 'string') bits = v;
  else if (v instanceof PyList) bits = v.items.map((x) => String(toInt(x, at, 'a control state bit'))).join('');
  else {
    const x = toInt(v, at, 'a control state');
    if (x < 0 || x >= 2 ** n) fail(`control_state ${x} does not fit ${n} control qubits`, at);
    bits = x.toString(2).padStart(n, '0');
  }
  if (bits.length !== n || !/^[01]*$/.test(bits)) fail(`control_state must be ${n} bits 0 or 1`, at);
  return [...bits].map((c) => (c === '1' ? 1 : 0));
}

class BraketCircuit extends PyObj {
  readonly typeName = 'Circuit';
  readonly ops: Op[] = [];
  readonly used = new Set<number>();
  readonly measured: number[] = [];
  private readonly measuredSet = new Set<number>();

  /** A qubit set: an int, or a (nested) list or range of ints. */
  qubits(v: Value, at: Pos, ctx: Interp, depth = 0): number[] {
    if (typeof v === 'number' || typeof v === 'boolean') {
      const q = toInt(v, at, 'a qubit');
      if (q < 0 || q > MAX_QUBIT) fail(`qubit ${q} out of range`, at);
      return [q];
    }
    if (depth < 4 && (v instanceof PyList || v instanceof PyRange)) {
      return itemsOf(v, at, ctx).flatMap((x) => this.qubits(x, at, ctx, depth + 1));
    }
    return fail(`expected a qubit (an int) or a list of qubits, found ${typeOf(v)}`, at);
  }
  private one(v: Value, at: Pos, ctx: Interp): number {
    const q = this.qubits(v, at, ctx);
    if (q.length !== 1) fail('expected one qubit', at);
    return q[0];
  }

  private add(
    name: string,
    def: GateDef,
    targets: number[],
    controls: number[],
    states: (0 | 1)[],
    p: number,
    a: Args,
    ctx: Interp,
  ) {
    const all = [...controls, ...targets];
    if (new Set(all).size !== all.length) fail(`${name}: a qubit appears twice among the targets and controls`, a.at);
    for (const q of all) {
      if (this.measuredSet.has(q)) fail(`${name}: cannot apply an instruction to measured qubit ${q}`, a.at);
    }
    const pieces = power(def, p);
    if (typeof pieces === 'string') fail(`${name}: ${pieces} are not supported`, a.kwargs.get('power')?.pos ?? a.at);
    for (const q of all) this.used.add(q);
    if (name === 'i') return;
    const ops = instantiate(name, pieces, targets, controls, states);
    ctx.tick(Math.max(1, ops.length), a.at);
    this.ops.push(...ops);
  }

  override getAttr(name: string): Value | undefined {
    const gate = own(BRAKET_GATES, name);
    if (gate) return new PyFunc(`Circuit.${name}`, (a, ctx) => this.gate(name, gate, a, ctx));
    if (name === 'gphase') {
      return new PyFunc('Circuit.gphase', (a, ctx) => {
        const [angle, control, cs, pw] = bind(a, ['angle'], 1, ['control', 'control_state', 'power']);
        const theta = toNumber(angle!, argPos(a, 0, 'angle'), 'an angle');
        const controls =
          control === undefined || control === null ? [] : this.qubits(control, argPos(a, 1, 'control'), ctx);
        const states = braketControlState(cs, controls.length, argPos(a, 2, 'control_state'));
        const p = pw === undefined ? 1 : toNumber(pw, argPos(a, 3, 'power'));
        this.add('gphase', { qubits: 0, pieces: [{ k: 'phase', theta }] }, [], controls, states, p, a, ctx);
        return this;
      });
    }
    if (name === 'measure') {
      return new PyFunc('Circuit.measure', (a, ctx) => {
        const [t] = bind(a, ['target_qubits'], 1);
        const qs = this.qubits(t!, argPos(a, 0, 'target_qubits'), ctx);
        if (new Set(qs).size !== qs.length) fail('measure: a qubit is repeated in the same measurement', a.at);
        for (const q of qs) {
          if (this.measuredSet.has(q)) fail(`measure: qubit ${q} is already measured`, a.at);
          this.used.add(q);
          this.measured.push(q);
          this.measuredSet.add(q);
        }
        ctx.tick(qs.length, a.at);
        return this;
      });
    }
    return new Unsupported(`Circuit.${name}`);
  }

  private gate(name: string, g: BraketGate, a: Args, ctx: Interp): Value {
    const kwOnly = g.shape === 'controlled' || g.shape === 'cswap' ? ['power'] : ['control', 'control_state', 'power'];
    const qargs =
      g.shape === 'single'
        ? ['target']
        : g.shape === 'pair'
          ? ['target1', 'target2']
          : g.shape === 'controlled'
            ? ['control', 'target']
            : g.shape === 'ccnot'
              ? ['control1', 'control2', 'target']
              : ['control', 'target1', 'target2'];
    const params = [...qargs, ...g.angles];
    const required = params.length - (g.defaults?.length ?? 0);
    const vals = bind(a, params, required, kwOnly);
    const angles = g.angles.map((n, i) => {
      const v = vals[qargs.length + i];
      if (v === undefined) return g.defaults![i - (g.angles.length - g.defaults!.length)];
      return toNumber(v, argPos(a, qargs.length + i, n), 'an angle');
    });
    const kw = (k: string) => a.kwargs.get(k);
    const p = kw('power') ? toNumber(kw('power')!.value, kw('power')!.pos, 'a power') : 1;
    let controls: number[] = [];
    let states: (0 | 1)[] = [];
    if (kw('control') && kw('control')!.value !== null) {
      controls = this.qubits(kw('control')!.value, kw('control')!.pos, ctx);
      states = braketControlState(kw('control_state')?.value, controls.length, kw('control_state')?.pos ?? a.at);
    }
    const def = g.def(angles);
    const at = (i: number) => argPos(a, i, qargs[i]);
    switch (g.shape) {
      case 'single':
        for (const t of this.qubits(vals[0]!, at(0), ctx)) this.add(name, def, [t], controls, states, p, a, ctx);
        break;
      case 'pair':
        this.add(
          name,
          def,
          [this.one(vals[0]!, at(0), ctx), this.one(vals[1]!, at(1), ctx)],
          controls,
          states,
          p,
          a,
          ctx,
        );
        break;
      case 'controlled': {
        const cs = this.qubits(vals[0]!, at(0), ctx);
        if (cs.length === 0) fail(`${name}: no control qubit`, at(0));
        const t = this.one(vals[1]!, at(1), ctx);
        if (def.qubits === 2) {
          // the last control is the gate's own (cphaseshift00/01/10), the others plain controls
          const extra = cs.slice(0, -1);
          this.add(
            name,
            def,
            [cs[cs.length - 1], t],
            extra,
            extra.map(() => 1),
            p,
            a,
            ctx,
          );
        } else {
          this.add(
            name,
            def,
            [t],
            cs,
            cs.map(() => 1),
            p,
            a,
            ctx,
          );
        }
        break;
      }
      case 'ccnot': {
        const c1 = this.one(vals[0]!, at(0), ctx);
        const c2 = this.one(vals[1]!, at(1), ctx);
        const t = this.one(vals[2]!, at(2), ctx);
        this.add(name, def, [t], [...controls, c1, c2], [...states, 1, 1], p, a, ctx);
        break;
      }
      case 'cswap': {
        const cs = this.qubits(vals[0]!, at(0), ctx);
        if (cs.length === 0) fail(`${name}: no control qubit`, at(0));
        const t1 = this.one(vals[1]!, at(1), ctx);
        const t2 = this.one(vals[2]!, at(2), ctx);
        this.add(
          name,
          def,
          [t1, t2],
          cs,
          cs.map(() => 1),
          p,
          a,
          ctx,
        );
        break;
      }
    }
    return this;
  }

  toCircuit(): Circuit {
    const order = [...this.used].sort((x, y) => x - y);
    const index = new Map(order.map((q, i) => [q, i]));
    const m = (q: number) => index.get(q)!;
    const ops: Op[] = this.ops.map((op) => {
      switch (op.kind) {
        case 'gate':
          return { ...op, target: m(op.target), controls: op.controls.map(m) };
        case 'swap':
          return { ...op, a: m(op.a), b: m(op.b), controls: op.controls.map(m) };
        default:
          return op;
      }
    });
    const n = order.length;
    const measured = this.measured.length > 0 ? this.measured.map(m) : order.map((_, i) => i);
    measured.forEach((qubit, clbit) => ops.push({ kind: 'measure', qubit, clbit }));
    return {
      numQubits: n,
      numClbits: measured.length,
      qregs: n > 0 ? [{ name: 'q', size: n, offset: 0 }] : [],
      cregs: measured.length > 0 ? [{ name: 'c', size: measured.length, offset: 0 }] : [],
      ops,
    };
  }
}

/**
 * Reads a Braket program: one expression (qunicorn-core evaluates it with `eval`), or statements
 * whose circuit is the variable `circuit` or the value of the last expression statement.
 */
export function readBraket(stmts: Stmt[], maxOperations: number): Circuit {
  const created: BraketCircuit[] = [];
  const CircuitClass = new PyFunc('Circuit', (a) => {
    if (a.args.length || a.kwargs.size) fail('Circuit() with arguments is not supported', a.at);
    const c = new BraketCircuit();
    created.push(c);
    return c;
  });
  const modules: Record<string, PyModule> = {
    math: mathModule('math'),
    numpy: mathModule('numpy'),
  };
  const ALL = new PyList(['Circuit'], false);
  for (const path of ['braket.circuits', 'braket.circuits.circuit']) {
    modules[path] = new PyModule(path, (n) =>
      n === '__all__' ? ALL : n === 'Circuit' ? CircuitClass : new Unsupported(`${path}.${n}`),
    );
  }
  modules.braket = new PyModule('braket', (n) => own(modules, `braket.${n}`) ?? new Unsupported(`braket.${n}`));
  const interp = new Interp({
    maxOperations,
    globals: { Circuit: CircuitClass },
    importModule: sdkImports(modules, (root) => root === 'braket'),
  });
  interp.run(stmts);
  const v = interp.env.get('circuit');
  if (v instanceof BraketCircuit) return v.toCircuit();
  const last = interp.lastExpression?.value;
  if (last instanceof BraketCircuit) return last.toCircuit();
  if (created.length === 1) return created[0].toCircuit();
  return fail(
    created.length === 0 ? 'the program builds no Circuit' : 'the program must end with the circuit expression',
    {
      line: 1,
      col: 1,
    },
  );
}
