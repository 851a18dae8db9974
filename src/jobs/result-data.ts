import { orderByValue } from '../quantum';

/**
 * Large results (issue #15 item 4, docs/decisions/0005-large-results.md): a distribution with more
 * entries than the inline limit keeps only its most probable entries in `result.data` (what job
 * answers, events and snapshots carry) and is stored in full, in order, as chunks of `result_data`
 * rows that only the data endpoint reads. Pure functions here; the database side is in JobsService.
 */

/** One entry of a distribution: [outcome key, value]. */
export type ResultEntry = [key: string, value: number];

/** Entries a `result_data` row holds (the last one of a result may hold fewer). */
export const RESULT_DATA_CHUNK_ENTRIES = 10_000;

/** The orders the data endpoint pages in: most probable first (the stored order), or by key. */
export const RESULT_DATA_ORDERS = ['count', 'key'] as const;
export type ResultDataOrder = (typeof RESULT_DATA_ORDERS)[number];

export interface ResultLimits {
  /** Most entries a result's `data` holds inline (RESULT_INLINE_ENTRIES). */
  inlineEntries: number;
  /** Most entries stored of one result (MAX_RESULT_ENTRIES); the least probable beyond are dropped. */
  maxEntries: number;
}

/**
 * The entries of a large result to store, most probable first: entry i is
 * [keys[order[i]], values[order[i]]] for i < count. Typed arrays and the producer's own key strings,
 * no object per entry (a million of them would keep the garbage collector busy).
 */
export interface StoredEntries {
  keys: string[];
  values: Float64Array;
  order: Uint32Array;
  count: number;
}

/**
 * A distribution its producer already sorted (most probable first, ties in its key order) and cut
 * into JSON chunks: the engine's SortedDistribution (runProgram's `chunking`), asked for with the
 * limits of this service (see {@link presortedChunking}), so that this thread does no per-entry work.
 */
export interface PresortedEntries {
  /** Entries the distribution had. */
  entries: number;
  /** Entries in `chunks`. */
  keptEntries: number;
  /** Entries the producer dropped (beyond its maxEntries), and the sum of their values. */
  droppedEntries: number;
  droppedWeight: number;
  /** Entries a chunk holds; the last may hold fewer. */
  chunkEntries: number;
  /**
   * The chunks' JSON arrays of [key, value] pairs as UTF-8, one after the other: chunk i is
   * `text.subarray(chunkOffsets[i], chunkOffsets[i + 1])` (bytes: transferred from the engine's
   * thread without a copy; each chunk is decoded only when it is written).
   */
  text: Uint8Array;
  chunkOffsets: Uint32Array;
}

/**
 * Stored entries already chunked: chunk i (of `chunks`) holds entries i*chunkEntries onwards, its
 * JSON given by `text(i)`; `count` entries in all.
 */
export interface StoredChunks {
  count: number;
  chunkEntries: number;
  chunks: number;
  text: (chunk: number) => string;
}

const fromUtf8 = new TextDecoder();

/** Chunk `i` of a presorted distribution, as JSON text. */
function presortedChunk(sorted: PresortedEntries, i: number): string {
  return fromUtf8.decode(sorted.text.subarray(sorted.chunkOffsets[i], sorted.chunkOffsets[i + 1]));
}

export interface ShapedResult {
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  /** The entries to store in chunks; null when `data` is the whole result. */
  stored: StoredEntries | StoredChunks | null;
}

/**
 * What a producer that sorts and chunks distributions itself (the engine's `chunking`) is asked for,
 * so that its answer is stored as it comes: chunks of RESULT_DATA_CHUNK_ENTRIES, at most
 * `maxEntries` kept, the first `inlineEntries` as `data`.
 */
export function presortedChunking(limits: ResultLimits): {
  inlineEntries: number;
  chunkEntries: number;
  maxEntries: number;
} {
  return {
    inlineEntries: limits.inlineEntries,
    chunkEntries: RESULT_DATA_CHUNK_ENTRIES,
    maxEntries: limits.maxEntries,
  };
}

