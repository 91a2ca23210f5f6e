// Word segmentation as character tagging with BMES tags (B: first character of a word of
// two or more, M: inside one, E: its last character, S: a one-character word).
//
// - Corpora in the SIGHAN bakeoff format (one sentence a line, words separated by white
//   space, UTF-8) are read by `parseSegmentedCorpus`, so a Chinese corpus (PKU, MSR) works as
//   well as English text with its spaces taken out (`proseToSentences`).
// - `Segmenter` is a BiLSTM tagger (per-step softmax, greedy tags) or a BiLSTM-CRF
//   (transitions trained with the rest, Viterbi decoding), with its character vocabulary;
//   `trainSegmenter` trains one; `Segmenter.save()` writes a recurrent/1 model file.
//   With a lexicon (`lexicon: true`), each step reads several ids (`input.slots`): the
//   character, its two bigrams (with `bigrams`) and its lexicon bits (lexicon.ts), the bits of
//   training text taken from the words of the other folds (jackknifing) so that the tagger
//   learns how far to trust them; the dictionary is saved with the model.
// - `LongestMatchSegmenter` is the baseline: greedy forward longest match with a dictionary
//   of the training words.

import { checkKeys, formatError, numIn, optionError, posInt } from '../errors.js';
import { decodeSafetensors, fitBatches, type OptimizerSpec, padBatch, Rng, Session, sequential, Vocabulary } from '../index.js';
import { bigramTokens, frequentBigrams, readsBigrams } from './bigrams.js';
import { fittingBatchSize } from './classify.js';
import { adam, TASK_TRAINING } from './defaults.js';
import { HELD_OUT_FOLDS } from './held-out.js';
import { heldOutLexicons, lexiconBits, lexiconSymbols, lexiconWords } from './lexicon.js';
import { type SegmentationScore, segmentationScore } from './metrics.js';
import { withMetadata } from './model-file.js';
import { progressEvery } from './progress.js';
import { fitOnReplicas } from './replicas-fit.js';

/**
 * The word-boundary tags of a character, by id: 0 = B (begins a word), 1 = M (inside), 2 = E
 * (ends it), 3 = S (a one-character word).
 */
export const BMES = ['B', 'M', 'E', 'S'] as const;
const [B, M, E, S] = [0, 1, 2, 3];

/** Unknown characters (not seen in training) map to this symbol. */
export const UNK_CHAR = '\uFFFD';

/** White space that separates words, the ideographic space (U+3000, used by PKU) included. */
const SPACE = /[\s\u3000]+/u;

/** Characters of a string (code points, so astral characters stay whole). */
export const chars = (s: string): string[] => Array.from(s);

/**
 * A word list → its characters and their BMES tags (0..3 = B, M, E, S).
 * @example
 * ```ts
 * console.log(wordsToTags(['Call', 'me', 'I'])); // { chars: ['C','a','l','l','m','e','I'], tags: [B, M, M, E, B, E, S] as numbers }
 * ```
 */
export function wordsToTags(words: readonly string[]): {
  /** The characters, in order. */
  chars: string[];
  /** One BMES tag per character. */
  tags: number[];
} {
  const cs: string[] = [];
  const tags: number[] = [];
  for (const w of words) {
    const c = chars(w);
    if (c.length === 0) continue;
    if (c.length === 1) {
      cs.push(c[0]);
      tags.push(S);
      continue;
    }
    c.forEach((ch, i) => {
      cs.push(ch);
      tags.push(i === 0 ? B : i === c.length - 1 ? E : M);
    });
  }
  return { chars: cs, tags };
}

/** Characters + tags → words. Any tag sequence is accepted: a word starts at B or S (or
 * after E or S) and ends at E or S (or before B or S), so invalid sequences such as B B or
 * @example
 * ```ts
 * const { chars, tags } = wordsToTags(['Call', 'me']);
 * console.log(tagsToWords(chars, tags)); // ['Call', 'me']
 * ```
 * M at the start still give a segmentation of exactly these characters. */
