// Named-entity recognition on characters: a BiLSTM(-CRF) tagger (PosTagger, with characters as
// its words) over entity tags in any scheme (BIO, BIOES, BMES; see entities.ts), and the
// entities it finds in raw text with their character offsets. Long texts are cut after
// sentence punctuation (。！？!?) into pieces of at most `maxChars` characters for tagging, and
// the pieces' tags are put back together, so a text of any length can be tagged.
// With a gazetteer (`gazetteer: true`), each character also reads its gazetteer bits
// (gazetteer.ts): where training entities of each type begin, continue and end; training text
// takes them from the entities of the other folds (jackknifing); the model file keeps the
// entities (metadata "gazetteer"), so `recognize` reads new text the same way.
// With an external gazetteer (`externalGazetteer`: entries of other sources, e.g. jieba's
// dictionary and People's Daily's entities for MSRA), each character also reads that gazetteer's bits, `<xgaz N>`, alike for
// training and new text (none of it is the training text's own labels, so nothing is held
// out); the model file keeps those entities too (metadata "externalGazetteer").
import { checkKeys, formatError, numIn, optionError, posInt, rangeError, shapeError } from '../errors.js';
import { decodeSafetensors } from '../index.js';
import { bigramTokens, frequentBigrams, readsBigrams } from './bigrams.js';
import { type CharTaggedSentence, sentencePieces } from './chinese.js';
import { taskCompile } from './defaults.js';
import { detectScheme, type Entity, type EntityScore, entityScore, type TagScheme, tagsToEntities } from './entities.js';
import {
  GAZETTEER_MAX_TYPES,
  type GazetteerEntries,
  type GazetteerLookup,
  gazetteerBits,
  gazetteerEntries,
  gazetteerLookup,
  gazetteerSymbols,
  heldOutGazetteers,
} from './gazetteer.js';
import { HELD_OUT_FOLDS } from './held-out.js';
import { withMetadata } from './model-file.js';
import { PosTagger, type TrainPosTaggerOptions, trainPosTagger } from './pos.js';
import { chars } from './segment.js';

/** Options of {@link trainEntityRecognizer}: those of trainPosTagger (the characters are its
 * words) and the longest piece trained on. */
export interface TrainEntityRecognizerOptions extends Omit<TrainPosTaggerOptions, 'from' | 'minCount' | 'features'> {
  /**
   * Gazetteer inputs (gazetteer.ts): each character also reads where training entities begin,
   * continue and end (jackknifed for training text); at most 4 entity types.
   * @default false
   */
  gazetteer?: boolean;
  /**
   * Entities of another source by type (e.g. `gazetteerEntries` of another corpus; at most 4
   * types, entities of up to 12 characters): each character also reads where they begin,
   * continue and end, as a further input `<xgaz N>` read alike for all text.
   * @default none
   */
  externalGazetteer?: GazetteerEntries;
  /**
   * Sentences are cut after sentence punctuation into pieces of at most this many characters.
   * @default 200
   */
  maxChars?: number;
  /**
   * Characters seen fewer times are trained as a shared "rare character" symbol.
   * @default 2
   */
  minCount?: number;
  /**
   * Character bigrams as inputs (bigrams.ts): a bigram seen at least this many times in
   * training gets its own embedding, read at its first character; 0 reads characters only.
   * @default 0
   */
  bigrams?: number;
  /**
   * Character bigrams beside the characters: each character also reads its bigram with the
   * next character as one more input (`<bi XY>` when seen at least this many times in training,
   * else `<bi>`), so rare pairs keep their characters' embeddings and frequent ones add what the
   * pair says; 0 reads no bigram input. Unlike `bigrams`, no character loses its own id.
   * @default 0
   */
  charBigrams?: number;
}

/** The bigram input of a character without a known bigram with the next one. */
const NO_BIGRAM = '<bi>';
/** The bigram input symbol of a known bigram. */
const bigramSymbol = (b: string): string => `<bi ${b}>`;
/** The external gazetteer's symbols (gazetteerSymbols renamed): `<xgaz N>`. */
const externalSymbols = (types: number): string[] => gazetteerSymbols(types).map((s) => `<x${s.slice(1)}`);

/** A gazetteer as the features read it: its lookup and its number of types. */
interface GazetteerInput {
  lookup: GazetteerLookup;
  types: number;
}

/** The feature symbols of a piece of characters: per character its gazetteer bits (when
 * `gazetteer` is given), its external gazetteer bits (when `external` is), then its bigram
 * input (when `bigram` tells which bigrams are known); undefined when none of them. */
