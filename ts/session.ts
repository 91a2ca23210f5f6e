// Session: one model (the sequential model or the encoder-decoder) with its vocabulary and
// training position, trained through the fit engine (fit.ts). It runs wherever it is
// created: in the calling thread (`createTrainer({ worker: false })`) or inside a worker
// (worker/worker.ts exposes one through comlink).

import { fittingParts } from './batch-split.js';
import type { CtcHypothesis } from './ctc.js';
import { asDataSpec, batchesPerEpoch, type DataLike, type DataSpec, epochOrder, type ModelShape, makeBatch, type TrainBatch } from './data/source.js';
import { Vocabulary, type VocabularyJSON } from './data/vocab.js';
import { checkKeys, formatError, numIn, optionError, posInt, RecurrentTypeError, rangeError, stateError } from './errors.js';
import type { EvalResult, FitEvent, FitResult } from './events.js';
import { type FitTarget, runFit, startPosition } from './fit.js';
import { checkTrainingState, decodeCheckpoint, encodeCheckpoint, type TrainingState, trainingForFile } from './io/checkpoint.js';
import { decodeSafetensors } from './io/safetensors.js';
import { type ImportWeightsOptions, stateDictParams } from './io/torch.js';
import { type BatchInput, type CompileOptions, Model } from './model.js';
import { Replica, type ShardResult } from './parallel/replica.js';
import { seq2seqShard } from './parallel/seq2seq-shard.js';
import { sequentialShard } from './parallel/sequential-shard.js';
import { shardRange } from './parallel/shards.js';
import { restoreParams } from './params.js';
import { type DecodeOptions, type Hypothesis, type Pair, type Seq2SeqCompileOptions, Seq2SeqModel, type Seq2SeqSpecJSON, seq2seqTarget } from './seq2seq.js';
import type { ModelSpecJSON } from './spec.js';
import { init, type KernelChoice, kernelBackend, type WasmSource } from './wasm.js';

/**
 * Options of `Trainer.fit` (for the sequential model and the encoder-decoder alike, except
 * where a field says otherwise). An unknown key or an option that does not apply to the model
 * is E_OPTION; a bad number is E_RANGE.
 */
export interface FitOptions {
  /** Train until this many epochs are done (counting the epochs of a resumed run). @default 1 */
  epochs?: number;
  /** Examples (windows, sequences, or pairs for the encoder-decoder) per batch; the epoch's last
   * batch may be smaller. A resumed run must use the batch size it was trained with (E_OPTION).
   * @default 32 for the sequential model, 64 for the encoder-decoder */
  batchSize?: number;
  /** Sequential model: shuffle examples each epoch (seeded by `seed`); windows are drawn at
   * random offsets. false keeps the data's order. @default true */
  shuffle?: boolean;
  /** Seed of the data order (the shuffle and the window offsets); the weights' seed is `build`'s. @default 0 */
  seed?: number;
  /** Sequential token model with a per-step output: truncated BPTT, training each batch in
   * windows of this many steps with the state carried between them (one optimizer update per
   * window). @default none: back-propagation through each whole batch */
  tbptt?: { window: number };
  /** Evaluated at the end of every epoch (pairs for the encoder-decoder); the result is the
   * epoch event's `validation`. @default none */
  validation?: DataLike | readonly Pair[];
  /** Encoder-decoder: multiply the learning rate by this after every epoch (the sequential
   * model has compile({ schedule }) instead: E_OPTION). @default 1 */
  lrDecay?: number;
  /** Stop (at a batch boundary) once training has taken this long, in milliseconds; the run
   * resolves with `stopReason: 'timeBudget'`. Must be positive (E_RANGE). @default no budget */
  timeBudgetMs?: number;
  /** Continue from the saved training position (epoch, batch, counters: `info().training`, kept
   * by the trainer and by a file saved with training state) instead of epoch 0. @default false */
  resume?: boolean;
  /** Stops training within one batch; the run resolves with `stopReason: 'aborted'` and the model stays valid. */
  signal?: AbortSignal;
  /** Called with every step and epoch event (the same events the {@link FitRun} yields); one
   * that throws stops the run, which rejects with its error. */
  onProgress?: (e: FitEvent) => void;
}

/**
 * Options of `Trainer.generate` (sampling from a token model whose last layer is a per-step
 * dense over the vocabulary). Sampling runs entirely inside the wasm core: the prompt is fed
 * from a zero state, then each sampled id is fed back. Bad values are E_RANGE.
 */
