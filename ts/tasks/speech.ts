// Speech recognition of spoken digit strings with CTC: log-mel frames (ts/audio/mel.ts,
// 25 ms windows, 10 ms hop, 40 bands) → per-utterance normalisation of each band (`normalize`:
// 'utterance' over the whole utterance for bidirectional models, 'causal' running statistics
// after a 0.5 s warm-up for streaming ones, the same offline and streaming; 'none' for model
// files written before the option) → normalisation with the training set's per-band mean
// and standard deviation → stacking of `stack` consecutive frames into one step (subsampling
// by `stack`, default 3: 30 ms per step) → a 2-layer GRU (bidirectional, or unidirectional
// for streaming) → dense over 10 digits + blank (class 10) → CTC.
//
// Data: the corpus of examples/speech/make-corpus.mjs (synthetic voices of espeak-ng, Festival
// and Flite; whole voices, whole espeak-ng variants and all of Flite held out for the test
// split). With `augment`, each epoch trains on the corpus audio augmented afresh
// (ts/tasks/augment-speech.ts) from (seed, epoch, utterance). Metrics on held-out utterances: the label error rate
// (edit distance over digits / reference digits) and whole-string accuracy, greedy and beam.
//
// Streaming (unidirectional models): `SpeechRecognizer.stream()` takes 16 kHz samples as they
// arrive: LogMelStream → normalise → stack → `predictStep` → incremental greedy decoding
// (a digit is emitted when the best class changes to a non-blank one).
//
// Model file: the recurrent/1 file of the network (`Trainer.save`) with one more metadata
// key, `speech` (JSON: { format, stack, bands, mean, std, blank, labels, bidirectional,
// normalize, warmupFrames }); a file without `normalize` is read as 'none' (as it was trained).

import { checkKeys, formatError, optionError, rangeError } from '../errors.js';
import {
  createTrainer,
  DEFAULT_WARMUP_FRAMES,
  decodeSafetensors,
  decodeWav16k,
  deriveSeed,
  type Example,
  encodeSafetensors,
  LogMelStream,
  logMel,
  normalizeBands,
  normalizeBandsCausal,
  Rng,
  sequential,
  specAugment,
  type TensorIn,
  type Trainer,
} from '../index.js';
import { augmentSpeech, resolveAugment, type SpeechAugmentOptions, specAugmentOf } from './augment-speech.js';
import { adam, TASK_TRAINING } from './defaults.js';
import { editDistance } from './edit-distance.js';

/** The words of the digits 0–9 (labels 0–9; the blank is class 10). */
export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;
const BLANK = 10;
const CLASSES = 11;
const FORMAT = 'recurrent-speech/1';

/** One utterance of a corpus: its digits and where its frames lie in the features. */
export interface SpeechUtterance {
  /** The spoken digits, 0–9 (the transcript). */
  digits: number[];
  /** First frame (features start at offset·bands). */
  offset: number;
  /** Number of frames (10 ms each). */
  frames: number;
  /** The split the corpus assigned (held-out voices are `test`). */
  split?: 'train' | 'test';
  /** The voice: espeak-ng accent+variant (e.g. "en-gb-scotland+m3"), "festival/NAME" or "flite/NAME". */
  voice?: string;
  /** The corpus's set: train, or a held-out set (voices, variants, flite). */
  set?: string;
  /** First sample of the utterance's 16 kHz audio in `SpeechCorpus.audio`. */
  sample?: number;
  /** Samples of the utterance's audio. */
  samples?: number;
}

/** A corpus as make-corpus.mjs writes it: log-mel features [frames, bands] back to back. */
export interface SpeechCorpus {
  /** Log-mel frames of every utterance, [total frames, bands] row-major. */
  features: Float32Array;
  /** Mel bands per frame (40). */
  bands: number;
  /** The utterances, in file order. */
  utterances: SpeechUtterance[];
  /** Every utterance's 16 kHz samples back to back (int16 as value / 32768, or float); needed by `augment`. */
  audio?: Int16Array | Float32Array;
}

