// The entity tagger's gazetteer inputs (gazetteer.ts): bits on a hand example, jackknifing that
// leaves a sentence's own entities out of its bits, a tiny training whose model file keeps the
// gazetteer, and the errors of bad gazetteers.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../ts/index.js';
import {
  EntityRecognizer,
  gazetteerBits,
  gazetteerEntries,
  gazetteerLookup,
  gazetteerSymbols,
  heldOutGazetteers,
  parseCharTagged,
  trainEntityRecognizer,
} from '../ts/tasks/index.js';
import { withMetadata } from '../ts/tasks/model-file.js';
import { expectError } from './helpers.js';

beforeAll(async () => {
  await init();
});

const sent = (text: string, tags: string[]) => ({ chars: Array.from(text), tags });

describe('gazetteer bits', () => {
  it('mark where entities of each type begin (bit 3t), continue (3t+1) and end (3t+2)', () => {
    // types sorted: LOC 0, ORG 1, PER 2
    const gaz = gazetteerLookup({ LOC: ['北京', '京'], ORG: ['北京大学'], PER: ['江泽民'] });
    const bits = Array.from(gazetteerBits(Array.from('江泽民去北京大学'), gaz, 3));
    // 江 begins PER (1<<6), 泽 inside PER (1<<7), 民 ends PER (1<<8), 去 none;
    // 北 begins LOC 北京 and ORG 北京大学 (1 | 8); 京 ends 北京 and is the one-character LOC 京
    // (begins and ends: 1 | 4), inside ORG (16); 大 inside ORG; 学 ends ORG (32)
    expect(bits).toEqual([64, 128, 256, 0, 1 | 8, 4 | 1 | 16, 16, 32]);
    expect(gazetteerSymbols(3)).toHaveLength(512);
    expect(gazetteerSymbols(3)[5]).toBe('<gaz 5>');
    expectError(() => gazetteerSymbols(5), RangeError, 'E_RANGE', /1 to 4 entity types/);
  });

  it('entries by type from tagged sentences; more than 4 types is E_RANGE', () => {
    const s = sent('江泽民在北京', ['B-PER', 'I-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC']);
    expect(gazetteerEntries([s, s])).toEqual({ LOC: ['北京'], PER: ['江泽民'] });
    const many = ['A', 'B', 'C', 'D', 'E'].map((t) => sent('甲', [`B-${t}`]));
    expectError(() => gazetteerEntries(many), RangeError, 'E_RANGE', /at most 4 entity types \(the data has 5\)/);
  });

  it("jackknifing: a sentence's bits come from the other folds' entities only", () => {
    const sents = [
      sent('北京', ['B-LOC', 'I-LOC']), // fold 0
      sent('上海', ['B-LOC', 'I-LOC']), // fold 1
      sent('北京', ['B-LOC', 'I-LOC']), // fold 0 again: 北京 only in fold 0
      sent('天津', ['B-LOC', 'I-LOC']), // fold 1
      sent('上海', ['B-LOC', 'I-LOC']), // fold 0: 上海 in both folds
    ];
    const entries = gazetteerEntries(sents);
    const [f0, f1] = heldOutGazetteers(sents, entries, 2);
    expect([f0.has(0, '北京'), f0.has(0, '上海'), f0.has(0, '天津')]).toEqual([false, true, true]);
    expect([f1.has(0, '北京'), f1.has(0, '上海'), f1.has(0, '天津')]).toEqual([true, true, false]);
    expect(Array.from(gazetteerBits(Array.from('北京'), f0, 1))).toEqual([0, 0]);
    expect(Array.from(gazetteerBits(Array.from('北京'), gazetteerLookup(entries), 1))).toEqual([1, 4]);
  });
});

