// Grapheme to phoneme: spelling → pronunciation with the attention encoder-decoder
// (seq2seq.ts), on the CMU Pronouncing Dictionary or any lexicon in its format.
//
//   const { entries } = parseLexicon(await loadCmudict());  // cli/corpora/cmudict.ts (Node)
//   const { train, test } = splitLexicon(entries, { test: 0.05, seed: 1 });
//   const g2p = G2P.create(train, { encoderUnits: 128 }, { seed: 1 });
//   await g2p.fit(train, { epochs: 2 });
//   g2p.evaluate(test, { beam: 5 });   // → { wer, per, … }
//   g2p.pronounce(['RECURRENT']);      // → [['R', 'IH0', 'K', 'ER1', 'AH0', 'N', 'T']]
//
// Lexicon format (CMUdict): one entry a line, `WORD  PH1 PH2 …`; alternative pronunciations
// as `WORD(1)`, `WORD(2)`; lines starting with ';;;' are comments, and '#' starts a trailing
// comment. Words are grouped with all their pronunciations, so a split never puts one
// pronunciation of a word in training and another in the test set. Scoring follows the
// usual CMUdict G2P protocol: a word is right when the output equals any of its listed
// pronunciations (word error rate); phoneme errors are counted against the closest one.

import { checkKeys, formatError, optionError, rangeError } from '../errors.js';
import { type FitResult, type Pair, Rng, type Seq2SeqFitOptions, Seq2SeqModel, type Seq2SeqOptions, Vocabulary, type VocabularyJSON } from '../index.js';
import { taskCompile } from './defaults.js';
import { type ErrorRates, errorRates } from './edit-distance.js';
import { fitSeq2Seq } from './seq2seq-fit.js';

/** One word of a pronouncing lexicon with all its listed pronunciations (phone lists). */
export interface LexiconEntry {
  /** The word as spelled in the lexicon. */
  word: string;
  /** Every listed pronunciation, in file order. */
  pronunciations: string[][];
}

/** Options of {@link parseLexicon}. */
export interface ParseLexiconOptions {
  /**
   * Keep the stress digits of vowels (AH0, AH1, AH2), as in CMUdict.
   * @default true
   */
  stress?: boolean;
  /**
   * Words to keep. The default keeps letters and apostrophes only, which drops abbreviations with
   * periods, hyphenated compounds and words with digits; use /./u to keep every word.
   * @default /^[A-Za-z']+$/
   */
  wordPattern?: RegExp;
}

/** What {@link parseLexicon} returns. */
export interface ParsedLexicon {
  /** One entry per distinct word, in file order. */
  entries: LexiconEntry[];
  /** Pronunciation lines read. */
  lines: number;
  /** Lines whose word the pattern dropped. */
  skipped: number;
}

const PHONE = /^[A-Za-z]+[0-9]?$/;

/** Parses a lexicon in the CMUdict format (text, or UTF-8 bytes). Malformed lines, a wrong
 * @example
 * ```ts
 * const lex = parseLexicon('CAT  K AE1 T\nDOG  D AO1 G\nDOG(1)  D AA1 G\n', { stress: false });
 * console.log(lex.entries); // [{ word: 'CAT', pronunciations: [['K', 'AE', 'T']] }, { word: 'DOG', ... two }]
 * ```
 * encoding and an empty result are E_FORMAT / E_RANGE errors that name the line. */
