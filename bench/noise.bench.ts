/**
 * Noisy simulation and error mitigation (issue #14), run from dist/: `npm run bench:noise`.
 *
 * - Mitigation: for GHZ and random circuits on the default noise model of LOCAL/noisy-simulator
 *   (and on it without readout error, the case of zero-noise extrapolation), the exact ideal value,
 *   the raw noisy estimate and each method's mitigated estimate, their errors and their cost (extra
 *   circuits and shots). Methods with sampled calibration are averaged over SEEDS seeds.
 * - Dynamical decoupling: circuits where qubits wait (a Bell pair or GHZ-4 whose qubits wait while
 *   one qubit does many gates) on the noisy-superconducting preset, whose model has idle noise
 *   (a coherent detuning and damping per idle layer); every method on them, dd's cost in extra gates.
 * - Cost of the noisy engine: density matrix up to 12 qubits, trajectories (200) above.
 */
import * as os from 'node:os';
import type { Circuit } from '../src/quantum/circuit/circuit';
import {
  DEFAULT_NOISE_MODEL,
  NOISE_PRESETS,
  simulateNoisy,
  type MitigationMethod,
  type NoiseModel,
} from '../src/quantum/noise';
import { runStatevector, simulate } from '../src/quantum/simulator/simulate';
import type { QuasiDistResult, SimulationResult, ValueAndVarianceResult } from '../src/quantum/simulator/types';
import { CircuitBuilder, ghz, randomCircuit } from '../src/quantum/simulator/testing/circuits';
import { fmtMs, median, table, time } from './util';

const SHOTS = 10_000;
const SEEDS = [1, 2, 3, 4, 5];
const METHODS: MitigationMethod[] = ['readout_mitigation', 'twirled_readout_error_extinction', 'zne'];
/** PEC gives expectation values only. */
const ESTIMATOR_METHODS: MitigationMethod[] = [...METHODS, 'pec'];
const NO_READOUT: NoiseModel = { ...DEFAULT_NOISE_MODEL, readoutError: { p01: 0, p10: 0 } };

interface EstimatorCase {
  name: string;
  circuit: Circuit;
  pauli: string;
  noise: NoiseModel;
  methods?: MitigationMethod[];
}
interface SamplerCase {
  name: string;
  circuit: Circuit;
  noise: NoiseModel;
  methods?: MitigationMethod[];
}
const SUPERCONDUCTING = NOISE_PRESETS.superconducting;

/**
 * GHZ on `n` qubits, then qubit n-1 does `wait` gates (H H pairs: the identity) while the others
 * wait; with `undo`, the GHZ is undone and all qubits measured (ideally all 0).
 */
