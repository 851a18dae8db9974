import {
  childBodies,
  type Circuit,
  type ClassicalExpr,
  type GateOp,
  type Matrix2,
  type Op,
  type Register,
  type SwapOp,
} from '../circuit/circuit';
import * as G from '../circuit/gates';
import { TranslationError, type Emitted } from '../languages';

/**
 * Emitters for Qiskit and Braket builder code: the circuit IR written as a program in the Python
 * subset that parseQiskit/parseBraket read back, and that the real SDKs run. Gates are written
 * by name when their matrix is a standard gate's, else through their Euler angles (`zyz`: the
 * matrix is e^{i phase} U(θ, φ, λ)) with the phase kept exactly, also under controls.
 */

/** A number as a Python literal that reads back to the same double. */
export function num(x: number): string {
  if (Object.is(x, -0) || x === 0) return '0';
  return String(x);
}

const TAU = 2 * Math.PI;
/** x reduced to (-π, π]; 0 when it is a multiple of 2π up to rounding. */
function wrap(x: number): number {
  const r = x - TAU * Math.round(x / TAU);
  return Math.abs(r) < 1e-13 ? 0 : r;
}

function close(a: Matrix2, b: Matrix2): boolean {
  for (let i = 0; i < 8; i++) if (Math.abs(a[i] - b[i]) > 1e-14) return false;
  return true;
}

const NAMED: [string, string, Matrix2][] = [
  ['h', 'h', G.H],
  ['x', 'x', G.X],
  ['y', 'y', G.Y],
  ['z', 'z', G.Z],
  ['s', 's', G.S],
  ['sdg', 'si', G.SDG],
  ['t', 't', G.T],
  ['tdg', 'ti', G.TDG],
  ['sx', 'v', G.SX],
];

const QISKIT_CLASSES: Readonly<Record<string, string>> = {
  h: 'HGate',
  x: 'XGate',
  y: 'YGate',
  z: 'ZGate',
  s: 'SGate',
  sdg: 'SdgGate',
  t: 'TGate',
  tdg: 'TdgGate',
  sx: 'SXGate',
};

/** The standard gate whose matrix `m` is exactly: [qiskit name, braket name]. */
function named(m: Matrix2): [string, string] | undefined {
  const hit = NAMED.find(([, , n]) => close(n, m));
  return hit ? [hit[0], hit[1]] : undefined;
}

function describeOp(op: Op): string {
  switch (op.kind) {
    case 'if':
      return 'classical control';
    case 'set':
      return 'classical assignments';
    case 'measure-var':
      return 'measurement into classical variables';
    case 'branch':
      return 'classical control';
    case 'while':
      return "'while' loops";
    case 'break':
    case 'continue':
      return `'${op.kind}'`;
    case 'end':
      return "'end'";
    case 'dgate':
      return 'gates with angles computed per shot';
    default:
      return op.kind;
  }
}

/** Registers that tile [0, total) in order, or undefined. */
function tiling(regs: Register[], total: number): Register[] | undefined {
  const sorted = [...regs].sort((a, b) => a.offset - b.offset);
  let at = 0;
  for (const r of sorted) {
    if (r.offset !== at) return undefined;
    at += r.size;
  }
  return at === total ? sorted : undefined;
}

const pyString = (s: string) => JSON.stringify(s);

function hasConditions(ops: Op[]): boolean {
  return ops.some((op) => op.kind === 'if' || op.kind === 'branch' || childBodies(op).some(hasConditions));
}

