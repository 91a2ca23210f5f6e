// Several input ids per step (`input.slots`) and what the Chinese taggers read through them:
// the segmenter's lexicon bits and bigrams, the POS tagger's first and last characters. Hand-made
// lexicon bits, padBatch with slots, the spec checks, a slotted model against a feature model fed
// the concatenated embedding rows, and tiny trainings on a People's Daily excerpt whose model
// files keep what the models read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init as initDist } from '../dist/index.js';
import { trainPosTagger as trainPosTaggerDist, trainSegmenter as trainSegmenterDist } from '../dist/tasks/index.js';
import { init, Model, padBatch, sequential } from '../ts/index.js';
import {
  charVocabulary,
  HELD_OUT_FOLDS,
  HeldOutCounts,
  heldOutLexicons,
  LEXICON_MAX_LEN,
  lexiconBits,
  lexiconSymbols,
  lexiconWords,
  markSpan,
  NO_BIGRAM,
  PosTagger,
  parseTagged,
  Segmenter,
  trainPosTagger,
  trainSegmenter,
  WordEncoder,
} from '../ts/tasks/index.js';
import { withMetadata } from '../ts/tasks/model-file.js';
import { expectError, ROOT } from './helpers.js';

const PD = parseTagged(readFileSync(join(ROOT, 'test/fixtures/chinese/peoples-daily-excerpt.txt'), 'utf8'));

beforeAll(async () => {
  await init();
  await initDist(); // the replicas run dist/'s worker
});

describe('held-out dictionaries and span bits (held-out.ts, shared by the lexicon and the gazetteer)', () => {
  it('markSpan sets begins, inside and ends of a group; a one-character span begins and ends', () => {
    const bits = new Uint16Array(6);
    markSpan(bits, 1, 4, 3); // bits 3 (begins), 4 (inside), 5 (ends)
    markSpan(bits, 5, 1, 0);
    expect(Array.from(bits)).toEqual([0, 8, 16, 16, 32, 1 | 4]);
  });

  it("a fold's lookup holds the items seen outside it, counted over all folds", () => {
    expect(HELD_OUT_FOLDS).toBe(10);
    const c = new HeldOutCounts(3);
    c.add(0, 'a'); // fold 0
    c.add(3, 'a'); // fold 0 again: a only in fold 0
    c.add(1, 'b');
    c.add(4, 'b'); // fold 1
    c.add(2, 'b'); // fold 2: b in folds 1 and 2
    const [f0, f1, f2] = c.lookups();
    expect([f0.has('a'), f1.has('a'), f2.has('a')]).toEqual([false, true, true]);
    expect([f0.has('b'), f1.has('b'), f2.has('b')]).toEqual([true, true, true]);
    expect(f0.has('z')).toBe(false);
    expectError(() => new HeldOutCounts(0), RangeError, 'E_RANGE', /folds/);
    // the segmenter's: sentence i in fold i % folds, each word counted
    const [l0, l1] = heldOutLexicons([['北京', '是'], ['北京', '上海'], ['是']], 2);
    expect([l0.has('北京'), l0.has('上海'), l0.has('是')]).toEqual([true, true, false]);
    expect([l1.has('北京'), l1.has('上海'), l1.has('是')]).toEqual([true, false, true]);
    expect(heldOutLexicons([['北京']])).toHaveLength(HELD_OUT_FOLDS);
  });
});

describe('lexicon bits', () => {
  it('mark the characters that begin, cross or end a dictionary word of 2, 3 and 4+ characters', () => {
    const cs = Array.from('中华人民共和国成立');
    const bits = lexiconBits(cs, new Set(['人民', '共和国', '中华人民共和国', '成立']));
    // bit 3k + p: k = 0 (2 chars), 1 (3), 2 (4+); p = 0 begins, 1 inside, 2 ends
    const b = (k: number, p: number) => 1 << (3 * k + p);
    expect(Array.from(bits)).toEqual([
      b(2, 0), // 中 begins 中华人民共和国
      b(2, 1), // 华
      b(0, 0) | b(2, 1), // 人 begins 人民
      b(0, 2) | b(2, 1), // 民 ends 人民
      b(1, 0) | b(2, 1), // 共 begins 共和国
      b(1, 1) | b(2, 1), // 和
      b(1, 2) | b(2, 2), // 国 ends 共和国 and 中华人民共和国
      b(0, 0), // 成
      b(0, 2), // 立
    ]);
    expect(lexiconSymbols()).toHaveLength(512);
    const long = 'a'.repeat(LEXICON_MAX_LEN + 1);
    expect(lexiconWords([['北京', '是', long, '首都'], ['北京']])).toEqual(['北京', '首都']);
  });
});

