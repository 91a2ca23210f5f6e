// `recurrent train` plans its run to the time budget: given the throughput measured in the first
// seconds, the epochs and batches per epoch that fill the budget (so the cosine schedule ends as
// the time does), on fast, slow and very slow hosts; and the throughput read off a short fit's
// step events with the start-up left out.
import { describe, expect, it } from 'vitest';
import {
  type CalibrationOptions,
  calibrate,
  chooseDropout,
  DROPOUT_BY_PASSES,
  MARGIN,
  MIN_STEPS_PER_EPOCH,
  MODEL_LADDER,
  type ModelSize,
  measureThroughput,
  planRun,
  replanSteps,
  rungForPasses,
} from '../ts/cli/run-plan.js';
import type { FitEvent, FitResult } from '../ts/events.js';
import type { Trainer } from '../ts/trainer.js';
import { expectError } from './helpers.js';

/** The main job's shape: batch 32 x 64 characters, 9m30s less a 6 s calibration. */
const JOB = { budgetMs: 564_000, tokensPerBatch: 32 * 64, epochOverheadMs: 1500, maxStepsPerEpoch: 20_000 };

describe('planRun', () => {
  it('fills the budget on a fast host: 12 epochs of more batches than the fixed 500, within the margin', () => {
    // the idle AMD host of issue 20: 36,109 characters/s with 2 workers
    const p = planRun({ ...JOB, tokensPerSec: 36_109 });
    expect(p.epochs).toBe(12);
    expect(p.stepsPerEpoch).toBeGreaterThan(700);
    expect(p.tokens).toBeGreaterThan(17e6); // the fixed plan trained on 12.3M
    expect(p.projectedMs).toBeLessThanOrEqual(JOB.budgetMs * MARGIN);
    // one more batch per epoch would not fit
    const msPerBatch = (JOB.tokensPerBatch / 36_109) * 1000;
    expect(p.projectedMs + 12 * msPerBatch).toBeGreaterThan(JOB.budgetMs * MARGIN);
  });

  it('degrades gracefully: a slower host gets shorter epochs that still end inside the budget', () => {
    const fast = planRun({ ...JOB, tokensPerSec: 36_000 });
    const slow = planRun({ ...JOB, tokensPerSec: 6_000 });
    expect(slow.epochs).toBe(12);
    expect(slow.stepsPerEpoch).toBeLessThan(fast.stepsPerEpoch);
    expect(slow.stepsPerEpoch).toBeGreaterThanOrEqual(MIN_STEPS_PER_EPOCH);
    expect(slow.projectedMs).toBeLessThanOrEqual(JOB.budgetMs * MARGIN);
  });

  it('a host too slow for 12 epochs of 20 batches trains fewer epochs, at least one', () => {
    const p = planRun({ ...JOB, tokensPerSec: 400 }); // 5.1 s a batch
    expect(p.epochs).toBeLessThan(12);
    expect(p.epochs).toBeGreaterThanOrEqual(1);
    expect(p.stepsPerEpoch).toBeGreaterThanOrEqual(MIN_STEPS_PER_EPOCH);
    expect(p.projectedMs).toBeLessThanOrEqual(JOB.budgetMs * MARGIN);
    const crawl = planRun({ ...JOB, tokensPerSec: 3 }); // a batch longer than the budget: one epoch of one batch
    expect(crawl).toMatchObject({ epochs: 1, stepsPerEpoch: 1 });
  });

  it('more epochs when an epoch would exceed the window cap; the epoch count is kept when batches per epoch are given', () => {
    const p = planRun({ ...JOB, tokensPerSec: 36_000, maxStepsPerEpoch: 300 });
    expect(p.stepsPerEpoch).toBeLessThanOrEqual(300);
    expect(p.epochs).toBeGreaterThan(12);
    expect(p.projectedMs).toBeLessThanOrEqual(JOB.budgetMs * MARGIN);
    const given = planRun({ ...JOB, tokensPerSec: 36_000, stepsPerEpoch: 500 });
    expect(given.stepsPerEpoch).toBe(500);
    expect(given.epochs).toBe(Math.floor((JOB.budgetMs * MARGIN) / (500 * ((2048 / 36_000) * 1000) + 1500)));
    expect(planRun({ ...JOB, tokensPerSec: 36_000, epochs: 6 }).epochs).toBe(6);
  });

  it('never plans past the budget, and a faster host never gets fewer tokens', () => {
    let before = 0;
    for (let rate = 200; rate < 200_000; rate *= 1.37) {
      for (const overhead of [0, 800, 5000]) {
        const p = planRun({ ...JOB, tokensPerSec: rate, epochOverheadMs: overhead });
        if (p.epochs * p.stepsPerEpoch > 1) expect(p.projectedMs).toBeLessThanOrEqual(JOB.budgetMs * MARGIN + 1e-6);
        if (overhead === 800) {
          expect(p.tokens).toBeGreaterThanOrEqual(before);
          before = p.tokens;
        }
      }
    }
  });

  it('rejects measurements that cannot be planned with a typed error', () => {
    expectError(() => planRun({ ...JOB, tokensPerSec: 0 }), RangeError, 'E_RANGE', /tokensPerSec must be a finite number > 0/);
    expectError(() => planRun({ ...JOB, tokensPerSec: Number.NaN }), RangeError, 'E_RANGE', /tokensPerSec/);
    expectError(() => planRun({ ...JOB, tokensPerSec: 1000, epochOverheadMs: -1 }), RangeError, 'E_RANGE', /epochOverheadMs/);
    expectError(() => planRun({ ...JOB, tokensPerSec: 1000, margin: 1.5 }), RangeError, 'E_RANGE', /margin/);
  });
});

