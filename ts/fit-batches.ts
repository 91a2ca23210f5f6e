// fitBatches: a sequential model trained on batches the caller makes (bucketed, augmented,
// streamed), through the SDK's one fit engine: the same events, abort, time budget and
// schedule steps as `Trainer.fit`, for data that a `DataLike` cannot describe.
import type { TrainBatch } from './data/source.js';
import { checkKeys, posInt } from './errors.js';
import type { EvalResult, FitEvent, FitResult } from './events.js';
import { runFit, startPosition } from './fit.js';
import { sequentialTarget } from './kinds/sequential.js';
import type { Model } from './model.js';

/** Options of {@link fitBatches}. An unknown key is E_OPTION; a bad count is E_RANGE. */
export interface FitBatchesOptions {
  /** Batches per epoch (the same for every epoch). */
  batchesPerEpoch: number;
  /** The batch maker of epoch `epoch` (called once per epoch, in order, with the data seed);
   * the function it returns makes batch `i` (0 ≤ i < batchesPerEpoch). */
  batches(epoch: number, seed: number): (i: number) => TrainBatch;
  /** Epochs to train. @default 1 */
  epochs?: number;
  /** The data seed passed to `batches`. @default 0 */
  seed?: number;
  /** Advance the compiled schedule after every epoch. @default true */
  schedule?: boolean;
  /** Truncated BPTT in windows of this many steps (token models with a per-step output). @default none */
  window?: number;
  /** Evaluated at every epoch's end; its result is the epoch event's `validation`. @default none */
  validate?: () => EvalResult;
  /** Stop at a batch boundary once training has taken this long (ms). @default no budget */
  timeBudgetMs?: number;
  /** Stops training within one batch (`stopReason: 'aborted'`). */
  signal?: AbortSignal;
  /** Every step and epoch event; a returned promise is awaited before the next batch. */
  onProgress?: (e: FitEvent) => void | Promise<void>;
}

const KEYS = ['batchesPerEpoch', 'batches', 'epochs', 'seed', 'schedule', 'window', 'validate', 'timeBudgetMs', 'signal', 'onProgress'];

/**
 * Trains a compiled sequential `model` in the calling thread on the batches `o.batches` makes.
 * Resolves with the run's result (epochs, steps, history of epoch events).
 * @example
 * ```ts
 * const model = sequential({ input: { features: 1 } }).lstm({ units: 4, returnSequences: false }).dense({ units: 1 }).build({ seed: 1 });
 * model.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 0.01 } });
 * const batch = { input: { features: new Float32Array(3), batch: 1, steps: 3 }, targets: { values: new Float32Array(1) }, tokens: 3 };
 * const r = await fitBatches(model, { batchesPerEpoch: 2, epochs: 2, batches: () => () => batch });
 * console.log(r.steps); // 4
 * ```
 */
export function fitBatches(model: Model, o: FitBatchesOptions): Promise<FitResult> {
  checkKeys('fitBatches', o, KEYS);
  const batchesPerEpoch = posInt('fitBatches.batchesPerEpoch', o.batchesPerEpoch, 1);
  const epochs = posInt('fitBatches.epochs', o.epochs, 1);
  const target = sequentialTarget(model, { batchesPerEpoch, batches: o.batches, window: o.window, validate: o.validate, schedule: o.schedule });
  return runFit(target, startPosition(o.seed ?? 0), { epochs, timeBudgetMs: o.timeBudgetMs, signal: o.signal, emit: o.onProgress, awaitSteps: true });
}
