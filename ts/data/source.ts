// Training data as plain, structured-cloneable descriptions (so they can cross into a
// worker), and the batching that turns them into model batches.
//
// - `windows`: next-token language modelling over one long id stream: each example is
//   ids[o, o+T) → targets ids[o+1, o+T+1). Offsets are random per epoch (seeded) or the
//   non-overlapping tiling of the stream (`random: false`, as for validation).
// - `examples`: a list of variable-length sequences, padded per batch with per-row lengths
//   (masks). Targets: one class per step, one class per sequence, regression values, or an
//   unaligned label sequence (CTC: class targets [B, S], labels then −100 padding).
import { boolOpt, countOpt } from '../check.js';
import { checkKeys, optionError, rangeError, shapeError } from '../errors.js';
import type { BatchInput, BatchTargets } from '../model.js';
import { deriveSeed, Rng } from './rng.js';

/**
 * One training example for {@link examples}: `ids` (token models) or `features` (feature
 * models), and one kind of target, the same kind for every example of a data set.
 */
export interface Example {
  /** Token ids, one per step. */
  ids?: ArrayLike<number>;
  /** Features [T·F], row-major. */
  features?: ArrayLike<number>;
  /** One class for the whole sequence (many-to-one models). */
  target?: number;
  /** One class per step (−100 ignores a step). */
  targets?: ArrayLike<number>;
  /** Regression targets: [T·O] per step, or [O] for the whole sequence. */
  values?: ArrayLike<number>;
  /**
   * A label sequence of any length up to the example's steps, not aligned to them (the `ctc`
   * loss): labels in [0, classes) other than the blank. Batches carry them as class targets
   * [B, S], each row's labels then −100 padding.
   */
  labels?: ArrayLike<number>;
}

/**
 * Next-token windows over one long id stream, made by {@link textWindows}. Plain and
 * structured-cloneable (it crosses into a worker).
 */
export interface WindowsData {
  /** Discriminates {@link DataSpec}. */
  kind: 'windows';
  /** The id stream. */
  ids: Uint32Array;
  /** Window length T: each example is ids[o, o+T) → targets ids[o+1, o+T+1). */
  steps: number;
  /**
   * Random offsets each epoch; false tiles the stream without overlap.
   * @default true
   */
  random: boolean;
  /**
   * Windows per epoch when random.
   * @default as many as tile the stream, ⌊(n − 1) / steps⌋
   */
  windowsPerEpoch: number;
}

/** A list of variable-length examples, made by {@link examples}. Plain and structured-cloneable. */
export interface ExamplesData {
  /** Discriminates {@link DataSpec}. */
  kind: 'examples';
  /** The examples; each batch is padded to its longest one, with per-row lengths. */
  examples: Example[];
  /**
   * Features per step for feature models.
   * @default the model's `input.features`
   */
  featureDim?: number;
  /**
   * Training batches of rows of similar length (`bucketedBatches`): less padding, and
   * data-parallel replicas' row shards of a batch cost about the same.
   * @default false
   */
  byLength?: boolean;
}

/** A training or validation data set: {@link WindowsData} or {@link ExamplesData}. */
export type DataSpec = WindowsData | ExamplesData;

/** Anything `fit`/`evaluate` accept: a data description or a plain list of examples. */
export type DataLike = DataSpec | Example[];

/** One padded batch as the fit loop trains it. */
export interface TrainBatch {
  /** The model input. */
  input: BatchInput;
  /** The targets. */
  targets: BatchTargets;
  /** Valid tokens (steps) in the batch, for tokens/s. */
  tokens: number;
}

/**
 * Next-token windows over a long id stream (character or token language modelling): each
 * example is `ids[o, o+steps)` with targets `ids[o+1, o+steps+1)`. With `random` (the default)
 * each epoch draws `windowsPerEpoch` offsets at random (seeded by `fit`'s seed and the epoch);
 * `random: false` tiles the stream without overlap (use it for validation). Needs at least
 * `steps + 1` ids (E_RANGE).
 * @param opts.steps the window length T
 * @param opts.random random offsets per epoch (default true) or the tiling
 * @param opts.windowsPerEpoch windows per epoch when random (default: as many as tile the stream, ⌊(n − 1) / steps⌋)
 * @example
 * ```ts
 * const text = 'the quick brown fox jumps over the lazy dog. '.repeat(20);
 * const vocab = Vocabulary.fromText(text);
 * const train = textWindows(vocab.encode(text.slice(0, 800)), { steps: 16 });
 * const validation = textWindows(vocab.encode(text.slice(800)), { steps: 16, random: false });
 * const trainer = await createTrainer({ worker: false });
 * await trainer.build(sequential({ input: { vocab: vocab.size } }).embedding({ dim: 8 }).gru({ units: 16 }).dense({ units: vocab.size }), { seed: 1 });
 * await trainer.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
 * await trainer.fit(train, { epochs: 1, batchSize: 8, validation });
 * await trainer.dispose();
 * ```
 */
