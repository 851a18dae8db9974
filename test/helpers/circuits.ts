/**
 * An OpenQASM 3 program that keeps the simulator busy: `layers` layers of h, cx and rz over a chain
 * of `qubits` qubits, then a measurement of all of them. Its run time grows with both numbers.
 */
export function longQasm3(qubits: number, layers: number): string {
  return `OPENQASM 3.0;
include "stdgates.inc";
qubit[${qubits}] q;
bit[${qubits}] c;
for int i in [0:${layers - 1}] {
  for int k in [0:${qubits - 2}] {
    h q[k];
    cx q[k], q[k + 1];
    rz(0.1 * i) q[k + 1];
  }
}
c = measure q;
`;
}
