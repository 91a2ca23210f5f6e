// Gradient flow through time: the gradientFlow / explodingRelu tasks on tiny sizes, and the
// `recurrent gradients` command end to end (its table, profiles, the explosion lines, the SVG).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../ts/index.js';
import { addingExperiment, explodingRelu, gradientFlow } from '../ts/tasks/index.js';
import { expectError, ROOT } from './helpers.js';

beforeAll(async () => {
  await init();
});

describe('gradient flow through time', () => {
  it('measures each cell’s profile before and after training, reproducibly', () => {
    const opts = { lengths: [12], cells: ['rnn_tanh', 'lstm'] as const, units: 8, updates: 20, testSize: 64, seed: 3 };
    const runs = gradientFlow({ ...opts, cells: [...opts.cells] });
    expect(runs.map((r) => [r.cell, r.steps])).toEqual([
      ['rnn_tanh', 12],
      ['lstm', 12],
    ]);
    for (const r of runs) {
      expect(r.start).toHaveLength(12);
      expect(r.end).toHaveLength(12);
      expect([...r.start, ...r.end].every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      expect(Number.isFinite(r.testMse)).toBe(true);
      // the loss is read at the last step: the gradient there is the largest at the start
      expect(r.start[11]).toBeGreaterThan(r.start[0]);
    }
    const again = gradientFlow({ ...opts, cells: [...opts.cells] });
    expect(again.map((r) => [r.testMse, Array.from(r.end)])).toEqual(runs.map((r) => [r.testMse, Array.from(r.end)]));
    expectError(() => gradientFlow({ lengths: [1] }), RangeError, 'E_RANGE', /at least 2/);
    expectError(() => gradientFlow({ epochs: 2 } as never), TypeError, 'E_OPTION', /gradientFlow\.epochs/);
  });

  it('an adding experiment run in chunks is the same run as gradientFlow’s, update for update', () => {
    const opts = { units: 8, testSize: 64, seed: 5 };
    const [run] = gradientFlow({ ...opts, lengths: [10], cells: ['gru'], updates: 12 });
    const x = addingExperiment('gru', 10, opts);
    try {
      expect(Array.from(x.profile())).toEqual(Array.from(run.start));
      const losses = [...x.train(5), ...x.train(7)];
      expect(x.updates).toBe(12);
      expect(losses).toHaveLength(12);
      expect(losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
      expect(Array.from(x.profile())).toEqual(Array.from(run.end));
      expect(x.testMse()).toBe(run.testMse);
    } finally {
      x.dispose();
    }
    expectError(() => addingExperiment('lstm', 1), RangeError, 'E_RANGE', /at least 2/);
    expectError(() => addingExperiment('conv' as never, 10), RangeError, 'E_RANGE', /cell must be one of/);
    expectError(() => addingExperiment('lstm', 10, { epochs: 1 } as never), TypeError, 'E_OPTION', /addingExperiment\.epochs/);
  });

  it('a ReLU RNN started at 1.05·I explodes without clipping and stays finite with it', () => {
    const [free, clipped] = explodingRelu({ steps: 40, units: 8, updates: 20, scale: 1.1, lr: 0.05 });
    // the gradient grows going back in time
    expect(free.start[0]).toBeGreaterThan(10 * free.start[39]);
    expect(free.clipNorm).toBeUndefined();
    expect(clipped.clipNorm).toBe(1);
    expect(clipped.losses).toHaveLength(20);
    expect(clipped.losses.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(clipped.testMse)).toBe(true);
    expect(free.losses.some((l) => !Number.isFinite(l)) || !Number.isFinite(free.testMse) || free.testMse > 10 * clipped.testMse).toBe(true);
  });

  it('recurrent gradients prints the table and profiles and writes the SVG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grad-'));
    try {
      const svg = join(dir, 'g.svg');
      const r = spawnSync(
        process.execPath,
        [`${ROOT}bin/recurrent.js`, 'gradients', '--lengths', '10,16', '--updates', '15', '--units', '6', '--test', '40', '--chart', svg],
        {
          encoding: 'utf8',
          cwd: ROOT,
          timeout: 120_000,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (const c of ['rnn_tanh', 'lstm', 'gru']) {
        expect(r.stdout).toMatch(new RegExp(`T=10 ${c}\\s+test MSE \\d\\.\\d{4}`));
        expect(r.stdout).toMatch(new RegExp(`\\| ${c} \\| \\d\\.\\d{4} \\| \\d\\.\\d{4} \\|`));
      }
      expect(r.stdout).toContain(`picture: ${svg}`);
      expect(r.stdout).toMatch(/\|\|dL\/dh_t\|\| start: t=0: \d\.\de[-+]\d+/);
      expect(r.stdout).toMatch(/without clipping: .*(blew up at update \d+|test MSE)/);
      expect(r.stdout).toMatch(/clipped at norm 1: .*after 100 updates test MSE \d/);
      const pic = readFileSync(svg, 'utf8');
      expect(pic).toMatch(/^<svg/);
      expect(pic).toContain('adding problem, T = 10');
      // six lines: three cells, start and end
      expect(pic.match(/<polyline/g)).toHaveLength(6);
      expect(pic).toContain('>1e-');
      const bad = spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'gradients', '--cells', 'lstm,transformer'], { encoding: 'utf8', cwd: ROOT });
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/transformer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
