// Planning a training run to its time budget (`recurrent train`, the main job): from the
// throughput measured in the first seconds on this host, how many epochs of how many batches
// fill the budget, so the cosine schedule ends when the time does. A fast host trains on more
// characters; a slow one trains on fewer but still anneals to the end instead of being cut off.
import { MAX_WINDOWS_PER_EPOCH, textWindows } from '../data/source.js';
import { rangeError } from '../errors.js';
import type { FitEvent, FitResult } from '../events.js';
import type { CellType } from '../layer.js';
import type { Trainer } from '../trainer.js';
import { fmtDuration } from './args.js';

/** What the plan is made from (times in ms). */
export interface PlanInput {
  /** Time left for training: the budget less what the calibration took. */
  budgetMs: number;
  /** Training throughput measured on this host, tokens (characters) per second. */
  tokensPerSec: number;
  /** Tokens per optimizer update: batch × window. */
  tokensPerBatch: number;
  /** Time an epoch adds besides its batches (validation, sample, checkpoint), measured. */
  epochOverheadMs: number;
  /** Epochs wanted: the validation points and the cosine schedule's steps (default 12). */
  epochs?: number;
  /** Batches per epoch wanted instead of a planned number (the epochs are planned then). */
  stepsPerEpoch?: number;
  /** The most batches one epoch may hold (the SDK's window cap ÷ batch). */
  maxStepsPerEpoch: number;
  /** Share of the budget planned; the rest absorbs a throughput that drifts within the last
   * epoch (each epoch's batches are planned again from the one before: `replanSteps`). @default MARGIN */
  margin?: number;
}

/** The plan: `epochs` epochs of `stepsPerEpoch` batches, expected to take `projectedMs`. */
export interface RunPlan {
  epochs: number;
  stepsPerEpoch: number;
  /** Training tokens the plan holds. */
  tokens: number;
  projectedMs: number;
}

/** Share of the budget a plan fills by default. */
export const MARGIN = 0.98;

/** Fewest batches an epoch is planned with before the plan drops epochs instead. */
export const MIN_STEPS_PER_EPOCH = 20;

/** Plans epochs × batches to fill `budgetMs` at the measured throughput (see the file comment). */
export function planRun(p: PlanInput): RunPlan {
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0)) throw rangeError(`planRun: ${name} must be a finite number > 0 (got ${v})`);
  };
  positive('budgetMs', p.budgetMs);
  positive('tokensPerSec', p.tokensPerSec);
  positive('tokensPerBatch', p.tokensPerBatch);
  positive('maxStepsPerEpoch', p.maxStepsPerEpoch);
  if (!(Number.isFinite(p.epochOverheadMs) && p.epochOverheadMs >= 0))
    throw rangeError(`planRun: epochOverheadMs must be a finite number >= 0 (got ${p.epochOverheadMs})`);
  const margin = p.margin ?? MARGIN;
  if (!(margin > 0 && margin <= 1)) throw rangeError(`planRun: margin must be in (0, 1] (got ${margin})`);
  const usable = p.budgetMs * margin;
  const msPerBatch = (p.tokensPerBatch / p.tokensPerSec) * 1000;
  const over = p.epochOverheadMs;
  const plan = (epochs: number, steps: number): RunPlan => ({
    epochs,
    stepsPerEpoch: steps,
    tokens: epochs * steps * p.tokensPerBatch,
    projectedMs: epochs * (steps * msPerBatch + over),
  });
  if (p.stepsPerEpoch !== undefined) {
    // batches per epoch given: as many epochs as fit (at least one)
    const epochs = Math.max(1, Math.floor(usable / (p.stepsPerEpoch * msPerBatch + over)));
    return plan(epochs, p.stepsPerEpoch);
  }
  let epochs = Math.max(1, Math.floor(p.epochs ?? 12));
  const stepsFor = (e: number) => Math.floor((usable - e * over) / (e * msPerBatch));
  // a slow host: fewer epochs (fewer validations), each still worth MIN_STEPS_PER_EPOCH batches
  while (epochs > 1 && stepsFor(epochs) < MIN_STEPS_PER_EPOCH) epochs--;
  let steps = Math.max(1, stepsFor(epochs));
  // a fast host: epochs capped in size, so more of them
  if (steps > p.maxStepsPerEpoch) {
    const total = steps * epochs;
    epochs = Math.ceil(total / p.maxStepsPerEpoch);
    steps = Math.max(1, stepsFor(epochs));
    steps = Math.min(steps, p.maxStepsPerEpoch);
  }
  return plan(epochs, steps);
}

