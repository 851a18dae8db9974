import fc from 'fast-check';
import {
  chunkDistributions,
  orderByValue,
  sortDistribution,
  sortedBuffers,
  sortedChunk,
  sortedChunkCount,
} from './distribution';
import { SimulationInputError } from './errors';
import { programTask, type ProgramRequest } from './program-task';
import { SimulatorPool } from './pool';
import type { SimulationResult, SortedDistribution } from './types';

type Entry = [string, number];

/** `h` on every qubit, then measure all: up to 2^n outcomes, about equally likely. */
const uniform = (n: number) => `OPENQASM 2.0; include "qelib1.inc"; qreg q[${n}]; creg c[${n}]; h q; measure q -> c;`;

const request = (source: string, extra: Partial<ProgramRequest> = {}): ProgramRequest => ({
  program: { language: 'QASM2', source },
  shots: 3000,
  seed: 5,
  type: 'RUNNER',
  maxQubits: 26,
  ...extra,
});

/** The entries of `data`, largest value first, ties in key order of the object (a plain stable sort). */
const reference = (data: Record<string, number>): Entry[] =>
  Object.entries(data)
    .map((e, i) => [e, i] as const)
    .sort(([a, i], [b, j]) => b[1] - a[1] || i - j)
    .map(([e]) => e);

/** The chunks' JSON texts. */
const chunksOf = (s: SortedDistribution): string[] =>
  Array.from({ length: sortedChunkCount(s) }, (_, i) => sortedChunk(s, i));
const entriesOf = (s: SortedDistribution): Entry[] => chunksOf(s).flatMap((c) => JSON.parse(c) as Entry[]);

