// Tagged corpora: the word/TAG reader (E_FORMAT with the line), Brown tag normalisation, the
// split by file, the most-frequent-tag and bigram HMM baselines on hand-counted tiny corpora
// (Viterbi on 3 words and 2 tags worked out by hand), then both baselines on the real Brown
// split, printing their accuracies.
import { describe, expect, it } from 'vitest';
import { loadBrown } from '../dist/cli/corpora/brown.js';
import { normalizeBrownTag } from '../dist/tasks/brown.js';
import { HmmTagger, MostFrequentTagger, viterbi, wordClass } from '../dist/tasks/hmm-tagger.js';
import { parseTagged, splitFiles, taggingScore } from '../dist/tasks/tagged.js';
import { expectError } from './helpers.js';

describe('word/TAG reader', () => {
  it('reads one sentence per line, the tag after the last slash, blank lines skipped', () => {
    const s = parseTagged('\tThe/at 1/2/cd //in AAb//nn\n\n  Paris/B-LOC is/O nice/O \r\n');
    expect(s).toEqual([
      { words: ['The', '1/2', '/', 'AAb/'], tags: ['at', 'cd', 'in', 'nn'] },
      { words: ['Paris', 'is', 'nice'], tags: ['B-LOC', 'O', 'O'] },
    ]);
    expect(parseTagged(new TextEncoder().encode('naïve/jj'), { mapTag: (t) => t.toUpperCase() })).toEqual([{ words: ['naïve'], tags: ['JJ'] }]);
  });

  it('names the line of what is wrong (E_FORMAT)', () => {
    expectError(() => parseTagged(''), TypeError, 'E_FORMAT', /corpus is empty/);
    expectError(() => parseTagged(' \n\t\n', { source: 'ner.txt' }), TypeError, 'E_FORMAT', /ner.txt is empty/);
    expectError(() => parseTagged('a/D\n\nthe/D dog barks/V'), TypeError, 'E_FORMAT', /line 3: token "dog" has no \/TAG/);
    expectError(() => parseTagged('a/D b/'), TypeError, 'E_FORMAT', /line 1: token "b\/" has an empty tag/);
    expectError(() => parseTagged('x/N\n/N'), TypeError, 'E_FORMAT', /line 2: token "\/N" has an empty word/);
    const bad = Uint8Array.of(...new TextEncoder().encode('a/D\nb'), 0xff, ...new TextEncoder().encode('/N\n'));
    expectError(() => parseTagged(bad, { source: 'c.txt' }), TypeError, 'E_FORMAT', /c.txt line 2: invalid UTF-8/);
  });

  it('normalises Brown tags: fw- and -tl/-hl/-nc go, *, $ and + stay', () => {
    const cases: [string, string][] = [
      ['nn-tl', 'nn'],
      ['nn-tl-hl', 'nn'],
      ['vbn-tl-nc', 'vbn'],
      ['fw-nn', 'nn'],
      ['fw-in+at-tl', 'in+at'],
      ['nn+bez-tl', 'nn+bez'],
      ['np$', 'np$'],
      ['md*', 'md*'],
      ['*', '*'],
      ['*-hl', '*'],
      ['.-hl', '.'],
      ['---hl', '--'],
      ['ppss+md', 'ppss+md'],
    ];
    for (const [raw, want] of cases) expect(normalizeBrownTag(raw)).toBe(want);
  });

  it('splits by file: seeded, disjoint, complete', () => {
    const names = Array.from({ length: 500 }, (_, i) => `c${i}`);
    const a = splitFiles(names, { test: 0.1, seed: 1 });
    expect(a.test.length).toBe(50);
    expect([...a.train, ...a.test].sort()).toEqual([...names].sort());
    expect(a.train.some((n) => a.test.includes(n))).toBe(false);
    expect(splitFiles([...names].reverse(), { test: 0.1, seed: 1 })).toEqual(a);
    expect(splitFiles(names, { test: 0.1, seed: 2 }).test).not.toEqual(a.test);
    expectError(() => splitFiles(['a'], {}), RangeError, 'E_RANGE', /at least 2 files/);
  });

  it('scores token accuracy overall and on unknown words', () => {
    const gold = [
      { words: ['the', 'dog'], tags: ['D', 'N'] },
      { words: ['a', 'zebu', 'ran'], tags: ['D', 'N', 'V'] },
    ];
    // 5 tokens, 3 right; unknown (not in {the, dog, a, ran}): zebu, tagged wrong
    expect(
      taggingScore(
        gold,
        [
          ['D', 'V'],
          ['D', 'V', 'V'],
        ],
        new Set(['the', 'dog', 'a', 'ran']),
      ),
    ).toEqual({ accuracy: 3 / 5, unknownAccuracy: 0, tokens: 5, unknownTokens: 1 });
    expectError(() => taggingScore(gold, [['D']], new Set()), RangeError, 'E_SHAPE', /2 sentences but the prediction has 1/);
  });
});

