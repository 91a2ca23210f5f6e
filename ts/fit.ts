// The fit engine: the SDK's one training loop. Every model kind (the sequential model, the
// encoder-decoder) and every task trains through `runFit`; what differs is the `FitTarget`
// (how a model trains on the i-th batch of an epoch, validates, and ends an epoch).
// The engine owns epochs and batches, the training position (a checkpoint resumes from it),
// progress events, AbortSignal and stop requests, the time budget, and yielding to the event
// loop. It runs wherever it is called: in the calling thread or inside a worker.
import { optionError } from './errors.js';
import type { EpochEvent, EvalResult, FitEvent, FitResult } from './events.js';
import type { TrainingState } from './io/checkpoint.js';

/** What one batch did. */
export interface StepOutcome {
  loss: number;
  gradNorm: number;
  lr: number;
  /** Optimizer updates made (1, or one per window under truncated BPTT). */
  updates: number;
  /** Tokens (valid target steps) trained on. */
  tokens: number;
}

/** The batches of one epoch. */
export interface EpochPlan {
  batches: number;
  /** Trains on batch `i` (0 ≤ i < batches); data-parallel training answers asynchronously. */
  train(i: number): StepOutcome | Promise<StepOutcome>;
}

/** A model kind with its training data, as the engine drives it. */
export interface FitTarget {
  /** Batches per epoch (the same for every epoch). */
  readonly batchesPerEpoch: number;
  /** The plan of epoch `epoch` (called once per epoch, in order; `seed` is the data seed). */
  epoch(epoch: number, seed: number): EpochPlan;
  /** Scores the validation data at an epoch's end (before `endEpoch`). */
  validate?(): EvalResult | undefined | Promise<EvalResult | undefined>;
  /** After an epoch and its validation: advances the schedule, decays the rate. */
  endEpoch(): void | Promise<void>;
  /** Losses are cross-entropies: epoch events carry bits per token. */
  readonly bits: boolean;
}

export interface EngineOptions {
  /** Train until this many epochs are done. */
  epochs: number;
  timeBudgetMs?: number;
  signal?: AbortSignal;
  /** Polled at every batch boundary: a stop request ('abort') or an error to end the run with
   * (a session disposed mid-fit). */
  poll?: () => 'abort' | Error | undefined;
  emit?: (e: FitEvent) => void | Promise<void>;
  /** Wait for every step event's delivery (default: only epoch events are awaited). */
  awaitSteps?: boolean;
  /** The epoch-end hooks (keep-best, early stopping, reduce-on-plateau: fit-hooks.ts). */
  hooks?: EpochHooks;
}

/** What the engine calls between epochs (fit-hooks.ts's HookRunner). */
export interface EpochHooks {
  /** After an epoch event: a stop reason stops training now. */
  epochEnd(e: EpochEvent): Promise<'earlyStopping' | 'timeBudget' | undefined>;
  /** When training ends without an error (restores the best weights). */
  end(): Promise<void>;
  /** The epoch whose weights `end` restored. */
  readonly restoredEpoch: number | undefined;
}

const now = () => performance.now();

/** Gives the event loop a turn (so aborts and messages are seen) without timer clamping. */
export function yieldNow(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => {
      c.port1.close();
      r();
    };
    c.port2.postMessage(0);
  });
}

/** A fresh training position for data seed `seed`. */
export const startPosition = (seed: number): TrainingState => ({ epoch: 0, batch: 0, step: 0, tokens: 0, elapsedMs: 0, seed });

/** Trains `target` from position `pos` (updated in place, so a checkpoint taken at any event
 * resumes exactly) until `o.epochs` epochs are done, the budget is spent or a stop comes. */
