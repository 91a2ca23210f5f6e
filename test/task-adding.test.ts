// The adding problem's generator: two marked steps per sequence (one in each half), the target
// is the sum of their values, the statistics are those of the task (always answering 1.0 gives
// an MSE of about 1/6), and a seed fixes the batch.
import { describe, expect, it } from 'vitest';
import { ADDING_BASELINE_MSE, addingProblem } from '../ts/tasks/index.js';
import { expectError } from './helpers.js';

describe('adding problem', () => {
  it('marks exactly two steps, one per half, and targets the sum of their values', () => {
    for (const t of [2, 3, 10, 101]) {
      const b = addingProblem(t, 200, 7);
      expect(b.features).toHaveLength(200 * t * 2);
      expect(b.targets).toHaveLength(200);
      const half = Math.floor(t / 2);
      for (let i = 0; i < 200; i++) {
        const marked: number[] = [];
        let bad = 0;
        for (let s = 0; s < t; s++) {
          const m = b.features[(i * t + s) * 2 + 1];
          if (m === 1) marked.push(s);
          else if (m !== 0) bad++;
          const v = b.features[(i * t + s) * 2];
          if (!(v >= 0 && v < 1)) bad++;
        }
        expect(bad).toBe(0);
        expect(marked).toEqual([b.markers[i * 2], b.markers[i * 2 + 1]]);
        expect(marked[0]).toBeLessThan(half);
        expect(marked[1]).toBeGreaterThanOrEqual(half);
        expect(b.targets[i]).toBe(Math.fround(b.features[(i * t + marked[0]) * 2] + b.features[(i * t + marked[1]) * 2]));
      }
    }
  });

  it('has the task statistics: mean target 1, MSE of answering 1.0 about 1/6, markers spread over each half', () => {
    const t = 100;
    const b = addingProblem(t, 20000, 3);
    let mean = 0;
    let mse = 0;
    for (const y of b.targets) {
      mean += y / b.count;
      mse += (y - 1) ** 2 / b.count;
    }
    // standard errors: 0.0029 for the mean, 0.0011 for the MSE (Var((U+U'-1)²) = 0.0244)
    expect(Math.abs(mean - 1)).toBeLessThan(0.015);
    expect(Math.abs(mse - ADDING_BASELINE_MSE)).toBeLessThan(0.006);
    expect(ADDING_BASELINE_MSE).toBeCloseTo(0.1667, 4);
    // every step of each half is marked, about equally often (expected 400 each)
    const counts = new Array(t).fill(0);
    for (const m of b.markers) counts[m]++;
    expect(Math.min(...counts)).toBeGreaterThan(300);
    expect(Math.max(...counts)).toBeLessThan(500);
    // values are uniform: the mean of all values is about 1/2
    let vm = 0;
    for (let i = 0; i < b.features.length; i += 2) vm += b.features[i];
    expect(Math.abs(vm / (b.features.length / 2) - 0.5)).toBeLessThan(0.005);
  });

  it('is reproducible under a seed and differs between seeds', () => {
    const a = addingProblem(50, 10, 1);
    expect(addingProblem(50, 10, 1)).toEqual(a);
    expect(addingProblem(50, 10, 2).features).not.toEqual(a.features);
  });

  it('rejects bad sizes with E_RANGE', () => {
    expectError(() => addingProblem(1, 4), RangeError, 'E_RANGE', /steps must be at least 2/);
    expectError(() => addingProblem(2.5, 4), RangeError, 'E_RANGE', /steps/);
    expectError(() => addingProblem(10, 0), RangeError, 'E_RANGE', /count/);
    expectError(() => addingProblem(1e6, 1e3), RangeError, 'E_RANGE', /count × steps/);
  });
});
