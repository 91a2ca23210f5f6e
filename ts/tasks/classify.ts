// Sequence classification (many-to-one): a recurrent network reads a token sequence and a
// dense layer classifies its final state.
//
// - Variable lengths are exact: each batch is padded to its longest row and every row carries
//   its length, so a row's prediction is the same alone or next to longer rows (padded steps
//   change nothing; test/task-classify.test.ts checks it).
// - Length cap: a document is its first `maxTokens` tokens (default 256). Nothing else is
//   cut or padded to a fixed length. The cap bounds training time; the naive Bayes baseline
//   reads the whole document.
// - Batches are bucketed by length (rows of similar length together) to waste few padded
//   steps; the order is deterministic in the seed.
import { checkKeys, formatError, numIn, optionError, posInt, rangeError } from '../errors.js';
import {
  bucketedBatches,
  createTrainer,
  decodeSafetensors,
  type Example,
  examples,
  type FitEvent,
  fitBatches,
  type OptimizerSpec,
  padBatch,
  Rng,
  Session,
  sequential,
  Vocabulary,
} from '../index.js';
import { bigramTokens, readsBigrams } from './bigrams.js';
import { adam, TASK_TRAINING } from './defaults.js';
import { withMetadata } from './model-file.js';
import { charNgrams, NbLogisticRegression } from './nb-logistic.js';
import { progressEvery } from './progress.js';

/** The symbol unknown tokens map to in a classifier's vocabulary. */
export const UNK_TOKEN = '<unk>';

/** Lower-cased word tokens (letters and digits, Unicode-aware) and the symbols $ ! ? % as
 * @example
 * ```ts
 * console.log(tokenize('Make MONEY fast!! Visit http://x.example')); // lower-cased words, numbers and punctuation
 * ```
 * tokens of their own. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+|[$!?%]/gu) ?? [];
}

/** A token vocabulary from training documents: tokens seen at least `minCount` times (default
 * @example
 * ```ts
 * const vocab = tokenVocabulary([tokenize('cheap pills now'), tokenize('lunch at noon?')]);
 * console.log(vocab.size, vocab.has('pills'));
 * ```
 * 2), the `maxSize` most frequent (default 20,000; ties in first-seen order), plus `<unk>`. */
export function tokenVocabulary(docs: readonly (readonly string[])[], opts: { minCount?: number; maxSize?: number } = {}): Vocabulary {
  checkKeys('tokenVocabulary', opts, ['minCount', 'maxSize']);
  const minCount = posInt('minCount', opts.minCount, 2);
  const maxSize = posInt('maxSize', opts.maxSize, 20_000);
  const counts = new Map<string, number>();
  for (const d of docs) for (const w of d) counts.set(w, (counts.get(w) ?? 0) + 1);
  counts.delete(UNK_TOKEN);
  const keep = [...counts].filter(([, n]) => n >= minCount);
  keep.sort((a, b) => b[1] - a[1]);
  return new Vocabulary(
    keep.slice(0, maxSize).map(([w]) => w),
    { level: 'token', unk: UNK_TOKEN },
  );
}

/**
 * The architecture of a {@link TextClassifier}: token embedding → GRU or LSTM (final states)
 * → dense over the classes.
 */