export function parseLexicon(input: string | Uint8Array, opts: ParseLexiconOptions = {}): ParsedLexicon {
  checkKeys('parseLexicon', opts, ['stress', 'wordPattern']);
  let text: string;
  if (input instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw formatError('the lexicon is not valid UTF-8 text');
    }
  } else if (typeof input === 'string') {
    text = input;
  } else {
    throw optionError('parseLexicon takes the lexicon as a string or UTF-8 bytes');
  }
  const stress = opts.stress ?? true;
  const pattern = opts.wordPattern ?? /^[A-Za-z']+$/;
  const byWord = new Map<string, string[][]>();
  let lines = 0;
  let skipped = 0;
  const rows = text.split(/\r?\n/);
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i];
    const line = raw.replace(/\s#.*$/, '').trim();
    if (line === '' || line.startsWith(';;;')) continue;
    const parts = line.split(/\s+/);
    if (parts.length < 2) throw formatError(`line ${i + 1}: expected 'WORD  PHONE PHONE …', got ${JSON.stringify(raw.slice(0, 60))}`);
    const word = parts[0].replace(/\(\d+\)$/, '');
    if (word === '') throw formatError(`line ${i + 1}: the word is empty`);
    const bad = parts.slice(1).find((p) => !PHONE.test(p));
    if (bad !== undefined) throw formatError(`line ${i + 1}: ${JSON.stringify(bad)} is not a phone symbol (letters with an optional stress digit)`);
    lines++;
    if (!pattern.test(word)) {
      skipped++;
      continue;
    }
    const phones = parts.slice(1).map((p) => (stress ? p.toUpperCase() : stripStress(p.toUpperCase())));
    const list = byWord.get(word);
    if (!list) byWord.set(word, [phones]);
    else if (!list.some((q) => q.join(' ') === phones.join(' '))) list.push(phones);
  }
  if (byWord.size === 0) throw rangeError(lines === 0 ? 'the lexicon holds no entries' : `none of the ${lines} entries has a word matching ${pattern}`);
  const entries = [...byWord.entries()].map(([word, pronunciations]) => ({ word, pronunciations }));
  return { entries, lines, skipped };
}

/** Splits words (with all their pronunciations) into train / validation / test by seed:
 * @example
 * ```ts
 * const words = Array.from({ length: 40 }, (_, i) => `W${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}  AH0 B`);
 * const { entries } = parseLexicon(words.join('\n'));
 * const { train, validation, test } = splitLexicon(entries, { test: 0.1, validation: 4, seed: 1 });
 * console.log(train.length, validation.length, test.length); // 32 4 4
 * ```
 * `test` and `validation` are fractions in [0, 1) or word counts. */
export function splitLexicon(
  entries: readonly LexiconEntry[],
  opts: { test: number; validation?: number; seed?: number },
): {
  /** The words to train on. */
  train: LexiconEntry[];
  /** Held out for progress reports. */
  validation: LexiconEntry[];
  /** Held out for the final scores. */
  test: LexiconEntry[];
} {
  checkKeys('splitLexicon', opts, ['test', 'validation', 'seed']);
  const n = entries.length;
  const count = (what: string, v: number) => {
    const k = v > 0 && v < 1 ? Math.round(n * v) : v;
    if (!Number.isInteger(k) || k < 0) throw rangeError(`splitLexicon.${what} must be a fraction in [0, 1) or a count (got ${v})`);
    return k;
  };
  const nt = count('test', opts.test);
  const nv = count('validation', opts.validation ?? 0);
  if (nt + nv >= n) throw rangeError(`splitLexicon: ${nt} test + ${nv} validation words leave nothing to train on (${n} words)`);
  // sort first so that the split depends only on the words and the seed, not the file order
  const sorted = [...entries].sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
  const order = Array.from(sorted.keys());
  new Rng(opts.seed ?? 0).shuffle(order);
  const pick = (a: number, b: number) =>
    order
      .slice(a, b)
      .sort((x, y) => x - y)
      .map((i) => sorted[i]);
  return { test: pick(0, nt), validation: pick(nt, nt + nv), train: pick(nt + nv, n) };
}

export const BOS = '<s>';
export const EOS = '</s>';
export const UNK = '<unk>';

/** Options of {@link G2P.fit}: the encoder-decoder's fit options, and where it trains. */
export interface G2PFitOptions extends Seq2SeqFitOptions {
  /** Words scored (teacher-forced loss) at the end of every epoch. @default none */
  validationEntries?: readonly LexiconEntry[];
  /**
   * Data-parallel training on this many worker replicas (`createTrainer({ workers })`; 'auto':
   * the runtime's hardware threads). 1 trains in the calling thread. With workers, the model
   * is brought up to date before each epoch event reaches `onProgress`, and at the end.
   * @default 1
   */
  workers?: number | 'auto';
}