/**
 * Dropout on the recurrent layer's output by the passes over the training text a plan makes:
 * `[passes at least, dropout]`, in order. Measured on the main job (GRU 256, Moby Dick's 1.08M
 * training characters, 12 epochs x 500 batches = 11.4 passes; busy Intel Xeon, 2026-12-07):
 * dropout 0.2 and 0.35 before the head ended at 2.039 and 2.063 validation bits per character,
 * above no dropout's 2.010 (the model is short of capacity there, not overfitting), so the one-layer
 * model trains without it up to 30 passes; only a plan that sees the text 30 times or more gets a little.
 */
export const DROPOUT_BY_PASSES: readonly (readonly [passes: number, dropout: number])[] = [
  [0, 0],
  [30, 0.1],
];

/** The recurrent stack of the character model: `cell units x layers`. */
export interface ModelSize {
  cell: CellType;
  units: number;
  layers: number;
}

/** A rung of {@link MODEL_LADDER}: a model, the fewest passes over the training text its plan
 * must make for it to be chosen, and its dropout by passes (as {@link DROPOUT_BY_PASSES}). */
export interface ModelRung extends ModelSize {
  minPasses: number;
  dropoutByPasses: readonly (readonly [passes: number, dropout: number])[];
}

/**
 * The main job's models, largest first: a planned run takes the first whose plan, at the
 * throughput measured for it here, makes at least `minPasses` passes over the training text (the
 * last one always). A second layer costs about 2.5 times the compute per character but learns more
 * per character: on this split PyTorch's LSTM 256x2 stands 0.07 bits below the LSTM 256x1 at 12M
 * characters and equal to it at 6M against 12M (ANCHORS.md). Measured under the measurement lock
 * with other work at nice 5-15 (Intel Xeon, 2 cores, 2026-12-07, 9m30s each): the GRU 256x1 at
 * 16.8M characters (15.6 passes) ended at 1.998 validation bits per character, the GRU 256x2 at
 * 5.6M (5.2 passes) at 2.007, so below about 6 passes the one-layer model is as good or better;
 * 8 keeps a margin. There the GRU 256x2 measured 15,155 tok/s against the 256x1's 37,436, so an
 * idle host (48,000 for the 256x1) gives it about 10 passes. The two-layer model has dropout 0.1
 * between the layers and before the head, as the anchor's.
 */
export const MODEL_LADDER: readonly ModelRung[] = [
  { cell: 'gru', units: 256, layers: 2, minPasses: 8, dropoutByPasses: [[0, 0.1]] },
  { cell: 'gru', units: 256, layers: 1, minPasses: 0, dropoutByPasses: DROPOUT_BY_PASSES },
];

/** "gru 256x2" */
export function sizeName(m: ModelSize): string {
  return `${m.cell} ${m.units}x${m.layers}`;
}

/** The regularisation a planned run is given, and why (for the `plan:` line). */
export interface ModelChoice {
  /** Passes over the training text the plan holds. */
  passes: number;
  /** Dropout between stacked layers and before the output layer. */
  dropout: number;
  /** "24.0 passes over the training text, so dropout 0.3 before the output layer" */
  reason: string;
}

/** The dropout a plan of `tokens` training characters over `trainChars` of text is given
 * (`table`, by default {@link DROPOUT_BY_PASSES}): a pure function of the measured throughput
 * and the budget, through the plan's size. `layers` > 1 puts it between the layers too. */
