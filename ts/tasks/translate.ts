// Machine translation with the attention encoder-decoder (seq2seq.ts) on byte-pair pieces:
//
//   const t = Translator.create(train, { sourcePieces: 2000, targetPieces: 2000, encoderUnits: 128 }, { seed: 1 });
//   await t.fit(train, { epochs: 5, batchSize: 64, dev, workers: 2,
//     onEpoch: (e) => console.log(e.epoch, e.devBleu) });   // keeps the best dev BLEU weights
//   t.translate(['Y dijo Dios: Sea la luz.'], { beam: 5 });  // → ['God said, “Let there be light,” …']
//   t.evaluate(test, { beam: 5 });                           // → { bleu, chrf, hypotheses, … }
//
// Pairs are { source, target } strings (one sentence or verse each). Each side has its own BPE
// vocabulary learned on the training targets/sources (separate, not shared: the output
// softmax, the dominant cost, then covers English pieces only, and the model has no tied
// embeddings that a shared vocabulary would serve). Both vocabularies are saved in the model
// file's metadata with the weights. Output is detokenised by construction: BPE pieces carry
// their spaces, so decoding concatenates them.
//
// Beam search ranks finished hypotheses by log p / length^α (length normalisation, α =
// `lengthPenalty`): the raw log-probability favours short outputs. α defaults to the
// translator's own `lengthPenalty` (1 unless `chooseLengthPenalty` picked one on dev pairs;
// saved in the model file).
import { checkKeys, formatError, optionError, rangeError } from '../errors.js';
import { type FitEvent, type FitResult, type Pair, type Seq2SeqFitOptions, Seq2SeqModel, type Seq2SeqOptions } from '../index.js';
import { type BleuScore, type ChrfScore, corpusBleu, corpusChrf } from './bleu.js';
import { Bpe, type BpeJSON } from './bpe.js';
import { taskCompile } from './defaults.js';
import { fitSeq2Seq, takeFile } from './seq2seq-fit.js';

/** One parallel sentence pair. */
export interface TranslationPair {
  /** The sentence to translate. */
  source: string;
  /** Its reference translation. */
  target: string;
}

/** Options of {@link Translator.create}: the BPE sizes, the longest input, and the encoder-decoder's architecture. */
export interface TranslatorOptions extends Omit<Seq2SeqOptions, 'sourceVocab' | 'targetVocab' | 'bos' | 'eos'> {
  /**
   * Source BPE vocabulary size (pieces, 256 byte pieces included).
   * @default 2000
   */
  sourcePieces?: number;
  /**
   * Target BPE vocabulary size (BOS and EOS included).
   * @default 2000
   */
  targetPieces?: number;
  /**
   * Longest source (in pieces) that `translate` accepts; longer is E_RANGE.
   * @default 400
   */
  maxSourcePieces?: number;
}

/** One epoch's report of {@link Translator.fit}. */
export interface TranslateEpoch {
  /** 0-based epoch. */
  epoch: number;
  /** The epoch was cut short (time budget or abort); its weights still compete for the best. */
  partial: boolean;
  /** Mean training loss per target piece (NaN for a partial epoch). */
  loss: number;
  /** Corpus BLEU of greedy translations of the dev pairs (when given). */
  devBleu?: number;
  /** Whether this epoch's weights are the best so far (kept). */
  best: boolean;
  /** Training pieces per second over the epoch (target tokens, EOS included). */
  tokensPerSec: number;
  /** Training time so far, in milliseconds. */
  elapsedMs: number;
}

/** Options of {@link Translator.fit}. */
export interface TranslateFitOptions extends Omit<Seq2SeqFitOptions, 'validation' | 'onProgress'> {
  /** Dev pairs: translated greedily after every epoch; the weights with the best BLEU are kept. @default none */
  dev?: readonly TranslationPair[];
  /** Data-parallel worker replicas (`createTrainer({ workers })`); 1 trains in the calling thread. @default 1 */
  workers?: number | 'auto';
  /** Epochs already trained (a resumed run continues from here; the batch order follows the epoch). @default 0 */
  startEpoch?: number;
  /** The best dev BLEU of the run so far (a resumed run keeps weights only if they beat it). @default -1 */
  bestDevBleu?: number;
  /** Called with every step event. */
  onStep?: (e: FitEvent) => void;
  /** Called after every epoch (after the dev translation), with the translator up to date. */
  onEpoch?: (e: TranslateEpoch) => void | Promise<void>;
}

