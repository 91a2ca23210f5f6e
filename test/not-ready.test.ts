// Using the SDK before the wasm has loaded is a clear typed error, not a crash.
// (vitest isolates files, so init() has not run in this one.)
import { describe, expect, it } from 'vitest';
import { init, isReady, Model, RecurrentLayer, sequential } from '../ts/index.js';
import { expectError } from './helpers.js';

describe('before init()', () => {
  it('throws E_NOT_READY naming the fix, then works after init()', async () => {
    expect(isReady()).toBe(false);
    const b = sequential({ input: { features: 2 } })
      .lstm({ units: 3 })
      .dense({ units: 1 });
    expectError(() => b.build(), TypeError, 'E_NOT_READY', /await init\(\)/);
    expectError(() => new RecurrentLayer({ cell: 'gru', inputSize: 2, hiddenSize: 3 }), TypeError, 'E_NOT_READY');
    expectError(() => Model.fromSpec(b.toJSON()), TypeError, 'E_NOT_READY');
    await Promise.all([init(), init()]);
    expect(isReady()).toBe(true);
    expect(b.build().outputDim).toBe(1);
  });
});