/** Normalisation and framing of a recognizer. */
export interface SpeechFraming {
  /** Frames stacked into one model step (a step is stack·bands features). */
  stack: number;
  /** Mel bands per frame. */
  bands: number;
  /** Per band, over the training frames. */
  mean: number[];
  /** Per band, over the training frames (the features are (x − mean) / std). */
  std: number[];
  /** Per-utterance normalisation of the log-mel frames before mean/std (see ts/audio/mel.ts). @default 'none' */
  normalize?: SpeechNormalize;
  /** Warm-up of 'causal' normalisation, in frames. @default 50 */
  warmupFrames?: number;
  /** Future steps appended to each step (the model's input at step t is steps t … t + lookahead,
   * zeros past the end): a streaming model then answers lookahead·stack·10 ms late. @default 0 */
  lookahead?: number;
}

/** Per-utterance normalisation: none, over the whole utterance, or causal (running, with a warm-up). */
export type SpeechNormalize = 'none' | 'utterance' | 'causal';
const NORMALIZE: readonly SpeechNormalize[] = ['none', 'utterance', 'causal'];

/**
 * Log-mel frames [frames, bands] normalised per utterance as the framing says (a copy; the input when 'none').
 * @example
 * ```ts
 * const frames = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5))); // [48, 40]
 * const z = normalizeUtterance(frames, { bands: 40, normalize: 'utterance', warmupFrames: 20 }); // each band to mean 0, std 1
 * console.log(z.length === frames.length);
 * ```
 */
export function normalizeUtterance(frames: Float32Array, f: Pick<SpeechFraming, 'bands' | 'normalize' | 'warmupFrames'>): Float32Array {
  if (f.normalize === 'utterance') {
    const x = frames.slice();
    normalizeBands(x, f.bands);
    return x;
  }
  if (f.normalize === 'causal') return normalizeBandsCausal(frames, f.bands, f.warmupFrames ?? DEFAULT_WARMUP_FRAMES);
  return frames;
}

/** Label error rate and whole-string accuracy over a set of utterances. */
export interface SpeechScore {
  /** Σ edit distance / Σ reference digits. */
  ler: number;
  /** Utterances transcribed exactly. */
  accuracy: number;
  /** Utterances scored. */
  utterances: number;
}

/** Options of {@link SpeechRecognizer.train}. */
export interface SpeechTrainOptions {
  /** Units per direction. @default 96 */
  units?: number;
  /** Stacked recurrent layers. @default 2 */
  layers?: number;
  /** false for a streaming (unidirectional) model. @default true */
  bidirectional?: boolean;
  /** The recurrent cell. @default 'gru' */
  cell?: 'gru' | 'lstm';
  /** Frames stacked into one step (subsampling). @default 3 */
  stack?: number;
  /** @default 30 */
  epochs?: number;
  /** Time budget in ms: without `augment`, stop after the epoch that passes it; with `augment`,
   * train no epoch that would pass it if it took as long as the one before. */
  timeBudgetMs?: number;
  /** @default 16 */
  batchSize?: number;
  /** @default 3e-3 */
  lr?: number;
  /** @default 1 */
  seed?: number;
  /** Train in a worker (`createTrainer({ worker })`). @default false */
  worker?: boolean;
  /** Per-utterance normalisation of the features ('utterance' needs the whole utterance, so no `stream()`).
   * @default 'utterance' for a bidirectional model, 'causal' for a streaming one */
  normalize?: SpeechNormalize;
  /** Warm-up of 'causal' normalisation, in frames (10 ms each). @default 50 */
  warmupFrames?: number;
  /** Future steps of context in each step's input (`SpeechFraming.lookahead`; a streaming model
   * answers lookahead·stack·10 ms late). @default 0 */
  lookahead?: number;
  /** The learning rate is multiplied by this after every epoch (1: constant; `speech train` uses
   * 0.85, the task's schedule in TASK_TRAINING). @default 1 */
  lrDecay?: number;
  /** With `augment`: the first this many epochs train on the clean audio (a clean start, then
   * augmentation; the augmentation of epoch e is the same whatever this is). @default 0 */
  cleanEpochs?: number;
  /** Augmentation of the training audio, drawn afresh every epoch from (seed, epoch, utterance):
   * speed, tempo, pitch, filter, reverberation, noise (white, pink, babble of other training
   * utterances), gain, then SpecAugment on the features (see `SpeechAugmentOptions`; `{}` for
   * the defaults). Needs `corpus.audio`. Epoch e + 1's audio is prepared while epoch e trains
   * (in parallel when `worker` is true). @default false */
  augment?: SpeechAugmentOptions | false;
  /** After every epoch: the training loss and the time so far. */
  onEpoch?: (e: { epoch: number; loss: number; elapsedMs: number; framesPerSecond: number }) => void;
}