describe('several ids per step (input.slots)', () => {
  it('padBatch lays out [B, T, slots] and refuses a row that is not whole steps', () => {
    const pb = padBatch(
      [
        [1, 2, 3, 4],
        [5, 6],
      ],
      { slots: 2 },
    );
    expect(pb.steps).toBe(2);
    expect(Array.from(pb.lengths)).toEqual([2, 1]);
    expect(Array.from(pb.ids)).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expectError(() => padBatch([[1, 2, 3]], { slots: 2 }), RangeError, 'E_RANGE', /multiple of slots = 2/);
  });

  it('the spec checks slots: token input only, 1 to 64', () => {
    expectError(() => sequential({ input: { features: 3, slots: 2 } as never }), TypeError, 'E_OPTION', /slots/);
    expectError(() => sequential({ input: { vocab: 5, slots: 0 } }), RangeError, 'E_RANGE', /input\.slots/);
    expectError(() => sequential({ input: { vocab: 5, slots: 65 } }), RangeError, 'E_RANGE', /input\.slots/);
    const m = sequential({ input: { vocab: 5, slots: 2 } })
      .embedding({ dim: 3 })
      .dense({ units: 2 })
      .build({ seed: 1 });
    try {
      expect(m.inputSlots).toBe(2);
      expectError(() => m.forward({ ids: [1, 2, 3], batch: 1, steps: 3 }), RangeError, 'E_SHAPE', /slots=2/);
    } finally {
      m.dispose();
    }
  });

  it('a slotted model computes what a feature model does on the concatenated embedding rows', () => {
    const tok = sequential({ input: { vocab: 6, slots: 3 } })
      .embedding({ dim: 2 })
      .lstm({ units: 4, bidirectional: true })
      .dense({ units: 3 })
      .build({ seed: 3 });
    const feat = sequential({ input: { features: 6 } })
      .lstm({ units: 4, bidirectional: true })
      .dense({ units: 3 })
      .build({ seed: 4 });
    try {
      for (const n of feat.paramNames()) feat.setParam(n, tok.getParam(n));
      const ids = [0, 5, 2, 1, 1, 4, 3, 2, 0, 5, 5, 5];
      const e = tok.getParam('embedding.weight');
      const x = Float32Array.from(ids.flatMap((i) => [e[2 * i], e[2 * i + 1]]));
      const a = tok.forward({ ids, batch: 2, steps: 2, lengths: [2, 2] });
      const b = feat.forward({ features: x, batch: 2, steps: 2, lengths: [2, 2] });
      expect(a.length).toBe(2 * 2 * 3);
      a.forEach((v, i) => {
        expect(v).toBeCloseTo(b[i], 5);
      });
      // the spec with its slots survives a save and load
      const again = Model.fromSpec(tok.spec, 3);
      expect(again.inputSlots).toBe(3);
      again.dispose();
    } finally {
      tok.dispose();
      feat.dispose();
    }
  });
});

