/**
 * Benchmark of the statevector simulator (run from dist/: `node dist/bench/run.js`).
 *
 * - streaming pass: read and write every double of a Float64Array the size of the state, the
 *   memory-bandwidth bound of any kernel that touches the whole state;
 * - kernels at 24 qubits, one gate each, against that pass;
 * - QFT, GHZ and random circuits at 16, 20 and 24 qubits, end to end (simulate, RUNNER, 1024 shots)
 *   and state only (runStatevector), against the `quantum-circuit` npm package on the same
 *   circuits (in a worker thread, stopped after a cap);
 * - peak memory of each 24-qubit run in a fresh child process;
 * - the worker pool, from the compiled worker file.
 * Medians of repeated runs: the machine is shared and noisy.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Circuit } from '../src/quantum/circuit/circuit';
import * as G from '../src/quantum/circuit/gates';
import { applyInstr } from '../src/quantum/simulator/interpreter';
import { compile } from '../src/quantum/simulator/program';
import { runStatevector, simulate } from '../src/quantum/simulator/simulate';
import { SimulatorPool } from '../src/quantum/simulator/pool';
import { stateBytes } from '../src/quantum/simulator/statevector';
import { SimulationAbortedError } from '../src/quantum/simulator/errors';
import type { CountsResult } from '../src/quantum/simulator/types';
import { CircuitBuilder, ghz, qft, randomCircuit } from '../src/quantum/simulator/testing/circuits';
import { dynamicBench, dynamicMemoryCircuit, dynamicTable } from './dynamic.bench';
import { runLayoutBench } from './layout.bench';
import { fmtMiB, fmtMs, median, table, time } from './util';

const SHOTS = 1024;
/** Stop quantum-circuit after this long (it is single-threaded JS over objects, one run only). */
const QC_CAP_MS = 60_000;
const SIZES = [16, 20, 24];

type Family = 'qft' | 'ghz' | 'random';
const FAMILIES: Family[] = ['qft', 'ghz', 'random'];

export function makeCircuit(family: Family, n: number): Circuit {
  switch (family) {
    case 'ghz':
      return ghz(n);
    case 'qft':
      return qft(n, (b) => b.x(0).x(n - 1), true);
    case 'random': {
      // a layer of random rotations (so that every qubit is in superposition: no amplitude can be
      // skipped), then 5n random gates of every kind
      const b = new CircuitBuilder(n, n);
      for (let q = 0; q < n; q++) b.u3(0.3 + q * 0.1, 0.2 * q, 0.1, q);
      b.ops.push(...randomCircuit(n, 5 * n, n, { quantumCircuitCompatible: true }).ops);
      for (let q = 0; q < n; q++) b.measure(q, q);
      return b.build();
    }
  }
}

function irGates(c: Circuit): number {
  return c.ops.filter((op) => op.kind === 'gate' || op.kind === 'swap').length;
}

function repeatsFor(n: number): number {
  return n <= 16 ? 7 : n <= 20 ? 5 : 3;
}

/** One streaming pass (read + write every double) over an array the size of an n-qubit state. */
export function streamingPass(d: Float64Array): void {
  for (let i = 0; i < d.length; i++) d[i] = d[i] * 0.999999;
}

function streamMs(n: number): number {
  const d = new Float64Array(2 * 2 ** n);
  d.fill(1e-3);
  streamingPass(d);
  return median(time(() => streamingPass(d), n <= 16 ? 21 : 7));
}

interface KernelRow {
  name: string;
  kernel: string;
  ms: number;
  ratio: number;
}

const KERNEL_NAMES = ['unitary', 'diagonal', 'phase', 'x', 'antidiagonal', 'swap', 'scale'];

