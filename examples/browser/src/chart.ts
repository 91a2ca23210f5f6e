// The live loss curve (uPlot): the loss of every step and a trailing mean (over about a
// twentieth of the run so far). Points are collected as they come and drawn at most once per
// animation frame.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class LossChart {
  readonly steps: number[] = [];
  readonly losses: number[] = [];
  readonly #plot: uPlot;
  readonly #el: HTMLElement;
  #pending = false;

  constructor(el: HTMLElement) {
    this.#el = el;
    this.#plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 260,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [
          { label: 'step', stroke: '#555', grid: { stroke: '#eee' } },
          { label: 'loss', stroke: '#555', grid: { stroke: '#eee' }, size: 50 },
        ],
        series: [
          { label: 'step' },
          { label: 'loss per step', stroke: 'rgba(37, 99, 235, 0.35)', width: 1 },
          { label: 'trailing mean', stroke: '#1d4ed8', width: 2 },
        ],
      },
      [[], [], []],
      el,
    );
    new ResizeObserver(() => this.#plot.setSize({ width: Math.max(300, this.#el.clientWidth), height: 260 })).observe(el);
  }

  clear(): void {
    this.steps.length = 0;
    this.losses.length = 0;
    this.#schedule();
  }

  push(step: number, loss: number): void {
    this.steps.push(step);
    this.losses.push(loss);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      this.#plot.setData([this.steps, this.losses, trailingMean(this.losses, Math.max(1, Math.min(50, Math.round(this.losses.length / 20))))]);
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
