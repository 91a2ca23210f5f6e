// Adam's lazy rows (`optimizer: { name: 'adam', lazy: true }`, torch.optim.SparseAdam's rule for
// embeddings) from the SDK: rows a batch does not use keep their weights, the others train as
// with plain Adam; replicas stay bit-identical with it; only Adam and AdamW take it. Also the
// gradient's one-copy paths the replicas use (getGrads into an array, applyGrads) and the fused
// reduction of two replicas' gradients, bit for bit against the accumulator it replaced.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init, sequential } from '../dist/index.js';
import { combineGrads } from '../dist/parallel/shards.js';
import { expectError } from './helpers.js';

beforeAll(() => init());

const V = 12;
const E = 4;
const build = () =>
  sequential({ input: { vocab: V } })
    .embedding({ dim: E })
    .gru({ units: 6 })
    .dense({ units: 3 })
    .build({ seed: 2 });
// tokens 0-5 only: rows 6-11 never get a gradient after the first batch
const first = { ids: Uint32Array.from({ length: 24 }, (_, i) => i % V), batch: 2, steps: 12 };
const later = { ids: Uint32Array.from({ length: 24 }, (_, i) => (i * 5) % 6), batch: 2, steps: 12 };
const targets = { classes: Int32Array.from({ length: 24 }, (_, i) => i % 3) };
const rows = (p: Float32Array, lo: number, hi: number) => Array.from(p.subarray(lo * E, hi * E));

describe('lazy rows', () => {
  it('rows a batch does not use keep their weights; the rest trains as plain Adam does', () => {
    const [dense, lazy] = [build(), build()];
    try {
      dense.compile({ optimizer: { name: 'adam', lr: 0.01 } });
      lazy.compile({ optimizer: { name: 'adam', lr: 0.01, lazy: true } });
      for (const m of [dense, lazy]) m.trainStep(first, targets);
      expect(lazy.getParams()).toEqual(dense.getParams()); // every row used: the same step
      const afterFirst = lazy.getParams();
      for (const m of [dense, lazy]) for (let k = 0; k < 3; k++) m.trainStep(later, targets);
      const [d, l] = [dense.getParams(), lazy.getParams()];
      expect(rows(l, 6, V)).toEqual(rows(afterFirst, 6, V)); // unused: unchanged
      expect(rows(d, 6, V)).not.toEqual(rows(afterFirst, 6, V)); // plain Adam: moved by momentum
      expect(rows(l, 0, 6)).toEqual(rows(d, 0, 6));
      expect(Array.from(l.subarray(V * E))).toEqual(Array.from(d.subarray(V * E)));
    } finally {
      dense.dispose();
      lazy.dispose();
    }
  });

  it('is for adam and adamw only (E_OPTION names the key)', () => {
    const m = build();
    try {
      expectError(() => m.compile({ optimizer: { name: 'sgd', lr: 0.1, lazy: true } as never }), TypeError, 'E_OPTION', /lazy/);
      m.compile({ optimizer: { name: 'adamw', lazy: true } });
      expect(m.trainStep(first, targets).loss).toBeGreaterThan(0);
    } finally {
      m.dispose();
    }
  });

  it('keeps two replicas bit-identical', async () => {
    const t = await createTrainer({ workers: 2 });
    try {
      await t.build(
        sequential({ input: { vocab: V } })
          .embedding({ dim: E })
          .gru({ units: 6 })
          .dense({ units: 3 }),
        { seed: 2 },
      );
      await t.compile({ optimizer: { name: 'adam', lr: 0.01, lazy: true } });
      const data = Array.from({ length: 16 }, (_, r) => ({
        ids: Uint32Array.from({ length: 10 }, (_, i) => (r < 8 ? i % 6 : (i + r) % V)),
        targets: Int32Array.from({ length: 10 }, (_, i) => (i + r) % 3),
      }));
      const r = await t.fit(data, { batchSize: 4, epochs: 2, shuffle: false });
      expect(r.steps).toBe(8);
      expect(t.workers).toBe(2);
    } finally {
      await t.dispose();
    }
  });
});

describe("the replicas' gradient paths", () => {
  it('getGrads copies into an array of the right length (E_SHAPE otherwise); applyGrads takes any Float32Array', () => {
    const [a, b] = [build(), build()];
    try {
      for (const m of [a, b]) m.compile({ optimizer: { name: 'adam', lr: 0.01 } });
      a.gradStep(first, targets);
      const out = new Float32Array(new SharedArrayBuffer(4 * a.paramCount));
      expect(a.getGrads(out)).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(a.getGrads()));
      expectError(() => a.getGrads(new Float32Array(3)), RangeError, 'E_SHAPE', /holds 3/);
      a.applyGrads(out);
      b.trainStep(first, targets);
      expect(a.getParams()).toEqual(b.getParams());
      expectError(() => a.applyGrads(new Float32Array(5)), RangeError, 'E_SHAPE', /5 values/);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('the fused reduction of one or two live replicas equals the accumulator, bit for bit', () => {
    let s = 9;
    const rnd = () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return (s / 2 ** 32 - 0.5) * 3;
    };
    const n = 1000;
    const g = [0, 1, 2].map(() => Float32Array.from({ length: n }, rnd));
    g[1][5] = -0;
    g[0][5] = -0;
    // the reference: Σ_w (c_w / Σc) · g_w in f64 from 0, in order, rounded once
    const reference = (counts: number[]) => {
      const total = counts.reduce((x, y) => x + y, 0);
      const out = new Float32Array(n);
      for (let j = 0; j < n; j++) {
        let a = 0;
        for (let w = 0; w < 3; w++) if (counts[w] > 0) a += (counts[w] / total) * g[w][j];
        out[j] = a;
      }
      return out;
    };
    for (const counts of [
      [3, 5, 0],
      [7, 0, 0],
      [0, 2, 9],
      [3, 5, 4],
    ]) {
      const out = new Float32Array(n);
      const loss = combineGrads(g, [1, 2, 3], counts, out, new Float64Array(n));
      expect(Array.from(out).map((x) => Object.is(x, -0))).toEqual(Array.from(reference(counts)).map((x) => Object.is(x, -0)));
      expect(out).toEqual(reference(counts));
      const total = counts.reduce((x, y) => x + y, 0);
      expect(loss).toBeCloseTo((counts[0] * 1 + counts[1] * 2 + counts[2] * 3) / total, 12);
      // a slice reduces the same bits
      const half = new Float32Array(n);
      combineGrads(g, [1, 2, 3], counts, half, new Float64Array(n), 300, 700);
      expect(half.subarray(300, 700)).toEqual(out.subarray(300, 700));
    }
    const none = new Float32Array(n).fill(7);
    expect(combineGrads(g, [1, 2, 3], [0, 0, 0], none, new Float64Array(n))).toBe(0);
    expect(none.every((x) => x === 0)).toBe(true);
  });
});
