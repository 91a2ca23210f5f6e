// The sentiment classifier's additions: mean pooling over every step (target replication),
// the NB-scaled n-gram logistic regression (NBSVM) beside the network, and the combination of
// their scores; hand-computed cases, save/load round trips and typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, init, Vocabulary } from '../ts/index.js';
import { bestLinearWeight, charBigramSlots, charNgrams, combineScores, NbLogisticRegression, TextClassifier, trainClassifier } from '../ts/tasks/index.js';
import { withMetadata } from '../ts/tasks/model-file.js';
import { expectError } from './helpers.js';

beforeAll(async () => {
  await init();
});

describe('character n-grams and the NB-scaled logistic regression', () => {
  it('charNgrams: distinct 1..n-grams, white space removed', () => {
    expect(charNgrams('很好很好', 2)).toEqual(['很', '好', '很好', '好很']);
    expect(charNgrams('不 错', 3)).toEqual(['不', '错', '不错']);
    expect(charNgrams('', 3)).toEqual([]);
  });

  it('learns a separable set, one-vs-rest scores, and survives JSON', () => {
    const texts = ['很好', '好用', '不错很好', '很差', '太差', '差劲很差'];
    const labels = [1, 1, 1, 0, 0, 0];
    const lr = NbLogisticRegression.fit(
      texts.map((t) => charNgrams(t, 2)),
      labels,
      { minCount: 1, epochs: 30, seed: 3 },
    );
    expect(lr.classes).toBe(2);
    expect(texts.map((t) => lr.predict(charNgrams(t, 2)))).toEqual(labels);
    expect(lr.predict(['好'])).toBe(1);
    expect(lr.predict(['差'])).toBe(0);
    // '好' only occurs in class 1: it raises class 1's score and lowers class 0's
    const s = lr.scores(['好']);
    const none = lr.scores([]);
    expect(s[1]).toBeGreaterThan(none[1]);
    expect(s[0]).toBeLessThan(none[0]);
    // unknown features and repeats change nothing
    expect(Array.from(lr.scores(['好', '好', '未知']))).toEqual(Array.from(s));
    const again = NbLogisticRegression.fromJSON(JSON.parse(JSON.stringify(lr.toJSON())));
    for (const t of texts) {
      const a = lr.scores(charNgrams(t, 2));
      const b = again.scores(charNgrams(t, 2));
      for (let c = 0; c < 2; c++) expect(Math.abs(a[c] - b[c])).toBeLessThan(1e-4);
    }
  });

  it('minCount drops rare features; bad input is a typed error', () => {
    const docs = [['a', 'b'], ['a', 'c'], ['d']];
    expect(NbLogisticRegression.fit(docs, [0, 1, 1], { minCount: 2 }).featureCount).toBe(1);
    expect(NbLogisticRegression.fit(docs, [0, 1, 1], { minCount: 1 }).featureCount).toBe(4);
    expect(NbLogisticRegression.fit(docs, [0, 2, 1]).classes).toBe(3);
    expectError(() => NbLogisticRegression.fit(docs, [0, 1]), RangeError, 'E_RANGE', /3 documents but 2 labels/);
    expectError(() => NbLogisticRegression.fit(docs, [0, 1, 1.5]), RangeError, 'E_RANGE', /labels\[2\]/);
    expectError(() => NbLogisticRegression.fit(docs, [0, 1, 2], { classes: 2 }), RangeError, 'E_RANGE', /classes 2/);
    expectError(() => NbLogisticRegression.fit(docs, [0, 1, 1], { rate: 1 } as never), TypeError, 'E_OPTION');
    expectError(() => NbLogisticRegression.fromJSON({ features: ['a'], weights: [[1]], bias: [0, 0] }), TypeError, 'E_FORMAT');
    expectError(() => NbLogisticRegression.fromJSON(null), TypeError, 'E_FORMAT');
  });
});

describe('combining a network with the n-gram model', () => {
  it('combineScores is softmax(log p + w·s), by hand', () => {
    const z = combineScores([0.6, 0.4], [-1, 1], 0.5);
    const a = Math.log(0.6) - 0.5;
    const b = Math.log(0.4) + 0.5;
    expect(z[1]).toBeCloseTo(Math.exp(b) / (Math.exp(a) + Math.exp(b)), 6);
    expect(Array.from(combineScores([0.6, 0.4], [5, -5], 0))).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.4, 6)]);
  });

  it('bestLinearWeight picks the most accurate weight on held-out texts, the smallest on ties', () => {
    // text 0: the network says class 0 (0.6), the scores say class 1; gold 1: weights of 0.25
    // and more turn it (log 0.6 − log 0.4 = 0.405 < 2·0.25·1 ... ), text 1 is right at any weight
    const p = [Float32Array.of(0.6, 0.4), Float32Array.of(0.1, 0.9)];
    const s = [Float64Array.of(-1, 1), Float64Array.of(0, 0)];
    expect(bestLinearWeight(p, s, [1, 1])).toEqual({ weight: 0.25, accuracy: 1 });
    expect(bestLinearWeight(p, s, [0, 1])).toEqual({ weight: 0, accuracy: 1 });
    expectError(() => bestLinearWeight(p, s, [1]), RangeError, 'E_RANGE');
  });
});

