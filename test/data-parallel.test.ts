// Data-parallel training (issue 11 part 1): createTrainer({ workers: N }) trains one model on N
// worker replicas with a fixed-order gradient reduction. Pinned here: replicas stay
// bit-identical, a run is reproducible for a given N (through shared memory or messages),
// N = 2 matches N = 1 on the same global batches within float-summation error, fit's
// abort / time budget / validation / save + bit-exact resume work, bad options are typed
// errors (the trainer stays usable), and a dying worker rejects fit (E_STATE) and ends the
// others. The encoder-decoder's case is test/data-parallel-seq2seq.test.ts. Uses dist/.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init, sequential, type Trainer, textWindows } from '../dist/index.js';
import { maxWeightDiff, ROOT, rejectsWith, replicaBytes } from './helpers.js';

const ids = Uint32Array.from({ length: 3000 }, (_, i) => (i * 7 + (i >> 3)) % 11);
const spec = (dropout: number) => {
  const s = sequential({ input: { vocab: 11 } })
    .embedding({ dim: 8 })
    .lstm({ units: 16 });
  return (dropout > 0 ? s.dropout(dropout) : s).dense({ units: 11 });
};
const train = (batches: number, batchSize = 8) => textWindows(ids, { steps: 12, windowsPerEpoch: batches * batchSize });

async function trainer(workers: number, o: { dropout?: number; sharedMemory?: boolean; workerUrl?: URL } = {}): Promise<Trainer> {
  const t = await createTrainer(workers === 1 ? { worker: false } : { workers, sharedMemory: o.sharedMemory, workerUrl: o.workerUrl });
  await t.build(spec(o.dropout ?? 0), { seed: 3 });
  await t.compile({ optimizer: { name: 'adam', lr: 1e-2 }, clipNorm: 1 });
  return t;
}

beforeAll(() => init());

