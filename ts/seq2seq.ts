// Sequence to sequence: an attention encoder-decoder (bidirectional LSTM encoder, LSTM
// decoder with additive attention over the encoder outputs, teacher forcing), trained and
// decoded (greedy or beam search) inside wasm. The model lives in crates/recurrent-core
// (model/seq2seq.rs); this is its SDK face. It trains through the fit engine (fit.ts) like the
// sequential model:
//
//   const m = Seq2SeqModel.create({ sourceVocab: 30, targetVocab: 72 }, { seed: 1 });
//   m.compile({ optimizer: { name: 'adam', lr: 3e-3 }, clipNorm: 5 });
//   await m.fit(pairs, { epochs: 2, batchSize: 64, onProgress: (e) => … });
//   const [best] = m.decode([word], { beam: 5 })[0];
//
// Pairs are id sequences: `source` over [0, sourceVocab), `target` over [0, targetVocab)
// without the BOS/EOS ids (the model adds them). Batches are bucketed by length (sources of
// similar length together, shuffled by seed), so little compute goes to padding.
//
// Save/load: a safetensors file in the 'recurrent/1' format with PyTorch-style parameter
// names (encoder.rnn.weight_ih_l0_reverse, attention.key.weight, …); its metadata holds
// `architecture` = {"kind":"seq2seq", …options} and any caller metadata (vocabularies).

import { seedOpt } from './check.js';
import { deriveSeed, Rng } from './data/rng.js';
import { maxOf } from './data/source.js';
import { FIT_BATCH_SIZE, SEQ2SEQ_OPTIMIZERS } from './defaults.js';
import { checkKeys, formatError, numIn, optionError, posInt, rangeError, stateError } from './errors.js';
import type { EvalResult, FitEvent, FitResult } from './events.js';
import { type FitTarget, runFit } from './fit.js';
import { checkHooks, type FitHooks, HookRunner, modelHooks } from './fit-hooks.js';
import { checkFitOptions } from './fit-options.js';
import { encodeModelFile, type ModelFileParts, readModelFile } from './io/checkpoint.js';
import { checkSeq2SeqTensors } from './io/params.js';
import { restoreParams } from './params.js';
import type { SessionFitOptions } from './session-api.js';
import { type KindTrainer, TrainableModel, type TrainerConfig } from './trainable-model.js';
import type { Seq2Seq as CoreSeq2Seq, Trainer as CoreTrainer } from './wasm/recurrent_wasm.js';
import { wasm } from './wasm.js';

/** The architecture of a {@link Seq2SeqModel}. Unknown keys are E_OPTION. */
export interface Seq2SeqOptions {
  /** Source symbols (ids 0…sourceVocab−1). */
  sourceVocab: number;
  /** Target symbols, BOS and EOS included. */
  targetVocab: number;
  /**
   * Embedding width of both sides.
   * @default 64
   */
  embed?: number;
  /**
   * Units per encoder direction.
   * @default 128
   */
  encoderUnits?: number;
  /**
   * Encoder layers.
   * @default 1
   */
  encoderLayers?: number;
  /**
   * A bidirectional encoder.
   * @default true
   */
  bidirectional?: boolean;
  /**
   * Decoder units.
   * @default 2 × encoderUnits when bidirectional, else encoderUnits
   */
  decoderUnits?: number;
  /**
   * Decoder layers.
   * @default 1
   */
  decoderLayers?: number;
  /**
   * Width of the additive attention.
   * @default decoderUnits
   */
  attention?: number;
  /**
   * Dropout between stacked LSTM layers and on the attentional vector.
   * @default 0
   */
  dropout?: number;
  /**
   * Target id of BOS.
   * @default 0
   */
  bos?: number;
  /**
   * Target id of EOS.
   * @default 1
   */
  eos?: number;
}

/** The options with every default filled in. */
export type Seq2SeqConfig = Required<Seq2SeqOptions>;

/** The encoder-decoder's architecture as `build` takes it and `info().spec` gives it. */
export type Seq2SeqSpecJSON = {
  /** Marks an encoder-decoder spec. */
  kind: 'seq2seq';
} & Seq2SeqOptions;