describe('the Chinese taggers read several ids per step', () => {
  const words = PD.map((s) => s.words);

  it('a segmenter with lexicon inputs reads 4 ids per character, trains, and its file keeps the lexicon', async () => {
    const seg = await trainSegmenter(words, { steps: 60, batchSize: 8, embed: 8, hidden: 16, bigrams: 1, lexicon: true, seed: 1 });
    try {
      expect(seg.slots).toBe(4);
      expect(seg.session.model.inputSlots).toBe(4);
      expect(seg.lexicon?.has('中共中央')).toBe(true);
      const cs = Array.from('中共中央总书记');
      const ids = seg.encode(cs);
      expect(ids.length).toBe(cs.length * 4);
      expect(ids[0]).toBe(seg.vocab.id('中'));
      expect(ids[1]).toBe(seg.vocab.id('中共'));
      expect(ids[2]).toBe(seg.vocab.id(NO_BIGRAM)); // no bigram to the left of the first character
      expect(seg.vocab.symbols[ids[3]]).toBe('<lex64>'); // 中 begins the 4+ word 中共中央
      const score = seg.evaluate(words.slice(0, 5));
      expect(score.f1).toBeGreaterThan(0.5);
      // a file whose lexicon is not a list of words is E_FORMAT, not a segmenter reading wrong ids
      const bytes = seg.save();
      expectError(() => Segmenter.load(withMetadata(bytes, { lexicon: '{"a"' })), TypeError, 'E_FORMAT', /lexicon is not JSON/);
      expectError(() => Segmenter.load(withMetadata(bytes, { lexicon: '[1, 2]' })), TypeError, 'E_FORMAT', /not a list of words/);
      expectError(() => Segmenter.load(withMetadata(bytes, { lexicon: 'null' })), TypeError, 'E_FORMAT', /reads 4 ids per step/);
      const again = Segmenter.load(bytes);
      try {
        expect(again.slots).toBe(4);
        expect(again.segment(['中共中央总书记、国家主席江泽民'])).toEqual(seg.segment(['中共中央总书记、国家主席江泽民']));
      } finally {
        again.dispose();
      }
    } finally {
      seg.dispose();
    }
    expectError(() => Segmenter.create(charVocabulary(words), { lexicon: ['北京'] }), TypeError, 'E_OPTION', /lexicon: true/);
  }, 60_000);

  it('a POS tagger with character inputs reads word, first and last character; its file keeps them', async () => {
    const tagger = await trainPosTagger(PD, { epochs: 2, batchSize: 4, embed: 8, hidden: 8, chars: true, seed: 1 });
    try {
      const enc = tagger.encoder;
      expect(enc.slots).toBe(3);
      expect(tagger.session.model.inputSlots).toBe(3);
      const ids = enc.encode(['主席', '鑫鑫']);
      expect(Array.from(ids.subarray(0, 3))).toEqual([enc.id('主席'), enc.vocab.id('<^主>'), enc.vocab.id('<席$>')]);
      // characters never seen at a word's edge in training
      expect(Array.from(ids.subarray(4, 6))).toEqual([enc.vocab.id('<^>'), enc.vocab.id('<$>')]);
      const again = PosTagger.load(tagger.save());
      try {
        expect(again.encoder.slots).toBe(3);
        expect(again.tag([PD[1].words])).toEqual(tagger.tag([PD[1].words]));
      } finally {
        again.dispose();
      }
    } finally {
      tagger.dispose();
    }
    // the default stays one id per word
    expect(WordEncoder.fromSentences(PD).slots).toBe(1);
  }, 60_000);

  it('both train on data-parallel replicas (--workers), the slotted examples split by rows', async () => {
    let told = 0;
    const seg = await trainSegmenterDist(words, {
      steps: 40,
      batchSize: 8,
      embed: 8,
      hidden: 16,
      lexicon: true,
      seed: 1,
      workers: 2,
      onWorkers: (n) => {
        told = n;
      },
    });
    try {
      expect(told).toBe(2);
      expect(seg.session.model.inputSlots).toBe(2);
      expect(seg.evaluate(words).f1).toBeGreaterThan(0.6);
    } finally {
      seg.dispose();
    }
    const tagger = await trainPosTaggerDist(PD, {
      epochs: 10,
      batchSize: 4,
      embed: 8,
      hidden: 8,
      dropout: 0,
      optimizer: { name: 'adam', lr: 0.05 },
      schedule: { name: 'constant' },
      chars: true,
      seed: 1,
      workers: 2,
    });
    try {
      expect(tagger.evaluate(PD, new Set(PD.flatMap((s) => s.words))).accuracy).toBeGreaterThan(0.8);
    } finally {
      tagger.dispose();
    }
  }, 120_000);
});
