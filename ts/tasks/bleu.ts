// Corpus BLEU and chrF exactly as sacreBLEU 2.x computes them (the field's reference for MT
// scores), checked against scores sacreBLEU 2.6.0 produced (test/fixtures/sacrebleu):
//
//   corpusBleu(hyps, [refs]).score     // BLEU-4, 13a tokenisation, case-sensitive, exp smoothing
//   formatBleu(corpusBleu(hyps, [refs])) // "BLEU = 45.95 80.5/60.8/44.9/33.2 (BP = 0.884 ratio = …)"
//   corpusChrf(hyps, [refs]).score     // chrF2: character 6-grams, β = 2, spaces removed
//
// `refs` is a list of reference streams (one string per hypothesis in each), as sacreBLEU's
// `corpus_bleu(hyps, [refs])` takes them. Characters are Unicode code points, and "white
// space" is Python's (`str.split()`), so scores match sacreBLEU on any text.
import { rangeError } from '../errors.js';

/** Python's str.split() white space (str.isspace), as a character class. */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACES = new RegExp(`[${PY_SPACE}]+`, 'u');
const TRAILING = new RegExp(`[${PY_SPACE}]+$`, 'u');

/** Words of a line split as Python's `str.split()` does (no empty strings). */
export function pySplit(s: string): string[] {
  return s.split(SPACES).filter((w) => w !== '');
}

// sacreBLEU's TokenizerRegexp (the mteval-v13a rules), applied in order
const RULES: [RegExp, string][] = [
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  [/([^0-9])([.,])/g, '$1 $2 '],
  [/([.,])([^0-9])/g, ' $1 $2'],
  [/([0-9])(-)/g, '$1 $2 '],
];

/** sacreBLEU's '13a' tokenisation (mteval-v13a): punctuation split off, except periods and
 * commas inside numbers; the tokens joined by single spaces. */
export function tokenize13a(line: string): string {
  let s = line
    .replace(/<skipped>/g, '')
    .replace(/-\n/g, '')
    .replace(/\n/g, ' ');
  if (s.includes('&'))
    s = s
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  s = ` ${s} `;
  for (const [re, rep] of RULES) s = s.replace(re, rep);
  return pySplit(s).join(' ');
}

/** Corpus BLEU and the statistics it comes from (sacreBLEU's BLEUScore). */
export interface BleuScore {
  /** BLEU in [0, 100]. */
  score: number;
  /** Clipped n-gram matches, n = 1…4. */
  counts: number[];
  /** Hypothesis n-grams, n = 1…4. */
  totals: number[];
  /** n-gram precisions in percent (smoothed where no n-gram matched). */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis / reference length. */
  ratio: number;
  /** Hypothesis tokens. */
  hypLen: number;
  /** Reference tokens (closest reference length per sentence). */
  refLen: number;
}

/** sacreBLEU's signature of the BLEU computed by {@link corpusBleu} (the version names the
 * sacreBLEU release whose scores the tests reproduce). */
export function bleuSignature(nrefs = 1): string {
  return `nrefs:${nrefs}|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`;
}

/** sacreBLEU's signature of {@link corpusChrf}. */
export function chrfSignature(nrefs = 1): string {
  return `nrefs:${nrefs}|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`;
}

const MAX_ORDER = 4;

function ngrams(words: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const k = words.slice(i, i + n).join(' ');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

function checkStreams(fn: string, hyps: readonly string[], refs: readonly (readonly string[])[]): void {
  if (refs.length === 0) throw rangeError(`${fn}: give at least one reference stream`);
  refs.forEach((r, i) => {
    if (r.length !== hyps.length) throw rangeError(`${fn}: reference stream ${i} has ${r.length} lines, the hypotheses ${hyps.length}`);
  });
  const bad = [hyps, ...refs].findIndex((s) => s.some((x) => typeof x !== 'string'));
  if (bad >= 0) throw rangeError(`${fn}: every hypothesis and reference must be a string`);
}

/**
 * Corpus BLEU as `sacrebleu.corpus_bleu(hyps, refs)` with its defaults: 13a tokenisation,
 * case-sensitive, BLEU-4, 'exp' smoothing, closest reference length (ties: the shorter).
 */
export function corpusBleu(hyps: readonly string[], refs: readonly (readonly string[])[]): BleuScore {
  checkStreams('corpusBleu', hyps, refs);
  const counts = new Array<number>(MAX_ORDER).fill(0);
  const totals = new Array<number>(MAX_ORDER).fill(0);
  let hypLen = 0;
  let refLen = 0;
  for (let i = 0; i < hyps.length; i++) {
    const hw = tokenize13a(hyps[i].replace(TRAILING, ''))
      .split(' ')
      .filter((w) => w !== '');
    const rws = refs.map((r) =>
      tokenize13a(r[i].replace(TRAILING, ''))
        .split(' ')
        .filter((w) => w !== ''),
    );
    hypLen += hw.length;
    let closest = -1;
    let diff = -1;
    for (const rw of rws) {
      const d = Math.abs(hw.length - rw.length);
      if (diff === -1 || d < diff || (d === diff && rw.length < closest)) {
        diff = d;
        closest = rw.length;
      }
    }
    refLen += closest;
    for (let n = 1; n <= MAX_ORDER; n++) {
      const h = ngrams(hw, n);
      const maxRef = new Map<string, number>();
      for (const rw of rws) for (const [k, c] of ngrams(rw, n)) if (c > (maxRef.get(k) ?? 0)) maxRef.set(k, c);
      for (const [k, c] of h) {
        totals[n - 1] += c;
        counts[n - 1] += Math.min(c, maxRef.get(k) ?? 0);
      }
    }
  }
  return bleuFromStats(counts, totals, hypLen, refLen);
}

/** sacreBLEU's compute_bleu with 'exp' smoothing and no effective order. */
function bleuFromStats(counts: number[], totals: number[], hypLen: number, refLen: number): BleuScore {
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  let smooth = 1;
  for (let n = 0; n < MAX_ORDER; n++) {
    if (totals[n] === 0) break;
    if (counts[n] === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * totals[n]);
    } else precisions[n] = (100 * counts[n]) / totals[n];
  }
  const bp = hypLen < refLen ? (hypLen > 0 ? Math.exp(1 - refLen / hypLen) : 0) : 1;
  const logs = precisions.map((p) => (p === 0 ? -9999999999 : Math.log(p)));
  const score = bp * Math.exp(logs.reduce((a, b) => a + b, 0) / MAX_ORDER);
  return { score, counts, totals, precisions, bp, ratio: refLen > 0 ? hypLen / refLen : 0, hypLen, refLen };
}

