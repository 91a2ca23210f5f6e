// The adding problem (Hochreiter & Schmidhuber 1997, experiment 4; the variant of Le, Jaitly
// & Hinton 2015): a sequence of T steps, each two features [value, marker]; values are uniform
// in [0, 1), exactly two steps are marked (one in the first half, one in the second), and the
// target is the sum of the two marked values. Answering 1.0 always gives an MSE of 1/6 ≈ 0.167
// (the variance of a sum of two uniforms), so a model only beats that by carrying the first
// marked value across about T/2 steps.

import { posInt, rangeError } from '../errors.js';
import { Rng } from '../index.js';

/** MSE of always answering 1.0 (the mean target): Var(U + U') = 2/12 = 1/6. */
export const ADDING_BASELINE_MSE = 1 / 6;

/** Most count × steps one call draws (2^24: 128 MiB of features). */
const MAX_VALUES = 2 ** 24;

/** A batch of adding-problem sequences, batch-first. */
export interface AddingBatch {
  /** Sequences. */
  count: number;
  /** Steps per sequence. */
  steps: number;
  /** [count, steps, 2]: per step [value in [0, 1), marker 0 or 1]. */
  features: Float32Array;
  /** [count, 1]: the sum of the two marked values. */
  targets: Float32Array;
  /** [count, 2]: the marked steps, first (in [0, ⌊T/2⌋)) then second (in [⌊T/2⌋, T)). */
  markers: Uint32Array;
}

/**
 * `count` adding-problem sequences of `steps` steps (at least 2), drawn from `seed`
 * (the same seed gives the same batch on every runtime).
 * @example
 * ```ts
 * const b = addingProblem(100, 4, 1);
 * console.log(b.features.length, b.targets[0]); // 800, the sum of sequence 0's marked values
 * ```
 */
export function addingProblem(steps: number, count: number, seed = 0): AddingBatch {
  const t = posInt('steps', steps);
  if (t < 2) throw rangeError(`steps must be at least 2 (one marker in each half; got ${t})`);
  const n = posInt('count', count);
  if (n * t > MAX_VALUES) throw rangeError(`count × steps = ${n * t} is above the limit of ${MAX_VALUES}`);
  const rng = new Rng(seed);
  const features = new Float32Array(n * t * 2);
  const targets = new Float32Array(n);
  const markers = new Uint32Array(n * 2);
  const half = Math.floor(t / 2);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < t; s++) features[(i * t + s) * 2] = rng.next();
    const a = rng.below(half);
    const b = half + rng.below(t - half);
    markers[i * 2] = a;
    markers[i * 2 + 1] = b;
    features[(i * t + a) * 2 + 1] = 1;
    features[(i * t + b) * 2 + 1] = 1;
    // the sum of the two f32 values, as the model sees them
    targets[i] = features[(i * t + a) * 2] + features[(i * t + b) * 2];
  }
  return { count: n, steps: t, features, targets, markers };
}