/** One training pair of id sequences. */
export interface Pair {
  /** Source ids in [0, sourceVocab). */
  source: ArrayLike<number>;
  /** Without BOS/EOS. */
  target: ArrayLike<number>;
}

/** Options of {@link Seq2SeqModel.compile}. */
export interface Seq2SeqCompileOptions {
  /**
   * The optimizer (Adam, AdamW or SGD, PyTorch semantics and defaults, as for the sequential model).
   * @default 'adam' (lr 1e-3)
   */
  optimizer?:
    | 'adam'
    | 'adamw'
    | {
        /** Adam, AdamW or SGD. */
        name: 'adam' | 'adamw' | 'sgd';
        /** Learning rate. */
        lr?: number;
        /** Adam's decay rates of the moment estimates. */
        betas?: [number, number];
        /** Added to Adam's denominator for stability. */
        eps?: number;
        /** L2 penalty (adamw: decoupled weight decay). */
        weightDecay?: number;
        /** SGD's momentum factor. */
        momentum?: number;
      };
  /**
   * Clip gradients by global L2 norm (a positive number), as for the sequential model.
   * @default no clipping (the G2P task clips at 5)
   */
  clipNorm?: number;
  /**
   * Clip every gradient element to [−v, v] (a positive number).
   * @default no clipping
   */
  clipValue?: number;
}

/** What one teacher-forced update reports. */
export interface Seq2SeqStep {
  /** Mean loss per target token (EOS included), before the update. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Target tokens (EOS included) in the batch. */
  tokens: number;
  /** Learning rate of this update. */
  lr: number;
}

/** Options of {@link Seq2SeqModel.fit} (an unknown key is E_OPTION, a bad value E_RANGE). */
export interface Seq2SeqFitOptions {
  /**
   * Passes over the pairs.
   * @default 1
   */
  epochs?: number;
  /**
   * Pairs per batch.
   * @default 64
   */
  batchSize?: number;
  /**
   * Seed of the batch order.
   * @default 0
   */
  seed?: number;
  /**
   * Stop (at a batch boundary) after this long.
   * @default no budget
   */
  timeBudgetMs?: number;
  /** Stops at the next batch boundary; the run resolves with `stopReason: 'aborted'`. */
  signal?: AbortSignal;
  /**
   * Multiply the learning rate by this after every epoch.
   * @default 1
   */
  lrDecay?: number;
  /**
   * Scored (teacher-forced loss per token) at the end of every epoch.
   * @default none
   */
  validation?: Pair[];
  /** Epoch-end hooks (keep-best, early stopping, reduce-on-plateau), as `Trainer.fit` takes them. @default none */
  hooks?: FitHooks;
  /** Called with every step and epoch event. */
  onProgress?: (e: FitEvent) => void;
}

/** One decoded output of {@link Seq2SeqModel.decode}. */
export interface Hypothesis {
  /** Target ids, without BOS/EOS. */
  ids: number[];
  /** log-probability (EOS included when `ended`). */
  score: number;
  /** false when decoding stopped at maxLength. */
  ended: boolean;
}

/** Options of {@link Seq2SeqModel.decode}. */
export interface DecodeOptions {
  /**
   * Beam width (1 = greedy).
   * @default 1
   */
  beam?: number;
  /**
   * Hypotheses to return per source, ≤ beam.
   * @default 1
   */
  nBest?: number;
  /**
   * Longest output.
   * @default 2 × the longest source + 10
   */
  maxLength?: number;
  /**
   * Sources per wasm call.
   * @default 256
   */
  batchSize?: number;
}

const OPTION_KEYS = [
  'sourceVocab',
  'targetVocab',
  'embed',
  'encoderUnits',
  'encoderLayers',
  'bidirectional',
  'decoderUnits',
  'decoderLayers',
  'attention',
  'dropout',
  'bos',
  'eos',
] as const;

