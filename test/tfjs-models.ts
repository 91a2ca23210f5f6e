// Small TF.js Layers models written out by hand (topology, weight specs, little-endian float32
// bytes), for the importer's security and fuzz suites: no TF.js needed to make them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TfjsModel {
  topology: Record<string, unknown>;
  specs: { name: string; shape: number[]; dtype: string }[];
  bytes: Uint8Array;
}

const count = (specs: TfjsModel['specs']) => specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
const model = (layers: unknown[], specs: TfjsModel['specs'], scale = 0.1): TfjsModel => ({
  topology: { class_name: 'Sequential', config: { name: 'm', layers } },
  specs,
  bytes: new Uint8Array(Float32Array.from({ length: count(specs) }, (_, i) => scale * (((i * 7) % 11) - 5)).buffer),
});

/** SimpleRNN(2) over 2 features, then Dense(1): [T=3, F=2] → [1]. */
export function tinyModel(): TfjsModel {
  const [T, F, H] = [3, 2, 2];
  return model(
    [
      { class_name: 'SimpleRNN', config: { name: 'rnn', units: H, batch_input_shape: [null, T, F] } },
      { class_name: 'Dense', config: { name: 'out', units: 1 } },
    ],
    [
      { name: 'rnn/kernel', shape: [F, H], dtype: 'float32' },
      { name: 'rnn/recurrent_kernel', shape: [H, H], dtype: 'float32' },
      { name: 'rnn/bias', shape: [H], dtype: 'float32' },
      { name: 'out/kernel', shape: [H, 1], dtype: 'float32' },
      { name: 'out/bias', shape: [1], dtype: 'float32' },
    ],
  );
}

/** A few architectures the importer supports, each small: the fuzz suite's seeds. */
export function seedModels(): { name: string; m: TfjsModel }[] {
  const T = 3;
  return [
    { name: 'rnn+dense', m: tinyModel() },
    {
      name: 'embedding+bi-lstm+dense',
      m: model(
        [
          { class_name: 'Embedding', config: { name: 'emb', input_dim: 5, output_dim: 2, mask_zero: true } },
          {
            class_name: 'Bidirectional',
            config: {
              name: 'bi',
              merge_mode: 'concat',
              layer: { class_name: 'LSTM', config: { units: 2, recurrent_activation: 'sigmoid', return_sequences: true } },
            },
          },
          { class_name: 'TimeDistributed', config: { name: 'td', layer: { class_name: 'Dense', config: { units: 3, activation: 'softmax' } } } },
        ],
        [
          { name: 'emb/embeddings', shape: [5, 2], dtype: 'float32' },
          { name: 'bi/forward/kernel', shape: [2, 8], dtype: 'float32' },
          { name: 'bi/forward/recurrent_kernel', shape: [2, 8], dtype: 'float32' },
          { name: 'bi/forward/bias', shape: [8], dtype: 'float32' },
          { name: 'bi/backward/kernel', shape: [2, 8], dtype: 'float32' },
          { name: 'bi/backward/recurrent_kernel', shape: [2, 8], dtype: 'float32' },
          { name: 'bi/backward/bias', shape: [8], dtype: 'float32' },
          { name: 'td/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'td/bias', shape: [3], dtype: 'float32' },
        ],
      ),
    },
    {
      name: 'masking+gru(reset_after)+dropout+dense',
      m: model(
        [
          { class_name: 'Masking', config: { name: 'mask', mask_value: 0, batch_input_shape: [null, T, 2] } },
          { class_name: 'GRU', config: { name: 'gru', units: 2, reset_after: true, recurrent_activation: 'hard_sigmoid' } },
          { class_name: 'Dropout', config: { name: 'drop', rate: 0.2 } },
          { class_name: 'Dense', config: { name: 'out', units: 2, use_bias: false } },
        ],
        [
          { name: 'gru/kernel', shape: [2, 6], dtype: 'float32' },
          { name: 'gru/recurrent_kernel', shape: [2, 6], dtype: 'float32' },
          { name: 'gru/bias', shape: [2, 6], dtype: 'float32' },
          { name: 'out/kernel', shape: [2, 2], dtype: 'float32' },
        ],
      ),
    },
  ];
}

/** A folder holding `model.json` (manifest listing `paths`) and the given files. */
export function modelDir(m: TfjsModel, paths: string[], files: Record<string, Uint8Array> = {}): { dir: string; json: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rel-tfjs-'));
  for (const [name, b] of Object.entries(files)) writeFileSync(join(dir, name), b);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: m.topology, weightsManifest: [{ paths, weights: m.specs }] }));
  return { dir, json: join(dir, 'model.json') };
}
