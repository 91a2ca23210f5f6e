// Sizes and non-finite values at the wasm boundary: sizes that would wrap in 32 bits, negative
// or fractional sizes and sizes above the documented limits are E_RANGE naming the argument
// (never a wasm trap), the model stays usable afterwards even after a thousand such errors, and
// exploding training leaves the last finite weights, which save and load.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init, Model, RecurrentLayer, sequential } from '../ts/index.js';
import { wasm } from '../ts/wasm.js';
import { expectError, randomArray } from './helpers.js';

beforeAll(() => init());

const lm = (): Model =>
  sequential({ input: { vocab: 5 } })
    .embedding({ dim: 3 })
    .lstm({ units: 4 })
    .dense({ units: 5 })
    .build({ seed: 1 });

const ids = Uint32Array.from([0, 1, 2, 3, 4, 0, 1, 2]);

describe('sizes at the wasm boundary', () => {
  it('batch and steps that wrap, are negative or are too large are E_RANGE, and the model stays usable', () => {
    const m = lm();
    const bad: [number, number, RegExp][] = [
      [2 ** 31 + 2, 4, /batch/],
      [2 ** 32 + 2, 4, /batch/],
      [-2, 4, /batch/],
      [2, -4, /steps/],
      [2.5, 4, /batch/],
      [1, 3e7, /steps/],
      [NaN, 4, /batch/],
    ];
    for (let i = 0; i < 1000; i++) {
      const [batch, steps, name] = bad[i % bad.length];
      expectError(() => m.forward({ ids, batch, steps }), RangeError, 'E_RANGE', name);
    }
    expect(m.forward({ ids, batch: 2, steps: 4 }).length).toBe(2 * 4 * 5);
    m.dispose();
  });

  it('a trainer in the calling thread refuses the same batch in predict', async () => {
    const t = await createTrainer({ worker: false });
    await t.build(
      sequential({ input: { vocab: 5 } })
        .embedding({ dim: 3 })
        .lstm({ units: 4 })
        .dense({ units: 5 }),
      { seed: 1 },
    );
    await expect(t.predict({ ids, batch: 2 ** 31 + 2, steps: 4 })).rejects.toMatchObject({ code: 'E_RANGE' });
    expect((await t.predict({ ids, batch: 2, steps: 4 })).length).toBe(40);
    await t.dispose();
  });

  it('features forward with 3e7 steps is E_RANGE before any allocation', () => {
    const m = sequential({ input: { features: 2 } })
      .gru({ units: 3 })
      .dense({ units: 1 })
      .build({ seed: 2 });
    expectError(() => m.forward({ features: new Float32Array(6), batch: 1, steps: 3e7 }), RangeError, 'E_RANGE', /steps|T =/);
    expect(m.forward({ features: new Float32Array(6), batch: 1, steps: 3 }).length).toBe(3);
    m.dispose();
  });

  it('20000 units (a 6 GB LSTM) is E_RANGE from the builder and from RecurrentLayer', () => {
    for (let i = 0; i < 3; i++) {
      expectError(
        () =>
          sequential({ input: { vocab: 5 } })
            .embedding({ dim: 3 })
            .lstm({ units: 20000 })
            .dense({ units: 5 })
            .build(),
        RangeError,
        'E_RANGE',
        /units/,
      );
      expectError(() => new RecurrentLayer({ cell: 'lstm', inputSize: 3, hiddenSize: 20000 }), RangeError, 'E_RANGE', /hiddenSize/);
    }
    const l = new RecurrentLayer({ cell: 'lstm', inputSize: 3, hiddenSize: 4 });
    expectError(() => l.forward({ x: new Float32Array(3), batch: 2 ** 32 + 1, steps: 1 }), RangeError, 'E_RANGE', /batch/);
    expect(l.forward({ x: randomArray(3, 1), batch: 1, steps: 1 }).out.length).toBe(4);
    expect(lm().forward({ ids, batch: 2, steps: 4 }).length).toBe(40);
  });

  it('sizes of 2^32 or more do not wrap into small models, and a layer name must be a string', () => {
    const spec = (vocab: number, units: number, name: unknown = 'rnn') => ({
      input: { vocab },
      layers: [
        { type: 'embedding', name: 'embedding', dim: 3 },
        { type: 'recurrent', name, cell: 'lstm', units, layers: 1, bidirectional: false, dropout: 0, returnSequences: true },
        { type: 'dense', name: 'head', units: 5 },
      ],
    });
    expectError(() => Model.fromSpec(spec(2 ** 32 + 5, 4) as never), RangeError, 'E_RANGE', /vocab/);
    expectError(() => Model.fromSpec(spec(5, 2 ** 32 + 1) as never), RangeError, 'E_RANGE', /units/);
    expectError(
      () =>
        sequential({ input: { vocab: 5 } })
          .embedding({ dim: 3 })
          .lstm({ units: 2 ** 32 + 1 })
          .dense({ units: 5 })
          .build(),
      RangeError,
      'E_RANGE',
      /units/,
    );
    expectError(() => Model.fromSpec(spec(5, 4, 7) as never), TypeError, 'E_OPTION', /name/);
    const m = Model.fromSpec(spec(5, 4) as never);
    expect(m.forward({ ids, batch: 2, steps: 4 }).length).toBe(40);
    m.dispose();
  });

  it('ModelSpec.paramCount gives the size a file must have without allocating the model', () => {
    const rec = (units: number) => ({ name: 'rnn', cell: 'lstm', units, layers: 1, bidirectional: false, dropout: 0, returnSequences: true });
    const big = wasm().ModelSpec.features(3);
    big.addRecurrent(rec(8000));
    big.addDense('head', 2);
    expectError(() => big.paramCount(), RangeError, 'E_RANGE', /units|parameters/);
    const small = wasm().ModelSpec.features(3);
    small.addRecurrent(rec(5));
    small.addDense('head', 2);
    const m = new (wasm().Model)(small, 1);
    expect(small.paramCount()).toBe(m.paramCount());
    m.free();
    big.free();
    small.free();
  });

  it('Seq2Seq.paramCountOf counts without allocating, and refuses a model above the limit', () => {
    const cfg = {
      sourceVocab: 6,
      targetVocab: 8,
      embed: 4,
      encoderUnits: 5,
      encoderLayers: 1,
      bidirectional: true,
      decoderUnits: 6,
      decoderLayers: 1,
      attention: 4,
      dropout: 0,
      bos: 0,
      eos: 1,
    };
    const m = new (wasm().Seq2Seq)(cfg, 1);
    expect(wasm().Seq2Seq.paramCountOf(cfg)).toBe(m.paramCount());
    m.free();
    expectError(() => wasm().Seq2Seq.paramCountOf({ ...cfg, encoderUnits: 8000 }), RangeError, 'E_RANGE', /parameters/);
    expectError(() => wasm().Seq2Seq.paramCountOf({ ...cfg, encoderUnits: 2 ** 32 + 1 }), RangeError, 'E_RANGE', /encoderUnits/);
  });

  it('generate refuses maxTokens above the limit', () => {
    const m = lm();
    expectError(() => m.generateIds([1], { maxTokens: 2 ** 32 + 5 }), RangeError, 'E_RANGE', /maxTokens/);
    expect(m.generateIds([1], { maxTokens: 3 }).length).toBe(3);
    m.dispose();
  });
});

