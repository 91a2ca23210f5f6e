// RecurrentLayer: a bare recurrent stack (RNN / LSTM / GRU; stacked, bidirectional) with
// PyTorch-named parameters, explicit forward and backward. Shapes are batch-first:
//   x [B, T, I] → out [B, T, D·H]; h0, c0, hN, cN [L·D, B, H]   (D = 2 if bidirectional)

import { CELL_TYPES, CELLS, type CellType, checkProjSize } from './cells.js';
import { boolOpt, seedOpt } from './check.js';
import { checkKeys, numIn, optionError, posInt, rangeError, stateError } from './errors.js';
import { type GradientNorms, gradientNormsFromCore } from './gradient-norms.js';
import type { RecurrentLayer as CoreLayer } from './wasm/recurrent_wasm.js';
import { wasm } from './wasm.js';

export { CELL_TYPES, type CellType } from './cells.js';

/** Options of {@link RecurrentLayer}, named as PyTorch's `nn.LSTM` / `nn.GRU` / `nn.RNN`. */
export interface RecurrentLayerOptions {
  /** Which cell (`'rnn_tanh'` / `'rnn_relu'` are the vanilla RNN). */
  cell: CellType;
  /** Features per step of `x` (I). */
  inputSize: number;
  /** Hidden size per direction (H). */
  hiddenSize: number;
  /**
   * Stacked layers (L).
   * @default 1
   */
  numLayers?: number;
  /**
   * A second, backward pass per layer, concatenated (D = 2).
   * @default false
   */
  bidirectional?: boolean;
  /**
   * Inverted dropout between stacked layers while training, in [0, 1).
   * @default 0
   */
  dropout?: number;
  /**
   * LSTM only: project h to this many units, below `hiddenSize` (PyTorch `proj_size`):
   * h = W_hr·(o ⊙ tanh c), with `weight_hr_l{k}` [P, H]; h0, hN and each direction's outputs are
   * then P wide (c stays H wide). 0: no projection.
   * @default 0
   */
  projSize?: number;
  /**
   * Seed of the PyTorch-style initialisation U(−1/√H, 1/√H).
   * @default 0
   */
  seed?: number;
}

/** The input of {@link RecurrentLayer.forward}; shapes are batch-first and row-major. */
export interface LayerForwardInput {
  /** Inputs [B, T, I]. */
  x: Float32Array;
  /** B, the number of sequences. */
  batch: number;
  /** T, the padded sequence length. */
  steps: number;
  /**
   * Valid steps per row [B], each ≤ steps (packed-sequence semantics: steps past a row's length
   * are skipped, their outputs are zero).
   * @default every row has `steps`
   */
  lengths?: ArrayLike<number>;
  /**
   * Initial hidden states [L·D, B, H].
   * @default zeros
   */
  h0?: Float32Array;
  /**
   * Initial cell states [L·D, B, H], LSTM only.
   * @default zeros
   */
  c0?: Float32Array;
  /**
   * Enables inter-layer dropout.
   * @default false
   */
  train?: boolean;
}

/** The output of {@link RecurrentLayer.forward}: fresh copies, safe to keep. */
export interface LayerForwardResult {
  /** [B, T, D·H], zero at padded steps; the two directions are concatenated per step. */
  out: Float32Array;
  /** [L·D, B, H], each row's state at its own last valid step. */
  hN: Float32Array;
  /** [L·D, B, H], the final cell states (LSTM only). */
  cN?: Float32Array;
}

/** The upstream gradients for {@link RecurrentLayer.backward}, shaped like the forward's outputs. */
export interface LayerBackwardInput {
  /** dL/dout [B, T, D·H]. */
  gradOut: Float32Array;
  /**
   * dL/dhN [L·D, B, H].
   * @default zeros
   */
  gradHN?: Float32Array;
  /**
   * dL/dcN [L·D, B, H], LSTM only.
   * @default zeros
   */
  gradCN?: Float32Array;
}

/** What {@link RecurrentLayer.backward} returns: fresh gradients of the last forward. */
export interface LayerGradients {
  /** dL/dx [B, T, I]. */
  x: Float32Array;
  /** dL/dh0 [L·D, B, H]. */
  h0: Float32Array;
  /** dL/dc0 [L·D, B, H] (LSTM only). */
  c0?: Float32Array;
  /** dL/dparam by PyTorch name (weight_ih_l0, bias_hh_l1_reverse, …) */
  params: Record<string, Float32Array>;
}

const EMPTY_F = new Float32Array(0);
const EMPTY_U = new Uint32Array(0);

/** Lengths as u32, refusing what a Uint32Array would silently wrap or truncate. */
function toLengths(l: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(l.length);
  for (let i = 0; i < l.length; i++) {
    const v = l[i];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rangeError(`lengths[${i}] = ${v} must be a non-negative integer`);
    out[i] = v;
  }
  return out;
}

/**
 * A bare recurrent stack (RNN / LSTM / GRU; stacked, bidirectional) with PyTorch-named
 * parameters and explicit forward and backward, for building your own models or checking
 * gradients: the gradients of the inputs, the initial states and every parameter.
 * Shapes are batch-first: x [B, T, I] → out [B, T, D·H]; h0, c0, hN, cN [L·D, B, H] (D = 2 if
 * bidirectional). Needs `await init()` first; free it with `dispose()`.
 * @example
 * ```ts
 * import { init, RecurrentLayer } from 'recurrent-nn';
 * await init();
 * const layer = new RecurrentLayer({ cell: 'gru', inputSize: 3, hiddenSize: 4, seed: 1 });
 * const x = new Float32Array(2 * 5 * 3).fill(0.5);                 // [B=2, T=5, I=3]
 * const { out, hN } = layer.forward({ x, batch: 2, steps: 5 });    // out [2, 5, 4], hN [1, 2, 4]
 * const g = layer.backward({ gradOut: new Float32Array(out.length).fill(1) });
 * console.log(g.x.length, Object.keys(g.params));                  // 30 [ 'weight_ih_l0', … ]
 * layer.dispose();
 * ```
 */
