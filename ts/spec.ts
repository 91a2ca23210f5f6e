// The architecture as plain JSON: what the builder produces, what a saved model stores,
// and what the wasm core is built from.
import type { CellType } from './layer.js';

/**
 * What a model reads: token ids from a vocabulary of `vocab` symbols (`{ vocab }`), or `features`
 * numbers per step (`{ features }`).
 */
export type InputSpec = { vocab: number } | { features: number };

/**
 * One layer of a {@link ModelSpecJSON}, as `SequentialBuilder` writes it. `name` prefixes the
 * layer's PyTorch parameter names (`rnn.weight_ih_l0`, `head.bias`, …); `units` of a recurrent
 * layer is its hidden size per direction.
 */
export type LayerSpecJSON =
  | { type: 'embedding'; name: string; dim: number }
  | { type: 'recurrent'; name: string; cell: CellType; units: number; layers: number; bidirectional: boolean; dropout: number; returnSequences: boolean }
  | { type: 'dropout'; rate: number }
  | { type: 'dense'; name: string; units: number }
  /** Linear-chain CRF head over the per-step scores before it (the last layer). */
  | { type: 'crf'; name: string };

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
