// Part-of-speech (or any word/TAG) tagging with a BiLSTM or BiLSTM-CRF over words.
//
// Unknown words. The builder takes one input per step (a token id), so each word becomes ONE
// id of a word-signature vocabulary (`WordEncoder`):
//   1. the word as written, if it was seen at least `minCount` times in training ("The", "run");
//   2. else its lowercased form, if that was ("Running" at a sentence start → "running");
//   3. else a fine signature "<C-d~ing>": capitalisation (A = all capitals, C = capitalised,
//      l = other), "-" for a hyphen, "d" for a digit, "~" and the last three characters
//      lowercased, when that signature was seen at least `minCount` times among rare words;
//   4. else the coarse signature "<" + wordClass(w) + ">" (hmm-tagger.ts: number, digit,
//      capitalisation, hyphen and one of 27 English suffixes), when seen among rare words;
//   5. else "<unk>".
// Chinese words (any character in the CJK, CJK-punctuation or full-width ranges) get
// character signatures instead, since Chinese has no capitals or inflections: the fine one is
// "<zh~" + the last character + ">" (the head of most compounds decides their class: 化 and
// 性 nouns, 者 and 家 people, 年 and 日 times, 省 and 市 places), the coarse one "<zh^" + the
// first character + ">" for words of two or more characters and "<zh1>" for one character.
// With `chars` (WordEncoder.fromSentences), each word reads two more ids beside its own
// (`input.slots` = 3, the embeddings concatenated): its first character `<^c>` and its last `<c$>`
// (`<^>` / `<$>` for a character not seen in training), so every word, known or not, shows
// what its characters say (Chinese compounds take the class of their last character; first
// characters such as 第, 老 or 非 mark numerals, people and negated adjectives), where the
// English suffix signatures would see nothing.
// With `features` (WordEncoder.fromSentences), each word also reads that many feature symbols
// given beside the words (e.g. an entity tagger's gazetteer bits), after the ids above; the
// vocabulary holds them and the marker `<features N>`.
// Words seen fewer than `minCount` times are trained under their signatures, so signatures
// learn what unknown words look like; in addition, while training, a word seen c times is
// replaced by its signature with probability α/(α + c) ("word dropout", Kiperwasser &
// Goldberg 2016), which teaches the signatures from many more rare-ish tokens. The BiLSTM's
// context then does the rest. The tag names are stored in the model file's metadata ("tags").

import { checkKeys, formatError, numIn, optionError, posInt, rangeError, shapeError } from '../errors.js';
import {
  bucketedBatches,
  decodeSafetensors,
  deriveSeed,
  fitBatches,
  type OptimizerSpec,
  padBatch,
  Rng,
  type ScheduleSpec,
  Session,
  sequential,
  Vocabulary,
} from '../index.js';
import { fittingBatchSize } from './classify.js';
import { taskCompile } from './defaults.js';
import { wordClass } from './hmm-tagger.js';
import { withMetadata } from './model-file.js';
import { progressEvery, type TaskProgress } from './progress.js';
import { fitOnReplicas } from './replicas-fit.js';
import { type TaggedSentence, type TaggingScore, taggingScore } from './tagged.js';

/** The symbol of words no signature covers. */
export const UNK_WORD = '<unk>';
/** The first-character input of a word whose first character was not seen in training. */
const FIRST_UNKNOWN = '<^>';
/** The last-character input of a word whose last character was not seen in training. */
const LAST_UNKNOWN = '<$>';
/** The vocabulary marker of N feature symbols per word: `<features N>`. */
const FEATURES_MARK = /^<features (\d+)>$/;

/** The fine signature of a word (for a Chinese word, "<zh~" and its last character ">"): "<" capitalisation (A: two or more characters and every
 * letter a capital, C: the first character a capital, l: other), "-" if hyphenated, "d" if it
 * holds a digit, "~" and its last three characters lowercased ">". "Running" → "<C~ing>",
 * @example
 * ```ts
 * console.log(fineSignature('Unhappiness'), fineSignature('1990s')); // the shape of a rare word: capitalisation, digits, suffix
 * ```
 * "well-dressed" → "<l-~sed>", "F-16" → "<A-d~-16>", "B-52s" → "<C-d~52s>". */
