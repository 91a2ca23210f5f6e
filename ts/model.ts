// Model: a sequential network in wasm memory. Low-level operations (forward, loss, one training
// step, truncated BPTT, stepwise prediction, generation) live here; training over whole data
// sets is the fit engine's (fit.ts, driven by session.ts), and `evaluate` is session.ts's.

import { placeRows, rowGroups, rowLengths, sliceRows } from './batch-split.js';
import { RECURRENT_SPEC_KEYS } from './cells.js';
import { checkGenerateScalars, seedOpt } from './check.js';
import { type CtcHypothesis, type CtcOptions, ctcDecode } from './ctc.js';
import { checkKeys, MAX_U32, optionError, posInt, rangeError, stateError, u32 } from './errors.js';
import { type GradientNorms, gradientNormsFromCore } from './gradient-norms.js';
import { checkSpec, type LayerSpecJSON, type ModelSpecJSON } from './spec.js';
import { type KindTrainer, TrainableModel, type TrainerConfig } from './trainable-model.js';
import type { Model as CoreModel, Trainer as CoreTrainer } from './wasm/recurrent_wasm.js';
import { wasm } from './wasm.js';

/**
 * Training losses: `crossEntropy` (softmax cross-entropy over the output's classes, a target of
 * −100 ignores a row, PyTorch `ignore_index`), `mse` (mean squared error against `values`) and
 * `crf` (negative log-likelihood under a `.crf()` head), `ctc` (connectionist temporal
 * classification over the per-step scores, targets = label sequences; see `CompileOptions.ctc`).
 */
export type LossName = 'crossEntropy' | 'mse' | 'crf' | 'ctc';
/**
 * The optimizers, as in `torch.optim`: SGD (momentum, dampening, Nesterov, weight decay), Adam,
 * AdamW (decoupled weight decay), RMSprop and Adagrad.
 */
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

/**
 * An optimizer with its hyper-parameters, in PyTorch's meaning and with PyTorch's defaults
 * (torch.optim): a bare name takes every default (except `'sgd'`, which needs `{ name: 'sgd', lr }`).
 * Defaults: adam/adamw lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 (adamw 1e-2);
 * rmsprop lr 1e-2, alpha 0.99, eps 1e-8, momentum 0, centered false; adagrad lr 1e-2, lrDecay 0,
 * initialAccumulatorValue 0, eps 1e-10; sgd momentum 0, dampening 0, nesterov false.
 */
export type OptimizerSpec =
  | OptimizerName
  | {
      /** Stochastic gradient descent. */ name: 'sgd';
      /** Learning rate. */ lr: number;
      /** Momentum factor. */ momentum?: number;
      /** Dampening of the momentum. */ dampening?: number;
      /** L2 penalty (adamw: decoupled weight decay). */ weightDecay?: number;
      /** Nesterov momentum. */ nesterov?: boolean;
    }
  | {
      /** Adam, or AdamW (decoupled weight decay). */ name: 'adam' | 'adamw';
      /** Learning rate. */ lr?: number;
      /** Decay rates of the first and second moment estimates. */ betas?: [number, number];
      /** Added to the denominator for stability. */ eps?: number;
      /** L2 penalty (adamw: decoupled weight decay). */ weightDecay?: number;
      /**
       * Lazy rows (torch.optim.SparseAdam's rule for embeddings): an embedding row with no
       * gradient in a step (a token the batch did not use) keeps its weights and moments, where
       * plain Adam still moves it by its momentum; a step then costs in proportion to the rows
       * it used, not to the vocabulary (large vocabularies: bigrams, words). The embedding
       * layers of sequential models and both embeddings of an encoder-decoder take it.
       * Default false.
       */
      lazy?: boolean;
    }
  | {
      /** RMSprop. */ name: 'rmsprop';
      /** Learning rate. */ lr?: number;
      /** Smoothing constant of the squared-gradient average. */ alpha?: number;
      /** Added to the denominator for stability. */ eps?: number;
      /** L2 penalty (adamw: decoupled weight decay). */ weightDecay?: number;
      /** Momentum factor. */ momentum?: number;
      /** Normalise by the centred second moment (the gradient's variance). */ centered?: boolean;
    }
  | {
      /** Adagrad. */ name: 'adagrad';
      /** Learning rate. */ lr?: number;
      /** Learning-rate decay per step. */ lrDecay?: number;
      /** L2 penalty (adamw: decoupled weight decay). */ weightDecay?: number;
      /** Starting value of the squared-gradient accumulator. */ initialAccumulatorValue?: number;
      /** Added to the denominator for stability. */ eps?: number;
    };

