// IBM Model 1 (Brown et al. 1993), the classical word-translation baseline: translation
// probabilities t(e | f) learned by EM from sentence pairs, with a NULL source word; a sentence
// is translated word for word, each source word to its most probable target word, in order;
// a source word never seen in training is copied.
//
//   const m = Ibm1.train(pairs.map((p) => [tokenize13a(p.source), tokenize13a(p.target)]), { iterations: 5 });
//   m.translate(tokenize13a('Y dijo Dios')); // → 'And God said' (word for word)
//
// Words are space-separated tokens (the CLI uses sacreBLEU's 13a tokenisation on both sides).
import { checkKeys, rangeError } from '../errors.js';
import { pySplit } from './bleu.js';

/** An IBM Model 1 translation table, reduced to the best target word of each source word. */
export class Ibm1 {
  /** The most probable target word of each source word seen in training (NULL excluded). */
  readonly best: Map<string, string>;

  /** A table of the best target word per source word. */
  constructor(best: Map<string, string>) {
    this.best = best;
  }

  /** EM on tokenised pairs ([source, target] as space-separated words); uniform start. */
  static train(pairs: readonly (readonly [string, string])[], opts: { iterations?: number } = {}): Ibm1 {
    checkKeys('Ibm1.train', opts, ['iterations']);
    const iterations = opts.iterations ?? 5;
    if (!Number.isInteger(iterations) || iterations < 1) throw rangeError(`Ibm1.train: iterations must be a whole number ≥ 1 (got ${iterations})`);
    if (pairs.length === 0) throw rangeError('Ibm1.train: no sentence pairs');
    const fIds = new Map<string, number>([['\u0000NULL', 0]]);
    const eIds = new Map<string, number>();
    const id = (m: Map<string, number>, w: string) => {
      const i = m.get(w) ?? m.size;
      m.set(w, i);
      return i;
    };
    const sents = pairs.map(
      ([f, e]) => [Int32Array.from([0, ...pySplit(f).map((w) => id(fIds, w))]), Int32Array.from(pySplit(e).map((w) => id(eIds, w)))] as const,
    );
    const ve = eIds.size;
    // one slot per co-occurring (f, e); each sentence keeps its slots, [|e|, |f|] row-major
    const slotOf = new Map<number, number>();
    const slotF: number[] = [];
    const slotE: number[] = [];
    const slots = sents.map(([fs, es]) => {
      const out = new Int32Array(fs.length * es.length);
      let i = 0;
      for (const e of es)
        for (const f of fs) {
          const k = f * ve + e;
          let s = slotOf.get(k);
          if (s === undefined) {
            s = slotF.length;
            slotOf.set(k, s);
            slotF.push(f);
            slotE.push(e);
          }
          out[i++] = s;
        }
      return out;
    });
    slotOf.clear();
    const n = slotF.length;
    const t = new Float64Array(n).fill(1 / Math.max(1, ve));
    const count = new Float64Array(n);
    const total = new Float64Array(fIds.size);
    for (let it = 0; it < iterations; it++) {
      count.fill(0);
      total.fill(0);
      sents.forEach(([fs, es], si) => {
        const sl = slots[si];
        const nf = fs.length;
        for (let j = 0; j < es.length; j++) {
          let z = 0;
          for (let i = 0; i < nf; i++) z += t[sl[j * nf + i]];
          for (let i = 0; i < nf; i++) {
            const s = sl[j * nf + i];
            const c = t[s] / z;
            count[s] += c;
            total[fs[i]] += c;
          }
        }
      });
      for (let s = 0; s < n; s++) t[s] = count[s] / total[slotF[s]];
    }
    const eWords = [...eIds.keys()];
    const bestP = new Float64Array(fIds.size).fill(-1);
    const bestE = new Int32Array(fIds.size).fill(-1);
    for (let s = 0; s < n; s++) {
      const [f, e, p] = [slotF[s], slotE[s], t[s]];
      if (p > bestP[f] || (p === bestP[f] && e < bestE[f])) {
        bestP[f] = p;
        bestE[f] = e;
      }
    }
    const best = new Map<string, string>();
    for (const [w, f] of fIds) if (f > 0 && bestE[f] >= 0) best.set(w, eWords[bestE[f]]);
    return new Ibm1(best);
  }

  /** Word-for-word translation of a tokenised sentence (unseen words copied). */
  translate(source: string): string {
    return pySplit(source)
      .map((w) => this.best.get(w) ?? w)
      .join(' ');
  }
}
