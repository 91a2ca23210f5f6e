// The Chinese corpora and measures: People's Daily and MSRA excerpts (full-width characters,
// the split by line index, repeated lines), the NER labels derived from PKU tags, review
// deduplication, conlleval's entity measure (hand-worked cases and a conlleval-format fixture),
// tag scheme conversions, OOV recall, and the classical baselines on tiny data.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dedupReviews } from '../ts/cli/corpora/chinese.js';
import {
  CharHmmSegmenter,
  charBigrams,
  convertTags,
  DictionaryNer,
  detectScheme,
  entitiesToTags,
  entityScore,
  formatEntityScore,
  isSurname,
  LongestMatchSegmenter,
  parseCharTagged,
  parseTagged,
  peoplesDailyEntities,
  segmentationScore,
  sentencePieces,
  splitByTens,
  tagsToEntities,
  toBio,
} from '../ts/tasks/index.js';
import { expectError, ROOT } from './helpers.js';

const FIX = join(ROOT, 'test/fixtures/chinese');
const pd = parseTagged(readFileSync(join(FIX, 'peoples-daily-excerpt.txt')), { source: 'excerpt' });

describe("People's Daily", () => {
  it('reads word/TAG lines with full-width characters and keeps repeated lines', () => {
    expect(pd.length).toBe(15);
    expect(pd[0].words.slice(0, 3)).toEqual(['迈向', '充满', '希望']);
    expect(pd[0].words).toContain('１'); // a full-width digit, tagged m
    expect(pd[0].tags[pd[0].words.indexOf('１')]).toBe('m');
    expect(pd[1].tags.slice(-2)).toEqual(['nr', 'nr']);
    expect(pd[12]).toEqual(pd[13]); // line 790 repeats line 405
    expect(pd.reduce((a, s) => a + s.words.length, 0)).toBe(722);
  });

  it('splits by line index: i % 10 == 0 test, == 1 dev, the rest train', () => {
    const s = splitByTens(pd.map((_, i) => i));
    expect(s.test).toEqual([0, 10]);
    expect(s.dev).toEqual([1, 11]);
    expect(s.train).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14]);
    // the full corpus's 19,484 lines give 15,586 / 1,949 / 1,949
    const full = splitByTens(Array.from({ length: 19484 }, (_, i) => i));
    expect([full.train.length, full.dev.length, full.test.length]).toEqual([15586, 1949, 1949]);
  });

  it('derives PER (surname nr + given-name nr merged), LOC from ns, ORG from nt', () => {
    const ner = peoplesDailyEntities(pd[1]); // 中共中央/nt 总书记/n 、/w 国家/n 主席/n 江/nr 泽民/nr
    expect(tagsToEntities(ner.tags, ner.chars).map((e) => [e.type, e.text])).toEqual([
      ['ORG', '中共中央'],
      ['PER', '江泽民'],
    ]);
    expect(ner.tags.slice(-3)).toEqual(['B-PER', 'I-PER', 'I-PER']);
    const line790 = peoplesDailyEntities(pd[13]); // （/w 新华社/nt 北京/ns １月/t ...
    expect(tagsToEntities(line790.tags, line790.chars).map((e) => `${e.type}:${e.text}`)).toEqual(['ORG:新华社', 'LOC:北京']);
    const zhong = peoplesDailyEntities(pd[14]); // 钟/nr 行/nr
    expect(zhong.tags).toEqual(['B-PER', 'I-PER']);
    // a full name, a foreign name and two given names in a row stay separate entities
    const s = peoplesDailyEntities({ words: ['克林顿', '欧阳', '修', '张', '三', '李'], tags: ['nr', 'nr', 'nr', 'nr', 'nr', 'nr'] });
    expect(tagsToEntities(s.tags, s.chars).map((e) => e.text)).toEqual(['克林顿', '欧阳修', '张三', '李']);
    expect([isSurname('王'), isSurname('司马'), isSurname('泽民')]).toEqual([true, true, false]);
  });

  it('a line without tags is an E_FORMAT error naming the line', () => {
    expectError(() => parseTagged('迈向/v  充满/v\n希望  的/u\n'), TypeError, 'E_FORMAT', /line 2: token "希望" has no \/TAG/);
    expectError(() => parseTagged(''), TypeError, 'E_FORMAT', /empty/);
  });
});

