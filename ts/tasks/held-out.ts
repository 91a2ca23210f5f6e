// What the jackknifed dictionary inputs of the character taggers share (lexicon.ts for the
// segmenter, gazetteer.ts for NER): a matched span marked as a group of three bits (begins,
// inside, ends) in each character's bits, and the folds of the training sentences, each of
// whose own items is held out of its dictionary (an item counts when it is seen outside the
// fold), so that a tagger learns how far a match goes instead of trusting it blindly.
import { posInt } from '../errors.js';

/** Folds of the training sentences for the bits of training text (sentence i in fold i % 10). */
export const HELD_OUT_FOLDS = 10;

/** A fold's dictionary: the items seen outside the fold. */
export interface HeldOutLookup {
  /** Whether `item` is seen outside the fold. */
  has(item: string): boolean;
}

/**
 * Marks the span [start, start + len) with the group of three bits at `shift`: bit `shift` at
 * its first character (begins), `shift + 1` at the characters inside, `shift + 2` at its last
 * (ends); a one-character span sets begins and ends.
 * @example
 * ```ts
 * const bits = new Uint16Array(4);
 * markSpan(bits, 0, 3, 3);
 * console.log(Array.from(bits)); // [8, 16, 32, 0]
 * ```
 */
export function markSpan(bits: Uint16Array, start: number, len: number, shift: number): void {
  bits[start] |= 1 << shift;
  bits[start + len - 1] |= 1 << (shift + 2);
  for (let j = start + 1; j < start + len - 1; j++) bits[j] |= 1 << (shift + 1);
}

/**
 * Counts of items (words, entity strings) by fold of the training sentences (sentence i in
 * fold i % `folds`), and per fold the lookup of the items seen outside it (an item's count in
 * all sentences greater than its count in the fold).
 * @example
 * ```ts
 * const c = new HeldOutCounts(2);
 * c.add(0, '北京');
 * c.add(1, '北京');
 * c.add(1, '上海');
 * const [own0, own1] = c.lookups();
 * console.log(own0.has('北京'), own0.has('上海'), own1.has('上海')); // true true false
 * ```
 */
export class HeldOutCounts {
  /** Item → its count in each fold, then in all. */
  private readonly counts = new Map<string, Int32Array>();
  /** How many folds the sentences fall into. */
  readonly folds: number;

  /** Empty counts over `folds` folds (a positive integer; E_RANGE otherwise). */
  constructor(folds: number = HELD_OUT_FOLDS) {
    this.folds = posInt('folds', folds);
  }

  /** Counts one occurrence of `item` in sentence `sentence` (its 0-based index). */
  add(sentence: number, item: string): void {
    let c = this.counts.get(item);
    if (!c) {
      c = new Int32Array(this.folds + 1);
      this.counts.set(item, c);
    }
    c[sentence % this.folds]++;
    c[this.folds]++;
  }

  /** Per fold k, a lookup of the items seen outside fold k. */
  lookups(): HeldOutLookup[] {
    const n = this.folds;
    return Array.from({ length: n }, (_, k) => ({
      has: (item: string) => {
        const c = this.counts.get(item);
        return c !== undefined && c[n] > c[k];
      },
    }));
  }
}