describe('baselines on hand-counted corpora', () => {
  it('word classes for unknown words', () => {
    expect(['Running', 'well-dressed', 'NATO', '1,200', 'B-52s', 'dogs', 'as', 'cat', "whale's"].map(wordClass)).toEqual([
      'C:ing',
      'l-:ed',
      'A:',
      'num',
      'digit',
      'l:s',
      'l:',
      'l:',
      "l:'s",
    ]);
  });

  it('most frequent tag, with unknown words by the class of hapax words', () => {
    const train = parseTagged(
      ['the/D dog/N barks/V', 'the/D dog/N runs/V', 'the/D run/N', 'dogs/N run/V', 'dogs/N run/V', 'the/D cat/N', 'the/D rat/N', 'dogs/N bite/V'].join('\n'),
    );
    // run: V 2, N 1 → V. Hapaxes: barks V, runs V (class l:s); cat N, rat N, bite V (class l:);
    // all hapaxes: V 3, N 2. So bites, cats (l:s) → V; bat (l:) → N; Fido (C:, unseen) → V.
    const m = new MostFrequentTagger().fit(train);
    expect(m.tag(['the', 'run', 'bites', 'Fido', 'cats', 'bat', 'dog'])).toEqual(['D', 'V', 'V', 'V', 'V', 'N', 'N']);
  });

  it('Viterbi on 3 words and 2 tags, worked by hand', () => {
    // states N = 0, V = 1, boundary = 2. Rows: from N, from V, from the start; columns: to N, V, end.
    const t = [0.3, 0.5, 0.2, 0.5, 0.3, 0.2, 0.6, 0.4, 0];
    const e = [
      [0.5, 0.1],
      [0.2, 0.6],
      [0.4, 0.3],
    ];
    // δ1 = (0.6·0.5, 0.4·0.1) = (0.30, 0.04)
    // δ2(N) = max(0.30·0.3, 0.04·0.5)·0.2 = 0.018 (from N);  δ2(V) = max(0.30·0.5, 0.04·0.3)·0.6 = 0.09 (from N)
    // δ3(N) = max(0.018·0.3, 0.09·0.5)·0.4 = 0.018 (from V); δ3(V) = max(0.018·0.5, 0.09·0.3)·0.3 = 0.0081 (from V)
    // end: N 0.018·0.2 = 0.0036, V 0.0081·0.2 = 0.00162 → N V N with probability 0.0036
    // (position by position the emissions alone would say N V N too, but 0.0036 is the joint)
    const r = viterbi(
      2,
      Float64Array.from(t, Math.log),
      e.map(() => [0, 1]),
      e.map((row) => row.map(Math.log)),
    );
    expect(r.path).toEqual([0, 1, 0]);
    expect(Math.exp(r.logProb)).toBeCloseTo(0.0036, 12);
    // and by brute force over all 8 paths
    let best = 0;
    for (let p = 0; p < 8; p++) {
      const s = [(p >> 2) & 1, (p >> 1) & 1, p & 1];
      const pr = t[6 + s[0]] * e[0][s[0]] * t[s[0] * 3 + s[1]] * e[1][s[1]] * t[s[1] * 3 + s[2]] * e[2][s[2]] * t[s[2] * 3 + 2];
      best = Math.max(best, pr);
    }
    expect(best).toBeCloseTo(0.0036, 12);
    // restricted candidates: position 1 may only be N
    const c = viterbi(2, Float64Array.from(t, Math.log), [[0, 1], [0], [0, 1]], [e[0].map(Math.log), [Math.log(0.2)], e[2].map(Math.log)]);
    // N N N: .6·.5·.3·.2·.3·.4·.2 = 0.000432; N N V: .6·.5·.3·.2·.5·.3·.2 = 0.00054 → N N V
    expect(c.path).toEqual([0, 0, 1]);
    expect(Math.exp(c.logProb)).toBeCloseTo(0.00054, 12);
    expectError(() => viterbi(2, new Float64Array(4), [], []), RangeError, 'E_SHAPE', /trans/);
  });

  it('bigram HMM: transitions, emissions and the decoded path, counted by hand', () => {
    const h = new HmmTagger({ k: 0.1, alpha: 0.5 }).fit(parseTagged('the/D dog/N barks/V\nthe/D cat/N\ndogs/N bark/V'));
    // tags D 2, N 3, V 2, sentences 3; bigrams ⟨s⟩D 2, ⟨s⟩N 1, DN 2, NV 2, N⟨/s⟩ 1, V⟨/s⟩ 2; k·(T+1) = 0.4
    const P = (a: string | null, b: string | null) => Math.exp(h.transitionLogProb(a, b));
    expect(P(null, 'D')).toBeCloseTo(2.1 / 3.4, 14);
    expect(P('D', 'N')).toBeCloseTo(2.1 / 2.4, 14);
    expect(P('N', 'N')).toBeCloseTo(0.1 / 3.4, 14);
    expect(P('V', null)).toBeCloseTo(2.1 / 2.4, 14);
    for (const a of [null, 'D', 'N', 'V']) expect([null, 'D', 'N', 'V'].reduce((s, b) => s + P(a, b), 0)).toBeCloseTo(1, 14);
    // hapaxes: dog, cat, dogs (N), barks, bark (V); none D. u(D) = 0.5/3, u(N) = 3.5/4, u(V) = 2.5/3
    const E = (w: string, t: string) => Math.exp(h.emissionLogProb(w, t));
    expect(E('the', 'D')).toBeCloseTo(5 / 6, 14);
    expect(E('dog', 'N')).toBeCloseTo(1 / 8 / 3, 14);
    expect(E('the', 'N')).toBe(0);
    // unseen "runs" is of class l:s (N: dogs; V: barks); 3 classes with the unseen one
    expect(E('runs', 'V')).toBeCloseTo((5 / 6) * (1.5 / 3.5), 14);
    expect(E('runs', 'N')).toBeCloseTo((7 / 8) * (1.5 / 4.5), 14);
    expect(E('runs', 'D')).toBeCloseTo((1 / 6) * (0.5 / 1.5), 14);
    // per tag, seen words plus one word of each class (l:, l:s, and the unseen C:) sum to 1
    for (const t of ['D', 'N', 'V'])
      expect(['the', 'dog', 'cat', 'dogs', 'barks', 'bark', 'zzz', 'zzzs', 'Zed'].reduce((s, w) => s + E(w, t), 0)).toBeCloseTo(1, 14);
    const d = h.decode(['the', 'dog', 'runs']);
    expect(d.tags).toEqual(['D', 'N', 'V']);
    expect(d.logProb).toBeCloseTo(Math.log((2.1 / 3.4) * (5 / 6) * (2.1 / 2.4) * (1 / 24) * (2.1 / 3.4) * (5 / 14) * (2.1 / 2.4)), 12);
    expectError(() => new HmmTagger().tag(['a']), TypeError, 'E_STATE', /fit/);
    expectError(() => new HmmTagger({ k: 0 }), RangeError, 'E_RANGE', /k/);
  });
});

