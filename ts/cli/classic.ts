// `recurrent classic`: the classic LSTM demonstration: an LSTM learns to emit a fixed target
// sequence from fixed random input vectors, by mean squared error.
import { parseArgs } from 'node:util';
import { optionError } from '../errors.js';
import { CLASSIC_TARGETS, classicLstm } from '../tasks/classic.js';
import { init } from '../wasm.js';
import { num } from './args.js';

export const CLASSIC_HELP = `usage: recurrent classic [flags]

An LSTM reads a fixed sequence of random input vectors and learns to emit one target value
per step (mean squared error, Adam).
  --targets LIST     comma-separated targets (default ${CLASSIC_TARGETS.join(',')})
  --input-dim N      size of each random input vector (default 50)
  --units N          LSTM units (default 100)
  --steps N          training iterations (default 150)
  --lr X             Adam learning rate (default 0.01)
  --seed N           inputs and initialisation (default 0)
  --every N          print every N iterations (default 10)
`;

export async function classic(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      targets: { type: 'string' },
      'input-dim': { type: 'string' },
      units: { type: 'string' },
      steps: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      every: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(CLASSIC_HELP);
    return 0;
  }
  const targets = v.targets === undefined ? [...CLASSIC_TARGETS] : v.targets.split(',').map((s) => Number(s.trim()));
  if (targets.length === 0 || targets.some((x) => !Number.isFinite(x))) throw optionError(`--targets must be comma-separated numbers (got '${v.targets}')`);
  const every = num('every', v.every, 10, { int: true, min: 1 });
  await init();
  const start = performance.now();
  const r = await classicLstm({
    targets,
    inputDim: num('input-dim', v['input-dim'], 50, { int: true, min: 1 }),
    units: num('units', v.units, 100, { int: true, min: 1 }),
    steps: num('steps', v.steps, 150, { int: true, min: 1 }),
    optimizer: { name: 'adam', lr: num('lr', v.lr, 0.01, { min: 0 }) },
    seed: num('seed', v.seed, 0, { int: true, min: 0 }),
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