function pieceFeatures(
  cs: readonly string[],
  gazetteer: GazetteerInput | undefined,
  external: GazetteerInput | undefined,
  bigram: ((b: string) => boolean) | undefined,
): string[][] | undefined {
  if (!gazetteer && !external && !bigram) return undefined;
  const bits = gazetteer && gazetteerBits(cs, gazetteer.lookup, gazetteer.types);
  const xbits = external && gazetteerBits(cs, external.lookup, external.types);
  return cs.map((c, i) => {
    const f = bits ? [`<gaz ${bits[i]}>`] : [];
    if (xbits) f.push(`<xgaz ${xbits[i]}>`);
    if (bigram) {
      const b = i + 1 < cs.length ? c + cs[i + 1] : '';
      f.push(b && bigram(b) ? bigramSymbol(b) : NO_BIGRAM);
    }
    return f;
  });
}

/**
 * A character tagger with entity tags: finds entities in raw text.
 * @example
 * ```ts
 * const sents = parseCharTagged(('张 B-PER\n三 I-PER\n去 O\n北 B-LOC\n京 I-LOC\n\n').repeat(4));
 * const rec = await trainEntityRecognizer(sents, { epochs: 2, embed: 8, hidden: 8, seed: 1 });
 * console.log(rec.recognize(['张三去北京'])); // entities with type and span (2 epochs: anything)
 * const again = EntityRecognizer.load(rec.save());
 * again.dispose();
 * rec.dispose();
 * ```
 */
export class EntityRecognizer {
  /** The character tagger. */
  readonly tagger: PosTagger;
  /** The scheme of its tags. */
  readonly scheme: TagScheme;
  /** Longest piece tagged at once, in characters. */
  readonly maxChars: number;
  /** Whether each step reads its character bigram when the vocabulary has it (bigrams.ts). */
  readonly bigrams: boolean;
  /** The training entities by type whose bits each character reads (undefined: none). */
  readonly gazetteer: GazetteerEntries | undefined;
  /** The external entities by type whose bits each character reads (undefined: none). */
  readonly externalGazetteer: GazetteerEntries | undefined;
  /** Whether each character also reads its bigram with the next one as a further input
   * (`charBigrams`: the vocabulary holds `<bi>`). */
  readonly charBigrams: boolean;
  private readonly lookup: GazetteerLookup | undefined;
  private readonly external: GazetteerInput | undefined;

  /** Wraps a tagger whose tags are entity tags (E_FORMAT otherwise) and that reads one feature
   * symbol per character for each of `gazetteer`, `externalGazetteer` and its bigram input
   * (E_FORMAT otherwise). */
  constructor(tagger: PosTagger, opts: { maxChars?: number; gazetteer?: GazetteerEntries; externalGazetteer?: GazetteerEntries } = {}) {
    checkKeys('EntityRecognizer', opts, ['maxChars', 'gazetteer', 'externalGazetteer']);
    try {
      this.scheme = detectScheme(tagger.tags);
    } catch {
      throw formatError(
        `not an entity model: its tags (${tagger.tags.slice(0, 6).join(', ')}${tagger.tags.length > 6 ? ', …' : ''}) are not entity tags (O, B-TYPE, I-TYPE, …); train one with recurrent ner train`,
      );
    }
    const charBigrams = tagger.encoder.vocab.has(NO_BIGRAM);
    const xgaz = opts.externalGazetteer;
    const reads = (opts.gazetteer ? 1 : 0) + (xgaz ? 1 : 0) + (charBigrams ? 1 : 0);
    if (tagger.encoder.features !== reads)
      throw formatError(
        `the tagger reads ${tagger.encoder.features} feature symbols per character, ${opts.gazetteer ? 'a gazetteer gives 1' : 'and no gazetteer was given'}${xgaz ? ', an external gazetteer 1' : ''}${charBigrams ? ' and its bigram input 1' : ''}`,
      );
    const xtypes = xgaz ? Object.keys(xgaz).length : 0;
    if (xgaz && !tagger.encoder.vocab.has(`<xgaz ${(1 << (3 * xtypes)) - 1}>`))
      throw formatError(`the tagger was not trained with an external gazetteer of ${xtypes} entity types`);
    this.charBigrams = charBigrams;
    this.tagger = tagger;
    this.maxChars = posInt('maxChars', opts.maxChars, 200);
    this.bigrams = readsBigrams(tagger.encoder.vocab.symbols);
    this.gazetteer = opts.gazetteer;
    this.lookup = opts.gazetteer && gazetteerLookup(opts.gazetteer);
    this.externalGazetteer = xgaz;
    this.external = xgaz && { lookup: gazetteerLookup(xgaz), types: xtypes };
  }