export interface GenerateOptions {
  /** Ids (or symbols, for a text prompt) to produce after the prompt, at most 10,000,000. @default 100 */
  maxTokens?: number;
  /** Softmax temperature, ≥ 0: 0 = greedy (the most likely id each step), below 1 sharper, above 1 flatter. @default 1 */
  temperature?: number;
  /** Sample among the k most likely ids only; 0 = no cut. @default 0 */
  topK?: number;
  /** Nucleus sampling: among the smallest set of most likely ids whose probability reaches p, in (0, 1]; 1 = no cut. @default 1 */
  topP?: number;
  /** Seed of the sampler: the same seed, prompt and weights give the same output. @default 0 */
  seed?: number;
}

/** What a session holds: `spec` is the sequential model's architecture or the encoder-decoder's
 * `{ kind: 'seq2seq', … }` (narrow with `'layers' in info.spec`). */
export interface ModelInfo<S extends ModelSpecJSON | Seq2SeqSpecJSON = ModelSpecJSON | Seq2SeqSpecJSON> {
  /** The architecture: the sequential model's JSON (input, layers) or the encoder-decoder's `{ kind: 'seq2seq', … }`. */
  spec: S;
  /** The seed the weights were initialised with (`build`'s `seed`, or the one in a loaded file). */
  seed: number;
  /** Trainable scalars in all the parameters. */
  paramCount: number;
  /** The parameters' names (PyTorch's: `rnn.weight_ih_l0`, `head.bias`, …), in the model's order (that of `getWeights`). */
  paramNames: string[];
  /** The attached vocabulary (`setVocabulary`, or from a loaded file); absent when there is none. */
  vocabulary?: VocabularyJSON;
  /** The options of the last `compile` (or of a loaded resumable file); absent before compile. */
  compiled?: CompileOptions | Seq2SeqCompileOptions;
  /** The training position (epoch, next batch, steps, tokens, time, data seed) after a `fit` or
   * from a file saved with training state: what `fit({ resume: true })` continues from. Absent before. */
  training?: TrainingState;
}

/** Fit options that cross to a worker (the signal and the callback stay with the caller). */
export type SessionFitOptions = Omit<FitOptions, 'signal' | 'onProgress'>;
const SESSION_FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'seed', 'tbptt', 'validation', 'timeBudgetMs', 'resume', 'lrDecay'];
export const FIT_OPTION_KEYS: readonly string[] = [...SESSION_FIT_KEYS, 'signal', 'onProgress'];

/** The sequential model as the fit engine drives it: `batches(epoch, seed)` gives the
 * epoch's batch maker (called once per epoch, in order); the schedule advances after every
 * epoch unless `schedule: false`; `window` > 0 trains with truncated BPTT. */
export function sequentialTarget(
  model: Model,
  o: {
    batchesPerEpoch: number;
    batches(epoch: number, seed: number): (i: number) => TrainBatch;
    window?: number;
    validate?: () => EvalResult;
    schedule?: boolean;
  },
): FitTarget {
  const window = o.window ?? 0;
  return {
    batchesPerEpoch: o.batchesPerEpoch,
    bits: model.compiled?.loss !== 'mse',
    epoch(epoch, seed) {
      const batch = o.batches(epoch, seed);
      return {
        batches: o.batchesPerEpoch,
        train(i) {
          const b = batch(i);
          if (window > 0) {
            const rs = model.trainTbptt({ ids: b.input.ids, batch: b.input.batch, steps: b.input.steps }, { classes: b.targets.classes }, window);
            const last = rs[rs.length - 1];
            return { loss: rs.reduce((a, r) => a + r.loss, 0) / rs.length, gradNorm: last.gradNorm, lr: last.lr, updates: rs.length, tokens: b.tokens };
          }
          const r = model.trainStep(b.input, b.targets);
          return { ...r, updates: 1, tokens: b.tokens };
        },
      };
    },
    validate: o.validate,
    endEpoch: () => {
      if (o.schedule ?? true) model.scheduleStep();
    },
  };
}

/** Loss sums over part of a data set (Session.evaluate, and each replica's part of a
 * data-parallel validation). */
export interface ScorePart {
  sum: number;
  count: number;
  /** Rows whose top-1 class is right (absent: no accuracy, as for the encoder-decoder). */
  correct?: number;
  crossEntropy: boolean;
}

