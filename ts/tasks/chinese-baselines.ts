// Classical baselines of the Chinese tasks, each built on a tagger of its own kind:
// - `CharHmmSegmenter`: a character bigram HMM over B/M/E/S word-position tags (HmmTagger with
//   characters as its words), decoded with Viterbi.
// - `DictionaryNer`: the entities of the training data as a dictionary, found in new text by
//   forward longest match (a string seen as an entity of several types gets its most frequent).
// - `charBigrams`: the features of the naive-Bayes sentiment baseline (MultinomialNaiveBayes).
// Maximum matching (forward and backward) is LongestMatchSegmenter (segment.ts); the POS
// baselines are MostFrequentTagger and HmmTagger (hmm-tagger.ts), also used on characters
// with entity tags as the character HMM of NER.
import { checkKeys, posInt, stateError } from '../errors.js';
import type { CharTaggedSentence } from './chinese.js';
import { entitiesToTags, tagsToEntities } from './entities.js';
import { HmmTagger } from './hmm-tagger.js';
import { BMES, chars, tagsToWords, wordsToTags } from './segment.js';

/** A character b/m/e/s HMM segmenter (bigram HMM over the characters' word-position tags). */
export class CharHmmSegmenter {
  readonly #hmm = new HmmTagger();
  #fitted = false;

  /** Learns from segmented sentences (lists of words); returns this. */
  fit(sentences: readonly (readonly string[])[]): this {
    this.#hmm.fit(
      sentences.map((ws) => {
        const { chars: cs, tags } = wordsToTags(ws);
        return { words: cs, tags: tags.map((t) => BMES[t]) };
      }),
    );
    this.#fitted = true;
    return this;
  }

  /** Segments one sentence (white space ignored). E_STATE before `fit`. */
  segment(text: string): string[] {
    if (!this.#fitted) throw stateError('call fit() before segment()');
    const cs = chars(text.replace(/[\s\u3000]+/gu, ''));
    if (cs.length === 0) return [];
    const tags = this.#hmm.tag(cs).map((t) => BMES.indexOf(t as (typeof BMES)[number]));
    return tagsToWords(cs, tags);
  }
}

/** Named entities by dictionary: every entity string of the training data of at least
 * `minLength` characters, matched greedily (longest first, left to right) in new text; tags
 * in BIO. One-character entries are left out by default: they are mostly abbreviations
 * (中, 美, 京) that match everywhere as parts of other words (with them, People's Daily's
 * test F1 falls from 82.6 to 59.6). */
export class DictionaryNer {
  #types = new Map<string, string>();
  #maxLen = 0;
  /** The shortest entity string kept in the dictionary. */
  readonly minLength: number;

  /** @param opts.minLength shortest entity string kept, in characters (default 2) */
  constructor(opts: { minLength?: number } = {}) {
    checkKeys('DictionaryNer', opts, ['minLength']);
    this.minLength = posInt('minLength', opts.minLength, 2);
  }

  /** Learns the entity dictionary from character-tagged sentences (any tag scheme); returns this. */
  fit(sents: readonly CharTaggedSentence[]): this {
    const count = new Map<string, Map<string, number>>();
    for (const s of sents)
      for (const e of tagsToEntities(s.tags, s.chars)) {
        if (e.end - e.start < this.minLength) continue;
        const m = count.get(e.text!) ?? new Map<string, number>();
        count.set(e.text!, m);
        m.set(e.type, (m.get(e.type) ?? 0) + 1);
      }
    this.#types = new Map(
      [...count].map(([text, m]) => {
        let best = '';
        let bc = -1;
        for (const [t, c] of m) if (c > bc || (c === bc && t < best)) [best, bc] = [t, c];
        return [text, best];
      }),
    );
    this.#maxLen = Math.max(0, ...[...this.#types.keys()].map((t) => chars(t).length));
    return this;
  }

  /** Dictionary entries. */
  get size(): number {
    return this.#types.size;
  }

  /** BIO tags of one sentence's characters. */
  tag(cs: readonly string[]): string[] {
    const ents = [];
    let i = 0;
    while (i < cs.length) {
      let hit = 0;
      for (let n = Math.min(this.#maxLen, cs.length - i); n >= 1; n--) {
        if (this.#types.has(cs.slice(i, i + n).join(''))) {
          hit = n;
          break;
        }
      }
      if (hit) {
        ents.push({ type: this.#types.get(cs.slice(i, i + hit).join(''))!, start: i, end: i + hit });
        i += hit;
      } else i++;
    }
    return entitiesToTags(cs.length, ents, 'BIO');
  }
}

/** The character bigrams of a text (white space removed; a one-character text gives itself),
 * the features of the naive-Bayes sentiment baseline.
 * @example charBigrams('很好用') // ['很好', '好用'] */
export function charBigrams(text: string): string[] {
  const cs = chars(text.replace(/\s+/gu, ''));
  if (cs.length < 2) return cs;
  const out: string[] = [];
  for (let i = 0; i + 1 < cs.length; i++) out.push(cs[i] + cs[i + 1]);
  return out;
}
