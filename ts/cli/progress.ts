// The CLI's per-epoch progress bar (cli-progress).
import cliProgress from 'cli-progress';
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
