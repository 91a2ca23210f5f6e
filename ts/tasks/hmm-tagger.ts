// Two tagging baselines over `word/TAG` sentences (ts/tasks/tagged.ts): the most frequent
// tag per word, and a bigram hidden Markov model decoded with Viterbi. Words are compared
// exactly as written (case-sensitive). A word is "unknown" when it is not in the training
// sentences; both baselines tag unknown words by their class (wordClass: digits,
// capitalisation, hyphen and a suffix), estimated from the hapax legomena (words seen once
// in training), which behave most like unseen words.
import { checkKeys, numIn, rangeError, shapeError, stateError } from '../errors.js';
import type { TaggedSentence } from './tagged.js';

const SUFFIXES = [
  "'s",
  "'",
  'ing',
  'tion',
  'sion',
  'ness',
  'ment',
  'ity',
  'able',
  'ible',
  'ous',
  'ful',
  'less',
  'ive',
  'ize',
  'ise',
  'ist',
  'ism',
  'est',
  'ed',
  'ly',
  'al',
  'ic',
  'er',
  'en',
  'y',
  's',
];

/** The unknown-word class of a word: "num" (digits and . , - / : only), "digit" (some
 * digit), else a capitalisation mark (A = all capitals and longer than one letter, C = first
 * letter capital, l = otherwise), "-" if it has a hyphen, ":" and the first of
 * 's ' ing tion sion ness ment ity able ible ous ful less ive ize ise ist ism est ed ly al ic er
 * en y s that ends the lowercased word leaving at least two characters before it (nothing
 * if none). Examples: "Running" → "C:ing", "well-dressed" → "l-:ed", "NATO" → "A:",
 * @example
 * ```ts
 * console.log(wordClass('Running'), wordClass('1984'), wordClass('well-known')); // spelling classes for unknown words
 * ```
 * "1,200" → "num", "B-52s" → "digit". */
export function wordClass(w: string): string {
  if (/\d/.test(w)) return /^[\d.,\-/:]+$/.test(w) ? 'num' : 'digit';
  const cap = w.length > 1 && /^[A-Z]+$/.test(w) ? 'A' : /^[A-Z]/.test(w) ? 'C' : 'l';
  const lw = w.toLowerCase();
  const suf = SUFFIXES.find((s) => lw.length > s.length + 1 && lw.endsWith(s)) ?? '';
  return `${cap}${w.includes('-') ? '-' : ''}:${suf}`;
}

function argmaxTag(counts: Map<string, number>): string {
  let best = '';
  let bc = -1;
  for (const [t, c] of counts) if (c > bc || (c === bc && t < best)) [best, bc] = [t, c];
  return best;
}

/** m.get(k), first setting it to make() when absent. */
function entry<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}

function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Word frequencies over training sentences. */
function wordCounts(sents: readonly TaggedSentence[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const s of sents) {
    if (s.words.length !== s.tags.length) throw shapeError(`a sentence has ${s.words.length} words but ${s.tags.length} tags`);
    for (const w of s.words) bump(n, w);
  }
  if (n.size === 0) throw rangeError('a tagger needs at least one training token');
  return n;
}

/** Most frequent tag per word (ties: the alphabetically first tag). An unknown word gets the
 * most frequent tag among hapax tokens of its wordClass, else among all hapax tokens, else
 * @example
 * ```ts
 * const train = parseTagged('the/DET dog/NOUN runs/VERB\nthe/DET run/NOUN ends/VERB\n');
 * const tagger = new MostFrequentTagger().fit(train);
 * console.log(tagger.tag(['the', 'dog', 'barks'])); // ['DET', 'NOUN', <the most frequent tag for unknown words>]
 * ```
 * the most frequent tag overall. */
export class MostFrequentTagger {
  #best = new Map<string, string>();
  #byClass = new Map<string, string>();
  #fallback = '';