export function chooseDropout(tokens: number, trainChars: number, table = DROPOUT_BY_PASSES, layers = 1): ModelChoice {
  if (!(Number.isFinite(tokens) && tokens >= 0)) throw rangeError(`chooseDropout: tokens must be a finite number >= 0 (got ${tokens})`);
  if (!(Number.isFinite(trainChars) && trainChars > 0)) throw rangeError(`chooseDropout: trainChars must be a finite number > 0 (got ${trainChars})`);
  const passes = tokens / trainChars;
  let dropout = 0;
  for (const [atLeast, d] of table) if (passes >= atLeast) dropout = d;
  const where = layers > 1 ? 'between the layers and before the output layer' : 'before the output layer';
  const reason = `${passes.toFixed(1)} passes over the training text, so ${dropout > 0 ? `dropout ${dropout} ${where}` : 'no dropout'}`;
  return { passes, dropout, reason };
}

/** The rung of `ladder` a plan of `passes` over the training text takes when its size is fixed
 * (no throughput to weigh): the first whose `minPasses` it reaches, else the last. */
export function rungForPasses(ladder: readonly ModelRung[], passes: number): ModelRung {
  if (ladder.length === 0) throw rangeError('rungForPasses: the model ladder is empty');
  return ladder.find((r) => passes >= r.minPasses) ?? ladder[ladder.length - 1];
}

/** The throughput of a short training run (a calibration, whose weights are thrown away): tokens
 * per second over the step events after the first `skip` batches (start-up and JIT warm-up left
 * out), or over the whole run when it made too few batches for that. */
export async function measureThroughput(run: AsyncIterable<FitEvent> & PromiseLike<FitResult>, skip = 2): Promise<number> {
  const steps: { tokens: number; ms: number }[] = [];
  for await (const e of run) if (e.type === 'step') steps.push({ tokens: e.tokens, ms: e.elapsedMs });
  const r = await run;
  const [a, b] = [steps[skip - 1], steps[steps.length - 1]];
  if (a && b && b.ms > a.ms && steps.length > skip + 1) return ((b.tokens - a.tokens) * 1000) / (b.ms - a.ms);
  return r.tokensPerSec;
}

/** What the run has left, for {@link replanSteps} (times in ms). */
export interface ReplanInput {
  /** Budget left: the whole budget less what has been spent. */
  leftMs: number;
  /** Epochs of the schedule not yet trained (at least 1). */
  epochsLeft: number;
  /** Throughput measured over the last epoch's batches. */
  tokensPerSec: number;
  tokensPerBatch: number;
  /** What the last epoch took besides its batches (fit start-up, validation, checkpoint). */
  epochOverheadMs: number;
  maxStepsPerEpoch: number;
  /** Share of the time left that is planned. @default MARGIN */
  margin?: number;
}

/** Batches for the next epoch so that the epochs left share the time left at the throughput
 * measured last: a host that slowed down shortens them (the schedule still runs to its end), one
 * that sped up lengthens them. At least 1, at most `maxStepsPerEpoch`. */
export function replanSteps(p: ReplanInput): number {
  if (!(Number.isFinite(p.tokensPerSec) && p.tokensPerSec > 0))
    throw rangeError(`replanSteps: tokensPerSec must be a finite number > 0 (got ${p.tokensPerSec})`);
  if (!(Number.isInteger(p.epochsLeft) && p.epochsLeft >= 1)) throw rangeError(`replanSteps: epochsLeft must be a whole number >= 1 (got ${p.epochsLeft})`);
  const msPerBatch = (p.tokensPerBatch / p.tokensPerSec) * 1000;
  const usable = Math.max(0, p.leftMs) * (p.margin ?? MARGIN) - p.epochsLeft * Math.max(0, p.epochOverheadMs);
  return Math.min(p.maxStepsPerEpoch, Math.max(1, Math.floor(usable / (p.epochsLeft * msPerBatch))));
}

/** What `calibrate` needs to know about the run (times in ms). */
export interface CalibrationOptions {
  batch: number;
  seqLen: number;
  seed: number;
  /** Characters sampled after each epoch (timed with the validation). */
  sampleLen: number;
  /** The whole run's budget, counted from `started` (a `performance.now()` time). */
  budget: number;
  started: number;
  givenEpochs?: number;
  givenSteps?: number;
  /** Dropout given by the user (--dropout); otherwise the rung's table picks it. */
  givenDropout?: number;
  /** The models to choose from, largest first ({@link MODEL_LADDER}; one rung when the user gave the size). */
  ladder: readonly ModelRung[];
  /** Builds and compiles `size` in the trainer (no dropout: the calibration only times it). */
  build: (size: ModelSize) => Promise<void>;
}