/** Moby Dick's training characters (chapters 1-125). */
const TRAIN_CHARS = 1_078_385;

describe('chooseDropout', () => {
  /** The dropout the main job's plan gets at `tokensPerSec` on this budget. */
  const dropoutAt = (tokensPerSec: number) => chooseDropout(planRun({ ...JOB, tokensPerSec }).tokens, TRAIN_CHARS);

  it('an idle 2-core host (48,380 tok/s, about 24 passes over the text) trains without dropout; a host twice as fast gets some', () => {
    const idle = dropoutAt(48_380);
    expect(idle.passes).toBeGreaterThan(20);
    expect(idle.passes).toBeLessThan(30);
    expect(idle.dropout).toBe(0);
    expect(idle.reason).toBe(`${idle.passes.toFixed(1)} passes over the training text, so no dropout`);
    const fast = dropoutAt(2 * 48_380);
    expect(fast.passes).toBeGreaterThanOrEqual(30);
    expect(fast.dropout).toBe(DROPOUT_BY_PASSES[DROPOUT_BY_PASSES.length - 1][1]);
    expect(fast.dropout).toBeGreaterThan(0);
    expect(fast.reason).toBe(`${fast.passes.toFixed(1)} passes over the training text, so dropout ${fast.dropout} before the output layer`);
  });

  it('a slow or busy host trains without dropout, and the dropout never falls as the throughput grows', () => {
    expect(dropoutAt(5_000).dropout).toBe(0);
    let last = -1;
    for (let rate = 1_000; rate <= 400_000; rate *= 1.25) {
      const d = dropoutAt(rate).dropout;
      expect(d).toBeGreaterThanOrEqual(last);
      expect(d).toBeLessThan(1);
      last = d;
    }
  });

  it("steps at the table's thresholds", () => {
    for (const [passes, dropout] of DROPOUT_BY_PASSES) {
      expect(chooseDropout(passes * TRAIN_CHARS, TRAIN_CHARS).dropout).toBe(dropout);
      if (passes > 0) expect(chooseDropout(passes * TRAIN_CHARS - 1, TRAIN_CHARS).dropout).toBeLessThan(dropout);
    }
  });

  it('a stacked model gets its dropout between the layers too, and says so', () => {
    expect(chooseDropout(12 * TRAIN_CHARS, TRAIN_CHARS, [[0, 0.1]], 2).reason).toBe(
      '12.0 passes over the training text, so dropout 0.1 between the layers and before the output layer',
    );
  });

  it('rejects sizes that cannot be chosen from with a typed error', () => {
    expectError(() => chooseDropout(Number.NaN, TRAIN_CHARS), RangeError, 'E_RANGE', /tokens/);
    expectError(() => chooseDropout(1e6, 0), RangeError, 'E_RANGE', /trainChars/);
  });
});