describe('an entity recognizer with a gazetteer', () => {
  it('trains, reads the bits, and its model file keeps the gazetteer', async () => {
    const sents = parseCharTagged(
      `${'江 B-PER\n泽 M-PER\n民 E-PER\n在 O\n北 B-LOC\n京 E-LOC\n。 O\n'}\n${'李 B-PER\n鹏 E-PER\n去 O\n上 B-LOC\n海 E-LOC\n。 O\n'}`,
    );
    const many = Array.from({ length: 6 }, () => sents).flat();
    const rec = await trainEntityRecognizer(many, {
      epochs: 4,
      hidden: 16,
      embed: 8,
      batchSize: 2,
      dropout: 0,
      optimizer: { name: 'adam', lr: 0.05 },
      gazetteer: true,
    });
    try {
      expect(rec.gazetteer).toEqual({ LOC: ['上海', '北京'], PER: ['李鹏', '江泽民'] });
      expect(rec.tagger.encoder.features).toBe(1);
      expect(rec.tagger.session.model.inputSlots).toBe(2);
      // new text reads the bits of all training entities: 李鹏 begins and ends a PER (type 1)
      expect(rec.features(Array.from('李鹏在北京'))).toEqual([['<gaz 8>'], ['<gaz 32>'], ['<gaz 0>'], ['<gaz 1>'], ['<gaz 4>']]);
      expect(rec.evaluate(sents).f1).toBe(1);
      const again = EntityRecognizer.load(rec.save());
      try {
        expect(again.gazetteer).toEqual(rec.gazetteer);
        expect(again.recognize(['李鹏去北京。', '江泽民在上海。'])).toEqual(rec.recognize(['李鹏去北京。', '江泽民在上海。']));
      } finally {
        again.dispose();
      }
      // a file whose gazetteer was dropped, or is malformed, is E_FORMAT
      const bytes = rec.save();
      expectError(() => EntityRecognizer.load(withMetadata(bytes, { gazetteer: '{"PER": [1]}' })), TypeError, 'E_FORMAT', /gazetteer is not lists/);
      expectError(() => EntityRecognizer.load(withMetadata(bytes, { gazetteer: 'nope' })), TypeError, 'E_FORMAT', /gazetteer is not JSON/);
      expectError(() => new EntityRecognizer(rec.tagger), TypeError, 'E_FORMAT', /reads 1 feature symbols per character/);
    } finally {
      rec.dispose();
    }
  });
});

describe('an entity recognizer with character bigrams beside the characters', () => {
  it('each character reads its gazetteer bits then its bigram (its own when seen twice, else <bi>), and the model file reads text the same way', async () => {
    const sents = parseCharTagged(
      `${'江 B-PER\n泽 M-PER\n民 E-PER\n在 O\n北 B-LOC\n京 E-LOC\n。 O\n'}\n${'李 B-PER\n鹏 E-PER\n去 O\n上 B-LOC\n海 E-LOC\n。 O\n'}`,
    );
    const many = Array.from({ length: 6 }, () => sents).flat();
    const opts = { epochs: 4, hidden: 16, embed: 8, batchSize: 2, dropout: 0, optimizer: { name: 'adam' as const, lr: 0.05 } };
    const rec = await trainEntityRecognizer(many, { ...opts, gazetteer: true, charBigrams: 2 });
    try {
      expect(rec.charBigrams).toBe(true);
      expect(rec.tagger.encoder.features).toBe(2);
      expect(rec.tagger.session.model.inputSlots).toBe(3);
      // 李鹏, 在北 and 北京 were seen (in 李鹏去, 在北京); 鹏在 never: <bi>; the last character has no next one: <bi>
      expect(rec.features(Array.from('李鹏在北京'))).toEqual([
        ['<gaz 8>', '<bi 李鹏>'],
        ['<gaz 32>', '<bi>'],
        ['<gaz 0>', '<bi 在北>'],
        ['<gaz 1>', '<bi 北京>'],
        ['<gaz 4>', '<bi>'],
      ]);
      expect(rec.evaluate(sents).f1).toBe(1);
      const again = EntityRecognizer.load(rec.save());
      try {
        expect(again.charBigrams).toBe(true);
        expect(again.recognize(['李鹏去北京。', '江泽民在上海。'])).toEqual(rec.recognize(['李鹏去北京。', '江泽民在上海。']));
      } finally {
        again.dispose();
      }
    } finally {
      rec.dispose();
    }
    // without a gazetteer the bigram is the only feature symbol
    const plain = await trainEntityRecognizer(many, { ...opts, epochs: 1, charBigrams: 2 });
    try {
      expect(plain.features(Array.from('北京'))).toEqual([['<bi 北京>'], ['<bi>']]);
      expect(plain.tagger.session.model.inputSlots).toBe(2);
    } finally {
      plain.dispose();
    }
    await expect(trainEntityRecognizer(many, { ...opts, bigrams: 2, charBigrams: 2 })).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/exclude each other/),
    });
  });
});