/**
 * Learning-rate schedules, advanced once per epoch (torch.optim.lr_scheduler closed forms):
 * `step` multiplies by `gamma` (default 0.1) every `stepSize` epochs, `exponential` by `gamma`
 * every epoch, `cosine` anneals to `etaMin` (default 0) over `tMax` epochs.
 */
export type ScheduleSpec =
  | {
      /** The learning rate stays as compiled. */
      name: 'constant';
    }
  | {
      /** Multiply by `gamma` every `stepSize` epochs. */
      name: 'step';
      /** Epochs between decays. */
      stepSize: number;
      /** The factor (default 0.1). */
      gamma?: number;
    }
  | {
      /** Multiply by `gamma` every epoch. */
      name: 'exponential';
      /** The factor per epoch. */
      gamma: number;
    }
  | {
      /** Cosine annealing. */
      name: 'cosine';
      /** Epochs to anneal over. */
      tMax: number;
      /** The rate at the end (default 0). */
      etaMin?: number;
    };

/**
 * How a model trains: `Model.compile` / `Trainer.compile`. Compiling again resets the optimizer's
 * state. Unknown keys are E_OPTION; invalid values E_OPTION or E_RANGE.
 * @example
 * ```ts
 * const trainer = await createTrainer({ worker: false });
 * await trainer.build(sequential({ input: { vocab: 10 } }).embedding({ dim: 4 }).gru({ units: 8 }).dense({ units: 10 }), { seed: 1 });
 * await trainer.compile({ optimizer: { name: 'adam', lr: 2e-3 }, clipNorm: 5, schedule: { name: 'cosine', tMax: 10 } });
 * await trainer.dispose();
 * ```
 */
export interface CompileOptions {
  /**
   * The loss.
   * @default 'crf' for models that end in `.crf()`, else 'crossEntropy'
   */
  loss?: LossName;
  /**
   * Options of the `ctc` loss (PyTorch's names): the blank class, the reduction, zeroInfinity.
   * Only with `loss: 'ctc'`, which needs a per-step output of labels + 1 classes.
   * @default { blank: 0, reduction: 'mean', zeroInfinity: false }
   */
  ctc?: CtcOptions;
  /**
   * The optimizer. A bare name uses PyTorch's defaults (sgd needs `{ name: 'sgd', lr }`).
   * @default { name: 'adam', lr: 1e-3 }
   */
  optimizer?: OptimizerSpec;
  /**
   * Clip gradients by global L2 norm (PyTorch `clip_grad_norm_`).
   * @default no clipping
   */
  clipNorm?: number;
  /**
   * Clip every gradient to [−v, v] (PyTorch `clip_grad_value_`).
   * @default no clipping
   */
  clipValue?: number;
  /**
   * Learning-rate schedule, advanced at the end of each epoch.
   * @default { name: 'constant' }
   */
  schedule?: ScheduleSpec;
}

/**
 * One padded batch for `predict`, `forward` and `trainStep`: token ids or features, batch-first
 * and row-major. A token model takes `ids`, a feature model `features`.
 */
export interface BatchInput {
  /** Token ids [B·T] (token models), row-major: row b, step t at `b·T + t`. */
  ids?: Uint32Array | Int32Array | ArrayLike<number>;
  /** Features [B·T·F] (feature models), row-major. */
  features?: Float32Array;
  /** B, the number of rows (sequences). */
  batch: number;
  /** T, the padded sequence length. */
  steps: number;
  /**
   * Valid steps per row [B], each ≤ steps; padded steps are ignored everywhere, loss included.
   * @default every row has `steps`
   */
  lengths?: ArrayLike<number>;
}

/** Targets of one batch, for `trainStep` and `loss`. */
export interface BatchTargets {
  /** Class per output row ([B·T] for per-step outputs, [B] for one per sequence); −100 ignores a row. */
  classes?: Int32Array | ArrayLike<number>;
  /** Values per output element (mse), shaped like the output: [B·T·O] or [B·O]. */
  values?: Float32Array;
}

