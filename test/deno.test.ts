// examples/deno/train.ts under the `deno` binary from npm: trains in a Deno Worker, generates,
// saves; Node then loads Deno's file and samples exactly the same text (same wasm, same seed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainer } from '../dist/index.js';
import { ROOT } from './helpers.js';

const DENO = join(ROOT, 'node_modules/.bin/deno');
const SCRIPT = join(ROOT, 'examples/deno/train.ts');
const tmp = mkdtempSync(join(tmpdir(), 'recurrent-deno-'));
const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', NO_COLOR: '1', DENO_DIR: join(tmp, 'deno-dir') };

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Deno', () => {
  it('type-checks the example', () => {
    const r = spawnSync(DENO, ['check', '--unstable-sloppy-imports', SCRIPT], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr.replace(/Check [^\n]*\n?/, '').trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('trains in a Deno Worker and generates; Node reads the saved model', async () => {
    const out = join(tmp, 'deno-model.safetensors');
    // The simd128 build here, so that Node 20 (which has no relaxed SIMD) must sample the same text.
    const r = spawnSync(
      DENO,
      ['run', `--allow-read=${ROOT}`, `--allow-write=${tmp}`, '--allow-env=RECURRENT_KERNELS', SCRIPT, '--steps', '150', '--out', out, '--json'],
      {
        cwd: ROOT,
        env: { ...env, RECURRENT_KERNELS: 'simd128' },
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(res).toMatchObject({ runtime: 'deno', mode: 'worker', kernels: 'simd128', steps: 150 });
    expect(res.version).toMatch(/^2\./);
    expect(res.firstLoss).toBeGreaterThan(3.5);
    expect(res.lastLoss).toBeLessThan(res.firstLoss - 1);
    expect(res.sample).toHaveLength(80);
    expect(res.tokensPerSec).toBeGreaterThan(0);
    console.log(
      `[deno] Deno ${res.version}: ${res.steps} steps (LSTM 64, batch 32 × 32), ${Math.round(res.tokensPerSec)} tokens/s in a Deno Worker, loss ${res.firstLoss.toFixed(2)} → ${res.lastLoss.toFixed(2)}`,
    );

    const t = await createTrainer({ worker: false });
    const info = await t.load(out);
    expect(info.training?.step).toBe(150);
    expect(await t.generate('\n', { maxTokens: 80, temperature: 0.8, seed: 42 })).toBe(res.sample);
    await t.dispose();
  });

  it('loads the relaxed-SIMD build by default', () => {
    const code = `import { init, kernelBackend } from '${ROOT}dist/index.js'; await init(); console.log(kernelBackend());`;
    const r = spawnSync(DENO, ['eval', '--quiet', code], { cwd: ROOT, env: { ...env, DENO_DIR: join(tmp, 'deno-dir') }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('relaxed-simd');
  });
});
