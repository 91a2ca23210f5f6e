// Logistic regression over naive-Bayes-scaled n-gram presence features (NBSVM, Wang & Manning
// 2012, with the logistic loss): a strong linear text classifier, and the companion a
// recurrent classifier's scores are added to (classify.ts, `linearWeight`).
//
// One-vs-rest: for class c, each feature f (a distinct n-gram of the document, counted once)
// has the ratio r_c(f) = log((p_c(f) + α) / |p_c + α|₁) − log((q_c(f) + α) / |q_c + α|₁), p_c and
// q_c its document counts in class c and in the other classes; the class's score of a document
// is b_c + Σ_f w_c(f)·r_c(f), with w_c and b_c fitted by SGD on the logistic loss (L2 on w).
// Only the products v_c(f) = w_c(f)·r_c(f) are kept. Features seen in fewer than `minCount`
// training documents are dropped (they are most of the n-grams and carry little).
import { checkKeys, formatError, numIn, posInt, rangeError } from '../errors.js';
import { Rng } from '../index.js';

/** The distinct character n-grams of a text, n = 1..`n` (white space removed): a document's
 * @example
 * ```ts
 * console.log(charNgrams('很好很好', 2)); // ['很', '好', '很好', '好很']
 * ```
 * features for {@link NbLogisticRegression}. */
export function charNgrams(text: string, n: number): string[] {
  const cs = Array.from(text.replace(/\s+/gu, ''));
  const out = new Set<string>();
  for (let k = 1; k <= n; k++) for (let i = 0; i + k <= cs.length; i++) out.add(cs.slice(i, i + k).join(''));
  return [...out];
}

/** Options of {@link NbLogisticRegression.fit}. */
export interface NbLogisticOptions {
  /**
   * Classes (at least 2; at least the largest label + 1).
   * @default the largest label + 1
   */
  classes?: number;
  /**
   * Features seen in fewer training documents are dropped.
   * @default 2
   */
  minCount?: number;
  /**
   * Passes of SGD over the training documents.
   * @default 4
   */
  epochs?: number;
  /**
   * The SGD step of epoch e (from 0) is lr / (1 + e).
   * @default 0.1
   */
  lr?: number;
  /**
   * L2 penalty on the weights.
   * @default 1e-4
   */
  l2?: number;
  /**
   * Smoothing α of the ratios.
   * @default 1
   */
  alpha?: number;
  /**
   * Seed of the SGD order.
   * @default 1
   */
  seed?: number;
}

/** A fitted model as plain JSON (what {@link NbLogisticRegression.toJSON} writes). */
export interface NbLogisticJSON {
  /** The features, in the order of each class's weights. */
  features: string[];
  /** [class][feature] v_c(f) = w_c(f)·r_c(f). */
  weights: number[][];
  /** [class] b_c. */
  bias: number[];
}

/**
 * Logistic regression over naive-Bayes-scaled feature presence, one-vs-rest (see the top of
 * nb-logistic.ts).
 * @example
 * ```ts
 * const docs = ['很好', '好用', '很差', '太差'].map((t) => charNgrams(t, 2));
 * const lr = NbLogisticRegression.fit(docs, [1, 1, 0, 0], { minCount: 1, epochs: 20 });
 * console.log(lr.predict(charNgrams('好', 2))); // 1
 * ```
 */
export class NbLogisticRegression {
  readonly #index: Map<string, number>;
  readonly #v: Float64Array[];
  readonly #bias: Float64Array;

  private constructor(features: readonly string[], v: Float64Array[], bias: Float64Array) {
    this.#index = new Map(features.map((f, i) => [f, i]));
    this.#v = v;
    this.#bias = bias;
  }

  /** The number of classes. */
  get classes(): number {
    return this.#bias.length;
  }

  /** The number of features kept. */
  get featureCount(): number {
    return this.#index.size;
  }

