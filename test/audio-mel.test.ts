// Log-mel features against an independent computation written out here from the
// definitions (Hamming window, naive 512-point DFT, HTK-mel triangles, natural log), the
// frame count 1 + floor((N − 400) / 160), a 1 kHz tone landing in the band around 1 kHz,
// streaming in arbitrary chunks == the whole signal, and the radix-2 FFT against a naive DFT.
import { describe, expect, it } from 'vitest';
import { Fft } from '../dist/audio/fft.js';
import { CausalBandNormalizer, frameCount, LogMelStream, logMel } from '../dist/audio/mel.js';
import { expectError, randomArray } from './helpers.js';

const SR = 16000;
const sine = (n: number, hz: number, amp: number) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / SR));
const mel = (f: number) => 2595 * Math.log10(1 + f / 700);

/** One frame's 40 log-mel values, computed naively from the definitions. */
function naiveFrame(x: Float32Array, start: number): number[] {
  const N = 400;
  const K = 512;
  const xs = Array.from({ length: N }, (_, n) => x[start + n] * (0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (N - 1))));
  const power = Array.from({ length: K / 2 + 1 }, (_, k) => {
    let re = 0;
    let im = 0;
    for (let n = 0; n < N; n++) {
      re += xs[n] * Math.cos((2 * Math.PI * k * n) / K);
      im -= xs[n] * Math.sin((2 * Math.PI * k * n) / K);
    }
    return re * re + im * im;
  });
  const top = mel(8000);
  const edge = (i: number) => (top * i) / 41;
  return Array.from({ length: 40 }, (_, b) => {
    let e = 0;
    for (let k = 0; k <= K / 2; k++) {
      const m = mel((k * SR) / K);
      const w =
        m <= edge(b) || m >= edge(b + 2) ? 0 : m <= edge(b + 1) ? (m - edge(b)) / (edge(b + 1) - edge(b)) : (edge(b + 2) - m) / (edge(b + 2) - edge(b + 1));
      e += w * power[k];
    }
    return Math.log(Math.max(e, 1e-10));
  });
}

