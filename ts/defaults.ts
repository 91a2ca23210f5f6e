// Training defaults and option keys, one table per concept, for every model kind. The
// optimizers' own defaults (learning rate, betas, eps, weight decay: PyTorch's) live in the core
// (recurrent-core optim::OptimizerConfig::named) and are filled in there, so no TS code restates
// them. A task that trains differently documents its default in ts/tasks/defaults.ts.
import { optionError } from './errors.js';
import type { OptimizerName } from './model.js';

/** What `compile` uses when an option is left out, for the sequential model and the
 * encoder-decoder alike: Adam with PyTorch's defaults, no clipping, a constant learning rate. */
export const COMPILE_DEFAULTS = { optimizer: 'adam', clipNorm: undefined, clipValue: undefined, schedule: { name: 'constant' } } as const;

/** The optimizers' names (`OptimizerSpec`), as the CLI's `--optimizer` lists them. */
export const OPTIMIZER_NAMES = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const satisfies readonly OptimizerName[];

/** The keys `compile` takes, per model kind (the encoder-decoder's learning rate changes by
 * `fit({ lrDecay })`, not by a schedule; its losses are fixed). */
export const COMPILE_KEYS = {
  sequential: ['loss', 'ctc', 'optimizer', 'clipNorm', 'clipValue', 'schedule'],
  seq2seq: ['optimizer', 'clipNorm', 'clipValue'],
} as const;

/** The optimizers the encoder-decoder's trainer is tested with. */
export const SEQ2SEQ_OPTIMIZERS: readonly string[] = ['adam', 'adamw', 'sgd'];

/** `fit`'s default batch size per model kind (examples or windows; pairs for the encoder-decoder). */
export const FIT_BATCH_SIZE = { sequential: 32, seq2seq: 64 } as const;

/** An optimizer option (a bare name, or `{ name, …hyper-parameters }`) as the core takes it:
 * `{ name, …given keys }`, the rest filled with the core's defaults. A bare 'sgd' is E_OPTION
 * here because SGD has no default learning rate. */
export function optimizerConfig(o: string | { readonly name: string } | undefined): Record<string, unknown> & { name: string } {
  if (o === undefined) return { name: COMPILE_DEFAULTS.optimizer };
  if (typeof o === 'string') {
    if (o === 'sgd') throw optionError("optimizer 'sgd' needs a learning rate: { name: 'sgd', lr }");
    return { name: o };
  }
  return { ...o };
}