describe('mean pooling', () => {
  const vocab = new Vocabulary(['好', '差', '很', '太'], { level: 'token', unk: '<unk>' });

  it('scores are the mean of the steps, padding changes nothing, the file keeps it', () => {
    const clf = TextClassifier.create(vocab, { hidden: 6, embed: 4, bidirectional: true, pooling: 'mean', seed: 2, tokens: 'characters' });
    try {
      expect(clf.pooling).toBe('mean');
      const short = ['很', '好'];
      const alone = clf.predictProba([short])[0];
      const together = clf.predictProba([short, ['太', '差', '差', '很', '好']])[0];
      for (let c = 0; c < 2; c++) expect(Math.abs(alone[c] - together[c])).toBeLessThan(1e-6);
      // by hand: the mean of the per-step outputs of the model
      const y = clf.session.model.forward({ ids: clf.encode(short), batch: 1, steps: 2 });
      const m = [(y[0] + y[2]) / 2, (y[1] + y[3]) / 2];
      expect(alone[1]).toBeCloseTo(Math.exp(m[1]) / (Math.exp(m[0]) + Math.exp(m[1])), 5);
      const again = TextClassifier.load(clf.save());
      try {
        expect(again.pooling).toBe('mean');
        expect(Array.from(again.predictProba([short])[0])).toEqual(Array.from(alone));
      } finally {
        again.dispose();
      }
      // a sequence model without the pooling metadata is not a classifier file
      const meta = decodeSafetensors(clf.save()).metadata;
      expect(meta.pooling).toBe('mean');
      expectError(() => TextClassifier.load(withMetadata(clf.save(), { pooling: 'last' })), TypeError, 'E_FORMAT', /returnSequences/);
    } finally {
      clf.dispose();
    }
    expectError(() => TextClassifier.create(vocab, { pooling: 'max' as never }), TypeError, 'E_OPTION', /pooling "max"/);
  });

  it('trains with every step toward the text class and learns a toy set', async () => {
    const docs = [
      ['很', '好'],
      ['好', '好'],
      ['太', '差'],
      ['差', '差'],
    ];
    const clf = await trainClassifier(docs, [1, 1, 0, 0], {
      vocab,
      pooling: 'mean',
      hidden: 8,
      embed: 8,
      epochs: 40,
      batchSize: 4,
      seed: 1,
      tokens: 'characters',
    });
    try {
      expect(clf.predict(docs)).toEqual([1, 1, 0, 0]);
    } finally {
      clf.dispose();
    }
  });

  it('the n-gram companion is saved with the model and used on raw texts', () => {
    const clf = TextClassifier.create(vocab, { hidden: 4, embed: 4, pooling: 'mean', seed: 5, tokens: 'characters', classNames: ['neg', 'pos'] });
    const texts = ['很好', '好', '太差', '差'];
    const model = NbLogisticRegression.fit(
      texts.map((t) => charNgrams(t, 2)),
      [1, 1, 0, 0],
      { minCount: 1, epochs: 30 },
    );
    try {
      expect(clf.linear).toBeUndefined();
      const alone = clf.predictTextsProba(texts);
      clf.setLinear({ model, n: 2, weight: 3 });
      const both = clf.predictTextsProba(texts);
      texts.forEach((t, i) => {
        const want = combineScores(alone[i], model.scores(charNgrams(t, 2)), 3);
        for (let c = 0; c < 2; c++) expect(both[i][c]).toBeCloseTo(want[c], 6);
      });
      expect(clf.predictTexts(texts)).toEqual([1, 1, 0, 0]);
      const again = TextClassifier.load(clf.save());
      try {
        expect(again.linear?.n).toBe(2);
        expect(again.linear?.weight).toBe(3);
        const back = again.predictTextsProba(texts);
        for (let i = 0; i < texts.length; i++) for (let c = 0; c < 2; c++) expect(back[i][c]).toBeCloseTo(both[i][c], 4);
      } finally {
        again.dispose();
      }
      expectError(() => TextClassifier.load(withMetadata(clf.save(), { linear: '{"n":2}' })), TypeError, 'E_FORMAT', /metadata linear/);
      const three = NbLogisticRegression.fit([['a'], ['b'], ['c']], [0, 1, 2], { minCount: 1 });
      expectError(() => clf.setLinear({ model: three, n: 1, weight: 1 }), RangeError, 'E_RANGE', /3 classes/);
    } finally {
      clf.dispose();
    }
  });

  it("an ensemble averages the networks' log-probabilities and is saved with the model", () => {
    const a = TextClassifier.create(vocab, { hidden: 4, embed: 4, pooling: 'mean', seed: 1, tokens: 'characters' });
    const b = TextClassifier.create(vocab, { hidden: 4, embed: 4, pooling: 'mean', seed: 2, tokens: 'characters' });
    const other = TextClassifier.create(vocab, { hidden: 5, embed: 4, pooling: 'mean', seed: 2, tokens: 'characters' });
    try {
      const docs = [
        ['很', '好'],
        ['太', '差', '了'],
      ];
      const pa = a.predictProba(docs);
      const pb = b.predictProba(docs);
      a.addMember(b);
      expect(a.networks).toBe(2);
      const both = a.predictProba(docs);
      docs.forEach((_, i) => {
        const z = [0, 1].map((c) => Math.sqrt(pa[i][c] * pb[i][c]));
        expect(both[i][1]).toBeCloseTo(z[1] / (z[0] + z[1]), 5);
      });
      const again = TextClassifier.load(a.save());
      try {
        expect(again.networks).toBe(2);
        const back = again.predictProba(docs);
        for (let i = 0; i < docs.length; i++) for (let c = 0; c < 2; c++) expect(back[i][c]).toBeCloseTo(both[i][c], 6);
      } finally {
        again.dispose();
      }
      expectError(() => a.addMember(other), RangeError, 'E_RANGE', /same architecture/);
      expectError(() => TextClassifier.load(withMetadata(a.save(), { members: '["AAAA"]' })), TypeError, 'E_FORMAT', /metadata members/);
    } finally {
      a.dispose();
      b.dispose();
      other.dispose();
    }
  });
});

