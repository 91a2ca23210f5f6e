// Word-level language-model data and the interpolated Kneser–Ney trigram baseline: the
// tokeniser and capped vocabulary, KN probabilities worked out by hand on a six-token corpus,
// distributions that sum to 1, topNext, and the held-out perplexity on Moby Dick
// (chapters 1–125 → 126–135) for vocabulary caps of 10,000 and 20,000.
import { describe, expect, it } from 'vitest';
import { loadMobyDick } from '../dist/cli/corpora/mobydick.js';
import { Vocabulary } from '../dist/data/vocab.js';
import { KneserNeyTrigram } from '../dist/tasks/kneser-ney.js';
import { tokenizeWords, wordVocabulary } from '../dist/tasks/words.js';
import { expectError } from './helpers.js';

describe('word tokens and vocabulary', () => {
  it('lowercases and splits words and punctuation, with <eos> after each non-empty line', () => {
    const want = "call me ishmael . some years ago — never mind <eos> the water - gazers don't , ' tis 1851 ! <eos>".split(' ');
    expect(tokenizeWords("Call me Ishmael. Some years ago—never mind\n\nthe water-gazers don't, 'tis 1851!\n")).toEqual(want);
    expect(tokenizeWords('The Whale', { lowercase: false, eos: false })).toEqual(['The', 'Whale']);
    expectError(() => tokenizeWords('x', { lower: true } as never), TypeError, 'E_OPTION', /tokenizeWords.lower/);
  });

  it('keeps <unk> and the most frequent tokens up to the cap (ties alphabetical)', () => {
    const v = wordVocabulary(['b', 'a', 'c', 'b', 'a', 'd', 'b'], 3);
    expect(v.symbols).toEqual(['<unk>', 'b', 'a']);
    expect(Array.from(v.encode(['a', 'c', 'zebra']))).toEqual([2, 0, 0]);
    expect(wordVocabulary(['x', 'y', 'x'], 100).symbols).toEqual(['<unk>', 'x', 'y']);
    expect(wordVocabulary(['x', 'y', 'x'], 100, { minCount: 2 }).symbols).toEqual(['<unk>', 'x']);
    expectError(() => wordVocabulary(['x'], 0), RangeError, 'E_RANGE', /maxSize/);
  });
});

