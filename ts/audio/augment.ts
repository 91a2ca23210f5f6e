// Seeded audio augmentation for the speech pipeline: additive noise at a given signal-to-noise
// ratio (white, pink, babble from other utterances), random gain, speed perturbation, tempo
// change (WSOLA) and pitch shift, low-/high-pass and peaking-EQ biquads, reverberation by
// convolution with synthetic impulse responses, and SpecAugment-style time and frequency masks
// on log-mel features. `augmentSpeech` (ts/audio/augment-speech.ts) chains them.
// Every random choice comes from a seed (mulberry32, ts/data/rng.ts): the same seed gives the
// same result on every runtime. Signals are mono Float32Array samples; features are log-mel
// [frames, bands] row-major (ts/audio/mel.ts).
import { deriveSeed, Rng } from '../data/rng.js';
import { numIn, posInt, RecurrentRangeError, rangeError } from '../errors.js';
import { Fft } from './fft.js';
import { resample } from './resample.js';

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
  const tiled = new Float64Array(signal.length);
  for (let i = 0; i < tiled.length; i++) tiled[i] = noise[i % noise.length];
  const ps = power(signal);
  const pn = power(tiled);
  if (ps === 0 || pn === 0) throw rangeError(`addNoise: the ${ps === 0 ? 'signal' : 'noise'} is silent, so no SNR can be set`);
  const k = Math.sqrt(ps / (pn * 10 ** (snrDb / 10)));
  const out = new Float32Array(signal.length);
  for (let i = 0; i < out.length; i++) out[i] = signal[i] + k * tiled[i];
  return out;
}

/** A fresh signal · g. */
function scaled(signal: Float32Array, g: number): Float32Array {
  const out = new Float32Array(signal.length);
  for (let i = 0; i < out.length; i++) out[i] = signal[i] * g;
  return out;
}

/** The signal times a gain drawn uniformly in [minDb, maxDb] dB from `seed`; returns it and the gain in dB. */
export function randomGain(
  signal: Float32Array,
  seed: number,
  minDb = -20,
  maxDb = 6,
): {
  /** The scaled signal (a fresh array). */
  signal: Float32Array;
  /** The gain drawn, in dB. */
  gainDb: number;
} {
  numIn('randomGain minDb', minDb, -200, 200, -20);
  numIn('randomGain maxDb', maxDb, minDb, 200, 6);
  const gainDb = minDb + (maxDb - minDb) * new Rng(seed).next();
  const g = 10 ** (gainDb / 20);
  return { signal: scaled(signal, g), gainDb };
}

/** Options of `specAugment`: how many masks of which widths. */
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
  /** Masked along the bands ('freq') or the frames ('time'). */
  axis: 'freq' | 'time';
  /** The first masked band or frame. */
  start: number;
  /** How many bands or frames are masked. */
  width: number;
}

/**
 * SpecAugment masking of log-mel features [frames, bands]: a fresh copy with `freqMasks` bands
 * ranges and `timeMasks` frame ranges set to `value`, the widths and starts drawn from `seed`;
 * returns the features and the masks drawn.
 */
