// A seeded corpus of synthetic spoken digit strings from three synthesizers (the voices are
// synthetic, not recordings of people; see synthesizers.mjs): espeak-ng (formant synthesis,
// every English accent × every variant it has), Festival (its Debian English voices) and Flite
// (kal, kal16, awb, rms, slt).
//
// Each utterance is 3–7 digits spoken as the words zero…nine ("four one five two") by one
// voice at a rate of 130–200 words per minute and a pitch of 30–70. Four sets:
//   train     espeak-ng voices of the training variants (all but --held-out-variants) and, a
//             `festivalShare` of them, Festival's voices
//   voices    held out: a seeded fraction of those espeak-ng voices (accent+variant pairs)
//   variants  held out: espeak-ng voices of whole variants never trained on (whisper, klatt, ...)
//   flite     held out: every Flite voice (a synthesizer never heard in training)
// Utterance i of a set depends only on (seed, set, i) and the voice list, so a larger corpus
// with the same seed and voices begins with the smaller one. A missing synthesizer is named with
// its Debian package and the corpus is made from the ones present (`missing` in the manifest).
//
// Output under --out (default runs/speech-corpus, git-ignored):
//   audio.i16      every utterance's 16 kHz samples as int16 (value / 32768), back to back
//   features.f32   every utterance's log-mel features of those samples, [frames, 40] row-major
//                  f32, back to back (16 kHz, 25 ms Hamming windows, 10 ms hop, 40 HTK mel bands
//                  0–8000 Hz, natural log floored at 1e-10, no normalisation: ts/audio/mel.ts)
//   manifest.json  { format, key, options, versions, voices: {train, test, variants, flite},
//                  counts (utterances per voice), missing, duplicates, features, stats,
//                  utterances: [{ id, digits, text, voice, rate, pitch, set, split, offset,
//                  frames, sample, samples }] } (offset and frames in frames, sample and
//                  samples in samples); split is 'train' or 'test' (every held-out set);
//                  stats: { mean, std } per band over the training frames
// Distinct voices: every espeak-ng accent+variant says a fixed probe phrase at a fixed rate and
// pitch and the WAV is hashed; a voice whose audio equals an earlier one's is dropped (espeak-ng
// 1.51 ignores a variant after `en-gb`: `en-gb+m3` is byte-identical to `en-gb+f2`), and the
// manifest's `duplicates` lists each dropped voice with the one it equals.
// Cache: a second run with the same options (and synthesizer versions) reads the manifest and
// returns at once; a changed run reuses every utterance whose (text, voice, rate, pitch) is
// already in the previous files.
//
//   npm run build && node examples/speech/make-corpus.mjs [--count 3000] [--seed 1]
//     [--test-voices 0.2] [--held-out-variants whisper,klatt,...] [--held-out 200] [--flite 200]
//     [--festival-share 0.25] [--synthesizers espeak-ng,festival,flite] [--jobs 2]
//     [--out runs/speech-corpus] [--install]   (--install: apt-get the missing synthesizers)
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logMel } from '../../dist/audio/mel.js';
import { decodeWav16k } from '../../dist/audio/wav.js';
import { deriveSeed, Rng } from '../../dist/data/rng.js';
import { espeakVersion, festivalVoices, fliteVoices, run, SYNTHESIZERS, synthesize, synthOf } from './synthesizers.mjs';

export { espeakVersion, SYNTHESIZERS, synthOf };
export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
export const DEFAULT_ACCENTS = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc'];
/** 'all': every variant `espeak-ng --voices=variant` lists (less the held-out ones). */
export const DEFAULT_VARIANTS = 'all';
/** Whole espeak-ng variants never trained on (their own test set). */
export const DEFAULT_HELD_OUT_VARIANTS = ['whisper', 'klatt', 'Lee', 'Storm', 'linda', 'edward'];
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
// /4: three synthesizers, four sets, audio stored
const FORMAT = 'recurrent-speech-corpus/4';
/** What every voice says for the distinctness check (rate 160, pitch 50). */
export const PROBE_PHRASE = 'zero one two three four five six seven eight nine';

/** Names listed by `espeak-ng --voices=LANG` (the Language column). */
async function listed(espeak, lang) {
  const out = (await run(espeak, [`--voices=${lang}`])).toString().split('\n').slice(1);
  return new Set(out.map((l) => l.trim().split(/\s+/)[1]).filter(Boolean));
}

