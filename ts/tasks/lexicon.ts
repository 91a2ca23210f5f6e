// Lexicon features for character taggers: for each character, which words of a dictionary (the
// training words) could cover it, and how. For word lengths 2, 3 and 4+ (three classes) a
// character can begin such a word (B), lie inside one (M) or end one (E): nine bits, one symbol
// `<lex N>` (N in 0..511) read as one more input id of the step. A character of 中华人民共和国
// gets B/M/E bits from 中华, 人民, 共和国, 中华人民共和国 alike; the tagger learns how far to trust
// them (a same-distribution test set leaves few words outside the dictionary, so the bits
// carry most of the boundaries; an unknown word has no bits and falls back on the characters).
// Training text reads the words of the other folds (held-out.ts), as the gazetteer bits do.
import { HELD_OUT_FOLDS, HeldOutCounts, type HeldOutLookup, markSpan } from './held-out.js';

/** Word-length classes of the features: 2, 3 and 4 or more characters. */
export const LEXICON_CLASSES = 3;

/** Longest dictionary word looked up (longer words are left out of the features). */
export const LEXICON_MAX_LEN = 8;

/**
 * The 512 feature symbols `<lex0>` … `<lex511>`, in id order.
 * @example
 * ```ts
 * console.log(lexiconSymbols().length, lexiconSymbols()[5]); // 512 '<lex5>'
 * ```
 */
export function lexiconSymbols(): string[] {
  return Array.from({ length: 1 << (3 * LEXICON_CLASSES) }, (_, i) => `<lex${i}>`);
}

/**
 * The dictionary of a segmented corpus for the features: its distinct words of 2 to
 * `LEXICON_MAX_LEN` characters, sorted.
 * @example
 * ```ts
 * console.log(lexiconWords([['北京', '是', '首都'], ['北京']])); // ['北京', '首都']
 * ```
 */
export function lexiconWords(sentences: readonly (readonly string[])[]): string[] {
  const set = new Set<string>();
  for (const s of sentences)
    for (const w of s) {
      const n = Array.from(w).length;
      if (n >= 2 && n <= LEXICON_MAX_LEN) set.add(w);
    }
  return [...set].sort();
}

/**
 * Per character, its nine lexicon bits: bit 3·k + p is set when a dictionary word of length
 * class k (0: 2 characters, 1: 3, 2: 4+) begins (p = 0), lies across (p = 1) or ends (p = 2) at
 * this character.
 * @example
 * ```ts
 * const bits = lexiconBits(Array.from('北京人'), new Set(['北京']));
 * console.log(Array.from(bits)); // [1, 4, 0]: 北 begins a 2-character word, 京 ends one
 * ```
 */
export function lexiconBits(cs: readonly string[], dict: { has(w: string): boolean }): Uint16Array {
  const out = new Uint16Array(cs.length);
  for (let i = 0; i < cs.length; i++) {
    let w = cs[i];
    for (let len = 2; len <= LEXICON_MAX_LEN && i + len <= cs.length; len++) {
      w += cs[i + len - 1];
      if (dict.has(w)) markSpan(out, i, len, 3 * (Math.min(len, 4) - 2));
    }
  }
  return out;
}

/**
 * For each fold k of the segmented training sentences (sentence i in fold i % `folds`), the
 * dictionary of the words seen outside it (a word's count in all sentences greater than its
 * count in fold k): the lexicon whose bits training text of fold k reads.
 * @example
 * ```ts
 * const [own0, own1] = heldOutLexicons([['北京', '是'], ['北京', '上海']], 2);
 * console.log(own0.has('北京'), own0.has('上海'), own1.has('上海')); // true true false
 * ```
 */
export function heldOutLexicons(sentences: readonly (readonly string[])[], folds = HELD_OUT_FOLDS): HeldOutLookup[] {
  const counts = new HeldOutCounts(folds);
  sentences.forEach((s, i) => {
    for (const w of s) counts.add(i, w);
  });
  return counts.lookups();
}
