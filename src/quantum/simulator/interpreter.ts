import { SimulationAbortedError } from './errors';
import { type Instr, OP_ANTIDIAGONAL, OP_DIAGONAL, OP_PHASE, OP_SCALE, OP_SWAP, OP_UNITARY, OP_X } from './program';
import {
  applyAntiDiagonal,
  applyDiagonal,
  applyPhase,
  applyScale,
  applySwap,
  applyUnitary,
  applyX,
} from './statevector';
import type { AbortLike } from './types';

/** Applies one unitary instruction (not measure, reset or jump) to the state `d` of `n` qubits. */
export function applyInstr(d: Float64Array, n: number, ins: Instr, abort: AbortLike | null): void {
  switch (ins.op) {
    case OP_UNITARY:
      applyUnitary(d, n, ins.a, ins.m, ins.fixed, ins.setMask, abort);
      break;
    case OP_DIAGONAL:
      applyDiagonal(d, n, ins.a, ins.m, ins.fixed, ins.setMask, abort);
      break;
    case OP_PHASE:
      applyPhase(d, n, ins.m[0], ins.m[1], ins.fixed, ins.setMask, abort);
      break;
    case OP_X:
      applyX(d, n, ins.a, ins.fixed, ins.setMask, abort);
      break;
    case OP_ANTIDIAGONAL:
      applyAntiDiagonal(d, n, ins.a, ins.m, ins.fixed, ins.setMask, abort);
      break;
    case OP_SWAP:
      applySwap(d, n, ins.a, ins.b, ins.fixed, ins.setMask, abort);
      break;
    case OP_SCALE:
      applyScale(d, ins.m[0], ins.m[1], abort);
      break;
    default:
      throw new Error(`instruction ${ins.op} is not a unitary`);
  }
}

/**
 * The qubits known to be in a definite basis state on the whole state: every non-zero amplitude
 * has `(index & mask) === value`. A fresh state has all qubits known (|0...0>); a qubit stays
 * known through diagonal gates, flips through X-like gates whose controls are known and satisfied,
 * and is forgotten by any other gate on it. Kernels then visit only the amplitudes that can be
 * non-zero (the known qubits become extra fixed bits), and a gate whose control is known to be
 * unsatisfied is skipped. A GHZ state on n qubits costs about two passes instead of n; the first
 * layer of any circuit costs almost nothing; classical circuits (adders) cost O(gates).
 */
export interface Support {
  mask: number;
  value: number;
}

export function freshSupport(n: number): Support {
  return { mask: n >= 31 ? -1 : 2 ** n - 1, value: 0 };
}

function bitsOf(mask: number): Int32Array {
  const out: number[] = [];
  for (let q = 0; mask !== 0; q++, mask >>>= 1) if (mask & 1) out.push(q);
  return Int32Array.from(out);
}

/** Fixed bits and values of the amplitudes that can be non-zero, with `free` bits left out. */
export function supportFixed(
  sup: Support,
  extraMask: number,
  extraValue: number,
): { fixed: Int32Array; setMask: number } {
  return { fixed: bitsOf(sup.mask | extraMask), setMask: (sup.value & sup.mask & ~extraMask) | extraValue };
}

function maskOf(fixed: Int32Array): number {
  let m = 0;
  for (let i = 0; i < fixed.length; i++) m |= 1 << fixed[i];
  return m;
}

/** Applies `ins` to the amplitudes in the support `sup`, and updates `sup`. */
export function applyTracked(d: Float64Array, n: number, ins: Instr, sup: Support, abort: AbortLike | null): void {
  if (sup.mask === 0) {
    applyInstr(d, n, ins, abort);
    return;
  }
  if (ins.op === OP_SCALE) {
    const { fixed, setMask } = supportFixed(sup, 0, 0);
    applyPhase(d, n, ins.m[0], ins.m[1], fixed, setMask, abort);
    return;
  }
  const own = ins.op === OP_SWAP ? (1 << ins.a) | (1 << ins.b) : 1 << ins.a;
  const all = maskOf(ins.fixed);
  const controls = all & ~own;
  // A known control (or, for a phase, a known target) that can never be satisfied: nothing to do.
  const required = ins.op === OP_PHASE ? all : controls;
  if (((ins.setMask ^ sup.value) & required & sup.mask) !== 0) return;
  const known = sup.mask;
  const extra = known & ~all;
  if (ins.op === OP_SWAP && (known & own) === own && ((sup.value >>> ins.a) & 1) === ((sup.value >>> ins.b) & 1)) {
    return; // both known and equal: the swap changes nothing
  }
  const restricted: Instr = { ...ins, fixed: bitsOf(all | extra), setMask: ins.setMask | (sup.value & extra) };
  applyInstr(d, n, restricted, abort);

  const freeControls = controls & ~known;
  switch (ins.op) {
    case OP_PHASE:
    case OP_DIAGONAL:
      break;
    case OP_X:
    case OP_ANTIDIAGONAL:
      if (known & own) {
        if (freeControls === 0) sup.value ^= own;
        else sup.mask &= ~own;
      }
      break;
    case OP_UNITARY:
      sup.mask &= ~own;
      break;
    case OP_SWAP: {
      if (freeControls === 0) {
        const a = ins.a;
        const b = ins.b;
        const ma = (sup.mask >>> a) & 1,
          mb = (sup.mask >>> b) & 1;
        const va = (sup.value >>> a) & 1,
          vb = (sup.value >>> b) & 1;
        sup.mask = (sup.mask & ~own) | (mb << a) | (ma << b);
        sup.value = (sup.value & ~own) | (vb << a) | (va << b);
      } else {
        sup.mask &= ~own;
      }
      sup.value &= sup.mask;
      break;
    }
    default:
      break;
  }
}

/**
 * Runs the unitary instructions [from, to), tracking the support. Checks the abort flag between
 * instructions (and the kernels check it inside large gates); calls onStep after each instruction.
 */
export function runUnitaries(
  d: Float64Array,
  n: number,
  instrs: Instr[],
  from: number,
  to: number,
  sup: Support,
  abort: AbortLike | null,
  onStep?: (done: number) => void,
): void {
  for (let i = from; i < to; i++) {
    if (abort !== null && abort.aborted) throw new SimulationAbortedError();
    applyTracked(d, n, instrs[i], sup, abort);
    if (onStep) onStep(i + 1 - from);
  }
}
