// One replica of data-parallel training, inside a worker's Session: it holds the training data
// (sent once per fit) and builds its row shard of batch i itself. With shared memory
// (parallel/step-memory.ts) the replicas take each step among themselves: every replica
// computes its shard's gradient into its slot, they meet at a barrier, each reduces its own
// slice of the parameters over all slots in a fixed order into the combined gradient
// (reduce-scatter), they meet again, and every replica applies the whole combined gradient
// (all-gather: the optimizer's update is elementwise and costs ~1% of a step, so each replica
// runs it on every parameter rather than gathering updated weights and optimizer state). Replica
// 0 starts each step (parallel/lead.ts). Without shared memory the gradient is the return value
// and the coordinator (parallel/coordinator.ts) combines it. Either way every replica applies the
// same combined gradient, so replicas stay bit-identical.
// What differs between model kinds (how rows become a batch and a gradient, what ends an
// epoch) is a ShardKind: parallel/sequential-shard.ts, parallel/seq2seq-shard.ts.
import { stateError } from '../errors.js';
import type { ScorePart } from '../score.js';
import { combineGrads, dropoutState, shardRange } from './shards.js';
import { StepMemory } from './step-memory.js';

/** What one replica's shard of a batch gave. `grads` is absent when nothing counted. */
export interface ShardResult {
  loss: number;
  count: number;
  tokens: number;
  /** Truncated BPTT windows this shard's batch has (1 without it, 0 for an empty shard). */
  windows: number;
  grads?: Float32Array;
  /** Milliseconds this replica spent on it (forward, backward, the gradient out). */
  ms: number;
}

/** What a replica needs of a model (the sequential model and the encoder-decoder both have it). */
export interface ReplicaModel {
  readonly paramCount: number;
  /** The initialisation seed (with the data seed, the step and the replica, it seeds dropout). */
  readonly seed: number;
  setRngState(s: Uint32Array): void;
  /** The gradient; with `out`, copied into it (and `out` returned). */
  getGrads(out?: Float32Array): Float32Array;
  applyGrads(grads: Float32Array): { gradNorm: number; lr: number };
}

/** A model kind's part of a replica: its rows of a batch, their gradient, the epoch's end. */
export interface ShardKind {
  readonly model: ReplicaModel;
  /**
   * Forward, loss and backward (gradient of the mean loss left in the model) on this replica's
   * rows of batch `i` of `epoch` (data seed `seed`), window `k` under truncated BPTT (0
   * otherwise). Dropout is seeded already. `count` weighs the gradient in the reduction (rows or
   * target tokens: what the loss is a mean over); `windows` is 0 when the shard has no rows.
   */
  grad(epoch: number, seed: number, i: number, k: number): Omit<ShardResult, 'grads' | 'ms'>;
  /** Ends per-batch state (truncated BPTT's carried state) after a failure or the fit. */
  end(): void;
  /** After an epoch and its validation: the schedule step or the learning-rate decay. */
  endEpoch(): void;
}

export interface ReplicaOptions {
  /** This replica's index and the replica count. */
  w: number;
  n: number;
  /** The fit's shared memory (parallel/step-memory.ts); absent on the message path. */
  shared?: SharedArrayBuffer;
  /** Scores this replica's part of the validation data. */
  validate?: () => ScorePart;
}

/** One step taken among the replicas through shared memory (`Replica.step`). */
export interface ReplicaStep {
  /** The batch's mean loss (the mean over its truncated BPTT windows). */
  loss: number;
  gradNorm: number;
  lr: number;
  /** Optimizer updates (1, or one per truncated BPTT window). */
  updates: number;
  /** Tokens of the whole batch (every replica's). */
  tokens: number;
  /** This replica's milliseconds by phase (bench/profile.mjs). */
  ms: { compute: number; barrier: number; combine: number; apply: number };
}

export class Replica {
  readonly #kind: ShardKind;
  readonly #o: ReplicaOptions;
  readonly #mem: StepMemory | undefined;
  #acc: Float64Array | undefined;

