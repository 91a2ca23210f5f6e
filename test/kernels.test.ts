// Which kernel build init() loads: where the runtime validates the relaxed-SIMD probe (Node 22+,
// Deno, Bun, Chromium), `auto` measures both builds and takes relaxed-simd only where it is
// clearly faster (the rule is tested on simulated timings), else simd128; the option and
// RECURRENT_KERNELS force either. Both builds give the PyTorch fixtures' numbers within their tolerances (FMA changes
// rounding only). Runs under the default Node and again under Node 24 (scripts/test.sh).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init, kernelBackend, kernelCalibration, relaxedSimdSupported } from '../dist/index.js';
import { AUTO_MARGIN, chooseKernels, measureKernels } from '../dist/kernel-choice.js';
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
  const { kernelCalibration } = await import('./dist/index.js');
  const dir = 'test/fixtures/torch/';
  const { passed, failed } = runFixtures(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(dir + f, 'utf8'))));
  console.log(JSON.stringify({ backend: kernelBackend(), passed, failed, calibration: kernelCalibration() }));
} catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;

describe('kernel builds', () => {
  it('auto measures where the runtime validates the probe, and loads what it measured faster', () => {
    const v = kernelCalibration();
    if (relaxedSimdSupported()) {
      expect(v).toBeDefined();
      expect(kernelBackend()).toBe(v?.choice);
      expect(v?.speedup).toBeGreaterThan(0);
      expect(v?.choice).toBe(v!.speedup >= AUTO_MARGIN ? 'relaxed-simd' : 'simd128');
    } else {
      expect(v).toBeUndefined();
      expect(kernelBackend()).toBe('simd128');
    }
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
    expect(auto.out, auto.err).toMatchObject({ failed: 0 });
    const measured = (auto.out as { backend: string; calibration: { choice: string } }).calibration;
    expect((auto.out as { backend: string }).backend).toBe(measured.choice);
    expect((relaxed.out as { passed: number }).passed).toBe((simd.out as { passed: number }).passed);
    expect((simd.out as { passed: number }).passed).toBeGreaterThanOrEqual(32);
  });

  it('a trainer says which kernels its worker runs', async () => {
    for (const kernels of ['simd128', 'auto'] as const) {
      const t = await createTrainer({ worker: true, kernels });
      try {
        expect(t.kernels).toBe(kernels === 'auto' ? (kernelCalibration()?.choice ?? 'simd128') : kernels);
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
    // auto measured both builds (Node 20 gets relaxed SIMD from the CLI's flag) and says so
    expect(auto.stdout).toMatch(/training in a worker thread, (relaxed-simd|simd128) kernels \(auto: relaxed-simd measured \d+\.\d\dx simd128 here\)/);
    const forced = run({ RECURRENT_KERNELS: 'simd128' });
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/, simd128 kernels/);
  });

  it('auto takes relaxed-simd only where it measured clearly faster (simulated timings)', () => {
    // per-turn ms of simd128, then relaxed-simd
    expect(chooseKernels([10, 11, 10.5], [8, 8.4, 9]).choice).toBe('relaxed-simd'); // 1.25x
    expect(chooseKernels([10, 10.2], [9.9, 10.1]).choice).toBe('simd128'); // 1.01x: a tie keeps simd128
    expect(chooseKernels([8, 8.1], [10, 9.5]).choice).toBe('simd128'); // relaxed slower (as it could be on some host)
    // a turn slowed by other work does not decide: the fastest turn of each counts
    const v = chooseKernels([10, 30, 10.1], [7.5, 7.6, 40]);
    expect(v).toMatchObject({ choice: 'relaxed-simd', simd128Ms: 10, relaxedMs: 7.5 });
    expect(v.speedup).toBeCloseTo(10 / 7.5, 12);
    expect(chooseKernels([10], [10 / AUTO_MARGIN]).choice).toBe('relaxed-simd');
    expect(chooseKernels([10], [(10 / AUTO_MARGIN) * 1.001]).choice).toBe('simd128');
  });

  it('the measurement runs both real builds bare, and two copies of one build measure as a tie', async () => {
    const dir = join(ROOT, 'dist/wasm/');
    const bytes = (f: string) => import('node:fs/promises').then((fs) => fs.readFile(join(dir, f)));
    // the same module twice, on a clock that ticks alike for both: speedup exactly 1, simd128
    let tick = 0;
    const same = await measureKernels(() => bytes('recurrent_wasm_bg.wasm'), { turns: 3, warmupMs: 5, clock: () => tick++ });
    expect(same).toMatchObject({ choice: 'simd128', speedup: 1 });
    if (relaxedSimdSupported()) {
      const real = await measureKernels((b) => bytes(b === 'simd128' ? 'recurrent_wasm_bg.wasm' : 'recurrent_wasm_relaxed_bg.wasm'), { turns: 2, warmupMs: 5 });
      expect(real.simd128Ms).toBeGreaterThan(0);
      expect(real.relaxedMs).toBeGreaterThan(0);
    }
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
