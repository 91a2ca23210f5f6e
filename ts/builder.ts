// The typed model builder:
//   sequential({ input: { vocab: 96 } }).embedding({ dim: 64 })
//     .lstm({ units: 256, bidirectional: true }).dropout(0.2).gru({ units: 128 }).dense({ units: 96 })
//     .build({ seed: 1 })
// The type parameter tracks what flows between layers, so misuse fails to compile:
//   'tokens' (ids; only .embedding() fits), 'seq' ([B, T, F]) and 'vec' ([B, F], after a
//   recurrent layer with returnSequences: false; only dropout and dense fit), and 'crf' (after
//   .crf(), which ends the model: only build() fits).
// Every option is also checked at run time; an unknown or invalid one throws E_OPTION/E_RANGE.
import { CELLS, type CellType, checkGateActivation, checkProjSize, checkResetAfter } from './cells.js';
import { checkKeys, numIn, optionError, posInt } from './errors.js';
import { Model } from './model.js';
import { checkName, checkSize, type GateActivation, type InputSpec, type LayerSpecJSON, MAX_SLOTS, type ModelSpecJSON } from './spec.js';

/**
 * What flows out of the last layer so far, tracked in `SequentialBuilder`'s type parameter:
 * `'tokens'` (token ids; only `.embedding()` fits), `'seq'` (a sequence [B, T, F]), `'vec'` (one
 * vector per sequence [B, F], after a recurrent layer with `returnSequences: false`; only
 * `.dropout()` and `.dense()` fit) or `'crf'` (after `.crf()`, which ends the model).
 */
export type Flow = 'tokens' | 'seq' | 'vec' | 'crf';

/**
 * Options of `.lstm()`, `.gru()` and `.rnn()`: one recurrent layer (PyTorch `nn.LSTM` / `nn.GRU` /
 * `nn.RNN` with `batch_first=True`), possibly stacked and bidirectional.
 * @typeParam R whether it returns sequences (the builder's next flow depends on it)
 */
export interface RecurrentOptions<R extends boolean = boolean> {
  /**
   * Hidden size per direction (PyTorch `hidden_size`); the output has `units` features, or
   * `2·units` when bidirectional (both directions concatenated).
   */
  units: number;
  /**
   * Stacked layers of this cell (PyTorch `num_layers`).
   * @default 1
   */
  layers?: number;
  /**
   * Run a second pass backwards over each sequence (respecting its length) and concatenate.
   * @default false
   */
  bidirectional?: boolean;
  /**
   * Inverted dropout between the stacked layers while training, in [0, 1) (PyTorch `dropout`).
   * @default 0
   */
  dropout?: number;
  /**
   * true: one output per step [B, T, D·units]; false: one per sequence [B, D·units], each row's
   * final states (the forward direction at the row's last valid step, the backward one at step 0).
   * @default true
   */
  returnSequences?: R;
  /**
   * Gate activation of `.lstm()` / `.gru()`: 'sigmoid' (PyTorch) or 'hardSigmoid' (TF.js and
   * Keras 2's default, clip(0.2·x + 0.5, 0, 1)). Not for `.rnn()`.
   * @default 'sigmoid'
   */
  recurrentActivation?: GateActivation;
  /**
   * Prefix of the layer's parameter names (`rnn.weight_ih_l0`, …).
   * @default "rnn" for the first recurrent layer, then "rnn1", "rnn2", …
   */
  name?: string;
}

/** Options of `.gru()`: {@link RecurrentOptions} plus where the reset gate applies. */
export interface GruOptions<R extends boolean = boolean> extends RecurrentOptions<R> {
  /**
   * true: the reset gate multiplies the recurrent product, n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))
   * (PyTorch, Keras `reset_after=True`); false: it multiplies the state before it,
   * n = tanh(W_in·x + b_in + W_hn·(r ⊙ h) + b_hn) (Keras `reset_after=False`, TF.js's only GRU,
   * ONNX `linear_before_reset=0`). The parameters keep PyTorch's names and shapes either way.
   * @default true
   */
  resetAfter?: boolean;
}

/** Options of `.lstm()`: {@link RecurrentOptions} plus PyTorch's projection. */
export interface LstmOptions<R extends boolean = boolean> extends RecurrentOptions<R> {
  /**
   * Project h to this many units, below `units` (PyTorch `proj_size`): h = W_hr·(o ⊙ tanh c)
   * with one more parameter `weight_hr_l{k}` [projSize, units] per layer and direction; the
   * output has `projSize` features per direction. Sigmoid gates only; not expressible in ONNX.
   * @default none (h has `units` features)
   */
  projSize?: number;
}

