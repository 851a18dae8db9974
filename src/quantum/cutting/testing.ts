import type { Circuit, Op } from '../circuit/circuit';
import { H, u3, X, Z } from '../circuit/gates';
import { Rng } from '../simulator/random';

/** Circuits for the specs and the benchmark of circuit cutting. */

/** GHZ on n qubits: H on qubit 0, then a chain of CX, every qubit measured into its clbit. */
export function ghz(n: number): Circuit {
  const ops: Op[] = [{ kind: 'gate', name: 'h', target: 0, matrix: H, controls: [] }];
  for (let q = 0; q + 1 < n; q++) ops.push({ kind: 'gate', name: 'cx', target: q + 1, matrix: X, controls: [q] });
  for (let q = 0; q < n; q++) ops.push({ kind: 'measure', qubit: q, clbit: q });
  return {
    numQubits: n,
    numClbits: n,
    qregs: [{ name: 'q', size: n, offset: 0 }],
    cregs: [{ name: 'c', size: n, offset: 0 }],
    ops,
  };
}

/**
 * A random circuit of n qubits in blocks of consecutive qubits (at most `block` wide, minus one so
 * that a cut wire fits): `layers` layers of random single-qubit rotations and random CX/CZ within
 * blocks, and between neighbouring blocks `bridges` CX in all (across the layers), as a circuit
 * meant for cutting looks. Every qubit (or those of `measure`) measured into its clbit.
 */
export function blockCircuit(
  n: number,
  block: number,
  seed: number,
  opts: { layers?: number; bridges?: number; measure?: number[] } = {},
): Circuit {
  const rng = new Rng(seed);
  const layers = opts.layers ?? 4;
  const size = Math.max(2, block - 1);
  const blocks: number[][] = [];
  for (let start = 0; start < n; start += size)
    blocks.push(Array.from({ length: Math.min(size, n - start) }, (_, i) => start + i));
  const ops: Op[] = [];
  const pick = (xs: number[]) => xs[Math.floor(rng.next() * xs.length)];
  const bridges = opts.bridges ?? 1;
  const bridgeLayers = new Set(
    Array.from({ length: bridges }, (_, i) => Math.floor(((i + 1) * layers) / (bridges + 1))),
  );
  for (let l = 0; l < layers; l++) {
    for (let q = 0; q < n; q++) {
      const m = u3(rng.next() * Math.PI, rng.next() * 2 * Math.PI, rng.next() * 2 * Math.PI);
      ops.push({ kind: 'gate', name: 'u3', target: q, matrix: m, controls: [] });
    }
    for (const b of blocks) {
      for (let g = 0; g + 1 < b.length; g++) {
        const c = pick(b);
        let t = pick(b);
        if (t === c) t = b[(b.indexOf(c) + 1) % b.length];
        if (t === c) continue;
        ops.push({
          kind: 'gate',
          name: rng.next() < 0.5 ? 'cx' : 'cz',
          target: t,
          matrix: rng.next() < 0.5 ? X : Z,
          controls: [c],
        });
      }
    }
    if (bridgeLayers.has(l)) {
      for (let i = 0; i + 1 < blocks.length; i++) {
        ops.push({
          kind: 'gate',
          name: 'cx',
          target: blocks[i + 1][0],
          matrix: X,
          controls: [blocks[i][blocks[i].length - 1]],
        });
      }
    }
  }
  const measured = opts.measure ?? Array.from({ length: n }, (_, q) => q);
  measured.forEach((q, c) => ops.push({ kind: 'measure', qubit: q, clbit: c }));
  return {
    numQubits: n,
    numClbits: measured.length,
    qregs: [{ name: 'q', size: n, offset: 0 }],
    cregs: [{ name: 'c', size: measured.length, offset: 0 }],
    ops,
  };
}
