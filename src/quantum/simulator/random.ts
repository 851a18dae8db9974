import { randomInt } from 'node:crypto';

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

/** `shots` uniform numbers in [0, scale), sorted ascending (for inverse-CDF sampling, see sampleSorted). */
export function sortedUniforms(rng: Rng, shots: number, scale: number): Float64Array {
  const u = new Float64Array(shots);
  for (let s = 0; s < shots; s++) u[s] = rng.next() * scale;
  return u.sort();
}
