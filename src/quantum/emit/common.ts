import type { Circuit, Matrix2, Register } from '../circuit/circuit';
import { H, S, SDG, SX, T, TDG, X, Y, Z } from '../circuit/gates';

/** Helpers shared by the emitters: names of registers, references to bits, numbers, matrices. */

/** Keywords and built-in names of OpenQASM 3 (and stdgates.inc) a register or variable may not take. */
export const QASM3_RESERVED = new Set(
  (
    'OPENQASM include qubit qreg creg bit int uint float angle bool complex duration stretch const input output ' +
    'let def gate extern box measure reset barrier if else for while in break continue end return delay pragma ' +
    'defcal defcalgrammar cal ctrl negctrl inv pow gphase U CX true false pi tau euler array void durationof ' +
    'sizeof mutable readonly switch case default dt ns us ms s im ' +
    'p x y z h sdg t tdg sx rx ry rz cx cy cz cp crx cry crz ch swap ccx cswap cu phase cphase id u1 u2 u3 ' +
    'sin cos tan arcsin arccos arctan exp log sqrt floor ceiling mod popcount rotl rotr real imag'
  ).split(' '),
);

/** Keywords and qelib1.inc names of OpenQASM 2. */
export const QASM2_RESERVED = new Set(
  (
    'OPENQASM include qreg creg gate opaque barrier measure reset if pi U CX sin cos tan exp ln sqrt ' +
    'u3 u2 u1 u0 u p cx id x y z h s sdg t tdg rx ry rz sx sxdg cz cy swap ch ccx cswap crx cry crz cu1 cp ' +
    'cu3 csx cu rxx rzz rccx rc3x c3x c3sqrtx c4x'
  ).split(' '),
);

/**
 * A valid, unused identifier close to `name`: characters outside [A-Za-z0-9_] become `_`, a first
 * character the language does not allow gets a prefix, and `_` is appended while the name is
 * reserved or taken. OpenQASM 2 identifiers start with a lowercase letter.
 */
export function identifier(name: string, reserved: ReadonlySet<string>, used: Set<string>, qasm2: boolean): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (id === '' || (qasm2 ? !/^[a-z]/.test(id) : !/^[A-Za-z_]/.test(id))) id = `r${id}`;
  if (qasm2 && /^[A-Z]/.test(id)) id = `r_${id}`;
  while (reserved.has(id) || used.has(id)) id += '_';
  used.add(id);
  return id;
}

/** A declared register with the name it is written with. */
export interface NamedRegister {
  name: string;
  size: number;
  offset: number;
}

/**
 * The registers to declare so that every index in [0, total) has a name: the circuit's registers
 * when they tile [0, total) in order, else one register `fallback` of size `total`.
 */
export function registersOf(
  regs: Register[],
  total: number,
  fallback: string,
  reserved: ReadonlySet<string>,
  used: Set<string>,
  qasm2: boolean,
): NamedRegister[] {
  let next = 0;
  let tiles = true;
  for (const r of regs) {
    if (r.offset !== next || r.size < 1) tiles = false;
    next += r.size;
  }
  if (!tiles || next !== total) {
    return total > 0 ? [{ name: identifier(fallback, reserved, used, qasm2), size: total, offset: 0 }] : [];
  }
  return regs.map((r) => ({ name: identifier(r.name, reserved, used, qasm2), size: r.size, offset: r.offset }));
}

/** Maps flat indices to `reg[i]`. */
export class BitNames {
  private readonly refs: string[] = [];
  constructor(readonly regs: NamedRegister[]) {
    for (const r of regs) for (let i = 0; i < r.size; i++) this.refs[r.offset + i] = `${r.name}[${i}]`;
  }
  ref(index: number): string {
    const s = this.refs[index];
    if (s === undefined) throw new Error(`no bit ${index}`);
    return s;
  }
  /** The register whose bits are exactly `indices`, in order (bit 0 first), if any. */
  wholeRegister(indices: number[]): NamedRegister | undefined {
    return this.regs.find((r) => r.size === indices.length && indices.every((b, i) => b === r.offset + i));
  }
}

/** Declared qubits and clbits of a circuit. */
export function namesOf(circuit: Circuit, reserved: ReadonlySet<string>, qasm2: boolean, used = new Set<string>()) {
  const qregs = registersOf(circuit.qregs, circuit.numQubits, 'q', reserved, used, qasm2);
  const cregs = registersOf(circuit.cregs, circuit.numClbits, 'c', reserved, used, qasm2);
  return { qubits: new BitNames(qregs), clbits: new BitNames(cregs), used };
}

/**
 * A real number as program text that reads back to the same double: multiples of pi/k
 * (k = 1, 2, 3, 4, 6, 8, 12, 16) as `pi/2`, `-3*pi/4`, ...; other numbers in JavaScript's
 * shortest round-trip form (exponent notation as `1.5e-7`).
 */
export function formatNumber(x: number, piName = 'pi'): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  if (x === 0) return '0';
  for (const k of [1, 2, 3, 4, 6, 8, 12, 16]) {
    const n = Math.round((x * k) / Math.PI);
    if (n !== 0 && Math.abs(n) <= 64 && (n * Math.PI) / k === x) {
      const sign = n < 0 ? '-' : '';
      const a = Math.abs(n);
      const num = a === 1 ? piName : `${a}*${piName}`;
      return k === 1 ? `${sign}${num}` : `${sign}${num}/${k}`;
    }
  }
  const s = String(x);
  return s;
}

const EPS = 1e-12;

/** Whether two matrices are equal (to rounding). */
export function sameMatrix(a: Matrix2, b: Matrix2, eps = EPS): boolean {
  for (let i = 0; i < 8; i++) if (Math.abs(a[i] - b[i]) > eps) return false;
  return true;
}

/** e^{i g} such that a = e^{i g} b, when there is one (a and b unitary). */
export function phaseBetween(a: Matrix2, b: Matrix2, eps = 1e-10): number | undefined {
  // Pick b's largest entry to read the phase from.
  let k = 0;
  let best = -1;
  for (let i = 0; i < 8; i += 2) {
    const m = Math.hypot(b[i], b[i + 1]);
    if (m > best) {
      best = m;
      k = i;
    }
  }
  const g = Math.atan2(a[k + 1], a[k]) - Math.atan2(b[k + 1], b[k]);
  const c = Math.cos(g);
  const s = Math.sin(g);
  for (let i = 0; i < 8; i += 2) {
    const re = b[i] * c - b[i + 1] * s;
    const im = b[i] * s + b[i + 1] * c;
    if (Math.abs(re - a[i]) > eps || Math.abs(im - a[i + 1]) > eps) return undefined;
  }
  return g;
}

/** "1 gate" / "3 gates". */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** Single-qubit gates both OpenQASM libraries name alike (qelib1.inc and stdgates.inc), by matrix. */
export const NAMED_GATES: readonly [string, Matrix2][] = [
  ['x', X],
  ['y', Y],
  ['z', Z],
  ['h', H],
  ['s', S],
  ['sdg', SDG],
  ['t', T],
  ['tdg', TDG],
];

/** stdgates.inc's `sx` is the principal square root of X (qelib1's differs by a phase): OpenQASM 3 only. */
export const NAMED_GATES_QASM3: readonly [string, Matrix2][] = [...NAMED_GATES, ['sx', SX]];
