// Named entities as tag sequences, and the CoNLL entity measure.
//
// Tag schemes: every tag is "O" or PREFIX-TYPE with PREFIX one of
//   BIO   B (begins an entity), I (inside it)
//   BIOES B, I, E (ends an entity of two or more), S (a one-token entity)
//   BMES  B, M (inside), E, S: the same as BIOES with M for I (the MSRA files use it)
// The type is everything after the first hyphen ("B-PER" → PER), as conlleval reads it.
//
// Scoring is conlleval's (CoNLL-2000 `conlleval`, version 2004-01-26), ported line for line:
// BIOES and BMES tags are first rewritten to BIO (S → B, E → I, M → I), then chunks start and
// end by conlleval's startOfChunk/endOfChunk rules (an I after O or after another type starts a
// chunk, a change of type ends one), and a predicted entity counts when it starts and ends on
// the same tokens as a gold one of the same type. Precision, recall and F1 are micro-averaged
// over all entities and given per type.
import { formatError, rangeError, shapeError } from '../errors.js';

/** A tag scheme: see the top of this file. */
export type TagScheme = 'BIO' | 'BIOES' | 'BMES';

/** An entity: its type and the [start, end) token (character) span; `text` when known. */
export interface Entity {
  /** The entity type, e.g. "PER", "LOC", "ORG". */
  type: string;
  /** First token, 0-based. */
  start: number;
  /** One past the last token. */
  end: number;
  /** The entity's characters, when the tokens were given. */
  text?: string;
}

const PREFIXES = new Set(['B', 'I', 'M', 'E', 'S']);

/** Splits a tag into its prefix and type ("B-PER" → ["B", "PER"], "O" → ["O", ""]);
 * E_FORMAT for anything else (a tag without a prefix, an unknown prefix, an empty type). */
export function splitTag(tag: string): [string, string] {
  if (tag === 'O') return ['O', ''];
  const i = tag.indexOf('-');
  const prefix = i < 0 ? tag : tag.slice(0, i);
  if (i < 0 || !PREFIXES.has(prefix) || i === tag.length - 1)
    throw formatError(`the tag ${JSON.stringify(tag)} is not an entity tag: entity tags are O or B-, I-, M-, E-, S- and a type (BIO, BIOES or BMES)`);
  return [prefix, tag.slice(i + 1)];
}

/** The scheme of a set of tags: BMES if any tag starts with M-, BIOES if any starts with E- or
 * S-, else BIO. E_FORMAT for a tag that is not an entity tag or for I- and M- mixed. */
export function detectScheme(tags: Iterable<string>): TagScheme {
  let i = false;
  let m = false;
  let es = false;
  for (const t of tags) {
    const [p] = splitTag(t);
    if (p === 'I') i = true;
    else if (p === 'M') m = true;
    else if (p === 'E' || p === 'S') es = true;
  }
  if (i && m) throw formatError('the tags mix I- (BIO/BIOES) and M- (BMES) prefixes: use one tag scheme');
  return m ? 'BMES' : es ? 'BIOES' : 'BIO';
}

/** Tags of any scheme → BIO (S → B, E → I, M → I), as conlleval reads them.
 * @example toBio(['B-LOC', 'M-LOC', 'E-LOC', 'S-PER', 'O']) // ['B-LOC', 'I-LOC', 'I-LOC', 'B-PER', 'O'] */
export function toBio(tags: readonly string[]): string[] {
  return tags.map((t) => {
    const [p, type] = splitTag(t);
    if (p === 'O' || p === 'B' || p === 'I') return t;
    return `${p === 'S' ? 'B' : 'I'}-${type}`;
  });
}

/** Entities → one tag per token in a scheme. Entities must lie in [0, n) and not overlap (E_RANGE).
 * @example entitiesToTags(4, [{ type: 'LOC', start: 1, end: 3 }], 'BMES') // ['O', 'B-LOC', 'E-LOC', 'O'] */