export function fineSignature(w: string): string {
  if (isChinese(w)) return `<zh~${Array.from(w).at(-1)}>`;
  const cap = w.length > 1 && /^[A-Z]+$/.test(w.replace(/[^A-Za-z]/g, '')) && /[A-Z]/.test(w) ? 'A' : /^[A-Z]/.test(w) ? 'C' : 'l';
  return `<${cap}${w.includes('-') ? '-' : ''}${/\d/.test(w) ? 'd' : ''}~${Array.from(w.toLowerCase()).slice(-3).join('')}>`;
}

/** The coarse signature of a word: "<" wordClass(w) ">"; for a Chinese word "<zh^" and its
 * @example
 * ```ts
 * console.log(coarseSignature('Unhappiness'), coarseSignature('1990s'));
 * ```
 * first character ">" ("<zh1>" for a one-character word). */
export function coarseSignature(w: string): string {
  if (isChinese(w)) {
    const cs = Array.from(w);
    return cs.length === 1 ? '<zh1>' : `<zh^${cs[0]}>`;
  }
  return `<${wordClass(w)}>`;
}

/** Whether a word holds a CJK ideograph, CJK punctuation or a full-width form (U+3000-U+9FFF,
 * U+F900-U+FAFF, U+FF00-U+FFEF): such words get character signatures.
 * @example
 * ```ts
 * console.log(isChinese('北京'), isChinese('Beijing')); // true false
 * ```
 * @example isChinese('１９９８年') // true */
export function isChinese(w: string): boolean {
  return /[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]/u.test(w);
}

/**
 * Word → id in a word-signature vocabulary (see the top of this file).
 * @example
 * ```ts
 * const train = parseTagged('the/DET dog/NOUN runs/VERB\na/DET cat/NOUN sleeps/VERB\n');
 * const enc = WordEncoder.fromSentences(train, 1);
 * console.log(enc.encode(['the', 'platypus'])); // a known word's id, then an unknown word's signature id
 * ```
 */
export class WordEncoder {
  /** The word-signature vocabulary: frequent words, signature tokens and `<unk>`. */
  readonly vocab: Vocabulary;

  /** Whether each word also reads its first and last character (the vocabulary holds `<^>`). */
  readonly chars: boolean;

  /** Wraps a vocabulary built by {@link WordEncoder.fromSentences} (E_OPTION without the tagger's unk symbol). */
  constructor(vocab: Vocabulary) {
    if (vocab.unk !== UNK_WORD) throw optionError(`a tagger vocabulary needs the unk symbol ${UNK_WORD}`);
    this.vocab = vocab;
    this.chars = vocab.has(FIRST_UNKNOWN);
    const mark = vocab.symbols.find((s) => FEATURES_MARK.test(s));
    this.features = mark ? Number(FEATURES_MARK.exec(mark)![1]) : 0;
  }

  /** Feature symbols read per word after its own ids (0: none; see the top of the file). */
  readonly features: number;

  /** Input ids per word: 3 with `chars` (word, first character, last character), else 1; plus `features`. */
  get slots(): number {
    return (this.chars ? 3 : 1) + this.features;
  }