function ghzThenWait(n: number, wait: number, undo = false): Circuit {
  const b = new CircuitBuilder(n, undo ? n : 0);
  b.h(0);
  for (let q = 1; q < n; q++) b.cx(q - 1, q);
  for (let i = 0; i < wait; i++) b.h(n - 1);
  if (undo) {
    for (let q = n - 1; q >= 1; q--) b.cx(q - 1, q);
    b.h(0);
    for (let q = 0; q < n; q++) b.measure(q, q);
  }
  return b.build();
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const f3 = (x: number) => x.toFixed(3);
const f4 = (x: number) => x.toFixed(4);

type Mitigation = { raw: unknown; extraCircuits: number; extraShots: number; extraGates?: number };
const cost = (m: Mitigation) =>
  `${m.extraCircuits} / ${m.extraShots}${m.extraGates ? ` (+${m.extraGates} gates)` : ''}`;
const mitigationOf = (r: SimulationResult) => (r.meta as unknown as { errorMitigation: Mitigation }).errorMitigation;

function estimatorRows(c: EstimatorCase): (string | number)[][] {
  const exact = (
    simulate({
      circuit: c.circuit,
      shots: 1,
      type: 'ESTIMATOR',
      observables: [{ pauli: c.pauli }],
      maxQubits: 30,
    })[0] as ValueAndVarianceResult
  ).data.value;
  const run = (method: MitigationMethod | undefined, seed: number) =>
    simulateNoisy({
      circuit: c.circuit,
      shots: SHOTS,
      seed,
      type: 'ESTIMATOR',
      observables: [{ pauli: c.pauli }],
      maxQubits: 30,
      noise: c.noise,
      errorMitigation: method,
    })[0] as ValueAndVarianceResult;
  const raw = run(undefined, 1).data.value;
  const rows: (string | number)[][] = [[c.name, 'none', f3(exact), f3(raw), f4(Math.abs(raw - exact)), '', '', '', '']];
  for (const method of c.methods ?? ESTIMATOR_METHODS) {
    const values: number[] = [];
    let m: Mitigation | undefined;
    const ms = median(
      time(() => {
        for (const seed of SEEDS) {
          const r = run(method, seed);
          values.push(r.data.value);
          m = mitigationOf(r);
        }
      }, 1),
    );
    const error = mean(values.map((v) => Math.abs(v - exact)));
    rows.push([
      c.name,
      method,
      f3(exact),
      f3(raw),
      f4(Math.abs(raw - exact)),
      f3(mean(values)),
      `${f4(error)} (${((100 * error) / Math.abs(raw - exact)).toFixed(0)} %)`,
      cost(m!),
      fmtMs(ms / SEEDS.length),
    ]);
  }
  return rows;
}

function tvd(a: Record<string, number>, b: Record<string, number>): number {
  let s = 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) s += Math.abs((a[k] ?? 0) - (b[k] ?? 0));
  return s / 2;
}

function samplerRows(c: SamplerCase): (string | number)[][] {
  const exact = exactDistribution(c.circuit);
  const run = (method: MitigationMethod | undefined, seed: number) =>
    simulateNoisy({
      circuit: c.circuit,
      shots: SHOTS,
      seed,
      type: 'SAMPLER',
      maxQubits: 30,
      noise: c.noise,
      errorMitigation: method,
    })[0] as QuasiDistResult;
  const rawDist = run(undefined, 1).data;
  const rawTvd = tvd(rawDist, exact);
  const rows: (string | number)[][] = [[c.name, 'none', f4(rawTvd), '', '', '']];
  for (const method of c.methods ?? METHODS) {
    const tvds: number[] = [];
    let m: Mitigation | undefined;
    const ms = median(
      time(() => {
        for (const seed of SEEDS) {
          const r = run(method, seed);
          tvds.push(tvd(r.data, exact));
          m = mitigationOf(r);
        }
      }, 1),
    );
    const t = mean(tvds);
    rows.push([
      c.name,
      method,
      f4(rawTvd),
      `${f4(t)} (${((100 * t) / rawTvd).toFixed(0)} %)`,
      cost(m!),
      fmtMs(ms / SEEDS.length),
    ]);
  }
  return rows;
}

/** The ideal distribution over the clbits (qubit q measured into clbit q): |amplitude|^2 of the statevector. */
function exactDistribution(circuit: Circuit): Record<string, number> {
  const { data } = runStatevector(circuit);
  const out: Record<string, number> = {};
  for (let i = 0; i < 2 ** circuit.numQubits; i++) {
    const p = data[2 * i] ** 2 + data[2 * i + 1] ** 2;
    if (p > 1e-15) out['0x' + i.toString(16)] = p;
  }
  return out;
}

function engineRows(): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const n of [6, 8, 10, 12, 13, 14, 16]) {
    for (const family of ['ghz', 'random', 'random-idle'] as const) {
      const circuit = family === 'ghz' ? ghz(n) : randomCircuit(n, 4 * n, 7, { maxControls: 1, measure: true });
      const model = family === 'random-idle' ? SUPERCONDUCTING : DEFAULT_NOISE_MODEL;
      const run = () =>
        simulateNoisy({
          circuit,
          shots: 1000,
          seed: 1,
          type: 'SAMPLER',
          maxQubits: 30,
          noise: model,
          densityMaxQubits: 12,
        });
      let meta: Record<string, unknown> = {};
      const ms = median(
        time(
          () => {
            meta = run()[0].meta as unknown as Record<string, unknown>;
          },
          n >= 12 ? 1 : 3,
        ),
      );
      const noise = meta.noise as { simulation: string; trajectories?: number };
      rows.push([
        family === 'random-idle' ? `random-${n}, superconducting (idle noise)` : `${family}-${n}`,
        circuit.ops.filter((o) => o.kind === 'gate' || o.kind === 'swap').length,
        noise.simulation + (noise.trajectories ? ` (${noise.trajectories})` : ''),
        fmtMs(ms),
      ]);
    }
  }
  return rows;
}

