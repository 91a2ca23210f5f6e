// Next-word prediction with a word-level language model: the perplexity arithmetic against a
// hand-computed case and against the Kneser–Ney trigram's own perplexity, the state carried
// across chunks (same answer as one pass), nextWords (k words, sorted, positive, sum ≤ 1, typed
// errors), save/load keeping the word vocabulary, joinWords, and a short training run on Moby
// Dick words whose held-out perplexity falls below its initial value and an add-one unigram's.
import { describe, expect, it } from 'vitest';
import { loadMobyDick } from '../dist/cli/corpora/mobydick.js';
import { textWindows } from '../dist/data/source.js';
import { Vocabulary } from '../dist/data/vocab.js';
import { KneserNeyTrigram } from '../dist/tasks/kneser-ney.js';
import { generateWords, joinWords, mixedPerplexity, nextWords, softmax, sumNll, trigramLogProbs, wordModel, wordPerplexity } from '../dist/tasks/next-word.js';
import { tokenizeWords, wordVocabulary } from '../dist/tasks/words.js';
import { createTrainer } from '../dist/trainer.js';
import { expectError } from './helpers.js';

async function rejects(p: Promise<unknown>, cls: typeof RangeError | typeof TypeError, code: string, msg: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected an error').toBeInstanceOf(cls);
  expect((e as { code?: string }).code).toBe(code);
  expect((e as Error).message).toMatch(msg);
}

describe('perplexity arithmetic', () => {
  it('sumNll is −Σ log softmax at the targets (hand-computed)', () => {
    // rows [0, ln 3] → p = [1/4, 3/4]; [ln 2, ln 2, 0] → p = [2/5, 2/5, 1/5]
    expect(sumNll([0, Math.log(3), 5, 5], 2, [1, 0])).toBeCloseTo(-Math.log(0.75) - Math.log(0.5), 12);
    expect(sumNll([Math.log(2), Math.log(2), 0], 3, [2])).toBeCloseTo(Math.log(5), 12);
    expect(Array.from(softmax([0, Math.log(3)]))).toEqual([expect.closeTo(0.25, 14), expect.closeTo(0.75, 14)]);
    expectError(() => sumNll([0, 1, 2], 2, [0]), RangeError, 'E_SHAPE', /3 logits for 1 targets/);
    expectError(() => sumNll([0, 1], 2, [2]), RangeError, 'E_RANGE', /target 0 = 2/);
  });

  it('applied to the trigram’s distributions (as logits) it gives the trigram’s perplexity', () => {
    const vocab = new Vocabulary(['<eos>', 'a', 'b', 'c'], { level: 'token' });
    const kn = new KneserNeyTrigram(vocab).fit([1, 2, 1, 2, 3, 0]);
    const held = [1, 2, 3, 3, 0];
    const logits: number[] = [];
    for (let i = 0, u = 0, v = 0; i < held.length; u = v, v = held[i++]) logits.push(...Array.from(kn.distribution(u, v), Math.log));
    expect(Math.exp(sumNll(logits, 4, held) / held.length)).toBeCloseTo(kn.perplexity(held), 12);
    // the hand-computed value of the trigram test: P(a|··) .6625, P(b|·a) .775, P(c|ab) .33125
    expect(Math.exp(sumNll(logits.slice(0, 12), 4, [1, 2, 3]) / 3)).toBeCloseTo((0.6625 * 0.775 * 0.33125) ** (-1 / 3), 12);
  });

  it('mixedPerplexity mixes per-token probabilities (hand-computed); trigramLogProbs matches perplexity()', () => {
    // P_a = (1/2, 1/4), P_b = (1/8, 3/4): mixed at 0.5 → (5/16, 1/2); perplexity (5/32)^(−1/2)
    const a = [Math.log(0.5), Math.log(0.25)];
    const b = [Math.log(0.125), Math.log(0.75)];
    expect(mixedPerplexity(a, b, 0.5)).toBeCloseTo((5 / 32) ** -0.5, 12);
    expect(mixedPerplexity(a, b, 1)).toBeCloseTo((1 / 8) ** -0.5, 12);
    expect(mixedPerplexity(a, b, 0)).toBeCloseTo((3 / 32) ** -0.5, 12);
    const vocab = new Vocabulary(['<eos>', 'a', 'b', 'c'], { level: 'token' });
    const kn = new KneserNeyTrigram(vocab).fit([1, 2, 1, 2, 3, 0]);
    const lp = trigramLogProbs(kn, [1, 2, 3]);
    expect(Array.from(lp, Math.exp)).toEqual([0.6625, 0.775, 0.33125].map((x) => expect.closeTo(x, 12)));
    expect(mixedPerplexity(lp, lp, 0.3)).toBeCloseTo(kn.perplexity([1, 2, 3]), 12);
    expectError(() => mixedPerplexity(a, [0], 0.5), RangeError, 'E_SHAPE', /2 and 1/);
    expectError(() => mixedPerplexity(a, b, 1.5), RangeError, 'E_RANGE', /weight/);
  });

  it('joinWords puts the words back into text', () => {
    const toks = tokenizeWords('Call me Ishmael. Some years ago—never mind how long (precisely), the water-gazers; "Yes," he said!\nAnd so.');
    expect(joinWords(toks)).toBe('call me ishmael. some years ago—never mind how long (precisely), the water-gazers; "yes," he said!\nand so.\n');
    expect(joinWords([])).toBe('');
  });
});

