// Log-mel filterbank features of 16 kHz audio.
//
// Per frame (defaults): 400 samples (25 ms) every 160 samples (10 ms); frames are counted as
// 1 + floor((N − 400) / 160) (0 when N < 400: no padding, the tail that does not fill a
// frame is dropped). Each frame is multiplied by a symmetric Hamming window
// w[n] = 0.54 − 0.46·cos(2πn / 399), zero-padded to 512 points, transformed with a radix-2
// FFT, and turned into the power spectrum P[k] = |X[k]|², k = 0…256 (no pre-emphasis, no DC
// removal, no dither). 40 triangular filters are spaced evenly on the HTK mel scale
// mel(f) = 2595·log10(1 + f/700) from 0 to 8000 Hz: band b has mel edges p[b], p[b+1], p[b+2]
// (42 equally spaced points) and weights bin k (at f = k·16000/512 Hz, mel m) by
// (m − p[b]) / (p[b+1] − p[b]) rising and (p[b+2] − m) / (p[b+2] − p[b+1]) falling, as HTK
// does (triangles in the mel domain, unnormalised). The feature is ln(max(E_b, floor)),
// floor 1e-10. With `normalize: 'utterance'` each band is then shifted and scaled to mean 0
// and standard deviation 1 over the utterance's frames (std floored at 1e-5). With
// `normalize: 'causal'` (the streaming definition, the same offline and in LogMelStream) frame t
// is normalised with the mean and std of frames 0 … max(t, W − 1), W = `warmupFrames`: the first
// W frames wait for W frames (a warm-up delay of W·10 ms at the start only) and share those
// statistics; later frames use everything up to and including themselves. An utterance shorter
// than W frames gets the statistics of all its frames, i.e. exactly the 'utterance' features.
// Both make the features independent of the input's gain: a gain g adds 2·ln g to every band,
// which the mean removes (as long as no band falls to the floor).
// Output: [frames, bands] row-major Float32Array.
import { checkKeys, numIn, optionError, posInt, RecurrentRangeError, rangeError } from '../errors.js';
import { Fft } from './fft.js';

/**
 * Options of {@link logMel} and {@link LogMelStream}. Every option is optional; the defaults
 * give the usual speech front end: 25 ms Hamming windows every 10 ms, a 512-point FFT and 40
 * HTK mel bands from 0 Hz to the Nyquist frequency, natural log floored at 1e-10.
 * Bad values are E_RANGE (sizes, frequencies), E_OPTION (`normalize`, unknown keys).
 */
export interface LogMelOptions {
  /** Sample rate of the input in Hz (no resampling here: use decodeWav16k for files of other rates). @default 16000 */
  sampleRate?: number;
  /** Window length in samples. @default round(0.025 · sampleRate): 400 = 25 ms at 16 kHz */
  windowLength?: number;
  /** Hop between frame starts, in samples. @default round(0.01 · sampleRate): 160 = 10 ms at 16 kHz */
  hop?: number;
  /** FFT size, a power of two ≥ windowLength (E_RANGE otherwise). @default 512 */
  fftSize?: number;
  /** Mel bands: the features per frame. @default 40 */
  bands?: number;
  /** Lowest filter edge in Hz, in [0, sampleRate / 2). @default 0 */
  lowHz?: number;
  /** Highest filter edge in Hz, above `lowHz` and at most sampleRate / 2. @default sampleRate / 2 */
  highHz?: number;
  /** Floor applied to each band's energy before the natural log, > 0. @default 1e-10 */
  floor?: number;
  /** 'none'; 'utterance' (per-band mean 0, std 1 over the frames; logMel only, not LogMelStream);
   * or 'causal' (running per-band mean and std after a warm-up of `warmupFrames`; the same in logMel and LogMelStream). @default 'none' */
  normalize?: 'none' | 'utterance' | 'causal';
  /** Warm-up of `normalize: 'causal'`, in frames: the first ones share the statistics of this many. @default 50 (0.5 s) */
  warmupFrames?: number;
}

/** Warm-up frames of causal normalisation when not given: 50 frames = 0.5 s at a 10 ms hop. */
export const DEFAULT_WARMUP_FRAMES = 50;
const NORMALIZE = ['none', 'utterance', 'causal'] as const;
const KEYS = ['sampleRate', 'windowLength', 'hop', 'fftSize', 'bands', 'lowHz', 'highHz', 'floor', 'normalize', 'warmupFrames'];

/** Hz → mel on the HTK scale: 2595 · log10(1 + f / 700) (the inverse of {@link melToHz}). */
export const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
/** Mel → Hz on the HTK scale: 700 · (10^(m / 2595) − 1) (the inverse of {@link hzToMel}). */
export const melToHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

