// The shared memory of a data-parallel fit (one SharedArrayBuffer, made by the coordinator):
//   Int32 [8]            the barrier's words (parallel/barrier.ts), the leader's command, spares
//   Float64 [8]          the command's arguments (parallel/lead.ts)
//   Float64 [n × 8]      replica w's figures: a step's shard (loss, count, tokens, windows), or
//                        its part of the validation score (ScorePart's numbers)
//   Float32 [n × p]      replica w's gradient of the mean loss over its shard (slot w)
//   Float32 [p]          the combined gradient (each replica reduces its own slice into it), or
//                        weights the leader hands to every replica
import { BARRIER_WORDS, Barrier } from './barrier.js';

const CTL_BYTES = 32;
const ARGS = 8;
const STAT = 8;
const OP = 4;

/** Bytes of the shared memory for `n` replicas of a model of `p` parameters. */
export const stepMemoryBytes = (n: number, p: number): number => CTL_BYTES + ARGS * 8 + n * STAT * 8 + (n + 1) * p * 4;

export class StepMemory {
  readonly barrier: Barrier;
  readonly #ctl: Int32Array;
  /** The command's arguments. */
  readonly args: Float64Array;
  /** Replica w's figures at [8w, 8w + 8). */
  readonly stats: Float64Array;
  readonly slots: Float32Array[];
  readonly combined: Float32Array;

  constructor(sab: SharedArrayBuffer, n: number, p: number) {
    this.#ctl = new Int32Array(sab, 0, CTL_BYTES / 4);
    this.barrier = new Barrier(this.#ctl.subarray(0, BARRIER_WORDS), n);
    this.args = new Float64Array(sab, CTL_BYTES, ARGS);
    this.stats = new Float64Array(sab, CTL_BYTES + ARGS * 8, n * STAT);
    const g0 = CTL_BYTES + ARGS * 8 + n * STAT * 8;
    this.slots = Array.from({ length: n }, (_, w) => new Float32Array(sab, g0 + w * p * 4, p));
    this.combined = new Float32Array(sab, g0 + n * p * 4, p);
  }

  /** The leader's command (parallel/lead.ts). */
  get op(): number {
    return Atomics.load(this.#ctl, OP);
  }
  set op(v: number) {
    Atomics.store(this.#ctl, OP, v);
  }

  /** Replica w's figures (up to 8). */
  put(w: number, ...xs: number[]): void {
    this.stats.set(xs, w * STAT);
  }

  /** Replica w's figure k. */
  get(w: number, k: number): number {
    return this.stats[w * STAT + k];
  }

  /** Every replica's figure `k` (of a step: 0 loss, 1 count, 2 tokens, 3 windows), in replica order. */
  column(k: number): number[] {
    return this.slots.map((_, w) => this.get(w, k));
  }
}
