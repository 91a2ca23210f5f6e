// Next-word prediction with a word-level language model (a token model whose per-step output
// is over a word vocabulary from wordVocabulary: <unk> = id 0, <eos> after each paragraph).
//
// Conventions shared with the Kneser–Ney trigram, so the perplexities compare: a stream is read
// after one <eos> (a paragraph start; the trigram pads with two), every token of the stream is
// predicted once from everything before it, and unknown words are the <unk> token (scored like
// any other id). Logits are row-major [rows · V]; probabilities are softmax in f64.
//   wordPerplexity(trainer, ids)     exp(−mean log P(ids[i] | <eos>, ids[0..i))), carried state
//   wordLogProbs(trainer, ids)       the log P of each token, for mixing with another model
//   mixedPerplexity(lpA, lpB, w)     the perplexity of w·P_a + (1 − w)·P_b (e.g. with trigramLogProbs)
//   nextWords(trainer, prompt, {k})  the k most likely next words after a prompt
//   generateWords(trainer, prompt)   sampled words, joined back into text (joinWords)

import { checkKeys, optionError, posInt, rangeError, shapeError } from '../errors.js';
import { type GenerateOptions, sequential, type Trainer, Vocabulary } from '../index.js';
import type { KneserNeyTrigram } from './kneser-ney.js';
import { EOS, tokenizeWords, UNK } from './words.js';

/** Sizes of a word-level language model built by {@link wordModel}. */
export interface WordModelOptions {
  /** The recurrent cell (default 'lstm'). */
  cell?: 'lstm' | 'gru';
  /** Embedding size (default 128). */
  embed?: number;
  /** LSTM units (default 256). */
  units?: number;
  /** Stacked LSTM layers (default 1). */
  layers?: number;
  /** Dropout after the embedding and after the LSTM, in [0, 1) (default 0). */
  dropout?: number;
}

/** The word language model: embedding → dropout → LSTM (or GRU) → dropout → dense over the vocabulary. */
export function wordModel(vocabSize: number, opts: WordModelOptions = {}) {
  checkKeys('wordModel', opts, ['cell', 'embed', 'units', 'layers', 'dropout']);
  const cell = opts.cell ?? 'lstm';
  if (cell !== 'lstm' && cell !== 'gru') throw optionError(`wordModel cell must be lstm or gru (got ${String(cell)})`);
  const V = posInt('wordModel vocabSize', vocabSize);
  const dropout = opts.dropout ?? 0;
  let m = sequential({ input: { vocab: V } }).embedding({ dim: posInt('wordModel embed', opts.embed, 128) });
  if (dropout > 0) m = m.dropout(dropout);
  let r = m[cell]({ units: posInt('wordModel units', opts.units, 256), layers: posInt('wordModel layers', opts.layers, 1), dropout });
  if (dropout > 0) r = r.dropout(dropout);
  return r.dense({ units: V });
}

/** −log softmax(logits[r·V … r·V + V))[targets[r]] summed over the rows r (f64). */
export function sumNll(logits: ArrayLike<number>, vocabSize: number, targets: ArrayLike<number>): number {
  const V = posInt('sumNll vocabSize', vocabSize);
  if (logits.length !== targets.length * V) throw shapeError(`sumNll: ${logits.length} logits for ${targets.length} targets of ${V} classes`);
  let nll = 0;
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r];
    if (!Number.isInteger(t) || t < 0 || t >= V) throw rangeError(`sumNll: target ${r} = ${t} is not a class of ${V}`);
    const o = r * V;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < V; k++) if (logits[o + k] > max) max = logits[o + k];
    let z = 0;
    for (let k = 0; k < V; k++) z += Math.exp(logits[o + k] - max);
    nll += Math.log(z) + max - logits[o + t];
  }
  return nll;
}

/** softmax of one row of logits, in f64. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < logits.length; k++) if (logits[k] > max) max = logits[k];
  const p = new Float64Array(logits.length);
  let z = 0;
  for (let k = 0; k < logits.length; k++) z += p[k] = Math.exp(logits[k] - max);
  for (let k = 0; k < p.length; k++) p[k] /= z;
  return p;
}

/** The trainer's word vocabulary (a 'token' vocabulary with the <unk> symbol), else E_OPTION. */
export async function wordModelVocabulary(trainer: Trainer): Promise<Vocabulary> {
  const info = await trainer.info();
  if (!info.vocabulary) throw optionError('the model has no vocabulary: it is not a text model');
  const v = Vocabulary.fromJSON(info.vocabulary);
  if (!isWordVocabulary(v)) throw optionError('the model is not a word-level language model (its vocabulary has no <unk> word token)');
  return v;
}

