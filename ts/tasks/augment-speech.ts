// The speech training pipeline's augmentation chain (each step from the SDK's audio augmentations, ts/audio/augment.ts), applied
// to an utterance's 16 kHz samples in this order, each with its own probability (none at all, and no
// SpecAugment, for the `clean` share of the utterances):
//   speed → tempo → pitch → filter → reverb → noise → gain
// and SpecAugment on the log-mel features afterwards (`specAugmentOf`). Every draw comes from
// deriveSeed(seed, step): the same (seed, options) gives the same audio on every runtime, and
// turning one step off does not change the others' draws.
import { checkKeys, numIn, optionError } from '../errors.js';
import {
  addNoise,
  babbleNoise,
  deriveSeed,
  pinkNoise,
  pitchShift,
  Rng,
  randomFilter,
  reverberate,
  type SpecAugmentOptions,
  speedPerturb,
  timeStretch,
  whiteNoise,
} from '../index.js';

/** A step of `SpeechAugmentOptions`: its probability of being applied to an utterance. */
export interface AugmentStep {
  /** Chance in [0, 1] that an utterance gets this step. */
  prob?: number;
}

/** A step whose amount is drawn uniformly in [min, max] (a speed factor or a tempo rate). */
export interface AugmentRangeStep extends AugmentStep {
  /** The lowest amount. */
  min?: number;
  /** The highest amount. */
  max?: number;
}

/** Pitch shift uniform in [−semitones, semitones]. */
export interface PitchStep extends AugmentStep {
  /** The widest shift, in semitones (at most 12). */
  semitones?: number;
}

/** Reverberation whose rt60 is uniform in [minRt60, maxRt60] seconds. */
export interface ReverbStep extends AugmentStep {
  /** The shortest reverberation time, s. */
  minRt60?: number;
  /** The longest reverberation time, s. */
  maxRt60?: number;
}

/** Additive noise at an SNR uniform in [minSnrDb, maxSnrDb] dB, of a type drawn from `types`. */
export interface NoiseStep extends AugmentStep {
  /** The lowest signal-to-noise ratio, dB. */
  minSnrDb?: number;
  /** The highest signal-to-noise ratio, dB. */
  maxSnrDb?: number;
  /** The noise types drawn from (babble needs other utterances; skipped without). */
  types?: readonly NoiseType[];
}

/** Gain uniform in [minDb, maxDb] dB. */
export interface GainStep extends AugmentStep {
  /** The lowest gain, dB. */
  minDb?: number;
  /** The highest gain, dB. */
  maxDb?: number;
}

/** SpecAugment masks on the log-mel features, with a probability. */
export interface SpecAugmentStep extends AugmentStep, SpecAugmentOptions {}

/** Options of the augmentation chain (`augmentSpeech`): each step is off when `false` (its defaults otherwise). */
export interface SpeechAugmentOptions {
  /** Chance in [0, 1] that an utterance is left clean in an epoch: no step and no SpecAugment
   * (drawn from deriveSeed(seed, 8), before the steps; the steps' own draws do not change).
   * Some clean audio each epoch keeps the model sharp on clean voices (`speech train` uses 0.3). @default 0 */
  clean?: number;
  /** Speed perturbation (tempo and pitch together) by a factor uniform in [min, max]. @default { prob: 0.5, min: 0.9, max: 1.1 } */
  speed?: false | AugmentRangeStep;
  /** Tempo change at constant pitch (WSOLA) by a rate uniform in [min, max]. @default { prob: 0.3, min: 0.85, max: 1.15 } */
  tempo?: false | AugmentRangeStep;
  /** Pitch shift at constant duration. @default { prob: 0.3, semitones: 3 } */
  pitch?: false | PitchStep;
  /** A random low-pass, high-pass or peaking EQ (`randomFilter`). @default { prob: 0.3 } */
  filter?: false | AugmentStep;
  /** Reverberation with a synthetic impulse response. @default { prob: 0.3, minRt60: 0.1, maxRt60: 0.6 } */
  reverb?: false | ReverbStep;
  /** Additive noise (white, pink, babble of other utterances). @default { prob: 0.5, minSnrDb: 5, maxSnrDb: 30, types: ['white', 'pink', 'babble'] } */
  noise?: false | NoiseStep;
  /** Gain. @default { prob: 0.5, minDb: -30, maxDb: 6 } */
  gain?: false | GainStep;
  /** SpecAugment masks on the log-mel features (`specAugment`'s options). @default { prob: 0.5, freqMasks: 2, freqWidth: 6, timeMasks: 2, timeWidth: 10 } */
  specAugment?: false | SpecAugmentStep;
}

