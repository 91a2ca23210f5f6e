// Vocabulary: symbols (characters or tokens) ↔ ids, with save/load as JSON.
import { formatError, optionError, rangeError } from '../errors.js';

/**
 * A vocabulary as JSON (format `recurrent-vocab/1`): what `Vocabulary.toJSON` gives and a
 * saved model stores.
 */
export interface VocabularyJSON {
  /** Always `'recurrent-vocab/1'`. */
  format: 'recurrent-vocab/1';
  /** 'char': symbols are single characters (code points); 'token': arbitrary strings. */
  level: 'char' | 'token';
  /** The symbols; a symbol's index is its id. */
  symbols: string[];
  /** Symbol used for anything unknown, if any. */
  unk?: string;
}

/**
 * Symbols (characters or tokens) ↔ ids, with save/load as JSON. Ids are the symbols' indices
 * (0 … size − 1). A symbol that is not in the vocabulary maps to the `unk` symbol when there is
 * one, else it is an E_RANGE error.
 * @example
 * ```ts
 * import { Vocabulary } from 'recurrent-nn';
 * const vocab = Vocabulary.fromText('call me ishmael');      // the distinct characters, sorted
 * const ids = vocab.encode('me');                            // Uint32Array [7, 3]
 * console.log(vocab.size, vocab.decode(ids));                // 9 'me'
 * const same = Vocabulary.fromJSON(JSON.parse(JSON.stringify(vocab)));
 * const words = Vocabulary.fromTokens('the cat sat'.split(' '), { unk: '<unk>' });
 * console.log(words.encode('the dog'));                      // Uint32Array [0, 3]: "dog" → <unk>
 * ```
 */
export class Vocabulary {
  /**
   * `'char'`: symbols are single characters (code points) and `encode('text')` splits into
   * characters; `'token'`: symbols are arbitrary strings and `encode('a b')` splits on whitespace.
   */
  readonly level: 'char' | 'token';
  /** The symbols, frozen; a symbol's index is its id. */
  readonly symbols: readonly string[];
  /** The symbol anything unknown maps to, if any. */
  readonly unk: string | undefined;
  readonly #index = new Map<string, number>();

  /**
   * A vocabulary of these symbols, in this order (ids 0 … n − 1). `opts.unk` is appended when it
   * is not among them. A duplicate or non-string symbol is E_FORMAT, an empty list E_RANGE.
   * @param opts.level default 'char'
   */
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

  /** The distinct characters of `text` (code points), sorted: a `'char'` vocabulary. */
  static fromText(text: string, opts: { unk?: string } = {}): Vocabulary {
    return new Vocabulary([...new Set(Array.from(text))].sort(), { level: 'char', ...opts });
  }

  /** The distinct tokens, in first-seen order (or sorted when `sort`): a `'token'` vocabulary. */
  static fromTokens(tokens: Iterable<string>, opts: { unk?: string; sort?: boolean } = {}): Vocabulary {
    const set = [...new Set(tokens)];
    if (opts.sort) set.sort();
    return new Vocabulary(set, { level: 'token', unk: opts.unk });
  }

  /** The number of symbols (the model's `input.vocab` and, for a language model, its output units). */
  get size(): number {
    return this.symbols.length;
  }

  /** Whether `symbol` is in the vocabulary (the unk fallback does not count). */
  has(symbol: string): boolean {
    return this.#index.has(symbol);
  }

  /** The id of `symbol`, or of `unk` when it is unknown; E_RANGE when unknown and there is no unk. */
  id(symbol: string): number {
    const i = this.#index.get(symbol);
    if (i !== undefined) return i;
    if (this.unk !== undefined) return this.#index.get(this.unk)!;
    throw rangeError(`symbol ${JSON.stringify(symbol)} is not in the vocabulary (and it has no unk symbol)`);
  }

  /**
   * Text (split into characters at char level, on whitespace at token level) or a token list →
   * ids. Unknown symbols map to `unk`, else E_RANGE.
   */
  encode(input: string | readonly string[]): Uint32Array {
    const parts = typeof input === 'string' ? (this.level === 'char' ? Array.from(input) : input.split(/\s+/).filter(Boolean)) : input;
    const out = new Uint32Array(parts.length);
    for (let i = 0; i < parts.length; i++) out[i] = this.id(parts[i]);
    return out;
  }

  /**
   * ids → text (characters joined; tokens joined by `sep`, default a space). An id ≥ size is
   * E_RANGE.
   */
  decode(ids: ArrayLike<number>, sep = this.level === 'char' ? '' : ' '): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const s = this.symbols[ids[i]];
      if (s === undefined) throw rangeError(`id ${ids[i]} is out of range for a vocabulary of ${this.size}`);
      out.push(s);
    }
    return out.join(sep);
  }

  /** The vocabulary as JSON (`JSON.stringify(vocab)` uses it). */
  toJSON(): VocabularyJSON {
    const j: VocabularyJSON = { format: 'recurrent-vocab/1', level: this.level, symbols: [...this.symbols] };
    if (this.unk !== undefined) j.unk = this.unk;
    return j;
  }

  /** A vocabulary from its JSON (parsed already); E_FORMAT when it is not `recurrent-vocab/1`. */
  static fromJSON(j: unknown): Vocabulary {
    const v = j as VocabularyJSON;
    if (!v || typeof v !== 'object' || v.format !== 'recurrent-vocab/1') throw formatError('not a recurrent vocabulary (format recurrent-vocab/1)');
    if (!Array.isArray(v.symbols)) throw formatError('vocabulary has no symbols array');
    return new Vocabulary(v.symbols, { level: v.level, unk: v.unk });
  }
}