export function textWindows(ids: ArrayLike<number>, opts: { steps: number; random?: boolean; windowsPerEpoch?: number }): WindowsData {
  checkKeys('textWindows', opts, ['steps', 'random', 'windowsPerEpoch']);
  const steps = countOpt('textWindows.steps', opts.steps);
  const random = boolOpt('textWindows.random', opts.random, true);
  const arr = ids instanceof Uint32Array ? ids : idsOf(ids);
  if (arr.length < steps + 1) throw rangeError(`textWindows needs at least steps + 1 = ${steps + 1} ids (got ${arr.length})`);
  const tiles = Math.floor((arr.length - 1) / steps);
  const windowsPerEpoch = countOpt('textWindows.windowsPerEpoch', opts.windowsPerEpoch, tiles);
  if (windowsPerEpoch > MAX_WINDOWS_PER_EPOCH)
    throw rangeError(`textWindows.windowsPerEpoch must be at most 2^24 = ${MAX_WINDOWS_PER_EPOCH} (got ${windowsPerEpoch}); train more epochs instead`);
  return { kind: 'windows', ids: arr, steps, random, windowsPerEpoch };
}

/** The largest of `values` and `floor`, by a loop (spreading 200,000 values into Math.max
 * overflows the call stack). */
export function maxOf(values: ArrayLike<number>, floor: number): number {
  let m = floor;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/** Most windows one epoch of `textWindows` may draw (the CLI's --steps-per-epoch cap too): the
 * epoch's order is filled up front, 4 bytes a window. */
export const MAX_WINDOWS_PER_EPOCH = 2 ** 24;

/** Token ids as a Uint32Array, each checked: an integer in [0, 2^32) (NaN, 2.7, -1 and 2^32 + 2
 * are E_RANGE naming the position, not coerced). */
function idsOf(ids: ArrayLike<number>): Uint32Array {
  if (ids === null || typeof ids !== 'object' || typeof (ids as { length?: unknown }).length !== 'number')
    throw optionError('textWindows takes the token ids as an array or Uint32Array');
  const out = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rangeError(`textWindows: id ${i} must be an integer in [0, 2^32) (got ${String(v)})`);
    out[i] = v;
  }
  return out;
}

/**
 * A data set of variable-length examples (sequence labelling, sequence classification,
 * regression). Each batch is padded to its longest row with per-row lengths, so padded steps
 * never count. Targets: `targets` (one class per step), `target` (one class per sequence, for a
 * model with `returnSequences: false`) or `values` (regression). A plain array of examples is
 * accepted wherever this is. An empty list is E_RANGE.
 * @param opts.featureDim features per step of feature examples (default: the model's input.features)
 * @param opts.byLength training batches of rows of similar length, in a shuffled order (default false: rows shuffled)
 * @example
 * ```ts
 * // tag every step: ids → one class per step
 * const tagged = examples([{ ids: [3, 1, 4], targets: [0, 1, 0] }, { ids: [1, 5], targets: [1, 1] }]);
 * // classify each sequence (features, 2 per step)
 * const labelled = examples([{ features: [0.1, 0.2, 0.3, 0.4], target: 1 }, { features: [0.5, 0.6], target: 0 }]);
 * ```
 */
export function examples(list: Example[], opts: { featureDim?: number; byLength?: boolean } = {}): ExamplesData {
  if (!Array.isArray(list)) throw optionError('examples() takes an array of examples');
  if (list.length === 0) throw rangeError('the data set is empty');
  return { kind: 'examples', examples: list, featureDim: opts.featureDim, ...(opts.byLength ? { byLength: true } : {}) };
}

/**
 * A {@link DataSpec} from anything `fit` accepts; E_OPTION otherwise.
 * @internal
 */
export function asDataSpec(d: DataLike): DataSpec {
  if (Array.isArray(d)) return examples(d);
  if (d && (d.kind === 'windows' || d.kind === 'examples')) return d;
  throw optionError('data must be an array of examples, examples(...), or textWindows(...)');
}

