import type { CircuitLayout, Observable } from '../../../quantum';
import type { PauliBasis } from './ionq-circuits';

/**
 * IonQ's results read back into our terms.
 *
 * IonQ measures every qubit at the end and answers, per circuit, the probability of each basis
 * state, keyed by the state as a decimal integer whose bit i is qubit i (qubit 0 the least
 * significant bit): `{"0": 0.5, "3": 0.5}` for a Bell pair (IonQ API v0.4, result format
 * `ionq.result.probabilities.json.v1`: "flat object keyed by decimal qubit state integer strings";
 * the order qiskit-ionq's `map_output` and cirq-ionq's results read the same way). A program's
 * classical bits are read from the qubits its measurements name (layout.measurements, the later
 * measurement of a clbit winning); a clbit nothing measures reads 0.
 */

/** The key of an IonQ state, read into qubit bits: bit(q) is 0 or 1. */
function stateBits(key: string): (qubit: number) => number {
  if (!/^\d+$/.test(key)) throw new Error(`IonQ answered a result key that is not a basis state: ${key.slice(0, 40)}`);
  if (key.length <= 15) {
    const value = Number(key);
    return (q) => Math.floor(value / 2 ** q) % 2;
  }
  const big = BigInt(key);
  return (q) => Number((big >> BigInt(q)) & 1n);
}

/** The qubit each clbit is read from (the last measurement of it), or -1. */
function clbitSources(layout: CircuitLayout): number[] {
  const sources = new Array<number>(layout.numClbits).fill(-1);
  for (const m of layout.measurements ?? []) sources[m.clbit] = m.qubit;
  return sources;
}

/** IonQ's probabilities as probabilities of the program's clbits ('0'/'1' strings, clbit 0 first). */
export function clbitProbabilities(probabilities: Record<string, number>, layout: CircuitLayout): Map<string, number> {
  const sources = clbitSources(layout);
  const out = new Map<string, number>();
  for (const [key, p] of Object.entries(probabilities)) {
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
      throw new Error(`IonQ answered a probability that is not a number for state ${key}`);
    }
    if (p === 0) continue;
    const bit = stateBits(key);
    const bits = sources.map((q) => (q < 0 ? '0' : String(bit(q)))).join('');
    out.set(bits, (out.get(bits) ?? 0) + p);
  }
  return out;
}

/**
 * Shot counts from probabilities: each outcome gets floor(p * shots), and the shots left go one
 * each to the largest remainders (ties in the order given). Exact where the probabilities are
 * counts divided by shots (a QPU's answer); the expected counts, rounded, for the ideal simulator.
 */
export function countsFromProbabilities(probabilities: Map<string, number>, shots: number): [string, number][] {
  const entries = [...probabilities.entries()];
  const total = entries.reduce((s, [, p]) => s + p, 0);
  if (entries.length === 0 || !(total > 0)) throw new Error('IonQ answered no probabilities');
  const scaled = entries.map(([bits, p]) => {
    const exact = (p / total) * shots;
    // Counts divided by shots come back within a few ulps of an integer: no remainder to share.
    const near = Math.round(exact);
    const value = Math.abs(exact - near) < 1e-9 ? near : exact;
    return { bits, count: Math.floor(value), rest: value - Math.floor(value) };
  });
  let left = shots - scaled.reduce((s, e) => s + e.count, 0);
  const byRest = [...scaled].sort((a, b) => b.rest - a.rest);
  for (let i = 0; left > 0 && byRest.length > 0; i = (i + 1) % byRest.length, left--) byRest[i].count++;
  return scaled.filter((e) => e.count > 0).map((e) => [e.bits, e.count]);
}

/** An observable as a Pauli per qubit (index = qubit; the string's rightmost character is qubit 0). */
export function pauliOf(observable: Observable, numQubits: number): PauliBasis {
  const pauli = String(observable.pauli ?? '').toUpperCase();
  if (!/^[IXYZ]*$/.test(pauli)) {
    throw new Error(`observable ${JSON.stringify(observable.pauli)} must be a string of I, X, Y and Z`);
  }
  if (pauli.length !== numQubits) {
    throw new Error(
      `observable ${pauli} has ${pauli.length} Paulis, but the circuit has ${numQubits} qubits (rightmost = qubit 0)`,
    );
  }
  return [...pauli].reverse() as PauliBasis;
}

/** Observables measured together: one basis per qubit, shared by every member (qubit-wise commuting). */
export interface ObservableGroup {
  basis: PauliBasis;
  /** Indices of the observables of the job measured in this basis. */
  members: number[];
}

/**
 * The observables in groups measured by one circuit each: greedily, an observable joins the first
 * group whose basis agrees with it on every qubit where both act (I agrees with anything).
 */
export function groupObservables(observables: Observable[], numQubits: number): ObservableGroup[] {
  const groups: ObservableGroup[] = [];
  observables.forEach((o, index) => {
    const paulis = pauliOf(o, numQubits);
    const fits = groups.find((g) => paulis.every((p, q) => p === 'I' || g.basis[q] === 'I' || g.basis[q] === p));
    if (fits) {
      paulis.forEach((p, q) => {
        if (p !== 'I') fits.basis[q] = p;
      });
      fits.members.push(index);
    } else groups.push({ basis: [...paulis], members: [index] });
  });
  return groups;
}

/**
 * <P> from the probabilities of a circuit measured in a basis that diagonalises P (after the basis
 * change, every non-identity factor of P reads as Z): the sum over states of p(state) times
 * (-1)^(the number of ones among P's qubits).
 */
export function expectationValue(probabilities: Record<string, number>, paulis: PauliBasis): number {
  const support = paulis.flatMap((p, q) => (p === 'I' ? [] : [q]));
  let total = 0;
  let value = 0;
  for (const [key, p] of Object.entries(probabilities)) {
    if (typeof p !== 'number' || !Number.isFinite(p))
      throw new Error(`IonQ answered a probability that is not a number`);
    const bit = stateBits(key);
    let parity = 0;
    for (const q of support) parity ^= bit(q);
    value += parity ? -p : p;
    total += p;
  }
  if (!(total > 0)) throw new Error('IonQ answered no probabilities');
  return Math.max(-1, Math.min(1, value / total));
}