describe('replanSteps', () => {
  // 6 epochs left in 300 s, 1 s of overhead each, 2048-token batches
  const LEFT = { leftMs: 300_000, epochsLeft: 6, tokensPerBatch: 2048, epochOverheadMs: 1000, maxStepsPerEpoch: 20_000 };

  it('shortens the epochs left when the host slowed down, so the schedule still ends inside the budget', () => {
    const asPlanned = replanSteps({ ...LEFT, tokensPerSec: 36_000 });
    const slowed = replanSteps({ ...LEFT, tokensPerSec: 20_000 });
    expect(slowed).toBeLessThan(asPlanned);
    for (const [rate, steps] of [
      [36_000, asPlanned],
      [20_000, slowed],
    ]) {
      const ms = LEFT.epochsLeft * (steps * ((2048 / rate) * 1000) + LEFT.epochOverheadMs);
      expect(ms).toBeLessThanOrEqual(LEFT.leftMs * MARGIN);
    }
    // and lengthens them when it sped up
    expect(replanSteps({ ...LEFT, tokensPerSec: 50_000 })).toBeGreaterThan(asPlanned);
  });

  it('keeps at least one batch when the budget is spent, and the window cap', () => {
    expect(replanSteps({ ...LEFT, leftMs: -5, tokensPerSec: 36_000 })).toBe(1);
    expect(replanSteps({ ...LEFT, tokensPerSec: 36_000, maxStepsPerEpoch: 50 })).toBe(50);
    expectError(() => replanSteps({ ...LEFT, tokensPerSec: 0 }), RangeError, 'E_RANGE', /tokensPerSec/);
    expectError(() => replanSteps({ ...LEFT, epochsLeft: 0, tokensPerSec: 1 }), RangeError, 'E_RANGE', /epochsLeft/);
  });
});

/** A fit run that yields step events at the given (tokens, elapsedMs) points. */
function fakeRun(points: [number, number][], result: Partial<FitResult>): AsyncIterable<FitEvent> & PromiseLike<FitResult> {
  return {
    async *[Symbol.asyncIterator]() {
      for (const [tokens, elapsedMs] of points) yield { type: 'step', tokens, elapsedMs } as FitEvent;
    },
    // biome-ignore lint/suspicious/noThenProperty: a FitRun is a thenable by design
    then: (ok, bad) => Promise.resolve(result as FitResult).then(ok, bad),
  };
}

describe('measureThroughput', () => {
  it('leaves the start-up out: the rate between the second and the last step', async () => {
    // the first batch takes 900 ms (workers start, JIT), then 100 ms per 2048-token batch
    const pts: [number, number][] = [
      [2048, 900],
      [4096, 1000],
      [6144, 1100],
      [8192, 1200],
    ];
    expect(await measureThroughput(fakeRun(pts, { tokensPerSec: 1 }))).toBeCloseTo(20_480, 6);
  });

  it("falls back on the run's own rate when it made too few batches", async () => {
    expect(await measureThroughput(fakeRun([[2048, 5000]], { tokensPerSec: 409.6 }))).toBe(409.6);
  });
});

describe('MODEL_LADDER', () => {
  it('goes from the largest model to the smallest, which is always taken', () => {
    const cost = (m: ModelSize) => m.units * m.units * m.layers;
    for (let i = 1; i < MODEL_LADDER.length; i++) {
      expect(cost(MODEL_LADDER[i])).toBeLessThan(cost(MODEL_LADDER[i - 1]));
      expect(MODEL_LADDER[i].minPasses).toBeLessThan(MODEL_LADDER[i - 1].minPasses);
    }
    expect(MODEL_LADDER[MODEL_LADDER.length - 1].minPasses).toBe(0);
    // a fixed plan's model by its passes: the largest one it makes enough passes for
    expect(rungForPasses(MODEL_LADDER, 0)).toBe(MODEL_LADDER[MODEL_LADDER.length - 1]);
    expect(rungForPasses(MODEL_LADDER, MODEL_LADDER[0].minPasses)).toBe(MODEL_LADDER[0]);
    expectError(() => rungForPasses([], 3), RangeError, 'E_RANGE', /ladder is empty/);
  });
});

