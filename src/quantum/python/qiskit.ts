import {
  childBodies,
  type BranchOp,
  type Circuit,
  type ClassicalExpr,
  type ConditionalOp,
  type Op,
  type Register,
} from '../circuit/circuit';
import * as G from '../circuit/gates';
import { type GateDef, instantiate, inverse, M, one, type Piece, power, TWO } from './gatelib';
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
import type { Pos } from './parser';

/**
 * The Qiskit builder: `QuantumCircuit`, `QuantumRegister`, `ClassicalRegister`, the gate methods
 * of QuantumCircuit and the gate classes of `qiskit.circuit.library` for `append`, with Qiskit's
 * matrices (qiskit 1.x/2.x `qiskit/circuit/library/standard_gates`). Qubit 0 is the least
 * significant bit, as in the IR.
 */

interface QiskitGate {
  params: string[];
  qargs: string[];
  /** How many of the leading qargs are controls (for `ctrl_state`). */
  nctrl: number;
  def: (p: number[]) => GateDef;
}

const Q1 = ['qubit'];
const Q2 = ['qubit1', 'qubit2'];
const C1 = ['control_qubit', 'target_qubit'];
const C2 = ['control_qubit1', 'control_qubit2', 'target_qubit'];
const fixed = (m: Parameters<typeof one>[0]): QiskitGate => ({ params: [], qargs: Q1, nctrl: 0, def: () => one(m) });
const c1 = (params: string[], m: (p: number[]) => Parameters<typeof one>[0]): QiskitGate => ({
  params,
  qargs: C1,
  nctrl: 1,
  def: (p) => one(m(p)),
});

export const QISKIT_GATES: Record<string, QiskitGate> = {
  h: fixed(G.H),
  x: fixed(G.X),
  y: fixed(G.Y),
  z: fixed(G.Z),
  s: fixed(G.S),
  sdg: fixed(G.SDG),
  t: fixed(G.T),
  tdg: fixed(G.TDG),
  sx: fixed(G.SX),
  sxdg: fixed(M.SXDG),
  id: fixed(G.I),
  i: fixed(G.I),
  p: { params: ['theta'], qargs: Q1, nctrl: 0, def: ([l]) => one(G.phase(l)) },
  u1: { params: ['theta'], qargs: Q1, nctrl: 0, def: ([l]) => one(G.phase(l)) },
  rx: { params: ['theta'], qargs: Q1, nctrl: 0, def: ([t]) => one(G.rx(t)) },
  ry: { params: ['theta'], qargs: Q1, nctrl: 0, def: ([t]) => one(G.ry(t)) },
  rz: { params: ['phi'], qargs: Q1, nctrl: 0, def: ([t]) => one(G.rz(t)) },
  r: { params: ['theta', 'phi'], qargs: Q1, nctrl: 0, def: ([t, p]) => one(M.r(t, p)) },
  u: { params: ['theta', 'phi', 'lam'], qargs: Q1, nctrl: 0, def: ([t, p, l]) => one(G.u3(t, p, l)) },
  u3: { params: ['theta', 'phi', 'lam'], qargs: Q1, nctrl: 0, def: ([t, p, l]) => one(G.u3(t, p, l)) },
  u2: { params: ['phi', 'lam'], qargs: Q1, nctrl: 0, def: ([p, l]) => one(M.u2(p, l)) },
  cx: c1([], () => G.X),
  cnot: c1([], () => G.X),
  cy: c1([], () => G.Y),
  cz: c1([], () => G.Z),
  ch: c1([], () => G.H),
  cs: c1([], () => G.S),
  csdg: c1([], () => G.SDG),
  csx: c1([], () => G.SX),
  cp: c1(['theta'], ([l]) => G.phase(l)),
  cu1: c1(['theta'], ([l]) => G.phase(l)),
  crx: c1(['theta'], ([t]) => G.rx(t)),
  cry: c1(['theta'], ([t]) => G.ry(t)),
  crz: c1(['theta'], ([t]) => G.rz(t)),
  cu3: c1(['theta', 'phi', 'lam'], ([t, p, l]) => G.u3(t, p, l)),
  cu: c1(['theta', 'phi', 'lam', 'gamma'], ([t, p, l, g]) => G.scale(G.u3(t, p, l), g)),
  ccx: { params: [], qargs: C2, nctrl: 2, def: () => one(G.X) },
  toffoli: { params: [], qargs: C2, nctrl: 2, def: () => one(G.X) },
  ccz: { params: [], qargs: C2, nctrl: 2, def: () => one(G.Z) },
  cswap: {
    params: [],
    qargs: ['control_qubit', 'target_qubit1', 'target_qubit2'],
    nctrl: 1,
    def: () => TWO.swap(),
  },
  fredkin: {
    params: [],
    qargs: ['control_qubit', 'target_qubit1', 'target_qubit2'],
    nctrl: 1,
    def: () => TWO.swap(),
  },
  swap: { params: [], qargs: Q2, nctrl: 0, def: () => TWO.swap() },
  iswap: { params: [], qargs: Q2, nctrl: 0, def: () => TWO.iswap() },
  dcx: { params: [], qargs: Q2, nctrl: 0, def: () => TWO.dcx() },
  ecr: { params: [], qargs: Q2, nctrl: 0, def: () => TWO.ecr() },
  rxx: { params: ['theta'], qargs: Q2, nctrl: 0, def: ([t]) => TWO.rxx(t) },
  ryy: { params: ['theta'], qargs: Q2, nctrl: 0, def: ([t]) => TWO.ryy(t) },
  rzz: { params: ['theta'], qargs: Q2, nctrl: 0, def: ([t]) => TWO.rzz(t) },
  rzx: { params: ['theta'], qargs: Q2, nctrl: 0, def: ([t]) => TWO.rzx(t) },
};

