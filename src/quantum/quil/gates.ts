import type { DynamicGateOp, GateOp, Matrix2, Op } from '../circuit/circuit';
import * as G from '../circuit/gates';
import { cmatrix, lowerUnitary, type CMatrix } from './unitary';
import { negate, scaleReal, toExpr, type Real } from './values';

/**
 * Quil's standard gates (pyQuil's `QUANTUM_GATES`, matrices as in pyquil/simulation/matrices.py),
 * lowered exactly, global phase included, to the IR. For `G a b` the matrix's row index is the
 * bits of (a, b), `a` the most significant. Parameters may be per-shot expressions (memory
 * references) for the gates whose lowering is made of rotations; the others need constants.
 */

export interface StandardGate {
  params: number;
  qubits: number;
  /** Whether parameters may be per-shot expressions. */
  dynamic: boolean;
  lower(p: Real[], q: number[]): Op[];
}

type Rot = 'RX' | 'RY' | 'RZ' | 'PHASE' | 'PHASE0';

/** e^{i phase} U(theta, phi, lambda) of each rotation. */
function rotationU(kind: Rot, a: Real): { theta: Real; phi: Real; lambda: Real; phase: Real } {
  switch (kind) {
    case 'RX':
      return { theta: a, phi: -Math.PI / 2, lambda: Math.PI / 2, phase: 0 };
    case 'RY':
      return { theta: a, phi: 0, lambda: 0, phase: 0 };
    case 'RZ':
      return { theta: 0, phi: 0, lambda: a, phase: scaleReal(-0.5, a) };
    case 'PHASE':
      return { theta: 0, phi: 0, lambda: a, phase: 0 };
    case 'PHASE0':
      // diag(e^{i a}, 1) = e^{i a} diag(1, e^{-i a})
      return { theta: 0, phi: 0, lambda: scaleReal(-1, a), phase: a };
  }
}

function rotationMatrix(kind: Rot, a: number): Matrix2 {
  switch (kind) {
    case 'RX':
      return G.rx(a);
    case 'RY':
      return G.ry(a);
    case 'RZ':
      return G.rz(a);
    case 'PHASE':
      return G.phase(a);
    case 'PHASE0':
      return [Math.cos(a), Math.sin(a), 0, 0, 0, 0, 1, 0];
  }
}

/** A rotation on `target`, a GateOp for a constant angle, a DynamicGateOp otherwise. */
export function rotation(
  name: string,
  kind: Rot,
  a: Real,
  target: number,
  controls: number[] = [],
  controlStates?: (0 | 1)[],
): GateOp | DynamicGateOp {
  const states = controlStates && controlStates.some((s) => s === 0) ? { controlStates } : {};
  if (typeof a === 'number') {
    return { kind: 'gate', name, target, matrix: rotationMatrix(kind, a), controls, ...states };
  }
  const u = rotationU(kind, a);
  const op: DynamicGateOp = {
    kind: 'dgate',
    name,
    target,
    theta: toExpr(u.theta),
    phi: toExpr(u.phi),
    lambda: toExpr(u.lambda),
    controls,
    ...states,
  };
  if (u.phase !== 0) op.phase = toExpr(u.phase);
  return op;
}

function fixed(name: string, matrix: Matrix2, target: number, controls: number[] = []): GateOp {
  return { kind: 'gate', name, target, matrix, controls };
}

function swap(a: number, b: number): Op {
  return { kind: 'swap', a, b, controls: [] };
}

/** CNOT a→b, controlled-U(θ) on a by b, CNOT a→b: U acts on span{|01>, |10>} (index order). */
function onOddSubspace(name: string, kind: Rot, a: Real, q: number[]): Op[] {
  return [fixed('CNOT', G.X, q[1], [q[0]]), rotation(name, kind, a, q[0], [q[1]]), fixed('CNOT', G.X, q[1], [q[0]])];
}

function rzz(name: string, phi: Real, q: number[]): Op[] {
  return [fixed('CNOT', G.X, q[1], [q[0]]), rotation(name, 'RZ', phi, q[1]), fixed('CNOT', G.X, q[1], [q[0]])];
}

function pswap(name: string, phi: Real, q: number[]): Op[] {
  return [
    rotation(name, 'PHASE', phi, q[0]),
    rotation(name, 'PHASE', phi, q[1]),
    rotation(name, 'PHASE', scaleReal(-2, phi), q[1], [q[0]]),
    swap(q[0], q[1]),
  ];
}

function matrixOf(rows: [number, number][][]): CMatrix {
  const m = cmatrix(rows.length);
  rows.forEach((row, r) =>
    row.forEach(([re, im], c) => {
      m.re[r * rows.length + c] = re;
      m.im[r * rows.length + c] = im;
    }),
  );
  return m;
}