/** One `result_data` row. */
export interface ResultChunk {
  chunk: number;
  firstEntry: number;
  entryCount: number;
  /** JSON array of [key, value] pairs. */
  entries: string;
}

/**
 * A result within the limits: small data (or data that is not a map of numbers) as it is; a larger
 * distribution sorted most probable first (ties keep the producer's order, so the order is fixed
 * once stored), its first `maxEntries` to be stored in chunks, its first `inlineEntries` as `data`,
 * and its meta saying so: `truncated`, `entries` (as produced), `storedEntries`, `inlineEntries`,
 * and, when `maxEntries` cut it, `droppedEntries` and `droppedWeight` (the sum of the dropped values:
 * shots for COUNTS, probability for PROBABILITIES and QUASI_DIST).
 */
export function shapeResult(
  input: { data: Record<string, unknown>; meta?: Record<string, unknown>; sorted?: PresortedEntries },
  limits: ResultLimits,
): ShapedResult {
  const meta = input.meta ?? {};
  const data = input.data;
  if (input.sorted) return shapePresorted(data, meta, input.sorted, limits);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { data, meta, stored: null };
  const keys = Object.keys(data);
  const n = keys.length;
  if (n <= limits.inlineEntries) return { data, meta, stored: null };
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = data[keys[i]];
    if (typeof v !== 'number' || !Number.isFinite(v)) return { data, meta, stored: null };
    values[i] = v;
  }
  const order = orderByValue(values);

  const storedCount = Math.min(n, limits.maxEntries);
  const inlineCount = Math.min(limits.inlineEntries, storedCount);
  const inline: Record<string, number> = {};
  for (let i = 0; i < inlineCount; i++) inline[keys[order[i]]] = values[order[i]];

  const shapedMeta: Record<string, unknown> = {
    ...meta,
    truncated: true,
    entries: n,
    storedEntries: storedCount,
    inlineEntries: inlineCount,
  };
  if (storedCount < n) {
    let dropped = 0;
    for (let i = storedCount; i < n; i++) dropped += values[order[i]];
    shapedMeta.droppedEntries = n - storedCount;
    shapedMeta.droppedWeight = dropped;
  }
  return { data: inline, meta: shapedMeta, stored: { keys, values, order, count: storedCount } };
}

/**
 * shapeResult for a distribution its producer sorted and chunked: the same data, meta and stored
 * entries as shapeResult gives for the whole distribution, from the producer's chunks as they are,
 * in O(chunks + inline entries). Should the producer have kept more than `maxEntries` or fewer than
 * `inlineEntries` entries (asked with other limits than these), its chunks are read back: correct,
 * only slower.
 */
function shapePresorted(
  data: Record<string, unknown>,
  meta: Record<string, unknown>,
  sorted: PresortedEntries,
  limits: ResultLimits,
): ShapedResult {
  let { keptEntries: kept, droppedEntries, droppedWeight, chunkEntries } = sorted;
  let stored: StoredChunks = {
    count: kept,
    chunkEntries,
    chunks: sorted.chunkOffsets.length - 1,
    text: (i) => presortedChunk(sorted, i),
  };
  if (kept > limits.maxEntries || (kept === sorted.entries && kept <= limits.inlineEntries)) {
    const all = Array.from({ length: stored.chunks }, (_, i) => parseChunk(stored.text(i))).flat();
    if (all.length <= limits.inlineEntries && droppedEntries === 0) {
      return { data: Object.fromEntries(all), meta, stored: null };
    }
    const rest = all.splice(limits.maxEntries);
    for (const [, v] of rest) droppedWeight += v;
    droppedEntries += rest.length;
    kept = all.length;
    chunkEntries = RESULT_DATA_CHUNK_ENTRIES;
    const chunks: string[] = [];
    for (let i = 0; i < kept; i += chunkEntries) chunks.push(JSON.stringify(all.slice(i, i + chunkEntries)));
    stored = { count: kept, chunkEntries, chunks: chunks.length, text: (i) => chunks[i] };
  }
  const inlineCount = Math.min(limits.inlineEntries, kept);
  // The producer's data is its first entries: ours when it holds as many (a map: order aside).
  let inline = data;
  if (Object.keys(data).length !== inlineCount) {
    const entries: ResultEntry[] = [];
    for (let c = 0; entries.length < inlineCount; c++) entries.push(...parseChunk(stored.text(c)));
    inline = Object.fromEntries(entries.slice(0, inlineCount));
  }
  const shapedMeta: Record<string, unknown> = {
    ...meta,
    truncated: true,
    entries: sorted.entries,
    storedEntries: kept,
    inlineEntries: inlineCount,
  };
  if (droppedEntries > 0) {
    shapedMeta.droppedEntries = droppedEntries;
    shapedMeta.droppedWeight = droppedWeight;
  }
  return { data: inline, meta: shapedMeta, stored };
}

