// A training step of a fixed shape allocates everything it needs on its first call: after
// that, the wasm linear memory does not grow, whatever the layer mix (the kernels' packing
// buffers, the layers' step caches and the optimizer state are all reused).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../ts/index.js';
import { init, sequential } from '../ts/index.js';
import { wasm } from '../ts/wasm.js';
import { randomArray } from './helpers.js';

beforeAll(() => init());

const bytes = () => wasm().wasmMemoryBytes();

function classes(n: number, k: number): Int32Array {
  return Int32Array.from(randomArray(n, 5), (v) => Math.min(k - 1, Math.floor(((v + 1) / 2) * k)));
}

/** Steps a compiled model `n` times after its first step; memory must stay the same. */
function expectNoGrowth(model: Model, step: () => void, n = 4): void {
  step();
  const after1 = bytes();
  for (let i = 0; i < n; i++) step();
  expect(bytes()).toBe(after1);
  model.dispose();
}

describe('no allocation inside a training step', () => {
  it('exports the memory size', () => {
    expect(bytes()).toBeGreaterThan(0);
    expect(bytes() % 65536).toBe(0);
  });

  it('W1 shape: LSTM 256 over 64 features, batch 32 × 64 steps, dense 96, Adam', () => {
    const m = sequential({ input: { features: 64 } })
      .lstm({ units: 256 })
      .dense({ units: 96 })
      .build({ seed: 1 });
    m.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 1e-3 } });
    const x = randomArray(32 * 64 * 64, 2);
    const y = classes(32 * 64, 96);
    expectNoGrowth(m, () => m.trainStep({ features: x, batch: 32, steps: 64 }, { classes: y }), 2);
  });

  it('GRU and a 2-layer bidirectional LSTM with dropout and clipping', () => {
    for (const build of [
      () =>
        sequential({ input: { features: 12 } })
          .gru({ units: 40 })
          .dense({ units: 7 }),
      () =>
        sequential({ input: { features: 12 } })
          .lstm({ units: 24, layers: 2, bidirectional: true, dropout: 0.2 })
          .dense({ units: 7 }),
    ]) {
      const m = build().build({ seed: 3 });
      m.compile({ loss: 'crossEntropy', optimizer: { name: 'adamw', lr: 1e-3 }, clipNorm: 1 });
      const x = randomArray(9 * 13 * 12, 4);
      const y = classes(9 * 13, 7);
      expectNoGrowth(m, () => m.trainStep({ features: x, batch: 9, steps: 13, lengths: [13, 5, 13, 1, 13, 13, 7, 13, 2] }, { classes: y }));
    }
  });

  it('W4 shape (batch 1, MSE) and a token model with an embedding', () => {
    const m4 = sequential({ input: { features: 8 } })
      .lstm({ units: 32 })
      .dense({ units: 8 })
      .build({ seed: 1 });
    m4.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 1e-3 } });
    const x4 = randomArray(16 * 8, 6);
    const v4 = randomArray(16 * 8, 7);
    expectNoGrowth(m4, () => m4.trainStep({ features: x4, batch: 1, steps: 16 }, { values: v4 }), 20);

    const mt = sequential({ input: { vocab: 30 } })
      .embedding({ dim: 16 })
      .lstm({ units: 32 })
      .dense({ units: 30 })
      .build({ seed: 2 });
    mt.compile({ loss: 'crossEntropy', optimizer: { name: 'rmsprop', lr: 1e-3 } });
    const ids = Uint32Array.from(classes(6 * 10, 30));
    const y = classes(6 * 10, 30);
    expectNoGrowth(mt, () => mt.trainStep({ ids, batch: 6, steps: 10 }, { classes: y }));
  });

  it('generation of a fixed length', () => {
    const m = sequential({ input: { vocab: 40 } })
      .embedding({ dim: 16 })
      .lstm({ units: 48 })
      .dense({ units: 40 })
      .build({ seed: 4 });
    expectNoGrowth(m, () => void m.generateIds([1, 2, 3], { maxTokens: 300, temperature: 1, seed: 9 }), 3);
  });
});