describe('sorted, chunked distributions', () => {
  it('sorts a simulated distribution most probable first and cuts it into chunks of JSON', () => {
    const [counts, probs] = programTask(request(uniform(11))).results as [SimulationResult, SimulationResult];
    const data = counts.data as Record<string, number>;
    const n = Object.keys(data).length;
    expect(n).toBeGreaterThan(1000); // 3000 shots over 2048 outcomes
    const shaped = sortDistribution(data, { inlineEntries: 50, chunkEntries: 400 })!;
    const expected = reference(data);
    expect(shaped.sorted).toMatchObject({ entries: n, keptEntries: n, droppedEntries: 0, droppedWeight: 0 });
    expect(chunksOf(shaped.sorted)).toHaveLength(Math.ceil(n / 400));
    expect(chunksOf(shaped.sorted)[0]).toBe(JSON.stringify(expected.slice(0, 400)));
    expect(entriesOf(shaped.sorted)).toEqual(expected);
    expect(Object.entries(shaped.data)).toEqual(expected.slice(0, 50));
    // PROBABILITIES: same keys in the same order (count / shots keeps the order and the ties)
    const p = sortDistribution(probs.data as Record<string, number>, { inlineEntries: 50, chunkEntries: 400 })!;
    expect(entriesOf(p.sorted).map(([k]) => k)).toEqual(expected.map(([k]) => k));
    expect(entriesOf(p.sorted).reduce((s, [, v]) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('keeps at most maxEntries, the most probable, and counts and sums up the rest', () => {
    const data = { a: 1, b: 5, c: 2, d: 5, e: 0.5, f: 3 };
    const shaped = sortDistribution(data, { inlineEntries: 2, chunkEntries: 2, maxEntries: 4 })!;
    expect(shaped.data).toEqual({ b: 5, d: 5 });
    expect(Object.keys(shaped.data)).toEqual(['b', 'd']);
    expect(shaped.sorted).toMatchObject({
      entries: 6,
      keptEntries: 4,
      droppedEntries: 2,
      droppedWeight: 1.5,
      chunkEntries: 2,
    });
    expect(chunksOf(shaped.sorted)).toEqual(['[["b",5],["d",5]]', '[["f",3],["c",2]]']);
    // one UTF-8 text, the chunks one after the other
    expect(new TextDecoder().decode(shaped.sorted.text)).toBe('[["b",5],["d",5]][["f",3],["c",2]]');
    expect(Array.from(shaped.sorted.chunkOffsets)).toEqual([0, 17, 34]);
    // maxEntries below inlineEntries: the inline entries are the kept ones
    expect(sortDistribution(data, { inlineEntries: 5, chunkEntries: 10, maxEntries: 3 })!.data).toEqual({
      b: 5,
      d: 5,
      f: 3,
    });
  });

  it('encodes keys beyond ASCII as UTF-8, and names the buffers to transfer', () => {
    const data = { é: 3, 量子: 2, '\u{1F600}"': 1, a: 0.5 };
    const shaped = sortDistribution(data, { inlineEntries: 1, chunkEntries: 3 })!;
    expect(chunksOf(shaped.sorted)).toEqual([JSON.stringify(Object.entries(data).slice(0, 3)), '[["a",0.5]]']);
    const results = chunkDistributions(
      [
        { resultType: 'QUASI_DIST', data, meta: {} as never },
        { resultType: 'VALUE_AND_VARIANCE', data: { value: 1, variance: 0 }, meta: {} as never },
      ],
      { inlineEntries: 1, chunkEntries: 3 },
    );
    const sorted = (results[0] as { sorted: SortedDistribution }).sorted;
    expect(sortedBuffers(results)).toEqual([sorted.text.buffer, sorted.chunkOffsets.buffer]);
    expect(sortedBuffers([results[0], results[0]])).toHaveLength(2); // each buffer once
    // each owns its whole buffer, so transferring it moves nothing else
    expect(sorted.text.byteLength).toBe(sorted.text.buffer.byteLength);
    expect(sorted.chunkOffsets.byteLength).toBe(sorted.chunkOffsets.buffer.byteLength);
  });

  it('leaves distributions within inlineEntries, and data that is not finite numbers, as they are', () => {
    expect(sortDistribution({ a: 1, b: 2 }, { inlineEntries: 2, chunkEntries: 1 })).toBeNull();
    expect(sortDistribution({ a: 1, b: 'x', c: 3 }, { inlineEntries: 1, chunkEntries: 1 })).toBeNull();
    expect(sortDistribution({ a: 1, b: Infinity, c: 3 }, { inlineEntries: 1, chunkEntries: 1 })).toBeNull();
  });

  it('refuses invalid chunking with SimulationInputError, before parsing', () => {
    for (const bad of [
      { inlineEntries: -1, chunkEntries: 10 },
      { inlineEntries: 1.5, chunkEntries: 10 },
      { inlineEntries: 1, chunkEntries: 0 },
      { inlineEntries: 1, chunkEntries: 10, maxEntries: 0 },
    ]) {
      expect(() => sortDistribution({ a: 1 }, bad)).toThrow(SimulationInputError);
      // checked first: an unparsable program is not even read
      expect(() => programTask(request('not a program', { chunking: bad }))).toThrow(SimulationInputError);
    }
  });

  it('chunks every distribution of a run and leaves expectation values alone', () => {
    const chunking = { inlineEntries: 10, chunkEntries: 100 };
    const plain = programTask(request(uniform(9))).results;
    const chunked = programTask(request(uniform(9), { chunking })).results;
    expect(chunked.map((r) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    chunked.forEach((r, i) => {
      const whole = plain[i].data as Record<string, number>;
      expect(r.meta).toEqual({ ...plain[i].meta, timeTakenMs: expect.any(Number) });
      expect('sorted' in r && r.sorted && entriesOf(r.sorted)).toEqual(reference(whole));
      expect(Object.keys(r.data)).toHaveLength(10);
    });
    // a small one (a Bell pair) and a SAMPLER's quasi-distribution
    const bell = `OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2]; h q[0]; cx q[0],q[1]; measure q -> c;`;
    const small = programTask(request(bell, { chunking })).results;
    expect(small.every((r) => !('sorted' in r))).toBe(true);
    const [quasi] = programTask(request(uniform(8), { chunking, type: 'SAMPLER' })).results;
    expect(quasi.resultType).toBe('QUASI_DIST');
    expect('sorted' in quasi && quasi.sorted!.entries).toBeGreaterThan(10);
    const estimator = programTask(
      request(uniform(3), {
        chunking: { inlineEntries: 0, chunkEntries: 1 },
        type: 'ESTIMATOR',
        observables: [{ pauli: 'XXX' }],
      }),
    ).results;
    expect(estimator).toEqual([expect.objectContaining({ resultType: 'VALUE_AND_VARIANCE' })]);
    expect(estimator[0]).not.toHaveProperty('sorted');
    expect(chunkDistributions(estimator, chunking)).toEqual(estimator);
  });

  it('matches a plain stable sort on any distribution (property)', () => {
    const data = fc.dictionary(
      fc.string({ maxLength: 6 }),
      fc.oneof(fc.integer({ min: 0, max: 6 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
      { maxKeys: 60 },
    );
    fc.assert(
      fc.property(
        data,
        fc.nat(70),
        fc.integer({ min: 1, max: 25 }),
        fc.option(fc.integer({ min: 1, max: 70 }), { nil: undefined }),
        (d, inlineEntries, chunkEntries, maxEntries) => {
          const shaped = sortDistribution(d, { inlineEntries, chunkEntries, maxEntries });
          const n = Object.keys(d).length;
          if (n <= inlineEntries) return expect(shaped).toBeNull();
          const expected = reference(d);
          const kept = Math.min(n, maxEntries ?? n);
          expect(shaped!.sorted.keptEntries).toBe(kept);
          expect(shaped!.sorted.droppedEntries).toBe(n - kept);
          expect(shaped!.sorted.droppedWeight).toBe(expected.slice(kept).reduce((s, [, v]) => s + v, 0));
          expect(chunksOf(shaped!.sorted).map((c) => (JSON.parse(c) as Entry[]).length)).toEqual(
            Array.from({ length: Math.ceil(kept / chunkEntries) }, (_, i) =>
              Math.min(chunkEntries, kept - i * chunkEntries),
            ),
          );
          // JSON turns -0 into 0, as JSON.stringify of the data would
          expect(entriesOf(shaped!.sorted)).toEqual(expected.slice(0, kept).map(([k, v]) => [k, v === 0 ? 0 : v]));
          // a map: JavaScript lists integer-like keys ("0") first, whatever the order they were set in
          expect(shaped!.data).toEqual(Object.fromEntries(expected.slice(0, Math.min(inlineEntries, kept))));
          expect(Object.keys(shaped!.data)).toHaveLength(Math.min(inlineEntries, kept));
        },
      ),
    );
  });

  it('orders by value, largest first, ties in input order, counted or compared', () => {
    const few = Float64Array.from([1, 4, 2, 4, 1, 0.5]);
    expect(Array.from(orderByValue(few))).toEqual([1, 3, 2, 0, 4, 5]);
    // more distinct values than are counted: the comparison sort gives the same order
    const many = Float64Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 69_997);
    const expected = Array.from(many.keys()).sort((a, b) => many[b] - many[a] || a - b);
    expect(Array.from(orderByValue(many))).toEqual(expected);
  });

  it('answers sorted chunks from a pool thread, the same as in this thread', async () => {
    const pool = new SimulatorPool({ size: 1 });
    try {
      const chunking = { inlineEntries: 20, chunkEntries: 500, maxEntries: 1500 };
      const req = request(uniform(12), { chunking });
      const remote = await pool.runProgram(req);
      const local = programTask(req);
      const strip = (rs: SimulationResult[]) => rs.map((r) => ({ ...r, meta: { ...r.meta, timeTakenMs: 0 } }));
      expect(strip(remote.results)).toEqual(strip(local.results));
      const counts = remote.results[0];
      expect(counts.resultType).toBe('COUNTS');
      const sorted = (counts as { sorted?: SortedDistribution }).sorted!;
      expect(sorted).toMatchObject({ keptEntries: 1500, chunkEntries: 500 });
      expect(sortedChunkCount(sorted)).toBe(3);
      expect(sorted.droppedEntries).toBe(sorted.entries - 1500);
      expect(entriesOf(sorted).reduce((s, [, v]) => s + v, 0) + sorted.droppedWeight).toBe(3000);
    } finally {
      await pool.close();
    }
  });
});