/** Options of {@link Translator.translate}. */
export interface TranslateOptions {
  /** Beam width (1 = greedy). @default 1 */
  beam?: number;
  /** Length normalisation α: beam hypotheses ranked by log p / length^α (0 = raw log p). @default the translator's `lengthPenalty` */
  lengthPenalty?: number;
  /** Sources per decoding call. @default 64 */
  batchSize?: number;
}

/** What {@link Translator.evaluate} returns. */
export interface TranslationScore {
  /** Corpus BLEU (sacreBLEU's, 13a). */
  bleu: BleuScore;
  /** Corpus chrF2. */
  chrf: ChrfScore;
  /** The translations, in input order. */
  hypotheses: string[];
  /** Decoding time in milliseconds. */
  ms: number;
}

/** What {@link Translator.chooseLengthPenalty} returns. */
export interface LengthPenaltyChoice {
  /** The α with the best BLEU (the smallest α among ties). */
  lengthPenalty: number;
  /** BLEU of the pairs at each candidate α, in the order given. */
  scores: {
    /** The candidate α. */
    lengthPenalty: number;
    /** Corpus BLEU of the pairs ranked with it. */
    bleu: number;
  }[];
}

/** The α grid that `chooseLengthPenalty` tries by default. */
export const LENGTH_PENALTIES: readonly number[] = [0.6, 0.8, 1, 1.2];

export const BOS = '<s>';
export const EOS = '</s>';
const TASK = 'translate';

/**
 * A translation model: source and target BPE vocabularies and the encoder-decoder.
 * @example
 * ```ts
 * const pairs = [
 *   { source: 'el gato', target: 'the cat' },
 *   { source: 'el perro', target: 'the dog' },
 *   { source: 'un gato', target: 'a cat' },
 * ];
 * const tr = Translator.create(pairs, { embed: 8, encoderUnits: 16, decoderUnits: 32, attention: 16, sourcePieces: 300, targetPieces: 300 }, { seed: 1 });
 * tr.model.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
 * await tr.fit(pairs, { epochs: 2, batchSize: 3 });
 * console.log(tr.translate(['el gato'])); // after 2 epochs: anything
 * const { translator } = Translator.load(tr.save());
 * translator.dispose();
 * tr.dispose();
 * ```
 */
export class Translator {
  /** The source language's BPE vocabulary (the encoder's input). */
  readonly source: Bpe;
  /** The target language's BPE vocabulary with BOS and EOS (the decoder's output). */
  readonly target: Bpe;
  /** The attention encoder-decoder. */
  readonly model: Seq2SeqModel;
  /** The longest source, in pieces, that `translate` accepts. */
  readonly maxSourcePieces: number;
  /** Length normalisation α used when `translate` is not given one (saved in the model file). */
  lengthPenalty = 1;

  /** A translator over existing vocabularies and model (see `Translator.create` and `Translator.load`). */
  constructor(source: Bpe, target: Bpe, model: Seq2SeqModel, maxSourcePieces = 400) {
    this.source = source;
    this.target = target;
    this.model = model;
    this.maxSourcePieces = maxSourcePieces;
  }

  /** Learns both BPE vocabularies on the training pairs and builds a new model over them. */
  static create(train: readonly TranslationPair[], options: TranslatorOptions = {}, opts: { seed?: number } = {}): Translator {
    if (train.length === 0) throw rangeError('Translator.create: no training pairs');
    for (const k of ['sourceVocab', 'targetVocab', 'bos', 'eos'])
      if (k in options) throw optionError(`Translator.create sets ${k} itself from the BPE vocabularies`);
    const { sourcePieces, targetPieces, maxSourcePieces, ...arch } = options;
    const max = maxSourcePieces ?? 400;
    if (!Number.isInteger(max) || max < 1) throw rangeError(`Translator.create: maxSourcePieces must be a whole number ≥ 1 (got ${max})`);
    const src = Bpe.learn(
      train.map((p) => p.source),
      { size: sourcePieces ?? 2000 },
    );
    const tgt = Bpe.learn(
      train.map((p) => p.target),
      { size: targetPieces ?? 2000, specials: [BOS, EOS] },
    );
    const model = Seq2SeqModel.create({ embed: 128, encoderUnits: 128, ...arch, sourceVocab: src.size, targetVocab: tgt.size, bos: 0, eos: 1 }, opts);
    return new Translator(src, tgt, model, max);
  }

