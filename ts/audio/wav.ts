// WAV (RIFF/WAVE) files in and out.
//
// decodeWav reads PCM integer samples of 8 (unsigned), 16, 24 or 32 bits and IEEE float
// samples of 32 or 64 bits, plain or WAVE_FORMAT_EXTENSIBLE, any number of channels, and
// returns the mean of the channels as f32 in [-1, 1] (integers divided by 2^(bits−1)).
// Anything else is an E_FORMAT error naming what is wrong. A data chunk whose size is the
// "unknown length" placeholder of streaming writers (0xFFFFFFFF or ≥ 0x7FFF0000, as
// `espeak-ng --stdout` writes) runs to the end of the file; any other chunk that claims more
// bytes than the file holds is "truncated". Chunks other than fmt and data are skipped.
// decodeWav16k additionally resamples to 16 kHz (see resample.ts).
import { formatError, optionError, RecurrentRangeError, rangeError } from '../errors.js';
import { resample } from './resample.js';

/** What {@link decodeWav} returns: the file's format and its samples mixed down to mono. */
export interface DecodedWav {
  /** Samples per second of the file. */
  sampleRate: number;
  /** Channels in the file (the samples are their mean). */
  channels: number;
  /** Bits per sample and encoding in the file. */
  bitsPerSample: number;
  /** 'pcm' for integer samples (8-bit unsigned, 16/24/32-bit signed), 'float' for IEEE float (32 or 64 bits). */
  encoding: 'pcm' | 'float';
  /** [frames] mean over channels, in [-1, 1] for PCM. */
  samples: Float32Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const fourcc = (b: Uint8Array, o: number) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);

/** Decodes a WAV file's bytes to mono samples (the mean of the channels). */
export function decodeWav(bytes: Uint8Array | ArrayBuffer): DecodedWav {
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer))
    throw formatError('decodeWav expects the bytes of a file (a Uint8Array or an ArrayBuffer)');
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < 12) throw formatError(`not a WAV file: ${b.length} bytes, shorter than the 12-byte RIFF header`);
  if (fourcc(b, 0) !== 'RIFF') throw formatError(`not a WAV file: starts with ${JSON.stringify(fourcc(b, 0))}, not "RIFF"`);
  if (fourcc(b, 8) !== 'WAVE') throw formatError(`not a WAV file: RIFF form type ${JSON.stringify(fourcc(b, 8))}, not "WAVE"`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined;
  let data: { start: number; size: number } | undefined;
  let o = 12;
  while (o + 8 <= b.length && data === undefined) {
    const id = fourcc(b, o);
    let size = dv.getUint32(o + 4, true);
    const start = o + 8;
    const rest = b.length - start;
    if (size > rest) {
      if (id === 'data' && size >= 0x7fff0000 && rest > 0) size = rest;
      else throw formatError(`truncated WAV: chunk "${id}" at byte ${o} claims ${size} bytes but only ${rest} remain`);
    }
    if (id === 'fmt ') {
      if (size < 16) throw formatError(`WAV fmt chunk is ${size} bytes, shorter than 16`);
      let tag = dv.getUint16(start, true);
      const bits = dv.getUint16(start + 14, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40) throw formatError(`WAV fmt chunk of WAVE_FORMAT_EXTENSIBLE is ${size} bytes, shorter than 40`);
        tag = dv.getUint16(start + 24, true); // first two bytes of the sub-format GUID
      }
      fmt = { tag, channels: dv.getUint16(start + 2, true), rate: dv.getUint32(start + 4, true), blockAlign: dv.getUint16(start + 12, true), bits };
    } else if (id === 'data') {
      if (fmt === undefined) throw formatError('WAV data chunk comes before the fmt chunk');
      data = { start, size };
    }
    o = start + size + (size & 1);
  }
  if (data === undefined && o < b.length && o + 8 > b.length)
    throw formatError(`truncated WAV: ${b.length - o} stray bytes at ${o}, too short for a chunk header`);
  if (fmt === undefined) throw formatError('WAV file has no fmt chunk');
  if (data === undefined) throw formatError('WAV file has no data chunk');
  const { tag, channels, rate, bits } = fmt;
  let encoding: 'pcm' | 'float';
  if (tag === WAVE_FORMAT_PCM) {
    if (bits !== 8 && bits !== 16 && bits !== 24 && bits !== 32) throw formatError(`unsupported WAV PCM sample size: ${bits} bits (supported: 8, 16, 24, 32)`);
    encoding = 'pcm';
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits !== 32 && bits !== 64) throw formatError(`unsupported WAV float sample size: ${bits} bits (supported: 32, 64)`);
    encoding = 'float';
  } else {
    throw formatError(`unsupported WAV format tag 0x${tag.toString(16)} (supported: 1 = PCM, 3 = IEEE float, 0xfffe with either)`);
  }
  if (channels === 0) throw formatError('WAV fmt chunk says 0 channels');
  if (rate === 0) throw formatError('WAV fmt chunk says a sample rate of 0 Hz');
  const bytesPer = bits / 8;
  const frameSize = bytesPer * channels;
  if (fmt.blockAlign !== frameSize) throw formatError(`WAV block align is ${fmt.blockAlign} bytes but ${channels} channels × ${bits} bits make ${frameSize}`);
  if (data.size % frameSize !== 0) throw formatError(`WAV data chunk of ${data.size} bytes is not a multiple of the ${frameSize}-byte frame`);
  const frames = data.size / frameSize;
  const samples = new Float32Array(frames);
  const read = sampleReader(dv, encoding, bits);
  for (let i = 0, p = data.start; i < frames; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++, p += bytesPer) s += read(p);
    samples[i] = s / channels;
    if (encoding === 'float' && !Number.isFinite(samples[i])) throw new RecurrentRangeError('E_NONFINITE', `WAV float data holds ${samples[i]} at frame ${i}`);
  }
  return { sampleRate: rate, channels, bitsPerSample: bits, encoding, samples };
}