/** Number of examples one epoch visits. */
export function epochSize(d: DataSpec): number {
  return d.kind === 'windows' ? (d.random ? d.windowsPerEpoch : Math.floor((d.ids.length - 1) / d.steps)) : d.examples.length;
}

/**
 * Batches one epoch of `d` takes at `batchSize` (the last one may be smaller).
 * @example
 * ```ts
 * console.log(batchesPerEpoch(examples([{ ids: [1, 2], target: 0 }, { ids: [3], target: 1 }, { ids: [4], target: 0 }]), 2)); // 2
 * ```
 */
export function batchesPerEpoch(d: DataSpec, batchSize: number): number {
  return Math.ceil(epochSize(d) / batchSize);
}

/** Order of examples (or window offsets) in one epoch, deterministic in (seed, epoch); with
 * `byLength` examples and `batchSize`, its batches (consecutive runs of `batchSize`) hold rows
 * of similar length, a short batch last. */
export function epochOrder(d: DataSpec, epoch: number, shuffle: boolean, seed: number, batchSize?: number): Uint32Array {
  const n = epochSize(d);
  const rng = new Rng(deriveSeed(seed, epoch));
  if (d.kind === 'windows') {
    const out = new Uint32Array(n);
    const maxOff = d.ids.length - d.steps - 1;
    for (let i = 0; i < n; i++) out[i] = d.random ? rng.below(maxOff + 1) : i * d.steps;
    return out;
  }
  if (shuffle && d.byLength && batchSize !== undefined) {
    const batches = bucketedBatches(
      d.examples.map((e) => (e.ids ?? e.features)?.length ?? 0),
      batchSize,
      rng,
    );
    // at most one batch is short (the last window's last): it goes last, so every run of
    // batchSize rows in the order is one batch
    const short = batches.findIndex((b) => b.length < batchSize);
    if (short >= 0) batches.push(...batches.splice(short, 1));
    return Uint32Array.from(batches.flat());
  }
  const out = new Uint32Array(n).map((_, i) => i);
  if (shuffle) rng.shuffle(out);
  return out;
}

/**
 * Batches for one epoch: the rows shuffled, then sorted by length inside windows of 32
 * batches, cut into batches, and the batches shuffled (deterministic in `rng`).
 * @example
 * ```ts
 * const batches = bucketedBatches([5, 3, 9, 4, 8, 2], 2, new Rng(1)); // rows of similar length together
 * console.log(batches); // e.g. [[5, 1], [0, 3], [4, 2]]: indices, every row once
 * ```
 */
export function bucketedBatches(lengths: ArrayLike<number>, batchSize: number, rng: Rng): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  rng.shuffle(order);
  const batches: number[][] = [];
  const win = batchSize * 32;
  for (let i = 0; i < order.length; i += win) {
    const part = order.slice(i, i + win).sort((a, b) => lengths[a] - lengths[b]);
    for (let j = 0; j < part.length; j += batchSize) batches.push(part.slice(j, j + batchSize));
  }
  rng.shuffle(batches);
  return batches;
}

/**
 * What batching needs to know of the model.
 * @internal
 */
export interface ModelShape {
  /** Features per step (feature models). */
  featureDim?: number;
  /** Token ids per step (token models with `input.slots`; default 1): an example's `ids` hold
   * its length × slots ids, step by step. */
  slots?: number;
  /** Output per step (true) or per sequence. */
  seqOutput: boolean;
  outDim: number;
}

/** A class target: an integer id, or −100 to ignore the row (NaN, 1.5, 2^32 + 1 are E_RANGE). */
function classId(v: number, example: number): number {
  if (!Number.isInteger(v) || v < -100 || v > 0x7fff_ffff)
    throw rangeError(`example ${example}: class target ${v} is not a class id (an integer ≥ 0, or −100 to ignore)`);
  return v;
}

/** The `index`-th batch of an epoch order. */
export function makeBatch(d: DataSpec, order: Uint32Array, index: number, batchSize: number, shape: ModelShape): TrainBatch {
  const rows = order.subarray(index * batchSize, Math.min(order.length, (index + 1) * batchSize));
  if (d.kind === 'windows') return windowBatch(d, rows);
  return exampleBatch(d.examples, rows, { ...shape, featureDim: d.featureDim ?? shape.featureDim });
}

