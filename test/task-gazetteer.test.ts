// The entity tagger's gazetteer inputs (gazetteer.ts): bits on a hand example, jackknifing that
// leaves a sentence's own entities out of its bits, a tiny training whose model file keeps the
// gazetteer, and the errors of bad gazetteers.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../ts/index.js';
import {
  dictionaryGazetteer,
  EntityRecognizer,
  gazetteerBits,
  gazetteerEntries,
  gazetteerLookup,
  gazetteerSymbols,
  heldOutGazetteers,
  mergeGazetteers,
  parseCharTagged,
  trainEntityRecognizer,
} from '../ts/tasks/index.js';
import { withMetadata } from '../ts/tasks/model-file.js';
import { expectError } from './helpers.js';

beforeAll(async () => {
  await init();
});

const sent = (text: string, tags: string[]) => ({ chars: Array.from(text), tags });

// the recognizers below train on two sentences six times over, with a tiny network
const sents = parseCharTagged(`${'江 B-PER\n泽 M-PER\n民 E-PER\n在 O\n北 B-LOC\n京 E-LOC\n。 O\n'}\n${'李 B-PER\n鹏 E-PER\n去 O\n上 B-LOC\n海 E-LOC\n。 O\n'}`);
const many = Array.from({ length: 6 }, () => sents).flat();
const opts = { epochs: 4, hidden: 16, embed: 8, batchSize: 2, dropout: 0, optimizer: { name: 'adam' as const, lr: 0.05 } };

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
    const fiveTypes = ['A', 'B', 'C', 'D', 'E'].map((t) => sent('甲', [`B-${t}`]));
    expectError(() => gazetteerEntries(fiveTypes), RangeError, 'E_RANGE', /at most 4 entity types \(the data has 5\)/);
  });

  it('a lookup gives the types of a string as bits and whether a longer entry begins with it (where a scan stops)', () => {
    const gaz = gazetteerLookup({ LOC: ['北京', '京'], ORG: ['北京大学'] });
    expect([gaz.types('北京'), gaz.types('京'), gaz.types('北京大学'), gaz.types('北')]).toEqual([1, 1, 2, 0]);
    expect([gaz.continues('北'), gaz.continues('北京'), gaz.continues('北京大'), gaz.continues('北京大学'), gaz.continues('京')]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    // a scan that stops where no entry continues still finds every entry: 12 characters long
    const long = '中华人民共和国国务院办公厅';
    const twelve = Array.from(long).slice(0, 12).join('');
    const bits = gazetteerBits(Array.from(`在${long}`), gazetteerLookup({ ORG: [twelve, long] }), 1);
    expect(Array.from(bits)).toEqual([0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4, 0]);
  });

  it("a dictionary in jieba's format: tagged words become entities of their type, every word of 2+ characters a WORD", () => {
    const dict = '江泽民 2460 nr\n北京 34488 ns\n新华社 1577 nt\n开会 1211 v\n的 318825 uj\n\n克林顿 1033 nrt\n中华人民共和国国务院办公厅 3 nt\n';
    expect(dictionaryGazetteer(dict, { tags: { nr: 'PER', nrt: 'PER', ns: 'LOC', nt: 'ORG' }, words: 'WORD' })).toEqual({
      LOC: ['北京'],
      ORG: ['新华社'],
      PER: ['克林顿', '江泽民'],
      WORD: ['克林顿', '北京', '开会', '新华社', '江泽民'],
    });
    // words alone (no frequency, no tag) and no WORD type
    expect(dictionaryGazetteer('北京\n上海 3\n', { tags: { ns: 'LOC' } })).toEqual({});
    expectError(
      () => dictionaryGazetteer('北京 many ns\n', { tags: {}, source: 'dict.txt' }),
      TypeError,
      'E_FORMAT',
      /dict\.txt line 1: the frequency "many" of "北京"/,
    );
    expectError(
      () => dictionaryGazetteer('aa 1 t1\nbb 1 t2\ncc 1 t3\ndd 1 t4\n', { tags: { t1: 'A', t2: 'B', t3: 'C', t4: 'D' }, words: 'WORD' }),
      RangeError,
      'E_RANGE',
      /at most 4 entity types \(the dictionary gives 5\)/,
    );
  });

  it('merges gazetteers type by type (entries sorted and distinct); more than 4 types in all is E_RANGE', () => {
    expect(mergeGazetteers({ PER: ['江泽民'] }, { LOC: ['北京'], PER: ['李鹏', '江泽民'] }, {})).toEqual({ LOC: ['北京'], PER: ['李鹏', '江泽民'] });
    expect(mergeGazetteers()).toEqual({});
    expectError(
      () => mergeGazetteers({ A: ['x'], B: ['y'] }, { C: ['z'], D: ['w'], E: ['v'] }),
      RangeError,
      'E_RANGE',
      /at most 4 entity types \(the merged ones have 5\)/,
    );
  });

  it("jackknifing: a sentence's bits come from the other folds' entities only", () => {
    const lines = [
      sent('北京', ['B-LOC', 'I-LOC']), // fold 0
      sent('上海', ['B-LOC', 'I-LOC']), // fold 1
      sent('北京', ['B-LOC', 'I-LOC']), // fold 0 again: 北京 only in fold 0
      sent('天津', ['B-LOC', 'I-LOC']), // fold 1
      sent('上海', ['B-LOC', 'I-LOC']), // fold 0: 上海 in both folds
    ];
    const entries = gazetteerEntries(lines);
    const [f0, f1] = heldOutGazetteers(lines, entries, 2);
    expect([f0.has(0, '北京'), f0.has(0, '上海'), f0.has(0, '天津')]).toEqual([false, true, true]);
    expect([f1.has(0, '北京'), f1.has(0, '上海'), f1.has(0, '天津')]).toEqual([true, true, false]);
    expect(Array.from(gazetteerBits(Array.from('北京'), f0, 1))).toEqual([0, 0]);
    expect(Array.from(gazetteerBits(Array.from('北京'), gazetteerLookup(entries), 1))).toEqual([1, 4]);
  });
});