/** A score as sacreBLEU prints it: `BLEU = 45.95 80.5/60.8/44.9/33.2 (BP = 0.884 ratio = 0.890
 * hyp_len = 6488 ref_len = 7290)`. */
export function formatBleu(b: BleuScore): string {
  const prec = b.precisions.map((p) => p.toFixed(1)).join('/');
  return `BLEU = ${b.score.toFixed(2)} ${prec} (BP = ${b.bp.toFixed(3)} ratio = ${b.ratio.toFixed(3)} hyp_len = ${b.hypLen} ref_len = ${b.refLen})`;
}

/** Corpus chrF and its statistics. */
export interface ChrfScore {
  /** chrF2 in [0, 100]. */
  score: number;
  /** Per character n-gram order (1…6): [hypothesis n-grams, reference n-grams, matches]. */
  stats: [number, number, number][];
}

const CHAR_ORDER = 6;
const BETA = 2;

function charNgrams(line: string): Map<string, number>[] {
  const chars = Array.from(pySplit(line).join(''));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= CHAR_ORDER; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const k = chars.slice(i, i + n).join('');
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

/** sacreBLEU's chrF F-score of flattened [hyp, ref, match] statistics (effective-order
 * averaging of precision and recall, as its default `eps_smoothing=False`). */
function chrfF(stats: readonly number[]): number {
  const f = BETA * BETA;
  let p = 0;
  let r = 0;
  let eff = 0;
  for (let i = 0; i < CHAR_ORDER; i++) {
    const [nh, nr, nm] = [stats[3 * i], stats[3 * i + 1], stats[3 * i + 2]];
    if (nh > 0 && nr > 0) {
      p += nm / nh;
      r += nm / nr;
      eff++;
    }
  }
  if (eff === 0) return 0;
  p /= eff;
  r /= eff;
  return p + r ? (100 * (1 + f) * p * r) / (f * p + r) : 0;
}

/** Corpus chrF as `sacrebleu.corpus_chrf(hyps, refs)` with its defaults: character 6-grams,
 * no word n-grams, β = 2, white space removed, case-sensitive; per sentence the reference with
 * the best F counts. */
export function corpusChrf(hyps: readonly string[], refs: readonly (readonly string[])[]): ChrfScore {
  checkStreams('corpusChrf', hyps, refs);
  const total = new Array<number>(3 * CHAR_ORDER).fill(0);
  for (let i = 0; i < hyps.length; i++) {
    const h = charNgrams(hyps[i]);
    let best: number[] = [];
    let bestF = -1;
    for (const ref of refs) {
      const r = charNgrams(ref[i]);
      const stats: number[] = [];
      for (let n = 0; n < CHAR_ORDER; n++) {
        let hc = 0;
        let mc = 0;
        for (const [k, c] of h[n]) {
          hc += c;
          mc += Math.min(c, r[n].get(k) ?? 0);
        }
        let rc = 0;
        for (const c of r[n].values()) rc += c;
        stats.push(r[n].size ? hc : 0, rc, mc);
      }
      const f = chrfF(stats);
      if (f > bestF) {
        bestF = f;
        best = stats;
      }
    }
    best.forEach((v, j) => {
      total[j] += v;
    });
  }
  const stats = Array.from({ length: CHAR_ORDER }, (_, n) => [total[3 * n], total[3 * n + 1], total[3 * n + 2]] as [number, number, number]);
  return { score: chrfF(total), stats };
}
