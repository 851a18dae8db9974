/**
 * IonQ's circuit objects as the IonQ API v0.4 takes them in a job's `input` (docs.ionq.com, API
 * v0.4 "Create job" and "Direct API submissions": `{"qubits": n, "gateset": "qis" | "native",
 * "circuit": [...]}`), read from what the engine wrote (emitIonq) or from an IONQ program as its
 * author wrote it (comments allowed, a whole job body or a one-circuit multi-circuit body), and the
 * basis changes appended for expectation values.
 */

export type IonqGateset = 'qis' | 'native';

export interface IonqGate {
  gate: string;
  [field: string]: unknown;
}

/** One circuit of a job's input. */
export interface IonqCircuit {
  gateset: IonqGateset;
  qubits: number;
  circuit: IonqGate[];
}

/**
 * JSON text without its `//` and `/* *\/` comments (IonQ's examples carry them; JSON.parse does
 * not take them). Strings are kept as they are, escapes included.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * The circuit of an IONQ program or of the engine's IONQ translation: the circuit object alone,
 * a job body (`input`), or a multi-circuit input with exactly one circuit (the engine's front end
 * accepts nothing else, and the program was read by it before). `format` is left out: API v0.4
 * takes the job type (`ionq.circuit.v1`) instead.
 */
export function readIonqCircuit(source: string): IonqCircuit {
  const root = asObject(JSON.parse(stripJsonComments(source)));
  if (!root) throw new Error('an IonQ program must be a JSON object');
  const obj = asObject(root.input) ?? root;
  let gateset = obj.gateset;
  let circuit = obj.circuit;
  if (Array.isArray(obj.circuits)) {
    const only = asObject(obj.circuits[0]);
    if (!only) throw new Error("an IonQ program's 'circuits' must hold one circuit");
    gateset = only.gateset ?? gateset;
    circuit = only.circuit;
  }
  if (!Array.isArray(circuit)) throw new Error("an IonQ program needs 'circuit', its list of gates");
  if (typeof obj.qubits !== 'number') throw new Error("an IonQ program needs 'qubits'");
  return {
    gateset: gateset === 'native' ? 'native' : 'qis',
    qubits: obj.qubits,
    circuit: circuit as IonqGate[],
  };
}

/** A Pauli per qubit (index = qubit), as measured by one circuit. */
export type PauliBasis = ('I' | 'X' | 'Y' | 'Z')[];

/**
 * The qis gates that turn the measurement of `basis` into one in the computational basis: H for
 * X (H X H = Z), S† then H for Y (H S† Y S H = Z); nothing for Z and I.
 */
export function basisChange(basis: PauliBasis): IonqGate[] {
  const gates: IonqGate[] = [];
  basis.forEach((p, q) => {
    if (p === 'X') gates.push({ gate: 'h', target: q });
    if (p === 'Y') gates.push({ gate: 'si', target: q }, { gate: 'h', target: q });
  });
  return gates;
}
