// Seeded augmentation (ts/audio/augment.ts, ts/tasks/augment-speech.ts): the mix's SNR is the
// one asked for, a random gain lies in its dB range and is the same per seed, SpecAugment masks
// have widths within their bounds, touch only their cells and are the same per seed; speed
// changes length and frequency together, tempo only the length, pitch only the frequency; pink
// noise has equal power per octave; babble is the chosen utterances summed; the filters
// attenuate what they say; a synthetic impulse response decays at its rt60; the chain is the
// same per seed, each step can be turned off, and the `clean` share of utterances gets none.
import { describe, expect, it } from 'vitest';
import {
  addNoise,
  applyBiquad,
  babbleNoise,
  biquad,
  convolve,
  pinkNoise,
  pitchShift,
  randomFilter,
  randomGain,
  reverberate,
  specAugment,
  speedPerturb,
  syntheticImpulseResponse,
  timeStretch,
  whiteNoise,
} from '../dist/audio/augment.js';
import { Fft } from '../dist/audio/fft.js';
import { augmentSpeech, resolveAugment, specAugmentOf } from '../dist/tasks/augment-speech.js';
import { expectError, randomArray } from './helpers.js';

const power = (x: ArrayLike<number>) => Array.from(x).reduce((a, v) => a + v * v, 0) / x.length;