function windowBatch(d: WindowsData, offsets: Uint32Array): TrainBatch {
  const b = offsets.length;
  const t = d.steps;
  const ids = new Uint32Array(b * t);
  const classes = new Int32Array(b * t);
  for (let r = 0; r < b; r++) {
    const o = offsets[r];
    ids.set(d.ids.subarray(o, o + t), r * t);
    for (let k = 0; k < t; k++) classes[r * t + k] = d.ids[o + k + 1];
  }
  return { input: { ids, batch: b, steps: t }, targets: { classes }, tokens: b * t };
}

function len(e: Example, i: number, featureDim: number | undefined, slots = 1): number {
  if (e.ids) {
    if (e.ids.length % slots !== 0) throw shapeError(`example ${i}: ids has ${e.ids.length} ids, not a multiple of ${slots} ids per step (input.slots)`);
    return e.ids.length / slots;
  }
  if (e.features) {
    if (!featureDim) throw optionError('feature examples need the model feature width');
    if (e.features.length % featureDim !== 0)
      throw shapeError(`example ${i}: features has ${e.features.length} values, not a multiple of ${featureDim} features per step`);
    return e.features.length / featureDim;
  }
  throw optionError(`example ${i} has neither ids nor features`);
}

function exampleBatch(list: Example[], idx: Uint32Array, shape: ModelShape): TrainBatch {
  const featureDim = shape.featureDim;
  const b = idx.length;
  const lengths = new Uint32Array(b);
  const slots = shape.slots ?? 1;
  for (let r = 0; r < b; r++) lengths[r] = len(list[idx[r]], idx[r], featureDim, slots);
  const t = maxOf(lengths, 1);
  const first = list[idx[0]];
  const input: BatchInput = { batch: b, steps: t, lengths };
  let tokens = 0;
  if (first.ids) {
    const ids = new Uint32Array(b * t * slots);
    for (let r = 0; r < b; r++) {
      const e = list[idx[r]];
      if (!e.ids) throw optionError(`example ${idx[r]} has no ids while others do`);
      for (let k = 0; k < e.ids.length; k++) {
        const v = e.ids[k];
        if (!Number.isInteger(v) || v < 0) throw rangeError(`example ${idx[r]}: ids[${k}] = ${v} is not a valid token id`);
        ids[r * t * slots + k] = v;
      }
    }
    input.ids = ids;
  } else {
    const f = featureDim!;
    const x = new Float32Array(b * t * f);
    for (let r = 0; r < b; r++) {
      const e = list[idx[r]];
      if (!e.features) throw optionError(`example ${idx[r]} has no features while others do`);
      x.set(e.features, r * t * f);
    }
    input.features = x;
  }
  for (let r = 0; r < b; r++) tokens += lengths[r];
  const targets: BatchTargets = {};
  if (first.labels !== undefined) {
    targets.classes = labelRows(list, idx);
  } else if (first.targets !== undefined) {
    const c = new Int32Array(b * t).fill(-100);
    for (let r = 0; r < b; r++) {
      const e = list[idx[r]];
      if (!e.targets || e.targets.length !== lengths[r]) throw shapeError(`example ${idx[r]}: targets must have one class per step (${lengths[r]})`);
      for (let k = 0; k < lengths[r]; k++) c[r * t + k] = classId(e.targets[k], idx[r]);
    }
    targets.classes = c;
  } else if (first.target !== undefined) {
    const c = new Int32Array(b);
    for (let r = 0; r < b; r++) {
      const e = list[idx[r]];
      if (e.target === undefined) throw optionError(`example ${idx[r]} has no target while others do`);
      c[r] = classId(e.target, idx[r]);
    }
    targets.classes = c;
  } else if (first.values !== undefined) {
    const o = shape.outDim;
    if (shape.seqOutput) {
      const v = new Float32Array(b * t * o);
      for (let r = 0; r < b; r++) {
        const e = list[idx[r]];
        if (!e.values || e.values.length !== lengths[r] * o) throw shapeError(`example ${idx[r]}: values must hold ${o} per step (${lengths[r] * o} in all)`);
        v.set(e.values, r * t * o);
      }
      targets.values = v;
    } else {
      const v = new Float32Array(b * o);
      for (let r = 0; r < b; r++) {
        const e = list[idx[r]];
        if (!e.values || e.values.length !== o) throw shapeError(`example ${idx[r]}: values must hold ${o} numbers (one per output)`);
        v.set(e.values, r * o);
      }
      targets.values = v;
    }
  } else {
    throw optionError(`example ${idx[0]} has no target, targets or values`);
  }
  return { input, targets, tokens };
}

