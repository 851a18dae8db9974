/**
 * Saving a large result: the longest event-loop stall of the process while a job with a 643,832-
 * outcome distribution (a 20-qubit `h q; measure`, 10^6 shots) is run in an engine thread and saved
 * (docs/decisions/0005-large-results.md).
 *
 *   npm run build && node dist/bench/large-results.bench.js      (BENCH_ROUNDS=3)
 *
 * The real app (runWorkers off: the bench makes the worker's calls itself, as ExecutionWorker does:
 * JobsService.start, LocalEngineBackend.run, JobsService.saveResults) on a private embedded
 * PostgreSQL, with the default RESULT_INLINE_ENTRIES and MAX_RESULT_ENTRIES. Two backends on the
 * same engine threads, alternating, in the same run:
 *   - before: the engine answers whole `data` maps (no `resultChunking`), sorted and chunked here;
 *   - after: the engine sorts and chunks them in its thread (`resultChunking`, as configured now).
 * A 1 ms interval timer records every gap between its ticks (a stall of this thread, whatever its
 * cause), and each gap is put in one of three windows: while the engine works (this thread only
 * waits: what is seen there is the machine's noise, other processes taking the cores), the arrival
 * of the results (the gap that holds the moment the run resolves: the reply's structured clone and,
 * in the same turn, saveResults' shaping), and the rest of saveResults until the commit. The
 * longest stall of the save is the larger of the last two. Prints markdown.
 */
import 'reflect-metadata';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';
import { createDatabase, startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { LocalEngineBackend } from '../src/execution/backends/local-engine.backend';
import type { RunLimits } from '../src/execution/backends/program-runner';
import { SimulatorPoolService } from '../src/execution/backends/simulator-pool.service';
import { JobsService } from '../src/jobs/jobs.service';
import { presortedChunking } from '../src/jobs/result-data';
import { fmtMs, table } from './util';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const QUBITS = 20;
const SHOTS = 1_000_000;
const SOURCE = `OPENQASM 2.0; include "qelib1.inc"; qreg q[${QUBITS}]; creg c[${QUBITS}]; h q; measure q -> c;`;

/** Gaps between the ticks of a 1 ms timer: [start, end] of each longer than 2 ms. */
class StallProbe {
  private readonly gaps: [number, number][] = [];
  private last = performance.now();
  private readonly timer = setInterval(() => {
    const now = performance.now();
    if (now - this.last > 2) this.gaps.push([this.last, now]);
    this.last = now;
  }, 1);

  /** Stops, after one more turn so that a stall that just ended is recorded. */
  async stop(): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    clearInterval(this.timer);
  }

  /** The longest gap that `pick` selects, in ms (0 when none). */
  longest(pick: (start: number, end: number) => boolean): number {
    return Math.max(0, ...this.gaps.filter(([a, b]) => pick(a, b)).map(([a, b]) => b - a));
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const db = await startEmbeddedPostgres({
    dataDir: path.join(tmpdir(), 'qunest', `bench-lr-${process.pid}-${Date.now()}`),
    persistent: false,
  });
  try {
    const base = loadConfig({ LOG_LEVEL: 'silent' });
    const config = {
      ...base,
      databaseUrl: await createDatabase(db.url, 'bench_lr'),
      port: 0,
      host: '127.0.0.1',
      runWorkers: false,
      serveAdminUi: false,
      localDeviceQubits: QUBITS,
      auth: { ...base.auth, jobsPerMinute: 0 },
    };
    const app = await createApp(config);
    try {
      await app.listen(0, '127.0.0.1');
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
      const post = async (p: string, body: unknown) => {
        const res = await fetch(url + p, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
        return (await res.json()) as { id: string };
      };
      const deviceId = (
        (await (await fetch(`${url}/api/devices?provider=LOCAL`)).json()) as { items: { id: string }[] }
      ).items[0].id;
      const deploymentId = (
        await post('/api/deployments', {
          name: 'wide',
          programs: [{ quantumCircuit: SOURCE, assemblerLanguage: 'QASM2' }],
        })
      ).id;
      const jobs = app.get(JobsService);
      const pool = app.get(SimulatorPoolService);
      const limits: RunLimits = {
        maxOperations: config.maxCircuitOperations,
        maxJobOperations: config.maxJobOperations,
        parseTimeoutMs: config.parseTimeoutSeconds * 1000,
        threadHeapMb: config.engineThreadHeapMb,
      };
      const chunking = presortedChunking({
        inlineEntries: config.resultInlineEntries,
        maxEntries: config.maxResultEntries,
      });
      const provider = { name: 'LOCAL', withToken: false, languages: ['QASM2'], devices: [] };
      const runProgram = pool.runProgram.bind(pool);
      const backends = {
        before: new LocalEngineBackend(provider, runProgram, limits),
        after: new LocalEngineBackend(provider, runProgram, { ...limits, resultChunking: chunking }),
      };

      const rows: (string | number)[][] = [];
      const once = async (variant: keyof typeof backends, shots: number) => {
        const { id } = await post('/api/jobs', { deploymentId, deviceId, shots, seed: 11 });
        const run = await jobs.start(id);
        if (!run) throw new Error(`job ${id} did not start`);
        const controller = new AbortController();
        const probe = new StallProbe();
        const t0 = performance.now();
        const out = await backends[variant].run(run, { signal: controller.signal, onProgress: () => undefined });
        const arrived = performance.now(); // still in the turn that received the results
        const results = out.flatMap(({ programId, results }) => results.map((r) => ({ programId, ...r })));
        const saved = await jobs.saveResults(id, results);
        const done = performance.now();
        await probe.stop();
        if (saved.job.state !== 'FINISHED') throw new Error(`job ${id} ended ${saved.job.state}`);
        return {
          entries: results[0].sorted?.entries ?? Object.keys(results[0].data).length,
          runMs: arrived - t0,
          saveMs: done - arrived,
          noise: probe.longest((_, end) => end < arrived),
          arrival: probe.longest((start, end) => start <= arrived && arrived <= end),
          save: probe.longest((start) => start > arrived),
        };
      };
      // warm-up: JIT, connections, the engine thread
      await once('before', 1000);
      await once('after', 1000);
      for (let round = 1; round <= ROUNDS; round++) {
        for (const variant of ['before', 'after'] as const) {
          const r = await once(variant, SHOTS);
          process.stderr.write(`${variant} ${round}: ${JSON.stringify(r)}\n`);
          rows.push([
            `${variant}, round ${round}`,
            r.entries.toLocaleString('en-US'),
            fmtMs(r.runMs),
            fmtMs(r.noise),
            fmtMs(r.arrival),
            fmtMs(r.saveMs),
            fmtMs(r.save),
            `**${fmtMs(Math.max(r.arrival, r.save))}**`,
          ]);
        }
      }
      const load1 = loadavg()
        .map((x) => x.toFixed(1))
        .join(' ');
      console.log(
        `Run of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus()[0]?.model.trim()}, ${cpus().length} cores, Node ${process.version}; load average ${load0} at the start, ${load1} at the end.\n`,
      );
      console.log(
        table(
          [
            'variant',
            'outcomes',
            'run (engine thread)',
            'longest stall while the engine works (noise)',
            'stall as the results arrive',
            'saveResults after that',
            'longest stall in it',
            'longest stall of the save',
          ],
          rows,
        ),
      );
    } finally {
      await app.close();
    }
  } finally {
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
