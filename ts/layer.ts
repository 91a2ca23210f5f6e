// RecurrentLayer: a bare recurrent stack (RNN / LSTM / GRU; stacked, bidirectional) with
// PyTorch-named parameters, explicit forward and backward. Shapes are batch-first:
//   x [B, T, I] → out [B, T, D·H]; h0, c0, hN, cN [L·D, B, H]   (D = 2 if bidirectional)
import { checkKeys, numIn, optionError, posInt, rangeError } from './errors.js';
import { wasm } from './wasm.js';
import type { RecurrentLayer as CoreLayer } from './wasm/recurrent_wasm.js';

export type CellType = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';
export const CELL_TYPES: readonly CellType[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];

export interface RecurrentLayerOptions {
  cell: CellType;
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  bidirectional?: boolean;
  /** Inverted dropout between stacked layers while training (default 0). */
  dropout?: number;
  /** Seed of the PyTorch-style initialisation U(−1/√H, 1/√H) (default 0). */
  seed?: number;
}

export interface LayerForwardInput {
  /** [B, T, I] */
  x: Float32Array;
  batch: number;
  steps: number;
  /** Valid steps per row [B], each ≤ steps (packed-sequence semantics). */
  lengths?: ArrayLike<number>;
  /** Initial states [L·D, B, H] (zeros when absent). */
  h0?: Float32Array;
  c0?: Float32Array;
  /** Enables inter-layer dropout. */
  train?: boolean;
}

export interface LayerForwardResult {
  /** [B, T, D·H], zero at padded steps */
  out: Float32Array;
  /** [L·D, B, H], each row's state at its own last valid step */
  hN: Float32Array;
  /** LSTM only */
  cN?: Float32Array;
}

export interface LayerBackwardInput {
  gradOut: Float32Array;
  gradHN?: Float32Array;
  gradCN?: Float32Array;
}

export interface LayerGradients {
  x: Float32Array;
  h0: Float32Array;
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

export class RecurrentLayer {
  readonly options: Readonly<Required<RecurrentLayerOptions>>;
  #core: CoreLayer;

  constructor(options: RecurrentLayerOptions) {
    checkKeys('RecurrentLayer', options, ['cell', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'seed']);
    if (!CELL_TYPES.includes(options.cell)) throw optionError(`cell '${String(options.cell)}' is not one of ${CELL_TYPES.join(', ')}`);
    const o = {
      cell: options.cell,
      inputSize: posInt('inputSize', options.inputSize),
      hiddenSize: posInt('hiddenSize', options.hiddenSize),
      numLayers: posInt('numLayers', options.numLayers, 1),
      bidirectional: options.bidirectional ?? false,
      dropout: numIn('dropout', options.dropout, 0, 1, 0),
      seed: options.seed ?? 0,
    };
    this.options = Object.freeze(o);
    const { seed, ...config } = o;
    this.#core = new (wasm().RecurrentLayer)(config, seed >>> 0);
  }

  get isLstm(): boolean {
    return this.options.cell === 'lstm';
  }

  paramNames(): string[] {
    return this.#core.paramNames();
  }

  paramShape(name: string): number[] {
    return Array.from(this.#core.paramShape(name));
  }

  setParam(name: string, data: Float32Array): void {
    this.#core.setParam(name, data);
  }

  getParam(name: string): Float32Array {
    return this.#core.getParam(name);
  }

  forward(input: LayerForwardInput): LayerForwardResult {
    checkKeys('forward', input, ['x', 'batch', 'steps', 'lengths', 'h0', 'c0', 'train']);
    const lengths = input.lengths ? toLengths(input.lengths) : EMPTY_U;
    this.#core.forward(input.x, input.batch, input.steps, lengths, input.h0 ?? EMPTY_F, input.c0 ?? EMPTY_F, input.train ?? false);
    const res: LayerForwardResult = { out: this.#core.output(), hN: this.#core.hN() };
    if (this.isLstm) res.cN = this.#core.cN();
    return res;
  }

  /** Backward of the last forward; returns fresh gradients (not accumulated). */
  backward(input: LayerBackwardInput): LayerGradients {
    checkKeys('backward', input, ['gradOut', 'gradHN', 'gradCN']);
    this.#core.backward(input.gradOut, input.gradHN ?? EMPTY_F, input.gradCN ?? EMPTY_F);
    const params: Record<string, Float32Array> = {};
    for (const n of this.paramNames()) params[n] = this.#core.getGrad(n);
    const g: LayerGradients = { x: this.#core.gradInput(), h0: this.#core.gradH0(), params };
    if (this.isLstm) g.c0 = this.#core.gradC0();
    return g;
  }

  /** Frees the wasm memory now (otherwise a FinalizationRegistry does it later). */
  free(): void {
    this.#core.free();
  }
}