/** Options of `.rnn()`: {@link RecurrentOptions} plus the activation. */
export interface RnnOptions<R extends boolean = boolean> extends RecurrentOptions<R> {
  /**
   * The vanilla RNN's non-linearity (PyTorch `nonlinearity`).
   * @default 'tanh'
   */
  activation?: 'tanh' | 'relu';
}

/** The flow after a recurrent layer: `'vec'` when `returnSequences` is false, else `'seq'`. */
type After<R> = R extends false ? 'vec' : 'seq';

const RECURRENT_KEYS = ['units', 'layers', 'bidirectional', 'dropout', 'returnSequences', 'name'] as const;

/**
 * The typed model builder that `sequential()` starts: each call returns a new builder with one
 * more layer (builders are immutable and can be branched). The type parameter tracks what flows
 * out of the last layer (see {@link Flow}), so misuse does not compile: an LSTM straight on token
 * ids, a recurrent layer after a pooled (`returnSequences: false`) one, anything after `.crf()`.
 * Every option is also checked at run time: an unknown one is E_OPTION, an invalid value
 * E_OPTION or E_RANGE, naming it.
 *
 * Finish with `.build({ seed })` for a {@link Model} in this thread, or pass the builder to
 * `Trainer.build` (which uses `toJSON()`).
 * @typeParam F what flows out of the last layer so far
 * @example
 * ```ts
 * const model = sequential({ input: { vocab: 96 } })
 *   .embedding({ dim: 64 })
 *   .lstm({ units: 256, bidirectional: true })
 *   .dropout(0.2)
 *   .gru({ units: 128 })
 *   .dense({ units: 96 }) // named "head"
 *   .build({ seed: 1 });
 * ```
 */
export class SequentialBuilder<F extends Flow> {
  /** Type-level only (no value at run time): what flows out of the last layer. */
  declare readonly flow: F;
  readonly #input: InputSpec;
  readonly #layers: (LayerSpecJSON & { auto?: boolean })[];
  readonly #flow: Flow;

  /** @internal use sequential() */
  constructor(input: InputSpec, layers: (LayerSpecJSON & { auto?: boolean })[], flow: Flow) {
    this.#input = input;
    this.#layers = layers;
    this.#flow = flow;
  }

  #next<G extends Flow>(layer: LayerSpecJSON & { auto?: boolean }, flow: Flow): SequentialBuilder<G> {
    return new SequentialBuilder<G>(this.#input, [...this.#layers, layer], flow);
  }

  #need(what: string, flows: Flow[]): void {
    if (!flows.includes(this.#flow)) {
      const now = { tokens: 'token ids', seq: 'a sequence', vec: 'one vector per sequence', crf: 'the crf head (the last layer)' }[this.#flow];
      throw optionError(`${what} cannot follow ${now} here`);
    }
  }

  #count(type: string): number {
    return this.#layers.filter((l) => l.type === type).length;
  }

  /**
   * Token ids → vectors of `dim` (PyTorch `nn.Embedding`; a one-hot input without the one-hot
   * vectors). Only right after `sequential({ input: { vocab } })`.
   * @param opts.dim the vector size
   * @param opts.name parameter prefix (`embedding.weight`); default "embedding"
   */
  embedding(this: SequentialBuilder<'tokens'>, opts: { dim: number; name?: string }): SequentialBuilder<'seq'> {
    checkKeys('embedding', opts, ['dim', 'name']);
    if (opts.name !== undefined) checkName('embedding.name', opts.name);
    const self = this as SequentialBuilder<Flow>;
    self.#need('embedding', ['tokens']);
    return self.#next({ type: 'embedding', name: opts.name ?? 'embedding', dim: posInt('embedding.dim', opts.dim) }, 'seq');
  }

