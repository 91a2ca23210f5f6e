// The fit options every model kind shares, checked in one place: by `Session.fit` (in this
// thread or a worker), by the data-parallel coordinator, and by `Seq2SeqModel.fit`. What only
// one kind takes (tbptt, shuffle, lrDecay, the data) is checked by that kind's `plan`.
import { checkFitScalars, seedOpt } from './check.js';
import { FIT_BATCH_SIZE } from './defaults.js';
import { checkKeys, optionError, posInt, rangeError } from './errors.js';
import { startPosition } from './fit.js';
import type { TrainingState } from './io/checkpoint.js';
import { SESSION_FIT_KEYS, type SessionFitOptions } from './session-api.js';

/** The default batch size of the model kind an architecture describes. */
export function fitBatchSize(spec: object): number {
  return 'kind' in spec && spec.kind === 'seq2seq' ? FIT_BATCH_SIZE.seq2seq : FIT_BATCH_SIZE.sequential;
}

/** The shared fit options, checked, and the position the run starts from. */
export interface CheckedFit {
  epochs: number;
  batchSize: number;
  budget?: number;
  /** A fresh position (data seed `seed`) or a copy of the resumed one. */
  pos: TrainingState;
}

/**
 * Checks `opts` (unknown keys among `keys` E_OPTION, counts E_RANGE) for a model kind whose
 * default batch size is `defaultBatchSize`; `training` is the position a resumed run continues.
 */
export function checkFitOptions(
  opts: SessionFitOptions,
  defaultBatchSize: number,
  training: TrainingState | undefined,
  keys: readonly string[] = SESSION_FIT_KEYS,
): CheckedFit {
  checkKeys('fit', opts, keys);
  checkFitScalars(opts);
  const epochs = posInt('fit.epochs', opts.epochs, 1);
  const batchSize = posInt('fit.batchSize', opts.batchSize, defaultBatchSize);
  const budget = opts.timeBudgetMs;
  if (budget !== undefined && !(budget > 0)) throw rangeError(`fit.timeBudgetMs must be positive (got ${budget})`);
  if (Array.isArray(opts.validation) && opts.validation.length === 0) throw optionError('fit.validation must not be empty');
  const seed = seedOpt('fit.seed', opts.seed);
  const resumed = opts.resume && training ? training : undefined;
  if (resumed && resumed.batchSize !== undefined && resumed.batchSize !== batchSize)
    throw optionError(`fit.resume: the run was trained with batchSize ${resumed.batchSize}; resume it with the same batchSize (got ${batchSize})`);
  return { epochs, batchSize, budget, pos: resumed ? { ...resumed } : { ...startPosition(seed), batchSize } };
}