export async function runFit(target: FitTarget, pos: TrainingState, o: EngineOptions): Promise<FitResult> {
  const nb = target.batchesPerEpoch;
  if (pos.batch > nb)
    throw optionError(
      `fit.resume: the saved position (epoch ${pos.epoch}, batch ${pos.batch}) lies past this data's ${nb} batches per epoch; resume with the data and batchSize it was trained with`,
    );
  const { epochs, timeBudgetMs: budget } = o;
  const startWall = now();
  const startElapsed = pos.elapsedMs;
  const startTokens = pos.tokens;
  const firstBatch = pos.epoch * nb + pos.batch;
  const history: EpochEvent[] = [];
  let stopReason: FitResult['stopReason'] = 'completed';
  const elapsed = () => startElapsed + (now() - startWall);
  const rate = () => ((pos.tokens - startTokens) * 1000) / Math.max(1e-9, now() - startWall);
  const eta = () => {
    const done = pos.epoch * nb + pos.batch - firstBatch;
    if (done <= 0) return Number.NaN;
    let left = ((epochs * nb - (pos.epoch * nb + pos.batch)) * (now() - startWall)) / done;
    if (budget !== undefined) left = Math.min(left, Math.max(0, budget - elapsed()));
    return Math.max(0, left);
  };
  // Events go out without waiting (a worker's emit is a message on its own channel); a failed
  // delivery ends the run at the next batch boundary, and the last one is awaited before fit
  // returns, so no event arrives after the result.
  let failure: { error: unknown } | undefined;
  let last: Promise<void> | undefined;
  const send = async (e: FitEvent, wait: boolean) => {
    const r = o.emit?.(e);
    if (!r) return;
    last = Promise.resolve(r).catch((error) => {
      failure ??= { error };
    });
    if (wait) await last;
  };
  /** 'abort', 'timeBudget' or undefined (go on); throws a delivery failure or a poll error. */
  const stopNow = (): FitResult['stopReason'] | undefined => {
    if (failure) throw failure.error;
    const p = o.poll?.();
    if (p instanceof Error) throw p;
    if (p === 'abort' || o.signal?.aborted) return 'aborted';
    if (budget !== undefined && elapsed() >= budget) return 'timeBudget';
    return undefined;
  };
  try {
    outer: while (pos.epoch < epochs) {
      const plan = target.epoch(pos.epoch, pos.seed);
      let lossSum = 0;
      let lossN = 0;
      while (pos.batch < plan.batches) {
        const stop = stopNow();
        if (stop) {
          stopReason = stop;
          break outer;
        }
        const r = await plan.train(pos.batch);
        // from here on the position is the one a checkpoint must resume from
        const batch = pos.batch;
        pos.step += r.updates;
        pos.batch += 1;
        pos.tokens += r.tokens;
        pos.elapsedMs = elapsed();
        lossSum += r.loss;
        lossN += 1;
        const ev: FitEvent = {
          type: 'step',
          epoch: pos.epoch,
          batch,
          batchesPerEpoch: nb,
          step: pos.step,
          loss: r.loss,
          gradNorm: r.gradNorm,
          lr: r.lr,
          tokens: pos.tokens,
          tokensPerSec: rate(),
          elapsedMs: pos.elapsedMs,
          etaMs: eta(),
        };
        await send(ev, o.awaitSteps ?? false);
        await yieldNow();
      }
      // a stop request (or dispose) that came during the last batch's yield ends the run here
      const stop = stopNow();
      if (stop === 'aborted') {
        stopReason = stop;
        break;
      }
      const validation = await target.validate?.();
      await target.endEpoch();
      const trainLoss = lossN ? lossSum / lossN : Number.NaN;
      const epoch = pos.epoch;
      pos.epoch += 1;
      pos.batch = 0;
      pos.elapsedMs = elapsed();
      const ev: EpochEvent = {
        type: 'epoch',
        epoch,
        loss: trainLoss,
        step: pos.step,
        tokens: pos.tokens,
        tokensPerSec: rate(),
        elapsedMs: pos.elapsedMs,
        etaMs: eta(),
      };
      if (target.bits) ev.bitsPerToken = trainLoss / Math.LN2;
      if (validation) ev.validation = validation;
      history.push(ev);
      await send(ev, true);
      const stopped = await o.hooks?.epochEnd(ev);
      if (stopped) {
        stopReason = stopped;
        break;
      }
    }
    if (failure) throw failure.error;
    await o.hooks?.end();
  } finally {
    pos.elapsedMs = elapsed();
    await last;
  }
  const result: FitResult = { stopReason, epochs: pos.epoch, steps: pos.step, tokens: pos.tokens, elapsedMs: pos.elapsedMs, tokensPerSec: rate(), history };
  if (o.hooks?.restoredEpoch !== undefined) result.bestEpoch = o.hooks.restoredEpoch;
  return result;
}
