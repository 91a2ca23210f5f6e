// Character-bigram inputs for the character models (segmentation, NER, the character
// classifier). The builder reads one id per step, so step i reads ONE token: the bigram
// c[i]c[i+1] when it was seen at least `minCount` times in training, else the character c[i]
// alone (a back-off; the last step always reads its character). A frequent bigram's embedding
// learns what the pair says directly (北京 is a word, 的人 spans a boundary, 主席 ends a title)
// instead of leaving the recurrent layer to compose it from two characters, while rare pairs
// share their character's embedding. The vocabulary then holds characters and bigrams; a model
// whose vocabulary holds two-character symbols reads bigrams (`readsBigrams`).

/**
 * The bigrams c[i]c[i+1] of the character sequences seen at least `minCount` times, sorted.
 * @example
 * ```ts
 * console.log(frequentBigrams([Array.from('北京大学'), Array.from('北京市')], 2)); // ['北京']
 * ```
 */
export function frequentBigrams(seqs: Iterable<readonly string[]>, minCount: number): string[] {
  const n = new Map<string, number>();
  for (const cs of seqs) for (let i = 0; i + 1 < cs.length; i++) n.set(cs[i] + cs[i + 1], (n.get(cs[i] + cs[i + 1]) ?? 0) + 1);
  return [...n]
    .filter(([, c]) => c >= minCount)
    .map(([b]) => b)
    .sort();
}

/**
 * The token each step reads: the bigram c[i]c[i+1] when `has` knows it, else c[i].
 * @example
 * ```ts
 * console.log(bigramTokens(Array.from('北京大'), (s) => s === '北京')); // ['北京', '京', '大']
 * ```
 */
export function bigramTokens(cs: readonly string[], has: (s: string) => boolean): string[] {
  return cs.map((c, i) => (i + 1 < cs.length && has(c + cs[i + 1]) ? c + cs[i + 1] : c));
}

/**
 * Whether a vocabulary's model reads character bigrams: it holds a symbol of two characters
 * that is not a signature (`<…>`).
 * @example
 * ```ts
 * console.log(readsBigrams(['北', '京', '北京']), readsBigrams(['北', '京', '<unk>'])); // true false
 * ```
 */
export function readsBigrams(symbols: readonly string[]): boolean {
  return symbols.some((s) => !s.startsWith('<') && Array.from(s).length === 2);
}