/** Gate classes of qiskit.circuit.library → the QuantumCircuit method with the same gate. */
const GATE_CLASSES: Record<string, string> = {
  HGate: 'h',
  XGate: 'x',
  YGate: 'y',
  ZGate: 'z',
  SGate: 's',
  SdgGate: 'sdg',
  TGate: 't',
  TdgGate: 'tdg',
  SXGate: 'sx',
  SXdgGate: 'sxdg',
  IGate: 'id',
  PhaseGate: 'p',
  U1Gate: 'u1',
  RXGate: 'rx',
  RYGate: 'ry',
  RZGate: 'rz',
  RGate: 'r',
  UGate: 'u',
  U3Gate: 'u3',
  U2Gate: 'u2',
  CXGate: 'cx',
  CYGate: 'cy',
  CZGate: 'cz',
  CHGate: 'ch',
  CSGate: 'cs',
  CSdgGate: 'csdg',
  CSXGate: 'csx',
  CPhaseGate: 'cp',
  CU1Gate: 'cu1',
  CRXGate: 'crx',
  CRYGate: 'cry',
  CRZGate: 'crz',
  CU3Gate: 'cu3',
  CUGate: 'cu',
  CCXGate: 'ccx',
  CCZGate: 'ccz',
  CSwapGate: 'cswap',
  SwapGate: 'swap',
  iSwapGate: 'iswap',
  DCXGate: 'dcx',
  ECRGate: 'ecr',
  RXXGate: 'rxx',
  RYYGate: 'ryy',
  RZZGate: 'rzz',
  RZXGate: 'rzx',
};

/** Qiskit's ctrl_state: an int (bit i for control i) or a string (its last character for control 0). */
export function qiskitCtrlState(v: Value | undefined, n: number, at: Pos): (0 | 1)[] {
  if (v === undefined || v === null) return Array.from({ length: n }, () => 1);
  if (typeof v === 'string') {
    if (v.length !== n || !/^[01]*$/.test(v)) fail(`ctrl_state '${v}' must be ${n} characters 0 or 1`, at);
    return Array.from({ length: n }, (_, i) => (v[n - 1 - i] === '1' ? 1 : 0));
  }
  const x = toInt(v, at, 'a control state (int or string)');
  if (x < 0 || x >= 2 ** n) fail(`ctrl_state ${x} does not fit ${n} control qubits`, at);
  return Array.from({ length: n }, (_, i) => (Math.floor(x / 2 ** i) % 2 === 1 ? 1 : 0));
}

class QiskitRegister extends PyObj {
  constructor(
    readonly kind: 'qreg' | 'creg',
    readonly name: string,
    readonly size: number,
  ) {
    super();
  }
  get typeName() {
    return this.kind === 'qreg' ? 'QuantumRegister' : 'ClassicalRegister';
  }
  override getAttr(name: string): Value | undefined {
    if (name === 'size') return this.size;
    if (name === 'name') return this.name;
    return undefined;
  }
  override getItem(index: Value, at: Pos): Value {
    let i = toInt(index, at, 'an integer index');
    if (i < 0) i += this.size;
    if (i < 0 || i >= this.size)
      fail(`index ${toInt(index, at)} out of range for register '${this.name}' of size ${this.size}`, at);
    return new QiskitBit(this, i);
  }
  override items(at: Pos, ctx: Interp): Value[] {
    ctx.tick(this.size, at);
    return Array.from({ length: this.size }, (_, i) => new QiskitBit(this, i));
  }
}

class QiskitBit extends PyObj {
  constructor(
    readonly reg: QiskitRegister,
    readonly index: number,
  ) {
    super();
  }
  get typeName() {
    return this.reg.kind === 'qreg' ? 'Qubit' : 'Clbit';
  }
}

/** A gate object for `append`: its pieces on local qubits, after `nctrl` leading control qubits. */
class QiskitGateObj extends PyObj {
  readonly typeName = 'Gate';
  constructor(
    readonly name: string,
    readonly def: GateDef,
    /** States of the leading controls, in qargs order. */
    readonly states: (0 | 1)[],
  ) {
    super();
  }
  override getAttr(name: string): Value | undefined {
    if (name === 'control') {
      return new PyFunc(`${this.name}.control`, (a) => {
        const [num, , ctrlState] = bind(a, ['num_ctrl_qubits', 'label', 'ctrl_state'], 0, ['annotated']);
        const k = num === undefined ? 1 : toInt(num, argPos(a, 0, 'num_ctrl_qubits'), 'a number of controls');
        if (k < 0 || k > 64) fail('num_ctrl_qubits must be between 0 and 64', a.at);
        const st = qiskitCtrlState(ctrlState, k, argPos(a, 2, 'ctrl_state'));
        return new QiskitGateObj(`c${this.name}`, this.def, [...st, ...this.states]);
      });
    }
    if (name === 'inverse') {
      return new PyFunc(`${this.name}.inverse`, (a) => {
        bind(a, [], 0, ['annotated']);
        return new QiskitGateObj(`${this.name}_dg`, { ...this.def, pieces: inverse(this.def.pieces) }, this.states);
      });
    }
    if (name === 'power') {
      return new PyFunc(`${this.name}.power`, (a) => {
        const [e] = bind(a, ['exponent'], 1, ['annotated']);
        const p = power(this.def, toNumber(e!, argPos(a, 0, 'exponent')));
        if (typeof p === 'string') fail(`${p} are not supported`, a.at);
        return new QiskitGateObj(`${this.name}_pow`, { ...this.def, pieces: p }, this.states);
      });
    }
    if (name === 'num_qubits') return this.def.qubits + this.states.length;
    return undefined;
  }
}