export interface ClassifierOptions {
  /**
   * Classes.
   * @default 2
   */
  classes?: number;
  /**
   * The recurrent cell.
   * @default 'gru'
   */
  cell?: 'gru' | 'lstm';
  /**
   * Token embedding size.
   * @default 32
   */
  embed?: number;
  /**
   * Recurrent units.
   * @default 64
   */
  hidden?: number;
  /**
   * A bidirectional recurrent layer.
   * @default false
   */
  bidirectional?: boolean;
  /**
   * Tokens read per document: its first `maxTokens`.
   * @default 256
   */
  maxTokens?: number;
  /**
   * Dropout after the embedding and after the recurrent layer while training, in [0, 1).
   * @default 0
   */
  dropout?: number;
  /**
   * Initialisation seed (and, in `trainClassifier`, the seed of the data order).
   * @default 1
   */
  seed?: number;
  /**
   * The classes' names by id (as many as `classes`), saved in the model file (metadata
   * "classes") so that `classify run` names its answer.
   * @default none (the classes are numbered)
   */
  classNames?: readonly string[];
  /**
   * How a raw text becomes tokens, saved in the model file (metadata "tokens"): 'words'
   * ({@link tokenize}) or 'characters' (each code point a token, for Chinese; when the
   * vocabulary holds character bigrams, each step reads its bigram where the vocabulary has it,
   * bigrams.ts).
   * @default 'words'
   */
  tokens?: TokenLevel;
  /**
   * How the recurrent layer's outputs become the text's class scores, saved in the model file
   * (metadata "pooling"): 'last', the dense layer over the final states; or 'mean', the dense
   * layer over every step's output, trained with every step's target set to the text's class
   * (target replication), a text's scores being the mean of its steps' scores (the dense layer
   * over the mean of the states, since it is linear).
   * @default 'last'
   */
  pooling?: Pooling;
  /**
   * Ids read per step (`input.slots`, their embeddings concatenated): 1, the token; or 2, for
   * 'characters' models, the character and its bigram with the next character (the vocabulary's
   * symbol, or unk where it has none), so that a step sees both. Saved in the model's spec.
   * @default 1
   */
  slots?: 1 | 2;
}

/** How a classifier's per-step outputs become a text's class scores (see ClassifierOptions). */
export type Pooling = 'last' | 'mean';

/** How a classifier turns raw text into tokens: {@link tokenize}'s words or code points. */
export type TokenLevel = 'words' | 'characters';

/** Options of {@link trainClassifier}: the architecture and the training budget. */
export interface TrainClassifierOptions extends ClassifierOptions {
  /**
   * Passes over the training documents.
   * @default 3
   */
  epochs?: number;
  /** Stop training after this many milliseconds (the model is kept as it stands). */
  timeBudgetMs?: number;
  /**
   * Documents per batch.
   * @default 32
   */
  batchSize?: number;
  /**
   * The optimizer.
   * @default { name: 'adam', lr: 0.005 }
   */
  optimizer?: OptimizerSpec;
  /**
   * Clip gradients by global norm.
   * @default 5
   */
  clipNorm?: number;
  /** Called after every `progressEvery` batches with the mean loss since the last call. */
  onProgress?: (e: { epoch: number; step: number; steps: number; loss: number; elapsedMs: number }) => void | Promise<void>;
  /** Called at the end of each epoch with the classifier as it stands (e.g. to score it on
   * held-out texts); the time it takes counts as training time. */
  onEpoch?: (e: { epoch: number; loss: number; elapsedMs: number }, classifier: TextClassifier) => void | Promise<void>;
  /**
   * Batches between `onProgress` calls.
   * @default 20
   */
  progressEvery?: number;
  /**
   * Train in a worker thread (a trainer of its own, `createTrainer({ workers: 1 })`), so that
   * several classifiers can train at once, each on its own core: one fit-engine run an epoch over
   * the same length-bucketed batches, the classifier taking the worker's weights after each.
   * @default false (the calling thread)
   */
  worker?: boolean;
}

const CLASSIFIER_KEYS = ['classes', 'cell', 'embed', 'hidden', 'bidirectional', 'maxTokens', 'dropout', 'seed', 'classNames', 'tokens', 'pooling', 'slots'];

function poolingOf(v: unknown): Pooling {
  if (v === undefined || v === 'last' || v === 'mean') return v ?? 'last';
  throw optionError(`pooling ${JSON.stringify(v)} is not one of last, mean`);
}

function tokenLevel(v: unknown): TokenLevel {
  if (v === undefined || v === 'words' || v === 'characters') return v ?? 'words';
  throw optionError(`tokens ${JSON.stringify(v)} is not one of words, characters`);
}

/**
 * A recurrent many-to-one classifier over token sequences, with its vocabulary.
 * @example
 * ```ts
 * const vocab = tokenVocabulary([tokenize('win cash now'), tokenize('see you at lunch')]);
 * const clf = TextClassifier.create(vocab, { classes: 2, hidden: 8, embed: 8, seed: 1 });
 * console.log(clf.predictProba([tokenize('win a lunch')])[0]); // two probabilities (untrained: about even)
 * const again = TextClassifier.load(clf.save());
 * console.log(again.predict([tokenize('cash')])); // [0] or [1]
 * again.dispose();
 * clf.dispose();
 * ```
 */
