// Tagged corpora in the `word/TAG` format: one sentence per line, tokens separated by
// whitespace, each token's tag after its LAST slash (so "1/2/cd" is the word "1/2" tagged
// "cd" and "//in" is "/" tagged "in"). Blank lines are skipped. Works for POS corpora (Brown)
// and NER data in BIO tags ("Paris/B-LOC") alike. Errors are E_FORMAT and name the line.

import { formatError, rangeError, shapeError } from '../errors.js';
import { deriveSeed, Rng } from '../index.js';

/** One sentence of a tagged corpus: `words[i]` is tagged `tags[i]` (the two have the same length). */
export interface TaggedSentence {
  /** The words as written (case kept). */
  words: string[];
  /** One tag per word (after `mapTag`, when {@link parseTagged} was given one). */
  tags: string[];
}

/** Options of {@link parseTagged}. */
export interface ParseTaggedOptions {
  /** Name used in error messages (e.g. the file name). @default "corpus" */
  source?: string;
  /** Applied to every tag (e.g. normalizeBrownTag). @default none: tags kept as written */
  mapTag?: (tag: string) => string;
  /** Allow a corpus with no tokens (false: E_FORMAT). @default false */
  allowEmpty?: boolean;
}

/** Decodes UTF-8 strictly; E_FORMAT naming the first line with an invalid byte sequence. */
export function decodeUtf8(bytes: Uint8Array, source = 'corpus'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const dec = new TextDecoder('utf-8', { fatal: true });
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          dec.decode(bytes.subarray(start, i));
        } catch {
          throw formatError(`${source} line ${line}: invalid UTF-8`);
        }
        line++;
        start = i + 1;
      }
    }
    throw formatError(`${source}: invalid UTF-8`);
  }
}

/** Parses a `word/TAG` corpus (text, or bytes decoded as strict UTF-8). */
export function parseTagged(input: string | Uint8Array, opts: ParseTaggedOptions = {}): TaggedSentence[] {
  const source = opts.source ?? 'corpus';
  const text = typeof input === 'string' ? input : decodeUtf8(input, source);
  const out: TaggedSentence[] = [];
  const lines = text.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const toks = lines[l].trim().split(/\s+/).filter(Boolean);
    if (toks.length === 0) continue;
    const words: string[] = [];
    const tags: string[] = [];
    for (const t of toks) {
      const i = t.lastIndexOf('/');
      if (i < 0) throw formatError(`${source} line ${l + 1}: token ${JSON.stringify(t)} has no /TAG`);
      if (i === 0) throw formatError(`${source} line ${l + 1}: token ${JSON.stringify(t)} has an empty word`);
      if (i === t.length - 1) throw formatError(`${source} line ${l + 1}: token ${JSON.stringify(t)} has an empty tag`);
      words.push(t.slice(0, i));
      const tag = t.slice(i + 1);
      tags.push(opts.mapTag ? opts.mapTag(tag) : tag);
    }
    out.push({ words, tags });
  }
  if (out.length === 0 && !opts.allowEmpty) throw formatError(`${source} is empty: no word/TAG tokens`);
  return out;
}

/** Holds out round(fraction · N) of the named files (at least 1, at most N − 1), chosen by a
 * seeded shuffle of the sorted names. Returns the names of each side, sorted. */
export function splitFiles(names: readonly string[], opts: { test?: number; seed?: number } = {}): { train: string[]; test: string[] } {
  const fraction = opts.test ?? 0.1;
  if (!(fraction > 0 && fraction < 1)) throw rangeError(`test fraction must be in (0, 1) (got ${fraction})`);
  if (names.length < 2) throw rangeError(`a split by file needs at least 2 files (got ${names.length})`);
  const order = [...names].sort();
  new Rng(deriveSeed(opts.seed ?? 1, 0xb0)).shuffle(order);
  const n = Math.min(names.length - 1, Math.max(1, Math.round(fraction * names.length)));
  return { train: order.slice(n).sort(), test: order.slice(0, n).sort() };
}

/** What {@link taggingScore} returns. */
export interface TaggingScore {
  /** Token accuracy over all tokens (0 when there are none). */
  accuracy: number;
  /** Accuracy over the tokens whose word is not in `known` (0 when there are none). */
  unknownAccuracy: number;
  /** Tokens scored (all sentences). */
  tokens: number;
  /** Tokens whose word is not in `known`. */
  unknownTokens: number;
}

/** Token accuracy of predicted tag sequences against gold (unknown = word not in `known`). */
export function taggingScore(gold: readonly TaggedSentence[], predicted: readonly (readonly string[])[], known: { has(w: string): boolean }): TaggingScore {
  if (gold.length !== predicted.length) throw shapeError(`gold has ${gold.length} sentences but the prediction has ${predicted.length}`);
  let tokens = 0;
  let correct = 0;
  let unk = 0;
  let unkCorrect = 0;
  gold.forEach((s, i) => {
    const p = predicted[i];
    if (p.length !== s.tags.length) throw shapeError(`sentence ${i}: ${s.tags.length} gold tags but ${p.length} predicted`);
    for (let j = 0; j < p.length; j++) {
      const ok = p[j] === s.tags[j];
      tokens++;
      if (ok) correct++;
      if (!known.has(s.words[j])) {
        unk++;
        if (ok) unkCorrect++;
      }
    }
  });
  return { accuracy: tokens ? correct / tokens : 0, unknownAccuracy: unk ? unkCorrect / unk : 0, tokens, unknownTokens: unk };
}