class IfTest extends PyObj {
  readonly typeName = 'IfElseOp';
  constructor(
    readonly circuit: QiskitCircuit,
    readonly clbits: number[],
    readonly value: number,
  ) {
    super();
  }
  override withBlock(body: () => void, at: Pos, ctx: Interp, alias?: string): void {
    const op: ConditionalOp = { kind: 'if', clbits: this.clbits, value: this.value, body: [] };
    this.circuit.push([op], at, ctx);
    this.circuit.inBody(op.body, body);
    if (alias !== undefined) ctx.env.set(alias, new ElseContext(this.circuit, op));
  }
}

/** The `else_` of `with circuit.if_test(...) as else_:`; `with else_:` must follow the block. */
class ElseContext extends PyObj {
  readonly typeName = 'ElseContext';
  private used = false;
  constructor(
    readonly circuit: QiskitCircuit,
    readonly op: ConditionalOp,
  ) {
    super();
  }
  override withBlock(body: () => void, at: Pos, _ctx: Interp, alias?: string): void {
    if (alias !== undefined) fail("'with else_ as ...' is not supported", at);
    const ops = this.circuit.bodies[this.circuit.bodies.length - 1];
    if (this.used || ops[ops.length - 1] !== this.op) fail('the else block must directly follow its if_test block', at);
    this.used = true;
    const { clbits, value } = this.op;
    const branch: BranchOp = {
      kind: 'branch',
      cond: {
        k: 'binary',
        op: '==',
        a: clbits.length === 1 ? { k: 'bit', clbit: clbits[0] } : { k: 'bits', clbits },
        b: { k: 'num', v: value },
      },
      then: this.op.body,
      otherwise: [],
    };
    ops[ops.length - 1] = branch;
    this.circuit.inBody(branch.otherwise, body);
  }
}

/** What an instruction method returns: its operations, for `.c_if(classical, value)` (Qiskit < 2). */
class InstructionSet extends PyObj {
  readonly typeName = 'InstructionSet';
  constructor(
    readonly circuit: QiskitCircuit,
    readonly body: Op[],
    readonly ops: Op[],
  ) {
    super();
  }
  override getAttr(name: string): Value | undefined {
    if (name !== 'c_if') return undefined;
    return new PyFunc('InstructionSet.c_if', (a, ctx) => {
      const [classical, val] = bind(a, ['classical', 'val'], 2);
      const at = argPos(a, 0, 'classical');
      const clbits = this.circuit.bits(classical!, 'creg', at, ctx);
      if (!(classical instanceof QiskitRegister) && clbits.length !== 1)
        fail('c_if: expected a classical register or one clbit', at);
      const value = toInt(val!, argPos(a, 1, 'val'), 'an integer value');
      if (value < 0 || value >= 2 ** clbits.length)
        fail(`c_if: ${value} does not fit ${clbits.length} bits`, argPos(a, 1, 'val'));
      const start = this.body.length - this.ops.length;
      if (this.ops.length === 0 || start < 0 || this.ops.some((op, i) => this.body[start + i] !== op)) {
        fail('c_if must directly follow its instruction', a.at);
      }
      this.body.splice(start, this.ops.length, { kind: 'if', clbits, value, body: [...this.ops] });
      return this;
    });
  }
}

class QiskitCircuit extends PyObj {
  readonly typeName = 'QuantumCircuit';
  readonly qregs: QiskitRegister[] = [];
  readonly cregs: QiskitRegister[] = [];
  numQubits = 0;
  numClbits = 0;
  readonly ops: Op[] = [];
  readonly bodies: Op[][] = [this.ops];
  globalPhase = 0;

  addRegister(r: QiskitRegister, at: Pos): void {
    const list = r.kind === 'qreg' ? this.qregs : this.cregs;
    if (list.includes(r)) fail(`register '${r.name}' is already in the circuit`, at);
    if (list.some((x) => x.name === r.name)) fail(`register name '${r.name}' already exists`, at);
    list.push(r);
    if (r.kind === 'qreg') this.numQubits += r.size;
    else this.numClbits += r.size;
  }

  private offset(r: QiskitRegister, at: Pos): number {
    const list = r.kind === 'qreg' ? this.qregs : this.cregs;
    let off = 0;
    for (const x of list) {
      if (x === r) return off;
      off += x.size;
    }
    return fail(`register '${r.name}' is not in the circuit`, at);
  }

