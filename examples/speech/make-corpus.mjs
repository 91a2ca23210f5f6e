// A seeded corpus of synthetic spoken digit strings, made with the espeak-ng synthesizer
// (the voices are synthetic, not recordings of people).
//
// Each utterance is 3–7 digits spoken as the words zero…nine ("four one five two") by one
// voice = accent + variant (e.g. en-gb-scotland+f3), at a rate of 130–200 words per minute
// and a pitch of 30–70. A seeded fraction of the voices (whole accent+variant pairs) is held
// out: its utterances form the test split and no training utterance uses them, so the test
// measures speaker independence. Utterance i depends only on (seed, i), so a larger corpus
// with the same seed and voices begins with the smaller one.
//
// Output under --out (default runs/speech-corpus, git-ignored):
//   features.f32   every utterance's log-mel features, [frames, 40] row-major f32, back to back
//                  (16 kHz, 25 ms Hamming windows, 10 ms hop, 40 HTK mel bands 0–8000 Hz,
//                  natural log floored at 1e-10, no normalisation: see ts/audio/mel.ts)
//   manifest.json  { format, key, options, voices: {train, test}, features, stats, utterances: [{ id,
//                  digits: [4,1,5,2], text, voice, rate, pitch, split, offset, frames }] }
//                  (offset and frames in frames; an utterance's floats start at offset·40);
//                  stats: { mean, std } per band over the training frames, for a global
//                  normalisation that a streaming model can apply frame by frame
// Distinct voices: every accent+variant says a fixed probe phrase at a fixed rate and pitch and
// the WAV is hashed; a voice whose audio equals an earlier one's is dropped (espeak-ng 1.51
// ignores a variant after `en-gb`: `en-gb+m3` is byte-identical to `en-gb+f2`), and the manifest's
// `duplicates` lists each dropped voice with the one it equals.
// Cache: a second run with the same options (and espeak-ng version) reads the manifest and
// returns at once; a changed run reuses every utterance whose (text, voice, rate, pitch) is
// already in the previous files.
//
//   npm run build && node examples/speech/make-corpus.mjs [--count 3000] [--seed 1]
//     [--test-voices 0.2] [--jobs 2] [--out runs/speech-corpus] [--espeak espeak-ng]
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logMel } from '../../dist/audio/mel.js';
import { decodeWav16k } from '../../dist/audio/wav.js';
import { deriveSeed, Rng } from '../../dist/data/rng.js';

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
export const DEFAULT_ACCENTS = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc'];
export const DEFAULT_VARIANTS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'f1', 'f2', 'f3', 'f4', 'f5', 'croak'];
const FEATURES = {
  type: 'log-mel',
  sampleRate: 16000,
  windowLength: 400,
  hop: 160,
  fftSize: 512,
  bands: 40,
  window: 'hamming',
  mel: 'htk',
  floor: 1e-10,
  normalize: 'none',
};
// /3: duplicate voices dropped (a /2 cache may hold them, so it is rebuilt; its features are reused)
const FORMAT = 'recurrent-speech-corpus/3';
/** What every voice says for the distinctness check (rate 160, pitch 50). */
export const PROBE_PHRASE = 'zero one two three four five six seven eight nine';

const run = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) =>
    execFile(cmd, args, { encoding: 'buffer', maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.stderr = stderr?.toString();
        reject(err);
      } else resolve(stdout);
    }),
  );

/** The espeak-ng version line; a clear error when the program is missing. */
export async function espeakVersion(espeak = 'espeak-ng') {
  try {
    return (await run(espeak, ['--version'])).toString().trim();
  } catch (e) {
    if (e.code === 'ENOENT') throw new Error(`espeak-ng is not installed (no '${espeak}' on PATH): install it with  sudo apt-get install -y espeak-ng`);
    throw new Error(`'${espeak} --version' failed: ${e.message}`);
  }
}

/** Names listed by `espeak-ng --voices=LANG` (the Language column). */
async function listed(espeak, lang) {
  const out = (await run(espeak, [`--voices=${lang}`])).toString().split('\n').slice(1);
  return new Set(out.map((l) => l.trim().split(/\s+/)[1]).filter(Boolean));
}