describe('character and bigram slots', () => {
  const vocab = new Vocabulary(['好', '差', '很', '太', '很好', '太差', '好好'], { level: 'token', unk: '<unk>' });

  it('each step reads its character and its bigram; trains, saves and loads with 2 slots', async () => {
    expect(charBigramSlots(Array.from('很好吗'))).toEqual(['很', '很好', '好', '好吗', '吗', '<unk>']);
    const docs = ['很好', '好好', '太差', '差差'].map((t) => charBigramSlots(Array.from(t)));
    const clf = await trainClassifier(docs, [1, 1, 0, 0], {
      vocab,
      pooling: 'mean',
      hidden: 8,
      embed: 4,
      epochs: 40,
      batchSize: 4,
      seed: 1,
      tokens: 'characters',
      slots: 2,
      maxTokens: 3,
    });
    try {
      expect(clf.slots).toBe(2);
      expect(clf.predict(docs)).toEqual([1, 1, 0, 0]);
      // a raw text becomes [character, bigram] per step, the bigram unk where the vocabulary has none
      expect(clf.tokenize('很好差')).toEqual(['很', '很好', '好', '好差', '差', '<unk>']);
      // maxTokens counts steps: 3 steps are 6 ids
      expect(clf.encode(clf.tokenize('很好很好很')).length).toBe(6);
      // padding changes nothing: a text alone and beside a longer one
      const alone = clf.predictProba([docs[0]])[0];
      const padded = clf.predictProba([docs[0], clf.tokenize('太差太差')])[0];
      for (let c = 0; c < 2; c++) expect(padded[c]).toBeCloseTo(alone[c], 5);
      const again = TextClassifier.load(clf.save(), { maxTokens: 3 });
      try {
        expect(again.slots).toBe(2);
        const back = again.predictProba(docs);
        const want = clf.predictProba(docs);
        for (let i = 0; i < docs.length; i++) for (let c = 0; c < 2; c++) expect(back[i][c]).toBeCloseTo(want[i][c], 6);
      } finally {
        again.dispose();
      }
      expectError(() => clf.predictProba([['很', '很好', '好']]), RangeError, 'E_RANGE', /not a multiple of slots = 2/);
    } finally {
      clf.dispose();
    }
    expectError(() => TextClassifier.create(vocab, { slots: 2 }), TypeError, 'E_OPTION', /needs tokens 'characters'/);
    expectError(() => TextClassifier.create(vocab, { slots: 3 as 2, tokens: 'characters' }), TypeError, 'E_OPTION', /slots 3 is not 1 or 2/);
  });
});