  /** Qubits (or clbits) that an argument names: an index, a bit, a register or a list of them. */
  bits(v: Value, kind: 'qreg' | 'creg', at: Pos, ctx: Interp, depth = 0): number[] {
    const total = kind === 'qreg' ? this.numQubits : this.numClbits;
    const what = kind === 'qreg' ? 'qubit' : 'clbit';
    if (typeof v === 'number' || typeof v === 'boolean') {
      let i = toInt(v, at, `a ${what} index`);
      if (i < 0) i += total;
      if (i < 0 || i >= total) fail(`${what} index ${toInt(v, at)} out of range (the circuit has ${total})`, at);
      return [i];
    }
    if (v instanceof QiskitBit) {
      if (v.reg.kind !== kind) fail(`expected a ${what}, found a ${v.typeName}`, at);
      return [this.offset(v.reg, at) + v.index];
    }
    if (v instanceof QiskitRegister) {
      if (v.kind !== kind) fail(`expected ${what}s, found a ${v.typeName}`, at);
      const off = this.offset(v, at);
      ctx.tick(v.size, at);
      return Array.from({ length: v.size }, (_, i) => off + i);
    }
    if (depth === 0 && (v instanceof PyList || v instanceof PyRange)) {
      return itemsOf(v, at, ctx).flatMap((x) => this.bits(x, kind, at, ctx, 1));
    }
    return fail(`expected a ${what} (index, register bit, register or list), found ${typeOf(v)}`, at);
  }

  /** Runs `body` with the operations it adds going to `ops`. */
  inBody(ops: Op[], body: () => void): void {
    this.bodies.push(ops);
    try {
      body();
    } finally {
      this.bodies.pop();
    }
  }

  push(ops: Op[], at: Pos, ctx: Interp): void {
    ctx.tick(Math.max(1, ops.length), at);
    this.bodies[this.bodies.length - 1].push(...ops);
  }

  /** Applies a gate definition to broadcast qubit arguments. */
  applyGate(
    name: string,
    def: GateDef,
    qargs: Value[],
    at: Pos[],
    a: Args,
    ctx: Interp,
    nctrl: number,
    ctrlState?: Value,
  ) {
    const lists = qargs.map((q, i) => this.bits(q, 'qreg', at[i], ctx));
    const n = Math.max(...lists.map((l) => l.length));
    for (const l of lists) {
      if (l.length !== 1 && l.length !== n)
        fail(`${name}: qubit arguments of different lengths cannot be broadcast`, a.at);
    }
    const states = qiskitCtrlState(ctrlState, nctrl, a.kwargs.get('ctrl_state')?.pos ?? a.at);
    if (name === 'id' || name === 'i') return;
    for (let j = 0; j < n; j++) {
      const qs = lists.map((l) => (l.length === 1 ? l[0] : l[j]));
      if (new Set(qs).size !== qs.length) fail(`${name}: duplicate qubit arguments`, a.at);
      this.push(instantiate(name, def.pieces, qs.slice(nctrl), qs.slice(0, nctrl), states), a.at, ctx);
    }
  }

  override getAttr(name: string, at: Pos, ctx: Interp): Value | undefined {
    const v = this.member(name, at, ctx);
    if (!(v instanceof PyFunc) || name === 'measure_all' || name === 'add_register' || name === 'if_test') return v;
    if (['compose', 'copy', 'inverse', 'to_gate', 'to_instruction'].includes(name)) return v;
    // Instructions return their InstructionSet (for c_if), as Qiskit's do.
    return new PyFunc(v.name, (a, c) => {
      const body = this.bodies[this.bodies.length - 1];
      const start = body.length;
      const r = v.call(a, c);
      return r === null ? new InstructionSet(this, body, body.slice(start)) : r;
    });
  }