export function specAugment(
  features: Float32Array,
  bands: number,
  seed: number,
  opts: SpecAugmentOptions = {},
): {
  /** The masked copy of the features. */
  features: Float32Array;
  /** The masks drawn. */
  masks: SpecMask[];
} {
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

// ---- speed, tempo and pitch ------------------------------------------------------------------

/**
 * Speed perturbation (tempo and pitch together, as a tape played faster): the signal resampled
 * so that it lasts 1/factor as long, factor rounded to 0.01 (a rate ratio of round(100·factor)
 * to 100; a windowed sinc of 8 zero crossings). Returns the signal and the factor used. E_RANGE outside [0.5, 2].
 */
export function speedPerturb(
  signal: Float32Array,
  factor: number,
): {
  /** The resampled signal. */
  signal: Float32Array;
  /** The speed factor applied. */
  factor: number;
} {
  numIn('speedPerturb factor', factor, 0.5, 2 + Number.EPSILON);
  const from = Math.round(100 * factor);
  return { signal: from === 100 ? signal.slice() : resample(signal, from, 100, { zeros: 8 }), factor: from / 100 };
}

/**
 * Tempo change without a pitch change (WSOLA: waveform-similarity overlap-add): the output lasts
 * 1/rate as long (length round(N / rate)). Frames of 512 samples (32 ms at 16 kHz) are
 * overlap-added with a Hann window every 256 output samples; each is taken from within ±80
 * samples of its nominal place where it best continues the previous frame (searched every 4
 * samples, then refined). E_RANGE outside [0.5, 2].
 */
export function timeStretch(signal: Float32Array, rate: number): Float32Array {
  numIn('timeStretch rate', rate, 0.5, 2 + Number.EPSILON);
  finite('timeStretch signal', signal);
  const n = signal.length;
  const outLen = Math.round(n / rate);
  const L = 512;
  const hs = L / 2;
  const tol = 80;
  const win = Float64Array.from({ length: L }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / L));
  const acc = new Float64Array(outLen + L);
  const norm = new Float64Array(outLen + L);
  const at = (i: number) => (i >= 0 && i < n ? signal[i] : 0);
  let prev = 0;
  for (let k = 0; k * hs < outLen; k++) {
    const nominal = Math.round(k * hs * rate);
    let best = nominal;
    if (k > 0) {
      // the natural continuation of the previous frame, compared over the overlap (every 2nd
      // sample): a coarse search every 4 samples, then ±3 around the best
      const target = prev + hs;
      const score = (s: number) => {
        let c = 0;
        for (let j = 0; j < hs; j += 2) c += at(s + j) * at(target + j);
        return c;
      };
      let bestScore = -Infinity;
      for (let d = -tol; d <= tol; d += 4) {
        const c = score(nominal + d);
        if (c > bestScore) {
          bestScore = c;
          best = nominal + d;
        }
      }
      const coarse = best;
      for (let d = -3; d <= 3; d++) {
        if (d === 0) continue;
        const c = score(coarse + d);
        if (c > bestScore) {
          bestScore = c;
          best = coarse + d;
        }
      }
    }
    const o = k * hs;
    for (let j = 0; j < L; j++) {
      acc[o + j] += win[j] * at(best + j);
      norm[o + j] += win[j];
    }
    prev = best;
  }
  const out = new Float32Array(outLen);
  for (let i = 0; i < outLen; i++) out[i] = norm[i] > 1e-3 ? acc[i] / norm[i] : acc[i];
  return out;
}

/**
 * Pitch shift by `semitones` keeping the duration: a WSOLA time stretch by 2^(s/12) then a speed
 * change back (the factor rounded to 0.01); the output has the input's length. E_RANGE outside [-12, 12].
 */
export function pitchShift(signal: Float32Array, semitones: number): Float32Array {
  numIn('pitchShift semitones', semitones, -12, 12 + Number.EPSILON);
  const f = Math.round(100 * 2 ** (semitones / 12)) / 100;
  if (f === 1) return signal.slice();
  const y = speedPerturb(timeStretch(signal, 1 / f), f).signal;
  const out = new Float32Array(signal.length);
  out.set(y.subarray(0, signal.length));
  return out;
}

// ---- noise -------------------------------------------------------------------------------------

/** Pink (1/f) noise of n samples, standard deviation 1, from `seed` (Paul Kellet's filter of white noise). */
export function pinkNoise(n: number, seed: number): Float32Array {
  const w = whiteNoise(n, seed);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let b3 = 0;
  let b4 = 0;
  let b5 = 0;
  let b6 = 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = w[i];
    b0 = 0.99886 * b0 + x * 0.0555179;
    b1 = 0.99332 * b1 + x * 0.0750759;
    b2 = 0.969 * b2 + x * 0.153852;
    b3 = 0.8665 * b3 + x * 0.3104856;
    b4 = 0.55 * b4 + x * 0.5329522;
    b5 = -0.7616 * b5 - x * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + x * 0.5362;
    b6 = x * 0.115926;
  }
  const s = Math.sqrt(power(out)) || 1;
  for (let i = 0; i < n; i++) out[i] /= s;
  return out;
}

