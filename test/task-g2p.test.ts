// Task 3, grapheme to phoneme with the attention encoder-decoder: edit distance and error
// rates on hand-computed cases, the lexicon parser and its errors, the seeded split, a
// short training run on CMUdict words that passes WER/PER thresholds on held-out words,
// beam search through the SDK, attention weights, save/load, typed errors, and the CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCmudict } from '../ts/cli/corpora/cmudict.js';
import { init } from '../ts/index.js';
import { bucketBatches, MAX_BATCH_CELLS, Seq2SeqModel } from '../ts/seq2seq.js';
import { editDistance, errorRates } from '../ts/tasks/edit-distance.js';
import { G2P, type LexiconEntry, parseLexicon, splitLexicon, stripStress } from '../ts/tasks/g2p.js';
import { expectError, ROOT } from './helpers.js';

let entries: LexiconEntry[];
let train: LexiconEntry[];
let test: LexiconEntry[];

beforeAll(async () => {
  await init();
  entries = parseLexicon(await loadCmudict()).entries;
  ({ train, test } = splitLexicon(entries, { test: 0.05, seed: 1 }));
});

describe('edit distance and error rates (hand-computed)', () => {
  it('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('flaw', 'lawn')).toBe(2);
    expect(editDistance(['K', 'AE1', 'T'], ['K', 'AE1', 'T'])).toBe(0);
    expect(editDistance(['K', 'AE1', 'T'], ['K', 'AH0', 'T', 'S'])).toBe(2);
    expect(editDistance(['AH0'], ['AH1'])).toBe(1);
  });

  it('WER counts a word right when it equals any reference; PER uses the closest reference', () => {
    const refs = [
      [
        ['T', 'AH0', 'M', 'EY1', 'T', 'OW2'],
        ['T', 'AH0', 'M', 'AA1', 'T', 'OW2'],
      ], // TOMATO: two accepted
      [['K', 'AE1', 'T']],
      [['D', 'AO1', 'G']],
    ];
    const hyps = [
      ['T', 'AH0', 'M', 'AA1', 'T', 'OW2'], // right (second reference)
      ['K', 'AE1', 'T', 'S'], // one insertion
      ['D', 'AA1'], // one substitution, one deletion
    ];
    const r = errorRates(refs, hyps);
    expect(r.wer).toBeCloseTo(2 / 3, 12);
    expect(r.edits).toBe(0 + 1 + 2);
    expect(r.phonemes).toBe(6 + 3 + 3);
    expect(r.per).toBeCloseTo(3 / 12, 12);
    expectError(() => errorRates(refs, hyps.slice(1)), RangeError, 'E_SHAPE');
    expectError(() => errorRates([], []), RangeError, 'E_RANGE');
    expectError(() => errorRates([[]], [['A']]), RangeError, 'E_RANGE', /no reference/);
  });
});

