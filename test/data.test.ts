// Data helpers: vocabulary, windows, padding, batching with masks, seeded splits.
import { beforeAll, describe, expect, it } from 'vitest';
import { epochOrder, makeBatch } from '../ts/data/source.js';
import { batchesPerEpoch, examples, init, padBatch, splitBySeed, textWindows, Vocabulary } from '../ts/index.js';
import { expectError } from './helpers.js';

beforeAll(() => init());

describe('Vocabulary', () => {
  it('encodes and decodes characters, and round-trips through JSON', () => {
    const v = Vocabulary.fromText('hello, whale—');
    expect(v.size).toBe(new Set('hello, whale—').size);
    const ids = v.encode('whale');
    expect(v.decode(ids)).toBe('whale');
    const w = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    expect(w.symbols).toEqual(v.symbols);
    expect(w.encode('hello')).toEqual(v.encode('hello'));
  });

  it('unknown symbols: an error naming the symbol, or the unk id', () => {
    const v = Vocabulary.fromText('abc');
    expectError(() => v.encode('abz'), RangeError, 'E_RANGE', /"z"/);
    const u = Vocabulary.fromText('abc', { unk: '?' });
    expect(u.decode(u.encode('abz'))).toBe('ab?');
    expectError(() => v.decode([0, 9]), RangeError, 'E_RANGE', /id 9/);
    expectError(() => Vocabulary.fromJSON({ format: 'nope' }), TypeError, 'E_FORMAT');
    expectError(() => new Vocabulary(['a', 'a']), TypeError, 'E_FORMAT', /twice/);
  });

  it('token level splits on whitespace', () => {
    const v = Vocabulary.fromTokens(['the', 'white', 'whale']);
    expect(v.decode(v.encode('the whale'))).toBe('the whale');
  });
});

describe('batching', () => {
  it('text windows: targets are the inputs shifted by one; random offsets are seeded', () => {
    const ids = Uint32Array.from({ length: 100 }, (_, i) => i);
    const d = textWindows(ids, { steps: 10, windowsPerEpoch: 8 });
    const shape = { seqOutput: true, outDim: 100 };
    const o1 = epochOrder(d, 0, true, 5);
    expect(o1).toEqual(epochOrder(d, 0, true, 5));
    expect(o1).not.toEqual(epochOrder(d, 1, true, 5));
    const b = makeBatch(d, o1, 0, 4, shape);
    expect(b.input.batch).toBe(4);
    for (let k = 0; k < 4 * 10; k++) expect(b.targets.classes![k]).toBe((b.input.ids as Uint32Array)[k] + 1);
    const tiles = textWindows(ids, { steps: 10, random: false });
    expect(Array.from(epochOrder(tiles, 0, false, 0))).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(batchesPerEpoch(tiles, 4)).toBe(3);
    expectError(() => textWindows([1, 2], { steps: 5 }), RangeError, 'E_RANGE', /steps \+ 1/);
  });

  it('examples: padded per batch with lengths, per-step targets padded with -100', () => {
    const d = examples([
      { ids: [1, 2, 3], targets: [0, 1, 0] },
      { ids: [4], targets: [1] },
    ]);
    const b = makeBatch(d, Uint32Array.from([0, 1]), 0, 2, { seqOutput: true, outDim: 2 });
    expect(b.input.steps).toBe(3);
    expect(Array.from(b.input.lengths!)).toEqual([3, 1]);
    expect(Array.from(b.input.ids as Uint32Array)).toEqual([1, 2, 3, 4, 0, 0]);
    expect(Array.from(b.targets.classes!)).toEqual([0, 1, 0, 1, -100, -100]);
    expect(b.tokens).toBe(4);
  });

  it("examples byLength: each epoch's batches hold rows of similar length, every row once, the short batch last", () => {
    // 1,000 rows of lengths 1..50 in a scrambled order; batches of 7 (1,000 = 142 × 7 + 6)
    const list = Array.from({ length: 1000 }, (_, i) => ({ ids: Array(1 + ((i * 37) % 50)).fill(1), targets: Array(1 + ((i * 37) % 50)).fill(0) }));
    const len = (r: number) => list[r].ids.length;
    const order = epochOrder(examples(list, { byLength: true }), 2, true, 9, 7);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(examples(list, { byLength: true }), 2, true, 9, 7)).toEqual(order);
    expect(epochOrder(examples(list, { byLength: true }), 3, true, 9, 7)).not.toEqual(order);
    let spread = 0;
    let plainSpread = 0;
    const plain = epochOrder(examples(list), 2, true, 9, 7);
    for (let b = 0; b < 142; b++) {
      const ls = [...order.subarray(7 * b, 7 * b + 7)].map(len);
      // sorted inside a window of 32 batches: a batch is a run of ascending lengths
      expect(ls).toEqual([...ls].sort((x, y) => x - y));
      spread += ls[6] - ls[0];
      const ps = [...plain.subarray(7 * b, 7 * b + 7)].map(len);
      plainSpread += Math.max(...ps) - Math.min(...ps);
    }
    // rows of a batch differ by little (224 rows over 50 lengths a window) against a shuffle's
    expect(spread / 142).toBeLessThan(3);
    expect(plainSpread / 142).toBeGreaterThan(25);
    // the short batch (6 rows) is the last; without batchSize or shuffle, the plain order
    const last = [...order.subarray(994)].map(len);
    expect(last).toEqual([...last].sort((x, y) => x - y));
    expect(Array.from(epochOrder(examples(list, { byLength: true }), 0, false, 0, 7))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('examples: one target per sequence, and regression values', () => {
    const d = examples(
      [
        { features: [1, 2, 3, 4], target: 1 },
        { features: [5, 6], target: 0 },
      ],
      { featureDim: 2 },
    );
    const b = makeBatch(d, Uint32Array.from([0, 1]), 0, 2, { seqOutput: false, outDim: 2 });
    expect(Array.from(b.input.lengths!)).toEqual([2, 1]);
    expect(Array.from(b.targets.classes!)).toEqual([1, 0]);
    const r = examples([{ features: [1, 2], values: [0.5, 0.25] }], { featureDim: 1 });
    const rb = makeBatch(r, Uint32Array.from([0]), 0, 1, { seqOutput: true, outDim: 1 });
    expect(Array.from(rb.targets.values!)).toEqual([0.5, 0.25]);
    expectError(() => makeBatch(r, Uint32Array.from([0]), 0, 1, { seqOutput: false, outDim: 1 }), RangeError, 'E_SHAPE', /values/);
  });

  it('padBatch and splitBySeed', () => {
    const p = padBatch([[1, 2], [3, 4, 5], []]);
    expect(p.steps).toBe(3);
    expect(Array.from(p.lengths)).toEqual([2, 3, 0]);
    expect(Array.from(p.ids)).toEqual([1, 2, 0, 3, 4, 5, 0, 0, 0]);
    const items = Array.from({ length: 20 }, (_, i) => i);
    const s1 = splitBySeed(items, { validation: 0.25, seed: 3 });
    expect(s1.validation).toHaveLength(5);
    expect([...s1.train, ...s1.validation].sort((a, b) => a - b)).toEqual(items);
    expect(splitBySeed(items, { validation: 0.25, seed: 3 })).toEqual(s1);
    expect(splitBySeed(items, { validation: 0.25, seed: 4 }).validation).not.toEqual(s1.validation);
    expectError(() => splitBySeed(items, { validation: 30 }), RangeError, 'E_RANGE');
  });
});