/** Accent+variant voices that this espeak-ng has, in a fixed order (variants 'all': every
 * variant it lists, less `exclude`). */
export async function availableVoices(espeak, accents, variants, exclude = []) {
  const have = await listed(espeak, 'en');
  const listedVariants = (await run(espeak, ['--voices=variant']))
    .toString()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[4]?.replace(/^!v\//, ''))
    .filter(Boolean);
  const haveVariants = new Set(listedVariants);
  const a = accents.filter((x) => have.has(x));
  const v = (variants === 'all' ? listedVariants : variants.filter((x) => haveVariants.has(x))).filter((x) => !exclude.includes(x));
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

/** Utterance i of a set: a function of (seed, set, i) and the voice lists only. The training
 * pool (set 'train', ids from 0) draws a Festival voice with probability `festivalShare` (when
 * there are any), else an espeak-ng voice; its utterances by a held-out voice form set 'voices'. */
export function utterance(i, seed, voices, testVoices, o = {}) {
  const set = o.set ?? 'train';
  const r = new Rng(set === 'train' ? deriveSeed(seed, i) : deriveSeed(deriveSeed(seed, SET_SEED[set]), i));
  const festival = o.festival ?? [];
  const pool = festival.length && r.next() < (o.festivalShare ?? 0) ? festival : voices;
  const voice = pool[r.below(pool.length)];
  const digits = Array.from({ length: 3 + r.below(5) }, () => r.below(10));
  const rate = 130 + r.below(71);
  const pitch = 30 + r.below(41);
  const s = set === 'train' && testVoices.has(voice) ? 'voices' : set;
  const id = (o.firstId ?? 0) + i;
  return { id, digits, text: digits.map((d) => DIGIT_WORDS[d]).join(' '), voice, rate, pitch, set: s, split: s === 'train' ? 'train' : 'test' };
}
const SET_SEED = { variants: 0x7e57, flite: 0xf117e };

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

/** Installs the missing synthesizers with apt-get (as root, or through sudo). */
export async function installSynthesizers(names, log = console.log) {
  const pkgs = names.flatMap((n) => SYNTHESIZERS[n].packages);
  if (pkgs.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`installing ${pkgs.join(' ')} with apt-get`);
  const apt = async (...args) => {
    const [cmd, ...rest] = [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
    await run(cmd, rest);
  };
  await apt('update', '-qq');
  await apt('install', '-y', '-qq', '--no-install-recommends', ...pkgs);
}

/** Versions of the synthesizers in use (part of the cache key). */
async function versions(o, synths) {
  const v = { 'espeak-ng': await espeakVersion(o.espeak) };
  const line = async (cmd, args) => (await run(cmd, args).catch((e) => e.stdout ?? Buffer.from(''))).toString().trim().split('\n')[0];
  if (synths.festival) v.festival = await line(o.festival, ['--version']);
  if (synths.flite) v.flite = await line(o.flite, ['--version']);
  return v;
}

const quantize = (x) => Int16Array.from(x, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
const dequantize = (q) => Float32Array.from(q, (v) => v / 32768);

/** Builds (or reads from cache) the corpus; returns { manifest, features, audio, dir, cached, seconds }. */
export async function makeSpeechCorpus(opts = {}) {
  const o = {
    count: 3000,
    seed: 1,
    testVoices: 0.2,
    heldOutVariants: DEFAULT_HELD_OUT_VARIANTS,
    heldOut: 200,
    flite: 200,
    festivalShare: 0.25,
    synthesizers: ['espeak-ng', 'festival', 'flite'],
    jobs: 2,
    out: 'runs/speech-corpus',
    espeak: 'espeak-ng',
    festivalProgram: 'festival',
    fliteProgram: 'flite',
    accents: DEFAULT_ACCENTS,
    variants: DEFAULT_VARIANTS,
    log: () => {},
    ...opts,
  };
  const t0 = performance.now();
  const use = new Set(o.synthesizers);
  const missing = [];
  const fest = use.has('festival') ? await festivalVoices(o.festivalProgram) : { voices: [] };
  const fli = use.has('flite') && o.flite > 0 ? await fliteVoices(o.fliteProgram) : { voices: [] };
  for (const m of [fest.missing, fli.missing]) if (m) missing.push(m);
  for (const m of missing) o.log(`note: ${m}; the corpus is made without it`);
  const synths = { festival: fest.voices.length > 0, flite: fli.voices.length > 0 };
  const version = await versions({ espeak: o.espeak, festival: o.festivalProgram, flite: o.fliteProgram }, synths);
  const options = {
    count: o.count,
    seed: o.seed,
    testVoices: o.testVoices,
    accents: o.accents,
    variants: o.variants,
    heldOutVariants: o.heldOutVariants,
    heldOut: o.heldOutVariants.length ? o.heldOut : 0,
    flite: fli.voices.length ? o.flite : 0,
    festivalShare: fest.voices.length ? o.festivalShare : 0,
    festival: fest.voices,
    fliteVoices: fli.voices,
  };
  const key = createHash('sha256').update(JSON.stringify({ FORMAT, version, options, FEATURES })).digest('hex').slice(0, 16);
  const mPath = join(o.out, 'manifest.json');
  const fPath = join(o.out, 'features.f32');
  const aPath = join(o.out, 'audio.i16');
  const readF32 = async (p) => {
    const b = await readFile(p);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const readI16 = async (p) => {
    const b = await readFile(p);
    return new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  };
  let old;
  if (existsSync(mPath) && existsSync(fPath) && existsSync(aPath)) {
    try {
      old = JSON.parse(await readFile(mPath, 'utf8'));
    } catch {
      old = undefined;
    }
    if (old?.format === FORMAT && old.key === key) {
      return { manifest: old, features: await readF32(fPath), audio: await readI16(aPath), dir: o.out, cached: true, seconds: (performance.now() - t0) / 1000 };
    }
  }
  // every voice list first (a bad accent or variant fails at once), then the probes
  const trainVoices = await availableVoices(o.espeak, o.accents, o.variants, o.heldOutVariants);
  const heldOutVoices = options.heldOut ? await availableVoices(o.espeak, o.accents, o.heldOutVariants) : [];
  const distinct = await distinctVoices(o.espeak, trainVoices, o.jobs);
  const voices = distinct.voices;
  const split = splitVoices(voices, o.testVoices, o.seed);
  const testSet = new Set(split.test);
  const variantVoices = options.heldOut ? await distinctVoices(o.espeak, heldOutVoices, o.jobs) : { voices: [], duplicates: [] };
  const utts = [
    ...Array.from({ length: o.count }, (_, i) => utterance(i, o.seed, voices, testSet, { festival: fest.voices, festivalShare: options.festivalShare })),
    ...Array.from({ length: options.heldOut }, (_, i) => utterance(i, o.seed, variantVoices.voices, testSet, { set: 'variants', firstId: o.count })),
    ...Array.from({ length: options.flite }, (_, i) => utterance(i, o.seed, fli.voices, testSet, { set: 'flite', firstId: o.count + options.heldOut })),
  ];
  // Reuse from the previous files (same synthesizers and feature settings).
  const reuse = new Map();
  if (
    old?.utterances &&
    old.format === FORMAT &&
    JSON.stringify(old.versions) === JSON.stringify(version) &&
    JSON.stringify(old.features) === JSON.stringify(FEATURES)
  ) {
    const f = await readF32(fPath);
    const a = await readI16(aPath);
    for (const u of old.utterances)
      reuse.set(uttKey(u), {
        features: f.slice(u.offset * FEATURES.bands, (u.offset + u.frames) * FEATURES.bands),
        audio: a.slice(u.sample, u.sample + u.samples),
      });
  }
  const got = new Array(utts.length);
  let synthesized = 0;
  const tmp = await mkdtemp(join(tmpdir(), 'speech-corpus-'));
  try {
    await pool(utts, o.jobs, async (u, i) => {
      const hit = reuse.get(uttKey(u));
      if (hit) {
        got[i] = hit;
        return;
      }
      const wav = await synthesize(u, tmp, { espeak: o.espeak });
      // the stored audio is int16; the features are those of exactly the stored samples
      const audio = quantize(decodeWav16k(new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength)));
      got[i] = { audio, features: logMel(dequantize(audio)) };
      synthesized++;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  let offset = 0;
  let sample = 0;
  for (let i = 0; i < utts.length; i++) {
    utts[i].offset = offset;
    utts[i].frames = got[i].features.length / FEATURES.bands;
    utts[i].sample = sample;
    utts[i].samples = got[i].audio.length;
    offset += utts[i].frames;
    sample += utts[i].samples;
  }
  const features = new Float32Array(offset * FEATURES.bands);
  const audio = new Int16Array(sample);
  for (let i = 0; i < utts.length; i++) {
    features.set(got[i].features, utts[i].offset * FEATURES.bands);
    audio.set(got[i].audio, utts[i].sample);
  }
  const counts = {};
  for (const u of utts) counts[u.voice] = (counts[u.voice] ?? 0) + 1;
  const manifest = {
    format: FORMAT,
    key,
    versions: version,
    options,
    voices: { ...split, variants: variantVoices.voices, festival: fest.voices, flite: fli.voices },
    counts,
    missing,
    duplicates: [...distinct.duplicates, ...variantVoices.duplicates],
    features: FEATURES,
    stats: bandStats(utts, features, FEATURES.bands),
    utterances: utts,
  };
  await mkdir(o.out, { recursive: true });
  // Data first, manifest last (renamed into place): a manifest always matches its data.
  await writeFile(`${fPath}.tmp`, new Uint8Array(features.buffer));
  await rename(`${fPath}.tmp`, fPath);
  await writeFile(`${aPath}.tmp`, new Uint8Array(audio.buffer));
  await rename(`${aPath}.tmp`, aPath);
  await writeFile(`${mPath}.tmp`, `${JSON.stringify(manifest)}\n`);
  await rename(`${mPath}.tmp`, mPath);
  return { manifest, features, audio, dir: o.out, cached: false, synthesized, seconds: (performance.now() - t0) / 1000 };
}

/** Utterances per synthesizer and per voice, as lines of text. */
export function describeVoices(m) {
  const per = {};
  for (const [v, n] of Object.entries(m.counts ?? {})) {
    const s = synthOf(v);
    per[s] ??= { voices: 0, utterances: 0 };
    per[s].voices++;
    per[s].utterances += n;
  }
  const lines = Object.entries(per).map(([s, x]) => `${s}: ${x.voices} voices, ${x.utterances} utterances`);
  const named = Object.entries(m.counts ?? {}).filter(([v]) => synthOf(v) !== 'espeak-ng');
  if (named.length) lines.push(`Festival and Flite voices: ${named.map(([v, n]) => `${v} ${n}`).join(', ')}`);
  for (const x of m.missing ?? []) lines.push(`missing: ${x}`);
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const listArg = (name, dflt) => arg(name, undefined)?.split(',') ?? dflt;
  const synthesizers = listArg('synthesizers', ['espeak-ng', 'festival', 'flite']);
  if (process.argv.includes('--install')) {
    const absent = [];
    for (const s of synthesizers)
      if (
        !(await run('sh', ['-c', `command -v ${SYNTHESIZERS[s].program}`]).then(
          () => true,
          () => false,
        ))
      )
        absent.push(s);
    await installSynthesizers(absent);
  }
  const r = await makeSpeechCorpus({
    count: Number(arg('count', 3000)),
    seed: Number(arg('seed', 1)),
    testVoices: Number(arg('test-voices', 0.2)),
    heldOutVariants: listArg('held-out-variants', DEFAULT_HELD_OUT_VARIANTS),
    heldOut: Number(arg('held-out', 200)),
    flite: Number(arg('flite', 200)),
    festivalShare: Number(arg('festival-share', 0.25)),
    synthesizers,
    jobs: Number(arg('jobs', 2)),
    out: arg('out', 'runs/speech-corpus'),
    espeak: arg('espeak', 'espeak-ng'),
    log: console.log,
  });
  const m = r.manifest;
  const n = (s) => m.utterances.filter((u) => u.set === s).length;
  const frames = r.features.length / m.features.bands;
  console.log(
    `${m.utterances.length} utterances (${n('train')} train, held out: ${n('voices')} espeak-ng voices, ${n('variants')} espeak-ng variants, ${n('flite')} flite) from ${m.voices.train.length} training and ${m.voices.test.length} held-out espeak-ng voices; ` +
      `${frames} frames (${(frames / 100 / 60).toFixed(1)} min of speech), ${((r.features.byteLength + r.audio.byteLength) / 2 ** 20).toFixed(1)} MiB; ` +
      `${r.cached ? 'cached' : `${r.synthesized} synthesized`} in ${r.seconds.toFixed(1)} s → ${r.dir}`,
  );
  for (const l of describeVoices(m)) console.log(l);
  console.log(`held-out voices: ${m.voices.test.join(' ')}`);
  console.log(`held-out variants: ${m.options.heldOutVariants.join(' ')}`);
  if (m.duplicates?.length) console.log(`dropped ${m.duplicates.length} duplicate voices: ${m.duplicates.map((d) => `${d.voice} (= ${d.same})`).join(', ')}`);
}