  /** The vocabulary of training sentences: words seen ≥ minCount times (as written, and
   * lowercased), then the fine signatures seen ≥ minCount times among the other tokens and
   * every coarse signature seen among them, then `<unk>`; with `opts.chars`, also the first and
   * last characters of the training words (`<^c>`, `<c$>`, `<^>`, `<$>`); with `opts.features`,
   * its symbols and the marker of `slots` feature symbols per word. */
  static fromSentences(
    sents: readonly { words: readonly string[] }[],
    minCount = 2,
    opts: { chars?: boolean; features?: { symbols: readonly string[]; slots: number } } = {},
  ): WordEncoder {
    const n = new Map<string, number>();
    const lower = new Map<string, number>();
    for (const s of sents)
      for (const w of s.words) {
        n.set(w, (n.get(w) ?? 0) + 1);
        const l = w.toLowerCase();
        lower.set(l, (lower.get(l) ?? 0) + 1);
      }
    const words = new Set<string>();
    for (const [w, c] of n) if (c >= minCount) words.add(w);
    for (const [w, c] of lower) if (c >= minCount) words.add(w);
    const fine = new Map<string, number>();
    const coarse = new Set<string>();
    for (const [w, c] of n) {
      if (words.has(w)) continue;
      const f = fineSignature(w);
      fine.set(f, (fine.get(f) ?? 0) + c);
      coarse.add(coarseSignature(w));
    }
    const sigs = [...[...fine].filter(([, c]) => c >= minCount).map(([f]) => f), ...coarse];
    words.delete(UNK_WORD);
    const edges = new Set<string>();
    if (opts.chars) {
      for (const w of n.keys()) {
        const cs = Array.from(w);
        edges.add(`<^${cs[0]}>`);
        edges.add(`<${cs.at(-1)}$>`);
      }
      edges.add(FIRST_UNKNOWN);
      edges.add(LAST_UNKNOWN);
    }
    const f = opts.features;
    if (f) {
      posInt('features.slots', f.slots);
      for (const s of [...f.symbols, `<features ${f.slots}>`]) edges.add(s);
    }
    const symbols = [...[...words].sort(), ...new Set([...sigs, ...edges].filter((s) => !words.has(s)).sort())];
    return new WordEncoder(new Vocabulary(symbols, { level: 'token', unk: UNK_WORD }));
  }

  /** The id of a word's signature (steps 3-5 at the top of the file). */
  signature(w: string): number {
    const v = this.vocab;
    const f = fineSignature(w);
    if (v.has(f)) return v.id(f);
    const c = coarseSignature(w);
    return v.has(c) ? v.id(c) : v.id(UNK_WORD);
  }

  /** The id of a word: itself, lowercased, or its signature. */
  id(w: string): number {
    const v = this.vocab;
    if (v.has(w)) return v.id(w);
    const l = w.toLowerCase();
    if (v.has(l)) return v.id(l);
    return this.signature(w);
  }

  /** The ids of a sentence's words: a known word's own id, else its signature's (see the top of
   * this file); with `chars`, [words, 3]: each word's id, first character and last character;
   * with `features`, each word's feature symbols after those (`features[i]`: word i's, E_SHAPE
   * when missing or of another count, E_RANGE for a symbol the vocabulary lacks). */
  encode(words: readonly string[], features?: readonly (readonly string[])[]): Uint32Array {
    const nf = this.features;
    if (nf === 0 && !this.chars) return Uint32Array.from(words, (w) => this.id(w));
    if (nf > 0 && features?.length !== words.length)
      throw shapeError(`the tagger reads ${nf} feature symbols per word: give them for all ${words.length} words`);
    const v = this.vocab;
    const k = this.slots;
    const out = new Uint32Array(words.length * k);
    words.forEach((w, i) => {
      out[k * i] = this.id(w);
      if (this.chars) {
        const cs = Array.from(w);
        const f = `<^${cs[0]}>`;
        const l = `<${cs.at(-1)}$>`;
        out[k * i + 1] = v.id(v.has(f) ? f : FIRST_UNKNOWN);
        out[k * i + 2] = v.id(v.has(l) ? l : LAST_UNKNOWN);
      }
      if (nf === 0) return;
      const fs = features![i];
      if (fs.length !== nf) throw shapeError(`word ${i} has ${fs.length} feature symbols, the tagger reads ${nf}`);
      for (let j = 0; j < nf; j++) {
        if (!v.has(fs[j])) throw rangeError(`the feature symbol ${JSON.stringify(fs[j])} is not in the tagger's vocabulary`);
        out[k * i + k - nf + j] = v.id(fs[j]);
      }
    });
    return out;
  }
}

