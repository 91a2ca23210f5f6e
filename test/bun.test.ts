// Smoke test under Bun (the `bun` binary from npm): examples/bun/train.ts trains a tiny LSTM in
// a Bun Worker through the SDK, samples, saves, reloads in-thread and samples the same text.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

describe('Bun', () => {
  it('trains a tiny model in a worker and runs it', () => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/bun'), [join(ROOT, 'examples/bun/train.ts'), '--steps', '120', '--json'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0', DO_NOT_TRACK: '1' },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(res).toMatchObject({ runtime: 'bun', mode: 'worker', steps: 120, reloadedStep: 120 });
    // kernels 'auto' measures both builds: Bun validates relaxed SIMD but ran both builds' GEMM at
    // the same speed on the development machine (0.95-1.03x), so either may load here
    expect(['simd128', 'relaxed-simd']).toContain(res.kernels);
    expect(res.version).toMatch(/^1\./);
    expect(res.firstLoss).toBeGreaterThan(3.5);
    expect(res.lastLoss).toBeLessThan(res.firstLoss - 1);
    expect(res.sample).toHaveLength(80);
    expect(res.reloadedSample).toBe(res.sample);
    expect(res.tokensPerSec).toBeGreaterThan(0);
    console.log(
      `[bun] Bun ${res.version}: ${res.steps} steps (LSTM 64, batch 32 × 32), ${Math.round(res.tokensPerSec)} tokens/s in a Bun Worker, loss ${res.firstLoss.toFixed(2)} → ${res.lastLoss.toFixed(2)}, model file ${res.savedBytes} bytes`,
    );
  });
});