/**
 * How many `result_data` rows of `size` entries the stored entries take (chunks made by the producer
 * keep their own size).
 */
export function chunkCount(stored: StoredEntries | StoredChunks, size = RESULT_DATA_CHUNK_ENTRIES): number {
  return 'chunks' in stored ? stored.chunks : Math.ceil(stored.count / size);
}

/**
 * The `chunk`-th `result_data` row of the stored entries, its JSON written as one string (or, for
 * chunks made by the producer, its chunk as it is).
 */
export function chunkOf(
  stored: StoredEntries | StoredChunks,
  chunk: number,
  size = RESULT_DATA_CHUNK_ENTRIES,
): ResultChunk {
  if ('chunks' in stored) {
    const first = chunk * stored.chunkEntries;
    const entryCount = Math.min(stored.chunkEntries, stored.count - first);
    return { chunk, firstEntry: first, entryCount, entries: stored.text(chunk) };
  }
  const first = chunk * size;
  const end = Math.min(first + size, stored.count);
  let entries = '[';
  for (let i = first; i < end; i++) {
    const j = stored.order[i];
    entries += `${i > first ? ',' : ''}[${JSON.stringify(stored.keys[j])},${JSON.stringify(stored.values[j])}]`;
  }
  return { chunk, firstEntry: first, entryCount: end - first, entries: `${entries}]` };
}

/** All the `result_data` rows of the stored entries. */
export function toChunks(stored: StoredEntries | StoredChunks, size = RESULT_DATA_CHUNK_ENTRIES): ResultChunk[] {
  return Array.from({ length: chunkCount(stored, size) }, (_, chunk) => chunkOf(stored, chunk, size));
}

/** A chunk's entries back. */
export function parseChunk(entries: string): ResultEntry[] {
  return JSON.parse(entries) as ResultEntry[];
}

/** Byte order of keys (PostgreSQL's COLLATE "C" does the same for the ASCII keys of results). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The entries of a small result's data in `order` (count: most probable first, ties by key). */
export function inlineEntries(data: Record<string, unknown>, order: ResultDataOrder): [string, unknown][] {
  const entries = Object.entries(data ?? {});
  if (order === 'key') return entries.sort((a, b) => compareKeys(a[0], b[0]));
  const num = (v: unknown) => (typeof v === 'number' ? v : -Infinity);
  return entries.sort((a, b) => num(b[1]) - num(a[1]) || compareKeys(a[0], b[0]));
}

export const RESULT_DATA_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type ResultDataFormat = (typeof RESULT_DATA_FORMATS)[number];

/** Entries as lines of a download: NDJSON (`["0x3",12]` a line) or CSV (`key,value`, header first). */
export function formatLines(entries: readonly (readonly [string, unknown])[], format: 'ndjson' | 'csv'): string {
  let out = '';
  if (format === 'ndjson') {
    for (const e of entries) out += `${JSON.stringify(e)}\n`;
    return out;
  }
  for (const [key, value] of entries) out += `${csvField(key)},${csvField(value)}\n`;
  return out;
}

function csvField(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