/** Error rates of a G2P model on held-out words, with its outputs and the time taken. */
export interface G2PEvaluation extends ErrorRates {
  /** The first output of each word. */
  predictions: string[][];
  /** Time the decoding took, in milliseconds. */
  ms: number;
  /**
   * The same outputs scored without stress (digits dropped from predictions and references:
   * the 39-phone protocol of published CMUdict results); present when the phones carry stress.
   */
  noStress?: ErrorRates;
}

/**
 * A phone without its stress digit (AH0 → AH).
 * @example
 * ```ts
 * console.log(stripStress('AH0'), stripStress('K')); // AH K
 * ```
 */
export function stripStress(phone: string): string {
  return phone.replace(/\d$/, '');
}

/**
 * A G2P model: letters vocabulary, phones vocabulary and the encoder-decoder.
 * @example
 * ```ts
 * const { entries } = parseLexicon('CAT  K AE1 T\nBAT  B AE1 T\nTAB  T AE1 B\nCAB  K AE1 B\nACT  AE1 K T\n');
 * const g2p = G2P.create(entries, { embed: 8, encoderUnits: 16, decoderUnits: 32, attention: 16 }, { seed: 1 });
 * g2p.model.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
 * await g2p.fit(entries, { epochs: 5, batchSize: 5 });
 * console.log(g2p.pronounce(['TAT'], { beam: 3 })[0], g2p.evaluate(entries).wer);
 * const { g2p: again } = G2P.load(g2p.save());
 * again.dispose();
 * g2p.dispose();
 * ```
 */
export class G2P {
  /** Letters vocabulary (the encoder's input), with `<unk>`. */
  readonly letters: Vocabulary;
  /** Phones vocabulary (the decoder's output), with BOS and EOS. */
  readonly phones: Vocabulary;
  /** The attention encoder-decoder. */
  readonly model: Seq2SeqModel;

  /** A G2P over existing vocabularies and model (see `G2P.create` and `G2P.load`). */
  constructor(letters: Vocabulary, phones: Vocabulary, model: Seq2SeqModel) {
    this.letters = letters;
    this.phones = phones;
    this.model = model;
  }

  /** Vocabularies from the training entries, and a new model over them. */
  static create(
    train: readonly LexiconEntry[],
    options: Omit<Seq2SeqOptions, 'sourceVocab' | 'targetVocab' | 'bos' | 'eos'> = {},
    opts: { seed?: number } = {},
  ): G2P {
    if (train.length === 0) throw rangeError('G2P.create: the training lexicon is empty');
    for (const k of ['sourceVocab', 'targetVocab', 'bos', 'eos']) if (k in options) throw optionError(`G2P.create sets ${k} itself from the vocabularies`);
    const letters = new Set<string>();
    const phones = new Set<string>();
    for (const e of train) {
      for (const ch of Array.from(e.word)) letters.add(ch);
      for (const p of e.pronunciations) for (const ph of p) phones.add(ph);
    }
    const lv = new Vocabulary([UNK, ...[...letters].sort()], { level: 'token' });
    const pv = new Vocabulary([BOS, EOS, ...[...phones].sort()], { level: 'token' });
    const model = Seq2SeqModel.create({ ...options, sourceVocab: lv.size, targetVocab: pv.size, bos: 0, eos: 1 }, opts);
    return new G2P(lv, pv, model);
  }

  /** Letter ids of a word; a letter outside the vocabulary tries the other case, then <unk>. */
  encodeWord(word: string): Uint32Array {
    const l = this.letters;
    return l.encode(Array.from(word).map((c) => (l.has(c) ? c : l.has(c.toUpperCase()) ? c.toUpperCase() : l.has(c.toLowerCase()) ? c.toLowerCase() : UNK)));
  }

