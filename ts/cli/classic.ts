// `recurrent classic`: the classic LSTM demonstration: an LSTM learns to emit a fixed target
// sequence from fixed random input vectors, by mean squared error.
import { optionError } from '../errors.js';
import { encodeCheckpoint } from '../io/checkpoint.js';
import { CLASSIC_TARGETS, classicLstm } from '../tasks/classic.js';
import { TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { init } from '../wasm.js';
import { lineChart } from './chart.js';
import { type Command, common, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, writeAtomic } from './output.js';

export const CLASSIC: Command = {
  name: 'recurrent classic',
  usage: '[flags]',
  about: `The classic LSTM demonstration: an LSTM reads a fixed sequence of random input vectors and
learns to emit one target value per step (mean squared error, Adam).`,
  flags: [
    { name: 'targets', arg: 'LIST', help: `comma-separated targets (default ${CLASSIC_TARGETS.join(',')})` },
    { name: 'input-dim', arg: 'N', help: 'size of each random input vector (default 50)' },
    common.units(100, 'LSTM units'),
    common.updates(150),
    common.lr(TASK_TRAINING.classic.lr),
    common.seed(0, 'inputs and initialisation'),
    common.timeBudget(),
    common.out('runs/classic.safetensors'),
    common.chart(),
    { name: 'every', arg: 'N', help: 'print every N updates (default 10)' },
  ],
  examples: ['recurrent classic --targets 0.1,0.5,-0.3 --updates 300'],
};

export async function classic(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(CLASSIC, argv);
  if (parsed.help) {
    out(helpText(CLASSIC));
    return 0;
  }
  const f = reader(parsed);
  const v = { targets: f.str('targets') };
  const targets = v.targets === undefined ? [...CLASSIC_TARGETS] : v.targets.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (targets.length === 0 || targets.some((x) => !Number.isFinite(x))) throw optionError(`--targets must be comma-separated numbers (got '${v.targets}')`);
  const every = f.int('every', 10);
  const opts = {
    inputDim: f.int('input-dim', 50),
    units: f.int('units', 100),
    steps: f.int('updates', 150),
    lr: f.num('lr', TASK_TRAINING.classic.lr, { min: 0 }),
    seed: f.int('seed', 0, { min: 0 }),
    timeBudgetMs: f.duration('time-budget'),
  };
  const outPath = f.str('out') ?? 'runs/classic.safetensors';
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);
  await init();
  const start = performance.now();
  const r = await classicLstm({
    targets,
    inputDim: opts.inputDim,
    units: opts.units,
    steps: opts.steps,
    optimizer: taskCompile('classic', { lr: opts.lr }).optimizer,
    seed: opts.seed,
    timeBudgetMs: opts.timeBudgetMs,
    onStep: (e) => {
      if (e.step % every === 0)
        out(`iter ${String(e.step).padStart(4)}: loss ${e.loss.toExponential(3)}  y_pred = [${e.predictions.map((x) => x.toFixed(5)).join(', ')}]`);
    },
  });
  out(`targets    = [${r.targets.join(', ')}]`);
  out(
    `after ${r.losses.length} iterations: y_pred = [${r.predictions.map((x) => x.toFixed(5)).join(', ')}], loss ${r.losses.at(-1)!.toExponential(3)} (${((performance.now() - start) / 1000).toFixed(2)} s)`,
  );
  try {
    const m = r.model;
    await writeAtomic(
      outPath,
      encodeCheckpoint({ spec: m.spec, seed: m.seed, params: m.paramNames().map((name) => ({ name, shape: m.paramShape(name), data: m.getParam(name) })) }),
    );
    out(`model saved to ${outPath}`);
  } finally {
    r.model.dispose();
  }
  if (chartPath)
    await savePicture(
      chartPath,
      lineChart({
        title: `recurrent classic: LSTM ${opts.units} learning ${r.targets.length} fixed targets`,
        subtitle: `${r.losses.length} updates, Adam lr ${opts.lr}; lower is better`,
        x: 'update',
        y: 'mean squared error',
        series: [{ name: 'training loss', points: r.losses.map((l, i) => [i + 1, l] as const) }],
      }),
      out,
    );
  return 0;
}