describe('a word language model', () => {
  const text = 'the white whale swam . the white whale dived , and the ship sailed .\nthe sea was calm .\n';
  const toks = tokenizeWords(text);
  const vocab = wordVocabulary(toks, 12);

  const small = async (worker = false) => {
    const t = await createTrainer({ worker });
    await t.build(wordModel(vocab.size, { embed: 6, units: 8 }), { seed: 3 });
    await t.setVocabulary(vocab);
    await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 0.05 } });
    await t.fit(textWindows(vocab.encode(toks), { steps: 8, windowsPerEpoch: 40 }), { epochs: 5, batchSize: 4, seed: 1 });
    return t;
  };

  it('wordPerplexity carries the state across chunks: the same as one pass, after one <eos>', async () => {
    const t = await small();
    const ids = vocab.encode(toks);
    const inputs = Uint32Array.from([vocab.id('<eos>'), ...ids.subarray(0, ids.length - 1)]);
    const logits = await t.predict({ ids: inputs, batch: 1, steps: inputs.length });
    const want = Math.exp(sumNll(logits, vocab.size, ids) / ids.length);
    for (const chunk of [1, 3, 7, 256]) expect(await wordPerplexity(t, ids, { chunk })).toBeCloseTo(want, 3);
    expect(want).toBeLessThan(vocab.size); // it learnt something: below the uniform model's
    await rejects(wordPerplexity(t, []), RangeError, 'E_RANGE', /at least one token/);
    await rejects(wordPerplexity(t, [0, 12]), RangeError, 'E_RANGE', /ids\[1\] = 12/);
    await t.dispose();
  });

  it('nextWords: k words, most likely first, positive probabilities summing to at most 1', async () => {
    const t = await small();
    const all = await nextWords(t, 'The', { k: vocab.size, skip: [] });
    expect(all).toHaveLength(vocab.size);
    const total = all.reduce((a, x) => a + x.p, 0);
    expect(total).toBeCloseTo(1, 5);
    const top = await nextWords(t, 'The', { k: 3 });
    expect(top).toHaveLength(3);
    expect(top.map((x) => x.word)).not.toContain('<unk>');
    for (let i = 0; i < top.length; i++) {
      expect(top[i].p).toBeGreaterThan(0);
      if (i > 0) expect(top[i].p).toBeLessThanOrEqual(top[i - 1].p);
    }
    expect(top.reduce((a, x) => a + x.p, 0)).toBeLessThanOrEqual(1);
    // "white" is always followed by "whale" in training
    expect((await nextWords(t, 'the white', { k: 1 }))[0].word).toBe('whale');
    // unknown words are <unk>, not an error; a token list works like the text
    expect((await nextWords(t, 'the zebra', { k: 2 })).length).toBe(2);
    expect(await nextWords(t, ['the'], { k: 3 })).toEqual(top);
    await rejects(nextWords(t, 'the', { k: 0 }), RangeError, 'E_RANGE', /k must be a positive integer/);
    await rejects(nextWords(t, '   ', { k: 1 }), RangeError, 'E_RANGE', /no words/);
    await rejects(nextWords(t, 'the', { top: 1 } as never), TypeError, 'E_OPTION', /nextWords\.top/);
    expect((await generateWords(t, 'the white', { maxTokens: 6, seed: 1 })).length).toBeGreaterThan(0);
    await t.dispose();
  });

  it('save/load keeps the word vocabulary (and the answers)', async () => {
    const t = await small();
    const bytes = await t.save();
    const u = await createTrainer({ worker: true });
    const info = await u.load(bytes);
    expect(info.vocabulary).toEqual(vocab.toJSON());
    expect(await nextWords(u, 'the white', { k: 4 })).toEqual(await nextWords(t, 'the white', { k: 4 }));
    await Promise.all([t.dispose(), u.dispose()]);
  });

  it('needs a word vocabulary: E_OPTION for a model without one or with characters', async () => {
    const t = await createTrainer({ worker: false });
    await t.build(wordModel(5, { embed: 2, units: 2 }), { seed: 1 });
    await rejects(nextWords(t, 'a'), TypeError, 'E_OPTION', /no vocabulary/);
    await t.setVocabulary(Vocabulary.fromText('abcde'));
    await rejects(nextWords(t, 'a'), TypeError, 'E_OPTION', /not a word-level language model/);
    expectError(() => wordModel(5, { cell: 'rnn' } as never), TypeError, 'E_OPTION', /lstm or gru/);
    await t.dispose();
  });
});

