// Planning a training run to its time budget (`recurrent train`, the main job): from the
// throughput measured in the first seconds on this host, how many epochs of how many batches
// fill the budget, so the cosine schedule ends when the time does. A fast host trains on more
// characters; a slow one trains on fewer but still anneals to the end instead of being cut off.
import { MAX_WINDOWS_PER_EPOCH, textWindows } from '../data/source.js';
import { rangeError } from '../errors.js';
import type { FitEvent, FitResult } from '../events.js';
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
 * above no dropout's 2.010 (the model is short of capacity there, not overfitting), so plans up to an idle 2-core
 * host's 10 minutes (about 24 passes, where validation still falls at the last epoch) train
 * without it; only a plan that sees the text 30 times or more gets a little.
 */
export const DROPOUT_BY_PASSES: readonly (readonly [passes: number, dropout: number])[] = [
  [0, 0],
  [30, 0.1],
];

/** The regularisation a planned run is given, and why (for the `plan:` line). */
export interface ModelChoice {
  /** Passes over the training text the plan holds. */
  passes: number;
  /** Dropout before the output layer. */
  dropout: number;
  /** "24.0 passes over the training text, so dropout 0.3 before the output layer" */
  reason: string;
}

/** The dropout a plan of `tokens` training characters over `trainChars` of text is given
 * ({@link DROPOUT_BY_PASSES}): a pure function of the measured throughput and the budget, through
 * the plan's size. */
export function chooseDropout(tokens: number, trainChars: number): ModelChoice {
  if (!(Number.isFinite(tokens) && tokens >= 0)) throw rangeError(`chooseDropout: tokens must be a finite number >= 0 (got ${tokens})`);
  if (!(Number.isFinite(trainChars) && trainChars > 0)) throw rangeError(`chooseDropout: trainChars must be a finite number > 0 (got ${trainChars})`);
  const passes = tokens / trainChars;
  let dropout = 0;
  for (const [atLeast, d] of DROPOUT_BY_PASSES) if (passes >= atLeast) dropout = d;
  const reason = `${passes.toFixed(1)} passes over the training text, so ${dropout > 0 ? `dropout ${dropout} before the output layer` : 'no dropout'}`;
  return { passes, dropout, reason };
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
  /** Dropout given by the user (--dropout); otherwise {@link chooseDropout} picks it. */
  givenDropout?: number;
}

/**
 * Plans `recurrent train`: trains the model `t` holds for a few seconds (1% of the budget, 2 to
 * 6 s) to measure its throughput here, times one epoch's extras (validation, a sample, a
 * checkpoint), plans the rest of the budget with {@link planRun} and the dropout with
 * {@link chooseDropout} (unless given). The model's weights and
 * optimizer state are left trained: the caller builds it again. Returns the plan, what it was
 * made from, and a line saying how.
 */
export async function calibrate(
  t: Trainer,
  trainIds: ArrayLike<number>,
  valIds: ArrayLike<number>,
  o: CalibrationOptions,
): Promise<{ plan: RunPlan; line: string; tokensPerSec: number; epochOverheadMs: number; choice: ModelChoice }> {
  const probeMs = Math.min(6000, Math.max(2000, o.budget / 100));
  const tokensPerBatch = o.batch * o.seqLen;
  const windows = textWindows(trainIds, { steps: o.seqLen, windowsPerEpoch: Math.min(MAX_WINDOWS_PER_EPOCH, 2000 * o.batch) });
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
  const chosen = chooseDropout(plan.tokens, trainIds.length);
  const choice =
    o.givenDropout === undefined
      ? chosen
      : { ...chosen, dropout: o.givenDropout, reason: `${chosen.passes.toFixed(1)} passes over the training text, dropout ${o.givenDropout} as given` };
  const line =
    `plan: ${Math.round(tokensPerSec).toLocaleString('en-US')} tok/s measured here, ${fmtDuration(epochOverheadMs)} per validation and checkpoint, ` +
    `${fmtDuration(spent)} to measure; ${plan.epochs} epochs x ${plan.stepsPerEpoch} batches (${(plan.tokens / 1e6).toFixed(1)}M characters) ` +
    `to fill the ${fmtDuration(o.budget - spent)} left (about ${fmtDuration(plan.projectedMs)}); ${choice.reason}`;
  return { plan, line, tokensPerSec, epochOverheadMs, choice };
}
