import { SimulationAbortedError } from './errors';
import {
  type Instr,
  OP_ANTIDIAGONAL,
  OP_DIAGONAL,
  OP_PHASE,
  OP_SCALE,
  OP_SWAP,
  OP_UNITARY,
  OP_X,
} from './program';
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
 * Runs the unitary instructions [from, to). Checks the abort flag between instructions (and the
 * kernels check it inside large gates); calls onStep after each instruction.
 */
export function runUnitaries(
  d: Float64Array,
  n: number,
  instrs: Instr[],
  from: number,
  to: number,
  abort: AbortLike | null,
  onStep?: (done: number) => void,
): void {
  for (let i = from; i < to; i++) {
    if (abort !== null && abort.aborted) throw new SimulationAbortedError();
    applyInstr(d, n, instrs[i], abort);
    if (onStep) onStep(i + 1 - from);
  }
}