  /** One training pair per (word, pronunciation). Phones outside the vocabulary are an error. */
  pairs(entries: readonly LexiconEntry[]): Pair[] {
    const out: Pair[] = [];
    for (const e of entries) {
      const source = this.encodeWord(e.word);
      if (source.length === 0) throw rangeError('a word is empty');
      for (const p of e.pronunciations) out.push({ source, target: this.phones.encode(p) });
    }
    return out;
  }

  /**
   * Trains on the entries (one pair per word and pronunciation), compiling with Adam (lr 3e-3,
   * clip 5) first unless compiled; `validationEntries` are scored every epoch; `workers`
   * trains data-parallel on worker replicas.
   */
  fit(train: readonly LexiconEntry[], opts: G2PFitOptions = {}): Promise<FitResult> {
    const { validationEntries, workers, ...rest } = opts;
    if (!this.model.compiled) this.model.compile(taskCompile('g2p'));
    const fitOpts = { ...rest, ...(validationEntries?.length ? { validation: this.pairs(validationEntries) } : {}) };
    return fitSeq2Seq(this.model, this.pairs(train), fitOpts, workers);
  }

  /** Pronunciations of each word: the nBest outputs, best first. */
  pronounceAll(
    words: readonly string[],
    opts: { beam?: number; nBest?: number } = {},
  ): {
    /** The pronunciation. */
    phones: string[];
    /** Its log-probability. */
    score: number;
  }[][] {
    checkKeys('pronounce', opts, ['beam', 'nBest']);
    const src = words.map((w, i) => {
      if (typeof w !== 'string' || w.length === 0) throw rangeError(`word ${i} is empty`);
      return this.encodeWord(w);
    });
    return this.model
      .decode(src, { beam: opts.beam ?? 1, nBest: opts.nBest ?? 1 })
      .map((hs) => hs.map((h) => ({ phones: h.ids.map((id) => this.phones.symbols[id]), score: h.score })));
  }

  /** The best pronunciation of each word. */
  pronounce(words: readonly string[], opts: { beam?: number } = {}): string[][] {
    return this.pronounceAll(words, opts).map((hs) => hs[0]?.phones ?? []);
  }

  /** Word and phoneme error rates on held-out entries. */
  evaluate(entries: readonly LexiconEntry[], opts: { beam?: number } = {}): G2PEvaluation {
    if (entries.length === 0) throw rangeError('evaluate: the test lexicon is empty');
    const t0 = performance.now();
    const predictions = this.pronounce(
      entries.map((e) => e.word),
      opts,
    );
    const refs = entries.map((e) => e.pronunciations);
    const r = errorRates(refs, predictions);
    const ms = performance.now() - t0;
    if (!this.phones.symbols.some((p) => /\d$/.test(p))) return { ...r, predictions, ms };
    const flat = (ps: readonly (readonly string[])[]) => ps.map((p) => p.map(stripStress));
    return { ...r, predictions, ms, noStress: errorRates(refs.map(flat), flat(predictions)) };
  }

  /** The model file (recurrent/1) with both vocabularies and `extra` in its metadata. */
  save(extra: Record<string, unknown> = {}): Uint8Array {
    return this.model.save({ ...extra, task: 'g2p', letters: this.letters.toJSON(), phones: this.phones.toJSON() });
  }

  /** A G2P from a file written by `save`, with the caller's metadata; E_FORMAT if it is not one. */
  static load(bytes: Uint8Array): {
    /** The model. */
    g2p: G2P;
    /** What `save(extra)` stored. */
    metadata: Record<string, unknown>;
  } {
    const { model, metadata } = Seq2SeqModel.load(bytes);
    try {
      if (metadata.task !== 'g2p') throw formatError('not a G2P model file (metadata task is not "g2p")');
      const letters = Vocabulary.fromJSON(metadata.letters as VocabularyJSON);
      const phones = Vocabulary.fromJSON(metadata.phones as VocabularyJSON);
      if (letters.size !== model.config.sourceVocab || phones.size !== model.config.targetVocab)
        throw formatError('the vocabularies in the file do not match its model');
      return { g2p: new G2P(letters, phones, model), metadata };
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** Frees the model's wasm memory. */
  dispose(): void {
    this.model.dispose();
  }
}
