// TF.js Layers import: models built here with @tensorflow/tfjs (cpu backend), saved through a
// tf.io save handler (or written as model.json + shard), imported, and compared with TF.js's own
// predictions and gradients on the same inputs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, importTfjs, init, Model, sequential, type TfjsArtifacts } from '../dist/index.js';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

afterAll(() => console.log('tfjs-import max |ours − TF.js|:', worst));

/** The artifacts a tf.io save handler receives. */
async function artifactsOf(m: tf.LayersModel): Promise<TfjsArtifacts> {
  let art: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      art = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return art as unknown as TfjsArtifacts;
}

/** Deterministic values in [−s, s). */
function values(n: number, seed: number, s = 1): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = ((x / 2 ** 32) * 2 - 1) * s;
  }
  return out;
}

/** Gives every weight of `m` deterministic values (biases included, so they are exercised). */
function randomise(m: tf.LayersModel, seed: number, s = 0.6): void {
  m.setWeights(m.getWeights().map((w, i) => tf.tensor(values(w.size, seed + 31 * i, s), w.shape)));
}

/** Imports `art`, loads the weights into a Model, and predicts. */
async function ours(art: TfjsArtifacts, input: { features?: Float32Array; ids?: number[]; batch: number; steps: number; lengths?: number[] }) {
  const imp = await importTfjs(art);
  const m = Model.fromSpec(imp.spec);
  for (const [n, w] of Object.entries(imp.weights)) m.setParam(n, w);
  return { imp, model: m, out: m.forward(input) };
}

