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

/** TF.js's [in, 3H] kernel gradient (blocks z, r, h) in our [3H, in] layout (blocks r, z, n). */
function kerasGruToOurs(g: Float32Array, rows: number, units: number): Float32Array {
  const cols = 3 * units;
  const t = new Float32Array(g.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = g[r * cols + c];
  const out = t.slice();
  out.set(t.subarray(units * rows, 2 * units * rows), 0); // r
  out.set(t.subarray(0, units * rows), units * rows); // z
  return out;
}

describe("TF.js's GRU (reset gate before the recurrent product, Keras reset_after=False)", () => {
  const [B, T, F] = [3, 5, 4];
  const x = values(B * T * F, 61, 1.5);

  it('GRU (hardSigmoid, TF.js default) → TimeDistributed(Dense); and the same model as Keras writes it (reset_after: false)', async () => {
    const m = tf.sequential();
    m.add(tf.layers.gru({ units: 6, returnSequences: true, batchInputShape: [null, T, F] }));
    m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3 }) }));
    randomise(m, 62, 0.8);
    const want = (m.predict(tf.tensor3d(x, [B, T, F])) as tf.Tensor).dataSync();
    const art = await artifactsOf(m);
    const { imp, out } = await ours(art, { features: x, batch: B, steps: T });
    expect(imp.spec.layers[0]).toMatchObject({ cell: 'gru', recurrentActivation: 'hardSigmoid', resetAfter: false });
    expect(imp.weights['rnn.bias_hh_l0'].every((v) => v === 0)).toBe(true);
    agree('GRU reset_after=False hardSigmoid + TimeDistributed(Dense)', out, want);
    // Keras's converter writes reset_after explicitly; false is the same cell
    const topo = structuredClone(art.modelTopology) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    topo.config.layers[0].config.reset_after = false;
    const keras = await ours({ ...art, modelTopology: topo }, { features: x, batch: B, steps: T });
    expect(keras.out).toEqual(out);
    // a reset_after: false GRU with Keras's two bias rows is malformed
    topo.config.layers[0].config.reset_after = true;
    await expect(importTfjs({ ...art, modelTopology: topo })).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(/bias/) });
  });

  it('Masking(0) → Bidirectional(GRU sigmoid, concat) → GRU → Dense, trailing padding as row lengths', async () => {
    const lengths = [5, 2, 3];
    const xp = x.slice();
    for (const [b, len] of lengths.entries()) xp.fill(0, (b * T + len) * F, (b + 1) * T * F);
    const m = tf.sequential();
    m.add(tf.layers.masking({ maskValue: 0, batchInputShape: [null, T, F] }));
    m.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN }));
    m.add(tf.layers.gru({ units: 3 }));
    m.add(tf.layers.dense({ units: 2 }));
    randomise(m, 63);
    const want = (m.predict(tf.tensor3d(xp, [B, T, F])) as tf.Tensor).dataSync();
    const { imp, out } = await ours(await artifactsOf(m), { features: xp, batch: B, steps: T, lengths });
    expect(imp.masked).toBe(true);
    expect(imp.spec.layers.slice(0, 2)).toMatchObject([
      { cell: 'gru', bidirectional: true, resetAfter: false },
      { cell: 'gru', recurrentActivation: 'hardSigmoid', resetAfter: false },
    ]);
    agree('Masking + Bidirectional(GRU reset_after=False) + GRU + Dense', out, want);
  });

  it('Embedding(maskZero) → GRU → GRU (stacked) → Dense through recurrent convert', async () => {
    const ids = [3, 1, 4, 1, 5, 2, 6, 0, 0, 0, 5, 3, 5, 0, 0];
    const lengths = [5, 2, 3];
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 7, outputDim: 4, maskZero: true, inputLength: T }));
    m.add(tf.layers.gru({ units: 5, returnSequences: true }));
    m.add(tf.layers.gru({ units: 4 }));
    m.add(tf.layers.dense({ units: 2 }));
    randomise(m, 64);
    const want = (m.predict(tf.tensor2d(ids, [B, T], 'int32')) as tf.Tensor).dataSync();
    const art = await artifactsOf(m);
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-gru-'));
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(art.weightData as ArrayBuffer));
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: art.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] }),
    );
    const r = spawnSync(
      process.execPath,
      [new URL('../bin/recurrent.js', import.meta.url).pathname, 'convert', join(dir, 'model.json'), '--out', join(dir, 'm.safetensors')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const t = await createTrainer({ worker: false });
    await t.load(readFileSync(join(dir, 'm.safetensors')));
    agree('Embedding(maskZero) + GRU + GRU + Dense (reset_after=False, convert)', await t.predict({ ids, batch: B, steps: T, lengths }), want);
    await t.dispose();
  });

  // Gradients of Σ outputs w.r.t. every weight, against tf.variableGrads. Our bias_ih and bias_hh
  // both get TF.js's bias gradient (b_hn is added after the product, as TF.js's bias is).
  for (const [name, act, bi] of [
    ['sigmoid', 'sigmoid', false],
    ['hardSigmoid', 'hardSigmoid', false],
    ['Bidirectional(GRU hardSigmoid) → GRU sigmoid', 'hardSigmoid', true],
  ] as const) {
    it(`gradients equal TF.js: ${name}`, async () => {
      const H = 5;
      const m = tf.sequential();
      const gru = (a: 'sigmoid' | 'hardSigmoid', first: boolean) =>
        tf.layers.gru({ units: H, returnSequences: true, recurrentActivation: a, ...(first && !bi ? { batchInputShape: [null, T, F] } : {}) });
      if (bi) {
        m.add(tf.layers.bidirectional({ layer: gru(act, false) as tf.RNN, batchInputShape: [null, T, F] }));
        m.add(gru('sigmoid', false));
      } else m.add(gru(act, true));
      randomise(m, 65, 0.9);
      const xt = tf.tensor3d(x, [B, T, F]);
      const { value, grads } = tf.variableGrads(() => (m.apply(xt) as tf.Tensor).sum() as tf.Scalar);
      const tfGrads = m.trainableWeights.map((w) => grads[w.name].dataSync() as Float32Array);
      const { imp, model, out } = await ours(await artifactsOf(m), { features: x, batch: B, steps: T });
      expect(imp.spec.layers[0]).toMatchObject({ cell: 'gru', resetAfter: false });
      agree(`GRU reset_after=False ${name} forward`, out, (m.apply(xt) as tf.Tensor).dataSync());
      expect(Math.abs(out.reduce((a, b) => a + b, 0) - value.dataSync()[0])).toBeLessThan(1e-4);
      const n = out.length;
      model.loss({ values: out.map((v) => v - n / 2) }, { loss: 'mse', backward: true });
      // TF.js order: per layer and direction kernel, recurrent_kernel, bias
      const dirs = bi
        ? [
            ['rnn', '', F],
            ['rnn', '_reverse', F],
            ['rnn1', '', 2 * H],
          ]
        : [['rnn', '', F]];
      for (const [i, [ln, sfx, inp]] of (dirs as [string, string, number][]).entries()) {
        const [k, r, b] = tfGrads.slice(3 * i, 3 * i + 3);
        const what = `GRU reset_after=False ${name} ${ln}${sfx}`;
        agree(`${what} dL/dkernel`, model.getGrad(`${ln}.weight_ih_l0${sfx}`), kerasGruToOurs(k, inp, H), 1e-4);
        agree(`${what} dL/drecurrent_kernel`, model.getGrad(`${ln}.weight_hh_l0${sfx}`), kerasGruToOurs(r, H, H), 1e-4);
        const db = kerasGruToOurs(b, 1, H);
        agree(`${what} dL/dbias`, model.getGrad(`${ln}.bias_ih_l0${sfx}`), db, 1e-4);
        agree(`${what} dL/dbias (hh)`, model.getGrad(`${ln}.bias_hh_l0${sfx}`), db, 1e-4);
      }
      if (act === 'hardSigmoid') {
        // some gate pre-activations lie outside (−2.5, 2.5), so the zero slope is exercised
        const w = m.getWeights();
        const pre = tf
          .add(tf.matMul(xt.reshape([B * T, F]), w[0]), w[2])
          .abs()
          .max()
          .dataSync()[0];
        expect(pre).toBeGreaterThan(2.5);
      }
    });
  }
});

