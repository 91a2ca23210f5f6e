// Issue 19, metrics: corpus BLEU and chrF against the scores sacreBLEU 2.6.0 itself produced on
// a committed fixture (test/fixtures/sacrebleu, copied unchanged), the 13a tokeniser on
// hand-checked lines, multiple references, and edge cases (empty hypotheses, bad input).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bleuSignature, corpusBleu, corpusChrf, formatBleu, tokenize13a } from '../ts/tasks/bleu.js';
import { expectError, ROOT } from './helpers.js';

const fx = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/sacrebleu/moby_dick_1_3.json'), 'utf8')) as {
  hyps: string[];
  refs: string[];
  bleu: number;
  chrf: number;
  signature: string;
  sacrebleu: string;
};

describe('sacreBLEU fixture (Moby Dick chapters 1-3, seeded corruptions)', () => {
  it('corpus BLEU equals sacreBLEU to 0.01, and prints as sacreBLEU does', () => {
    const b = corpusBleu(fx.hyps, [fx.refs]);
    expect(Math.abs(b.score - fx.bleu)).toBeLessThan(0.01);
    expect(formatBleu(b)).toBe(fx.signature);
    expect(bleuSignature()).toBe(`nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:${fx.sacrebleu}`);
  });
  it('corpus chrF equals sacreBLEU to 0.01', () => {
    expect(Math.abs(corpusChrf(fx.hyps, [fx.refs]).score - fx.chrf)).toBeLessThan(0.01);
  });
});

describe('13a tokenisation and edge cases', () => {
  it('splits punctuation, keeps numbers whole', () => {
    expect(tokenize13a('Hello, world! It costs $3.50, (really)—"no".')).toBe('Hello , world ! It costs $ 3.50 , ( really ) — " no " .');
    expect(tokenize13a('1,000 and 2-3 &amp; a.b')).toBe('1,000 and 2 - 3 & a . b');
  });
  it('identical text scores 100, empty hypotheses 0', () => {
    const refs = ['The grace of the Lord Jesus Christ be with all the saints.', 'In the beginning, God created the heavens and the earth.'];
    expect(corpusBleu(refs, [refs]).score).toBeCloseTo(100, 10);
    expect(corpusChrf(refs, [refs]).score).toBeCloseTo(100, 10);
    expect(corpusBleu(['', ''], [refs]).score).toBe(0);
    expect(corpusChrf(['', ''], [refs]).score).toBe(0);
  });
  it('a second reference can only raise the score; the closest length counts', () => {
    const hyps = ['the cat sat on the mat today'];
    const one = corpusBleu(hyps, [['a cat sat on a mat']]);
    const two = corpusBleu(hyps, [['a cat sat on a mat'], ['the cat sat on the mat']]);
    expect(two.score).toBeGreaterThan(one.score);
    expect(two.refLen).toBe(6);
    // sacreBLEU 2.6.0 on the same input: BLEU = 80.91 85.7/83.3/80.0/75.0 (BP = 1.000 ratio = 1.167 …)
    expect(formatBleu(two)).toBe('BLEU = 80.91 85.7/83.3/80.0/75.0 (BP = 1.000 ratio = 1.167 hyp_len = 7 ref_len = 6)');
    expect(corpusChrf(hyps, [['a cat sat on a mat'], ['the cat sat on the mat']]).score).toBeGreaterThan(corpusChrf(hyps, [['a cat sat on a mat']]).score);
  });
  it('mismatched streams are E_RANGE', () => {
    expectError(() => corpusBleu(['a', 'b'], [['a']]), RangeError, 'E_RANGE', /reference stream 0 has 1 lines/);
    expectError(() => corpusChrf(['a'], []), RangeError, 'E_RANGE', /at least one reference/);
  });
});