/**
 * Per-band mean and standard deviation over the utterances' frames.
 * @example
 * ```ts
 * // a corpus of log-mel features (40 bands): two utterances of [frames, 40] back to back
 * const a = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5)));
 * const b = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 9)));
 * const features = new Float32Array(a.length + b.length);
 * features.set(a);
 * features.set(b, a.length);
 * const corpus = { features, bands: 40, utterances: [{ digits: [4, 1], offset: 0, frames: a.length / 40 }, { digits: [2], offset: a.length / 40, frames: b.length / 40 }] };
 * const { mean, std } = bandStatistics(corpus, corpus.utterances); // per band, over every frame
 * console.log(mean.length, std.length); // 40 40
 * ```
 */
export function bandStatistics(
  c: SpeechCorpus,
  utts: readonly SpeechUtterance[],
): {
  /** Per band. */
  mean: number[];
  /** Per band. */
  std: number[];
} {
  const nb = c.bands;
  const sum = new Float64Array(nb);
  const sq = new Float64Array(nb);
  let n = 0;
  for (const u of utts) {
    for (let t = u.offset; t < u.offset + u.frames; t++) {
      for (let k = 0; k < nb; k++) {
        const v = c.features[t * nb + k];
        sum[k] += v;
        sq[k] += v * v;
      }
    }
    n += u.frames;
  }
  if (n === 0) throw rangeError('bandStatistics: no frames');
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(s / n - mean[k] ** 2, 1e-8)));
  return { mean, std };
}

/** Normalised, stacked steps [⌈frames / stack⌉, bands·stack] from raw log-mel frames [frames, bands]
 * (per utterance as `f.normalize` says, then with f.mean and f.std; the last step padded with zeros, i.e. the mean).
 * @example
 * ```ts
 * // a corpus of log-mel features (40 bands): two utterances of [frames, 40] back to back
 * const a = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5)));
 * const b = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 9)));
 * const features = new Float32Array(a.length + b.length);
 * features.set(a);
 * features.set(b, a.length);
 * const corpus = { features, bands: 40, utterances: [{ digits: [4, 1], offset: 0, frames: a.length / 40 }, { digits: [2], offset: a.length / 40, frames: b.length / 40 }] };
 * const stacked = stackFrames(a, { stack: 3, bands: 40, ...bandStatistics(corpus, corpus.utterances) });
 * console.log(stacked.length / 120); // steps of 3 normalised frames each
 * ```
 */
export function stackFrames(raw: Float32Array, f: SpeechFraming): Float32Array {
  return withLookahead(stackedSteps(raw, f), f);
}

/** Steps [steps, bands·stack] → [steps, bands·stack·(1 + lookahead)]: row t is steps t … t + lookahead (zeros past the end). */
export function withLookahead(steps: Float32Array, f: Pick<SpeechFraming, 'bands' | 'stack' | 'lookahead'>): Float32Array {
  const ahead = f.lookahead ?? 0;
  if (ahead === 0) return steps;
  const w = f.bands * f.stack;
  const n = steps.length / w;
  const out = new Float32Array(n * w * (1 + ahead));
  for (let t = 0; t < n; t++) out.set(steps.subarray(t * w, Math.min(n, t + 1 + ahead) * w), t * w * (1 + ahead));
  return out;
}

/** Normalised, stacked steps [⌈frames / stack⌉, bands·stack] (stackFrames without the lookahead). */
function stackedSteps(raw: Float32Array, f: SpeechFraming): Float32Array {
  const { bands, stack } = f;
  const frames = normalizeUtterance(raw, f);
  const n = frames.length / bands;
  const steps = Math.ceil(n / stack);
  const out = new Float32Array(steps * bands * stack);
  for (let t = 0; t < n; t++) {
    for (let k = 0; k < bands; k++) out[t * bands + k] = (frames[t * bands + k] - f.mean[k]) / f.std[k];
  }
  return out;
}

/**
 * Σ edit distance / Σ reference length, and exact-match accuracy.
 * @example
 * ```ts
 * console.log(scoreTranscripts([[4, 1, 5], [2]], [[4, 1, 5], [7]])); // { ler: 0.25, accuracy: 0.5, utterances: 2 }
 * ```
 */
