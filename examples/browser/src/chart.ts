// The live loss curves (uPlot): the training loss of every step, its trailing mean (over about a
// twentieth of the run so far) and the validation loss at the end of every epoch (held-out text,
// a dot per epoch joined by a line). Points are collected as they come and drawn at most once
// per animation frame. Legend markers are short lines in the series' colours (uPlot's default
// squares look like unchecked checkboxes).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** The colours of the curves (the browser test looks for them on the canvas). */
export const COLOURS = { step: 'rgba(37, 99, 235, 0.35)', mean: '#1d4ed8', validation: '#ea580c' } as const;

const SERIES_COLOURS = [COLOURS.step, COLOURS.mean, COLOURS.validation];

export class LossChart {
  readonly steps: number[] = [];
  readonly losses: number[] = [];
  /** [step, validation loss] at each epoch's end. */
  readonly validation: [number, number][] = [];
  readonly #plot: uPlot;
  readonly #el: HTMLElement;
  #pending = false;

  constructor(el: HTMLElement) {
    this.#el = el;
    this.#plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 260,
        // markers: no border, filled with the curve's colour (style.css makes them short lines)
        legend: { show: true, live: false, markers: { width: 0, fill: (_u, i) => SERIES_COLOURS[i - 1] ?? 'transparent' } },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [
          { label: 'step', stroke: '#555', grid: { stroke: '#eee' } },
          { label: 'loss (nats per character)', stroke: '#555', grid: { stroke: '#eee' }, size: 50 },
        ],
        series: [
          { label: 'step' },
          { label: 'training, per step', stroke: COLOURS.step, width: 1 },
          { label: 'training, trailing mean', stroke: COLOURS.mean, width: 2 },
          {
            label: 'validation, per epoch',
            stroke: COLOURS.validation,
            width: 2,
            spanGaps: true,
            points: { show: true, size: 7, fill: COLOURS.validation, stroke: COLOURS.validation },
          },
        ],
      },
      [[], [], [], []],
      el,
    );
    new ResizeObserver(() => this.#plot.setSize({ width: Math.max(300, this.#el.clientWidth), height: 260 })).observe(el);
  }

  clear(): void {
    this.steps.length = 0;
    this.losses.length = 0;
    this.validation.length = 0;
    this.#schedule();
  }

  push(step: number, loss: number): void {
    this.steps.push(step);
    this.losses.push(loss);
    this.#schedule();
  }

  pushValidation(step: number, loss: number): void {
    this.validation.push([step, loss]);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      // the validation series on the steps' x values: a value at an epoch's last step, gaps elsewhere
      const at = new Map(this.validation);
      const val = this.steps.map((s) => at.get(s) ?? null);
      this.#plot.setData([this.steps, this.losses, trailingMean(this.losses, Math.max(1, Math.min(50, Math.round(this.losses.length / 20)))), val]);
    });
  }
}

/** The mean of each point and the k - 1 before it. */
function trailingMean(xs: readonly number[], k: number): number[] {
  const out = new Array<number>(xs.length);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i];
    if (i >= k) sum -= xs[i - k];
    out[i] = sum / Math.min(i + 1, k);
  }
  return out;
}
