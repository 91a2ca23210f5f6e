// Seeded augmentation (ts/audio/augment.ts): the mix's SNR is the one asked for, a random gain
// lies in its dB range and is the same per seed, SpecAugment masks have widths within their
// bounds, touch only their cells and are the same per seed.
import { describe, expect, it } from 'vitest';
import { addNoise, randomGain, specAugment, whiteNoise } from '../dist/audio/augment.js';
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
});
