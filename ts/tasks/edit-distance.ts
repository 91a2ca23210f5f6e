// Metrics of the sequence-to-sequence and forecasting tasks: edit distance, word and
// phoneme error rates (several accepted references per word), mean absolute error.
import { rangeError, shapeError } from '../errors.js';

/** Levenshtein distance (unit cost substitution, insertion, deletion) between two
 * @example
 * ```ts
 * console.log(editDistance('kitten', 'sitting'), editDistance(['AH0', 'B'], ['AH1', 'B'])); // 3 1
 * ```
 * sequences of symbols (strings compare by code unit, arrays element by element). */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev = new Uint32Array(m + 1).map((_, j) => j);
  let cur = new Uint32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1] + (ai === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m];
}

/** Word and phoneme error rates of a grapheme-to-phoneme model (see {@link errorRates}). */
export interface ErrorRates {
  /** Share of words whose hypothesis equals none of their references. */
  wer: number;
  /** Σ edit distance to the closest reference / Σ length of that reference. */
  per: number;
  /** Words scored. */
  words: number;
  /** Σ length of the closest references (the PER denominator). */
  phonemes: number;
  /** Σ edit distances (the PER numerator). */
  edits: number;
}

/**
 * Word and phoneme error rates of `hyps[i]` against the accepted pronunciations `refs[i]`
 * (CMUdict lists several for some words): a word is right when it equals any reference;
 * its phoneme errors are the edit distance to the closest reference (ties: the longer
 * reference), over that reference's length.
 * @example
 * ```ts
 * const refs = [[['K', 'AE1', 'T']], [['D', 'AO1', 'G'], ['D', 'AA1', 'G']]]; // every accepted pronunciation of each word
 * const hyps = [['K', 'AE1', 'T'], ['D', 'OW1', 'G']];
 * console.log(errorRates(refs, hyps)); // { wer: 0.5, per: 1 / 6, ... }
 * ```
 */
export function errorRates(refs: readonly (readonly (readonly string[])[])[], hyps: readonly (readonly string[])[]): ErrorRates {
  if (refs.length !== hyps.length) throw shapeError(`${refs.length} reference lists but ${hyps.length} hypotheses`);
  if (refs.length === 0) throw rangeError('errorRates needs at least one word');
  let wrong = 0;
  let edits = 0;
  let phonemes = 0;
  for (let i = 0; i < refs.length; i++) {
    const rs = refs[i];
    if (rs.length === 0) throw rangeError(`word ${i} has no reference`);
    let best = Infinity;
    let bestLen = 0;
    for (const r of rs) {
      const d = editDistance(r, hyps[i]);
      if (d < best || (d === best && r.length > bestLen)) {
        best = d;
        bestLen = r.length;
      }
    }
    if (best > 0) wrong++;
    edits += best;
    phonemes += bestLen;
  }
  return { wer: wrong / refs.length, per: phonemes ? edits / phonemes : 0, words: refs.length, phonemes, edits };
}

/**
 * Mean absolute error over paired values.
 * @example
 * ```ts
 * console.log(meanAbsoluteError([10, 12, 9], [11, 12, 7])); // 1
 * ```
 */
export function meanAbsoluteError(pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (pred.length !== actual.length) throw shapeError(`${pred.length} predictions but ${actual.length} actual values`);
  if (pred.length === 0) throw rangeError('meanAbsoluteError needs at least one value');
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i] - actual[i]);
  return s / pred.length;
}
