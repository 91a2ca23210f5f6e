// ONNX export checked against the real runtime (onnxruntime-node): every cell (rnn tanh, rnn
// relu, lstm, gru; hard-sigmoid gates; the reset-before GRU) × uni/bidirectional × 1–2 stacked layers, with and without row lengths, plus
// a features model with dropout and a pooled (returnSequences: false) layer, and two recurrent
// layers in a row. onnxruntime's own loading checks (graph, types, shapes) run on every file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, exportOnnx, init, Seq2SeqModel, sequential, type Trainer } from '../ts/index.js';
import { ROOT, randomArray } from './helpers.js';

const CELLS = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru', 'lstm_hard_sigmoid', 'gru_hard_sigmoid', 'gru_reset_before', 'gru_reset_before_hard_sigmoid'] as const;
const B = 3;
const T = 6;
const LENGTHS = [6, 4, 1];
let t: Trainer;
let worst = 0;

beforeAll(async () => {
  await init();
  t = await createTrainer({ worker: false });
});

function build(cell: (typeof CELLS)[number], bidirectional: boolean, layers: number) {
  const s = sequential({ input: { vocab: 13 } }).embedding({ dim: 6 });
  const o = { units: 5, layers, bidirectional };
  const hard = { ...o, recurrentActivation: 'hardSigmoid' } as const;
  if (cell === 'lstm_hard_sigmoid') return s.lstm(hard).dense({ units: 7 });
  if (cell === 'gru_hard_sigmoid') return s.gru(hard).dense({ units: 7 });
  // resetAfter: false → linear_before_reset = 0 (non-zero bias_hh, so Rb_h's place is checked)
  if (cell === 'gru_reset_before') return s.gru({ ...o, resetAfter: false }).dense({ units: 7 });
  if (cell === 'gru_reset_before_hard_sigmoid') return s.gru({ ...hard, resetAfter: false }).dense({ units: 7 });
  const r = cell === 'lstm' ? s.lstm(o) : cell === 'gru' ? s.gru(o) : s.rnn({ ...o, activation: cell === 'rnn_relu' ? 'relu' : 'tanh' });
  return r.dense({ units: 7 });
}

/** Max |a − b| over the valid steps of each row ([B, T, C] batch-first). */
function diffValid(a: ArrayLike<number>, b: ArrayLike<number>, c: number, lengths: number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let r = 0; r < B; r++)
    for (let s = 0; s < lengths[r]; s++)
      for (let k = 0; k < c; k++) {
        const i = (r * T + s) * c + k;
        m = Math.max(m, Math.abs(a[i] - b[i]));
      }
  return m;
}

async function run(onnx: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const out = await session.run(feeds);
    return out.output.data as Float32Array;
  } finally {
    await session.release();
  }
}

const idsTensor = (ids: number[]) => new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [B, T]);
const lengthsTensor = (l: number[]) => new ort.Tensor('int32', Int32Array.from(l), [B]);

