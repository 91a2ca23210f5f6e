// What training reports, and the handle `fit` returns: a promise of the final result that is
// also an async iterator of progress events.

export interface EvalResult {
  /** Mean loss over the counted rows (tokens / sequences). */
  loss: number;
  /** Cross-entropy in bits (loss / ln 2): bits per character for a char-level model. */
  bitsPerToken?: number;
  /** Share of rows whose argmax is the target (classification only). */
  accuracy?: number;
  /** Rows that counted. */
  count: number;
}

export interface StepEvent {
  type: 'step';
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  /** Optimizer steps so far. */
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  /** Tokens (valid steps) trained so far. */
  tokens: number;
  tokensPerSec: number;
  elapsedMs: number;
  /** Estimated time to the end of the run. */
  etaMs: number;
}

export interface EpochEvent {
  type: 'epoch';
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  bitsPerToken?: number;
  validation?: EvalResult;
  step: number;
  tokens: number;
  tokensPerSec: number;
  elapsedMs: number;
  etaMs: number;
}

export type FitEvent = StepEvent | EpochEvent;

export interface FitResult {
  stopReason: 'completed' | 'aborted' | 'timeBudget';
  /** Epochs fully trained (counting earlier ones when resumed). */
  epochs: number;
  steps: number;
  tokens: number;
  elapsedMs: number;
  tokensPerSec: number;
  /** The epoch events of this run. */
  history: EpochEvent[];
}

const MAX_BUFFERED = 10_000;

/** Returned by `fit`: await it for the result, or iterate it for events as they come. */
export class FitRun implements AsyncIterable<FitEvent>, PromiseLike<FitResult> {
  readonly #queue: FitEvent[] = [];
  readonly #waiters: { resolve: (r: IteratorResult<FitEvent>) => void; reject: (e: unknown) => void }[] = [];
  readonly #promise: Promise<FitResult>;
  #settled = false;
  #error: unknown;

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

  // biome-ignore lint/suspicious/noThenProperty: a FitRun is deliberately awaitable (PromiseLike<FitResult>)
  then<A = FitResult, B = never>(ok?: ((v: FitResult) => A | PromiseLike<A>) | null, fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#promise.then(ok, fail);
  }

  catch<B = never>(fail: (e: unknown) => B | PromiseLike<B>): Promise<FitResult | B> {
    return this.#promise.catch(fail);
  }

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
