// Which kernel build init() loads: relaxed-simd where the runtime validates the relaxed-SIMD
// probe (Node 22+, Deno, Bun, Chromium), else simd128; the option and RECURRENT_KERNELS force
// either. Both builds give the PyTorch fixtures' numbers within their tolerances (FMA changes
// rounding only). Runs under the default Node and again under Node 24 (scripts/test.sh).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init, kernelBackend, relaxedSimdSupported } from '../dist/index.js';
import { ROOT } from './helpers.js';

beforeAll(() => init());

const NODE24 = join(ROOT, '.tools/node24/bin/node');

/** Runs a tiny ES module with `node` (an absolute path) and RECURRENT_KERNELS set; returns its JSON line. */
function probe(node: string, kernels: string | undefined, code: string): { out?: unknown; err?: string } {
  const env: Record<string, string | undefined> = { ...process.env, RECURRENT_KERNELS: kernels };
  if (kernels === undefined) delete env.RECURRENT_KERNELS;
  const r = spawnSync(node, ['--input-type=module', '-e', code], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return line.startsWith('{') ? { out: JSON.parse(line) } : { err: `${r.stdout}${r.stderr}` };
}

const REPORT = `
import { init, kernelBackend } from './dist/index.js';
import { runFixtures } from './dist/cli/conformance/runner.js';
import { readdirSync, readFileSync } from 'node:fs';
try {
  await init();
  const dir = 'test/fixtures/torch/';
  const { passed, failed } = runFixtures(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(dir + f, 'utf8'))));
  console.log(JSON.stringify({ backend: kernelBackend(), passed, failed }));
} catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;

describe('kernel builds', () => {
  it('auto picks relaxed-simd exactly where the runtime validates the probe', () => {
    expect(kernelBackend()).toBe(relaxedSimdSupported() ? 'relaxed-simd' : 'simd128');
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 22) expect(relaxedSimdSupported()).toBe(true);
    if (major === 20) expect(relaxedSimdSupported()).toBe(process.execArgv.includes('--experimental-wasm-relaxed-simd'));
  });

  it('RECURRENT_KERNELS forces either build, and both pass every PyTorch fixture', () => {
    expect(existsSync(NODE24), 'Node 24 (setup fetches it into .tools/node24)').toBe(true);
    const simd = probe(NODE24, 'simd128', REPORT);
    const relaxed = probe(NODE24, 'relaxed-simd', REPORT);
    const auto = probe(NODE24, undefined, REPORT);
    expect(simd.out, simd.err).toMatchObject({ backend: 'simd128', failed: 0 });
    expect(relaxed.out, relaxed.err).toMatchObject({ backend: 'relaxed-simd', failed: 0 });
    expect(auto.out, auto.err).toMatchObject({ backend: 'relaxed-simd', failed: 0 });
    expect((relaxed.out as { passed: number }).passed).toBe((simd.out as { passed: number }).passed);
    expect((simd.out as { passed: number }).passed).toBeGreaterThanOrEqual(32);
  });

  it('a trainer says which kernels its worker runs', async () => {
    for (const kernels of ['simd128', 'auto'] as const) {
      const t = await createTrainer({ worker: true, kernels });
      try {
        expect(t.kernels).toBe(kernels === 'auto' ? kernelBackend() : kernels);
      } finally {
        await t.dispose();
      }
    }
  });

  it('the CLI turns relaxed SIMD on in Node 20 (behind a flag there), and RECURRENT_KERNELS still forces simd128', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'recurrent-kernels-')), 'm.safetensors');
    const args = [
      'bin/recurrent.js',
      'train',
      '--epochs',
      '1',
      '--steps-per-epoch',
      '2',
      '--units',
      '8',
      '--embed',
      '4',
      '--sample',
      '0',
      '--workers',
      '1',
      '--no-chart',
      '--out',
      out,
    ];
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
    const auto = run({});
    expect(auto.status, auto.stderr).toBe(0);
    expect(auto.stdout).toMatch(/training in a worker thread, relaxed-simd kernels/);
    const forced = run({ RECURRENT_KERNELS: 'simd128' });
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/, simd128 kernels/);
  });

  it('forcing relaxed-simd where the runtime lacks it, or an unknown name, is a typed error', () => {
    const bad = probe(NODE24, 'avx512', REPORT);
    expect(bad.out).toMatchObject({ code: 'E_OPTION' });
    expect((bad.out as { message: string }).message).toMatch(/kernels must be one of auto, simd128, relaxed-simd/);
    if (!relaxedSimdSupported()) {
      const forced = probe(process.execPath, 'relaxed-simd', REPORT);
      expect(forced.out).toMatchObject({ code: 'E_NOT_READY' });
    }
  });
});
