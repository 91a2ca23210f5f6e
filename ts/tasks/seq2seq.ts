// Sequence to sequence: an attention encoder-decoder (bidirectional LSTM encoder, LSTM
// decoder with additive attention over the encoder outputs, teacher forcing), trained and
// decoded (greedy or beam search) inside wasm. The model lives in crates/recurrent-core
// (model/seq2seq.rs); this is its SDK face:
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
import { checkKeys, formatError, numIn, optionError, posInt, rangeError, stateError } from '../errors.js';
import { deriveSeed, Rng } from '../data/rng.js';
import { decodeSafetensors, encodeSafetensors, type TensorIn } from '../io/safetensors.js';
import { FORMAT } from '../io/checkpoint.js';
import { wasm } from '../wasm.js';
import type { Seq2Seq as CoreSeq2Seq, Trainer as CoreTrainer } from '../wasm/recurrent_wasm.js';

export interface Seq2SeqOptions {
  /** Source symbols (ids 0…sourceVocab−1). */
  sourceVocab: number;
  /** Target symbols, BOS and EOS included. */
  targetVocab: number;
  /** Embedding width of both sides (default 64). */
  embed?: number;
  /** Units per encoder direction (default 128), encoder layers (1), bidirectional (true). */
  encoderUnits?: number;
  encoderLayers?: number;
  bidirectional?: boolean;
  /** Decoder units (default 2 × encoderUnits when bidirectional) and layers (1). */
  decoderUnits?: number;
  decoderLayers?: number;
  /** Width of the additive attention (default decoderUnits). */
  attention?: number;
  /** Dropout between stacked LSTM layers and on the attentional vector (default 0). */
  dropout?: number;
  /** Target ids of BOS and EOS (default 0 and 1). */
  bos?: number;
  eos?: number;
}

export type Seq2SeqConfig = Required<Seq2SeqOptions>;

export interface Pair {
  source: ArrayLike<number>;
  /** Without BOS/EOS. */
  target: ArrayLike<number>;
}

export interface Seq2SeqCompileOptions {
  optimizer?: { name: 'adam' | 'adamw' | 'sgd'; lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; momentum?: number };
  /** Clip gradients by global L2 norm (default 5; 0 = off). */
  clipNorm?: number;
}

export interface Seq2SeqStep {
  loss: number;
  gradNorm: number;
  /** Target tokens (EOS included) in the batch. */
  tokens: number;
  lr: number;
}

export interface Seq2SeqFitEvent {
  type: 'step' | 'epoch';
  epoch: number;
  /** Batch within the epoch (step events). */
  batch: number;
  batchesPerEpoch: number;
  step: number;
  /** This batch's loss (step) or the epoch's mean training loss (epoch). */
  loss: number;
  lr: number;
  tokensPerSec: number;
  elapsedMs: number;
  /** Epoch events with `validation` data: its teacher-forced loss per token. */
  validationLoss?: number;
}

export interface Seq2SeqFitOptions {
  epochs?: number;
  batchSize?: number;
  seed?: number;
  /** Stop (at a batch boundary) after this long. */
  timeBudgetMs?: number;
  signal?: AbortSignal;
  /** Multiply the learning rate by this after every epoch (default 1). */
  lrDecay?: number;
  validation?: Pair[];
  onProgress?: (e: Seq2SeqFitEvent) => void;
}

export interface Seq2SeqFitResult {
  stopReason: 'completed' | 'aborted' | 'timeBudget';
  epochs: number;
  steps: number;
  elapsedMs: number;
  /** Mean training loss of the last (possibly partial) epoch. */
  loss: number;
}

export interface Hypothesis {
  /** Target ids, without BOS/EOS. */
  ids: number[];
  /** log-probability (EOS included when `ended`). */
  score: number;
  /** false when decoding stopped at maxLength. */
  ended: boolean;
}