/** What one optimizer update reports. */
export interface StepResult {
  /** Mean loss over the batch's counted rows, before the update. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate used for this update. */
  lr: number;
}

const EMPTY_F = new Float32Array(0);
const EMPTY_U = new Uint32Array(0);
const EMPTY_I = new Int32Array(0);

function toIds(ids: BatchInput['ids']): Uint32Array {
  if (ids === undefined) return EMPTY_U;
  if (ids instanceof Uint32Array) return ids;
  const out = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rangeError(`ids[${i}] = ${v} is not a valid token id (a non-negative integer)`);
    out[i] = v;
  }
  return out;
}

function toLengths(l: ArrayLike<number> | undefined): Uint32Array {
  if (l === undefined) return EMPTY_U;
  const out = new Uint32Array(l.length);
  for (let i = 0; i < l.length; i++) {
    if (!Number.isInteger(l[i]) || l[i] < 0 || l[i] > 0xffffffff) throw rangeError(`lengths[${i}] = ${l[i]} must be a non-negative integer`);
    out[i] = l[i];
  }
  return out;
}

/** Classes as Int32Array: integers, −100 (ignored) or a class id; NaN, 1.5 or 2^32 + 1 are E_RANGE. */
export function toClasses(c: BatchTargets['classes']): Int32Array {
  if (c === undefined) return EMPTY_I;
  if (c instanceof Int32Array) return c;
  const out = new Int32Array(c.length);
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (!Number.isInteger(v) || v < -100 || v > 0x7fff_ffff)
      throw rangeError(`classes[${i}] = ${v} is not a class id (an integer ≥ 0, or −100 to ignore the row)`);
    out[i] = v;
  }
  return out;
}

/** The batch's B and T: integers below 2^32. */
function dims(input: BatchInput): [number, number] {
  return [u32('batch', input.batch), u32('steps', input.steps)];
}

/** The checked batch the core Trainer's `step` and `gradStep` take after the model, as a wasm
 * `SupervisedBatch` (ids, features, B, T, lengths, class targets, value targets; the option keys
 * are checked first); the call that takes it frees it. */
function supervisedBatch(input: BatchInput, targets: BatchTargets) {
  const [b, t] = dims(input);
  return new (wasm().SupervisedBatch)(
    toIds(input.ids),
    input.features ?? EMPTY_F,
    b,
    t,
    toLengths(input.lengths),
    toClasses(targets.classes),
    targets.values ?? EMPTY_F,
  );
}

/**
 * A built network in wasm memory, with the low-level operations: forward, loss, one training
 * step, truncated BPTT, stepwise prediction, generation, and parameters by PyTorch name. Make one
 * with `sequential(...).build()` or `Model.fromSpec`; `createTrainer` wraps one (in a worker or
 * in this thread) with `fit`, `evaluate`, `save` and `load`.
 *
 * A model holds wasm memory: call `dispose()` when done (a FinalizationRegistry frees it
 * eventually otherwise). Errors (E_SHAPE, E_RANGE, E_NONFINITE, E_OPTION, E_STATE) leave it usable.
 * @example
 * ```ts
 * import { init, sequential } from 'recurrent-nn';
 * await init();
 * const model = sequential({ input: { vocab: 5 } }).embedding({ dim: 4 }).lstm({ units: 8 }).dense({ units: 5 }).build({ seed: 1 });
 * model.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
 * const input = { ids: [0, 1, 2, 3, 1, 2, 3, 4], batch: 2, steps: 4 };
 * const { loss } = model.trainStep(input, { classes: [1, 2, 3, 4, 2, 3, 4, 0] });
 * const logits = model.forward(input); // Float32Array [2·4·5]: logits per step
 * model.dispose();
 * ```
 */
export class Model extends TrainableModel<CompileOptions> {
  /** The architecture (a copy of what the model was built from). */
  readonly spec: ModelSpecJSON;
  /** The initialisation seed. */
  readonly seed: number;
  #core: CoreModel | undefined;
  /** Whether trackGradientNorms() is on. */
  #tracking = false;
  /** The last inference forward ran as several calls (its B·T was above `maxBatchSteps`). */
  #forwardSplit = false;
  /** predictStep is running (the carried state is per batch: no splitting). */
  #carrying = false;

  protected readonly compileKind = 'sequential';

  private constructor(spec: ModelSpecJSON, seed: number, core: CoreModel) {
    super();
    this.spec = spec;
    this.seed = seed;
    this.#core = core;
  }

