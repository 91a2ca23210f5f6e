// The tasks' training defaults, one table: where a task (or the CLI verb that runs it) trains
// differently from the SDK's defaults (ts/defaults.ts: Adam at PyTorch's lr 1e-3, no clipping, a
// constant rate), its optimizer, learning rate, clipping and schedule are here, documented on
// the task's options. The CLI's flags take their defaults from this table too.
import type { OptimizerName, OptimizerSpec, ScheduleSpec } from '../index.js';

/** A task's training default: `optimizer` (Adam unless said) at `lr`, gradients clipped to
 * global norm `clipNorm` when set, and a learning-rate schedule when set. */
export interface TaskTraining {
  /** The optimizer. @default 'adam' */
  readonly optimizer?: TaskOptimizer;
  /** The learning rate. */
  readonly lr: number;
  /** Clip gradients to this global L2 norm (absent: no clipping). */
  readonly clipNorm?: number;
  /** The learning-rate schedule, advanced once per epoch (absent: constant; `'cosine'`: cosine
   * annealing to 0 over the run's epochs). */
  readonly schedule?: ScheduleSpec | 'cosine';
  /** The encoder-decoder's learning-rate factor after each epoch (`fit({ lrDecay })`) in the
   * task's CLI verb (absent: 1). */
  readonly lrDecay?: number;
}

/** The optimizers the tasks train with. */
export type TaskOptimizer = 'adam' | 'sgd';

/** The tasks with a training default of their own. */
export type TaskName =
  | 'classic'
  | 'classify'
  | 'segment'
  | 'pos'
  | 'ner'
  | 'forecast'
  | 'speech'
  | 'g2p'
  | 'translate'
  | 'text'
  | 'words'
  | 'gradientFlow'
  | 'explodingRelu';

/** The tasks' training defaults (optimizer, learning rate, clipping, schedule), by task. */
export const TASK_TRAINING: Readonly<Record<TaskName, TaskTraining>> = {
  /** The classic LSTM demo (regression on one sequence). */
  classic: { lr: 0.01 },
  /** Text classification. */
  classify: { lr: 0.005, clipNorm: 5 },
  /** Word segmentation. */
  segment: { lr: 0.01, clipNorm: 5 },
  /** Part-of-speech tagging: the rate halves after each epoch. */
  pos: { lr: 0.01, clipNorm: 5, schedule: { name: 'exponential', gamma: 0.5 } },
  /** Named entities (a character tagger): the rate falls by 0.7 after each epoch. */
  ner: { lr: 0.01, clipNorm: 5, schedule: { name: 'exponential', gamma: 0.7 } },
  /** Forecasting. */
  forecast: { lr: 2e-3, clipNorm: 1 },
  /** Spoken digits (CTC): the rate falls by 0.85 after each epoch. */
  speech: { lr: 3e-3, clipNorm: 5, schedule: { name: 'exponential', gamma: 0.85 } },
  /** Grapheme to phoneme (the encoder-decoder). */
  g2p: { lr: 3e-3, clipNorm: 5, lrDecay: 0.8 },
  /** Translation (the encoder-decoder over BPE pieces). */
  translate: { lr: 2e-3, clipNorm: 5, lrDecay: 0.85 },
  /** The character language model (`recurrent train`): cosine annealing over the epochs. */
  text: { lr: 3e-3, clipNorm: 5, schedule: 'cosine' },
  /** The word language model (`recurrent train --level word`). */
  words: { lr: 3e-3, clipNorm: 5 },
  /** The adding problem of `gradientFlow` (`recurrent gradients`). */
  gradientFlow: { lr: 0.01, clipNorm: 1 },
  /** `explodingRelu`: plain SGD, so that clipping is what keeps it finite. */
  explodingRelu: { optimizer: 'sgd', lr: 0.05, clipNorm: 1 },
};

/** The factor per epoch of a task's exponential schedule (1 without one). */
export function scheduleGamma(t: TaskTraining): number {
  return typeof t.schedule === 'object' && t.schedule.name === 'exponential' ? t.schedule.gamma : 1;
}

/** Adam at learning rate `lr`: the tasks' optimizer. */
export function adam(lr: number): OptimizerSpec {
  return { name: 'adam', lr };
}

/** What {@link taskCompile} answers: options both `Model.compile` and `Seq2SeqModel.compile` take
 * (the encoder-decoder tasks have no schedule). */
export interface TaskCompile<N extends OptimizerName> {
  /** The optimizer and its learning rate. */
  optimizer: {
    /** The optimizer's name. */
    name: N;
    /** Its learning rate. */
    lr: number;
  };
  /** Clipping by global norm, when the task (or the caller) clips. */
  clipNorm?: number;
  /** The schedule, when the task has one. */
  schedule?: ScheduleSpec;
}

/**
 * The compile options of task `task`'s default, with what a caller overrides: `optimizer`
 * (a name) and `lr` (the task's when absent), `clipNorm` (the task's when absent; 0 turns clipping
 * off), `epochs` (the run's, for a schedule over the epochs; without it a `'cosine'` default is
 * left out).
 * @example
 * ```ts
 * await init();
 * const model = sequential({ input: { vocab: 5 } }).embedding({ dim: 4 }).lstm({ units: 8 }).dense({ units: 5 }).build({ seed: 1 });
 * model.compile({ loss: 'crossEntropy', ...taskCompile('text', { epochs: 10 }) }); // Adam 3e-3, clip 5, cosine over 10 epochs
 * console.log(model.compiled?.schedule); // { name: 'cosine', tMax: 10 }
 * model.dispose();
 * ```
 */
export function taskCompile<N extends OptimizerName = TaskOptimizer>(
  task: TaskName,
  o: { optimizer?: N; lr?: number; clipNorm?: number; epochs?: number } = {},
): TaskCompile<N | TaskOptimizer> {
  const d = TASK_TRAINING[task];
  const out: TaskCompile<N | TaskOptimizer> = { optimizer: { name: o.optimizer ?? d.optimizer ?? 'adam', lr: o.lr ?? d.lr } };
  const clip = o.clipNorm ?? d.clipNorm;
  if (clip) out.clipNorm = clip;
  if (d.schedule === 'cosine') {
    if (o.epochs !== undefined) out.schedule = { name: 'cosine', tMax: o.epochs };
  } else if (d.schedule) out.schedule = d.schedule;
  return out;
}
