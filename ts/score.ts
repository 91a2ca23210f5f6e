// Loss sums over part of a data set, and the evaluation result they give: Session.evaluate
// scores a whole set (part 0 of 1); each data-parallel replica scores its part of the
// validation batches, and the coordinator sums the parts in replica order.
import { rangeError } from './errors.js';
import type { EvalResult } from './events.js';

/** Loss sums over part of a data set. */
export interface ScorePart {
  sum: number;
  count: number;
  /** Rows whose top-1 class is right (absent: no accuracy, as for the encoder-decoder). */
  correct?: number;
  /** Sum and count of |output − target| over the counted values (regression models). */
  absSum?: number;
  absCount?: number;
  crossEntropy: boolean;
}

/** The evaluation result of score parts, summed in order. */
export function scoreResult(parts: ScorePart | readonly ScorePart[]): EvalResult {
  const ps: readonly ScorePart[] = Array.isArray(parts) ? parts : [parts];
  let sum = 0;
  let count = 0;
  let correct = 0;
  let absSum = 0;
  let absCount = 0;
  for (const p of ps) {
    sum += p.sum;
    count += p.count;
    correct += p.correct ?? 0;
    absSum += p.absSum ?? 0;
    absCount += p.absCount ?? 0;
  }
  if (count === 0) throw rangeError('evaluate: the data set has no rows to score');
  const res: EvalResult = { loss: sum / count, count };
  if (ps[0].crossEntropy) {
    res.bitsPerToken = res.loss / Math.LN2;
    if (ps[0].correct !== undefined) res.accuracy = correct / count;
  }
  if (absCount > 0) res.mae = absSum / absCount;
  return res;
}
