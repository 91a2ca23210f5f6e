// fit / evaluate / predict / predictStep / generate on small real data (Moby Dick), in the
// calling thread: losses fall, abort stops within a batch, generation is deterministic.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMobyDick } from '../ts/cli/corpora/mobydick.js';
import { createTrainer, type FitEvent, init, sequential, type Trainer, textWindows, Vocabulary } from '../ts/index.js';
import { expectError } from './helpers.js';

let text: string;
let vocab: Vocabulary;

beforeAll(async () => {
  await init();
  const md = await loadMobyDick();
  text = md.train.slice(0, 60_000);
  vocab = Vocabulary.fromText(md.train + md.validation);
});

async function smallLm(seed = 1): Promise<Trainer> {
  const t = await createTrainer({ worker: false });
  await t.build(
    sequential({ input: { vocab: vocab.size } })
      .embedding({ dim: 16 })
      .lstm({ units: 48 })
      .dense({ units: vocab.size }),
    { seed },
  );
  await t.setVocabulary(vocab);
  await t.compile({ optimizer: { name: 'adam', lr: 0.01 }, clipNorm: 5 });
  return t;
}

describe('fit on Moby Dick (in-thread)', () => {
  it('loss falls, events stream, and validation bits per character improve', async () => {
    const t = await smallLm();
    const ids = vocab.encode(text);
    const train = textWindows(ids.subarray(0, 50_000), { steps: 32, windowsPerEpoch: 16 * 20 });
    const val = textWindows(ids.subarray(50_000), { steps: 64, random: false });
    const before = await t.evaluate(val);
    const events: FitEvent[] = [];
    const run = t.fit(train, { epochs: 3, batchSize: 16, seed: 2, validation: val });
    for await (const e of run) events.push(e);
    const res = await run;
    const after = await t.evaluate(val);
    expect(res.stopReason).toBe('completed');
    expect(res.epochs).toBe(3);
    expect(res.steps).toBe(60);
    const steps = events.filter((e) => e.type === 'step');
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(steps).toHaveLength(60);
    expect(epochs).toHaveLength(3);
    expect(steps[59].loss).toBeLessThan(steps[0].loss - 0.8);
    expect(steps.every((e) => e.tokensPerSec > 0 && e.elapsedMs >= 0 && Number.isFinite(e.loss))).toBe(true);
    expect(steps[30].etaMs).toBeGreaterThan(0);
    expect(after.bitsPerToken!).toBeLessThan(before.bitsPerToken! - 1);
    expect(epochs[2].validation!.bitsPerToken).toBeCloseTo(after.bitsPerToken!, 5);
    expect(after.accuracy!).toBeGreaterThan(0.15);
    await t.dispose();
  });

  it('an AbortSignal stops training within one batch and leaves the model usable', async () => {
    const t = await smallLm();
    const ids = vocab.encode(text);
    const ac = new AbortController();
    let seen = 0;
    const run = t.fit(textWindows(ids, { steps: 32, windowsPerEpoch: 16 * 50 }), {
      epochs: 5,
      batchSize: 16,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'step' && ++seen === 3) ac.abort();
      },
    });
    const res = await run;
    expect(res.stopReason).toBe('aborted');
    expect(res.steps).toBe(3);
    const ev = await t.evaluate(textWindows(ids.subarray(0, 2000), { steps: 64, random: false }));
    expect(Number.isFinite(ev.loss)).toBe(true);
    const again = await t.fit(textWindows(ids, { steps: 32, windowsPerEpoch: 32 }), { epochs: 1, batchSize: 16 });
    expect(again.stopReason).toBe('completed');
    await t.dispose();
  });

  it('a time budget stops at a batch boundary', async () => {
    const t = await smallLm();
    const ids = vocab.encode(text);
    const res = await t.fit(textWindows(ids, { steps: 32, windowsPerEpoch: 16 * 1000 }), { epochs: 1, batchSize: 16, timeBudgetMs: 300 });
    expect(res.stopReason).toBe('timeBudget');
    expect(res.steps).toBeGreaterThan(0);
    expect(res.steps).toBeLessThan(1000);
    await t.dispose();
  });

  it('predictStep carries state: step by step equals one full forward', async () => {
    const t = await smallLm(3);
    const ids = Array.from(vocab.encode('Call me Ishmael.'));
    const full = await t.predict({ ids, batch: 1, steps: ids.length });
    await t.resetState();
    const v = vocab.size;
    for (let k = 0; k < ids.length; k++) {
      const out = await t.predictStep({ ids: [ids[k]], batch: 1, steps: 1 });
      for (let j = 0; j < v; j += 7) expect(out[j]).toBeCloseTo(full[k * v + j], 5);
    }
    await t.resetState();
    const first = await t.predictStep({ ids: [ids[0]], batch: 1, steps: 1 });
    for (let j = 0; j < v; j += 7) expect(first[j]).toBeCloseTo(full[j], 5);
    await t.dispose();
  });

  it('generation is deterministic under a seed, and honours temperature 0, topK and topP', async () => {
    const t = await smallLm(4);
    await t.fit(textWindows(vocab.encode(text), { steps: 32, windowsPerEpoch: 16 * 10 }), { epochs: 1, batchSize: 16 });
    const a = await t.generate('The whale', { maxTokens: 60, seed: 11 });
    const b = await t.generate('The whale', { maxTokens: 60, seed: 11 });
    const c = await t.generate('The whale', { maxTokens: 60, seed: 12 });
    expect(a).toHaveLength(60);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    const g1 = await t.generate('The whale', { maxTokens: 30, temperature: 0, seed: 1 });
    const g2 = await t.generate('The whale', { maxTokens: 30, temperature: 0, seed: 2 });
    expect(g1).toBe(g2);
    const k1 = await t.generate('The whale', { maxTokens: 30, topK: 1, seed: 5 });
    expect(k1).toBe(g1);
    const p = await t.generate('The whale', { maxTokens: 30, topP: 0.5, seed: 5 });
    expect(p).toHaveLength(30);
    const ids = await t.generate([1, 2, 3], { maxTokens: 5, seed: 1 });
    expect(ids).toBeInstanceOf(Uint32Array);
    expect(ids).toHaveLength(5);
    await expect(t.generate('The whale', { maxTokens: 5, topP: 0 })).rejects.toMatchObject({ code: 'E_RANGE' });
    await expect(t.generate('The whale', { maxTokens: 5, temprature: 1 } as never)).rejects.toMatchObject({ code: 'E_OPTION' });
    await expect(t.generate('', { maxTokens: 5 })).rejects.toMatchObject({ code: 'E_RANGE' });
    await t.dispose();
  });

  it('classification (many-to-one, variable lengths) learns and reports accuracy', async () => {
    const t = await createTrainer({ worker: false });
    await t.build(
      sequential({ input: { vocab: vocab.size } })
        .embedding({ dim: 8 })
        .gru({ units: 16, returnSequences: false })
        .dense({ units: 2 }),
      { seed: 1 },
    );
    await t.compile({ optimizer: { name: 'adam', lr: 0.02 } });
    // label: does the snippet contain a capital letter? (variable-length snippets of the text)
    const data = Array.from({ length: 256 }, (_, i) => {
      const start = (i * 977) % 50_000;
      const s = text.slice(start, start + 3 + (i % 13));
      return { ids: vocab.encode(s), target: /[A-Z]/.test(s) ? 1 : 0 };
    });
    const before = await t.evaluate(data);
    await t.fit(data, { epochs: 8, batchSize: 32, seed: 1 });
    const after = await t.evaluate(data);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy!).toBeGreaterThan(0.85);
    await t.dispose();
  });

  it('fit and compile reject bad options by name', async () => {
    const t = await smallLm();
    const d = textWindows(vocab.encode(text), { steps: 16, windowsPerEpoch: 16 });
    expectError(() => t.fit(d, { epochs: 1, batchsize: 4 } as never), TypeError, 'E_OPTION', /fit\.batchsize/);
    await expect(t.fit(d, { epochs: 0 })).rejects.toMatchObject({ code: 'E_RANGE', message: expect.stringMatching(/fit\.epochs/) });
    await expect(t.compile({ optimizer: { name: 'adam', lr: 0.1, beta1: 0.9 } as never })).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/optimizer\.beta1/),
    });
    await expect(t.compile({ optimizer: 'sgd' })).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/lr/) });
    await expect(t.compile({ optimizer: { name: 'adam' }, schedule: { name: 'cosine', tMax: 0 } })).rejects.toMatchObject({ code: 'E_RANGE' });
    await t.dispose();
  });
});