  /** Learns each word's most frequent tag and the unknown-word fallbacks from `sents`
   * (replacing what an earlier fit learned); returns this. E_SHAPE for a sentence whose words
   * and tags differ in number, E_RANGE for no tokens. */
  fit(sents: readonly TaggedSentence[]): this {
    const freq = wordCounts(sents);
    const per = new Map<string, Map<string, number>>();
    const classTags = new Map<string, Map<string, number>>();
    const hapaxTags = new Map<string, number>();
    const allTags = new Map<string, number>();
    for (const s of sents) {
      s.words.forEach((w, i) => {
        const t = s.tags[i];
        bump(
          entry(per, w, () => new Map<string, number>()),
          t,
        );
        bump(allTags, t);
        if (freq.get(w) === 1) {
          bump(
            entry(classTags, wordClass(w), () => new Map<string, number>()),
            t,
          );
          bump(hapaxTags, t);
        }
      });
    }
    this.#best = new Map([...per].map(([w, m]) => [w, argmaxTag(m)]));
    this.#byClass = new Map([...classTags].map(([c, m]) => [c, argmaxTag(m)]));
    this.#fallback = argmaxTag(hapaxTags.size ? hapaxTags : allTags);
    return this;
  }

  /** The training vocabulary. */
  get known(): ReadonlySet<string> {
    return new Set(this.#best.keys());
  }

  /** One tag per word: a known word's most frequent tag, an unknown word its class's (see the class). E_STATE before `fit`. */
  tag(words: readonly string[]): string[] {
    if (this.#fallback === '') throw stateError('call fit() before tag()');
    return words.map((w) => this.#best.get(w) ?? this.#byClass.get(wordClass(w)) ?? this.#fallback);
  }
}

/**
 * Viterbi decoding of a first-order HMM in log space, over candidate states per position.
 * `states` S; `trans` is [(S+1) × (S+1)] row-major log P(next | previous) where index S is
 * the sentence boundary (row S = from the start, column S = to the end); `candidates[i]`
 * lists the states allowed at position i and `emit[i][j]` is log P(word_i | candidates[i][j]).
 * Returns the most probable state path and its joint log-probability (start → … → end).
 * Ties go to the earlier candidate.
 * @example
 * ```ts
 * // 2 states (index 2 is the sentence boundary); every state a candidate at each of 3 words
 * const p = (x: number) => Math.log(x);
 * // trans [3 x 3]: rows from state 0, 1, start; columns to state 0, 1, end
 * const trans = Float64Array.from([p(0.6), p(0.3), p(0.1), p(0.3), p(0.6), p(0.1), p(0.5), p(0.5), p(1e-9)]);
 * const cand = [[0, 1], [0, 1], [0, 1]];
 * const emit = [[p(0.9), p(0.1)], [p(0.2), p(0.8)], [p(0.6), p(0.4)]];
 * console.log(viterbi(2, trans, cand, emit)); // { path: [0, 1, 1] or similar, logProb }
 * ```
 */
export function viterbi(
  states: number,
  trans: Float64Array,
  candidates: readonly ArrayLike<number>[],
  emit: readonly ArrayLike<number>[],
): {
  /** The most probable state of each position. */
  path: number[];
  /** Its joint log-probability. */
  logProb: number;
} {
  const S = states;
  const W = S + 1;
  if (trans.length !== W * W) throw shapeError(`viterbi: trans has ${trans.length} entries, expected (${S}+1)² = ${W * W}`);
  if (candidates.length !== emit.length) throw shapeError(`viterbi: ${candidates.length} candidate lists but ${emit.length} emission lists`);
  const n = candidates.length;
  if (n === 0) return { path: [], logProb: trans[S * W + S] };
  let prev = Float64Array.from(candidates[0], (s, j) => trans[S * W + s] + emit[0][j]);
  const back: Int32Array[] = [new Int32Array(candidates[0].length)];
  for (let i = 1; i < n; i++) {
    const cur = candidates[i];
    const pc = candidates[i - 1];
    if (cur.length === 0) throw rangeError(`viterbi: no candidate states at position ${i}`);
    const score = new Float64Array(cur.length);
    const bp = new Int32Array(cur.length);
    for (let j = 0; j < cur.length; j++) {
      const s = cur[j];
      let best = -Infinity;
      let arg = 0;
      for (let q = 0; q < pc.length; q++) {
        const v = prev[q] + trans[pc[q] * W + s];
        if (v > best) [best, arg] = [v, q];
      }
      score[j] = best + emit[i][j];
      bp[j] = arg;
    }
    prev = score;
    back.push(bp);
  }
  const last = candidates[n - 1];
  let best = -Infinity;
  let arg = 0;
  for (let q = 0; q < last.length; q++) {
    const v = prev[q] + trans[last[q] * W + S];
    if (v > best) [best, arg] = [v, q];
  }
  const path = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    path[i] = candidates[i][arg];
    arg = back[i][arg];
  }
  return { path, logProb: best };
}

/** Smoothing of {@link HmmTagger} (each a finite number > 0, else E_RANGE; an unknown key is E_OPTION). */
export interface HmmTaggerOptions {
  /** Add-k smoothing of the transitions. @default 0.1 */
  k?: number;
  /** Add-α smoothing of the unknown-word class distribution per tag. @default 0.5 */
  alpha?: number;
}

/**
 * Bigram HMM tagger. With c(t) the count of tag t, c(a, b) of tag bigrams (the boundary ⟨s⟩
 * before and after every sentence counts as one more state), h(t) the hapax tokens tagged t
 * and n(c, t) those of wordClass c, over T tags and C hapax classes (+1 for an unseen class):
 *   P(b | a)     = (c(a, b) + k) / (c(a) + k·(T + 1))       b ranges over the tags and ⟨/s⟩
 *   u(t)         = (h(t) + 0.5) / (c(t) + 1)                 P(an unseen word | t)
 *   P(w | t)     = (1 − u(t)) · c(w, t) / c(t)               w seen in training
 *   P(w | t)     = u(t) · (n(class(w), t) + α) / (h(t) + α·(C + 1))   w unseen
 * A seen word's candidate tags are those it was seen with; an unseen word's are all tags.
 * @example
 * ```ts
 * const train = parseTagged('the/DET dog/NOUN runs/VERB\na/DET cat/NOUN sleeps/VERB\nthe/DET cat/NOUN runs/VERB\n');
 * const hmm = new HmmTagger().fit(train);
 * console.log(hmm.tag(['a', 'dog', 'sleeps'])); // ['DET', 'NOUN', 'VERB']
 * ```
 */
export class HmmTagger {
  /** The add-k smoothing of the transitions in use ({@link HmmTaggerOptions.k}). */
  readonly k: number;
  /** The add-α smoothing of the unknown-word classes in use ({@link HmmTaggerOptions.alpha}). */
  readonly alpha: number;
  #tags: string[] = [];
  #trans = new Float64Array(0);
  /** word → [tag ids], [log P(w | t)] */
  #lex = new Map<string, { ids: Int32Array; logp: Float64Array }>();
  /** class → log P(w | t) for every tag; #unseenClass for a class no hapax had. */
  #classLogp = new Map<string, Float64Array>();
  #unseenClass = new Float64Array(0);
  #all = new Int32Array(0);

  /** An untrained tagger; call `fit` before `tag` or `decode`. */
  constructor(opts: HmmTaggerOptions = {}) {
    checkKeys('HmmTagger', opts, ['k', 'alpha']);
    this.k = numIn('HmmTagger k', opts.k, Number.MIN_VALUE, Infinity, 0.1);
    this.alpha = numIn('HmmTagger alpha', opts.alpha, Number.MIN_VALUE, Infinity, 0.5);
  }

  /** The tag set, in order of first appearance in the training sentences (empty before `fit`). */
  get tags(): readonly string[] {
    return this.#tags;
  }

  /** The training vocabulary. */
  get known(): ReadonlySet<string> {
    return new Set(this.#lex.keys());
  }

  /** Estimates the transition and emission probabilities (see the class) from `sents` (replacing an
   * earlier fit); returns this. E_SHAPE for a sentence whose words and tags differ in number,
   * E_RANGE for no tokens. */
  fit(sents: readonly TaggedSentence[]): this {
    const freq = wordCounts(sents);
    const tagId = new Map<string, number>();
    for (const s of sents) for (const t of s.tags) if (!tagId.has(t)) tagId.set(t, tagId.size);
    const T = tagId.size;
    const W = T + 1;
    const tagCount = new Float64Array(W); // index T: sentences (the start state)
    const bigram = new Float64Array(W * W);
    const hapax = new Float64Array(T);
    const classCount = new Map<string, Float64Array>();
    const wordTag = new Map<string, Map<number, number>>();
    for (const s of sents) {
      let prev = T;
      tagCount[T]++;
      s.words.forEach((w, i) => {
        const t = tagId.get(s.tags[i]) ?? 0;
        tagCount[t]++;
        bigram[prev * W + t]++;
        prev = t;
        bump(
          entry(wordTag, w, () => new Map<number, number>()),
          t,
        );
        if (freq.get(w) === 1) {
          hapax[t]++;
          entry(classCount, wordClass(w), () => new Float64Array(T))[t]++;
        }
      });
      bigram[prev * W + T]++;
    }
    const trans = new Float64Array(W * W);
    for (let a = 0; a < W; a++) for (let b = 0; b < W; b++) trans[a * W + b] = Math.log((bigram[a * W + b] + this.k) / (tagCount[a] + this.k * W));
    const u = Float64Array.from({ length: T }, (_, t) => (hapax[t] + 0.5) / (tagCount[t] + 1));
    const C = classCount.size + 1;
    const classLogp = (n: Float64Array | undefined) =>
      Float64Array.from({ length: T }, (_, t) => Math.log(u[t] * (((n?.[t] ?? 0) + this.alpha) / (hapax[t] + this.alpha * C))));
    this.#classLogp = new Map([...classCount].map(([c, n]) => [c, classLogp(n)]));
    this.#unseenClass = classLogp(undefined);
    this.#lex = new Map(
      [...wordTag].map(([w, m]) => {
        const ids = Int32Array.from([...m.keys()].sort((a, b) => a - b));
        return [w, { ids, logp: Float64Array.from(ids, (t) => Math.log((1 - u[t]) * ((m.get(t) ?? 0) / tagCount[t]))) }];
      }),
    );
    this.#tags = [...tagId.keys()];
    this.#trans = trans;
    this.#all = Int32Array.from({ length: T }, (_, t) => t);
    return this;
  }

  /** log P(b | a) for tag names, with null for the sentence boundary. */
  transitionLogProb(a: string | null, b: string | null): number {
    const T = this.#tags.length;
    const id = (t: string | null) => {
      if (t === null) return T;
      const i = this.#tags.indexOf(t);
      if (i < 0) throw rangeError(`unknown tag ${JSON.stringify(t)}`);
      return i;
    };
    return this.#trans[id(a) * (T + 1) + id(b)];
  }

  /** log P(word | tag) (−Infinity for a seen word never seen with the tag). */
  emissionLogProb(word: string, tag: string): number {
    const t = this.#tags.indexOf(tag);
    if (t < 0) throw rangeError(`unknown tag ${JSON.stringify(tag)}`);
    const e = this.#emissions(word);
    const j = e.ids.indexOf(t);
    return j < 0 ? -Infinity : e.logp[j];
  }

  #emissions(w: string): { ids: Int32Array; logp: Float64Array } {
    return this.#lex.get(w) ?? { ids: this.#all, logp: this.#classLogp.get(wordClass(w)) ?? this.#unseenClass };
  }

  /** The most probable tags and the joint log-probability of words and tags. */
  decode(words: readonly string[]): {
    /** The most probable tags. */
    tags: string[];
    /** Their joint log-probability with the words. */
    logProb: number;
  } {
    if (this.#tags.length === 0) throw stateError('call fit() before tag()');
    const e = words.map((w) => this.#emissions(w));
    const r = viterbi(
      this.#tags.length,
      this.#trans,
      e.map((x) => x.ids),
      e.map((x) => x.logp),
    );
    return { tags: r.path.map((t) => this.#tags[t]), logProb: r.logProb };
  }

  /** The most probable tag sequence (Viterbi), one tag per word. E_STATE before `fit`. */
  tag(words: readonly string[]): string[] {
    return this.decode(words).tags;
  }
}