/** The architecture of a {@link PosTagger}: word-signature embedding → dropout →
 * bidirectional LSTM → dropout → a score per tag, with or without a CRF head. */
export interface PosTaggerOptions {
  /**
   * BiLSTM-CRF (true: transitions trained with the rest, Viterbi decoding) or a BiLSTM with
   * a per-word softmax (false).
   * @default false
   */
  crf?: boolean;
  /**
   * Word embedding size.
   * @default 64
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
   * Dropout after the embedding and after the LSTM, in [0, 1).
   * @default 0.2
   */
  dropout?: number;
  /**
   * Initialisation seed (and, in `trainPosTagger`, of the data order and word dropout).
   * @default 1
   */
  seed?: number;
}

/** Options of {@link trainPosTagger}: the architecture, vocabulary and training budget. */
export interface TrainPosTaggerOptions extends PosTaggerOptions {
  /**
   * Passes over the training sentences.
   * @default 2
   */
  epochs?: number;
  /** Stop training after this many milliseconds (the model is kept as it stands). */
  timeBudgetMs?: number;
  /**
   * Sentences per batch.
   * @default 32
   */
  batchSize?: number;
  /**
   * Words seen fewer times are trained under their signature.
   * @default 2
   */
  minCount?: number;
  /**
   * Each word also reads its first and last character as inputs (see the top of pos.ts):
   * what a Chinese word's characters say of its class, known word or not.
   * @default false
   */
  chars?: boolean;
  /**
   * Feature symbols read by each word after its own ids: the inventory and how many per word;
   * each training sentence then gives `features` (per word, `slots` symbols of `symbols`).
   */
  features?: {
    /** Every feature symbol (added to the vocabulary). */
    symbols: readonly string[];
    /** Feature symbols per word. */
    slots: number;
  };
  /**
   * Word dropout α: a word seen c times is replaced by its signature with probability
   * α/(α + c) while training; 0 = off.
   * @default 0.25
   */
  wordDropout?: number;
  /**
   * The optimizer.
   * @default { name: 'adam', lr: 0.01 } (TASK_TRAINING.pos; TASK_TRAINING.ner for `trainEntityRecognizer`)
   */
  optimizer?: OptimizerSpec;
  /**
   * Clip gradients by global norm.
   * @default 5
   */
  clipNorm?: number;
  /**
   * Learning-rate schedule, advanced after each epoch.
   * @default { name: 'exponential', gamma: 0.5 } (TASK_TRAINING.pos; `trainEntityRecognizer`: gamma 0.7, TASK_TRAINING.ner)
   */
  schedule?: ScheduleSpec;
  /**
   * Start from this tagger (e.g. a trained BiLSTM tagger, to train a CRF head on top of it
   * quickly): its vocabulary, tag set, architecture and weights are taken (copies); `crf`
   * still chooses the head, and a new CRF head starts from its usual U(−0.1, 0.1) init. The architecture
   * options (embed, hidden, layers, dropout) and `minCount` are then ignored.
   */
  from?: PosTagger;
  /**
   * Data-parallel replicas (`createTrainer({ workers })`; 'auto': the hardware threads, kept
   * where they pay). Other than 1, the replicas train on fixed examples: word dropout is drawn
   * once before training, and batches are bucketed by length in the fit engine. An `onEpoch` callback then
   * sees the tagger as it stood before training (its weights come back at the end).
   * @default 1 (the calling thread)
   */
  workers?: number | 'auto';
  /** Told once, with `workers` other than 1, how many replicas train and why. */
  onWorkers?: (workers: number, reason: string) => void;
  /** Called every `progressEvery` steps with the mean loss since the last call and the
   * words trained so far. */
  onProgress?: (e: TaskProgress & { tokens: number }) => void | Promise<void>;
  /** Called at the end of each epoch with the tagger as it stands (e.g. to score it on
   * held-out data for a learning curve); the time it takes counts as training time. */
  onEpoch?: (e: { epoch: number; loss: number; elapsedMs: number; tokensPerSec: number }, tagger: PosTagger) => void | Promise<void>;
  /**
   * Steps between `onProgress` calls.
   * @default 100
   */
  progressEvery?: number;
}