describe('MSRA (one character and a tag a line)', () => {
  const msra = parseCharTagged(readFileSync(join(FIX, 'msra-excerpt.txt')), { source: 'msra' });
  it('reads CRLF files with blank lines between sentences, BMES tags', () => {
    expect(msra.length).toBe(6);
    for (const s of msra) expect(s.chars.length).toBe(s.tags.length);
    expect(detectScheme(msra.flatMap((s) => s.tags))).toBe('BMES');
    const ents = msra.flatMap((s) => tagsToEntities(s.tags, s.chars));
    expect(ents.some((e) => e.type === 'PER')).toBe(true);
    for (const e of ents) expect(Array.from(e.text!).length).toBe(e.end - e.start);
  });
  it('bad files are E_FORMAT errors', () => {
    expectError(() => parseCharTagged('北 B-LOC\n京\n'), TypeError, 'E_FORMAT', /line 2/);
    expectError(() => parseCharTagged('\n\n'), TypeError, 'E_FORMAT', /empty/);
    expectError(() => detectScheme(['B-PER', 'X-PER']), TypeError, 'E_FORMAT', /not an entity tag/);
    expectError(() => detectScheme(['n', 'v']), TypeError, 'E_FORMAT', /not an entity tag/);
    expectError(() => detectScheme(['B-PER', 'I-PER', 'M-PER']), TypeError, 'E_FORMAT', /mix/);
  });
});

describe('reviews', () => {
  it('dedups (first occurrence), drops empty lines and texts in both files, splits each class by tens', () => {
    const neg = ['很后悔', '不值得买', '很后悔', '', '没收到书', '缺点：', '太贵了', '不值得买'];
    const pos = ['很好', '缺点：', '不错', '很好', '满意'];
    const r = dedupReviews(neg, pos);
    expect(r.repeats).toEqual([2, 1]);
    expect(r.empty).toBe(1);
    expect(r.conflicting).toBe(1);
    expect(r.test).toEqual([
      { text: '很后悔', label: 0 },
      { text: '很好', label: 1 },
    ]);
    expect(r.dev).toEqual([
      { text: '不值得买', label: 0 },
      { text: '不错', label: 1 },
    ]);
    expect(r.train.map((x) => x.text)).toEqual(['没收到书', '太贵了', '满意']);
    expect(charBigrams('很 好用')).toEqual(['很好', '好用']);
  });
});

describe('entity tags and the conlleval measure', () => {
  it('converts between BIO, BIOES and BMES', () => {
    const bmes = ['B-LOC', 'M-LOC', 'E-LOC', 'S-PER', 'O', 'B-ORG', 'E-ORG'];
    expect(toBio(bmes)).toEqual(['B-LOC', 'I-LOC', 'I-LOC', 'B-PER', 'O', 'B-ORG', 'I-ORG']);
    expect(convertTags(toBio(bmes), 'BMES')).toEqual(bmes);
    expect(convertTags(bmes, 'BIOES')).toEqual(['B-LOC', 'I-LOC', 'E-LOC', 'S-PER', 'O', 'B-ORG', 'E-ORG']);
    expect(entitiesToTags(3, [{ type: 'X', start: 0, end: 1 }], 'BIOES')).toEqual(['S-X', 'O', 'O']);
    expectError(() => entitiesToTags(3, [{ type: 'X', start: 1, end: 4 }]), RangeError, 'E_RANGE');
    expect(detectScheme(['O', 'B-A', 'I-A'])).toBe('BIO');
    expect(detectScheme(['S-A', 'O'])).toBe('BIOES');
  });

  it('chunks as conlleval: I after O starts an entity, a type change ends one, B after B starts one', () => {
    expect(tagsToEntities(['I-PER', 'I-PER', 'O'])).toEqual([{ type: 'PER', start: 0, end: 2 }]);
    expect(tagsToEntities(['B-ORG', 'I-LOC', 'I-LOC'])).toEqual([
      { type: 'ORG', start: 0, end: 1 },
      { type: 'LOC', start: 1, end: 3 },
    ]);
    expect(tagsToEntities(['B-PER', 'B-PER']).length).toBe(2);
  });

  it('hand-computed scores', () => {
    const s = entityScore(
      [
        ['B-PER', 'I-PER', 'O', 'B-LOC'],
        ['B-ORG', 'I-ORG'],
      ],
      [
        ['B-PER', 'I-PER', 'O', 'O'],
        ['B-ORG', 'O'],
      ],
    );
    // gold: PER, LOC, ORG; predicted: PER (right), ORG (too short)
    expect([s.gold, s.predicted, s.correct]).toEqual([3, 2, 1]);
    expect(s.precision).toBeCloseTo(0.5, 12);
    expect(s.recall).toBeCloseTo(1 / 3, 12);
    expect(s.f1).toBeCloseTo(0.4, 12);
    expect(s.accuracy).toBeCloseTo(4 / 6, 12);
    expect(s.byType.LOC).toEqual({ precision: 0, recall: 0, f1: 0, gold: 1, predicted: 0, correct: 0 });
    expect(s.byType.PER.f1).toBe(1);
    expectError(() => entityScore([['O']], [['O', 'O']]), RangeError, 'E_SHAPE');
  });

  it("matches conlleval's output on a fixture worked out by its rules", () => {
    const blocks = readFileSync(join(FIX, 'conlleval-case.txt'), 'utf8')
      .trim()
      .split(/\n\s*\n/);
    const rows = blocks.map((b) => b.split('\n').map((l) => l.split(' ')));
    const s = entityScore(
      rows.map((r) => r.map((x) => x[1])),
      rows.map((r) => r.map((x) => x[2])),
    );
    expect(`${formatEntityScore(s)}\n`).toBe(readFileSync(join(FIX, 'conlleval-case.out'), 'utf8'));
  });
});

