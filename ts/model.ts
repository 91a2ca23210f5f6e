// Model: a built network in wasm memory. Low-level operations (forward, loss, one training
// step, truncated BPTT, stepwise prediction, generation) live here; `fit`, `evaluate` and
// `predict` over whole data sets are in training.ts.
import { checkKeys, optionError, rangeError } from './errors.js';
import type { LayerSpecJSON, ModelSpecJSON } from './spec.js';
import { wasm } from './wasm.js';
import type { Model as CoreModel, Trainer as CoreTrainer } from './wasm/recurrent_wasm.js';

export type LossName = 'crossEntropy' | 'mse' | 'crf';
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

/** Hyper-parameters in PyTorch's meaning and defaults (torch.optim). */
export type OptimizerSpec =
  | OptimizerName
  | { name: 'sgd'; lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean }
  | { name: 'adam' | 'adamw'; lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }
  | { name: 'rmsprop'; lr?: number; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean }
  | { name: 'adagrad'; lr?: number; lrDecay?: number; weightDecay?: number; initialAccumulatorValue?: number; eps?: number };

/** Learning-rate schedules, advanced once per epoch (torch.optim.lr_scheduler closed forms). */
export type ScheduleSpec =
  | { name: 'constant' }
  | { name: 'step'; stepSize: number; gamma?: number }
  | { name: 'exponential'; gamma: number }
  | { name: 'cosine'; tMax: number; etaMin?: number };

export interface CompileOptions {
  /** Default: crf for models that end in .crf(), else crossEntropy. */
  loss?: LossName;
  /** Default: adam with lr 1e-3. A bare name uses PyTorch's defaults (sgd needs { lr }). */
  optimizer?: OptimizerSpec;
  /** Clip gradients by global L2 norm. */
  clipNorm?: number;
  /** Clip every gradient to [−v, v]. */
  clipValue?: number;
  schedule?: ScheduleSpec;
}

export interface BatchInput {
  /** Token ids [B·T] (token models). */
  ids?: Uint32Array | Int32Array | ArrayLike<number>;
  /** Features [B·T·F] (feature models). */
  features?: Float32Array;
  batch: number;
  steps: number;
  /** Valid steps per row [B]; padded steps are ignored everywhere, loss included. */
  lengths?: ArrayLike<number>;
}

export interface BatchTargets {
  /** Class per output row ([B·T] or [B]); −100 ignores a row. */
  classes?: Int32Array | ArrayLike<number>;
  /** Values per output element (mse). */
  values?: Float32Array;
}

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
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

function toClasses(c: BatchTargets['classes']): Int32Array {
  if (c === undefined) return EMPTY_I;
  return c instanceof Int32Array ? c : Int32Array.from(c);
}

function normaliseOptimizer(o: OptimizerSpec | undefined): Record<string, unknown> {
  if (o === undefined) return { name: 'adam' };
  if (typeof o === 'string') {
    if (o === 'sgd') throw optionError("optimizer 'sgd' needs a learning rate: { name: 'sgd', lr }");
    return { name: o };
  }
  return { ...o };
}

export class Model {
  readonly spec: ModelSpecJSON;
  readonly seed: number;
  /** @internal */
  core: CoreModel;
  #trainer: CoreTrainer | undefined;
  #compiled: CompileOptions | undefined;

  private constructor(spec: ModelSpecJSON, seed: number, core: CoreModel) {
    this.spec = spec;
    this.seed = seed;
    this.core = core;
  }

