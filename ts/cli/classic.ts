// `recurrent classic`: the classic LSTM demonstration: an LSTM learns to emit a fixed target
// sequence from fixed random input vectors, by mean squared error.
import { optionError } from '../errors.js';
import { CLASSIC_TARGETS, classicLstm } from '../tasks/classic.js';
import { init } from '../wasm.js';
import { type Command, common, helpText, parseFlags, reader } from './flags.js';

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
    common.lr(0.01),
    common.seed(0, 'inputs and initialisation'),
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
    lr: f.num('lr', 0.01, { min: 0 }),
    seed: f.int('seed', 0, { min: 0 }),
  };
  await init();
  const start = performance.now();
  const r = await classicLstm({
    targets,
    inputDim: opts.inputDim,
    units: opts.units,
    steps: opts.steps,
    optimizer: { name: 'adam', lr: opts.lr },
    seed: opts.seed,
    onStep: (e) => {
      if (e.step % every === 0)
        out(`iter ${String(e.step).padStart(4)}: loss ${e.loss.toExponential(3)}  y_pred = [${e.predictions.map((x) => x.toFixed(5)).join(', ')}]`);
    },
  });
  out(`targets    = [${r.targets.join(', ')}]`);
  out(
    `after ${r.losses.length} iterations: y_pred = [${r.predictions.map((x) => x.toFixed(5)).join(', ')}], loss ${r.losses.at(-1)!.toExponential(3)} (${((performance.now() - start) / 1000).toFixed(2)} s)`,
  );
  r.model.dispose();
  return 0;
}
