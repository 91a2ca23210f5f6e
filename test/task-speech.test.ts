// Speech recognition with CTC (ts/tasks/speech.ts, `recurrent speech`): the metrics and the
// framing by hand, streaming transcription equal to the offline one, and the CLI end to end on a
// tiny espeak-ng corpus (a few dozen utterances, a small model): train, score the held-out
// voice, save, transcribe an espeak-ng WAV, typed errors for what is not a WAV.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logMel } from '../ts/audio/mel.js';
import { decodeWav16k } from '../ts/audio/wav.js';
import { decodeSafetensors, encodeSafetensors, init, type TensorIn } from '../ts/index.js';
import { augmentedExamples, digitsToWords, SpeechRecognizer, scoreTranscripts, stackFrames, withLookahead } from '../ts/tasks/speech.js';
import { ROOT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'speech-task-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => init());

const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 170_000 });
const espeakWav = (text: string, voice = 'en-us') => {
  const path = join(dir, `${text.replace(/ /g, '-')}.wav`);
  writeFileSync(path, execFileSync('espeak-ng', ['-v', voice, '-s', '160', '--stdout', text]));
  return path;
};

describe('speech metrics and framing', () => {
  it('label error rate = Σ edit distance / Σ reference digits; accuracy = exact strings', () => {
    // [4,1,5] → [4,5]: 1 deletion; [2,2] → [2,2]: exact; [7] → [1,7,3]: 2 insertions
    const r = scoreTranscripts(
      [[4, 1, 5], [2, 2], [7]],
      [
        [4, 5],
        [2, 2],
        [1, 7, 3],
      ],
    );
    expect(r.ler).toBeCloseTo(3 / 6, 12);
    expect(r.accuracy).toBeCloseTo(1 / 3, 12);
    expect(r.utterances).toBe(3);
    expect(scoreTranscripts([[1]], [[]]).ler).toBe(1);
    expect(digitsToWords([4, 0, 9])).toBe('four zero nine');
  });

  it('stackFrames normalises per band and stacks frames, padding the last step with zeros', () => {
    // 5 frames of 2 bands, stack 2 → 3 steps of 4
    const x = Float32Array.from([1, 10, 3, 10, 5, 20, 7, 20, 9, 30]);
    const y = stackFrames(x, { stack: 2, bands: 2, mean: [5, 20], std: [2, 10] });
    expect(Array.from(y)).toEqual([-2, -1, -1, -1, 0, 0, 1, 0, 2, 1, 0, 0]);
    // per utterance first: band 0 is 1,3,5,7,9 (mean 5, std √8), band 1 10,10,20,20,30 (mean 18, std √56)
    const u = stackFrames(x, { stack: 2, bands: 2, mean: [0, 0], std: [1, 1], normalize: 'utterance' });
    expect(u[0]).toBeCloseTo(-4 / Math.sqrt(8), 5);
    expect(u[1]).toBeCloseTo(-8 / Math.sqrt(56), 5);
    expect(u[8]).toBeCloseTo(4 / Math.sqrt(8), 5);
  });

  it('lookahead appends the next steps to each step, zeros past the end', () => {
    // 3 steps of width 2 (bands 1, stack 2), lookahead 2 → rows [s0 s1 s2], [s1 s2 0], [s2 0 0]
    const steps = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(withLookahead(steps, { bands: 1, stack: 2, lookahead: 2 }))).toEqual([1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 0, 0, 5, 6, 0, 0, 0, 0]);
    expect(withLookahead(steps, { bands: 1, stack: 2 })).toBe(steps);
    const x = Float32Array.from([1, 10, 3, 10, 5, 20, 7, 20, 9, 30]);
    const f = { stack: 2, bands: 2, mean: [5, 20], std: [2, 10] };
    expect(Array.from(stackFrames(x, { ...f, lookahead: 1 }))).toEqual([-2, -1, -1, -1, 0, 0, 1, 0, 0, 0, 1, 0, 2, 1, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe('recurrent speech (espeak-ng, tiny corpus)', () => {
  const corpusDir = join(dir, 'corpus');
  const model = join(dir, 'speech.safetensors');
  // espeak-ng only, no held-out variant set, clean audio: the tiny run that learns something
  const common = [
    ...['--utterances', '48', '--voices', 'en-us,en-gb', '--variants', 'm3,f2', '--test-size', '0.25', '--corpus', corpusDir],
    ...['--synthesizers', 'espeak-ng', '--held-out-utterances', '0', '--no-augment'],
  ];

  it('speech train makes the corpus, trains, scores the held-out voice greedy and beam, and saves', () => {
    // a constant rate: 60 tiny epochs (the default falls by 0.85 an epoch, for the 14-minute recipe)
    const r = cli(
      'speech',
      'train',
      ...common,
      '--units',
      '32',
      '--epochs',
      '60',
      '--batch',
      '8',
      '--lr',
      '0.01',
      '--lr-decay',
      '1',
      '--beam',
      '4',
      '--out',
      model,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/corpus: .* 48 utterances .*synthetic voices/);
    expect(r.stdout).toMatch(/held out \d+ \(espeak-ng \d+\)/);
    // espeak-ng 1.51 ignores the variant after en-gb: en-gb+f2 sounds as en-gb+m3 and is dropped
    expect(r.stdout).toMatch(/dropped 1 duplicate espeak-ng voices .*e\.g\. en-gb\+f2 = en-gb\+m3/);
    expect(r.stdout).toContain('no augmentation');
    const ler = r.stdout.match(
      /espeak-ng held-out voices of the training variants: label error rate ([\d.]+)% greedy, ([\d.]+)% beam 4; .* at gain 0\.1 \(-20 dB\) ([\d.]+)% greedy/,
    );
    expect(ler, r.stdout).not.toBeNull();
    // better than chance: an empty or random transcript has a label error rate of 100% or more
    expect(Number(ler![1])).toBeLessThan(90);
    // the worst utterances (per-accent lines need two held-out accents)
    expect(r.stdout).toMatch(/worst (\d+ utterances|utterances: none)/);
    expect(existsSync(model)).toBe(true);
    expect(existsSync(join(corpusDir, 'manifest.json'))).toBe(true);
    // the picture of the run: the training loss, one dot per epoch
    const svg = readFileSync(join(dir, 'speech.svg'), 'utf8');
    expect(svg).toContain('CTC loss (training, nats)');
    expect(r.stdout).toContain(`picture: ${join(dir, 'speech.svg')}`);
  }, 180_000);

  it('speech run transcribes an espeak-ng WAV into digits and words', () => {
    const r = cli('speech', 'run', '--model', model, '--wav', espeakWav('four one five'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = r.stdout.replace(/\n$/, '').match(/^(\d*)\t(.*)$/);
    expect(m, r.stdout).not.toBeNull();
    expect(m![2]).toBe(digitsToWords(Array.from(m![1], Number)));
  }, 60_000);

  it('speech run transcribes many WAVs in one process (arguments or --list); speech eval scores a gold list', () => {
    mkdirSync(join(dir, 'a'), { recursive: true });
    mkdirSync(join(dir, 'b'), { recursive: true });
    const say = (sub: string, text: string, voice: string) => {
      const path = join(dir, sub, `${text.replace(/ /g, '-')}.wav`);
      writeFileSync(path, execFileSync('espeak-ng', ['-v', voice, '-s', '160', '--stdout', text]));
      return path;
    };
    const files = [say('a', 'four one five', 'en-us'), say('a', 'two nine', 'en-us'), say('b', 'seven three eight', 'en-gb')];
    const refs = [
      [4, 1, 5],
      [2, 9],
      [7, 3, 8],
    ];
    const r = cli('speech', 'run', '--model', model, ...files);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((x) => x[0])).toEqual(files);
    for (const x of rows) expect(x[2]).toBe(digitsToWords(Array.from(x[1], Number)));
    const hyps = rows.map((x) => Array.from(x[1], Number));
    writeFileSync(join(dir, 'list.txt'), '# the same three\na/four-one-five.wav\n\na/two-nine.wav\nb/seven-three-eight.wav\n');
    const l = cli('speech', 'run', '--model', model, '--list', join(dir, 'list.txt'));
    expect(l.status).toBe(0);
    expect(l.stdout).toBe(r.stdout);
    // the gold list: digits or words, a group column for the first two, the folder for the third
    writeFileSync(join(dir, 'gold.tsv'), 'a/four-one-five.wav\t415\tus\na/two-nine.wav\ttwo nine\tus\nb/seven-three-eight.wav\tSeven 3 eight\n');
    const e = cli('speech', 'eval', '--model', model, '--gold', join(dir, 'gold.tsv'), '--worst', '2');
    expect(e.stderr).toBe('');
    expect(e.status).toBe(0);
    const want = scoreTranscripts(refs, hyps);
    const all = e.stdout.match(/all: label error rate ([\d.]+)%, string accuracy ([\d.]+)% \(3 utterances\)/);
    expect(all, e.stdout).not.toBeNull();
    expect(Number(all![1])).toBeCloseTo(100 * want.ler, 2);
    expect(Number(all![2])).toBeCloseTo(100 * want.accuracy, 2);
    const us = scoreTranscripts(refs.slice(0, 2), hyps.slice(0, 2));
    expect(e.stdout).toContain(`  us: label error rate ${(100 * us.ler).toFixed(2)}%, string accuracy ${(100 * us.accuracy).toFixed(2)}% (2 utterances)`);
    expect(e.stdout).toMatch(/\n {2}b: label error rate [\d.]+%, string accuracy [\d.]+% \(1 utterances\)/);
    const wrong = refs.filter((x, i) => scoreTranscripts([x], [hyps[i]]).ler > 0).length;
    expect(e.stdout).toContain(wrong ? `worst ${Math.min(2, wrong)} utterances` : 'worst utterances: none');
    writeFileSync(join(dir, 'bad.tsv'), 'a/two-nine.wav\ttwo nein\n');
    const b = cli('speech', 'eval', '--model', model, '--gold', join(dir, 'bad.tsv'));
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/E_FORMAT: .*bad.tsv line 1: 'nein' is not a digit/);
  }, 60_000);

  it('speech run gives E_FORMAT for a file that is not a WAV, and for a model that is not a speech model', () => {
    const text = join(dir, 'not.wav');
    writeFileSync(text, 'this is not audio');
    const r = cli('speech', 'run', '--model', model, '--wav', text);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/E_FORMAT/);
    const r2 = cli('speech', 'run', '--model', text, '--wav', espeakWav('two'));
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/E_FORMAT/);
    const r3 = cli('speech', 'run', '--model', model);
    expect(r3.status).not.toBe(0);
    expect(r3.stderr).toMatch(/--wav FILE is required \(or WAV files as arguments, or --list FILE\)/);
    const r4 = cli('speech', 'train', '--normalize', 'global');
    expect(r4.status).not.toBe(0);
    expect(r4.stderr).toMatch(/E_OPTION: --normalize must be utterance, causal or none/);
  }, 60_000);
});

describe('per-utterance normalisation in the recognizer', () => {
  it('a quiet recording transcribes as the loud one; the option is saved, and a file without it loads as before', async () => {
    // An untrained model's transcripts are long and arbitrary: equality across gains is a strong check.
    const wav = decodeWav16k(readFileSync(espeakWav('nine two six')));
    let seed = 3;
    const loud = wav.map((v) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return v + 1e-3 * (seed / 2147483648 - 0.5); // a microphone's noise floor: no digital silence at the log floor
    });
    const quiet = loud.map((v) => 0.1 * v);
    const frames = logMel(loud);
    const corpus = { features: frames, bands: 40, utterances: [{ digits: [9, 2, 6], offset: 0, frames: frames.length / 40 }] };
    for (const bidirectional of [true, false]) {
      const rec = await SpeechRecognizer.train(corpus, { bidirectional, units: 16, epochs: 0 });
      try {
        expect(rec.framing.normalize).toBe(bidirectional ? 'utterance' : 'causal');
        const [a, b] = await rec.transcribeFrames([logMel(loud), logMel(quiet)]);
        expect(a.length).toBeGreaterThan(3);
        expect(b).toEqual(a);
        const back = await SpeechRecognizer.load(await rec.save());
        expect(back.framing.normalize).toBe(rec.framing.normalize);
        expect(back.framing.warmupFrames).toBe(50);
        expect(await back.transcribeFrames([logMel(quiet)])).toEqual([a]);
        await back.dispose();
        // a model file of before the option: no normalize in its metadata → none, as it was trained
        const f = decodeSafetensors(await rec.save());
        const meta = JSON.parse(f.metadata.speech);
        delete meta.normalize;
        delete meta.warmupFrames;
        const tensors: [string, TensorIn][] = [...f.tensors].map(([n, t]) => [n, { dtype: 'F32', shape: t.shape, data: t.data as Float32Array }]);
        const old = await SpeechRecognizer.load(encodeSafetensors(tensors, { ...f.metadata, speech: JSON.stringify(meta) }));
        expect(old.framing.normalize).toBe('none');
        await old.dispose();
      } finally {
        await rec.dispose();
      }
    }
    await expect(SpeechRecognizer.train(corpus, { units: 4, epochs: 0, normalize: 'global' as never })).rejects.toMatchObject({ code: 'E_OPTION' });
    const uni = await SpeechRecognizer.train(corpus, { bidirectional: false, units: 4, epochs: 0, normalize: 'utterance' });
    await expect(uni.stream()).rejects.toMatchObject({ code: 'E_OPTION' });
    await uni.dispose();
  }, 60_000);
});

describe('augmentation in training', () => {
  it("draws each epoch's audio from (seed, epoch, utterance): reproducible, different per epoch, the clean features when every step is off", async () => {
    const say = (text: string, voice: string) => decodeWav16k(readFileSync(espeakWav(text, voice)));
    const clips = [say('four one', 'en-us'), say('two nine', 'en-gb'), say('seven', 'en-us+f2')];
    const audio = new Int16Array(clips.reduce((a, c) => a + c.length, 0));
    const frames: Float32Array[] = [];
    const utterances: { digits: number[]; offset: number; frames: number; sample: number; samples: number }[] = [];
    let sample = 0;
    let offset = 0;
    for (const [i, c] of clips.entries()) {
      const q = Int16Array.from(c, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767));
      audio.set(q, sample);
      const f = logMel(Float32Array.from(q, (v) => v / 32768));
      frames.push(f);
      utterances.push({ digits: [[4, 1], [2, 9], [7]][i], offset, frames: f.length / 40, sample, samples: q.length });
      sample += q.length;
      offset += f.length / 40;
    }
    const features = new Float32Array(offset * 40);
    frames.forEach((f, i) => {
      features.set(f, utterances[i].offset * 40);
    });
    const corpus = { features, bands: 40, utterances, audio };
    const framing = { stack: 3, bands: 40, mean: new Array(40).fill(0), std: new Array(40).fill(1), normalize: 'utterance' as const };
    const e0 = await augmentedExamples(corpus, utterances, framing, {}, 1, 0);
    expect(await augmentedExamples(corpus, utterances, framing, {}, 1, 0)).toEqual(e0);
    const e1 = await augmentedExamples(corpus, utterances, framing, {}, 1, 1);
    expect(e1.map((e) => e.features)).not.toEqual(e0.map((e) => e.features));
    expect(e1.map((e) => e.labels)).toEqual(utterances.map((u) => u.digits));
    const off = { speed: false, tempo: false, pitch: false, filter: false, reverb: false, noise: false, gain: false, specAugment: false } as const;
    const clean = await augmentedExamples(corpus, utterances, framing, off, 1, 0);
    expect(clean.map((e) => e.features)).toEqual(frames.map((f) => stackFrames(f, framing)));
    const ahead = { ...framing, lookahead: 1 };
    expect((await augmentedExamples(corpus, utterances, ahead, off, 1, 0)).map((e) => e.features)).toEqual(frames.map((f) => stackFrames(f, ahead)));
    // SpecAugment masks the steps before the lookahead is appended: the row of step t+1 repeats in step t
    const masked = await augmentedExamples(corpus, utterances, ahead, { ...off, specAugment: { prob: 1, timeMasks: 2, timeWidth: 10 } }, 1, 0);
    const m0 = masked[0].features as Float32Array;
    const w = 40 * 3;
    for (let t = 0; t + 1 < m0.length / (2 * w); t++)
      expect(m0.subarray(2 * w * t + w, 2 * w * (t + 1))).toEqual(m0.subarray(2 * w * (t + 1), 2 * w * (t + 1) + w));
    // only gain, always: per-utterance normalisation makes the features nearly those of the clean audio
    const quiet = await augmentedExamples(corpus, utterances, framing, { ...off, gain: { prob: 1, minDb: -20, maxDb: -20 } }, 1, 0);
    const q0 = quiet[0].features as Float32Array;
    const c0 = clean[0].features as Float32Array;
    const diff = q0.reduce((a, v, i) => Math.max(a, Math.abs(v - c0[i])), 0);
    expect(diff).toBeLessThan(0.5);
    // training: the same losses twice, others without augmentation
    const losses = async (augment: object | false, cleanEpochs = 0) => {
      const out: number[] = [];
      const rec = await SpeechRecognizer.train(corpus, { units: 8, layers: 1, epochs: 2, augment, cleanEpochs, onEpoch: (e) => out.push(e.loss) });
      await rec.dispose();
      return out;
    };
    const a = await losses({});
    expect(a.length).toBe(2);
    expect(await losses({})).toEqual(a);
    expect(await losses(false)).not.toEqual(a);
    // cleanEpochs: those epochs train on the clean features (as augmentation with every step off), then augmented
    const none = await losses(off);
    expect(await losses({}, 2)).toEqual(none);
    const startClean = await losses({}, 1);
    expect(startClean[0]).toBe(none[0]);
    expect(startClean[1]).not.toBe(none[1]);
    await expect(SpeechRecognizer.train({ ...corpus, audio: undefined }, { units: 4, epochs: 1, augment: {} })).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/augment needs the corpus audio/),
    });
    await expect(SpeechRecognizer.train(corpus, { units: 4, epochs: 1, augment: { speed: { prob: 3 } } })).rejects.toMatchObject({ code: 'E_RANGE' });
  }, 60_000);
});