describe('non-finite values', () => {
  it('exploding training leaves the last finite weights, and they save and load', async () => {
    // mse targets of size 100 give gradients above 1, so lr 1e38 overflows the update itself
    const spec = sequential({ input: { features: 3 } })
      .rnn({ units: 8, activation: 'relu' })
      .dense({ units: 2 });
    const x = randomArray(4 * 6 * 3, 3);
    const y = randomArray(4 * 6 * 2, 4).map((v) => v * 100);
    const m = spec.build({ seed: 2 });
    m.compile({ loss: 'mse', optimizer: { name: 'sgd', lr: 1e38 } });
    const before = m.getParams();
    expectError(() => m.trainStep({ features: x, batch: 4, steps: 6 }, { values: y }), RangeError, 'E_NONFINITE', /update/);
    expect(Array.from(m.getParams())).toEqual(Array.from(before));
    expect(m.optimizerSteps).toBe(0);
    m.dispose();
    // the same through a trainer: fit fails, and the model it saves loads with the same weights
    const t = await createTrainer({ worker: false });
    await t.build(spec, { seed: 2 });
    await t.compile({ loss: 'mse', optimizer: { name: 'sgd', lr: 1e38 } });
    const w0 = await t.getWeights();
    const data = [{ features: x.subarray(0, 18), values: y.subarray(0, 12) }];
    await expect(t.fit(data, { epochs: 1, batchSize: 1 })).rejects.toMatchObject({ code: 'E_NONFINITE' });
    const w1 = await t.getWeights();
    for (const k of Object.keys(w0)) expect(Array.from(w1[k])).toEqual(Array.from(w0[k]));
    const u = await createTrainer({ worker: false });
    await u.load(await t.save());
    const w2 = await u.getWeights();
    for (const k of Object.keys(w0)) expect(Array.from(w2[k])).toEqual(Array.from(w0[k]));
    await t.dispose();
    await u.dispose();
  });

  it('setParams and setParam refuse NaN and infinity', () => {
    const m = lm();
    const p = m.getParams();
    p[3] = Infinity;
    expectError(() => m.setParams(p), RangeError, 'E_NONFINITE', /params\[3\]/);
    const w = m.getParam('head.weight');
    w[0] = NaN;
    expectError(() => m.setParam('head.weight', w), RangeError, 'E_NONFINITE', /head\.weight/);
    expect(m.forward({ ids, batch: 2, steps: 4 }).every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});
