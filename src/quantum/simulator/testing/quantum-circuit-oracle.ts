/**
 * Runs a unitary circuit IR with the npm package `quantum-circuit` (a devDependency), as an
 * independent oracle for tests and the benchmark. It translates:
 * - any single-qubit unitary U into e^{i alpha} u3(theta, phi, lambda);
 * - one control: cu3 plus u1(alpha) on the control (the phase is relative there); negated controls
 *   are conjugated with X;
 * - X with two controls: ccx; swap with at most one control: swap / cswap;
 * - global phases (and those of uncontrolled gates) are tracked and multiplied in at the end.
 */
import type { Circuit, Matrix2 } from '../../circuit/circuit';

const QuantumCircuit = require('quantum-circuit') as new (n: number) => QuantumCircuitInstance;

interface QuantumCircuitInstance {
  appendGate(name: string, wires: number | number[], options?: { params?: Record<string, number> }): void;
  run(): void;
  state: Record<string, { re: number; im: number }>;
}

const EPS = 1e-12;

/** U = e^{i alpha} u3(theta, phi, lambda) (OpenQASM's u3). */
export function toU3(m: Matrix2): { alpha: number; theta: number; phi: number; lambda: number } {
  const arg = (re: number, im: number) => Math.atan2(im, re);
  const c = Math.hypot(m[0], m[1]);
  const s = Math.hypot(m[4], m[5]);
  const theta = 2 * Math.atan2(s, c);
  let alpha: number;
  let phi: number;
  let lambda: number;
  if (c > EPS && s > EPS) {
    alpha = arg(m[0], m[1]);
    phi = arg(m[4], m[5]) - alpha;
    lambda = arg(-m[2], -m[3]) - alpha;
  } else if (c > EPS) {
    alpha = arg(m[0], m[1]);
    phi = 0;
    lambda = arg(m[6], m[7]) - alpha;
  } else {
    phi = 0;
    alpha = arg(m[4], m[5]);
    lambda = arg(-m[2], -m[3]) - alpha;
  }
  return { alpha, theta, phi, lambda };
}

/** Runs the unitary part of `circuit`; returns interleaved [re, im, ...] amplitudes (index bit q = qubit q). */
export function runWithQuantumCircuit(circuit: Circuit): Float64Array {
  const n = circuit.numQubits;
  const qc = new QuantumCircuit(n);
  let globalPhase = 0;
  const flip = (controls: number[], states?: (0 | 1)[]) =>
    controls.forEach((c, i) => {
      if (states && states[i] === 0) qc.appendGate('x', c);
    });
  for (const op of circuit.ops) {
    switch (op.kind) {
      case 'gate': {
        const controls = op.controls;
        flip(controls, op.controlStates);
        if (controls.length === 2 && op.matrix.every((v, i) => Math.abs(v - [0, 0, 1, 0, 1, 0, 0, 0][i]) < EPS)) {
          qc.appendGate('ccx', [controls[0], controls[1], op.target]);
        } else if (controls.length <= 1) {
          const { alpha, theta, phi, lambda } = toU3(op.matrix);
          if (controls.length === 0) {
            qc.appendGate('u3', op.target, { params: { theta, phi, lambda } });
            globalPhase += alpha;
          } else {
            qc.appendGate('cu3', [controls[0], op.target], { params: { theta, phi, lambda } });
            qc.appendGate('u1', controls[0], { params: { lambda: alpha } });
          }
        } else {
          throw new Error(`quantum-circuit oracle: ${op.name} with ${controls.length} controls is not supported`);
        }
        flip(controls, op.controlStates);
        break;
      }
      case 'swap':
        flip(op.controls, op.controlStates);
        if (op.controls.length === 0) qc.appendGate('swap', [op.a, op.b]);
        else if (op.controls.length === 1) qc.appendGate('cswap', [op.controls[0], op.a, op.b]);
        else throw new Error('quantum-circuit oracle: swap with more than one control is not supported');
        flip(op.controls, op.controlStates);
        break;
      case 'gphase':
        globalPhase += op.theta;
        break;
      case 'barrier':
      case 'measure':
        break;
      default:
        throw new Error(`quantum-circuit oracle: ${op.kind} is not supported`);
    }
  }
  qc.run();
  const out = new Float64Array(2 * 2 ** n);
  const c = Math.cos(globalPhase);
  const s = Math.sin(globalPhase);
  for (const [k, v] of Object.entries(qc.state)) {
    const i = Number(k);
    out[2 * i] = v.re * c - v.im * s;
    out[2 * i + 1] = v.re * s + v.im * c;
  }
  return out;
}