/** The evaluation result of score parts, summed in order. */
export function scoreResult(parts: ScorePart | readonly ScorePart[]): EvalResult {
  const ps = Array.isArray(parts) ? parts : [parts as ScorePart];
  let sum = 0;
  let count = 0;
  let correct = 0;
  for (const p of ps) {
    sum += p.sum;
    count += p.count;
    correct += p.correct ?? 0;
  }
  if (count === 0) throw rangeError('evaluate: the data set has no rows to score');
  const res: EvalResult = { loss: sum / count, count };
  if (ps[0].crossEntropy) {
    res.bitsPerToken = res.loss / Math.LN2;
    if (ps[0].correct !== undefined) res.accuracy = correct / count;
  }
  return res;
}

/** The `kind` in a recurrent/1 file's architecture, without building anything. */
function fileKind(bytes: Uint8Array): string | undefined {
  try {
    const arch = JSON.parse(decodeSafetensors(bytes).metadata.architecture ?? 'null');
    return typeof arch?.kind === 'string' ? arch.kind : undefined;
  } catch {
    return undefined; // decodeCheckpoint reports what is wrong
  }
}

const isSeq2SeqSpec = (s: ModelSpecJSON | Seq2SeqSpecJSON): s is Seq2SeqSpecJSON => (s as { kind?: unknown })?.kind === 'seq2seq';

export class Session {
  #model: Model | Seq2SeqModel | undefined;
  #vocab: Vocabulary | undefined;
  #training: TrainingState | undefined;
  #stop = false;
  #fitting = false;
  /** Set by dispose() during fit: the error the running fit ends with. */
  #cancel: Error | undefined;
  /** This session's part in a data-parallel fit (parallel/coordinator.ts drives it). */
  #replica: Replica | undefined;

  /** Loads the wasm core (a worker's first call); answers which kernels it runs. */
  async init(source?: WasmSource, kernels?: KernelChoice): Promise<string> {
    await init(source, { kernels });
    return kernelBackend();
  }

  /** The sequential model (E_STATE when the session holds the encoder-decoder). */
  get model(): Model {
    const m = this.#any();
    if (!(m instanceof Model)) throw stateError('this session holds an encoder-decoder; this call needs a sequential model');
    return m;
  }

  #any(): Model | Seq2SeqModel {
    if (!this.#model) throw stateError('no model yet: build() or load() one first');
    return this.#model;
  }

