// The encoder-decoder's part of a data-parallel replica (parallel/replica.ts): its rows of
// batch i of the epoch's length-bucketed batches, weighted by their target tokens (the loss is
// a mean per target token over the whole batch), and the learning-rate decay per epoch.
import { decayLearningRate, epochBatches, type Pair, type Seq2SeqModel } from '../seq2seq.js';
import type { ShardKind } from './replica.js';
import { shardRange } from './shards.js';

/** The encoder-decoder on `pairs`, as replica `w` of `n` trains it. */
export function seq2seqShard(model: Seq2SeqModel, o: { pairs: readonly Pair[]; batchSize: number; decay: number; w: number; n: number }): ShardKind {
  let epochSeen = -1;
  let seedSeen = 0;
  let batches: number[][] = [];
  return {
    model,
    end: () => undefined,
    endEpoch: () => decayLearningRate(model, o.decay),
    grad(epoch, seed, i) {
      if (epoch !== epochSeen || seed !== seedSeen) {
        batches = epochBatches(o.pairs, o.batchSize, epoch, seed);
        epochSeen = epoch;
        seedSeen = seed;
      }
      const rows = batches[i];
      const [lo, hi] = shardRange(rows.length, o.w, o.n);
      if (hi <= lo) return { loss: 0, count: 0, tokens: 0, windows: 0 };
      const r = model.gradStep(rows.slice(lo, hi).map((k) => o.pairs[k]));
      return { loss: r.loss, count: r.tokens, tokens: r.tokens, windows: 1 };
    },
  };
}
