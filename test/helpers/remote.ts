import type { RemoteBackendDeps } from '../../src/execution/backends/quantum-backend';
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