  /** @internal The wasm model; E_STATE once disposed. */
  get core(): CoreModel {
    if (!this.#core) throw stateError('this model has been disposed');
    return this.#core;
  }

  /**
   * Builds a model from its JSON architecture (see `sequential()` for the typed way), initialised
   * from `seed` (default 0). Needs `await init()` first (E_NOT_READY).
   */
  static fromSpec(spec: ModelSpecJSON, seed = 0): Model {
    seedOpt('build.seed', seed);
    checkSpec(spec);
    const w = wasm();
    const input = spec.input as Record<string, unknown>;
    checkKeys('spec.input', input, ['vocab', 'features', 'slots']);
    const s =
      'vocab' in input
        ? w.ModelSpec.tokens(posInt('spec.input.vocab', input.vocab), input.slots === undefined ? undefined : posInt('spec.input.slots', input.slots))
        : w.ModelSpec.features(posInt('spec.input.features', input.features));
    if (!Array.isArray(spec.layers)) throw optionError('spec.layers must be an array');
    for (const l of spec.layers as LayerSpecJSON[]) {
      switch (l.type) {
        case 'embedding':
          checkKeys('embedding', l, ['type', 'name', 'dim']);
          s.addEmbedding(l.name, posInt('embedding.dim', l.dim));
          break;
        case 'recurrent':
          checkKeys('recurrent', l, RECURRENT_SPEC_KEYS);
          s.addRecurrent(l);
          break;
        case 'dropout':
          checkKeys('dropout', l, ['type', 'rate']);
          s.addDropout(l.rate);
          break;
        case 'dense':
          checkKeys('dense', l, ['type', 'name', 'units']);
          s.addDense(l.name, posInt('dense.units', l.units));
          break;
        case 'crf':
          checkKeys('crf', l, ['type', 'name']);
          s.addCrf(l.name);
          break;
        default:
          throw optionError(`unknown layer type '${String((l as { type?: unknown }).type)}'`);
      }
    }
    const core = new w.Model(s, seed >>> 0);
    s.free();
    return new Model(structuredClone(spec), seed, core);
  }

  /** Whether the model reads token ids (`input: { vocab }`) rather than features. */
  get isTokenModel(): boolean {
    return 'vocab' in this.spec.input;
  }
  /** Token ids per step of a token model (`input.slots`, 1 unless set); undefined for a feature model. */
  get inputSlots(): number | undefined {
    return 'vocab' in this.spec.input ? (this.spec.input.slots ?? 1) : undefined;
  }
  /** The input vocabulary size of a token model; undefined for a feature model. */
  get vocabSize(): number | undefined {
    return 'vocab' in this.spec.input ? this.spec.input.vocab : undefined;
  }
  /** Numbers per output row: the last layer's units (D·H for a recurrent last layer). */
  get outputDim(): number {
    return this.core.outputDim();
  }
  /** Whether the output has one row per step (B·T rows) rather than one per sequence (B rows). */
  get outputIsSequence(): boolean {
    return this.core.outputIsSequence();
  }
  /** Whether the model ends in a CRF head (`.crf()`). */
  get hasCrf(): boolean {
    return this.spec.layers.at(-1)?.type === 'crf';
  }
  /** Total number of parameters (floats). */
  get paramCount(): number {
    return this.core.paramCount();
  }

  /**
   * The parameter names in PyTorch's conventions and order (`embedding.weight`,
   * `rnn.weight_ih_l0`, …, `head.weight`, `head.bias`).
   */
  paramNames(): string[] {
    return this.core.paramNames();
  }
  /** A parameter's shape, e.g. [G·H, I] for `rnn.weight_ih_l0`; E_OPTION for an unknown name. */
  paramShape(name: string): number[] {
    return Array.from(this.core.paramShape(name));
  }
  /** A copy of a parameter (row-major). */
  getParam(name: string): Float32Array {
    return this.core.getParam(name);
  }
  /**
   * Overwrites a parameter (row-major, `paramShape(name)` elements); E_SHAPE / E_NONFINITE /
   * E_OPTION name what is wrong.
   */
  setParam(name: string, data: Float32Array): void {
    this.core.setParam(name, data);
  }
  /** Gradient from the last backward (loss with backward, or a training step). */
  getGrad(name: string): Float32Array {
    return this.core.getGrad(name);
  }
  /** All parameters, concatenated in `paramNames()` order. */
  getParams(): Float32Array {
    return this.core.getParams();
  }
  /** Overwrites all parameters from one array in `paramNames()` order (length `paramCount`). */
  setParams(data: Float32Array): void {
    this.core.setParams(data);
  }

  /**
   * Runs the model. Returns a fresh `Float32Array` [rows, outputDim], row-major, with rows = B·T
   * (row `b·T + t`) for per-step outputs and B otherwise. The values are the last layer's raw
   * outputs: logits (not probabilities; apply a softmax yourself) for a classifier, the
   * predicted values for a regression model, per-step tag scores before a `.crf()` head. Rows past
   * a sequence's length are padding: ignore them. Without `train`, a batch whose B·T is above
   * {@link Model.maxBatchSteps} runs as several calls over groups of whole rows (same outputs;
   * `loss` then needs a batch that fits); one row longer than that is E_RANGE naming the limit.
   * @param opts.train run dropout as in training (default false)
   */
  forward(input: BatchInput, opts: { train?: boolean } = {}): Float32Array {
    checkKeys('batch', input, ['ids', 'features', 'batch', 'steps', 'lengths']);
    const train = opts.train ?? false;
    this.#forwardSplit = false;
    if (!train && !this.#carrying) {
      const perStep = this.outputIsSequence;
      const out = this.#split(input, perStep ? 'steps' : 'rows', (b, t, ids, f, l) => this.core.forward(ids, f, b, t, l, false));
      if (out) {
        this.#forwardSplit = true;
        return out as Float32Array;
      }
    }
    return this.core.forward(toIds(input.ids), input.features ?? EMPTY_F, ...dims(input), toLengths(input.lengths), train);
  }

  /**
   * The largest B·T one call into the core may take with this model (2^27 floats of
   * activations over the floats it keeps per row and step). Inference (`forward` without
   * `train`, `decode`) splits a larger batch by rows by itself; a training batch must fit.
   */
  get maxBatchSteps(): number {
    return this.core.maxBatchSteps();
  }

  /** Runs an inference batch above `maxBatchSteps` as groups of whole rows, each padded to
   * its own longest row, and returns the output in the batch's layout ('steps': [B·T, O],
   * padded steps 0; 'rows': [B, O]; 'paths': [B·T] tags, −1 on padded steps); undefined when
   * the batch fits one call. */
  #split(
    input: BatchInput,
    shape: 'steps' | 'rows' | 'paths',
    run: (b: number, t: number, ids: Uint32Array, f: Float32Array, l: Uint32Array) => Float32Array | Int32Array,
  ): Float32Array | Int32Array | undefined {
    const [b, t] = dims(input);
    const max = this.core.maxBatchSteps();
    if (b * t <= max) return undefined;
    // Inconsistent sizes (a bogus B of 2^31, ids of the wrong length) go to the core whole, which
    // names what is wrong before anything of size B is allocated here.
    const ids = toIds(input.ids);
    const features = input.features ?? EMPTY_F;
    const fdim = features.length / (b * t);
    if (ids.length === 0 && features.length === 0) return undefined;
    const slots = 'vocab' in this.spec.input ? (this.spec.input.slots ?? 1) : 1;
    if (ids.length !== 0 && ids.length !== b * t * slots) return undefined;
    if (features.length !== 0 && !Number.isInteger(fdim)) return undefined;
    if (input.lengths && input.lengths.length !== b) return undefined;
    const lens = rowLengths(b, t, input.lengths);
    const groups = rowGroups(lens, max);
    const width = shape === 'paths' ? 1 : this.outputDim;
    const rows = shape === 'rows' ? b : b * t;
    const out = shape === 'paths' ? new Int32Array(rows).fill(-1) : new Float32Array(rows * width);
    for (const g of groups) {
      const gi = ids.length ? sliceRows(ids, t, slots, g, lens) : EMPTY_U;
      const gf = features.length ? sliceRows(features, t, fdim, g, lens) : EMPTY_F;
      const gl = Uint32Array.from(lens.slice(g.start, g.end));
      const part = run(g.end - g.start, g.steps, gi, gf, gl);
      placeRows(part, out, t, width, g, shape !== 'rows');
    }
    return out;
  }

