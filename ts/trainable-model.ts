// One `compile` for every model kind (the sequential model, model.ts; the encoder-decoder,
// seq2seq.ts): the option keys, the optimizer with its defaults (defaults.ts), the clipping and
// the swap of the core trainer are written here once. A kind brings only what differs: which
// keys it takes, what its loss adds to the core trainer's config, and how the core builds its
// trainer (`newTrainer`).
import { COMPILE_KEYS, optimizerConfig } from './defaults.js';
import { checkKeys } from './errors.js';
import type { Trainer as CoreTrainer } from './wasm/recurrent_wasm.js';

/** The compile options every model kind takes (each kind's options extend them). */
export interface SharedCompileOptions {
  optimizer?: string | { readonly name: string };
  clipNorm?: number;
  clipValue?: number;
}

/** The core trainer's config as `compile` hands it to a kind: the optimizer (defaults filled
 * in) and the clipping given; the kind adds its loss keys. */
export type TrainerConfig = Record<string, unknown> & { optimizer: Record<string, unknown> & { name: string } };

/** A model kind's part of `compile`: the trainer it built, and the options `compiled` keeps. */
export interface KindTrainer<O> {
  trainer: CoreTrainer;
  compiled: O;
}

/** A model whose training the core's one Trainer runs (optimizer, clipping, schedule, state). */
export abstract class TrainableModel<O extends SharedCompileOptions> {
  #trainer: CoreTrainer | undefined;
  #compiled: O | undefined;

  /** Which kind's compile keys apply (defaults.ts COMPILE_KEYS). */
  protected abstract readonly compileKind: keyof typeof COMPILE_KEYS;

  /** The kind's part of `compile`: checks what only it takes, completes `cfg` and builds the
   * core trainer. It changes nothing when it throws. */
  protected abstract newTrainer(opts: O | undefined, cfg: TrainerConfig): KindTrainer<O>;

  /**
   * Sets how the model trains: the optimizer, gradient clipping, and for the sequential model
   * the loss and the learning-rate schedule (see `CompileOptions`; the encoder-decoder:
   * `Seq2SeqCompileOptions`). Compiling again resets the optimizer's state. Left-out
   * options take the defaults every model kind shares (defaults.ts: Adam with PyTorch's
   * hyper-parameters, no clipping, a constant rate). Unknown keys are E_OPTION, bad values
   * E_OPTION or E_RANGE, and the model keeps its previous compile. Returns the model, for chaining.
   */
  compile(opts?: O): this {
    checkKeys('compile', opts ?? {}, COMPILE_KEYS[this.compileKind]);
    const cfg: TrainerConfig = { optimizer: optimizerConfig(opts?.optimizer) };
    if (opts?.clipNorm !== undefined) cfg.clipNorm = opts.clipNorm;
    if (opts?.clipValue !== undefined) cfg.clipValue = opts.clipValue;
    const made = this.newTrainer(opts, cfg);
    this.#trainer?.free();
    this.#trainer = made.trainer;
    this.#compiled = made.compiled;
    return this;
  }

  /** The options of the last `compile`; undefined before. */
  get compiled(): Readonly<O> | undefined {
    return this.#compiled;
  }

  /** The core trainer (undefined before `compile`). */
  protected get trainer(): CoreTrainer | undefined {
    return this.#trainer;
  }

  /** Frees the core trainer (dispose). */
  protected freeTrainer(): void {
    this.#trainer?.free();
    this.#trainer = undefined;
  }
}
