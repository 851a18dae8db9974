import fc from 'fast-check';
import type { Circuit } from './circuit/circuit';
import {
  EMITTED_LANGUAGES,
  emitProgram,
  ENGINE_LANGUAGES,
  parseProgram,
  TranslationError,
  translateProgram,
} from './languages';
import { runStatevector, simulate } from './simulator';
import { CircuitBuilder, randomCircuit } from './simulator/testing/circuits';

/**
 * Translation across every registered language, against the engine itself: a program translated
 * from OpenQASM 2 to X and read back runs as the original (same final state up to a global phase,
 * same distribution), for every X the engine writes; and dynamic circuits keep their distribution
 * in every language that can express them (the others refuse with a TranslationError, never a
 * silent change).
 */

const TARGETS = EMITTED_LANGUAGES.filter((l) => ENGINE_LANGUAGES.includes(l));

/** Largest |a - e^{i phi} b| over the amplitudes, with phi chosen on the largest amplitude of b. */
function distanceUpToPhase(a: Float64Array, b: Float64Array): number {
  let k = 0;
  for (let i = 0; i < b.length; i += 2) if (Math.hypot(b[i], b[i + 1]) > Math.hypot(b[k], b[k + 1])) k = i;
  // e^{i phi} = a_k / b_k (normalised)
  const br = b[k];
  const bi = b[k + 1];
  const ar = a[k];
  const ai = a[k + 1];
  const norm = Math.hypot(br, bi) * Math.hypot(ar, ai) || 1;
  const cr = (ar * br + ai * bi) / norm;
  const ci = (ai * br - ar * bi) / norm;
  let worst = 0;
  for (let i = 0; i < a.length; i += 2) {
    const re = b[i] * cr - b[i + 1] * ci;
    const im = b[i] * ci + b[i + 1] * cr;
    worst = Math.max(worst, Math.hypot(a[i] - re, a[i + 1] - im));
  }
  return worst;
}

/** The final state of a program, measurements ignored (they are terminal in these tests). */
function stateOf(circuit: Circuit): Float64Array {
  const unitary: Circuit = { ...circuit, ops: circuit.ops.filter((op) => op.kind !== 'measure') };
  return runStatevector(unitary).data;
}

/** The SAMPLER distribution of a program: hex of all clbits -> probability. */
function sampled(language: string, source: string): Record<string, number> {
  const [result] = simulate({
    circuit: parseProgram(language, source),
    shots: 4000,
    seed: 9,
    type: 'SAMPLER',
    maxQubits: 26,
  });
  return result.data as Record<string, number>;
}

describe('translation through every language', () => {
  it('has the engine read and write each of the six languages', () => {
    for (const l of ['QASM2', 'QASM3', 'QUIL', 'QISKIT', 'BRAKET', 'IONQ']) {
      expect(ENGINE_LANGUAGES).toContain(l);
      expect(EMITTED_LANGUAGES).toContain(l);
    }
  });

  it("reads QUIL as Quil text or as pyQuil builder code (qunicorn-core's Rigetti test program)", () => {
    const pyquil =
      'from pyquil import Program \n\nfrom pyquil.gates import * \n\nfrom pyquil.quilbase import Declare\n\ncircuit = Program(\nDeclare("ro", "BIT", 2),\nH(0),\nCNOT(0, 1),\nMEASURE(0, ("ro", 0)),\nMEASURE(1, ("ro", 1)),\n)';
    const quil = 'DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n';
    expect(sampled('QUIL', pyquil)).toEqual(sampled('QUIL', quil));
    expect(Object.keys(sampled('QUIL', pyquil)).sort()).toEqual(['0x0', '0x3']);
  });

  it.each(TARGETS)('QASM2 -> %s -> run gives the state of the original (random circuits)', (target) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n, seed) => {
        const circuit = randomCircuit(n, 12, seed, { maxControls: 2, measure: true });
        const qasm2 = emitProgram('QASM2', circuit).text;
        const original = parseProgram('QASM2', qasm2);
        const translated = translateProgram('QASM2', target, qasm2);
        expect(translated.language).toBe(target);
        const back = parseProgram(target, translated.quantumCircuit);
        expect(back.numQubits).toBe(original.numQubits);
        expect(distanceUpToPhase(stateOf(back), stateOf(original))).toBeLessThan(1e-9);
      }),
      { numRuns: 25 },
    );
  });

  it.each(TARGETS)('QASM2 -> %s keeps the counts of a measured circuit (same seed, same shots)', (target) => {
    const b = new CircuitBuilder(3, 3);
    b.h(0).cx(0, 1).ry(1.1, 2).x(2);
    for (let q = 0; q < 3; q++) b.measure(q, q);
    const qasm2 = emitProgram('QASM2', b.build()).text;
    const translated = translateProgram('QASM2', target, qasm2).quantumCircuit;
    // SAMPLER keys are the hex of all clbits (bit 0 least significant), whatever the registers are
    // called in each language; here qubit i is measured into clbit i everywhere.
    const original = sampled('QASM2', qasm2);
    const back = sampled(target, translated);
    for (const key of new Set([...Object.keys(original), ...Object.keys(back)])) {
      expect(Math.abs((original[key] ?? 0) - (back[key] ?? 0))).toBeLessThan(0.05);
    }
  });

  it.each(TARGETS)(
    'a dynamic circuit (mid-circuit measurement and feedback) to %s: same distribution, or refused by name',
    (target) => {
      // Teleportation of ry(0.8)|0>: the corrections depend on two mid-circuit measurements.
      const b = new CircuitBuilder(3, 3);
      b.ry(0.8, 0).h(1).cx(1, 2).cx(0, 1).h(0).measure(0, 0).measure(1, 1);
      b.if([1], 1, (i) => i.x(2));
      b.if([0], 1, (i) => i.z(2));
      b.measure(2, 2);
      const qasm3 = emitProgram('QASM3', b.build()).text;
      let text: string;
      try {
        text = translateProgram('QASM3', target, qasm3).quantumCircuit;
      } catch (err) {
        expect(err).toBeInstanceOf(TranslationError);
        expect((err as TranslationError).construct.length).toBeGreaterThan(0);
        return;
      }
      const marginal = (dist: Record<string, number>) => {
        let ones = 0;
        for (const [key, p] of Object.entries(dist)) if ((parseInt(key, 16) >> 2) & 1) ones += p;
        return ones;
      };
      // The teleported qubit reads 1 with probability sin^2(0.4) whatever the corrections were.
      const p = Math.sin(0.4) ** 2;
      expect(Math.abs(marginal(sampled(target, text)) - p)).toBeLessThan(0.04);
      expect(Math.abs(marginal(sampled('QASM3', qasm3)) - p)).toBeLessThan(0.04);
    },
  );
});
