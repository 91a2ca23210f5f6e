// Seeded PRNG for the SDK's data work (shuffles, splits, window offsets): mulberry32 on a
// 32-bit state, so a seed gives the same stream on every runtime.

/**
 * Seeded PRNG for data work (shuffles, splits, window offsets): mulberry32 on a 32-bit state,
 * so a seed gives the same stream on every runtime.
 * @example
 * ```ts
 * const rng = new Rng(42); // the same seed gives the same numbers on every runtime
 * const order = Uint32Array.from({ length: 5 }, (_, i) => i);
 * rng.shuffle(order);
 * console.log(rng.next(), rng.below(10), Array.from(order));
 * ```
 */
export class Rng {
  #s: number;
  /** @param seed any number; only its low 32 bits count */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher–Yates, in place. */
  shuffle<T>(xs: T[] | Uint32Array): void {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
  }
}

/** A seed derived from a base seed and a counter (e.g. the epoch), well mixed. */
export function deriveSeed(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