export function scoreTranscripts(refs: readonly (readonly number[])[], hyps: readonly (readonly number[])[]): SpeechScore {
  if (refs.length !== hyps.length) throw rangeError(`scoreTranscripts: ${refs.length} references but ${hyps.length} hypotheses`);
  let dist = 0;
  let len = 0;
  let exact = 0;
  refs.forEach((r, i) => {
    const d = editDistance(r, hyps[i]);
    dist += d;
    len += r.length;
    if (d === 0 && r.length === hyps[i].length) exact++;
  });
  return { ler: len ? dist / len : 0, accuracy: refs.length ? exact / refs.length : 0, utterances: refs.length };
}

/** An utterance's raw log-mel frames [frames, bands] (a view into the corpus). */
const segment = (c: SpeechCorpus, u: SpeechUtterance) => c.features.subarray(u.offset * c.bands, (u.offset + u.frames) * c.bands);

/** Digits as words: [4, 1] → "four one". */
export const digitsToWords = (d: readonly number[]) => d.map((x) => DIGIT_WORDS[x]).join(' ');

/** E_OPTION unless every utterance has its audio in the corpus. */
function checkAudio(c: SpeechCorpus, utts: readonly SpeechUtterance[]): void {
  const a = c.audio;
  if (!a) throw optionError('augment needs the corpus audio (corpus.audio: 16 kHz samples; make-corpus.mjs writes audio.i16)');
  for (const u of utts)
    if (!Number.isInteger(u.sample) || !Number.isInteger(u.samples) || (u.sample ?? 0) < 0 || (u.sample ?? 0) + (u.samples ?? 0) > a.length)
      throw rangeError(`augment: an utterance's audio (sample ${u.sample}, samples ${u.samples}) lies outside corpus.audio (${a.length} samples)`);
}

/** An utterance's 16 kHz samples as floats (int16 audio is value / 32768). */
export function utteranceAudio(c: SpeechCorpus, u: SpeechUtterance): Float32Array {
  const a = c.audio;
  if (!a || u.sample === undefined || u.samples === undefined) throw optionError('the corpus has no audio for this utterance');
  const v = a.subarray(u.sample, u.sample + u.samples);
  if (v instanceof Float32Array) return v.slice();
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / 32768;
  return out;
}

/** The seed of utterance i's augmentation in epoch e. */
export const augmentSeed = (seed: number, epoch: number, i: number) => deriveSeed(deriveSeed(deriveSeed(seed, 0xa06), epoch), i);

/**
 * The training examples of one epoch with augmentation: each utterance's audio through
 * `augmentSpeech` (babble from 3 other training utterances, chosen by the same seed), log-mel,
 * normalisation and stacking as `stackFrames`, then SpecAugment masks (value 0, the mean) on
 * the normalised frames. Yields to the event loop every 8 utterances; `cancelled` stops early.
 */
export async function augmentedExamples(
  c: SpeechCorpus,
  utts: readonly SpeechUtterance[],
  framing: SpeechFraming,
  augment: SpeechAugmentOptions,
  seed: number,
  epoch: number,
  cancelled: () => boolean = () => false,
): Promise<Example[]> {
  const out: Example[] = [];
  for (let i = 0; i < utts.length; i++) {
    if (i % 8 === 7) {
      await new Promise((r) => setTimeout(r, 0)); // an event-loop turn, so a stop is seen
      if (cancelled()) return out;
    }
    const u = utts[i];
    const s = augmentSeed(seed, epoch, i);
    const pick = new Rng(deriveSeed(s, 99));
    const others = utts.length > 1 ? Array.from({ length: 3 }, () => utteranceAudio(c, utts[(i + 1 + pick.below(utts.length - 1)) % utts.length])) : [];
    const a = augmentSpeech(utteranceAudio(c, u), s, augment, others);
    const raw = Object.keys(a.applied).length > 0 ? logMel(a.signal) : segment(c, u);
    const steps = stackedSteps(raw, framing);
    const mask = specAugmentOf(s, augment);
    const frames = raw.length / framing.bands;
    if (mask && frames > 0) {
      const { seed: ms, ...mo } = mask;
      steps.set(specAugment(steps.subarray(0, frames * framing.bands), framing.bands, ms, mo).features);
    }
    const features = withLookahead(steps, framing);
    out.push({ features: features.length ? features : new Float32Array(framing.bands * framing.stack * (1 + (framing.lookahead ?? 0))), labels: u.digits });
  }
  return out;
}

