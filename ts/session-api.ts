// The session's interface: what a trainer can ask of the model it drives, written once.
// `Session` (one model in this thread, or inside a worker) and the data-parallel coordinator
// (parallel/coordinator.ts) both implement it, checked by the compiler; `Trainer` reaches
// either through comlink's `Remote<SessionApi>` (worker/link.ts), so a method that exists in one
// mode exists in all. Answers may be plain values (the in-thread Session) or promises (the
// coordinator); through the link every answer is a promise.
import type { CtcHypothesis } from './ctc.js';
import type { DataLike } from './data/source.js';
import type { VocabularyJSON } from './data/vocab.js';
import type { EvalResult, FitEvent, FitResult } from './events.js';
import type { FitHooks } from './fit-hooks.js';
import type { GradientNorms } from './gradient-norms.js';
import type { TrainingState } from './io/checkpoint.js';
import type { ImportWeightsOptions } from './io/torch.js';
import type { BatchInput, BatchTargets, CompileOptions } from './model.js';
import type { DecodeOptions, Hypothesis, Pair, Seq2SeqCompileOptions, Seq2SeqSpecJSON } from './seq2seq.js';
import type { ModelSpecJSON } from './spec.js';
import type { KernelChoice, WasmSource } from './wasm.js';

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
  tbptt?: {
    /** Steps per truncated window. */
    window: number;
  };
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
  /** Epoch-end hooks: keep the best weights by a metric, stop early, lower the learning rate
   * on a plateau (Keras / TF.js callbacks; see {@link FitHooks}). @default none */
  hooks?: FitHooks;
  /** Called with every step and epoch event (the same events the {@link FitRun} yields); one
   * that throws (or whose promise rejects) stops the run, which rejects with its error. A
   * promise it returns for an epoch event is awaited before training goes on, so it may read
   * or save the model there. */
  onProgress?: (e: FitEvent) => unknown;
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
/** The keys of {@link SessionFitOptions}. */
export const SESSION_FIT_KEYS: readonly string[] = [
  'epochs',
  'batchSize',
  'shuffle',
  'seed',
  'tbptt',
  'validation',
  'timeBudgetMs',
  'resume',
  'lrDecay',
  'hooks',
];
export const FIT_OPTION_KEYS: readonly string[] = [...SESSION_FIT_KEYS, 'signal', 'onProgress'];

/** A value, or a promise of it (the in-thread Session answers plainly, the coordinator asynchronously). */
export type Answer<T> = T | Promise<T>;

/** Methods of `T` as the in-thread Session has them: each answers its value, not a promise. */
export type Plain<T> = { [K in keyof T]: T[K] extends (...a: infer A) => Answer<infer R> ? (...a: A) => R : T[K] };

/**
 * The SessionApi methods that set how the model trains: refused while `fit` runs (E_STATE),
 * passed to the model whatever its kind (`compile`: trainable-model.ts), or to every
 * data-parallel replica, and answering nothing. The Session and the coordinator define them
 * from this list (`defineCalls`), so neither writes them out.
 */
export const SETUP_CALLS = ['compile'] as const satisfies readonly (keyof SessionApi)[];
/** A name in {@link SETUP_CALLS}. */
export type SetupCall = (typeof SETUP_CALLS)[number];

/** Defines each method in `names` on a class's prototype as `method(name)` (methods written once
 * for a list of names; their types come from an interface merged with the class). */
export function defineCalls<N extends string>(proto: object, names: readonly N[], method: (name: N) => (...args: never[]) => unknown): void {
  for (const name of names) Object.defineProperty(proto, name, { configurable: true, writable: true, value: method(name) });
}

/** The CTC decoding options (see `Model.ctcDecode`). */
export interface CtcDecodeCall {
  /** Prefix beam width (1 = greedy). @default 1 */
  beam?: number;
  /** Hypotheses per row. @default 1 */
  nBest?: number;
}