  constructor(kind: ShardKind, o: ReplicaOptions) {
    this.#kind = kind;
    this.#o = o;
    this.#mem = o.shared && new StepMemory(o.shared, o.n, kind.model.paramCount);
  }

  /**
   * This replica's gradient of batch `i` of `epoch` (window `k` under truncated BPTT); `step`
   * is the optimizer step about to be taken (it seeds this replica's dropout).
   */
  grad(epoch: number, seed: number, i: number, step: number, k = 0): ShardResult {
    const t0 = performance.now();
    const m = this.#kind.model;
    m.setRngState(dropoutState(m.seed, seed, step, this.#o.w));
    const out: ShardResult = { ...this.#kind.grad(epoch, seed, i, k), ms: 0 };
    if (out.count > 0) {
      if (this.#mem) m.getGrads(this.#mem.slots[this.#o.w]);
      else out.grads = m.getGrads();
    }
    out.ms = performance.now() - t0;
    return out;
  }

  /**
   * Batch `i` of `epoch` trained among the replicas through shared memory (every replica calls
   * it for the same batch; `step` is the optimizer step about to be taken): per update, the
   * shard's gradient, a barrier, this replica's slice of the combined gradient, a barrier, the
   * update. A failure here raises the barrier's abort flag, so no other replica is left waiting.
   * `probe` (workers: 'auto' timing the replicas, parallel/auto.ts): the first update without
   * applying it (the weights stay as they are).
   */
  step(epoch: number, seed: number, i: number, step: number, probe = false): ReplicaStep {
    const mem = this.#mem;
    if (!mem) throw stateError('replica.step needs shared memory (replicaBegin with a SharedArrayBuffer)');
    const { w, n } = this.#o;
    const [lo, hi] = shardRange(this.#kind.model.paramCount, w, n);
    if (!this.#acc || this.#acc.length < hi - lo) this.#acc = new Float64Array(hi - lo);
    const ms = { compute: 0, barrier: 0, combine: 0, apply: 0 };
    let windows = 1;
    let tokens = 0;
    let lossSum = 0;
    let out = { gradNorm: 0, lr: 0 };
    try {
      for (let k = 0; k < windows; k++) {
        const r = this.grad(epoch, seed, i, step + k, k);
        ms.compute += r.ms;
        mem.put(w, r.loss, r.count, r.tokens, r.windows);
        ms.barrier += mem.barrier.wait();
        if (k === 0) {
          windows = Math.max(1, ...mem.column(3));
          tokens = mem.column(2).reduce((a, b) => a + b, 0);
        }
        const t0 = performance.now();
        lossSum += combineGrads(mem.slots, mem.column(0), mem.column(1), mem.combined, this.#acc, lo, hi);
        ms.combine += performance.now() - t0;
        ms.barrier += mem.barrier.wait();
        if (probe) {
          this.#kind.end();
          break;
        }
        const t1 = performance.now();
        out = this.#kind.model.applyGrads(mem.combined);
        ms.apply += performance.now() - t1;
      }
    } catch (e) {
      mem.barrier.abort();
      throw e;
    }
    return { loss: lossSum / windows, gradNorm: out.gradNorm, lr: out.lr, updates: windows, tokens, ms };
  }

  /** The fit's shared memory (absent on the message path). */
  get memory(): StepMemory | undefined {
    return this.#mem;
  }

  /** Ends truncated BPTT's carried state (after a failure or the fit). */
  end(): void {
    this.#kind.end();
  }

  /** Applies the combined gradient the coordinator sent (the message path). */
  apply(grads: Float32Array): { gradNorm: number; lr: number; ms: number } {
    const t0 = performance.now();
    return { ...this.#kind.model.applyGrads(grads), ms: performance.now() - t0 };
  }

  /** After an epoch: the same schedule step (or learning-rate decay) on every replica. */
  endEpoch(): void {
    this.#kind.endEpoch();
  }

  validate(): ScorePart | undefined {
    return this.#o.validate?.();
  }
}