  private member(name: string, _at: Pos, _ctx: Interp): Value | undefined {
    const gate = own(QISKIT_GATES, name);
    if (gate) {
      return new PyFunc(`QuantumCircuit.${name}`, (a, ctx) => {
        const kw = gate.nctrl > 0 ? ['label', 'ctrl_state'] : ['label'];
        const vals = bind(a, [...gate.params, ...gate.qargs], gate.params.length + gate.qargs.length, kw);
        const params = vals
          .slice(0, gate.params.length)
          .map((v, i) => toNumber(v!, argPos(a, i, gate.params[i]), 'an angle'));
        const qargs = vals.slice(gate.params.length, gate.params.length + gate.qargs.length) as Value[];
        const ctrlState = a.kwargs.get('ctrl_state')?.value;
        const at = gate.qargs.map((q, i) => argPos(a, gate.params.length + i, q));
        this.applyGate(name, gate.def(params), qargs, at, a, ctx, gate.nctrl, ctrlState);
        return null;
      });
    }
    switch (name) {
      case 'mcx':
      case 'mcp':
      case 'mcrx':
      case 'mcry':
      case 'mcrz':
        return new PyFunc(`QuantumCircuit.${name}`, (a, ctx) => {
          const names =
            name === 'mcx'
              ? ['control_qubits', 'target_qubit']
              : [
                  name === 'mcp' ? 'lam' : 'theta',
                  name === 'mcp' ? 'control_qubits' : 'q_controls',
                  name === 'mcp' ? 'target_qubit' : 'q_target',
                ];
          const vals = bind(a, names, names.length, [
            'ancilla_qubits',
            'mode',
            'ctrl_state',
            'use_basis_gates',
            'label',
          ]);
          if (a.kwargs.has('ancilla_qubits') && a.kwargs.get('ancilla_qubits')!.value !== null) {
            fail('mcx ancilla_qubits are not supported', a.kwargs.get('ancilla_qubits')!.pos);
          }
          const lam = name === 'mcx' ? 0 : toNumber(vals[0]!, argPos(a, 0, names[0]), 'an angle');
          const ci = name === 'mcx' ? 0 : 1;
          const controls = this.bits(vals[ci]!, 'qreg', argPos(a, ci, names[ci]), ctx);
          const targets = this.bits(vals[ci + 1]!, 'qreg', argPos(a, ci + 1, names[ci + 1]), ctx);
          if (new Set(controls).size !== controls.length) fail(`${name}: duplicate control qubits`, a.at);
          const states = qiskitCtrlState(a.kwargs.get('ctrl_state')?.value, controls.length, a.at);
          const m =
            name === 'mcx'
              ? G.X
              : name === 'mcp'
                ? G.phase(lam)
                : name === 'mcrx'
                  ? G.rx(lam)
                  : name === 'mcry'
                    ? G.ry(lam)
                    : G.rz(lam);
          for (const t of targets) {
            if (controls.includes(t)) fail(`${name}: the target is also a control`, a.at);
            this.push(instantiate(name, [{ k: 'u', m, t: 0 }], [t], controls, states), a.at, ctx);
          }
          return null;
        });
      case 'measure':
        return new PyFunc('QuantumCircuit.measure', (a, ctx) => {
          const [q, c] = bind(a, ['qubit', 'cbit'], 2);
          const qs = this.bits(q!, 'qreg', argPos(a, 0, 'qubit'), ctx);
          const cs = this.bits(c!, 'creg', argPos(a, 1, 'cbit'), ctx);
          if (qs.length !== cs.length) fail(`measure: ${qs.length} qubits but ${cs.length} clbits`, a.at);
          this.push(
            qs.map((qubit, i) => ({ kind: 'measure', qubit, clbit: cs[i] })),
            a.at,
            ctx,
          );
          return null;
        });
      case 'measure_all':
        return new PyFunc('QuantumCircuit.measure_all', (a, ctx) => {
          const [inplace, addBits] = bind(a, ['inplace', 'add_bits'], 0);
          if (inplace === false) fail('measure_all(inplace=False) is not supported', a.at);
          const n = this.numQubits;
          let first = 0;
          if (addBits === undefined || addBits === true) {
            const reg = new QiskitRegister('creg', 'meas', n);
            first = this.numClbits;
            this.addRegister(reg, a.at);
          } else if (this.numClbits < n) {
            fail('measure_all(add_bits=False) needs as many clbits as qubits', a.at);
          }
          ctx.tick(n, a.at);
          const qubits = Array.from({ length: n }, (_, i) => i);
          this.push([{ kind: 'barrier', qubits }], a.at, ctx);
          this.push(
            qubits.map((q) => ({ kind: 'measure', qubit: q, clbit: first + q })),
            a.at,
            ctx,
          );
          return null;
        });
      case 'reset':
        return new PyFunc('QuantumCircuit.reset', (a, ctx) => {
          const [q] = bind(a, ['qubit'], 1);
          const qs = this.bits(q!, 'qreg', argPos(a, 0, 'qubit'), ctx);
          this.push(
            qs.map((qubit) => ({ kind: 'reset', qubit })),
            a.at,
            ctx,
          );
          return null;
        });
      case 'barrier':
        return new PyFunc('QuantumCircuit.barrier', (a, ctx) => {
          for (const k of a.kwargs.keys())
            if (k !== 'label') fail(`barrier() got an unsupported keyword argument '${k}'`, a.at);
          if (a.args.length === 0) ctx.tick(this.numQubits, a.at);
          const qubits =
            a.args.length === 0
              ? Array.from({ length: this.numQubits }, (_, i) => i)
              : [...new Set(a.args.flatMap((v, i) => this.bits(v, 'qreg', a.argPos[i], ctx)))];
          this.push([{ kind: 'barrier', qubits }], a.at, ctx);
          return null;
        });
      case 'add_register':
        return new PyFunc('QuantumCircuit.add_register', (a) => {
          if (a.kwargs.size) fail('add_register() takes no keyword arguments', a.at);
          a.args.forEach((r, i) => {
            if (!(r instanceof QiskitRegister)) fail(`expected a register, found ${typeOf(r)}`, a.argPos[i]);
            this.addRegister(r, a.argPos[i]);
          });
          return null;
        });
      case 'append':
        return new PyFunc('QuantumCircuit.append', (a, ctx) => {
          const [inst, qargs, cargs] = bind(a, ['instruction', 'qargs', 'cargs'], 1, ['copy']);
          if (!(inst instanceof QiskitGateObj)) {
            fail(`append: only gates of qiskit.circuit.library are supported, found ${typeOf(inst!)}`, argPos(a, 0));
          }
          if (cargs !== undefined && cargs !== null && !(cargs instanceof PyList && cargs.items.length === 0)) {
            fail('append: a gate takes no clbits', argPos(a, 2, 'cargs'));
          }
          const at = argPos(a, 1, 'qargs');
          const list = qargs === undefined || qargs === null ? [] : itemsOf(qargs, at, ctx, 'qubits');
          const qs = list.map((q) => {
            const b = this.bits(q, 'qreg', at, ctx);
            if (b.length !== 1) fail('append: each qarg must be one qubit', at);
            return b[0];
          });
          const k = inst.states.length;
          if (qs.length !== k + inst.def.qubits) {
            fail(`append: ${inst.name} acts on ${k + inst.def.qubits} qubits, ${qs.length} given`, at);
          }
          if (new Set(qs).size !== qs.length) fail('append: duplicate qubit arguments', at);
          this.push(instantiate(inst.name, inst.def.pieces, qs.slice(k), qs.slice(0, k), inst.states), a.at, ctx);
          return null;
        });
      case 'if_test':
        return new PyFunc('QuantumCircuit.if_test', (a, ctx) => {
          const [cond] = bind(a, ['condition'], 1);
          const at = argPos(a, 0, 'condition');
          if (!(cond instanceof PyList) || cond.items.length !== 2)
            fail('if_test: the condition must be (register or clbit, value)', at);
          const [what, val] = cond.items;
          const value = toInt(val, at, 'an integer value');
          let clbits: number[];
          if (what instanceof QiskitRegister) clbits = this.bits(what, 'creg', at, ctx);
          else if (what instanceof QiskitBit || typeof what === 'number') {
            clbits = this.bits(what, 'creg', at, ctx);
            if (value !== 0 && value !== 1) fail('if_test: a clbit compares to 0 or 1', at);
          } else return fail(`if_test: expected a classical register or clbit, found ${typeOf(what)}`, at);
          if (value < 0 || value >= 2 ** clbits.length)
            fail(`if_test: ${value} does not fit ${clbits.length} bits`, at);
          return new IfTest(this, clbits, value);
        });
      case 'compose':
        return new PyFunc('QuantumCircuit.compose', (a, ctx) => {
          const [other, qubits, clbits, front, inplace] = bind(
            a,
            ['other', 'qubits', 'clbits', 'front', 'inplace'],
            1,
            ['copy'],
          );
          if (!(other instanceof QiskitCircuit))
            fail(`compose: expected a QuantumCircuit, found ${typeOf(other!)}`, argPos(a, 0, 'other'));
          const map = (v: Value | undefined, kind: 'qreg' | 'creg', n: number, i: number, name: string) => {
            if (v === undefined || v === null) {
              const total = kind === 'qreg' ? this.numQubits : this.numClbits;
              if (n > total)
                fail(
                  `compose: the other circuit has ${n} ${kind === 'qreg' ? 'qubits' : 'clbits'}, this one ${total}`,
                  a.at,
                );
              return Array.from({ length: n }, (_, k) => k);
            }
            const at = argPos(a, i, name);
            const list = itemsOf(v, at, ctx, 'bits').map((x) => {
              const b = this.bits(x, kind, at, ctx);
              if (b.length !== 1) fail('compose: each entry must be one bit', at);
              return b[0];
            });
            if (list.length !== n) fail(`compose: ${list.length} bits given for ${n}`, at);
            if (new Set(list).size !== n) fail('compose: duplicate bits', at);
            return list;
          };
          const qmap = map(qubits, 'qreg', other.numQubits, 1, 'qubits');
          const cmap = map(clbits, 'creg', other.numClbits, 2, 'clbits');
          ctx.tick(countOps(other.ops), a.at);
          const ops = other.ops.map((op) => remapOp(op, qmap, cmap));
          const target = inplace === true ? this : this.copy();
          const body = target.bodies[target.bodies.length - 1];
          if (front === true) {
            if (target.bodies.length > 1)
              fail('compose(front=True) inside a control-flow block is not supported', a.at);
            body.unshift(...ops);
          } else body.push(...ops);
          target.globalPhase += other.globalPhase;
          return inplace === true ? null : target;
        });
      case 'copy':
        return new PyFunc('QuantumCircuit.copy', (a) => {
          bind(a, ['name'], 0);
          return this.copy();
        });
      case 'inverse':
        return new PyFunc('QuantumCircuit.inverse', (a, ctx) => {
          bind(a, [], 0, ['annotated']);
          const inv = this.copy();
          inv.ops.length = 0;
          ctx.tick(this.ops.length, a.at);
          inv.ops.push(...inverse(this.pieces(a.at)).map((pc) => pieceToOp(pc)));
          inv.globalPhase = 0;
          return inv;
        });
      case 'to_gate':
      case 'to_instruction':
        return new PyFunc(`QuantumCircuit.${name}`, (a) => {
          bind(a, [], 0, ['parameter_map', 'label']);
          return new QiskitGateObj('circuit', { qubits: this.numQubits, pieces: this.pieces(a.at) }, []);
        });
      case 'global_phase':
        return this.globalPhase;
      case 'num_qubits':
        return this.numQubits;
      case 'num_clbits':
        return this.numClbits;
      case 'qubits':
      case 'clbits': {
        const n = name === 'qubits' ? this.numQubits : this.numClbits;
        if (n > 1_000_000) return fail(`too many ${name} to list`, _at);
        return new PyList(
          Array.from({ length: n }, (_, i) => i),
          false,
        );
      }
      default:
        return new Unsupported(`QuantumCircuit.${name}`);
    }
  }

