// The sequence labellers' data-parallel training (segmentation, tagging, NER): the labeller's
// compiled session is loaded into a trainer with `workers` replicas, trained there through the
// fit engine on pre-encoded examples (ids, one class per step; batches of similar length), and the session takes the
// trained weights, optimizer state and learning rate back. The calling thread only starts,
// observes and collects; the replicas synchronise among themselves.
import { createTrainer, type Example, examples, type FitEvent, type FitResult, type Session } from '../index.js';

/** How a labeller trains on replicas (what `Trainer.fit` takes, less the data). */
export interface ReplicaFitOptions {
  /** Data-parallel replicas (`createTrainer({ workers })`; 'auto': the hardware threads, kept where they pay). */
  workers: number | 'auto';
  /** Passes over the examples (the compiled schedule advances after each). */
  epochs: number;
  /** Examples per batch (split among the replicas). */
  batchSize: number;
  /** Seed of the shuffle. */
  seed: number;
  /** Stop at a batch boundary after this long (ms). */
  timeBudgetMs?: number;
  /** Every step and epoch event. */
  onProgress?: (e: FitEvent) => void | Promise<void>;
  /** Told once which replicas train (`Trainer.workers` and `workersReason`). */
  onWorkers?: (workers: number, reason: string) => void;
}

/**
 * Trains the compiled model of `session` on `list` (ids of a slotted model hold length × slots
 * ids) on `o.workers` replicas; `session` then holds the trained model (weights, optimizer
 * state, learning rate; its vocabulary is kept).
 * @example
 * ```ts
 * const s = new Session();
 * s.build(sequential({ input: { vocab: 4 } }).embedding({ dim: 4 }).lstm({ units: 8, bidirectional: true }).dense({ units: 2 }).toJSON(), 1);
 * s.model.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 0.01 } });
 * const r = await fitOnReplicas(s, [{ ids: [1, 2, 3], targets: [0, 1, 0] }], { workers: 1, epochs: 2, batchSize: 1, seed: 1 });
 * console.log(r.steps); // 2
 * s.dispose();
 * ```
 */
export async function fitOnReplicas(session: Session, list: Example[], o: ReplicaFitOptions): Promise<FitResult> {
  const vocab = session.vocabulary;
  const t = await createTrainer({ workers: o.workers });
  try {
    await t.load(session.save({ training: true }));
    o.onWorkers?.(t.workers, t.workersReason);
    const r = await t.fit(examples(list, { byLength: true }), {
      epochs: o.epochs,
      batchSize: o.batchSize,
      seed: o.seed,
      timeBudgetMs: o.timeBudgetMs,
      onProgress: o.onProgress,
    });
    session.load(await t.save());
    if (vocab) session.setVocabulary(vocab);
    return r;
  } finally {
    await t.dispose();
  }
}
