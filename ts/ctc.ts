// CTC (connectionist temporal classification) over raw per-frame scores [B, T, C], batch-first
// and row-major like every output of this library: the loss exactly as PyTorch's
// `torch.nn.functional.ctc_loss` (log-softmax inside), and greedy / prefix-beam decoding.
// Both run inside wasm.
import { maxOf } from './data/source.js';
import { checkKeys, optionError, posInt, rangeError, shapeError } from './errors.js';
import { wasm } from './wasm.js';

/** Options of the CTC loss (PyTorch's names and defaults). */
export interface CtcOptions {
  /** The blank class. @default 0 */
  blank?: number;
  /** `mean`: each row's loss divided by its target length, then averaged; `sum`: summed. @default 'mean' */
  reduction?: 'mean' | 'sum';
  /** Rows whose target cannot fit their input give 0 loss and 0 gradient instead of infinity. @default false */
  zeroInfinity?: boolean;
}

/** Scores and label sequences for {@link ctcLoss}. */
export interface CtcLossInput {
  /** Raw scores [B, T, C] (not log-probabilities: the loss applies log-softmax itself). */
  scores: Float32Array | ArrayLike<number>;
  /** B, the rows (utterances) in the batch; a positive integer. batch · steps · classes must equal scores.length (E_SHAPE). */
  batch: number;
  /** T, the frames per row (the padded length; `inputLengths` gives each row's own). */
  steps: number;
  /** C, the classes per frame, the blank included. */
  classes: number;
  /** Frames that count in each row [B] (each ≤ T). @default T for every row */
  inputLengths?: ArrayLike<number>;
  /** One label sequence per row; labels in [0, C) other than the blank. */
  targets: ArrayLike<number>[];
}

/** The reduced loss, each row's loss, and the gradient [B, T, C] with respect to the scores. */
export interface CtcLossResult {
  /** The reduced loss: per {@link CtcOptions.reduction}, the mean over rows of each row's loss divided by max(1, its target length), or the sum of the rows' losses (nats). */
  loss: number;
  /** Each row's negative log-likelihood [B] (nats, before the reduction; Infinity when the target cannot fit, 0 then with `zeroInfinity`). */
  rows: Float64Array;
  /** d loss / d scores [B, T, C], row-major like the scores, for the reduced loss (frames past a row's input length get 0). */
  grad: Float32Array;
}

/** A decoded label sequence with its log-probability. */
export interface CtcHypothesis {
  /** The labels, repeats collapsed and blanks removed (empty when every frame is blank). */
  labels: number[];
  /** Natural-log probability: greedy, that of the best path (the sum of its frames' log-softmax); beam search, the prefix's total over the paths that collapse to it. */
  logProb: number;
}

/** Options of {@link ctcDecode}. */
export interface CtcDecodeOptions {
  /** B, the rows in the scores; batch · steps · classes must equal scores.length (E_SHAPE). */
  batch: number;
  /** T, the frames per row (the padded length; `lengths` gives each row's own). */
  steps: number;
  /** C, the classes per frame, the blank included. */
  classes: number;
  /** Frames to decode in each row [B]. @default T for every row */
  lengths?: ArrayLike<number>;
  /** @default 0 */
  blank?: number;
  /** 1 = greedy (best class per frame, repeats collapsed, blanks dropped); more = prefix beam search. @default 1 */
  beam?: number;
  /** Hypotheses per row from the beam search, most probable first. @default 1 */
  nBest?: number;
}

const MAX_BEAM = 1024;

function sizes(where: string, o: { batch: number; steps: number; classes: number }, n: number): [number, number, number] {
  const b = posInt(`${where}.batch`, o.batch);
  const t = posInt(`${where}.steps`, o.steps);
  const c = posInt(`${where}.classes`, o.classes);
  if (b * t * c !== n) throw shapeError(`${where}: scores have ${n} values; expected batch × steps × classes = ${b} × ${t} × ${c}`);
  return [b, t, c];
}

function lengthsOf(where: string, v: ArrayLike<number> | undefined, b: number, t: number): Uint32Array {
  if (v === undefined) return new Uint32Array(b).fill(t);
  if (v.length !== b) throw shapeError(`${where} has ${v.length} entries; expected batch = ${b}`);
  const out = new Uint32Array(b);
  for (let i = 0; i < b; i++) {
    const x = v[i];
    if (!Number.isInteger(x) || x < 0 || x > t) throw rangeError(`${where}[${i}] = ${x} must be an integer in [0, ${t}]`);
    out[i] = x;
  }
  return out;
}

function blankOf(where: string, v: unknown, c: number): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= c) throw rangeError(`${where} = ${String(v)} must be a class in [0, ${c})`);
  return v;
}