describe('data-parallel training', () => {
  it('keeps replicas bit-identical, and a run is reproducible for a given N (shared memory or messages)', async () => {
    const runs: Uint8Array[][][] = [];
    for (const sharedMemory of [true, true, false]) {
      const t = await trainer(2, { dropout: 0.2, sharedMemory });
      expect(t.workers).toBe(2);
      const r = await t.fit(train(12), { batchSize: 8 });
      expect(r.steps).toBe(12);
      const reps = await replicaBytes(t);
      expect(reps).toHaveLength(2);
      expect(reps[1]).toEqual(reps[0]);
      runs.push(reps);
      await t.dispose();
    }
    expect(runs[1][0]).toEqual(runs[0][0]);
    expect(runs[2][0]).toEqual(runs[0][0]);
  });

  it('N = 2 matches N = 1 on the same global batches within float-summation error after 20 steps', async () => {
    const one = await trainer(1);
    const two = await trainer(2);
    const a = await one.fit(train(20), { batchSize: 8 });
    const b = await two.fit(train(20), { batchSize: 8 });
    expect(b.steps).toBe(20);
    expect(b.tokens).toBe(a.tokens);
    const max = maxWeightDiff(await one.getWeights(), await two.getWeights());
    console.log(`data-parallel: max |w(N=2) − w(N=1)| after 20 Adam steps = ${max.toExponential(2)}`);
    expect(max).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1e-4);
    expect(Math.abs(b.history[0].loss - a.history[0].loss)).toBeLessThan(1e-5);
    await one.dispose();
    await two.dispose();
  });

  it('variable-length examples (masks): a CRF tagger and a many-to-one regressor match N = 1', async () => {
    const tags = Array.from({ length: 40 }, (_, i) => {
      const n = 2 + ((i * 5) % 7);
      const ids = Array.from({ length: n }, (_, k) => (i + 3 * k) % 9);
      return { ids, targets: ids.map((x) => x % 4) };
    });
    const series = Array.from({ length: 40 }, (_, i) => {
      const n = 1 + ((i * 3) % 6);
      const features = Array.from({ length: n * 2 }, (_, k) => Math.sin(i + k));
      return { features, values: [Math.cos(i), n / 6] };
    });
    const cases = [
      {
        spec: sequential({ input: { vocab: 9 } })
          .embedding({ dim: 4 })
          .lstm({ units: 6, bidirectional: true })
          .dense({ units: 4 })
          .crf(),
        loss: 'crf' as const,
        data: tags,
      },
      {
        spec: sequential({ input: { features: 2 } })
          .gru({ units: 5, returnSequences: false })
          .dense({ units: 2 }),
        loss: 'mse' as const,
        data: series,
      },
    ];
    for (const c of cases) {
      const w: Record<string, Float32Array>[] = [];
      for (const workers of [1, 2]) {
        const t = await createTrainer(workers === 1 ? { worker: false } : { workers });
        await t.build(c.spec, { seed: 4 });
        await t.compile({ loss: c.loss, optimizer: { name: 'adam', lr: 1e-2 } });
        // batches of 7 (the last one 5): shards of 3 + 4 rows, then 2 + 3
        const r = await t.fit(c.data, { batchSize: 7, epochs: 2 });
        expect(r.steps).toBe(12);
        w.push(await t.getWeights());
        await t.dispose();
      }
      let max = 0;
      for (const k of Object.keys(w[0])) for (let j = 0; j < w[0][k].length; j++) max = Math.max(max, Math.abs(w[0][k][j] - w[1][k][j]));
      expect(max, c.loss).toBeLessThan(1e-4);
    }
  });

  it("workers: auto takes the runtime's available parallelism", async () => {
    const t = await createTrainer({ workers: 'auto' });
    expect(t.workers).toBe(availableParallelism());
    await t.dispose();
  });

  it('truncated BPTT: each window is one combined update, and N = 2 matches N = 1', async () => {
    const w: Record<string, Float32Array>[] = [];
    for (const workers of [1, 2]) {
      const t = await trainer(workers);
      // windows of 12 steps in tbptt windows of 5: 5 + 5 + 2, three updates per batch
      const r = await t.fit(train(6), { batchSize: 8, tbptt: { window: 5 } });
      expect(r.steps).toBe(18);
      expect(r.tokens).toBe(6 * 8 * 12);
      w.push(await t.getWeights());
      await t.dispose();
    }
    let max = 0;
    for (const k of Object.keys(w[0])) for (let j = 0; j < w[0][k].length; j++) max = Math.max(max, Math.abs(w[0][k][j] - w[1][k][j]));
    expect(max).toBeLessThan(1e-4);
  });

  it('stops on an AbortSignal and on the time budget, and reports validation', async () => {
    const t = await trainer(2);
    const ac = new AbortController();
    const aborted = await t.fit(train(1000), {
      batchSize: 8,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 3) ac.abort();
      },
    });
    expect(aborted.stopReason).toBe('aborted');
    expect(aborted.steps).toBeGreaterThanOrEqual(3);
    expect(aborted.steps).toBeLessThan(10);
    const timed = await t.fit(train(100000), { batchSize: 8, timeBudgetMs: 300 });
    expect(timed.stopReason).toBe('timeBudget');
    const events: string[] = [];
    const r = await t.fit(train(4), {
      batchSize: 8,
      epochs: 2,
      validation: textWindows(ids.subarray(0, 400), { steps: 12, random: false }),
      onProgress: (e) => events.push(e.type),
    });
    expect(events.filter((e) => e === 'step')).toHaveLength(8);
    expect(r.history).toHaveLength(2);
    const v = r.history[1].validation!;
    expect(v.loss).toBeGreaterThan(0);
    expect(v.loss).toBeCloseTo((await t.evaluate(textWindows(ids.subarray(0, 400), { steps: 12, random: false }), { batchSize: 8 })).loss, 6);
    await t.dispose();
  });

  it('saves from replica 0 and resumes bit-exactly with N = 2 (dropout included)', async () => {
    const whole = await trainer(2, { dropout: 0.3 });
    await whole.fit(train(6), { batchSize: 8, epochs: 2, seed: 5 });
    const want = await replicaBytes(whole);
    await whole.dispose();

    const first = await trainer(2, { dropout: 0.3 });
    const ac = new AbortController();
    // the stop reaches replica 0, which runs the loop, as a message: it stops within a step or
    // two (as one worker does), and the saved position is where it stopped
    const stopped = await first.fit(train(6), {
      batchSize: 8,
      epochs: 2,
      seed: 5,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 8) ac.abort();
      },
    });
    const file = await first.save();
    await first.dispose();
    const second = await createTrainer({ workers: 2 });
    const info = await second.load(file);
    expect(stopped.stopReason).toBe('aborted');
    expect(stopped.steps).toBeGreaterThanOrEqual(8);
    expect(stopped.steps).toBeLessThan(12);
    expect(info.training?.step).toBe(stopped.steps);
    const r = await second.fit(train(6), { batchSize: 8, epochs: 2, seed: 5, resume: true });
    expect(r.steps).toBe(12);
    const got = await replicaBytes(second);
    expect(got[0]).toEqual(want[0]);
    expect(got[1]).toEqual(want[0]);
    await second.dispose();
  });

  it('rejects what it does not support with typed errors', async () => {
    await rejectsWith(createTrainer({ workers: 0 }), 'E_OPTION', /workers/);
    await rejectsWith(createTrainer({ workers: 2, worker: false }), 'E_OPTION', /workers/);
    const t = await trainer(2);
    await rejectsWith(t.fit(train(2), { batchSize: 8, lrDecay: 0.5 }), 'E_OPTION', /lrDecay/);
    await rejectsWith(t.fit(train(2), { batchSize: 8, validation: [] }), 'E_OPTION', /validation/);
    expect((await t.fit(train(2), { batchSize: 8 })).steps).toBe(2);
    await t.dispose();
  });

  it('a worker that dies mid-fit rejects fit with E_STATE and ends the other workers', async () => {
    // the first replica to claim a file exits after 400 ms; the other writes a heartbeat while it
    // lives (a claim, not thread-id parity: other worker threads may take ids in between)
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-dp-'));
    const beat = join(dir, 'beat');
    const claim = join(dir, 'claim');
    const file = join(dir, 'worker.mjs');
    const worker = pathToFileURL(join(ROOT, 'dist/worker/worker.js')).href;
    writeFileSync(
      file,
      `import { closeSync, openSync, writeFileSync } from 'node:fs';\nimport '${worker}';\n` +
        `let dies = false;\ntry { closeSync(openSync(${JSON.stringify(claim)}, 'wx')); dies = true; } catch {}\n` +
        `if (dies) setTimeout(() => process.exit(7), 400);\n` +
        `else { let n = 0; setInterval(() => writeFileSync(${JSON.stringify(beat)}, String(n++)), 10); }\n`,
    );
    // the message path: each replica's event loop runs between steps, so the timers below fire
    // (test/data-parallel-sync.test.ts kills a replica on the shared-memory path, at the barrier)
    const t = await trainer(2, { workerUrl: pathToFileURL(file), sharedMemory: false });
    await rejectsWith(t.fit(train(100000), { batchSize: 8 }), 'E_STATE', /exited \(code 7\)/);
    await new Promise((r) => setTimeout(r, 100));
    const before = readFileSync(beat, 'utf8');
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(beat, 'utf8')).toBe(before);
    await rejectsWith(t.info(), 'E_STATE');
    await t.dispose();
  });
});
