// Vocabulary: symbols (characters or tokens) ↔ ids, with save/load as JSON.
import { formatError, optionError, rangeError } from '../errors.js';

export interface VocabularyJSON {
  format: 'recurrent-vocab/1';
  /** 'char': symbols are single characters (code points); 'token': arbitrary strings. */
  level: 'char' | 'token';
  symbols: string[];
  /** Symbol used for anything unknown, if any. */
  unk?: string;
}

export class Vocabulary {
  readonly level: 'char' | 'token';
  readonly symbols: readonly string[];
  readonly unk: string | undefined;
  readonly #index = new Map<string, number>();

  constructor(symbols: readonly string[], opts: { level?: 'char' | 'token'; unk?: string } = {}) {
    this.level = opts.level ?? 'char';
    if (this.level !== 'char' && this.level !== 'token') throw optionError(`vocabulary level '${String(this.level)}' is not one of char, token`);
    const syms = [...symbols];
    if (opts.unk !== undefined && !syms.includes(opts.unk)) syms.push(opts.unk);
    syms.forEach((s, i) => {
      if (typeof s !== 'string') throw formatError(`vocabulary symbol ${i} is not a string`);
      if (this.#index.has(s)) throw formatError(`vocabulary symbol ${JSON.stringify(s)} appears twice`);
      this.#index.set(s, i);
    });
    if (syms.length === 0) throw rangeError('a vocabulary needs at least one symbol');
    this.symbols = Object.freeze(syms);
    this.unk = opts.unk;
  }

  /** The distinct characters of `text` (code points), sorted. */
  static fromText(text: string, opts: { unk?: string } = {}): Vocabulary {
    return new Vocabulary([...new Set(Array.from(text))].sort(), { level: 'char', ...opts });
  }

  /** The distinct tokens, in first-seen order (or sorted when `sort`). */
  static fromTokens(tokens: Iterable<string>, opts: { unk?: string; sort?: boolean } = {}): Vocabulary {
    const set = [...new Set(tokens)];
    if (opts.sort) set.sort();
    return new Vocabulary(set, { level: 'token', unk: opts.unk });
  }

  get size(): number {
    return this.symbols.length;
  }

  has(symbol: string): boolean {
    return this.#index.has(symbol);
  }

  id(symbol: string): number {
    const i = this.#index.get(symbol);
    if (i !== undefined) return i;
    if (this.unk !== undefined) return this.#index.get(this.unk)!;
    throw rangeError(`symbol ${JSON.stringify(symbol)} is not in the vocabulary (and it has no unk symbol)`);
  }

  /** Text (char level) or a token list → ids. */
  encode(input: string | readonly string[]): Uint32Array {
    const parts = typeof input === 'string' ? (this.level === 'char' ? Array.from(input) : input.split(/\s+/).filter(Boolean)) : input;
    const out = new Uint32Array(parts.length);
    for (let i = 0; i < parts.length; i++) out[i] = this.id(parts[i]);
    return out;
  }

  /** ids → text (characters joined; tokens joined by `sep`, default a space). */
  decode(ids: ArrayLike<number>, sep = this.level === 'char' ? '' : ' '): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const s = this.symbols[ids[i]];
      if (s === undefined) throw rangeError(`id ${ids[i]} is out of range for a vocabulary of ${this.size}`);
      out.push(s);
    }
    return out.join(sep);
  }

  toJSON(): VocabularyJSON {
    const j: VocabularyJSON = { format: 'recurrent-vocab/1', level: this.level, symbols: [...this.symbols] };
    if (this.unk !== undefined) j.unk = this.unk;
    return j;
  }

  static fromJSON(j: unknown): Vocabulary {
    const v = j as VocabularyJSON;
    if (!v || typeof v !== 'object' || v.format !== 'recurrent-vocab/1') throw formatError('not a recurrent vocabulary (format recurrent-vocab/1)');
    if (!Array.isArray(v.symbols)) throw formatError('vocabulary has no symbols array');
    return new Vocabulary(v.symbols, { level: v.level, unk: v.unk });
  }
}