  /** The feature symbols of a piece (undefined without gazetteers or bigram inputs): each
   * character's gazetteer bits from `lookup` (default: all the entities of the gazetteer), its
   * external gazetteer bits, then with `charBigrams` its bigram input. */
  features(cs: readonly string[], lookup = this.lookup): string[][] | undefined {
    const v = this.tagger.encoder.vocab;
    return pieceFeatures(
      cs,
      this.gazetteer && lookup && { lookup, types: Object.keys(this.gazetteer).length },
      this.external,
      this.charBigrams ? (b) => v.has(bigramSymbol(b)) : undefined,
    );
  }

  /** The tokens a piece of characters is read as: the characters, or with `bigrams` each
   * step's bigram when the vocabulary has it. */
  inputs(cs: readonly string[]): string[] {
    const v = this.tagger.encoder.vocab;
    return this.bigrams ? bigramTokens(cs, (b) => v.has(b)) : [...cs];
  }

  /** An entity recognizer from a model file written by `save()` (or by `recurrent ner train`);
   * E_FORMAT for another kind of model file. */
  static load(bytes: Uint8Array, opts: { maxChars?: number } = {}): EntityRecognizer {
    const meta = decodeSafetensors(bytes).metadata;
    const gazetteer = readGazetteer(meta.gazetteer, 'gazetteer');
    const externalGazetteer = readGazetteer(meta.externalGazetteer, 'externalGazetteer');
    let tagger: PosTagger;
    try {
      tagger = PosTagger.load(bytes);
    } catch (e) {
      throw formatError(`not an entity model file (it should come from recurrent ner train): ${(e as Error).message}`);
    }
    try {
      return new EntityRecognizer(tagger, { ...opts, gazetteer, externalGazetteer });
    } catch (e) {
      tagger.dispose();
      throw e;
    }
  }

  /** Entity tags of each character sequence (of any length: long ones are tagged in pieces). */
  tagChars(seqs: readonly (readonly string[])[]): string[][] {
    const pieces: string[][] = [];
    const features: string[][][] = [];
    const where: [number, number][][] = seqs.map((cs) => sentencePieces(cs, this.maxChars));
    seqs.forEach((cs, i) => {
      for (const [a, b] of where[i]) {
        pieces.push(this.inputs(cs.slice(a, b)));
        const f = this.features(cs.slice(a, b));
        if (f) features.push(f);
      }
    });
    const tags = this.tagger.tag(pieces, features.length ? { features } : {});
    let k = 0;
    return seqs.map((_, i) => where[i].flatMap(() => tags[k++]));
  }

  /** The entities of each text, with [start, end) offsets in characters (code points) and
   * their text.
   * @example rec.recognize(['江泽民在北京']) // [[{ type: 'PER', start: 0, end: 3, text: '江泽民' }, { type: 'LOC', start: 4, end: 6, text: '北京' }]] */
  recognize(texts: readonly string[]): Entity[][] {
    const cs = texts.map(chars);
    const tags = this.tagChars(cs);
    return cs.map((c, i) => tagsToEntities(tags[i], c));
  }

  /** Tags the gold sentences' characters and scores them (conlleval's measure). */
  evaluate(gold: readonly CharTaggedSentence[]): EntityScore {
    return entityScore(
      gold.map((s) => s.tags),
      this.tagChars(gold.map((s) => s.chars)),
    );
  }

  /** The model file (a tagger file whose tags are entity tags; the gazetteers' entities as
   * metadata "gazetteer" and "externalGazetteer"). */
  save(): Uint8Array {
    const meta: Record<string, string> = {};
    if (this.gazetteer) meta.gazetteer = JSON.stringify(this.gazetteer);
    if (this.externalGazetteer) meta.externalGazetteer = JSON.stringify(this.externalGazetteer);
    const bytes = this.tagger.save();
    return Object.keys(meta).length ? withMetadata(bytes, meta) : bytes;
  }

  /** Frees the model's wasm memory. */
  dispose(): void {
    this.tagger.dispose();
  }
}

/** Trains an entity recognizer on character-tagged sentences (cut into pieces of at most
 * @example
 * ```ts
 * const sents = parseCharTagged(('张 B-PER\n三 I-PER\n去 O\n北 B-LOC\n京 I-LOC\n\n').repeat(4));
 * const rec = await trainEntityRecognizer(sents, { epochs: 2, embed: 8, hidden: 8, seed: 1, timeBudgetMs: 10_000 });
 * console.log(rec.evaluate(sents).f1);
 * rec.dispose();
 * ```
 * `maxChars` after sentence punctuation), checking the tag scheme first (E_FORMAT). */
