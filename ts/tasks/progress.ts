// The tasks' coarse progress: every `every` optimizer steps (and at the last one), the mean
// training loss since the previous report, built from the fit engine's step events.
import type { FitEvent } from '../index.js';

/** A task trainer's coarse progress report (`trainSegmenter`, `trainClassifier`): every
 * `progressEvery` optimizer steps and at the last one. An `onProgress` that returns a promise
 * is awaited before training goes on. */
export interface TaskProgress {
  /** The epoch being trained, 0-based. */
  epoch: number;
  /** Optimizer steps done so far. */
  step: number;
  /** Optimizer steps the whole run takes. */
  steps: number;
  /** Mean loss since the previous report. */
  loss: number;
  /** Training time so far, in milliseconds. */
  elapsedMs: number;
}

/** An engine `emit` that calls `onProgress` (awaited) every `every` of `steps` steps. */
export function progressEvery(
  every: number,
  steps: number,
  onProgress?: (e: TaskProgress) => void | Promise<void>,
): ((e: FitEvent) => void | Promise<void>) | undefined {
  if (!onProgress) return undefined;
  let sum = 0;
  let n = 0;
  return (e) => {
    if (e.type !== 'step') return;
    sum += e.loss;
    n += 1;
    if (e.step % every !== 0 && e.step !== steps) return;
    const loss = sum / n;
    sum = 0;
    n = 0;
    return onProgress({ epoch: e.epoch, step: e.step, steps, loss, elapsedMs: e.elapsedMs });
  };
}
