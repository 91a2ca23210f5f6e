// Gazetteer features for a character entity tagger: for each character, whether an entity of
// the training data (of up to 4 types, e.g. PER, LOC, ORG) begins (B), continues (M) or ends (E)
// there; a one-character entity sets B and E. Bit 3·t + p (t: the type's index, p: B 0, M 1,
// E 2), one symbol `<gaz N>` read as one more input id of the step. Training text takes its bits
// from the entities of the OTHER folds (jackknifing, as the segmenter's lexicon bits do; held-out.ts), so the
// tagger learns how far a dictionary match goes (a new name has no bits, a common word may
// carry them) instead of trusting it blindly; other text takes them from all training entities.
import { formatError, rangeError } from '../errors.js';
import type { CharTaggedSentence } from './chinese.js';
import { tagsToEntities } from './entities.js';
import { HELD_OUT_FOLDS, HeldOutCounts, markSpan } from './held-out.js';

/** Longest entity looked up, in characters (longer ones are left out of the features). */
export const GAZETTEER_MAX_LEN = 12;

/** Most entity types a gazetteer holds (3 bits each in one symbol). */
export const GAZETTEER_MAX_TYPES = 4;

/** Entities by type: `{ PER: ['江泽民', …], LOC: […], … }` (the types sorted). */
export type GazetteerEntries = Record<string, readonly string[]>;

/** A lookup of entity strings: does `text` occur as an entity of type index `t`? */
export interface GazetteerLookup {
  /** Whether `text` occurs as an entity of type index `t` (the types in sorted order). */
  has(t: number, text: string): boolean;
  /** The types `text` occurs as: bit t set for type index t (0 when none). */
  types(text: string): number;
  /** Whether some entry is longer than `text` and begins with it (so that a scan of longer
   * spans can stop where none is). */
  continues(text: string): boolean;
}

/** The proper prefixes of the strings (those a longer string begins with). */
function prefixes(strings: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const w of strings) {
    const cs = Array.from(w);
    let p = '';
    for (let i = 0; i < cs.length - 1; i++) {
      p += cs[i];
      out.add(p);
    }
  }
  return out;
}

/**
 * The symbols of `types` entity types, `<gaz 0>` … `<gaz 2^(3·types) − 1>`, in id order.
 * @example
 * ```ts
 * console.log(gazetteerSymbols(3).length); // 512
 * ```
 */
export function gazetteerSymbols(types: number): string[] {
  if (!Number.isInteger(types) || types < 1 || types > GAZETTEER_MAX_TYPES)
    throw rangeError(`a gazetteer holds 1 to ${GAZETTEER_MAX_TYPES} entity types (got ${types})`);
  return Array.from({ length: 1 << (3 * types) }, (_, i) => `<gaz ${i}>`);
}

/** Adds `text` to the entries of type `t`. */
function addEntry(byType: Map<string, Set<string>>, t: string, text: string): void {
  const set = byType.get(t) ?? new Set<string>();
  byType.set(t, set);
  set.add(text);
}

/** Entries by type as a gazetteer (types sorted, strings sorted); E_RANGE for more than
 * GAZETTEER_MAX_TYPES types (`what` says whose, in the message). */
function sortedEntries(byType: Map<string, Set<string>>, what: string): GazetteerEntries {
  if (byType.size > GAZETTEER_MAX_TYPES) throw rangeError(`a gazetteer holds at most ${GAZETTEER_MAX_TYPES} entity types (${what} ${byType.size})`);
  const out: Record<string, string[]> = {};
  for (const t of [...byType.keys()].sort()) out[t] = [...byType.get(t)!].sort();
  return out;
}

/**
 * The entities of character-tagged sentences by type (types sorted, strings sorted, distinct);
 * E_RANGE for more than {@link GAZETTEER_MAX_TYPES} types.
 * @example
 * ```ts
 * const s = { chars: Array.from('江泽民在北京'), tags: ['B-PER', 'I-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC'] };
 * console.log(gazetteerEntries([s])); // { LOC: ['北京'], PER: ['江泽民'] }
 * ```
 */
