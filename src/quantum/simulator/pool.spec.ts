import type { Circuit } from '../circuit/circuit';
import * as G from '../circuit/gates';
import {
  simulate,
  SimulationAbortedError,
  SimulationLimitError,
  SimulationWorkerError,
  SimulatorPool,
  type SimulationRequest,
} from './index';
import { CircuitBuilder, ghz, randomCircuit } from './testing/circuits';

// Under jest there is no compiled simulator.worker.js beside pool.ts: these tests run the worker
// from its TypeScript source through the pool's @swc/core bootstrap (see pool.ts). The compiled
// path is exercised by the benchmark (dist/bench/run.js), which runs from dist/.

const req = (circuit: Circuit, extra: Partial<SimulationRequest> = {}): SimulationRequest => ({
  circuit,
  shots: 1000,
  seed: 77,
  type: 'RUNNER',
  maxQubits: 26,
  ...extra,
});

/** A simulation that takes several seconds: thousands of gates on 2^21 amplitudes. */
const long = () => req(randomCircuit(21, 4000, 5, { measure: true }));

describe('SimulatorPool', () => {
  let pool: SimulatorPool;
  beforeEach(() => {
    pool = new SimulatorPool({ size: 2 });
  });
  afterEach(async () => {
    await pool.close();
  });

  it('runs a simulation in a worker thread with the same results as in-thread', async () => {
    const r = req(ghz(5));
    const inThread = simulate(r);
    const inWorker = await pool.run(r);
    expect(inWorker.map((x) => x.data)).toEqual(inThread.map((x) => x.data));
    expect(inWorker[0].meta).toMatchObject({ seed: 77, shots: 1000, format: 'hex' });
  });

  it('runs more simulations than workers, queueing the rest', async () => {
    const runs = [3, 4, 5, 6, 7].map((n) => pool.run(req(ghz(n), { shots: 100 })));
    expect(pool.stats).toMatchObject({ workers: 2, busy: 2, queued: 3 });
    const results = await Promise.all(runs);
    results.forEach((r, i) => {
      const n = 3 + i;
      const ones = `0x${(2 ** n - 1).toString(16)}`;
      expect(Object.keys(r[0].data).sort()).toEqual(['0x0', ones].sort());
    });
    expect(pool.stats).toMatchObject({ busy: 0, queued: 0 });
  });

  it('reports throttled progress', async () => {
    const seen: { t: number; f: number }[] = [];
    const t0 = performance.now();
    await pool.run(req(randomCircuit(20, 600, 2, { measure: true })), {
      onProgress: (f) => seen.push({ t: performance.now(), f }),
    });
    const duration = performance.now() - t0;
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThanOrEqual(duration / 100 + 2);
    for (let i = 1; i < seen.length; i++) expect(seen[i].f).toBeGreaterThanOrEqual(seen[i - 1].f);
  });

  it('cancels a running simulation and keeps the worker', async () => {
    const controller = new AbortController();
    let progressed!: () => void;
    const started = new Promise<void>((resolve) => (progressed = resolve));
    const running = pool.run(long(), { signal: controller.signal, onProgress: () => progressed() });
    await started; // it is RUNNING in the worker
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(SimulationAbortedError);
    expect(pool.stats.workers).toBe(1); // the worker noticed the flag itself: no termination
    const after = await pool.run(req(ghz(3)));
    expect(Object.keys(after[0].data).sort()).toEqual(['0x0', '0x7']);
  });

  it('cancels queued runs without starting them, and rejects already-aborted signals', async () => {
    const single = new SimulatorPool({ size: 1 });
    try {
      const first = new AbortController();
      const second = new AbortController();
      const a = single.run(long(), { signal: first.signal });
      const b = single.run(long(), { signal: second.signal });
      expect(single.stats.queued).toBe(1);
      second.abort();
      await expect(b).rejects.toBeInstanceOf(SimulationAbortedError);
      expect(single.stats.queued).toBe(0);
      first.abort();
      await expect(a).rejects.toBeInstanceOf(SimulationAbortedError);
      await expect(single.run(req(ghz(2)), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
        SimulationAbortedError,
      );
    } finally {
      await single.close();
    }
  });

  it('passes the simulator errors through with their class and message', async () => {
    await expect(pool.run(req(ghz(20), { maxMemoryBytes: 2 ** 20 }))).rejects.toThrow(SimulationLimitError);
    await expect(pool.run(req(ghz(20), { maxMemoryBytes: 2 ** 20 }))).rejects.toThrow(
      'circuit needs 2^20 amplitudes (16.0 MiB), more than the limit of 1.0 MiB (configured maxMemoryBytes)',
    );
  });

  it('a worker running out of memory rejects its run and is replaced; the process survives', async () => {
    const small = new SimulatorPool({
      size: 1,
      resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 },
    });
    try {
      // ~600k gate objects: the worker's heap cannot hold the request and its compiled program.
      const b = new CircuitBuilder(4, 1);
      for (let i = 0; i < 600_000; i++) b.gate('u', G.u3(i, 0.1, 0.2), i % 4, [(i + 1) % 4]);
      b.measure(0, 0);
      const err = await small.run(req(b.build())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimulationWorkerError);
      expect((err as Error).message).toMatch(/out of memory/);
      expect(small.stats.workers).toBe(0);
      const after = await small.run(req(ghz(4)));
      expect(Object.keys(after[0].data).sort()).toEqual(['0x0', '0xf']);
    } finally {
      await small.close();
    }
  });

  it('a worker that dies under a run rejects it and is replaced', async () => {
    const running = pool.run(long());
    await new Promise((r) => setTimeout(r, 100));
    // Kill the worker from outside, as a crash would.
    const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await slots[0].worker.terminate();
    await expect(running).rejects.toThrow(/simulation worker exited unexpectedly/);
    const after = await pool.run(req(ghz(3)));
    expect(Object.keys(after[0].data).sort()).toEqual(['0x0', '0x7']);
  });

  it('close() rejects what is queued or running', async () => {
    const single = new SimulatorPool({ size: 1 });
    const a = expect(single.run(long())).rejects.toThrow(/closed/);
    const b = expect(single.run(long())).rejects.toThrow(/closed/);
    await single.close();
    await a;
    await b;
    await expect(single.run(req(ghz(2)))).rejects.toThrow(/closed/);
  });
});
