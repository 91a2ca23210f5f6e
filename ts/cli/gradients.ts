// `recurrent gradients`: gradient flow through time, measured and drawn. A tanh RNN, an LSTM and
// a GRU of the same size learn the adding problem at several lengths; the command prints each
// one's test MSE and its gradient-norm profile ||dL/dh_t|| over time at the start and the end of
// training, writes them as an SVG (log scale), and shows a ReLU RNN with a large recurrent
// initialisation exploding without clipping and staying finite with it.
import { optionError } from '../errors.js';
import type { CellType } from '../layer.js';
import { ADDING_BASELINE_MSE } from '../tasks/adding.js';
import { TASK_TRAINING } from '../tasks/defaults.js';
import { type CellRun, explodingRelu, gradientFlow } from '../tasks/gradient-flow.js';
import { init } from '../wasm.js';
import { type LineSeries, lineChart } from './chart.js';
import { type Command, common, helpText, parseFlags, reader } from './flags.js';
import { prepareOutput, savePicture } from './output.js';

const CELLS: readonly CellType[] = ['rnn_tanh', 'lstm', 'gru'];

export const GRADIENTS: Command = {
  name: 'recurrent gradients',
  usage: '[flags]',
  about: `Gradient flow through time: a tanh RNN, an LSTM and a GRU of the same size learn the adding
problem (Hochreiter & Schmidhuber 1997; answering 1.0 always gives MSE ${ADDING_BASELINE_MSE.toFixed(3)}) at each
length T; prints each one's test MSE and its per-step gradient norms ||dL/dh_t|| at the start and
the end of training, and writes them as an SVG (log scale). Then a ReLU RNN whose recurrent
weights start at 1.05 × identity, trained by SGD without and with clipping.`,
  flags: [
    { name: 'lengths', arg: 'LIST', help: 'comma-separated sequence lengths T (default 50,100,200)' },
    { name: 'cells', arg: 'LIST', help: 'comma-separated cells (default rnn_tanh,lstm,gru)' },
    common.units(32),
    { ...common.updates(1500), help: 'Adam updates per cell and length (default 1500)' },
    common.batch(32, 'sequences'),
    common.lr(TASK_TRAINING.gradientFlow.lr),
    common.clip(TASK_TRAINING.gradientFlow.clipNorm ?? 0),
    { name: 'test-size', arg: 'X', aliases: ['test'], help: 'test sequences per T: a count (default 500)' },
    { name: 'forget-bias', arg: 'X', help: "added to the LSTM's forget-gate bias at initialisation (default 1; 0 = PyTorch's init)" },
    { name: 'chart-length', arg: 'T', help: 'the T whose profiles the SVG draws (default: the middle one of --lengths)' },
    { name: 'chart', arg: 'FILE', negatable: true, help: 'the SVG picture (default gradients.svg; --no-chart: none)' },
    common.seed(0, 'data and initialisation'),
  ],
  examples: ['recurrent gradients', 'recurrent gradients --lengths 20 --updates 200 --units 16 --chart /tmp/g.svg'],
};

function list(v: string | undefined, what: string): string[] | undefined {
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => s.trim());
  if (xs.length === 0 || xs.some((s) => s === '')) throw optionError(`--${what} must be a comma-separated list (got '${v}')`);
  return xs;
}

/** `n` values of a profile at evenly spaced steps, as short exponentials. */
function sampled(p: Float32Array, n = 6): string {
  const idx = Array.from({ length: n }, (_, i) => Math.round((i * (p.length - 1)) / (n - 1)));
  return idx.map((t) => `t=${t}: ${p[t].toExponential(1)}`).join('  ');
}