describe('Moby Dick words', () => {
  it('a short training run: held-out perplexity below its initial value and an add-one unigram’s', { timeout: 240_000 }, async () => {
    const { train, validation } = await loadMobyDick();
    const tr = tokenizeWords(train).slice(0, 60_000);
    const va = tokenizeWords(validation).slice(0, 3_000);
    const vocab = wordVocabulary(tr, 400);
    const trIds = vocab.encode(tr);
    const vaIds = vocab.encode(va);
    const counts = new Float64Array(vocab.size);
    for (const id of trIds) counts[id]++;
    let nll = 0;
    for (const id of vaIds) nll -= Math.log((counts[id] + 1) / (trIds.length + vocab.size));
    const unigram = Math.exp(nll / vaIds.length);
    const t = await createTrainer();
    await t.build(wordModel(vocab.size, { embed: 32, units: 64 }), { seed: 1 });
    await t.setVocabulary(vocab);
    await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 0.01 }, clipNorm: 5 });
    const before = await wordPerplexity(t, vaIds);
    const r = await t.fit(textWindows(trIds, { steps: 32, windowsPerEpoch: 16 * 100 }), { epochs: 2, batchSize: 16, seed: 1 });
    const after = await wordPerplexity(t, vaIds);
    console.log(
      `Moby Dick words (60k training tokens, vocabulary 400): perplexity ${before.toFixed(1)} → ${after.toFixed(1)} after ${r.steps} updates (add-one unigram ${unigram.toFixed(1)}), ${Math.round(r.tokensPerSec)} tok/s`,
    );
    expect(before).toBeGreaterThan(0.5 * vocab.size);
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThan(unigram);
    await t.dispose();
  });
});
