// CTC as the loss of the sequential model, through the wasm build: the model's loss equals
// ctcLoss of its own output, a tiny model learns a toy alignment task with fit() on label
// sequences (examples with `labels`) and decodes it (greedy and beam), and misuse is typed.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, ctcLoss, examples, init, type Model, sequential } from '../dist/index.js';
import { expectError } from './helpers.js';

beforeAll(() => init());

/** Toy alignment: each symbol (0..2) is a one-hot pulse on one frame, then two frames of
 * "silence" (feature 3); the labels are the pulsed symbols, in order. */
function toy(n: number, seed: number) {
  let a = seed;
  const next = (k: number) => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a % k;
  };
  return Array.from({ length: n }, () => {
    const labels = Array.from({ length: 1 + next(4) }, () => next(3));
    const features = new Float32Array(labels.length * 3 * 4);
    labels.forEach((s, k) => {
      features[3 * k * 4 + s] = 1;
      features[(3 * k + 1) * 4 + 3] = 1;
      features[(3 * k + 2) * 4 + 3] = 1;
    });
    return { features, labels };
  });
}

describe('CTC in the sequential model', () => {
  it("the model's loss is ctcLoss of its output (blank 3, padded label rows, row lengths)", () => {
    const m = sequential({ input: { features: 4 } })
      .lstm({ units: 5, bidirectional: true })
      .dense({ units: 4 })
      .build({ seed: 2 });
    m.compile({ loss: 'ctc', ctc: { blank: 3, reduction: 'sum' } });
    const input = { features: new Float32Array(2 * 6 * 4).map((_, i) => Math.sin(i)), batch: 2, steps: 6, lengths: [6, 4] };
    const out = m.forward(input);
    const { loss } = m.loss({ classes: [0, 2, 1, 1, -100, -100] });
    const want = ctcLoss({ scores: out, batch: 2, steps: 6, classes: 4, inputLengths: [6, 4], targets: [[0, 2, 1], [1]] }, { blank: 3, reduction: 'sum' });
    expect(loss).toBeCloseTo(want.loss, 4);
    m.dispose();
  });

  it('a tiny unidirectional LSTM learns a toy alignment task and decodes it', async () => {
    const t = await createTrainer({ worker: false });
    await t.build(
      sequential({ input: { features: 4 } })
        .lstm({ units: 12 })
        .dense({ units: 4 }),
      { seed: 1 },
    );
    await t.compile({ loss: 'ctc', ctc: { blank: 3, zeroInfinity: true }, optimizer: { name: 'adam', lr: 0.03 }, clipNorm: 5 });
    const train = toy(160, 7);
    const before = await t.evaluate(examples(train));
    const r = await t.fit(examples(train), { epochs: 12, batchSize: 16, seed: 1 });
    const after = await t.evaluate(examples(train));
    expect(after.loss).toBeLessThan(before.loss * 0.2);
    expect(r.history.length).toBe(12);
    const test = toy(20, 99);
    const steps = Math.max(...test.map((e) => e.features.length / 4));
    const features = new Float32Array(test.length * steps * 4);
    test.forEach((e, i) => {
      features.set(e.features, i * steps * 4);
    });
    const input = { features, batch: test.length, steps, lengths: test.map((e) => e.features.length / 4) };
    for (const beam of [1, 4]) {
      const hyps = await t.ctcDecode(input, { beam });
      const right = hyps.filter((h, i) => JSON.stringify(h[0].labels) === JSON.stringify(test[i].labels)).length;
      expect(right, `beam ${beam}`).toBeGreaterThanOrEqual(18);
    }
    await t.dispose();
  });

  it('misuse is typed: a pooled output, ctc options without the ctc loss, a blank outside the output, bad label rows', () => {
    const pooled = sequential({ input: { features: 4 } })
      .gru({ units: 3, returnSequences: false })
      .dense({ units: 4 })
      .build();
    expectError(() => pooled.compile({ loss: 'ctc' }), TypeError, 'E_OPTION', /one output per step/);
    const m: Model = sequential({ input: { features: 4 } })
      .gru({ units: 3 })
      .dense({ units: 4 })
      .build();
    expectError(() => m.compile({ loss: 'crossEntropy', ctc: { blank: 1 } }), TypeError, 'E_OPTION', /compile\.ctc/);
    expectError(() => m.compile({ loss: 'ctc', ctc: { blank: 4 } }), RangeError, 'E_RANGE', /blank = 4/);
    expectError(() => m.compile({ loss: 'ctc', ctc: { blank: 0, beam: 2 } as never }), TypeError, 'E_OPTION', /beam/);
    expectError(() => m.ctcDecode({ features: new Float32Array(8), batch: 1, steps: 2 }), TypeError, 'E_STATE', /loss: 'ctc'/);
    m.compile({ loss: 'ctc', ctc: { blank: 0 } });
    const input = { features: new Float32Array(2 * 3 * 4), batch: 2, steps: 3 };
    expectError(() => m.trainStep(input, { classes: [1, 2, 3] }), RangeError, 'E_SHAPE', /\[B=2, S\]/);
    expectError(() => m.trainStep(input, { classes: [1, 0, 2, 3] }), RangeError, 'E_RANGE', /blank 0/);
    expectError(() => m.trainStep(input, { classes: [-100, 1, 2, 3] }), RangeError, 'E_RANGE', /targets\[0\]\[1\]/);
    expectError(() => m.trainStep(input, { values: new Float32Array(24) }), TypeError, 'E_OPTION', /class targets/);
    // the model stays usable
    expect(Number.isFinite(m.trainStep(input, { classes: [1, 2, 3, -100] }).loss)).toBe(true);
    m.dispose();
    pooled.dispose();
  });
});