function sampleReader(dv: DataView, encoding: 'pcm' | 'float', bits: number): (p: number) => number {
  if (encoding === 'float') return bits === 32 ? (p) => dv.getFloat32(p, true) : (p) => dv.getFloat64(p, true);
  switch (bits) {
    case 8:
      return (p) => (dv.getUint8(p) - 128) / 128;
    case 16:
      return (p) => dv.getInt16(p, true) / 32768;
    case 24:
      return (p) => ((dv.getUint8(p) | (dv.getUint8(p + 1) << 8) | (dv.getInt8(p + 2) << 16)) >> 0) / 8388608;
    default:
      return (p) => dv.getInt32(p, true) / 2147483648;
  }
}

/**
 * Decodes a WAV file to mono samples at 16 kHz, the rate {@link logMel} expects by default:
 * a Float32Array [frames] of the channels' mean, in [-1, 1] for PCM, resampled with
 * {@link resample}'s windowed-sinc filter (default options) when the file has another rate
 * (the length becomes ceil(frames · 16000 / rate)). Errors as {@link decodeWav}: E_FORMAT
 * for bytes that are not a supported WAV file, E_NONFINITE for NaN or infinite float samples.
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { decodeWav16k, logMel } from 'recurrent-nn';
 * const samples = decodeWav16k(await readFile('speech-44k.wav')); // any rate, any channels
 * console.log(samples.length / 16000, 'seconds');
 * const feats = logMel(samples); // [frames, 40]
 * ```
 */
export function decodeWav16k(bytes: Uint8Array | ArrayBuffer): Float32Array {
  const w = decodeWav(bytes);
  return w.sampleRate === 16000 ? w.samples : resample(w.samples, w.sampleRate, 16000);
}

/** Options of {@link encodeWav}. */
export interface EncodeWavOptions {
  /** 'pcm16' (round(x · 32768) clipped to [−32768, 32767], the inverse of decodeWav) or 'float32' (IEEE float, exact). @default 'pcm16' */
  encoding?: 'pcm16' | 'float32';
}

/** Encodes samples as a WAV file. `samples` is [frames] for mono or an array of equally
 * long channels. */
export function encodeWav(samples: Float32Array | readonly Float32Array[], sampleRate: number, opts: EncodeWavOptions = {}): Uint8Array {
  const chans = samples instanceof Float32Array ? [samples] : [...samples];
  if (chans.length === 0 || chans.length > 65535) throw rangeError(`encodeWav needs 1 to 65535 channels (got ${chans.length})`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw rangeError(`sampleRate must be a positive integer (got ${sampleRate})`);
  const enc = opts.encoding ?? 'pcm16';
  if (enc !== 'pcm16' && enc !== 'float32') throw optionError(`encodeWav encoding '${String(enc)}' is not one of pcm16, float32`);
  const n = chans[0].length;
  for (const c of chans) if (c.length !== n) throw rangeError('encodeWav channels differ in length');
  chans.forEach((c, k) => {
    for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) throw new RecurrentRangeError('E_NONFINITE', `encodeWav: channel ${k} sample ${i} is ${c[i]}`);
  });
  const bytesPer = enc === 'pcm16' ? 2 : 4;
  const dataSize = n * chans.length * bytesPer;
  const out = new Uint8Array(44 + dataSize);
  const dv = new DataView(out.buffer);
  const put4 = (o: number, s: string) => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  put4(0, 'RIFF');
  dv.setUint32(4, 36 + dataSize, true);
  put4(8, 'WAVE');
  put4(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, enc === 'pcm16' ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT, true);
  dv.setUint16(22, chans.length, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * chans.length * bytesPer, true);
  dv.setUint16(32, chans.length * bytesPer, true);
  dv.setUint16(34, bytesPer * 8, true);
  put4(36, 'data');
  dv.setUint32(40, dataSize, true);
  let p = 44;
  for (let i = 0; i < n; i++) {
    for (const c of chans) {
      if (enc === 'pcm16') dv.setInt16(p, Math.max(-32768, Math.min(32767, Math.round(c[i] * 32768))), true);
      else dv.setFloat32(p, c[i], true);
      p += bytesPer;
    }
  }
  return out;
}
