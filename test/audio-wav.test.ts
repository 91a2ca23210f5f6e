// WAV reading (PCM 8/16/24/32-bit, float 32/64, extensible, channel mean), the windowed-sinc
// resampler to 16 kHz (a resampled sine keeps its frequency and amplitude within 1%), and
// E_FORMAT errors naming what is wrong with files that are not such WAVs.
import { describe, expect, it } from 'vitest';
import { resample } from '../dist/audio/resample.js';
import { decodeWav, decodeWav16k, encodeWav } from '../dist/audio/wav.js';
import { expectError } from './helpers.js';

const sine = (n: number, rate: number, hz: number, amp: number) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));

/** A WAV file built byte by byte: fmt fields, then the data chunk (size may lie). */
function wavBytes(f: {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  data: Uint8Array;
  dataSize?: number;
  extensibleSub?: number;
}): Uint8Array {
  const ext = f.extensibleSub !== undefined;
  const fmtSize = ext ? 40 : 16;
  const channels = f.channels ?? 1;
  const bits = f.bits ?? 16;
  const out = new Uint8Array(12 + 8 + fmtSize + 8 + f.data.length);
  const dv = new DataView(out.buffer);
  const put = (o: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[o + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  dv.setUint32(4, out.length - 8, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  dv.setUint32(16, fmtSize, true);
  dv.setUint16(20, ext ? 0xfffe : (f.tag ?? 1), true);
  dv.setUint16(22, channels, true);
  dv.setUint32(24, f.rate ?? 16000, true);
  dv.setUint16(32, f.blockAlign ?? (channels * bits) / 8, true);
  dv.setUint16(34, bits, true);
  if (f.extensibleSub !== undefined) dv.setUint16(20 + 24, f.extensibleSub, true);
  const d = 20 + fmtSize;
  put(d, 'data');
  dv.setUint32(d + 4, f.dataSize ?? f.data.length, true);
  out.set(f.data, d + 8);
  return out;
}

/** Frequency from linearly interpolated upward zero crossings, and amplitude by projection. */
function measure(y: Float32Array, rate: number, hz: number, from: number, to: number) {
  const ups: number[] = [];
  for (let i = from; i < to - 1; i++) if (y[i] <= 0 && y[i + 1] > 0) ups.push(i + y[i] / (y[i] - y[i + 1]));
  const freq = ((ups.length - 1) * rate) / (ups[ups.length - 1] - ups[0]);
  let s = 0;
  let c = 0;
  for (let i = from; i < to; i++) {
    s += y[i] * Math.sin((2 * Math.PI * hz * i) / rate);
    c += y[i] * Math.cos((2 * Math.PI * hz * i) / rate);
  }
  return { freq, amp: (2 / (to - from)) * Math.hypot(s, c) };
}

describe('decodeWav', () => {
  it('reads 16-bit PCM mono to [-1, 1] within half a quantisation step', () => {
    const x = sine(1000, 16000, 440, 0.8);
    const w = decodeWav(encodeWav(x, 16000));
    expect([w.sampleRate, w.channels, w.bitsPerSample, w.encoding]).toEqual([16000, 1, 16, 'pcm']);
    expect(w.samples.length).toBe(1000);
    for (let i = 0; i < x.length; i++) expect(Math.abs(w.samples[i] - x[i])).toBeLessThanOrEqual(0.5 / 32768 + 1e-9);
  });

  it('reads float32 stereo as the exact mean of the channels', () => {
    const l = sine(500, 44100, 300, 0.5);
    const r = sine(500, 44100, 700, -0.25);
    const w = decodeWav(encodeWav([l, r], 44100, { encoding: 'float32' }));
    expect([w.channels, w.encoding, w.bitsPerSample]).toEqual([2, 'float', 32]);
    for (let i = 0; i < 500; i++) expect(w.samples[i]).toBe(Math.fround((l[i] + r[i]) / 2));
  });

  it('reads 8-bit unsigned, 24-bit and 32-bit PCM, 64-bit float and WAVE_FORMAT_EXTENSIBLE', () => {
    expect(Array.from(decodeWav(wavBytes({ bits: 8, data: Uint8Array.of(0, 128, 255, 64) })).samples)).toEqual([-1, 0, 127 / 128, -0.5]);
    // 24-bit little-endian: 0x400000 = 0.5, 0xC00000 = −0.5, 0x7FFFFF = (2^23 − 1) / 2^23
    const s24 = decodeWav(wavBytes({ bits: 24, data: Uint8Array.of(0, 0, 0x40, 0, 0, 0xc0, 0xff, 0xff, 0x7f) })).samples;
    expect(Array.from(s24)).toEqual([0.5, -0.5, Math.fround(8388607 / 8388608)]);
    const i32 = new Int32Array([-(2 ** 31), 2 ** 30]);
    expect(Array.from(decodeWav(wavBytes({ bits: 32, data: new Uint8Array(i32.buffer) })).samples)).toEqual([-1, 0.5]);
    const f64 = new Float64Array([0.25, -0.75]);
    expect(Array.from(decodeWav(wavBytes({ tag: 3, bits: 64, data: new Uint8Array(f64.buffer) })).samples)).toEqual([0.25, -0.75]);
    const i16 = new Int16Array([16384, -16384, 8192, 0]); // two stereo frames
    expect(Array.from(decodeWav(wavBytes({ extensibleSub: 1, channels: 2, data: new Uint8Array(i16.buffer) })).samples)).toEqual([0, 0.125]);
  });

  it('skips unknown chunks and reads a streaming writer’s unknown-length data chunk to the end', () => {
    const base = encodeWav(sine(64, 16000, 1000, 0.5), 16000);
    const list = Uint8Array.of(0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 1, 2, 3, 0); // "LIST", 3 bytes + pad
    const withList = new Uint8Array(base.length + list.length);
    withList.set(base.subarray(0, 36));
    withList.set(list, 36);
    withList.set(base.subarray(36), 36 + list.length);
    expect(decodeWav(withList).samples).toEqual(decodeWav(base).samples);
    const streamed = base.slice();
    new DataView(streamed.buffer).setUint32(40, 0xffffffff, true);
    expect(decodeWav(streamed).samples).toEqual(decodeWav(base).samples);
  });

  it('names what is wrong with anything that is not such a WAV (E_FORMAT)', () => {
    const good = encodeWav(sine(32, 16000, 1000, 0.5), 16000);
    expectError(() => decodeWav('RIFF....WAVE' as never), TypeError, 'E_FORMAT', /a Uint8Array or an ArrayBuffer/);
    expect(decodeWav(good.slice().buffer).samples).toEqual(decodeWav(good).samples);
    expectError(() => decodeWav(new Uint8Array(8)), TypeError, 'E_FORMAT', /shorter than the 12-byte RIFF header/);
    expectError(() => decodeWav(new TextEncoder().encode('ID3\u0004 this is an mp3 file')), TypeError, 'E_FORMAT', /starts with "ID3.*not "RIFF"/);
    const avi = good.slice();
    avi.set([0x41, 0x56, 0x49, 0x20], 8);
    expectError(() => decodeWav(avi), TypeError, 'E_FORMAT', /form type "AVI ", not "WAVE"/);
    expectError(() => decodeWav(good.subarray(0, 60)), TypeError, 'E_FORMAT', /truncated WAV: chunk "data" at byte 36 claims 64 bytes but only 16 remain/);
    expectError(() => decodeWav(good.subarray(0, 30)), TypeError, 'E_FORMAT', /truncated WAV: chunk "fmt " at byte 12 claims 16 bytes but only 10 remain/);
    expectError(() => decodeWav(good.subarray(0, 40)), TypeError, 'E_FORMAT', /4 stray bytes at 36/);
    expectError(() => decodeWav(good.subarray(0, 36)), TypeError, 'E_FORMAT', /no data chunk/);
    const noFmt = good.slice(24);
    noFmt.set(good.subarray(0, 12));
    expectError(() => decodeWav(noFmt), TypeError, 'E_FORMAT', /data chunk comes before the fmt chunk/);
    expectError(() => decodeWav(wavBytes({ tag: 2, bits: 4, data: new Uint8Array(4) })), TypeError, 'E_FORMAT', /unsupported WAV format tag 0x2/);
    expectError(() => decodeWav(wavBytes({ extensibleSub: 0x55, data: new Uint8Array(4) })), TypeError, 'E_FORMAT', /format tag 0x55/);
    expectError(() => decodeWav(wavBytes({ bits: 12, blockAlign: 2, data: new Uint8Array(4) })), TypeError, 'E_FORMAT', /PCM sample size: 12 bits/);
    expectError(() => decodeWav(wavBytes({ tag: 3, bits: 16, data: new Uint8Array(4) })), TypeError, 'E_FORMAT', /float sample size: 16 bits/);
    expectError(() => decodeWav(wavBytes({ channels: 0, blockAlign: 2, data: new Uint8Array(4) })), TypeError, 'E_FORMAT', /0 channels/);
    expectError(() => decodeWav(wavBytes({ rate: 0, data: new Uint8Array(4) })), TypeError, 'E_FORMAT', /sample rate of 0/);
    expectError(
      () => decodeWav(wavBytes({ channels: 2, data: new Uint8Array(6) })),
      TypeError,
      'E_FORMAT',
      /data chunk of 6 bytes is not a multiple of the 4-byte frame/,
    );
    expectError(
      () => decodeWav(wavBytes({ channels: 2, blockAlign: 2, data: new Uint8Array(8) })),
      TypeError,
      'E_FORMAT',
      /block align is 2 bytes but 2 channels × 16 bits make 4/,
    );
  });
});

describe('resampling to 16 kHz', () => {
  it('22,050 Hz → 16 kHz keeps a sine’s frequency and amplitude within 1%', () => {
    const x = sine(22050, 22050, 1000, 0.5);
    const y = decodeWav16k(encodeWav(x, 22050, { encoding: 'float32' }));
    expect(y.length).toBe(Math.ceil((22050 * 16000) / 22050));
    const m = measure(y, 16000, 1000, 800, 15200); // away from the zero-padded edges
    expect(Math.abs(m.freq / 1000 - 1)).toBeLessThan(0.01);
    expect(Math.abs(m.amp / 0.5 - 1)).toBeLessThan(0.01);
  });

  it('8 kHz → 16 kHz keeps a sine’s frequency and amplitude within 1% (16-bit input)', () => {
    const x = sine(8000, 8000, 440, 0.7);
    const y = decodeWav16k(encodeWav(x, 8000));
    expect(y.length).toBe(16000);
    const m = measure(y, 16000, 440, 800, 15200);
    expect(Math.abs(m.freq / 440 - 1)).toBeLessThan(0.01);
    expect(Math.abs(m.amp / 0.7 - 1)).toBeLessThan(0.01);
    // band-limited interpolation: the odd (new) samples lie on the sine, not on a straight line
    let err = 0;
    for (let i = 1601; i < 14400; i += 2) err = Math.max(err, Math.abs(y[i] - 0.7 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
    expect(err).toBeLessThan(0.01);
  });

  it('removes what is above the new Nyquist frequency (a 7 kHz tone at 44.1 kHz → 8 kHz)', () => {
    const y = resample(sine(44100, 44100, 7000, 0.5), 44100, 8000);
    expect(y.length).toBe(8000);
    const m = measure(y, 8000, 1000, 400, 7600); // 7 kHz would alias to 1 kHz
    expect(m.amp).toBeLessThan(0.005);
  });

  it('leaves 16 kHz input as it is and rejects bad rates (E_RANGE)', () => {
    const x = sine(100, 16000, 500, 0.3);
    expect(decodeWav16k(encodeWav(x, 16000, { encoding: 'float32' }))).toEqual(x);
    expectError(() => resample(x, 0, 16000), RangeError, 'E_RANGE', /from/);
    expectError(() => resample(x, 16000, 44100.5), RangeError, 'E_RANGE', /to/);
    expectError(() => resample(x, 8000, 16000, { taps: 3 } as never), TypeError, 'E_OPTION', /resample.taps/);
  });
});

describe('non-finite samples', () => {
  it('are refused when encoding and in float WAV data (E_NONFINITE)', () => {
    expectError(() => encodeWav(Float32Array.of(0, Number.NaN), 16000), RangeError, 'E_NONFINITE', /sample 1 is NaN/);
    const f = new Float32Array([0.5, Number.POSITIVE_INFINITY]);
    expectError(() => decodeWav(wavBytes({ tag: 3, bits: 32, data: new Uint8Array(f.buffer) })), RangeError, 'E_NONFINITE', /Infinity at frame 1/);
  });
});