interface Config {
  sampleRate: number;
  windowLength: number;
  hop: number;
  fftSize: number;
  bands: number;
  floor: number;
  normalize: 'none' | 'utterance' | 'causal';
  warmupFrames: number;
  window: Float64Array;
  /** [bands][fftSize/2 + 1] filter weights. */
  filters: Float64Array[];
  /** Per band, the bins [first, last) outside which its weights are 0. */
  spans: [number, number][];
  fft: Fft;
}

function config(opts: LogMelOptions): Config {
  checkKeys('logMel', opts, KEYS);
  const sampleRate = posInt('logMel sampleRate', opts.sampleRate, 16000);
  const windowLength = posInt('logMel windowLength', opts.windowLength, Math.round(sampleRate * 0.025));
  const hop = posInt('logMel hop', opts.hop, Math.round(sampleRate * 0.01));
  const fftSize = posInt('logMel fftSize', opts.fftSize, 512);
  if (fftSize < windowLength || (fftSize & (fftSize - 1)) !== 0)
    throw rangeError(`logMel fftSize must be a power of two ≥ windowLength ${windowLength} (got ${fftSize})`);
  const bands = posInt('logMel bands', opts.bands, 40);
  const lowHz = numIn('logMel lowHz', opts.lowHz, 0, sampleRate / 2, 0);
  const highHz = opts.highHz === undefined ? sampleRate / 2 : numIn('logMel highHz', opts.highHz, lowHz + Number.EPSILON, sampleRate / 2 + 1e-9);
  const floor = numIn('logMel floor', opts.floor, Number.MIN_VALUE, Infinity, 1e-10);
  const normalize = opts.normalize ?? 'none';
  if (!NORMALIZE.includes(normalize)) throw optionError(`logMel normalize '${String(normalize)}' is not one of ${NORMALIZE.join(', ')}`);
  const warmupFrames = posInt('logMel warmupFrames', opts.warmupFrames, DEFAULT_WARMUP_FRAMES);
  const window = new Float64Array(windowLength);
  for (let n = 0; n < windowLength; n++) window[n] = windowLength === 1 ? 1 : 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (windowLength - 1));
  const filters = melFilters(bands, fftSize, sampleRate, lowHz, highHz);
  return {
    sampleRate,
    windowLength,
    hop,
    fftSize,
    bands,
    floor,
    normalize,
    warmupFrames,
    window,
    filters,
    spans: filters.map((f) => {
      let a = 0;
      let b = f.length;
      while (a < b && f[a] === 0) a++;
      while (b > a && f[b - 1] === 0) b--;
      return [a, b];
    }),
    fft: Fft.of(fftSize),
  };
}

/** The triangular mel filters: [bands][fftSize/2 + 1] weights on the power spectrum bins. */
export function melFilters(bands: number, fftSize: number, sampleRate: number, lowHz = 0, highHz = sampleRate / 2): Float64Array[] {
  const lo = hzToMel(lowHz);
  const hi = hzToMel(highHz);
  const p = Array.from({ length: bands + 2 }, (_, i) => lo + ((hi - lo) * i) / (bands + 1));
  const bins = fftSize / 2 + 1;
  return Array.from({ length: bands }, (_, b) => {
    const row = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const m = hzToMel((k * sampleRate) / fftSize);
      if (m > p[b] && m < p[b + 2]) row[k] = m <= p[b + 1] ? (m - p[b]) / (p[b + 1] - p[b]) : (p[b + 2] - m) / (p[b + 2] - p[b + 1]);
    }
    return row;
  });
}

/** Frames in a signal of n samples: 1 + floor((n − windowLength) / hop), or 0. */
export const frameCount = (n: number, windowLength = 400, hop = 160) => (n < windowLength ? 0 : 1 + Math.floor((n - windowLength) / hop));

/** Log-mel features of one frame starting at samples[start] into out[o … o + bands). */
function frame(c: Config, samples: ArrayLike<number>, start: number, re: Float64Array, im: Float64Array, out: Float32Array, o: number): void {
  re.fill(0);
  im.fill(0);
  for (let n = 0; n < c.windowLength; n++) re[n] = samples[start + n] * c.window[n];
  c.fft.transform(re, im);
  const bins = c.fftSize / 2 + 1;
  for (let k = 0; k < bins; k++) re[k] = re[k] * re[k] + im[k] * im[k];
  for (let b = 0; b < c.bands; b++) {
    const f = c.filters[b];
    const [first, last] = c.spans[b];
    let e = 0;
    for (let k = first; k < last; k++) e += f[k] * re[k]; // the weights outside the span are 0
    out[o + b] = Math.log(Math.max(e, c.floor));
  }
}

