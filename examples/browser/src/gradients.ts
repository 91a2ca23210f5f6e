// The gradient-flow page: a tanh RNN, an LSTM and a GRU of the same size learn the adding problem
// side by side, each in its own module Web Worker (gradients-worker.ts); the page draws, live,
// each cell's per-step gradient norms ||dL/dh_t|| (log scale; dashed: at initialisation) and
// its training loss and test MSE against updates. Settings come from the form or the URL
// (?T=30&units=16&updates=300&every=20&start: the browser test uses that).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { CellType } from 'recurrent-nn';
import { ADDING_BASELINE_MSE } from 'recurrent-nn/tasks';
import type { Reply, Request, Start } from './gradients-worker.ts';
import './style.css';

type Cell = Extract<CellType, 'rnn_tanh' | 'lstm' | 'gru'>;
const CELLS: readonly Cell[] = ['rnn_tanh', 'lstm', 'gru'];
/** Line colours per cell (the browser test looks for them on the canvases). */
const COLOURS: Record<Cell, string> = { rnn_tanh: '#dc2626', lstm: '#2563eb', gru: '#16a34a' };
const NAMES: Record<Cell, string> = { rnn_tanh: 'tanh RNN', lstm: 'LSTM', gru: 'GRU' };

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};

/** One cell's run as the page saw it (and the test reads). */
interface CellState {
  updates: number;
  /** Training loss of every update so far. */
  losses: number[];
  /** [updates, mean training loss of the chunk (NaN at 0), test MSE] per report. */
  reports: [number, number, number][];
  /** ||dL/dh_t|| at initialisation and now. */
  start: number[];
  profile: number[];
  /** Profiles received (one per report, plus the initial one). */
  profiles: number;
  /** Training time in the worker, ms. */
  ms: number;
  done: boolean;
}
type State = 'idle' | 'training' | 'done' | 'stopped' | 'error';
const fresh = (): CellState => ({ updates: 0, losses: [], reports: [], start: [], profile: [], profiles: 0, ms: 0, done: false });
const demo = {
  state: 'idle' as State,
  steps: 0,
  /** Updates each cell was asked for. */
  updates: 0,
  cells: Object.fromEntries(CELLS.map((c) => [c, fresh()])) as Record<Cell, CellState>,
  error: '',
};
(window as unknown as { gradientsDemo: typeof demo }).gradientsDemo = demo;

const workers = Object.fromEntries(CELLS.map((c) => [c, new Worker(new URL('./gradients-worker.ts', import.meta.url), { type: 'module' })])) as Record<
  Cell,
  Worker
>;

/** Norms at or below 0 (underflow) have no place on a log scale: a gap. */
const positive = (v: number) => (v > 0 && Number.isFinite(v) ? v : null);

function plot(el: HTMLElement, xLabel: string, yLabel: string, series: uPlot.Series[]): uPlot {
  const width = () => Math.max(320, el.clientWidth);
  const p = new uPlot(
    {
      width: width(),
      height: 280,
      // legend markers: no border, filled with the line's colour (the page's CSS makes them short lines)
      legend: { show: true, live: false, markers: { width: 0, fill: (_u, i) => String(series[i - 1]?.stroke ?? 'transparent') } },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [
        { label: xLabel, stroke: '#555', grid: { stroke: '#eee' } },
        // powers of ten as 1e-8 (uPlot's default writes the small ones as 0); on a range of many
        // decades, every other one
        {
          label: yLabel,
          stroke: '#555',
          grid: { stroke: '#eee' },
          size: 60,
          space: 18,
          values: (_u, vals) => vals.map((v) => (v > 0 && Number.isInteger(Math.log10(v)) ? `1e${Math.round(Math.log10(v))}` : '')),
        },
      ],
      series: [{ label: xLabel }, ...series],
    },
    [[], ...series.map(() => [])],
    el,
  );
  new ResizeObserver(() => p.setSize({ width: width(), height: 280 })).observe(el);
  return p;
}

const profilePlot = plot(
  $('profile-chart'),
  'step t',
  '||dL/dh_t||',
  CELLS.flatMap((c) => [
    { label: `${NAMES[c]} now`, stroke: COLOURS[c], width: 2, points: { show: false } },
    { label: `${NAMES[c]} at start`, stroke: COLOURS[c], width: 1, dash: [6, 4], points: { show: false } },
  ]),
);
const lossPlot = plot($('loss-chart'), 'update', 'MSE', [
  ...CELLS.flatMap((c) => [
    { label: `${NAMES[c]} training`, stroke: COLOURS[c], width: 1, spanGaps: true, points: { show: false } },
    { label: `${NAMES[c]} test`, stroke: COLOURS[c], width: 2, dash: [2, 3], spanGaps: true, points: { show: true, size: 5, fill: COLOURS[c] } },
  ]),
  { label: 'answering 1.0', stroke: '#6b7280', width: 1, dash: [8, 6], points: { show: false } },
]);