export function gazetteerEntries(sents: readonly CharTaggedSentence[]): GazetteerEntries {
  const byType = new Map<string, Set<string>>();
  for (const s of sents)
    for (const e of tagsToEntities(s.tags, s.chars)) {
      if (e.end - e.start > GAZETTEER_MAX_LEN) continue;
      addEntry(byType, e.type, e.text ?? s.chars.slice(e.start, e.end).join(''));
    }
  return sortedEntries(byType, 'the data has');
}

/** The lookups built, by the entries they were built from (read-only, so they do not change). */
const lookups = new WeakMap<GazetteerEntries, GazetteerLookup>();

/**
 * A lookup of all the entries (for text outside the training data): `has(t, text)` for the type
 * index t of the entries' sorted types.
 * @example
 * ```ts
 * const gaz = gazetteerLookup({ LOC: ['北京'], PER: ['江泽民'] });
 * console.log(gaz.has(0, '北京'), gaz.has(1, '北京')); // true false
 * ```
 */
export function gazetteerLookup(entries: GazetteerEntries): GazetteerLookup {
  // built once per entries object (training and the recognizer it returns share one; a big
  // dictionary takes a third of a second)
  const known = lookups.get(entries);
  if (known) return known;
  const masks = new Map<string, number>();
  Object.values(entries).forEach((ws, t) => {
    for (const w of ws) masks.set(w, (masks.get(w) ?? 0) | (1 << t));
  });
  const pre = prefixes(masks.keys());
  const lookup: GazetteerLookup = {
    has: (t, text) => (((masks.get(text) ?? 0) >> t) & 1) === 1,
    types: (text) => masks.get(text) ?? 0,
    continues: (text) => pre.has(text),
  };
  lookups.set(entries, lookup);
  return lookup;
}

/**
 * Per character, its gazetteer bits (see the top of the file): bit 3·t + p is set when an
 * entity of type index t begins (p = 0), continues (1) or ends (2) at this character.
 * @example
 * ```ts
 * const gaz = gazetteerLookup({ LOC: ['北京'], PER: ['江泽民'] });
 * console.log(Array.from(gazetteerBits(Array.from('江泽民去北京'), gaz, 2))); // [8, 16, 32, 0, 1, 4]
 * ```
 */
export function gazetteerBits(cs: readonly string[], gaz: GazetteerLookup, types: number): Uint16Array {
  const out = new Uint16Array(cs.length);
  for (let i = 0; i < cs.length; i++) {
    let w = '';
    for (let len = 1; len <= GAZETTEER_MAX_LEN && i + len <= cs.length; len++) {
      w += cs[i + len - 1];
      const m = gaz.types(w);
      for (let t = 0; t < types; t++) if ((m >> t) & 1) markSpan(out, i, len, 3 * t);
      if (!gaz.continues(w)) break;
    }
  }
  return out;
}

/**
 * For each fold k of the training sentences (sentence i in fold i % `folds`), a lookup of the
 * entities seen outside it (an entity's count in all sentences less its count in fold k), with
 * the types of `entries` (the gazetteer of all the sentences).
 * @example
 * ```ts
 * const sents = [{ chars: Array.from('北京'), tags: ['B-LOC', 'I-LOC'] }, { chars: Array.from('上海'), tags: ['B-LOC', 'I-LOC'] }];
 * const [own0] = heldOutGazetteers(sents, gazetteerEntries(sents), 2);
 * console.log(own0.has(0, '北京'), own0.has(0, '上海')); // false true
 * ```
 */