export class TextClassifier {
  /** The session holding the model (and the vocabulary). */
  readonly session: Session;
  /** The token vocabulary (with `<unk>`). */
  readonly vocab: Vocabulary;
  /** Tokens read per document: its first `maxTokens`. */
  readonly maxTokens: number;
  /** The classes' names by id, when the model was given them (undefined: numbered classes). */
  readonly classNames: readonly string[] | undefined;
  /** How {@link TextClassifier.tokenize} turns raw text into tokens. */
  readonly tokens: TokenLevel;
  /** How the per-step outputs become a text's class scores. */
  readonly pooling: Pooling;
  /** Ids per step: 1, or 2 (a character and its bigram; see ClassifierOptions.slots). */
  readonly slots: 1 | 2;
  #linear: LinearCompanion | undefined;
  /** Further networks of the same architecture and vocabulary (an ensemble), with their flat
   * parameters as saved. */
  #members: { session: Session; params: Float32Array }[] = [];

  private constructor(
    session: Session,
    vocab: Vocabulary,
    maxTokens: number,
    classNames: readonly string[] | undefined,
    tokens: TokenLevel,
    pooling: Pooling,
    slots: 1 | 2,
  ) {
    this.session = session;
    this.slots = slots;
    this.vocab = vocab;
    this.maxTokens = maxTokens;
    this.classNames = classNames;
    this.tokens = tokens;
    this.pooling = pooling;
  }

  /** A raw text's tokens as this classifier reads them: {@link tokenize}'s words, or its
   * characters (code points) for a 'characters' model, each step's bigram where the vocabulary
   * has it when it holds bigrams; for a 2-slot model, [character, bigram] per step, flat. */
  tokenize(text: string): string[] {
    if (this.tokens === 'words') return tokenize(text);
    const cs = Array.from(text);
    if (this.slots === 2) return charBigramSlots(cs);
    return readsBigrams(this.vocab.symbols) ? bigramTokens(cs, (b) => this.vocab.has(b)) : cs;
  }

  /** The name of class `c` (its number when the model has no class names). */
  className(c: number): string {
    return this.classNames?.[c] ?? String(c);
  }

  /**
   * A fresh, untrained classifier over a token vocabulary (which needs an unk symbol, E_OPTION
   * otherwise).
   */
  static create(vocab: Vocabulary, opts: ClassifierOptions = {}): TextClassifier {
    checkKeys('TextClassifier.create', opts, CLASSIFIER_KEYS);
    if (vocab.unk === undefined) throw optionError('the classifier vocabulary needs an unk symbol');
    const cell = opts.cell ?? 'gru';
    if (cell !== 'gru' && cell !== 'lstm') throw optionError(`cell '${String(cell)}' is not one of gru, lstm`);
    const pooling = poolingOf(opts.pooling);
    const slots = opts.slots ?? 1;
    if (slots !== 1 && slots !== 2) throw optionError(`slots ${JSON.stringify(slots)} is not 1 or 2`);
    if (slots === 2 && tokenLevel(opts.tokens) !== 'characters') throw optionError("slots 2 (a character and its bigram per step) needs tokens 'characters'");
    const rec = { units: posInt('hidden', opts.hidden, 64), bidirectional: opts.bidirectional ?? false, returnSequences: pooling === 'mean' };
    const dropout = numIn('dropout', opts.dropout, 0, 0.95, 0);
    let emb = sequential({ input: slots === 2 ? { vocab: vocab.size, slots } : { vocab: vocab.size } }).embedding({ dim: posInt('embed', opts.embed, 32) });
    if (dropout > 0) emb = emb.dropout(dropout);
    const classes = posInt('classes', opts.classes, 2);
    const names = opts.classNames === undefined ? undefined : [...opts.classNames];
    if (names && (names.length !== classes || new Set(names).size !== classes || !names.every((n) => typeof n === 'string' && n !== '')))
      throw rangeError(`classNames must be ${classes} distinct non-empty names, one per class (got ${JSON.stringify(names)})`);
    const tokens = tokenLevel(opts.tokens);
    let pooled = cell === 'gru' ? emb.gru(rec) : emb.lstm(rec);
    if (dropout > 0) pooled = pooled.dropout(dropout);
    const spec = pooled.dense({ units: classes }).toJSON();
    const s = new Session();
    s.build(spec, opts.seed ?? 1);
    s.setVocabulary(vocab);
    return new TextClassifier(s, vocab, posInt('maxTokens', opts.maxTokens, 256), names, tokens, pooling, slots);
  }