describe('Brown corpus', () => {
  it('both baselines on the held-out files (10%, seed 1)', { timeout: 60_000 }, async () => {
    const t0 = performance.now();
    const files = await loadBrown();
    expect(files.length).toBe(500);
    const sentences = files.flatMap((f) => f.sentences);
    expect(sentences.length).toBe(57340);
    expect(sentences.reduce((n, s) => n + s.words.length, 0)).toBe(1161192);
    expect(new Set(sentences.flatMap((s) => s.tags)).size).toBe(190);
    const { train: trainFiles } = splitFiles(
      files.map((f) => f.name),
      { test: 0.1, seed: 1 },
    );
    const inTrain = new Set(trainFiles);
    const train = files.filter((f) => inTrain.has(f.name)).flatMap((f) => f.sentences);
    const test = files.filter((f) => !inTrain.has(f.name)).flatMap((f) => f.sentences);
    const scores: Record<string, ReturnType<typeof taggingScore>> = {};
    for (const [name, tagger] of [
      ['most frequent tag', new MostFrequentTagger()],
      ['bigram HMM', new HmmTagger()],
    ] as const) {
      tagger.fit(train);
      scores[name] = taggingScore(
        test,
        test.map((s) => tagger.tag(s.words)),
        tagger.known,
      );
      const s = scores[name];
      console.log(
        `Brown, ${name}: ${(100 * s.accuracy).toFixed(2)}% of ${s.tokens} tokens, ${(100 * s.unknownAccuracy).toFixed(2)}% of ${s.unknownTokens} unknown`,
      );
    }
    console.log(`Brown baselines: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const mft = scores['most frequent tag'];
    const hmm = scores['bigram HMM'];
    expect(mft.accuracy).toBeGreaterThan(0.9);
    expect(hmm.accuracy).toBeGreaterThan(mft.accuracy + 0.02);
    expect(hmm.unknownAccuracy).toBeGreaterThan(mft.unknownAccuracy);
    expect(mft.unknownTokens).toBe(hmm.unknownTokens);
  });
});
