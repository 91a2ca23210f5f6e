// The digit corpus (examples/speech/make-corpus.mjs) on a tiny run: 12 utterances from 2
// espeak-ng voices (one held out) and Festival's voices, 3 of a held-out espeak-ng variant and
// 5 of Flite. The manifest, the sets and the audio and features agree; held-out voices never
// occur in training; each synthesizer's stored audio and features equal a fresh synthesis; a
// missing synthesizer is named with its Debian package and the corpus is made without it; a
// second run is served from the cache. espeak-ng, festival (with festvox-kallpc16k,
// festvox-kdlpc16k, festvox-us-slt-hts) and flite must be installed (scripts/setup.sh installs
// them with apt-get): without them these tests fail, saying so.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logMel } from '../dist/audio/mel.js';
import { decodeWav16k } from '../dist/audio/wav.js';
// @ts-expect-error: a plain .mjs script without types
import * as corpus from '../examples/speech/make-corpus.mjs';
// @ts-expect-error: a plain .mjs script without types
import { synthesize } from '../examples/speech/synthesizers.mjs';

const synth_ = (u: Utt): Promise<Buffer> => synthesize(u, tmpdir());

interface Utt {
  id: number;
  set: string;
  sample: number;
  samples: number;
  digits: number[];
  text: string;
  voice: string;
  rate: number;
  pitch: number;
  split: 'train' | 'test';
  offset: number;
  frames: number;
}
interface Corpus {
  manifest: {
    utterances: Utt[];
    voices: { train: string[]; test: string[]; variants: string[]; festival: string[]; flite: string[] };
    counts: Record<string, number>;
    missing: string[];
    stats: { frames: number; mean: number[]; std: number[] };
  };
  features: Float32Array;
  audio: Int16Array;
  cached: boolean;
}