describe('ONNX export (onnxruntime-node)', () => {
  for (const cell of CELLS)
    for (const bidirectional of [false, true])
      for (const layers of [1, 2]) {
        it(`${cell}, ${bidirectional ? 'bidirectional' : 'forward'}, ${layers} layer${layers > 1 ? 's' : ''}: equals predict within 1e-5`, async () => {
          await t.build(build(cell, bidirectional, layers), { seed: 11 + layers });
          // bigger weights than the init, so saturating and ReLU-negative regions are exercised
          const w = await t.getWeights();
          const { encodeSafetensors } = await import('../ts/io/safetensors.js');
          const names = Object.keys(w);
          const file0 = await t.save({ training: false });
          const { decodeCheckpoint } = await import('../ts/index.js');
          const params = decodeCheckpoint(file0).params;
          const scaled = encodeSafetensors(
            params.map((p, i) => [p.name, { dtype: 'F32', shape: p.shape, data: randomArray(p.data.length, 100 + i).map((v) => v * 0.8) }]),
            {},
          );
          expect(await t.importWeights(scaled)).toEqual(names);
          const file = await t.save({ training: false });
          const ids = Array.from(randomArray(B * T, 7), (v) => Math.floor((v + 1) * 6.5) % 13);
          const onnx = await exportOnnx(file);
          const onnxNoLen = await exportOnnx(file, { lengths: false });
          // full rows: our predict without lengths vs ONNX with lengths = T and without the input
          const ours = await t.predict({ ids, batch: B, steps: T });
          const full = [T, T, T];
          const d1 = diffValid(await run(onnx, { ids: idsTensor(ids), lengths: lengthsTensor(full) }), ours, 7, full);
          const d2 = diffValid(await run(onnxNoLen, { ids: idsTensor(ids) }), ours, 7, full);
          // ragged rows: valid steps
          const oursLen = await t.predict({ ids, batch: B, steps: T, lengths: LENGTHS });
          const d3 = diffValid(await run(onnx, { ids: idsTensor(ids), lengths: lengthsTensor(LENGTHS) }), oursLen, 7, LENGTHS);
          for (const d of [d1, d2, d3]) expect(d).toBeLessThanOrEqual(1e-5);
          worst = Math.max(worst, d1, d2, d3);
        });
      }

  it('features input, dropout, two recurrent layers in a row and a pooled output', async () => {
    const net = sequential({ input: { features: 4 } })
      .gru({ units: 6, bidirectional: true })
      .dropout(0.3)
      .lstm({ units: 5, layers: 2, bidirectional: true, returnSequences: false })
      .dense({ units: 8 })
      .dense({ units: 3 });
    await t.build(net, { seed: 5 });
    const file = await t.save({ training: false });
    const features = randomArray(B * T * 4, 9);
    const onnx = await exportOnnx(file);
    const session = await ort.InferenceSession.create(onnx);
    expect(session.inputNames).toEqual(['features', 'lengths']);
    expect(session.outputNames).toEqual(['output']);
    await session.release();
    const feed = (l: number[]) => ({ features: new ort.Tensor('float32', features, [B, T, 4]), lengths: lengthsTensor(l) });
    for (const l of [[T, T, T], LENGTHS]) {
      const ours = await t.predict({ features, batch: B, steps: T, lengths: l });
      const got = await run(onnx, feed(l));
      expect(got.length).toBe(B * 3);
      let d = 0;
      for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i] - ours[i]));
      expect(d).toBeLessThanOrEqual(1e-5);
      worst = Math.max(worst, d);
    }
    console.log(`ONNX export: max |onnxruntime − predict| = ${worst.toExponential(2)} over all cases`);
  });

  it('a CRF head or a seq2seq model is a typed error that names what cannot be exported', async () => {
    await t.build(
      sequential({ input: { vocab: 5 } })
        .embedding({ dim: 3 })
        .lstm({ units: 4 })
        .dense({ units: 4 })
        .crf(),
      { seed: 1 },
    );
    await expect(exportOnnx(await t.save({ training: false }))).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/CRF/) });
    const s2s = Seq2SeqModel.create({ sourceVocab: 5, targetVocab: 6, embed: 3, encoderUnits: 4 }, { seed: 1 });
    try {
      await expect(exportOnnx(s2s.save())).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/seq2seq/) });
    } finally {
      s2s.dispose();
    }
    await expect(exportOnnx(new Uint8Array(10))).rejects.toMatchObject({ code: 'E_FORMAT' });
    await expect(exportOnnx(new Uint8Array(0), { opset: 9 } as never)).rejects.toMatchObject({ code: 'E_OPTION' });
  });

  it('recurrent export M.safetensors --format onnx --out M.onnx writes a file onnxruntime runs', async () => {
    await t.build(build('lstm', true, 2), { seed: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-onnx-'));
    writeFileSync(join(dir, 'm.safetensors'), await t.save());
    const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', timeout: 60_000 });
    const r = cli('export', join(dir, 'm.safetensors'), '--format', 'onnx', '--out', join(dir, 'm.onnx'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote .*m\.onnx/);
    const ids = Array.from(randomArray(B * T, 4), (v) => Math.floor((v + 1) * 6.5) % 13);
    const got = await run(readFileSync(join(dir, 'm.onnx')), { ids: idsTensor(ids), lengths: lengthsTensor(LENGTHS) });
    expect(diffValid(got, await t.predict({ ids, batch: B, steps: T, lengths: LENGTHS }), 7, LENGTHS)).toBeLessThanOrEqual(1e-5);
    const bad = cli('export', join(dir, 'm.safetensors'), '--format', 'tflite', '--out', join(dir, 'x'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/^recurrent: E_OPTION: --format must be one of onnx/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