/** Additive noise kinds: white, pink (1/f), babble (other utterances summed). */
export type NoiseType = 'white' | 'pink' | 'babble';

/** What {@link augmentSpeech} did to one utterance: each applied step with its drawn value. */
export interface AugmentRecord {
  speed?: number;
  tempo?: number;
  pitch?: number;
  filter?: string;
  reverb?: number;
  noise?: { type: NoiseType; snrDb: number };
  gainDb?: number;
}

const STEPS = ['speed', 'tempo', 'pitch', 'filter', 'reverb', 'noise', 'gain', 'specAugment'] as const;
const DEFAULTS = {
  speed: { prob: 0.5, min: 0.9, max: 1.1 },
  tempo: { prob: 0.3, min: 0.85, max: 1.15 },
  pitch: { prob: 0.3, semitones: 3 },
  filter: { prob: 0.3 },
  reverb: { prob: 0.3, minRt60: 0.1, maxRt60: 0.6 },
  noise: { prob: 0.5, minSnrDb: 5, maxSnrDb: 30, types: ['white', 'pink', 'babble'] as readonly NoiseType[] },
  gain: { prob: 0.5, minDb: -30, maxDb: 6 },
  specAugment: { prob: 0.5, freqMasks: 2, freqWidth: 6, timeMasks: 2, timeWidth: 10 },
};
type Resolved = { [K in keyof typeof DEFAULTS]: false | (typeof DEFAULTS)[K] } & { clean: number };

/** The options with their defaults filled in and checked (E_OPTION for an unknown key, E_RANGE for a bad value). */
export function resolveAugment(o: SpeechAugmentOptions = {}): Resolved {
  checkKeys('augment', o, ['clean', ...STEPS]);
  const out = { clean: numIn('augment.clean', o.clean, 0, 1 + Number.EPSILON, 0) } as Record<string, unknown>;
  for (const k of STEPS) {
    const v = o[k];
    if (v === false) {
      out[k] = false;
      continue;
    }
    if (v !== undefined && (typeof v !== 'object' || v === null)) throw optionError(`augment.${k} must be an object of options or false`);
    const d = DEFAULTS[k] as Record<string, unknown>;
    if (v) checkKeys(`augment.${k}`, v, Object.keys(d));
    const m = { ...d, ...(v ?? {}) } as Record<string, number> & { types?: readonly NoiseType[] };
    numIn(`augment.${k}.prob`, m.prob, 0, 1 + Number.EPSILON);
    out[k] = m;
  }
  const r = out as Resolved;
  const range = (k: string, lo: number, hi: number, a: number, b: number) => {
    numIn(`augment.${k} min`, a, lo, hi + Number.EPSILON);
    numIn(`augment.${k} max`, b, a, hi + Number.EPSILON);
  };
  if (r.speed) range('speed', 0.5, 2, r.speed.min, r.speed.max);
  if (r.tempo) range('tempo', 0.5, 2, r.tempo.min, r.tempo.max);
  if (r.pitch) numIn('augment.pitch.semitones', r.pitch.semitones, 0, 12 + Number.EPSILON);
  if (r.reverb) range('reverb', 0.01, 5, r.reverb.minRt60, r.reverb.maxRt60);
  if (r.noise) {
    range('noise', -100, 200, r.noise.minSnrDb, r.noise.maxSnrDb);
    if (!Array.isArray(r.noise.types) || r.noise.types.length === 0 || r.noise.types.some((t) => t !== 'white' && t !== 'pink' && t !== 'babble'))
      throw optionError(`augment.noise.types must be a non-empty list of 'white', 'pink', 'babble' (got ${JSON.stringify(r.noise.types)})`);
  }
  if (r.gain) range('gain', -200, 200, r.gain.minDb, r.gain.maxDb);
  return r;
}

