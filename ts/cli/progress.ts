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

/** One bar per epoch: "epoch 2/8 |███░░| 56/200 | loss 1.668 | 7,264 tok/s | elapsed … | ETA …"
 * on stderr (or `stream`). Without a TTY it prints a line every `everyMs`. The time left goes in
 * a payload named `left`: cli-progress fills `{eta}` with its own estimate, whatever the payload. */
export class EpochBar {
  readonly #bar: cliProgress.SingleBar;
  readonly #epochs: number;
  #epoch = -1;

  constructor(epochs: number, everyMs = 10_000, stream: NodeJS.WriteStream = process.stderr) {
    this.#epochs = epochs;
    this.#bar = new cliProgress.SingleBar(
      {
        format: 'epoch {ep} |{bar}| {value}/{total} | loss {loss} | {tps} tok/s | elapsed {el}{left}',
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
      loss: e.loss.toFixed(3),
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

/** Runs a fit (`start` gets the signal that Ctrl-C aborts) with an epoch bar: step events go to
 * the bar and `on.step`, epoch events to `on.epoch` once the bar has stopped. The bar and the
 * SIGINT handler are released however the run ends (an error mid-run must not leave the bar's
 * timer holding the process). */
export async function followFit(
  epochs: number,
  start: (signal: AbortSignal) => FitRun,
  on: { step(e: StepEvent): void; epoch(e: EpochEvent): Promise<void> },
): Promise<FitResult> {
  const controller = new AbortController();
  const onSig = () => controller.abort();
  process.once('SIGINT', onSig);
  const bar = new EpochBar(epochs);
  try {
    const run = start(controller.signal);
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
  } finally {
    bar.stop();
    process.off('SIGINT', onSig);
  }
}
