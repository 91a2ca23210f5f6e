// Task 4, forecasting: the births CSV parser and its errors, calendar features, the
// seasonal-naive baseline and MAE on hand-computed cases, a short training run that beats
// the baseline on the held-out year, and the CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBirths } from '../ts/cli/corpora/births.js';
import { init } from '../ts/index.js';
import { meanAbsoluteError } from '../ts/tasks/edit-distance.js';
import { type Day, dayFeatures, FEATURES, forecastBirths, parseDailyCsv, seasonalNaive } from '../ts/tasks/forecast.js';
import { expectError, ROOT } from './helpers.js';

let days: Day[];

beforeAll(async () => {
  await init();
  days = parseDailyCsv(await loadBirths());
});

const CSV = 'year,month,date_of_month,day_of_week,births\n2000,1,1,6,9083\n2000,1,2,7,8006\n2000,1,3,1,11363\n';

describe('births data', () => {
  it('parses the data set: 5,479 consecutive days from 2000-01-01 (a Saturday) to 2014-12-31', () => {
    expect(days.length).toBe(5479);
    expect(days[0]).toEqual({ year: 2000, month: 1, day: 1, dayOfWeek: 6, value: 9083 });
    expect(days.at(-1)).toEqual({ year: 2014, month: 12, day: 31, dayOfWeek: 3, value: 11990 });
  });

  it('parses a hand-written CSV (CRLF and a trailing blank line too)', () => {
    const d = parseDailyCsv(`${CSV.replace(/\n/g, '\r\n')}\r\n`);
    expect(d.map((x) => x.value)).toEqual([9083, 8006, 11363]);
    expect(d.map((x) => x.dayOfWeek)).toEqual([6, 7, 1]);
  });

  it('rejects bad input with typed errors that name the line', () => {
    expectError(() => parseDailyCsv(''), TypeError, 'E_FORMAT', /line 1: expected the header/);
    expectError(() => parseDailyCsv('year,month,date_of_month,day_of_week,births\n'), RangeError, 'E_RANGE', /no days/);
    expectError(() => parseDailyCsv(`${CSV}2000,1,4,2\n`), TypeError, 'E_FORMAT', /line 5: expected 5 comma-separated fields/);
    expectError(() => parseDailyCsv(`${CSV}2000,1,4,2,many\n`), TypeError, 'E_FORMAT', /line 5: .* is not numeric/);
    expectError(() => parseDailyCsv(`${CSV}2000,1,5,3,100\n`), TypeError, 'E_FORMAT', /line 5: 2000-01-05 does not follow/);
    expectError(() => parseDailyCsv(`${CSV}2000,1,4,3,100\n`), TypeError, 'E_FORMAT', /line 5: day_of_week 3 does not match 2000-01-04/);
    expectError(() => parseDailyCsv(`${CSV}2000,2,30,3,100\n`), TypeError, 'E_FORMAT', /not a date/);
    expectError(() => parseDailyCsv(new Uint8Array([0x79, 0xff, 0xfe])), TypeError, 'E_FORMAT', /UTF-8/);
  });
});

describe('features, baseline and MAE (hand-computed)', () => {
  it('features: z-score, day-of-week one-hot, sin/cos of the day of year', () => {
    const d = parseDailyCsv(CSV);
    const x = dayFeatures(d, 10000, 1000);
    expect(x.length).toBe(3 * FEATURES);
    expect(x[0]).toBeCloseTo(-0.917, 6);
    expect(Array.from(x.subarray(1, 8))).toEqual([0, 0, 0, 0, 0, 1, 0]);
    expect(Array.from(x.subarray(FEATURES + 1, FEATURES + 8))).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(x.subarray(2 * FEATURES + 1, 2 * FEATURES + 8))).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(x[8]).toBeCloseTo(Math.sin((2 * Math.PI) / 365.25), 6);
    expect(x[2 * FEATURES + 9]).toBeCloseTo(Math.cos((2 * Math.PI * 3) / 365.25), 6);
  });

  it('seasonal naive repeats the last observed week', () => {
    const v = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(seasonalNaive(v, 9, 10)).toEqual([2, 3, 4, 5, 6, 7, 8, 2, 3, 4]);
    expect(seasonalNaive(v, 7, 3)).toEqual([0, 1, 2]);
    expectError(() => seasonalNaive(v, 6, 3), RangeError, 'E_RANGE', /7 days before the origin/);
  });

  it('MAE', () => {
    expect(meanAbsoluteError([1, 2, 3], [2, 2, 5])).toBeCloseTo(1, 12);
    expect(meanAbsoluteError([-1.5], [1])).toBe(2.5);
    expectError(() => meanAbsoluteError([1], [1, 2]), RangeError, 'E_SHAPE');
    expectError(() => meanAbsoluteError([], []), RangeError, 'E_RANGE');
  });

  it('the seasonal-naive MAE on 2014 is computed from the data, not from training', () => {
    // 2014 starts at index 5114; 338 origins whose 28 days all lie in 2014
    const start = days.findIndex((d) => d.year === 2014);
    expect(start).toBe(5114);
    const values = days.map((d) => d.value);
    let sum = 0;
    let n = 0;
    for (let o = start; o + 28 <= days.length; o++) {
      const f = seasonalNaive(values, o, 28);
      for (let h = 0; h < 28; h++) {
        sum += Math.abs(f[h] - values[o + h]);
        n++;
      }
    }
    expect(n).toBe(338 * 28);
    expect(sum / n).toBeGreaterThan(300);
  });
});

describe('LSTM forecaster', () => {
  it('a short run (6 epochs over every other origin) beats the seasonal-naive MAE on the held-out year', async () => {
    const r = await forecastBirths(days, { units: 32, epochs: 6, stride: 2, lr: 4e-3, seed: 1 });
    expect(r.testYear).toBe(2014);
    expect(r.validationYear).toBe(2013);
    expect(r.testOrigins).toBe(338);
    expect(r.epochs).toBe(6);
    expect(r.mae).toBeLessThan(0.95 * r.naiveMae);
    expect(r.validationMae).toBeLessThan(r.validationNaiveMae);
  });

  it('rejects a series too short for a train / validation / test split', async () => {
    await expect(forecastBirths(days.slice(days.length - 400))).rejects.toMatchObject({ code: 'E_RANGE' });
    await expect(forecastBirths(days, { bogus: 1 } as never)).rejects.toMatchObject({ code: 'E_OPTION' });
  });
});

describe('recurrent forecast (CLI)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'forecast', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

  it('trains, then reports validation and test MAE against the seasonal-naive baseline', () => {
    const r = cli('--epochs', '1', '--stride', '7', '--units', '8', '--input-days', '28');
    expect(r.stderr).not.toMatch(/recurrent:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/data: US births per day \(SSA\), 5,479 days 2000-01-01 … 2014-12-31/);
    expect(r.stdout).toMatch(/epoch 1\/1: train loss \d+\.\d+ \(z-scores\), validation MAE \d+\.\d/);
    expect(r.stdout).toMatch(/test 2014 \(338 origins x 28 days\): LSTM MAE \d+\.\d births\/day, seasonal naive MAE 4\d\d\.\d/);
  });

  it('a malformed CSV is a clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-forecast-'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'date,value\n2000-01-01,5\n');
    const r = cli('--csv', bad);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/recurrent: E_FORMAT: line 1: expected the header/);
  });
});