export function heldOutGazetteers(sents: readonly CharTaggedSentence[], entries: GazetteerEntries, folds = HELD_OUT_FOLDS): GazetteerLookup[] {
  const typeId = new Map(Object.keys(entries).map((t, i) => [t, i]));
  // per type: entity text → its count in each fold (no string keys built per lookup)
  const counts = Object.keys(entries).map(() => new HeldOutCounts(folds));
  sents.forEach((s, i) => {
    for (const e of tagsToEntities(s.tags, s.chars)) {
      const t = typeId.get(e.type);
      if (t !== undefined) counts[t].add(i, e.text ?? s.chars.slice(e.start, e.end).join(''));
    }
  });
  const byType = counts.map((c) => c.lookups());
  // the prefixes of all the entities: a fold's own are fewer, so this only stops scans later
  const pre = prefixes(Object.values(entries).flat());
  return Array.from({ length: folds }, (_, k) => ({
    has: (t: number, text: string) => byType[t]?.[k].has(text) ?? false,
    types: (text: string) => byType.reduce((m, f, t) => (f[k].has(text) ? m | (1 << t) : m), 0),
    continues: (text: string) => pre.has(text),
  }));
}

/** Options of {@link dictionaryGazetteer}. */
export interface DictionaryGazetteerOptions {
  /** The entity type of each dictionary tag kept, e.g. `{ nr: 'PER', ns: 'LOC', nt: 'ORG' }`
   * (jieba's tags); words with other tags (or none) become entities only through `words`. */
  tags: Readonly<Record<string, string>>;
  /** When given, every word of 2 to 12 characters is also an entry of this type (e.g. `WORD`),
   * so that the tagger reads where dictionary words begin and end. @default none */
  words?: string;
  /** Name used in error messages. @default "dictionary" */
  source?: string;
}

/**
 * The gazetteer of a word dictionary in jieba's format: one word a line, then optionally its
 * frequency and its tag, separated by white space (`江泽民 2460 nr`). Entries longer than
 * {@link GAZETTEER_MAX_LEN} characters are left out; E_FORMAT names a line whose frequency is
 * not a whole number, E_RANGE more than 4 types.
 * @example
 * ```ts
 * const g = dictionaryGazetteer('江泽民 2460 nr\n北京 34488 ns\n开会 1211 v\n', { tags: { nr: 'PER', ns: 'LOC' }, words: 'WORD' });
 * console.log(g); // { LOC: ['北京'], PER: ['江泽民'], WORD: ['北京', '开会', '江泽民'] }
 * ```
 */
export function dictionaryGazetteer(text: string, opts: DictionaryGazetteerOptions): GazetteerEntries {
  const source = opts.source ?? 'dictionary';
  const byType = new Map<string, Set<string>>();
  text.split('\n').forEach((line, i) => {
    const [w, freq, tag] = line.trim().split(/\s+/);
    if (!w) return;
    if (freq !== undefined && !/^\d+$/.test(freq))
      throw formatError(`${source} line ${i + 1}: the frequency ${JSON.stringify(freq)} of ${JSON.stringify(w)} is not a whole number`);
    const n = Array.from(w).length;
    if (n > GAZETTEER_MAX_LEN) return;
    const type = tag === undefined ? undefined : opts.tags[tag];
    if (type !== undefined) addEntry(byType, type, w);
    if (opts.words !== undefined && n >= 2) addEntry(byType, opts.words, w);
  });
  return sortedEntries(byType, 'the dictionary gives');
}

/**
 * The union of gazetteers, type by type (types sorted, entries sorted, distinct); E_RANGE for
 * more than {@link GAZETTEER_MAX_TYPES} types in all.
 * @example
 * ```ts
 * console.log(mergeGazetteers({ PER: ['江泽民'] }, { LOC: ['北京'], PER: ['李鹏', '江泽民'] })); // { LOC: ['北京'], PER: ['李鹏', '江泽民'] }
 * ```
 */
export function mergeGazetteers(...gazetteers: readonly GazetteerEntries[]): GazetteerEntries {
  const byType = new Map<string, Set<string>>();
  for (const g of gazetteers) for (const [t, ws] of Object.entries(g)) for (const w of ws) addEntry(byType, t, w);
  return sortedEntries(byType, 'the merged ones have');
}