function main(): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `# Noisy simulation and error mitigation — ${new Date().toISOString()} — ${cpu}, ${os.cpus().length} cores\n`,
  );
  console.log(
    `Shots ${SHOTS} per circuit; mitigated errors are means over seeds ${SEEDS.join(', ')} (the raw value is exact on the density matrix; calibration shots are sampled).\n`,
  );
  const estimators: EstimatorCase[] = [
    { name: 'GHZ-6 <ZZZZZZ>', circuit: ghz(6, false), pauli: 'ZZZZZZ', noise: DEFAULT_NOISE_MODEL },
    { name: 'GHZ-6 <ZZZZZZ>, no readout error', circuit: ghz(6, false), pauli: 'ZZZZZZ', noise: NO_READOUT },
    { name: 'GHZ-6 <XXXXXX>', circuit: ghz(6, false), pauli: 'XXXXXX', noise: DEFAULT_NOISE_MODEL },
    {
      name: 'random-6 (24 gates) <ZIZIZZ>',
      circuit: randomCircuit(6, 24, 4, { maxControls: 1 }),
      pauli: 'ZIZIZZ',
      noise: DEFAULT_NOISE_MODEL,
    },
    {
      name: 'Bell, q1 waits 60 layers <XX>, superconducting',
      circuit: ghzThenWait(2, 60),
      pauli: 'XX',
      noise: SUPERCONDUCTING,
      methods: [...ESTIMATOR_METHODS, 'dd'],
    },
    {
      name: 'GHZ-4, 3 qubits wait 40 layers <XXXX>, superconducting',
      circuit: ghzThenWait(4, 40),
      pauli: 'XXXX',
      noise: SUPERCONDUCTING,
      methods: [...ESTIMATOR_METHODS, 'dd'],
    },
    {
      name: 'GHZ-6 <XXXXXX> (short waits), superconducting',
      circuit: ghz(6, false),
      pauli: 'XXXXXX',
      noise: SUPERCONDUCTING,
      methods: ['dd'],
    },
  ];
  console.log('## Expectation values (ESTIMATOR)\n');
  console.log(
    table(
      [
        'circuit',
        'method',
        'exact',
        'raw',
        'raw error',
        'mitigated',
        'mitigated error (of raw)',
        'extra circuits / shots',
        'time',
      ],
      estimators.flatMap(estimatorRows),
    ),
  );
  const samplers: SamplerCase[] = [
    { name: 'GHZ-4', circuit: ghz(4), noise: DEFAULT_NOISE_MODEL },
    {
      name: 'random-4 (16 gates)',
      circuit: randomCircuit(4, 16, 8, { maxControls: 1, measure: true }),
      noise: DEFAULT_NOISE_MODEL,
    },
    {
      name: 'GHZ-4, wait 40 layers, undone (ideally 0000), superconducting',
      circuit: ghzThenWait(4, 40, true),
      noise: SUPERCONDUCTING,
      methods: [...METHODS, 'dd'],
    },
  ];
  console.log('\n## Distributions (SAMPLER): total variation distance to the exact distribution\n');
  console.log(
    table(
      ['circuit', 'method', 'raw TVD', 'mitigated TVD (of raw)', 'extra circuits / shots', 'time'],
      samplers.flatMap(samplerRows),
    ),
  );
  console.log(
    '\n## The noisy engine: SAMPLER, 1000 shots, default model (and the superconducting preset, with idle noise)\n',
  );
  console.log(table(['circuit', 'gates', 'simulation (trajectories)', 'time'], engineRows()));
}

main();
