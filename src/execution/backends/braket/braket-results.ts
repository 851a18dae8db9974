/**
 * Braket's results.json of a gate-model task: the schema `braket.task_result.gate_model_task_result`
 * version 1 (amazon-braket-schemas-python, GateModelTaskResult), as Braket writes it to
 * `s3://<outputS3Bucket>/<outputS3Directory>/results.json`.
 *
 * `measurements` holds one row per shot, one 0/1 per entry of `measuredQubits` (the qubits measured,
 * in the order of their classical bits; all qubits when the program measures none);
 * `measurementProbabilities` maps the same bits as a string (measuredQubits[0] first) to the
 * fraction of shots; some writers give `measurementCounts` (string -> shots) instead.
 */
export interface GateModelTaskResult {
  braketSchemaHeader?: { name: string; version: string };
  measurements?: number[][];
  measurementProbabilities?: Record<string, number>;
  measurementCounts?: Record<string, number>;
  measuredQubits?: number[];
  resultTypes?: unknown[];
  taskMetadata?: {
    id?: string;
    shots?: number;
    deviceId?: string;
    createdAt?: string;
    endedAt?: string;
    status?: string;
    failureReason?: string;
    [k: string]: unknown;
  };
  additionalMetadata?: {
    simulatorMetadata?: { executionDuration?: number; [k: string]: unknown };
    [k: string]: unknown;
  };
}

export class BraketResultError extends Error {
  override readonly name = 'BraketResultError';
}

/** The shots of a result: bit strings in measuredQubits order, with how many shots gave them. */
export function shotCounts(
  result: GateModelTaskResult,
  fallbackShots: number,
): {
  counts: Map<string, number>;
  measuredQubits: number[];
  shots: number;
} {
  const measuredQubits = result.measuredQubits;
  if (!Array.isArray(measuredQubits)) throw new BraketResultError('the result has no measuredQubits');
  const counts = new Map<string, number>();
  const add = (bits: string, n: number) => {
    if (bits.length !== measuredQubits.length || !/^[01]*$/.test(bits)) {
      throw new BraketResultError(`a measurement ${JSON.stringify(bits.slice(0, 80))} does not match measuredQubits`);
    }
    counts.set(bits, (counts.get(bits) ?? 0) + n);
  };
  if (Array.isArray(result.measurements)) {
    for (const row of result.measurements) add(row.join(''), 1);
    return { counts, measuredQubits, shots: result.measurements.length };
  }
  if (result.measurementCounts && typeof result.measurementCounts === 'object') {
    let shots = 0;
    for (const [bits, n] of Object.entries(result.measurementCounts)) {
      add(bits, n);
      shots += n;
    }
    return { counts, measuredQubits, shots };
  }
  if (result.measurementProbabilities && typeof result.measurementProbabilities === 'object') {
    const shots = result.taskMetadata?.shots ?? fallbackShots;
    let total = 0;
    for (const [bits, p] of Object.entries(result.measurementProbabilities)) {
      const n = Math.round(p * shots);
      if (n > 0) add(bits, n);
      total += n;
    }
    return { counts, measuredQubits, shots: total };
  }
  throw new BraketResultError('the result has neither measurements nor measurementProbabilities');
}

/**
 * The shots as clbit strings (clbit 0 first), through the circuit's terminal measurements: a clbit
 * holds what its qubit gave (a later measurement of the same clbit wins), an unmeasured one 0.
 */
export function clbitOutcomes(
  counts: Map<string, number>,
  measuredQubits: number[],
  measurements: readonly { qubit: number; clbit: number }[],
  numClbits: number,
): Map<string, number> {
  const column: (number | undefined)[] = new Array<number | undefined>(numClbits).fill(undefined);
  for (const { qubit, clbit } of measurements) {
    const col = measuredQubits.indexOf(qubit);
    if (col < 0) throw new BraketResultError(`qubit ${qubit} was measured, but Braket's result has no shot of it`);
    column[clbit] = col;
  }
  const out = new Map<string, number>();
  for (const [bits, n] of counts) {
    let s = '';
    for (let c = 0; c < numClbits; c++) s += column[c] === undefined ? '0' : bits[column[c]!];
    out.set(s, (out.get(s) ?? 0) + n);
  }
  return out;
}

/** <P> from the shots of a circuit measured in P's basis: the mean of (-1)^(parity of the support). */
export function parityExpectation(counts: Map<string, number>, measuredQubits: number[], support: number[]): number {
  const cols = support.map((q) => {
    const col = measuredQubits.indexOf(q);
    if (col < 0) throw new BraketResultError(`qubit ${q} of the observable was not measured`);
    return col;
  });
  let sum = 0;
  let shots = 0;
  for (const [bits, n] of counts) {
    let parity = 0;
    for (const c of cols) parity ^= bits[c] === '1' ? 1 : 0;
    sum += parity ? -n : n;
    shots += n;
  }
  if (shots === 0) throw new BraketResultError('the result has no shots');
  return Math.max(-1, Math.min(1, sum / shots));
}
