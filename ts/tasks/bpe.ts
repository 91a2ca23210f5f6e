// Byte-pair encoding (Sennrich et al. 2016) learned from text, reversible to the exact input:
//
//   const bpe = Bpe.learn(trainingLines, { size: 4000 });
//   const ids = bpe.encode('¿Qué es?');  // piece ids
//   bpe.decode(ids) === '¿Qué es?';      // always, for any string
//
// Pre-tokenisation splits a line into chunks of optional white space followed by non-space
// characters (" hello", ",", "\n  world"); merges never cross a chunk, so a piece is a word
// part with its leading space. The decoded text is the concatenation of the pieces, so it
// is the input exactly. A character never seen in training is written as its UTF-8 bytes
// (pieces <0x00>…<0xFF>; WTF-8 for a lone surrogate), so every string round-trips.
//
// Vocabulary: [specials…, 256 byte pieces, the training characters (sorted), the merges in
// the order learned]. `size` counts all of them.
import { checkKeys, formatError, rangeError } from '../errors.js';

/** Options of {@link Bpe.learn}. */
export interface BpeLearnOptions {
  /**
   * Pieces in the vocabulary (specials, bytes, characters and merges).
   * @default 4000
   */
  size?: number;
  /**
   * Symbols placed first (ids 0, 1, …), never produced by `encode` (e.g. BOS, EOS).
   * @default []
   */
  specials?: string[];
  /**
   * Characters seen fewer times than this are left to the byte fallback.
   * @default 2
   */
  minCharCount?: number;
}

/** What {@link Bpe.toJSON} writes (and `fromJSON` reads). */
export interface BpeJSON {
  /** The format tag, `'bpe/1'`. */
  format: 'bpe/1';
  /** The special pieces (ids 0…), e.g. padding, BOS and EOS. */
  specials: string[];
  /** The single characters the merges start from. */
  chars: string[];
  /** Each merge as the two pieces joined, in rank order. */
  merges: [string, string][];
}

const CHUNK = /\s*\S+|\s+/gu;
const BYTE_NAMES = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);

/** The UTF-8 bytes of one code point (lone surrogates as WTF-8, three bytes). */
function utf8(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** Code points from (WTF-8) bytes; an incomplete or invalid sequence decodes as U+FFFD per byte. */
function fromUtf8(bytes: readonly number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    if (n === 0 || i + n > bytes.length || bytes.slice(i + 1, i + n).some((c) => (c & 0xc0) !== 0x80)) {
      s += '\uFFFD';
      i++;
      continue;
    }
    let cp = n === 1 ? b : b & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k] & 63);
    s += String.fromCodePoint(cp);
    i += n;
  }
  return s;
}

/** A learned byte-pair encoding: piece vocabulary and ranked merges. */
export class Bpe {
  /** Every piece, by id. */
  readonly pieces: string[];
  /** The special pieces, which come first among the ids. */
  readonly specials: string[];
  readonly #ids = new Map<string, number>();
  readonly #rank = new Map<string, number>();
  readonly #merges: [string, string][];
  readonly #chars: string[];
  readonly #charSet: Set<string>;
  readonly #cache = new Map<string, number[]>();
  readonly #byte0: number;