/** Whether a vocabulary is a word vocabulary (token level, with <unk>). */
export function isWordVocabulary(v: Vocabulary): boolean {
  return v.level === 'token' && v.has(UNK);
}

/**
 * Held-out perplexity of a word language model over a token-id stream: the stream is fed after
 * one <eos> (or `pad`) in chunks of `chunk` steps with the state carried (predictStep), so every
 * token is predicted from all that precedes it. Resets the trainer's step state before and after.
 */
export async function wordPerplexity(trainer: Trainer, ids: ArrayLike<number>, opts: { pad?: number; chunk?: number } = {}): Promise<number> {
  const lp = await wordLogProbs(trainer, ids, opts);
  let nll = 0;
  for (const x of lp) nll -= x;
  return Math.exp(nll / lp.length);
}

/** log P(ids[i] | pad, ids[0..i)) for each token, as wordPerplexity reads the stream: [n], f64. */
export async function wordLogProbs(trainer: Trainer, ids: ArrayLike<number>, opts: { pad?: number; chunk?: number } = {}): Promise<Float64Array> {
  checkKeys('wordPerplexity', opts, ['pad', 'chunk']);
  if (ids.length === 0) throw rangeError('wordPerplexity needs at least one token');
  const vocab = await wordModelVocabulary(trainer);
  const V = vocab.size;
  const pad = opts.pad ?? (vocab.has(EOS) ? vocab.id(EOS) : 0);
  const chunk = posInt('wordPerplexity chunk', opts.chunk, 256);
  for (let i = 0; i < ids.length; i++)
    if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= V) throw rangeError(`wordPerplexity: ids[${i}] = ${ids[i]} is not an id of a vocabulary of ${V}`);
  if (!Number.isInteger(pad) || pad < 0 || pad >= V) throw rangeError(`wordPerplexity: pad id ${pad} is out of range for a vocabulary of ${V}`);
  // inputs: pad, ids[0 … n−2]; targets: ids[0 … n−1]
  const inputs = new Uint32Array(ids.length);
  inputs[0] = pad;
  for (let i = 1; i < ids.length; i++) inputs[i] = ids[i - 1];
  const lp = new Float64Array(ids.length);
  await trainer.resetState();
  try {
    for (let s = 0; s < inputs.length; s += chunk) {
      const n = Math.min(chunk, inputs.length - s);
      // the last chunk may be shorter: predictStep keeps the batch size (1), not the step count
      const logits = await trainer.predictStep({ ids: inputs.slice(s, s + n), batch: 1, steps: n });
      if (logits.length !== n * V) throw optionError('wordPerplexity needs a model with a per-step output over its vocabulary');
      for (let r = 0; r < n; r++) lp[s + r] = -sumNll(logits.subarray(r * V, (r + 1) * V), V, [ids[s + r]]);
    }
  } finally {
    await trainer.resetState();
  }
  return lp;
}

/** log P(ids[i] | ids[i−2], ids[i−1]) of a fitted trigram for each token, read as its perplexity() reads them. */
export function trigramLogProbs(kn: KneserNeyTrigram, ids: ArrayLike<number>): Float64Array {
  const lp = new Float64Array(ids.length);
  for (let i = 0, u = kn.pad, v = kn.pad; i < ids.length; u = v, v = ids[i++]) lp[i] = Math.log(kn.prob(u, v, ids[i]));
  return lp;
}

/** Perplexity of the mixture weight·P_a + (1 − weight)·P_b, from each model's per-token log P. */
export function mixedPerplexity(logA: ArrayLike<number>, logB: ArrayLike<number>, weight: number): number {
  const w = weight;
  if (typeof w !== 'number' || !(w >= 0 && w <= 1)) throw rangeError(`mixedPerplexity weight must be a number in [0, 1] (got ${w})`);
  if (logA.length !== logB.length || logA.length === 0)
    throw shapeError(`mixedPerplexity: ${logA.length} and ${logB.length} log-probabilities (need the same number, at least one)`);
  let nll = 0;
  for (let i = 0; i < logA.length; i++) nll -= Math.log(w * Math.exp(logA[i]) + (1 - w) * Math.exp(logB[i]));
  return Math.exp(nll / logA.length);
}

