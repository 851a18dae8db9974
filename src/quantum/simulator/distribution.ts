import { SimulationInputError } from './errors';
import type { DistributionChunking, SimulationResult, SortedDistribution } from './types';

/**
 * Large distributions, sorted and cut into chunks in the thread that produced them.
 *
 * A COUNTS, PROBABILITIES or QUASI_DIST result of a wide circuit can have hundreds of thousands of
 * outcomes. Handing such a `data` object to another thread (structured clone), listing its keys and
 * sorting them there costs that thread seconds of blocking work. With `chunking`, the engine does
 * that work where the simulation ran: the result's `data` keeps only the most probable entries, and
 * `sorted` holds every entry (up to `maxEntries`), most probable first, as JSON chunks in one UTF-8
 * buffer, which a pool thread transfers (no copy; even copying 22 MB of strings took the receiving
 * thread 0.3-0.6 s on a busy 2-core machine) and which need no per-entry work to be stored or sent.
 */

/** Most distinct values for which {@link orderByValue} counts instead of comparing. */
const MAX_COUNTED_VALUES = 1 << 16;

/**
 * The indices of `values`, largest value first, ties in index order (stable). Distributions have few
 * distinct values (counts 1..k, or those divided by the shots): then a counting sort, O(n) with one
 * native sort of the values; otherwise a comparison sort of the indices.
 */
export function orderByValue(values: Float64Array): Uint32Array {
  const n = values.length;
  const order = new Uint32Array(n);
  const sorted = Float64Array.from(values).sort().reverse();
  const rank = new Map<number, number>();
  for (let i = 0; i < n && rank.size <= MAX_COUNTED_VALUES; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) rank.set(sorted[i], rank.size);
  }
  if (rank.size > MAX_COUNTED_VALUES) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort((a, b) => values[b] - values[a] || a - b);
  }
  const ranks = new Uint32Array(n);
  const start = new Uint32Array(rank.size + 1);
  for (let i = 0; i < n; i++) start[(ranks[i] = rank.get(values[i])!) + 1]++;
  for (let r = 1; r <= rank.size; r++) start[r] += start[r - 1];
  for (let i = 0; i < n; i++) order[start[ranks[i]]++] = i;
  return order;
}

/** Throws SimulationInputError unless `c` is a valid DistributionChunking. */
export function checkChunking(c: DistributionChunking): void {
  const whole = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
  if (c === null || typeof c !== 'object') throw new SimulationInputError('chunking must be an object');
  if (!whole(c.inlineEntries, 0)) {
    throw new SimulationInputError(`chunking.inlineEntries must be an integer >= 0, not ${String(c.inlineEntries)}`);
  }
  if (!whole(c.chunkEntries, 1)) {
    throw new SimulationInputError(`chunking.chunkEntries must be an integer >= 1, not ${String(c.chunkEntries)}`);
  }
  if (c.maxEntries !== undefined && !whole(c.maxEntries, 1)) {
    throw new SimulationInputError(`chunking.maxEntries must be an integer >= 1, not ${String(c.maxEntries)}`);
  }
}

/**
 * A distribution of more than `chunking.inlineEntries` finite numbers, sorted and chunked: `data`
 * its first min(inlineEntries, keptEntries) entries (in that order), `sorted` all it keeps. Null
 * when it is within `inlineEntries` or a value is not a finite number (such data is left as it is).
 */
export function sortDistribution(
  data: Readonly<Record<string, unknown>>,
  chunking: DistributionChunking,
): { data: Record<string, number>; sorted: SortedDistribution } | null {
  checkChunking(chunking);
  const keys = Object.keys(data);
  const n = keys.length;
  if (n <= chunking.inlineEntries) return null;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = data[keys[i]];
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    values[i] = v;
  }
  const order = orderByValue(values);
  const kept = Math.min(n, chunking.maxEntries ?? n);
  const head = new Array<[string, number]>(Math.min(chunking.inlineEntries, kept));
  for (let i = 0; i < head.length; i++) head[i] = [keys[order[i]], values[order[i]]];
  const inline: Record<string, number> = Object.fromEntries(head); // own properties, even "__proto__"
  let droppedWeight = 0;
  for (let i = kept; i < n; i++) droppedWeight += values[order[i]];
  const size = chunking.chunkEntries;
  const encoded: Uint8Array[] = [];
  const chunkOffsets = new Uint32Array(Math.ceil(kept / size) + 1);
  for (let first = 0, c = 0; first < kept; first += size, c++) {
    const end = Math.min(first + size, kept);
    const parts = new Array<string>(end - first);
    for (let i = first; i < end; i++) {
      const j = order[i];
      parts[i - first] = `[${JSON.stringify(keys[j])},${JSON.stringify(values[j])}]`;
    }
    encoded.push(utf8.encode(`[${parts.join(',')}]`));
    chunkOffsets[c + 1] = chunkOffsets[c] + encoded[c].length;
  }
  const text = new Uint8Array(chunkOffsets[encoded.length]);
  encoded.forEach((bytes, c) => text.set(bytes, chunkOffsets[c]));
  return {
    data: inline,
    sorted: {
      entries: n,
      keptEntries: kept,
      droppedEntries: n - kept,
      droppedWeight,
      chunkEntries: size,
      text,
      chunkOffsets,
    },
  };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Chunks of a sorted distribution. */
export function sortedChunkCount(sorted: SortedDistribution): number {
  return sorted.chunkOffsets.length - 1;
}

/** The `chunk`-th chunk of a sorted distribution: its JSON array of [key, value] pairs. */
export function sortedChunk(sorted: SortedDistribution, chunk: number): string {
  return fromUtf8.decode(sorted.text.subarray(sorted.chunkOffsets[chunk], sorted.chunkOffsets[chunk + 1]));
}

/**
 * The buffers of the sorted distributions among `results`, to transfer (postMessage's transfer
 * list) rather than copy: each `text` and `chunkOffsets` owns its whole buffer.
 */
export function sortedBuffers(results: readonly SimulationResult[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>(); // a buffer named twice would fail the transfer
  for (const r of results) {
    if (!('sorted' in r) || !r.sorted) continue;
    buffers.add(r.sorted.text.buffer as ArrayBuffer).add(r.sorted.chunkOffsets.buffer as ArrayBuffer);
  }
  return [...buffers];
}

/**
 * The results with every distribution (COUNTS, PROBABILITIES, QUASI_DIST) of more than
 * `chunking.inlineEntries` entries answered sorted and chunked (see sortDistribution); the others,
 * and smaller ones, as they are. Throws SimulationInputError for invalid `chunking`.
 */
export function chunkDistributions(results: SimulationResult[], chunking: DistributionChunking): SimulationResult[] {
  checkChunking(chunking);
  return results.map((r) => {
    if (r.resultType === 'VALUE_AND_VARIANCE') return r;
    const shaped = sortDistribution(r.data, chunking);
    return shaped ? { ...r, data: shaped.data, sorted: shaped.sorted } : r;
  });
}
