// Issue 14's SDK and worker faults, each pinned in both modes where it applies: a throwing
// onProgress, a worker that cannot start, fails at its top level or exits mid-fit, dispose()
// during fit(), an already-aborted signal, bad fit arguments, fit before compile, class
// targets and sizes that would wrap, and resuming with another batch size. Every outcome is
// a typed error (or an 'aborted' result), never a crash or a hang. Uses the built SDK (dist/).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, examples, init, sequential, type Trainer, textWindows } from '../dist/index.js';
import { expectError, ROOT, rejectsWith } from './helpers.js';

const ids = Uint32Array.from({ length: 4000 }, (_, i) => (i * 7 + (i >> 3)) % 11);
const spec = () =>
  sequential({ input: { vocab: 11 } })
    .embedding({ dim: 8 })
    .lstm({ units: 16 })
    .dense({ units: 11 });
/** Enough batches that a run lasts well past the fault under test. */
const long = () => textWindows(ids, { steps: 16, windowsPerEpoch: 8 * 5000 });

async function compiled(mode: 'thread' | 'worker', opts: { workerUrl?: URL } = {}): Promise<Trainer> {
  const t = await createTrainer({ worker: mode === 'worker', ...opts });
  await t.build(spec(), { seed: 1 });
  await t.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
  return t;
}

/** A worker script in a temp folder with `body` (dist/worker/worker.js is importable from it). */
function workerScript(body: string): URL {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-worker-'));
  const file = join(dir, 'worker.mjs');
  writeFileSync(file, body.replace('WORKER', pathToFileURL(join(ROOT, 'dist/worker/worker.js')).href));
  return pathToFileURL(file);
}

beforeAll(() => init());

describe.each(['thread', 'worker'] as const)('%s mode', (mode) => {
  it('a throwing onProgress rejects fit with that error, and the trainer stays usable', async () => {
    const t = await compiled(mode);
    const boom = new Error('progress handler failed');
    const run = t.fit(long(), {
      batchSize: 8,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 3) throw boom;
      },
    });
    await expect(Promise.resolve(run)).rejects.toThrow('progress handler failed');
    const info = await t.info();
    expect(info.training?.step).toBeGreaterThanOrEqual(3);
    // stopped long before the 5,000 batches (in a worker, events are not awaited, so a few more
    // batches may run before the failure is seen; how many depends on the machine's load)
    expect(info.training?.step).toBeLessThan(2500);
    expect((await t.evaluate(textWindows(ids, { steps: 16, random: false }))).loss).toBeGreaterThan(0);
    await t.dispose();
  });

  it('dispose() during fit rejects the fit with E_STATE, and every later call with E_STATE', async () => {
    const t = await compiled(mode);
    let steps = 0;
    const run = t.fit(long(), { batchSize: 8, onProgress: () => void steps++ });
    while (steps < 2) await new Promise((r) => setTimeout(r, 5));
    await t.dispose();
    await rejectsWith(run, 'E_STATE', /disposed/);
    await rejectsWith(t.info(), 'E_STATE', /disposed/);
    await rejectsWith(t.predict({ ids: [1, 2], batch: 1, steps: 2 }), 'E_STATE');
    await t.dispose(); // a second dispose is a no-op
  });

  it('an already-aborted signal stops fit before the first step', async () => {
    const t = await compiled(mode);
    const res = await t.fit(long(), { batchSize: 8, signal: AbortSignal.abort() });
    expect(res.stopReason).toBe('aborted');
    expect(res.steps).toBe(0);
    expect((await t.info()).training?.step).toBe(0);
    await t.dispose();
  });

  it('bad fit arguments and fit before compile are typed errors', async () => {
    const t = await createTrainer({ worker: mode === 'worker' });
    await t.build(spec(), { seed: 1 });
    await rejectsWith(t.fit(long(), { batchSize: 8 }), 'E_STATE', /compile/);
    await t.compile({ optimizer: 'adam' });
    expectError(() => t.fit(null as never), TypeError, 'E_OPTION', /data/);
    expectError(() => t.fit('abc' as never), TypeError, 'E_OPTION', /data/);
    expectError(() => t.fit(long(), { signal: {} as never }), TypeError, 'E_OPTION', /signal/);
    expectError(() => t.fit(long(), { onProgress: 5 as never }), TypeError, 'E_OPTION', /onProgress/);
    await t.dispose();
  });

  it('class targets NaN, 1.5 and 2^32 + 1 are E_RANGE, not classes 0, 1, 1', async () => {
    const t = await createTrainer({ worker: mode === 'worker' });
    await t.build(
      sequential({ input: { vocab: 5 } })
        .embedding({ dim: 4 })
        .gru({ units: 4, returnSequences: false })
        .dense({ units: 2 }),
      { seed: 1 },
    );
    await t.compile({ optimizer: 'adam' });
    for (const bad of [Number.NaN, 1.5, 2 ** 32 + 1]) {
      const data = examples([
        { ids: [1, 2], target: 0 },
        { ids: [3], target: bad },
      ]);
      await rejectsWith(t.fit(data, { batchSize: 2 }), 'E_RANGE', /class/);
    }
    await rejectsWith(t.predict({ ids: [1, 2], batch: 2 ** 32 + 1, steps: 2 }), 'E_RANGE', /batch/);
    await rejectsWith(t.predict({ ids: [1, 2], batch: 1.5, steps: 2 }), 'E_RANGE', /batch/);
    await rejectsWith(t.generate([1, 2], { maxTokens: 2 ** 32 }), 'E_RANGE', /maxTokens/);
    await t.dispose();
  });

  it('resuming with another batchSize is E_OPTION (the position counts batches of the first size)', async () => {
    const t = await compiled(mode);
    const data = () => textWindows(ids, { steps: 16, windowsPerEpoch: 8 * 6 });
    await t.fit(data(), { epochs: 2, batchSize: 8 });
    await rejectsWith(t.fit(data(), { epochs: 3, batchSize: 4, resume: true }), 'E_OPTION', /batchSize 8/);
    const res = await t.fit(data(), { epochs: 3, batchSize: 8, resume: true });
    expect(res.epochs).toBe(3);
    await t.dispose();
  });
});

