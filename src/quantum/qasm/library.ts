import type { GateOp, GlobalPhaseOp, Matrix2, Op, SwapOp } from '../circuit/circuit';
import { H, I, phase, rx, ry, rz, S, scale, SDG, SX, T, TDG, u3, X, Y, Z } from '../circuit/gates';

/**
 * Built-in gates, lowered straight to the IR instead of through their textual definitions.
 *
 * Each lowering is exactly the unitary, global phase included, that the library's own text defines
 * (qelib1.inc for OpenQASM 2, stdgates.inc for OpenQASM 3); library.spec.ts checks this for every
 * gate by comparing against the textual definitions run through this parser. Two exceptions,
 * where the text of qelib1.inc contradicts the gate it names, follow the named gate (as Qiskit
 * does): `c3sqrtx` is the 3-controlled sqrt(X) (its text gives the 3-controlled sqrt(X)^dagger)
 * and `c4x` is the 4-controlled X (its text applies `h` to the wrong qubit).
 *
 * Qubits are the gate's arguments in order; for controlled gates the controls come first.
 */
export interface NativeGate {
  numParams: number;
  numQubits: number;
  lower(p: readonly number[], q: readonly number[], out: Op[]): void;
}

const PI = Math.PI;

function gate(name: string, matrix: Matrix2, target: number, controls: number[] = []): GateOp {
  return { kind: 'gate', name, target, matrix, controls };
}

/**
 * A (controlled) single-qubit gate: the last qubit is the target, the others are controls.
 * The matrix of the last parameter values is reused (matrices are shared, never mutated).
 */
function unitary(name: string, numQubits: number, numParams: number, m: (p: readonly number[]) => Matrix2): NativeGate {
  let lastParams: number[] = [];
  let lastMatrix: Matrix2 | undefined;
  return {
    numParams,
    numQubits,
    lower(p, q, out) {
      let matrix = lastMatrix;
      if (!matrix || p.length !== lastParams.length || p.some((v, i) => v !== lastParams[i])) {
        matrix = lastMatrix = m(p);
        lastParams = p.slice();
      }
      out.push(gate(name, matrix, q[numQubits - 1], q.slice(0, numQubits - 1)));
    },
  };
}
const fixed = (name: string, numQubits: number, m: Matrix2) => unitary(name, numQubits, 0, () => m);

function swap(numQubits: number): NativeGate {
  return {
    numParams: 0,
    numQubits,
    lower(_p, q, out) {
      const op: SwapOp = {
        kind: 'swap',
        a: q[numQubits - 2],
        b: q[numQubits - 1],
        controls: q.slice(0, numQubits - 2),
      };
      out.push(op);
    },
  };
}

/** A gate given as a sequence of other gates, for qelib1's multi-qubit gates without a single-kernel form. */
function sequence(
  name: string,
  numQubits: number,
  numParams: number,
  body: (e: Emitter, p: readonly number[], q: readonly number[]) => void,
): NativeGate {
  return {
    numParams,
    numQubits,
    lower(p, q, out) {
      body(new Emitter(name, out), p, q);
    },
  };
}

class Emitter {
  constructor(
    private readonly name: string,
    private readonly out: Op[],
  ) {}
  u3(t: number, p: number, l: number, q: number) {
    this.out.push(gate(this.name, u3(t, p, l), q));
  }
  u2(p: number, l: number, q: number) {
    this.u3(PI / 2, p, l, q);
  }
  u1(l: number, q: number) {
    this.out.push(gate(this.name, phase(l), q));
  }
  h(q: number) {
    this.out.push(gate(this.name, H, q));
  }
  cx(c: number, t: number) {
    this.out.push(gate(this.name, X, t, [c]));
  }
  gphase(theta: number) {
    const op: GlobalPhaseOp = { kind: 'gphase', theta };
    this.out.push(op);
  }
}

const u3m = (p: readonly number[]) => u3(p[0], p[1], p[2]);
const phasem = (p: readonly number[]) => phase(p[0]);

/** The gates that qelib1.inc and stdgates.inc define alike (same name, same unitary, same phase). */
function sharedGates(): Map<string, NativeGate> {
  const g = new Map<string, NativeGate>();
  g.set('p', unitary('p', 1, 1, phasem));
  g.set('x', fixed('x', 1, X));
  g.set('y', fixed('y', 1, Y));
  g.set('z', fixed('z', 1, Z));
  g.set('h', fixed('h', 1, H));
  g.set('s', fixed('s', 1, S));
  g.set('sdg', fixed('sdg', 1, SDG));
  g.set('t', fixed('t', 1, T));
  g.set('tdg', fixed('tdg', 1, TDG));
  g.set(
    'rx',
    unitary('rx', 1, 1, (p) => rx(p[0])),
  );
  g.set(
    'ry',
    unitary('ry', 1, 1, (p) => ry(p[0])),
  );
  g.set('cx', fixed('cx', 2, X));
  g.set('cy', fixed('cy', 2, Y));
  g.set('cz', fixed('cz', 2, Z));
  g.set('cp', unitary('cp', 2, 1, phasem));
  g.set(
    'crx',
    unitary('crx', 2, 1, (p) => rx(p[0])),
  );
  g.set(
    'cry',
    unitary('cry', 2, 1, (p) => ry(p[0])),
  );
  g.set(
    'crz',
    unitary('crz', 2, 1, (p) => rz(p[0])),
  );
  g.set('swap', swap(2));
  g.set('ccx', fixed('ccx', 3, X));
  g.set('cswap', swap(3));
  // cu(θ, φ, λ, γ) = p(γ) on the control, then ctrl @ U: one controlled e^{iγ} U.
  g.set(
    'cu',
    unitary('cu', 2, 4, (p) => scale(u3(p[0], p[1], p[2]), p[3])),
  );
  g.set('id', fixed('id', 1, I));
  g.set('u1', unitary('u1', 1, 1, phasem));
  return g;
}