let pending = false;
/** Redraws both plots and the table, at most once per animation frame. */
function draw(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const t = demo.steps;
    profilePlot.setData([
      Array.from({ length: t }, (_, i) => i),
      ...CELLS.flatMap((c) => {
        const s = demo.cells[c];
        return [Array.from({ length: t }, (_, i) => positive(s.profile[i] ?? 0)), Array.from({ length: t }, (_, i) => positive(s.start[i] ?? 0))];
      }),
    ]);
    // one x per report of any cell (the workers run at their own pace): gaps where a cell has none
    const xs = [...new Set(CELLS.flatMap((c) => demo.cells[c].reports.map((r) => r[0])))].sort((a, b) => a - b);
    lossPlot.setData([
      xs,
      ...CELLS.flatMap((c) => {
        const at = new Map(demo.cells[c].reports.map((r) => [r[0], r]));
        return [xs.map((x) => positive(at.get(x)?.[1] ?? 0)), xs.map((x) => positive(at.get(x)?.[2] ?? 0))];
      }),
      xs.map(() => ADDING_BASELINE_MSE),
    ]);
    for (const c of CELLS) {
      const s = demo.cells[c];
      const last = s.reports.at(-1);
      const cells = $(`row-${c}`).querySelectorAll('td');
      cells[1].textContent = s.updates.toLocaleString('en-US');
      cells[2].textContent = s.ms > 0 ? Math.round((1000 * s.updates) / s.ms).toLocaleString('en-US') : '–';
      cells[3].textContent = last ? last[1].toFixed(4) : '–';
      cells[4].textContent = last ? last[2].toFixed(4) : '–';
      cells[5].textContent = s.profile.length ? (s.profile[0] / s.profile[t - 1]).toExponential(1) : '–';
    }
    $('status').textContent = demo.error || demo.state;
  });
}

function settings(): Omit<Start, 'kind' | 'cell'> {
  const num = (id: string, lo: number, hi: number) => {
    const v = Number($<HTMLInputElement>(id).value);
    if (!Number.isFinite(v) || v < lo || v > hi) throw new Error(`${$(id).closest('label')?.textContent?.trim() ?? id} must be between ${lo} and ${hi}`);
    return v;
  };
  return {
    steps: num('T', 2, 1000),
    units: num('units', 1, 512),
    updates: num('updates', 1, 1e6),
    every: num('every', 1, 1e5),
    lr: num('lr', 1e-6, 10),
    testSize: 200,
    seed: num('seed', 0, 2 ** 31),
  };
}

function setState(s: State): void {
  demo.state = s;
  $<HTMLButtonElement>('start').disabled = s === 'training';
  $<HTMLButtonElement>('stop').disabled = s !== 'training';
  draw();
}

function start(): void {
  let s: ReturnType<typeof settings>;
  try {
    s = settings();
  } catch (e) {
    demo.error = (e as Error).message;
    draw();
    return;
  }
  demo.error = '';
  demo.steps = s.steps;
  demo.updates = s.updates;
  for (const c of CELLS) {
    demo.cells[c] = fresh();
    workers[c].postMessage({ kind: 'start', cell: c, ...s, ...kernels } satisfies Request);
  }
  setState('training');
}

function onReply(r: Reply): void {
  if (r.kind === 'error') {
    demo.error = `${r.cell ? `${NAMES[r.cell as Cell]}: ` : ''}${r.message}`;
    for (const c of CELLS) workers[c].postMessage({ kind: 'stop' } satisfies Request);
    setState('error');
    return;
  }
  const s = demo.cells[r.cell as Cell];
  if (r.kind === 'started') {
    s.start = Array.from(r.profile);
    s.profile = Array.from(r.profile);
    s.profiles = 1;
    s.reports.push([0, Number.NaN, r.testMse]); // no training loss before the first update
  } else if (r.kind === 'progress') {
    s.updates = r.updates;
    s.ms = r.ms;
    s.losses.push(...r.losses);
    s.reports.push([r.updates, r.losses.reduce((a, b) => a + b, 0) / r.losses.length, r.testMse]);
    s.profile = Array.from(r.profile);
    s.profiles++;
  } else {
    s.done = true;
    if (demo.state === 'training' && CELLS.every((c) => demo.cells[c].done))
      setState(CELLS.some((c) => demo.cells[c].updates < demo.updates) ? 'stopped' : 'done');
  }
  draw();
}

for (const c of CELLS) {
  workers[c].onmessage = (e: MessageEvent<Reply>) => onReply(e.data);
  workers[c].onerror = (e) => onReply({ kind: 'error', cell: c, message: e.message || 'the worker failed to start' });
}
$('start').addEventListener('click', start);
$('stop').addEventListener('click', () => {
  for (const c of CELLS) workers[c].postMessage({ kind: 'stop' } satisfies Request);
});

// settings from the URL (?T=…&units=…&updates=…&every=…&lr=…&seed=…), &start to begin at once,
// &kernels=simd128 to pin the kernel build
const query = new URLSearchParams(location.search);
const k = query.get('kernels');
const kernels: Pick<Start, 'kernels'> = k === 'simd128' || k === 'relaxed-simd' ? { kernels: k } : {};
for (const id of ['T', 'units', 'updates', 'every', 'lr', 'seed']) {
  const v = query.get(id);
  if (v !== null) $<HTMLInputElement>(id).value = v;
}
setState('idle');
if (query.has('start')) start();
