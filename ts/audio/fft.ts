// In-place iterative radix-2 complex FFT (decimation in time) for a power-of-two size:
//   X[k] = Σ_n x[n] · exp(−2πi·k·n / N).
// Twiddles and the bit-reversal permutation are computed once per size.
import { rangeError, shapeError } from '../errors.js';

export class Fft {
  static readonly #cache = new Map<number, Fft>();
  /** The transform of a size, made once and kept (its twiddles and permutation are read-only). */
  static of(size: number): Fft {
    let f = Fft.#cache.get(size);
    if (!f) {
      f = new Fft(size);
      if (size <= 1 << 20) Fft.#cache.set(size, f);
    }
    return f;
  }

  readonly size: number;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  readonly #rev: Uint32Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0 || size > 1 << 24)
      throw rangeError(`FFT size must be a power of two in [2, 2^24] (got ${size})`);
    this.size = size;
    this.#cos = new Float64Array(size / 2);
    this.#sin = new Float64Array(size / 2);
    for (let k = 0; k < size / 2; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.#sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    const bits = Math.log2(size);
    this.#rev = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.#rev[i] = r;
    }
  }

  /** Transforms (re, im), each [size], in place. */
  transform(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    if (re.length !== n || im.length !== n) throw shapeError(`FFT of size ${n} got arrays of ${re.length} and ${im.length}`);
    const rev = this.#rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let s = 0; s < n; s += len) {
        for (let k = 0; k < half; k++) {
          const wr = this.#cos[k * step];
          const wi = this.#sin[k * step];
          const a = s + k;
          const b = a + half;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}