describe('audio augmentation', () => {
  it('addNoise mixes at exactly the SNR asked for (white noise, and a shorter noise repeated)', () => {
    const signal = Float32Array.from({ length: 8000 }, (_, i) => 0.3 * Math.sin(i / 7) * (1 + Math.sin(i / 900)));
    for (const snr of [-5, 0, 10, 30]) {
      for (const noise of [whiteNoise(8000, 4), randomArray(1234, 8)]) {
        const mixed = addNoise(signal, noise, snr);
        const added = mixed.map((v, i) => v - signal[i]);
        expect(10 * Math.log10(power(signal) / power(added))).toBeCloseTo(snr, 2);
      }
    }
    // white noise: mean 0, variance 1, the same per seed
    const w = whiteNoise(20000, 1);
    expect(Math.abs(w.reduce((a, v) => a + v, 0) / w.length)).toBeLessThan(0.03);
    expect(power(w)).toBeCloseTo(1, 1);
    expect(whiteNoise(101, 5)).toEqual(whiteNoise(101, 5));
    expect(whiteNoise(101, 5)).not.toEqual(whiteNoise(101, 6));
    expectError(() => addNoise(signal, new Float32Array(10), 10), RangeError, 'E_RANGE', /noise is silent/);
    expectError(() => addNoise(signal, new Float32Array(0), 10), RangeError, 'E_RANGE', /noise is empty/);
    expectError(() => addNoise(Float32Array.of(Number.NaN), w, 10), RangeError, 'E_NONFINITE', /sample 0 is NaN/);
  });

  it('randomGain draws a gain in [minDb, maxDb], the same per seed', () => {
    const x = randomArray(500, 2);
    const seen = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const { signal, gainDb } = randomGain(x, seed, -20, 6);
      expect(gainDb).toBeGreaterThanOrEqual(-20);
      expect(gainDb).toBeLessThanOrEqual(6);
      expect(signal[3] / x[3]).toBeCloseTo(10 ** (gainDb / 20), 5);
      expect(randomGain(x, seed, -20, 6).gainDb).toBe(gainDb);
      seen.add(Math.round(gainDb));
    }
    expect(seen.size).toBeGreaterThan(10);
    expectError(() => randomGain(x, 1, 0, -3), RangeError, 'E_RANGE', /maxDb/);
  });

  it('specAugment masks bands and frames within the width bounds, nothing else, the same per seed', () => {
    const bands = 40;
    const frames = 120;
    const x = Float32Array.from({ length: frames * bands }, (_, i) => 1 + (i % 97));
    for (let seed = 0; seed < 30; seed++) {
      const { features, masks } = specAugment(x, bands, seed, { freqMasks: 2, freqWidth: 8, timeMasks: 3, timeWidth: 25, value: 0 });
      expect(masks.filter((m) => m.axis === 'freq').length).toBe(2);
      expect(masks.filter((m) => m.axis === 'time').length).toBe(3);
      const masked = (t: number, b: number) =>
        masks.some((m) => (m.axis === 'freq' ? b >= m.start && b < m.start + m.width : t >= m.start && t < m.start + m.width));
      for (const m of masks) {
        expect(m.width).toBeGreaterThanOrEqual(0);
        expect(m.width).toBeLessThanOrEqual(m.axis === 'freq' ? 8 : 25);
        expect(m.start + m.width).toBeLessThanOrEqual(m.axis === 'freq' ? bands : frames);
      }
      for (let t = 0; t < frames; t++) for (let b = 0; b < bands; b++) expect(features[t * bands + b]).toBe(masked(t, b) ? 0 : x[t * bands + b]);
      expect(specAugment(x, bands, seed, { freqMasks: 2, freqWidth: 8, timeMasks: 3, timeWidth: 25 })).toEqual({ features, masks });
    }
    expect(specAugment(x, bands, 1).masks).not.toEqual(specAugment(x, bands, 2).masks);
    // a time mask never exceeds the utterance
    for (const m of specAugment(x.subarray(0, 5 * bands), bands, 3, { timeWidth: 100 }).masks)
      if (m.axis === 'time') expect(m.start + m.width).toBeLessThanOrEqual(5);
    expectError(() => specAugment(x, bands, 1, { freqWidth: 41 }), RangeError, 'E_RANGE', /freqWidth must be an integer in \[0, 40\]/);
    expectError(() => specAugment(x.subarray(0, 41), bands, 1), RangeError, 'E_RANGE', /whole frames of 40 bands/);
  });

  const SR = 16000;
  const sine = (hz: number, n: number, a = 0.5) => Float32Array.from({ length: n }, (_, i) => a * Math.sin((2 * Math.PI * hz * i) / SR));
  // frequency of a (near) pure tone from its zero crossings, away from the edges
  const freq = (x: Float32Array) => {
    const y = x.subarray(1000, x.length - 1000);
    let c = 0;
    for (let i = 1; i < y.length; i++) if (y[i - 1] < 0 !== y[i] < 0) c++;
    return c / 2 / (y.length / SR);
  };
  const db = (y: Float32Array, x: Float32Array) => 10 * Math.log10(power(y.subarray(4000)) / power(x.subarray(4000)));

  it('speedPerturb shortens by the factor and raises the frequency by it; timeStretch keeps the frequency; pitchShift keeps the length', () => {
    const x = sine(500, 32000);
    const s = speedPerturb(x, 1.1);
    expect(s.factor).toBe(1.1);
    expect(Math.abs(s.signal.length - 32000 / 1.1)).toBeLessThanOrEqual(1);
    expect(freq(s.signal)).toBeCloseTo(550, -1);
    expect(speedPerturb(x, 0.934).factor).toBe(0.93);
    for (const rate of [0.8, 1.25]) {
      const t = timeStretch(x, rate);
      expect(t.length).toBe(Math.round(32000 / rate));
      expect(Math.abs(freq(t) - 500)).toBeLessThan(5);
      // WSOLA keeps the level (no dips where frames overlap)
      expect(db(t, x)).toBeCloseTo(0, 0);
    }
    for (const st of [-3, 2]) {
      const p = pitchShift(x, st);
      expect(p.length).toBe(32000);
      expect(Math.abs(freq(p) / (500 * 2 ** (st / 12)) - 1)).toBeLessThan(0.01);
    }
    expectError(() => speedPerturb(x, 3), RangeError, 'E_RANGE', /factor/);
    expectError(() => timeStretch(x, 0.1), RangeError, 'E_RANGE', /rate/);
    expectError(() => pitchShift(x, 13), RangeError, 'E_RANGE', /semitones/);
  });

  it('pink noise has about equal power per octave (white noise doubles per octave), std 1, the same per seed', () => {
    const n = 1 << 15;
    const octaves = (x: Float32Array) => {
      const re = Float64Array.from(x);
      const im = new Float64Array(n);
      new Fft(n).transform(re, im);
      const band = (lo: number, hi: number) => {
        let p = 0;
        for (let k = Math.round((lo * n) / SR); k < Math.round((hi * n) / SR); k++) p += re[k] ** 2 + im[k] ** 2;
        return p;
      };
      return [band(250, 500), band(500, 1000), band(1000, 2000), band(2000, 4000)];
    };
    const pink = octaves(pinkNoise(n, 3));
    for (let i = 1; i < 4; i++) expect(Math.abs(10 * Math.log10(pink[i] / pink[0]))).toBeLessThan(1.5);
    const white = octaves(whiteNoise(n, 3));
    expect(10 * Math.log10(white[3] / white[0])).toBeCloseTo(9, 0);
    expect(power(pinkNoise(n, 3))).toBeCloseTo(1, 5);
    expect(pinkNoise(99, 4)).toEqual(pinkNoise(99, 4));
  });

  it('babble is the chosen utterances at power 1, each from its start, summed', () => {
    const sources = [sine(200, 3000, 0.2), new Float32Array(50), sine(700, 5000, 0.9)];
    const { noise, parts } = babbleNoise(sources, 4000, 7, 3);
    expect(parts.length).toBe(3);
    // the silent source is never used
    for (const p of parts) expect(p.source).not.toBe(1);
    const expected = new Float32Array(4000);
    for (const { source, start } of parts) {
      const s = sources[source];
      const k = 1 / Math.sqrt(power(s));
      for (let i = 0; i < 4000; i++) expected[i] += k * s[(start + i) % s.length];
    }
    for (let i = 0; i < 4000; i += 37) expect(noise[i]).toBeCloseTo(expected[i], 5);
    expect(babbleNoise(sources, 4000, 7, 3)).toEqual({ noise, parts });
    expectError(() => babbleNoise([new Float32Array(10)], 100, 1), RangeError, 'E_RANGE', /no non-silent source/);
  });

  it('the filters: a low-pass passes below and cuts above, a high-pass the reverse, a peak EQ adds its gain at its frequency', () => {
    const lp = biquad('lowpass', 1000);
    expect(db(applyBiquad(sine(200, 16000), lp), sine(200, 16000))).toBeCloseTo(0, 0);
    expect(db(applyBiquad(sine(1000, 16000), lp), sine(1000, 16000))).toBeCloseTo(-3, 0);
    expect(db(applyBiquad(sine(4000, 16000), lp), sine(4000, 16000))).toBeLessThan(-24);
    const hp = biquad('highpass', 1000);
    expect(db(applyBiquad(sine(200, 16000), hp), sine(200, 16000))).toBeLessThan(-24);
    expect(db(applyBiquad(sine(4000, 16000), hp), sine(4000, 16000))).toBeCloseTo(0, 0);
    for (const g of [-9, 12]) expect(db(applyBiquad(sine(1000, 16000), biquad('peak', 1000, 16000, g)), sine(1000, 16000))).toBeCloseTo(g, 1);
    // a random filter is one of the three in its ranges, the same per seed
    const kinds = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const { filter } = randomFilter(sine(300, 2000), seed);
      kinds.add(filter.type);
      if (filter.type === 'lowpass') expect(filter.hz).toBeGreaterThanOrEqual(1500);
      if (filter.type === 'highpass') expect(filter.hz).toBeLessThanOrEqual(600);
      if (filter.type === 'peak') expect(Math.abs(filter.gainDb)).toBeLessThanOrEqual(12);
      expect(randomFilter(sine(300, 2000), seed).filter).toEqual(filter);
    }
    expect(kinds.size).toBe(3);
  });

  it('reverberation: the impulse response decays 60 dB in rt60 (Schroeder), convolution is exact, the power is kept', () => {
    for (const rt60 of [0.2, 0.5]) {
      const ir = syntheticImpulseResponse(rt60, 5);
      expect(ir[0]).toBe(1);
      // Schroeder backward integration of the reverberant tail; the slope from -5 to -25 dB, times 3
      const tail = ir.slice(1);
      const e = Float64Array.from(tail, (v) => v * v);
      for (let i = e.length - 2; i >= 0; i--) e[i] += e[i + 1];
      const level = (i: number) => 10 * Math.log10(e[i] / e[0]);
      let i5 = 0;
      while (level(i5) > -5) i5++;
      let i25 = i5;
      while (level(i25) > -25) i25++;
      expect(((i25 - i5) / SR) * 3).toBeCloseTo(rt60, 1);
    }
    const x = randomArray(300, 11);
    const h = randomArray(40, 12);
    const direct = Float32Array.from({ length: 300 }, (_, n) => {
      let s = 0;
      for (let k = 0; k <= Math.min(n, 39); k++) s += h[k] * x[n - k];
      return s;
    });
    const fast = convolve(x, h);
    for (let i = 0; i < 300; i++) expect(fast[i]).toBeCloseTo(direct[i], 4);
    const identity = convolve(x, Float32Array.of(1));
    for (let i = 0; i < 300; i++) expect(identity[i]).toBeCloseTo(x[i], 5);
    const r = reverberate(sine(300, 16000), 0.4, 2);
    expect(power(r)).toBeCloseTo(power(sine(300, 16000)), 5);
  });

  it('augmentSpeech: the same per seed; each step does what its record says; steps turned off stay off', () => {
    const x = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin(i / 9) * (1 + Math.sin(i / 700)));
    const others = [sine(250, 8000), sine(900, 6000)];
    const seen = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const a = augmentSpeech(x, seed, {}, others);
      expect(augmentSpeech(x, seed, {}, others)).toEqual(a);
      for (const k of Object.keys(a.applied)) seen.add(k);
      if (a.applied.speed)
        expect(Math.abs(a.signal.length - Math.round(16000 / a.applied.speed) * (a.applied.tempo ? 1 / a.applied.tempo : 1))).toBeLessThan(3);
    }
    expect([...seen].sort()).toEqual(['filter', 'gainDb', 'noise', 'pitch', 'reverb', 'speed', 'tempo']);
    // only noise, always: the SNR of the mix is the one drawn
    for (let seed = 0; seed < 6; seed++) {
      const a = augmentSpeech(x, seed, { speed: false, tempo: false, pitch: false, filter: false, reverb: false, gain: false, noise: { prob: 1 } }, others);
      expect(Object.keys(a.applied)).toEqual(['noise']);
      const added = a.signal.map((v, i) => v - x[i]);
      expect(10 * Math.log10(power(x) / power(added))).toBeCloseTo(a.applied.noise!.snrDb, 2);
      expect(a.applied.noise!.snrDb).toBeGreaterThanOrEqual(5);
      expect(a.applied.noise!.snrDb).toBeLessThanOrEqual(30);
    }
    // only gain: the signal times 10^(dB/20)
    const g = augmentSpeech(x, 3, {
      speed: false,
      tempo: false,
      pitch: false,
      filter: false,
      reverb: false,
      noise: false,
      gain: { prob: 1, minDb: -20, maxDb: -20 },
    });
    expect(g.applied).toEqual({ gainDb: -20 });
    expect(g.signal[100]).toBeCloseTo(x[100] * 0.1, 6);
    // everything off: the input unchanged
    const off = { speed: false, tempo: false, pitch: false, filter: false, reverb: false, noise: false, gain: false, specAugment: false } as const;
    expect(augmentSpeech(x, 1, off)).toEqual({ signal: x, applied: {} });
    expect(specAugmentOf(1, off)).toBeUndefined();
    expect(specAugmentOf(1, { specAugment: { prob: 1, freqMasks: 1 } })).toMatchObject({ freqMasks: 1, timeMasks: 2 });
    // turning one step off leaves the others' draws unchanged
    const all = augmentSpeech(x, 5, { speed: { prob: 1 }, gain: { prob: 1 } }, others).applied;
    const noSpeed = augmentSpeech(x, 5, { speed: false, gain: { prob: 1 } }, others).applied;
    expect(noSpeed.gainDb).toBe(all.gainDb);
    // clean: that share of the utterances gets nothing (no step, no SpecAugment); the others the same draws as without it
    let kept = 0;
    for (let seed = 0; seed < 300; seed++) {
      const o = { speed: { prob: 1 }, gain: { prob: 1 }, specAugment: { prob: 1 } };
      const c = augmentSpeech(x, seed, { ...o, clean: 0.3 }, others);
      if (Object.keys(c.applied).length === 0) {
        kept++;
        expect(c.signal).toBe(x);
        expect(specAugmentOf(seed, { ...o, clean: 0.3 })).toBeUndefined();
      } else {
        expect(c).toEqual(augmentSpeech(x, seed, o, others));
        expect(specAugmentOf(seed, { ...o, clean: 0.3 })).toEqual(specAugmentOf(seed, o));
      }
    }
    expect(kept / 300).toBeGreaterThan(0.22);
    expect(kept / 300).toBeLessThan(0.38);
    expect(augmentSpeech(x, 4, { clean: 1 }, others)).toEqual({ signal: x, applied: {} });
    expectError(() => resolveAugment({ clean: 1.5 }), RangeError, 'E_RANGE', /augment.clean/);
    expectError(() => resolveAugment({ speed: { prob: 2 } }), RangeError, 'E_RANGE', /augment.speed.prob/);
    expectError(() => resolveAugment({ sped: {} } as never), TypeError, 'E_OPTION', /sped/);
    expectError(() => resolveAugment({ noise: { types: ['brown'] as never } }), TypeError, 'E_OPTION', /noise.types/);
  });
});
