// The Spanish–English Bible corpus: Debian's SWORD modules (Reina-Valera 1909, World English
// Bible, King James) exported with diatheke, parsed, aligned verse by verse and cached as
// tab-separated pairs in .cache/corpora/bible/ (git-ignored). Node only.
//
// `diatheke -b MODULE -f OSIS -k Gen 1:1-Rev 22:21` prints one verse a line:
//   [stale text] Book C:V: <w lemma="…">word</w> <w>word</w>…<milestone type="line"/>
// Pitfalls handled here (measured on the Debian export):
// - a range export repeats the last psalm title before every later verse: the text before the
//   verse header is dropped (so WEB's psalm titles are dropped; RV1909 has them in verse 1);
// - WEB writes `</w><w` with no space between two words (114 places; 3 more as `</w>,<w`): a
//   space is inserted;
// - RV1909 glues about 300 words to a neighbouring word tag (`allí</w>también<w>`): spaced;
// - Strong's numbers live in `lemma` attributes: stripping the markup drops them;
// - WEB appends deuterocanonical books after Revelation 22:21 (only the 66 canonical books
//   are read) and a glossary to that verse's line, after a run of spaces (cut there);
// - RV1909 leaves verse slots empty where its numbering shifts: every chapter with an empty or
//   missing verse on either side is dropped whole.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatError, stateError } from '../../errors.js';

/** The SWORD modules and the Debian packages that hold them. */
export const BIBLE_MODULES = {
  es: { module: 'spaRV1909eb', pkg: 'sword-text-sparv', what: 'Reina-Valera 1909 (Spanish)' },
  en: { module: 'engWEB2015eb', pkg: 'sword-text-web', what: 'World English Bible (English)' },
  kjv: { module: 'engKJV2006eb', pkg: 'sword-text-kjv', what: 'King James Version (English)' },
} as const;

/** The 66 canonical books as diatheke names them, in canonical order. */
export const BOOKS = [
  'Genesis',
  'Exodus',
  'Leviticus',
  'Numbers',
  'Deuteronomy',
  'Joshua',
  'Judges',
  'Ruth',
  'I Samuel',
  'II Samuel',
  'I Kings',
  'II Kings',
  'I Chronicles',
  'II Chronicles',
  'Ezra',
  'Nehemiah',
  'Esther',
  'Job',
  'Psalms',
  'Proverbs',
  'Ecclesiastes',
  'Song of Solomon',
  'Isaiah',
  'Jeremiah',
  'Lamentations',
  'Ezekiel',
  'Daniel',
  'Hosea',
  'Joel',
  'Amos',
  'Obadiah',
  'Jonah',
  'Micah',
  'Nahum',
  'Habakkuk',
  'Zephaniah',
  'Haggai',
  'Zechariah',
  'Malachi',
  'Matthew',
  'Mark',
  'Luke',
  'John',
  'Acts',
  'Romans',
  'I Corinthians',
  'II Corinthians',
  'Galatians',
  'Ephesians',
  'Philippians',
  'Colossians',
  'I Thessalonians',
  'II Thessalonians',
  'I Timothy',
  'II Timothy',
  'Titus',
  'Philemon',
  'Hebrews',
  'James',
  'I Peter',
  'II Peter',
  'I John',
  'II John',
  'III John',
  'Jude',
  'Revelation of John',
] as const;

/** The split by whole books (issue 19): narrative, wisdom poetry and a letter held out. */
export const BIBLE_SPLIT = { test: ['Joshua', 'Proverbs', 'Romans'], dev: ['Esther', 'Hebrews'] } as const;

/** One verse of an export: its key and its plain text (markup stripped, spaces collapsed). */
export interface Verse {
  book: string;
  chapter: number;
  verse: number;
  text: string;
}

// a header is a canonical book name (longest first, so "I John" is not read as "John"), then
// chapter:verse and a colon, at the start of the line or after white space or a tag
const HEADER = new RegExp(
  `(?:^|[\\s>])(${[...BOOKS]
    .sort((a, b) => b.length - a.length)
    .map((b) => b.replace(/ /g, ' '))
    .join('|')}) (\\d+):(\\d+): `,
);

/** The plain text of an OSIS fragment: a space between adjacent words (`</w><w`, `</w>,<w`) and for line
 * milestones, every tag removed (with its attributes: Strong's numbers), spaces collapsed. With
 * `spaceGlued`, also a space where a letter touches a word tag (`allí</w>también<w>`: RV1909
 * writes 300 word boundaries so; the KJV uses the same pattern inside words, `give</w>n`). */
