// CTC through the wasm build: PyTorch's fixtures (test/fixtures/torch-ctc) via the conformance
// runner, finite differences at odd sizes, decoding by hand and against brute force, and errors.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFixtures } from '../dist/cli/conformance/runner.js';
import { ctcDecode, ctcLoss, init } from '../dist/index.js';
import { ROOT } from './helpers.js';

beforeAll(() => init());

const DIR = join(ROOT, 'test/fixtures/torch-ctc');

/** A small seeded generator (mulberry32), so the cases are the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('CTC loss', () => {
  it('matches every PyTorch fixture (loss and gradient) through the conformance runner', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(6);
    const { reports, passed, failed } = runFixtures(files.map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8'))));
    for (const r of reports) expect(r.ok, `${r.case}: ${r.error ?? JSON.stringify(r.tensors)}`).toBe(true);
    expect([passed, failed]).toEqual([6, 0]);
    expect(reports.every((r) => r.kind === 'ctc' && r.tensors.length === 2)).toBe(true);
  });

  it('agrees with finite differences at odd sizes (blank not 0, both reductions, ragged lengths)', () => {
    const r = rng(7);
    let worst = 0;
    for (const [b, t, c, blank, reduction] of [
      [3, 7, 5, 4, 'mean'],
      [2, 6, 4, 1, 'sum'],
    ] as const) {
      const scores = Float32Array.from({ length: b * t * c }, () => r() * 4 - 2);
      const labels = Array.from({ length: c }, (_, i) => i).filter((i) => i !== blank);
      const targets = Array.from({ length: b }, (_, row) => Array.from({ length: row === b - 1 ? 0 : 1 + row }, () => labels[Math.floor(r() * labels.length)]));
      const inputLengths = Array.from({ length: b }, (_, row) => t - row);
      const input = { scores, batch: b, steps: t, classes: c, inputLengths, targets };
      const { grad } = ctcLoss(input, { blank, reduction });
      const eps = 1e-2;
      for (let i = 0; i < scores.length; i++) {
        const x0 = scores[i];
        scores[i] = x0 + eps;
        const lp = ctcLoss(input, { blank, reduction }).loss;
        scores[i] = x0 - eps;
        const lm = ctcLoss(input, { blank, reduction }).loss;
        scores[i] = x0;
        const fd = (lp - lm) / (2 * eps);
        const e = Math.abs(fd - grad[i]);
        expect(e, `b${b} t${t} c${c} [${i}]`).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(fd));
        worst = Math.max(worst, e);
      }
    }
    console.log(`[ctc] finite differences through wasm: worst |Δ| ${worst.toExponential(2)}`);
  });

  it('gives typed errors that name what is wrong', () => {
    const scores = new Float32Array(2 * 3 * 4);
    const base = { scores, batch: 2, steps: 3, classes: 4, targets: [[1], [2, 3]] };
    expect(ctcLoss(base).loss).toBeGreaterThan(0);
    const cases: [object, object, string, RegExp][] = [
      [{ ...base, targets: [[1, 0], [2]] }, {}, 'E_RANGE', /targets\[0\]\[1\]/],
      [{ ...base, targets: [[1, 4], [2]] }, {}, 'E_RANGE', /targets\[0\]\[1\]/],
      [{ ...base, targets: [[1]] }, {}, 'E_SHAPE', /2 label sequences/],
      [{ ...base, batch: 3 }, {}, 'E_SHAPE', /scores/],
      [{ ...base, inputLengths: [3, 4] }, {}, 'E_RANGE', /inputLengths\[1\]/],
      [base, { blank: 4 }, 'E_RANGE', /blank/],
      [base, { reduction: 'none' }, 'E_OPTION', /reduction/],
      [base, { zeroInfinty: true }, 'E_OPTION', /zeroInfinty/],
      [{ ...base, batch: -1 }, {}, 'E_RANGE', /batch/],
    ];
    for (const [input, opts, code, msg] of cases) {
      let err: unknown;
      try {
        ctcLoss(input as Parameters<typeof ctcLoss>[0], opts as Parameters<typeof ctcLoss>[1]);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toMatchObject({ code });
      expect((err as Error).message).toMatch(msg);
    }
    const nan = scores.slice();
    nan[3] = Number.NaN;
    expect(() => ctcLoss({ ...base, scores: nan })).toThrow(expect.objectContaining({ code: 'E_NONFINITE' }));
  });
});

describe('CTC decoding', () => {
  it('greedy collapses repeats, then drops blanks, row by row over each row’s frames', () => {
    const c = 4;
    const rows = [
      [1, 1, 3, 1, 2, 2, 3, 3],
      [2, 3, 2, 2, 1, 0, 0, 0],
    ];
    const scores = new Float32Array(2 * 8 * c);
    for (const [b, best] of rows.entries()) {
      for (const [t, k] of best.entries()) scores[(b * 8 + t) * c + k] = 6;
    }
    const out = ctcDecode(scores, { batch: 2, steps: 8, classes: c, blank: 3, lengths: [8, 5] });
    expect(out.map((r) => r[0].labels)).toEqual([
      [1, 1, 2],
      [2, 2, 1],
    ]);
    expect(out[0][0].logProb).toBeLessThan(0);
  });

  it('prefix beam search with a wide beam finds the most probable labelling (brute force over every alignment)', () => {
    const r = rng(3);
    for (let trial = 0; trial < 12; trial++) {
      const t = 3 + (trial % 3);
      const c = 3;
      const blank = trial % c;
      const scores = Float32Array.from({ length: t * c }, () => r() * 4 - 2);
      const lp: number[] = [];
      for (let tt = 0; tt < t; tt++) {
        const row = Array.from(scores.subarray(tt * c, tt * c + c));
        const m = Math.max(...row);
        const ls = Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
        lp.push(...row.map((v) => v - ls));
      }
      const probs = new Map<string, number>();
      for (let code = 0; code < c ** t; code++) {
        let k = code;
        let p = 0;
        const labels: number[] = [];
        let prev = -1;
        for (let tt = 0; tt < t; tt++) {
          const j = k % c;
          k = Math.floor(k / c);
          p += lp[tt * c + j];
          if (j !== blank && j !== prev) labels.push(j);
          prev = j;
        }
        probs.set(labels.join(','), (probs.get(labels.join(',')) ?? 0) + Math.exp(p));
      }
      const [bestKey, bestP] = [...probs.entries()].sort((a, b) => b[1] - a[1])[0];
      const [[h]] = ctcDecode(scores, { batch: 1, steps: t, classes: c, blank, beam: 256, nBest: 1 });
      expect(h.labels.join(','), `trial ${trial}`).toBe(bestKey);
      expect(Math.exp(h.logProb)).toBeCloseTo(bestP, 9);
      // Its loss is −log of the same probability.
      if (h.labels.length) {
        const { loss } = ctcLoss({ scores, batch: 1, steps: t, classes: c, targets: [h.labels] }, { blank, reduction: 'sum' });
        expect(loss).toBeCloseTo(-h.logProb, 9);
      }
    }
  });

  it('returns nBest hypotheses, most probable first, and rejects bad options', () => {
    const r = rng(9);
    const scores = Float32Array.from({ length: 6 * 5 }, () => r() * 2);
    const [hyps] = ctcDecode(scores, { batch: 1, steps: 6, classes: 5, beam: 8, nBest: 4 });
    expect(hyps).toHaveLength(4);
    for (let i = 1; i < hyps.length; i++) expect(hyps[i].logProb).toBeLessThanOrEqual(hyps[i - 1].logProb);
    expect(() => ctcDecode(scores, { batch: 1, steps: 6, classes: 5, beam: 2, nBest: 3 })).toThrow(expect.objectContaining({ code: 'E_RANGE' }));
    expect(() => ctcDecode(scores, { batch: 1, steps: 6, classes: 5, blank: 5 })).toThrow(expect.objectContaining({ code: 'E_RANGE' }));
    expect(() => ctcDecode(scores, { batch: 1, steps: 5, classes: 5 })).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(() => ctcDecode(scores, { batch: 1, steps: 6, classes: 5, beem: 3 } as never)).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
  });
});