export function kernelBench(n: number): KernelRow[] {
  const cases: [string, (b: CircuitBuilder) => void][] = [
    ['h q0', (b) => b.h(0)],
    ['h q1', (b) => b.h(1)],
    ['h q5', (b) => b.h(5)],
    ['h q7', (b) => b.h(7)],
    ['h q12', (b) => b.h(12)],
    [`h q${n - 1}`, (b) => b.h(n - 1)],
    ['u3 q5', (b) => b.u3(0.1, 0.2, 0.3, 5)],
    ['x q0', (b) => b.x(0)],
    ['x q6', (b) => b.x(6)],
    ['y q7', (b) => b.y(7)],
    ['rz q0', (b) => b.rz(0.3, 0)],
    ['rz q12', (b) => b.rz(0.3, 12)],
    [`cx q0→q${n - 1}`, (b) => b.cx(0, n - 1)],
    [`cx q${n - 1}→q0`, (b) => b.cx(n - 1, 0)],
    ['cx q3→q9', (b) => b.cx(3, 9)],
    ['cp q2,q17', (b) => b.cp(0.4, 2, 17)],
    ['crx q0→q1', (b) => b.gate('crx', G.rx(0.4), 1, [0])],
    ['cu3 q11→q4 (negctrl)', (b) => b.gate('cu3', G.u3(0.4, 0.1, 0.2), 4, [11], [0])],
    ['ccx q0,q1→q2', (b) => b.ccx(0, 1, 2)],
    [`swap q0,q${n - 1}`, (b) => b.swap(0, n - 1)],
    ['cswap q1;q4,q20', (b) => b.swap(4, 20, [1])],
  ];
  // a dense state of random amplitudes (no amplitude is zero, none is denormal)
  const d = new Float64Array(2 * 2 ** n);
  for (let i = 0; i < d.length; i++) d[i] = (Math.sin(i * 12.9898) * 43758.5453) % 1e-3;
  const s = new Float64Array(2 * 2 ** n).fill(1e-3);
  return cases.map(([name, build]) => {
    const b = new CircuitBuilder(n);
    build(b);
    const program = compile(b.build());
    if (program.instrs.length !== 1) throw new Error(`${name}: expected one instruction`);
    const ins = program.instrs[0];
    applyInstr(d, n, ins, null); // warm-up
    // alternate the kernel and a streaming pass, so that both see the same machine load
    const kernel: number[] = [];
    const pass: number[] = [];
    for (let r = 0; r < 7; r++) {
      pass.push(time(() => streamingPass(s), 1)[0]);
      kernel.push(time(() => applyInstr(d, n, ins, null), 1)[0]);
    }
    const ms = median(kernel);
    return { name, kernel: KERNEL_NAMES[ins.op], ms, ratio: ms / median(pass) };
  });
}

interface CircuitRow {
  family: Family;
  qubits: number;
  gates: number;
  instrs: number;
  simulateMs: number;
  statevectorMs: number | null;
  perPassRatio: number;
  qc: { ms: number; capped: boolean; maxDiff: number | null } | null;
}