/**
 * Babble: `talkers` of the `sources` (other utterances) chosen by `seed`, each scaled to power 1,
 * repeated to n samples from a random start, and summed. Returns the noise and what was used
 * (source index and start of each talker). E_RANGE with no non-silent source.
 */
export function babbleNoise(
  sources: readonly Float32Array[],
  n: number,
  seed: number,
  talkers = 3,
): {
  /** The babble, `n` samples. */
  noise: Float32Array;
  /** Which utterances were mixed in, and where each was cut. */
  parts: {
    /** Index into `sources`. */
    source: number;
    /** First sample taken from it. */
    start: number;
  }[];
} {
  count('babbleNoise talkers', talkers, 64, 3);
  const usable = sources.map((s, i) => ({ s, i, p: power(s) })).filter((x) => x.s.length > 0 && x.p > 0);
  if (usable.length === 0) throw rangeError('babbleNoise: no non-silent source utterance');
  const r = new Rng(seed);
  const noise = new Float32Array(n);
  const parts: { source: number; start: number }[] = [];
  for (let t = 0; t < talkers; t++) {
    const u = usable[r.below(usable.length)];
    const start = r.below(u.s.length);
    const k = 1 / Math.sqrt(u.p);
    for (let i = 0; i < n; i++) noise[i] += k * u.s[(start + i) % u.s.length];
    parts.push({ source: u.i, start });
  }
  return { noise, parts };
}

// ---- filters -----------------------------------------------------------------------------------

/** A biquad's coefficients (RBJ audio-EQ cookbook), normalised so that a0 = 1. */
export interface Biquad {
  /** Feed-forward coefficient of x[n]. */
  b0: number;
  /** Feed-forward coefficient of x[n-1]. */
  b1: number;
  /** Feed-forward coefficient of x[n-2]. */
  b2: number;
  /** Feedback coefficient of y[n-1] (subtracted). */
  a1: number;
  /** Feedback coefficient of y[n-2] (subtracted). */
  a2: number;
}

/** A second-order filter at `hz` (of a `sampleRate` signal): low-pass, high-pass, or a peaking EQ of `gainDb` (Q 0.707 for the passes, 1 for the peak). */
export function biquad(type: 'lowpass' | 'highpass' | 'peak', hz: number, sampleRate = 16000, gainDb = 0, q = type === 'peak' ? 1 : Math.SQRT1_2): Biquad {
  numIn('biquad hz', hz, 1, sampleRate / 2);
  const w = (2 * Math.PI * hz) / sampleRate;
  const cw = Math.cos(w);
  const alpha = Math.sin(w) / (2 * q);
  let b: [number, number, number];
  let a: [number, number, number];
  if (type === 'lowpass') {
    b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2];
    a = [1 + alpha, -2 * cw, 1 - alpha];
  } else if (type === 'highpass') {
    b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2];
    a = [1 + alpha, -2 * cw, 1 - alpha];
  } else {
    const A = 10 ** (gainDb / 40);
    b = [1 + alpha * A, -2 * cw, 1 - alpha * A];
    a = [1 + alpha / A, -2 * cw, 1 - alpha / A];
  }
  return { b0: b[0] / a[0], b1: b[1] / a[0], b2: b[2] / a[0], a1: a[1] / a[0], a2: a[2] / a[0] };
}

/** The signal through a biquad (direct form I, zero initial state). */
export function applyBiquad(signal: Float32Array, f: Biquad): Float32Array {
  const out = new Float32Array(signal.length);
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < signal.length; i++) {
    const x = signal[i];
    const y = f.b0 * x + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
    out[i] = y;
    x2 = x1;
    x1 = x;
    y2 = y1;
    y1 = y;
  }
  return out;
}