describe('lexicon', () => {
  it('CMUdict: 123,874 words of letters and apostrophes with all their pronunciations', () => {
    expect(entries.length).toBe(123_874);
    const tomato = entries.find((e) => e.word === 'TOMATO')!;
    expect(tomato.pronunciations.map((p) => p.join(' '))).toEqual(['T AH0 M EY1 T OW2', 'T AH0 M AA1 T OW2']);
    expect(entries.some((e) => e.word === 'A.' || e.word.includes('-'))).toBe(false);
  });

  it('parses variants, comments and stress; rejects malformed input with typed errors', () => {
    const text = ';;; comment\nREAD  R IY1 D\nREAD(1)  R EH1 D # past tense\n\nA.  EY1\nCAT  K AE1 T\n';
    const p = parseLexicon(text);
    expect(p.entries).toEqual([
      {
        word: 'READ',
        pronunciations: [
          ['R', 'IY1', 'D'],
          ['R', 'EH1', 'D'],
        ],
      },
      { word: 'CAT', pronunciations: [['K', 'AE1', 'T']] },
    ]);
    expect(p.lines).toBe(4);
    expect(p.skipped).toBe(1);
    expect(parseLexicon(text, { stress: false }).entries[0].pronunciations).toEqual([
      ['R', 'IY', 'D'],
      ['R', 'EH', 'D'],
    ]);
    expect(parseLexicon(text, { wordPattern: /./u }).entries.map((e) => e.word)).toEqual(['READ', 'A.', 'CAT']);
    expectError(() => parseLexicon(''), RangeError, 'E_RANGE', /no entries/);
    expectError(() => parseLexicon(';;; only comments\n\n'), RangeError, 'E_RANGE', /no entries/);
    expectError(() => parseLexicon('CAT  K AE1 T\nDOG\n'), TypeError, 'E_FORMAT', /line 2: expected 'WORD {2}PHONE PHONE …'/);
    expectError(() => parseLexicon('CAT  K AE1 T!\n'), TypeError, 'E_FORMAT', /line 1: "T!" is not a phone symbol/);
    expectError(() => parseLexicon(new Uint8Array([0x43, 0x41, 0xc0, 0x20, 0x4b])), TypeError, 'E_FORMAT', /not valid UTF-8/);
    expectError(() => parseLexicon('A.  EY1\n'), RangeError, 'E_RANGE', /none of the 1 entries/);
  });

  it('the split is deterministic by seed, disjoint, and 5% of the words', () => {
    const again = splitLexicon([...entries].reverse(), { test: 0.05, seed: 1 });
    expect(again.test.map((e) => e.word)).toEqual(test.map((e) => e.word));
    expect(test.length).toBe(Math.round(0.05 * entries.length));
    const inTrain = new Set(train.map((e) => e.word));
    expect(test.some((e) => inTrain.has(e.word))).toBe(false);
    expect(train.length + test.length).toBe(entries.length);
    expect(splitLexicon(entries, { test: 0.05, seed: 2 }).test.map((e) => e.word)).not.toEqual(test.map((e) => e.word));
    expectError(() => splitLexicon(entries.slice(0, 3), { test: 3 }), RangeError, 'E_RANGE', /nothing to train on/);
  });
});

describe('G2P training (short budget)', () => {
  it('270 steps on 4,000 CMUdict words: held-out PER below 50% and WER below 95%; beam search, attention, save/load', async () => {
    const sub = splitLexicon(train, { test: 4000, seed: 2 }).test;
    const held = splitLexicon(test, { test: 300, seed: 3 }).test;
    const g = G2P.create(sub, { embed: 16, encoderUnits: 32, decoderUnits: 64, attention: 32 }, { seed: 1 });
    g.model.compile({ optimizer: { name: 'adam', lr: 1e-2 }, clipNorm: 5 });
    const before = g.evaluate(held.slice(0, 50));
    const events: number[] = [];
    const res = await g.fit(sub, { epochs: 2, batchSize: 32, seed: 1, lrDecay: 0.7, onProgress: (e) => e.type === 'epoch' && events.push(e.loss) });
    expect(res.stopReason).toBe('completed');
    expect(res.steps).toBe(2 * Math.ceil(g.pairs(sub).length / 32));
    expect(events.length).toBe(2);
    expect(events[1]).toBeLessThan(events[0]);
    expect(g.model.learningRate).toBeCloseTo(1e-2 * 0.49, 8);
    const greedy = g.evaluate(held, { beam: 1 });
    const beam = g.evaluate(held, { beam: 3 });
    expect(before.per).toBeGreaterThan(0.8);
    expect(greedy.per).toBeLessThan(0.5);
    expect(greedy.wer).toBeLessThan(0.95);
    expect(beam.per).toBeLessThan(0.5);
    // without stress: the same outputs scored with the digits dropped on both sides
    const flat = (ps: readonly (readonly string[])[]) => ps.map((p) => p.map(stripStress));
    const plain = errorRates(
      held.map((e) => flat(e.pronunciations)),
      flat(greedy.predictions),
    );
    expect(greedy.noStress).toEqual(plain);
    expect(greedy.noStress!.wer).toBeLessThanOrEqual(greedy.wer);
    expect(greedy.noStress!.per).toBeLessThan(greedy.per);
    // n-best lists come sorted, and each decoded score is the teacher-forced log-probability
    // of that output (the stepwise decoder and the batched training pass agree)
    const words = held.slice(0, 40).map((e) => e.word);
    const gs = g.pronounceAll(words, { beam: 1 });
    const bs = g.pronounceAll(words, { beam: 3, nBest: 3 });
    for (let i = 0; i < words.length; i++) {
      expect(bs[i].length).toBe(3);
      for (let k = 1; k < bs[i].length; k++) expect(bs[i][k].score).toBeLessThanOrEqual(bs[i][k - 1].score);
    }
    const p = { source: g.encodeWord(words[0]), target: g.phones.encode(bs[0][0].phones) };
    expect(g.model.scores([p])[0]).toBeCloseTo(bs[0][0].score, 3);
    const q = { source: g.encodeWord(words[1]), target: g.phones.encode(gs[1][0].phones) };
    expect(g.model.scores([q])[0]).toBeCloseTo(gs[1][0].score, 3);

    // attention: one weight per source letter, each row sums to 1
    const att = g.model.attention([p, { source: g.encodeWord('CAT'), target: g.phones.encode(['K', 'AE1', 'T']) }]);
    expect(att[1].length).toBe(4);
    for (const row of att[1]) {
      expect(row.length).toBe(3);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }

    // save → load gives the same model
    const bytes = g.save({ note: 'test' });
    const { g2p: h, metadata } = G2P.load(bytes);
    expect(metadata.note).toBe('test');
    expect(h.model.paramNames()).toEqual(g.model.paramNames());
    expect(h.model.paramNames()).toContain('encoder.rnn.weight_ih_l0_reverse');
    expect(h.model.paramNames()).toContain('attention.energy.weight');
    expect(h.pronounce(words.slice(0, 20), { beam: 3 })).toEqual(g.pronounce(words.slice(0, 20), { beam: 3 }));
    expectError(() => G2P.load(bytes.subarray(0, 100)), TypeError, 'E_FORMAT');
    h.dispose();
    g.dispose();
  });
});