describe('builder and spec sizes that would wrap in u32', () => {
  it('are E_RANGE instead of a 1-unit layer', () => {
    expectError(
      () =>
        sequential({ input: { vocab: 5 } })
          .embedding({ dim: 4 })
          .lstm({ units: 2 ** 32 + 1 }),
      RangeError,
      'E_RANGE',
      /units/,
    );
    expectError(() => sequential({ input: { vocab: 5 } }).embedding({ dim: 2 ** 32 }), RangeError, 'E_RANGE', /dim/);
    expectError(() => sequential({ input: { vocab: 2.5 } }), RangeError, 'E_RANGE', /vocab/);
    expectError(
      () =>
        sequential({ input: { vocab: 5 } })
          .embedding({ dim: 4 })
          .gru({ units: 3 })
          .dense({ units: 2 ** 32 + 2 }),
      RangeError,
      'E_RANGE',
      /units/,
    );
  });
});

describe('worker faults', () => {
  it('a missing worker script is a typed rejection, not a crash', async () => {
    await rejectsWith(createTrainer({ worker: true, workerUrl: pathToFileURL(join(tmpdir(), 'no-such-recurrent-worker.js')) }), 'E_STATE', /worker/);
  });

  it('an error thrown at the worker top level is a typed rejection', async () => {
    const url = workerScript("throw new Error('top-level failure');\n");
    await rejectsWith(createTrainer({ worker: true, workerUrl: url }), 'E_STATE', /top-level failure/);
  });

  it('a worker that exits mid-fit rejects the pending fit and every later call', async () => {
    const url = workerScript("import 'WORKER';\nsetTimeout(() => process.exit(7), 400);\n");
    const t = await compiled('worker', { workerUrl: url });
    const run = t.fit(long(), { batchSize: 8 });
    await rejectsWith(run, 'E_STATE', /exited \(code 7\)/);
    await rejectsWith(t.info(), 'E_STATE', /exited/);
    await t.dispose();
  });

  it('init with a bad wasm source is a typed error', async () => {
    await rejectsWith(createTrainer({ worker: true, wasm: new Uint8Array([1, 2, 3, 4]) }), 'E_NOT_READY', /wasm/);
  });
});
