// Seeded audio augmentation for the speech pipeline: additive noise at a given signal-to-noise
// ratio, random gain, and SpecAugment-style time and frequency masks on log-mel features.
// Every random choice comes from a seed (mulberry32, ts/data/rng.ts): the same seed gives the
// same result on every runtime. Signals are mono Float32Array samples; features are log-mel
// [frames, bands] row-major (ts/audio/mel.ts).
import { Rng } from '../data/rng.js';
import { numIn, posInt, RecurrentRangeError, rangeError } from '../errors.js';

const power = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return x.length ? s / x.length : 0;
};

function finite(what: string, x: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new RecurrentRangeError('E_NONFINITE', `${what}: sample ${i} is ${x[i]}`);
}

/** An integer option in [0, max] (E_RANGE otherwise). */
function count(where: string, v: number | undefined, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0 || v > max) throw rangeError(`${where} must be an integer in [0, ${max}] (got ${String(v)})`);
  return v;
}

/** White Gaussian noise of n samples, standard deviation 1 (Box–Muller), from `seed`. */
export function whiteNoise(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - r.next();
    const v = r.next();
    const m = Math.sqrt(-2 * Math.log(u));
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * signal + k·noise with k chosen so that the mix's signal-to-noise ratio
 * 10·log10(P(signal) / P(k·noise)) is `snrDb` (P = mean square over the signal's length; the
 * noise is repeated when shorter). A fresh array; E_RANGE for a silent noise or signal.
 */
export function addNoise(signal: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  numIn('addNoise snrDb', snrDb, -100, 200, 0);
  finite('addNoise signal', signal);
  finite('addNoise noise', noise);
  if (noise.length === 0) throw rangeError('addNoise: the noise is empty');
  const tiled = Float64Array.from({ length: signal.length }, (_, i) => noise[i % noise.length]);
  const ps = power(signal);
  const pn = power(tiled);
  if (ps === 0 || pn === 0) throw rangeError(`addNoise: the ${ps === 0 ? 'signal' : 'noise'} is silent, so no SNR can be set`);
  const k = Math.sqrt(ps / (pn * 10 ** (snrDb / 10)));
  return Float32Array.from(signal, (v, i) => v + k * tiled[i]);
}

/** The signal times a gain drawn uniformly in [minDb, maxDb] dB from `seed`; returns it and the gain in dB. */
export function randomGain(signal: Float32Array, seed: number, minDb = -20, maxDb = 6): { signal: Float32Array; gainDb: number } {
  numIn('randomGain minDb', minDb, -200, 200, -20);
  numIn('randomGain maxDb', maxDb, minDb, 200, 6);
  const gainDb = minDb + (maxDb - minDb) * new Rng(seed).next();
  const g = 10 ** (gainDb / 20);
  return { signal: Float32Array.from(signal, (v) => v * g), gainDb };
}

/** Options of {@link specAugment}: how many masks of which widths. */
export interface SpecAugmentOptions {
  /** Frequency masks (bands set to `value`). @default 2 */
  freqMasks?: number;
  /** Widest frequency mask in bands; each width is uniform in [0, freqWidth]. @default 8 */
  freqWidth?: number;
  /** Time masks (frames set to `value`). @default 2 */
  timeMasks?: number;
  /** Widest time mask in frames; each width is uniform in [0, min(timeWidth, frames)]. @default 20 */
  timeWidth?: number;
  /** What masked cells become (0 = the mean of normalised features). @default 0 */
  value?: number;
}

/** One mask: [start, start + width) of bands ('freq') or frames ('time'). */
export interface SpecMask {
  axis: 'freq' | 'time';
  start: number;
  width: number;
}

/**
 * SpecAugment masking of log-mel features [frames, bands]: a fresh copy with `freqMasks` bands
 * ranges and `timeMasks` frame ranges set to `value`, the widths and starts drawn from `seed`;
 * returns the features and the masks drawn.
 */
export function specAugment(features: Float32Array, bands: number, seed: number, opts: SpecAugmentOptions = {}): { features: Float32Array; masks: SpecMask[] } {
  posInt('specAugment bands', bands, 40);
  if (features.length % bands !== 0) throw rangeError(`specAugment: ${features.length} values are not whole frames of ${bands} bands`);
  const nf = count('specAugment freqMasks', opts.freqMasks, 100, 2);
  const fw = count('specAugment freqWidth', opts.freqWidth, bands, Math.min(8, bands));
  const nt = count('specAugment timeMasks', opts.timeMasks, 1000, 2);
  const tw = count('specAugment timeWidth', opts.timeWidth, 1e6, 20);
  const value = numIn('specAugment value', opts.value, -1e30, 1e30, 0);
  const frames = features.length / bands;
  const r = new Rng(seed);
  const out = features.slice();
  const masks: SpecMask[] = [];
  for (let m = 0; m < nf; m++) {
    const width = r.below(fw + 1);
    const start = r.below(bands - width + 1);
    masks.push({ axis: 'freq', start, width });
    for (let t = 0; t < frames; t++) out.fill(value, t * bands + start, t * bands + start + width);
  }
  for (let m = 0; m < nt; m++) {
    const width = r.below(Math.min(tw, frames) + 1);
    const start = r.below(frames - width + 1);
    masks.push({ axis: 'time', start, width });
    out.fill(value, start * bands, (start + width) * bands);
  }
  return { features: out, masks };
}