  /**
   * Loss of the last forward against `targets`: `{ loss, count }`, the mean over the `count` rows
   * that counted. With `backward: true` the gradients are computed too (`getGrad`). E_STATE before
   * any forward.
   * @param opts.loss default: the compiled loss, else crf / crossEntropy / mse by the model and targets
   */
  loss(
    targets: BatchTargets,
    opts: { loss?: LossName; backward?: boolean } = {},
  ): {
    /** The mean loss. */
    loss: number;
    /** Targets it averages over. */
    count: number;
  } {
    checkKeys('targets', targets, ['classes', 'values']);
    if (this.#forwardSplit)
      throw stateError(
        `the last forward ran as several calls (its B·T was above maxBatchSteps = ${this.maxBatchSteps}); for a loss, run batches of at most that many rows × steps`,
      );
    const kind = opts.loss ?? this.compiled?.loss ?? (this.hasCrf ? 'crf' : this.isTokenModel || !('values' in targets) ? 'crossEntropy' : 'mse');
    const ctc = kind === 'ctc' ? (this.compiled?.ctc ?? {}) : undefined;
    const r = this.core.loss(toClasses(targets.classes), targets.values ?? EMPTY_F, kind, ctc, opts.backward ?? false);
    return { loss: r[0], count: r[1] };
  }

  /**
   * Turns the recording of per-step gradient norms on (or off with `false`): from now on every
   * backward (`loss` with `backward: true`, `trainStep`, `gradStep`, a fit) records, per
   * recurrent layer, ||dL/dh_t|| (and ||dL/dc_t|| for the LSTM) for {@link gradientNorms}.
   * Off by default, and then it costs nothing.
   */
  trackGradientNorms(on = true): void {
    this.#tracking = on;
    this.core.recordStepNorms(on);
  }

  /**
   * The per-step gradient norms of the last backward, one entry per recurrent layer in model
   * order, each [layers·directions, T] (see {@link GradientNorms}). E_STATE unless
   * `trackGradientNorms()` is on and a backward has run since.
   */
  gradientNorms(): GradientNorms[] {
    return gradientNormsFromCore(this.core.stepNorms());
  }

  /**
   * The per-step gradient norms of the loss on one batch: a forward in inference mode (no
   * dropout), the loss (`opts.loss` as in {@link loss}) and its backward, recorded for this
   * backward only. No update; the model's gradients are this batch's afterwards, as after
   * `loss` with `backward: true`.
   * @example
   * ```ts
   * const [rnn] = model.gradientProfile({ features, batch: 8, steps: 100 }, { values: targets });
   * console.log(rnn.h[0], rnn.h[99]); // how much gradient reaches the first and the last step
   * ```
   */
  gradientProfile(input: BatchInput, targets: BatchTargets, opts: { loss?: LossName } = {}): GradientNorms[] {
    checkKeys('gradientProfile', opts, ['loss']);
    this.forward(input);
    this.core.recordStepNorms(true);
    try {
      this.loss(targets, { loss: opts.loss, backward: true });
      return this.gradientNorms();
    } finally {
      this.core.recordStepNorms(this.#tracking);
    }
  }

  /**
   * Viterbi decoding under the CRF head (`.crf()`): the best tag path of each row, [B·T],
   * −1 on steps past a row's length. Runs the forward in inference mode; a batch above
   * {@link Model.maxBatchSteps} runs as groups of whole rows, as in `forward`.
   */
  decode(input: BatchInput): Int32Array {
    checkKeys('batch', input, ['ids', 'features', 'batch', 'steps', 'lengths']);
    this.#forwardSplit = false;
    const out = this.#split(input, 'paths', (b, t, ids, f, l) => this.core.crfDecode(ids, f, b, t, l));
    if (out) {
      this.#forwardSplit = true;
      return out as Int32Array;
    }
    return this.core.crfDecode(toIds(input.ids), input.features ?? EMPTY_F, ...dims(input), toLengths(input.lengths));
  }

  /** The sequential model's part of `compile`: its loss (by default 'crf' under a `.crf()` head,
   * else cross-entropy), the CTC options and the schedule. */
  protected newTrainer(opts: CompileOptions | undefined, cfg: TrainerConfig): KindTrainer<CompileOptions> {
    const loss = opts?.loss ?? (this.hasCrf ? 'crf' : 'crossEntropy');
    cfg.loss = loss;
    if (opts?.ctc !== undefined) {
      if (loss !== 'ctc') throw optionError(`compile.ctc applies to loss 'ctc', not '${loss}'`);
      checkKeys('compile.ctc', opts.ctc, ['blank', 'reduction', 'zeroInfinity']);
      cfg.ctc = opts.ctc;
    }
    if (loss === 'ctc') {
      if (!this.outputIsSequence || this.hasCrf)
        throw optionError("loss 'ctc' needs one output per step (returnSequences: true, no .crf()), a dense layer of labels + 1 classes last");
      const blank = opts?.ctc?.blank ?? 0;
      if (!Number.isInteger(blank) || blank < 0 || blank >= this.outputDim)
        throw rangeError(`compile.ctc.blank = ${blank} must be a class in [0, ${this.outputDim}) (the output width)`);
    }
    if (opts?.schedule !== undefined) cfg.schedule = opts.schedule;
    return { trainer: new (wasm().Trainer)(this.core, cfg), compiled: { ...opts, loss } };
  }

  #needTrainer(): CoreTrainer {
    const t = this.trainer;
    if (!t) throw stateError('call model.compile({ loss, optimizer }) before training');
    return t;
  }

  /** The trainer for a supervised batch, after its option keys are checked (E_OPTION before E_STATE). */
  #checkedTrainer(input: BatchInput, targets: BatchTargets): CoreTrainer {
    checkKeys('batch', input, ['ids', 'features', 'batch', 'steps', 'lengths']);
    checkKeys('targets', targets, ['classes', 'values']);
    return this.#needTrainer();
  }

