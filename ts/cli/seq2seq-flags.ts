// The training flags that `g2p train` and `translate train` share (both fit an encoder-decoder
// through Seq2SeqModel.fit): read once, described once in the header, passed once to the fit.
import { TASK_TRAINING } from '../tasks/defaults.js';
import { fmtDuration } from './args.js';
import type { reader } from './flags.js';

/** The shared encoder-decoder training flags, read with the task's defaults. */
export function seq2seqTrainingFlags(f: ReturnType<typeof reader>, task: 'g2p' | 'translate', defaults: { epochs: number; budget: string }) {
  const t = TASK_TRAINING[task];
  const o = {
    batch: f.int('batch', 64),
    lr: f.num('lr', t.lr, { min: 0 }),
    lrDecay: f.num('lr-decay', t.lrDecay ?? 1, { min: 0 }),
    clip: f.num('clip', t.clipNorm ?? 0, { min: 0 }),
    epochs: f.int('epochs', defaults.epochs),
    budget: f.duration('time-budget', defaults.budget),
    workers: f.workers('auto'),
    seed: f.int('seed', 1, { min: 0 }),
  };
  return {
    ...o,
    /** "Adam lr …, clip …, budget …, data-parallel on …": the optimizer and where it trains. */
    describe: () =>
      `Adam lr ${o.lr} x${o.lrDecay}/epoch, clip ${o.clip || 'off'}${o.budget ? `, budget ${fmtDuration(o.budget)}` : ''}, ${o.workers === 1 ? 'in the main thread' : `data-parallel on ${o.workers === 'auto' ? 'one worker replica per core' : `${o.workers} worker replicas`}`}`,
    /** The fit options these flags set (the task adds its dev data and callbacks). */
    fitOptions: (signal: AbortSignal) => ({
      epochs: o.epochs,
      batchSize: o.batch,
      seed: o.seed,
      lrDecay: o.lrDecay,
      timeBudgetMs: o.budget,
      workers: o.workers,
      signal,
    }),
  };
}