/**
 * A trained digit recognizer: the network (in a Trainer) and its framing.
 * @example
 * ```ts
 * // a corpus of log-mel features (40 bands): two utterances of [frames, 40] back to back
 * const a = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5)));
 * const b = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 9)));
 * const features = new Float32Array(a.length + b.length);
 * features.set(a);
 * features.set(b, a.length);
 * const corpus = { features, bands: 40, utterances: [{ digits: [4, 1], offset: 0, frames: a.length / 40 }, { digits: [2], offset: a.length / 40, frames: b.length / 40 }] };
 * const rec = await SpeechRecognizer.train(corpus, { units: 8, layers: 1, epochs: 2, worker: false });
 * console.log(await rec.transcribeFrames([a])); // digits (after 2 epochs on 2 utterances: anything)
 * const again = await SpeechRecognizer.load(await rec.save(), { worker: false });
 * await again.dispose();
 * await rec.dispose();
 * ```
 */
export class SpeechRecognizer {
  /** The trainer holding the network (log-mel steps in, 10 digits + blank out, CTC). */
  readonly trainer: Trainer;
  /** How audio becomes model steps (stacking and normalisation). */
  readonly framing: SpeechFraming;
  /** false for a streaming (unidirectional) model, which `stream()` can run frame by frame. */
  readonly bidirectional: boolean;

  private constructor(trainer: Trainer, framing: SpeechFraming, bidirectional: boolean) {
    this.trainer = trainer;
    this.framing = framing;
    this.bidirectional = bidirectional;
  }

