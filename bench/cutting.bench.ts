/**
 * `npm run bench:cutting` (= build, then `node dist/bench/cutting.bench.js`): circuit cutting
 * (src/quantum/cutting) on circuits of 8-12 qubits cut to widths 4-6. For each: the plan (cuts,
 * fragments, sub-experiments, planning time); with exact fragments (the job path on the local
 * simulator) the largest error of the recombined distribution against the uncut statevector and the
 * time against an uncut simulation; with every sub-experiment sampled (as a device would run it) the
 * total variation distance to the exact distribution and the shots it costs, next to an uncut run of
 * the same total shots. Prints markdown (docs/benchmarks.md, "Circuit cutting"); seeds fixed.
 */
import os from 'node:os';
import type { Circuit } from '../src/quantum/circuit/circuit';
import { cutDistribution, exactDistribution, planCuts } from '../src/quantum/cutting';
import { blockCircuit, ghz } from '../src/quantum/cutting/testing';
import { sampleFrequencies } from '../src/quantum/cutting/recombine';
import { Rng } from '../src/quantum/simulator/random';
import { fmtMs, median, table, time } from './util';

type Dist = Map<number, number>;

function reference(circuit: Circuit): Dist {
  const m = new Map<number, number>();
  exactDistribution(circuit).forEach((v, k) => {
    if (v > 0) m.set(k, v);
  });
  return m;
}

function tvd(a: Dist, b: Dist): number {
  let d = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) d += Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0));
  return d / 2;
}

function maxErr(a: Dist, b: Dist): number {
  let d = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) d = Math.max(d, Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0)));
  return d;
}

/** An uncut run of `shots` shots, as frequencies. */
function uncutSampled(circuit: Circuit, shots: number, seed: number): Dist {
  const p = exactDistribution(circuit);
  const f = sampleFrequencies(p, shots, new Rng(seed));
  const m = new Map<number, number>();
  f.forEach((v, k) => {
    if (v > 0) m.set(k, v);
  });
  return m;
}

interface Case {
  name: string;
  circuit: Circuit;
  width: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [n, w] of [
    [8, 4],
    [10, 5],
    [12, 6],
  ]) {
    out.push({ name: `GHZ-${n}`, circuit: ghz(n), width: w });
  }
  for (const [n, w, seed] of [
    [8, 4, 11],
    [10, 4, 15],
    [10, 5, 13],
    [10, 6, 14],
    [12, 4, 17],
    [12, 5, 18],
    [12, 6, 16],
  ]) {
    out.push({ name: `random ${n}q (seed ${seed})`, circuit: blockCircuit(n, w, seed), width: w });
  }
  // Few measured bits: the shape where sampled sub-experiments stay accurate.
  out.push({
    name: 'random 10q, 4 measured (seed 41)',
    circuit: blockCircuit(10, 5, 41, { measure: [0, 3, 5, 9] }),
    width: 5,
  });
  out.push({
    name: 'random 12q, 4 measured (seed 42)',
    circuit: blockCircuit(12, 6, 42, { measure: [0, 4, 7, 11] }),
    width: 6,
  });
  return out;
}

function main(): void {
  const started = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const lines: string[] = [];
  const exactRows: (string | number)[][] = [];
  const sampledRows: (string | number)[][] = [];
  const SHOTS = [1_000, 10_000, 100_000];
  for (const c of cases()) {
    console.error(`${c.name} -> ${c.width}`);
    const planMs = median(time(() => planCuts(c.circuit, c.width), 3));
    const ref = reference(c.circuit);
    const uncutMs = median(time(() => reference(c.circuit), 5));
    let exact = cutDistribution(c.circuit, { width: c.width });
    const cutMs = median(
      time(() => {
        exact = cutDistribution(c.circuit, { width: c.width });
      }, 3),
    );
    const m = exact.meta;
    exactRows.push([
      c.name,
      c.circuit.numQubits,
      c.width,
      m.cuts,
      `${m.fragments} (${m.fragmentWidths.join('+')})`,
      m.subexperiments,
      fmtMs(planMs),
      fmtMs(m.fragmentMs),
      fmtMs(m.recombineMs),
      fmtMs(cutMs),
      fmtMs(uncutMs),
      maxErr(exact.distribution, ref).toExponential(1),
    ]);
    for (const shots of SHOTS) {
      const t0 = performance.now();
      const sampled = cutDistribution(c.circuit, { width: c.width, shotsPerVariant: shots }, { seed: 7 });
      const ms = performance.now() - t0;
      const total = shots * sampled.meta.subexperiments;
      sampledRows.push([
        c.name,
        c.width,
        shots.toLocaleString('en'),
        total.toLocaleString('en'),
        tvd(sampled.distribution, ref).toFixed(4),
        tvd(uncutSampled(c.circuit, total, 7), ref).toFixed(4),
        tvd(uncutSampled(c.circuit, shots, 7), ref).toFixed(4),
        sampled.meta.negativeMass.toFixed(4),
        fmtMs(ms),
      ]);
    }
  }
  lines.push(
    `Run of ${started} UTC, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} vCPUs, Node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} at the end.`,
    '',
    '#### Exact fragments (what a job on the local simulator does)',
    '',
    table(
      [
        'circuit',
        'qubits',
        'width',
        'cuts',
        'fragments (widths)',
        'sub-experiments',
        'plan',
        'fragments run',
        'recombine',
        'cut total',
        'uncut statevector',
        'max error vs uncut',
      ],
      exactRows,
    ),
    '',
    '#### Sampled sub-experiments (as a device would run them), seed 7',
    '',
    table(
      [
        'circuit',
        'width',
        'shots per sub-experiment',
        'shots in all',
        'TVD cut vs exact',
        'TVD uncut (same shots in all) vs exact',
        'TVD uncut (shots of one sub-experiment) vs exact',
        'negative mass clipped',
        'time',
      ],
      sampledRows,
    ),
  );
  process.stdout.write(lines.join('\n') + '\n');
}

main();