  /**
   * One optimizer update on one batch (forward, loss, backward, clip, step). E_STATE before
   * `compile`.
   */
  trainStep(input: BatchInput, targets: BatchTargets): StepResult {
    const r = this.#checkedTrainer(input, targets).step(this.core, supervisedBatch(input, targets));
    return { loss: r[0], gradNorm: r[1], lr: r[3] };
  }

  /**
   * The first half of `trainStep` (data-parallel training): forward, loss and backward, leaving
   * the gradient of the batch's mean loss in the model (`getGrads`); no update. Returns the
   * mean loss and the rows (or target steps) it counted.
   */
  gradStep(
    input: BatchInput,
    targets: BatchTargets,
  ): {
    /** The mean loss. */
    loss: number;
    /** Targets it averages over. */
    count: number;
  } {
    const r = this.#checkedTrainer(input, targets).gradStep(this.core, supervisedBatch(input, targets));
    return { loss: r[0], count: r[1] };
  }

  /** Every gradient, in `paramNames()` order (length `paramCount`), after a backward or a step;
   * with `out` (length `paramCount`, e.g. a view of shared memory), copied straight into it. */
  getGrads(out?: Float32Array): Float32Array {
    if (!out) return this.core.getGrads();
    this.core.copyGradsTo(out);
    return out;
  }

