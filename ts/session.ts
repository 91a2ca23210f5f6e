// Session: one model (the sequential model or the encoder-decoder) with its vocabulary and
// training position, trained through the fit engine (fit.ts). It runs wherever it is
// created: in the calling thread (`createTrainer({ worker: false })`) or inside a worker
// (worker/worker.ts exposes one, with the replica protocol of parallel/replica-session.ts).
// What differs between model kinds is asked of the kind (model-kind.ts), never branched on here.

import type { CtcHypothesis } from './ctc.js';
import type { DataLike } from './data/source.js';
import { Vocabulary, type VocabularyJSON } from './data/vocab.js';
import { checkKeys, optionError, rangeError, stateError } from './errors.js';
import type { EvalResult, FitEvent, FitResult } from './events.js';
import { runFit } from './fit.js';
import { checkHooks, HookRunner, modelHooks } from './fit-hooks.js';
import { checkFitOptions } from './fit-options.js';
import type { GradientNorms } from './gradient-norms.js';
import type { TrainingState } from './io/checkpoint.js';
import { decodeSafetensors } from './io/safetensors.js';
import { type ImportWeightsOptions, stateDictParams } from './io/torch.js';
import { Seq2SeqKind } from './kinds/seq2seq.js';
import { SequentialKind } from './kinds/sequential.js';
import type { BatchInput, BatchTargets, Model } from './model.js';
import type { FitPlan, KindModel, LoadedKind, ModelKind } from './model-kind.js';
import type { DecodeOptions, Hypothesis, Pair, Seq2SeqSpecJSON } from './seq2seq.js';
import {
  type CtcDecodeCall,
  defineCalls,
  type GenerateOptions,
  type ModelInfo,
  type Plain,
  SETUP_CALLS,
  type SessionApi,
  type SessionFitOptions,
  type SetupCall,
} from './session-api.js';
import type { ModelSpecJSON } from './spec.js';
import { init, type KernelChoice, kernelBackend, type WasmSource } from './wasm.js';

/** The `kind` in a recurrent/1 file's architecture, without building anything. */
function fileKind(bytes: Uint8Array): string | undefined {
  try {
    const arch = JSON.parse(decodeSafetensors(bytes).metadata.architecture ?? 'null');
    return typeof arch?.kind === 'string' ? arch.kind : undefined;
  } catch {
    return undefined; // decodeCheckpoint reports what is wrong
  }
}

const isSeq2SeqSpec = (s: ModelSpecJSON | Seq2SeqSpecJSON): s is Seq2SeqSpecJSON => typeof s === 'object' && s !== null && 'kind' in s && s.kind === 'seq2seq';