/**
 * Log-mel features of a whole signal: a fresh Float32Array [frames, bands], row-major (frame
 * t's bands at t·bands … t·bands + bands − 1), with frames = {@link frameCount}(samples.length,
 * windowLength, hop) (0 for a signal shorter than one window: no padding). `samples` are mono
 * at `sampleRate` (16 kHz by default), e.g. from {@link decodeWav16k}. A NaN or infinite
 * sample is E_NONFINITE; bad options are E_RANGE / E_OPTION (see {@link LogMelOptions}).
 * @example
 * ```ts
 * // half a second of a 440 Hz tone at 16 kHz (from a file: decodeWav16k(await readFile('hello.wav')))
 * const samples = Float32Array.from({ length: 8000 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 16000));
 * const feats = logMel(samples, { normalize: 'utterance' }); // [frames, 40]
 * console.log(feats.length / 40); // 48 frames: 100 per second of audio
 * ```
 */
export function logMel(samples: Float32Array, opts: LogMelOptions = {}): Float32Array {
  const c = config(opts);
  for (let i = 0; i < samples.length; i++)
    if (!Number.isFinite(samples[i])) throw new RecurrentRangeError('E_NONFINITE', `logMel: sample ${i} is ${samples[i]}`);
  const frames = frameCount(samples.length, c.windowLength, c.hop);
  const out = new Float32Array(frames * c.bands);
  const re = new Float64Array(c.fftSize);
  const im = new Float64Array(c.fftSize);
  for (let t = 0; t < frames; t++) frame(c, samples, t * c.hop, re, im, out, t * c.bands);
  if (c.normalize === 'utterance') normalizeBands(out, c.bands);
  if (c.normalize === 'causal') return normalizeBandsCausal(out, c.bands, c.warmupFrames);
  return out;
}