  /** Fits on documents given as feature lists (repeats count once) with labels in [0, classes). */
  static fit(docs: readonly (readonly string[])[], labels: ArrayLike<number>, opts: NbLogisticOptions = {}): NbLogisticRegression {
    checkKeys('NbLogisticRegression.fit', opts, ['classes', 'minCount', 'epochs', 'lr', 'l2', 'alpha', 'seed']);
    if (docs.length !== labels.length) throw rangeError(`${docs.length} documents but ${labels.length} labels`);
    if (docs.length === 0) throw rangeError('the training set is empty');
    let top = 0;
    for (let i = 0; i < labels.length; i++) {
      if (!Number.isInteger(labels[i]) || labels[i] < 0) throw rangeError(`labels[${i}] = ${labels[i]} must be a non-negative integer`);
      top = Math.max(top, labels[i] + 1);
    }
    const classes = posInt('classes', opts.classes, Math.max(2, top));
    if (classes < Math.max(2, top)) throw rangeError(`classes ${classes} must be at least 2 and above every label (largest ${top - 1})`);
    const minCount = posInt('minCount', opts.minCount, 2);
    const epochs = posInt('epochs', opts.epochs, 4);
    const lr = numIn('lr', opts.lr, 0, Infinity, 0.1);
    const l2 = numIn('l2', opts.l2, 0, Infinity, 1e-4);
    const alpha = numIn('alpha', opts.alpha, 1e-12, Infinity, 1);
    // document counts per feature and class; features below minCount dropped
    const seen = new Map<string, number>();
    for (const d of docs) for (const f of new Set(d)) seen.set(f, (seen.get(f) ?? 0) + 1);
    const features = [...seen].filter(([, n]) => n >= minCount).map(([f]) => f);
    const index = new Map(features.map((f, i) => [f, i]));
    const rows = docs.map((d) => Uint32Array.from(new Set(d.filter((f) => index.has(f)).map((f) => index.get(f)!))));
    const count = Array.from({ length: classes }, () => new Float64Array(features.length));
    rows.forEach((r, i) => {
      for (const j of r) count[labels[i]][j]++;
    });
    const total = new Float64Array(features.length);
    for (const c of count) for (let j = 0; j < c.length; j++) total[j] += c[j];
    const v: Float64Array[] = [];
    const bias = new Float64Array(classes);
    const rng = new Rng(opts.seed ?? 1);
    const order = rows.map((_, i) => i);
    for (let c = 0; c < classes; c++) {
      // r_c(f): smoothed log ratio of the feature's rate in class c to its rate in the others
      const pc = count[c];
      let sp = 0;
      let sq = 0;
      for (let j = 0; j < features.length; j++) {
        sp += pc[j] + alpha;
        sq += total[j] - pc[j] + alpha;
      }
      const r = Float64Array.from(pc, (n, j) => Math.log((n + alpha) / sp) - Math.log((total[j] - n + alpha) / sq));
      const w = new Float64Array(features.length);
      let b = 0;
      for (let e = 0; e < epochs; e++) {
        const step = lr / (1 + e);
        rng.shuffle(order);
        for (const i of order) {
          let z = b;
          for (const j of rows[i]) z += w[j] * r[j];
          const g = 1 / (1 + Math.exp(-z)) - (labels[i] === c ? 1 : 0);
          for (const j of rows[i]) w[j] -= step * (g * r[j] + l2 * w[j]);
          b -= step * g;
        }
      }
      v.push(w.map((x, j) => x * r[j]));
      bias[c] = b;
    }
    return new NbLogisticRegression(features, v, bias);
  }

  /** Each class's score b_c + Σ v_c(f) over the document's distinct known features. */
  scores(doc: readonly string[]): Float64Array {
    const out = Float64Array.from(this.#bias);
    for (const f of new Set(doc)) {
      const j = this.#index.get(f);
      if (j === undefined) continue;
      for (let c = 0; c < out.length; c++) out[c] += this.#v[c][j];
    }
    return out;
  }

  /** The class with the highest score (the lower one on ties). */
  predict(doc: readonly string[]): number {
    const s = this.scores(doc);
    let best = 0;
    for (let c = 1; c < s.length; c++) if (s[c] > s[best]) best = c;
    return best;
  }

  /** The model as plain JSON (weights rounded to 6 significant digits). */
  toJSON(): NbLogisticJSON {
    const round = (x: number) => Number(x.toPrecision(6));
    return { features: [...this.#index.keys()], weights: this.#v.map((w) => Array.from(w, round)), bias: Array.from(this.#bias, round) };
  }

  /** A model from {@link NbLogisticRegression.toJSON}'s output; E_FORMAT when it is not one. */
  static fromJSON(json: unknown): NbLogisticRegression {
    const j = json as Partial<NbLogisticJSON> | null;
    const ok =
      j !== null &&
      typeof j === 'object' &&
      Array.isArray(j.features) &&
      j.features.every((f) => typeof f === 'string') &&
      Array.isArray(j.bias) &&
      j.bias.length >= 2 &&
      j.bias.every((b) => typeof b === 'number') &&
      Array.isArray(j.weights) &&
      j.weights.length === j.bias.length &&
      j.weights.every((w) => Array.isArray(w) && w.length === j.features!.length && w.every((x) => typeof x === 'number'));
    if (!ok) throw formatError('not an n-gram logistic regression (it needs features, weights [class][feature] and bias [class])');
    return new NbLogisticRegression(
      j.features!,
      j.weights!.map((w) => Float64Array.from(w)),
      Float64Array.from(j.bias!),
    );
  }
}
