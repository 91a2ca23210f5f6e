// The cell registry (ts/cells.ts) and the cell it was proven with: PyTorch's LSTM with
// projections (proj_size). The golden files in test/fixtures/torch-proj (PyTorch, float64 from
// float32 inputs; README there) run through the wasm build: forward and backward of the bare
// layer with h0/c0 and lengths, then the builder's `.lstm({ projSize })` importing a PyTorch
// state_dict, saving and loading, and ONNX export refusing it by name.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELL_TYPES, CELLS, createTrainer, exportOnnx, init, Model, type ModelSpecJSON, RecurrentLayer, sequential } from '../dist/index.js';
import { encodeSafetensors } from '../dist/io/safetensors.js';
import { rejectsWith } from './helpers.js';

const DIR = new URL('./fixtures/torch-proj/', import.meta.url);
const FILES = ['layer_lstmp_l1_uni.json', 'layer_lstmp_l1_bi.json', 'layer_lstmp_l2_uni.json', 'layer_lstmp_l2_bi_varlen.json'];
interface Golden {
  input_size: number;
  hidden_size: number;
  proj_size: number;
  num_layers: number;
  bidirectional: boolean;
  batch: number;
  steps: number;
  lengths?: number[];
  tensors: Record<string, { shape: number[]; data: number[] }>;
}
const golden = (f: string) => JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as Golden;
const f32 = (g: Golden, k: string) => Float32Array.from(g.tensors[k].data);
const paramNames = (g: Golden) => Object.keys(g.tensors).filter((k) => k.startsWith('weight_') || k.startsWith('bias_'));

/** Largest violation of |a − b| ≤ 1e-5 + 1e-4·|b| (the fixtures' tolerance; ≤ 0 passes). */
function excess(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = -1;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) - 1e-5 - 1e-4 * Math.abs(b[i]));
  return m;
}

beforeAll(async () => {
  await init();
});

describe('cell registry', () => {
  it('lists every cell once, with ONNX and Keras gate orders that are permutations of its gates', () => {
    expect([...CELL_TYPES].sort()).toEqual(Object.keys(CELLS).sort());
    for (const c of CELL_TYPES) {
      const info = CELLS[c];
      const g = [...info.gates.keys()];
      expect([...info.onnx.order].sort(), c).toEqual(g);
      expect([...info.keras.order].sort(), c).toEqual(g);
      expect(info.hasC, c).toBe(c === 'lstm');
    }
  });

  it("checks each cell's own options in the builder and in a spec, naming the option and the cell", () => {
    expect(() => sequential({ input: { features: 2 } }).gru({ units: 4, projSize: 2 } as never)).toThrow(/projSize/);
    expect(() => sequential({ input: { features: 2 } }).lstm({ units: 4, resetAfter: false } as never)).toThrow(/resetAfter/);
    expect(() => sequential({ input: { features: 2 } }).lstm({ units: 4, projSize: 0 })).toThrow(expect.objectContaining({ code: 'E_RANGE' }));
    const base = { type: 'recurrent', name: 'rnn', units: 4, layers: 1, bidirectional: false, dropout: 0, returnSequences: true };
    const spec = (l: object) =>
      ({
        input: { features: 2 },
        layers: [
          { ...base, ...l },
          { type: 'dense', name: 'head', units: 1 },
        ],
      }) as ModelSpecJSON;
    const bad = [
      [{ cell: 'gru', projSize: 2 }, 'E_OPTION', /projSize applies to lstm cells, not gru/],
      [{ cell: 'lstm', projSize: 4 }, 'E_RANGE', /projSize must be an integer between 1 and units − 1 = 3/],
      [{ cell: 'lstm', projSize: 2, recurrentActivation: 'hardSigmoid' }, 'E_OPTION', /projSize needs sigmoid gates/],
      [{ cell: 'rnn_tanh', recurrentActivation: 'hardSigmoid' }, 'E_OPTION', /applies to lstm and gru gates, not rnn_tanh/],
      [{ cell: 'lstm', resetAfter: false }, 'E_OPTION', /false applies to gru cells, not lstm/],
    ] as const;
    for (const [l, code, msg] of bad)
      expect(() => Model.fromSpec(spec(l)), JSON.stringify(l)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(msg) }));
    const ok = Model.fromSpec(spec({ cell: 'lstm', projSize: 3 }));
    expect(ok.paramShape('rnn.weight_hr_l0')).toEqual([3, 4]);
    expect(ok.paramShape('rnn.weight_hh_l0')).toEqual([16, 3]);
    ok.dispose();
  });
});

