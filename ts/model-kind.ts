// The model-kind interface: what the session, the fit engine and data-parallel replicas need
// of a model kind (the sequential model, kinds/sequential.ts; the encoder-decoder,
// kinds/seq2seq.ts). A new kind implements it; nothing above it branches on the kind.
import type { DataLike } from './data/source.js';
import type { Vocabulary, VocabularyJSON } from './data/vocab.js';
import type { EvalResult } from './events.js';
import type { FitTarget } from './fit.js';
import type { TrainingState } from './io/checkpoint.js';
import type { CompileOptions, Model } from './model.js';
import type { ShardKind } from './parallel/replica.js';
import type { ScorePart } from './score.js';
import type { Pair, Seq2SeqCompileOptions, Seq2SeqModel, Seq2SeqSpecJSON } from './seq2seq.js';
import type { SessionFitOptions } from './session-api.js';
import type { ModelSpecJSON } from './spec.js';
import type { TrainableModel } from './trainable-model.js';

/** What every model kind's model has: parameters by PyTorch name, seed, and the one `compile`
 * (trainable-model.ts; each kind checks the options it takes, E_OPTION otherwise). */
export interface KindModel extends Pick<TrainableModel<CompileOptions | Seq2SeqCompileOptions>, 'compile' | 'compiled'> {
  readonly seed: number;
  readonly paramCount: number;
  paramNames(): string[];
  paramShape(name: string): number[];
  getParam(name: string): Float32Array;
  setParam(name: string, data: Float32Array): void;
  /** The learning rate of the next update; setting it sets the base rate. */
  learningRate: number;
  dispose(): void;
}

/** One fit of a kind on its data, its options checked: the engine's target in this thread, or
 * replica w of n's shard. */
export interface FitPlan {
  readonly batchesPerEpoch: number;
  /** Losses are cross-entropies (epoch events carry bits per token). */
  readonly bits: boolean;
  /** The fit engine's target, training in this thread. */
  target(): FitTarget;
  /** Replica w of n's part of every batch. */
  shard(w: number, n: number): ShardKind;
  /** Loss sums over replica w of n's part of the validation data (absent without validation data). */
  readonly validatePart?: (w: number, n: number) => ScorePart;
}

/** A model kind: the session holds one and asks it, never the model's class, what to do. */
export interface ModelKind {
  readonly model: KindModel;
  /** The sequential model, when this kind is it (predict, generate, …). */
  readonly sequential: Model | undefined;
  /** The encoder-decoder, when this kind is it (decode). */
  readonly seq2seq: Seq2SeqModel | undefined;
  /** The architecture as `build` takes it. */
  readonly spec: ModelSpecJSON | Seq2SeqSpecJSON;
  /** A token model's vocabulary size (an attached vocabulary must match it). */
  readonly vocabSize: number | undefined;
  /** The learning rate follows no schedule (reduce-on-plateau may change it). */
  readonly constantSchedule: boolean;
  /** `fit`'s default batch size. */
  readonly fitBatchSize: number;
  /** Checks the kind's own fit options (the shared ones are checked by fit-options.ts) and the data. */
  plan(data: DataLike | readonly Pair[], opts: SessionFitOptions, batchSize: number): FitPlan;
  /** The mean loss over a data set (`evaluate`). */
  evaluate(data: DataLike | readonly Pair[], opts: { batchSize?: number }): EvalResult;
  /** The model file; `withTraining` adds the optimizer, generator state and `training`. */
  save(extra: { vocabulary?: VocabularyJSON; training?: TrainingState }, withTraining: boolean): Uint8Array;
}

/** A model file, read: the kind and what the file carries besides the model. */
export interface LoadedKind {
  kind: ModelKind;
  vocabulary?: Vocabulary;
  training?: TrainingState;
}
