import { formatOutcomes, type CircuitLayout, type Observable } from '../../../quantum';
import type { BackendResult } from '../quantum-backend';
import type { components } from './openapi/qiskit-runtime';

type Schemas = components['schemas'];

/** What is kept of a program's layout to read IBM's answer back: its classical registers. */
export type ClassicalLayout = Pick<CircuitLayout, 'numClbits' | 'cregs'>;

/**
 * The shots of one Sampler V2 PUB result as our outcomes (clbit strings, clbit 0 first → count).
 * IBM gives, per classical register (by its name), `samples`: one hex string per shot whose bit j is
 * the register's clbit j (qiskit's BitArray, little-endian), and `num_bits`. The registers are put
 * together at their offsets in the circuit (layout.cregs), so an outcome holds every clbit.
 */
export function samplerOutcomes(
  data: Schemas['SamplerV2Result']['results'][number]['data'],
  layout: ClassicalLayout,
  where: string,
): { shots: number; outcomes: Map<string, number> } {
  const registers = layout.cregs.filter((r) => r.size > 0);
  if (registers.length === 0) throw new Error(`IBM's result of ${where} has no classical register to read`);
  const columns = registers.map((reg) => {
    const field = data?.[reg.name];
    if (!field || !Array.isArray(field.samples)) {
      const got = Object.keys(data ?? {});
      throw new Error(
        `IBM's result of ${where} has no samples of register ${reg.name} (it has ${got.length > 0 ? got.join(', ') : 'none'})`,
      );
    }
    return field.samples;
  });
  const shots = columns[0].length;
  if (columns.some((c) => c.length !== shots)) {
    throw new Error(`IBM's result of ${where} has registers with different numbers of shots`);
  }
  // Count the shots by their samples first (few distinct ones), then build each one's clbits once.
  const bySamples = new Map<string, number>();
  for (let s = 0; s < shots; s++) {
    let key = columns[0][s];
    for (let r = 1; r < columns.length; r++) key += ',' + columns[r][s];
    bySamples.set(key, (bySamples.get(key) ?? 0) + 1);
  }
  const outcomes = new Map<string, number>();
  for (const [key, count] of bySamples) {
    const bits = new Array<string>(layout.numClbits).fill('0');
    key.split(',').forEach((sample, r) => {
      const reg = registers[r];
      let value: bigint;
      try {
        value = BigInt(sample);
      } catch {
        throw new Error(`IBM's result of ${where} has a sample ${JSON.stringify(sample)} that is not a number`);
      }
      for (let j = 0; j < reg.size && value > 0n; j++, value >>= 1n) {
        if (value & 1n) bits[reg.offset + j] = '1';
      }
    });
    const outcome = bits.join('');
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + count);
  }
  return { shots, outcomes };
}

/** A Sampler V2 PUB result in the formats of local results (RUNNER: COUNTS + PROBABILITIES; SAMPLER: QUASI_DIST). */
export function samplerResults(
  pub: Schemas['SamplerV2Result']['results'][number],
  layout: ClassicalLayout,
  type: 'RUNNER' | 'SAMPLER',
  where: string,
  meta: Record<string, unknown>,
): BackendResult[] {
  const { shots, outcomes } = samplerOutcomes(pub.data, layout, where);
  return formatOutcomes(layout, type, shots, outcomes, meta);
}

/**
 * An Estimator V2 PUB result, one VALUE_AND_VARIANCE per observable, as local results are: `value` is
 * IBM's expectation value (`evs`, coefficient included: the observable was sent as {pauli: coefficient}),
 * and `variance` the single-shot variance, `stds² × shots`. IBM's `stds` is the standard error of the
 * estimate from `shots` shots, so for a Pauli P with coefficient c it is about
 * |c|·sqrt((1 - <P>²) / shots), and stds² × shots is c²(1 - <P>²), the variance local results give.
 * `shots` is the PUB's metadata.shots where IBM says it, else the shots asked for.
 */
export function estimatorResults(
  pub: Schemas['EstimatorV2Result']['results'][number],
  observables: readonly Observable[],
  requestedShots: number,
  where: string,
  meta: Record<string, unknown>,
): BackendResult[] {
  const evs = asArray(pub.data?.evs);
  const stds = asArray(pub.data?.stds);
  if (evs.length !== observables.length || stds.length !== observables.length) {
    throw new Error(
      `IBM's result of ${where} has ${evs.length} expectation values for ${observables.length} observables`,
    );
  }
  const shotsSaid = pub.metadata?.shots;
  const shots = typeof shotsSaid === 'number' && shotsSaid > 0 ? shotsSaid : requestedShots;
  const precision = pub.metadata?.target_precision;
  return observables.map((o, k) => ({
    resultType: 'VALUE_AND_VARIANCE' as const,
    data: { value: evs[k], variance: stds[k] * stds[k] * shots },
    meta: {
      observable: o.pauli.toUpperCase(),
      coefficient: o.coefficient ?? 1,
      exact: false,
      shots,
      standardError: stds[k],
      ...(typeof precision === 'number' ? { targetPrecision: precision } : {}),
      ...meta,
    },
  }));
}

function asArray(v: number | number[] | undefined): number[] {
  if (Array.isArray(v)) return v.map(Number);
  return typeof v === 'number' ? [v] : [];
}