describe('Seq2SeqModel API', () => {
  it('buckets batches by length, deterministically', () => {
    const pairs = Array.from({ length: 50 }, (_, i) => ({ source: new Array(1 + (i % 7)).fill(1), target: [2] }));
    const a = bucketBatches(pairs, 8, 3);
    expect(a).toEqual(bucketBatches(pairs, 8, 3));
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from(pairs.keys()));
    const spread = a.map((b) => Math.max(...b.map((k) => pairs[k].source.length)) - Math.min(...b.map((k) => pairs[k].source.length)));
    expect(Math.max(...spread)).toBeLessThanOrEqual(1);
  });

  it('splits a bucket of long pairs so B · Tx · (Ty + 1) stays within the cell cap', () => {
    // 30 short pairs (3 → 2 pieces: 9 cells each) and 10 long ones (10 → 9: 100 cells each)
    const pairs = [
      ...Array.from({ length: 30 }, () => ({ source: [1, 1, 1], target: [2, 2] })),
      ...Array.from({ length: 10 }, () => ({ source: new Array(10).fill(1), target: new Array(9).fill(2) })),
      { source: new Array(30).fill(1), target: new Array(29).fill(2) }, // 900 cells: alone
    ];
    const a = bucketBatches(pairs, 8, 1, 350);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from(pairs.keys()));
    for (const b of a) {
      const tx = Math.max(...b.map((k) => pairs[k].source.length));
      const ty = Math.max(...b.map((k) => pairs[k].target.length)) + 1;
      expect(b.length).toBeLessThanOrEqual(8);
      if (b.length > 1) expect(b.length * tx * ty).toBeLessThanOrEqual(350);
    }
    expect(a.filter((b) => b.length === 8)).toHaveLength(3); // the short pairs keep full batches
    expect(a.find((b) => b.includes(40))).toEqual([40]);
    expect(Math.max(...a.filter((b) => pairs[b[0]].source.length === 10).map((b) => b.length))).toBe(3);
    // the default cap (2^18 cells) leaves G2P-sized batches whole
    expect(bucketBatches(pairs.slice(0, 40), 8, 1)).toHaveLength(5);
    expect(MAX_BATCH_CELLS).toBe(2 ** 18);
  });

  it('typed errors for bad options and inputs; the model stays usable', () => {
    expectError(() => Seq2SeqModel.create({ sourceVocab: 5, targetVocab: 6, bogus: 1 } as never), TypeError, 'E_OPTION', /bogus/);
    expectError(() => Seq2SeqModel.create({ sourceVocab: 5, targetVocab: 2 }), RangeError, 'E_RANGE', /tgtVocab must be at least 3/);
    expectError(() => Seq2SeqModel.create({ sourceVocab: 5, targetVocab: 6, bos: 1, eos: 1 }), RangeError, 'E_RANGE', /distinct/);
    const m = Seq2SeqModel.create({ sourceVocab: 5, targetVocab: 6, embed: 4, encoderUnits: 4 }, { seed: 1 });
    expectError(() => m.trainStep([{ source: [1], target: [2] }]), TypeError, 'E_STATE', /compile/);
    m.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
    expectError(() => m.compile({ optimizer: { name: 'rmsprop' } as never }), TypeError, 'E_OPTION', /adam, adamw, sgd/);
    expectError(() => m.trainStep([]), RangeError, 'E_RANGE', /empty/);
    expectError(() => m.trainStep([{ source: [], target: [2] }]), RangeError, 'E_RANGE', /source 0 is empty/);
    expectError(() => m.trainStep([{ source: [9], target: [2] }]), RangeError, 'E_RANGE', /source id 9/);
    expectError(() => m.trainStep([{ source: [1], target: [1] }]), RangeError, 'E_RANGE', /eos/);
    expectError(() => m.trainStep([{ source: [1.5], target: [2] }]), RangeError, 'E_RANGE', /not a valid id/);
    expectError(() => m.decode([[1]], { beam: 2, nBest: 3 }), RangeError, 'E_RANGE', /nBest/);
    expectError(() => m.decode([[1]], { beam: 0 }), RangeError, 'E_RANGE');
    const r = m.trainStep([
      { source: [1, 2], target: [2, 3] },
      { source: [4], target: [] },
    ]);
    expect(Number.isFinite(r.loss) && r.tokens === 4).toBe(true);
    expect(m.decode([[1, 2], [3]], { beam: 2, maxLength: 4 }).length).toBe(2);
    m.dispose();
    expectError(() => m.decode([[1]]), TypeError, 'E_STATE', /freed/);
  });
});