/** What {@link randomFilter} drew. */
export interface FilterChoice {
  /** The kind of filter drawn. */
  type: 'lowpass' | 'highpass' | 'peak';
  /** Its cutoff (passes) or centre (peak) frequency in Hz. */
  hz: number;
  /** The peak's gain in dB (0 for the passes). */
  gainDb: number;
}

/**
 * A random channel colouring from `seed`: a low-pass at 1.5–6 kHz, a high-pass at 100–600 Hz, or
 * a peaking EQ of ±12 dB at 150–4000 Hz (one of the three, equally likely; frequencies uniform on
 * a log scale). 16 kHz signals.
 */
export function randomFilter(
  signal: Float32Array,
  seed: number,
): {
  /** The filtered signal (a fresh array). */
  signal: Float32Array;
  /** The filter drawn. */
  filter: FilterChoice;
} {
  const r = new Rng(seed);
  const logU = (lo: number, hi: number) => lo * (hi / lo) ** r.next();
  const kind = r.below(3);
  const filter: FilterChoice =
    kind === 0
      ? { type: 'lowpass', hz: logU(1500, 6000), gainDb: 0 }
      : kind === 1
        ? { type: 'highpass', hz: logU(100, 600), gainDb: 0 }
        : { type: 'peak', hz: logU(150, 4000), gainDb: -12 + 24 * r.next() };
  return { signal: applyBiquad(signal, biquad(filter.type, filter.hz, 16000, filter.gainDb)), filter };
}

// ---- reverberation -----------------------------------------------------------------------------

/**
 * A synthetic room impulse response of reverberation time `rt60` seconds (the time its energy
 * takes to fall 60 dB) at `sampleRate`: a direct path of 1 at sample 0, then after a 2–10 ms
 * pre-delay Gaussian noise under the envelope 0.3·10^(−3t/rt60) (amplitude −60 dB at rt60),
 * length min(1.2·rt60, 1 s), from `seed`.
 */
export function syntheticImpulseResponse(rt60: number, seed: number, sampleRate = 16000): Float32Array {
  numIn('syntheticImpulseResponse rt60', rt60, 0.01, 5);
  const n = Math.max(2, Math.round(Math.min(1.2 * rt60, 1) * sampleRate));
  const r = new Rng(seed);
  const pre = Math.round((0.002 + 0.008 * r.next()) * sampleRate);
  const noise = whiteNoise(n, deriveSeed(seed, 1));
  const ir = new Float32Array(n);
  ir[0] = 1;
  for (let i = Math.max(1, pre); i < n; i++) ir[i] = 0.3 * noise[i] * 10 ** ((-3 * i) / (rt60 * sampleRate));
  return ir;
}

/** The first signal.length samples of signal ∗ ir (linear convolution by FFT). */
export function convolve(signal: Float32Array, ir: Float32Array): Float32Array {
  const n = signal.length;
  if (n === 0 || ir.length === 0) return new Float32Array(n);
  let size = 2;
  while (size < n + ir.length - 1) size *= 2;
  const fft = Fft.of(size);
  const ar = new Float64Array(size);
  const ai = new Float64Array(size);
  const br = new Float64Array(size);
  const bi = new Float64Array(size);
  ar.set(signal);
  br.set(ir);
  fft.transform(ar, ai);
  fft.transform(br, bi);
  // product, then the inverse transform as conj(FFT(conj(X))) / size
  for (let k = 0; k < size; k++) {
    const re = ar[k] * br[k] - ai[k] * bi[k];
    const im = ar[k] * bi[k] + ai[k] * br[k];
    ar[k] = re;
    ai[k] = -im;
  }
  fft.transform(ar, ai);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ar[i] / size;
  return out;
}

/** Reverberation: the signal convolved with a synthetic impulse response of `rt60` s, scaled back to the signal's power. */
export function reverberate(signal: Float32Array, rt60: number, seed: number): Float32Array {
  const y = convolve(signal, syntheticImpulseResponse(rt60, seed));
  const ps = power(signal);
  const py = power(y);
  if (ps === 0 || py === 0) return y;
  const k = Math.sqrt(ps / py);
  for (let i = 0; i < y.length; i++) y[i] *= k;
  return y;
}