  /** A BPE vocabulary from its JSON (E_FORMAT when it is not `bpe/1`). */
  constructor(json: BpeJSON) {
    if (json?.format !== 'bpe/1' || !Array.isArray(json.chars) || !Array.isArray(json.merges) || !Array.isArray(json.specials))
      throw formatError('not a BPE vocabulary (format bpe/1)');
    this.specials = [...json.specials];
    this.#chars = [...json.chars];
    this.#charSet = new Set(this.#chars);
    this.#merges = json.merges.map((m) => [m[0], m[1]]);
    this.#byte0 = this.specials.length;
    this.pieces = [...this.specials, ...BYTE_NAMES, ...this.#chars, ...this.#merges.map(([a, b]) => a + b)];
    this.pieces.forEach((p, i) => {
      if (i >= this.#byte0 && !this.#ids.has(p)) this.#ids.set(p, i);
    });
    this.#merges.forEach(([a, b], r) => {
      if (!this.#ids.has(a) || !this.#ids.has(b)) throw formatError(`BPE merge ${r} joins pieces that are not in the vocabulary`);
      this.#rank.set(`${a}\u0000${b}`, r);
    });
  }

  /** Pieces in the vocabulary. */
  get size(): number {
    return this.pieces.length;
  }

  /** Learns merges from lines of text until the vocabulary holds `size` pieces (or no pair
   * occurs twice). Ties between equally frequent pairs go to the pair seen first. */
  static learn(lines: Iterable<string>, opts: BpeLearnOptions = {}): Bpe {
    checkKeys('Bpe.learn', opts, ['size', 'specials', 'minCharCount']);
    const size = opts.size ?? 4000;
    const specials = opts.specials ?? [];
    const minChar = opts.minCharCount ?? 2;
    if (!Number.isInteger(size) || size < specials.length + 256 + 1)
      throw rangeError(`Bpe.learn: size must be a whole number ≥ ${specials.length + 257} (specials, 256 bytes and a character; got ${size})`);
    // chunk frequencies, then character frequencies
    const chunkFreq = new Map<string, number>();
    for (const line of lines) for (const m of line.matchAll(CHUNK)) chunkFreq.set(m[0], (chunkFreq.get(m[0]) ?? 0) + 1);
    const charFreq = new Map<string, number>();
    for (const [c, f] of chunkFreq) for (const ch of c) charFreq.set(ch, (charFreq.get(ch) ?? 0) + f);
    const chars = [...charFreq].filter(([, f]) => f >= minChar).map(([c]) => c);
    chars.sort();
    const room = size - specials.length - 256 - chars.length;
    if (room < 0) chars.length += room; // keep the vocabulary within size (rare characters fall back to bytes)
    // words as symbol ids (characters only; chunks with unknown characters split around them)
    const symId = new Map<string, number>(chars.map((c, i) => [c, i]));
    const sym: string[] = [...chars];
    const words: number[][] = [];
    const freq: number[] = [];
    for (const [c, f] of chunkFreq) {
      let cur: number[] = [];
      const keep = () => {
        if (cur.length > 1) {
          words.push(cur);
          freq.push(f);
        }
        cur = [];
      };
      for (const ch of c) {
        const id = symId.get(ch);
        if (id === undefined) keep();
        else cur.push(id);
      }
      keep();
    }
    // pair counts with the words each pair occurs in; a max-heap with lazy deletion
    const S = 1 << 21;
    const key = (a: number, b: number) => a * S + b;
    const count = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    const firstSeen = new Map<number, number>();
    let order = 0;
    const add = (a: number, b: number, w: number, f: number) => {
      const k = key(a, b);
      count.set(k, (count.get(k) ?? 0) + f);
      const s = where.get(k) ?? new Set<number>();
      where.set(k, s);
      s.add(w);
      if (!firstSeen.has(k)) firstSeen.set(k, order++);
    };
    words.forEach((w, i) => {
      for (let j = 0; j + 1 < w.length; j++) add(w[j], w[j + 1], i, freq[i]);
    });
    const heap: [number, number, number][] = []; // [count, -firstSeen, key]
    const better = (x: [number, number, number], y: [number, number, number]) => x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
    const push = (e: [number, number, number]) => {
      heap.push(e);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!better(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    };
    const pop = (): [number, number, number] | undefined => {
      const top = heap[0];
      const last = heap.pop();
      if (heap.length > 0 && last) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && better(heap[l], heap[m])) m = l;
          if (r < heap.length && better(heap[r], heap[m])) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m], heap[i]];
          i = m;
        }
      }
      return top;
    };
    for (const [k, c] of count) push([c, -firstSeen.get(k)!, k]);
    const merges: [string, string][] = [];
    const target = Math.max(0, size - specials.length - 256 - chars.length);
    while (merges.length < target) {
      const top = pop();
      if (!top) break;
      const [c, , k] = top;
      if (count.get(k) !== c) continue; // stale entry
      if (c < 2) break;
      const a = Math.floor(k / S);
      const b = k % S;
      const n = sym.length;
      sym.push(sym[a] + sym[b]);
      merges.push([sym[a], sym[b]]);
      const touched = new Set<number>();
      for (const wi of where.get(k) ?? []) {
        const w = words[wi];
        const f = freq[wi];
        // remove this word's pairs, merge, add them back
        for (let j = 0; j + 1 < w.length; j++) {
          const kk = key(w[j], w[j + 1]);
          count.set(kk, count.get(kk)! - f);
          touched.add(kk);
        }
        const out: number[] = [];
        for (let j = 0; j < w.length; j++) {
          if (j + 1 < w.length && w[j] === a && w[j + 1] === b) {
            out.push(n);
            j++;
          } else out.push(w[j]);
        }
        words[wi] = out;
        for (let j = 0; j + 1 < out.length; j++) {
          add(out[j], out[j + 1], wi, f);
          touched.add(key(out[j], out[j + 1]));
        }
      }
      where.delete(k);
      count.delete(k);
      touched.delete(k);
      for (const kk of touched) {
        const cc = count.get(kk) ?? 0;
        if (cc > 0) push([cc, -firstSeen.get(kk)!, kk]);
      }
    }
    return new Bpe({ format: 'bpe/1', specials, chars, merges });
  }

  /** Piece ids of one chunk (white space + word), merges applied by rank; cached. */
  #encodeChunk(chunk: string): number[] {
    const hit = this.#cache.get(chunk);
    if (hit) return hit;
    const parts: string[] = [];
    const out: number[] = [];
    const flush = () => {
      // apply merges to the known-character run in `parts`
      while (parts.length > 1) {
        let best = -1;
        let at = -1;
        for (let i = 0; i + 1 < parts.length; i++) {
          const r = this.#rank.get(`${parts[i]}\u0000${parts[i + 1]}`);
          if (r !== undefined && (best < 0 || r < best)) {
            best = r;
            at = i;
          }
        }
        if (at < 0) break;
        parts.splice(at, 2, parts[at] + parts[at + 1]);
      }
      for (const p of parts) out.push(this.#ids.get(p)!);
      parts.length = 0;
    };
    for (const ch of chunk) {
      if (this.#charSet.has(ch)) parts.push(ch);
      else {
        flush();
        for (const b of utf8(ch.codePointAt(0)!)) out.push(this.#byte0 + b);
      }
    }
    flush();
    if (this.#cache.size < 100_000) this.#cache.set(chunk, out);
    return out;
  }

  /** Piece ids of a string (any string: unseen characters become byte pieces). */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw rangeError('Bpe.encode takes a string');
    const out: number[] = [];
    for (const m of text.matchAll(CHUNK)) for (const id of this.#encodeChunk(m[0])) out.push(id);
    return out;
  }

  /** The pieces of a string, as text (for display). */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.pieces[id]);
  }

  /** The text of piece ids: pieces concatenated, byte pieces decoded as UTF-8; special ids
   * are skipped; an id outside the vocabulary is E_RANGE. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    let bytes: number[] = [];
    const b0 = this.#byte0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.pieces.length)
        throw rangeError(`Bpe.decode: id ${id} is not in the vocabulary (0…${this.pieces.length - 1})`);
      if (id >= b0 && id < b0 + 256) {
        bytes.push(id - b0);
        continue;
      }
      if (bytes.length) {
        s += fromUtf8(bytes);
        bytes = [];
      }
      if (id >= b0) s += this.pieces[id];
    }
    if (bytes.length) s += fromUtf8(bytes);
    return s;
  }

  /** The vocabulary as JSON (what a model file stores). */
  toJSON(): BpeJSON {
    return { format: 'bpe/1', specials: [...this.specials], chars: [...this.#chars], merges: this.#merges.map((m) => [m[0], m[1]]) };
  }

  /** A BPE from {@link toJSON}'s output; E_FORMAT if it is not one. */
  static fromJSON(json: BpeJSON): Bpe {
    return new Bpe(json);
  }
}
