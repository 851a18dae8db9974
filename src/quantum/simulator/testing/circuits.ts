/**
 * Circuit IR builders for the simulator's tests and benchmarks (the OpenQASM parser is developed
 * separately; these build the IR directly).
 */
import type { Circuit, Matrix2, Op, Register } from '../../circuit/circuit';
import * as G from '../../circuit/gates';
import { Rng } from '../random';

export class CircuitBuilder {
  readonly ops: Op[] = [];
  private readonly qregs: Register[] = [];
  private readonly cregs: Register[] = [];
  private numQubits = 0;
  private numClbits = 0;

  constructor(qubits = 0, clbits = 0) {
    if (qubits > 0) this.qreg('q', qubits);
    if (clbits > 0) this.creg('c', clbits);
  }

  /** Declares a quantum register; returns the global index of its bit 0. */
  qreg(name: string, size: number): number {
    this.qregs.push({ name, size, offset: this.numQubits });
    this.numQubits += size;
    return this.numQubits - size;
  }

  /** Declares a classical register; returns the global index of its bit 0. */
  creg(name: string, size: number): number {
    this.cregs.push({ name, size, offset: this.numClbits });
    this.numClbits += size;
    return this.numClbits - size;
  }

  gate(name: string, matrix: Matrix2, target: number, controls: number[] = [], controlStates?: (0 | 1)[]): this {
    this.ops.push({ kind: 'gate', name, matrix, target, controls, ...(controlStates ? { controlStates } : {}) });
    return this;
  }
  h(q: number) {
    return this.gate('h', G.H, q);
  }
  x(q: number) {
    return this.gate('x', G.X, q);
  }
  y(q: number) {
    return this.gate('y', G.Y, q);
  }
  z(q: number) {
    return this.gate('z', G.Z, q);
  }
  s(q: number) {
    return this.gate('s', G.S, q);
  }
  t(q: number) {
    return this.gate('t', G.T, q);
  }
  sx(q: number) {
    return this.gate('sx', G.SX, q);
  }
  rx(theta: number, q: number) {
    return this.gate('rx', G.rx(theta), q);
  }
  ry(theta: number, q: number) {
    return this.gate('ry', G.ry(theta), q);
  }
  rz(theta: number, q: number) {
    return this.gate('rz', G.rz(theta), q);
  }
  p(lambda: number, q: number) {
    return this.gate('p', G.phase(lambda), q);
  }
  u3(theta: number, phi: number, lambda: number, q: number) {
    return this.gate('u3', G.u3(theta, phi, lambda), q);
  }
  cx(c: number, t: number) {
    return this.gate('cx', G.X, t, [c]);
  }
  cz(c: number, t: number) {
    return this.gate('cz', G.Z, t, [c]);
  }
  cp(lambda: number, c: number, t: number) {
    return this.gate('cp', G.phase(lambda), t, [c]);
  }
  ccx(a: number, b: number, t: number) {
    return this.gate('ccx', G.X, t, [a, b]);
  }
  swap(a: number, b: number, controls: number[] = [], controlStates?: (0 | 1)[]): this {
    this.ops.push({ kind: 'swap', a, b, controls, ...(controlStates ? { controlStates } : {}) });
    return this;
  }
  gphase(theta: number): this {
    this.ops.push({ kind: 'gphase', theta });
    return this;
  }
  measure(qubit: number, clbit: number): this {
    this.ops.push({ kind: 'measure', qubit, clbit });
    return this;
  }
  reset(qubit: number): this {
    this.ops.push({ kind: 'reset', qubit });
    return this;
  }
  barrier(...qubits: number[]): this {
    this.ops.push({ kind: 'barrier', qubits });
    return this;
  }
  /** `if (clbits == value) { body }`, clbits least significant first. */
  if(clbits: number[], value: number, body: (b: CircuitBuilder) => void): this {
    const inner = new CircuitBuilder();
    body(inner);
    this.ops.push({ kind: 'if', clbits, value, body: inner.ops });
    return this;
  }

  build(): Circuit {
    return {
      numQubits: this.numQubits,
      numClbits: this.numClbits,
      qregs: this.qregs.map((r) => ({ ...r })),
      cregs: this.cregs.map((r) => ({ ...r })),
      ops: [...this.ops],
    };
  }
}

/** GHZ: h q0; cx q0,q1; cx q1,q2; ...; optionally measure q[i] -> c[i]. */
export function ghz(n: number, measure = true): Circuit {
  const b = new CircuitBuilder(n, measure ? n : 0);
  b.h(0);
  for (let q = 1; q < n; q++) b.cx(q - 1, q);
  if (measure) for (let q = 0; q < n; q++) b.measure(q, q);
  return b.build();
}