/** Runs `circuit` with quantum-circuit in a worker thread; stops it after capMs. */
function runQuantumCircuit(
  circuit: Circuit,
  capMs: number,
): Promise<{ ms: number; capped: boolean; state: Float64Array | null }> {
  const oracle = path.join(__dirname, '..', 'src', 'quantum', 'simulator', 'testing', 'quantum-circuit-oracle.js');
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { runWithQuantumCircuit } = require(workerData.oracle);
    const t0 = performance.now();
    const state = runWithQuantumCircuit(workerData.circuit);
    parentPort.postMessage({ ms: performance.now() - t0, state }, [state.buffer]);
  `;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const worker = new Worker(code, { eval: true, workerData: { oracle, circuit }, stderr: true });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ ms: performance.now() - started, capped: true, state: null });
    }, capMs);
    worker.once('message', (m: { ms: number; state: Float64Array }) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve({ ms: m.ms, capped: false, state: m.state });
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function circuitBench(log: (s: string) => void): Promise<CircuitRow[]> {
  const rows: CircuitRow[] = [];
  for (const n of SIZES) {
    for (const family of FAMILIES) {
      const circuit = makeCircuit(family, n);
      const program = compile(circuit, { dropMeasurements: true });
      const repeats = repeatsFor(n);
      const req = { circuit, shots: SHOTS, seed: 1, type: 'RUNNER' as const, maxQubits: 26 };
      simulate(req); // warm-up (and JIT)
      const stream = streamMs(n); // just before, under the same load
      const simulateMs = median(time(() => simulate(req), repeats));
      let statevectorMs: number | null = null;
      let ours: Float64Array | null = null;
      if (n <= 20) {
        statevectorMs = median(time(() => (ours = runStatevector(circuit).data), repeats));
      }
      // kernel passes: the instructions, plus the norm and the sampling pass
      const perPassRatio = simulateMs / (program.instrs.length + 2) / stream;
      let qc: CircuitRow['qc'] = null;
      if (n <= 20) {
        const r = await runQuantumCircuit(circuit, QC_CAP_MS);
        let maxDiff: number | null = null;
        if (r.state && ours) {
          maxDiff = 0;
          const a: Float64Array = ours;
          for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - r.state[i]));
        }
        qc = { ms: r.ms, capped: r.capped, maxDiff };
      }
      const row: CircuitRow = {
        family,
        qubits: n,
        gates: irGates(circuit),
        instrs: program.instrs.length,
        simulateMs,
        statevectorMs,
        perPassRatio,
        qc,
      };
      rows.push(row);
      log(
        `  ${family} ${n}: simulate ${fmtMs(simulateMs)}${statevectorMs !== null ? `, state ${fmtMs(statevectorMs)}` : ''}${qc ? `, quantum-circuit ${qc.capped ? `> ${fmtMs(qc.ms)} (stopped)` : fmtMs(qc.ms)}` : ''}`,
      );
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Memory, in a fresh child process per run.

interface MemoryProbe {
  family: string;
  qubits: number;
  stateBytes: number;
  rssBefore: number;
  rssPeak: number;
  arrayBuffersBefore: number;
  arrayBuffersPeak: number;
  mode: string;
}

/** Entry of the child process: `run.js --memory-probe <family> <n>`. */
export function memoryProbe(family: string, n: number): void {
  let circuit: Circuit;
  if (family === 'ghz-reset') {
    // GHZ with a reset at the end: forces per-shot mode (prefix + working state).
    const b = new CircuitBuilder(n, n);
    b.ops.push(...ghz(n).ops);
    b.reset(0);
    circuit = b.build();
  } else if (family === 'dynamic') {
    circuit = dynamicMemoryCircuit(n);
  } else {
    circuit = makeCircuit(family as Family, n);
  }
  const before = process.memoryUsage();
  let rssPeak = before.rss;
  let abPeak = before.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    abPeak = Math.max(abPeak, m.arrayBuffers);
  };
  const [counts] = simulate(
    { circuit, shots: SHOTS, seed: 1, type: 'RUNNER', maxQubits: 26 },
    { onProgress: sample },
  ) as CountsResult[];
  sample();
  const probe: MemoryProbe = {
    family,
    qubits: n,
    stateBytes: stateBytes(n),
    rssBefore: before.rss,
    rssPeak,
    arrayBuffersBefore: before.arrayBuffers,
    arrayBuffersPeak: abPeak,
    mode: String(counts.meta.mode),
  };
  process.stdout.write(JSON.stringify(probe) + '\n');
}

export function runProbe(family: string, n: number): Promise<MemoryProbe> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'run.js'), ['--memory-probe', family, String(n)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`memory probe ${family} ${n} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as MemoryProbe);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The pool, from the compiled worker.

async function poolBench(): Promise<{ runMs: number; cancelMs: number; workerFile: string }> {
  const pool = new SimulatorPool({ size: 2 });
  try {
    const workerFile = path.join(__dirname, '..', 'src', 'quantum', 'simulator', 'simulator.worker.js');
    if (!fs.existsSync(workerFile)) throw new Error(`${workerFile} missing: the pool would not use compiled code`);
    const t0 = performance.now();
    const [counts] = await pool.run({ circuit: ghz(20), shots: SHOTS, seed: 3, type: 'RUNNER', maxQubits: 26 });
    const runMs = performance.now() - t0;
    const keys = Object.keys(counts.data).sort().join(',');
    if (keys !== '0x0,0xfffff') throw new Error(`pool GHZ gave ${keys}`);
    const controller = new AbortController();
    let abortedAt = 0;
    const running = pool.run(
      { circuit: randomCircuit(22, 2000, 9, { measure: true }), shots: SHOTS, type: 'RUNNER', maxQubits: 26 },
      {
        signal: controller.signal,
        onProgress: () => {
          if (!abortedAt) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      },
    );
    const err = await running.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof SimulationAbortedError))
      throw new Error(`pool cancel: expected SimulationAbortedError, got ${String(err)}`);
    return { runMs, cancelMs: performance.now() - abortedAt, workerFile };
  } finally {
    await pool.close();
  }
}