  copy(): QiskitCircuit {
    const c = new QiskitCircuit();
    c.qregs.push(...this.qregs);
    c.cregs.push(...this.cregs);
    c.numQubits = this.numQubits;
    c.numClbits = this.numClbits;
    c.ops.push(...this.ops);
    c.globalPhase = this.globalPhase;
    return c;
  }

  /** The circuit as gate pieces on its qubits (for to_gate and inverse); only unitary operations. */
  pieces(at: Pos): Piece[] {
    if (this.bodies.length > 1) fail('a circuit cannot be turned into a gate inside its own control-flow block', at);
    const out: Piece[] = [];
    if (this.globalPhase !== 0) out.push({ k: 'phase', theta: this.globalPhase });
    for (const op of this.ops) {
      if (op.kind === 'gate') {
        out.push({
          k: 'u',
          m: op.matrix,
          t: op.target,
          c: op.controls,
          ...(op.controlStates ? { s: op.controlStates } : {}),
        });
      } else if (op.kind === 'swap') {
        out.push({ k: 'swap', a: op.a, b: op.b, c: op.controls, ...(op.controlStates ? { s: op.controlStates } : {}) });
      } else if (op.kind === 'gphase') {
        out.push({ k: 'phase', theta: op.theta });
      } else if (op.kind !== 'barrier') {
        fail(
          `a circuit with ${op.kind === 'if' || op.kind === 'branch' ? 'conditions' : `${op.kind} operations`} cannot be a gate`,
          at,
        );
      }
    }
    return out;
  }

