// Interpolated Kneser–Ney trigram language model (Chen & Goodman 1998, "interpolated KN"
// with one discount D, default 0.75) over token ids of a vocabulary of size V.
//
// The training ids are read as one stream preceded by two boundary ids (`pad`, by default
// the id of "<eos>" when the vocabulary has it, else 0), so every token has two context ids.
// With c(uvw) the trigram counts, N1+(•vw) the number of distinct u before the bigram vw,
// N1+(•w) the number of distinct v before w (over bigram types), and dots summing:
//   P3(w | u v) = max(c(uvw) − D, 0) / c(uv•) + D · N1+(uv•) / c(uv•) · P2(w | v)
//   P2(w | v)   = max(N1+(•vw) − D, 0) / N1+(•v•) + D · N1+(v•) / N1+(•v•) · P1(w)
//   P1(w)       = max(N1+(•w) − D, 0) / N1+(••) + D · N1+(w•>0) / N1+(••) · 1 / V
// where N1+(uv•) / N1+(v•) count the distinct w after uv / in the bigram types after v, and
// N1+(w•>0) the words with N1+(•w) > 0. A context never seen falls through to the next
// order (P3 = P2 when c(uv•) = 0, P2 = P1 when N1+(•v•) = 0). Each level sums to 1 over the
// vocabulary, and the uniform floor gives every id a positive probability.

import { checkKeys, numIn, rangeError, stateError } from '../errors.js';
import type { Vocabulary } from '../index.js';
import { EOS, tokenizeWords } from './words.js';

interface Follow {
  /** Σ counts and the number of distinct followers. */
  total: number;
  types: number;
  next: Map<number, number>;
}

function follow(m: Map<number, Follow>, key: number): Follow {
  let f = m.get(key);
  if (!f) {
    f = { total: 0, types: 0, next: new Map() };
    m.set(key, f);
  }
  return f;
}

function add(f: Follow, w: number, by: number): void {
  const c = f.next.get(w);
  if (c === undefined) f.types++;
  f.next.set(w, (c ?? 0) + by);
  f.total += by;
}

/**
 * Interpolated Kneser–Ney trigram language model over the ids of a vocabulary (Chen & Goodman
 * 1998, one discount D): each order's counts are discounted by D and interpolated with the
 * next lower order's continuation counts, down to a uniform floor, so every id gets a positive
 * probability and each distribution sums to 1. Streams are read after two `pad` ids. The
 * n-gram baseline a word-level RNN language model is compared with.
 * @example
 * ```ts
 * const tokens = tokenizeWords(text);
 * const vocab = wordVocabulary(tokens, 10_000);
 * const lm = new KneserNeyTrigram(vocab).fit(vocab.encode(tokens));
 * console.log(lm.perplexity(vocab.encode(tokenizeWords(heldOut))), lm.topNext('the old', 3));
 * ```
 */
export class KneserNeyTrigram {
  /** The vocabulary whose ids the model counts (V = vocab.size). */
  readonly vocab: Vocabulary;
  /** The absolute discount D, in (0, 1). */
  readonly discount: number;
  /** The boundary id read twice before the training stream (and before every scored stream). */
  readonly pad: number;
  /** (u·V + v) → counts of w */
  #tri = new Map<number, Follow>();
  /** v → N1+(•vw) for each w */
  #bi = new Map<number, Follow>();
  /** N1+(•w) per w, their sum N1+(••) and the number of w with N1+(•w) > 0 */
  #uni: Float64Array;
  #uniTotal = 0;
  #uniTypes = 0;

  /** An empty model over `vocab`; call `fit` before asking for probabilities.
   * @param opts.discount D, in (0, 1) (E_RANGE otherwise); default 0.75
   * @param opts.pad the boundary id, in [0, V) (E_RANGE otherwise); default the id of "<eos>" when the vocabulary has it, else 0 */
  constructor(vocab: Vocabulary, opts: { discount?: number; pad?: number } = {}) {
    checkKeys('KneserNeyTrigram', opts, ['discount', 'pad']);
    this.vocab = vocab;
    this.discount = numIn('KneserNeyTrigram discount', opts.discount, Number.MIN_VALUE, 1, 0.75);
    this.pad = opts.pad ?? (vocab.has(EOS) ? vocab.id(EOS) : 0);
    if (!Number.isInteger(this.pad) || this.pad < 0 || this.pad >= vocab.size)
      throw rangeError(`pad id ${this.pad} is out of range for a vocabulary of ${vocab.size}`);
    this.#uni = new Float64Array(vocab.size);
  }