describe("PyTorch's LSTM with proj_size (test/fixtures/torch-proj)", () => {
  for (const file of FILES) {
    it(`${file}: forward and backward of the bare layer match PyTorch`, () => {
      const g = golden(file);
      const layer = new RecurrentLayer({
        cell: 'lstm',
        inputSize: g.input_size,
        hiddenSize: g.hidden_size,
        projSize: g.proj_size,
        numLayers: g.num_layers,
        bidirectional: g.bidirectional,
      });
      try {
        expect(layer.paramNames().sort()).toEqual(paramNames(g).sort());
        for (const n of paramNames(g)) {
          expect(layer.paramShape(n), n).toEqual(g.tensors[n].shape);
          layer.setParam(n, f32(g, n));
        }
        const fwd = layer.forward({ x: f32(g, 'x'), batch: g.batch, steps: g.steps, lengths: g.lengths, h0: f32(g, 'h0'), c0: f32(g, 'c0') });
        expect(excess(fwd.out, g.tensors.out.data), 'out').toBeLessThanOrEqual(0);
        expect(excess(fwd.hN, g.tensors.h_n.data), 'h_n').toBeLessThanOrEqual(0);
        expect(excess(fwd.cN!, g.tensors.c_n.data), 'c_n').toBeLessThanOrEqual(0);
        const grads = layer.backward({ gradOut: f32(g, 'grad_out'), gradHN: f32(g, 'grad_h_n'), gradCN: f32(g, 'grad_c_n') });
        expect(excess(grads.x, g.tensors['grad.x'].data), 'grad.x').toBeLessThanOrEqual(0);
        expect(excess(grads.h0, g.tensors['grad.h0'].data), 'grad.h0').toBeLessThanOrEqual(0);
        expect(excess(grads.c0!, g.tensors['grad.c0'].data), 'grad.c0').toBeLessThanOrEqual(0);
        for (const n of paramNames(g)) expect(excess(grads.params[n], g.tensors[`grad.${n}`].data), `grad.${n}`).toBeLessThanOrEqual(0);
      } finally {
        layer.dispose();
      }
    });
  }

  it('the builder takes projSize; a PyTorch state_dict (weight_hr_l{k}[_reverse]) imports; save/load keeps it; ONNX refuses it by name', async () => {
    const g = golden('layer_lstmp_l2_bi_varlen.json');
    const out = (g.bidirectional ? 2 : 1) * g.proj_size;
    const builder = sequential({ input: { features: g.input_size } })
      .lstm({ units: g.hidden_size, projSize: g.proj_size, layers: g.num_layers, bidirectional: g.bidirectional })
      .dense({ units: 2 });
    expect(builder.toJSON().layers[0]).toMatchObject({ cell: 'lstm', units: g.hidden_size, projSize: g.proj_size });
    // nn.LSTM(..., proj_size) named "lstm" and nn.Linear named "fc", as state_dict() writes them
    const fc = Float32Array.from({ length: 2 * out }, (_, i) => ((i % 5) - 2) / 4);
    const stateDict = encodeSafetensors(
      [
        ...paramNames(g).map((n) => [`lstm.${n}`, { dtype: 'F32', shape: g.tensors[n].shape, data: f32(g, n) }] as const),
        ['fc.weight', { dtype: 'F32', shape: [2, out], data: fc }],
        ['fc.bias', { dtype: 'F32', shape: [2], data: new Float32Array([0.5, -0.25]) }],
      ] as never,
      {},
    );
    const t = await createTrainer({ worker: false });
    const t2 = await createTrainer({ worker: false });
    try {
      await t.build(builder, { seed: 3 });
      const names = await t.importWeights(stateDict, { prefixMap: { lstm: 'rnn', fc: 'head' } });
      expect(names).toContain('rnn.weight_hr_l1_reverse');
      const w = await t.getWeights();
      for (const n of paramNames(g)) expect(Array.from(w[`rnn.${n}`]), n).toEqual(Array.from(f32(g, n)));
      // from a zero state, the head over PyTorch's layer output: the layer's out with h0 = c0 = 0
      const x = f32(g, 'x');
      const y = await t.predict({ features: x, batch: g.batch, steps: g.steps, lengths: g.lengths });
      const layer = new RecurrentLayer({
        cell: 'lstm',
        inputSize: g.input_size,
        hiddenSize: g.hidden_size,
        projSize: g.proj_size,
        numLayers: g.num_layers,
        bidirectional: g.bidirectional,
      });
      for (const n of paramNames(g)) layer.setParam(n, f32(g, n));
      const h = layer.forward({ x, batch: g.batch, steps: g.steps, lengths: g.lengths }).out;
      layer.dispose();
      for (let r = 0; r < g.batch * g.steps; r++)
        for (let k = 0; k < 2; k++) {
          let v = k === 0 ? 0.5 : -0.25;
          for (let j = 0; j < out; j++) v += fc[k * out + j] * h[r * out + j];
          expect(y[r * 2 + k]).toBeCloseTo(v, 5);
        }
      const file = await t.save();
      await t2.load(file);
      expect(Array.from(await t2.predict({ features: x, batch: g.batch, steps: g.steps, lengths: g.lengths }))).toEqual(Array.from(y));
      await rejectsWith(exportOnnx(file), 'E_OPTION', /projSize \(PyTorch proj_size\) of the recurrent layer 'rnn'/);
    } finally {
      await t.dispose();
      await t2.dispose();
    }
  });
});