export function tagsToWords(cs: readonly string[], tags: ArrayLike<number>): string[] {
  const words: string[] = [];
  let cur = '';
  for (let i = 0; i < cs.length; i++) {
    const t = tags[i];
    if ((t === B || t === S) && cur) {
      words.push(cur);
      cur = '';
    }
    cur += cs[i];
    if (t === E || t === S) {
      words.push(cur);
      cur = '';
    }
  }
  if (cur) words.push(cur);
  return words;
}

/** Options of {@link parseSegmentedCorpus}. */
export interface ParseOptions {
  /**
   * Name used in error messages (e.g. the file name).
   * @default 'the corpus'
   */
  name?: string;
  /**
   * Require word boundaries: at least one line with two or more words (a training or gold
   * corpus needs them, raw text to segment does not).
   * @default true
   */
  requireBoundaries?: boolean;
}

/** Decodes a corpus file strictly as UTF-8 (a byte-order mark is dropped); invalid bytes,
 * @example
 * ```ts
 * console.log(decodeUtf8(new TextEncoder().encode('我爱北京'), 'corpus.txt')); // invalid UTF-8 would be E_FORMAT naming corpus.txt
 * ```
 * UTF-16 text and binary files are E_FORMAT errors that say so. */
export function decodeUtf8(bytes: Uint8Array, name = 'the corpus'): string {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw formatError(`${name} is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // the first offending byte, for the message: the shortest prefix that fails to decode
    // (an incomplete character at the end of a prefix is not a failure in stream mode)
    let lo = 0;
    let hi = bytes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
        lo = mid + 1;
      } catch {
        hi = mid;
      }
    }
    const at = lo;
    throw formatError(`${name} is not valid UTF-8 (first bad byte at offset ${at}); convert it to UTF-8 (e.g. iconv -f GBK -t UTF-8 for a GB-encoded corpus)`);
  }
  return text;
}

/** Reads a SIGHAN-format corpus: one sentence a line, words separated by white space.
 * Blank lines are skipped. Errors (E_FORMAT): an empty corpus, invalid UTF-8, NUL or other
 * control characters (a binary or UTF-16 file), a corpus without any word, and (unless
 * @example
 * ```ts
 * console.log(parseSegmentedCorpus('我 爱 北京\n天安门 很 大\n')); // [['我', '爱', '北京'], ['天安门', '很', '大']]
 * ```
 * `requireBoundaries: false`) one whose lines are never split into words. */
export function parseSegmentedCorpus(input: string | Uint8Array, opts: ParseOptions = {}): string[][] {
  checkKeys('parseSegmentedCorpus', opts, ['name', 'requireBoundaries']);
  const name = opts.name ?? 'the corpus';
  if (input.length === 0) throw formatError(`${name} is empty`);
  let text = typeof input === 'string' ? input : decodeUtf8(input, name);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\n|\r/);
  const out: string[][] = [];
  let split = false;
  for (let i = 0; i < lines.length; i++) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this check's purpose
    const bad = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(lines[i]);
    if (bad) {
      const code = bad[0].charCodeAt(0);
      throw formatError(
        `${name}, line ${i + 1}: control character U+${code.toString(16).padStart(4, '0').toUpperCase()}${code === 0 ? ' (a NUL: is the file UTF-16 or binary?)' : ''}; a corpus is UTF-8 text, one sentence a line`,
      );
    }
    const words = lines[i].split(SPACE).filter(Boolean);
    if (words.length === 0) continue;
    if (words.length > 1) split = true;
    out.push(words);
  }
  if (out.length === 0) throw formatError(`${name} has no words (only blank lines)`);
  if ((opts.requireBoundaries ?? true) && !split) {
    throw formatError(
      `${name} has no word boundaries: no line holds two words separated by a space. A segmented corpus has one sentence a line with its words separated by spaces (SIGHAN format)`,
    );
  }
  return out;
}

/** Prose (paragraphs separated by blank lines) → sentences of white-space words: a sentence
 * ends at a word ending in . ! or ? (closing quotes and brackets allowed after it), as one
 * @example
 * ```ts
 * console.log(proseToSentences('Call me Ishmael. Some years ago, never mind how long.'));
 * ```
 * line of a SIGHAN corpus would hold it. */
export function proseToSentences(text: string): string[][] {
  const out: string[][] = [];
  for (const para of text.split(/\n\s*\n/)) {
    let cur: string[] = [];
    for (const w of para.split(SPACE)) {
      if (!w) continue;
      cur.push(w);
      if (/[.!?][)"'’”\]]*$/u.test(w)) {
        out.push(cur);
        cur = [];
      }
    }
    if (cur.length) out.push(cur);
  }
  return out;
}

/** Splits a long sentence at word boundaries into pieces of at most `maxChars` characters
 * @example
 * ```ts
 * console.log(chunkWords(['Some', 'years', 'ago', 'never', 'mind'], 10)); // pieces of at most 10 characters, whole words
 * ```
 * (a longer single word stays whole), for training batches of bounded length. */
export function chunkWords(words: readonly string[], maxChars: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let n = 0;
  for (const w of words) {
    const len = chars(w).length;
    if (cur.length && n + len > maxChars) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(w);
    n += len;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** The baseline: greedy longest match (maximum matching). Forward (the default): at each
 * position from the start the longest dictionary word that matches is taken, else one
 * @example
 * ```ts
 * const seg = LongestMatchSegmenter.fromCorpus([['Call', 'me', 'Ishmael'], ['me', 'too']]);
 * console.log(seg.segment('CallmeIshmael')); // ['Call', 'me', 'Ishmael']
 * ```
 * character. Backward: the same from the end of the sentence towards its start. */
export class LongestMatchSegmenter {
  readonly #dict: Set<string>;
  /** The direction of the match ({@link LongestMatchSegmenter} constructor's `opts.direction`). */
  readonly direction: 'forward' | 'backward';
  /** The longest word tried, in characters (the longest dictionary word, at most `opts.maxLen`). */
  readonly maxLen: number;

  /**
   * @param words the dictionary
   * @param opts.maxLen longest word to try (default 32)
   * @param opts.direction 'forward' (default) or 'backward' maximum matching
   */
  constructor(words: Iterable<string>, opts: { maxLen?: number; direction?: 'forward' | 'backward' } = {}) {
    checkKeys('LongestMatchSegmenter', opts, ['maxLen', 'direction']);
    const dir = opts.direction ?? 'forward';
    if (dir !== 'forward' && dir !== 'backward') throw optionError(`direction must be 'forward' or 'backward' (got ${JSON.stringify(dir)})`);
    this.direction = dir;
    this.#dict = new Set(words);
    let longest = 1;
    for (const w of this.#dict) longest = Math.max(longest, chars(w).length);
    this.maxLen = Math.min(longest, posInt('maxLen', opts.maxLen, 32));
  }

  /** The dictionary of every word of a segmented corpus. */
  static fromCorpus(sentences: readonly (readonly string[])[], opts: { maxLen?: number; direction?: 'forward' | 'backward' } = {}): LongestMatchSegmenter {
    return new LongestMatchSegmenter(sentences.flat(), opts);
  }

  /** Dictionary words. */
  get size(): number {
    return this.#dict.size;
  }

  /** Segments one sentence (a string, white space ignored, or its characters) into words. */
  segment(text: string | readonly string[]): string[] {
    const cs = typeof text === 'string' ? chars(text.replace(/[\s\u3000]+/gu, '')) : text;
    const out: string[] = [];
    if (this.direction === 'backward') {
      let j = cs.length;
      while (j > 0) {
        let take = 1;
        for (let n = Math.min(this.maxLen, j); n > 1; n--) {
          if (this.#dict.has(cs.slice(j - n, j).join(''))) {
            take = n;
            break;
          }
        }
        out.push(cs.slice(j - take, j).join(''));
        j -= take;
      }
      return out.reverse();
    }
    let i = 0;
    while (i < cs.length) {
      let take = 1;
      for (let n = Math.min(this.maxLen, cs.length - i); n > 1; n--) {
        if (this.#dict.has(cs.slice(i, i + n).join(''))) {
          take = n;
          break;
        }
      }
      out.push(cs.slice(i, i + take).join(''));
      i += take;
    }
    return out;
  }
}

/**
 * The architecture of a {@link Segmenter}: character embedding → bidirectional LSTM → 4 BMES
 * scores per character, with or without a CRF head.
 */
export interface SegmenterOptions {
  /**
   * BiLSTM-CRF (true) or a BiLSTM tagger with a per-step softmax (false).
   * @default true
   */
  crf?: boolean;
  /**
   * Character embedding size.
   * @default 32
   */
  embed?: number;
  /**
   * LSTM units per direction.
   * @default 64
   */
  hidden?: number;
  /**
   * Stacked bidirectional layers.
   * @default 1
   */
  layers?: number;
  /**
   * Initialisation seed (and, in `trainSegmenter`, the seed of the data order).
   * @default 1
   */
  seed?: number;
  /**
   * A dictionary (e.g. the training words, `lexiconWords`): each step then reads several ids
   * (`input.slots`), their embeddings concatenated: the character, its bigrams to the right and
   * to the left (when the vocabulary holds bigrams; `NO_BIGRAM` for a rare one) and its lexicon
   * bits (lexicon.ts). The vocabulary needs `charVocabulary(…, { lexicon: true })`; the words
   * are saved with the model.
   */
  lexicon?: readonly string[];
}

/** The input id of a step's bigram that the vocabulary does not hold (lexicon inputs). */
export const NO_BIGRAM = '<nb>';

/** Options of {@link trainSegmenter}: the architecture and the training budget. */
export interface TrainSegmenterOptions extends Omit<SegmenterOptions, 'lexicon'> {
  /**
   * Optimizer updates.
   * @default 2000
   */
  steps?: number;
  /**
   * Character bigrams as inputs (bigrams.ts): a bigram seen at least this many times in
   * training gets its own embedding, read at its first character; 0 reads characters only.
   * @default 0
   */
  bigrams?: number;
  /**
   * Lexicon inputs (see `SegmenterOptions.lexicon`) from the training words: each step reads
   * its character, its two bigrams (with `bigrams`) and its lexicon bits.
   * @default false
   */
  lexicon?: boolean;
  /**
   * Multiply the learning rate by this factor every `decayEvery` updates (1: constant; below
   * 1, `steps` is rounded up to whole periods).
   * @default 1
   */
  lrDecay?: number;
  /**
   * Updates between learning-rate decays.
   * @default 500
   */
  decayEvery?: number;
  /** Stop training after this many milliseconds (the model is kept as it stands). */
  timeBudgetMs?: number;
  /**
   * Data-parallel replicas (`createTrainer({ workers })`; 'auto': the hardware threads, kept
   * where they pay). Other than 1, training runs on the replicas in passes over the pieces
   * (as many as `steps` updates make, at least one), the rate decaying by `lrDecay` after each
   * pass instead of every `decayEvery` updates.
   * @default 1 (the calling thread)
   */
  workers?: number | 'auto';
  /** Told once, with `workers` other than 1, how many replicas train and why. */
  onWorkers?: (workers: number, reason: string) => void;
  /**
   * Sentence pieces per batch.
   * @default 32
   */
  batchSize?: number;
  /**
   * Training pieces are at most this many characters.
   * @default 80
   */
  maxChars?: number;
  /**
   * The optimizer.
   * @default { name: 'adam', lr: 0.01 }
   */
  optimizer?: OptimizerSpec;
  /**
   * Clip gradients by global norm.
   * @default 5
   */
  clipNorm?: number;
  /** Called every `progressEvery` steps with the mean loss since the last call. */
  onProgress?: (e: { step: number; steps: number; loss: number; elapsedMs: number }) => void | Promise<void>;
  /**
   * Steps between `onProgress` calls.
   * @default 50
   */
  progressEvery?: number;
}

const SEGMENTER_KEYS = ['crf', 'embed', 'hidden', 'layers', 'seed', 'lexicon'];

/**
 * A character tagger that puts word boundaries back: its model and character vocabulary.
 * @example
 * ```ts
 * const corpus = [['Call', 'me', 'Ishmael'], ['Some', 'years', 'ago']];
 * const seg = Segmenter.create(charVocabulary(corpus), { crf: true, embed: 8, hidden: 8, seed: 1 });
 * console.log(seg.segment(['Callme'])); // untrained: arbitrary boundaries (trainSegmenter trains one)
 * const again = Segmenter.load(seg.save());
 * again.dispose();
 * seg.dispose();
 * ```
 */
export class Segmenter {
  /** The session holding the tagger model (and the vocabulary). */
  readonly session: Session;
  /** The character vocabulary (with `UNK_CHAR`; and frequent bigrams when `bigrams`). */
  readonly vocab: Vocabulary;
  /** Whether each step reads its character bigram when the vocabulary has it (bigrams.ts). */
  readonly bigrams: boolean;
  /** The dictionary of the lexicon inputs (undefined: one id per step). */
  readonly lexicon: ReadonlySet<string> | undefined;

  private constructor(session: Session, vocab: Vocabulary, lexicon?: readonly string[]) {
    this.session = session;
    this.vocab = vocab;
    this.bigrams = readsBigrams(vocab.symbols);
    this.lexicon = lexicon && new Set(lexicon);
  }

  /** Input ids per step: 1, or with a lexicon the character, two bigrams (with bigrams) and
   * the lexicon bits. */
  get slots(): number {
    return this.lexicon ? (this.bigrams ? 4 : 2) : 1;
  }

  /** A fresh, untrained segmenter over a character vocabulary. */
  static create(vocab: Vocabulary, opts: SegmenterOptions = {}): Segmenter {
    checkKeys('Segmenter.create', opts, SEGMENTER_KEYS);
    if (vocab.unk === undefined) throw optionError('the segmenter vocabulary needs an unk symbol for characters not seen in training');
    const embed = posInt('embed', opts.embed, 32);
    const hidden = posInt('hidden', opts.hidden, 64);
    const layers = posInt('layers', opts.layers, 1);
    if (opts.lexicon && !vocab.has(NO_BIGRAM)) throw optionError('lexicon inputs need a vocabulary from charVocabulary(…, { lexicon: true })');
    const slots = opts.lexicon ? (readsBigrams(vocab.symbols) ? 4 : 2) : 1;
    const base = sequential({ input: slots > 1 ? { vocab: vocab.size, slots } : { vocab: vocab.size } })
      .embedding({ dim: embed })
      .lstm({ units: hidden, layers, bidirectional: true })
      .dense({ units: BMES.length });
    const spec = (opts.crf ?? true) ? base.crf().toJSON() : base.toJSON();
    const s = new Session();
    s.build(spec, opts.seed ?? 1);
    s.setVocabulary(vocab);
    return new Segmenter(s, vocab, opts.lexicon);
  }

  /** A segmenter from a model file written by `save()`. */
  static load(bytes: Uint8Array): Segmenter {
    const meta = decodeSafetensors(bytes).metadata; // a malformed file's own E_FORMAT first
    let lexicon: unknown;
    try {
      lexicon = JSON.parse(meta.lexicon ?? 'null') ?? undefined;
    } catch {
      throw formatError('not a segmenter model file (its metadata lexicon is not JSON)');
    }
    if (lexicon !== undefined && !(Array.isArray(lexicon) && lexicon.every((w) => typeof w === 'string')))
      throw formatError('not a segmenter model file (its metadata lexicon is not a list of words)');
    const s = new Session();
    const info = s.load(bytes);
    const spec = 'layers' in info.spec ? info.spec : undefined;
    const last = spec?.layers.at(-1);
    const head = last?.type === 'crf' ? spec?.layers.at(-2) : last;
    if (!spec || !info.vocabulary || head?.type !== 'dense' || head.units !== BMES.length || !('vocab' in spec.input)) {
      s.dispose();
      throw formatError('not a segmenter model file (it needs a character vocabulary and 4 BMES outputs)');
    }
    const seg = new Segmenter(s, s.vocabulary!, lexicon as string[] | undefined);
    const reads = s.model.inputSlots ?? 1;
    if (seg.slots !== reads) {
      s.dispose();
      throw formatError(`not a segmenter model file (its model reads ${reads} ids per step, its vocabulary and lexicon give ${seg.slots})`);
    }
    return seg;
  }

  /** Whether the tagger has a CRF head (Viterbi decoding) rather than a per-step softmax. */
  get crf(): boolean {
    return this.session.model.hasCrf;
  }

  /** Token ids of characters (unknown ones map to the unk symbol); with `bigrams`, each step's
   * bigram when the vocabulary has it; with a lexicon, [n, slots] ids whose lexicon bits come
   * from `dict` (default: the segmenter's lexicon). */
  encode(cs: readonly string[], dict?: { has(w: string): boolean }): Uint32Array {
    if (!this.lexicon) return this.vocab.encode(this.bigrams ? bigramTokens(cs, (b) => this.vocab.has(b)) : cs);
    // [n, slots]: character, bigram to the right, bigram to the left, lexicon bits
    const v = this.vocab;
    const k = this.slots;
    const out = new Uint32Array(cs.length * k);
    const chars = v.encode(cs);
    const bits = lexiconBits(cs, dict ?? this.lexicon);
    const nb = v.id(NO_BIGRAM);
    const lex0 = v.id('<lex0>');
    const bigram = (a: number) => {
      if (a < 0 || a + 1 >= cs.length) return nb;
      const s = cs[a] + cs[a + 1];
      return v.has(s) ? v.id(s) : nb;
    };
    for (let i = 0; i < cs.length; i++) {
      out[i * k] = chars[i];
      if (k === 4) {
        out[i * k + 1] = bigram(i);
        out[i * k + 2] = bigram(i - 1);
      }
      out[i * k + k - 1] = lex0 + bits[i];
    }
    return out;
  }

  /** BMES tags of each character sequence: Viterbi paths under the CRF, or the most likely
   * tag of each step for the plain tagger. Rows are run in batches of similar length. */
  tag(seqs: readonly (readonly string[])[], opts: { batchSize?: number } = {}): number[][] {
    const bs = posInt('batchSize', opts.batchSize, 64);
    const model = this.session.model;
    const out: number[][] = new Array(seqs.length);
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
    for (let i = 0; i < order.length; i += bs) {
      const idx = order.slice(i, i + bs).filter((k) => seqs[k].length > 0);
      for (const k of order.slice(i, i + bs)) if (seqs[k].length === 0) out[k] = [];
      if (idx.length === 0) continue;
      const pb = padBatch(
        idx.map((k) => this.encode(seqs[k])),
        { slots: this.slots },
      );
      const input = { ids: pb.ids, batch: pb.batch, steps: pb.steps, lengths: pb.lengths };
      if (model.hasCrf) {
        const paths = model.decode(input);
        idx.forEach((k, r) => {
          out[k] = Array.from(paths.subarray(r * pb.steps, r * pb.steps + pb.lengths[r]));
        });
      } else {
        const y = model.forward(input);
        const kk = BMES.length;
        idx.forEach((k, r) => {
          const tags: number[] = [];
          for (let t = 0; t < pb.lengths[r]; t++) {
            const o = (r * pb.steps + t) * kk;
            let best = 0;
            for (let j = 1; j < kk; j++) if (y[o + j] > y[o + best]) best = j;
            tags.push(best);
          }
          out[k] = tags;
        });
      }
    }
    return out;
  }

  /** Puts word boundaries into unsegmented text (white space in the input is ignored). */
  segment(texts: readonly string[], opts: { batchSize?: number } = {}): string[][] {
    const cs = texts.map((t) => chars(t.replace(/[\s\u3000]+/gu, '')));
    const tags = this.tag(cs, opts);
    return cs.map((c, i) => tagsToWords(c, tags[i]));
  }

  /** Segments the gold sentences' characters and scores the result (SIGHAN measure; with
   * `known`, the training words, also the OOV recall). `opts.batchSize` sentences are tagged at
   * once (default 64; fewer for very long lines, whose activations grow with batch × length). */
  evaluate(gold: readonly (readonly string[])[], known?: { has(w: string): boolean }, opts: { batchSize?: number } = {}): SegmentationScore {
    const cs = gold.map((ws) => chars(ws.join('')));
    const tags = this.tag(cs, opts);
    return segmentationScore(
      gold,
      cs.map((c, i) => tagsToWords(c, tags[i])),
      known,
    );
  }

  /** The model file (recurrent/1, vocabulary included; the lexicon's words as metadata "lexicon"). */
  save(): Uint8Array {
    const bytes = this.session.save({ training: false });
    return this.lexicon ? withMetadata(bytes, { lexicon: JSON.stringify([...this.lexicon]) }) : bytes;
  }

  /** Frees the model's wasm memory. */
  dispose(): void {
    this.session.dispose();
  }
}

/**
 * The character vocabulary of a training corpus, sorted, with `UNK_CHAR` for the rest; with
 * `opts.bigrams` (a count), also the character bigrams seen at least that many times (a
 * token vocabulary then).
 * @example
 * ```ts
 * console.log(charVocabulary([['Call', 'me']]).size); // the corpus's characters and UNK_CHAR
 * console.log(charVocabulary([['北京', '大学'], ['北京']], { bigrams: 2 }).has('北京')); // true
 * ```
 */
export function charVocabulary(sentences: readonly (readonly string[])[], opts: { bigrams?: number; lexicon?: boolean } = {}): Vocabulary {
  checkKeys('charVocabulary', opts, ['bigrams', 'lexicon']);
  const extra = opts.lexicon ? [NO_BIGRAM, ...lexiconSymbols()] : [];
  const minCount = numIn('bigrams', opts.bigrams, 0, Infinity, 0);
  const set = new Set<string>();
  for (const s of sentences) for (const w of s) for (const c of w) set.add(c);
  set.delete(UNK_CHAR);
  if (minCount === 0 && !opts.lexicon) return new Vocabulary([...set].sort(), { level: 'char', unk: UNK_CHAR });
  const pairs =
    minCount === 0
      ? []
      : frequentBigrams(
          sentences.map((s) => chars(s.join(''))),
          Math.max(1, minCount),
        );
  return new Vocabulary([...[...set].sort(), ...pairs, ...extra], { level: 'token', unk: UNK_CHAR });
}

/** Trains a segmenter on a segmented corpus: pieces of at most `maxChars` characters,
 * @example
 * ```ts
 * // sentences: each a list of words (the text without spaces is what the model sees)
 * const sentences = proseToSentences('Call me Ishmael. Some years ago, never mind how long precisely. '.repeat(5));
 * const seg = await trainSegmenter(sentences, { steps: 100, batchSize: 8, embed: 8, hidden: 16, seed: 1, timeBudgetMs: 20_000 });
 * console.log(seg.segment(['Callmeishmael.']), seg.evaluate(sentences).f1);
 * seg.dispose();
 * ```
 * shuffled by seed, `steps` updates with Adam (default lr 0.01) and clipping. */
export async function trainSegmenter(sentences: readonly (readonly string[])[], opts: TrainSegmenterOptions = {}): Promise<Segmenter> {
  checkKeys('trainSegmenter', opts, [
    ...SEGMENTER_KEYS,
    'steps',
    'bigrams',
    'lexicon',
    'lrDecay',
    'decayEvery',
    'timeBudgetMs',
    'workers',
    'onWorkers',
    'batchSize',
    'maxChars',
    'optimizer',
    'clipNorm',
    'onProgress',
    'progressEvery',
  ]);
  const steps = posInt('steps', opts.steps, 2000);
  const asked = posInt('batchSize', opts.batchSize, 32);
  const maxChars = posInt('maxChars', opts.maxChars, 80);
  const every = posInt('progressEvery', opts.progressEvery, 50);
  if (sentences.length === 0) throw formatError('the training corpus has no sentences');
  // in (0, 1]: 1 keeps the rate constant
  const decay = opts.lrDecay === 1 ? 1 : numIn('lrDecay', opts.lrDecay, Number.MIN_VALUE, 1, 1);
  const decayEvery = posInt('decayEvery', opts.decayEvery, 500);
  const vocab = charVocabulary(sentences, { bigrams: opts.bigrams, lexicon: opts.lexicon });
  const seg = Segmenter.create(vocab, {
    crf: opts.crf,
    embed: opts.embed,
    hidden: opts.hidden,
    layers: opts.layers,
    seed: opts.seed,
    lexicon: opts.lexicon ? lexiconWords(sentences) : undefined,
  });
  const model = seg.session.model;
  model.compile({
    loss: seg.crf ? 'crf' : 'crossEntropy',
    optimizer: opts.optimizer ?? adam(TASK_TRAINING.segment.lr),
    clipNorm: opts.clipNorm ?? TASK_TRAINING.segment.clipNorm,
    ...(decay < 1 ? { schedule: { name: 'exponential' as const, gamma: decay } } : {}),
  });
  // lexicon bits of training text come from the words of the OTHER folds (jackknifing), so
  // that training sees words missing from the dictionary as often as test text does; with the
  // whole dictionary every training word is in it and the tagger learns to trust it blindly
  // training text's lexicon bits come from the words of the OTHER folds (jackknifing)
  const folds = seg.lexicon ? heldOutLexicons(sentences) : undefined;
  const pieces = sentences
    .flatMap((s, i) => chunkWords(s, maxChars).map((ws) => ({ ws, fold: i % HELD_OUT_FOLDS })))
    .map(({ ws, fold }) => {
      const { chars: cs, tags } = wordsToTags(ws);
      return { ids: seg.encode(cs, folds?.[fold]), tags };
    });
  const batchSize = fittingBatchSize(
    model,
    asked,
    pieces.reduce((a, p) => Math.max(a, p.tags.length), 0),
    'training piece',
  );
  const rng = new Rng(opts.seed ?? 1);
  const order = new Uint32Array(pieces.length).map((_, i) => i);
  let pos = order.length;
  const budget = opts.timeBudgetMs === undefined ? undefined : numIn('timeBudgetMs', opts.timeBudgetMs, 0, Infinity);
  // "epochs" of `decayEvery` batches (one of `steps` without decay) drawn from an endless
  // stream of pieces, reshuffled at its end; the schedule decays the rate after each
  const period = decay < 1 ? Math.min(decayEvery, steps) : steps;
  const epochs = Math.ceil(steps / period);
  const workers = opts.workers ?? 1;
  if (workers !== 1) {
    // on replicas: epochs of one pass over the pieces each (the rate decays after each),
    // as many as `steps` updates take
    const per = Math.ceil(pieces.length / batchSize);
    const passes = Math.max(1, Math.round(steps / per));
    await fitOnReplicas(
      seg.session,
      pieces.map((p) => ({ ids: p.ids, targets: p.tags })),
      {
        workers,
        epochs: passes,
        batchSize,
        seed: opts.seed ?? 1,
        timeBudgetMs: budget,
        onProgress: progressEvery(every, passes * per, opts.onProgress),
        onWorkers: opts.onWorkers,
      },
    );
    return seg;
  }
  await fitBatches(model, {
    batchesPerEpoch: period,
    epochs,
    timeBudgetMs: budget,
    batches: () => () => {
      const rows: number[] = [];
      while (rows.length < Math.min(batchSize, pieces.length)) {
        if (pos >= order.length) {
          rng.shuffle(order);
          pos = 0;
        }
        rows.push(order[pos++]);
      }
      const pb = padBatch(
        rows.map((r) => pieces[r].ids),
        { slots: seg.slots },
      );
      const classes = new Int32Array(pb.batch * pb.steps).fill(-100);
      rows.forEach((r, k) => {
        classes.set(pieces[r].tags, k * pb.steps);
      });
      const tokens = pb.lengths.reduce((a, b) => a + b, 0);
      return { input: { ids: pb.ids, batch: pb.batch, steps: pb.steps, lengths: pb.lengths }, targets: { classes }, tokens };
    },
    schedule: decay < 1,
    onProgress: progressEvery(every, epochs * period, opts.onProgress),
  });
  return seg;
}