  /** Trains on the corpus's `train` utterances (all when none is marked). */
  static async train(corpus: SpeechCorpus, opts: SpeechTrainOptions = {}): Promise<SpeechRecognizer> {
    checkKeys('SpeechRecognizer.train', opts, [
      'units',
      'layers',
      'bidirectional',
      'cell',
      'stack',
      'epochs',
      'timeBudgetMs',
      'batchSize',
      'lr',
      'seed',
      'worker',
      'normalize',
      'warmupFrames',
      'lookahead',
      'lrDecay',
      'cleanEpochs',
      'augment',
      'onEpoch',
    ]);
    const train = corpus.utterances.filter((u) => u.split !== 'test');
    if (train.length === 0) throw rangeError('the corpus has no training utterances');
    const stack = opts.stack ?? 3;
    if (!Number.isInteger(stack) || stack < 1 || stack > 16) throw rangeError(`stack = ${stack} must be an integer in [1, 16]`);
    const cell = opts.cell ?? 'gru';
    if (cell !== 'gru' && cell !== 'lstm') throw optionError(`cell must be 'gru' or 'lstm' (got ${String(cell)})`);
    const bidirectional = opts.bidirectional ?? true;
    const normalize = opts.normalize ?? (bidirectional ? 'utterance' : 'causal');
    if (!NORMALIZE.includes(normalize)) throw optionError(`normalize '${String(normalize)}' is not one of ${NORMALIZE.join(', ')}`);
    const warmupFrames = opts.warmupFrames ?? DEFAULT_WARMUP_FRAMES;
    if (!Number.isInteger(warmupFrames) || warmupFrames < 1) throw rangeError(`warmupFrames = ${warmupFrames} must be an integer ≥ 1`);
    const lookahead = opts.lookahead ?? 0;
    if (!Number.isInteger(lookahead) || lookahead < 0 || lookahead > 16) throw rangeError(`lookahead = ${lookahead} must be an integer in [0, 16]`);
    const lrDecay = opts.lrDecay ?? 1;
    if (typeof lrDecay !== 'number' || !(lrDecay > 0 && lrDecay <= 1)) throw rangeError(`lrDecay = ${lrDecay} must be a number in (0, 1]`);
    const per = { bands: corpus.bands, normalize, warmupFrames };
    // the training set's band statistics, over the per-utterance normalised frames
    const normed = corpus.features.slice();
    for (const u of train) normed.set(normalizeUtterance(segment(corpus, u), per), u.offset * corpus.bands);
    const framing: SpeechFraming = { stack, ...per, ...bandStatistics({ ...corpus, features: normed }, train), lookahead };
    const augment = opts.augment ? resolveAugment(opts.augment) : undefined;
    const cleanEpochs = opts.cleanEpochs ?? 0;
    if (!Number.isInteger(cleanEpochs) || cleanEpochs < 0) throw rangeError(`cleanEpochs = ${cleanEpochs} must be an integer ≥ 0`);
    if (augment) checkAudio(corpus, train);
    const examples: Example[] = augment
      ? []
      : train.map((u) => ({
          features: stackFrames(segment(corpus, u), framing),
          labels: u.digits,
        }));
    const t = await createTrainer({ worker: opts.worker ?? false });
    try {
      const rec = { units: opts.units ?? 96, layers: opts.layers ?? 2, bidirectional, returnSequences: true };
      const b = sequential({ input: { features: corpus.bands * stack * (1 + lookahead) } });
      await t.build((cell === 'gru' ? b.gru(rec) : b.lstm(rec)).dense({ units: CLASSES }), { seed: opts.seed ?? 1 });
      await t.compile({
        loss: 'ctc',
        ctc: { blank: BLANK, zeroInfinity: true },
        optimizer: adam(opts.lr ?? TASK_TRAINING.speech.lr),
        clipNorm: TASK_TRAINING.speech.clipNorm,
        ...(lrDecay < 1 ? { schedule: { name: 'exponential' as const, gamma: lrDecay } } : {}),
      });
      const frames = train.reduce((a, u) => a + u.frames, 0);
      const t0 = performance.now();
      const epochs = opts.epochs ?? 30;
      const seed = opts.seed ?? 1;
      const report = (epoch: number, loss: number) => {
        const ms = performance.now() - t0;
        opts.onEpoch?.({ epoch, loss, elapsedMs: ms, framesPerSecond: (frames * (epoch + 1)) / (ms / 1000) });
      };
      // epochs: 0 leaves the model untrained
      if (epochs > 0 && !augment)
        await t.fit(examples, {
          epochs,
          batchSize: opts.batchSize ?? 16,
          seed,
          // whole epochs: stop after the epoch that passes the budget
          hooks: opts.timeBudgetMs === undefined ? undefined : { stopAfterMs: opts.timeBudgetMs },
          onProgress: (e) => {
            if (e.type === 'epoch') report(e.epoch, e.loss);
          },
        });
      else if (epochs > 0 && augment) {
        // one fit per epoch on that epoch's augmented examples (the optimizer state carries over);
        // the next epoch's examples are made while this one trains
        // (the first cleanEpochs epochs train on the clean audio: a start without augmentation)
        let stop = false;
        let clean: Example[] | undefined;
        const epochExamples = async (e: number) => {
          if (e >= cleanEpochs) return augmentedExamples(corpus, train, framing, augment, seed, e, () => stop);
          clean ??= train.map((u) => ({ features: stackFrames(segment(corpus, u), framing), labels: u.digits }));
          return clean;
        };
        let next = epochExamples(0);
        try {
          for (let e = 0; e < epochs; e++) {
            const started = performance.now();
            const ex = await next;
            if (e + 1 < epochs) next = epochExamples(e + 1);
            const r = await t.fit(ex, { epochs: 1, batchSize: opts.batchSize ?? 16, seed: deriveSeed(seed, e) });
            report(e, r.history[r.history.length - 1]?.loss ?? Number.NaN);
            // stop when the next epoch, as long as this one, would pass the budget
            const now = performance.now();
            if (opts.timeBudgetMs !== undefined && now - t0 + (now - started) > opts.timeBudgetMs) break;
          }
        } finally {
          stop = true;
          await next.catch(() => undefined);
        }
      }
      return new SpeechRecognizer(t, framing, bidirectional);
    } catch (e) {
      await t.dispose();
      throw e;
    }
  }

  /** Transcribes log-mel utterances (each [frames, bands]); greedy, or beam search with beam > 1. */
  async transcribeFrames(utts: readonly Float32Array[], opts: { beam?: number } = {}): Promise<number[][]> {
    const f = this.framing;
    const out: number[][] = [];
    for (let i = 0; i < utts.length; i += 64) {
      const chunk = utts.slice(i, i + 64).map((x) => stackFrames(x, f));
      const width = f.bands * f.stack * (1 + (f.lookahead ?? 0));
      const lengths = chunk.map((x) => Math.max(1, x.length / width));
      const steps = Math.max(...lengths);
      const features = new Float32Array(chunk.length * steps * width);
      chunk.forEach((x, r) => {
        features.set(x, r * steps * width);
      });
      const hyps = await this.trainer.ctcDecode({ features, batch: chunk.length, steps, lengths }, { beam: opts.beam ?? 1 });
      for (const h of hyps) out.push(h[0]?.labels ?? []);
    }
    return out;
  }

