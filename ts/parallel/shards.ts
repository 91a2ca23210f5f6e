// Data-parallel arithmetic shared by the coordinator and the replicas: which rows of a batch a
// replica trains on, how the replicas' gradients combine, and each replica's dropout stream.
import { deriveSeed } from '../data/rng.js';

/** Rows [lo, hi) of a batch of `rows` that replica `w` of `n` trains on: ⌊w·rows/n⌋ to
 * ⌊(w+1)·rows/n⌋ (fixed and contiguous; empty when rows < n). */
export function shardRange(rows: number, w: number, n: number): [number, number] {
  return [Math.floor((w * rows) / n), Math.floor(((w + 1) * rows) / n)];
}

/**
 * The gradient of the whole batch's mean loss from the replicas' mean-loss gradients:
 * Σ_w (count_w / Σ count) · grads_w, summed in f64 in the order w = 0, 1, …, n − 1 and rounded
 * once to f32 into `out` (zeros when nothing counted), for the entries [lo, hi) (default: all;
 * a replica reduces its own slice, and each entry's arithmetic does not depend on the slice, so
 * every split gives the same bits). `grads[w]` is only read when count_w > 0; `acc` holds at
 * least hi − lo values. Returns the batch's mean loss, Σ count_w · loss_w / Σ count (0 when
 * nothing counted).
 */
export function combineGrads(
  grads: readonly Float32Array[],
  losses: readonly number[],
  counts: readonly number[],
  out: Float32Array,
  acc: Float64Array,
  lo = 0,
  hi = out.length,
): number {
  const total = counts.reduce((a, c) => a + c, 0);
  const len = hi - lo;
  let loss = 0;
  const live: number[] = [];
  if (total > 0)
    for (let w = 0; w < grads.length; w++) {
      if (counts[w] === 0) continue;
      live.push(w);
      loss += (counts[w] / total) * losses[w];
    }
  if (live.length === 0) out.fill(0, lo, hi);
  else if (live.length <= 2) {
    // one fused pass (the usual 2 replicas): the same sum, 0 + s0·g0 + s1·g1 in f64, in the same
    // order, as the general loop below, without the accumulator's passes over memory
    const g0 = grads[live[0]];
    const s0 = counts[live[0]] / total;
    if (live.length === 1) for (let j = lo; j < hi; j++) out[j] = 0 + s0 * g0[j];
    else {
      const g1 = grads[live[1]];
      const s1 = counts[live[1]] / total;
      for (let j = lo; j < hi; j++) out[j] = 0 + s0 * g0[j] + s1 * g1[j];
    }
  } else {
    acc.fill(0, 0, len);
    for (const w of live) {
      const s = counts[w] / total;
      const g = grads[w];
      for (let j = 0; j < len; j++) acc[j] += s * g[lo + j];
    }
    for (let j = 0; j < len; j++) out[lo + j] = acc[j];
  }
  return loss;
}

/** The dropout RNG state (4 words, never all zero) of replica `w` for optimizer step `step`:
 * a function of the model's seed, the data seed, the step and the replica only, so a run is
 * reproducible for a given number of workers and resumes bit-exactly. */
export function dropoutState(modelSeed: number, dataSeed: number, step: number, w: number): Uint32Array {
  const s = new Uint32Array(4);
  let h = deriveSeed(deriveSeed(modelSeed >>> 0, dataSeed >>> 0), w);
  h = deriveSeed(h, step % 0x1_0000_0000);
  h = deriveSeed(h, Math.floor(step / 0x1_0000_0000));
  for (let k = 0; k < 4; k++) {
    h = deriveSeed(h, k);
    s[k] = h;
  }
  if (s.every((x) => x === 0)) s[0] = 1;
  return s;
}
