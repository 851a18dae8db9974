import type { Matrix2 } from '../circuit/circuit';
import { schedule, type NoisyCircuit, type NoisyGate } from './density';
import type { NoiseModel } from './model';

/**
 * Dynamical decoupling: X pulses in the idle windows of a scheduled circuit. Under the model's idle
 * noise a waiting qubit turns by Rz(detuning) per layer; an X flips the sign of that rotation
 * (X Rz(d) X = Rz(-d)), so X pulses placed as `a idle layers, X, b, X, c` with b = a + c (CPMG-like:
 * tau/2 X tau X tau/2) cancel the detuning of the window, and the two X make the identity. The
 * pulses are ordinary noisy one-qubit gates (the model's depolarizing and damping), and Markovian
 * damping is not changed by them.
 */

const X: Matrix2 = [0, 0, 1, 0, 1, 0, 0, 0];

/** Fewest idle layers a window needs for a pulse pair (two for the pulses, one free layer on each side of the first). */
export const DD_MIN_WINDOW = 4;

export interface DecoupledCircuit {
  circuit: NoisyCircuit;
  /** Idle windows that got a pulse pair. */
  windows: number;
  /** X pulses inserted (2 per window): the extra gates. */
  pulses: number;
  /** Fewest idle layers a window needed under this model. */
  minWindow: number;
}

/**
 * The fewest idle layers for which a pulse pair is worth its gates under `noise`: a window of L
 * layers left alone turns a waiting qubit by L*detuning (an infidelity of about (L d)^2 / 4 for a
 * superposition), a pair costs two X gates (about p1/2 + (gamma + lambda)/4 each, with the model's
 * one-qubit depolarizing and per-gate damping). At least DD_MIN_WINDOW.
 */
export function decouplingMinWindow(noise: NoiseModel): number {
  const d = Math.abs(noise.idle?.detuning ?? 0);
  if (d === 0) return Infinity;
  const gateError = noise.oneQubitDepolarizing / 2 + (noise.amplitudeDamping + noise.phaseDamping) / 4;
  // (L d)^2 / 4 > 2 gateError
  const L = Math.floor(Math.sqrt(8 * gateError) / d) + 1;
  return Math.max(DD_MIN_WINDOW, L);
}

/**
 * `c` scheduled (ALAP, see `schedule`) with an X-X pair in each idle window of at least
 * `decouplingMinWindow(noise)` layers: between two gates of a qubit, and from its last gate to the
 * measurements at the end (a qubit not yet acted on is |0> and needs none). The other gates keep
 * their layers; the result carries its layers.
 */
export function withDynamicalDecoupling(c: NoisyCircuit, noise: NoiseModel): DecoupledCircuit {
  const { layers, depth } = schedule(c);
  const minWindow = decouplingMinWindow(noise);
  const busy: number[][] = Array.from({ length: c.numQubits }, () => []);
  c.gates.forEach((g, i) => {
    for (const q of g.qubits) busy[q].push(layers[i]);
  });
  const gates: NoisyGate[] = [...c.gates];
  const out = [...layers];
  let windows = 0;
  const pulse = (q: number, layer: number) => {
    gates.push({ kind: 'gate', target: q, matrix: X, cmask: 0, cval: 0, qubits: [q] });
    out.push(layer);
  };
  for (let q = 0; q < c.numQubits; q++) {
    const at = busy[q].sort((x, y) => x - y);
    for (let k = 0; k < at.length; k++) {
      const start = at[k] + 1;
      const end = k + 1 < at.length ? at[k + 1] : depth; // exclusive
      const L = end - start;
      if (L < minWindow) continue;
      const free = L - 2;
      const b = Math.floor(free / 2);
      const a = Math.floor((free - b) / 2);
      pulse(q, start + a);
      pulse(q, start + a + 1 + b);
      windows++;
    }
  }
  // Gates in layer order (within a layer they act on distinct qubits).
  const order = out.map((l, i) => [l, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  return {
    circuit: { ...c, gates: order.map(([, i]) => gates[i]), layers: order.map(([l]) => l) },
    windows,
    pulses: 2 * windows,
    minWindow,
  };
}