  /** Transcribes a WAV file (any PCM or float WAV; resampled to 16 kHz). E_FORMAT if not a WAV. */
  async transcribeWav(bytes: Uint8Array, opts: { beam?: number } = {}): Promise<number[]> {
    const samples = decodeWav16k(bytes);
    const [d] = await this.transcribeFrames([logMel(samples)], opts);
    return d;
  }

  /** Scores the corpus's utterances `utts`: label error rate and accuracy. */
  async score(corpus: SpeechCorpus, utts: readonly SpeechUtterance[], opts: { beam?: number } = {}): Promise<SpeechScore> {
    const frames = utts.map((u) => segment(corpus, u));
    return scoreTranscripts(
      utts.map((u) => u.digits),
      await this.transcribeFrames(frames, opts),
    );
  }

  /**
   * Streaming transcription (unidirectional models only): push 16 kHz samples as they arrive;
   * each push returns the digits recognised so far (the whole transcript).
   */
  async stream(): Promise<SpeechStream> {
    if (this.bidirectional) throw optionError('streaming needs a unidirectional model (train with bidirectional: false)');
    if (this.framing.normalize === 'utterance')
      throw optionError("streaming cannot normalise over the whole utterance (train the streaming model with normalize 'causal' or 'none')");
    await this.trainer.resetState();
    return new SpeechStream(this.trainer, this.framing);
  }

  /** The model file: the network's recurrent/1 file with the framing in metadata `speech`. */
  async save(): Promise<Uint8Array> {
    const f = decodeSafetensors(await this.trainer.save({ training: false }));
    const meta = { ...f.metadata };
    meta.compile = JSON.stringify({ loss: 'ctc', ctc: { blank: BLANK, zeroInfinity: true } });
    meta.speech = JSON.stringify({ format: FORMAT, ...this.framing, blank: BLANK, labels: DIGIT_WORDS, bidirectional: this.bidirectional });
    const tensors: [string, TensorIn][] = [];
    for (const [name, t] of f.tensors) tensors.push([name, { dtype: 'F32', shape: t.shape, data: t.data as Float32Array }]);
    return encodeSafetensors(tensors, meta);
  }

  /** Loads a file written by `save`. E_FORMAT for anything else. */
  static async load(bytes: Uint8Array, opts: { worker?: boolean } = {}): Promise<SpeechRecognizer> {
    const f = decodeSafetensors(bytes);
    let s: {
      format?: string;
      stack: number;
      bands: number;
      mean: number[];
      std: number[];
      bidirectional: boolean;
      normalize?: SpeechNormalize;
      warmupFrames?: number;
      lookahead?: number;
    };
    try {
      s = JSON.parse(f.metadata.speech ?? 'null');
    } catch {
      throw formatError("the model file's metadata 'speech' is not valid JSON");
    }
    if (!s || s.format !== FORMAT) throw formatError('not a speech model file (no speech metadata; train one with `recurrent speech train`)');
    if (!Number.isInteger(s.stack) || s.stack < 1 || s.stack > 16 || !Number.isInteger(s.bands) || s.bands < 1)
      throw formatError('the speech metadata needs an integer stack in [1, 16] and bands ≥ 1');
    if (!Array.isArray(s.mean) || s.mean.length !== s.bands || !Array.isArray(s.std) || s.std.length !== s.bands)
      throw formatError('the speech metadata has no per-band mean and std');
    // files written before per-utterance normalisation have no `normalize`: they were trained without it
    const normalize = s.normalize ?? 'none';
    if (!NORMALIZE.includes(normalize)) throw formatError(`the speech metadata's normalize '${String(normalize)}' is not one of ${NORMALIZE.join(', ')}`);
    const warmupFrames = s.warmupFrames ?? DEFAULT_WARMUP_FRAMES;
    if (!Number.isInteger(warmupFrames) || warmupFrames < 1)
      throw formatError(`the speech metadata's warmupFrames ${String(warmupFrames)} is not an integer ≥ 1`);
    const lookahead = s.lookahead ?? 0;
    if (!Number.isInteger(lookahead) || lookahead < 0 || lookahead > 16)
      throw formatError(`the speech metadata's lookahead ${String(lookahead)} is not an integer in [0, 16]`);
    const t = await createTrainer({ worker: opts.worker ?? false });
    try {
      await t.load(bytes);
    } catch (e) {
      await t.dispose();
      throw e;
    }
    return new SpeechRecognizer(t, { stack: s.stack, bands: s.bands, mean: s.mean, std: s.std, normalize, warmupFrames, lookahead }, s.bidirectional);
  }

