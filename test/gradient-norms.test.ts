// Per-step gradient norms through the wasm build and the SDK, against PyTorch
// (test/fixtures/stepgrad: retain_grad on every step's state, float64): RecurrentLayer for the
// stack alone, Model / Session / Trainer for features → rnn → linear → MSE.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// workers run the built SDK (dist/), as in worker.test.ts
import { createTrainer } from '../dist/index.js';
import { type CellType, encodeSafetensors, type GradientNorms, init, Model, RecurrentLayer, sequential } from '../ts/index.js';
import { expectError, ROOT } from './helpers.js';

interface Fx {
  kind: 'layer' | 'model';
  cell: CellType;
  input_size: number;
  hidden_size: number;
  num_layers: number;
  bidirectional: boolean;
  batch: number;
  steps: number;
  lengths: number[] | null;
  tensors: Record<string, { shape: number[]; data: number[] }>;
}

const DIR = join(ROOT, 'test/fixtures/stepgrad');
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f.replace('.json', ''), JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fx] as const);
const f32 = (fx: Fx, k: string) => Float32Array.from(fx.tensors[k].data);

/** |a − b| ≤ 1e-6·|b| (the "exact to PyTorch"). */
function expectNorms(name: string, fx: Fx, g: GradientNorms): void {
  expect([g.rows, g.steps]).toEqual([fx.num_layers * (fx.bidirectional ? 2 : 1), fx.steps]);
  const pairs: [string, Float32Array | undefined][] = [['h', g.h]];
  if (fx.cell === 'lstm') pairs.push(['c', g.c]);
  else expect(g.c).toBeUndefined();
  for (const [k, got] of pairs) {
    const want = fx.tensors[`step_norm_${k}`].data;
    expect(got, `${name} ${k}`).toBeInstanceOf(Float32Array);
    const bad = want.map((w, i) => ({ i, got: got![i], w })).filter(({ got, w }) => !(Math.abs(got - w) <= 1e-6 * Math.abs(w)));
    expect(bad, `${name} ${k}`).toEqual([]);
  }
}

function buildModel(fx: Fx) {
  const opts = { units: fx.hidden_size, layers: fx.num_layers, bidirectional: fx.bidirectional, returnSequences: false as const, name: 'rnn' };
  const b = sequential({ input: { features: fx.input_size } });
  const r = fx.cell === 'lstm' ? b.lstm(opts) : fx.cell === 'gru' ? b.gru(opts) : b.rnn({ ...opts, activation: fx.cell === 'rnn_relu' ? 'relu' : 'tanh' });
  return r.dense({ units: 1, name: 'head' }).toJSON();
}

function batchOf(fx: Fx) {
  return { features: f32(fx, 'x'), batch: fx.batch, steps: fx.steps, ...(fx.lengths ? { lengths: fx.lengths } : {}) };
}

beforeAll(async () => {
  await init();
});

describe('per-step gradient norms', () => {
  it('has the fixtures', () => {
    expect(FIXTURES.filter(([, f]) => f.kind === 'layer').length).toBe(12);
    expect(FIXTURES.filter(([, f]) => f.kind === 'model').length).toBe(8);
  });

  for (const [name, fx] of FIXTURES.filter(([, f]) => f.kind === 'layer')) {
    it(`RecurrentLayer matches PyTorch: ${name}`, () => {
      const layer = new RecurrentLayer({
        cell: fx.cell,
        inputSize: fx.input_size,
        hiddenSize: fx.hidden_size,
        numLayers: fx.num_layers,
        bidirectional: fx.bidirectional,
      });
      try {
        for (const n of layer.paramNames()) layer.setParam(n, f32(fx, n));
        const fwd = {
          x: f32(fx, 'x'),
          batch: fx.batch,
          steps: fx.steps,
          h0: f32(fx, 'h0'),
          ...(fx.cell === 'lstm' ? { c0: f32(fx, 'c0') } : {}),
          ...(fx.lengths ? { lengths: fx.lengths } : {}),
        };
        const bwd = { gradOut: f32(fx, 'grad_out'), gradHN: f32(fx, 'grad_h_n'), ...(fx.cell === 'lstm' ? { gradCN: f32(fx, 'grad_c_n') } : {}) };
        layer.forward(fwd);
        layer.backward(bwd);
        expectError(() => layer.gradientNorms(), TypeError, 'E_STATE', /turn recording on/);
        layer.trackGradientNorms();
        layer.forward(fwd);
        layer.backward(bwd);
        const g = layer.gradientNorms();
        expect(g.layer).toBe('');
        expectNorms(name, fx, g);
      } finally {
        layer.dispose();
      }
    });
  }

  for (const [name, fx] of FIXTURES.filter(([, f]) => f.kind === 'model')) {
    it(`Model.gradientProfile matches PyTorch: ${name}`, () => {
      const m = Model.fromSpec(buildModel(fx), 1);
      try {
        for (const n of m.paramNames()) m.setParam(n, f32(fx, n));
        const targets = { values: f32(fx, 'targets') };
        const [g, ...rest] = m.gradientProfile(batchOf(fx), targets, { loss: 'mse' });
        expect(rest).toEqual([]);
        expect(g.layer).toBe('rnn');
        expectNorms(name, fx, g);
        // recording was for that backward only
        m.forward(batchOf(fx));
        m.loss(targets, { loss: 'mse', backward: true });
        expectError(() => m.gradientNorms(), TypeError, 'E_STATE', /turn recording on/);
      } finally {
        m.dispose();
      }
    });
  }

  it('records during training steps once tracking is on, and training is unchanged by it', () => {
    const [, fx] = FIXTURES.find(([n]) => n === 'model_gru_l1_uni_t12')!;
    const run = (track: boolean) => {
      const m = Model.fromSpec(buildModel(fx), 1);
      m.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 0.01 } });
      if (track) m.trackGradientNorms();
      const targets = { values: f32(fx, 'targets') };
      let last: GradientNorms[] | undefined;
      for (let i = 0; i < 3; i++) {
        m.trainStep(batchOf(fx), targets);
        if (track) last = m.gradientNorms();
      }
      const w = m.getParams();
      m.dispose();
      return { w, last };
    };
    const off = run(false);
    const on = run(true);
    expect(on.w).toEqual(off.w);
    expect(on.last?.[0].h.length).toBe(fx.steps);
    expect(on.last?.[0].h.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  });

  it('Trainer.gradientProfile (in a worker) gives the same norms', async () => {
    const [, fx] = FIXTURES.find(([n]) => n === 'model_lstm_l2_bi_varlen')!;
    const t = await createTrainer({ worker: true });
    try {
      await t.build(buildModel(fx), { seed: 1 });
      await t.compile({ loss: 'mse' });
      const names = (await t.info()).paramNames;
      const file = encodeSafetensors(
        names.map((n) => [n, { dtype: 'F32', shape: fx.tensors[n].shape, data: f32(fx, n) }]),
        {},
      );
      await t.importWeights(file);
      const [g] = await t.gradientProfile(batchOf(fx), { values: f32(fx, 'targets') });
      expectNorms('trainer', fx, g);
    } finally {
      await t.dispose();
    }
  });

  it('is E_STATE for a model without a recurrent layer', () => {
    const m = sequential({ input: { features: 2 } })
      .dense({ units: 1 })
      .build();
    try {
      expectError(
        () => m.gradientProfile({ features: new Float32Array(4), batch: 1, steps: 2 }, { values: new Float32Array(2) }, { loss: 'mse' }),
        TypeError,
        'E_STATE',
        /recurrent layer/,
      );
    } finally {
      m.dispose();
    }
  });
});
