// The tasks' training defaults, one table: where a task trains differently from the SDK's
// defaults (ts/defaults.ts: Adam at PyTorch's lr 1e-3, no clipping), its optimizer's learning
// rate and its clipping are here, documented on the task's options. Every task uses Adam.
import type { OptimizerSpec } from '../index.js';

/** A task's training default: Adam at `lr`, gradients clipped to global norm `clipNorm` when set. */
export interface TaskTraining {
  /** Adam's learning rate. */
  readonly lr: number;
  /** Clip gradients to this global L2 norm (absent: no clipping). */
  readonly clipNorm?: number;
}

/** The tasks' training defaults (Adam's learning rate, clipping), by task. */
export const TASK_TRAINING = {
  /** The classic LSTM demo (regression on one sequence). */
  classic: { lr: 0.01 },
  /** Text classification. */
  classify: { lr: 0.005, clipNorm: 5 },
  /** Word segmentation. */
  segment: { lr: 0.01, clipNorm: 5 },
  /** Part-of-speech tagging. */
  pos: { lr: 0.01, clipNorm: 5 },
  /** Forecasting. */
  forecast: { lr: 2e-3, clipNorm: 1 },
  /** Spoken digits (CTC). */
  speech: { lr: 3e-3, clipNorm: 5 },
  /** Grapheme to phoneme (the encoder-decoder). */
  g2p: { lr: 3e-3, clipNorm: 5 },
  /** Translation (the encoder-decoder over BPE pieces). */
  translate: { lr: 2e-3, clipNorm: 5 },
} as const satisfies Record<string, TaskTraining>;

/** Adam at learning rate `lr`: the tasks' optimizer. */
export function adam(lr: number): OptimizerSpec {
  return { name: 'adam', lr };
}
