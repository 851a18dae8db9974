import { randomInt } from 'node:crypto';
import type { AbortLike } from './types';
import { SimulationAbortedError } from './errors';

/**
 * xoshiro128** (Blackman and Vigna), seeded from a 32-bit seed through splitmix32. Same seed, same
 * sequence, on every platform: the sampler uses nothing but this generator.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Number of successes in `trials` Bernoulli(p) draws. */
  binomial(trials: number, p: number): number {
    if (p <= 0) return 0;
    if (p >= 1) return trials;
    let k = 0;
    for (let i = 0; i < trials; i++) if (this.next() < p) k++;
    return k;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}

/**
 * Draws `shots` basis states from the distribution |amplitude|^2 of the state `d` (interleaved),
 * without allocating anything of the state's size: the shots' uniform numbers are sorted, and one
 * pass over the amplitudes walks the cumulative distribution alongside them (inverse-CDF sampling,
 * O(2^n + shots log shots)). Returns basis index → number of shots.
 */
export function sampleBasisStates(
  d: Float64Array,
  shots: number,
  total: number,
  rng: Rng,
  abort: AbortLike | null,
): Map<number, number> {
  const u = new Float64Array(shots);
  for (let s = 0; s < shots; s++) u[s] = rng.next() * total;
  u.sort();
  const counts = new Map<number, number>();
  const N = d.length / 2;
  let acc = 0;
  let s = 0;
  let last = -1;
  for (let i = 0; i < N && s < shots; i++) {
    if ((i & 0xfffff) === 0 && abort !== null && abort.aborted) throw new SimulationAbortedError();
    const xr = d[2 * i], xi = d[2 * i + 1];
    const p = xr * xr + xi * xi;
    if (p === 0) continue;
    acc += p;
    last = i;
    let c = 0;
    while (s < shots && u[s] < acc) {
      s++;
      c++;
    }
    if (c > 0) counts.set(i, c);
  }
  // Rounding can leave the last few uniform numbers above the accumulated total: give them to the
  // last basis state with non-zero probability.
  if (s < shots && last >= 0) counts.set(last, (counts.get(last) ?? 0) + (shots - s));
  return counts;
}