export async function trainEntityRecognizer(sents: readonly CharTaggedSentence[], opts: TrainEntityRecognizerOptions = {}): Promise<EntityRecognizer> {
  const { maxChars: mc, bigrams: bg, charBigrams: cb, gazetteer: gz, externalGazetteer: xgaz, ...rest } = opts;
  const maxChars = posInt('maxChars', mc, 200);
  const minBigram = numIn('bigrams', bg, 0, Infinity, 0);
  const minCharBigram = numIn('charBigrams', cb, 0, Infinity, 0);
  if (minBigram > 0 && minCharBigram > 0)
    throw optionError('bigrams (a bigram in place of its character) and charBigrams (beside it) exclude each other: give one');
  detectScheme(sents.flatMap((s) => s.tags));
  const gazetteer = gz ? gazetteerEntries(sents) : undefined;
  const types = gazetteer ? Object.keys(gazetteer).length : 0;
  const xtypes = xgaz ? checkExternal(xgaz) : 0;
  const external = xgaz && { lookup: gazetteerLookup(xgaz), types: xtypes };
  // training text's bits come from the entities of the OTHER folds (jackknifing)
  const folds = gazetteer && heldOutGazetteers(sents, gazetteer);
  const cutChars = sents.map((s) => sentencePieces(s.chars, maxChars).map(([a, b]) => [a, b, s.chars.slice(a, b)] as const));
  // the bigrams seen often enough, for whichever mode reads them (the two exclude each other)
  const minPair = Math.max(minBigram, minCharBigram);
  const known = new Set(
    minPair > 0
      ? frequentBigrams(
          cutChars.flat().map((p) => p[2]),
          Math.max(1, minPair),
        )
      : [],
  );
  const knownPairs = minCharBigram > 0 ? known : undefined;
  const cut = sents.flatMap((s, i) =>
    cutChars[i].map(([a, b, chars]) => {
      const features = pieceFeatures(chars, folds && { lookup: folds[i % HELD_OUT_FOLDS], types }, external, knownPairs && ((x) => knownPairs.has(x)));
      return { chars, tags: s.tags.slice(a, b), features };
    }),
  );
  const pieces = cut.map((p) => ({ words: minBigram > 0 ? bigramTokens(p.chars, (b) => known.has(b)) : p.chars, tags: p.tags, features: p.features }));
  const d = taskCompile('ner');
  const tagger = await trainPosTagger(pieces, {
    ...rest,
    optimizer: rest.optimizer ?? d.optimizer,
    clipNorm: rest.clipNorm ?? d.clipNorm,
    schedule: rest.schedule ?? d.schedule,
    features:
      gazetteer || external || knownPairs
        ? {
            symbols: [
              ...(gazetteer ? gazetteerSymbols(Math.max(1, types)) : []),
              ...(external ? externalSymbols(xtypes) : []),
              ...(knownPairs ? [...knownPairs].map(bigramSymbol).concat(NO_BIGRAM) : []),
            ],
            slots: (gazetteer ? 1 : 0) + (external ? 1 : 0) + (knownPairs ? 1 : 0),
          }
        : undefined,
  });
  return new EntityRecognizer(tagger, { maxChars, gazetteer, externalGazetteer: xgaz });
}

/** The number of types of an external gazetteer: 1 to GAZETTEER_MAX_TYPES, each a list of
 * strings (E_RANGE / E_SHAPE otherwise). */
function checkExternal(g: GazetteerEntries): number {
  if (!isEntries(g)) throw shapeError('externalGazetteer must map entity types to lists of strings ({ PER: [...], LOC: [...] })');
  const n = Object.keys(g).length;
  if (n < 1 || n > GAZETTEER_MAX_TYPES) throw rangeError(`externalGazetteer holds 1 to ${GAZETTEER_MAX_TYPES} entity types (got ${n})`);
  return n;
}

const isEntries = (g: unknown): g is GazetteerEntries =>
  typeof g === 'object' && g !== null && !Array.isArray(g) && Object.values(g).every((ws) => Array.isArray(ws) && ws.every((w) => typeof w === 'string'));

/** A gazetteer of a model file's metadata key `key` (undefined when absent; E_FORMAT when malformed). */
function readGazetteer(raw: string | undefined, key: string): GazetteerEntries | undefined {
  if (raw === undefined) return undefined;
  let g: unknown;
  try {
    g = JSON.parse(raw);
  } catch {
    throw formatError(`not an entity model file (its metadata ${key} is not JSON)`);
  }
  if (!isEntries(g)) throw formatError(`not an entity model file (its metadata ${key} is not lists of entities by type)`);
  return g;
}
