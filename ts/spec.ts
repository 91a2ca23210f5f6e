// The architecture as plain JSON: what the builder produces, what a saved model stores,
// and what the wasm core is built from.
import type { CellType } from './layer.js';

export type InputSpec = { vocab: number } | { features: number };

export type LayerSpecJSON =
  | { type: 'embedding'; name: string; dim: number }
  | { type: 'recurrent'; name: string; cell: CellType; units: number; layers: number; bidirectional: boolean; dropout: number; returnSequences: boolean }
  | { type: 'dropout'; rate: number }
  | { type: 'dense'; name: string; units: number }
  /** Linear-chain CRF head over the per-step scores before it (the last layer). */
  | { type: 'crf'; name: string };

export interface ModelSpecJSON {
  input: InputSpec;
  layers: LayerSpecJSON[];
}