export interface DecodeOptions {
  /** Beam width (default 1 = greedy). */
  beam?: number;
  /** Hypotheses to return per source, ≤ beam (default 1). */
  nBest?: number;
  /** Longest output (default 2 × the longest source + 10). */
  maxLength?: number;
  /** Sources per wasm call (default 256). */
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

function resolve(o: Seq2SeqOptions): Seq2SeqConfig {
  checkKeys('seq2seq', o, OPTION_KEYS);
  const encoderUnits = posInt('seq2seq.encoderUnits', o.encoderUnits, 128);
  const bidirectional = o.bidirectional ?? true;
  if (typeof bidirectional !== 'boolean') throw optionError('seq2seq.bidirectional must be a boolean');
  const decoderUnits = posInt('seq2seq.decoderUnits', o.decoderUnits, bidirectional ? 2 * encoderUnits : encoderUnits);
  const bos = o.bos ?? 0;
  const eos = o.eos ?? 1;
  for (const [k, v] of [
    ['bos', bos],
    ['eos', eos],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw rangeError(`seq2seq.${k} must be a non-negative integer (got ${String(v)})`);
  }
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

/** Batches of indices with sources of similar length, in a seeded order. */
export function bucketBatches(pairs: readonly Pair[], batchSize: number, seed: number): number[][] {
  const rng = new Rng(seed);
  const order = Array.from(pairs.keys());
  rng.shuffle(order);
  // stable sort by (source length, target length): random order within equal lengths
  order.sort((a, b) => pairs[a].source.length - pairs[b].source.length || pairs[a].target.length - pairs[b].target.length);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  rng.shuffle(batches);
  return batches;
}

const now = () => performance.now();
const yieldNow = () => new Promise<void>((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

export class Seq2SeqModel {
  readonly config: Readonly<Seq2SeqConfig>;
  readonly seed: number;
  #core: CoreSeq2Seq | undefined;
  #compiled: Seq2SeqCompileOptions | undefined;
  #trainer: CoreTrainer | undefined;
  #lr = 0;

  private constructor(config: Seq2SeqConfig, seed: number, core: CoreSeq2Seq) {
    this.config = Object.freeze({ ...config });
    this.seed = seed;
    this.#core = core;
  }

  /** Builds the model and initialises it from `seed` (PyTorch's init rules). */
  static create(options: Seq2SeqOptions, opts: { seed?: number } = {}): Seq2SeqModel {
    checkKeys('create', opts, ['seed']);
    const c = resolve(options);
    const seed = (opts.seed ?? 0) >>> 0;
    const core = new (wasm().Seq2Seq)(c, seed);
    return new Seq2SeqModel(c, seed, core);
  }

  get #c(): CoreSeq2Seq {
    if (!this.#core) throw stateError('this seq2seq model has been freed');
    return this.#core;
  }

  get paramCount(): number {
    return this.#c.paramCount();
  }
  paramNames(): string[] {
    return this.#c.paramNames();
  }
  paramShape(name: string): number[] {
    return Array.from(this.#c.paramShape(name));
  }
  getParam(name: string): Float32Array {
    return this.#c.getParam(name);
  }
  setParam(name: string, data: Float32Array): void {
    this.#c.setParam(name, data);
  }
  getGrad(name: string): Float32Array {
    return this.#c.getGrad(name);
  }

  /** Sets the optimizer (default Adam, lr 1e-3) and clipping (default global norm 5). */
  compile(opts: Seq2SeqCompileOptions = {}): this {
    checkKeys('compile', opts, ['optimizer', 'clipNorm']);
    const o = opts.optimizer ?? { name: 'adam' };
    checkKeys('compile.optimizer', o, ['name', 'lr', 'betas', 'eps', 'weightDecay', 'momentum']);
    if (!['adam', 'adamw', 'sgd'].includes(o.name)) throw optionError(`compile.optimizer.name must be one of adam, adamw, sgd (got '${String(o.name)}')`);
    if (o.name === 'sgd' && o.lr === undefined) throw optionError("optimizer 'sgd' needs a learning rate: { name: 'sgd', lr }");
    if (o.name !== 'sgd' && o.momentum !== undefined) throw optionError(`compile.optimizer.momentum applies to sgd only`);
    if (o.name === 'sgd' && (o.betas !== undefined || o.eps !== undefined)) throw optionError('compile.optimizer.betas/eps apply to adam and adamw only');
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw rangeError('compile.optimizer.betas must be [beta1, beta2]');
    const lr = numIn('compile.optimizer.lr', o.lr, 0, Infinity, 1e-3);
    const clip = numIn('compile.clipNorm', opts.clipNorm, 0, Infinity, 5);
    const eps = numIn('compile.optimizer.eps', o.eps, 0, 1, 1e-8);
    const weightDecay = numIn('compile.optimizer.weightDecay', o.weightDecay, 0, Infinity, o.name === 'adamw' ? 1e-2 : 0);
    const momentum = numIn('compile.optimizer.momentum', o.momentum, 0, Infinity, 0);
    const optimizer = o.name === 'sgd' ? { name: o.name, lr, momentum, weightDecay } : { name: o.name, lr, betas: [betas[0], betas[1]], eps, weightDecay };
    const trainer = wasm().Trainer.forSeq2Seq(this.#c, { optimizer, clipNorm: clip > 0 ? clip : undefined });
    this.#trainer?.free();
    this.#trainer = trainer;
    this.#compiled = structuredClone(opts);
    this.#lr = lr;
    return this;
  }

  get compiled(): Readonly<Seq2SeqCompileOptions> | undefined {
    return this.#compiled;
  }

  /** The learning rate of the next update. */
  get learningRate(): number {
    return this.#lr;
  }
  set learningRate(lr: number) {
    if (!this.#trainer) throw stateError('call compile() before setting the learning rate');
    this.#trainer.setLearningRate(lr);
    this.#lr = lr;
  }

  /** One update with teacher forcing on a batch of pairs. */
  trainStep(pairs: readonly Pair[]): Seq2SeqStep {
    if (!this.#compiled || !this.#trainer) throw optionError('call compile() before training');
    const r = this.#trainer.stepPairs(this.#c, ...pairsArgs(pairs));
    return { loss: r[0], gradNorm: r[1], tokens: r[2], lr: r[3] };
  }

  /** Trains over `pairs` in length-bucketed, seeded batches, reporting progress. */
  async fit(pairs: readonly Pair[], opts: Seq2SeqFitOptions = {}): Promise<Seq2SeqFitResult> {
    checkKeys('fit', opts, ['epochs', 'batchSize', 'seed', 'timeBudgetMs', 'signal', 'lrDecay', 'validation', 'onProgress']);
    if (!this.#compiled) throw optionError('call compile() before fit()');
    if (!Array.isArray(pairs) || pairs.length === 0) throw rangeError('fit: the training set is empty');
    const epochs = posInt('fit.epochs', opts.epochs, 1);
    const batchSize = posInt('fit.batchSize', opts.batchSize, 64);
    const seed = (opts.seed ?? 0) >>> 0;
    const decay = numIn('fit.lrDecay', opts.lrDecay, 0, Infinity, 1);
    const budget = opts.timeBudgetMs;
    if (budget !== undefined && !(budget > 0)) throw rangeError(`fit.timeBudgetMs must be positive (got ${budget})`);
    const start = now();
    let steps = 0;
    let tokens = 0;
    let stopReason: Seq2SeqFitResult['stopReason'] = 'completed';
    let epoch = 0;
    let lastLoss = NaN;
    outer: for (; epoch < epochs; epoch++) {
      const batches = bucketBatches(pairs, batchSize, deriveSeed(seed, epoch));
      let sum = 0;
      let n = 0;
      for (let i = 0; i < batches.length; i++) {
        if (opts.signal?.aborted) {
          stopReason = 'aborted';
          break outer;
        }
        if (budget !== undefined && now() - start >= budget) {
          stopReason = 'timeBudget';
          break outer;
        }
        const r = this.trainStep(batches[i].map((k) => pairs[k]));
        steps++;
        tokens += r.tokens;
        sum += r.loss;
        n++;
        lastLoss = sum / n;
        const el = now() - start;
        opts.onProgress?.({
          type: 'step',
          epoch,
          batch: i,
          batchesPerEpoch: batches.length,
          step: steps,
          loss: r.loss,
          lr: r.lr,
          tokensPerSec: (tokens * 1000) / el,
          elapsedMs: el,
        });
        if (i % 8 === 7) await yieldNow();
      }
      const el = now() - start;
      const ev: Seq2SeqFitEvent = {
        type: 'epoch',
        epoch,
        batch: batches.length,
        batchesPerEpoch: batches.length,
        step: steps,
        loss: sum / n,
        lr: this.#lr,
        tokensPerSec: (tokens * 1000) / el,
        elapsedMs: el,
      };
      if (opts.validation) ev.validationLoss = this.evaluate(opts.validation, { batchSize }).loss;
      if (decay !== 1) this.learningRate = this.#lr * decay;
      opts.onProgress?.(ev);
      await yieldNow();
    }
    return { stopReason, epochs: epoch, steps, elapsedMs: now() - start, loss: lastLoss };
  }

  /** Teacher-forced mean loss per target token (EOS included), without updating. */
  evaluate(pairs: readonly Pair[], opts: { batchSize?: number } = {}): { loss: number; tokens: number } {
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
      const maxLength = posInt('decode.maxLength', opts.maxLength, 2 * Math.max(0, ...lengths) + 10);
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

  /** The model file: safetensors, format 'recurrent/1', architecture {kind: 'seq2seq', …};
   * `metadata` values are stored as JSON strings. */
  save(metadata: Record<string, unknown> = {}): Uint8Array {
    const meta: Record<string, string> = { format: FORMAT, architecture: JSON.stringify({ kind: 'seq2seq', ...this.config }), seed: String(this.seed) };
    for (const [k, v] of Object.entries(metadata)) {
      if (k in meta) throw optionError(`metadata key '${k}' is reserved`);
      meta[k] = JSON.stringify(v);
    }
    const tensors: [string, TensorIn][] = this.paramNames().map((n) => [n, { dtype: 'F32', shape: this.paramShape(n), data: this.getParam(n) }]);
    return encodeSafetensors(tensors, meta);
  }

  /** Rebuilds a model saved by `save`; returns it with the caller's metadata (parsed). */
  static load(bytes: Uint8Array): { model: Seq2SeqModel; metadata: Record<string, unknown> } {
    const f = decodeSafetensors(bytes);
    if (f.metadata.format !== FORMAT)
      throw formatError(
        f.metadata.format === undefined
          ? 'not a recurrent model file (no format in its metadata)'
          : `unsupported model format '${f.metadata.format}' (this version reads ${FORMAT})`,
      );
    let arch: Record<string, unknown>;
    try {
      arch = JSON.parse(f.metadata.architecture ?? 'null');
    } catch {
      throw formatError('metadata architecture is not valid JSON');
    }
    if (!arch || arch.kind !== 'seq2seq') throw formatError('not a seq2seq model file (architecture.kind is not "seq2seq")');
    const { kind: _kind, ...options } = arch;
    let model: Seq2SeqModel;
    try {
      model = Seq2SeqModel.create(options as unknown as Seq2SeqOptions, { seed: Number(f.metadata.seed ?? 0) });
    } catch (e) {
      throw formatError(`the model file's architecture is invalid: ${(e as Error).message}`);
    }
    try {
      const names = model.paramNames();
      for (const n of names) {
        const t = f.tensors.get(n);
        if (!t) throw formatError(`the model file lacks parameter ${n}`);
        const want = model.paramShape(n);
        if (t.dtype !== 'F32' || t.shape.join(',') !== want.join(','))
          throw formatError(`parameter ${n} has shape [${t.shape}] (${t.dtype}) in the file, [${want}] (F32) in the architecture`);
        model.setParam(n, t.data as Float32Array);
      }
      const extra = [...f.tensors.keys()].find((n) => !names.includes(n));
      if (extra) throw formatError(`the model file has a parameter ${extra} the architecture does not`);
    } catch (e) {
      model.free();
      throw e;
    }
    const metadata: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(f.metadata)) {
      if (k === 'format' || k === 'architecture' || k === 'seed') continue;
      try {
        metadata[k] = JSON.parse(v);
      } catch {
        throw formatError(`metadata '${k}' is not valid JSON`);
      }
    }
    return { model, metadata };
  }

  /** Releases the wasm memory (the model is unusable afterwards). */
  free(): void {
    this.#trainer?.free();
    this.#trainer = undefined;
    this.#core?.free();
    this.#core = undefined;
  }
}
