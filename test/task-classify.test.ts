// Sequence classification (many-to-one): tokenizer and naive Bayes on hand-computed cases,
// exact variable-length masks (a prediction does not change with padding, nor with tokens
// past the length cap), save/load, a short GRU run on SpamAssassin that clearly learns
// (held-out accuracy and spam F1 against thresholds, naive Bayes computed alongside), and
// `recurrent classify run`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init as initDist } from '../dist/index.js';
import { trainClassifier as distTrainClassifier } from '../dist/tasks/index.js';
import { loadSpamAssassin, type MailMessage, splitMessage } from '../ts/cli/corpora/spam.js';
import { bucketedBatches, init, Rng, splitBySeed, Vocabulary } from '../ts/index.js';
import { binaryScore, MultinomialNaiveBayes, TextClassifier, tokenize, tokenVocabulary, trainClassifier } from '../ts/tasks/index.js';
import { expectError, ROOT } from './helpers.js';

beforeAll(async () => {
  await init();
});

describe('text helpers', () => {
  it('tokenize: lower-cased words and $ ! ? % as tokens', () => {
    expect(tokenize('FREE money!!! Only $5, 100% Größe: naïve café')).toEqual([
      'free',
      'money',
      '!',
      '!',
      '!',
      'only',
      '$',
      '5',
      '100',
      '%',
      'größe',
      'naïve',
      'café',
    ]);
    expect(tokenize('  ')).toEqual([]);
  });

  it('splitMessage keeps the (unfolded) subject and the body', () => {
    const raw = 'From: a@b.c\nSubject: Hello\n  there\nX-Spam: no\n\nBody line 1\n\nline 2';
    expect(splitMessage(raw)).toEqual({ subject: 'Hello there', body: 'Body line 1\n\nline 2' });
    expect(splitMessage('just text')).toEqual({ subject: '', body: '' });
  });

  it('tokenVocabulary keeps tokens seen minCount times, most frequent first, plus <unk>', () => {
    const v = tokenVocabulary([['a', 'b', 'a'], ['c', 'a', 'b'], ['d']], { minCount: 2 });
    expect(v.symbols).toEqual(['a', 'b', '<unk>']);
    expect(Array.from(v.encode(['b', 'zzz']))).toEqual([1, 2]);
  });

  it('bucketed batches cover every row once, rows of similar length together', () => {
    const lengths = Array.from({ length: 1000 }, (_, i) => (i * 37) % 500);
    const batches = bucketedBatches(lengths, 10, new Rng(3));
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    const spread = batches.map((b) => Math.max(...b.map((i) => lengths[i])) - Math.min(...b.map((i) => lengths[i])));
    expect(spread.reduce((a, b) => a + b, 0) / spread.length).toBeLessThan(40);
    expect(bucketedBatches(lengths, 10, new Rng(3))).toEqual(batches);
  });
});

describe('multinomial naive Bayes', () => {
  // Manning, Raghavan & Schütze, Introduction to Information Retrieval, example 13.1.
  const docs = [
    ['Chinese', 'Beijing', 'Chinese'],
    ['Chinese', 'Chinese', 'Shanghai'],
    ['Chinese', 'Macao'],
    ['Tokyo', 'Japan', 'Chinese'],
  ];
  const labels = [1, 1, 1, 0];
  const test = ['Chinese', 'Chinese', 'Chinese', 'Tokyo', 'Japan'];

  it('matches the textbook example by hand', () => {
    const nb = new MultinomialNaiveBayes().fit(docs, labels);
    expect(nb.vocabularySize).toBe(6);
    // P(c) = 3/4, P(Chinese|c) = 6/14, P(Tokyo|c) = P(Japan|c) = 1/14
    // P(~c) = 1/4, P(Chinese|~c) = 2/9, P(Tokyo|~c) = P(Japan|~c) = 2/9
    const yes = (3 / 4) * (3 / 7) ** 3 * (1 / 14) ** 2; // ≈ 0.0003
    const no = (1 / 4) * (2 / 9) ** 5; // ≈ 0.0001
    const jl = nb.jointLogLikelihood(test);
    expect(jl[1]).toBeCloseTo(Math.log(yes), 12);
    expect(jl[0]).toBeCloseTo(Math.log(no), 12);
    expect(nb.predict(test)).toBe(1);
    expect(nb.predictProba(test)[1]).toBeCloseTo(yes / (yes + no), 12);
    // unseen tokens are ignored; an empty document gets the prior
    expect(nb.predictProba(['Paris'])[1]).toBeCloseTo(0.75, 12);
  });

  it('smoothing and errors', () => {
    const nb = new MultinomialNaiveBayes({ alpha: 0.5 }).fit(docs, labels);
    // P(Tokyo|c) = (0 + 0.5) / (8 + 3), P(Tokyo|~c) = (1 + 0.5) / (3 + 3)
    expect(nb.jointLogLikelihood(['Tokyo'])[1] - Math.log(3 / 4)).toBeCloseTo(Math.log(0.5 / 11), 12);
    expect(nb.jointLogLikelihood(['Tokyo'])[0] - Math.log(1 / 4)).toBeCloseTo(Math.log(1.5 / 6), 12);
    expectError(() => new MultinomialNaiveBayes().fit([['a']], [0, 1]), RangeError, 'E_RANGE', /1 documents but 2 labels/);
    expectError(() => new MultinomialNaiveBayes().fit([['a']], [-1]), RangeError, 'E_RANGE');
    expectError(() => new MultinomialNaiveBayes().predict(['a']), RangeError, 'E_RANGE', /fit\(\) first/);
  });
});