/** The options with their defaults, every value checked (from a caller, or from a model file's JSON). */
function resolve(o: { readonly [K in keyof Seq2SeqOptions]?: unknown }): Seq2SeqConfig {
  checkKeys('seq2seq', o, OPTION_KEYS);
  const encoderUnits = posInt('seq2seq.encoderUnits', o.encoderUnits, 128);
  const bidirectional = o.bidirectional ?? true;
  if (typeof bidirectional !== 'boolean') throw optionError('seq2seq.bidirectional must be a boolean');
  const decoderUnits = posInt('seq2seq.decoderUnits', o.decoderUnits, bidirectional ? 2 * encoderUnits : encoderUnits);
  const token = (k: 'bos' | 'eos', v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw rangeError(`seq2seq.${k} must be a non-negative integer (got ${String(v)})`);
    return v;
  };
  const bos = token('bos', o.bos ?? 0);
  const eos = token('eos', o.eos ?? 1);
  return {
    sourceVocab: posInt('seq2seq.sourceVocab', o.sourceVocab),
    targetVocab: posInt('seq2seq.targetVocab', o.targetVocab),
    embed: posInt('seq2seq.embed', o.embed, 64),
    encoderUnits,
    encoderLayers: posInt('seq2seq.encoderLayers', o.encoderLayers, 1),
    bidirectional,
    decoderUnits,
    decoderLayers: posInt('seq2seq.decoderLayers', o.decoderLayers, 1),
    attention: posInt('seq2seq.attention', o.attention, decoderUnits),
    dropout: numIn('seq2seq.dropout', o.dropout, 0, 1, 0),
    bos,
    eos,
  };
}

/** Concatenates id sequences into one Uint32Array with their lengths, checking each id. */
function ragged(seqs: readonly ArrayLike<number>[], what: string): { ids: Uint32Array; lengths: Uint32Array } {
  const lengths = new Uint32Array(seqs.length);
  let total = 0;
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i];
    if (!s || typeof s.length !== 'number') throw optionError(`${what} ${i} is not an array of ids`);
    lengths[i] = s.length;
    total += s.length;
  }
  const ids = new Uint32Array(total);
  let o = 0;
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i];
    for (let k = 0; k < s.length; k++) {
      const v = s[k];
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rangeError(`${what} ${i}: id ${v} at ${k} is not a valid id`);
      ids[o++] = v;
    }
  }
  return { ids, lengths };
}

function pairsArgs(pairs: readonly Pair[]): [Uint32Array, Uint32Array, Uint32Array, Uint32Array] {
  if (!Array.isArray(pairs)) throw optionError('pairs must be an array of { source, target }');
  if (pairs.length === 0) throw rangeError('the batch is empty: give at least one pair');
  const s = ragged(
    pairs.map((p) => p?.source),
    'source',
  );
  const t = ragged(
    pairs.map((p) => p?.target),
    'target',
  );
  return [s.ids, s.lengths, t.ids, t.lengths];
}

/**
 * Attention cells B · Tx · (Ty + 1) a batch may hold (2^18, 64 pairs of 64 pieces a side): a
 * bucket of long pairs is split into fewer pairs per batch, so its activations (the attention's
 * [B, Ty, Tx, A] above all) stay bounded and within the core's limits.
 */
export const MAX_BATCH_CELLS = 1 << 18;

/**
 * Batches of indices with sources of similar length, in a seeded order: at most `batchSize`
 * pairs, and fewer where B · longest source · (longest target + 1) would pass `maxCells`.
 */