  /** Builds a model from its JSON architecture (see `sequential()` for the typed way). */
  static fromSpec(spec: ModelSpecJSON, seed = 0): Model {
    checkKeys('spec', spec, ['input', 'layers']);
    const w = wasm();
    const input = spec.input as Record<string, unknown>;
    checkKeys('spec.input', input, ['vocab', 'features']);
    const s = 'vocab' in input ? w.ModelSpec.tokens(Number(input.vocab)) : w.ModelSpec.features(Number(input.features));
    if (!Array.isArray(spec.layers)) throw optionError('spec.layers must be an array');
    for (const l of spec.layers as LayerSpecJSON[]) {
      switch (l.type) {
        case 'embedding':
          checkKeys('embedding', l, ['type', 'name', 'dim']);
          s.addEmbedding(l.name, l.dim);
          break;
        case 'recurrent':
          checkKeys('recurrent', l, ['type', 'name', 'cell', 'units', 'layers', 'bidirectional', 'dropout', 'returnSequences']);
          s.addRecurrent(l);
          break;
        case 'dropout':
          checkKeys('dropout', l, ['type', 'rate']);
          s.addDropout(l.rate);
          break;
        case 'dense':
          checkKeys('dense', l, ['type', 'name', 'units']);
          s.addDense(l.name, l.units);
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

  get isTokenModel(): boolean {
    return 'vocab' in this.spec.input;
  }
  get vocabSize(): number | undefined {
    return 'vocab' in this.spec.input ? this.spec.input.vocab : undefined;
  }
  get outputDim(): number {
    return this.core.outputDim();
  }
  get outputIsSequence(): boolean {
    return this.core.outputIsSequence();
  }
  get compiled(): Readonly<CompileOptions> | undefined {
    return this.#compiled;
  }
  /** Whether the model ends in a CRF head (`.crf()`). */
  get hasCrf(): boolean {
    return this.spec.layers.at(-1)?.type === 'crf';
  }
  get paramCount(): number {
    return this.core.paramCount();
  }

  paramNames(): string[] {
    return this.core.paramNames();
  }
  paramShape(name: string): number[] {
    return Array.from(this.core.paramShape(name));
  }
  getParam(name: string): Float32Array {
    return this.core.getParam(name);
  }
  setParam(name: string, data: Float32Array): void {
    this.core.setParam(name, data);
  }
  /** Gradient from the last backward (loss with backward, or a training step). */
  getGrad(name: string): Float32Array {
    return this.core.getGrad(name);
  }
  /** All parameters, concatenated in paramNames() order. */
  getParams(): Float32Array {
    return this.core.getParams();
  }
  setParams(data: Float32Array): void {
    this.core.setParams(data);
  }

  /** Output [rows, outputDim]; rows = B·T for per-step outputs, B otherwise. */
  forward(input: BatchInput, opts: { train?: boolean } = {}): Float32Array {
    checkKeys('batch', input, ['ids', 'features', 'batch', 'steps', 'lengths']);
    return this.core.forward(toIds(input.ids), input.features ?? EMPTY_F, input.batch, input.steps, toLengths(input.lengths), opts.train ?? false);
  }

  /** Loss of the last forward; with `backward`, gradients are recomputed. */
  loss(targets: BatchTargets, opts: { loss?: LossName; backward?: boolean } = {}): { loss: number; count: number } {
    checkKeys('targets', targets, ['classes', 'values']);
    const kind = opts.loss ?? this.#compiled?.loss ?? (this.hasCrf ? 'crf' : this.isTokenModel || !('values' in targets) ? 'crossEntropy' : 'mse');
    const r = this.core.loss(toClasses(targets.classes), targets.values ?? EMPTY_F, kind, opts.backward ?? false);
    return { loss: r[0], count: r[1] };
  }

  /** Viterbi decoding under the CRF head (`.crf()`): the best tag path of each row, [B·T],
   * −1 on steps past a row's length. Runs the forward in inference mode. */
  decode(input: BatchInput): Int32Array {
    checkKeys('batch', input, ['ids', 'features', 'batch', 'steps', 'lengths']);
    return this.core.crfDecode(toIds(input.ids), input.features ?? EMPTY_F, input.batch, input.steps, toLengths(input.lengths));
  }

  /** Sets the loss, optimizer, clipping and schedule for training (resets optimizer state). */
  compile(opts: CompileOptions = {}): this {
    checkKeys('compile', opts, ['loss', 'optimizer', 'clipNorm', 'clipValue', 'schedule']);
    const loss = opts.loss ?? (this.hasCrf ? 'crf' : 'crossEntropy');
    const cfg: Record<string, unknown> = { loss, optimizer: normaliseOptimizer(opts.optimizer) };
    if (opts.clipNorm !== undefined) cfg.clipNorm = opts.clipNorm;
    if (opts.clipValue !== undefined) cfg.clipValue = opts.clipValue;
    if (opts.schedule !== undefined) cfg.schedule = opts.schedule;
    const t = new (wasm().Trainer)(this.core, cfg);
    this.#trainer?.free();
    this.#trainer = t;
    this.#compiled = { ...opts, loss };
    return this;
  }

  #needTrainer(): CoreTrainer {
    if (!this.#trainer) throw optionError('call model.compile({ loss, optimizer }) before training');
    return this.#trainer;
  }

  /** One optimizer update on one batch. */
  trainStep(input: BatchInput, targets: BatchTargets): StepResult {
    checkKeys('batch', input, ['ids', 'features', 'batch', 'steps', 'lengths']);
    checkKeys('targets', targets, ['classes', 'values']);
    const r = this.#needTrainer().step(
      this.core,
      toIds(input.ids),
      input.features ?? EMPTY_F,
      input.batch,
      input.steps,
      toLengths(input.lengths),
      toClasses(targets.classes),
      targets.values ?? EMPTY_F,
    );
    return { loss: r[0], gradNorm: r[1], lr: r[3] };
  }

  /** Truncated BPTT over ids/targets [B, T]: windows of `window` steps, the state carried
   * across windows and detached, one update per window, starting from zeros. */
  trainTbptt(input: { ids: BatchInput['ids']; batch: number; steps: number }, targets: { classes: BatchTargets['classes'] }, window: number): StepResult[] {
    const r = this.#needTrainer().stepTbptt(this.core, toIds(input.ids), toClasses(targets.classes), input.batch, input.steps, window);
    const lr = this.#trainer!.lr();
    const out: StepResult[] = [];
    for (let i = 0; i < r.length; i += 2) out.push({ loss: r[i], gradNorm: r[i + 1], lr });
    return out;
  }

  /** Advances the learning-rate schedule (once per epoch). */
  scheduleStep(): void {
    this.#needTrainer().scheduleStep();
  }

  /** Optimizer state (for checkpoints). */
  getOptimizerState(): Float32Array | undefined {
    return this.#trainer?.getState();
  }
  setOptimizerState(s: Float32Array): void {
    this.#needTrainer().setState(s);
  }
  get optimizerSteps(): number {
    return this.#trainer?.stepCount() ?? 0;
  }

  /** Dropout RNG state (for checkpoints). */
  getRngState(): Uint32Array {
    return this.core.rngState();
  }
  setRngState(s: Uint32Array): void {
    this.core.setRngState(s);
  }

  /** Stateful prediction: each call continues from the previous call's final state. */
  predictStep(input: BatchInput): Float32Array {
    this.core.setCarryState(true);
    try {
      return this.forward(input);
    } finally {
      this.core.setCarryState(false);
    }
  }

  /** Forgets the state kept by predictStep. */
  resetState(): void {
    this.core.resetState();
  }

  /** Samples token ids after a prompt of ids; the whole loop runs inside wasm. */
  generateIds(prompt: ArrayLike<number>, opts: { maxTokens?: number; temperature?: number; topK?: number; topP?: number; seed?: number } = {}): Uint32Array {
    checkKeys('generate', opts, ['maxTokens', 'temperature', 'topK', 'topP', 'seed']);
    const maxTokens = opts.maxTokens ?? 100;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw rangeError(`maxTokens must be a non-negative integer (got ${maxTokens})`);
    const topK = opts.topK ?? 0;
    if (!Number.isInteger(topK) || topK < 0) throw rangeError(`topK must be a non-negative integer (got ${topK})`);
    return this.core.generate(toIds(prompt), { maxTokens, temperature: opts.temperature ?? 1, topK, topP: opts.topP ?? 1, seed: (opts.seed ?? 0) >>> 0 });
  }

  free(): void {
    this.#trainer?.free();
    this.#trainer = undefined;
    this.core.free();
  }
}