export class RecurrentLayer {
  /** The options with their defaults filled in. */
  readonly options: Readonly<Required<RecurrentLayerOptions>>;
  #live: CoreLayer | undefined;

  /** The wasm layer; E_STATE once disposed. */
  get #core(): CoreLayer {
    if (!this.#live) throw stateError('this RecurrentLayer has been disposed');
    return this.#live;
  }

  /**
   * Allocates the layer in wasm and initialises it from `options.seed`. Unknown options are
   * E_OPTION, sizes < 1 E_RANGE.
   */
  constructor(options: RecurrentLayerOptions) {
    checkKeys('RecurrentLayer', options, ['cell', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'projSize', 'seed']);
    if (!CELL_TYPES.includes(options.cell)) throw optionError(`cell '${String(options.cell)}' is not one of ${CELL_TYPES.join(', ')}`);
    const o = {
      cell: options.cell,
      inputSize: posInt('inputSize', options.inputSize),
      hiddenSize: posInt('hiddenSize', options.hiddenSize),
      numLayers: posInt('numLayers', options.numLayers, 1),
      bidirectional: boolOpt('RecurrentLayer.bidirectional', options.bidirectional, false),
      dropout: numIn('dropout', options.dropout, 0, 1, 0),
      projSize: options.projSize ?? 0,
      seed: seedOpt('RecurrentLayer.seed', options.seed),
    };
    if (o.projSize !== 0) checkProjSize('projSize', o.projSize, o.cell, o.hiddenSize);
    this.options = Object.freeze(o);
    const { seed, projSize, ...config } = o;
    this.#live = new (wasm().RecurrentLayer)(projSize === 0 ? config : { ...config, projSize }, seed >>> 0);
  }

  /** Whether the cell is an LSTM (which has cell states `c`). */
  get isLstm(): boolean {
    return CELLS[this.options.cell].hasC;
  }

  /**
   * The parameter names in PyTorch's order: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
   * `bias_hh_l0`, then `…_reverse` when bidirectional, then layer 1, …
   */
  paramNames(): string[] {
    return this.#core.paramNames();
  }

  /** A parameter's shape, e.g. [G·H, I] for `weight_ih_l0` (G = 4 for LSTM, 3 for GRU, 1 for RNN). */
  paramShape(name: string): number[] {
    return Array.from(this.#core.paramShape(name));
  }

  /**
   * Overwrites a parameter (row-major, its `paramShape`); E_SHAPE for a wrong length, E_NONFINITE
   * for NaN/∞, E_OPTION for an unknown name.
   */
  setParam(name: string, data: Float32Array): void {
    this.#core.setParam(name, data);
  }

  /** A copy of a parameter (row-major). */
  getParam(name: string): Float32Array {
    return this.#core.getParam(name);
  }

  /** Runs the stack; keeps what `backward` needs. E_SHAPE / E_RANGE / E_NONFINITE name a bad input. */
  forward(input: LayerForwardInput): LayerForwardResult {
    checkKeys('forward', input, ['x', 'batch', 'steps', 'lengths', 'h0', 'c0', 'train']);
    const lengths = input.lengths ? toLengths(input.lengths) : EMPTY_U;
    const dims = new (wasm().BatchDims)(input.batch, input.steps);
    this.#core.forward(input.x, dims, lengths, input.h0 ?? EMPTY_F, input.c0 ?? EMPTY_F, input.train ?? false);
    const res: LayerForwardResult = { out: this.#core.output(), hN: this.#core.hN() };
    if (this.isLstm) res.cN = this.#core.cN();
    return res;
  }

  /**
   * Backward of the last forward; returns fresh gradients (not accumulated). E_STATE before any
   * forward.
   */
  backward(input: LayerBackwardInput): LayerGradients {
    checkKeys('backward', input, ['gradOut', 'gradHN', 'gradCN']);
    this.#core.backward(input.gradOut, input.gradHN ?? EMPTY_F, input.gradCN ?? EMPTY_F);
    const params: Record<string, Float32Array> = {};
    for (const n of this.paramNames()) params[n] = this.#core.getGrad(n);
    const g: LayerGradients = { x: this.#core.gradInput(), h0: this.#core.gradH0(), params };
    if (this.isLstm) g.c0 = this.#core.gradC0();
    return g;
  }

  /**
   * Turns the recording of per-step gradient norms on (or off with `false`): every `backward`
   * from now on records ||dL/dh_t|| (and ||dL/dc_t|| for the LSTM) for {@link gradientNorms}.
   * Off by default, and then it costs nothing.
   */
  trackGradientNorms(on = true): void {
    this.#core.recordStepNorms(on);
  }

  /**
   * The per-step gradient norms of the last `backward`, [numLayers·D, T] (see
   * {@link GradientNorms}; `layer` is `''`). E_STATE unless tracking is on and a backward has
   * run since.
   */
  gradientNorms(): GradientNorms {
    return gradientNormsFromCore(this.#core.stepNorms())[0];
  }

  /**
   * Frees the wasm memory now (otherwise a FinalizationRegistry does it later). The layer is
   * unusable afterwards.
   */
  dispose(): void {
    this.#live?.free();
    this.#live = undefined;
  }
}