/** Label sequences of the batch's examples as class targets [B, S] (S = the longest, at
 * least 1), each row's labels then −100 padding. */
function labelRows(list: Example[], idx: Uint32Array): Int32Array {
  const b = idx.length;
  let s = 1;
  for (let r = 0; r < b; r++) {
    const l = list[idx[r]].labels;
    if (!l || typeof l.length !== 'number') throw optionError(`example ${idx[r]} has no labels while others do`);
    s = Math.max(s, l.length);
  }
  const c = new Int32Array(b * s).fill(-100);
  for (let r = 0; r < b; r++) {
    const l = list[idx[r]].labels!;
    for (let k = 0; k < l.length; k++) {
      const v = l[k];
      if (!Number.isInteger(v) || v < 0 || v > 0x7fff_ffff) throw rangeError(`example ${idx[r]}: labels[${k}] = ${v} is not a label (an integer ≥ 0)`);
      c[r * s + k] = v;
    }
  }
  return c;
}

/**
 * Splits items into train/validation at random, deterministically in `seed` (default 0);
 * `validation` is a fraction in (0, 1) or a count. The order within each part is kept.
 * @example
 * ```ts
 * const sentences = ['a b', 'c d', 'e f', 'g h', 'i j', 'k l', 'm n', 'o p', 'q r', 's t'];
 * const { train, validation } = splitBySeed(sentences, { validation: 0.2, seed: 1 }); // or a count: { validation: 2 }
 * console.log(train.length, validation.length); // 8 2
 * ```
 */
export function splitBySeed<T>(
  items: readonly T[],
  opts: { validation: number; seed?: number },
): {
  /** The rest, in their order. */
  train: T[];
  /** The held-out items, in their order. */
  validation: T[];
} {
  checkKeys('splitBySeed', opts, ['validation', 'seed']);
  const n = items.length;
  const v = opts.validation;
  const nv = v > 0 && v < 1 ? Math.round(n * v) : v;
  if (!Number.isInteger(nv) || nv < 0 || nv > n) throw rangeError(`validation must be a fraction in (0, 1) or a count ≤ ${n} (got ${v})`);
  const order = new Uint32Array(n).map((_, i) => i);
  new Rng(opts.seed ?? 0).shuffle(order);
  const val = new Set(order.subarray(0, nv));
  return { train: items.filter((_, i) => !val.has(i)), validation: items.filter((_, i) => val.has(i)) };
}

/**
 * Pads variable-length id sequences into one batch [B, T] (T = the longest) with per-row
 * lengths, ready for `predict` or `Model.forward`.
 * @param opts.padValue the id at padded steps (default 0; padded steps are ignored anyway)
 * @param opts.slots ids per step (default 1): each sequence holds length × slots ids, step by
 *   step, and `ids` is [B, T, slots] (a model with `input.slots`)
 * @example
 * ```ts
 * const { ids, lengths, batch, steps } = padBatch([[3, 1, 4], [1, 5]]);
 * console.log(batch, steps, Array.from(ids), Array.from(lengths)); // 2 3 [3, 1, 4, 1, 5, 0] [3, 2]
 * ```
 */
export function padBatch(
  seqs: readonly ArrayLike<number>[],
  opts: { padValue?: number; slots?: number } = {},
): {
  /** [batch, steps] ids ([batch, steps, slots] with `slots`), row-major, padded. */
  ids: Uint32Array;
  /** Each row's length. */
  lengths: Uint32Array;
  /** Rows. */
  batch: number;
  /** The longest row's length. */
  steps: number;
} {
  const b = seqs.length;
  if (b === 0) throw rangeError('padBatch needs at least one sequence');
  const k = opts.slots ?? 1;
  if (!Number.isInteger(k) || k < 1) throw rangeError(`padBatch: slots must be a positive integer (got ${k})`);
  const lengths = Uint32Array.from(seqs, (s, r) => {
    if (s.length % k !== 0) throw rangeError(`padBatch: sequence ${r} holds ${s.length} ids, not a multiple of slots = ${k}`);
    return s.length / k;
  });
  const t = maxOf(lengths, 1);
  const ids = new Uint32Array(b * t * k).fill(opts.padValue ?? 0);
  seqs.forEach((s, r) => {
    for (let j = 0; j < s.length; j++) ids[r * t * k + j] = s[j];
  });
  return { ids, lengths, batch: b, steps: t };
}