  #seq2seq(what: string): Seq2SeqModel {
    const m = this.#any();
    if (!(m instanceof Seq2SeqModel)) throw stateError(`${what}() needs an encoder-decoder (build({ kind: 'seq2seq', … }))`);
    return m;
  }

  get vocabulary(): Vocabulary | undefined {
    return this.#vocab;
  }

  /** Builds the sequential model from its JSON, or the encoder-decoder from
   * `{ kind: 'seq2seq', sourceVocab, targetVocab, … }`. */
  build(spec: ModelSpecJSON | Seq2SeqSpecJSON, seed = 0): ModelInfo {
    this.#guard('build');
    let m: Model | Seq2SeqModel;
    if (isSeq2SeqSpec(spec)) {
      const { kind: _kind, ...options } = spec;
      m = Seq2SeqModel.create(options, { seed });
    } else {
      m = Model.fromSpec(spec, seed);
    }
    this.#model?.dispose();
    this.#model = m;
    this.#training = undefined;
    if (this.#vocab && !(m instanceof Model && m.vocabSize === this.#vocab.size)) this.#vocab = undefined;
    return this.info();
  }

  compile(opts: CompileOptions | Seq2SeqCompileOptions): void {
    this.#guard('compile');
    const m = this.#any();
    if (m instanceof Model) m.compile(opts as CompileOptions);
    else m.compile(opts as Seq2SeqCompileOptions);
  }

  setVocabulary(v: Vocabulary | VocabularyJSON | undefined): void {
    if (v === undefined) {
      this.#vocab = undefined;
      return;
    }
    const voc = v instanceof Vocabulary ? v : Vocabulary.fromJSON(v);
    const m = this.#model;
    if (m instanceof Model && m.vocabSize !== undefined && m.vocabSize !== voc.size)
      throw rangeError(`the vocabulary has ${voc.size} symbols but the model's input.vocab is ${m.vocabSize}`);
    this.#vocab = voc;
  }

  info(): ModelInfo {
    const m = this.#any();
    const spec = m instanceof Model ? m.spec : ({ kind: 'seq2seq', ...m.config } as Seq2SeqSpecJSON);
    const i: ModelInfo = { spec, seed: m.seed, paramCount: m.paramCount, paramNames: m.paramNames() };
    if (this.#vocab) i.vocabulary = this.#vocab.toJSON();
    if (m.compiled) i.compiled = { ...m.compiled };
    if (this.#training) i.training = { ...this.#training };
    return i;
  }

  #guard(what: string): void {
    if (this.#fitting) throw stateError(`${what}() cannot run while fit() is training; abort it first`);
  }

  #shape(): ModelShape {
    const m = this.model;
    const input = m.spec.input;
    return { featureDim: 'features' in input ? input.features : undefined, seqOutput: m.outputIsSequence, outDim: m.outputDim };
  }

  /** Stops a running fit at the next batch boundary. */
  abort(): void {
    this.#stop = true;
  }

  /** Trains through the fit engine. `emit` gets every event; `aborted` starts the run stopped
   * (an AbortSignal that fired before the call). */
  async fit(data: DataLike | readonly Pair[], opts: SessionFitOptions = {}, emit?: (e: FitEvent) => void | Promise<void>, aborted = false): Promise<FitResult> {
    checkKeys('fit', opts, SESSION_FIT_KEYS);
    this.#guard('fit');
    const m = this.#any();
    if (!m.compiled) throw stateError('call compile() before fit()');
    const epochs = posInt('fit.epochs', opts.epochs, 1);
    const batchSize = posInt('fit.batchSize', opts.batchSize, m instanceof Model ? 32 : 64);
    const budget = opts.timeBudgetMs;
    if (budget !== undefined && !(budget > 0)) throw rangeError(`fit.timeBudgetMs must be positive (got ${budget})`);
    const seed = (opts.seed ?? 0) >>> 0;
    const resumed = opts.resume && this.#training ? this.#training : undefined;
    if (resumed && resumed.batchSize !== undefined && resumed.batchSize !== batchSize)
      throw optionError(`fit.resume: the run was trained with batchSize ${resumed.batchSize}; resume it with the same batchSize (got ${batchSize})`);
    const target =
      m instanceof Model ? this.#sequentialTarget(m, data as DataLike, opts, batchSize) : this.#seq2seqTarget(m, data as readonly Pair[], opts, batchSize);
    const pos: TrainingState = resumed ? { ...resumed } : { ...startPosition(seed), batchSize };
    this.#training = pos;
    this.#stop = aborted;
    this.#cancel = undefined;
    this.#fitting = true;
    try {
      return await runFit(target, pos, { epochs, timeBudgetMs: budget, emit, poll: () => this.#cancel ?? (this.#stop ? 'abort' : undefined) });
    } finally {
      this.#fitting = false;
    }
  }

  /** The sequential model's fit options, checked: the data, validation data and tbptt window. */
  #sequentialOptions(model: Model, data: DataLike, opts: SessionFitOptions): { spec: DataSpec; val?: DataSpec; window: number } {
    const spec = asDataSpec(data);
    const val = opts.validation === undefined ? undefined : asDataSpec(opts.validation as DataLike);
    const window = opts.tbptt === undefined ? 0 : posInt('fit.tbptt.window', opts.tbptt.window);
    if (opts.tbptt !== undefined) {
      checkKeys('fit.tbptt', opts.tbptt, ['window']);
      if (!model.isTokenModel || !model.outputIsSequence) throw optionError('fit.tbptt needs a token model with a per-step output');
    }
    if (opts.lrDecay !== undefined) throw optionError('fit.lrDecay applies to the encoder-decoder; use compile({ schedule }) for this model');
    return { spec, val, window };
  }

  /** The encoder-decoder's fit options, checked: the validation pairs and the decay. */
  #seq2seqOptions(pairs: readonly Pair[], opts: SessionFitOptions): { val?: readonly Pair[]; decay: number } {
    if (!Array.isArray(pairs)) throw optionError('the encoder-decoder trains on an array of { source, target } pairs');
    if (pairs.length === 0) throw rangeError('fit: the training set is empty');
    if (opts.tbptt !== undefined || opts.shuffle !== undefined) throw optionError('fit.tbptt and fit.shuffle apply to the sequential model');
    const val = opts.validation as readonly Pair[] | undefined;
    if (val !== undefined && (!Array.isArray(val) || val.length === 0)) throw optionError('fit.validation must be a non-empty array of pairs');
    return { val, decay: numIn('fit.lrDecay', opts.lrDecay, 0, Number.POSITIVE_INFINITY, 1) };
  }

  #sequentialTarget(model: Model, data: DataLike, opts: SessionFitOptions, batchSize: number): FitTarget {
    const { spec, val, window } = this.#sequentialOptions(model, data, opts);
    const shuffle = opts.shuffle ?? true;
    const shape = this.#shape();
    return sequentialTarget(model, {
      batchesPerEpoch: batchesPerEpoch(spec, batchSize),
      batches(epoch, seed) {
        const order = epochOrder(spec, epoch, shuffle, seed);
        return (i) => makeBatch(spec, order, i, batchSize, shape);
      },
      window,
      validate: val && (() => this.evaluate(val, { batchSize })),
    });
  }

  #seq2seqTarget(model: Seq2SeqModel, pairs: readonly Pair[], opts: SessionFitOptions, batchSize: number): FitTarget {
    const { val, decay } = this.#seq2seqOptions(pairs, opts);
    return seq2seqTarget(model, pairs, { batchSize, decay, validate: val && (() => this.evaluate(val, { batchSize })) });
  }

  /** Data-parallel training (parallel/coordinator.ts): makes this session replica `w` of `n`
   * for one fit of its model on `data` (the sequential model's data, or the encoder-decoder's
   * pairs; checked as `fit` checks them). Returns the batches per epoch and whether losses are
   * cross-entropies. */
  replicaBegin(
    data: DataLike | readonly Pair[],
    opts: Pick<SessionFitOptions, 'shuffle' | 'validation' | 'tbptt' | 'lrDecay'> & { batchSize: number },
    w: number,
    n: number,
    shared?: SharedArrayBuffer,
  ): { batchesPerEpoch: number; bits: boolean } {
    this.#guard('fit');
    const m = this.#any();
    if (!m.compiled) throw stateError('call compile() before fit()');
    const batchSize = opts.batchSize;
    if (m instanceof Seq2SeqModel) {
      const pairs = data as readonly Pair[];
      const { val, decay } = this.#seq2seqOptions(pairs, opts);
      this.#replica = new Replica(seq2seqShard(m, { pairs, batchSize, decay, w, n }), {
        w,
        n,
        shared,
        validate: val && (() => this.#scoreSeq2Seq(m, val, batchSize, w, n)),
      });
      return { batchesPerEpoch: Math.ceil(pairs.length / batchSize), bits: true };
    }
    const { spec, val, window } = this.#sequentialOptions(m, data as DataLike, opts);
    const shard = sequentialShard(m, { spec, shape: this.#shape(), batchSize, shuffle: opts.shuffle ?? true, window, w, n });
    this.#replica = new Replica(shard, { w, n, shared, validate: val && (() => this.#score(val, batchSize, w, n)) });
    return { batchesPerEpoch: batchesPerEpoch(spec, batchSize), bits: m.compiled.loss !== 'mse' };
  }
  #needReplica(): Replica {
    if (!this.#replica) throw stateError('this session is not a data-parallel replica (replicaBegin first)');
    return this.#replica;
  }
  replicaGrad(epoch: number, seed: number, i: number, step: number, window = 0): ShardResult {
    return this.#needReplica().grad(epoch, seed, i, step, window);
  }
  replicaApply(grads?: Float32Array): { gradNorm: number; lr: number } {
    return this.#needReplica().apply(grads);
  }
  replicaValidate(): ScorePart | undefined {
    return this.#needReplica().validate();
  }
  replicaEndEpoch(): void {
    this.#needReplica().endEpoch();
  }
  replicaEnd(): void {
    this.#replica?.end();
    this.#replica = undefined;
  }
  /** Sets the training position a saved file carries (the coordinator's, on replica 0). */
  setTrainingState(pos: TrainingState | undefined): void {
    this.#training = pos && { ...pos };
  }

  /** Mean loss (and bits per token, accuracy for classification) over a data set. */
  evaluate(data: DataLike | readonly Pair[], opts: { batchSize?: number } = {}): EvalResult {
    checkKeys('evaluate', opts, ['batchSize']);
    const any = this.#any();
    if (any instanceof Seq2SeqModel) {
      const r = any.evaluate(data as readonly Pair[], { batchSize: posInt('evaluate.batchSize', opts.batchSize, 128) });
      return { loss: r.loss, bitsPerToken: r.loss / Math.LN2, count: r.tokens };
    }
    const batchSize = posInt('evaluate.batchSize', opts.batchSize, 32);
    const p = this.#score(asDataSpec(data as DataLike), batchSize, 0, 1);
    return scoreResult(p);
  }

  /** The encoder-decoder's loss sums over pairs [⌊w·P/n⌋, ⌊(w+1)·P/n⌋) of `pairs` (part w of n). */
  #scoreSeq2Seq(model: Seq2SeqModel, pairs: readonly Pair[], batchSize: number, w: number, n: number): ScorePart {
    const [lo, hi] = shardRange(pairs.length, w, n);
    if (hi <= lo) return { sum: 0, count: 0, crossEntropy: true };
    const r = model.evaluate(pairs.slice(lo, hi), { batchSize });
    return { sum: r.loss * r.tokens, count: r.tokens, crossEntropy: true };
  }

  /** Loss sums over batches [⌊w·nb/n⌋, ⌊(w+1)·nb/n⌋) of `spec` (part w of n; all for 0 of 1). */
  #score(spec: DataSpec, batchSize: number, w: number, n: number): ScorePart {
    const model = this.model;
    const loss = model.compiled?.loss ?? (model.isTokenModel ? 'crossEntropy' : 'mse');
    const order = epochOrder(spec.kind === 'windows' ? { ...spec, random: false } : spec, 0, false, 0);
    const evalSpec: DataSpec = spec.kind === 'windows' ? { ...spec, random: false } : spec;
    const shape = this.#shape();
    let sum = 0;
    let count = 0;
    let correct = 0;
    const nb = Math.ceil(order.length / batchSize);
    const [lo, hi] = shardRange(nb, w, n);
    for (let i = lo; i < hi; i++) {
      // a batch above the per-call limit is scored in parts of whole rows (not CTC: its targets are label sequences)
      const max = loss === 'ctc' ? Number.POSITIVE_INFINITY : model.maxBatchSteps;
      for (const b of fittingParts(makeBatch(evalSpec, order, i, batchSize, shape), max, model.outputIsSequence)) {
        const out = model.forward(b.input);
        const r = model.loss(b.targets, { loss });
        sum += r.loss * r.count;
        count += r.count;
        if (loss === 'crossEntropy' && b.targets.classes) {
          const v = model.outputDim;
          const cls = b.targets.classes;
          const lens = b.input.lengths;
          for (let row = 0; row < cls.length; row++) {
            const target = cls[row];
            if (target < 0) continue;
            if (lens && model.outputIsSequence && row % b.input.steps >= lens[Math.floor(row / b.input.steps)]) continue;
            let best = 0;
            for (let k = 1; k < v; k++) if (out[row * v + k] > out[row * v + best]) best = k;
            if (best === target) correct++;
          }
        }
      }
    }
    return { sum, count, correct, crossEntropy: loss === 'crossEntropy' };
  }

  predict(input: BatchInput): Float32Array {
    return this.model.forward(input);
  }

  predictStep(input: BatchInput): Float32Array {
    return this.model.predictStep(input);
  }

  /** CTC decoding (a model compiled with loss 'ctc'): label sequences per row, best first. */
  ctcDecode(input: BatchInput, opts?: { beam?: number; nBest?: number }): CtcHypothesis[][] {
    return this.model.ctcDecode(input, opts);
  }

  resetState(): void {
    this.model.resetState();
  }

  /** Text after `prompt` (needs a vocabulary), or ids after an id prompt. */
  generate(prompt: string | ArrayLike<number>, opts: GenerateOptions = {}): string | Uint32Array {
    const m = this.model;
    if (typeof prompt === 'string') {
      const v = this.#vocab;
      if (!v) throw optionError('generate with a text prompt needs a vocabulary (setVocabulary)');
      const ids = v.encode(prompt);
      if (ids.length === 0) throw rangeError('the prompt must hold at least one symbol');
      return v.decode(m.generateIds(ids, opts));
    }
    return m.generateIds(prompt, opts);
  }

  /** Encoder-decoder: the nBest hypotheses of each source, best first. */
  decode(sources: readonly ArrayLike<number>[], opts?: DecodeOptions): Hypothesis[][] {
    return this.#seq2seq('decode').decode(sources, opts);
  }

  /** The model file (format recurrent/1). `training: true` (default) adds what resuming needs. */
  save(opts: { training?: boolean } = {}): Uint8Array {
    checkKeys('save', opts, ['training']);
    const any = this.#any();
    const withTraining = opts.training ?? true;
    if (any instanceof Seq2SeqModel) {
      const meta: Record<string, unknown> = {};
      if (this.#vocab) meta.vocabulary = this.#vocab.toJSON();
      if (withTraining && this.#training) meta.training = trainingForFile(this.#training);
      return any.save(meta, { training: withTraining });
    }
    const m = any;
    return encodeCheckpoint({
      spec: m.spec,
      seed: m.seed,
      params: m.paramNames().map((name) => ({ name, shape: m.paramShape(name), data: m.getParam(name) })),
      vocabulary: this.#vocab?.toJSON(),
      compile: withTraining ? m.compiled : undefined,
      training: withTraining && this.#training ? { ...this.#training } : undefined,
      optimizerState: withTraining ? m.getOptimizerState() : undefined,
      rngState: withTraining ? m.getRngState() : undefined,
    });
  }

  load(bytes: Uint8Array): ModelInfo {
    this.#guard('load');
    if (fileKind(bytes) === 'seq2seq') return this.#loadSeq2Seq(bytes);
    const s = decodeCheckpoint(bytes);
    let m: Model;
    try {
      m = Model.fromSpec(s.spec, s.seed);
    } catch (e) {
      throw formatError(`the model file's architecture is invalid: ${(e as Error).message}`);
    }
    try {
      restoreParams(m, new Map(s.params.map((p) => [p.name, p])), { file: 'the model file' });
      const vocab = s.vocabulary ? Vocabulary.fromJSON(s.vocabulary) : undefined;
      if (vocab && m.vocabSize !== undefined && vocab.size !== m.vocabSize)
        throw formatError(`the file's vocabulary has ${vocab.size} symbols, its model ${m.vocabSize}`);
      if (s.compile) {
        m.compile(s.compile);
        if (s.optimizerState) m.setOptimizerState(s.optimizerState);
      }
      if (s.rngState) m.setRngState(s.rngState);
      this.#model?.dispose();
      this.#model = m;
      this.#vocab = vocab;
      this.#training = s.training ? { ...s.training } : undefined;
    } catch (e) {
      m.dispose();
      if (e instanceof RecurrentTypeError && e.code === 'E_FORMAT') throw e;
      throw formatError(`the model file is inconsistent: ${(e as Error).message}`);
    }
    return this.info();
  }

  #loadSeq2Seq(bytes: Uint8Array): ModelInfo {
    const { model, metadata } = Seq2SeqModel.load(bytes);
    try {
      const vocab = metadata.vocabulary === undefined ? undefined : Vocabulary.fromJSON(metadata.vocabulary as VocabularyJSON);
      const training = checkTrainingState(metadata.training);
      this.#model?.dispose();
      this.#model = model;
      this.#vocab = vocab;
      this.#training = training;
    } catch (e) {
      model.dispose();
      throw (e as { code?: string }).code === 'E_FORMAT' ? e : formatError(`the model file is inconsistent: ${(e as Error).message}`);
    }
    return this.info();
  }

  /** Sets parameters from a plain safetensors file of PyTorch-named tensors (F32, F16, BF16 or
   * F64; e.g. `safetensors.torch.save_file(model.state_dict(), path)` of an equivalent PyTorch
   * model). Every parameter of the model must be present with its shape; a prefix such as
   * "model." can be stripped and module names mapped (io/torch.ts). Nothing changes unless the
   * whole file fits. */
  importWeights(bytes: Uint8Array, opts: ImportWeightsOptions = {}): string[] {
    this.#guard('importWeights');
    const m = this.#any();
    const names = m.paramNames();
    const w = stateDictParams(bytes, opts, names, (n) => m.paramShape(n));
    for (const n of names) m.setParam(n, w.get(n)!);
    return names;
  }

  getWeights(): Record<string, Float32Array> {
    const m = this.#any();
    return Object.fromEntries(m.paramNames().map((n) => [n, m.getParam(n)]));
  }

  /** Frees the model. A running fit stops at its next batch boundary and rejects (E_STATE). */
  dispose(): void {
    if (this.#fitting) this.#cancel = stateError('the trainer was disposed during fit()');
    this.#model?.dispose();
    this.#model = undefined;
  }
}