const TAGGER_KEYS = ['crf', 'embed', 'hidden', 'layers', 'dropout', 'seed'];

/**
 * A word tagger: its model, word-signature vocabulary and tag names.
 * @example
 * ```ts
 * const train = parseTagged('the/DET dog/NOUN runs/VERB\na/DET cat/NOUN sleeps/VERB\nthe/DET cat/NOUN runs/VERB\n');
 * const tagger = PosTagger.create(WordEncoder.fromSentences(train, 1), tagSet(train), { embed: 8, hidden: 8, seed: 1 });
 * console.log(tagger.tag([['the', 'cat', 'runs']])); // untrained: arbitrary tags (trainPosTagger trains one)
 * const again = PosTagger.load(tagger.save());
 * again.dispose();
 * tagger.dispose();
 * ```
 */
export class PosTagger {
  /** The session holding the model (and the vocabulary). */
  readonly session: Session;
  /** Maps words to the model's input ids. */
  readonly encoder: WordEncoder;
  /** Tag names by id. */
  readonly tags: readonly string[];

  private constructor(session: Session, tags: readonly string[]) {
    this.session = session;
    this.encoder = new WordEncoder(session.vocabulary!);
    this.tags = tags;
  }

  /** A fresh, untrained tagger. */
  static create(encoder: WordEncoder, tags: readonly string[], opts: PosTaggerOptions = {}): PosTagger {
    checkKeys('PosTagger.create', opts, TAGGER_KEYS);
    if (tags.length < 2) throw rangeError(`a tagger needs at least 2 tags (got ${tags.length})`);
    if (new Set(tags).size !== tags.length) throw rangeError('the tag names must be distinct');
    const embed = posInt('embed', opts.embed, 64);
    const hidden = posInt('hidden', opts.hidden, 64);
    const layers = posInt('layers', opts.layers, 1);
    const dropout = numIn('dropout', opts.dropout, 0, 0.95, 0.2);
    const input = encoder.slots > 1 ? { vocab: encoder.vocab.size, slots: encoder.slots } : { vocab: encoder.vocab.size };
    let x = sequential({ input }).embedding({ dim: embed });
    if (dropout > 0) x = x.dropout(dropout);
    x = x.lstm({ units: hidden, layers, bidirectional: true, dropout: layers > 1 ? dropout : 0 });
    if (dropout > 0) x = x.dropout(dropout);
    const head = x.dense({ units: tags.length });
    const spec = opts.crf ? head.crf().toJSON() : head.toJSON();
    const s = new Session();
    s.build(spec, opts.seed ?? 1);
    s.setVocabulary(encoder.vocab);
    return new PosTagger(s, [...tags]);
  }

  /** A tagger from a file written by `save()`. */
  static load(bytes: Uint8Array): PosTagger {
    const raw = decodeSafetensors(bytes);
    let tags: unknown;
    try {
      tags = JSON.parse(raw.metadata.tags ?? 'null');
    } catch {
      throw formatError('not a tagger model file (its metadata tags is not JSON)');
    }
    if (!Array.isArray(tags) || tags.length < 2 || !tags.every((t) => typeof t === 'string'))
      throw formatError('not a tagger model file (it needs a list of tag names in its metadata)');
    const s = new Session();
    const info = s.load(bytes);
    const spec = 'layers' in info.spec ? info.spec : undefined;
    const last = spec?.layers.at(-1);
    const head = last?.type === 'crf' ? spec?.layers.at(-2) : last;
    if (!spec || s.vocabulary?.unk !== UNK_WORD || head?.type !== 'dense' || head.units !== tags.length) {
      s.dispose();
      throw formatError(`not a tagger model file (it needs a word vocabulary with ${UNK_WORD} and a dense layer with one output per tag)`);
    }
    const slots = new WordEncoder(s.vocabulary).slots;
    const reads = s.model.inputSlots ?? 1;
    if (slots !== reads) {
      s.dispose();
      throw formatError(`not a tagger model file (its model reads ${reads} ids per word, its vocabulary gives ${slots})`);
    }
    return new PosTagger(s, tags as string[]);
  }