/** Accent+variant voices that this espeak-ng has, in a fixed order. */
export async function availableVoices(espeak, accents, variants) {
  const have = await listed(espeak, 'en');
  const haveVariants = new Set(
    (await run(espeak, ['--voices=variant']))
      .toString()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[4]?.replace(/^!v\//, '')),
  );
  const a = accents.filter((x) => have.has(x));
  const v = variants.filter((x) => haveVariants.has(x));
  if (a.length === 0) throw new Error(`none of the accents ${accents.join(', ')} is in 'espeak-ng --voices=en'`);
  if (v.length === 0) throw new Error(`none of the variants ${variants.join(', ')} is in 'espeak-ng --voices=variant'`);
  return a.flatMap((acc) => v.map((vv) => `${acc}+${vv}`));
}

/**
 * Drops voices that sound exactly like an earlier one: each says PROBE_PHRASE (rate 160, pitch
 * 50) and its WAV bytes are hashed. Returns { voices (the first of each sound, in order),
 * duplicates: [{ voice, same }] (a dropped voice and the kept one it equals) }.
 */
export async function distinctVoices(espeak, voices, jobs = 2) {
  const hashes = new Array(voices.length);
  await pool(voices, jobs, async (v, i) => {
    let wav;
    try {
      wav = await run(espeak, ['-v', v, '-s', '160', '-p', '50', '--stdout', PROBE_PHRASE]);
    } catch (e) {
      throw new Error(`espeak-ng failed on the probe phrase of voice ${v}: ${e.stderr || e.message}`);
    }
    hashes[i] = createHash('sha256').update(wav).digest('hex');
  });
  const first = new Map();
  const kept = [];
  const duplicates = [];
  voices.forEach((v, i) => {
    const same = first.get(hashes[i]);
    if (same === undefined) {
      first.set(hashes[i], v);
      kept.push(v);
    } else duplicates.push({ voice: v, same });
  });
  return { voices: kept, duplicates };
}

/** Holds out round(fraction · V) voices (at least 1, at most V − 1), chosen by seed. */
export function splitVoices(voices, fraction, seed) {
  if (voices.length < 2) throw new Error(`a voice-independent split needs at least 2 voices (got ${voices.length})`);
  const order = [...voices];
  new Rng(deriveSeed(seed, 0x5b117)).shuffle(order);
  const n = Math.min(voices.length - 1, Math.max(1, Math.round(fraction * voices.length)));
  const test = new Set(order.slice(0, n));
  return { train: voices.filter((v) => !test.has(v)), test: voices.filter((v) => test.has(v)) };
}

/** Utterance i of the corpus: a function of (seed, i) and the voice list only. */
export function utterance(i, seed, voices, testVoices) {
  const r = new Rng(deriveSeed(seed, i));
  const voice = voices[r.below(voices.length)];
  const digits = Array.from({ length: 3 + r.below(5) }, () => r.below(10));
  const rate = 130 + r.below(71);
  const pitch = 30 + r.below(41);
  return { id: i, digits, text: digits.map((d) => DIGIT_WORDS[d]).join(' '), voice, rate, pitch, split: testVoices.has(voice) ? 'test' : 'train' };
}

const uttKey = (u) => `${u.voice}|${u.rate}|${u.pitch}|${u.text}`;

/** Per-band mean and standard deviation over the training utterances' frames. */
export function bandStats(utts, features, bands) {
  const sum = new Float64Array(bands);
  const sq = new Float64Array(bands);
  let n = 0;
  for (const u of utts) {
    if (u.split !== 'train') continue;
    for (let t = u.offset; t < u.offset + u.frames; t++, n++) {
      for (let b = 0; b < bands; b++) {
        const x = features[t * bands + b];
        sum[b] += x;
        sq[b] += x * x;
      }
    }
  }
  const mean = Array.from(sum, (s) => s / Math.max(n, 1));
  const std = Array.from(sq, (q, b) => Math.sqrt(Math.max(q / Math.max(n, 1) - mean[b] ** 2, 0)));
  return { frames: n, mean, std };
}

async function pool(items, jobs, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}

/** Builds (or reads from cache) the corpus; returns { manifest, features, dir, cached, seconds }. */
export async function makeSpeechCorpus(opts = {}) {
  const o = {
    count: 3000,
    seed: 1,
    testVoices: 0.2,
    jobs: 2,
    out: 'runs/speech-corpus',
    espeak: 'espeak-ng',
    accents: DEFAULT_ACCENTS,
    variants: DEFAULT_VARIANTS,
    ...opts,
  };
  const t0 = performance.now();
  const version = await espeakVersion(o.espeak);
  const options = { count: o.count, seed: o.seed, testVoices: o.testVoices, accents: o.accents, variants: o.variants };
  const key = createHash('sha256').update(JSON.stringify({ FORMAT, version, options, FEATURES })).digest('hex').slice(0, 16);
  const mPath = join(o.out, 'manifest.json');
  const fPath = join(o.out, 'features.f32');
  let old;
  if (existsSync(mPath) && existsSync(fPath)) {
    try {
      old = JSON.parse(await readFile(mPath, 'utf8'));
    } catch {
      old = undefined;
    }
    if (old?.format === FORMAT && old.key === key) {
      const buf = await readFile(fPath);
      return {
        manifest: old,
        features: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4),
        dir: o.out,
        cached: true,
        seconds: (performance.now() - t0) / 1000,
      };
    }
  }
  const distinct = await distinctVoices(o.espeak, await availableVoices(o.espeak, o.accents, o.variants), o.jobs);
  const voices = distinct.voices;
  const split = splitVoices(voices, o.testVoices, o.seed);
  const testSet = new Set(split.test);
  const utts = Array.from({ length: o.count }, (_, i) => utterance(i, o.seed, voices, testSet));
  // Reuse from the previous files (same espeak-ng and feature settings).
  const reuse = new Map();
  if (old?.utterances && old.version === version && JSON.stringify(old.features) === JSON.stringify(FEATURES)) {
    const buf = await readFile(fPath);
    const f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    for (const u of old.utterances) reuse.set(uttKey(u), f.slice(u.offset * FEATURES.bands, (u.offset + u.frames) * FEATURES.bands));
  }
  const feats = new Array(utts.length);
  let synthesized = 0;
  await pool(utts, o.jobs, async (u, i) => {
    const hit = reuse.get(uttKey(u));
    if (hit) {
      feats[i] = hit;
      return;
    }
    let wav;
    try {
      wav = await run(o.espeak, ['-v', u.voice, '-s', String(u.rate), '-p', String(u.pitch), '--stdout', u.text]);
    } catch (e) {
      throw new Error(`espeak-ng failed on utterance ${i} (${u.voice}): ${e.stderr || e.message}`);
    }
    feats[i] = logMel(decodeWav16k(new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength)));
    synthesized++;
  });
  let offset = 0;
  for (let i = 0; i < utts.length; i++) {
    utts[i].offset = offset;
    utts[i].frames = feats[i].length / FEATURES.bands;
    offset += utts[i].frames;
  }
  const features = new Float32Array(offset * FEATURES.bands);
  for (let i = 0; i < utts.length; i++) features.set(feats[i], utts[i].offset * FEATURES.bands);
  const manifest = {
    format: FORMAT,
    key,
    version,
    options,
    voices: split,
    duplicates: distinct.duplicates,
    features: FEATURES,
    stats: bandStats(utts, features, FEATURES.bands),
    utterances: utts,
  };
  await mkdir(o.out, { recursive: true });
  // Features first, manifest last (renamed into place): a manifest always matches its features.
  await writeFile(`${fPath}.tmp`, new Uint8Array(features.buffer));
  await rename(`${fPath}.tmp`, fPath);
  await writeFile(`${mPath}.tmp`, `${JSON.stringify(manifest)}\n`);
  await rename(`${mPath}.tmp`, mPath);
  return { manifest, features, dir: o.out, cached: false, synthesized, seconds: (performance.now() - t0) / 1000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const r = await makeSpeechCorpus({
    count: Number(arg('count', 3000)),
    seed: Number(arg('seed', 1)),
    testVoices: Number(arg('test-voices', 0.2)),
    jobs: Number(arg('jobs', 2)),
    out: arg('out', 'runs/speech-corpus'),
    espeak: arg('espeak', 'espeak-ng'),
  });
  const m = r.manifest;
  const n = (s) => m.utterances.filter((u) => u.split === s).length;
  const frames = r.features.length / m.features.bands;
  console.log(
    `${m.utterances.length} utterances (${n('train')} train, ${n('test')} test) from ${m.voices.train.length} training and ${m.voices.test.length} held-out voices; ` +
      `${frames} frames (${(frames / 100 / 60).toFixed(1)} min of speech), ${(r.features.byteLength / 2 ** 20).toFixed(1)} MiB of features; ` +
      `${r.cached ? 'cached' : `${r.synthesized} synthesized`} in ${r.seconds.toFixed(1)} s → ${r.dir}`,
  );
  console.log(`held-out voices: ${m.voices.test.join(' ')}`);
  if (m.duplicates?.length) console.log(`dropped ${m.duplicates.length} duplicate voices: ${m.duplicates.map((d) => `${d.voice} (= ${d.same})`).join(', ')}`);
}