/** A fresh [frames, bands]: the causal normalisation of x (see {@link CausalBandNormalizer}). */
export function normalizeBandsCausal(x: Float32Array, bands: number, warmupFrames = DEFAULT_WARMUP_FRAMES): Float32Array {
  const n = new CausalBandNormalizer(bands, warmupFrames);
  const head = n.push(x);
  const tail = n.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * Running per-band normalisation of log-mel frames as they arrive: frame t becomes
 * (x − mean) / std with the mean and std (floored at 1e-5) of frames 0 … max(t, W − 1). The
 * first W = warmupFrames frames are held until the W-th arrives (or `flush` ends a shorter
 * utterance: then all its frames' statistics, as {@link normalizeBands}).
 * @example
 * ```ts
 * const frames = logMel(Float32Array.from({ length: 16000 }, (_, i) => Math.sin(i / 5))); // [98, 40]
 * const norm = new CausalBandNormalizer(40, 20);
 * let out = 0;
 * for (let t = 0; t < frames.length; t += 400) out += norm.push(frames.subarray(t, t + 400)).length / 40; // 10 frames at a time
 * out += norm.flush().length / 40;
 * console.log(out); // 98: every frame, normalised by the statistics so far
 * ```
 */
export class CausalBandNormalizer {
  readonly #bands: number;
  readonly #warmup: number;
  readonly #sum: Float64Array;
  readonly #sq: Float64Array;
  #n = 0;
  #held: number[] = [];

  /**
   * @param bands mel bands per frame (the width of every frame pushed)
   * @param warmupFrames frames whose statistics are gathered before the first frame is released
   */
  constructor(bands: number, warmupFrames = DEFAULT_WARMUP_FRAMES) {
    this.#bands = posInt('CausalBandNormalizer bands', bands, 40);
    this.#warmup = posInt('CausalBandNormalizer warmupFrames', warmupFrames, DEFAULT_WARMUP_FRAMES);
    this.#sum = new Float64Array(this.#bands);
    this.#sq = new Float64Array(this.#bands);
  }

  /** Frames [n, bands] in; the frames now normalisable out ([m, bands], m ≤ n + held). */
  push(frames: Float32Array): Float32Array {
    const nb = this.#bands;
    if (frames.length % nb !== 0) throw rangeError(`CausalBandNormalizer: ${frames.length} values are not whole frames of ${nb} bands`);
    const out: number[] = [];
    for (let o = 0; o < frames.length; o += nb) {
      for (let b = 0; b < nb; b++) {
        const v = frames[o + b];
        this.#sum[b] += v;
        this.#sq[b] += v * v;
      }
      this.#n++;
      if (this.#n < this.#warmup) {
        for (let b = 0; b < nb; b++) this.#held.push(frames[o + b]);
        continue;
      }
      if (this.#held.length > 0) this.#emit(this.#held.splice(0), 0, out);
      this.#emit(frames, o, out, nb);
    }
    return Float32Array.from(out);
  }

  /** Ends the utterance: the held warm-up frames, normalised with the statistics of all frames seen. */
  flush(): Float32Array {
    const out: number[] = [];
    if (this.#held.length > 0) this.#emit(this.#held.splice(0), 0, out);
    return Float32Array.from(out);
  }

  /** Forgets the statistics and held frames (a new utterance). */
  reset(): void {
    this.#sum.fill(0);
    this.#sq.fill(0);
    this.#n = 0;
    this.#held = [];
  }

  /** Normalises x[o … o + len) (whole frames; len defaults to the rest) with the current statistics into out. */
  #emit(x: ArrayLike<number>, o: number, out: number[], len = x.length - o): void {
    const nb = this.#bands;
    const n = this.#n;
    for (let i = 0; i < len; i++) {
      const b = i % nb;
      const mean = this.#sum[b] / n;
      const std = Math.max(Math.sqrt(Math.max(this.#sq[b] / n - mean * mean, 0)), 1e-5);
      out.push((x[o + i] - mean) / std);
    }
  }
}

/** In place: each column of [frames, bands] to mean 0, standard deviation 1 (floored at 1e-5). */
export function normalizeBands(x: Float32Array, bands: number): void {
  const frames = x.length / bands;
  if (frames === 0) return;
  for (let b = 0; b < bands; b++) {
    let s = 0;
    for (let t = 0; t < frames; t++) s += x[t * bands + b];
    const mean = s / frames;
    let v = 0;
    for (let t = 0; t < frames; t++) v += (x[t * bands + b] - mean) ** 2;
    const std = Math.max(Math.sqrt(v / frames), 1e-5);
    for (let t = 0; t < frames; t++) x[t * bands + b] = (x[t * bands + b] - mean) / std;
  }
}

/** Streaming log-mel: push samples in chunks of any size; each push returns the frames it
 * completed ([n, bands]), exactly the frames logMel computes on the concatenated signal.
 * Per-utterance normalisation needs the whole utterance and is refused here; `normalize:
 * 'causal'` holds the first `warmupFrames` frames (call `flush` at the end of an utterance).
 * @example
 * ```ts
 * const stream = new LogMelStream(); // 16 kHz in, 40 bands out
 * const tone = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 16000));
 * let frames = 0;
 * for (let i = 0; i < tone.length; i += 1600) frames += stream.push(tone.subarray(i, i + 1600)).length / 40; // chunks as they arrive
 * console.log(frames === logMel(tone).length / 40); // true: the same frames as the whole signal
 * ```
 */
export class LogMelStream {
  /** Mel bands per frame (the `bands` option): each push returns a multiple of this many values. */
  readonly bands: number;
  readonly #c: Config;
  #buf: Float64Array;
  #len = 0;
  readonly #re: Float64Array;
  readonly #im: Float64Array;
  readonly #norm: CausalBandNormalizer | undefined;

  /** Checks the options as {@link logMel} does; `normalize: 'utterance'` is E_OPTION here. */
  constructor(opts: LogMelOptions = {}) {
    this.#c = config(opts);
    if (this.#c.normalize === 'utterance') throw optionError("LogMelStream cannot normalize per utterance (normalize must be 'none' or 'causal')");
    this.#norm = this.#c.normalize === 'causal' ? new CausalBandNormalizer(this.#c.bands, this.#c.warmupFrames) : undefined;
    this.bands = this.#c.bands;
    this.#buf = new Float64Array(Math.max(this.#c.windowLength, this.#c.hop) * 4);
    this.#re = new Float64Array(this.#c.fftSize);
    this.#im = new Float64Array(this.#c.fftSize);
  }

  /** Appends samples; returns the newly completed frames [n, bands]. */
  push(chunk: Float32Array): Float32Array {
    const c = this.#c;
    for (let i = 0; i < chunk.length; i++)
      if (!Number.isFinite(chunk[i])) throw new RecurrentRangeError('E_NONFINITE', `LogMelStream: sample ${i} of the chunk is ${chunk[i]}`);
    if (this.#len + chunk.length > this.#buf.length) {
      const bigger = new Float64Array(Math.max(this.#buf.length * 2, this.#len + chunk.length));
      bigger.set(this.#buf.subarray(0, this.#len));
      this.#buf = bigger;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
    const n = frameCount(this.#len, c.windowLength, c.hop);
    const out = new Float32Array(n * c.bands);
    for (let t = 0; t < n; t++) frame(c, this.#buf, t * c.hop, this.#re, this.#im, out, t * c.bands);
    // Keep what the next frame needs: everything from the start of frame n.
    const keep = Math.min(n * c.hop, this.#len);
    this.#buf.copyWithin(0, keep, this.#len);
    this.#len -= keep;
    return this.#norm ? this.#norm.push(out) : out;
  }

  /** Ends the utterance: frames still held by causal normalisation (none otherwise). */
  flush(): Float32Array {
    return this.#norm ? this.#norm.flush() : new Float32Array(0);
  }

  /** Forgets buffered samples and normalisation statistics (a new utterance). */
  reset(): void {
    this.#len = 0;
    this.#norm?.reset();
  }
}