  #check(ids: ArrayLike<number>, what: string): void {
    const V = this.vocab.size;
    for (let i = 0; i < ids.length; i++)
      if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= V) throw rangeError(`${what}[${i}] = ${ids[i]} is not an id of a vocabulary of ${V}`);
  }

  /** Counts the trigrams of a token-id stream (call once; a second call adds more text). */
  fit(ids: ArrayLike<number>): this {
    this.#check(ids, 'ids');
    if (ids.length === 0) throw rangeError('a trigram model needs at least one training token');
    const V = this.vocab.size;
    let u = this.pad;
    let v = this.pad;
    for (let i = 0; i < ids.length; i++) {
      const w = ids[i];
      const f = follow(this.#tri, u * V + v);
      if (!f.next.has(w)) {
        // a new trigram type: one more distinct u before (v, w)
        const b = follow(this.#bi, v);
        if (!b.next.has(w)) {
          // a new bigram type: one more distinct v before w
          if (this.#uni[w] === 0) this.#uniTypes++;
          this.#uni[w]++;
          this.#uniTotal++;
        }
        add(b, w, 1);
      }
      add(f, w, 1);
      u = v;
      v = w;
    }
    return this;
  }

  /** P(w | u v) for every id w: [V], summing to 1. */
  distribution(u: number, v: number): Float64Array {
    this.#check([u, v], 'context');
    const V = this.vocab.size;
    const D = this.discount;
    if (this.#uniTotal === 0) throw stateError('call fit() before asking for probabilities');
    const p = new Float64Array(V);
    const floor = (D * this.#uniTypes) / this.#uniTotal / V;
    for (let w = 0; w < V; w++) p[w] = Math.max(this.#uni[w] - D, 0) / this.#uniTotal + floor;
    const raise = (f: Follow | undefined) => {
      if (!f || f.total === 0) return;
      const back = (D * f.types) / f.total;
      for (let w = 0; w < V; w++) p[w] *= back;
      for (const [w, c] of f.next) p[w] += Math.max(c - D, 0) / f.total;
    };
    raise(this.#bi.get(v));
    raise(this.#tri.get(u * V + v));
    return p;
  }

  /** P(w | u v) for one id. */
  prob(u: number, v: number, w: number): number {
    this.#check([u, v, w], 'ids');
    if (this.#uniTotal === 0) throw stateError('call fit() before asking for probabilities');
    const V = this.vocab.size;
    const D = this.discount;
    let p = Math.max(this.#uni[w] - D, 0) / this.#uniTotal + (D * this.#uniTypes) / this.#uniTotal / V;
    for (const f of [this.#bi.get(v), this.#tri.get(u * V + v)]) {
      if (!f || f.total === 0) continue;
      p = Math.max((f.next.get(w) ?? 0) - D, 0) / f.total + ((D * f.types) / f.total) * p;
    }
    return p;
  }

  /** exp(−mean log P(ids[i] | ids[i−2], ids[i−1])) over a held-out stream (padded like fit). */
  perplexity(ids: ArrayLike<number>): number {
    this.#check(ids, 'ids');
    if (ids.length === 0) throw rangeError('perplexity needs at least one token');
    let u = this.pad;
    let v = this.pad;
    let nll = 0;
    for (let i = 0; i < ids.length; i++) {
      nll -= Math.log(this.prob(u, v, ids[i]));
      u = v;
      v = ids[i];
    }
    return Math.exp(nll / ids.length);
  }

  /** The k most likely next tokens after a context (text, tokenised like the training text
   * but without a trailing EOS, or tokens; only the last two count, padded in front), with
   * their probabilities, most likely first (ties: lower id). Tokens in `skip` are left out. */
  topNext(context: string | readonly string[], k: number, opts: { skip?: readonly string[] } = {}): { token: string; p: number }[] {
    checkKeys('topNext', opts, ['skip']);
    if (!Number.isInteger(k) || k < 1) throw rangeError(`topNext k must be a positive integer (got ${k})`);
    const toks = typeof context === 'string' ? tokenizeWords(context, { eos: false }) : context;
    const ids = [this.pad, this.pad, ...toks.map((t) => this.vocab.id(t))];
    const p = this.distribution(ids[ids.length - 2], ids[ids.length - 1]);
    const skip = new Set((opts.skip ?? []).filter((t) => this.vocab.has(t)).map((t) => this.vocab.id(t)));
    const order = Array.from({ length: p.length }, (_, i) => i).filter((i) => !skip.has(i));
    order.sort((a, b) => p[b] - p[a] || a - b);
    return order.slice(0, k).map((i) => ({ token: this.vocab.symbols[i], p: p[i] }));
  }
}