function softmaxRows(x: Float32Array, width: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    const mx = Math.max(...row);
    let s = 0;
    for (let j = 0; j < width; j++) s += Math.exp(row[j] - mx);
    for (let j = 0; j < width; j++) out[r * width + j] = Math.exp(row[j] - mx) / s;
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const worst: Record<string, number> = {};
function agree(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  const d = maxDiff(a, b);
  worst[what] = d;
  expect(d, `${what}: max |ours − TF.js|`).toBeLessThanOrEqual(tol);
}

describe('importTfjs: predictions equal TF.js', () => {
  const [B, T, F] = [3, 5, 4];
  const x = values(B * T * F, 11);

  it('LSTM (hardSigmoid, TF.js default) → TimeDistributed(Dense), per step', async () => {
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: 6, returnSequences: true, batchInputShape: [null, T, F] }));
    m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3 }) }));
    randomise(m, 1);
    const want = (m.predict(tf.tensor3d(x, [B, T, F])) as tf.Tensor).dataSync();
    const { imp, out } = await ours(await artifactsOf(m), { features: x, batch: B, steps: T });
    expect(imp.spec.layers[0]).toMatchObject({ cell: 'lstm', recurrentActivation: 'hardSigmoid' });
    agree('lstm hardSigmoid + TimeDistributed(Dense)', out, want);
  });

  it('stacked SimpleRNN (tanh, relu) with Dropout and a softmax Dense, InputLayer first', async () => {
    const m = tf.sequential();
    m.add(tf.layers.simpleRNN({ units: 5, returnSequences: true, batchInputShape: [null, T, F] }));
    m.add(tf.layers.dropout({ rate: 0.3 }));
    m.add(tf.layers.simpleRNN({ units: 4, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    randomise(m, 2, 0.5);
    const want = (m.predict(tf.tensor3d(x, [B, T, F])) as tf.Tensor).dataSync();
    const art = await artifactsOf(m);
    // What Keras's converter writes: an explicit InputLayer first.
    const topo = structuredClone(art.modelTopology) as { config: { layers: unknown[] } };
    topo.config.layers.unshift({ class_name: 'InputLayer', config: { batch_input_shape: [null, T, F], name: 'input_1' } });
    const { imp, out } = await ours({ ...art, modelTopology: topo }, { features: x, batch: B, steps: T });
    expect(imp.outputActivation).toBe('softmax');
    expect(imp.spec.layers.map((l) => l.type)).toEqual(['recurrent', 'dropout', 'recurrent', 'dense']);
    agree('stacked SimpleRNN + Dropout + Dense(softmax)', softmaxRows(out, 3), want);
  });

  it('Masking(0) → Bidirectional(LSTM sigmoid, concat) → LSTM → Dense, trailing padding as row lengths', async () => {
    const lengths = [5, 2, 3];
    const xp = x.slice();
    for (const [b, len] of lengths.entries()) xp.fill(0, (b * T + len) * F, (b + 1) * T * F);
    const m = tf.sequential();
    m.add(tf.layers.masking({ maskValue: 0, batchInputShape: [null, T, F] }));
    m.add(
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: 'concat' }),
    );
    m.add(tf.layers.lstm({ units: 3 }));
    m.add(tf.layers.dense({ units: 2 }));
    randomise(m, 3);
    const want = (m.predict(tf.tensor3d(xp, [B, T, F])) as tf.Tensor).dataSync();
    const { imp, out } = await ours(await artifactsOf(m), { features: xp, batch: B, steps: T, lengths });
    expect(imp.masked).toBe(true);
    expect(imp.spec.layers[0]).toMatchObject({ bidirectional: true, cell: 'lstm' });
    agree('Masking + Bidirectional(LSTM) + LSTM + Dense', out, want);
  });

  it('Embedding(maskZero) → Bidirectional(SimpleRNN) → Dense, from model.json on disk (path and file URL)', async () => {
    const ids = [3, 1, 4, 1, 5, 2, 6, 0, 0, 0, 5, 3, 5, 0, 0];
    const lengths = [5, 2, 3];
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 7, outputDim: 4, maskZero: true, inputLength: T }));
    m.add(tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3 }) as tf.RNN }));
    m.add(tf.layers.dense({ units: 2 }));
    randomise(m, 4);
    const want = (m.predict(tf.tensor2d(ids, [B, T], 'int32')) as tf.Tensor).dataSync();
    const art = await artifactsOf(m);
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-import-'));
    writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(art.weightData as ArrayBuffer));
    const manifest = [{ paths: ['group1-shard1of1.bin'], weights: art.weightSpecs }];
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: art.modelTopology, weightsManifest: manifest, format: 'layers-model' }));
    for (const src of [join(dir, 'model.json'), pathToFileURL(join(dir, 'model.json')).href]) {
      const imp = await importTfjs(src);
      expect(imp.masked).toBe(true);
      const mm = Model.fromSpec(imp.spec);
      for (const [n, w] of Object.entries(imp.weights)) mm.setParam(n, w);
      agree('Embedding(maskZero) + Bidirectional(SimpleRNN) + Dense (model.json)', mm.forward({ ids, batch: B, steps: T, lengths }), want);
    }
  });

  it('recurrent convert model.json --out M.safetensors writes a model that predicts like TF.js', async () => {
    const m = tf.sequential();
    m.add(tf.layers.masking({ maskValue: 0, batchInputShape: [null, T, F] }));
    m.add(tf.layers.lstm({ units: 4, returnSequences: true }));
    m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }));
    randomise(m, 6);
    const want = (m.predict(tf.tensor3d(x, [B, T, F])) as tf.Tensor).dataSync();
    const art = await artifactsOf(m);
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-convert-'));
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(art.weightData as ArrayBuffer));
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: art.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] }),
    );
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [new URL('../bin/recurrent.js', import.meta.url).pathname, ...args], { encoding: 'utf8', timeout: 60_000 });
    const r = cli('convert', join(dir, 'model.json'), '--out', join(dir, 'm.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*m\.safetensors .*lstm → dense; masked input/);
    const t = await createTrainer({ worker: false });
    await t.load(readFileSync(join(dir, 'm.safetensors')));
    agree('recurrent convert: Masking + LSTM + TimeDistributed(Dense)', await t.predict({ features: x, batch: B, steps: T }), want);
    await t.dispose();
    const bad = cli('convert', join(dir, 'model.json'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--out/);
  });

  it('the state dict loads through importWeights into a built model', async () => {
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: 3, batchInputShape: [null, T, F] }));
    m.add(tf.layers.dense({ units: 2 }));
    randomise(m, 5);
    const want = (m.predict(tf.tensor3d(x, [B, T, F])) as tf.Tensor).dataSync();
    const imp = await importTfjs(await artifactsOf(m));
    const t = await createTrainer({ worker: false });
    await t.build(imp.spec);
    await t.importWeights(imp.stateDict);
    agree('LSTM + Dense via Trainer.importWeights', await t.predict({ features: x, batch: B, steps: T }), want);
    await t.dispose();
  });
});