describe('recurrent g2p (CLI)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'g2p', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-g2p-'));
  const model = join(dir, 'g2p.safetensors');

  it('train on a small lexicon file reports WER/PER greedy and with beam search, and saves the model', () => {
    const lex = join(dir, 'lex.txt');
    const words = splitLexicon(entries, { test: 400, seed: 5 }).test;
    writeFileSync(lex, words.flatMap((e) => e.pronunciations.map((p, k) => `${e.word}${k ? `(${k})` : ''}  ${p.join(' ')}`)).join('\n'));
    const r = cli(
      'train',
      '--lexicon',
      lex,
      '--test-size',
      '40',
      '--validation-size',
      '20',
      '--epochs',
      '1',
      '--units',
      '8',
      '--embed',
      '8',
      '--attention',
      '8',
      '--beam',
      '2',
      '--out',
      model,
    );
    expect(r.stderr).not.toMatch(/recurrent:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/data: .*lex\.txt, 400 words .* 340 training words .* 20 validation, 40 test \(seed 1\)/);
    expect(r.stdout).toMatch(/epoch 1\/1: train \d+\.\d+ nats\/phoneme, validation \d+\.\d+ nats\/phoneme, greedy WER \d+\.\d% PER \d+\.\d%/);
    expect(r.stdout).toMatch(/test greedy: WER \d+\.\d%, PER \d+\.\d% \(40 words/);
    expect(r.stdout).toMatch(/test beam 2: WER \d+\.\d%, PER \d+\.\d%/);
    expect(r.stdout).toMatch(/test greedy without stress \(39 phones, .*\): WER \d+\.\d%, PER \d+\.\d%/);
    expect(existsSync(model)).toBe(true);
  });

  it('run pronounces words from the saved model', () => {
    const r = cli('run', '--model', model, '--beam', '2', '--n-best', '2', 'cat', 'DOG');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(4);
    expect(lines[0]).toMatch(/^cat\t[A-Z]/);
    expect(lines[3]).toMatch(/^DOG\t.*\t-\d+\.\d{3}$/);
  });

  it('bad flags and files are clear errors', () => {
    let r = cli('run', 'CAT');
    expect(r.stderr).toMatch(/--model FILE is required/);
    r = cli('train', '--lexicon', join(dir, 'missing.txt'));
    expect(r.stderr).toMatch(/recurrent: E_FORMAT: cannot read lexicon/);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'CAT  K AE1 T\nDOG\n');
    r = cli('train', '--lexicon', bad);
    expect(r.stderr).toMatch(/recurrent: E_FORMAT: line 2/);
    r = cli('fly');
    expect(r.stderr).toMatch(/unknown g2p command 'fly'/);
  });
});