describe('segmentation measures and baselines', () => {
  it('OOV recall counts gold words outside the training vocabulary found with their span', () => {
    const s = segmentationScore([['北京', '大学', '很', '美']], [['北京', '大学', '很美']], new Set(['北京', '很']));
    expect([s.oovWords, s.oovRecall]).toEqual([2, 0.5]); // 大学 found, 美 not
    expect(s.correct).toBe(2);
    expect(segmentationScore([['a']], [['a']]).oovRecall).toBeUndefined();
  });

  it('forward and backward maximum matching differ where they should', () => {
    const dict = ['研究', '研究生', '生命', '起源'];
    const fwd = new LongestMatchSegmenter(dict);
    const bwd = new LongestMatchSegmenter(dict, { direction: 'backward' });
    expect(fwd.segment('研究生命起源')).toEqual(['研究生', '命', '起源']);
    expect(bwd.segment('研究生命起源')).toEqual(['研究', '生命', '起源']);
    expectError(() => new LongestMatchSegmenter(dict, { direction: 'up' as 'forward' }), TypeError, 'E_OPTION');
  });

  it('the character HMM segmenter learns b/m/e/s from the excerpt', () => {
    const train = pd.map((s) => s.words);
    const hmm = new CharHmmSegmenter().fit(train);
    const words = hmm.segment(train[1].join(''));
    expect(words.join('')).toBe(train[1].join(''));
    const s = segmentationScore([train[1]], [words]);
    expect(s.f1).toBeGreaterThan(0.8);
  });

  it('the dictionary NER finds training entities by longest match (one-character entries left out)', () => {
    const d = new DictionaryNer().fit(pd.map(peoplesDailyEntities));
    const cs = Array.from('新华社记者在北京见到江泽民');
    expect(tagsToEntities(d.tag(cs), cs).map((e) => `${e.type}:${e.text}`)).toEqual(['ORG:新华社', 'LOC:北京', 'PER:江泽民']);
  });

  it('cuts long text after sentence punctuation', () => {
    const cs = Array.from('今天很好。明天也好！后天呢？再见');
    expect(sentencePieces(cs, 8)).toEqual([
      [0, 5],
      [5, 10],
      [10, 16],
    ]);
    expect(sentencePieces(Array.from('一二三四五六七'), 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
  });
});

describe('corpus fetch', () => {
  it('a missing Python is a one-line error that says what to install', () => {
    const r = spawnSync(process.execPath, ['bin/recurrent.js', 'data', 'chinese'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, RECURRENT_CACHE: join(ROOT, 'test/artifacts/no-cache'), RECURRENT_PYTHON: '/nonexistent/python3' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/install Python 3 with pip/);
    expect(r.stderr.trim().split('\n').length).toBe(1);
  });
});
