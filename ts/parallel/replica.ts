// One replica of data-parallel training, inside a worker's Session: it holds the training data
// (sent once), builds its row shard of batch i itself, and leaves its gradient where the
// coordinator (parallel/coordinator.ts) reads it: a slot of a SharedArrayBuffer, or the return
// value. Every replica then applies the same combined gradient, so replicas stay identical.
import { type DataSpec, epochOrder, type ModelShape, makeBatch } from '../data/source.js';
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
  grads?: Float32Array;
}

export interface ReplicaOptions {
  spec: DataSpec;
  shape: ModelShape;
  batchSize: number;
  shuffle: boolean;
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

  constructor(model: Model, o: ReplicaOptions) {
    this.#m = model;
    this.#o = o;
  }

  #slot(k: number): Float32Array | undefined {
    const p = this.#m.paramCount;
    return this.#o.shared && new Float32Array(this.#o.shared, k * p * 4, p);
  }

  /** Forward, loss and backward on this replica's rows of batch `i` of `epoch`; `step` is the
   * optimizer step about to be taken (it seeds this replica's dropout). */
  grad(epoch: number, seed: number, i: number, step: number): ShardResult {
    const { spec, batchSize: bs, w, n, shape, shuffle } = this.#o;
    if (epoch !== this.#epoch) {
      this.#order = epochOrder(spec, epoch, shuffle, seed);
      this.#epoch = epoch;
    }
    const start = i * bs;
    const rows = Math.min(this.#order.length, start + bs) - start;
    const [lo, hi] = shardRange(rows, w, n);
    if (hi <= lo) return { loss: 0, count: 0, tokens: 0 };
    const b = makeBatch(spec, this.#order.subarray(start + lo, start + hi), 0, hi - lo, shape);
    this.#m.setRngState(dropoutState(this.#m.seed, seed, step, w));
    const r = this.#m.gradStep(b.input, b.targets);
    const out: ShardResult = { loss: r.loss, count: r.count, tokens: b.tokens };
    if (r.count > 0) {
      const g = this.#m.getGrads();
      const slot = this.#slot(w);
      if (slot) slot.set(g);
      else out.grads = g;
    }
    return out;
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