export async function gradients(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(GRADIENTS, argv);
  if (parsed.help) {
    out(helpText(GRADIENTS));
    return 0;
  }
  const f = reader(parsed);
  const lengths = list(f.str('lengths'), 'lengths')?.map((s) => {
    const t = Number(s);
    if (!Number.isInteger(t) || t < 2) throw optionError(`--lengths must be whole numbers ≥ 2 (got '${s}')`);
    return t;
  }) ?? [50, 100, 200];
  const cells = (list(f.str('cells'), 'cells') ?? [...CELLS]) as CellType[];
  for (const c of cells)
    if (!['rnn_tanh', 'rnn_relu', 'lstm', 'gru'].includes(c)) throw optionError(`--cells: '${c}' is not one of rnn_tanh, rnn_relu, lstm, gru`);
  const chartT = f.int('chart-length', lengths[Math.floor((lengths.length - 1) / 2)]);
  if (!lengths.includes(chartT)) throw optionError(`--chart-length ${chartT} is not one of --lengths`);
  const chartRaw = f.raw('chart');
  const chart = chartRaw === false ? undefined : typeof chartRaw === 'string' ? chartRaw : 'gradients.svg';
  const opts = {
    lengths,
    cells,
    units: f.int('units', 32),
    updates: f.int('updates', 1500),
    batchSize: f.int('batch', 32),
    lr: f.num('lr', TASK_TRAINING.gradientFlow.lr, { min: 0 }),
    clipNorm: f.num('clip', TASK_TRAINING.gradientFlow.clipNorm ?? 0, { min: 0 }),
    testSize: f.int('test-size', 500),
    forgetBias: f.num('forget-bias', 1, { min: -100, max: 100 }),
    seed: f.int('seed', 0, { min: 0 }),
  };
  if (chart) await prepareOutput('chart', chart);
  await init();
  const t0 = performance.now();
  out(
    `adding problem: ${opts.units} units, ${opts.updates} Adam updates of ${opts.batchSize} sequences (lr ${opts.lr}, clip ${opts.clipNorm}), LSTM forget bias +${opts.forgetBias}, ${opts.testSize} test sequences; answering 1.0 gives MSE ${ADDING_BASELINE_MSE.toFixed(3)}`,
  );
  const runs: CellRun[] = gradientFlow({
    ...opts,
    clipNorm: opts.clipNorm,
    onRun: (r) => {
      out(`T=${r.steps} ${r.cell.padEnd(8)} test MSE ${r.testMse.toFixed(4)}  (${r.seconds.toFixed(1)} s)`);
      out(`  ||dL/dh_t|| start: ${sampled(r.start)}`);
      out(`  ||dL/dh_t|| end:   ${sampled(r.end)}`);
    },
  });
  out('');
  out(`| cell | ${lengths.map((t) => `T=${t}`).join(' | ')} |`);
  out(`|---|${lengths.map(() => '---:').join('|')}|`);
  for (const c of cells) out(`| ${c} | ${lengths.map((t) => runs.find((r) => r.cell === c && r.steps === t)!.testMse.toFixed(4)).join(' | ')} |`);
  out('(test MSE; ratio ||dL/dh_0|| / ||dL/dh_T-1|| at the start of training, per T:');
  for (const c of cells)
    out(
      `  ${c.padEnd(8)} ${lengths
        .map((t) => {
          const r = runs.find((x) => x.cell === c && x.steps === t)!;
          return `T=${t}: ${(r.start[0] / r.start[t - 1]).toExponential(1)}`;
        })
        .join('  ')}`,
    );
  out('');
  const ex = explodingRelu({ seed: opts.seed });
  for (const r of ex) {
    const blown = !Number.isFinite(r.testMse) || r.losses.some((l) => !Number.isFinite(l));
    const finite = r.gradNorms.filter(Number.isFinite);
    out(
      `ReLU RNN, W_hh = 1.05·I, SGD ${r.clipNorm === undefined ? 'without clipping' : `clipped at norm ${r.clipNorm}`}: ||dL/dh_0|| / ||dL/dh_99|| = ${(r.start[0] / r.start[r.start.length - 1]).toExponential(1)}; ` +
        `largest gradient norm ${finite.length ? Math.max(...finite).toExponential(1) : 'n/a'}; ` +
        (blown
          ? `blew up at update ${r.losses.findIndex((l) => !Number.isFinite(l)) + 1 || r.losses.length}`
          : `after ${r.losses.length} updates test MSE ${r.testMse.toFixed(4)}`),
    );
  }
  if (chart) {
    const series: LineSeries[] = [];
    for (const r of runs.filter((x) => x.steps === chartT)) {
      series.push({ name: `${r.cell} start`, points: Array.from(r.start, (v, t) => [t, v] as const) });
      series.push({ name: `${r.cell} end`, points: Array.from(r.end, (v, t) => [t, v] as const) });
    }
    const mse = runs
      .filter((x) => x.steps === chartT)
      .map((r) => `${r.cell} ${r.testMse.toFixed(3)}`)
      .join(', ');
    await savePicture(
      chart,
      lineChart({
        title: `Gradient flow through time: adding problem, T = ${chartT}`,
        subtitle: `||dL/dh_t|| on 64 test sequences, before and after ${opts.updates} updates; test MSE ${mse}`,
        x: 'step t',
        y: '||dL/dh_t|| (log scale)',
        series,
        logY: true,
        width: 860,
      }),
      out,
    );
  }
  out(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return 0;
}
