// The architecture as plain JSON: what the builder produces, what a saved model stores,
// and what the wasm core is built from.
import { CELL_TYPES, type CellType, checkGateActivation, checkProjSize, checkResetAfter, isCell, RECURRENT_SPEC_KEYS } from './cells.js';
import { checkKeys, optionError, rangeError } from './errors.js';

/**
 * What a model reads: token ids from a vocabulary of `vocab` symbols (`{ vocab }`), or `features`
 * numbers per step (`{ features }`).
 */
export type InputSpec =
  | {
      /** Token ids in [0, vocab). */
      vocab: number;
      /**
       * Token ids per step: `ids` is then [B, T, slots] and the embedding concatenates their
       * rows (slots × dim per step), e.g. a character, its bigram and lexicon features as ids
       * of one vocabulary. At most 64.
       * @default 1
       */
      slots?: number;
    }
  | {
      /** Feature vectors of this size. */
      features: number;
    };

/**
 * One layer of a {@link ModelSpecJSON}, as `SequentialBuilder` writes it. `name` prefixes the
 * layer's PyTorch parameter names (`rnn.weight_ih_l0`, `head.bias`, …); `units` of a recurrent
 * layer is its hidden size per direction.
 */
export type LayerSpecJSON =
  | {
      /** An embedding table. */
      type: 'embedding';
      /** Parameter-name prefix. */
      name: string;
      /** Embedding size. */
      dim: number;
    }
  | {
      /** A recurrent stack. */
      type: 'recurrent';
      /** Parameter-name prefix. */
      name: string;
      /** The cell. */
      cell: CellType;
      /** Hidden size per direction. */
      units: number;
      /** Stacked layers. */
      layers: number;
      /** Both directions, concatenated. */
      bidirectional: boolean;
      /** Dropout between stacked layers. */
      dropout: number;
      /** Every step's output (true) or the last one. */
      returnSequences: boolean;
      /** Gate activation of lstm/gru (absent: 'sigmoid'); 'hardSigmoid' is TF.js/Keras's clip(0.2·x + 0.5, 0, 1). */
      recurrentActivation?: GateActivation;
      /**
       * GRU only: false applies the reset gate before the recurrent product (Keras
       * `reset_after=False`, TF.js's GRU); absent or true: after it (PyTorch). Same parameters.
       */
      resetAfter?: boolean;
      /**
       * LSTM only: project h to this many units (PyTorch `proj_size`, < units): h = W_hr·(o ⊙ tanh c),
       * the output is D·projSize wide; absent: no projection.
       */
      projSize?: number;
    }
  | {
      /** Dropout. */
      type: 'dropout';
      /** Probability of zeroing a value. */
      rate: number;
    }
  | {
      /** A dense (linear) layer. */
      type: 'dense';
      /** Parameter-name prefix. */
      name: string;
      /** Output size. */
      units: number;
    }
  /** Linear-chain CRF head over the per-step scores before it (the last layer). */
  | {
      /** A CRF head. */
      type: 'crf';
      /** Parameter-name prefix. */
      name: string;
    };

/**
 * Gate activation of an LSTM (i, f, o) or GRU (r, z): 'sigmoid' (PyTorch, the default) or
 * 'hardSigmoid', TF.js and Keras 2's clip(0.2·x + 0.5, 0, 1) (gradient 0.2 inside (−2.5, 2.5)).
 */
export type GateActivation = 'sigmoid' | 'hardSigmoid';

/**
 * A model's architecture as plain JSON: what `sequential(...).toJSON()` gives, what
 * `Model.fromSpec` and `Trainer.build` accept, and what a saved model stores.
 */
export interface ModelSpecJSON {
  /** Token ids (`{ vocab }`) or features per step (`{ features }`). */
  input: InputSpec;
  /** The layers in order, from the input to the output. */
  layers: LayerSpecJSON[];
}

/** Largest size (vocab, features, dim, units) a model may have (the core's MAX_DIM). */
export const MAX_DIM = 2 ** 20;
/** Most stacked layers in one recurrent layer. */
export const MAX_STACK = 64;

/** Most token ids per step (`input.slots`; the core's MAX_SLOTS). */
export const MAX_SLOTS = 64;

