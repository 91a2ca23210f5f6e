// The encoder-decoder through createTrainer: it trains through the same fit engine as the
// sequential model, in a worker exactly as in the calling thread, and a run stopped mid-epoch,
// saved, loaded into a fresh trainer and resumed ends with the same weights, bit for bit, as
// the run that never stopped (dropout and a per-epoch learning-rate decay included).
import { describe, expect, it } from 'vitest';
import { createTrainer, type Pair, type Trainer } from '../dist/index.js';

// Reverse a sequence of symbols 0..7; targets are the symbols shifted past BOS = 0 and EOS = 1.
const pairs: Pair[] = Array.from({ length: 96 }, (_, i) => {
  const n = 2 + (i % 5);
  const source = Array.from({ length: n }, (_, k) => (i * 7 + k * 3 + (i >> 2)) % 8);
  return { source, target: source.map((x) => x + 2).reverse() };
});
const spec = { kind: 'seq2seq', sourceVocab: 8, targetVocab: 10, embed: 8, encoderUnits: 8, decoderUnits: 16, attention: 8, dropout: 0.1 } as const;
const fitOpts = { batchSize: 16, seed: 5, lrDecay: 0.5 };
const batchesPerEpoch = Math.ceil(pairs.length / fitOpts.batchSize);

async function trainer(mode: 'thread' | 'worker'): Promise<Trainer> {
  const t = await createTrainer({ worker: mode === 'worker' });
  await t.build(spec, { seed: 3 });
  await t.compile({ optimizer: { name: 'adam', lr: 1e-2 }, clipNorm: 5 });
  return t;
}

describe('encoder-decoder through createTrainer', () => {
  it('trains in a worker with the same weights as in the calling thread; decode and evaluate work there', async () => {
    const weights: Record<string, Float32Array>[] = [];
    for (const mode of ['thread', 'worker'] as const) {
      const t = await trainer(mode);
      expect(t.mode).toBe(mode);
      const res = await t.fit(pairs, { ...fitOpts, epochs: 3, validation: pairs.slice(0, 20) });
      expect(res.stopReason).toBe('completed');
      expect(res.steps).toBe(3 * batchesPerEpoch);
      expect(res.history[2].loss).toBeLessThan(res.history[0].loss);
      expect(res.history[2].validation?.count).toBeGreaterThan(0);
      const [hyps] = await t.decode([[1, 2, 3]], { beam: 2, nBest: 2 });
      expect(hyps.length).toBe(2);
      expect(hyps[0].score).toBeGreaterThanOrEqual(hyps[1].score);
      expect((await t.evaluate(pairs)).loss).toBeGreaterThan(0);
      await expect(t.predict({ ids: [1], batch: 1, steps: 1 })).rejects.toMatchObject({ code: 'E_STATE' });
      const info = await t.info();
      expect(info.spec).toMatchObject({ kind: 'seq2seq', sourceVocab: 8 });
      weights.push(await t.getWeights());
      await t.dispose();
    }
    expect(Object.keys(weights[1])).toEqual(Object.keys(weights[0]));
    for (const k of Object.keys(weights[0])) expect(weights[1][k], k).toEqual(weights[0][k]);
  });

  it.each(['thread', 'worker'] as const)('resumes bit-exactly from a mid-epoch checkpoint (%s)', async (mode) => {
    const straight = await trainer(mode);
    await straight.fit(pairs, { ...fitOpts, epochs: 3 });
    const want = await straight.getWeights();
    await straight.dispose();

    const first = await trainer(mode);
    const stop = new AbortController();
    const r1 = await first.fit(pairs, {
      ...fitOpts,
      epochs: 3,
      signal: stop.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === batchesPerEpoch + 2) stop.abort();
      },
    });
    expect(r1.stopReason).toBe('aborted');
    expect(r1.steps).toBeLessThan(3 * batchesPerEpoch);
    const bytes = await first.save();
    await first.dispose();

    const resumed = await createTrainer({ worker: mode === 'worker' });
    const info = await resumed.load(bytes);
    expect(info.training?.step).toBe(r1.steps);
    await expect(resumed.fit(pairs, { ...fitOpts, batchSize: 8, epochs: 3, resume: true })).rejects.toMatchObject({ code: 'E_OPTION' });
    const r2 = await resumed.fit(pairs, { ...fitOpts, epochs: 3, resume: true });
    expect(r2.steps).toBe(3 * batchesPerEpoch);
    const got = await resumed.getWeights();
    for (const k of Object.keys(want)) expect(got[k], k).toEqual(want[k]);
    await resumed.dispose();
  });
});
