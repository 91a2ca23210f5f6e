// fit's epoch-end hooks (Keras / TF.js callbacks) on a tiny model, in the calling thread, one
// worker and two data-parallel workers: early stopping fires at the right epoch,
// keep-best restores the best epoch's exact weights, reduce-on-plateau lowers the rate by its
// factor; bad hook options are typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTrainer,
  decodeCheckpoint,
  type FitEvent,
  type FitHooks,
  init,
  Session,
  sequential,
  type Trainer,
  textWindows,
  Vocabulary,
} from '../dist/index.js';
import { rejectsWith } from './helpers.js';

const TEXT = 'abcab cabca bcabc '.repeat(6);
const HELD_OUT = 'cbacb acbac bacba '.repeat(3);
const vocab = Vocabulary.fromText(TEXT + HELD_OUT);
const lm = sequential({ input: { vocab: vocab.size } })
  .embedding({ dim: 6 })
  .gru({ units: 10 })
  .dense({ units: vocab.size });
const train = () => textWindows(vocab.encode(TEXT), { steps: 8, windowsPerEpoch: 8 });
const validation = () => textWindows(vocab.encode(HELD_OUT), { steps: 8, random: false });

const MODES = [
  ['calling thread', { worker: false }],
  ['one worker', { worker: true }],
  ['two workers', { workers: 2 }],
] as const;

beforeAll(() => init());

describe.each(MODES)('fit hooks in %s', (_mode, opts) => {
  let t: Trainer;
  beforeAll(async () => {
    t = await createTrainer(opts);
  });
  afterAll(() => t.dispose());

  /** A fresh model compiled with Adam at `lr`, then a fit of `epochs` with `hooks`; its step events too. */
  async function run(epochs: number, hooks: FitHooks | undefined, lr = 0.05) {
    await t.build(lm, { seed: 7 });
    await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr } });
    const steps: FitEvent[] = [];
    const r = await t.fit(train(), {
      epochs,
      batchSize: 4,
      seed: 3,
      validation: validation(),
      hooks,
      onProgress: (e) => void (e.type === 'step' && steps.push(e)),
    });
    return { r, steps, weights: await t.getWeights() };
  }

  it('earlyStopping stops after `patience` epochs without improvement', async () => {
    // minDelta larger than any change: epoch 0 sets the best, epochs 1 and 2 do not improve
    const { r } = await run(10, { earlyStopping: { monitor: 'loss', patience: 2, minDelta: 1e9 } });
    expect(r.stopReason).toBe('earlyStopping');
    expect(r.epochs).toBe(3);
    expect(r.history.map((e) => e.epoch)).toEqual([0, 1, 2]);
    const none = await run(3, { earlyStopping: { monitor: 'loss', patience: 2, minDelta: 0 } });
    expect(none.r.stopReason).toBe('completed'); // the training loss keeps falling
  });

  it("keepBest restores the best epoch's exact weights", async () => {
    const a = await run(8, { keepBest: { monitor: 'val_loss' } }, 0.3);
    const losses = a.r.history.map((e) => e.validation!.loss);
    const best = losses.indexOf(Math.min(...losses));
    expect(a.r.bestEpoch).toBe(best);
    expect(best).toBeLessThan(7); // a high rate overfits: the last epoch is not the best
    // the same run stopped after the best epoch has exactly these weights
    const b = await run(best + 1, undefined, 0.3);
    expect(a.weights).toEqual(b.weights);
    expect(b.r.bestEpoch).toBeUndefined();
  });

  it('reduceLrOnPlateau multiplies the rate by factor after `patience` epochs without improvement', async () => {
    const { steps } = await run(4, { reduceLrOnPlateau: { monitor: 'loss', patience: 1, factor: 0.5, minDelta: 1e9, minLr: 0.004 } }, 0.01);
    const lrOf = (epoch: number) => steps.find((e) => e.type === 'step' && e.epoch === epoch)!;
    const lrs = [0, 1, 2, 3].map((k) => (lrOf(k) as { lr: number }).lr);
    expect(lrs[0]).toBeCloseTo(0.01, 7);
    expect(lrs[1]).toBeCloseTo(0.01, 7);
    expect(lrs[2]).toBeCloseTo(0.005, 7);
    expect(lrs[3]).toBeCloseTo(0.004, 7); // 0.0025 is below minLr
  });

  it('an onProgress promise at an epoch event is awaited: it may save the model there', async () => {
    await t.build(lm, { seed: 7 });
    await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 0.05 } });
    const saved: number[] = [];
    await t.fit(train(), {
      epochs: 3,
      batchSize: 4,
      onProgress: async (e) => {
        if (e.type !== 'epoch') return;
        await new Promise((r) => setTimeout(r, 20)); // training waits for this
        saved.push(decodeCheckpoint(await t.save()).training?.epoch ?? -1);
      },
    });
    expect(saved).toEqual([1, 2, 3]);
  });

  it('stopAfterMs ends training after the epoch that passes it (whole epochs)', async () => {
    const { r } = await run(5, { stopAfterMs: 0 });
    expect(r.stopReason).toBe('timeBudget');
    expect(r.epochs).toBe(1);
    expect(r.history).toHaveLength(1);
  });

  it('bad hook options are typed errors', async () => {
    await t.build(lm, { seed: 7 });
    await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 0.01 }, schedule: { name: 'cosine', tMax: 3 } });
    await rejectsWith(t.fit(train(), { hooks: { keepBest: {} } }), 'E_OPTION', /needs fit\(\{ validation \}\)/);
    await rejectsWith(t.fit(train(), { hooks: { reduceLrOnPlateau: { monitor: 'loss' } } }), 'E_OPTION', /constant learning-rate schedule/);
    await rejectsWith(t.fit(train(), { hooks: { earlyStopping: { monitor: 'loss', patience: -1 } } }), 'E_RANGE', /patience/);
    await rejectsWith(t.fit(train(), { hooks: { earlyStopping: { monitor: 'acc' as never } } }), 'E_OPTION', /monitor/);
    await rejectsWith(t.fit(train(), { hooks: { stop: {} } as never }), 'E_OPTION', /fit\.hooks\.stop/);
  });
});

