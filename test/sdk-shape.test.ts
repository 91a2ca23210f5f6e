// The SDK's shape, checked from the source: tasks (ts/tasks) use only the public API (the package
// root, `../index.js`, and their `recurrent-nn/tasks` siblings) plus the typed error constructors
// (`../errors.js`, the same codes the SDK throws); and fitBatches, the public way to train on
// batches a task makes itself, runs the one fit engine (events, epochs, E_OPTION on bad keys).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FitEvent, fitBatches, init, sequential } from '../ts/index.js';
import { ROOT, rejectsWith } from './helpers.js';

beforeAll(() => init());

/** Every module specifier a file imports or re-exports. */
function specifiers(src: string): string[] {
  return [...src.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
}

describe('tasks use the public API', () => {
  const dir = join(ROOT, 'ts/tasks');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('imports nothing of the SDK but ../index.js and ../errors.js', () => {
    expect(files.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const f of files) {
      for (const s of specifiers(readFileSync(join(dir, f), 'utf8'))) {
        if (s.startsWith('./') && !s.slice(2).includes('/')) continue; // a sibling task module
        if (s === '../index.js' || s === '../errors.js') continue;
        bad.push(`${f}: ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the check sees an internal import', () => {
    expect(specifiers("import { runFit } from '../fit.js';\nexport { x } from './words.js';")).toEqual(['../fit.js', './words.js']);
  });
});

describe('fitBatches', () => {
  const batch = () => ({
    input: { features: Float32Array.from([0.5, -1, 0.25]), batch: 1, steps: 3 },
    targets: { values: Float32Array.from([0.75]) },
    tokens: 3,
  });

  it('trains through the fit engine: step and epoch events, falling loss, batches per epoch', async () => {
    const model = sequential({ input: { features: 1 } })
      .lstm({ units: 4, returnSequences: false })
      .dense({ units: 1 })
      .build({ seed: 1 });
    model.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 0.05 } });
    const events: FitEvent[] = [];
    const calls: number[] = [];
    const r = await fitBatches(model, {
      batchesPerEpoch: 5,
      epochs: 3,
      seed: 7,
      batches: (epoch, seed) => {
        calls.push(epoch, seed);
        return () => batch();
      },
      onProgress: (e) => {
        events.push(e);
      },
    });
    expect(r.steps).toBe(15);
    expect(calls).toEqual([0, 7, 1, 7, 2, 7]);
    expect(events.filter((e) => e.type === 'step')).toHaveLength(15);
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(epochs[2].loss).toBeLessThan(epochs[0].loss);
    model.dispose();
  });

  it('rejects an unknown key (E_OPTION) and a bad count (E_RANGE)', async () => {
    const model = sequential({ input: { features: 1 } })
      .lstm({ units: 2, returnSequences: false })
      .dense({ units: 1 })
      .build({ seed: 1 });
    model.compile({ loss: 'mse' });
    const go = (o: object) => Promise.resolve().then(() => fitBatches(model, { batchesPerEpoch: 1, batches: () => () => batch(), ...o }));
    await rejectsWith(go({ epoch: 2 }), 'E_OPTION', /fitBatches\.epoch/);
    await rejectsWith(go({ batchesPerEpoch: 0 }), 'E_RANGE', /batchesPerEpoch/);
    model.dispose();
  });
});
