// Issue 19: byte-pair encoding (learned merges, exact round trip on arbitrary Unicode, the byte
// fallback, save/load) and IBM Model 1 on a toy corpus whose word translations are known.
import { describe, expect, it } from 'vitest';
import { Bpe } from '../ts/tasks/bpe.js';
import { Ibm1 } from '../ts/tasks/ibm1.js';
import { expectError } from './helpers.js';

const lines = ['the cat sat on the mat', 'the dog sat on the log', 'a cat and a dog', 'the the the cat'];

describe('BPE', () => {
  it('learns the most frequent pair first and grows to the requested size', () => {
    const b = Bpe.learn(lines, { size: 256 + 20 + 5, specials: ['<s>', '</s>'], minCharCount: 1 });
    // pieces: 2 specials + 256 bytes + characters + merges
    expect(b.pieces.slice(0, 2)).toEqual(['<s>', '</s>']);
    expect(b.size).toBeLessThanOrEqual(283);
    const json = b.toJSON();
    expect(json.merges[0]).toEqual(['t', 'h']); // "th" occurs 9 times, more than any other pair
    expect(b.tokenize(' the cat')).toContain(' the');
  });
  it('round-trips arbitrary Unicode exactly (unseen characters as bytes)', () => {
    const b = Bpe.learn(['Y dijo Dios: Sea la luz.', '¿Qué es la verdad?', 'El niño comió.'], { size: 300, minCharCount: 1 });
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pools = [0x20, 0x41, 0xe0, 0x400, 0x4e00, 0x1f600, 0xd800, 0x10000, 0x9, 0xa];
    for (let k = 0; k < 200; k++) {
      let s = '';
      const n = Math.floor(rnd() * 30);
      for (let i = 0; i < n; i++) {
        const base = pools[Math.floor(rnd() * pools.length)];
        s += String.fromCodePoint(base + Math.floor(rnd() * (base >= 0xd800 && base < 0xe000 ? 0x800 : 64)));
      }
      expect(b.decode(b.encode(s))).toBe(s);
    }
    for (const s of ['', '   ', 'a\u0000b', '\uDC00x\uD83D', 'Dios 😀 是 \r\n\t  end  ', 'Sea la luz.']) expect(b.decode(b.encode(s))).toBe(s);
    expect(b.tokenize('😀').every((p) => /^<0x[0-9A-F]{2}>$/.test(p))).toBe(true);
  });
  it('saves and loads (same pieces, same encoding)', () => {
    const b = Bpe.learn(lines, { size: 290, minCharCount: 1 });
    const c = Bpe.fromJSON(JSON.parse(JSON.stringify(b.toJSON())));
    expect(c.pieces).toEqual(b.pieces);
    expect(c.encode('the cat and the log')).toEqual(b.encode('the cat and the log'));
  });
  it('bad input', () => {
    expectError(() => Bpe.learn(lines, { size: 10 }), RangeError, 'E_RANGE', /size must be/);
    expectError(() => Bpe.fromJSON({ format: 'x' } as never), TypeError, 'E_FORMAT', /not a BPE/);
    const b = Bpe.learn(lines, { size: 270 });
    expectError(() => b.decode([b.size]), RangeError, 'E_RANGE', /not in the vocabulary/);
  });
});

describe('IBM Model 1', () => {
  it('finds the word translations of a toy corpus', () => {
    // the classic example: das Haus / the house, das Buch / the book, ein Buch / a book
    const m = Ibm1.train(
      [
        ['das Haus', 'the house'],
        ['das Buch', 'the book'],
        ['ein Buch', 'a book'],
        ['ein Haus', 'a house'],
      ],
      { iterations: 20 },
    );
    expect(Object.fromEntries(m.best)).toEqual({ das: 'the', Haus: 'house', Buch: 'book', ein: 'a' });
    expect(m.translate('das Buch Katze')).toBe('the book Katze'); // an unseen word is copied
  });
  it('bad input', () => {
    expectError(() => Ibm1.train([]), RangeError, 'E_RANGE', /no sentence pairs/);
    expectError(() => Ibm1.train([['a', 'b']], { iterations: 0 }), RangeError, 'E_RANGE', /iterations/);
  });
});
