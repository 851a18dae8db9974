/**
 * `npm run bench` (= `npm run build && node dist/bench/run.js`): the simulator benchmark
 * (bench/simulator.bench.ts). Prints a markdown report to stdout (pasted into docs/benchmarks.md's
 * "Simulator" section) and progress to stderr. Runs in about three minutes.
 *
 * `run.js --memory-probe <family> <qubits>` is the child-process entry of its memory measurements;
 * `run.js --dynamic` runs only the dynamic-circuit part.
 */
import { dynamicSection, memoryProbe, runSimulatorBench } from './simulator.bench';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--memory-probe');
  if (i >= 0) {
    memoryProbe(process.argv[i + 1], Number(process.argv[i + 2]));
    return;
  }
  if (process.argv.includes('--dynamic')) {
    // Only the dynamic-circuit part (`node dist/bench/run.js --dynamic`), with its memory probe.
    process.stdout.write((await dynamicSection(console.error, true)).join('\n') + '\n');
    return;
  }
  process.stdout.write((await runSimulatorBench()) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