  /** Frees the model and ends its worker. */
  dispose(): Promise<void> {
    return this.trainer.dispose();
  }
}

/**
 * Incremental transcription: samples in, digits out (see `SpeechRecognizer.stream`).
 * @example
 * ```ts
 * // a corpus of log-mel features (40 bands): two utterances of [frames, 40] back to back
 * const a = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5)));
 * const b = logMel(Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 9)));
 * const features = new Float32Array(a.length + b.length);
 * features.set(a);
 * features.set(b, a.length);
 * const corpus = { features, bands: 40, utterances: [{ digits: [4, 1], offset: 0, frames: a.length / 40 }, { digits: [2], offset: a.length / 40, frames: b.length / 40 }] };
 * const rec = await SpeechRecognizer.train(corpus, { units: 8, layers: 1, epochs: 1, bidirectional: false, worker: false });
 * const stream = await rec.stream(); // a unidirectional model transcribes as audio arrives
 * const audio = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5));
 * for (let i = 0; i < audio.length; i += 1600) console.log(await stream.push(audio.subarray(i, i + 1600))); // the digits so far
 * console.log(await stream.end());
 * await rec.dispose();
 * ```
 */
export class SpeechStream {
  readonly #t: Trainer;
  readonly #f: SpeechFraming;
  readonly #mel: LogMelStream;
  #pending: number[] = [];
  /** Normalised steps waiting for their lookahead (at most lookahead + 1). */
  #ahead: Float32Array[] = [];
  #prev = BLANK;
  /** The digits transcribed so far. */
  readonly digits: number[] = [];

  /** A stream over a streaming recognizer's trainer (usually made by `SpeechRecognizer.stream()`). */
  constructor(trainer: Trainer, framing: SpeechFraming) {
    this.#t = trainer;
    this.#f = framing;
    if (framing.normalize === 'utterance') throw optionError("a SpeechStream cannot normalise over the whole utterance (normalize must be 'causal' or 'none')");
    this.#mel = new LogMelStream(framing.normalize === 'causal' ? { normalize: 'causal', warmupFrames: framing.warmupFrames ?? DEFAULT_WARMUP_FRAMES } : {});
  }

  /** Feeds 16 kHz samples; returns the transcript so far. */
  async push(samples: Float32Array): Promise<number[]> {
    const frames = this.#mel.push(samples);
    for (const v of frames) this.#pending.push(v);
    const width = this.#f.bands * this.#f.stack;
    while (this.#pending.length >= width) await this.#step(this.#pending.splice(0, width));
    return [...this.digits];
  }

  /** Flushes a partial step (padded as `stackFrames` pads) and returns the final transcript. */
  async end(): Promise<number[]> {
    // frames still held by the causal normalisation's warm-up (an utterance shorter than it)
    for (const v of this.#mel.flush()) this.#pending.push(v);
    const width = this.#f.bands * this.#f.stack;
    while (this.#pending.length >= width) await this.#step(this.#pending.splice(0, width));
    if (this.#pending.length > 0) await this.#step(this.#pending.splice(0));
    // the last steps, with zeros for the future past the end (as withLookahead)
    while (this.#ahead.length > 0) await this.#predict();
    return [...this.digits];
  }

  /** One step from up to `stack` (already per-utterance normalised) frames (fewer at the end: the rest is zeros, as in stackFrames). */
  async #step(raw: number[]): Promise<void> {
    const f = this.#f;
    const x = new Float32Array(f.bands * f.stack);
    for (let i = 0; i < raw.length; i++) x[i] = (raw[i] - f.mean[i % f.bands]) / f.std[i % f.bands];
    this.#ahead.push(x);
    if (this.#ahead.length > (f.lookahead ?? 0)) await this.#predict();
  }

  /** The model's step on the oldest waiting step and the ones after it (its lookahead), then greedy decoding. */
  async #predict(): Promise<void> {
    const f = this.#f;
    const w = f.bands * f.stack;
    const x = new Float32Array(w * (1 + (f.lookahead ?? 0)));
    this.#ahead.forEach((s, i) => {
      x.set(s, i * w);
    });
    this.#ahead.shift();
    const y = await this.#t.predictStep({ features: x, batch: 1, steps: 1 });
    let best = 0;
    for (let k = 1; k < y.length; k++) if (y[k] > y[best]) best = k;
    if (best !== BLANK && best !== this.#prev) this.digits.push(best);
    this.#prev = best;
  }
}