  /**
   * The second half of `trainStep`: sets the gradients to `grads` (length `paramCount`, in
   * `paramNames()` order; e.g. several replicas' gradients combined), clips them and applies
   * one update, exactly as `trainStep` does after its backward.
   */
  applyGrads(grads: Float32Array): {
    /** Global norm of the gradients before clipping. */
    gradNorm: number;
    /** The learning rate used. */
    lr: number;
  } {
    const r = this.#needTrainer().applyGrads(this.core, grads);
    return { gradNorm: r[0], lr: r[1] };
  }

  /**
   * Truncated BPTT over ids/targets [B, T]: windows of `window` steps, the state carried
   * across windows and detached, one update per window, starting from zeros. Returns one
   * result per window.
   */
  trainTbptt(input: { ids: BatchInput['ids']; batch: number; steps: number }, targets: { classes: BatchTargets['classes'] }, window: number): StepResult[] {
    const r = this.#needTrainer().stepTbptt(this.core, toIds(input.ids), toClasses(targets.classes), ...dims(input), u32('window', window));
    const lr = this.#needTrainer().lr();
    const out: StepResult[] = [];
    for (let i = 0; i < r.length; i += 2) out.push({ loss: r[i], gradNorm: r[i + 1], lr });
    return out;
  }

  /** The learning rate of the next update (the schedule applied to the base rate). E_STATE before `compile`. */
  get learningRate(): number {
    return this.#needTrainer().lr();
  }
  /** Sets the base learning rate (a finite number ≥ 0, E_RANGE otherwise; the schedule applies to it). E_STATE before `compile`. */
  set learningRate(lr: number) {
    this.#needTrainer().setLearningRate(lr);
  }