describe('masks: padding never changes a prediction', () => {
  it('a document alone, next to longer ones, and with junk ids in its padding', () => {
    const vocab = new Vocabulary(['a', 'b', 'c', 'd', 'e'], { level: 'token', unk: '<unk>' });
    const clf = TextClassifier.create(vocab, { hidden: 12, embed: 6, maxTokens: 20, seed: 4 });
    try {
      const short = ['a', 'b', 'c'];
      const docs = [short, ['d', 'e', 'a', 'b', 'c', 'd', 'e', 'a', 'b'], ['c', 'c', 'c', 'c', 'c', 'c']];
      const alone = clf.predictProba([short])[0];
      const together = clf.predictProba(docs)[0];
      for (let k = 0; k < 2; k++) expect(Math.abs(together[k] - alone[k])).toBeLessThan(1e-6);
      // straight through the model: whatever ids sit past the length, the output is the same
      const m = clf.session.model;
      const ids = clf.encode(short);
      const clean = m.forward({ ids: [...ids, 0, 0, 0, 0], batch: 1, steps: 7, lengths: [3] });
      const junk = m.forward({ ids: [...ids, 4, 1, 2, 3], batch: 1, steps: 7, lengths: [3] });
      const exact = m.forward({ ids, batch: 1, steps: 3 });
      expect(Array.from(junk)).toEqual(Array.from(clean));
      for (let k = 0; k < 2; k++) expect(Math.abs(clean[k] - exact[k])).toBeLessThan(1e-6);
      // tokens past maxTokens are not read
      const long = Array.from({ length: 20 }, (_, i) => vocab.symbols[i % 5]);
      expect(clf.predictProba([[...long, 'e', 'e', 'e']])[0]).toEqual(clf.predictProba([long])[0]);
      expect(clf.encode([...long, 'e']).length).toBe(20);
    } finally {
      clf.dispose();
    }
  });
});

describe('class names and token level in the model file', () => {
  it('a character model with named classes keeps both; a file without them numbers its classes', () => {
    const vocab = new Vocabulary(['好', '差', '很'], { level: 'token', unk: '<unk>' });
    const clf = TextClassifier.create(vocab, { hidden: 4, embed: 4, seed: 1, classNames: ['neg', 'pos'], tokens: 'characters' });
    const plain = TextClassifier.create(vocab, { hidden: 4, embed: 4, seed: 1 });
    try {
      expect(clf.tokenize('很好')).toEqual(['很', '好']);
      expect(plain.tokenize('Make MONEY')).toEqual(['make', 'money']);
      const again = TextClassifier.load(clf.save());
      expect([again.classNames, again.tokens, again.className(1)]).toEqual([['neg', 'pos'], 'characters', 'pos']);
      expect(again.predictProba([['很', '好']])).toEqual(clf.predictProba([['很', '好']]));
      again.dispose();
      const numbered = TextClassifier.load(plain.save());
      expect([numbered.classNames, numbered.tokens, numbered.className(1)]).toEqual([undefined, 'words', '1']);
      numbered.dispose();
      expectError(() => TextClassifier.create(vocab, { classNames: ['a'] }), RangeError, 'E_RANGE', /classNames must be 2 distinct/);
      expectError(() => TextClassifier.create(vocab, { classNames: ['a', 'a'] }), RangeError, 'E_RANGE');
      expectError(() => TextClassifier.create(vocab, { tokens: 'bytes' as 'words' }), TypeError, 'E_OPTION', /tokens "bytes"/);
      // dropout after the embedding and after the recurrent layer, none when predicting
      const dropped = TextClassifier.create(vocab, { hidden: 4, embed: 4, seed: 1, dropout: 0.5 });
      const spec = dropped.session.model.spec;
      expect('layers' in spec && spec.layers.map((l) => l.type)).toEqual(['embedding', 'dropout', 'recurrent', 'dropout', 'dense']);
      expect(dropped.predictProba([['很', '好']])).toEqual(dropped.predictProba([['很', '好']]));
      dropped.dispose();
      expectError(() => TextClassifier.create(vocab, { dropout: 1 }), RangeError, 'E_RANGE');
    } finally {
      clf.dispose();
      plain.dispose();
    }
  });
});

