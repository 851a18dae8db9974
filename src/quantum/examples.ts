/** Small programs used by tests, benchmarks and the README: the Bell pair, measured. */
export const BELL_QASM2 = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
`;
