// Word-level text for language models: tokenisation and a capped vocabulary.
//
// tokenizeWords lowercases (by default) and splits text into
//   - words: runs of letters and digits, with internal apostrophes kept ("don't", "whale's");
//   - punctuation: every other non-space character is a token of its own ("—", "-", ",",
//     "'" at a word's edge), so "water-gazers" is "water", "-", "gazers";
// and appends EOS ("<eos>") after each non-empty line (a paragraph in the Moby Dick loader).
// wordVocabulary keeps the most frequent tokens (ties: alphabetical) up to a size cap that
// includes UNK ("<unk>", id 0), optionally only those seen at least `minCount` times; every
// other token maps to UNK. (When the cap exceeds the training types and minCount is 1, UNK
// never occurs in training, so a model gives held-out unknown words little probability.)

import { checkKeys, posInt } from '../errors.js';
import { Vocabulary } from '../index.js';

/** The end-of-line token `tokenizeWords` appends after each non-empty line: "<eos>". */
export const EOS = '<eos>';
/** The unknown-word token, id 0 of every `wordVocabulary`: "<unk>". */
export const UNK = '<unk>';

const TOKEN = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

/** Options of {@link tokenizeWords} (an unknown key is E_OPTION). */
export interface TokenizeOptions {
  /** Lowercase the text first. @default true */
  lowercase?: boolean;
  /** Append EOS ("<eos>") after each non-empty line. @default true */
  eos?: boolean;
}

/** Words and punctuation of `text`, with EOS after each non-empty line. */
export function tokenizeWords(text: string, opts: TokenizeOptions = {}): string[] {
  checkKeys('tokenizeWords', opts, ['lowercase', 'eos']);
  const lower = opts.lowercase ?? true;
  const eos = opts.eos ?? true;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const toks = (lower ? line.toLowerCase() : line).match(TOKEN);
    if (!toks) continue;
    for (const t of toks) out.push(t);
    if (eos) out.push(EOS);
  }
  return out;
}

/** UNK plus the maxSize − 1 most frequent tokens seen at least minCount times (ties: alphabetical). */
export function wordVocabulary(tokens: Iterable<string>, maxSize: number, opts: { minCount?: number } = {}): Vocabulary {
  posInt('wordVocabulary maxSize', maxSize);
  checkKeys('wordVocabulary', opts, ['minCount']);
  const minCount = posInt('wordVocabulary minCount', opts.minCount, 1);
  const n = new Map<string, number>();
  for (const t of tokens) if (t !== UNK) n.set(t, (n.get(t) ?? 0) + 1);
  const kept = [...n]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxSize - 1)
    .map(([t]) => t);
  return new Vocabulary([UNK, ...kept], { level: 'token', unk: UNK });
}