/**
 * QFT on n qubits (with the final swaps): |x> -> 2^{-n/2} sum_y e^{2 pi i x y / 2^n} |y>.
 * `prepare` is applied first (e.g. X gates to load a basis state).
 */
export function qft(n: number, prepare?: (b: CircuitBuilder) => void, measure = false): Circuit {
  const b = new CircuitBuilder(n, measure ? n : 0);
  prepare?.(b);
  for (let j = n - 1; j >= 0; j--) {
    b.h(j);
    for (let k = j - 1; k >= 0; k--) b.cp(Math.PI / 2 ** (j - k), k, j);
  }
  for (let q = 0; q < Math.floor(n / 2); q++) b.swap(q, n - 1 - q);
  if (measure) for (let q = 0; q < n; q++) b.measure(q, q);
  return b.build();
}

export interface RandomCircuitOptions {
  /** Maximum number of controls on a single-qubit gate. Default 3. */
  maxControls?: number;
  /**
   * Only what the `quantum-circuit` package can express: at most one control (two for X), at most
   * one control on swap. Global phases are still emitted (the oracle tracks them).
   */
  quantumCircuitCompatible?: boolean;
  /** Emit measure-free circuits (default) or measure every qubit at the end. */
  measure?: boolean;
}

const FIXED: [string, Matrix2][] = [
  ['h', G.H],
  ['x', G.X],
  ['y', G.Y],
  ['z', G.Z],
  ['s', G.S],
  ['sdg', G.SDG],
  ['t', G.T],
  ['tdg', G.TDG],
  ['sx', G.SX],
];

/**
 * A seeded random circuit of `numGates` operations over all the kernels: general, diagonal, X and
 * anti-diagonal matrices, controls with mixed control states, swaps with and without controls,
 * global phases, barriers, and runs of gates on one qubit (fusion).
 */
export function randomCircuit(n: number, numGates: number, seed: number, opts: RandomCircuitOptions = {}): Circuit {
  const rng = new Rng(seed);
  const int = (k: number) => Math.floor(rng.next() * k);
  const angle = () => (rng.next() * 2 - 1) * Math.PI * 2;
  const qc = opts.quantumCircuitCompatible ?? false;
  const maxControls = Math.min(opts.maxControls ?? 3, n - 1);
  const b = new CircuitBuilder(n, opts.measure ? n : 0);
  const pickQubits = (count: number): number[] => {
    const pool = Array.from({ length: n }, (_, i) => i);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(pool.splice(int(pool.length), 1)[0]);
    return out;
  };
  const states = (k: number): (0 | 1)[] | undefined => {
    if (rng.next() < 0.5) return undefined;
    return Array.from({ length: k }, () => (rng.next() < 0.3 ? 0 : 1));
  };
  const randomMatrix = (): [string, Matrix2] => {
    const r = rng.next();
    if (r < 0.35) return FIXED[int(FIXED.length)];
    if (r < 0.45) return ['rz', G.rz(angle())];
    if (r < 0.55) return ['p', G.phase(angle())];
    if (r < 0.62) return ['rx', G.rx(angle())];
    if (r < 0.69) return ['ry', G.ry(angle())];
    return ['u3', G.u3(angle(), angle(), angle())];
  };
  let emitted = 0;
  while (emitted < numGates) {
    const r = rng.next();
    if (r < 0.1 && n >= 2) {
      const limit = qc ? Math.min(1, n - 2) : Math.min(maxControls, n - 2);
      const k = int(limit + 1);
      const [a, c, ...controls] = pickQubits(2 + k);
      b.swap(a, c, controls, states(k));
    } else if (r < 0.13) {
      b.gphase(angle());
    } else if (r < 0.15) {
      b.barrier(...pickQubits(Math.min(n, 2)));
      continue;
    } else if (r < 0.3) {
      // a run of 1-3 uncontrolled gates on one qubit
      const q = int(n);
      const len = 1 + int(3);
      for (let i = 0; i < len; i++) {
        const [name, m] = randomMatrix();
        b.gate(name, m, q);
      }
    } else {
      const [name, m] = randomMatrix();
      const rc = rng.next();
      let k = rc < 0.45 ? 0 : rc < 0.8 ? 1 : rc < 0.93 ? 2 : 3;
      const isX = name === 'x';
      k = Math.min(k, qc ? (isX ? 2 : 1) : maxControls, n - 1);
      const [target, ...controls] = pickQubits(1 + k);
      b.gate(name, m, target, controls, states(k));
    }
    emitted++;
  }
  if (opts.measure) for (let q = 0; q < n; q++) b.measure(q, q);
  return b.build();
}