  /** Advances the learning-rate schedule (once per epoch). */
  scheduleStep(): void {
    this.#needTrainer().scheduleStep();
  }

  /** Optimizer state (for checkpoints). */
  getOptimizerState(): Float32Array | undefined {
    return this.trainer?.getState();
  }
  /** Restores optimizer state saved by `getOptimizerState` (needs `compile` with the same options). */
  setOptimizerState(s: Float32Array): void {
    this.#needTrainer().setState(s);
  }
  /** Optimizer updates since the last `compile`. */
  get optimizerSteps(): number {
    return this.trainer?.stepCount() ?? 0;
  }

  /** Dropout RNG state (for checkpoints). */
  getRngState(): Uint32Array {
    return this.core.rngState();
  }
  /** Restores the dropout RNG state saved by `getRngState`. */
  setRngState(s: Uint32Array): void {
    this.core.setRngState(s);
  }

  /**
   * Stateful prediction: each call continues from the previous call's final state (e.g. one
   * step at a time, `steps: 1`), until `resetState()`. Returns what `forward` returns. Keep the
   * batch size fixed between resets (E_SHAPE otherwise).
   */
  predictStep(input: BatchInput): Float32Array {
    this.core.setCarryState(true);
    this.#carrying = true;
    try {
      return this.forward(input);
    } finally {
      this.#carrying = false;
      this.core.setCarryState(false);
    }
  }

  /**
   * CTC decoding of a batch (a model compiled with `loss: 'ctc'`): runs the forward and returns,
   * per row, its label sequences (blank and repeats removed), most probable first: the greedy
   * path by default, prefix beam search with `beam` > 1. Rows use their `lengths`.
   */
  ctcDecode(input: BatchInput, opts: { beam?: number; nBest?: number } = {}): CtcHypothesis[][] {
    checkKeys('ctcDecode', opts, ['beam', 'nBest']);
    if (this.compiled?.loss !== 'ctc') throw stateError("ctcDecode needs a model compiled with loss: 'ctc'");
    const scores = this.forward(input);
    return ctcDecode(scores, {
      batch: input.batch,
      steps: input.steps,
      classes: this.outputDim,
      lengths: input.lengths,
      blank: this.compiled.ctc?.blank ?? 0,
      beam: opts.beam,
      nBest: opts.nBest,
    });
  }

  /** Forgets the state kept by predictStep. */
  resetState(): void {
    this.core.resetState();
  }

  /**
   * Samples token ids after a prompt of ids; the whole loop runs inside wasm. Feeds the prompt
   * (≥ 1 id) from a zero state, then samples `maxTokens` ids, each fed back; returns only the
   * new ids. Needs a token model whose per-step output is over the vocabulary (E_OPTION otherwise).
   * Options as in {@link GenerateOptions}: maxTokens (default 100), temperature (default 1, 0 =
   * greedy), topK (default 0 = all), topP (default 1 = all), seed (default 0).
   */
  generateIds(prompt: ArrayLike<number>, opts: { maxTokens?: number; temperature?: number; topK?: number; topP?: number; seed?: number } = {}): Uint32Array {
    checkKeys('generate', opts, ['maxTokens', 'temperature', 'topK', 'topP', 'seed']);
    checkGenerateScalars(opts);
    const maxTokens = opts.maxTokens ?? 100;
    if (!Number.isInteger(maxTokens) || maxTokens < 0 || maxTokens > MAX_U32)
      throw rangeError(`maxTokens must be a non-negative integer below 2^32 (got ${maxTokens})`);
    const topK = opts.topK ?? 0;
    if (!Number.isInteger(topK) || topK < 0) throw rangeError(`topK must be a non-negative integer (got ${topK})`);
    return this.core.generate(toIds(prompt), { maxTokens, temperature: opts.temperature ?? 1, topK, topP: opts.topP ?? 1, seed: (opts.seed ?? 0) >>> 0 });
  }

  /** Frees the model's (and its optimizer's) wasm memory now. The model is unusable afterwards. */
  dispose(): void {
    this.freeTrainer();
    this.#core?.free();
    this.#core = undefined;
  }
}