describe('log-mel filterbank', () => {
  it('counts frames as 1 + floor((N − 400) / 160), none below 400 samples', () => {
    for (const n of [0, 399, 400, 559, 560, 16000, 16001, 12345]) {
      const expected = n < 400 ? 0 : 1 + Math.floor((n - 400) / 160);
      expect(frameCount(n)).toBe(expected);
      expect(logMel(new Float32Array(n)).length).toBe(expected * 40);
    }
    expect(frameCount(16000)).toBe(98);
  });

  it('puts a 1 kHz tone in the band whose centre is nearest 1 kHz (band 13), in every frame', () => {
    // band b peaks at mel (b + 1) · mel(8000) / 41 = (b + 1) · 69.27; mel(1000) = 999.99 → b + 1 = 14
    const centres = Array.from({ length: 40 }, (_, b) => ((b + 1) * mel(8000)) / 41);
    const nearest = centres.reduce((best, c, b) => (Math.abs(c - mel(1000)) < Math.abs(centres[best] - mel(1000)) ? b : best), 0);
    expect(nearest).toBe(13);
    const f = logMel(sine(8000, 1000, 0.5));
    const frames = f.length / 40;
    expect(frames).toBe(48);
    for (let t = 0; t < frames; t++) {
      const row = Array.from(f.subarray(t * 40, t * 40 + 40));
      expect(row.indexOf(Math.max(...row))).toBe(13);
      // far bands get only the window's leakage: at least 8 nats (≈ 35 dB) lower
      expect(row[13] - row[30]).toBeGreaterThan(8);
    }
  });

  it('matches the naive computation of whole frames within 1e-4', () => {
    const tone = sine(1200, 1000, 0.5);
    const noise = randomArray(1200, 7);
    const x = tone.map((v, i) => v + 0.05 * noise[i]); // energy in every band
    const f = logMel(x);
    expect(f.length / 40).toBe(6);
    for (const t of [0, 3, 5]) {
      const naive = naiveFrame(x, t * 160);
      for (let b = 0; b < 40; b++) expect(Math.abs(f[t * 40 + b] - naive[b])).toBeLessThan(1e-4);
    }
    // silence hits the floor: ln(1e-10)
    const z = logMel(new Float32Array(400));
    for (const v of z) expect(v).toBeCloseTo(Math.log(1e-10), 5);
  });

  it('normalises each band to mean 0 and standard deviation 1 per utterance when asked', () => {
    const x = randomArray(4000, 3).map((v, i) => v * (1 + Math.sin(i / 300)));
    const f = logMel(x, { normalize: 'utterance' });
    const frames = f.length / 40;
    for (const b of [0, 17, 39]) {
      let s = 0;
      let q = 0;
      for (let t = 0; t < frames; t++) s += f[t * 40 + b];
      for (let t = 0; t < frames; t++) q += (f[t * 40 + b] - s / frames) ** 2;
      expect(Math.abs(s / frames)).toBeLessThan(1e-5);
      expect(Math.sqrt(q / frames)).toBeCloseTo(1, 4);
    }
  });

  it('normalises causally: frame t with the mean and std of frames 0 … max(t, W − 1), the same streamed in chunks', () => {
    const x = randomArray(6000, 5).map((v, i) => v * (1 + Math.sin(i / 500)));
    const raw = logMel(x);
    const W = 10;
    const causal = logMel(x, { normalize: 'causal', warmupFrames: W });
    const frames = raw.length / 40;
    expect(causal.length).toBe(raw.length);
    for (const t of [0, 4, 9, 10, 20, frames - 1]) {
      const upto = Math.max(t, W - 1);
      for (const b of [0, 21, 39]) {
        let s = 0;
        let q = 0;
        for (let u = 0; u <= upto; u++) s += raw[u * 40 + b];
        const mean = s / (upto + 1);
        for (let u = 0; u <= upto; u++) q += (raw[u * 40 + b] - mean) ** 2;
        const std = Math.sqrt(q / (upto + 1));
        expect(causal[t * 40 + b]).toBeCloseTo((raw[t * 40 + b] - mean) / std, 4);
      }
    }
    // streamed in chunks (the warm-up frames come out when the W-th frame is complete)
    for (const size of [1, 333, 6000]) {
      const s = new LogMelStream({ normalize: 'causal', warmupFrames: W });
      const parts: number[] = [];
      for (let i = 0; i < x.length; i += size) {
        const out = s.push(x.subarray(i, i + size));
        if (i + size < 400 + (W - 1) * 160) expect(out.length).toBe(0);
        parts.push(...out);
      }
      parts.push(...s.flush());
      expect(Float32Array.from(parts)).toEqual(causal);
    }
    // an utterance shorter than the warm-up: flush gives exactly the per-utterance features
    const short = x.subarray(0, 400 + 7 * 160);
    const s = new LogMelStream({ normalize: 'causal', warmupFrames: W });
    expect(s.push(short).length).toBe(0);
    const flushed = s.flush();
    const utt = logMel(short, { normalize: 'utterance' });
    expect(flushed.length).toBe(8 * 40);
    for (let i = 0; i < utt.length; i++) expect(flushed[i]).toBeCloseTo(utt[i], 4);
    expect(logMel(short, { normalize: 'causal', warmupFrames: W })).toEqual(flushed);
    expectError(() => new CausalBandNormalizer(40, 5).push(new Float32Array(41)), RangeError, 'E_RANGE', /whole frames of 40 bands/);
    expectError(() => logMel(x, { normalize: 'causal', warmupFrames: 0 }), RangeError, 'E_RANGE', /warmupFrames/);
  });

  it('per-utterance and causal features are the same at gain 0.1 and gain 1 (no band at the floor)', () => {
    const noise = randomArray(12000, 9);
    // a chirp with a slow envelope over a faint noise floor (a microphone never gives digital zeros)
    const x = Float32Array.from(noise, (v, i) => 0.3 * Math.sin((2 * Math.PI * (300 + i / 20) * i) / SR) * (1 + Math.sin(i / 900)) + 1e-3 * v);
    const quiet = x.map((v) => 0.1 * v);
    for (const normalize of ['utterance', 'causal'] as const) {
      const a = logMel(x, { normalize });
      const b = logMel(quiet, { normalize });
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst).toBeLessThan(1e-3);
    }
    // without normalisation every band moves by 2·ln 0.1 = −4.61
    const a = logMel(x);
    const b = logMel(quiet);
    for (const i of [0, 77, a.length - 1]) expect(b[i] - a[i]).toBeCloseTo(2 * Math.log(0.1), 3);
  });

  it('streams: chunks of any size give exactly the frames of the whole signal', () => {
    const x = randomArray(7777, 11);
    const whole = logMel(x);
    for (const sizes of [[1], [7, 160, 399], [400], [1000, 1], [7777]]) {
      const s = new LogMelStream();
      const parts: number[] = [];
      let i = 0;
      let k = 0;
      while (i < x.length) {
        const n = sizes[k++ % sizes.length];
        const out = s.push(x.subarray(i, i + n));
        expect(out.length % 40).toBe(0);
        parts.push(...out);
        i += n;
      }
      expect(Float32Array.from(parts)).toEqual(whole);
    }
    const s = new LogMelStream();
    expect(s.push(x.subarray(0, 399)).length).toBe(0);
    expect(s.push(x.subarray(399, 400)).length).toBe(40);
    s.reset();
    expect(s.push(x.subarray(0, 400))).toEqual(whole.subarray(0, 40));
  });

  it('rejects bad input and options with typed errors', () => {
    expectError(() => logMel(Float32Array.of(...new Array(400).fill(0), Number.NaN)), RangeError, 'E_NONFINITE', /sample 400 is NaN/);
    expectError(() => new LogMelStream().push(Float32Array.of(Number.POSITIVE_INFINITY)), RangeError, 'E_NONFINITE', /sample 0/);
    expectError(() => logMel(new Float32Array(400), { bins: 40 } as never), TypeError, 'E_OPTION', /logMel.bins/);
    expectError(() => logMel(new Float32Array(400), { fftSize: 256 }), RangeError, 'E_RANGE', /fftSize must be a power of two ≥ windowLength 400/);
    expectError(
      () => logMel(new Float32Array(400), { normalize: 'global' as never }),
      TypeError,
      'E_OPTION',
      /normalize 'global' is not one of none, utterance, causal/,
    );
    expectError(() => new LogMelStream({ normalize: 'utterance' }), TypeError, 'E_OPTION', /cannot normalize per utterance/);
    expectError(() => logMel(new Float32Array(400), { bands: 0 }), RangeError, 'E_RANGE', /bands/);
  });
});

describe('radix-2 FFT', () => {
  it('matches a naive DFT on random complex input (sizes 2 … 512)', () => {
    for (const n of [2, 4, 16, 512]) {
      const re0 = Array.from(randomArray(n, n));
      const im0 = Array.from(randomArray(n, n + 1));
      const re = Float64Array.from(re0);
      const im = Float64Array.from(im0);
      new Fft(n).transform(re, im);
      for (const k of [0, 1, n / 2, n - 1]) {
        let r = 0;
        let i = 0;
        for (let t = 0; t < n; t++) {
          const a = (-2 * Math.PI * k * t) / n;
          r += re0[t] * Math.cos(a) - im0[t] * Math.sin(a);
          i += re0[t] * Math.sin(a) + im0[t] * Math.cos(a);
        }
        expect(Math.abs(re[k] - r)).toBeLessThan(1e-9);
        expect(Math.abs(im[k] - i)).toBeLessThan(1e-9);
      }
    }
    expectError(() => new Fft(500), RangeError, 'E_RANGE', /power of two/);
    expectError(() => new Fft(8).transform(new Float64Array(8), new Float64Array(4)), RangeError, 'E_SHAPE', /size 8/);
  });
});