describe('streaming transcription', () => {
  it('predictStep over frames as they arrive gives the offline greedy transcript (unidirectional model, causal normalisation)', async () => {
    // An untrained model: its transcripts are long and arbitrary, so equality is a strong check.
    const wav = decodeWav16k(readFileSync(espeakWav('seven three eight', 'en-gb')));
    const frames = logMel(wav);
    const corpus = { features: frames, bands: 40, utterances: [{ digits: [7, 3, 8], offset: 0, frames: frames.length / 40 }] };
    const rec = await SpeechRecognizer.train(corpus, { bidirectional: false, units: 16, epochs: 0, stack: 3 });
    try {
      const [offline] = await rec.transcribeFrames([frames]);
      expect(offline.length).toBeGreaterThan(3);
      const s = await rec.stream();
      let partial: number[] = [];
      for (let i = 0; i < wav.length; i += 1234) partial = await s.push(wav.subarray(i, i + 1234));
      expect(offline.slice(0, partial.length)).toEqual(partial);
      expect(await s.end()).toEqual(offline);
      // a warm-up longer than the utterance: nothing until end(), then the offline transcript
      const late = await SpeechRecognizer.train(corpus, { bidirectional: false, units: 16, epochs: 0, warmupFrames: 10_000 });
      const [lateOffline] = await late.transcribeFrames([frames]);
      const ls = await late.stream();
      expect(await ls.push(wav)).toEqual([]);
      expect(await ls.end()).toEqual(lateOffline);
      await late.dispose();
      // lookahead 2 and 10 (speech train --streaming's default): each answer 2 or 10 steps (60 or 300 ms) late,
      // the same transcript as offline; saved and loaded with it
      for (const lookahead of [2, 10]) {
        const ahead = await SpeechRecognizer.train(corpus, { bidirectional: false, units: 16, epochs: 0, lookahead, seed: 3 });
        const [aheadOffline] = await ahead.transcribeFrames([frames]);
        expect(aheadOffline.length).toBeGreaterThan(3);
        const as = await ahead.stream();
        let aheadPartial: number[] = [];
        for (let i = 0; i < wav.length; i += 777) aheadPartial = await as.push(wav.subarray(i, i + 777));
        expect(aheadOffline.slice(0, aheadPartial.length)).toEqual(aheadPartial);
        expect(await as.end()).toEqual(aheadOffline);
        const back = await SpeechRecognizer.load(await ahead.save());
        expect(back.framing.lookahead).toBe(lookahead);
        expect(await back.transcribeFrames([frames])).toEqual([aheadOffline]);
        await back.dispose();
        await ahead.dispose();
      }
      await expect(SpeechRecognizer.train(corpus, { bidirectional: false, units: 4, epochs: 0, lookahead: -1 })).rejects.toMatchObject({ code: 'E_RANGE' });
      const bi = await SpeechRecognizer.train(corpus, { bidirectional: true, units: 4, epochs: 0 });
      await expect(bi.stream()).rejects.toMatchObject({ code: 'E_OPTION' });
      await bi.dispose();
    } finally {
      await rec.dispose();
    }
  }, 60_000);
});