describe('an entity recognizer with a gazetteer', () => {
  it('trains, reads the bits, and its model file keeps the gazetteer', async () => {
    const rec = await trainEntityRecognizer(many, { ...opts, gazetteer: true });
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

describe('an entity recognizer with an external gazetteer', () => {
  it('every character reads the external entities alike (no folds), after the gazetteer bits and before the bigram; the model file keeps them', async () => {
    // the external list knows 朱镕基 (PER) and 天津 (LOC), which no training sentence holds
    const externalGazetteer = { LOC: ['北京', '天津'], ORG: ['新华社'], PER: ['朱镕基'] };
    const rec = await trainEntityRecognizer(many, { ...opts, gazetteer: true, externalGazetteer, charBigrams: 2 });
    try {
      expect(rec.externalGazetteer).toEqual(externalGazetteer);
      expect(rec.tagger.encoder.features).toBe(3);
      expect(rec.tagger.session.model.inputSlots).toBe(4);
      // types LOC 0, ORG 1, PER 2: 朱 begins a PER (bit 6), 镕 continues it (7), 基 ends it (8);
      // 天津 a LOC (bits 0 and 2); the training gazetteer knows neither
      expect(rec.features(Array.from('朱镕基去天津'))).toEqual([
        ['<gaz 0>', '<xgaz 64>', '<bi>'],
        ['<gaz 0>', '<xgaz 128>', '<bi>'],
        ['<gaz 0>', '<xgaz 256>', '<bi>'],
        ['<gaz 0>', '<xgaz 0>', '<bi>'],
        ['<gaz 0>', '<xgaz 1>', '<bi>'],
        ['<gaz 0>', '<xgaz 4>', '<bi>'],
      ]);
      expect(rec.evaluate(sents).f1).toBe(1);
      const bytes = rec.save();
      const again = EntityRecognizer.load(bytes);
      try {
        expect(again.externalGazetteer).toEqual(externalGazetteer);
        expect(again.features(Array.from('朱镕基去天津'))).toEqual(rec.features(Array.from('朱镕基去天津')));
        expect(again.recognize(['李鹏去北京。', '朱镕基去天津。'])).toEqual(rec.recognize(['李鹏去北京。', '朱镕基去天津。']));
      } finally {
        again.dispose();
      }
      // a file whose external gazetteer is malformed, or without the one the tagger reads, is E_FORMAT
      expectError(() => EntityRecognizer.load(withMetadata(bytes, { externalGazetteer: '[1]' })), TypeError, 'E_FORMAT', /externalGazetteer is not lists/);
      expectError(
        () => new EntityRecognizer(rec.tagger, { gazetteer: rec.gazetteer }),
        TypeError,
        'E_FORMAT',
        /reads 3 feature symbols per character, a gazetteer gives 1 and its bigram input 1/,
      );
      expectError(
        () => new EntityRecognizer(rec.tagger, { gazetteer: rec.gazetteer, externalGazetteer: { A: [], B: [], C: [], D: ['x'] } }),
        TypeError,
        'E_FORMAT',
        /not trained with an external gazetteer of 4 entity types/,
      );
    } finally {
      rec.dispose();
    }
    await expect(trainEntityRecognizer(many, { ...opts, externalGazetteer: {} })).rejects.toMatchObject({
      code: 'E_RANGE',
      message: expect.stringMatching(/1 to 4 entity types \(got 0\)/),
    });
    await expect(trainEntityRecognizer(many, { ...opts, externalGazetteer: { PER: 'x' } as never })).rejects.toMatchObject({
      code: 'E_SHAPE',
      message: expect.stringMatching(/externalGazetteer must map entity types to lists of strings/),
    });
  });
});