describe("Keras's GRU (reset_after: true, two bias rows), which TF.js cannot build", () => {
  // Keras GRUCell, reset_after=True, written out from its definition (gate blocks z, r, h):
  //   z = σ(x·Kz + bz + h·Rz + b'z), r = σ(x·Kr + br + h·Rr + b'r),
  //   ĥ = tanh(x·Kh + bh + r ⊙ (h·Rh + b'h)), h = z ⊙ h + (1 − z) ⊙ ĥ
  const [B, T, F, H] = [2, 4, 3, 5];
  const x = values(B * T * F, 41);
  const k = values(F * 3 * H, 42, 0.7);
  const r = values(H * 3 * H, 43, 0.7);
  const bias = values(2 * 3 * H, 44, 0.5);
  function keras(gate: (v: number) => number): Float32Array {
    const out = new Float32Array(B * T * H);
    for (let b = 0; b < B; b++) {
      let h = new Array<number>(H).fill(0);
      for (let t = 0; t < T; t++) {
        const xt = x.subarray((b * T + t) * F, (b * T + t + 1) * F);
        const xk = (c: number) => xt.reduce((a, v, i) => a + v * k[i * 3 * H + c], 0) + bias[c];
        const hr = (c: number) => h.reduce((a, v, i) => a + v * r[i * 3 * H + c], 0) + bias[3 * H + c];
        const next = h.map((hj, j) => {
          const z = gate(xk(j) + hr(j));
          const rr = gate(xk(H + j) + hr(H + j));
          const hh = Math.tanh(xk(2 * H + j) + rr * hr(2 * H + j));
          return z * hj + (1 - z) * hh;
        });
        h = next;
        out.set(h, (b * T + t) * H);
      }
    }
    return out;
  }
  for (const [act, gate] of [
    ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v))],
    ['hard_sigmoid', (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5))],
  ] as const) {
    it(`recurrent_activation ${act}`, async () => {
      const weightData = new Float32Array([...k, ...r, ...bias]).buffer;
      const art: TfjsArtifacts = {
        modelTopology: {
          class_name: 'Sequential',
          config: {
            name: 'keras',
            layers: [
              { class_name: 'InputLayer', config: { batch_input_shape: [null, T, F], name: 'input_1' } },
              {
                class_name: 'GRU',
                config: { name: 'gru', units: H, activation: 'tanh', recurrent_activation: act, use_bias: true, reset_after: true, return_sequences: true },
              },
            ],
          },
        },
        weightSpecs: [
          { name: 'gru/gru_cell/kernel', shape: [F, 3 * H], dtype: 'float32' },
          { name: 'gru/gru_cell/recurrent_kernel', shape: [H, 3 * H], dtype: 'float32' },
          { name: 'gru/gru_cell/bias', shape: [2, 3 * H], dtype: 'float32' },
        ],
        weightData,
      };
      const { imp, out } = await ours(art, { features: x, batch: B, steps: T });
      expect(imp.spec.layers[0]).toMatchObject({ cell: 'gru', ...(act === 'hard_sigmoid' ? { recurrentActivation: 'hardSigmoid' } : {}) });
      agree(`Keras GRU reset_after=True ${act} (formula)`, out, keras(gate));
    });
  }
});

describe('hardSigmoid gates: gradients equal TF.js (tf.variableGrads of the summed output)', () => {
  const [B, T, F, H] = [2, 4, 3, 5];
  const x = values(B * T * F, 21, 1.5);
  it('LSTM, hardSigmoid recurrent activation, one output per step', async () => {
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: H, returnSequences: true, batchInputShape: [null, T, F], recurrentActivation: 'hardSigmoid' }));
    randomise(m, 7, 0.9);
    const xt = tf.tensor3d(x, [B, T, F]);
    const { value, grads } = tf.variableGrads(() => (m.apply(xt) as tf.Tensor).sum() as tf.Scalar);
    const byName = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k.split('/').pop() as string, g.dataSync() as Float32Array]));
    const { model, out } = await ours(await artifactsOf(m), { features: x, batch: B, steps: T });
    agree('lstm hardSigmoid forward', out, (m.apply(xt) as tf.Tensor).dataSync());
    expect(Math.abs(out.reduce((a, b) => a + b, 0) - value.dataSync()[0])).toBeLessThan(1e-4);
    // d(sum y)/dy = 1: mse against y − N/2 has gradient 2·(N/2)/N = 1 per element.
    const n = out.length;
    const target = out.map((v) => v - n / 2);
    model.loss({ values: target }, { loss: 'mse', backward: true });
    const gh = 4 * H;
    const transpose = (g: Float32Array, rows: number, cols: number) => {
      const o = new Float32Array(g.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[c * rows + r] = g[r * cols + c];
      return o;
    };
    agree('lstm hardSigmoid dL/dkernel', model.getGrad('rnn.weight_ih_l0'), transpose(byName.kernel, F, gh), 1e-4);
    agree('lstm hardSigmoid dL/drecurrent_kernel', model.getGrad('rnn.weight_hh_l0'), transpose(byName.recurrent_kernel, H, gh), 1e-4);
    agree('lstm hardSigmoid dL/dbias', model.getGrad('rnn.bias_ih_l0'), byName.bias, 1e-4);
    agree('lstm hardSigmoid dL/dbias (hh copy)', model.getGrad('rnn.bias_hh_l0'), byName.bias, 1e-4);
    // Some gate pre-activations must lie outside (−2.5, 2.5) for the zero slope to be exercised.
    const pre = tf
      .add(tf.matMul(xt.reshape([B * T, F]), m.getWeights()[0]), m.getWeights()[2])
      .abs()
      .max()
      .dataSync()[0];
    expect(pre).toBeGreaterThan(2.5);
  });
});