  /** A classifier from a model file written by `save()`; `maxTokens` must be the one it was
   * trained with (default 256). */
  static load(bytes: Uint8Array, opts: { maxTokens?: number } = {}): TextClassifier {
    checkKeys('TextClassifier.load', opts, ['maxTokens']);
    const s = new Session();
    const info = s.load(bytes);
    const layers = 'layers' in info.spec ? info.spec.layers : [];
    const rec = layers.find((l) => l.type === 'recurrent');
    const meta = decodeSafetensors(bytes).metadata;
    const pooling = meta.pooling === 'mean' ? 'mean' : 'last';
    const input = 'input' in info.spec ? info.spec.input : undefined;
    const slots = input && 'vocab' in input ? (input.slots ?? 1) : 1;
    if (
      slots > 2 ||
      (slots === 2 && meta.tokens !== 'characters') ||
      info.vocabulary?.level !== 'token' ||
      !rec ||
      rec.type !== 'recurrent' ||
      rec.returnSequences !== (pooling === 'mean') ||
      layers.at(-1)?.type !== 'dense'
    ) {
      s.dispose();
      throw formatError(
        'not a text classifier model file (it needs a token vocabulary and a recurrent layer followed by dense, with returnSequences: false, or true and metadata pooling "mean")',
      );
    }
    let names: unknown;
    try {
      names = meta.classes === undefined ? undefined : JSON.parse(meta.classes);
    } catch {
      names = null;
    }
    const classes = s.model.outputDim;
    if (names !== undefined && !(Array.isArray(names) && names.length === classes && names.every((n) => typeof n === 'string'))) {
      s.dispose();
      throw formatError(`not a text classifier model file (its metadata classes should list ${classes} class names)`);
    }
    let tokens: TokenLevel;
    try {
      tokens = tokenLevel(meta.tokens);
    } catch {
      s.dispose();
      throw formatError(`not a text classifier model file (its metadata tokens ${JSON.stringify(meta.tokens)} is not words or characters)`);
    }
    const clf = new TextClassifier(s, s.vocabulary!, posInt('maxTokens', opts.maxTokens, 256), names as string[] | undefined, tokens, pooling, slots as 1 | 2);
    if (meta.members !== undefined) {
      try {
        const list: unknown = JSON.parse(meta.members);
        if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw formatError('not a list of base64 strings');
        const n = s.model.getParams().length;
        for (const b of list) {
          const params = base64ToFloats(b);
          if (params.length !== n) throw formatError(`a member has ${params.length} parameters, the network ${n}`);
          clf.#addParams(params);
        }
      } catch (e) {
        clf.dispose();
        throw formatError(`not a text classifier model file (its metadata members is not a list of networks: ${(e as Error).message})`);
      }
    }
    if (meta.linear !== undefined) {
      try {
        const j = JSON.parse(meta.linear);
        const model = NbLogisticRegression.fromJSON(j);
        if (model.classes !== classes) throw formatError(`${model.classes} classes, the network ${classes}`);
        clf.setLinear({ model, n: posInt('n', j.n), weight: numIn('weight', j.weight, 0, Infinity) });
      } catch (e) {
        clf.dispose();
        throw formatError(`not a text classifier model file (its metadata linear is not an n-gram companion: ${(e as Error).message})`);
      }
    }
    return clf;
  }

  /** The number of classes. */
  get classes(): number {
    return this.session.model.outputDim;
  }

  /** Ids of a document's first `maxTokens` steps (`slots` ids a step, flat). */
  encode(tokens: readonly string[]): Uint32Array {
    const n = this.maxTokens * this.slots;
    return this.vocab.encode(tokens.length > n ? tokens.slice(0, n) : tokens);
  }

