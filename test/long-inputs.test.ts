// Inputs of any length: an inference batch above what the core takes in one call
// (maxBatchSteps = 2^27 floats of activations over the model's floats per step) runs as
// groups of whole rows with the same results; one row above it is a clear E_RANGE; a test set
// of 1,000-character sentences scores at the segmentation sizes; and a training verb
// whose scoring fails leaves its model on disk and says where.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fittingParts, rowGroups } from '../dist/batch-split.js';
import { init, sequential } from '../dist/index.js';
import { charVocabulary, Segmenter } from '../dist/tasks/index.js';
import { expectError, ROOT } from './helpers.js';

beforeAll(async () => {
  await init();
});

/** Token ids [B·T] of rows with the given lengths (padding 0) and a deterministic pattern. */
function batchOf(lengths: number[], vocab: number) {
  const steps = Math.max(...lengths);
  const ids = new Uint32Array(lengths.length * steps);
  lengths.forEach((l, b) => {
    for (let t = 0; t < l; t++) ids[b * steps + t] = (b * 7 + t * 3 + ((t * t) % 5)) % vocab;
  });
  return { ids, batch: lengths.length, steps, lengths };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

/** One row alone, as its own batch of T = its length. */
function rowOf(input: ReturnType<typeof batchOf>, b: number) {
  const l = input.lengths[b];
  return { ids: input.ids.slice(b * input.steps, b * input.steps + Math.max(1, l)), batch: 1, steps: Math.max(1, l), lengths: [l] };
}

describe('batches above the per-call limit', () => {
  it('groups whole rows greedily, each padded to its own longest row', () => {
    expect(rowGroups([3, 3, 3, 3], 6)).toEqual([
      { start: 0, end: 2, steps: 3 },
      { start: 2, end: 4, steps: 3 },
    ]);
    expect(rowGroups([1, 5, 0, 2], 10)).toEqual([
      { start: 0, end: 2, steps: 5 },
      { start: 2, end: 4, steps: 2 },
    ]);
    expectError(() => rowGroups([2, 11], 10), RangeError, 'E_RANGE', /row 1 has 11 steps, more than this model takes in one call \(10 steps/);
  });

  it('decode and forward split a batch by rows and give what each row gives alone', () => {
    // a 20,000-wide dense layer makes the floats per step large and the arithmetic small
    const m = sequential({ input: { vocab: 11 } })
      .embedding({ dim: 2 })
      .dense({ units: 20_000 })
      .dense({ units: 3 })
      .crf()
      .build({ seed: 4 });
    m.setParam(
      'crf.transitions',
      Float32Array.from({ length: 9 }, (_, i) => Math.cos(i * 2.3)),
    );
    const max = m.maxBatchSteps;
    expect(max).toBeGreaterThan(1000);
    expect(max).toBeLessThan(3000);
    const input = batchOf([max - 1, 5, 0, 3, 200, 1], 11);
    expect(input.batch * input.steps).toBeGreaterThan(max);
    const paths = m.decode(input);
    const out = m.forward(input);
    expect(paths.length).toBe(input.batch * input.steps);
    expect(out.length).toBe(input.batch * input.steps * 3);
    input.lengths.forEach((l, b) => {
      const one = rowOf(input, b);
      const row = paths.subarray(b * input.steps, (b + 1) * input.steps);
      if (l > 0) expect(Array.from(row.subarray(0, l))).toEqual(Array.from(m.decode(one)));
      expect(row.subarray(l).every((x) => x === -1)).toBe(true);
      if (l > 300) return; // the long row's forward is checked by its decode (keeps the test short)
      const y = m.forward(one);
      const got = out.subarray(b * input.steps * 3, (b * input.steps + l) * 3);
      // the same up to f32 summation order (the GEMM blocks by the number of rows)
      expect(maxDiff(got, y.subarray(0, l * 3))).toBeLessThan(1e-5);
    });
    // a loss needs a forward that ran as one call
    m.forward(input);
    expectError(() => m.loss({ classes: new Int32Array(input.batch * input.steps) }), TypeError, 'E_STATE', /ran as several calls.*maxBatchSteps/);
    // one row longer than the limit: E_RANGE naming it
    const long = batchOf([max + 1], 11);
    expectError(() => m.decode(long), RangeError, 'E_RANGE', new RegExp(`row 0 has ${max + 1} steps, more than this model takes in one call \\(${max} steps`));
  });

  it('a classifier (one output per sequence) splits the same way', () => {
    const m = sequential({ input: { vocab: 9 } })
      .embedding({ dim: 2 })
      .dense({ units: 20_000 })
      .lstm({ units: 2, returnSequences: false })
      .dense({ units: 2 })
      .build({ seed: 5 });
    const max = m.maxBatchSteps;
    const input = batchOf([max - 3, 2, 40, 9], 9);
    expect(input.batch * input.steps).toBeGreaterThan(max);
    const out = m.forward(input);
    expect(out.length).toBe(input.batch * 2);
    input.lengths.forEach((_, b) => {
      expect(maxDiff(out.subarray(b * 2, b * 2 + 2), m.forward(rowOf(input, b)))).toBeLessThan(1e-5);
    });
  });
});

describe('losses over a batch above the per-call limit', () => {
  it('fittingParts cuts a batch and its targets into whole rows whose losses add up to the rows alone', () => {
    const m = sequential({ input: { vocab: 7 } })
      .embedding({ dim: 2 })
      .dense({ units: 20_000 })
      .dense({ units: 3 })
      .build({ seed: 6 });
    m.compile({ loss: 'crossEntropy' });
    const max = m.maxBatchSteps;
    const input = batchOf([40, max - 50, 3, 0, 17], 7);
    const classes = Int32Array.from({ length: input.batch * input.steps }, (_, i) => (i % 5 === 4 ? -100 : i % 3));
    const parts = fittingParts({ input, targets: { classes } }, max, true);
    expect(parts.length).toBeGreaterThan(1);
    let sum = 0;
    let count = 0;
    for (const p of parts) {
      expect(p.input.batch * p.input.steps).toBeLessThanOrEqual(max);
      m.forward(p.input);
      const r = m.loss(p.targets);
      sum += r.loss * r.count;
      count += r.count;
    }
    let want = 0;
    let wantCount = 0;
    input.lengths.forEach((l, b) => {
      if (l === 0) return;
      m.forward(rowOf(input, b));
      const r = m.loss({ classes: classes.slice(b * input.steps, b * input.steps + l) });
      want += r.loss * r.count;
      wantCount += r.count;
    });
    expect(count).toBe(wantCount);
    expect(Math.abs(sum - want) / want).toBeLessThan(1e-5);
    // a batch that fits is passed through as it is
    const small = batchOf([3, 2], 7);
    const t = { classes: new Int32Array(6) };
    expect(fittingParts({ input: small, targets: t }, max, true)).toEqual([{ input: small, targets: t }]);
  });
});

describe('long sentences in tasks and verbs', () => {
  it('scores a test set of 1,000-character sentences at embed 64 × 128 units (the batch is above the per-call limit)', () => {
    const words = ['我们', '喜欢', '学习', '北京', '学校', '他', '是', '学生'];
    const sents = Array.from({ length: 24 }, (_, i) => {
      const s: string[] = [];
      let n = 0;
      for (let j = 0; n < 1000 + i; j++) {
        const w = words[(i + j * 3) % words.length];
        s.push(w);
        n += w.length;
      }
      return s;
    });
    const seg = Segmenter.create(charVocabulary(sents), { embed: 64, hidden: 128, seed: 2 });
    try {
      const max = seg.session.model.maxBatchSteps;
      expect(24 * 1000).toBeGreaterThan(max);
      const texts = sents.map((s) => s.join(''));
      const out = seg.segment(texts);
      expect(out.map((w) => w.join(''))).toEqual(texts);
      const score = seg.evaluate(sents);
      expect(score.f1).toBeGreaterThanOrEqual(0);
      expect(score.f1).toBeLessThanOrEqual(1);
    } finally {
      seg.dispose();
    }
  });

  it('segment train whose scoring fails leaves its model on disk and says where', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-long-'));
    const corpus = join(dir, 'train.txt');
    const test = join(dir, 'test.txt');
    const model = join(dir, 'seg.safetensors');
    writeFileSync(corpus, '我们 喜欢 学习\n他们 在 学校\n他 是 学生\n');
    // at embed 512 × 512 units one call takes 5,348 steps: a 6,000-character test line cannot be scored
    writeFileSync(test, `${'我们 喜欢 '.repeat(1500)}\n`);
    const r = spawnSync(
      process.execPath,
      [`${ROOT}bin/recurrent.js`, 'segment', 'train', '--corpus', corpus, '--test', test, '--updates', '1', '--batch', '1', '--max-chars', '4'].concat([
        '--embed',
        '512',
        '--units',
        '512',
        '--out',
        model,
      ]),
      { encoding: 'utf8', cwd: ROOT, timeout: 120_000 },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/E_RANGE: row 0 has 6000 steps, more than this model takes in one call \(5348 steps/);
    expect(r.stderr).toContain(`scoring failed after training; the trained model is saved in ${model}`);
    expect(r.stdout).toContain(`model saved to ${model}`);
    expect(existsSync(model)).toBe(true);
    const run = spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'segment', 'run', '--model', model, '--text', '我们喜欢'], {
      encoding: 'utf8',
      cwd: ROOT,
      timeout: 120_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout.replace(/\s/g, '')).toBe('我们喜欢');
  });
});