/** qelib1.inc, with the exact phases of its definitions. */
function qelib1(): Map<string, NativeGate> {
  const g = sharedGates();
  g.set('u3', unitary('u3', 1, 3, u3m));
  g.set(
    'u2',
    unitary('u2', 1, 2, (p) => u3(PI / 2, p[0], p[1])),
  );
  g.set(
    'u0',
    unitary('u0', 1, 1, () => I),
  );
  g.set('u', unitary('u', 1, 3, u3m));
  // qelib1: rz(phi) = u1(phi), which is diag(1, e^{i phi}), not diag(e^{-i phi/2}, e^{i phi/2}).
  g.set('rz', unitary('rz', 1, 1, phasem));
  // qelib1: sx = sdg; h; sdg = e^{-i pi/4} sqrt(X) = rx(pi/2); sxdg = s; h; s = rx(-pi/2).
  const SX_QELIB1 = rx(PI / 2);
  const SXDG_QELIB1 = rx(-PI / 2);
  g.set('sx', fixed('sx', 1, SX_QELIB1));
  g.set('sxdg', fixed('sxdg', 1, SXDG_QELIB1));
  // qelib1's ch is e^{i pi/4} times the controlled Hadamard.
  g.set('ch', {
    numParams: 0,
    numQubits: 2,
    lower(_p, q, out) {
      out.push({ kind: 'gphase', theta: PI / 4 });
      out.push(gate('ch', H, q[1], [q[0]]));
    },
  });
  g.set('cu1', unitary('cu1', 2, 1, phasem));
  g.set('cu3', unitary('cu3', 2, 3, u3m));
  g.set('csx', fixed('csx', 2, SX));
  g.set(
    'rxx',
    sequence('rxx', 2, 1, (e, [th], [a, b]) => {
      e.u3(PI / 2, th, 0, a);
      e.h(b);
      e.cx(a, b);
      e.u1(-th, b);
      e.cx(a, b);
      e.h(b);
      e.u2(-PI, PI - th, a);
    }),
  );
  g.set(
    'rzz',
    sequence('rzz', 2, 1, (e, [th], [a, b]) => {
      e.cx(a, b);
      e.u1(th, b);
      e.cx(a, b);
    }),
  );
  g.set(
    'rccx',
    sequence('rccx', 3, 0, (e, _p, [a, b, c]) => {
      e.u2(0, PI, c);
      e.u1(PI / 4, c);
      e.cx(b, c);
      e.u1(-PI / 4, c);
      e.cx(a, c);
      e.u1(PI / 4, c);
      e.cx(b, c);
      e.u1(-PI / 4, c);
      e.u2(0, PI, c);
    }),
  );
  g.set(
    'rc3x',
    sequence('rc3x', 4, 0, (e, _p, [a, b, c, d]) => {
      e.u2(0, PI, d);
      e.u1(PI / 4, d);
      e.cx(c, d);
      e.u1(-PI / 4, d);
      e.u2(0, PI, d);
      e.cx(a, d);
      e.u1(PI / 4, d);
      e.cx(b, d);
      e.u1(-PI / 4, d);
      e.cx(a, d);
      e.u1(PI / 4, d);
      e.cx(b, d);
      e.u1(-PI / 4, d);
      e.u2(0, PI, d);
      e.u1(PI / 4, d);
      e.cx(c, d);
      e.u1(-PI / 4, d);
      e.u2(0, PI, d);
    }),
  );
  g.set('c3x', fixed('c3x', 4, X));
  g.set('c3sqrtx', fixed('c3sqrtx', 4, SX));
  g.set('c4x', fixed('c4x', 5, X));
  return g;
}

/** stdgates.inc, with the exact phases of its definitions (e.g. rz and u3 carry a gphase). */
function stdgates(): Map<string, NativeGate> {
  const g = sharedGates();
  g.set('sx', fixed('sx', 1, SX));
  g.set(
    'rz',
    unitary('rz', 1, 1, (p) => rz(p[0])),
  );
  g.set('ch', fixed('ch', 2, H));
  g.set('CX', fixed('CX', 2, X));
  g.set('phase', unitary('phase', 1, 1, phasem));
  g.set('cphase', unitary('cphase', 2, 1, phasem));
  // u2 and u3 carry gphase(-(φ+λ)/2) in stdgates.inc.
  g.set(
    'u2',
    unitary('u2', 1, 2, (p) => scale(u3(PI / 2, p[0], p[1]), -(p[0] + p[1]) / 2)),
  );
  g.set(
    'u3',
    unitary('u3', 1, 3, (p) => scale(u3(p[0], p[1], p[2]), -(p[1] + p[2]) / 2)),
  );
  return g;
}

/** The built-in `U(θ, φ, λ)` of both versions and `CX` of OpenQASM 2. */
export const BUILTIN_U = unitary('U', 1, 3, u3m);
export const BUILTIN_CX = fixed('CX', 2, X);

let qelib1Cache: Map<string, NativeGate> | undefined;
let stdgatesCache: Map<string, NativeGate> | undefined;

/** The gates an include file defines, or undefined for a file that is not built in. */
export function libraryGates(file: string, version: 2 | 3): Map<string, NativeGate> | undefined {
  if (version === 2 && file === 'qelib1.inc') return (qelib1Cache ??= qelib1());
  if (version === 3 && file === 'stdgates.inc') return (stdgatesCache ??= stdgates());
  return undefined;
}