  override setAttr(name: string, value: Value, at: Pos): boolean {
    if (name !== 'global_phase') return false;
    this.globalPhase = toNumber(value, at, 'a global phase');
    return true;
  }

  toCircuit(): Circuit {
    const regs = (list: QiskitRegister[]): Register[] => {
      let off = 0;
      return list.map((r) => {
        const reg = { name: r.name, size: r.size, offset: off };
        off += r.size;
        return reg;
      });
    };
    const ops = this.globalPhase !== 0 ? [{ kind: 'gphase' as const, theta: this.globalPhase }, ...this.ops] : this.ops;
    return {
      numQubits: this.numQubits,
      numClbits: this.numClbits,
      qregs: regs(this.qregs),
      cregs: regs(this.cregs),
      ops,
    };
  }
}

/** Operations at every depth (conditional bodies included). */
function countOps(ops: Op[]): number {
  let n = ops.length;
  for (const op of ops) for (const b of childBodies(op)) n += countOps(b);
  return n;
}

function pieceToOp(pc: Piece): Op {
  if (pc.k === 'phase') return { kind: 'gphase', theta: pc.theta };
  const cs = pc.s && pc.s.some((x) => x === 0) ? { controlStates: pc.s } : {};
  if (pc.k === 'u') return { kind: 'gate', name: 'u', target: pc.t, matrix: pc.m, controls: pc.c ?? [], ...cs };
  return { kind: 'swap', a: pc.a, b: pc.b, controls: pc.c ?? [], ...cs };
}

function remapExpr(e: ClassicalExpr, cmap: number[]): ClassicalExpr {
  switch (e.k) {
    case 'bit':
      return { k: 'bit', clbit: cmap[e.clbit] };
    case 'bits':
      return { k: 'bits', clbits: e.clbits.map((b) => cmap[b]) };
    case 'binary':
      return { ...e, a: remapExpr(e.a, cmap), b: remapExpr(e.b, cmap) };
    case 'unary':
    case 'cast':
      return { ...e, a: remapExpr(e.a, cmap) };
    default:
      return e;
  }
}

/** An operation of a composed circuit on this circuit's bits. */
function remapOp(op: Op, qmap: number[], cmap: number[]): Op {
  const q = (i: number) => qmap[i];
  switch (op.kind) {
    case 'gate':
      return { ...op, target: q(op.target), controls: op.controls.map(q) };
    case 'swap':
      return { ...op, a: q(op.a), b: q(op.b), controls: op.controls.map(q) };
    case 'measure':
      return { ...op, qubit: q(op.qubit), clbit: cmap[op.clbit] };
    case 'reset':
      return { ...op, qubit: q(op.qubit) };
    case 'barrier':
      return { ...op, qubits: op.qubits.map(q) };
    case 'if':
      return { ...op, clbits: op.clbits.map((b) => cmap[b]), body: op.body.map((x) => remapOp(x, qmap, cmap)) };
    case 'branch':
      return {
        ...op,
        cond: remapExpr(op.cond, cmap),
        then: op.then.map((x) => remapOp(x, qmap, cmap)),
        otherwise: op.otherwise.map((x) => remapOp(x, qmap, cmap)),
      };
    default:
      return op;
  }
}

const MAX_REGISTER = 2 ** 24;

function registerClass(kind: 'qreg' | 'creg'): PyFunc {
  const cls = kind === 'qreg' ? 'QuantumRegister' : 'ClassicalRegister';
  let counter = 0;
  return new PyFunc(cls, (a) => {
    const [size, name] = bind(a, ['size', 'name'], 1, ['bits']);
    const n = toInt(size!, argPos(a, 0, 'size'), 'a register size');
    if (n < 0 || n > MAX_REGISTER) fail(`register size ${n} out of range`, argPos(a, 0, 'size'));
    let regName: string;
    if (name === undefined || name === null) regName = `${kind === 'qreg' ? 'q' : 'c'}${counter++}`;
    else if (typeof name === 'string') regName = name;
    else return fail(`a register name must be a string, found ${typeOf(name)}`, argPos(a, 1, 'name'));
    return new QiskitRegister(kind, regName, n);
  });
}