/** `bits == n`, `bit == n`, `bit`, `!bit` (as the front ends write conditions on clbits), else undefined. */
export function simpleCondition(e: ClassicalExpr): { clbits: number[]; value: number } | undefined {
  const bitsOf = (x: ClassicalExpr) => (x.k === 'bits' ? x.clbits : x.k === 'bit' ? [x.clbit] : undefined);
  switch (e.k) {
    case 'bit':
      return { clbits: [e.clbit], value: 1 };
    case 'cast':
      return e.to === 'bool' && e.a.k === 'bit' ? { clbits: [e.a.clbit], value: 1 } : undefined;
    case 'unary':
      return e.op === '!' && e.a.k === 'bit' ? { clbits: [e.a.clbit], value: 0 } : undefined;
    case 'binary': {
      if (e.op !== '==') return undefined;
      const [bits, n] =
        e.b.k === 'num' ? [bitsOf(e.a), e.b.v] : e.a.k === 'num' ? [bitsOf(e.b), e.a.v] : [undefined, 0];
      return bits ? { clbits: bits, value: n } : undefined;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Qiskit

export function emitQiskit(circuit: Circuit): Emitted {
  const warnings: string[] = [];
  const lines: string[] = ['from qiskit import QuantumCircuit, QuantumRegister, ClassicalRegister'];
  const libs = new Set<string>();
  const body: string[] = [];
  let globalPhase = 0;
  let droppedPhase = false;

  const qregs = tiling(circuit.qregs, circuit.numQubits);
  const cregs = tiling(circuit.cregs, circuit.numClbits);
  const regVars = new Map<Register, string>();
  const hasIf = hasConditions(circuit.ops);
  const simple =
    qregs &&
    cregs &&
    !hasIf &&
    (qregs.length === 0 || (qregs.length === 1 && qregs[0].name === 'q')) &&
    (cregs.length === 0 || (cregs.length === 1 && cregs[0].name === 'c'));
  let head: string;
  if (simple || !qregs || !cregs) {
    if (!qregs || !cregs) warnings.push('registers that do not tile the bits were written as one register each');
    head = `circuit = QuantumCircuit(${circuit.numQubits}${circuit.numClbits > 0 ? `, ${circuit.numClbits}` : ''})`;
  } else {
    const names = new Set<string>();
    const decl: string[] = [];
    for (const [list, cls, prefix] of [
      [qregs, 'QuantumRegister', 'qr'],
      [cregs, 'ClassicalRegister', 'cr'],
    ] as const) {
      list.forEach((r, i) => {
        let name = r.name;
        while (names.has(name)) name = `${name}_`;
        names.add(name);
        const v = `${prefix}${i}`;
        regVars.set(r, v);
        decl.push(`${v} = ${cls}(${r.size}, ${pyString(name)})`);
      });
    }
    lines.push(...decl);
    head = `circuit = QuantumCircuit(${[...qregs, ...cregs].map((r) => regVars.get(r)).join(', ')})`;
  }

  const ctrlState = (states: (0 | 1)[]) => `'${[...states].reverse().join('')}'`;
  const statesOf = (op: GateOp | SwapOp): (0 | 1)[] => op.controlStates ?? op.controls.map(() => 1);

  let elseCount = 0;
  /** `if (clbits == value) then else otherwise`: if_test on a register or a clbit, nested per bit without an else. */
  const conditional = (clbits: number[], value: number, then: Op[], otherwise: Op[], indent: string) => {
    const block = (ops: Op[], ind: string) => {
      const before = body.length;
      write(ops, ind, false);
      if (body.length === before) body.push(`${ind}pass`);
    };
    if (clbits.length === 0 && value === 0) {
      write(then, indent, false); // always holds
      return;
    }
    if (clbits.length === 0 || value < 0 || value >= 2 ** clbits.length || !Number.isInteger(value)) {
      if (otherwise.length > 0) write(otherwise, indent, false);
      else warnings.push('a condition that can never hold was dropped with its block');
      return;
    }
    const reg = cregs?.find((r) => r.size === clbits.length && clbits.every((b, i) => b === r.offset + i));
    const target = reg && regVars.has(reg) ? regVars.get(reg) : clbits.length === 1 ? String(clbits[0]) : undefined;
    if (target !== undefined) {
      const alias = otherwise.length > 0 ? `else_${elseCount++}` : undefined;
      body.push(`${indent}with circuit.if_test((${target}, ${value}))${alias ? ` as ${alias}` : ''}:`);
      block(then, indent + '    ');
      if (alias) {
        body.push(`${indent}with ${alias}:`);
        block(otherwise, indent + '    ');
      }
      return;
    }
    if (otherwise.length > 0) {
      throw new TranslationError('an else branch on bits that are not one register', 'QISKIT');
    }
    if (clbits.length > 32) throw new TranslationError('classical control on more than 32 separate bits', 'QISKIT');
    // one nested if_test per bit: the value's bit i for clbit i
    let ind = indent;
    clbits.forEach((b, i) => {
      body.push(`${ind}with circuit.if_test((${b}, ${Math.floor(value / 2 ** i) % 2})):`);
      ind += '    ';
    });
    block(then, ind);
  };

  const write = (ops: Op[], indent: string, topLevel: boolean) => {
    const out = (s: string) => body.push(indent + s);
    for (const op of ops) {
      switch (op.kind) {
        case 'gate': {
          const states = statesOf(op);
          const k = op.controls.length;
          const allOne = states.every((s) => s === 1);
          const nm = named(op.matrix);
          if (nm && k === 0) {
            out(`circuit.${nm[0]}(${op.target})`);
            break;
          }
          if (nm && allOne && k === 1 && ['x', 'y', 'z', 'h', 's', 'sdg', 'sx'].includes(nm[0])) {
            out(`circuit.c${nm[0] === 'x' ? 'x' : nm[0]}(${op.controls[0]}, ${op.target})`);
            break;
          }
          if (nm && allOne && k === 2 && (nm[0] === 'x' || nm[0] === 'z')) {
            out(`circuit.cc${nm[0]}(${op.controls[0]}, ${op.controls[1]}, ${op.target})`);
            break;
          }
          if (nm) {
            // a standard gate under controls the methods do not cover: its library class, controlled
            const cls = QISKIT_CLASSES[nm[0]];
            libs.add(cls);
            out(
              `circuit.append(${cls}().control(${k}, ctrl_state=${ctrlState(states)}), [${[...op.controls, op.target].join(', ')}])`,
            );
            break;
          }
          const { theta, phi, lambda, phase } = G.zyz(op.matrix);
          const angles = `${num(theta)}, ${num(phi)}, ${num(lambda)}`;
          if (k === 0) {
            out(`circuit.u(${angles}, ${op.target})`);
            if (topLevel) globalPhase += phase;
            else if (wrap(phase) !== 0) droppedPhase = true;
            break;
          }
          if (k === 1 && allOne) {
            out(`circuit.cu(${angles}, ${num(wrap(phase))}, ${op.controls[0]}, ${op.target})`);
            break;
          }
          libs.add('UGate');
          out(
            `circuit.append(UGate(${angles}).control(${k}, ctrl_state=${ctrlState(states)}), [${[...op.controls, op.target].join(', ')}])`,
          );
          const g = wrap(phase);
          if (g !== 0) {
            // e^{ig} when every control holds: a phase on the last control, controlled by the others
            const last = op.controls[k - 1];
            const flip = states[k - 1] === 0;
            if (flip) out(`circuit.x(${last})`);
            if (k === 1) out(`circuit.p(${num(g)}, ${last})`);
            else {
              libs.add('PhaseGate');
              out(
                `circuit.append(PhaseGate(${num(g)}).control(${k - 1}, ctrl_state=${ctrlState(states.slice(0, k - 1))}), [${op.controls.join(', ')}])`,
              );
            }
            if (flip) out(`circuit.x(${last})`);
          }
          break;
        }
        case 'swap': {
          const states = statesOf(op);
          const k = op.controls.length;
          if (k === 0) out(`circuit.swap(${op.a}, ${op.b})`);
          else if (k === 1 && states[0] === 1) out(`circuit.cswap(${op.controls[0]}, ${op.a}, ${op.b})`);
          else {
            libs.add('SwapGate');
            out(
              `circuit.append(SwapGate().control(${k}, ctrl_state=${ctrlState(states)}), [${[...op.controls, op.a, op.b].join(', ')}])`,
            );
          }
          break;
        }
        case 'gphase':
          if (topLevel) globalPhase += op.theta;
          else if (wrap(op.theta) !== 0) droppedPhase = true;
          break;
        case 'measure':
          out(`circuit.measure(${op.qubit}, ${op.clbit})`);
          break;
        case 'reset':
          out(`circuit.reset(${op.qubit})`);
          break;
        case 'barrier':
          if (op.qubits.length > 0) out(`circuit.barrier(${op.qubits.join(', ')})`);
          break;
        case 'if':
          conditional(op.clbits, op.value, op.body, [], indent);
          break;
        case 'branch': {
          const cond = simpleCondition(op.cond);
          if (!cond) throw new TranslationError('classical control on computed conditions', 'QISKIT');
          conditional(cond.clbits, cond.value, op.then, op.otherwise, indent);
          break;
        }
        default:
          throw new TranslationError(describeOp(op), 'QISKIT');
      }
    }
  };
  write(circuit.ops, '', true);
  if (libs.size > 0) lines.push(`from qiskit.circuit.library import ${[...libs].sort().join(', ')}`);
  lines.push(head);
  lines.push(...body);
  const gp = wrap(globalPhase);
  if (gp !== 0) lines.push(`circuit.global_phase = ${num(gp)}`);
  if (droppedPhase) warnings.push('global phases inside conditional blocks were dropped (they change no outcome)');
  return { text: lines.join('\n') + '\n', warnings };
}

// ---------------------------------------------------------------------------------------------
// Braket

export function emitBraket(circuit: Circuit): Emitted {
  const warnings: string[] = [];
  const calls: string[] = [];
  let globalPhase = 0;
  const touched = new Set<number>();
  const measuredAt = new Map<number, number>();
  const measures: { qubit: number; clbit: number }[] = [];
  let barrier = false;

  const control = (op: GateOp | SwapOp): string => {
    if (op.controls.length === 0) return '';
    const states = op.controlStates ?? op.controls.map(() => 1);
    const cs = states.every((s) => s === 1) ? '' : `, control_state='${states.join('')}'`;
    return `, control=[${op.controls.join(', ')}]${cs}`;
  };
  const use = (qs: number[], what: string) => {
    for (const q of qs) {
      if (measuredAt.has(q))
        throw new TranslationError('mid-circuit measurement', 'BRAKET', `${what} on qubit ${q} after its measurement`);
      touched.add(q);
    }
  };

  for (const op of circuit.ops) {
    switch (op.kind) {
      case 'gate': {
        use([op.target, ...op.controls], op.name);
        const k = op.controls.length;
        const allOne = (op.controlStates ?? []).every((s) => s === 1);
        const nm = named(op.matrix);
        if (nm && nm[1] === 'x' && allOne && k === 1) calls.push(`.cnot(${op.controls[0]}, ${op.target})`);
        else if (nm && nm[1] === 'x' && allOne && k === 2)
          calls.push(`.ccnot(${op.controls[0]}, ${op.controls[1]}, ${op.target})`);
        else if (nm && nm[1] === 'z' && allOne && k === 1) calls.push(`.cz(${op.controls[0]}, ${op.target})`);
        else if (nm) calls.push(`.${nm[1]}(${op.target}${control(op)})`);
        else {
          const { theta, phi, lambda, phase } = G.zyz(op.matrix);
          calls.push(`.u(${op.target}, ${num(theta)}, ${num(phi)}, ${num(lambda)}${control(op)})`);
          if (k === 0) globalPhase += phase;
          else if (wrap(phase) !== 0) calls.push(`.gphase(${num(wrap(phase))}${control(op)})`);
        }
        break;
      }
      case 'swap':
        use([op.a, op.b, ...op.controls], 'swap');
        calls.push(`.swap(${op.a}, ${op.b}${control(op)})`);
        break;
      case 'gphase':
        globalPhase += op.theta;
        break;
      case 'barrier':
        barrier = true;
        break;
      case 'measure':
        if (measuredAt.has(op.qubit)) {
          throw new TranslationError('repeated measurement of a qubit', 'BRAKET', `qubit ${op.qubit}`);
        }
        measuredAt.set(op.qubit, op.clbit);
        measures.push({ qubit: op.qubit, clbit: op.clbit });
        break;
      case 'reset':
        throw new TranslationError('reset', 'BRAKET');
      default:
        throw new TranslationError(describeOp(op), 'BRAKET');
    }
  }
  if (barrier) warnings.push('barriers were dropped (Braket circuits have none)');

  const gp = wrap(globalPhase);
  const tail: string[] = gp !== 0 ? [`.gphase(${num(gp)})`] : [];

  const clbits = new Set(measures.map((m) => m.clbit));
  const identity =
    measures.length === circuit.numQubits &&
    circuit.numClbits === circuit.numQubits &&
    measures.every((m) => m.qubit === m.clbit);
  if (measures.length === 0) {
    if (circuit.numQubits > 0)
      warnings.push('Braket measures every qubit at the end: its results have one bit per qubit');
  } else if (!identity) {
    const order = [...measures].sort((a, b) => a.clbit - b.clbit);
    if (clbits.size !== measures.length) {
      throw new TranslationError('several measurements into one clbit', 'BRAKET');
    }
    tail.push(`.measure([${order.map((m) => m.qubit).join(', ')}])`);
    warnings.push(
      `Braket reports the measured qubits in measurement order: result bit j is the j-th of [${order
        .map((m) => `qubit ${m.qubit} (the circuit's clbit ${m.clbit})`)
        .join(', ')}]`,
    );
  }
  // Braket keeps only the qubits a circuit uses: an identity keeps the others (an explicit
  // measure uses its qubits; the implicit one does not).
  const idle: string[] = [];
  for (let q = 0; q < circuit.numQubits; q++) {
    if (!touched.has(q) && (identity || !measuredAt.has(q))) idle.push(`.i(${q})`);
  }
  const all = [...idle, ...calls, ...tail];
  if (all.length === 0) return { text: 'Circuit()\n', warnings };
  return { text: `(\n    Circuit()\n${all.map((s) => `    ${s}\n`).join('')})\n`, warnings };
}
