import fc from 'fast-check';
import { ConfigError, loadConfig } from '../config/app-config';
import { sortDistribution, SimulatorPool, type SimulationResult } from '../quantum';
import {
  compareKeys,
  formatLines,
  inlineEntries,
  orderByValue,
  parseChunk,
  presortedChunking,
  RESULT_DATA_CHUNK_ENTRIES,
  shapeResult,
  toChunks,
  type ResultLimits,
  type StoredChunks,
  type StoredEntries,
} from './result-data';

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

describe('result-data', () => {
  const limits = { inlineEntries: 3, maxEntries: 5 };

  it('leaves a result within the inline limit as it is', () => {
    const input = { data: { '0x0': 5, '0x3': 5 }, meta: { shots: 10 } };
    expect(shapeResult(input, limits)).toEqual({ data: input.data, meta: input.meta, stored: null });
  });

  it('leaves data that is not a map of numbers as it is', () => {
    const data = { a: 1, b: 'x', c: 3, d: 4 };
    expect(shapeResult({ data }, limits).stored).toBeNull();
    expect(shapeResult({ data: { a: 1, b: 2, c: NaN, d: 4 } }, limits).stored).toBeNull();
  });

  it('keeps the most probable entries inline and all of them, in order, to store', () => {
    const data = { '0x0': 1, '0x1': 4, '0x2': 2, '0x3': 4 };
    const shaped = shapeResult({ data, meta: { shots: 11 } }, limits);
    // ties keep the producer's order
    expect(pairs(shaped.stored)).toEqual([
      ['0x1', 4],
      ['0x3', 4],
      ['0x2', 2],
      ['0x0', 1],
    ]);
    expect(shaped.data).toEqual({ '0x1': 4, '0x3': 4, '0x2': 2 });
    expect(shaped.meta).toEqual({ shots: 11, truncated: true, entries: 4, storedEntries: 4, inlineEntries: 3 });
  });

  it('stores at most maxEntries and says what it dropped', () => {
    const data = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`0x${i.toString(16)}`, i + 1]));
    const shaped = shapeResult({ data }, limits);
    expect(pairs(shaped.stored)!.map(([k]) => k)).toEqual(['0x7', '0x6', '0x5', '0x4', '0x3']);
    expect(shaped.meta).toMatchObject({
      truncated: true,
      entries: 8,
      storedEntries: 5,
      inlineEntries: 3,
      droppedEntries: 3,
      droppedWeight: 1 + 2 + 3,
    });
  });

  it('orders by value, largest first, ties in input order, counted or compared', () => {
    const few = Float64Array.from([1, 4, 2, 4, 1, 0.5]);
    expect(Array.from(orderByValue(few))).toEqual([1, 3, 2, 0, 4, 5]);
    // more distinct values than are counted: the comparison sort gives the same order
    const many = Float64Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 69_997);
    const expected = Array.from(many.keys()).sort((a, b) => many[b] - many[a] || a - b);
    expect(Array.from(orderByValue(many))).toEqual(expected);
    const withTies = Float64Array.from({ length: 70_000 }, (_, i) => (i * 31) % 1000);
    const tied = Array.from(withTies.keys()).sort((a, b) => withTies[b] - withTies[a] || a - b);
    expect(Array.from(orderByValue(withTies))).toEqual(tied);
  });

  it('cuts the stored entries into chunks that read back whole', () => {
    const entries: [string, number][] = Array.from({ length: 26 }, (_, i) => [`0x${i.toString(16)}`, 26 - i]);
    const { stored } = shapeResult({ data: Object.fromEntries(entries) }, { inlineEntries: 2, maxEntries: 25 });
    const chunks = toChunks(stored!, 10);
    expect(chunks.map((c) => [c.chunk, c.firstEntry, c.entryCount])).toEqual([
      [0, 0, 10],
      [1, 10, 10],
      [2, 20, 5],
    ]);
    expect(chunks.flatMap((c) => parseChunk(c.entries))).toEqual(entries.slice(0, 25));
    expect(chunks[0].entries).toBe(JSON.stringify(entries.slice(0, 10)));
  });

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

  it('orders small data by count (ties by key) or by key, in byte order', () => {
    const data = { '0x10': 2, '0x2': 2, '0x1': 5 };
    expect(inlineEntries(data, 'count')).toEqual([
      ['0x1', 5],
      ['0x10', 2],
      ['0x2', 2],
    ]);
    expect(inlineEntries(data, 'key').map(([k]) => k)).toEqual(['0x1', '0x10', '0x2']);
    expect(compareKeys('0x1 0x2', '0x1 0x10')).toBe(1);
  });

  it('formats downloads as NDJSON or CSV lines', () => {
    const entries: [string, number][] = [
      ['0x1 0x0', 3],
      ['a,"b"', 0.5],
    ];
    expect(formatLines(entries, 'ndjson')).toBe('["0x1 0x0",3]\n["a,\\"b\\"",0.5]\n');
    expect(formatLines(entries, 'csv')).toBe('0x1 0x0,3\n"a,""b""",0.5\n');
  });
});

describe('RESULT_INLINE_ENTRIES and MAX_RESULT_ENTRIES', () => {
  it('default to 4096 and 2^20, and are validated', () => {
    expect(loadConfig({})).toMatchObject({ resultInlineEntries: 4096, maxResultEntries: 2 ** 20 });
    expect(loadConfig({ RESULT_INLINE_ENTRIES: '100', MAX_RESULT_ENTRIES: '16000' })).toMatchObject({
      resultInlineEntries: 100,
      maxResultEntries: 16_000,
    });
    expect(() => loadConfig({ RESULT_INLINE_ENTRIES: '5000', MAX_RESULT_ENTRIES: '4000' })).toThrow(
      'RESULT_INLINE_ENTRIES (5000) must not be greater than MAX_RESULT_ENTRIES (4000)',
    );
    expect(() => loadConfig({ MAX_RESULT_ENTRIES: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ RESULT_INLINE_ENTRIES: 'many' })).toThrow(/RESULT_INLINE_ENTRIES must be a whole number/);
  });
});