  /** Class probabilities [N, classes] (softmax of the logits), in batches of similar length. */
  predictProba(docs: readonly (readonly string[])[], opts: { batchSize?: number } = {}): Float32Array[] {
    const bs = posInt('batchSize', opts.batchSize, 64);
    const ids = docs.map((d) => this.encode(d));
    const c = this.classes;
    const out: Float32Array[] = new Array(docs.length);
    const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
    for (let i = 0; i < order.length; i += bs) {
      const idx = order.slice(i, i + bs);
      const pb = padBatch(
        idx.map((k) => ids[k]),
        { slots: this.slots },
      );
      const input = { ids: pb.ids, batch: pb.batch, steps: pb.steps, lengths: pb.lengths };
      // each network's log-probabilities, averaged over the ensemble (a geometric mean)
      const logp = idx.map(() => new Float32Array(c));
      const nets = [this.session, ...this.#members.map((m) => m.session)];
      for (const s of nets) {
        const y = s.model.forward(input);
        idx.forEach((k, r) => {
          const p = softmax(this.pooling === 'mean' ? meanScores(y, r, pb.steps, Math.max(1, pb.lengths[r]), c) : y.subarray(r * c, (r + 1) * c));
          if (nets.length === 1) out[k] = p;
          else for (let j = 0; j < c; j++) logp[r][j] += Math.log(Math.max(p[j], 1e-30)) / nets.length;
        });
      }
      if (nets.length > 1)
        idx.forEach((k, r) => {
          out[k] = softmax(logp[r]);
        });
    }
    return out;
  }

  /** The number of networks (1 + the ensemble members added). */
  get networks(): number {
    return 1 + this.#members.length;
  }

  /** Adds `other`'s network to the ensemble (its parameters are copied; `other` stays the
   * caller's): a text's probabilities become the normalised geometric mean of the networks'.
   * E_RANGE unless it has the same architecture, vocabulary and pooling. */
  addMember(other: TextClassifier): void {
    const same =
      JSON.stringify(other.session.model.spec) === JSON.stringify(this.session.model.spec) &&
      other.vocab.size === this.vocab.size &&
      other.vocab.symbols.every((w, i) => w === this.vocab.symbols[i]) &&
      other.pooling === this.pooling;
    if (!same) throw rangeError('an ensemble member needs the same architecture, vocabulary and pooling as the classifier');
    this.#addParams(other.session.model.getParams());
  }

  #addParams(params: Float32Array): void {
    const s = new Session();
    s.load(this.session.save({ training: false }));
    s.model.setParams(params);
    this.#members.push({ session: s, params: Float32Array.from(params) });
  }

  /** The n-gram companion whose scores are added to the network's (undefined: none). */
  get linear(): LinearCompanion | undefined {
    return this.#linear;
  }

  /** Sets (or with undefined removes) the n-gram companion; saved with the model. */
  setLinear(linear: LinearCompanion | undefined): void {
    if (linear && linear.model.classes !== this.classes)
      throw rangeError(`the n-gram companion has ${linear.model.classes} classes, the classifier ${this.classes}`);
    this.#linear = linear;
  }

  /** Class probabilities of raw texts: the network's over {@link TextClassifier.tokenize}'s
   * tokens, with the n-gram companion (when set) added as softmax(log p + weight · scores). */
  predictTextsProba(texts: readonly string[]): Float32Array[] {
    const p = this.predictProba(texts.map((t) => this.tokenize(t)));
    const lin = this.#linear;
    if (!lin) return p;
    return p.map((q, i) => combineScores(q, lin.model.scores(charNgrams(texts[i], lin.n)), lin.weight));
  }

  /** The most probable class of each raw text (with the n-gram companion when set). */
  predictTexts(texts: readonly string[]): number[] {
    return this.predictTextsProba(texts).map((p) => p.indexOf(Math.max(...p)));
  }

  /** The most probable class of each document. */
  predict(docs: readonly (readonly string[])[], opts: { batchSize?: number } = {}): number[] {
    return this.predictProba(docs, opts).map((p) => p.indexOf(Math.max(...p)));
  }