export function bucketBatches(pairs: readonly Pair[], batchSize: number, seed: number, maxCells = MAX_BATCH_CELLS): number[][] {
  const rng = new Rng(seed);
  const order = Array.from(pairs.keys());
  rng.shuffle(order);
  // stable sort by (source length, target length): random order within equal lengths
  order.sort((a, b) => pairs[a].source.length - pairs[b].source.length || pairs[a].target.length - pairs[b].target.length);
  const batches: number[][] = [];
  let cur: number[] = [];
  let tx = 0;
  let ty = 0;
  for (const i of order) {
    const sx = Math.max(tx, pairs[i].source.length);
    const sy = Math.max(ty, pairs[i].target.length + 1);
    if (cur.length > 0 && (cur.length >= batchSize || (cur.length + 1) * sx * sy > maxCells)) {
      batches.push(cur);
      cur = [];
      tx = 0;
      ty = 0;
    }
    cur.push(i);
    tx = Math.max(tx, pairs[i].source.length);
    ty = Math.max(ty, pairs[i].target.length + 1);
  }
  if (cur.length > 0) batches.push(cur);
  rng.shuffle(batches);
  return batches;
}

/** How many batches `bucketBatches` makes of `pairs` (the same for every seed: the splits follow
 * the sorted lengths only). */
export function bucketBatchCount(pairs: readonly Pair[], batchSize: number, maxCells = MAX_BATCH_CELLS): number {
  return bucketBatches(pairs, batchSize, 0, maxCells).length;
}

/** Metadata keys `save({ training: true })` writes for resuming. */
const SAVE_KEYS = ['compile', 'learningRate'];

/**
 * An attention encoder-decoder: a bidirectional LSTM encoder, an LSTM decoder with additive
 * attention over the encoder outputs, trained with teacher forcing and decoded greedily or by
 * beam search, all inside wasm. Pairs are id sequences; the model adds BOS/EOS to targets.
 * Needs `await init()` first; free it with `dispose()`.
 * @example
 * ```ts
 * // reverse 3-token sequences (ids 3..9; 0 pad, 1 BOS, 2 EOS)
 * const rng = new Rng(1);
 * const pairs = Array.from({ length: 64 }, () => {
 *   const source = [3 + rng.below(7), 3 + rng.below(7), 3 + rng.below(7)];
 *   return { source, target: [...source].reverse() };
 * });
 * const m = Seq2SeqModel.create({ sourceVocab: 10, targetVocab: 10, embed: 8, encoderUnits: 16, decoderUnits: 32, attention: 16 }, { seed: 1 });
 * m.compile({ optimizer: { name: 'adam', lr: 1e-2 }, clipNorm: 5 });
 * await m.fit(pairs, { epochs: 2, batchSize: 16 });
 * const [best] = m.decode([[3, 4, 5]], { beam: 3 })[0]; // best.ids: target ids without BOS/EOS
 * m.dispose();
 * ```
 */
export class Seq2SeqModel extends TrainableModel<Seq2SeqCompileOptions> {
  /** The architecture, defaults filled in. */
  readonly config: Readonly<Seq2SeqConfig>;
  /** The initialisation seed. */
  readonly seed: number;
  #core: CoreSeq2Seq | undefined;
  #lr = 0;
  protected readonly compileKind = 'seq2seq';

  private constructor(config: Seq2SeqConfig, seed: number, core: CoreSeq2Seq) {
    super();
    this.config = Object.freeze({ ...config });
    this.seed = seed;
    this.#core = core;
  }

  /** Builds the model and initialises it from `seed` (PyTorch's init rules). */
  static create(options: Seq2SeqOptions, opts: { seed?: number } = {}): Seq2SeqModel {
    checkKeys('create', opts, ['seed']);
    return Seq2SeqModel.#create(options, opts.seed);
  }

