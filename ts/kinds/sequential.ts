// The sequential model as a model kind (model-kind.ts): its fit options and data, its fit
// target in this thread and its shard on a replica, evaluation, and its model file
// (io/checkpoint.ts, format recurrent/1).
import { fittingParts } from '../batch-split.js';
import { asDataSpec, batchesPerEpoch, type DataLike, type DataSpec, epochOrder, type ModelShape, makeBatch, type TrainBatch } from '../data/source.js';
import { Vocabulary, type VocabularyJSON } from '../data/vocab.js';
import { FIT_BATCH_SIZE } from '../defaults.js';
import { checkKeys, formatError, optionError, posInt, RecurrentTypeError } from '../errors.js';
import type { EvalResult } from '../events.js';
import type { FitTarget } from '../fit.js';
import { decodeCheckpoint, encodeCheckpoint, type TrainingState } from '../io/checkpoint.js';
import { Model } from '../model.js';
import type { FitPlan, LoadedKind, ModelKind } from '../model-kind.js';
import { sequentialShard } from '../parallel/sequential-shard.js';
import { shardRange } from '../parallel/shards.js';
import { restoreParams } from '../params.js';
import { type ScorePart, scoreResult } from '../score.js';
import type { Pair } from '../seq2seq.js';
import type { SessionFitOptions } from '../session-api.js';
import type { ModelSpecJSON } from '../spec.js';

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

/** The sequential model (`sequential()…build()`, or `Model.fromSpec`). */
export class SequentialKind implements ModelKind {
  readonly model: Model;
  readonly seq2seq = undefined;
  readonly fitBatchSize = FIT_BATCH_SIZE.sequential;

  constructor(model: Model) {
    this.model = model;
  }

  static create(spec: ModelSpecJSON, seed: number): SequentialKind {
    return new SequentialKind(Model.fromSpec(spec, seed));
  }

  /** A recurrent/1 file of the sequential model (E_FORMAT when it is malformed or inconsistent). */
  static load(bytes: Uint8Array): LoadedKind {
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
      return { kind: new SequentialKind(m), vocabulary: vocab, training: s.training ? { ...s.training } : undefined };
    } catch (e) {
      m.dispose();
      if (e instanceof RecurrentTypeError && e.code === 'E_FORMAT') throw e;
      throw formatError(`the model file is inconsistent: ${(e as Error).message}`);
    }
  }

  get sequential(): Model {
    return this.model;
  }
  get spec(): ModelSpecJSON {
    return this.model.spec;
  }
  get constantSchedule(): boolean {
    const s = this.model.compiled?.schedule;
    return s === undefined || s.name === 'constant';
  }
  get vocabSize(): number | undefined {
    return this.model.vocabSize;
  }

  #shape(): ModelShape {
    const m = this.model;
    const input = m.spec.input;
    return {
      featureDim: 'features' in input ? input.features : undefined,
      slots: 'vocab' in input ? input.slots : undefined,
      seqOutput: m.outputIsSequence,
      outDim: m.outputDim,
    };
  }

  plan(data: DataLike | readonly Pair[], opts: SessionFitOptions, batchSize: number): FitPlan {
    const model = this.model;
    const spec = asDataSpec(data as DataLike);
    const val = opts.validation === undefined ? undefined : asDataSpec(opts.validation as DataLike);
    const window = opts.tbptt === undefined ? 0 : posInt('fit.tbptt.window', opts.tbptt.window);
    if (opts.tbptt !== undefined) {
      checkKeys('fit.tbptt', opts.tbptt, ['window']);
      if (!model.isTokenModel || !model.outputIsSequence) throw optionError('fit.tbptt needs a token model with a per-step output');
    }
    if (opts.lrDecay !== undefined) throw optionError('fit.lrDecay applies to the encoder-decoder; use compile({ schedule }) for this model');
    const shuffle = opts.shuffle ?? true;
    const shape = this.#shape();
    const nb = batchesPerEpoch(spec, batchSize);
    return {
      batchesPerEpoch: nb,
      bits: model.compiled?.loss !== 'mse',
      target: () =>
        sequentialTarget(model, {
          batchesPerEpoch: nb,
          batches(epoch, seed) {
            const order = epochOrder(spec, epoch, shuffle, seed, batchSize);
            return (i) => makeBatch(spec, order, i, batchSize, shape);
          },
          window,
          validate: val && (() => scoreResult(this.#score(val, batchSize, 0, 1))),
        }),
      shard: (w, n) => sequentialShard(model, { spec, shape, batchSize, shuffle, window, w, n }),
      validatePart: val && ((w, n) => this.#score(val, batchSize, w, n)),
    };
  }

  evaluate(data: DataLike | readonly Pair[], opts: { batchSize?: number }): EvalResult {
    const batchSize = posInt('evaluate.batchSize', opts.batchSize, 32);
    return scoreResult(this.#score(asDataSpec(data as DataLike), batchSize, 0, 1));
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
    let absSum = 0;
    let absCount = 0;
    const nb = Math.ceil(order.length / batchSize);
    const [lo, hi] = shardRange(nb, w, n);
    // a batch above the per-call limit is scored in parts of whole rows (not CTC: its targets are label sequences)
    const max = loss === 'ctc' ? Number.POSITIVE_INFINITY : model.maxBatchSteps;
    for (let i = lo; i < hi; i++) {
      for (const b of fittingParts(makeBatch(evalSpec, order, i, batchSize, shape), max, model.outputIsSequence)) {
        const out = model.forward(b.input);
        const r = model.loss(b.targets, { loss });
        sum += r.loss * r.count;
        count += r.count;
        const vals = b.targets.values;
        if (loss === 'mse' && vals) {
          // |output − target| per value, padding steps of a per-step output left out
          const o = model.outputDim;
          const lens = model.outputIsSequence ? b.input.lengths : undefined;
          for (let k = 0; k < vals.length; k++) {
            if (lens && Math.floor(k / o) % b.input.steps >= lens[Math.floor(k / (o * b.input.steps))]) continue;
            absSum += Math.abs(out[k] - vals[k]);
            absCount++;
          }
        }
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
    if (loss === 'mse') return { sum, count, absSum, absCount, crossEntropy: false };
    return { sum, count, correct, crossEntropy: loss === 'crossEntropy' };
  }

  save(extra: { vocabulary?: VocabularyJSON; training?: TrainingState }, withTraining: boolean): Uint8Array {
    const m = this.model;
    return encodeCheckpoint({
      spec: m.spec,
      seed: m.seed,
      params: m.paramNames().map((name) => ({ name, shape: m.paramShape(name), data: m.getParam(name) })),
      vocabulary: extra.vocabulary,
      compile: withTraining ? m.compiled : undefined,
      training: withTraining && extra.training ? { ...extra.training } : undefined,
      optimizerState: withTraining ? m.getOptimizerState() : undefined,
      rngState: withTraining ? m.getRngState() : undefined,
    });
  }
}
