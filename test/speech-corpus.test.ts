// The espeak-ng digit corpus (examples/speech/make-corpus.mjs) on a tiny run: 12 utterances
// from 2 voices, one held out. The manifest, the split and the features agree; held-out
// voices never occur in training; an utterance's stored features equal a fresh synthesis;
// a second run is served from the cache. espeak-ng must be installed (CI installs it with
// apt-get): without it these tests fail, saying so.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logMel } from '../dist/audio/mel.js';
import { decodeWav16k } from '../dist/audio/wav.js';
// @ts-expect-error: a plain .mjs script without types
import * as corpus from '../examples/speech/make-corpus.mjs';

interface Utt {
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
  manifest: { utterances: Utt[]; voices: { train: string[]; test: string[] }; stats: { frames: number; mean: number[]; std: number[] } };
  features: Float32Array;
  cached: boolean;
}

const dir = mkdtempSync(join(tmpdir(), 'speech-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const OPTS = { count: 12, seed: 3, testVoices: 0.5, accents: ['en-us', 'en-gb'], variants: ['m3'], jobs: 2, out: join(dir, 'a') };

describe('speech corpus (espeak-ng)', () => {
  it('espeak-ng is installed (sudo apt-get install -y espeak-ng)', async () => {
    await expect(corpus.espeakVersion()).resolves.toMatch(/eSpeak NG/);
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

  it('writes a manifest consistent with its split and features', () => {
    if (r instanceof Error) throw r;
    const m = r.manifest;
    expect(r.cached).toBe(false);
    expect(m.utterances.length).toBe(12);
    expect(m.voices.train.length).toBe(1);
    expect(m.voices.test.length).toBe(1);
    expect([...m.voices.train, ...m.voices.test].sort()).toEqual(['en-gb+m3', 'en-us+m3']);
    let offset = 0;
    for (const u of m.utterances) {
      expect(u.digits.length).toBeGreaterThanOrEqual(3);
      expect(u.digits.length).toBeLessThanOrEqual(7);
      expect(u.text).toBe(u.digits.map((d: number) => corpus.DIGIT_WORDS[d]).join(' '));
      expect(u.rate).toBeGreaterThanOrEqual(130);
      expect(u.rate).toBeLessThanOrEqual(200);
      expect(u.pitch).toBeGreaterThanOrEqual(30);
      expect(u.pitch).toBeLessThanOrEqual(70);
      expect(u.split).toBe(m.voices.test.includes(u.voice) ? 'test' : 'train');
      expect(u.offset).toBe(offset);
      // a few digits take well over half a second; none takes 10 s
      expect(u.frames).toBeGreaterThan(50);
      expect(u.frames).toBeLessThan(1000);
      offset += u.frames;
    }
    expect(r.features.length).toBe(offset * 40);
    const train = m.utterances.filter((u: Utt) => u.split === 'train');
    const test = m.utterances.filter((u: Utt) => u.split === 'test');
    expect(train.length).toBeGreaterThan(0);
    expect(test.length).toBeGreaterThan(0);
    const heard = new Set(train.map((u: Utt) => u.voice));
    // training statistics: band 5's mean and std over the training frames, recomputed here
    const feats = r.features;
    const b5 = train.flatMap((u: Utt) => Array.from({ length: u.frames }, (_, t) => feats[(u.offset + t) * 40 + 5]));
    const mean = b5.reduce((a: number, x: number) => a + x, 0) / b5.length;
    expect(m.stats.frames).toBe(b5.length);
    expect(m.stats.mean[5]).toBeCloseTo(mean, 6);
    expect(m.stats.std[5]).toBeCloseTo(Math.sqrt(b5.reduce((a: number, x: number) => a + (x - mean) ** 2, 0) / b5.length), 5);
    for (const u of test) expect(heard.has(u.voice)).toBe(false);
  });

  it('stores the log-mel features of a fresh synthesis of each utterance', () => {
    if (r instanceof Error) throw r;
    for (const i of [0, 11]) {
      const u = r.manifest.utterances[i];
      const wav = execFileSync('espeak-ng', ['-v', u.voice, '-s', String(u.rate), '-p', String(u.pitch), '--stdout', u.text]);
      const f = logMel(decodeWav16k(new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength)));
      expect(f.length).toBe(u.frames * 40);
      expect(r.features.subarray(u.offset * 40, (u.offset + u.frames) * 40)).toEqual(f);
    }
  });

  it('serves a second run from the cache, and a smaller corpus is a prefix of a larger one', async () => {
    if (r instanceof Error) throw r;
    const again: Corpus = await corpus.makeSpeechCorpus(OPTS);
    expect(again.cached).toBe(true);
    expect(again.manifest).toEqual(r.manifest);
    expect(again.features).toEqual(r.features);
    const small: Corpus = await corpus.makeSpeechCorpus({ ...OPTS, count: 5, out: join(dir, 'b') });
    expect(small.manifest.utterances.map((u: Utt) => u.text)).toEqual(r.manifest.utterances.slice(0, 5).map((u: Utt) => u.text));
    expect(small.features).toEqual(r.features.subarray(0, (r.manifest.utterances[4].offset + r.manifest.utterances[4].frames) * 40));
  });
});
