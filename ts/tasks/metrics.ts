// Evaluation measures shared by the task helpers, each checked against hand-computed cases
// (test/metrics.test.ts).
//
// - Word segmentation: the SIGHAN bakeoff measure. A predicted word counts as correct when
//   its exact character span [start, end) in the sentence is also a gold word's span;
//   precision = correct / predicted words, recall = correct / gold words, F1 their harmonic
//   mean. Counts are summed over all sentences before dividing (micro average).
// - Binary classification: accuracy, and precision / recall / F1 of the positive class.
import { rangeError, shapeError } from '../errors.js';

/** Word-segmentation scores (the SIGHAN bakeoff measure), micro-averaged over sentences. */
export interface SegmentationScore {
  /** Correct words / predicted words. */
  precision: number;
  /** Correct words / gold words. */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
  /** Words in the gold segmentation. */
  goldWords: number;
  /** Words in the predicted segmentation. */
  predictedWords: number;
  /** Predicted words whose character span is also a gold word's span. */
  correct: number;
  /** With a training vocabulary: gold words not in it (out of vocabulary). */
  oovWords?: number;
  /** With a training vocabulary: the share of the OOV gold words whose span was predicted (0 when none). */
  oovRecall?: number;
}

/** [start, end) character spans of consecutive words (characters are code points). */
export function wordSpans(words: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  let pos = 0;
  for (const w of words) {
    const n = Array.from(w).length;
    out.push([pos, pos + n]);
    pos += n;
  }
  return out;
}

const f1Of = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** Word precision, recall and F1 of `predicted` against `gold` (one word list per sentence;
 * each predicted sentence must spell the same characters as its gold sentence). With `known`
 * (the training words), also the OOV recall: the share of gold words not in `known` that
 * were predicted with their exact span, as the SIGHAN bakeoff scorer reports it.
 * @example segmentationScore([['北京', '大学']], [['北京大学']], new Set(['北京'])) // recall 0, oovWords 1, oovRecall 0 */
export function segmentationScore(
  gold: readonly (readonly string[])[],
  predicted: readonly (readonly string[])[],
  known?: { has(w: string): boolean },
): SegmentationScore {
  if (gold.length !== predicted.length) throw shapeError(`gold has ${gold.length} sentences but the prediction has ${predicted.length}`);
  let goldWords = 0;
  let predictedWords = 0;
  let correct = 0;
  let oov = 0;
  let oovCorrect = 0;
  for (let s = 0; s < gold.length; s++) {
    const g = gold[s];
    const p = predicted[s];
    if (g.join('') !== p.join(''))
      throw shapeError(
        `sentence ${s}: the prediction spells ${JSON.stringify(p.join('').slice(0, 40))}, not the gold characters ${JSON.stringify(g.join('').slice(0, 40))}`,
      );
    const spans = new Set(wordSpans(g).map(([a, b]) => `${a}:${b}`));
    goldWords += g.length;
    predictedWords += p.length;
    const hit = new Set<string>();
    for (const [a, b] of wordSpans(p)) {
      const k = `${a}:${b}`;
      if (spans.has(k)) {
        correct++;
        hit.add(k);
      }
    }
    if (known)
      wordSpans(g).forEach(([a, b], i) => {
        if (known.has(g[i])) return;
        oov++;
        if (hit.has(`${a}:${b}`)) oovCorrect++;
      });
  }
  const precision = predictedWords ? correct / predictedWords : 0;
  const recall = goldWords ? correct / goldWords : 0;
  const score: SegmentationScore = { precision, recall, f1: f1Of(precision, recall), goldWords, predictedWords, correct };
  if (known) {
    score.oovWords = oov;
    score.oovRecall = oov ? oovCorrect / oov : 0;
  }
  return score;
}

/** Binary-classification scores and the confusion counts. */
export interface BinaryScore {
  /** Share of examples predicted right. */
  accuracy: number;
  /** Of the positive class. */
  precision: number;
  /** Of the positive class: tp / (tp + fn). */
  recall: number;
  /** Of the positive class: the harmonic mean of precision and recall. */
  f1: number;
  /** True positives. */
  tp: number;
  /** False positives. */
  fp: number;
  /** False negatives. */
  fn: number;
  /** True negatives. */
  tn: number;
}

/** Accuracy and positive-class precision / recall / F1 of 0/1 predictions. */
export function binaryScore(gold: ArrayLike<number>, predicted: ArrayLike<number>, positive = 1): BinaryScore {
  if (gold.length !== predicted.length) throw shapeError(`gold has ${gold.length} labels but the prediction has ${predicted.length}`);
  if (gold.length === 0) throw rangeError('binaryScore needs at least one example');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i] === positive;
    const p = predicted[i] === positive;
    if (g && p) tp++;
    else if (p) fp++;
    else if (g) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { accuracy: (tp + tn) / gold.length, precision, recall, f1: f1Of(precision, recall), tp, fp, fn, tn };
}
