// The sequential model's part of a data-parallel replica (parallel/replica.ts): its rows of
// batch i of the epoch's order, truncated BPTT in windows, the schedule step per epoch.
import { type DataSpec, epochOrder, type ModelShape, makeBatch, type TrainBatch } from '../data/source.js';
import type { Model } from '../model.js';
import type { ShardKind } from './replica.js';
import { shardRange } from './shards.js';

/** The sequential model on `spec`, as replica `w` of `n` trains it. */
export function sequentialShard(
  model: Model,
  o: { spec: DataSpec; shape: ModelShape; batchSize: number; shuffle: boolean; window: number; w: number; n: number },
): ShardKind {
  const { spec, batchSize: bs, w, n, shape, shuffle, window: win } = o;
  let epochSeen = -1;
  let order: Uint32Array = new Uint32Array(0);
  let batch: TrainBatch | undefined;
  /** This replica's rows of batch `i` of `epoch` (undefined when it has none). */
  const shardBatch = (epoch: number, seed: number, i: number): TrainBatch | undefined => {
    if (epoch !== epochSeen) {
      order = epochOrder(spec, epoch, shuffle, seed, bs);
      epochSeen = epoch;
    }
    const start = i * bs;
    const rows = Math.min(order.length, start + bs) - start;
    const [lo, hi] = shardRange(rows, w, n);
    return hi > lo ? makeBatch(spec, order.subarray(start + lo, start + hi), 0, hi - lo, shape) : undefined;
  };
  const end = () => {
    if (!win) return;
    model.core.setCarryState(false);
    model.resetState();
  };
  return {
    model,
    end,
    endEpoch: () => model.scheduleStep(),
    // Under truncated BPTT, window k of the batch (k = 0 builds the batch and starts from a zero
    // state; the state is carried, detached, to window k + 1); the coordinator runs the most
    // windows any shard has, and a shard past its own gives nothing.
    grad(epoch, seed, i, k) {
      if (k === 0) batch = shardBatch(epoch, seed, i);
      const b = batch;
      const none = (windows: number) => ({ loss: 0, count: 0, tokens: 0, windows });
      if (!b) return none(0);
      let input = b.input;
      let targets = b.targets;
      let windows = 1;
      if (win > 0) {
        const t = b.input.steps;
        windows = Math.ceil(t / win);
        if (k >= windows) return none(windows);
        if (k === 0) {
          model.core.setCarryState(true);
          model.resetState();
        }
        const s0 = k * win;
        const len = Math.min(win, t - s0);
        const ids = new Uint32Array(b.input.batch * len);
        const classes = new Int32Array(b.input.batch * len);
        const srcIds = b.input.ids as Uint32Array;
        const srcCls = b.targets.classes as Int32Array;
        for (let r = 0; r < b.input.batch; r++) {
          ids.set(srcIds.subarray(r * t + s0, r * t + s0 + len), r * len);
          classes.set(srcCls.subarray(r * t + s0, r * t + s0 + len), r * len);
        }
        input = { ids, batch: b.input.batch, steps: len };
        targets = { classes };
      }
      let r: { loss: number; count: number };
      try {
        r = model.gradStep(input, targets);
      } finally {
        if (win > 0 && k === windows - 1) end();
      }
      return { loss: r.loss, count: r.count, tokens: k === 0 ? b.tokens : 0, windows };
    },
  };
}
