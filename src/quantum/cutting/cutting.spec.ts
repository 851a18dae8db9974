import type { Circuit, Op } from '../circuit/circuit';
import { X } from '../circuit/gates';
import { parseQasm } from '../qasm';
import { SimulationAbortedError } from '../simulator/errors';
import { simulate } from '../simulator/simulate';
import { CutError, cutDistribution, exactDistribution, planCuts, planForJob, simulateCut } from '.';
import { blockCircuit, ghz } from './testing';

/** The exact distribution of a circuit's clbits, uncut, from its state vector. */
function reference(circuit: Circuit): Map<number, number> {
  const p = exactDistribution(circuit);
  const m = new Map<number, number>();
  p.forEach((v, k) => {
    if (v > 0) m.set(k, v);
  });
  return m;
}

function maxDiff(a: Map<number, number>, b: Map<number, number>): number {
  let d = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) d = Math.max(d, Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0)));
  return d;
}

function tvd(a: Map<number, number>, b: Map<number, number>): number {
  let d = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) d += Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0));
  return d / 2;
}

describe('circuit cutting: plan', () => {
  it('cuts GHZ-8 (a chain of CX) to width 4 with 2 wire cuts into 3 fragments', () => {
    const plan = planCuts(ghz(8), 4);
    expect(plan.cuts).toHaveLength(2);
    expect(plan.fragments).toHaveLength(3);
    for (const f of plan.fragments) expect(f.qubits.length).toBeLessThanOrEqual(4);
    // 3 (one outgoing) + 4 * 3 (one in, one out) + 4 (one incoming)
    expect(plan.subexperiments).toBe(19);
    expect([...plan.outputs].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('every fragment of random circuits of 8-12 qubits fits the width', () => {
    for (const [n, width, seed] of [
      [8, 4, 1],
      [10, 5, 2],
      [12, 6, 3],
      [12, 4, 4],
    ]) {
      const plan = planCuts(blockCircuit(n, width, seed), width);
      for (const f of plan.fragments) expect(f.qubits.length).toBeLessThanOrEqual(width);
      expect(plan.cuts.length).toBeGreaterThan(0);
    }
  });

  it('refuses a cut that needs more sub-experiments than the limit', () => {
    let err: unknown;
    try {
      planCuts(ghz(12), 2, { maxSubexperiments: 100 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CutError);
    expect((err as CutError).reason).toBe('too-many-subexperiments');
    expect((err as CutError).subexperiments).toBeGreaterThan(100);
    expect((err as CutError).limit).toBe(100);
  });

  it('refuses a cut whose recombination would take too long or hold too much (recombination-too-large)', () => {
    // GHZ-8 to 4: 2 cuts, 8 measured qubits: 4^2 x 2^8 = 4096 terms. Its fragments (3, 3 and 2
    // measured qubits; cuts out, in and out, in) hold 48 + 32 + 192 + 128 + 16 + 16 = 432 numbers.
    expect(() => planCuts(ghz(8), 4, { maxRecombinationWork: 4095 })).toThrow(
      expect.objectContaining({ reason: 'recombination-too-large' }),
    );
    expect(() => planCuts(ghz(8), 4, { maxHeldEntries: 100 })).toThrow(
      expect.objectContaining({ reason: 'recombination-too-large' }),
    );
    expect(planCuts(ghz(8), 4, { maxRecombinationWork: 4096, maxHeldEntries: 1000 }).cuts).toHaveLength(2);
  });

  it('a circuit of 150,000 two-qubit gates is planned within the search budget (here: refused, too many cuts), without overflowing', () => {
    const ops: Op[] = [];
    for (let g = 0; g < 150_000; g++) {
      const a = g % 19;
      ops.push({ kind: 'gate', name: 'cx', target: a + 1, matrix: X, controls: [a] });
    }
    const circuit: Circuit = { numQubits: 20, numClbits: 0, qregs: [], cregs: [], ops };
    expect(() => planCuts(circuit, 10)).toThrow(CutError);
  });

  it('refuses a cut circuit measuring more than 20 qubits (the recombined distribution covers them all)', () => {
    expect(() => planCuts(ghz(22), 12)).toThrow(expect.objectContaining({ reason: 'too-many-measured-qubits' }));
  });

  it('planForJob plans an ESTIMATOR job per observable: its measured qubits are those the observable acts on', () => {
    const wide = ghz(22);
    expect(planForJob(wide, 11, { observables: ['I'.repeat(21) + 'Z'] })).toMatchObject({ cuts: 2, fragments: 3 });
    expect(() => planForJob(wide, 11, { observables: ['Z'.repeat(22)] })).toThrow(
      expect.objectContaining({ reason: 'too-many-measured-qubits' }),
    );
    expect(planForJob(ghz(8), 8)).toBeNull();
  });

  it('refuses gates wider than the width and circuits with reset or mid-circuit measurement', () => {
    const ccx = parseQasm('OPENQASM 2.0; include "qelib1.inc"; qreg q[4]; ccx q[0],q[1],q[2]; cx q[2],q[3];');
    expect(() => planCuts(ccx, 2)).toThrow(expect.objectContaining({ reason: 'gate-wider-than-width' }));
    const reset = parseQasm(
      'OPENQASM 2.0; include "qelib1.inc"; qreg q[4]; creg c[4]; h q[0]; reset q[0]; cx q[0],q[1];',
    );
    expect(() => planCuts(reset, 2)).toThrow(expect.objectContaining({ reason: 'unsupported-circuit' }));
    const mid = parseQasm(
      'OPENQASM 2.0; include "qelib1.inc"; qreg q[4]; creg c[4]; h q[0]; measure q[0] -> c[0]; cx q[0],q[1];',
    );
    expect(() => planCuts(mid, 2)).toThrow(CutError);
  });
});

describe('circuit cutting: exact recombination', () => {
  it('GHZ-8 cut to 4: the recombined distribution is the statevector one (1/2 on 0 and 255)', () => {
    const r = cutDistribution(ghz(8), { width: 4 });
    expect(maxDiff(r.distribution, reference(ghz(8)))).toBeLessThan(1e-9);
    expect(r.distribution.get(0)).toBeCloseTo(0.5, 12);
    expect(r.distribution.get(255)).toBeCloseTo(0.5, 12);
    expect(r.meta).toMatchObject({ needed: true, cuts: 2, fragments: 3, subexperiments: 19, fragmentResults: 'exact' });
  });

  it.each([
    [8, 4, 11],
    [9, 5, 12],
    [10, 5, 13],
    [10, 6, 14],
    [10, 4, 15],
    [12, 6, 16],
    [12, 4, 17],
  ])('a random %i-qubit circuit cut to %i (seed %i): equal to the statevector within 1e-9', (n, width, seed) => {
    const circuit = blockCircuit(n, width, seed);
    const r = cutDistribution(circuit, { width });
    expect(r.plan.cuts.length).toBeGreaterThan(0);
    expect(maxDiff(r.distribution, reference(circuit))).toBeLessThan(1e-9);
    expect(Math.abs(r.meta.recombinedTotal - 1)).toBeLessThan(1e-9);
    expect(r.meta.negativeMass).toBeLessThan(1e-9);
  });

  it('only some qubits measured, into other clbits: the marginal is recombined', () => {
    const base = blockCircuit(9, 4, 21);
    const ops: Op[] = base.ops.filter((op) => op.kind !== 'measure');
    ops.push({ kind: 'measure', qubit: 8, clbit: 0 }, { kind: 'measure', qubit: 2, clbit: 2 });
    const circuit: Circuit = { ...base, numClbits: 3, cregs: [{ name: 'c', size: 3, offset: 0 }], ops };
    const r = cutDistribution(circuit, { width: 4 });
    expect(maxDiff(r.distribution, reference(circuit))).toBeLessThan(1e-9);
  });

  it('ESTIMATOR: recombined expectation values equal the uncut exact ones', () => {
    const circuit = blockCircuit(10, 5, 31);
    const observables = [{ pauli: 'ZZZZZZZZZZ' }, { pauli: 'XIIIIYIIIZ', coefficient: 0.5 }, { pauli: 'IIIIIIIIII' }];
    const req = { circuit, shots: 1000, type: 'ESTIMATOR' as const, observables, maxQubits: 26 };
    const uncut = simulate(req);
    const cut = simulateCut(req, { width: 5 });
    expect(cut).toHaveLength(3);
    cut.forEach((r, i) => {
      const u = uncut[i].data as { value: number; variance: number };
      const c = r.data as { value: number; variance: number };
      expect(Math.abs(c.value - u.value)).toBeLessThan(1e-9);
      expect(Math.abs(c.variance - u.variance)).toBeLessThan(1e-9);
    });
    expect(cut[0].meta).toMatchObject({ observable: 'ZZZZZZZZZZ', exact: true, cut: { needed: true } });
    expect(cut[2].meta).toMatchObject({ cut: { needed: false } });
  });
});

describe('circuit cutting: with shots', () => {
  it('GHZ-8 cut to 4 with 10000 shots per sub-experiment: TVD <= 0.03 (seed 7)', () => {
    const r = cutDistribution(ghz(8), { width: 4, shotsPerVariant: 10_000 }, { seed: 7 });
    expect(r.meta.fragmentResults).toBe('sampled');
    expect(tvd(r.distribution, reference(ghz(8)))).toBeLessThanOrEqual(0.03);
  });

  it('a random 10-qubit circuit with 6 measured qubits cut to 5 with 10000 shots each: TVD <= 0.03 (seed 3)', () => {
    const circuit = blockCircuit(10, 5, 41, { measure: [0, 1, 2, 7, 8, 9] });
    const r = cutDistribution(circuit, { width: 5, shotsPerVariant: 10_000 }, { seed: 3 });
    expect(tvd(r.distribution, reference(circuit))).toBeLessThanOrEqual(0.03);
  });

  it('simulateCut RUNNER: counts of the job shots drawn from the recombined distribution, meta.cut', () => {
    const circuit = ghz(8);
    const [counts, probabilities] = simulateCut(
      { circuit, shots: 4000, seed: 5, type: 'RUNNER', maxQubits: 4 },
      { width: 4 },
    );
    expect(counts.resultType).toBe('COUNTS');
    expect(Object.keys(counts.data).sort()).toEqual(['0x0', '0xff']);
    expect(Math.abs((counts.data as Record<string, number>)['0x0'] / 4000 - 0.5)).toBeLessThan(0.03);
    expect(counts.meta).toMatchObject({ shots: 4000, seed: 5, mode: 'sampled-once', cut: { cuts: 2, fragments: 3 } });
    expect(probabilities.resultType).toBe('PROBABILITIES');
  });

  it('simulateCut on a circuit no wider than the width runs it uncut and says so', () => {
    const [counts] = simulateCut({ circuit: ghz(4), shots: 100, seed: 1, type: 'RUNNER', maxQubits: 26 }, { width: 6 });
    expect(counts.meta).toMatchObject({ cut: { needed: false, width: 6 } });
  });

  it('a program wider than the device runs when cut: GHZ-24 (3 qubits measured) on a 20-qubit device, cut to 12', () => {
    const wide = ghz(24);
    const measured: Circuit = {
      ...wide,
      numClbits: 3,
      cregs: [{ name: 'c', size: 3, offset: 0 }],
      ops: [
        ...wide.ops.filter((op) => op.kind !== 'measure'),
        { kind: 'measure', qubit: 0, clbit: 0 },
        { kind: 'measure', qubit: 12, clbit: 1 },
        { kind: 'measure', qubit: 23, clbit: 2 },
      ],
    };
    const [counts] = simulateCut(
      { circuit: measured, shots: 1000, seed: 2, type: 'RUNNER', maxQubits: 20 },
      { width: 12 },
    );
    expect(Object.keys(counts.data).sort()).toEqual(['0x0', '0x7']);
    expect(counts.meta).toMatchObject({ cut: { cuts: 2, fragments: 3 } });
  });

  it('reports progress and stops when its signal is aborted (SimulationAbortedError)', () => {
    const fractions: number[] = [];
    const signal = { aborted: false };
    expect(() =>
      simulateCut(
        { circuit: blockCircuit(10, 4, 15), shots: 10, type: 'RUNNER', maxQubits: 26 },
        { width: 4 },
        {
          signal,
          onProgress: (f) => {
            fractions.push(f);
            if (fractions.length === 5) signal.aborted = true;
          },
        },
      ),
    ).toThrow(SimulationAbortedError);
    expect(fractions).toHaveLength(5);
    expect(fractions[4]).toBeGreaterThan(0);
    expect(fractions[4]).toBeLessThan(1);
  });

  it('simulateCut refuses a width above the device', () => {
    expect(() => simulateCut({ circuit: ghz(8), shots: 1, type: 'RUNNER', maxQubits: 4 }, { width: 5 })).toThrow(
      expect.objectContaining({ reason: 'bad-width' }),
    );
  });
});