  /** Source piece ids of a line; E_RANGE when it is empty or longer than `maxSourcePieces`. */
  encodeSource(line: string, what = 'the line'): number[] {
    const ids = this.source.encode(line);
    if (ids.length === 0) throw rangeError(`${what} is empty`);
    if (ids.length > this.maxSourcePieces)
      throw rangeError(`${what} is ${ids.length} pieces long; this model accepts at most ${this.maxSourcePieces} (split it into sentences)`);
    return ids;
  }

  /** Id pairs for training (the targets without BOS/EOS). */
  pairs(list: readonly TranslationPair[]): Pair[] {
    return list.map((p, i) => ({ source: this.encodeSource(p.source, `pair ${i + 1}'s source`), target: this.target.encode(p.target) }));
  }

  /**
   * Trains through the fit engine (Adam lr 2e-3, clip 5 unless `model` is compiled:
   * TASK_TRAINING.translate), in the calling thread or on `workers` data-parallel replicas, in
   * length-bucketed batches; after each epoch translates `dev` greedily, and at the end the model
   * keeps the weights with the best dev BLEU (an epoch cut short by the budget or an abort
   * competes too). `hooks` (early stopping, reduce-on-plateau, `stopAfterMs`) act between epochs
   * as in `Trainer.fit`; their monitors read the training loss (`'loss'`).
   */
  async fit(
    train: readonly TranslationPair[],
    opts: TranslateFitOptions = {},
  ): Promise<
    FitResult & {
      /** The best development BLEU of the run. */
      bestDevBleu: number;
      /** The epoch (0-based) it came at; -1 when no epoch beat `bestDevBleu`. */
      bestEpoch: number;
    }
  > {
    checkKeys('Translator.fit', opts, [
      'epochs',
      'batchSize',
      'seed',
      'timeBudgetMs',
      'signal',
      'lrDecay',
      'hooks',
      'dev',
      'workers',
      'startEpoch',
      'bestDevBleu',
      'onStep',
      'onEpoch',
    ]);
    const { dev, workers = 1, startEpoch = 0, bestDevBleu: bestSoFar = -1, onStep, onEpoch, epochs = 1, seed = 0, ...rest } = opts;
    if (!Number.isInteger(epochs) || epochs < 1) throw rangeError(`fit.epochs must be a whole number ≥ 1 (got ${String(epochs)})`);
    if (!Number.isInteger(startEpoch) || startEpoch < 0) throw rangeError(`fit.startEpoch must be a whole number ≥ 0 (got ${String(startEpoch)})`);
    if (!this.model.compiled) this.model.compile(taskCompile('translate'));
    const pairs = this.pairs(train);
    const t0 = performance.now();
    const best = { bleu: bestSoFar, epoch: -1, file: undefined as Uint8Array | undefined };
    /** After epoch `epoch` (of the whole training, resumed runs included): dev BLEU, the best so far, onEpoch. */
    const epochEnd = async (epoch: number, partial: boolean, loss: number, tokensPerSec: number) => {
      const devBleu = dev?.length ? corpusBleu(this.translate(dev.map((p) => p.source)), [dev.map((p) => p.target)]).score : undefined;
      const isBest = devBleu === undefined || devBleu > best.bleu;
      if (isBest) {
        best.bleu = devBleu ?? best.bleu;
        best.epoch = epoch;
        if (dev?.length) best.file = this.model.save({}, { training: true });
      }
      await onEpoch?.({ epoch, partial, loss, devBleu, best: isBest, tokensPerSec, elapsedMs: performance.now() - t0 });
    };
    const empty: FitResult = { stopReason: 'completed', epochs: 0, steps: 0, tokens: 0, elapsedMs: 0, tokensPerSec: 0, history: [] };
    let stepsAtEpochEnd = 0;
    // one engine run over the epochs left; a resumed run draws its batch order from seed + startEpoch
    const r =
      epochs <= startEpoch
        ? empty
        : await fitSeq2Seq(
            this.model,
            pairs,
            {
              ...rest,
              epochs: epochs - startEpoch,
              seed: seed + startEpoch,
              onProgress: async (e) => {
                if (e.type === 'step') onStep?.({ ...e, epoch: e.epoch + startEpoch });
                else {
                  stepsAtEpochEnd = e.step;
                  await epochEnd(e.epoch + startEpoch, false, e.loss, e.tokensPerSec);
                }
              },
            },
            workers,
          );
    // an epoch cut short (budget or abort) after some of its batches competes for the best too
    if (r.steps > stepsAtEpochEnd && r.stopReason !== 'completed') await epochEnd(startEpoch + r.epochs, true, Number.NaN, r.tokensPerSec);
    if (best.file) takeFile(this.model, best.file);
    const { bestEpoch: _restored, ...result } = r;
    return {
      ...result,
      history: r.history.map((h) => ({ ...h, epoch: h.epoch + startEpoch })),
      elapsedMs: performance.now() - t0,
      bestDevBleu: best.bleu,
      bestEpoch: best.epoch,
    };
  }