  /** A copy of this tagger (vocabulary, tags, weights) with a CRF head (`crf`, new
   * transitions from the usual init) or a per-word softmax head. */
  withHead(crf: boolean, seed = 1): PosTagger {
    const spec = this.session.model.spec;
    if (!('layers' in spec)) throw formatError('not a sequential tagger');
    const layers = spec.layers.filter((l) => l.type !== 'crf');
    const s = new Session();
    s.build({ ...spec, layers: crf ? [...layers, { type: 'crf', name: 'crf' }] : layers }, seed);
    s.setVocabulary(this.encoder.vocab);
    const from = this.session.model;
    const have = new Set(from.paramNames());
    for (const n of s.model.paramNames()) if (have.has(n)) s.model.setParam(n, from.getParam(n));
    return new PosTagger(s, [...this.tags]);
  }

  /** Whether the model has a CRF head (Viterbi decoding) rather than a per-word softmax. */
  get crf(): boolean {
    return this.session.model.hasCrf;
  }

  /** Tag ids of each sentence, in batches of similar length (`opts.features[i]`: sentence i's
   * feature symbols, for a tagger that reads them; see WordEncoder.encode). */
  tagIds(sents: readonly (readonly string[])[], opts: { batchSize?: number; features?: readonly (readonly (readonly string[])[])[] } = {}): number[][] {
    const bs = posInt('batchSize', opts.batchSize, 64);
    const model = this.session.model;
    const k = this.tags.length;
    const out: number[][] = new Array(sents.length);
    const order = sents.map((_, i) => i).sort((a, b) => sents[a].length - sents[b].length);
    for (const i of order) if (sents[i].length === 0) out[i] = [];
    const todo = order.filter((i) => sents[i].length > 0);
    for (let i = 0; i < todo.length; i += bs) {
      const idx = todo.slice(i, i + bs);
      const pb = padBatch(
        idx.map((r) => this.encoder.encode(sents[r], opts.features?.[r])),
        { slots: this.encoder.slots },
      );
      const input = { ids: pb.ids, batch: pb.batch, steps: pb.steps, lengths: pb.lengths };
      if (model.hasCrf) {
        const paths = model.decode(input);
        idx.forEach((r, b) => {
          out[r] = Array.from(paths.subarray(b * pb.steps, b * pb.steps + pb.lengths[b]));
        });
      } else {
        const y = model.forward(input);
        idx.forEach((r, b) => {
          const ids: number[] = [];
          for (let t = 0; t < pb.lengths[b]; t++) {
            const o = (b * pb.steps + t) * k;
            let best = 0;
            for (let j = 1; j < k; j++) if (y[o + j] > y[o + best]) best = j;
            ids.push(best);
          }
          out[r] = ids;
        });
      }
    }
    return out;
  }

  /** The tags of each sentence (a list of words). */
  tag(sents: readonly (readonly string[])[], opts: { batchSize?: number; features?: readonly (readonly (readonly string[])[])[] } = {}): string[][] {
    return this.tagIds(sents, opts).map((ids) => ids.map((i) => this.tags[i]));
  }

  /** Tags the gold sentences' words and scores them; a word is unknown when it is not in
   * `known` (the training words); `opts.batchSize` sentences at once (default 64). */
  evaluate(gold: readonly TaggedSentence[], known: { has(w: string): boolean }, opts: { batchSize?: number } = {}): TaggingScore {
    return taggingScore(
      gold,
      this.tag(
        gold.map((s) => s.words),
        opts,
      ),
      known,
    );
  }