describe('fit hooks on a Session (in this thread)', () => {
  it("keepBest's weights are those the best epoch's event saw", async () => {
    const s = new Session();
    s.build(lm.toJSON(), 7);
    s.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 0.3 } });
    const seen: Record<string, Float32Array>[] = [];
    const r = await s.fit(
      train(),
      { epochs: 8, batchSize: 4, seed: 3, validation: validation(), hooks: { earlyStopping: { patience: 2, restoreBestWeights: true } } },
      (e) => {
        if (e.type === 'epoch') seen.push(s.getWeights());
      },
    );
    expect(r.bestEpoch).toBeDefined();
    expect(s.getWeights()).toEqual(seen[r.bestEpoch!]);
    s.dispose();
  });
});

describe("the 'val_mae' monitor", () => {
  it('evaluate reports the mean absolute error of a regression model, padding left out', () => {
    const s = new Session();
    s.build(
      sequential({ input: { features: 2 } })
        .lstm({ units: 3 })
        .dense({ units: 1 })
        .toJSON(),
      5,
    );
    s.compile({ loss: 'mse' });
    const data = [
      { features: [0.5, -1, 0.25, 2], values: [1, -1] },
      { features: [1, 1], values: [0.5] },
    ];
    const e = s.evaluate(data);
    const out = s.predict({ features: Float32Array.from([0.5, -1, 0.25, 2, 1, 1, 0, 0]), batch: 2, steps: 2, lengths: [2, 1] });
    const want = (Math.abs(out[0] - 1) + Math.abs(out[1] + 1) + Math.abs(out[2] - 0.5)) / 3;
    expect(e.mae).toBeCloseTo(want, 6);
    expect(e.loss).toBeCloseTo(((out[0] - 1) ** 2 + (out[1] + 1) ** 2 + (out[2] - 0.5) ** 2) / 3, 6);
    s.dispose();
  });
});