  /** Translates each line (E_RANGE naming the line if it is empty or too long). */
  translate(lines: readonly string[], opts: TranslateOptions = {}): string[] {
    checkKeys('translate', opts, ['beam', 'lengthPenalty', 'batchSize']);
    const alpha = checkPenalty(opts.lengthPenalty ?? this.lengthPenalty);
    return this.nBest(lines, opts.beam ?? 1, opts.batchSize ?? 64).map((hs) => this.rerank(hs, alpha));
  }

  /**
   * Picks the length normalisation α with the best corpus BLEU on `pairs` (dev pairs, never
   * the test set) at beam width `beam`, sets `this.lengthPenalty` to it and returns every
   * candidate's score. The pairs are decoded once; each α only re-ranks their n-best lists.
   * @example
   * ```ts
   * const choice = tr.chooseLengthPenalty(dev, { beam: 5 }); // e.g. { lengthPenalty: 0.8, scores: [...] }
   * tr.translate(['Y dijo Dios: Sea la luz.'], { beam: 5 });  // uses α = choice.lengthPenalty
   * ```
   */
  chooseLengthPenalty(pairs: readonly TranslationPair[], opts: { beam?: number; candidates?: readonly number[] } = {}): LengthPenaltyChoice {
    checkKeys('chooseLengthPenalty', opts, ['beam', 'candidates']);
    const beam = opts.beam ?? 5;
    const grid = opts.candidates ?? LENGTH_PENALTIES;
    if (pairs.length === 0) throw rangeError('chooseLengthPenalty: no pairs');
    if (grid.length === 0) throw rangeError('chooseLengthPenalty: no candidates');
    for (const a of grid) checkPenalty(a);
    const lists = this.nBest(
      pairs.map((p) => p.source),
      beam,
      64,
    );
    const refs = [pairs.map((p) => p.target)];
    const scores = grid.map((a) => ({
      lengthPenalty: a,
      bleu: corpusBleu(
        lists.map((hs) => this.rerank(hs, a)),
        refs,
      ).score,
    }));
    let best = scores[0];
    for (const sc of scores) if (sc.bleu > best.bleu || (sc.bleu === best.bleu && sc.lengthPenalty < best.lengthPenalty)) best = sc;
    this.lengthPenalty = best.lengthPenalty;
    return { lengthPenalty: best.lengthPenalty, scores };
  }

  // the beam's finished hypotheses of every line, sorted by length into decoding batches
  private nBest(lines: readonly string[], beam: number, batch: number): { ids: number[]; score: number }[][] {
    if (!Number.isInteger(beam) || beam < 1) throw rangeError(`translate.beam must be a whole number ≥ 1 (got ${beam})`);
    const src = lines.map((l, i) => this.encodeSource(l, `line ${i + 1}`));
    // sort by length so a decoding batch has similar lengths (maxLength follows its longest)
    const order = src.map((_, i) => i).sort((a, b) => src[a].length - src[b].length);
    const out = new Array<{ ids: number[]; score: number }[]>(lines.length);
    for (let s = 0; s < order.length; s += batch) {
      const idx = order.slice(s, s + batch);
      const hyps = this.model.decode(
        idx.map((i) => src[i]),
        { beam, nBest: beam, maxLength: Math.min(10_000, 2 * src[idx.at(-1)!].length + 10) },
      );
      hyps.forEach((hs, k) => {
        out[idx[k]] = hs;
      });
    }
    return out;
  }