const cis = (x: number): [number, number] => [Math.cos(x), Math.sin(x)];
const mulc = (a: [number, number], b: [number, number]): [number, number] => [
  a[0] * b[0] - a[1] * b[1],
  a[0] * b[1] + a[1] * b[0],
];

function staticParams(p: Real[]): number[] {
  return p as number[];
}

export const STANDARD_GATES: ReadonlyMap<string, StandardGate> = new Map<string, StandardGate>([
  ['I', { params: 0, qubits: 1, dynamic: false, lower: (_, q) => [fixed('I', G.I, q[0])] }],
  ['X', { params: 0, qubits: 1, dynamic: false, lower: (_, q) => [fixed('X', G.X, q[0])] }],
  ['Y', { params: 0, qubits: 1, dynamic: false, lower: (_, q) => [fixed('Y', G.Y, q[0])] }],
  ['Z', { params: 0, qubits: 1, dynamic: false, lower: (_, q) => [fixed('Z', G.Z, q[0])] }],
  ['H', { params: 0, qubits: 1, dynamic: false, lower: (_, q) => [fixed('H', G.H, q[0])] }],
  ['S', { params: 0, qubits: 1, dynamic: false, lower: (_, q) => [fixed('S', G.S, q[0])] }],
  ['T', { params: 0, qubits: 1, dynamic: false, lower: (_, q) => [fixed('T', G.T, q[0])] }],
  ['PHASE', { params: 1, qubits: 1, dynamic: true, lower: (p, q) => [rotation('PHASE', 'PHASE', p[0], q[0])] }],
  ['RX', { params: 1, qubits: 1, dynamic: true, lower: (p, q) => [rotation('RX', 'RX', p[0], q[0])] }],
  ['RY', { params: 1, qubits: 1, dynamic: true, lower: (p, q) => [rotation('RY', 'RY', p[0], q[0])] }],
  ['RZ', { params: 1, qubits: 1, dynamic: true, lower: (p, q) => [rotation('RZ', 'RZ', p[0], q[0])] }],
  [
    'U',
    {
      params: 3,
      qubits: 1,
      dynamic: true,
      lower: (p, q) => {
        if (p.every((x) => typeof x === 'number')) {
          const [t, f, l] = staticParams(p);
          return [fixed('U', G.u3(t, f, l), q[0])];
        }
        return [
          {
            kind: 'dgate',
            name: 'U',
            target: q[0],
            theta: toExpr(p[0]),
            phi: toExpr(p[1]),
            lambda: toExpr(p[2]),
            controls: [],
          },
        ];
      },
    },
  ],
  ['CZ', { params: 0, qubits: 2, dynamic: false, lower: (_, q) => [fixed('CZ', G.Z, q[1], [q[0]])] }],
  ['CNOT', { params: 0, qubits: 2, dynamic: false, lower: (_, q) => [fixed('CNOT', G.X, q[1], [q[0]])] }],
  ['CCNOT', { params: 0, qubits: 3, dynamic: false, lower: (_, q) => [fixed('CCNOT', G.X, q[2], [q[0], q[1]])] }],
  [
    'CPHASE00',
    { params: 1, qubits: 2, dynamic: true, lower: (p, q) => [rotation('CPHASE00', 'PHASE0', p[0], q[1], [q[0]], [0])] },
  ],
  [
    'CPHASE01',
    { params: 1, qubits: 2, dynamic: true, lower: (p, q) => [rotation('CPHASE01', 'PHASE', p[0], q[1], [q[0]], [0])] },
  ],
  [
    'CPHASE10',
    { params: 1, qubits: 2, dynamic: true, lower: (p, q) => [rotation('CPHASE10', 'PHASE0', p[0], q[1], [q[0]])] },
  ],
  [
    'CPHASE',
    { params: 1, qubits: 2, dynamic: true, lower: (p, q) => [rotation('CPHASE', 'PHASE', p[0], q[1], [q[0]])] },
  ],
  ['SWAP', { params: 0, qubits: 2, dynamic: false, lower: (_, q) => [swap(q[0], q[1])] }],
  [
    'CSWAP',
    { params: 0, qubits: 3, dynamic: false, lower: (_, q) => [{ kind: 'swap', a: q[1], b: q[2], controls: [q[0]] }] },
  ],
  ['ISWAP', { params: 0, qubits: 2, dynamic: false, lower: (_, q) => pswap('ISWAP', Math.PI / 2, q) }],
  ['PSWAP', { params: 1, qubits: 2, dynamic: true, lower: (p, q) => pswap('PSWAP', p[0], q) }],
  // XY(θ) on span{|01>, |10>} is [[c, i s], [i s, c]] = RX(-θ).
  ['XY', { params: 1, qubits: 2, dynamic: true, lower: (p, q) => onOddSubspace('XY', 'RX', scaleReal(-1, p[0]), q) }],
  ['SQISW', { params: 0, qubits: 2, dynamic: false, lower: (_, q) => onOddSubspace('SQISW', 'RX', -Math.PI / 2, q) }],
  [
    'FSIM',
    {
      params: 2,
      qubits: 2,
      dynamic: true,
      lower: (p, q) => [
        ...onOddSubspace('FSIM', 'RX', scaleReal(-1, p[0]), q),
        rotation('FSIM', 'PHASE', p[1], q[1], [q[0]]),
      ],
    },
  ],
  [
    'PHASEDFSIM',
    {
      params: 5,
      qubits: 2,
      dynamic: false,
      lower: (p, q) => {
        const [theta, zeta, chi, gamma, phi] = staticParams(p);
        const c = Math.cos(theta / 2);
        const s = Math.sin(theta / 2);
        const z: [number, number] = [0, 0];
        const m = matrixOf([
          [[1, 0], z, z, z],
          [z, mulc(cis(-(gamma + zeta)), [c, 0]), mulc(cis(-(gamma - chi)), [0, s]), z],
          [z, mulc(cis(-(gamma + chi)), [0, s]), mulc(cis(-(gamma - zeta)), [c, 0]), z],
          [z, z, z, cis(phi - 2 * gamma)],
        ]);
        return lowerUnitary('PHASEDFSIM', m, q);
      },
    },
  ],
  ['RZZ', { params: 1, qubits: 2, dynamic: true, lower: (p, q) => rzz('RZZ', p[0], q) }],
  [
    'RXX',
    {
      params: 1,
      qubits: 2,
      dynamic: true,
      lower: (p, q) => [
        fixed('H', G.H, q[0]),
        fixed('H', G.H, q[1]),
        ...rzz('RXX', p[0], q),
        fixed('H', G.H, q[0]),
        fixed('H', G.H, q[1]),
      ],
    },
  ],
  [
    'RYY',
    {
      params: 1,
      qubits: 2,
      dynamic: true,
      lower: (p, q) => [
        fixed('RX', G.rx(Math.PI / 2), q[0]),
        fixed('RX', G.rx(Math.PI / 2), q[1]),
        ...rzz('RYY', p[0], q),
        fixed('RX', G.rx(-Math.PI / 2), q[0]),
        fixed('RX', G.rx(-Math.PI / 2), q[1]),
      ],
    },
  ],
  [
    'BARENCO',
    {
      params: 3,
      qubits: 2,
      dynamic: false,
      lower: (p, q) => {
        const [alpha, phi, theta] = staticParams(p);
        const c = Math.cos(theta);
        const s = Math.sin(theta);
        const a = mulc(cis(phi), [c, 0]);
        const b = mulc(cis(alpha - phi), [0, -s]);
        const d = mulc(cis(alpha + phi), [0, -s]);
        const e = mulc(cis(alpha), [c, 0]);
        return [fixed('BARENCO', [...a, ...b, ...d, ...e] as unknown as Matrix2, q[1], [q[0]])];
      },
    },
  ],
]);

