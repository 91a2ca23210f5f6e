// Splitting an inference batch whose B·T is above what the core takes in one call
// (`maxBatchSteps`: the core's 2^27 floats of activations over the floats a model keeps per
// row and step) into groups of whole rows, each padded only to its own longest row; the
// outputs are put back in the caller's [B, T] layout.
import { rangeError } from './errors.js';
import type { BatchInput, BatchTargets } from './model.js';

/** Rows [start, end) of a batch, run padded to `steps`. */
export interface RowGroup {
  start: number;
  end: number;
  steps: number;
}

/** Valid steps of each row (all T without `lengths`). */
export function rowLengths(batch: number, steps: number, lengths?: ArrayLike<number>): number[] {
  return Array.from({ length: batch }, (_, b) => (lengths ? Math.min(lengths[b], steps) : steps));
}

/** Contiguous groups of rows whose count × longest row fits `maxSteps` (greedy, in order).
 * E_RANGE naming the limit when one row alone is longer than `maxSteps`. */
export function rowGroups(lens: readonly number[], maxSteps: number): RowGroup[] {
  const groups: RowGroup[] = [];
  let start = 0;
  let longest = 1;
  for (let b = 0; b < lens.length; b++) {
    const l = Math.max(1, lens[b]);
    if (l > maxSteps)
      throw rangeError(
        `row ${b} has ${l} steps, more than this model takes in one call (${maxSteps} steps: the core's 2^27 floats of activations over the floats the model keeps per step); split the sequence into shorter pieces`,
      );
    const next = Math.max(longest, l);
    if (b > start && (b - start + 1) * next > maxSteps) {
      groups.push({ start, end: b, steps: longest });
      start = b;
      longest = l;
    } else longest = next;
  }
  if (lens.length > start) groups.push({ start, end: lens.length, steps: longest });
  return groups;
}

/** Rows [g.start, g.end) of row-major per-step data [B, T, width], re-padded to g.steps. */
export function sliceRows<A extends Uint32Array | Int32Array | Float32Array>(data: A, steps: number, width: number, g: RowGroup, lens: readonly number[]): A {
  const out = new (data.constructor as { new (n: number): A })((g.end - g.start) * g.steps * width);
  for (let b = g.start; b < g.end; b++) {
    const n = Math.min(lens[b], g.steps) * width;
    out.set(data.subarray(b * steps * width, b * steps * width + n), (b - g.start) * g.steps * width);
  }
  return out;
}

/** Copies a group's output [rows·g.steps, width] (or [rows, width] when `perStep` is false)
 * into the whole batch's output [B·T, width] (or [B, width]). */
export function placeRows<A extends Float32Array | Int32Array>(part: A, out: A, steps: number, width: number, g: RowGroup, perStep: boolean): void {
  for (let b = g.start; b < g.end; b++) {
    const r = b - g.start;
    if (perStep) out.set(part.subarray(r * g.steps * width, (r + 1) * g.steps * width), b * steps * width);
    else out.set(part.subarray(r * width, (r + 1) * width), b * width);
  }
}

/** A batch and its targets as parts of whole rows that each fit `maxSteps` (the batch itself
 * when it fits), for losses over a batch above the per-call limit: each part's loss is a mean
 * over its own counted rows. `perStep`: targets per step ([B·T] classes, [B·T·O] values) or per
 * sequence ([B], [B·O]). */
export function fittingParts<X extends { input: BatchInput; targets: BatchTargets }>(
  batch: X,
  maxSteps: number,
  perStep: boolean,
): { input: BatchInput; targets: BatchTargets }[] {
  const { input, targets } = batch;
  const { batch: b, steps: t } = input;
  if (b * t <= maxSteps) return [{ input, targets }];
  const lens = rowLengths(b, t, input.lengths);
  const ids = input.ids === undefined ? undefined : input.ids instanceof Uint32Array ? input.ids : Uint32Array.from(input.ids);
  const classes = targets.classes === undefined ? undefined : targets.classes instanceof Int32Array ? targets.classes : Int32Array.from(targets.classes);
  const values = targets.values;
  // per-sequence targets: one "step" per row
  const one = lens.map(() => 1);
  return rowGroups(lens, maxSteps).map((g) => {
    const tl = perStep ? lens : one;
    const gt = perStep ? g : { ...g, steps: 1 };
    const tt = perStep ? t : 1;
    const part: BatchInput = { batch: g.end - g.start, steps: g.steps, lengths: lens.slice(g.start, g.end) };
    // ids [B, T, slots]: the slots are the width of a step
    if (ids) part.ids = sliceRows(ids, t, Math.max(1, Math.round(ids.length / (b * t))), g, lens);
    if (input.features) part.features = sliceRows(input.features, t, input.features.length / (b * t), g, lens);
    const pt: BatchTargets = {};
    if (classes) pt.classes = sliceRows(classes, tt, 1, gt, tl).map((c, i) => (perStep && i % g.steps >= lens[g.start + Math.floor(i / g.steps)] ? -100 : c));
    if (values) pt.values = sliceRows(values, tt, values.length / (b * tt), gt, tl);
    return { input: part, targets: pt };
  });
}
