// The encoder-decoder as a model kind (model-kind.ts): its fit options and pairs, its fit
// target in this thread and its shard on a replica, evaluation, and its model file (written and
// read by the one model-file code, io/checkpoint.ts, as the sequential model's is).
import type { DataLike } from '../data/source.js';
import { Vocabulary, type VocabularyJSON } from '../data/vocab.js';
import { FIT_BATCH_SIZE } from '../defaults.js';
import { formatError, posInt } from '../errors.js';
import type { EvalResult } from '../events.js';
import { checkTrainingState, encodeModelFile, type TrainingState } from '../io/checkpoint.js';
import type { FitPlan, LoadedKind, ModelKind } from '../model-kind.js';
import { seq2seqShard } from '../parallel/seq2seq-shard.js';
import { shardRange } from '../parallel/shards.js';
import type { ScorePart } from '../score.js';
import { bucketBatchCount, checkSeq2SeqFit, type Pair, Seq2SeqModel, type Seq2SeqOptions, type Seq2SeqSpecJSON, seq2seqTarget } from '../seq2seq.js';
import type { SessionFitOptions } from '../session-api.js';

/** The attention encoder-decoder (`build({ kind: 'seq2seq', … })`). */
export class Seq2SeqKind implements ModelKind {
  readonly model: Seq2SeqModel;
  readonly sequential = undefined;
  readonly vocabSize = undefined;
  readonly constantSchedule = true;
  readonly fitBatchSize = FIT_BATCH_SIZE.seq2seq;

  constructor(model: Seq2SeqModel) {
    this.model = model;
  }

  static create(spec: Seq2SeqSpecJSON, seed: number): Seq2SeqKind {
    const { kind: _kind, ...options }: { kind: 'seq2seq' } & Seq2SeqOptions = spec;
    return new Seq2SeqKind(Seq2SeqModel.create(options, { seed }));
  }

  /** A recurrent/1 file of the encoder-decoder (E_FORMAT when it is malformed or inconsistent). */
  static load(bytes: Uint8Array): LoadedKind {
    const { model, metadata } = Seq2SeqModel.load(bytes);
    try {
      const vocabulary = metadata.vocabulary === undefined ? undefined : Vocabulary.fromJSON(metadata.vocabulary as VocabularyJSON);
      return { kind: new Seq2SeqKind(model), vocabulary, training: checkTrainingState(metadata.training) };
    } catch (e) {
      model.dispose();
      throw (e as { code?: string }).code === 'E_FORMAT' ? e : formatError(`the model file is inconsistent: ${(e as Error).message}`);
    }
  }

  get seq2seq(): Seq2SeqModel {
    return this.model;
  }
  get spec(): Seq2SeqSpecJSON {
    return { kind: 'seq2seq', ...this.model.config };
  }

  plan(data: DataLike | readonly Pair[], opts: SessionFitOptions, batchSize: number): FitPlan {
    const model = this.model;
    const pairs = data as readonly Pair[];
    const { val, decay } = checkSeq2SeqFit(pairs, opts);
    return {
      batchesPerEpoch: bucketBatchCount(pairs, batchSize),
      bits: true,
      target: () => seq2seqTarget(model, pairs, { batchSize, decay, validate: val && (() => this.evaluate(val, { batchSize })) }),
      shard: (w, n) => seq2seqShard(model, { pairs, batchSize, decay, w, n }),
      validatePart: val && ((w, n) => this.#score(val, batchSize, w, n)),
    };
  }

  evaluate(data: DataLike | readonly Pair[], opts: { batchSize?: number }): EvalResult {
    const r = this.model.evaluate(data as readonly Pair[], { batchSize: posInt('evaluate.batchSize', opts.batchSize, 128) });
    return { loss: r.loss, bitsPerToken: r.loss / Math.LN2, count: r.tokens };
  }

  /** The loss sums over pairs [⌊w·P/n⌋, ⌊(w+1)·P/n⌋) of `pairs` (part w of n). */
  #score(pairs: readonly Pair[], batchSize: number, w: number, n: number): ScorePart {
    const [lo, hi] = shardRange(pairs.length, w, n);
    if (hi <= lo) return { sum: 0, count: 0, crossEntropy: true };
    const r = this.model.evaluate(pairs.slice(lo, hi), { batchSize });
    return { sum: r.loss * r.tokens, count: r.tokens, crossEntropy: true };
  }

  save(extra: { vocabulary?: VocabularyJSON; training?: TrainingState }, withTraining: boolean): Uint8Array {
    return encodeModelFile({ ...this.model.fileParts(withTraining), vocabulary: extra.vocabulary, training: withTraining ? extra.training : undefined });
  }
}
