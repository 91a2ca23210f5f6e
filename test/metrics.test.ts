// Metrics against hand-computed cases: the SIGHAN word segmentation measure (exact spans,
// micro-averaged over sentences) and binary accuracy / precision / recall / F1.
import { describe, expect, it } from 'vitest';
import { binaryScore, segmentationScore, wordSpans } from '../ts/tasks/index.js';
import { expectError } from './helpers.js';

describe('segmentation P/R/F1 (SIGHAN)', () => {
  it('word spans count characters (code points)', () => {
    expect(wordSpans(['我', '喜欢', '北京'])).toEqual([
      [0, 1],
      [1, 3],
      [3, 5],
    ]);
    expect(wordSpans(['𠀀𠀁', 'a'])).toEqual([
      [0, 2],
      [2, 3],
    ]);
  });

  it('one sentence: a word counts only when its exact span is gold', () => {
    // gold spans {0-1, 1-3, 3-5}; predicted {0-2, 2-3, 3-5}: only 北京 matches
    const s = segmentationScore([['我', '喜欢', '北京']], [['我喜', '欢', '北京']]);
    expect(s).toEqual({ precision: 1 / 3, recall: 1 / 3, f1: 1 / 3, goldWords: 3, predictedWords: 3, correct: 1 });
    // an over-split sentence: 4 predicted, 2 of them right out of 3 gold
    const o = segmentationScore([['the', 'whale', 'sank']], [['the', 'wha', 'le', 'sank']]);
    expect([o.precision, o.recall]).toEqual([2 / 4, 2 / 3]);
    expect(o.f1).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3), 15);
  });

  it('micro-averages over sentences', () => {
    const gold = [
      ['a', 'bc'],
      ['def', 'g', 'h'],
    ];
    const pred = [['abc'], ['def', 'gh']];
    // sentence 1: 0 right of 1 predicted, 2 gold; sentence 2: 1 right (def) of 2, 3 gold
    const s = segmentationScore(gold, pred);
    expect([s.correct, s.predictedWords, s.goldWords]).toEqual([1, 3, 5]);
    expect(s.precision).toBeCloseTo(1 / 3, 15);
    expect(s.recall).toBeCloseTo(1 / 5, 15);
    expect(s.f1).toBeCloseTo(0.25, 15); // 2·(1/3)(1/5)/(1/3 + 1/5) = (2/15)/(8/15)
    expect(segmentationScore(gold, gold).f1).toBe(1);
    expect(segmentationScore([['ab']], [['a', 'b']]).f1).toBe(0);
  });

  it('rejects predictions of other characters or sentence counts', () => {
    expectError(() => segmentationScore([['ab']], [['a', 'c']]), RangeError, 'E_SHAPE', /sentence 0: the prediction spells "ac"/);
    expectError(() => segmentationScore([['ab']], []), RangeError, 'E_SHAPE', /1 sentences but the prediction has 0/);
  });
});

describe('binary classification scores', () => {
  it('accuracy and positive-class precision, recall, F1', () => {
    const s = binaryScore([1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 0]);
    expect(s).toEqual({ accuracy: 4 / 6, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, tp: 2, fp: 1, fn: 1, tn: 2 });
    const t = binaryScore([1, 0, 0, 0], [1, 1, 1, 0]);
    expect([t.precision, t.recall, t.accuracy]).toEqual([1 / 3, 1, 0.5]);
    expect(t.f1).toBeCloseTo(0.5, 15);
    // no positive predictions: precision and F1 are 0, not NaN
    const n = binaryScore([1, 0], [0, 0]);
    expect([n.precision, n.recall, n.f1, n.accuracy]).toEqual([0, 0, 0, 0.5]);
    // the other class as positive
    expect(binaryScore([1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 0], 0).tp).toBe(2);
    expectError(() => binaryScore([1], [1, 0]), RangeError, 'E_SHAPE');
    expectError(() => binaryScore([], []), RangeError, 'E_RANGE');
  });
});
