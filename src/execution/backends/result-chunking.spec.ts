import fc from 'fast-check';
import {
  parseChunk,
  presortedChunking,
  RESULT_DATA_CHUNK_ENTRIES,
  shapeResult,
  toChunks,
  type ResultLimits,
  type StoredChunks,
  type StoredEntries,
} from '../../jobs/result-data';
import { sortDistribution, SimulatorPool, type SimulationResult } from '../../quantum';

/**
 * The engine's sorted, chunked distributions (runProgram's `chunking`, as this module asks for them
 * with presortedChunking) against the jobs' own shaping of whole maps: the same data, meta and
 * stored rows. Here, where the engine and the jobs meet, so that jobs need not know the engine.
 */

/** The stored entries as [key, value] pairs, in order. */
const pairs = (s: StoredEntries | StoredChunks | null) =>
  s === null
    ? null
    : 'chunks' in s
      ? toChunks(s).flatMap((c) => parseChunk(c.entries))
      : Array.from({ length: s.count }, (_, i) => [s.keys[s.order[i]], s.values[s.order[i]]]);

/**
 * A result as the engine answers it with presortedChunking(limits) (`sorted`, `data` its first
 * entries), or whole when it is small: what the engine thread does, here in this thread.
 */
function presorted(data: Record<string, number>, limits: ResultLimits, chunkEntries?: number) {
  const chunking = { ...presortedChunking(limits), ...(chunkEntries && { chunkEntries }) };
  const shaped = sortDistribution(data, chunking);
  return shaped ? { data: shaped.data, sorted: shaped.sorted } : { data };
}

/** shapeResult's answer with its stored entries as rows, to compare the two paths. */
function asStored(input: Parameters<typeof shapeResult>[0], limits: ResultLimits) {
  const { data, meta, stored } = shapeResult(input, limits);
  return { data, meta, rows: stored && toChunks(stored) };
}

describe('results the engine sorted and chunked, as jobs store them', () => {
  it('stores a distribution the engine sorted and chunked exactly as one it sorts itself', () => {
    const data = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`0x${i.toString(16)}`, 1 + ((i * 7) % 5)]));
    for (const limits of [
      { inlineEntries: 3, maxEntries: 25 },
      { inlineEntries: 3, maxEntries: 100 },
      { inlineEntries: 30, maxEntries: 100 },
    ]) {
      const meta = { shots: 77 };
      expect(asStored({ ...presorted(data, limits), meta }, limits)).toEqual(asStored({ data, meta }, limits));
    }
    // Only O(chunks) work: the producer's chunks are stored as they are, decoded one at a time.
    const limits = { inlineEntries: 3, maxEntries: 25 };
    const input = presorted(data, limits, 10);
    const stored = shapeResult(input, limits).stored as StoredChunks;
    expect(stored).toMatchObject({ count: 25, chunkEntries: 10, chunks: 3 });
    const text = new TextDecoder().decode(input.sorted!.text);
    expect(stored.text(0) + stored.text(1) + stored.text(2)).toBe(text);
  });

  it('stores what the engine sorted with other limits than its own correctly too (property)', () => {
    const limitsArb = fc
      .record({ inlineEntries: fc.nat(12), extra: fc.nat(12) })
      .map(({ inlineEntries, extra }) => ({ inlineEntries, maxEntries: Math.max(1, inlineEntries + extra) }));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 30 }),
        limitsArb,
        limitsArb,
        fc.integer({ min: 1, max: 7 }),
        (values, producer, ours, chunkEntries) => {
          const data = Object.fromEntries(values.map((v, i) => [`0x${i.toString(16)}`, v]));
          const input = { ...presorted(data, producer, chunkEntries), meta: { shots: 1 } };
          const got = shapeResult(input, ours);
          const whole = shapeResult({ data, meta: { shots: 1 } }, ours);
          const producerDropped = Math.max(0, values.length - producer.maxEntries);
          if (producerDropped === 0) {
            // nothing lost before us: the same as if we had sorted the whole distribution
            expect({ data: got.data, meta: got.meta, entries: pairs(got.stored) }).toEqual({
              data: whole.data,
              meta: whole.meta,
              entries: pairs(whole.stored),
            });
            return;
          }
          // the producer dropped entries: we store what it kept, at most ours, and say so
          const kept = Math.min(values.length - producerDropped, ours.maxEntries);
          const expected = Object.entries(data).sort((x, y) => y[1] - x[1]); // stable: ties in key order
          expect(pairs(got.stored)).toEqual(expected.slice(0, kept));
          expect(got.meta).toMatchObject({
            truncated: true,
            entries: values.length,
            storedEntries: kept,
            droppedEntries: values.length - kept,
          });
          expect(Object.keys(got.data)).toHaveLength(Math.min(ours.inlineEntries, kept));
          const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
          expect((got.meta.droppedWeight as number) + sum(pairs(got.stored)!.map(([, v]) => v as number))).toBe(
            sum(values),
          );
        },
      ),
    );
  });

  it('gets large results from an engine thread sorted and chunked, as they are stored', async () => {
    const limits = { inlineEntries: 100, maxEntries: 15_000 };
    const pool = new SimulatorPool({ size: 1 });
    try {
      const source = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[15]; creg c[15]; h q; measure q -> c;';
      const req = {
        program: { language: 'QASM2', source },
        shots: 20_000,
        seed: 3,
        type: 'RUNNER' as const,
        maxQubits: 20,
      };
      const [whole, chunked] = await Promise.all([
        pool.runProgram(req),
        pool.runProgram({ ...req, chunking: presortedChunking(limits) }),
      ]);
      const meta = (r: SimulationResult) => ({ ...r.meta, timeTakenMs: 0 });
      whole.results.forEach((r, i) => {
        const c = chunked.results[i];
        expect('sorted' in c && c.sorted!.chunkEntries).toBe(RESULT_DATA_CHUNK_ENTRIES);
        expect(asStored({ ...c, meta: meta(c) }, limits)).toEqual(asStored({ ...r, meta: meta(r) }, limits));
      });
      expect(shapeResult({ ...chunked.results[0] }, limits).meta).toMatchObject({ storedEntries: 15_000 });
    } finally {
      await pool.close();
    }
  });
});
