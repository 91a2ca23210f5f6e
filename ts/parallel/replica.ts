// One replica of data-parallel training, inside a worker's Session: it holds the training data
// (sent once), builds its row shard of batch i itself, and leaves its gradient where the
// coordinator (parallel/coordinator.ts) reads it: a slot of a SharedArrayBuffer, or the return
// value. Every replica then applies the same combined gradient, so replicas stay identical.
// What differs between model kinds (how rows become a batch and a gradient, what ends an
// epoch) is a ShardKind: parallel/sequential-shard.ts, parallel/seq2seq-shard.ts.
import { stateError } from '../errors.js';
import type { ScorePart } from '../score.js';
import { dropoutState } from './shards.js';

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

/** What a replica needs of a model (the sequential model and the encoder-decoder both have it). */
export interface ReplicaModel {
  readonly paramCount: number;
  /** The initialisation seed (with the data seed, the step and the replica, it seeds dropout). */
  readonly seed: number;
  setRngState(s: Uint32Array): void;
  getGrads(): Float32Array;
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
  grad(epoch: number, seed: number, i: number, k: number): Omit<ShardResult, 'grads'>;
  /** Ends per-batch state (truncated BPTT's carried state) after a failure or the fit. */
  end(): void;
  /** After an epoch and its validation: the schedule step or the learning-rate decay. */
  endEpoch(): void;
}

export interface ReplicaOptions {
  /** This replica's index and the replica count. */
  w: number;
  n: number;
  /** (n + 1) slots of paramCount f32: slot w is replica w's gradient, slot n the combined one. */
  shared?: SharedArrayBuffer;
  /** Scores this replica's part of the validation data. */
  validate?: () => ScorePart;
}

export class Replica {
  readonly #kind: ShardKind;
  readonly #o: ReplicaOptions;

  constructor(kind: ShardKind, o: ReplicaOptions) {
    this.#kind = kind;
    this.#o = o;
  }

  #slot(k: number): Float32Array | undefined {
    const p = this.#kind.model.paramCount;
    return this.#o.shared && new Float32Array(this.#o.shared, k * p * 4, p);
  }

  /**
   * This replica's gradient of batch `i` of `epoch` (window `k` under truncated BPTT); `step`
   * is the optimizer step about to be taken (it seeds this replica's dropout).
   */
  grad(epoch: number, seed: number, i: number, step: number, k = 0): ShardResult {
    const m = this.#kind.model;
    m.setRngState(dropoutState(m.seed, seed, step, this.#o.w));
    const out: ShardResult = this.#kind.grad(epoch, seed, i, k);
    if (out.count > 0) {
      const g = m.getGrads();
      const slot = this.#slot(this.#o.w);
      if (slot) slot.set(g);
      else out.grads = g;
    }
    return out;
  }

  /** Ends truncated BPTT's carried state (after a failure or the fit). */
  end(): void {
    this.#kind.end();
  }

  /** Applies the combined gradient (given, or slot n of the shared memory). */
  apply(grads?: Float32Array): { gradNorm: number; lr: number } {
    const g = grads ?? this.#slot(this.#o.n);
    if (!g) throw stateError('replica.apply: no gradient was given');
    return this.#kind.model.applyGrads(g);
  }

  /** After an epoch: the same schedule step (or learning-rate decay) on every replica. */
  endEpoch(): void {
    this.#kind.endEpoch();
  }

  validate(): ScorePart | undefined {
    return this.#o.validate?.();
  }
}