  /** Builds from options checked by `resolve` (a caller's, or a model file's JSON). */
  static #create(options: { readonly [K in keyof Seq2SeqOptions]?: unknown }, seedIn: number | undefined): Seq2SeqModel {
    const c = resolve(options);
    const seed = seedOpt('create.seed', seedIn);
    const core = new (wasm().Seq2Seq)(c, seed);
    return new Seq2SeqModel(c, seed, core);
  }

  get #c(): CoreSeq2Seq {
    if (!this.#core) throw stateError('this seq2seq model has been freed');
    return this.#core;
  }

  /** Total number of parameters (floats). */
  get paramCount(): number {
    return this.#c.paramCount();
  }
  /** The parameter names, PyTorch style (`encoder.rnn.weight_ih_l0_reverse`, `attention.key.weight`, …). */
  paramNames(): string[] {
    return this.#c.paramNames();
  }
  /** A parameter's shape. */
  paramShape(name: string): number[] {
    return Array.from(this.#c.paramShape(name));
  }
  /** A copy of a parameter (row-major). */
  getParam(name: string): Float32Array {
    return this.#c.getParam(name);
  }
  /** Overwrites a parameter (row-major). */
  setParam(name: string, data: Float32Array): void {
    this.#c.setParam(name, data);
  }
  /** A parameter's gradient from the last update. */
  getGrad(name: string): Float32Array {
    return this.#c.getGrad(name);
  }

  /** The encoder-decoder's part of `compile`: the optimizers its trainer is tested with
   * (defaults.ts SEQ2SEQ_OPTIMIZERS); its loss is fixed (cross-entropy per target token). */
  protected newTrainer(opts: Seq2SeqCompileOptions | undefined, cfg: TrainerConfig): KindTrainer<Seq2SeqCompileOptions> {
    const { optimizer } = cfg;
    if (!SEQ2SEQ_OPTIMIZERS.includes(optimizer.name))
      throw optionError(`compile.optimizer.name must be one of ${SEQ2SEQ_OPTIMIZERS.join(', ')} (got '${String(optimizer.name)}')`);
    const trainer = wasm().Trainer.forSeq2Seq(this.#c, cfg);
    // the rate as given (a JS number, so lrDecay multiplies it exactly as before), else the core's default
    this.#lr = typeof optimizer.lr === 'number' ? optimizer.lr : trainer.lr();
    return { trainer, compiled: structuredClone(opts ?? {}) };
  }

  /** The learning rate of the next update. */
  get learningRate(): number {
    return this.#lr;
  }
  /** Sets the learning rate of the following updates (a finite number ≥ 0, E_RANGE otherwise; E_STATE before `compile`). */
  set learningRate(lr: number) {
    const t = this.trainer;
    if (!t) throw stateError('call compile() before setting the learning rate');
    t.setLearningRate(lr);
    this.#lr = lr;
  }

  #needTrainer(): CoreTrainer {
    const t = this.trainer;
    if (!t) throw stateError('call compile() before training');
    return t;
  }

  /** One update with teacher forcing on a batch of pairs. */
  trainStep(pairs: readonly Pair[]): Seq2SeqStep {
    const r = this.#needTrainer().stepPairs(this.#c, ...pairsArgs(pairs));
    return { loss: r[0], gradNorm: r[1], tokens: r[2], lr: r[3] };
  }

  /**
   * The first half of `trainStep` (data-parallel training): forward, loss and backward on a
   * batch of pairs, leaving the gradient of its mean loss per target token in the model
   * (`getGrads`); no update. Returns that loss and the target tokens (EOS included) it counted.
   */
  gradStep(pairs: readonly Pair[]): {
    /** Mean loss per target token. */
    loss: number;
    /** Target tokens. */
    tokens: number;
  } {
    const r = this.#needTrainer().gradPairs(this.#c, ...pairsArgs(pairs));
    return { loss: r[0], tokens: r[1] };
  }

  /** Every gradient, in `paramNames()` order (length `paramCount`), after a training or gradient
   * step; with `out` (length `paramCount`), copied into it. */
  getGrads(out?: Float32Array): Float32Array {
    if (!out) return this.#c.getGrads();
    this.#c.copyGradsTo(out);
    return out;
  }

  /**
   * The second half of `trainStep`: sets the gradients to `grads` (length `paramCount`, in
   * `paramNames()` order; e.g. several replicas' gradients combined), clips them and applies
   * one update, exactly as `trainStep` does after its backward.
   */
  applyGrads(grads: Float32Array): {
    /** Global norm of the gradients before clipping. */
    gradNorm: number;
    /** The learning rate used. */
    lr: number;
  } {
    const r = this.#needTrainer().applyPairsGrads(this.#c, grads);
    return { gradNorm: r[0], lr: r[1] };
  }

  /** Trains over `pairs` in length-bucketed, seeded batches, reporting progress (the options
   * are checked as `Trainer.fit` checks them: fit-options.ts and `checkSeq2SeqFit`). */
  async fit(pairs: readonly Pair[], opts: Seq2SeqFitOptions = {}): Promise<FitResult> {
    const { signal, onProgress, ...rest } = opts;
    const f = checkFitOptions(rest, FIT_BATCH_SIZE.seq2seq, undefined, SEQ2SEQ_FIT_KEYS);
    if (!this.compiled) throw stateError('call compile() before fit()');
    const { val, decay } = checkSeq2SeqFit(pairs, rest);
    const target = seq2seqTarget(this, pairs, { batchSize: f.batchSize, decay, validate: val && (() => this.#evalResult(val, f.batchSize)) });
    const hooks = new HookRunner(checkHooks(rest.hooks, { hasValidation: val !== undefined, constantSchedule: true }), modelHooks(this));
    return runFit(target, f.pos, { epochs: f.epochs, timeBudgetMs: f.budget, signal, emit: onProgress, hooks });
  }

  #evalResult(pairs: readonly Pair[], batchSize: number): EvalResult {
    const r = this.evaluate(pairs, { batchSize });
    return { loss: r.loss, bitsPerToken: r.loss / Math.LN2, count: r.tokens };
  }

  /** Teacher-forced mean loss per target token (EOS included), without updating. */
  evaluate(
    pairs: readonly Pair[],
    opts: { batchSize?: number } = {},
  ): {
    /** Mean loss per target token. */
    loss: number;
    /** Target tokens. */
    tokens: number;
  } {
    checkKeys('evaluate', opts, ['batchSize']);
    if (!Array.isArray(pairs) || pairs.length === 0) throw rangeError('evaluate: the data set is empty');
    const bs = posInt('evaluate.batchSize', opts.batchSize, 128);
    let sum = 0;
    let count = 0;
    for (const batch of bucketBatches(pairs, bs, 0)) {
      const r = this.#c.loss(...pairsArgs(batch.map((k) => pairs[k])));
      sum += r[0] * r[1];
      count += r[1];
    }
    return { loss: sum / count, tokens: count };
  }

  /** log p(target + EOS | source) of each pair. */
  scores(pairs: readonly Pair[]): Float64Array {
    return this.#c.scores(...pairsArgs(pairs));
  }

  /** Attention weights of a teacher-forced pass: weights[b][t][j] (t up to each target's
   * EOS, j over each source's steps); each row sums to 1. */
  attention(pairs: readonly Pair[]): number[][][] {
    const r = this.#c.attention(...pairsArgs(pairs));
    const [, ty, tx] = [r[0], r[1], r[2]];
    return pairs.map((p, b) =>
      Array.from({ length: p.target.length + 1 }, (_, t) => Array.from(r.subarray(3 + (b * ty + t) * tx, 3 + (b * ty + t) * tx + p.source.length))),
    );
  }

  /** Decodes every source (greedy with beam 1, else beam search); per source, the nBest
   * hypotheses, best first. */
  decode(sources: readonly ArrayLike<number>[], opts: DecodeOptions = {}): Hypothesis[][] {
    checkKeys('decode', opts, ['beam', 'nBest', 'maxLength', 'batchSize']);
    if (!Array.isArray(sources)) throw optionError('decode takes an array of source id sequences');
    const beam = posInt('decode.beam', opts.beam, 1);
    const nBest = posInt('decode.nBest', opts.nBest, 1);
    const bs = posInt('decode.batchSize', opts.batchSize, 256);
    const out: Hypothesis[][] = [];
    for (let i = 0; i < sources.length; i += bs) {
      const chunk = sources.slice(i, i + bs);
      const { ids, lengths } = ragged(chunk, 'source');
      const maxLength = posInt('decode.maxLength', opts.maxLength, 2 * maxOf(lengths, 0) + 10);
      const r = this.#c.decode(ids, lengths, beam, maxLength, nBest);
      let p = 0;
      for (let s = 0; s < chunk.length; s++) {
        const n = r[p++];
        const hyps: Hypothesis[] = [];
        for (let h = 0; h < n; h++) {
          const score = r[p];
          const ended = r[p + 1] === 1;
          const len = r[p + 2];
          hyps.push({ ids: Array.from(r.subarray(p + 3, p + 3 + len)), score, ended });
          p += 3 + len;
        }
        out.push(hyps);
      }
    }
    return out;
  }

  /** Optimizer state (for checkpoints; undefined before compile). */
  getOptimizerState(): Float32Array | undefined {
    return this.trainer?.getState();
  }
  /** Restores optimizer state saved by `getOptimizerState` (needs `compile` with the same
   * options first: E_STATE before compile, E_RANGE for a state of another length). */
  setOptimizerState(s: Float32Array): void {
    const t = this.trainer;
    if (!t) throw stateError('call compile() before setting the optimizer state');
    t.setState(s);
  }
  /** Dropout RNG state (for checkpoints). */
  getRngState(): Uint32Array {
    return this.#c.rngState();
  }
  /** Restores the dropout RNG state saved by `getRngState` (4 words, not all zero: E_RANGE otherwise). */
  setRngState(s: Uint32Array): void {
    this.#c.setRngState(s);
  }

  /** @internal The parts of its model file (written by the one model-file code, io/checkpoint.ts);
   * with `training`, also what resuming needs. */
  fileParts(training: boolean): ModelFileParts {
    const parts: ModelFileParts = {
      architecture: { kind: 'seq2seq', ...this.config },
      seed: this.seed,
      params: this.paramNames().map((name) => ({ name, shape: this.paramShape(name), data: this.getParam(name) })),
    };
    if (training) {
      const opt = this.getOptimizerState();
      if (this.compiled && opt) {
        parts.compile = this.compiled;
        parts.extra = { learningRate: this.#lr };
        parts.optimizerState = opt;
      }
      parts.rngState = this.getRngState();
    }
    return parts;
  }

  /** The model file: safetensors, format 'recurrent/1', architecture {kind: 'seq2seq', …};
   * `metadata` values are stored as JSON strings. With `training: true`, also what resuming
   * needs: the compile options, the learning rate, the optimizer and dropout-generator state. */
  save(metadata: Record<string, unknown> = {}, opts: { training?: boolean } = {}): Uint8Array {
    checkKeys('save', opts, ['training']);
    for (const k of Object.keys(metadata)) if (SAVE_KEYS.includes(k)) throw optionError(`metadata key '${k}' is reserved`);
    const parts = this.fileParts(opts.training ?? false);
    return encodeModelFile({ ...parts, extra: { ...metadata, ...parts.extra } });
  }

  /** Rebuilds a model saved by `save`; returns it with the caller's metadata (parsed). */
  static load(bytes: Uint8Array): {
    /** The model. */
    model: Seq2SeqModel;
    /** The file's metadata (what `save` was given). */
    metadata: Record<string, unknown>;
  } {
    const f = readModelFile(bytes);
    const arch = f.architecture;
    if (arch === null || typeof arch !== 'object' || !('kind' in arch) || arch.kind !== 'seq2seq')
      throw formatError('not a seq2seq model file (architecture.kind is not "seq2seq")');
    const { kind: _kind, ...options }: Record<string, unknown> = arch;
    checkSeq2SeqTensors(options, f.tensors);
    let model: Seq2SeqModel;
    try {
      model = Seq2SeqModel.#create(options, f.seed);
    } catch (e) {
      throw formatError(`the model file's architecture is invalid: ${(e as Error).message}`);
    }
    const metadata: Record<string, unknown> = {};
    if (f.vocabulary !== undefined) metadata.vocabulary = f.vocabulary;
    if (f.training !== undefined) metadata.training = f.training;
    try {
      for (const [k, v] of Object.entries(f.extra)) {
        try {
          metadata[k] = JSON.parse(v);
        } catch {
          throw formatError(`metadata '${k}' is not valid JSON`);
        }
      }
      const params = new Map([...f.tensors].filter(([n]) => !n.startsWith('__')));
      restoreParams(model, params, { file: 'the model file', finite: true });
      model.#restoreTraining(f.compile, metadata.learningRate, f.optimizerState, f.rngState);
    } catch (e) {
      model.dispose();
      if ((e as { code?: string }).code === 'E_FORMAT') throw e;
      throw formatError(`the model file is inconsistent: ${(e as Error).message}`);
    }
    for (const k of SAVE_KEYS) delete metadata[k];
    return { model, metadata };
  }

  /** Compile options, learning rate, optimizer and RNG state saved with `training: true`. */
  #restoreTraining(compile: object | undefined, lr: unknown, opt?: Float32Array, rng?: Uint32Array): void {
    if (compile !== undefined) {
      this.compile(compile);
      if (lr !== undefined) {
        if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw formatError('metadata learningRate must be a non-negative number');
        this.learningRate = lr;
      }
      if (opt) this.setOptimizerState(opt);
    }
    if (rng) this.setRngState(rng);
  }

  /** Releases the wasm memory (the model is unusable afterwards). */
  dispose(): void {
    this.freeTrainer();
    this.#core?.free();
    this.#core = undefined;
  }
}

/** The batches of epoch `epoch` of a fit with data seed `seed`: pair indices, length-bucketed
 * (the same in the calling thread, a worker and every data-parallel replica). */
export function epochBatches(pairs: readonly Pair[], batchSize: number, epoch: number, seed: number): number[][] {
  return bucketBatches(pairs, batchSize, deriveSeed(seed, epoch));
}

/** The keys of {@link Seq2SeqFitOptions} that cross to the fit engine. */
const SEQ2SEQ_FIT_KEYS = ['epochs', 'batchSize', 'seed', 'timeBudgetMs', 'lrDecay', 'validation', 'hooks'];

/** The encoder-decoder's own fit options and data, checked (the shared ones: fit-options.ts):
 * the pairs, the validation pairs and the learning-rate decay. */
export function checkSeq2SeqFit(pairs: readonly Pair[], opts: SessionFitOptions): { val?: readonly Pair[]; decay: number } {
  if (!Array.isArray(pairs)) throw optionError('the encoder-decoder trains on an array of { source, target } pairs');
  if (pairs.length === 0) throw rangeError('fit: the training set is empty');
  if (opts.tbptt !== undefined || opts.shuffle !== undefined) throw optionError('fit.tbptt and fit.shuffle apply to the sequential model');
  const val = opts.validation as readonly Pair[] | undefined;
  if (val !== undefined && (!Array.isArray(val) || val.length === 0)) throw optionError('fit.validation must be a non-empty array of pairs');
  return { val, decay: numIn('fit.lrDecay', opts.lrDecay, 0, Number.POSITIVE_INFINITY, 1) };
}

/** The end of an epoch of the encoder-decoder: its learning rate multiplied by `decay`. */
export function decayLearningRate(model: Seq2SeqModel, decay: number): void {
  if (decay !== 1) model.learningRate = model.learningRate * decay;
}

/** The encoder-decoder on pairs, as the fit engine drives it: length-bucketed batches in a
 * seeded order per epoch, the learning rate multiplied by `decay` after every epoch. */
export function seq2seqTarget(model: Seq2SeqModel, pairs: readonly Pair[], o: { batchSize: number; decay: number; validate?: () => EvalResult }): FitTarget {
  const nb = bucketBatchCount(pairs, o.batchSize);
  return {
    batchesPerEpoch: nb,
    bits: true,
    epoch(epoch, seed) {
      const batches = epochBatches(pairs, o.batchSize, epoch, seed);
      return {
        batches: batches.length,
        train(i) {
          const r = model.trainStep(batches[i].map((k) => pairs[k]));
          return { loss: r.loss, gradNorm: r.gradNorm, lr: r.lr, updates: 1, tokens: r.tokens };
        },
      };
    },
    validate: o.validate,
    endEpoch: () => decayLearningRate(model, o.decay),
  };
}
