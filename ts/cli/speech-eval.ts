// `recurrent speech run` over many WAV files and `recurrent speech eval --gold LIST`: one model
// load, every file transcribed in one process. A gold list has one utterance a line:
// `PATH<TAB>REFERENCE[<TAB>GROUP]` (REFERENCE digits "415", or words / digits separated by
// spaces "four one five"; GROUP e.g. the voice, else the file's folder); blank lines and lines
// starting with # are skipped; relative paths are resolved against the list's folder.
import { dirname, isAbsolute, join } from 'node:path';
import { formatError } from '../errors.js';
import { decodeWav16k, logMel } from '../index.js';
import { readSource } from '../io/source.js';
import { editDistance } from '../tasks/edit-distance.js';
import { DIGIT_WORDS, type SpeechRecognizer, type SpeechScore, scoreTranscripts } from '../tasks/speech.js';

/** One line of a gold list. */
export interface GoldUtterance {
  path: string;
  digits: number[];
  group: string;
}

/** Digits of a reference: "415", "4 1 5" or "four one five" (E_FORMAT for anything else). */
export function parseDigits(text: string, where: string): number[] {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Array.from(t, Number);
  const out: number[] = [];
  for (const w of t.split(/\s+/).filter(Boolean)) {
    const d = /^\d$/.test(w) ? Number(w) : (DIGIT_WORDS as readonly string[]).indexOf(w.toLowerCase());
    if (d < 0) throw formatError(`${where}: '${w}' is not a digit or a digit word (zero … nine)`);
    out.push(d);
  }
  return out;
}

const resolveFrom = (list: string, p: string) => (isAbsolute(p) ? p : join(dirname(list), p));
const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l, i) => ({ l: l.trim(), n: i + 1 }))
    .filter(({ l }) => l !== '' && !l.startsWith('#'));

/** The WAV paths of a list file (one a line). */
export function parseWavList(text: string, list: string): string[] {
  return lines(text).map(({ l }) => resolveFrom(list, l));
}

/** The utterances of a gold list (see the file comment). */
export function parseGold(text: string, list: string): GoldUtterance[] {
  const out = lines(text).map(({ l, n }) => {
    const cols = l.split('\t');
    if (cols.length < 2 || cols.length > 3) throw formatError(`${list} line ${n}: expected PATH<TAB>REFERENCE[<TAB>GROUP], got ${cols.length} column(s)`);
    const path = resolveFrom(list, cols[0].trim());
    return { path, digits: parseDigits(cols[1], `${list} line ${n}`), group: cols[2]?.trim() || dirname(cols[0].trim()) };
  });
  if (out.length === 0) throw formatError(`${list} has no utterances (PATH<TAB>REFERENCE per line)`);
  return out;
}

/** A file's bytes (E_FORMAT naming the file when it cannot be read). */
export async function readBytes(what: string, path: string): Promise<Uint8Array> {
  try {
    return await readSource(path);
  } catch (e) {
    throw formatError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Transcribes WAV files with one model, in batches (E_FORMAT names a file that is not a WAV). */
export async function transcribeFiles(rec: SpeechRecognizer, paths: readonly string[], beam: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < paths.length; i += 64) {
    const frames: Float32Array[] = [];
    for (const p of paths.slice(i, i + 64)) {
      const bytes = await readBytes('audio file', p);
      try {
        frames.push(logMel(decodeWav16k(bytes)));
      } catch (e) {
        throw formatError(`${p}: ${(e as Error).message}`);
      }
    }
    out.push(...(await rec.transcribeFrames(frames, { beam })));
  }
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const line = (name: string, r: SpeechScore) => `${name}: label error rate ${pct(r.ler)}, string accuracy ${pct(r.accuracy)} (${r.utterances} utterances)`;

/** The report of `speech eval`: overall, per group, and the `worst` utterances by edit distance. */
export function goldReport(
  gold: readonly GoldUtterance[],
  hyps: readonly number[][],
  worst: number,
  groupName = 'by group (voice column, else folder)',
): string[] {
  const out = [
    line(
      'all',
      scoreTranscripts(
        gold.map((g) => g.digits),
        hyps,
      ),
    ),
  ];
  const groups = new Map<string, number[]>();
  gold.forEach((g, i) => {
    const ids = groups.get(g.group) ?? [];
    ids.push(i);
    groups.set(g.group, ids);
  });
  if (groups.size > 1) {
    out.push(`${groupName}:`);
    for (const [name, ids] of [...groups].sort((a, b) => a[0].localeCompare(b[0])))
      out.push(
        `  ${line(
          name,
          scoreTranscripts(
            ids.map((i) => gold[i].digits),
            ids.map((i) => hyps[i]),
          ),
        )}`,
      );
  }
  const errs = gold
    .map((g, i) => ({ i, d: editDistance(g.digits, hyps[i]) }))
    .filter((e) => e.d > 0)
    .sort((a, b) => b.d / Math.max(1, gold[b.i].digits.length) - a.d / Math.max(1, gold[a.i].digits.length) || a.i - b.i)
    .slice(0, worst);
  if (worst > 0) {
    out.push(errs.length ? `worst ${errs.length} utterances (edit distance / reference digits):` : 'worst utterances: none (every utterance exact)');
    for (const { i, d } of errs) out.push(`  ${gold[i].path}\t${gold[i].digits.join('')} -> ${hyps[i].join('') || '(nothing)'}\t${d}/${gold[i].digits.length}`);
  }
  return out;
}