export function stripOsis(fragment: string, opts: { spaceGlued?: boolean } = {}): string {
  const glued = opts.spaceGlued ? fragment.replace(/<\/w>(?=\p{L})/gu, '</w> ').replace(/(?<=\p{L})<w(?=[\s>])/gu, ' <w') : fragment;
  return glued
    .replace(/<\/w>([,;:.!?]*)\s*<w(?=[\s>])/g, '</w>$1 <w')
    .replace(/<(milestone|l|lg|lb)\b[^>]*>/g, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The canonical verses of a diatheke OSIS export, in file order (empty verses kept, with text
 * ''). Lines with no canonical verse header (other books, glossary, module name) are skipped;
 * a repeated verse is E_FORMAT. `spaceGlued`: see {@link stripOsis} (for RV1909). */
export function parseOsisExport(text: string, opts: { spaceGlued?: boolean } = {}): Verse[] {
  const out: Verse[] = [];
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = HEADER.exec(line);
    if (!m) continue;
    // WEB appends its glossary to Revelation 22:21 after a run of spaces: cut there
    const raw = line.slice(m.index + m[0].length).split(/ {8,}/)[0];
    const v: Verse = { book: m[1], chapter: Number(m[2]), verse: Number(m[3]), text: stripOsis(raw, opts) };
    const key = `${v.book} ${v.chapter}:${v.verse}`;
    if (seen.has(key)) throw formatError(`the export repeats ${key}`);
    seen.add(key);
    out.push(v);
  }
  return out;
}

/** One aligned verse: Spanish source, English target, and optional extra references. */
export interface AlignedVerse {
  book: string;
  chapter: number;
  verse: number;
  source: string;
  target: string;
  /** The same verse in other translations of the target (e.g. KJV), by module key. */
  refs?: Record<string, string>;
}

/** What {@link alignVerses} returns: the pairs and the chapters it dropped. */
export interface Alignment {
  pairs: AlignedVerse[];
  /** "Book C" of every chapter dropped for an empty or missing verse on some side. */
  dropped: string[];
}

/**
 * Aligns verses by key (book, chapter, verse), in the source's order. A chapter is dropped
 * whole when any verse of it is empty or missing in the source, the target or any extra side.
 */
export function alignVerses(source: readonly Verse[], target: readonly Verse[], extra: Record<string, readonly Verse[]> = {}): Alignment {
  const key = (v: Verse) => `${v.book} ${v.chapter}:${v.verse}`;
  const chapter = (v: Verse) => `${v.book} ${v.chapter}`;
  const byKey = (vs: readonly Verse[]) => new Map(vs.map((v) => [key(v), v.text]));
  const sides = [byKey(source), byKey(target), ...Object.values(extra).map(byKey)];
  const bad = new Set<string>();
  // an empty verse on any side, or a verse one side has and another lacks
  for (const vs of [source, target, ...Object.values(extra)]) for (const v of vs) if (v.text === '' || sides.some((s) => !s.has(key(v)))) bad.add(chapter(v));
  const pairs: AlignedVerse[] = [];
  const extraKeys = Object.keys(extra);
  for (const v of source) {
    if (bad.has(chapter(v))) continue;
    const k = key(v);
    const p: AlignedVerse = { book: v.book, chapter: v.chapter, verse: v.verse, source: v.text, target: sides[1].get(k)! };
    if (extraKeys.length) p.refs = Object.fromEntries(extraKeys.map((e, i) => [e, sides[2 + i].get(k)!]));
    pairs.push(p);
  }
  return { pairs, dropped: [...bad] };
}

/** Which split a book belongs to. */
export function bibleSplitOf(book: string): 'train' | 'dev' | 'test' {
  if ((BIBLE_SPLIT.test as readonly string[]).includes(book)) return 'test';
  if ((BIBLE_SPLIT.dev as readonly string[]).includes(book)) return 'dev';
  return 'train';
}

const run = promisify(execFile);

async function hasCommand(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/** Installs diatheke and the three modules with apt-get when any is missing (as root, or with
 * sudo); E_STATE with the exact command to run when that is not possible. */
export async function ensureBibleModules(log: (s: string) => void = () => {}): Promise<void> {
  const pkgs = ['diatheke', ...Object.values(BIBLE_MODULES).map((m) => m.pkg)];
  const missing: string[] = [];
  if (!(await hasCommand('diatheke'))) missing.push('diatheke');
  else {
    const { stdout } = await run('diatheke', ['-b', 'system', '-k', 'modulelist'], { maxBuffer: 1 << 22 }).catch(() => ({ stdout: '' }));
    for (const m of Object.values(BIBLE_MODULES)) if (!stdout.includes(m.module)) missing.push(m.pkg);
  }
  if (missing.length === 0) return;
  const cmd = `apt-get install -y ${pkgs.join(' ')}`;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!(await hasCommand('apt-get')) || (!root && !(await hasCommand('sudo'))))
    throw stateError(`the Bible corpus needs ${missing.join(', ')} (Debian packages): install them with \`${cmd}\``);
  log(`installing ${missing.join(', ')} with apt-get (Debian packages of the Bible corpus)`);
  const sh = `${root ? '' : 'sudo -n '}env DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && ${cmd} -qq'`;
  try {
    await run('sh', ['-c', sh], { maxBuffer: 1 << 24 });
  } catch (e) {
    throw stateError(`could not install ${missing.join(', ')} (${(e as Error).message.split('\n')[0]}): install them with \`sudo ${cmd}\``);
  }
}

/** A whole canon exported by diatheke as OSIS; E_STATE when diatheke or the module is missing. */
export async function exportModule(module: string): Promise<string> {
  if (!(await hasCommand('diatheke'))) throw stateError('diatheke is not installed: install it with `apt-get install -y diatheke`');
  let stdout: string;
  try {
    ({ stdout } = await run('diatheke', ['-b', module, '-f', 'OSIS', '-k', 'Gen 1:1-Rev 22:21'], { maxBuffer: 1 << 26 }));
  } catch (e) {
    throw stateError(`diatheke could not export ${module}: ${(e as Error).message.split('\n')[0]}`);
  }
  const pkg = Object.values(BIBLE_MODULES).find((m) => m.module === module)?.pkg;
  if (!HEADER.test(stdout))
    throw stateError(`the SWORD module ${module} is not installed${pkg ? `: install it with \`apt-get install -y ${pkg}\`` : ''} (diatheke printed no verses)`);
  return stdout;
}

/** The aligned Bible corpus with its splits. */
export interface BibleCorpus {
  train: AlignedVerse[];
  dev: AlignedVerse[];
  test: AlignedVerse[];
  /** Chapters dropped for empty verse slots. */
  dropped: string[];
  /** Where the cache lives, and whether this call read it (false: made it). */
  cacheFile: string;
  cached: boolean;
}

/** Lines of the cache file: book, chapter, verse, Spanish, WEB, KJV (tab-separated). */
function toTsv(pairs: readonly AlignedVerse[]): string {
  return `${pairs.map((p) => [p.book, p.chapter, p.verse, p.source, p.target, p.refs?.kjv ?? ''].join('\t')).join('\n')}\n`;
}

function fromTsv(text: string, file: string): AlignedVerse[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      const f = l.split('\t');
      if (f.length !== 6) throw formatError(`${file} line ${i + 1}: expected 6 tab-separated fields (delete the file to rebuild it)`);
      return { book: f[0], chapter: Number(f[1]), verse: Number(f[2]), source: f[3], target: f[4], refs: { kjv: f[5] } };
    });
}

/**
 * The Spanish→English corpus, from the cache in `dir` (default `.cache/corpora/bible`) or made
 * there: installs the packages when missing (see {@link ensureBibleModules}), exports, parses,
 * aligns (RV1909 → WEB, KJV kept as a second reference) and splits by book.
 */
export async function loadBible(opts: { dir?: string; log?: (s: string) => void } = {}): Promise<BibleCorpus> {
  const dir = opts.dir ?? join('.cache', 'corpora', 'bible');
  const file = join(dir, 'rv1909-web-kjv.v2.tsv');
  let pairs: AlignedVerse[];
  let dropped: string[] = [];
  let cached = true;
  try {
    const text = await readFile(file, 'utf8');
    pairs = fromTsv(text, file);
    const droppedText = await readFile(join(dir, 'dropped.txt'), 'utf8').catch(() => '');
    dropped = droppedText.split('\n').filter(Boolean);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    cached = false;
    await ensureBibleModules(opts.log);
    const [es, en, kjv] = await Promise.all([
      exportModule(BIBLE_MODULES.es.module),
      exportModule(BIBLE_MODULES.en.module),
      exportModule(BIBLE_MODULES.kjv.module),
    ]);
    const a = alignVerses(parseOsisExport(es, { spaceGlued: true }), parseOsisExport(en), { kjv: parseOsisExport(kjv) });
    pairs = a.pairs;
    dropped = a.dropped;
    await mkdir(dir, { recursive: true });
    await writeFile(`${file}.tmp`, toTsv(pairs));
    await rename(`${file}.tmp`, file);
    await writeFile(join(dir, 'dropped.txt'), `${dropped.join('\n')}\n`);
  }
  const by = (s: string) => pairs.filter((p) => bibleSplitOf(p.book) === s);
  return { train: by('train'), dev: by('dev'), test: by('test'), dropped, cacheFile: file, cached };
}
