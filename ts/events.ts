// What training reports, and the handle `fit` returns: a promise of the final result that is
// also an async iterator of progress events.

/** What `evaluate` returns, and each epoch's `validation`. */
export interface EvalResult {
  /** Mean loss over the counted rows (tokens / sequences). */
  loss: number;
  /** Cross-entropy in bits (loss / ln 2): bits per character for a char-level model. */
  bitsPerToken?: number;
  /** Share of rows whose argmax is the target (classification only). */
  accuracy?: number;
  /** Mean absolute error per output value (regression models, loss 'mse'). */
  mae?: number;
  /** Rows that counted. */
  count: number;
}

/** Reported after every batch (optimizer update) of `fit`. */
export interface StepEvent {
  /** Discriminates {@link FitEvent}. */
  type: 'step';
  /** The epoch being trained, 0-based. */
  epoch: number;
  /** The batch just trained within the epoch, 0-based. */
  batch: number;
  /** Batches per epoch. */
  batchesPerEpoch: number;
  /** Optimizer steps so far. */
  step: number;
  /** This batch's mean loss (the mean over the TBPTT windows with `tbptt`). */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate of this update. */
  lr: number;
  /** Tokens (valid steps) trained so far. */
  tokens: number;
  /** Training throughput of this run so far (valid steps per second). */
  tokensPerSec: number;
  /** Training time so far, counting earlier runs when resumed. */
  elapsedMs: number;
  /** Estimated time to the end of the run (bounded by `timeBudgetMs`); NaN before the first batch. */
  etaMs: number;
}

/** Reported at the end of every epoch of `fit`, after validation. */
export interface EpochEvent {
  /** Discriminates {@link FitEvent}. */
  type: 'epoch';
  /** The epoch just finished, 0-based. */
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Training loss in bits (loss / ln 2); absent for mse. */
  bitsPerToken?: number;
  /** The `validation` data's loss, bits per token and accuracy, when `fit` was given one. */
  validation?: EvalResult;
  /** Optimizer steps so far. */
  step: number;
  /** Tokens (valid steps) trained so far. */
  tokens: number;
  /** Training throughput of this run so far. */
  tokensPerSec: number;
  /** Training time so far. */
  elapsedMs: number;
  /** Estimated time to the end of the run. */
  etaMs: number;
}

/** A progress event of `fit`: `e.type` is `'step'` or `'epoch'`. */
export type FitEvent = StepEvent | EpochEvent;

/** What a `fit` run resolves to. */
export interface FitResult {
  /**
   * `'completed'` (all epochs trained), `'aborted'` (the `signal` fired), `'timeBudget'`
   * (`timeBudgetMs` ran out) or `'earlyStopping'` (`hooks.earlyStopping` fired). The model is
   * valid in every case.
   */
  stopReason: 'completed' | 'aborted' | 'timeBudget' | 'earlyStopping';
  /** The epoch whose weights were restored at the end (`hooks.keepBest` or
   * `earlyStopping.restoreBestWeights`); absent when no weights were restored. */
  bestEpoch?: number;
  /** Epochs fully trained (counting earlier ones when resumed). */
  epochs: number;
  /** Optimizer steps so far (counting earlier runs when resumed). */
  steps: number;
  /** Tokens (valid steps) trained so far. */
  tokens: number;
  /** Training time so far. */
  elapsedMs: number;
  /** Training throughput of this run. */
  tokensPerSec: number;
  /** The epoch events of this run. */
  history: EpochEvent[];
}

const MAX_BUFFERED = 10_000;

/**
 * Returned by `fit`: await it for the {@link FitResult}, or iterate it for {@link FitEvent}s as
 * they come (the loop ends when training does; a failure rejects both). Events not consumed are
 * buffered (at most 10,000; the oldest step events are dropped first), so iterating late or not
 * at all is fine.
 * @example
 * ```ts
 * const run = trainer.fit(data, { epochs: 3 });
 * for await (const e of run) {
 *   if (e.type === 'step' && e.batch % 50 === 0) console.log(`loss ${e.loss.toFixed(3)}, ${Math.round(e.tokensPerSec)} tokens/s`);
 *   if (e.type === 'epoch') console.log(`epoch ${e.epoch}: validation ${e.validation?.loss}`);
 * }
 * const result = await run;
 * ```
 */
export class FitRun implements AsyncIterable<FitEvent>, PromiseLike<FitResult> {
  readonly #queue: FitEvent[] = [];
  readonly #waiters: { resolve: (r: IteratorResult<FitEvent>) => void; reject: (e: unknown) => void }[] = [];
  readonly #promise: Promise<FitResult>;
  #settled = false;
  #error: unknown;

  /** @internal made by `fit` */
  constructor(start: (emit: (e: FitEvent) => void) => Promise<FitResult>) {
    this.#promise = start((e) => this.#push(e));
    this.#promise.then(
      () => this.#finish(undefined),
      (err) => this.#finish(err ?? new Error('fit failed')),
    );
  }

  #push(e: FitEvent): void {
    const w = this.#waiters.shift();
    if (w) {
      w.resolve({ value: e, done: false });
      return;
    }
    if (this.#queue.length >= MAX_BUFFERED) {
      const i = this.#queue.findIndex((x) => x.type === 'step');
      this.#queue.splice(Math.max(i, 0), 1);
    }
    this.#queue.push(e);
  }

  #finish(err: unknown): void {
    this.#settled = true;
    this.#error = err;
    for (const w of this.#waiters.splice(0)) err ? w.reject(err) : w.resolve({ value: undefined, done: true });
  }

  /** Resolves to the {@link FitResult} (a `PromiseLike`, so `await run` works). */
  // biome-ignore lint/suspicious/noThenProperty: a FitRun is deliberately awaitable (PromiseLike<FitResult>)
  then<A = FitResult, B = never>(ok?: ((v: FitResult) => A | PromiseLike<A>) | null, fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#promise.then(ok, fail);
  }

  /** Handles a failed run (a typed error, e.g. E_OPTION for bad data). */
  catch<B = never>(fail: (e: unknown) => B | PromiseLike<B>): Promise<FitResult | B> {
    return this.#promise.catch(fail);
  }

  /** Progress events, from the buffer then as they come; ends when training ends. */
  [Symbol.asyncIterator](): AsyncIterator<FitEvent> {
    return {
      next: () => {
        const e = this.#queue.shift();
        if (e) return Promise.resolve({ value: e, done: false });
        if (this.#settled) return this.#error ? Promise.reject(this.#error) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
      },
    };
  }
}