export function entitiesToTags(n: number, entities: readonly Entity[], scheme: TagScheme = 'BIO'): string[] {
  const tags = new Array<string>(n).fill('O');
  const inside = scheme === 'BMES' ? 'M' : 'I';
  for (const e of entities) {
    if (!(Number.isInteger(e.start) && Number.isInteger(e.end) && e.start >= 0 && e.end <= n && e.start < e.end))
      throw rangeError(`entity ${e.type} [${e.start}, ${e.end}) is not a span of the ${n} tokens`);
    for (let i = e.start; i < e.end; i++) {
      if (tags[i] !== 'O') throw rangeError(`entity ${e.type} [${e.start}, ${e.end}) overlaps another at token ${i}`);
      const len = e.end - e.start;
      const p = scheme === 'BIO' ? (i === e.start ? 'B' : 'I') : len === 1 ? 'S' : i === e.start ? 'B' : i === e.end - 1 ? 'E' : inside;
      tags[i] = `${p}-${e.type}`;
    }
  }
  return tags;
}

/** Converts tags between schemes (through their entities).
 * @example convertTags(['B-PER', 'I-PER', 'O'], 'BMES') // ['B-PER', 'E-PER', 'O'] */
export function convertTags(tags: readonly string[], scheme: TagScheme): string[] {
  return entitiesToTags(tags.length, tagsToEntities(tags), scheme);
}

// conlleval's endOfChunk and startOfChunk (B/I/O after the rewrite to BIO; its E rules are
// kept so the port stays line for line).
function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'B' && (tag === 'B' || tag === 'O')) return true;
  if (prevTag === 'I' && (tag === 'B' || tag === 'O')) return true;
  if (prevTag === 'E' && (tag === 'E' || tag === 'I' || tag === 'O')) return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' && (prevTag === 'B' || prevTag === 'I' || prevTag === 'O')) return true;
  if (prevTag === 'O' && (tag === 'I' || tag === 'E')) return true;
  if (prevTag === 'E' && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/** The entities of one sentence's tags (any scheme), chunked as conlleval chunks them; with
 * `tokens`, each entity's text is the tokens joined.
 * @example tagsToEntities(['B-PER', 'I-PER', 'O', 'S-LOC']) // [{ type: 'PER', start: 0, end: 2 }, { type: 'LOC', start: 3, end: 4 }] */
export function tagsToEntities(tags: readonly string[], tokens?: readonly string[]): Entity[] {
  if (tokens && tokens.length !== tags.length) throw shapeError(`${tags.length} tags but ${tokens.length} tokens`);
  const bio = toBio(tags).map(splitTag);
  const out: Entity[] = [];
  let prev: [string, string] = ['O', ''];
  let open = -1;
  for (let i = 0; i <= bio.length; i++) {
    const cur: [string, string] = i < bio.length ? bio[i] : ['O', ''];
    if (open >= 0 && endOfChunk(prev[0], cur[0], prev[1], cur[1])) {
      out.push({ type: prev[1], start: open, end: i, ...(tokens ? { text: tokens.slice(open, i).join('') } : {}) });
      open = -1;
    }
    if (startOfChunk(prev[0], cur[0], prev[1], cur[1])) open = i;
    prev = cur;
  }
  return out;
}

/** Precision, recall and F1 (fractions in [0, 1]) and the counts behind them. */
export interface EntityCounts {
  /** Correct / predicted entities (0 when none were predicted). */
  precision: number;
  /** Correct / gold entities (0 when there are none). */
  recall: number;
  /** Their harmonic mean (0 when both are 0). */
  f1: number;
  /** Gold entities. */
  gold: number;
  /** Predicted entities. */
  predicted: number;
  /** Predicted entities with the span and type of a gold one. */
  correct: number;
}

/** What {@link entityScore} returns: conlleval's figures, overall and per type. */
export interface EntityScore extends EntityCounts {
  /** Tokens whose predicted tag (after the rewrite to BIO) equals the gold one / tokens. */
  accuracy: number;
  /** Tokens scored. */
  tokens: number;
  /** The same measures per entity type (every type seen in gold or prediction), sorted by type. */
  byType: Record<string, EntityCounts>;
}

function counts(correct: number, gold: number, predicted: number): EntityCounts {
  const precision = predicted ? correct / predicted : 0;
  const recall = gold ? correct / gold : 0;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, gold, predicted, correct };
}