function quantumCircuitClass(created: QiskitCircuit[]): PyFunc {
  return new PyFunc('QuantumCircuit', (a) => {
    for (const k of a.kwargs.keys()) {
      if (!['name', 'global_phase', 'metadata'].includes(k))
        fail(`QuantumCircuit() got an unsupported keyword argument '${k}'`, a.kwargs.get(k)!.pos);
    }
    const qc = new QiskitCircuit();
    const ints = a.args.filter((v) => typeof v === 'number');
    if (ints.length > 0) {
      if (ints.length !== a.args.length || ints.length > 2)
        fail('QuantumCircuit() takes 1 or 2 sizes, or registers', a.at);
      const sizes = ints.map((v, i) => {
        const n = toInt(v, a.argPos[i], 'a number of bits');
        if (n < 0 || n > MAX_REGISTER) fail(`size ${n} out of range`, a.argPos[i]);
        return n;
      });
      if (sizes[0] > 0 || sizes.length === 1) qc.addRegister(new QiskitRegister('qreg', 'q', sizes[0]), a.at);
      if (sizes.length > 1 && sizes[1] > 0) qc.addRegister(new QiskitRegister('creg', 'c', sizes[1]), a.at);
    } else {
      a.args.forEach((r, i) => {
        if (!(r instanceof QiskitRegister))
          fail(`QuantumCircuit(): expected a register or a size, found ${typeOf(r)}`, a.argPos[i]);
        qc.addRegister(r, a.argPos[i]);
      });
    }
    const gp = a.kwargs.get('global_phase');
    if (gp) qc.globalPhase = toNumber(gp.value, gp.pos, 'a global phase');
    created.push(qc);
    return qc;
  });
}

function gateClass(cls: string, method: string): PyFunc {
  const g = QISKIT_GATES[method]; // method comes from GATE_CLASSES
  return new PyFunc(cls, (a) => {
    const kw = g.nctrl > 0 ? ['label', 'ctrl_state'] : ['label'];
    const vals = bind(a, g.params, g.params.length, kw);
    const params = vals.map((v, i) => toNumber(v!, argPos(a, i, g.params[i]), 'an angle'));
    const states = qiskitCtrlState(a.kwargs.get('ctrl_state')?.value, g.nctrl, a.at);
    return new QiskitGateObj(method, g.def(params), states);
  });
}

/** Reads a Qiskit program; the circuit is the variable `circuit` (qunicorn-core's convention). */
export function readQiskit(stmts: import('./parser').Stmt[], maxOperations: number): Circuit {
  const created: QiskitCircuit[] = [];
  const QC = quantumCircuitClass(created);
  const QR = registerClass('qreg');
  const CR = registerClass('creg');
  const gp = new PyFunc('GlobalPhaseGate', (a) => {
    const [t] = bind(a, ['phase'], 1, ['label']);
    return new QiskitGateObj(
      'global_phase',
      { qubits: 0, pieces: [{ k: 'phase', theta: toNumber(t!, argPos(a, 0, 'phase')) }] },
      [],
    );
  });
  const library = (name: string): Value | undefined => {
    if (name === 'GlobalPhaseGate') return gp;
    const m = own(GATE_CLASSES, name);
    return m ? gateClass(name, m) : undefined;
  };
  const core = (name: string): Value | undefined =>
    name === 'QuantumCircuit' ? QC : name === 'QuantumRegister' ? QR : name === 'ClassicalRegister' ? CR : undefined;
  const ALL = new PyList(['QuantumCircuit', 'QuantumRegister', 'ClassicalRegister'], false);
  const libAll = new PyList([...Object.keys(GATE_CLASSES), 'GlobalPhaseGate'], false);
  const modules: Record<string, PyModule> = {};
  const mod = (path: string, members: (n: string) => Value | undefined) => {
    modules[path] = new PyModule(
      path,
      (n) => members(n) ?? own(modules, `${path}.${n}`) ?? new Unsupported(`${path}.${n}`),
    );
  };
  mod('qiskit', (n) => (n === '__all__' ? ALL : core(n)));
  mod('qiskit.circuit', (n) =>
    n === '__all__' ? new PyList([...ALL.items, ...libAll.items], false) : (core(n) ?? library(n)),
  );
  mod('qiskit.circuit.library', (n) => (n === '__all__' ? libAll : library(n)));
  modules.math = mathModule('math');
  modules.numpy = mathModule('numpy');
  const interp = new Interp({
    maxOperations,
    globals: { QuantumCircuit: QC },
    // Other Qiskit modules (qiskit_aer, qiskit.visualization, ...) may be imported, not used.
    importModule: sdkImports(modules, (root) => root === 'qiskit' || root.startsWith('qiskit_')),
  });
  interp.run(stmts);
  const v = interp.env.get('circuit');
  if (v instanceof QiskitCircuit) return v.toCircuit();
  if (v !== undefined) fail(`the variable 'circuit' holds ${typeOf(v)}, not a QuantumCircuit`, { line: 1, col: 1 });
  if (created.length === 1) return created[0].toCircuit();
  return fail(
    created.length === 0
      ? 'the program builds no QuantumCircuit'
      : "the program must assign its circuit to a variable named 'circuit'",
    { line: 1, col: 1 },
  );
}
