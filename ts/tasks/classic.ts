// The classic LSTM demonstration (as in the small numpy LSTM tutorials): an LSTM reads a
// fixed sequence of random input vectors and learns, by mean squared error, to emit a fixed
// target value at each step (by default −0.5, 0.2, 0.1, −0.5). Everything is seeded, so a
// run is reproducible to the bit on every runtime.

import { checkKeys, numIn, posInt, rangeError } from '../errors.js';
import { type FitEvent, fitBatches, type Model, type OptimizerSpec, Rng, sequential } from '../index.js';
import { adam, TASK_TRAINING } from './defaults.js';

/** The demonstration's default targets, one per step: −0.5, 0.2, 0.1, −0.5. */
export const CLASSIC_TARGETS: readonly number[] = [-0.5, 0.2, 0.1, -0.5];

/** Options of {@link classicLstm}. */
export interface ClassicOptions {
  /**
   * One target value per step.
   * @default CLASSIC_TARGETS (−0.5, 0.2, 0.1, −0.5)
   */
  targets?: readonly number[];
  /**
   * Size of each random input vector.
   * @default 50
   */
  inputDim?: number;
  /**
   * LSTM units.
   * @default 100
   */
  units?: number;
  /**
   * Training iterations, one update each on the whole sequence.
   * @default 150
   */
  steps?: number;
  /**
   * The optimizer.
   * @default { name: 'adam', lr: 0.01 }
   */
  optimizer?: OptimizerSpec;
  /**
   * Seed of the inputs and the initialisation.
   * @default 0
   */
  seed?: number;
  /** Called after every iteration. */
  onStep?: (e: { step: number; loss: number; predictions: number[] }) => void;
}

/** What {@link classicLstm} returns. */
export interface ClassicResult {
  /** The targets, one per step. */
  targets: number[];
  /** The loss of every iteration (before its update). */
  losses: number[];
  /** The predictions after training. */
  predictions: number[];
  /** The trained model (the caller frees it). */
  model: Model;
}

/**
 * The classic LSTM demonstration (as in the small numpy LSTM tutorials): an LSTM reads a fixed
 * sequence of random input vectors and learns, by mean squared error, to emit a fixed target
 * value at each step. Everything is seeded, so a run is reproducible to the bit on every
 * runtime. Resolves to the loss curve and the final predictions; the caller owns `model` (dispose it
 * when done). Needs `await init()` first.
 * @example
 * ```ts
 * await init();
 * const { losses, predictions, model } = await classicLstm({ steps: 100, seed: 1 });
 * console.log(losses.at(-1), predictions); // close to [-0.5, 0.2, 0.1, -0.5]
 * model.dispose();
 * ```
 */
export function classicLstm(opts: ClassicOptions = {}): Promise<ClassicResult> {
  checkKeys('classicLstm', opts, ['targets', 'inputDim', 'units', 'steps', 'optimizer', 'seed', 'onStep']);
  const targets = [...(opts.targets ?? CLASSIC_TARGETS)];
  if (targets.length === 0) throw rangeError('targets must hold at least one value');
  targets.forEach((v, i) => {
    numIn(`targets[${i}]`, v, -1e6, 1e6);
  });
  const dim = posInt('inputDim', opts.inputDim, 50);
  const units = posInt('units', opts.units, 100);
  const steps = posInt('steps', opts.steps, 150);
  const seed = opts.seed ?? 0;
  const rng = new Rng(seed);
  const t = targets.length;
  const features = Float32Array.from({ length: t * dim }, () => rng.next() * 2 - 1);
  const model = sequential({ input: { features: dim } })
    .lstm({ units })
    .dense({ units: 1 })
    .build({ seed });
  model.compile({ loss: 'mse', optimizer: opts.optimizer ?? adam(TASK_TRAINING.classic.lr) });
  const input = { features, batch: 1, steps: t };
  const values = Float32Array.from(targets);
  const losses: number[] = [];
  const emit = (e: FitEvent) => {
    if (e.type !== 'step') return;
    losses.push(e.loss);
    opts.onStep?.({ step: e.step - 1, loss: e.loss, predictions: Array.from(model.forward(input)) });
  };
  return fitBatches(model, {
    batchesPerEpoch: steps,
    batches: () => () => ({ input, targets: { values }, tokens: t }),
    schedule: false,
    onProgress: emit,
  }).then(
    () => ({ targets, losses, predictions: Array.from(model.forward(input)), model }),
    (e) => {
      model.dispose();
      throw e;
    },
  );
}