describe('resetAfter in the builder and model files', () => {
  it('a reset-before GRU survives save/load, fine-tunes, exports its option, and the option is checked', async () => {
    const net = sequential({ input: { features: 3 } })
      .gru({ units: 4, resetAfter: false, recurrentActivation: 'hardSigmoid', bidirectional: true, layers: 2 })
      .dense({ units: 2 });
    expect(net.toJSON().layers[0]).toMatchObject({ cell: 'gru', resetAfter: false, recurrentActivation: 'hardSigmoid' });
    for (const resetAfter of [undefined, true])
      expect(
        sequential({ input: { features: 3 } })
          .gru({ units: 4, ...(resetAfter === undefined ? {} : { resetAfter }) })
          .toJSON().layers[0],
      ).not.toHaveProperty('resetAfter');
    const x = values(2 * 4 * 3, 71, 2);
    // it trains: 40 Adam steps on one batch halve the loss
    const y = values(2 * 4 * 2, 72, 0.5);
    const fm = Model.fromSpec(net.toJSON());
    fm.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 0.02 } });
    const first = fm.trainStep({ features: x, batch: 2, steps: 4 }, { values: y });
    let last = first;
    for (let i = 0; i < 40; i++) last = fm.trainStep({ features: x, batch: 2, steps: 4 }, { values: y });
    expect(last.loss).toBeLessThan(first.loss * 0.5);
    const t = await createTrainer({ worker: false });
    await t.build(net, { seed: 5 });
    const before = await t.predict({ features: x, batch: 2, steps: 4 });
    const file = await t.save();
    const u = await createTrainer({ worker: false });
    await u.load(file);
    expect(await u.predict({ features: x, batch: 2, steps: 4 })).toEqual(before);
    // the same weights with the reset after the product give other outputs: the option is not ignored
    const after = await createTrainer({ worker: false });
    await after.build(
      sequential({ input: { features: 3 } })
        .gru({ units: 4, recurrentActivation: 'hardSigmoid', bidirectional: true, layers: 2 })
        .dense({ units: 2 }),
    );
    await after.importWeights(await t.save({ training: false }));
    expect(maxDiff(await after.predict({ features: x, batch: 2, steps: 4 }), before)).toBeGreaterThan(1e-3);
    for (const tr of [t, u, after]) await tr.dispose();
    expect(() => sequential({ input: { features: 3 } }).lstm({ units: 4, resetAfter: false } as never)).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
    expect(() => sequential({ input: { features: 3 } }).gru({ units: 4, resetAfter: 0 as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'E_OPTION', message: expect.stringMatching(/resetAfter/) }),
    );
    const spec = (cell: string, resetAfter: unknown) => ({
      input: { features: 3 },
      layers: [{ type: 'recurrent', name: 'r', cell, units: 2, layers: 1, bidirectional: false, dropout: 0, returnSequences: true, resetAfter }],
    });
    expect(() => Model.fromSpec(spec('lstm', false) as never)).toThrow(
      expect.objectContaining({ code: 'E_OPTION', message: expect.stringMatching(/resetAfter/) }),
    );
    expect(() => Model.fromSpec(spec('gru', 'no') as never)).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
    expect(Model.fromSpec(spec('gru', false) as never).paramCount).toBe(Model.fromSpec(spec('gru', true) as never).paramCount);
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
  it('GRU goBackwards', () => formatErr((m) => m.add(tf.layers.gru({ units: 2, goBackwards: true, batchInputShape: shape })), /go_backwards/));
  it('a Dense activation other than linear/softmax', () =>
    formatErr((m) => m.add(tf.layers.dense({ units: 2, activation: 'relu', batchInputShape: shape })), /relu/));
  it('not a model.json', async () => {
    await expect(importTfjs({ modelTopology: { class_name: 'Model', config: {} } })).rejects.toMatchObject({ code: 'E_FORMAT' });
  });
});
