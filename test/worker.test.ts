// Training off the main thread (Node worker_threads through comlink), using the built SDK
// in dist/ exactly as users load it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMobyDick } from '../dist/cli/corpora/mobydick.js';
import { createTrainer, sequential, type Trainer, textWindows, Vocabulary } from '../dist/index.js';

let vocab: Vocabulary;
let ids: Uint32Array;
let t: Trainer;

beforeAll(async () => {
  const md = await loadMobyDick();
  vocab = Vocabulary.fromText(md.train + md.validation);
  ids = vocab.encode(md.train.slice(0, 200_000));
  t = await createTrainer({ worker: true });
  await t.build(
    sequential({ input: { vocab: vocab.size } })
      .embedding({ dim: 32 })
      .lstm({ units: 128 })
      .dense({ units: vocab.size }),
    { seed: 1 },
  );
  await t.setVocabulary(vocab);
  await t.compile({ optimizer: { name: 'adam', lr: 0.005 }, clipNorm: 5 });
});

afterAll(() => t?.dispose());

describe('worker trainer (Node)', () => {
  it('runs in a worker', () => {
    expect(t.mode).toBe('worker');
  });

  it('keeps the main thread responsive while the worker trains for over a second', async () => {
    const interval = 20;
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), interval);
    const t0 = performance.now();
    const res = await t.fit(textWindows(ids, { steps: 64, windowsPerEpoch: 32 * 1000 }), { epochs: 1, batchSize: 32, timeBudgetMs: 1500 });
    const t1 = performance.now();
    clearInterval(timer);
    expect(res.stopReason).toBe('timeBudget');
    expect(res.steps).toBeGreaterThanOrEqual(1); // how many fit in 1.5 s depends on the machine
    expect(t1 - t0).toBeGreaterThan(1000);
    // the timer fired throughout: no gap near the length of the run, and most ticks arrived
    let maxGap = 0;
    for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
    // (training in this thread would leave one gap as long as the run; the bounds leave room for
    // a loaded machine's scheduling)
    expect(maxGap).toBeLessThan((t1 - t0) / 2);
    expect(ticks.length).toBeGreaterThan(((t1 - t0) / interval) * 0.25);
  });

  it('streams progress events and the loss falls', async () => {
    const losses: number[] = [];
    for await (const e of t.fit(textWindows(ids, { steps: 64, windowsPerEpoch: 32 * 15 }), { epochs: 1, batchSize: 32, seed: 3 })) {
      if (e.type === 'step') losses.push(e.loss);
    }
    expect(losses).toHaveLength(15);
    expect(losses.every(Number.isFinite)).toBe(true);
    const sample = await t.generate('The ', { maxTokens: 20, seed: 1 });
    expect(sample).toHaveLength(20);
  });

  it('errors cross the worker boundary as typed errors with their codes', async () => {
    const e1 = await t.compile({ optimizer: { name: 'adam', bogus: 1 } as never }).catch((e) => e);
    expect(e1).toBeInstanceOf(TypeError);
    expect(e1.code).toBe('E_OPTION');
    expect(e1.message).toMatch(/optimizer\.bogus/);
    const e2 = await t.predict({ ids: [0, 1, 999], batch: 1, steps: 3 }).catch((e) => e);
    expect(e2).toBeInstanceOf(RangeError);
    expect(e2.code).toBe('E_RANGE');
    const e3 = await t.load(new Uint8Array([1, 2, 3])).catch((e) => e);
    expect(e3.code).toBe('E_FORMAT');
    // still usable afterwards
    const out = await t.predict({ ids: [0, 1, 2], batch: 1, steps: 3 });
    expect(out.length).toBe(3 * vocab.size);
    await t.compile({ optimizer: { name: 'adam', lr: 0.005 }, clipNorm: 5 });
  });

  it('an AbortSignal stops the worker within one batch', async () => {
    const ac = new AbortController();
    let seen = 0;
    let abortedAt = -1;
    const steps: number[] = [];
    const res = await t.fit(textWindows(ids, { steps: 64, windowsPerEpoch: 32 * 500 }), {
      epochs: 1,
      batchSize: 32,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'step') steps.push(e.step);
        if (e.type === 'step' && ++seen === 3) {
          abortedAt = e.step;
          ac.abort();
        }
      },
    });
    expect(res.stopReason).toBe('aborted');
    expect(res.steps - abortedAt).toBeLessThanOrEqual(2);
    // every step's event arrived before fit resolved (events and results travel on different channels)
    expect(steps).toEqual(Array.from({ length: res.steps }, (_, i) => i + 1));
    const w = await t.getWeights();
    expect(Object.values(w).every((a) => a.every(Number.isFinite))).toBe(true);
  });

  it('save in the worker, load in the main thread: same weights, same samples', async () => {
    const bytes = await t.save();
    const local = await createTrainer({ worker: false });
    await local.load(bytes);
    const a = await t.getWeights();
    const b = await local.getWeights();
    for (const k of Object.keys(a)) expect(Buffer.from(b[k].buffer).equals(Buffer.from(a[k].buffer))).toBe(true);
    expect(await local.generate('Call me ', { maxTokens: 40, seed: 9 })).toBe(await t.generate('Call me ', { maxTokens: 40, seed: 9 }));
    await local.dispose();
  });
});