/** Options of {@link nextWords}. */
export interface NextWordsOptions {
  /** How many words (default 5). */
  k?: number;
  /** Tokens left out of the answer (default ['<unk>']; add '<eos>' to leave out paragraph ends). */
  skip?: readonly string[];
}

/**
 * The k most likely next words after a prompt, most likely first (ties: lower id), with the
 * model's probabilities (not renormalised after `skip`, so they sum to at most 1). The prompt is
 * tokenised like the training text (tokenizeWords, no trailing <eos>), read after one <eos>;
 * unknown words are <unk>. An empty prompt (no words) is E_RANGE, k < 1 E_RANGE.
 */
export async function nextWords(trainer: Trainer, prompt: string | readonly string[], opts: NextWordsOptions = {}): Promise<{ word: string; p: number }[]> {
  checkKeys('nextWords', opts, ['k', 'skip']);
  const k = opts.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw rangeError(`nextWords k must be a positive integer (got ${k})`);
  const vocab = await wordModelVocabulary(trainer);
  const ids = promptIds(vocab, prompt);
  const out = await trainer.predict({ ids, batch: 1, steps: ids.length });
  const V = vocab.size;
  if (out.length !== ids.length * V) throw optionError('nextWords needs a model with a per-step output over its vocabulary');
  const p = softmax(out.subarray((ids.length - 1) * V));
  const skip = new Set((opts.skip ?? [UNK]).filter((t) => vocab.has(t)).map((t) => vocab.id(t)));
  const order: number[] = [];
  for (let i = 0; i < V; i++) if (!skip.has(i)) order.push(i);
  order.sort((a, b) => p[b] - p[a] || a - b);
  return order.slice(0, k).map((i) => ({ word: vocab.symbols[i], p: p[i] }));
}

/** <eos> then the prompt's tokens as ids; E_RANGE when the prompt has no words. */
function promptIds(vocab: Vocabulary, prompt: string | readonly string[]): Uint32Array {
  if (typeof prompt !== 'string' && !Array.isArray(prompt)) throw optionError('the prompt must be text or a list of words');
  const toks = typeof prompt === 'string' ? tokenizeWords(prompt, { eos: false }) : prompt;
  if (toks.length === 0) throw rangeError('the prompt has no words');
  const pad = vocab.has(EOS) ? vocab.id(EOS) : vocab.id(UNK);
  return Uint32Array.from([pad, ...toks.map((t) => vocab.id(t))]);
}

/**
 * Words sampled after a prompt (options as trainer.generate: maxTokens words, temperature,
 * topK, topP, seed), joined into text by joinWords: the continuation only.
 */
export async function generateWords(trainer: Trainer, prompt: string | readonly string[], opts: GenerateOptions = {}): Promise<string> {
  const vocab = await wordModelVocabulary(trainer);
  const ids = await trainer.generate(promptIds(vocab, prompt), opts);
  return joinWords(Array.from(ids, (i) => vocab.symbols[i]));
}

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '—', '-', "'", '’']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '—', '-']);

/**
 * Tokens back into text: spaces between words, none before closing punctuation and none around
 * dashes and hyphens, a newline for <eos>, and double quotes alternately opening and closing.
 */
export function joinWords(tokens: readonly string[]): string {
  let s = '';
  let quoteOpen = false;
  let glue = true; // no space before the next token
  for (const t of tokens) {
    if (t === EOS) {
      s += '\n';
      glue = true;
      quoteOpen = false;
      continue;
    }
    let before = !glue && !NO_SPACE_BEFORE.has(t);
    let after = !NO_SPACE_AFTER.has(t);
    if (t === '"' || t === '“' || t === '”') {
      if (quoteOpen) {
        before = false;
        after = true;
      } else after = false;
      quoteOpen = !quoteOpen;
    }
    s += (before ? ' ' : '') + t;
    glue = !after;
  }
  return s;
}