/**
 * CTC loss of raw scores [B, T, C] against label sequences, with its gradient.
 * @example
 * ```ts
 * const scores = new Float32Array(2 * 50 * 11); // [batch 2, steps 50, classes 11] logits (uniform here)
 * const { loss, grad } = ctcLoss({ scores, batch: 2, steps: 50, classes: 11, targets: [[3, 1, 4], [1, 5]] }, { blank: 10 });
 * ```
 */
export function ctcLoss(input: CtcLossInput, opts: CtcOptions = {}): CtcLossResult {
  checkKeys('ctcLoss', input, ['scores', 'batch', 'steps', 'classes', 'inputLengths', 'targets']);
  checkKeys('ctcLoss options', opts, ['blank', 'reduction', 'zeroInfinity']);
  const scores = input.scores instanceof Float32Array ? input.scores : Float32Array.from(input.scores ?? []);
  const [b, t, c] = sizes('ctcLoss', input, scores.length);
  const blank = blankOf('ctcLoss options.blank', opts.blank, c);
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw optionError(`ctcLoss options.reduction must be 'mean' or 'sum' (got ${String(reduction)})`);
  if (opts.zeroInfinity !== undefined && typeof opts.zeroInfinity !== 'boolean') throw optionError('ctcLoss options.zeroInfinity must be a boolean');
  const il = lengthsOf('ctcLoss inputLengths', input.inputLengths, b, t);
  if (!Array.isArray(input.targets) || input.targets.length !== b) throw shapeError(`ctcLoss targets must be ${b} label sequences (one per row)`);
  const s = maxOf(
    input.targets.map((r) => r?.length ?? 0),
    1,
  );
  const padded = new Uint32Array(b * s);
  const tl = new Uint32Array(b);
  input.targets.forEach((row, r) => {
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') throw shapeError(`ctcLoss targets[${r}] must be an array of labels`);
    for (let j = 0; j < row.length; j++) {
      const l = row[j];
      if (!Number.isInteger(l) || l < 0 || l >= c || l === blank)
        throw rangeError(`ctcLoss targets[${r}][${j}] = ${l} must be a class in [0, ${c}) other than blank ${blank}`);
      padded[r * s + j] = l;
    }
    tl[r] = row.length;
  });
  const w = wasm();
  const out = w.ctcLoss(scores, new w.ScoreDims(b, t, c), il, padded, s, tl, new w.CtcLossOptions(blank, reduction, opts.zeroInfinity ?? false, true));
  try {
    return { loss: out.loss, rows: out.rows, grad: out.grad };
  } finally {
    out.free();
  }
}

/**
 * Decodes raw scores [B, T, C] into label sequences: greedy by default, prefix beam search
 * with `beam` > 1. Returns, per row, its hypotheses (most probable first).
 * @example
 * ```ts
 * const scores = Float32Array.from({ length: 50 * 11 }, (_, i) => (i % 11 === (i / 11 < 25 ? 3 : 10) ? 5 : 0)); // [1, 50, 11]: label 3, then blanks
 * const [[best]] = ctcDecode(scores, { batch: 1, steps: 50, classes: 11, blank: 10, beam: 8 });
 * console.log(best.labels, best.logProb); // [3] ...
 * ```
 */
export function ctcDecode(scores: Float32Array | ArrayLike<number>, opts: CtcDecodeOptions): CtcHypothesis[][] {
  checkKeys('ctcDecode', opts, ['batch', 'steps', 'classes', 'lengths', 'blank', 'beam', 'nBest']);
  const x = scores instanceof Float32Array ? scores : Float32Array.from(scores ?? []);
  const [b, t, c] = sizes('ctcDecode', opts ?? ({} as CtcDecodeOptions), x.length);
  const lengths = lengthsOf('ctcDecode lengths', opts.lengths, b, t);
  const blank = blankOf('ctcDecode blank', opts.blank, c);
  const beam = posInt('ctcDecode beam', opts.beam, 1);
  if (beam > MAX_BEAM) throw rangeError(`ctcDecode beam = ${beam} exceeds the limit of ${MAX_BEAM}`);
  const nBest = posInt('ctcDecode nBest', opts.nBest, 1);
  if (nBest > beam && beam > 1) throw rangeError(`ctcDecode nBest = ${nBest} cannot exceed beam = ${beam}`);
  const w = wasm();
  const flat = w.ctcDecode(x, new w.ScoreDims(b, t, c), lengths, blank, beam, nBest);
  const rows: CtcHypothesis[][] = [];
  let k = 0;
  for (let r = 0; r < b; r++) {
    const hyps: CtcHypothesis[] = [];
    for (let n = flat[k++]; n > 0; n--) {
      const len = flat[k++];
      const logProb = flat[k++];
      hyps.push({ labels: Array.from(flat.subarray(k, k + len)), logProb });
      k += len;
    }
    rows.push(hyps);
  }
  return rows;
}
