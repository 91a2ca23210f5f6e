// The CLI's per-epoch progress bar (cli-progress).
import cliProgress from 'cli-progress';
import type { EpochEvent, FitResult, FitRun, StepEvent } from '../events.js';
import { fmtDuration } from './args.js';

export interface BarStep {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  loss: number;
  tokensPerSec: number;
  elapsedMs: number;
  etaMs?: number;
}

/** The one unit a run shows its loss in: the live bar, the epoch lines, the summary and the
 * chart all use it, and say its name. `of` maps a loss in nats (the engine's cross-entropy) to it. */
export interface LossUnit {
  /** "bits per character" */
  name: string;
  /** "2.345 bpc" */
  show(lossNats: number): string;
  of(lossNats: number): number;
}

const unit = (name: string, of: (l: number) => number, show: (x: number) => string): LossUnit => ({ name, of, show: (l) => show(of(l)) });

export const UNITS = {
  bitsPerCharacter: unit(
    'bits per character',
    (l) => l / Math.LN2,
    (x) => `${x.toFixed(3)} bpc`,
  ),
  perplexity: unit('perplexity', Math.exp, (x) => `perplexity ${x.toFixed(1)}`),
  natsPerPhoneme: unit(
    'nats per phoneme',
    (l) => l,
    (x) => `${x.toFixed(4)} nats/phoneme`,
  ),
  natsPerPiece: unit(
    'nats per target piece',
    (l) => l,
    (x) => `${x.toFixed(3)} nats/piece`,
  ),
} as const;

/** One bar per epoch: "epoch 2/8 |███░░| 56/200 | 2.406 bpc | 7,264 tok/s | elapsed … | ETA …"
 * on stderr (or `stream`). Without a TTY it prints a line every `everyMs`. The time left goes in
 * a payload named `left`: cli-progress fills `{eta}` with its own estimate, whatever the payload. */
export class EpochBar {
  readonly #bar: cliProgress.SingleBar;
  readonly #epochs: number;
  #epoch = -1;

  readonly #unit: LossUnit;

  constructor(epochs: number, unit: LossUnit, everyMs = 10_000, stream: NodeJS.WriteStream = process.stderr) {
    this.#epochs = epochs;
    this.#unit = unit;
    this.#bar = new cliProgress.SingleBar(
      {
        format: 'epoch {ep} |{bar}| {value}/{total} | {loss} | {tps} tok/s | elapsed {el}{left}',
        hideCursor: true,
        stream,
        noTTYOutput: !stream.isTTY,
        notTTYSchedule: everyMs,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  step(e: BarStep): void {
    const payload = {
      ep: `${e.epoch + 1}/${this.#epochs}`,
      loss: this.#unit.show(e.loss),
      tps: Math.round(e.tokensPerSec).toLocaleString('en-US'),
      el: fmtDuration(e.elapsedMs),
      left: e.etaMs === undefined || !Number.isFinite(e.etaMs) ? '' : ` | ETA ${fmtDuration(e.etaMs)}`,
    };
    if (this.#epoch !== e.epoch) {
      if (this.#epoch >= 0) this.#bar.stop();
      this.#bar.start(e.batchesPerEpoch, e.batch + 1, payload);
      this.#epoch = e.epoch;
    } else this.#bar.update(e.batch + 1, payload);
  }

  /** Ends the current epoch's bar (before printing the epoch's summary). */
  stop(): void {
    this.#bar.stop();
    this.#epoch = -1;
  }
}

/** Moved to output.ts (kept here for callers of the old place). */
export { writeAtomic } from './output.js';

/** Runs `run` with an epoch bar (`everyMs` as in {@link EpochBar}) and the signal that Ctrl-C
 * aborts, for a run the caller drives through its own callbacks. The bar's timer and the SIGINT
 * handler are released however the run ends: an error mid-run (a worker's, or a callback's) must
 * not leave the bar's timer holding the process after the error is printed. */
export async function withEpochBar<T>(
  epochs: number,
  unit: LossUnit,
  everyMs: number | undefined,
  run: (bar: EpochBar, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSig = () => controller.abort();
  process.once('SIGINT', onSig);
  const bar = new EpochBar(epochs, unit, everyMs);
  try {
    return await run(bar, controller.signal);
  } finally {
    bar.stop();
    process.off('SIGINT', onSig);
  }
}

/** Runs a fit (`start` gets the signal that Ctrl-C aborts) with an epoch bar: step events go to
 * the bar and `on.step`, epoch events to `on.epoch` once the bar has stopped. The bar and the
 * SIGINT handler are released however the run ends ({@link withEpochBar}). */
export function followFit(
  epochs: number,
  unit: LossUnit,
  start: (signal: AbortSignal) => FitRun,
  on: { step(e: StepEvent): void; epoch(e: EpochEvent): Promise<void> },
): Promise<FitResult> {
  return withEpochBar(epochs, unit, undefined, async (bar, signal) => {
    const run = start(signal);
    for await (const e of run) {
      if (e.type === 'step') {
        bar.step(e);
        on.step(e);
      } else {
        bar.stop();
        await on.epoch(e);
      }
    }
    return await run;
  });
}

const OPTIMIZER_NAMES: Record<string, string> = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', rmsprop: 'RMSprop', adagrad: 'Adagrad' };
const OPTION_NAMES: Record<string, string> = {
  weightDecay: 'weight decay',
  lrDecay: 'lr decay',
  initialAccumulatorValue: 'initial accumulator',
  nesterov: 'Nesterov',
  lazy: 'lazy rows',
};

/** An optimizer for the header line: "Adam (lr 0.003, betas 0.9/0.999, eps 1e-8)" (not raw JSON). */
export function describeOptimizer(o: string | { name: string; [option: string]: unknown }): string {
  if (typeof o === 'string') return OPTIMIZER_NAMES[o] ?? o;
  const { name, ...rest } = o;
  const parts = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => {
      const key = OPTION_NAMES[k] ?? k;
      return v === true ? key : `${key} ${Array.isArray(v) ? v.join('/') : String(v)}`;
    });
  return `${OPTIMIZER_NAMES[name] ?? name}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