/** A trainer whose fits run at `rate(size)` tokens/s for the model last built (2048-token batches
 * 100 of them), whose evaluation, sample and save are instant; and the sizes it was built with. */
function fakeTrainer(rate: (m: ModelSize) => number) {
  const built: ModelSize[] = [];
  const t = {
    fit: () => {
      const r = rate(built[built.length - 1]);
      const pts = Array.from({ length: 100 }, (_, i): [number, number] => [(i + 1) * 2048, ((i + 1) * 2048 * 1000) / r]);
      return fakeRun(pts, { tokensPerSec: r });
    },
    evaluate: async () => ({ loss: 1 }),
    generate: async () => '',
    save: async () => new Uint8Array(0),
  } as unknown as Trainer;
  const opts = (over: Partial<CalibrationOptions> = {}): CalibrationOptions => ({
    batch: 32,
    seqLen: 64,
    seed: 1,
    sampleLen: 0,
    budget: 570_000,
    started: performance.now(),
    ladder: MODEL_LADDER,
    build: async (m) => {
      built.push(m);
    },
    ...over,
  });
  return { t, built, opts };
}

describe('calibrate', () => {
  const ids = new Uint8Array(TRAIN_CHARS);
  const val = new Uint8Array(4096);
  // the models' costs: the GRU 256x2 measured 0.405 of the 256x1's throughput (15,155 vs 37,436 tok/s)
  const rateOn = (oneLayer: number) => (m: ModelSize) => (m.layers > 1 ? oneLayer * 0.405 : oneLayer);

  it("an idle 2-core host's throughput buys the two-layer model, with its dropout, measured once", async () => {
    const { t, built, opts } = fakeTrainer(rateOn(48_000));
    const c = await calibrate(t, ids, val, opts());
    expect(built).toEqual([MODEL_LADDER[0]]);
    expect(c.rung).toBe(MODEL_LADDER[0]);
    expect(c.choice.passes).toBeGreaterThanOrEqual(MODEL_LADDER[0].minPasses);
    expect(c.choice.dropout).toBe(0.1);
    expect(c.tokensPerSec).toBeCloseTo(19_440, 0);
    expect(c.line).toMatch(
      /^plan: 19,440 tok\/s measured here, .* 12 epochs x \d+ batches .*; gru 256x2 \(the largest model, 8 passes or more here\); \d+\.\d passes over the training text, so dropout 0\.1 between the layers and before the output layer$/,
    );
  });

  it('a host too slow for the two-layer model to make its passes measures the next one and says why', async () => {
    const { t, built, opts } = fakeTrainer(rateOn(20_000));
    const c = await calibrate(t, ids, val, opts());
    expect(built).toEqual([MODEL_LADDER[0], MODEL_LADDER[1]]);
    expect(c.rung).toBe(MODEL_LADDER[1]);
    expect(c.tokensPerSec).toBeCloseTo(20_000, 0);
    expect(c.choice.dropout).toBe(0);
    expect(c.line).toMatch(
      /; gru 256x1 \(gru 256x2 measured 8,100 tok\/s, \d+\.\d passes, fewer than its 8\); \d+\.\d passes over the training text, so no dropout$/,
    );
    // the plan is the smaller model's, made after both measurements
    expect(c.plan.tokens / TRAIN_CHARS).toBeGreaterThan(8);
  });

  it('a size given (one rung) is measured once and the line names no model; a given dropout is kept', async () => {
    const { t, built, opts } = fakeTrainer(rateOn(1_000));
    const one = [{ ...MODEL_LADDER[0], minPasses: 0 }];
    const c = await calibrate(t, ids, val, opts({ ladder: one, givenDropout: 0.3 }));
    expect(built).toHaveLength(1);
    expect(c.choice.dropout).toBe(0.3);
    expect(c.line).toMatch(/to fill the .* left \(about .*\); \d+\.\d passes over the training text, dropout 0\.3 as given$/);
    await expect(calibrate(t, ids, val, opts({ ladder: [] }))).rejects.toMatchObject({ code: 'E_RANGE' });
  });
});