describe('interpolated Kneser–Ney trigram', () => {
  // "a b a b c <eos>" with ids <eos> 0, a 1, b 2, c 3, read after two <eos>; D = 0.75.
  // Trigram types: (·· a) (· a b) (a b a) (b a b) (a b c) (b c ·), one each.
  // Bigram continuation counts N1+(•vw): ·a 1, ab 2, ba 1, bc 1, c· 1 → N1+(••) = 5.
  // Unigram N1+(•w): a 2, b 1, c 1, <eos> 1; P1(w) = max(N − .75, 0)/5 + .75·4/5·1/4:
  //   P1(a) = .40, P1(b) = P1(c) = P1(<eos>) = .20
  // P2(w | b): followers a, c (1 each of 2): P2(a|b) = .25/2 + .75·.40 = .425, P2(c|b) = .275,
  //   P2(b|b) = P2(<eos>|b) = .75·.20 = .15
  // P3(w | a b): followers a, c (1 each of 2): P3(a|ab) = .125 + .75·.425 = .44375,
  //   P3(c|ab) = .125 + .75·.275 = .33125, P3(b|ab) = P3(<eos>|ab) = .75·.15 = .1125
  const vocab = new Vocabulary(['<eos>', 'a', 'b', 'c'], { level: 'token' });
  const kn = new KneserNeyTrigram(vocab).fit([1, 2, 1, 2, 3, 0]);

  it('gives the hand-computed probabilities', () => {
    expect(kn.pad).toBe(0);
    const p = kn.distribution(1, 2);
    expect(Array.from(p)).toEqual([0.1125, 0.44375, 0.1125, 0.33125].map((x) => expect.closeTo(x, 14)));
    expect(kn.prob(1, 2, 3)).toBeCloseTo(0.33125, 14);
    // unseen trigram context (c c) backs off to P2(w | c): c is followed by <eos> only
    // (N1+ 1 of 1): P2(<eos>|c) = .25 + .75·.20 = .40, P2(a|c) = .75·.40 = .30, others .15
    expect(Array.from(kn.distribution(3, 3))).toEqual([0.4, 0.3, 0.15, 0.15].map((x) => expect.closeTo(x, 14)));
    // held-out "a b c": P(a|<eos> <eos>) = .25 + .75·P2(a|<eos>) = .25 + .75·(.25 + .75·.40) = .6625,
    // P(b|<eos> a) = .25 + .75·P2(b|a) = .25 + .75·(1.25/2 + .75·(1/2)·.20) = .775, P(c|a b) = .33125
    expect(kn.perplexity([1, 2, 3])).toBeCloseTo((0.6625 * 0.775 * 0.33125) ** (-1 / 3), 12);
  });

  it('ranks the next words (topNext), optionally skipping some', () => {
    expect(kn.topNext(['a', 'b'], 2)).toEqual([
      { token: 'a', p: expect.closeTo(0.44375, 14) },
      { token: 'c', p: expect.closeTo(0.33125, 14) },
    ]);
    // a tie between <eos> and b (.1125 each) goes to the lower id
    expect(kn.topNext('A B', 3, { skip: ['a'] }).map((x) => x.token)).toEqual(['c', '<eos>', 'b']);
    expect(kn.topNext([], 1)[0].token).toBe('a'); // after <eos> <eos>
  });

  it('rejects bad ids, k and calls before fit with typed errors', () => {
    expectError(() => new KneserNeyTrigram(vocab).fit([1, 4]), RangeError, 'E_RANGE', /ids\[1\] = 4/);
    expectError(() => new KneserNeyTrigram(vocab).prob(0, 0, 1), TypeError, 'E_STATE', /fit/);
    expectError(() => kn.topNext('a', 0), RangeError, 'E_RANGE', /k/);
    expectError(() => kn.topNext('zebra', 1), RangeError, 'E_RANGE', /"zebra" is not in the vocabulary/);
    expectError(() => new KneserNeyTrigram(vocab, { discount: 1 }), RangeError, 'E_RANGE', /discount/);
  });

  it('Moby Dick: sums to 1 over the vocabulary and beats a unigram on held-out chapters', { timeout: 60_000 }, async () => {
    const { train, validation } = await loadMobyDick();
    const tr = tokenizeWords(train);
    const va = tokenizeWords(validation);
    for (const cap of [10_000, 20_000]) {
      const v = wordVocabulary(tr, cap);
      const m = new KneserNeyTrigram(v).fit(v.encode(tr));
      for (const ctx of [
        ['the', 'white'],
        ['<eos>', '<eos>'],
        ['of', 'the'],
        ['zebu', 'quux'],
        ['whale', ','],
      ]) {
        const p = m.distribution(v.id(ctx[0]), v.id(ctx[1]));
        expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
      }
      const ids = v.encode(va);
      const ppl = m.perplexity(ids);
      // add-one unigram on the same tokens
      const counts = new Float64Array(v.size);
      for (const id of v.encode(tr)) counts[id]++;
      let nll = 0;
      for (const id of ids) nll -= Math.log((counts[id] + 1) / (tr.length + v.size));
      const unigram = Math.exp(nll / ids.length);
      const oov = va.filter((t) => !v.has(t)).length / va.length;
      console.log(
        `Moby Dick KN trigram, vocabulary cap ${cap} (${v.size} types, ${(100 * oov).toFixed(2)}% of held-out tokens <unk>): perplexity ${ppl.toFixed(1)} (add-one unigram ${unigram.toFixed(1)}) on ${ids.length} tokens`,
      );
      expect(ppl).toBeLessThan(0.6 * unigram);
      expect(m.topNext('the white', 1)[0].token).toBe('whale');
    }
  });
});
