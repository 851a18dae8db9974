/**
 * Emitters: circuit IR → program text (OpenQASM 3, OpenQASM 2). See README.md in this folder.
 * IonQ JSON lives in ../ionq.
 */
export { emitQasm3, stdgateOf } from './qasm3';
export { emitQasm2, qelib1Of } from './qasm2';