/** A size: an integer in [1, max] (not 2.5, not "4", not 2^32 + 1). */
export function checkSize(where: string, v: unknown, max = MAX_DIM): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw rangeError(`${where} must be an integer between 1 and ${max} (got ${JSON.stringify(v) ?? String(v)})`);
  return v;
}

function checkRate(where: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw rangeError(`${where} must be a number in [0, 1) (got ${JSON.stringify(v) ?? String(v)})`);
}

/** A layer name (its parameters' prefix): a non-empty string, not starting with `__` (the model
 * file's own tensors, `__optimizer__` and `__rng__`, are named so), without NUL. E_OPTION. */
export function checkName(where: string, v: unknown): void {
  if (typeof v !== 'string' || v === '') throw optionError(`${where} must be a non-empty string (got ${JSON.stringify(v) ?? String(v)})`);
  if (v.startsWith('__') || v.includes('\0')) throw optionError(`${where} ${JSON.stringify(v)} is reserved (names starting with __ are the model file's own)`);
}

function checkBool(where: string, v: unknown): void {
  if (typeof v !== 'boolean') throw optionError(`${where} must be true or false (got ${JSON.stringify(v) ?? String(v)})`);
}

/** Checks the JSON types and ranges of an architecture (structure, e.g. layer order, is the
 * core's to check). Throws E_OPTION / E_RANGE naming the bad field. */
export function checkSpec(spec: unknown): asserts spec is ModelSpecJSON {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw optionError('the model spec must be an object { input, layers }');
  checkKeys('spec', spec, ['input', 'layers']);
  const { input, layers } = spec as { input?: unknown; layers?: unknown };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw optionError('spec.input must be { vocab } or { features }');
  checkKeys('spec.input', input, ['vocab', 'features', 'slots']);
  const keys = Object.keys(input).filter((k) => k !== 'slots');
  if (keys.length !== 1) throw optionError('spec.input must have exactly one of vocab, features');
  checkSize(`spec.input.${keys[0]}`, (input as Record<string, unknown>)[keys[0]]);
  if ('slots' in input) {
    if (keys[0] !== 'vocab') throw optionError('spec.input.slots goes with token input (vocab)');
    checkSize('spec.input.slots', (input as { slots: unknown }).slots, MAX_SLOTS);
  }
  if (!Array.isArray(layers)) throw optionError('spec.layers must be an array');
  layers.forEach((l: unknown, i) => {
    const at = `spec.layers[${i}]`;
    if (l === null || typeof l !== 'object' || Array.isArray(l)) throw optionError(`${at} must be a layer object (got ${JSON.stringify(l) ?? String(l)})`);
    const o = l as Record<string, unknown>;
    switch (o.type) {
      case 'embedding':
        checkKeys(at, o, ['type', 'name', 'dim']);
        checkName(`${at}.name`, o.name);
        checkSize(`${at}.dim`, o.dim);
        break;
      case 'recurrent':
        checkKeys(at, o, RECURRENT_SPEC_KEYS);
        checkName(`${at}.name`, o.name);
        if (!isCell(o.cell)) throw optionError(`${at}.cell must be one of ${CELL_TYPES.join(', ')} (got ${JSON.stringify(o.cell)})`);
        checkSize(`${at}.units`, o.units);
        checkSize(`${at}.layers`, o.layers, MAX_STACK);
        checkBool(`${at}.bidirectional`, o.bidirectional);
        checkRate(`${at}.dropout`, o.dropout);
        checkBool(`${at}.returnSequences`, o.returnSequences);
        checkGateActivation(`${at}.recurrentActivation`, o.recurrentActivation, o.cell);
        checkResetAfter(`${at}.resetAfter`, o.resetAfter, o.cell);
        checkProjSize(`${at}.projSize`, o.projSize, o.cell, o.units, o.recurrentActivation);
        break;
      case 'dropout':
        checkKeys(at, o, ['type', 'rate']);
        checkRate(`${at}.rate`, o.rate);
        break;
      case 'dense':
        checkKeys(at, o, ['type', 'name', 'units']);
        checkName(`${at}.name`, o.name);
        checkSize(`${at}.units`, o.units);
        break;
      case 'crf':
        checkKeys(at, o, ['type', 'name']);
        checkName(`${at}.name`, o.name);
        break;
      default:
        throw optionError(`${at}: unknown layer type ${JSON.stringify(o.type) ?? String(o.type)}`);
    }
  });
}