/** conlleval's entity measure of predicted tag sequences against gold ones (one tag array per
 * sentence, any scheme, each predicted sentence as long as its gold one).
 * @example
 * ```ts
 * const s = entityScore([['B-PER', 'I-PER', 'O']], [['B-PER', 'O', 'O']]);
 * s.f1; // 0: the predicted PER ends one token early
 * ```
 */
export function entityScore(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): EntityScore {
  if (gold.length !== predicted.length) throw shapeError(`gold has ${gold.length} sentences but the prediction has ${predicted.length}`);
  let correctChunk = 0;
  let foundCorrect = 0;
  let foundGuessed = 0;
  let correctTags = 0;
  let tokens = 0;
  const perCorrect = new Map<string, number>();
  const perGold = new Map<string, number>();
  const perGuessed = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  // the state carries across sentences exactly as in conlleval: a sentence break is an O/O line
  let inCorrect = false;
  let lastC: [string, string] = ['O', ''];
  let lastG: [string, string] = ['O', ''];
  const step = (c: [string, string], g: [string, string], boundary: boolean) => {
    const endC = endOfChunk(lastC[0], c[0], lastC[1], c[1]);
    const endG = endOfChunk(lastG[0], g[0], lastG[1], g[1]);
    const startC = startOfChunk(lastC[0], c[0], lastC[1], c[1]);
    const startG = startOfChunk(lastG[0], g[0], lastG[1], g[1]);
    if (inCorrect) {
      if (endC && endG && lastG[1] === lastC[1]) {
        inCorrect = false;
        correctChunk++;
        bump(perCorrect, lastC[1]);
      } else if (endC !== endG || g[1] !== c[1]) inCorrect = false;
    }
    if (startC && startG && g[1] === c[1]) inCorrect = true;
    if (startC) {
      foundCorrect++;
      bump(perGold, c[1]);
    }
    if (startG) {
      foundGuessed++;
      bump(perGuessed, g[1]);
    }
    if (!boundary) {
      if (c[0] === g[0] && c[1] === g[1]) correctTags++;
      tokens++;
    }
    lastC = c;
    lastG = g;
  };
  gold.forEach((gs, s) => {
    const ps = predicted[s];
    if (ps.length !== gs.length) throw shapeError(`sentence ${s}: ${gs.length} gold tags but ${ps.length} predicted`);
    const gb = toBio(gs).map(splitTag);
    const pb = toBio(ps).map(splitTag);
    for (let i = 0; i < gb.length; i++) step(gb[i], pb[i], false);
    step(['O', ''], ['O', ''], true);
  });
  if (inCorrect) {
    correctChunk++;
    bump(perCorrect, lastC[1]);
  }
  const byType: Record<string, EntityCounts> = {};
  for (const t of [...new Set([...perGold.keys(), ...perGuessed.keys()])].sort())
    byType[t] = counts(perCorrect.get(t) ?? 0, perGold.get(t) ?? 0, perGuessed.get(t) ?? 0);
  return { ...counts(correctChunk, foundCorrect, foundGuessed), accuracy: tokens ? correctTags / tokens : 0, tokens, byType };
}

/** The score as conlleval prints it (two lines of totals, then one line per type). */
export function formatEntityScore(s: EntityScore): string {
  const p = (x: number) => `${(100 * x).toFixed(2).padStart(6)}%`;
  const lines = [
    `processed ${s.tokens} tokens with ${s.gold} phrases; found: ${s.predicted} phrases; correct: ${s.correct}.`,
    `accuracy: ${p(s.accuracy)}; precision: ${p(s.precision)}; recall: ${p(s.recall)}; FB1: ${(100 * s.f1).toFixed(2).padStart(6)}`,
  ];
  for (const [t, c] of Object.entries(s.byType))
    lines.push(`${t.padStart(17)}: precision: ${p(c.precision)}; recall: ${p(c.recall)}; FB1: ${(100 * c.f1).toFixed(2).padStart(6)}  ${c.predicted}`);
  return lines.join('\n');
}
