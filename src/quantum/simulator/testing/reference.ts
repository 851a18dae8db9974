/**
 * A deliberately naive reference for tests: every operation becomes a dense 2^n x 2^n complex
 * matrix built from its definition, and the state is multiplied by it. Unitary circuits only.
 */
import type { Circuit, Op } from '../../circuit/circuit';

type Complex = [number, number];

/** The dense matrix of one operation: M[row][col] as [re, im]. */
function denseMatrix(op: Op, n: number): Complex[][] {
  const N = 2 ** n;
  const M: Complex[][] = Array.from({ length: N }, () => Array.from({ length: N }, (): Complex => [0, 0]));
  const bit = (i: number, q: number) => (i >> q) & 1;
  const controlsMatch = (i: number, controls: number[], states?: (0 | 1)[]) =>
    controls.every((c, k) => bit(i, c) === (states ? states[k] : 1));
  for (let col = 0; col < N; col++) {
    switch (op.kind) {
      case 'gate': {
        if (!controlsMatch(col, op.controls, op.controlStates)) {
          M[col][col] = [1, 0];
          break;
        }
        const t = op.target;
        const cb = bit(col, t);
        for (let rb = 0; rb < 2; rb++) {
          const row = rb ? col | (1 << t) : col & ~(1 << t);
          const e = (rb * 2 + cb) * 2;
          M[row][col] = [op.matrix[e], op.matrix[e + 1]];
        }
        break;
      }
      case 'swap': {
        let row = col;
        if (controlsMatch(col, op.controls, op.controlStates) && bit(col, op.a) !== bit(col, op.b)) {
          row = col ^ (1 << op.a) ^ (1 << op.b);
        }
        M[row][col] = [1, 0];
        break;
      }
      case 'gphase':
        M[col][col] = [Math.cos(op.theta), Math.sin(op.theta)];
        break;
      case 'barrier':
      case 'measure':
        M[col][col] = [1, 0];
        break;
      default:
        throw new Error(`reference: ${op.kind} is not supported`);
    }
  }
  return M;
}

/** Final state (ignoring measurements) as an array of [re, im]. */
export function referenceState(circuit: Circuit): Complex[] {
  const N = 2 ** circuit.numQubits;
  let psi: Complex[] = Array.from({ length: N }, (_, i): Complex => [i === 0 ? 1 : 0, 0]);
  for (const op of circuit.ops) {
    const M = denseMatrix(op, circuit.numQubits);
    psi = M.map((row) =>
      row.reduce<Complex>(
        (acc, [mr, mi], j) => [acc[0] + mr * psi[j][0] - mi * psi[j][1], acc[1] + mr * psi[j][1] + mi * psi[j][0]],
        [0, 0],
      ),
    );
  }
  return psi;
}
