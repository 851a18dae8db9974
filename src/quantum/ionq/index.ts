/** IonQ JSON: front end and emitter. See README.md in this folder. */
export { parseIonq, MAX_IONQ_QUBITS } from './parse';
export type { IonqOptions } from './parse';
export { emitIonq, ionqSingle } from './emit';
export { gpi, gpi2 } from './gates';
