// Chinese corpora formats and the deterministic splits of the Chinese tasks.
//
// - People's Daily (PKU tagset, January 1998): one paragraph a line, tokens `word/TAG`
//   separated by white space (`parseTagged` reads it). Person names are split into surname
//   and given name (江/nr 泽民/nr). `peoplesDailyEntities` derives character-level entity
//   tags: PER from nr (a surname nr merged with the nr that follows it), LOC from ns, ORG
//   from nt.
// - Character-tagged files (MSRA NER): one character and its tag a line, separated by white
//   space, a blank line between sentences (`parseCharTagged`).
// - Splits: `splitByTens` puts item i in test when i % 10 == 0, in dev when i % 10 == 1,
//   else in train (People's Daily lines, review texts of each class).
import { formatError } from '../errors.js';
import { decodeUtf8, type TaggedSentence } from './tagged.js';

/** Train / dev / test parts of a corpus. */
export interface Splits<T> {
  /** The items trained on. */
  train: T[];
  /** The items held out for choosing settings. */
  dev: T[];
  /** The items scored. */
  test: T[];
}

/** The deterministic split of the Chinese tasks: item i (0-based) goes to test when
 * i % 10 == 0, to dev when i % 10 == 1, else to train.
 * @example splitByTens(['a', 'b', 'c']) // { test: ['a'], dev: ['b'], train: ['c'] } */
export function splitByTens<T>(items: readonly T[]): Splits<T> {
  const out: Splits<T> = { train: [], dev: [], test: [] };
  items.forEach((x, i) => {
    (i % 10 === 0 ? out.test : i % 10 === 1 ? out.dev : out.train).push(x);
  });
  return out;
}

/** Compound (two-character) surnames, for joining a surname nr with its given name. */
const COMPOUND_SURNAMES = new Set([
  '欧阳',
  '司马',
  '诸葛',
  '上官',
  '东方',
  '皇甫',
  '令狐',
  '慕容',
  '司徒',
  '尉迟',
  '长孙',
  '宇文',
  '夏侯',
  '公孙',
  '端木',
  '西门',
  '南宫',
  '独孤',
  '申屠',
  '万俟',
]);

/** Whether an nr token is a surname that the next nr (the given name) completes: one
 * character, or a compound surname (欧阳, 司马, …). */
export function isSurname(word: string): boolean {
  const n = Array.from(word).length;
  return n === 1 || (n === 2 && COMPOUND_SURNAMES.has(word));
}

/** The PKU tags of the entity types: nr → PER, ns → LOC, nt → ORG. */
export const PKU_ENTITY_TAGS: Readonly<Record<string, string>> = { nr: 'PER', ns: 'LOC', nt: 'ORG' };

/** A sentence as characters with one entity tag each (BIO). */
export interface CharTaggedSentence {
  /** The characters (code points). */
  chars: string[];
  /** One tag per character. */
  tags: string[];
}

/**
 * Character-level BIO entity tags of a People's Daily sentence: each nr, ns, nt word is an
 * entity (PER, LOC, ORG), except that a surname nr ({@link isSurname}) and the nr right after
 * it form one PER.
 * @example
 * ```ts
 * peoplesDailyEntities({ words: ['江', '泽民', '在', '北京'], tags: ['nr', 'nr', 'p', 'ns'] });
 * // { chars: ['江','泽','民','在','北','京'], tags: ['B-PER','I-PER','I-PER','O','B-LOC','I-LOC'] }
 * ```
 */
export function peoplesDailyEntities(s: TaggedSentence): CharTaggedSentence {
  const chars: string[] = [];
  const tags: string[] = [];
  for (let i = 0; i < s.words.length; i++) {
    let cs = Array.from(s.words[i]);
    const type = PKU_ENTITY_TAGS[s.tags[i]];
    if (type === 'PER' && isSurname(s.words[i]) && s.tags[i + 1] === 'nr') {
      cs = [...cs, ...Array.from(s.words[i + 1])];
      i++;
    }
    cs.forEach((c, k) => {
      chars.push(c);
      tags.push(type ? `${k === 0 ? 'B' : 'I'}-${type}` : 'O');
    });
  }
  return { chars, tags };
}

/** Options of {@link parseCharTagged}. */
export interface ParseCharTaggedOptions {
  /** Name used in error messages (e.g. the file name). @default "corpus" */
  source?: string;
}

/**
 * Reads a character-tagged corpus: one token and its tag a line separated by white space
 * (`中 B-LOC`), a blank line between sentences; CRLF line ends are accepted. E_FORMAT for an
 * empty corpus and for a line without a tag (naming the line).
 * @example parseCharTagged('北 B-LOC\n京 I-LOC\n\n好 O\n') // [{ chars: ['北','京'], tags: ['B-LOC','I-LOC'] }, { chars: ['好'], tags: ['O'] }]
 */
export function parseCharTagged(input: string | Uint8Array, opts: ParseCharTaggedOptions = {}): CharTaggedSentence[] {
  const source = opts.source ?? 'corpus';
  const text = typeof input === 'string' ? input : decodeUtf8(input, source);
  const out: CharTaggedSentence[] = [];
  let cur: CharTaggedSentence = { chars: [], tags: [] };
  const lines = text.split(/\r?\n/);
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l].trim();
    if (line === '') {
      if (cur.chars.length) out.push(cur);
      cur = { chars: [], tags: [] };
      continue;
    }
    const parts = line.split(/\s+/);
    if (parts.length !== 2)
      throw formatError(
        `${source} line ${l + 1}: ${JSON.stringify(line.slice(0, 40))} is not one character and a tag separated by a space (a blank line separates sentences)`,
      );
    cur.chars.push(parts[0]);
    cur.tags.push(parts[1]);
  }
  if (cur.chars.length) out.push(cur);
  if (out.length === 0) throw formatError(`${source} is empty: no character and tag lines`);
  return out;
}

/** The sentences as character-tagged text (`parseCharTagged`'s format). */
export function formatCharTagged(sents: readonly CharTaggedSentence[]): string {
  return sents.map((s) => `${s.chars.map((c, i) => `${c} ${s.tags[i]}`).join('\n')}\n`).join('\n');
}

/** Sentence-final punctuation at which long texts are cut for tagging. */
const SENTENCE_END = /[。！？!?]/u;

/** Cuts a text (as characters) into pieces of at most `maxChars` characters, after sentence
 * punctuation (。！？!?) where possible, else at `maxChars`. Returns [start, end) offsets. */
export function sentencePieces(cs: readonly string[], maxChars: number): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  while (start < cs.length) {
    let end = Math.min(cs.length, start + maxChars);
    if (end < cs.length) {
      for (let i = end - 1; i > start; i--)
        if (SENTENCE_END.test(cs[i])) {
          end = i + 1;
          break;
        }
    }
    out.push([start, end]);
    start = end;
  }
  return out;
}