/** Whether the utterance of `seed` stays clean this epoch (chance `clean`). */
const isClean = (seed: number, clean: number) => clean > 0 && new Rng(deriveSeed(seed, 8)).next() < clean;

/**
 * One utterance's 16 kHz samples through the chain (a fresh array; the input when nothing
 * applies). `others` are the utterances babble is made from (babble is skipped without them).
 * Returns the audio and a record of every step applied with the value drawn.
 */
export function augmentSpeech(
  signal: Float32Array,
  seed: number,
  opts: SpeechAugmentOptions | Resolved = {},
  others: readonly Float32Array[] = [],
): { signal: Float32Array; applied: AugmentRecord } {
  const o = resolveAugment(opts as SpeechAugmentOptions);
  const applied: AugmentRecord = {};
  if (isClean(seed, o.clean)) return { signal, applied };
  let x = signal;
  const draw = (step: number) => new Rng(deriveSeed(seed, step));
  const on = (r: Rng, p: false | { prob: number }) => p !== false && r.next() < p.prob;
  const uniform = (r: Rng, a: number, b: number) => a + (b - a) * r.next();
  let r = draw(0);
  if (on(r, o.speed) && o.speed) {
    const s = speedPerturb(x, uniform(r, o.speed.min, o.speed.max));
    x = s.signal;
    applied.speed = s.factor;
  }
  r = draw(1);
  if (on(r, o.tempo) && o.tempo) {
    applied.tempo = uniform(r, o.tempo.min, o.tempo.max);
    x = timeStretch(x, applied.tempo);
  }
  r = draw(2);
  if (on(r, o.pitch) && o.pitch) {
    applied.pitch = uniform(r, -o.pitch.semitones, o.pitch.semitones);
    x = pitchShift(x, applied.pitch);
  }
  r = draw(3);
  if (on(r, o.filter)) {
    const f = randomFilter(x, deriveSeed(seed, 13));
    x = f.signal;
    applied.filter = `${f.filter.type} ${Math.round(f.filter.hz)} Hz${f.filter.type === 'peak' ? ` ${f.filter.gainDb.toFixed(1)} dB` : ''}`;
  }
  r = draw(4);
  if (on(r, o.reverb) && o.reverb) {
    applied.reverb = uniform(r, o.reverb.minRt60, o.reverb.maxRt60);
    x = reverberate(x, applied.reverb, deriveSeed(seed, 14));
  }
  r = draw(5);
  if (on(r, o.noise) && o.noise && x.length > 0) {
    const types = o.noise.types.filter((t) => t !== 'babble' || others.length > 0);
    const type = types.length ? types[r.below(types.length)] : undefined;
    const snrDb = uniform(r, o.noise.minSnrDb, o.noise.maxSnrDb);
    const s = deriveSeed(seed, 15);
    const noise =
      type === 'white'
        ? whiteNoise(x.length, s)
        : type === 'pink'
          ? pinkNoise(x.length, s)
          : type === 'babble'
            ? babbleNoise(others, x.length, s).noise
            : undefined;
    let silent = true;
    for (let i = 0; i < x.length && silent; i++) silent = x[i] === 0;
    if (type && noise && !silent) {
      x = addNoise(x, noise, snrDb);
      applied.noise = { type, snrDb };
    }
  }
  r = draw(6);
  if (on(r, o.gain) && o.gain) {
    applied.gainDb = uniform(r, o.gain.minDb, o.gain.maxDb);
    const g = 10 ** (applied.gainDb / 20);
    const y = new Float32Array(x.length);
    for (let i = 0; i < y.length; i++) y[i] = x[i] * g;
    x = y;
  }
  return { signal: x, applied };
}

/** SpecAugment's options for an utterance, or undefined when its draw skips it (from deriveSeed(seed, 7)). */
export function specAugmentOf(seed: number, opts: SpeechAugmentOptions | Resolved = {}): (SpecAugmentOptions & { seed: number }) | undefined {
  const all = resolveAugment(opts as SpeechAugmentOptions);
  const o = all.specAugment;
  if (o === false || isClean(seed, all.clean)) return undefined;
  const r = new Rng(deriveSeed(seed, 7));
  if (r.next() >= o.prob) return undefined;
  const { prob: _, ...mask } = o;
  return { ...mask, seed: deriveSeed(seed, 17) };
}