  /** The model file (recurrent/1, with the vocabulary, and the tag names as metadata "tags"). */
  save(): Uint8Array {
    return withMetadata(this.session.save({ training: false }), { tags: JSON.stringify(this.tags) });
  }

  /** Frees the model's wasm memory. */
  dispose(): void {
    this.session.dispose();
  }
}

/**
 * The tag names of a corpus, sorted.
 * @example
 * ```ts
 * const train = parseTagged('the/DET dog/NOUN runs/VERB\na/DET cat/NOUN sleeps/VERB\nthe/DET cat/NOUN runs/VERB\n');
 * console.log(tagSet(train)); // ['DET', 'NOUN', 'VERB']
 * ```
 */
export function tagSet(sents: readonly TaggedSentence[]): string[] {
  const set = new Set<string>();
  for (const s of sents) for (const t of s.tags) set.add(t);
  return [...set].sort();
}

/** Trains a tagger on word/TAG sentences: the word-signature vocabulary and tag set of the
 * training data, `epochs` passes in length-bucketed batches shuffled by seed, word dropout,
 * @example
 * ```ts
 * const train = parseTagged('the/DET dog/NOUN runs/VERB\na/DET cat/NOUN sleeps/VERB\nthe/DET cat/NOUN runs/VERB\n');
 * const tagger = await trainPosTagger(train, { epochs: 30, batchSize: 3, embed: 8, hidden: 8, minCount: 1, seed: 1, timeBudgetMs: 10_000 });
 * console.log(tagger.tag([['a', 'dog', 'runs']])); // its tags: three sentences teach little (tag train learns from Brown)
 * tagger.dispose();
 * ```
 * Adam (default lr 0.01, halved after each epoch) with clipping, under an optional time budget. */
