// The encoder-decoder tasks' training (G2P, translation): one run of the fit engine, in the
// calling thread (`Seq2SeqModel.fit`) or on data-parallel worker replicas (one trainer run).
// Between epochs the fit hooks (keep-best, early stopping, reduce-on-plateau) and the task's
// own `onProgress` act; the task's model is current at every epoch event in both modes.
import { checkKeys } from '../errors.js';
import { createTrainer, type FitResult, type Pair, type Seq2SeqFitOptions, Seq2SeqModel, type Trainer } from '../index.js';

/**
 * Trains `model` on `pairs` through the fit engine: in this thread when `workers` is 1, else on
 * that many worker replicas, where at every epoch event (before `onProgress` hears it) and at the
 * end the model takes the replicas' weights, learning rate, optimizer and dropout state, so it
 * is current for `onProgress` and continues exactly.
 */
export async function fitSeq2Seq(model: Seq2SeqModel, pairs: readonly Pair[], opts: Seq2SeqFitOptions, workers: number | 'auto' = 1): Promise<FitResult> {
  if (workers === 1) return model.fit(pairs, opts);
  checkKeys('fit', opts, ['epochs', 'batchSize', 'seed', 'timeBudgetMs', 'signal', 'lrDecay', 'validation', 'hooks', 'onProgress']);
  const { onProgress, ...rest } = opts;
  const t = await createTrainer({ workers });
  try {
    await t.load(model.save({}, { training: true }));
    const r = await t.fit(pairs, {
      ...rest,
      resume: true,
      onProgress: async (ev) => {
        if (ev.type === 'epoch') await takeFrom(model, t);
        await onProgress?.(ev);
      },
    });
    await takeFrom(model, t); // after the hooks' last word (restored best weights)
    return r;
  } finally {
    await t.dispose();
  }
}

/** `model` takes the trainer's weights, learning rate, optimizer and dropout state. */
async function takeFrom(model: Seq2SeqModel, t: Trainer): Promise<void> {
  takeFile(model, await t.save());
}

/** `model` takes the weights, learning rate, optimizer and dropout state of a model file (one
 * `Seq2SeqModel.save({}, { training: true })` or a trainer's `save()` wrote). */
export function takeFile(model: Seq2SeqModel, bytes: Uint8Array): void {
  const { model: m } = Seq2SeqModel.load(bytes);
  try {
    for (const n of m.paramNames()) model.setParam(n, m.getParam(n));
    if (m.compiled) {
      model.learningRate = m.learningRate;
      const state = m.getOptimizerState();
      if (state) model.setOptimizerState(state);
    }
    model.setRngState(m.getRngState());
  } finally {
    m.dispose();
  }
}