  #recurrent<R extends boolean>(cell: CellType, where: string, opts: RecurrentOptions<R>): SequentialBuilder<After<R>> {
    this.#need(where, ['seq']);
    const k = this.#count('recurrent');
    const ret = opts.returnSequences ?? true;
    if (typeof ret !== 'boolean') throw optionError(`${where}.returnSequences must be a boolean`);
    if (opts.bidirectional !== undefined && typeof opts.bidirectional !== 'boolean') throw optionError(`${where}.bidirectional must be a boolean`);
    if (opts.name !== undefined) checkName(`${where}.name`, opts.name);
    return this.#next(
      {
        type: 'recurrent',
        name: opts.name ?? (k === 0 ? 'rnn' : `rnn${k}`),
        cell,
        units: posInt(`${where}.units`, opts.units),
        layers: posInt(`${where}.layers`, opts.layers, 1),
        bidirectional: opts.bidirectional ?? false,
        dropout: numIn(`${where}.dropout`, opts.dropout, 0, 1, 0),
        returnSequences: ret,
        ...gateActivation(`${where}.recurrentActivation`, opts.recurrentActivation, cell),
        ...resetAfter(`${where}.resetAfter`, (opts as GruOptions<R>).resetAfter, cell),
        ...projSize(`${where}.projSize`, (opts as LstmOptions<R>).projSize, cell, opts.units, opts.recurrentActivation),
      },
      ret ? 'seq' : 'vec',
    );
  }

  /**
   * An LSTM layer (PyTorch `nn.LSTM`, gates i, f, g, o). Parameters `NAME.weight_ih_l{k}`,
   * `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (and `…_reverse` when bidirectional), and
   * `weight_hr_l{k}` with `projSize`.
   * @example
   * ```ts
   * sequential({ input: { features: 3 } }).lstm({ units: 32, layers: 2, dropout: 0.1, returnSequences: false }).dense({ units: 1 });
   * sequential({ input: { features: 3 } }).lstm({ units: 32, projSize: 8 }).dense({ units: 1 }); // PyTorch proj_size
   * ```
   */
  lstm<R extends boolean = true>(this: SequentialBuilder<'seq'>, opts: LstmOptions<R>): SequentialBuilder<After<R>> {
    checkKeys('lstm', opts, keysOf('lstm'));
    return (this as SequentialBuilder<Flow>).#recurrent('lstm', 'lstm', opts);
  }

  /**
   * A GRU layer (PyTorch `nn.GRU`, gates r, z, n, the reset applied after the recurrent product;
   * `resetAfter: false` applies it before, as Keras `reset_after=False` and TF.js do).
   * Parameters as for `lstm`.
   * @example
   * ```ts
   * sequential({ input: { features: 3 } }).gru({ units: 16, resetAfter: false, recurrentActivation: 'hardSigmoid' }).dense({ units: 1 });
   * ```
   */
  gru<R extends boolean = true>(this: SequentialBuilder<'seq'>, opts: GruOptions<R>): SequentialBuilder<After<R>> {
    checkKeys('gru', opts, keysOf('gru'));
    return (this as SequentialBuilder<Flow>).#recurrent('gru', 'gru', opts);
  }

  /** Vanilla (Elman) RNN (PyTorch `nn.RNN`), tanh (default) or ReLU (`activation: 'relu'`). */
  rnn<R extends boolean = true>(this: SequentialBuilder<'seq'>, opts: RnnOptions<R>): SequentialBuilder<After<R>> {
    checkKeys('rnn', opts, [...RECURRENT_KEYS, 'activation']);
    const act = opts.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'relu') throw optionError(`rnn.activation '${String(act)}' is not one of tanh, relu`);
    const { activation: _a, ...rest } = opts;
    return (this as SequentialBuilder<Flow>).#recurrent(act === 'tanh' ? 'rnn_tanh' : 'rnn_relu', 'rnn', rest);
  }

  /**
   * Inverted dropout while training (identity when predicting), on sequences or vectors.
   * @param rate the share of values zeroed, in [0, 1)
   */
  dropout(this: SequentialBuilder<'seq' | 'vec'>, rate: number): SequentialBuilder<F extends 'vec' ? 'vec' : 'seq'> {
    const self = this as SequentialBuilder<Flow>;
    self.#need('dropout', ['seq', 'vec']);
    return self.#next<F extends 'vec' ? 'vec' : 'seq'>({ type: 'dropout', rate: numIn('dropout rate', rate, 0, 1) }, self.#flow);
  }

  /**
   * Linear layer (PyTorch `nn.Linear`), per step on sequences or per row on vectors; no activation
   * (a classifier's outputs are logits). The last dense layer is named "head" unless named
   * otherwise; others default to "dense0", "dense1", ….
   * @param opts.units output size (the number of classes for a classifier, the vocabulary size for a language model)
   */
  dense(this: SequentialBuilder<'seq' | 'vec'>, opts: { units: number; name?: string }): SequentialBuilder<F extends 'vec' ? 'vec' : 'seq'> {
    checkKeys('dense', opts, ['units', 'name']);
    if (opts.name !== undefined) checkName('dense.name', opts.name);
    const self = this as SequentialBuilder<Flow>;
    self.#need('dense', ['seq', 'vec']);
    const k = self.#count('dense');
    return self.#next<F extends 'vec' ? 'vec' : 'seq'>(
      { type: 'dense', name: opts.name ?? `dense${k}`, units: posInt('dense.units', opts.units), auto: opts.name === undefined },
      self.#flow,
    );
  }

  /**
   * Linear-chain CRF head over the per-step scores of the layer before it (usually
   * `.dense({ units: tags })`): its transitions are trained with the rest under
   * `compile({ loss: 'crf' })` (the default for such models), and `model.decode()` gives
   * the Viterbi paths. It must be the last layer.
   * @param opts.name parameter prefix; default "crf"
   */
  crf(this: SequentialBuilder<'seq'>, opts: { name?: string } = {}): SequentialBuilder<'crf'> {
    checkKeys('crf', opts, ['name']);
    if (opts.name !== undefined) checkName('crf.name', opts.name);
    const self = this as SequentialBuilder<Flow>;
    self.#need('crf', ['seq']);
    return self.#next({ type: 'crf', name: opts.name ?? 'crf' }, 'crf');
  }

  /**
   * The architecture as JSON (what `save` stores and `Model.fromSpec` / `Trainer.build` take),
   * with the default names filled in.
   */
  toJSON(): ModelSpecJSON {
    const layers = this.#layers.map(({ auto: _auto, ...l }) => ({ ...l }) as LayerSpecJSON);
    const lastDense = this.#layers.map((l) => l.type).lastIndexOf('dense');
    if (lastDense >= 0 && this.#layers[lastDense].auto) (layers[lastDense] as { name: string }).name = 'head';
    return { input: { ...this.#input }, layers };
  }

  /**
   * Allocates the model in wasm, initialised from `seed` with PyTorch's init rules (needs
   * `await init()` first, else E_NOT_READY). Free it with `model.dispose()` when done.
   * @param opts.seed initialisation seed; default 0
   */
  build(this: SequentialBuilder<'seq' | 'vec' | 'crf'>, opts: { seed?: number } = {}): Model {
    checkKeys('build', opts, ['seed']);
    return Model.fromSpec(this.toJSON(), opts.seed ?? 0);
  }
}

/** Options of {@link sequential}. */
export interface SequentialOptions<I extends InputSpec> {
  /**
   * Token ids (`{ vocab: V }`, start with `.embedding()`) or `F` features per step
   * (`{ features: F }`, start with a recurrent or dense layer).
   */
  input: I;
}

/**
 * Starts a typed model over token ids (`{ vocab }`) or continuous features (`{ features }`);
 * see {@link SequentialBuilder}. Exactly one of the two, else E_OPTION.
 * @example
 * ```ts
 * import { init, sequential } from 'recurrent-nn';
 * await init();
 * // a character language model: ids [B, T] → logits [B, T, 80]
 * const lm = sequential({ input: { vocab: 80 } }).embedding({ dim: 32 }).gru({ units: 64 }).dense({ units: 80 });
 * // a sequence classifier: features [B, T, 3] → logits [B, 4]
 * const clf = sequential({ input: { features: 3 } }).lstm({ units: 16, returnSequences: false }).dense({ units: 4 });
 * const model = clf.build({ seed: 1 });
 * ```
 */
export function sequential<I extends InputSpec>(
  opts: SequentialOptions<I>,
): SequentialBuilder<
  I extends {
    /** Token input. */
    vocab: number;
  }
    ? 'tokens'
    : 'seq'
> {
  checkKeys('sequential', opts, ['input']);
  const input = opts?.input as InputSpec | undefined;
  checkKeys('input', input, ['vocab', 'features', 'slots']);
  type Start = I extends { vocab: number } ? 'tokens' : 'seq';
  if (input && 'vocab' in input && !('features' in input)) {
    const slots = input.slots === undefined ? {} : { slots: checkSize('input.slots', input.slots, MAX_SLOTS) };
    return new SequentialBuilder<Start>({ vocab: posInt('input.vocab', input.vocab), ...slots }, [], 'tokens');
  }
  if (input && 'slots' in input) throw optionError('input.slots goes with token input (input.vocab)');
  if (input && 'features' in input && !('vocab' in input))
    return new SequentialBuilder<Start>({ features: posInt('input.features', input.features) }, [], 'seq');
  throw optionError('sequential needs input: { vocab } or input: { features } (exactly one)');
}

/** `{ recurrentActivation }` when one is given (checked), else nothing (the spec stays as before). */
function gateActivation(what: string, v: GateActivation | undefined, cell: CellType): { recurrentActivation?: GateActivation } {
  checkGateActivation(what, v, cell);
  return v === undefined ? {} : { recurrentActivation: v };
}

/** The option keys of `.lstm()` / `.gru()`: the common ones and the cell's (from the registry). */
function keysOf(cell: CellType): string[] {
  return [...RECURRENT_KEYS, ...CELLS[cell].options];
}

/** `{ projSize }` when given (checked), else nothing. */
function projSize(what: string, v: number | undefined, cell: CellType, units: number, gate: GateActivation | undefined): { projSize?: number } {
  checkProjSize(what, v, cell, units, gate);
  return v === undefined ? {} : { projSize: v };
}

/** `{ resetAfter: false }` when asked (checked), else nothing (true is the default, not written). */
function resetAfter(what: string, v: boolean | undefined, cell: CellType): { resetAfter?: false } {
  checkResetAfter(what, v, cell);
  return v === false ? { resetAfter: false } : {};
}
