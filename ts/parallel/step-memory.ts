// The shared memory of a data-parallel fit (one SharedArrayBuffer, made by the coordinator):
//   Int32 [4]            the barrier's words (parallel/barrier.ts) and one spare
//   Float64 [n × 4]      replica w's shard of the current update: loss, count, tokens, windows
//   Float32 [n × p]      replica w's gradient of the mean loss over its shard (slot w)
//   Float32 [p]          the combined gradient (each replica reduces its own slice into it)
import { BARRIER_WORDS, Barrier } from './barrier.js';

const CTL_BYTES = 16;
const STAT = 4;

/** Bytes of the shared memory for `n` replicas of a model of `p` parameters. */
export const stepMemoryBytes = (n: number, p: number): number => CTL_BYTES + n * STAT * 8 + (n + 1) * p * 4;

export class StepMemory {
  readonly barrier: Barrier;
  /** Replica w's shard figures at [4w, 4w + 4): loss, count, tokens, windows. */
  readonly stats: Float64Array;
  readonly slots: Float32Array[];
  readonly combined: Float32Array;

  constructor(sab: SharedArrayBuffer, n: number, p: number) {
    this.barrier = new Barrier(new Int32Array(sab, 0, BARRIER_WORDS), n);
    this.stats = new Float64Array(sab, CTL_BYTES, n * STAT);
    const g0 = CTL_BYTES + n * STAT * 8;
    this.slots = Array.from({ length: n }, (_, w) => new Float32Array(sab, g0 + w * p * 4, p));
    this.combined = new Float32Array(sab, g0 + n * p * 4, p);
  }

  /** Replica w's shard figures for this update. */
  put(w: number, loss: number, count: number, tokens: number, windows: number): void {
    this.stats.set([loss, count, tokens, windows], w * STAT);
  }

  /** Every replica's figure `k` (0 loss, 1 count, 2 tokens, 3 windows), in replica order. */
  column(k: number): number[] {
    return this.slots.map((_, w) => this.stats[w * STAT + k]);
  }
}