// ---- modifiers --------------------------------------------------------------------------------

/** Adds a control (with its state) to every op of a gate's lowering. */
export function addControl(ops: Op[], control: number, state: 0 | 1): Op[] {
  return ops.map((op): Op => {
    switch (op.kind) {
      case 'gate':
      case 'swap':
      case 'dgate': {
        const controls = [control, ...op.controls];
        const old = op.controlStates ?? op.controls.map(() => 1 as const);
        const states: (0 | 1)[] = [state, ...old];
        const { controlStates: _drop, ...rest } = op;
        void _drop;
        return states.every((s) => s === 1) ? { ...rest, controls } : { ...rest, controls, controlStates: states };
      }
      case 'gphase': {
        const c = Math.cos(op.theta);
        const s = Math.sin(op.theta);
        return {
          kind: 'gate',
          name: 'gphase',
          target: control,
          matrix: state === 1 ? [1, 0, 0, 0, 0, 0, c, s] : [c, s, 0, 0, 0, 0, 1, 0],
          controls: [],
        };
      }
      default:
        return op;
    }
  });
}

/** The inverse of a gate's lowering. */
export function dagger(ops: Op[]): Op[] {
  return ops
    .slice()
    .reverse()
    .map((op): Op => {
      switch (op.kind) {
        case 'gate':
          return { ...op, matrix: G.adjoint(op.matrix) };
        case 'gphase':
          return { kind: 'gphase', theta: -op.theta };
        case 'dgate': {
          const inv: DynamicGateOp = {
            ...op,
            theta: negate(op.theta),
            phi: negate(op.lambda),
            lambda: negate(op.phi),
          };
          if (op.phase) inv.phase = negate(op.phase);
          return inv;
        }
        default:
          return op;
      }
    });
}
