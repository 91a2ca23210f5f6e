// Multinomial naive Bayes over token counts with additive (Laplace) smoothing: the baseline
// for sequence classification. As in scikit-learn's MultinomialNB with a CountVectorizer
// fitted on the training documents:
//   log P(c | d) ∝ log P(c) + Σ_w n(w, d) · log P(w | c),
//   P(c) = docs of c / docs,  P(w | c) = (n(w, c) + α) / (Σ_w' n(w', c) + α·|V|),
// where V is the training vocabulary; tokens never seen in training are ignored.
import { checkKeys, numIn, rangeError } from '../errors.js';

/**
 * Multinomial naive Bayes over token counts with additive (Laplace) smoothing, as scikit-learn's
 * `MultinomialNB` on a `CountVectorizer` fitted to the training documents: the baseline for
 * sequence classification. Tokens never seen in training are ignored.
 * @example
 * ```ts
 * const nb = new MultinomialNaiveBayes().fit([['free', 'money'], ['lunch', 'today']], [1, 0]);
 * console.log(nb.predict(['free', 'lunch', 'money']), nb.predictProba(['today']));
 * ```
 */
export class MultinomialNaiveBayes {
  /**
   * The additive smoothing α (> 0).
   * @default 1
   */
  readonly alpha: number;
  #classes = 0;
  #vocab = new Map<string, number>();
  /** [class][word] log P(w | c) */
  #logLik: Float64Array[] = [];
  #logPrior: Float64Array = new Float64Array(0);

  /** @param opts.alpha additive smoothing, > 0 (default 1) */
  constructor(opts: { alpha?: number } = {}) {
    checkKeys('MultinomialNaiveBayes', opts, ['alpha']);
    this.alpha = numIn('alpha', opts.alpha, 1e-12, Infinity, 1);
  }

  /** Distinct training tokens (|V|); 0 before `fit`. */
  get vocabularySize(): number {
    return this.#vocab.size;
  }

  /** Fits on token lists with class labels 0..C−1 (C = the largest label + 1). */
  fit(docs: readonly (readonly string[])[], labels: ArrayLike<number>): this {
    if (docs.length !== labels.length) throw rangeError(`${docs.length} documents but ${labels.length} labels`);
    if (docs.length === 0) throw rangeError('naive Bayes needs at least one training document');
    let c = 0;
    for (let i = 0; i < labels.length; i++) {
      if (!Number.isInteger(labels[i]) || labels[i] < 0) throw rangeError(`labels[${i}] = ${labels[i]} must be a non-negative integer`);
      c = Math.max(c, labels[i] + 1);
    }
    const vocab = new Map<string, number>();
    for (const d of docs) for (const w of d) if (!vocab.has(w)) vocab.set(w, vocab.size);
    const v = vocab.size;
    const counts = Array.from({ length: c }, () => new Float64Array(v));
    const docsPer = new Float64Array(c);
    docs.forEach((d, i) => {
      docsPer[labels[i]]++;
      for (const w of d) counts[labels[i]][vocab.get(w)!]++;
    });
    this.#logLik = counts.map((row) => {
      const total = row.reduce((a, b) => a + b, 0) + this.alpha * v;
      return row.map((n) => Math.log((n + this.alpha) / total));
    });
    this.#logPrior = docsPer.map((n) => Math.log(n / docs.length));
    this.#vocab = vocab;
    this.#classes = c;
    return this;
  }

  /** log P(c) + Σ log P(w | c) for each class (the unnormalised log posterior). */
  jointLogLikelihood(doc: readonly string[]): number[] {
    if (this.#classes === 0) throw rangeError('call fit() first');
    const out = Array.from(this.#logPrior);
    for (const w of doc) {
      const j = this.#vocab.get(w);
      if (j === undefined) continue;
      for (let k = 0; k < this.#classes; k++) out[k] += this.#logLik[k][j];
    }
    return out;
  }

  /** P(c | d) for each class. */
  predictProba(doc: readonly string[]): number[] {
    const jl = this.jointLogLikelihood(doc);
    const m = Math.max(...jl);
    const e = jl.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  }

  /** The most probable class (the lower one on ties). */
  predict(doc: readonly string[]): number {
    const jl = this.jointLogLikelihood(doc);
    let best = 0;
    for (let k = 1; k < jl.length; k++) if (jl[k] > jl[best]) best = k;
    return best;
  }
}