describe('trainClassifier in a worker thread', () => {
  it('trains to the same weights as in the calling thread (same batches, same fit engine), epoch by epoch', async () => {
    // the built package: a worker thread runs dist/worker/worker.js
    await initDist();
    const words = ['好', '差', '很', '不', '太', '棒', '烂', '行'];
    const rng = new Rng(3);
    const docs = Array.from({ length: 40 }, () => Array.from({ length: 2 + Math.floor(rng.next() * 7) }, () => words[Math.floor(rng.next() * words.length)]));
    const labels = docs.map((d) => (d.filter((w) => '好很棒行'.includes(w)).length * 2 >= d.length ? 1 : 0));
    const opts = { hidden: 6, embed: 4, bidirectional: true, pooling: 'mean', tokens: 'characters', dropout: 0.2, epochs: 2, batchSize: 8, seed: 5 } as const;
    const seen: number[][] = [[], []];
    const [here, there] = await Promise.all(
      [false, true].map((worker, w) =>
        distTrainClassifier(docs, labels, { ...opts, worker, onEpoch: (e, c) => void seen[w].push(e.epoch, c.predictProba(docs.slice(0, 3))[0][1]) }),
      ),
    );
    try {
      expect(seen[1]).toHaveLength(4);
      expect(seen[1]).toEqual(seen[0]);
      expect(there.session.model.getParams()).toEqual(here.session.model.getParams());
      expect(there.predictProba(docs)).toEqual(here.predictProba(docs));
    } finally {
      here.dispose();
      there.dispose();
    }
  });
});

describe('SpamAssassin (short budget)', () => {
  let messages: MailMessage[];
  let docs: string[][];
  let tr: number[];
  let va: number[];
  let clf: TextClassifier;
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-classify-'));

  beforeAll(async () => {
    const c = await loadSpamAssassin();
    messages = c.messages;
    expect(c.messages.length + c.duplicates).toBe(6046);
    docs = messages.map((m) => tokenize(`${m.subject}\n${m.body}`));
    const split = splitBySeed(
      messages.map((_, i) => i),
      { validation: 0.2, seed: 1 },
    );
    const r = new Rng(5);
    r.shuffle(split.train);
    r.shuffle(split.validation);
    tr = split.train.slice(0, 1500);
    va = split.validation.slice(0, 400);
  });

  it('the split is deterministic, disjoint and has no duplicate messages', () => {
    const again = splitBySeed(
      messages.map((_, i) => i),
      { validation: 0.2, seed: 1 },
    );
    const inTrain = new Set(again.train);
    expect(again.validation.some((i) => inTrain.has(i))).toBe(false);
    expect(new Set(messages.map((m) => `${m.subject}\u0000${m.body}`)).size).toBe(messages.length);
    expect(va.every((i) => !inTrain.has(i))).toBe(true);
  });

  it('a GRU over the first 100 tokens learns spam vs ham (naive Bayes alongside)', async () => {
    const gold = va.map((i) => messages[i].label);
    const majority = gold.filter((g) => g === 0).length / gold.length;
    const nb = new MultinomialNaiveBayes().fit(
      tr.map((i) => docs[i]),
      tr.map((i) => messages[i].label),
    );
    const nbScore = binaryScore(
      gold,
      va.map((i) => nb.predict(docs[i])),
    );
    clf = await trainClassifier(
      tr.map((i) => docs[i]),
      tr.map((i) => messages[i].label),
      { epochs: 3, maxTokens: 100, hidden: 32, embed: 16, batchSize: 16, seed: 1, optimizer: { name: 'adam', lr: 0.01 }, classNames: ['ham', 'spam'] },
    );
    const score = binaryScore(gold, clf.predict(va.map((i) => docs[i])));
    expect(majority).toBeLessThan(0.75);
    expect(nbScore.accuracy).toBeGreaterThan(0.85);
    // measured: accuracy 0.9475, spam F1 0.918 (naive Bayes: 0.935)
    expect(score.accuracy).toBeGreaterThan(0.88);
    expect(score.accuracy).toBeGreaterThan(majority + 0.15);
    expect(score.f1).toBeGreaterThan(0.8);
  });

  it('save/load keeps the predictions, and classify run uses the file', () => {
    const probe = va.slice(0, 30).map((i) => docs[i]);
    const again = TextClassifier.load(clf.save(), { maxTokens: 100 });
    try {
      expect(again.predictProba(probe)).toEqual(clf.predictProba(probe));
    } finally {
      again.dispose();
    }
    const model = join(dir, 'spam.safetensors');
    writeFileSync(model, clf.save());
    const spamIdx = va.find((i) => messages[i].label === 1 && clf.predictProba([docs[i]])[0][1] > 0.9)!;
    const mail = join(dir, 'mail.eml');
    writeFileSync(mail, `From: x@y.z\nSubject: ${messages[spamIdx].subject}\n\n${messages[spamIdx].body}`);
    const run = (...a: string[]) =>
      spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'classify', 'run', ...a], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    const r = run('--model', model, '--input', mail, '--max-tokens', '100');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/P\(spam\) = 0\.9\d+: spam/);
    expect(run('--model', model).stderr).toMatch(/E_OPTION: classify run needs exactly one of --input FILE and --text TEXT/);
    clf.dispose();
  });
});