describe('recurrentActivation in the builder and model files', () => {
  it('a hardSigmoid model survives save/load, and the option is checked', async () => {
    const net = sequential({ input: { features: 3 } })
      .gru({ units: 4, recurrentActivation: 'hardSigmoid' })
      .dense({ units: 2 });
    expect(net.toJSON().layers[0]).toMatchObject({ cell: 'gru', recurrentActivation: 'hardSigmoid' });
    expect(
      sequential({ input: { features: 3 } })
        .lstm({ units: 4 })
        .toJSON().layers[0],
    ).not.toHaveProperty('recurrentActivation');
    const t = await createTrainer({ worker: false });
    await t.build(net, { seed: 3 });
    const x = values(2 * 4 * 3, 51, 3);
    const before = await t.predict({ features: x, batch: 2, steps: 4 });
    const file = await t.save();
    const u = await createTrainer({ worker: false });
    await u.load(file);
    expect(await u.predict({ features: x, batch: 2, steps: 4 })).toEqual(before);
    // the same weights with σ gates give other outputs: the option is not ignored
    const sig = await createTrainer({ worker: false });
    await sig.build(
      sequential({ input: { features: 3 } })
        .gru({ units: 4 })
        .dense({ units: 2 }),
    );
    await sig.importWeights(await t.save({ training: false }));
    expect(maxDiff(await sig.predict({ features: x, batch: 2, steps: 4 }), before)).toBeGreaterThan(1e-3);
    for (const tr of [t, u, sig]) await tr.dispose();
    expect(() => sequential({ input: { features: 3 } }).lstm({ units: 4, recurrentActivation: 'relu' as 'sigmoid' })).toThrow(
      expect.objectContaining({ code: 'E_OPTION' }),
    );
    expect(() =>
      Model.fromSpec({
        input: { features: 3 },
        layers: [
          {
            type: 'recurrent',
            name: 'r',
            cell: 'rnn_tanh',
            units: 2,
            layers: 1,
            bidirectional: false,
            dropout: 0,
            returnSequences: true,
            recurrentActivation: 'hardSigmoid',
          },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
  });
});

describe('importTfjs: unsupported models are E_FORMAT naming what', () => {
  const shape: [null, number, number] = [null, 4, 3];
  async function formatErr(build: (m: tf.Sequential) => void, what: RegExp) {
    const m = tf.sequential();
    build(m);
    const art = await artifactsOf(m);
    await expect(importTfjs(art)).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(what) });
  }
  it('Conv1D', () => formatErr((m) => m.add(tf.layers.conv1d({ filters: 2, kernelSize: 2, batchInputShape: shape })), /Conv1D/));
  it('Bidirectional merge mode sum', () =>
    formatErr(
      (m) => m.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) as tf.RNN, mergeMode: 'sum', batchInputShape: shape })),
      /merge_mode sum/,
    ));
  it("TF.js's GRU (reset before the product) until the core has that cell", () =>
    formatErr((m) => m.add(tf.layers.gru({ units: 2, batchInputShape: shape })), /GRU with reset_after: false/));
  it('a Dense activation other than linear/softmax', () =>
    formatErr((m) => m.add(tf.layers.dense({ units: 2, activation: 'relu', batchInputShape: shape })), /relu/));
  it('not a model.json', async () => {
    await expect(importTfjs({ modelTopology: { class_name: 'Model', config: {} } })).rejects.toMatchObject({ code: 'E_FORMAT' });
  });
});