// ---------------------------------------------------------------------------------------------

function machine(): string[] {
  let cpu = 'unknown';
  try {
    const m = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    // not Linux
  }
  return [
    `- date: ${new Date().toISOString()}`,
    `- node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.release()}`,
    `- CPU: ${cpu}, nproc ${os.availableParallelism()}`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB available at start`,
    `- load average at start (1, 5, 15 min): ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
  ];
}

export async function runSimulatorBench(log: (s: string) => void = console.error): Promise<string> {
  const t0 = performance.now();
  const out: string[] = [
    '## Simulator',
    '',
    'Produced by `npm run bench` (bench/simulator.bench.ts); medians of repeated runs.',
    '',
  ];
  out.push(...machine(), '');

  log('streaming passes');
  const streams = new Map<number, number>();
  for (const n of [...SIZES, 22]) streams.set(n, streamMs(n));
  out.push('### Memory-bandwidth bound: one streaming pass (read + write every double of the state)', '');
  out.push(
    table(
      ['qubits', 'state', 'pass', 'GB/s (read + write)'],
      [...streams.entries()]
        .sort(([a], [b]) => a - b)
        .map(([n, ms]) => [n, fmtMiB(stateBytes(n)), fmtMs(ms), ((2 * stateBytes(n)) / (ms / 1000) / 1e9).toFixed(1)]),
    ),
    '',
  );

  log('kernels at 24 qubits');
  const kernels = kernelBench(24);
  out.push(
    `### Kernels at 24 qubits (state ${fmtMiB(stateBytes(24))}), dense state, each timed alternately with a streaming pass`,
    '',
  );
  out.push(
    table(
      ['gate', 'kernel', 'time', 'x streaming pass'],
      kernels.map((k) => [k.name, k.kernel, fmtMs(k.ms), k.ratio.toFixed(2)]),
    ),
    '',
  );
  const worstKernel = kernels.reduce((a, b) => (a.ratio > b.ratio ? a : b));

  log('circuits');
  const rows = await circuitBench(log);
  out.push('### Circuits: end to end (RUNNER, 1024 shots) and state only, against quantum-circuit', '');
  out.push(
    `quantum-circuit ${require('quantum-circuit/package.json').version} runs once per circuit in a worker thread, stopped after ${QC_CAP_MS / 1000} s; not run at 24 qubits. "per pass" = simulate time / (kernel instructions + 2 passes for norm and sampling) / one streaming pass.`,
    '',
  );
  out.push(
    table(
      [
        'circuit',
        'qubits',
        'IR gates',
        'kernel instr.',
        'simulate',
        'state only',
        'per pass / stream',
        'quantum-circuit',
        'speed-up (state)',
        'max |Δamp|',
      ],
      rows.map((r) => {
        let qcCell = '—';
        let speed = '—';
        let diff = '—';
        if (r.qc) {
          qcCell = r.qc.capped ? `> ${fmtMs(r.qc.ms)} (stopped)` : fmtMs(r.qc.ms);
          speed = `${r.qc.capped ? '> ' : ''}${(r.qc.ms / r.statevectorMs!).toFixed(0)}x`;
          diff = r.qc.maxDiff === null ? '—' : r.qc.maxDiff.toExponential(1);
        }
        return [
          r.family,
          r.qubits,
          r.gates,
          r.instrs,
          fmtMs(r.simulateMs),
          r.statevectorMs === null ? '—' : fmtMs(r.statevectorMs),
          r.perPassRatio.toFixed(2),
          qcCell,
          speed,
          diff,
        ];
      }),
    ),
    '',
  );

  log('memory probes');
  const probes: MemoryProbe[] = [];
  for (const [family, n] of [
    ['ghz', 24],
    ['qft', 24],
    ['random', 24],
    ['ghz-reset', 24],
    ['dynamic', 24],
  ] as const) {
    probes.push(await runProbe(family, n));
  }
  out.push('### Peak memory at 24 qubits (fresh process per run)', '');
  out.push(
    table(
      ['circuit', 'mode', 'state', 'peak RSS − RSS before', 'ratio', 'peak arrayBuffers − before', 'ratio'],
      probes.map((p) => [
        p.family,
        p.mode,
        fmtMiB(p.stateBytes),
        fmtMiB(p.rssPeak - p.rssBefore),
        ((p.rssPeak - p.rssBefore) / p.stateBytes).toFixed(2),
        fmtMiB(p.arrayBuffersPeak - p.arrayBuffersBefore),
        ((p.arrayBuffersPeak - p.arrayBuffersBefore) / p.stateBytes).toFixed(2),
      ]),
    ),
    '',
  );

  log('dynamic circuits');
  out.push(...(await dynamicSection(log)), '');

  log('pool');
  const pool = await poolBench();
  out.push('### Worker pool (compiled worker)', '');
  out.push(
    `- \`${path.relative(path.join(__dirname, '..', '..'), pool.workerFile)}\`: GHZ(20), 1024 shots, through the pool incl. worker start: ${fmtMs(pool.runMs)}`,
    `- cancel of a running 22-qubit simulation: rejected ${fmtMs(pool.cancelMs)} after abort()`,
    '',
  );

  log('layout');
  const layout = runLayoutBench([22, 24], 5);
  out.push('### Layout: interleaved Float64Array vs two arrays (re, im), one H gate', '');
  out.push(
    table(
      ['qubits', 'target', 'interleaved', 'split', 'split / interleaved'],
      layout.map((l) => [
        l.qubits,
        l.target,
        fmtMs(l.interleavedMs),
        fmtMs(l.splitMs),
        (l.splitMs / l.interleavedMs).toFixed(2),
      ]),
    ),
    '',
  );

  // goals
  const at20 = rows.filter((r) => r.qubits === 20);
  const speedups = at20.map((r) =>
    r.qc ? `${r.family} ${r.qc.capped ? '> ' : ''}${(r.qc.ms / r.statevectorMs!).toFixed(0)}x` : `${r.family} n/a`,
  );
  const worst24 = rows.filter((r) => r.qubits === 24).reduce((a, b) => (a.perPassRatio > b.perPassRatio ? a : b));
  const worstMem = probes.reduce((a, b) =>
    (a.rssPeak - a.rssBefore) / a.stateBytes > (b.rssPeak - b.rssBefore) / b.stateBytes ? a : b,
  );
  out.push('### Goals', '');
  out.push(
    `- 100x faster than quantum-circuit at 20 qubits: ${speedups.join(', ')}`,
    `- each gate within 3x of a streaming pass at 24 qubits: worst kernel ${worstKernel.name} ${worstKernel.ratio.toFixed(2)}x; worst circuit average ${worst24.family} ${worst24.perPassRatio.toFixed(2)}x`,
    `- memory at most 2x the state vector: worst ${worstMem.family} (${worstMem.mode}) ${((worstMem.rssPeak - worstMem.rssBefore) / worstMem.stateBytes).toFixed(2)}x (RSS)`,
    `- total benchmark time: ${fmtMs(performance.now() - t0)}; load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
    '',
  );
  return out.join('\n');
}

/** Dynamic circuits (bench/dynamic.bench.ts): per-shot classical feedback against OpenQASM 2's `if`. */
export async function dynamicSection(log: (s: string) => void, withMemory = false): Promise<string[]> {
  const out = [
    `### Dynamic circuits: per-shot classical feedback (RUNNER, 1024 shots, ${4} mid-circuit measurements)`,
    '',
    'Same state preparation; the baseline feeds back with `if (c[k] == 1) x q[k+1]`, the dynamic one with a counter variable, `if/else` on its parity and a repeat-until-success `while` loop (bench/dynamic.bench.ts). Alternating runs, medians.',
    '',
    dynamicTable(dynamicBench()),
  ];
  if (withMemory) {
    log('dynamic memory probe');
    const p = await runProbe('dynamic', 24);
    out.push(
      '',
      `Peak memory of a 24-qubit GHZ followed by a repeat-until-success loop measured into a variable (${p.mode}): RSS +${fmtMiB(p.rssPeak - p.rssBefore)} (${((p.rssPeak - p.rssBefore) / p.stateBytes).toFixed(2)}x the ${fmtMiB(p.stateBytes)} state), arrayBuffers +${fmtMiB(p.arrayBuffersPeak - p.arrayBuffersBefore)} (${((p.arrayBuffersPeak - p.arrayBuffersBefore) / p.stateBytes).toFixed(2)}x).`,
    );
  }
  return out;
}