/** What a trainer asks of its session, in every mode (in this thread, one worker, N workers). */
export interface SessionApi {
  /** Loads the wasm core (a worker's first call); answers which kernels it runs. */
  init(source?: WasmSource, kernels?: KernelChoice): Answer<string>;
  /** Builds the sequential model from its JSON, or the encoder-decoder from `{ kind: 'seq2seq', … }`. */
  build(spec: ModelSpecJSON | Seq2SeqSpecJSON, seed?: number): Answer<ModelInfo>;
  /** Loss, optimizer, clipping, schedule (Seq2SeqCompileOptions for the encoder-decoder). */
  compile(opts: CompileOptions | Seq2SeqCompileOptions): Answer<void>;
  /** Attaches a vocabulary (undefined removes it). */
  setVocabulary(v: VocabularyJSON | undefined): Answer<void>;
  /** The model's architecture, seed, parameter count and names, and (when present) its
   * vocabulary, compile options and training position. E_STATE before `build` or `load`. */
  info(): Answer<ModelInfo>;
  /** Stops a running fit at the next batch boundary. */
  abort(): Answer<void>;
  /** Trains through the fit engine; `emit` gets every event; `aborted` starts the run stopped. */
  fit(data: DataLike | readonly Pair[], opts?: SessionFitOptions, emit?: (e: FitEvent) => void | Promise<void>, aborted?: boolean): Answer<FitResult>;
  /** The mean loss (and bits per token, accuracy) over a data set, without training. */
  evaluate(data: DataLike | readonly Pair[], opts?: { batchSize?: number }): Answer<EvalResult>;
  /** Encoder-decoder: the nBest hypotheses of each source (greedy, or beam search), best first. */
  decode(sources: readonly ArrayLike<number>[], opts?: DecodeOptions): Answer<Hypothesis[][]>;
  /**
   * Runs the sequential model on one batch from a zero state (dropout off) and returns one
   * fresh Float32Array, row-major: [B, T, outputs] for a per-step output (row b, step t at
   * `(b·T + t)·outputs`), or [B, outputs] after a pooled recurrent layer (`returnSequences:
   * false`). The values are the last layer's raw outputs: logits, not probabilities (apply a
   * softmax yourself) for a classifier or language model, the predicted values for a regression
   * model, per-step tag scores before a CRF head. Steps past a row's `lengths` are padding: ignore
   * them. Bad shapes are E_SHAPE, bad ids E_RANGE; E_STATE for an encoder-decoder (use `decode`).
   */
  predict(input: BatchInput): Answer<Float32Array>;
  /** Stateful: continues from the previous call's final state until resetState(). */
  predictStep(input: BatchInput): Answer<Float32Array>;
  /**
   * Per-step gradient norms of the loss on one batch (sequential model): a forward from a zero
   * state (dropout off), the loss and its backward, no update. One entry per recurrent layer:
   * ||dL/dh_t|| (and ||dL/dc_t|| for the LSTM) over the batch, [layers·directions, T] (see
   * {@link GradientNorms}). Called during `fit`, it runs between two steps.
   */
  gradientProfile(input: BatchInput, targets: BatchTargets): Answer<GradientNorms[]>;
  /**
   * CTC decoding (a model compiled with `loss: 'ctc'`): per row, its label sequences, most
   * probable first (greedy; prefix beam search with `beam` > 1).
   */
  ctcDecode(input: BatchInput, opts?: CtcDecodeCall): Answer<CtcHypothesis[][]>;
  /** Forgets the recurrent state `predictStep` carries (zeros it), e.g. before a new sequence. */
  resetState(): Answer<void>;
  /** Text after a text prompt (needs a vocabulary), or ids after an id prompt. */
  generate(prompt: string | ArrayLike<number>, opts?: GenerateOptions): Answer<string | Uint32Array>;
  /** The model file (recurrent/1 safetensors), with what resuming needs unless training: false. */
  save(opts?: { training?: boolean }): Answer<Uint8Array>;
  /** Replaces the model (and vocabulary, training position) with one from a file `save` wrote. */
  load(bytes: Uint8Array): Answer<ModelInfo>;
  /** A copy of every parameter, by PyTorch name (`rnn.weight_ih_l0`, `head.bias`, …, as
   * `info().paramNames` lists them), each a row-major Float32Array in PyTorch's layout. */
  getWeights(): Answer<Record<string, Float32Array>>;
  /** Parameters from a plain safetensors file of PyTorch-named tensors (a state_dict). */
  importWeights(
    bytes: Uint8Array,
    opts?: ImportWeightsOptions,
  ): Answer<{
    /** The parameters set, by PyTorch name. */
    names: string[];
    /** The file's tensors skipped (`strict: false`). */
    skipped: string[];
  }>;
  /** Frees the model; a running fit rejects with E_STATE. */
  dispose(): Answer<void>;
}
