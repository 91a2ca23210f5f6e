// One replica of data-parallel training, inside a worker's Session: it holds the training data
// (sent once), builds its row shard of batch i itself, and leaves its gradient where the
// coordinator (parallel/coordinator.ts) reads it: a slot of a SharedArrayBuffer, or the return
// value. Every replica then applies the same combined gradient, so replicas stay identical.
import { type DataSpec, epochOrder, type ModelShape, makeBatch, type TrainBatch } from '../data/source.js';
import { stateError } from '../errors.js';
import type { Model } from '../model.js';
import type { ScorePart } from '../session.js';
import { dropoutState, shardRange } from './shards.js';

/** What one replica's shard of a batch gave. `grads` is absent when they went to shared memory
 * or nothing counted. */
export interface ShardResult {
  loss: number;
  count: number;
  tokens: number;
  /** Truncated BPTT windows this shard's batch has (1 without it, 0 for an empty shard). */
  windows: number;
  grads?: Float32Array;
}

export interface ReplicaOptions {
  spec: DataSpec;
  shape: ModelShape;
  batchSize: number;
  shuffle: boolean;
  /** Truncated BPTT window (0 or absent: whole batches). */
  window?: number;
  /** This replica's index and the replica count. */
  w: number;
  n: number;
  /** (n + 1) slots of paramCount f32: slot w is replica w's gradient, slot n the combined one. */
  shared?: SharedArrayBuffer;
  /** Scores this replica's part of the validation data. */
  validate?: () => ScorePart;
}

export class Replica {
  readonly #m: Model;
  readonly #o: ReplicaOptions;
  #epoch = -1;
  #order: Uint32Array = new Uint32Array(0);
  #batch: TrainBatch | undefined;

  constructor(model: Model, o: ReplicaOptions) {
    this.#m = model;
    this.#o = o;
  }

  #slot(k: number): Float32Array | undefined {
    const p = this.#m.paramCount;
    return this.#o.shared && new Float32Array(this.#o.shared, k * p * 4, p);
  }

  /** This replica's rows of batch `i` of `epoch` (undefined when it has none). */
  #shardBatch(epoch: number, seed: number, i: number): TrainBatch | undefined {
    const { spec, batchSize: bs, w, n, shape, shuffle } = this.#o;
    if (epoch !== this.#epoch) {
      this.#order = epochOrder(spec, epoch, shuffle, seed);
      this.#epoch = epoch;
    }
    const start = i * bs;
    const rows = Math.min(this.#order.length, start + bs) - start;
    const [lo, hi] = shardRange(rows, w, n);
    return hi > lo ? makeBatch(spec, this.#order.subarray(start + lo, start + hi), 0, hi - lo, shape) : undefined;
  }

  /**
   * Forward, loss and backward on this replica's rows of batch `i` of `epoch`; `step` is the
   * optimizer step about to be taken (it seeds this replica's dropout). Under truncated BPTT,
   * window `k` of the batch (k = 0 builds the batch and starts from a zero state; the state
   * is carried, detached, to window k + 1); `windows` says how many this shard has (the
   * coordinator runs the most any shard has; a shard past its own gives nothing).
   */
  grad(epoch: number, seed: number, i: number, step: number, k = 0): ShardResult {
    const win = this.#o.window ?? 0;
    if (k === 0) this.#batch = this.#shardBatch(epoch, seed, i);
    const b = this.#batch;
    const none = (windows: number): ShardResult => ({ loss: 0, count: 0, tokens: 0, windows });
    if (!b) return none(0);
    let input = b.input;
    let targets = b.targets;
    let windows = 1;
    if (win > 0) {
      const t = b.input.steps;
      windows = Math.ceil(t / win);
      if (k >= windows) return none(windows);
      if (k === 0) {
        this.#m.core.setCarryState(true);
        this.#m.resetState();
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
    this.#m.setRngState(dropoutState(this.#m.seed, seed, step, this.#o.w));
    let r: { loss: number; count: number };
    try {
      r = this.#m.gradStep(input, targets);
    } finally {
      if (win > 0 && k === windows - 1) this.end();
    }
    const out: ShardResult = { loss: r.loss, count: r.count, tokens: k === 0 ? b.tokens : 0, windows };
    if (r.count > 0) {
      const g = this.#m.getGrads();
      const slot = this.#slot(this.#o.w);
      if (slot) slot.set(g);
      else out.grads = g;
    }
    return out;
  }

  /** Ends truncated BPTT's carried state (after a batch's last window, a failure, or the fit). */
  end(): void {
    if (!(this.#o.window ?? 0)) return;
    this.#m.core.setCarryState(false);
    this.#m.resetState();
  }

  /** Applies the combined gradient (given, or slot n of the shared memory). */
  apply(grads?: Float32Array): { gradNorm: number; lr: number } {
    const g = grads ?? this.#slot(this.#o.n);
    if (!g) throw stateError('replica.apply: no gradient was given');
    return this.#m.applyGrads(g);
  }

  validate(): ScorePart | undefined {
    return this.#o.validate?.();
  }
}