  /** The model file (recurrent/1, vocabulary included; the class names and token level as
   * metadata "classes" and "tokens"). */
  save(): Uint8Array {
    const bytes = this.session.save({ training: false });
    if (this.classNames === undefined && this.tokens === 'words' && this.pooling === 'last' && !this.#linear && this.#members.length === 0) return bytes;
    return withMetadata(bytes, {
      tokens: this.tokens,
      ...(this.classNames ? { classes: JSON.stringify(this.classNames) } : {}),
      ...(this.pooling === 'mean' ? { pooling: 'mean' } : {}),
      ...(this.#members.length > 0 ? { members: JSON.stringify(this.#members.map((m) => floatsToBase64(m.params))) } : {}),
      ...(this.#linear ? { linear: JSON.stringify({ n: this.#linear.n, weight: this.#linear.weight, ...this.#linear.model.toJSON() }) } : {}),
    });
  }

  /** Frees the model's wasm memory. */
  dispose(): void {
    for (const m of this.#members) m.session.dispose();
    this.#members = [];
    this.session.dispose();
  }
}

/** A linear n-gram model beside the network: its class scores over the text's character
 * n-grams (1..n) times `weight` are added to the network's log-probabilities. */
export interface LinearCompanion {
  /** The fitted model. */
  model: NbLogisticRegression;
  /** Its features are the character n-grams up to this length ({@link charNgrams}). */
  n: number;
  /** The weight of its scores. */
  weight: number;
}

/** softmax(log p + weight · scores): a network's probabilities p with a linear model's class
 * @example
 * ```ts
 * console.log(combineScores(Float32Array.of(0.6, 0.4), Float64Array.of(-1, 1), 0.5)); // about [0.35, 0.65]
 * ```
 * scores added. */
export function combineScores(p: ArrayLike<number>, scores: ArrayLike<number>, weight: number): Float32Array {
  const z = Float32Array.from(p, (q, c) => Math.log(Math.max(q, 1e-30)) + weight * scores[c]);
  return softmax(z);
}

/** The weight in `grid` whose {@link combineScores} is most accurate on held-out texts (the
 * @example
 * ```ts
 * const w = bestLinearWeight([Float32Array.of(0.6, 0.4)], [Float64Array.of(-1, 1)], [1]);
 * console.log(w); // the smallest weight of the grid that turns the first text to class 1
 * ```
 * smallest on ties): each text's network probabilities, linear scores and gold class. */
export function bestLinearWeight(
  p: readonly ArrayLike<number>[],
  scores: readonly ArrayLike<number>[],
  gold: ArrayLike<number>,
  grid: readonly number[] = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3],
): {
  /** The weight chosen. */
  weight: number;
  /** The accuracy of the combination at that weight. */
  accuracy: number;
} {
  if (p.length !== scores.length || p.length !== gold.length || p.length === 0)
    throw rangeError(`bestLinearWeight needs as many probabilities, scores and gold classes, at least one (got ${p.length}, ${scores.length}, ${gold.length})`);
  let best = { weight: grid[0], accuracy: -1 };
  for (const w of grid) {
    let right = 0;
    p.forEach((q, i) => {
      const z = combineScores(q, scores[i], w);
      if (z.indexOf(Math.max(...z)) === gold[i]) right++;
    });
    if (right / p.length > best.accuracy) best = { weight: w, accuracy: right / p.length };
  }
  return best;
}

/** Float32 values as base64 (little-endian bytes), for model-file metadata. */
function floatsToBase64(x: Float32Array): string {
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function base64ToFloats(b: string): Float32Array {
  let bin: string;
  try {
    bin = atob(b);
  } catch {
    throw formatError('not base64');
  }
  if (bin.length % 4 !== 0) throw formatError(`${bin.length} bytes is not a whole number of float32 values`);
  const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

/** Row r's class scores averaged over its first `len` steps; y is [batch, steps, c]. */
function meanScores(y: Float32Array, r: number, steps: number, len: number, c: number): Float32Array {
  const m = new Float32Array(c);
  for (let t = 0; t < len; t++) for (let j = 0; j < c; j++) m[j] += y[(r * steps + t) * c + j];
  return m.map((x) => x / len);
}

function softmax(z: Float32Array): Float32Array {
  const m = Math.max(...z);
  const e = Float32Array.from(z, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** The batch size to train with: `batchSize`, lowered when `batchSize` rows of the longest
 * sequence (`longest` steps) would be above what the model takes in one call
 * (`model.maxBatchSteps`); E_RANGE naming the limit, before any training, when one sequence
 * alone is longer. */
export function fittingBatchSize(model: { maxBatchSteps: number }, batchSize: number, longest: number, what: string): number {
  const max = model.maxBatchSteps;
  if (longest > max)
    throw rangeError(
      `the longest ${what} has ${longest} steps, more than this model takes in one call (${max}: the core's 2^27 floats of activations over the floats it keeps per step); shorten it or use a smaller model`,
    );
  return Math.max(1, Math.min(batchSize, Math.floor(max / Math.max(1, longest))));
}

/** Trains a classifier on token lists with labels in [0, classes). The vocabulary is built
 * @example
 * ```ts
 * const docs = ['win cash now', 'free money', 'cheap pills', 'lunch at noon', 'see you soon', 'meeting moved'].map(tokenize);
 * const labels = [1, 1, 1, 0, 0, 0]; // 1 = spam
 * const clf = await trainClassifier(docs, labels, { epochs: 20, batchSize: 6, hidden: 8, embed: 8, seed: 1, timeBudgetMs: 10_000 });
 * console.log(clf.predict([tokenize('free cash'), tokenize('lunch meeting')])); // its guesses: six messages teach little (classify train learns from 5,800)
 * clf.dispose();
 * ```
 * from the training documents (`tokenVocabulary`) unless given. */
export async function trainClassifier(
  docs: readonly (readonly string[])[],
  labels: ArrayLike<number>,
  opts: TrainClassifierOptions & { vocab?: Vocabulary } = {},
): Promise<TextClassifier> {
  checkKeys('trainClassifier', opts, [
    ...CLASSIFIER_KEYS,
    'epochs',
    'timeBudgetMs',
    'batchSize',
    'optimizer',
    'clipNorm',
    'onProgress',
    'onEpoch',
    'progressEvery',
    'worker',
    'vocab',
  ]);
  if (docs.length !== labels.length) throw rangeError(`${docs.length} documents but ${labels.length} labels`);
  if (docs.length === 0) throw rangeError('the training set is empty');
  const classes = posInt('classes', opts.classes, 2);
  for (let i = 0; i < labels.length; i++)
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes)
      throw rangeError(`labels[${i}] = ${labels[i]} is not a class in [0, ${classes})`);
  const epochs = posInt('epochs', opts.epochs, 3);
  const asked = posInt('batchSize', opts.batchSize, 32);
  const every = posInt('progressEvery', opts.progressEvery, 20);
  const vocab = opts.vocab ?? tokenVocabulary(docs);
  const clf = TextClassifier.create(vocab, {
    classes,
    cell: opts.cell,
    embed: opts.embed,
    hidden: opts.hidden,
    bidirectional: opts.bidirectional,
    maxTokens: opts.maxTokens,
    dropout: opts.dropout,
    seed: opts.seed,
    classNames: opts.classNames,
    tokens: opts.tokens,
    pooling: opts.pooling,
    slots: opts.slots,
  });
  const model = clf.session.model;
  model.compile({
    loss: 'crossEntropy',
    optimizer: opts.optimizer ?? adam(TASK_TRAINING.classify.lr),
    clipNorm: opts.clipNorm ?? TASK_TRAINING.classify.clipNorm,
  });
  const ids = docs.map((d) => clf.encode(d));
  const lengths = ids.map((x) => x.length / clf.slots);
  const batchSize = fittingBatchSize(
    model,
    asked,
    lengths.reduce((a, l) => Math.max(a, l), 0),
    'document',
  );
  const rng = new Rng(opts.seed ?? 1);
  const perEpoch = Math.ceil(docs.length / batchSize);
  const steps = epochs * perEpoch;
  const budget = opts.timeBudgetMs === undefined ? undefined : numIn('timeBudgetMs', opts.timeBudgetMs, 0, Infinity);
  const reportSteps = progressEvery(every, steps, opts.onProgress);
  if (opts.worker) {
    try {
      await fitInWorker(clf, { ids, lengths, labels, batchSize, epochs, budget, rng, onStep: reportSteps, onEpoch: opts.onEpoch });
    } catch (e) {
      clf.dispose();
      throw e;
    }
    return clf;
  }
  await fitBatches(model, {
    epochs,
    timeBudgetMs: budget,
    batchesPerEpoch: perEpoch,
    // one generator across epochs: epoch e's batches continue epoch e − 1's stream
    batches() {
      const rows = bucketedBatches(lengths, batchSize, rng);
      return (i) => {
        const pb = padBatch(
          rows[i].map((r) => ids[r]),
          { slots: clf.slots },
        );
        const tokens = pb.lengths.reduce((a, b) => a + b, 0);
        return {
          input: { ids: pb.ids, batch: pb.batch, steps: pb.steps, lengths: pb.lengths },
          targets: { classes: clf.pooling === 'mean' ? stepTargets(rows[i], pb, labels) : Int32Array.from(rows[i], (r) => labels[r]) },
          tokens,
        };
      };
    },
    schedule: false,
    onProgress: (e) => {
      if (e.type === 'epoch') return opts.onEpoch?.({ epoch: e.epoch, loss: e.loss, elapsedMs: e.elapsedMs }, clf);
      return reportSteps?.(e);
    },
  });
  return clf;
}

/** trainClassifier's training in a worker thread (its own trainer): each epoch one fit-engine
 * run over the examples in {@link bucketedBatches}' order (the full batches first, shuffle off,
 * so that the engine's consecutive batches of `batchSize` are those batches); after each epoch
 * the classifier takes the worker's weights and `onEpoch` hears it. */
async function fitInWorker(
  clf: TextClassifier,
  d: {
    ids: Uint32Array[];
    lengths: number[];
    labels: ArrayLike<number>;
    batchSize: number;
    epochs: number;
    budget: number | undefined;
    rng: Rng;
    onStep: ((e: FitEvent) => void | Promise<void>) | undefined;
    onEpoch: TrainClassifierOptions['onEpoch'];
  },
): Promise<void> {
  const vocab = clf.session.vocabulary;
  // every row's example, built once; each epoch only reorders them
  const rows: Example[] = d.ids.map((ids, r) =>
    clf.pooling === 'mean' ? { ids, targets: new Int32Array(d.lengths[r]).fill(d.labels[r]) } : { ids, target: d.labels[r] },
  );
  const full = (b: number[]) => (b.length === d.batchSize ? 0 : 1);
  const t = await createTrainer({ workers: 1 });
  try {
    await t.load(clf.session.save({ training: true }));
    const t0 = performance.now();
    let steps = 0;
    for (let e = 0; e < d.epochs; e++) {
      const left = d.budget === undefined ? undefined : d.budget - (performance.now() - t0);
      if (left !== undefined && left <= 0) break;
      const batches = bucketedBatches(d.lengths, d.batchSize, d.rng).sort((a, b) => full(a) - full(b));
      const before = steps;
      const r = await t.fit(examples(batches.flat().map((r) => rows[r])), {
        epochs: 1,
        batchSize: d.batchSize,
        shuffle: false,
        timeBudgetMs: left,
        onProgress: (ev) => (ev.type === 'step' ? d.onStep?.({ ...ev, epoch: e, step: before + ev.step }) : undefined),
      });
      steps += r.steps;
      clf.session.load(await t.save());
      if (vocab) clf.session.setVocabulary(vocab);
      if (r.stopReason !== 'completed') break;
      await d.onEpoch?.({ epoch: e, loss: r.history.at(-1)?.loss ?? Number.NaN, elapsedMs: performance.now() - t0 }, clf);
    }
  } finally {
    await t.dispose();
  }
}

/** Per-step targets [batch, steps] for 'mean' pooling: every step of row b its text's class,
 * the padding -100 (ignored by the loss). */
function stepTargets(rows: readonly number[], pb: { steps: number; lengths: Uint32Array }, labels: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rows.length * pb.steps).fill(-100);
  rows.forEach((r, b) => {
    out.fill(labels[r], b * pb.steps, b * pb.steps + pb.lengths[b]);
  });
  return out;
}

/**
 * A character sequence as a 2-slot classifier reads it: [character, bigram with the next
 * character] per step, flat (the last step's bigram is the unk symbol).
 * @example
 * ```ts
 * console.log(charBigramSlots(Array.from('很好'))); // ['很', '很好', '好', '<unk>']
 * ```
 */
export function charBigramSlots(cs: readonly string[]): string[] {
  return cs.flatMap((c, i) => [c, i + 1 < cs.length ? c + cs[i + 1] : UNK_TOKEN]);
}