/**
 * One model (the sequential model or the encoder-decoder) with its vocabulary and training
 * position, in the calling thread and synchronous where it can be. `createTrainer` runs one
 * (in this thread or in a worker) behind its async API; tasks and programs that want plain
 * calls use it directly: `build` or `load`, `compile`, `fit`, `evaluate`, `predict`, `save`.
 * @example
 * ```ts
 * const s = new Session(); // a model in this thread (createTrainer wraps one, in a worker or here)
 * s.build(sequential({ input: { vocab: 5 } }).embedding({ dim: 4 }).gru({ units: 8 }).dense({ units: 5 }).toJSON(), 1);
 * s.model.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
 * const again = new Session();
 * again.load(s.save());
 * console.log(again.info().paramCount);
 * again.dispose();
 * s.dispose();
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface declares the SETUP_CALLS methods (compile), which the static block defines
export class Session implements SessionApi {
  #kind: ModelKind | undefined;
  #vocab: Vocabulary | undefined;
  #training: TrainingState | undefined;
  #stop = false;
  #fitting = false;
  /** Set by dispose() during fit: the error the running fit ends with. */
  #cancel: Error | undefined;

  /** Loads the wasm core (a worker's first call); answers which kernels it runs. */
  async init(source?: WasmSource, kernels?: KernelChoice): Promise<string> {
    await init(source, { kernels });
    return kernelBackend();
  }

  /** The sequential model (E_STATE when the session holds the encoder-decoder). */
  get model(): Model {
    const m = this.#any().sequential;
    if (!m) throw stateError('this session holds an encoder-decoder; this call needs a sequential model');
    return m;
  }

  #any(): ModelKind {
    if (!this.#kind) throw stateError('no model yet: build() or load() one first');
    return this.#kind;
  }

  /** The attached vocabulary (`setVocabulary`, or from a loaded file). */
  get vocabulary(): Vocabulary | undefined {
    return this.#vocab;
  }

  /** Builds the sequential model from its JSON, or the encoder-decoder from
   * `{ kind: 'seq2seq', sourceVocab, targetVocab, … }`. */
  build(spec: ModelSpecJSON | Seq2SeqSpecJSON, seed = 0): ModelInfo {
    this.#guard('build');
    const kind = isSeq2SeqSpec(spec) ? Seq2SeqKind.create(spec, seed) : SequentialKind.create(spec, seed);
    this.#kind?.model.dispose();
    this.#kind = kind;
    this.#training = undefined;
    if (this.#vocab && kind.vocabSize !== this.#vocab.size) this.#vocab = undefined;
    return this.info();
  }

  static {
    // compile: the model's (either kind), between fits; the session answers nothing
    defineCalls(
      Session.prototype,
      SETUP_CALLS,
      (name) =>
        function (this: Session, ...args: unknown[]): void {
          this.#guard(name);
          const m = this.#any().model;
          Reflect.apply(m[name], m, args);
        },
    );
  }

  /** Attaches a vocabulary (saved with the model; its size must match the model's input.vocab, E_RANGE); undefined detaches it. */
  setVocabulary(v: Vocabulary | VocabularyJSON | undefined): void {
    if (v === undefined) {
      this.#vocab = undefined;
      return;
    }
    const voc = v instanceof Vocabulary ? v : Vocabulary.fromJSON(v);
    const size = this.#kind?.vocabSize;
    if (size !== undefined && size !== voc.size) throw rangeError(`the vocabulary has ${voc.size} symbols but the model's input.vocab is ${size}`);
    this.#vocab = voc;
  }

  /** The architecture, seed, parameters, vocabulary, compile options and training position. */
  info(): ModelInfo {
    const k = this.#any();
    const m = k.model;
    const i: ModelInfo = { spec: k.spec, seed: m.seed, paramCount: m.paramCount, paramNames: m.paramNames() };
    if (this.#vocab) i.vocabulary = this.#vocab.toJSON();
    if (m.compiled) i.compiled = { ...m.compiled };
    if (this.#training) i.training = { ...this.#training };
    return i;
  }

  #guard(what: string): void {
    if (this.#fitting) throw stateError(`${what}() cannot run while fit() is training; abort it first`);
  }

  /** Stops a running fit at the next batch boundary. */
  abort(): void {
    this.#stop = true;
  }

  /** One fit of the model on `data`, its kind's options checked (`fit`, and a data-parallel
   * replica's part of one). */
  protected fitPlan(data: DataLike | readonly Pair[], opts: SessionFitOptions, batchSize: number): FitPlan {
    this.#guard('fit');
    const k = this.#any();
    if (!k.model.compiled) throw stateError('call compile() before fit()');
    return k.plan(data, opts, batchSize);
  }

  /** The model it holds (E_STATE when none), whatever its kind. */
  protected get kindModel(): KindModel {
    return this.#any().model;
  }

  /** Sets the training position (a data-parallel coordinator's, before replica 0 saves; the
   * leader's live position while it runs a fit: parallel/lead.ts). Kept as given, not copied. */
  protected set training(pos: TrainingState | undefined) {
    this.#training = pos;
  }

  /** Trains through the fit engine. `emit` gets every event; `aborted` starts the run stopped
   * (an AbortSignal that fired before the call). */
  async fit(data: DataLike | readonly Pair[], opts: SessionFitOptions = {}, emit?: (e: FitEvent) => void | Promise<void>, aborted = false): Promise<FitResult> {
    this.#guard('fit');
    const kind = this.#any();
    const f = checkFitOptions(opts, kind.fitBatchSize, this.#training);
    const plan = this.fitPlan(data, opts, f.batchSize);
    const hooks = new HookRunner(
      checkHooks(opts.hooks, { hasValidation: opts.validation !== undefined, constantSchedule: kind.constantSchedule }),
      modelHooks(kind.model),
    );
    const pos = f.pos;
    this.#training = pos;
    this.#stop = aborted;
    this.#cancel = undefined;
    this.#fitting = true;
    try {
      return await runFit(plan.target(), pos, {
        epochs: f.epochs,
        timeBudgetMs: f.budget,
        emit,
        poll: () => this.#cancel ?? (this.#stop ? 'abort' : undefined),
        hooks,
      });
    } finally {
      this.#fitting = false;
    }
  }

  /** Mean loss (and bits per token, accuracy for classification) over a data set. */
  evaluate(data: DataLike | readonly Pair[], opts: { batchSize?: number } = {}): EvalResult {
    checkKeys('evaluate', opts, ['batchSize']);
    return this.#any().evaluate(data, opts);
  }

  /** The sequential model's outputs on a batch (see `Model.forward`). */
  predict(input: BatchInput): Float32Array {
    return this.model.forward(input);
  }

  /** Per-step gradient norms of the loss on one batch, no update (see `Model.gradientProfile`). */
  gradientProfile(input: BatchInput, targets: BatchTargets): GradientNorms[] {
    return this.model.gradientProfile(input, targets);
  }

  /** One streaming step with the carried state (see `Model.predictStep`). */
  predictStep(input: BatchInput): Float32Array {
    return this.model.predictStep(input);
  }

  /** CTC decoding (a model compiled with loss 'ctc'): label sequences per row, best first. */
  ctcDecode(input: BatchInput, opts?: CtcDecodeCall): CtcHypothesis[][] {
    return this.model.ctcDecode(input, opts);
  }

  /** Zeroes the state `predictStep` carries. */
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
    const m = this.#any().seq2seq;
    if (!m) throw stateError("decode() needs an encoder-decoder (build({ kind: 'seq2seq', … }))");
    return m.decode(sources, opts);
  }

  /** The model file (format recurrent/1). `training: true` (default) adds what resuming needs. */
  save(opts: { training?: boolean } = {}): Uint8Array {
    checkKeys('save', opts, ['training']);
    return this.#any().save({ vocabulary: this.#vocab?.toJSON(), training: this.#training }, opts.training ?? true);
  }

  /** Replaces the model (and vocabulary, training position) with one from a file `save` wrote. */
  load(bytes: Uint8Array): ModelInfo {
    this.#guard('load');
    const loaded: LoadedKind = fileKind(bytes) === 'seq2seq' ? Seq2SeqKind.load(bytes) : SequentialKind.load(bytes);
    this.#kind?.model.dispose();
    this.#kind = loaded.kind;
    this.#vocab = loaded.vocabulary;
    this.#training = loaded.training;
    return this.info();
  }

  /** Sets parameters from a plain safetensors file of PyTorch-named tensors (F32, F16, BF16 or
   * F64; e.g. `safetensors.torch.save_file(model.state_dict(), path)` of an equivalent PyTorch
   * model). Every parameter of the model must be present with its shape; a prefix such as
   * "model." can be stripped and module names mapped (io/torch.ts). Nothing changes unless the
   * whole file fits. */
  importWeights(
    bytes: Uint8Array,
    opts: ImportWeightsOptions = {},
  ): {
    /** The parameters set, by PyTorch name. */
    names: string[];
    /** The file's tensors skipped (`strict: false`). */
    skipped: string[];
  } {
    this.#guard('importWeights');
    const m = this.#any().model;
    const names = m.paramNames();
    const { params, skipped } = stateDictParams(bytes, opts, names, (n) => m.paramShape(n));
    for (const n of names) m.setParam(n, params.get(n)!);
    return { names, skipped };
  }

  /** Copies of every parameter, by PyTorch name. */
  getWeights(): Record<string, Float32Array> {
    const m = this.#any().model;
    return Object.fromEntries(m.paramNames().map((n) => [n, m.getParam(n)]));
  }

  /** Frees the model. A running fit stops at its next batch boundary and rejects (E_STATE). */
  dispose(): void {
    if (this.#fitting) this.#cancel = stateError('the trainer was disposed during fit()');
    this.#kind?.model.dispose();
    this.#kind = undefined;
  }
}

/** The SETUP_CALLS methods (compile), defined by Session's static block. */
export interface Session extends Pick<Plain<SessionApi>, SetupCall> {}
