// The cell registry: every recurrent cell the SDK knows, with what the builder, the spec checks,
// the importers (PyTorch state_dicts, TF.js/Keras) and the ONNX exporter need to know about it.
// The maths lives in crates/recurrent-core/src/cells; a new cell adds its entry here (see
// CONTRIBUTING.md, "Adding a cell"). Gate orders are PyTorch's; the importers and the exporter
// map them with the `order` arrays below.
import { optionError, rangeError } from './errors.js';

/**
 * The recurrent cells: LSTM (gates i, f, g, o), GRU (r, z, n; reset after the recurrent product)
 * and the vanilla RNN with tanh or ReLU, all in PyTorch's conventions.
 */
export type CellType = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

/** A recurrent layer's option that only some cells take (beyond units, layers, …). */
export type CellOption = 'recurrentActivation' | 'resetAfter' | 'projSize';

/** What the SDK knows about one cell. */
export interface CellInfo {
  /** The stacked gates of W_ih / W_hh rows, in PyTorch's order (G = gates.length). */
  gates: readonly string[];
  /** Whether it carries a cell state c (c0 / cN) beside h. */
  hasC: boolean;
  /** PyTorch's module (`nn.RNN` with `nonlinearity` for the vanilla cells). */
  torch: string;
  /** Keras / TF.js layer class, its activation, and for each of our gates the index of its gate block. */
  keras: { className: 'LSTM' | 'GRU' | 'SimpleRNN'; activation: 'tanh' | 'relu'; order: readonly number[] };
  /** ONNX operator, its activation name, and our gate index for each ONNX gate slot. */
  onnx: { op: 'LSTM' | 'GRU' | 'RNN'; activation: 'Tanh' | 'Relu'; order: readonly number[] };
  /** The options of {@link CellOption} this cell accepts. */
  options: readonly CellOption[];
}

/** Every cell, by its spec name. */
export const CELLS: Readonly<Record<CellType, CellInfo>> = {
  lstm: {
    gates: ['i', 'f', 'g', 'o'],
    hasC: true,
    torch: 'nn.LSTM',
    keras: { className: 'LSTM', activation: 'tanh', order: [0, 1, 2, 3] }, // Keras i, f, c, o
    onnx: { op: 'LSTM', activation: 'Tanh', order: [0, 3, 1, 2] }, // ONNX i, o, f, c
    options: ['recurrentActivation', 'projSize'],
  },
  gru: {
    gates: ['r', 'z', 'n'],
    hasC: false,
    torch: 'nn.GRU',
    keras: { className: 'GRU', activation: 'tanh', order: [1, 0, 2] }, // Keras z, r, h
    onnx: { op: 'GRU', activation: 'Tanh', order: [1, 0, 2] }, // ONNX z, r, h
    options: ['recurrentActivation', 'resetAfter'],
  },
  rnn_tanh: {
    gates: ['h'],
    hasC: false,
    torch: "nn.RNN(nonlinearity='tanh')",
    keras: { className: 'SimpleRNN', activation: 'tanh', order: [0] },
    onnx: { op: 'RNN', activation: 'Tanh', order: [0] },
    options: [],
  },
  rnn_relu: {
    gates: ['h'],
    hasC: false,
    torch: "nn.RNN(nonlinearity='relu')",
    keras: { className: 'SimpleRNN', activation: 'relu', order: [0] },
    onnx: { op: 'RNN', activation: 'Relu', order: [0] },
    options: [],
  },
};

/** Every {@link CellType}, in a fixed order. */
export const CELL_TYPES: readonly CellType[] = Object.keys(CELLS) as CellType[];

/** Whether `v` names a cell. */
export function isCell(v: unknown): v is CellType {
  return typeof v === 'string' && Object.hasOwn(CELLS, v);
}

/** Stacked gates G of a cell. */
export function gateCount(cell: CellType): number {
  return CELLS[cell].gates.length;
}

/** The cells that accept `option`, for messages ("lstm and gru"). */
function cellsWith(option: CellOption): string {
  return CELL_TYPES.filter((c) => CELLS[c].options.includes(option)).join(' and ');
}

/** The keys of a recurrent layer's spec: the common ones, then every cell option. */
export const RECURRENT_SPEC_KEYS: readonly string[] = [
  'type',
  'name',
  'cell',
  'units',
  'layers',
  'bidirectional',
  'dropout',
  'returnSequences',
  ...new Set(CELL_TYPES.flatMap((c) => CELLS[c].options)),
];

/** The cell of a Keras / TF.js recurrent class with its activation, or undefined. */
export function cellOfKeras(className: string, activation: string): CellType | undefined {
  return CELL_TYPES.find((c) => CELLS[c].keras.className === className && CELLS[c].keras.activation === activation);
}

/** Whether `className` is a Keras recurrent class we read. */
export function isKerasRecurrent(className: string): boolean {
  return CELL_TYPES.some((c) => CELLS[c].keras.className === className);
}

/** E_OPTION unless `v` is absent, 'sigmoid', or 'hardSigmoid' on a cell that has sigmoid gates. */
export function checkGateActivation(what: string, v: unknown, cell: unknown): void {
  if (v === undefined || v === 'sigmoid') return;
  if (v !== 'hardSigmoid') throw optionError(`${what} must be 'sigmoid' or 'hardSigmoid' (got ${JSON.stringify(v)})`);
  if (!isCell(cell) || !CELLS[cell].options.includes('recurrentActivation'))
    throw optionError(`${what} 'hardSigmoid' applies to ${cellsWith('recurrentActivation')} gates, not ${String(cell)}`);
}

/** E_OPTION unless `v` is absent, a boolean, and false only on a cell with a reset gate. */
export function checkResetAfter(what: string, v: unknown, cell: unknown): void {
  if (v === undefined || v === true) return;
  if (v !== false) throw optionError(`${what} must be a boolean (got ${JSON.stringify(v)})`);
  if (!isCell(cell) || !CELLS[cell].options.includes('resetAfter'))
    throw optionError(`${what} false applies to ${cellsWith('resetAfter')} cells, not ${String(cell)}`);
}

/**
 * `projSize` (PyTorch `proj_size`: h = W_hr·(o ⊙ tanh c), P wide): absent, or an integer in
 * [1, units) on a cell that takes it, with sigmoid gates (E_OPTION / E_RANGE naming `what`).
 */
export function checkProjSize(what: string, v: unknown, cell: unknown, units: unknown, gate?: unknown): void {
  if (v === undefined) return;
  if (!isCell(cell) || !CELLS[cell].options.includes('projSize')) throw optionError(`${what} applies to ${cellsWith('projSize')} cells, not ${String(cell)}`);
  if (gate === 'hardSigmoid') throw optionError(`${what} needs sigmoid gates (PyTorch's projected LSTM), not recurrentActivation 'hardSigmoid'`);
  const max = typeof units === 'number' ? units - 1 : 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw rangeError(`${what} must be an integer between 1 and units − 1 = ${max} (got ${JSON.stringify(v) ?? String(v)})`);
}

/** The width of a recurrent layer's h and of each direction's outputs: `projSize` when set, else `units`. */
export function stateWidth(l: { units: number; projSize?: number }): number {
  return l.projSize ?? l.units;
}