export async function trainPosTagger(
  sents: readonly (TaggedSentence & { features?: readonly (readonly string[])[] })[],
  opts: TrainPosTaggerOptions = {},
): Promise<PosTagger> {
  checkKeys('trainPosTagger', opts, [
    ...TAGGER_KEYS,
    'epochs',
    'timeBudgetMs',
    'batchSize',
    'minCount',
    'chars',
    'features',
    'wordDropout',
    'optimizer',
    'clipNorm',
    'schedule',
    'from',
    'onProgress',
    'onEpoch',
    'progressEvery',
    'workers',
    'onWorkers',
  ]);
  const epochs = posInt('epochs', opts.epochs, 2);
  const asked = posInt('batchSize', opts.batchSize, 32);
  const minCount = posInt('minCount', opts.minCount, 2);
  const alpha = numIn('wordDropout', opts.wordDropout, 0, Infinity, 0.25);
  const every = posInt('progressEvery', opts.progressEvery, 100);
  const budget = opts.timeBudgetMs === undefined ? undefined : numIn('timeBudgetMs', opts.timeBudgetMs, 0, Infinity);
  const data = sents.filter((s) => s.words.length > 0);
  if (data.length === 0) throw formatError('the training corpus has no sentences');
  for (const s of data) if (s.words.length !== s.tags.length) throw shapeError(`a sentence has ${s.words.length} words but ${s.tags.length} tags`);
  const tagger = opts.from
    ? opts.from.withHead(opts.crf ?? false, opts.seed ?? 1)
    : PosTagger.create(WordEncoder.fromSentences(data, minCount, { chars: opts.chars ?? false, features: opts.features }), tagSet(data), {
        crf: opts.crf,
        embed: opts.embed,
        hidden: opts.hidden,
        layers: opts.layers,
        dropout: opts.dropout,
        seed: opts.seed,
      });
  const { encoder, tags } = tagger;
  for (const s of data)
    for (const t of s.tags) if (!tags.includes(t)) throw rangeError(`the tag ${JSON.stringify(t)} is not one of the starting tagger's ${tags.length} tags`);
  const model = tagger.session.model;
  const dflt = taskCompile('pos');
  model.compile({
    loss: tagger.crf ? 'crf' : 'crossEntropy',
    optimizer: opts.optimizer ?? dflt.optimizer,
    clipNorm: opts.clipNorm ?? dflt.clipNorm,
    schedule: opts.schedule ?? dflt.schedule,
  });
  // per token: its id, its signature's id and the probability of swapping them
  const count = new Map<string, number>();
  for (const s of data) for (const w of s.words) count.set(w, (count.get(w) ?? 0) + 1);
  const tagId = new Map(tags.map((t, i) => [t, i]));
  const rows = data.map((s) => ({
    ids: encoder.encode(s.words, s.features),
    sigs: Uint32Array.from(s.words, (w) => encoder.signature(w)),
    drop: Float32Array.from(s.words, (w) => alpha / (alpha + count.get(w)!)),
    tags: Int32Array.from(s.tags, (t) => tagId.get(t)!),
  }));
  const slots = encoder.slots;
  const lengths = rows.map((r) => r.tags.length);
  const batchSize = fittingBatchSize(
    model,
    asked,
    lengths.reduce((a, l) => Math.max(a, l), 0),
    'sentence',
  );
  const seed = opts.seed ?? 1;
  const perEpoch = Math.ceil(rows.length / batchSize);
  let tokens = 0;
  const onProgress = opts.onProgress;
  const steps = progressEvery(every, epochs * perEpoch, onProgress && ((p) => onProgress({ ...p, tokens })));
  const workers = opts.workers ?? 1;
  if (workers !== 1) {
    // on replicas the examples are fixed, so word dropout is drawn once, before training
    const rng = new Rng(deriveSeed(seed, 0x5eed));
    const list = rows.map((r) => ({
      ids: alpha > 0 ? r.ids.map((id, j) => (j % slots === 0 && rng.next() < r.drop[j / slots] ? r.sigs[j / slots] : id)) : r.ids,
      targets: r.tags,
    }));
    await fitOnReplicas(tagger.session, list, {
      workers,
      epochs,
      batchSize,
      seed,
      timeBudgetMs: budget,
      onWorkers: opts.onWorkers,
      onProgress: async (e) => {
        if (e.type === 'epoch') return opts.onEpoch?.({ epoch: e.epoch, loss: e.loss, elapsedMs: e.elapsedMs, tokensPerSec: e.tokensPerSec }, tagger);
        tokens = e.tokens;
        return steps?.(e);
      },
    });
    return tagger;
  }
  await fitBatches(model, {
    epochs,
    timeBudgetMs: budget,
    batchesPerEpoch: perEpoch,
    batches(epoch) {
      const rng = new Rng(deriveSeed(seed, epoch));
      const batches = bucketedBatches(lengths, batchSize, rng);
      return (i) => {
        const picked = batches[i].map((r) => rows[r]);
        // word dropout swaps a word's own id (slot 0 of its step) for its signature's
        const pb = padBatch(
          picked.map((r) => (alpha > 0 ? r.ids.map((id, j) => (j % slots === 0 && rng.next() < r.drop[j / slots] ? r.sigs[j / slots] : id)) : r.ids)),
          { slots },
        );
        const classes = new Int32Array(pb.batch * pb.steps).fill(-100);
        picked.forEach((r, b) => {
          classes.set(r.tags, b * pb.steps);
        });
        const tokens = pb.lengths.reduce((a, b) => a + b, 0);
        return { input: { ids: pb.ids, batch: pb.batch, steps: pb.steps, lengths: pb.lengths }, targets: { classes }, tokens };
      };
    },
    schedule: true,
    onProgress: (e) => {
      if (e.type === 'epoch') return opts.onEpoch?.({ epoch: e.epoch, loss: e.loss, elapsedMs: e.elapsedMs, tokensPerSec: e.tokensPerSec }, tagger);
      tokens = e.tokens;
      return steps?.(e);
    },
  });
  return tagger;
}
