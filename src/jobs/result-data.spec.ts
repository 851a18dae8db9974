import { ConfigError, loadConfig } from '../config/app-config';
import {
  compareKeys,
  formatLines,
  inlineEntries,
  parseChunk,
  presortedChunking,
  RESULT_DATA_CHUNK_ENTRIES,
  shapeResult,
  toChunks,
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

  it('stores a distribution sorted and chunked by its producer as it comes, meta from its counts', () => {
    // what the engine is asked for: chunks as stored, the service's limits
    expect(presortedChunking({ inlineEntries: 7, maxEntries: 9 })).toEqual({
      inlineEntries: 7,
      chunkEntries: RESULT_DATA_CHUNK_ENTRIES,
      maxEntries: 9,
    });
    // what the engine answers with chunking {inlineEntries: 2, chunkEntries: 2, maxEntries: 4}
    const chunks = ['[["0x1",5],["0x3",5]]', '[["0x5",3],["0x2",2]]'];
    const text = new TextEncoder().encode(chunks.join(''));
    const chunkOffsets = Uint32Array.from([0, chunks[0].length, text.length]);
    const sorted = {
      entries: 6,
      keptEntries: 4,
      droppedEntries: 2,
      droppedWeight: 1.5,
      chunkEntries: 2,
      text,
      chunkOffsets,
    };
    const input = { data: { '0x1': 5, '0x3': 5 }, meta: { shots: 20.5 }, sorted };
    const shaped = shapeResult(input, { inlineEntries: 2, maxEntries: 4 });
    expect(shaped.data).toBe(input.data);
    expect(shaped.meta).toEqual({
      shots: 20.5,
      truncated: true,
      entries: 6,
      storedEntries: 4,
      inlineEntries: 2,
      droppedEntries: 2,
      droppedWeight: 1.5,
    });
    expect(toChunks(shaped.stored!)).toEqual([
      { chunk: 0, firstEntry: 0, entryCount: 2, entries: chunks[0] },
      { chunk: 1, firstEntry: 2, entryCount: 2, entries: chunks[1] },
    ]);
    // our limits lower than the producer's: cut from its chunks, the cut entries counted and summed up
    const cut = shapeResult(input, { inlineEntries: 1, maxEntries: 3 });
    expect(cut.data).toEqual({ '0x1': 5 });
    expect(cut.meta).toMatchObject({ storedEntries: 3, inlineEntries: 1, droppedEntries: 3, droppedWeight: 3.5 });
    expect(pairs(cut.stored)).toEqual([
      ['0x1', 5],
      ['0x3', 5],
      ['0x5', 3],
    ]);
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