/** What {@link calibrate} chose and what from. */
export interface Calibration {
  plan: RunPlan;
  /** The model chosen, with its dropout. */
  rung: ModelRung;
  choice: ModelChoice;
  tokensPerSec: number;
  epochOverheadMs: number;
  /** The `plan:` line. */
  line: string;
}

/**
 * Plans `recurrent train`: for each model of `o.ladder` in turn (largest first), builds it, trains
 * it for a few seconds (1% of the budget, 2 to 6 s) to measure its throughput here, times one
 * epoch's extras (validation, a sample, a checkpoint) and plans the rest of the budget with
 * {@link planRun}; the first model whose plan makes its `minPasses` is taken (the last one
 * always), and its dropout by the plan's passes (unless given). The trainer is left holding the
 * last model measured, trained: the caller builds the chosen one again. Returns the plan, what it
 * was made from, and a line saying how.
 */
export async function calibrate(t: Trainer, trainIds: ArrayLike<number>, valIds: ArrayLike<number>, o: CalibrationOptions): Promise<Calibration> {
  if (o.ladder.length === 0) throw rangeError('calibrate: the model ladder is empty');
  const probeMs = Math.min(6000, Math.max(2000, o.budget / 100));
  const tokensPerBatch = o.batch * o.seqLen;
  const windows = textWindows(trainIds, { steps: o.seqLen, windowsPerEpoch: Math.min(MAX_WINDOWS_PER_EPOCH, 2000 * o.batch) });
  const passed: string[] = [];
  for (let i = 0; ; i++) {
    const rung = o.ladder[i];
    await o.build(rung);
    const tokensPerSec = await measureThroughput(t.fit(windows, { epochs: 1, batchSize: o.batch, seed: o.seed, timeBudgetMs: probeMs }));
    const t0 = performance.now();
    await t.evaluate(textWindows(valIds, { steps: 256, random: false }));
    if (o.sampleLen > 0) await t.generate('The whale ', { maxTokens: o.sampleLen, temperature: 0.8, seed: 1 });
    await t.save();
    const epochOverheadMs = performance.now() - t0;
    const spent = performance.now() - o.started;
    const plan = planRun({
      budgetMs: Math.max(1, o.budget - spent),
      tokensPerSec,
      tokensPerBatch,
      epochOverheadMs,
      epochs: o.givenEpochs,
      stepsPerEpoch: o.givenSteps,
      maxStepsPerEpoch: Math.floor(MAX_WINDOWS_PER_EPOCH / o.batch),
    });
    const passes = plan.tokens / trainIds.length;
    const rate = `${Math.round(tokensPerSec).toLocaleString('en-US')} tok/s`;
    if (i + 1 < o.ladder.length && passes < rung.minPasses) {
      passed.push(`${sizeName(rung)} measured ${rate}, ${passes.toFixed(1)} passes, fewer than its ${rung.minPasses}`);
      continue;
    }
    const chosen = chooseDropout(plan.tokens, trainIds.length, rung.dropoutByPasses, rung.layers);
    const choice =
      o.givenDropout === undefined
        ? chosen
        : { ...chosen, dropout: o.givenDropout, reason: `${chosen.passes.toFixed(1)} passes over the training text, dropout ${o.givenDropout} as given` };
    // which model and why, where there was a choice
    const model =
      o.ladder.length < 2 ? '' : `${sizeName(rung)} (${passed.length ? passed.join('; ') : `the largest model, ${rung.minPasses} passes or more here`}); `;
    const line =
      `plan: ${rate} measured here, ${fmtDuration(epochOverheadMs)} per validation and checkpoint, ` +
      `${fmtDuration(spent)} to measure; ${plan.epochs} epochs x ${plan.stepsPerEpoch} batches (${(plan.tokens / 1e6).toFixed(1)}M characters) ` +
      `to fill the ${fmtDuration(o.budget - spent)} left (about ${fmtDuration(plan.projectedMs)}); ${model}${choice.reason}`;
    return { plan, rung, choice, tokensPerSec, epochOverheadMs, line };
  }
}
