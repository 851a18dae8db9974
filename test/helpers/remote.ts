import type {
  BackendRun,
  RemoteBackend,
  RemoteBackendDeps,
  RemoteDevice,
} from '../../src/execution/backends/quantum-backend';
import { BELL_QASM2, translateTask, type LaidOutTranslation } from '../../src/quantum';

/**
 * What the provider adapters' tests share: the deps an adapter is built with (translations by the
 * engine in this thread, as the pool's threads would make them), and the circuits that tell a right
 * result from a wrong one.
 */
export const ENGINE_DEPS: RemoteBackendDeps = {
  translate: async (req) => Promise.resolve(translateTask(req) as LaidOutTranslation),
  maxOperations: 100_000,
  requestTimeoutMs: 5_000,
};

export const BELL = BELL_QASM2;

/** X on qubit 0 only of 3, measured into two registers in a scrambled order: a wrong bit order shows. */
export const ASYMMETRIC = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg a[1];
creg b[2];
x q[0];
measure q[0] -> b[1];
measure q[1] -> a[0];
measure q[2] -> b[0];
`;

/**
 * Submits `run` to an adapter and polls it (at most 10 times, as fast as the fake answers) until it
 * ends, then fetches its results: the states it went through, its handle and its results.
 */
export async function runToEnd(
  backend: RemoteBackend,
  run: BackendRun,
  device: RemoteDevice,
  token: string | null = null,
) {
  const handle = await backend.submit(run, device, { token }, `key-${run.jobId}`);
  const states: string[] = [];
  for (let i = 0; i < 10; i++) {
    const s = await backend.poll(handle, { token });
    states.push(s.state);
    if (s.state !== 'queued' && s.state !== 'running') break;
  }
  return { handle, states, results: await backend.fetchResults(handle, run, { token }) };
}