  // the text of the hypothesis with the best log p / (length + 1)^α ('' for none)
  private rerank(hs: readonly { ids: number[]; score: number }[], alpha: number): string {
    let bestH = hs[0];
    let bestS = Number.NEGATIVE_INFINITY;
    for (const h of hs) {
      const sc = alpha === 0 ? h.score : h.score / (h.ids.length + 1) ** alpha;
      if (sc > bestS) {
        bestS = sc;
        bestH = h;
      }
    }
    return bestH ? this.target.decode(bestH.ids) : '';
  }

  /** BLEU and chrF (sacreBLEU-exact) of translations of `pairs` against their targets, and
   * against further reference streams when given. */
  evaluate(pairs: readonly TranslationPair[], opts: TranslateOptions & { extraRefs?: readonly (readonly string[])[] } = {}): TranslationScore {
    const { extraRefs = [], ...topts } = opts;
    if (pairs.length === 0) throw rangeError('evaluate: no pairs');
    const t0 = performance.now();
    const hypotheses = this.translate(
      pairs.map((p) => p.source),
      topts,
    );
    const ms = performance.now() - t0;
    const refs = [pairs.map((p) => p.target), ...extraRefs];
    return { bleu: corpusBleu(hypotheses, refs), chrf: corpusChrf(hypotheses, refs), hypotheses, ms };
  }

  /** The model file (recurrent/1): weights, both BPE vocabularies and `extra` in its metadata;
   * `training: true` adds the optimizer state (to resume). */
  save(extra: Record<string, unknown> = {}, opts: { training?: boolean } = {}): Uint8Array {
    return this.model.save(
      {
        ...extra,
        task: TASK,
        sourceBpe: this.source.toJSON(),
        targetBpe: this.target.toJSON(),
        maxSourcePieces: this.maxSourcePieces,
        lengthPenalty: this.lengthPenalty,
      },
      opts,
    );
  }

  /** A Translator from a file written by `save`; E_FORMAT if it is not a translation model. */
  static load(bytes: Uint8Array): {
    /** The model. */
    translator: Translator;
    /** What `save(extra)` stored. */
    metadata: Record<string, unknown>;
  } {
    const { model, metadata } = Seq2SeqModel.load(bytes);
    try {
      if (metadata.task !== TASK)
        throw formatError(
          `not a translation model (its task is ${metadata.task === undefined ? 'not set' : JSON.stringify(metadata.task)}; train one with \`recurrent translate train\`)`,
        );
      const source = Bpe.fromJSON(metadata.sourceBpe as BpeJSON);
      const target = Bpe.fromJSON(metadata.targetBpe as BpeJSON);
      const max = metadata.maxSourcePieces;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw formatError('the model file has no valid maxSourcePieces');
      if (source.size !== model.config.sourceVocab || target.size !== model.config.targetVocab)
        throw formatError('the BPE vocabularies in the file do not match its model');
      // files written before the length penalty was saved rank by α = 1
      const lp = metadata.lengthPenalty ?? 1;
      if (typeof lp !== 'number' || !(lp >= 0)) throw formatError(`the model file's lengthPenalty is not a number ≥ 0 (${JSON.stringify(lp)})`);
      const { task: _t, sourceBpe: _s, targetBpe: _g, maxSourcePieces: _m, lengthPenalty: _l, ...rest } = metadata;
      const translator = new Translator(source, target, model, max);
      translator.lengthPenalty = lp;
      return { translator, metadata: rest };
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** Frees the model's wasm memory. */
  dispose(): void {
    this.model.dispose();
  }
}

function checkPenalty(alpha: number): number {
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw rangeError(`translate.lengthPenalty must be a finite number ≥ 0 (got ${alpha})`);
  return alpha;
}