const dir = mkdtempSync(join(tmpdir(), 'speech-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const OPTS = {
  count: 12,
  seed: 3,
  testVoices: 0.5,
  accents: ['en-us', 'en-gb'],
  variants: ['m3'],
  heldOutVariants: ['whisper'],
  heldOut: 3,
  flite: 5,
  festivalShare: 0.4,
  jobs: 2,
  out: join(dir, 'a'),
};

describe('speech corpus (espeak-ng)', () => {
  it('espeak-ng is installed (sudo apt-get install -y espeak-ng)', async () => {
    await expect(corpus.espeakVersion()).resolves.toMatch(/eSpeak NG/);
  });

  it('festival and flite are installed (sudo apt-get install -y festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts flite)', () => {
    expect(execFileSync('flite', ['-lv']).toString()).toMatch(/kal16 awb rms slt/);
    expect(execFileSync('festival', ['--pipe'], { input: '(print (voice.list))' }).toString()).toMatch(/kal_diphone/);
  });

  it('reports a missing espeak-ng clearly', async () => {
    await expect(corpus.espeakVersion('/nonexistent/espeak-ng')).rejects.toThrow(/espeak-ng is not installed .*apt-get install -y espeak-ng/);
    await expect(corpus.makeSpeechCorpus({ ...OPTS, espeak: '/nonexistent/espeak-ng', out: join(dir, 'none') })).rejects.toThrow(/not installed/);
  });

  it('drops voices that sound the same (en-gb ignores its variant in espeak-ng 1.51), saying which', async () => {
    const voices = ['en-us+m3', 'en-gb+m3', 'en-us+f2', 'en-gb+f2', 'en-gb+croak'];
    const r = await corpus.distinctVoices('espeak-ng', voices);
    // the check is by audio: the kept voices all differ, and each dropped one equals the one named
    const probe = (v: string) => execFileSync('espeak-ng', ['-v', v, '-s', '160', '-p', '50', '--stdout', corpus.PROBE_PHRASE]).toString('base64');
    const kept = r.voices.map(probe);
    expect(new Set(kept).size).toBe(kept.length);
    for (const d of r.duplicates) expect(probe(d.voice)).toBe(probe(d.same));
    expect([...r.voices, ...r.duplicates.map((d: { voice: string }) => d.voice)].sort()).toEqual([...voices].sort());
    expect(r.voices.slice(0, 3)).toEqual(['en-us+m3', 'en-gb+m3', 'en-us+f2']);
    // espeak-ng 1.51 (the version CI installs): every en-gb+variant is en-gb
    expect(r.duplicates).toEqual([
      { voice: 'en-gb+f2', same: 'en-gb+m3' },
      { voice: 'en-gb+croak', same: 'en-gb+m3' },
    ]);
  });

  it('holds out whole voices, by seed', () => {
    const voices = Array.from({ length: 104 }, (_, i) => `v${i}`);
    const a = corpus.splitVoices(voices, 0.2, 1);
    expect(a.test.length).toBe(21);
    expect(a.train.length).toBe(83);
    expect(a.train.filter((v: string) => a.test.includes(v))).toEqual([]);
    expect([...a.train, ...a.test].sort()).toEqual([...voices].sort());
    expect(corpus.splitVoices(voices, 0.2, 1)).toEqual(a);
    expect(corpus.splitVoices(voices, 0.2, 2)).not.toEqual(a);
  });

  let r: Corpus | Error;
  beforeAll(async () => {
    try {
      r = await corpus.makeSpeechCorpus(OPTS);
    } catch (e) {
      r = e instanceof Error ? e : new Error(String(e));
    }
  }, 120_000);

  it('writes a manifest consistent with its sets, audio and features', () => {
    if (r instanceof Error) throw r;
    const m = r.manifest;
    expect(r.cached).toBe(false);
    expect(m.missing).toEqual([]);
    expect(m.utterances.length).toBe(12 + 3 + 5);
    expect(m.voices.train.length).toBe(1);
    expect(m.voices.test.length).toBe(1);
    expect([...m.voices.train, ...m.voices.test].sort()).toEqual(['en-gb+m3', 'en-us+m3']);
    expect(m.voices.variants).toContain('en-us+whisper');
    expect(m.voices.festival).toEqual(['festival/kal_diphone', 'festival/ked_diphone', 'festival/cmu_us_slt_arctic_hts']);
    expect(m.voices.flite).toEqual(['flite/kal', 'flite/kal16', 'flite/awb', 'flite/rms', 'flite/slt']);
    let offset = 0;
    let sample = 0;
    m.utterances.forEach((u, i) => {
      expect(u.id).toBe(i);
      expect(u.digits.length).toBeGreaterThanOrEqual(3);
      expect(u.digits.length).toBeLessThanOrEqual(7);
      expect(u.text).toBe(u.digits.map((d: number) => corpus.DIGIT_WORDS[d]).join(' '));
      expect(u.rate).toBeGreaterThanOrEqual(130);
      expect(u.rate).toBeLessThanOrEqual(200);
      expect(u.pitch).toBeGreaterThanOrEqual(30);
      expect(u.pitch).toBeLessThanOrEqual(70);
      // the sets: the first 12 are the pool (train, or held-out espeak-ng voice), then the variant, then Flite
      const set = i < 12 ? (m.voices.test.includes(u.voice) ? 'voices' : 'train') : i < 15 ? 'variants' : 'flite';
      expect(u.set).toBe(set);
      expect(u.split).toBe(set === 'train' ? 'train' : 'test');
      if (set === 'variants') expect(m.voices.variants).toContain(u.voice);
      if (set === 'flite') expect(u.voice).toMatch(/^flite\//);
      if (set === 'train') expect(m.voices.train.includes(u.voice) || m.voices.festival.includes(u.voice)).toBe(true);
      expect(u.offset).toBe(offset);
      expect(u.sample).toBe(sample);
      // a few digits take well over half a second; none takes 10 s; the frames are those of the samples
      expect(u.frames).toBeGreaterThan(50);
      expect(u.frames).toBeLessThan(1000);
      expect(u.frames).toBe(1 + Math.floor((u.samples - 400) / 160));
      offset += u.frames;
      sample += u.samples;
    });
    expect(r.features.length).toBe(offset * 40);
    expect(r.audio.length).toBe(sample);
    // counts per voice, and every synthesizer used
    const counts: Record<string, number> = {};
    for (const u of m.utterances) counts[u.voice] = (counts[u.voice] ?? 0) + 1;
    expect(m.counts).toEqual(counts);
    expect(new Set(m.utterances.map((u) => corpus.synthOf(u.voice)))).toEqual(new Set(['espeak-ng', 'festival', 'flite']));
    const train = m.utterances.filter((u: Utt) => u.split === 'train');
    const test = m.utterances.filter((u: Utt) => u.split === 'test');
    const heard = new Set(train.map((u: Utt) => u.voice));
    // training statistics: band 5's mean and std over the training frames, recomputed here
    const feats = r.features;
    const b5 = train.flatMap((u: Utt) => Array.from({ length: u.frames }, (_, t) => feats[(u.offset + t) * 40 + 5]));
    const mean = b5.reduce((a: number, x: number) => a + x, 0) / b5.length;
    expect(m.stats.frames).toBe(b5.length);
    expect(m.stats.mean[5]).toBeCloseTo(mean, 6);
    expect(m.stats.std[5]).toBeCloseTo(Math.sqrt(b5.reduce((a: number, x: number) => a + (x - mean) ** 2, 0) / b5.length), 5);
    for (const u of test) expect(heard.has(u.voice)).toBe(false);
    expect(corpus.describeVoices(m).join('\n')).toMatch(/flite: \d voices, 5 utterances/);
  });

  it("stores each synthesizer's audio (int16) and the log-mel features of exactly those samples, as a fresh synthesis gives", async () => {
    if (r instanceof Error) throw r;
    const m = r.manifest;
    for (const synth of ['espeak-ng', 'festival', 'flite']) {
      const u = m.utterances.find((x) => corpus.synthOf(x.voice) === synth) as Utt;
      const wav = await synth_(u);
      const fresh = decodeWav16k(new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength));
      const stored = r.audio.subarray(u.sample, u.sample + u.samples);
      expect(stored.length).toBe(fresh.length);
      for (let i = 0; i < fresh.length; i += 97) expect(stored[i]).toBe(Math.round(Math.max(-1, Math.min(1, fresh[i])) * 32767));
      const f = logMel(Float32Array.from(stored, (v) => v / 32768));
      expect(r.features.subarray(u.offset * 40, (u.offset + u.frames) * 40)).toEqual(f);
    }
  });

  it('names a missing synthesizer with its Debian package and makes the corpus without it', async () => {
    const logs: string[] = [];
    const c: Corpus = await corpus.makeSpeechCorpus({
      ...OPTS,
      count: 4,
      heldOut: 0,
      festivalProgram: '/nonexistent/festival',
      fliteProgram: '/nonexistent/flite',
      out: join(dir, 'missing'),
      log: (s: string) => logs.push(s),
    });
    expect(c.manifest.missing).toEqual([
      expect.stringMatching(/festival is not installed .*apt-get install -y festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts/),
      expect.stringMatching(/flite is not installed .*apt-get install -y flite/),
    ]);
    expect(logs.join('\n')).toMatch(/flite is not installed.*the corpus is made without it/);
    expect(c.manifest.utterances.length).toBe(4);
    for (const u of c.manifest.utterances) expect(corpus.synthOf(u.voice)).toBe('espeak-ng');
  }, 60_000);

  it('serves a second run from the cache, and a smaller corpus is a prefix of a larger one', async () => {
    if (r instanceof Error) throw r;
    const again: Corpus = await corpus.makeSpeechCorpus(OPTS);
    expect(again.cached).toBe(true);
    expect(again.manifest).toEqual(r.manifest);
    expect(again.features).toEqual(r.features);
    const small: Corpus = await corpus.makeSpeechCorpus({ ...OPTS, count: 5, heldOut: 0, flite: 0, out: join(dir, 'b') });
    expect(small.manifest.utterances.map((u: Utt) => u.text)).toEqual(r.manifest.utterances.slice(0, 5).map((u: Utt) => u.text));
    expect(small.features.subarray(0, (small.manifest.utterances[4].offset + small.manifest.utterances[4].frames) * 40)).toEqual(
      r.features.subarray(0, (r.manifest.utterances[4].offset + r.manifest.utterances[4].frames) * 40),
    );
  });
});
