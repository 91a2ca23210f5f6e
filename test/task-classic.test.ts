// The classic LSTM demonstration: an LSTM learns to emit −0.5, 0.2, 0.1, −0.5 from fixed
// random input vectors by mean squared error. It converges under a fixed seed, reproducibly,
// and so does any other target sequence; the `recurrent classic` command prints the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init } from '../ts/index.js';
import { CLASSIC_TARGETS, classicLstm } from '../ts/tasks/index.js';
import { expectError, ROOT } from './helpers.js';

beforeAll(async () => {
  await init();
});

describe('classic LSTM demonstration', () => {
  it('converges to the target sequence under a fixed seed', async () => {
    const r = await classicLstm({ seed: 0, steps: 150 });
    try {
      expect(r.targets).toEqual([-0.5, 0.2, 0.1, -0.5]);
      expect(r.losses).toHaveLength(150);
      expect(r.losses[0]).toBeGreaterThan(1e-2);
      // measured: 9.8e-5 at iteration 50, 3e-9 at the end
      expect(r.losses[49]).toBeLessThan(1e-3);
      expect(r.losses[149]).toBeLessThan(1e-6);
      r.predictions.forEach((p, i) => {
        expect(Math.abs(p - CLASSIC_TARGETS[i])).toBeLessThan(2e-3);
      });
      // the loss mostly falls: the last value is the smallest of the last 50 by far
      expect(r.losses[149]).toBeLessThan(r.losses[99] * 0.1);
    } finally {
      r.model.dispose();
    }
  });

  it('is reproducible, and learns other targets and sizes too', async () => {
    const a = await classicLstm({ seed: 7, steps: 20 });
    const b = await classicLstm({ seed: 7, steps: 20 });
    expect(a.losses).toEqual(b.losses);
    a.model.dispose();
    b.model.dispose();
    const c = await classicLstm({
      seed: 2,
      steps: 200,
      targets: [0.3, -0.3, 0.8, 0, -0.6, 0.5],
      inputDim: 8,
      units: 16,
      optimizer: { name: 'adam', lr: 0.02 },
    });
    expect(c.losses.at(-1)!).toBeLessThan(1e-4);
    c.model.dispose();
    expectError(() => classicLstm({ targets: [] }), RangeError, 'E_RANGE', /at least one value/);
    expectError(() => classicLstm({ steps: 0 }), RangeError, 'E_RANGE', /steps/);
    expectError(() => classicLstm({ epochs: 3 } as never), TypeError, 'E_OPTION', /unknown option classicLstm\.epochs/);
  });

  it('recurrent classic prints the run, saves the model (--out) and draws the loss (--chart)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-classic-'));
    const out = join(dir, 'classic.safetensors');
    const r = spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'classic', '--steps', '120', '--every', '40', '--out', out], {
      encoding: 'utf8',
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/iter {4}0: loss \d\.\d+e-\d+ {2}y_pred = \[/);
    expect(r.stdout).toMatch(/iter {3}80: /);
    const m = /after 120 iterations: y_pred = \[([^\]]+)\], loss (\S+)/.exec(r.stdout)!;
    expect(Number(m[2])).toBeLessThan(1e-5);
    expect(
      m[1]
        .split(',')
        .map(Number)
        .map((x) => Math.round(x * 100) / 100),
    ).toEqual([-0.5, 0.2, 0.1, -0.5]);
    // the saved model loads (LSTM 100 over 50 inputs, dense 1)
    const t = await createTrainer({ worker: false });
    const info = await t.load(new Uint8Array(readFileSync(out)));
    expect(info.paramCount).toBe(4 * 100 * (50 + 100 + 2) + 101);
    await t.dispose();
    const svg = readFileSync(join(dir, 'classic.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[^>]*>/);
    expect(svg).toContain('mean squared error');
  });

  it('recurrent classic --time-budget stops early', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-classic-'));
    const r = spawnSync(
      process.execPath,
      [`${ROOT}bin/recurrent.js`, 'classic', '--updates', '100000', '--time-budget', '300ms', '--out', join(dir, 'c.safetensors'), '--no-chart'],
      {
        encoding: 'utf8',
        cwd: ROOT,
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(0);
    const n = Number(/after (\d+) iterations/.exec(r.stdout)![1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(100000);
  });
});
