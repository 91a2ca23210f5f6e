// The typed model builder:
//   sequential({ input: { vocab: 96 } }).embedding({ dim: 64 })
//     .lstm({ units: 256, bidirectional: true }).dropout(0.2).gru({ units: 128 }).dense({ units: 96 })
//     .build({ seed: 1 })
// The type parameter tracks what flows between layers, so misuse fails to compile:
//   'tokens' (ids; only .embedding() fits), 'seq' ([B, T, F]) and 'vec' ([B, F], after a
//   recurrent layer with returnSequences: false; only dropout and dense fit), and 'crf' (after
//   .crf(), which ends the model: only build() fits).
// Every option is also checked at run time; an unknown or invalid one throws E_OPTION/E_RANGE.
import { checkKeys, numIn, optionError, posInt } from './errors.js';
import type { CellType } from './layer.js';
import { Model } from './model.js';
import type { InputSpec, LayerSpecJSON, ModelSpecJSON } from './spec.js';

export type Flow = 'tokens' | 'seq' | 'vec' | 'crf';

export interface RecurrentOptions<R extends boolean = boolean> {
  units: number;
  /** Stacked layers of this cell (default 1). */
  layers?: number;
  bidirectional?: boolean;
  /** Dropout between the stacked layers (default 0). */
  dropout?: number;
  /** true (default): one output per step; false: one per sequence (final states). */
  returnSequences?: R;
  name?: string;
}

export interface RnnOptions<R extends boolean = boolean> extends RecurrentOptions<R> {
  activation?: 'tanh' | 'relu';
}

type After<R> = R extends false ? 'vec' : 'seq';

const RECURRENT_KEYS = ['units', 'layers', 'bidirectional', 'dropout', 'returnSequences', 'name'] as const;

export class SequentialBuilder<F extends Flow> {
  /** Type-level only: what flows out of the last layer ('tokens', 'seq' or 'vec'). */
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

  /** Token ids → vectors of `dim` (one-hot input without one-hot vectors). */
  embedding(this: SequentialBuilder<'tokens'>, opts: { dim: number; name?: string }): SequentialBuilder<'seq'> {
    checkKeys('embedding', opts, ['dim', 'name']);
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
      },
      ret ? 'seq' : 'vec',
    );
  }

  lstm<R extends boolean = true>(this: SequentialBuilder<'seq'>, opts: RecurrentOptions<R>): SequentialBuilder<After<R>> {
    checkKeys('lstm', opts, RECURRENT_KEYS);
    return (this as SequentialBuilder<Flow>).#recurrent('lstm', 'lstm', opts);
  }

  gru<R extends boolean = true>(this: SequentialBuilder<'seq'>, opts: RecurrentOptions<R>): SequentialBuilder<After<R>> {
    checkKeys('gru', opts, RECURRENT_KEYS);
    return (this as SequentialBuilder<Flow>).#recurrent('gru', 'gru', opts);
  }

  /** Vanilla (Elman) RNN, tanh (default) or ReLU. */
  rnn<R extends boolean = true>(this: SequentialBuilder<'seq'>, opts: RnnOptions<R>): SequentialBuilder<After<R>> {
    checkKeys('rnn', opts, [...RECURRENT_KEYS, 'activation']);
    const act = opts.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'relu') throw optionError(`rnn.activation '${String(act)}' is not one of tanh, relu`);
    const { activation: _a, ...rest } = opts;
    return (this as SequentialBuilder<Flow>).#recurrent(act === 'tanh' ? 'rnn_tanh' : 'rnn_relu', 'rnn', rest);
  }

  /** Inverted dropout while training. */
  dropout(this: SequentialBuilder<'seq' | 'vec'>, rate: number): SequentialBuilder<F extends 'vec' ? 'vec' : 'seq'> {
    const self = this as SequentialBuilder<Flow>;
    self.#need('dropout', ['seq', 'vec']);
    return self.#next({ type: 'dropout', rate: numIn('dropout rate', rate, 0, 1) }, self.#flow) as never;
  }

  /** Linear layer (PyTorch Linear), per step on sequences or per row on vectors. The last
   * dense layer is named "head" unless named otherwise. */
  dense(this: SequentialBuilder<'seq' | 'vec'>, opts: { units: number; name?: string }): SequentialBuilder<F extends 'vec' ? 'vec' : 'seq'> {
    checkKeys('dense', opts, ['units', 'name']);
    const self = this as SequentialBuilder<Flow>;
    self.#need('dense', ['seq', 'vec']);
    const k = self.#count('dense');
    return self.#next(
      { type: 'dense', name: opts.name ?? `dense${k}`, units: posInt('dense.units', opts.units), auto: opts.name === undefined },
      self.#flow,
    ) as never;
  }

  /** Linear-chain CRF head over the per-step scores of the layer before it (usually
   * `.dense({ units: tags })`): its transitions are trained with the rest under
   * `compile({ loss: 'crf' })` (the default for such models), and `model.decode()` gives
   * the Viterbi paths. It must be the last layer. */
  crf(this: SequentialBuilder<'seq'>, opts: { name?: string } = {}): SequentialBuilder<'crf'> {
    checkKeys('crf', opts, ['name']);
    const self = this as SequentialBuilder<Flow>;
    self.#need('crf', ['seq']);
    return self.#next({ type: 'crf', name: opts.name ?? 'crf' }, 'crf');
  }

  /** The architecture as JSON (what `save` stores). */
  toJSON(): ModelSpecJSON {
    const layers = this.#layers.map(({ auto: _auto, ...l }) => ({ ...l }) as LayerSpecJSON);
    const lastDense = this.#layers.map((l) => l.type).lastIndexOf('dense');
    if (lastDense >= 0 && this.#layers[lastDense].auto) (layers[lastDense] as { name: string }).name = 'head';
    return { input: { ...this.#input }, layers };
  }

  /** Allocates the model in wasm, initialised from `seed` (PyTorch's init rules). */
  build(this: SequentialBuilder<'seq' | 'vec' | 'crf'>, opts: { seed?: number } = {}): Model {
    checkKeys('build', opts, ['seed']);
    return Model.fromSpec(this.toJSON(), opts.seed ?? 0);
  }
}

export interface SequentialOptions<I extends InputSpec> {
  input: I;
}

/** Starts a model over token ids ({ vocab }) or continuous features ({ features }). */
export function sequential<I extends InputSpec>(opts: SequentialOptions<I>): SequentialBuilder<I extends { vocab: number } ? 'tokens' : 'seq'> {
  checkKeys('sequential', opts, ['input']);
  const input = opts?.input as InputSpec | undefined;
  checkKeys('input', input, ['vocab', 'features']);
  if (input && 'vocab' in input && !('features' in input)) return new SequentialBuilder({ vocab: posInt('input.vocab', input.vocab) }, [], 'tokens') as never;
  if (input && 'features' in input && !('vocab' in input))
    return new SequentialBuilder({ features: posInt('input.features', input.features) }, [], 'seq') as never;
  throw optionError('sequential needs input: { vocab } or input: { features } (exactly one)');
}
