// Epoch-end hooks of `fit`, the Keras / TF.js callbacks users know: keep the best weights by a
// named metric, stop early when it stops improving, and lower the learning rate on a plateau.
// They are options (plain data), so they cross to a worker and to data-parallel replicas; the
// fit engine (fit.ts) calls them after every epoch event, and once when training ends.
import { checkKeys, numIn, optionError, u32 } from './errors.js';
import type { EpochEvent } from './events.js';
import type { EpochHooks } from './fit.js';

/** The metric a hook watches, from each epoch event: the training loss (`'loss'`), the
 * validation loss (`'val_loss'`, needs `validation`), the validation accuracy
 * (`'val_accuracy'`, higher is better) or mean absolute error (`'val_mae'`, regression). */
export type Monitor = 'loss' | 'val_loss' | 'val_accuracy' | 'val_mae';

/** Keep the best weights: after training, the weights of the epoch with the best `monitor`
 * value are restored (Keras `ModelCheckpoint(save_best_only=True)`, kept in memory). */
export interface KeepBestOptions {
  /** The metric. @default 'val_loss' */
  monitor?: Monitor;
}

/** Stop when `monitor` has not improved by more than `minDelta` for `patience` epochs (Keras /
 * TF.js `earlyStopping`). The run resolves with `stopReason: 'earlyStopping'`. */
export interface EarlyStoppingOptions {
  /** The metric. @default 'val_loss' */
  monitor?: Monitor;
  /** Epochs without improvement before stopping. @default 0 */
  patience?: number;
  /** The smallest change that counts as an improvement (≥ 0). @default 0 */
  minDelta?: number;
  /** When training ends, restore the weights of the best epoch. @default false */
  restoreBestWeights?: boolean;
}

/** Multiply the learning rate by `factor` when `monitor` has not improved by more than
 * `minDelta` for `patience` epochs (Keras `ReduceLROnPlateau`); never below `minLr`. The model
 * must have a constant schedule (E_OPTION otherwise). */
export interface ReduceLrOnPlateauOptions {
  /** The metric. @default 'val_loss' */
  monitor?: Monitor;
  /** The factor, in (0, 1). @default 0.1 */
  factor?: number;
  /** Epochs without improvement before lowering the rate. @default 10 */
  patience?: number;
  /** The smallest change that counts as an improvement (≥ 0). @default 1e-4 */
  minDelta?: number;
  /** The lowest learning rate. @default 0 */
  minLr?: number;
}

/** The epoch-end hooks of `fit` (each optional). */
export interface FitHooks {
  /** Restore the best epoch's weights when training ends. */
  keepBest?: KeepBestOptions;
  /** Stop when the metric stops improving. */
  earlyStopping?: EarlyStoppingOptions;
  /** Lower the learning rate when the metric stops improving. */
  reduceLrOnPlateau?: ReduceLrOnPlateauOptions;
  /** End training after the first epoch that ends at or past this much training time (ms):
   * whole epochs only, where `fit({ timeBudgetMs })` stops at a batch boundary. The run
   * resolves with `stopReason: 'timeBudget'`. @default none */
  stopAfterMs?: number;
}

/** What the hooks need of the model being trained (in this thread, a worker, or N replicas). */
export interface HookTarget<W> {
  /** A copy of the weights. */
  snapshot(): W | Promise<W>;
  /** Sets the weights to a snapshot. */
  restore(w: W): void | Promise<void>;
  /** The learning rate of the next update. */
  learningRate(): number | Promise<number>;
  /** Sets the (base) learning rate. */
  setLearningRate(lr: number): void | Promise<void>;
}

const MONITORS: readonly Monitor[] = ['loss', 'val_loss', 'val_accuracy', 'val_mae'];

function monitorOf(where: string, m: unknown, hasValidation: boolean): Monitor {
  const monitor = m ?? 'val_loss';
  if (typeof monitor !== 'string' || !(MONITORS as readonly string[]).includes(monitor))
    throw optionError(`${where}.monitor must be one of ${MONITORS.join(', ')} (got ${String(monitor)})`);
  if (monitor !== 'loss' && !hasValidation) throw optionError(`${where}.monitor '${monitor}' needs fit({ validation })`);
  return monitor as Monitor;
}

/** The monitored value of an epoch event (NaN when the event lacks it). */
function metricOf(m: Monitor, e: EpochEvent): number {
  if (m === 'loss') return e.loss;
  if (m === 'val_loss') return e.validation?.loss ?? Number.NaN;
  if (m === 'val_mae') return e.validation?.mae ?? Number.NaN;
  return e.validation?.accuracy ?? Number.NaN;
}

/** Whether `v` improves on `best` by more than `delta` (lower is better, but for accuracy). */
const improves = (m: Monitor, v: number, best: number, delta: number) => (m === 'val_accuracy' ? v > best + delta : v < best - delta);

/** Checks `fit({ hooks })` (E_OPTION for unknown keys or a monitor without validation, E_RANGE for numbers). */
export function checkHooks(h: FitHooks | undefined, o: { hasValidation: boolean; constantSchedule: boolean }): FitHooks {
  if (h === undefined) return {};
  checkKeys('fit.hooks', h, ['keepBest', 'earlyStopping', 'reduceLrOnPlateau', 'stopAfterMs']);
  const out: FitHooks = {};
  if (h.stopAfterMs !== undefined) out.stopAfterMs = numIn('fit.hooks.stopAfterMs', h.stopAfterMs, 0, Number.POSITIVE_INFINITY);
  if (h.keepBest !== undefined) {
    checkKeys('fit.hooks.keepBest', h.keepBest, ['monitor']);
    out.keepBest = { monitor: monitorOf('fit.hooks.keepBest', h.keepBest.monitor, o.hasValidation) };
  }
  if (h.earlyStopping !== undefined) {
    const e = h.earlyStopping;
    checkKeys('fit.hooks.earlyStopping', e, ['monitor', 'patience', 'minDelta', 'restoreBestWeights']);
    if (e.restoreBestWeights !== undefined && typeof e.restoreBestWeights !== 'boolean')
      throw optionError('fit.hooks.earlyStopping.restoreBestWeights must be a boolean');
    out.earlyStopping = {
      monitor: monitorOf('fit.hooks.earlyStopping', e.monitor, o.hasValidation),
      patience: u32('fit.hooks.earlyStopping.patience', e.patience, 0),
      minDelta: numIn('fit.hooks.earlyStopping.minDelta', e.minDelta, 0, Number.POSITIVE_INFINITY, 0),
      restoreBestWeights: e.restoreBestWeights ?? false,
    };
  }
  if (h.reduceLrOnPlateau !== undefined) {
    const r = h.reduceLrOnPlateau;
    checkKeys('fit.hooks.reduceLrOnPlateau', r, ['monitor', 'factor', 'patience', 'minDelta', 'minLr']);
    if (!o.constantSchedule) throw optionError('fit.hooks.reduceLrOnPlateau needs a constant learning-rate schedule (compile without schedule)');
    const factor = numIn('fit.hooks.reduceLrOnPlateau.factor', r.factor, 0, 1, 0.1);
    if (factor === 0) throw optionError('fit.hooks.reduceLrOnPlateau.factor must be in (0, 1)');
    out.reduceLrOnPlateau = {
      monitor: monitorOf('fit.hooks.reduceLrOnPlateau', r.monitor, o.hasValidation),
      factor,
      patience: u32('fit.hooks.reduceLrOnPlateau.patience', r.patience, 10),
      minDelta: numIn('fit.hooks.reduceLrOnPlateau.minDelta', r.minDelta, 0, Number.POSITIVE_INFINITY, 1e-4),
      minLr: numIn('fit.hooks.reduceLrOnPlateau.minLr', r.minLr, 0, Number.POSITIVE_INFINITY, 0),
    };
  }
  return out;
}

/** A metric's best value so far, and epochs since it improved. */
class Watch {
  best = Number.NaN;
  wait = 0;
  constructor(
    readonly monitor: Monitor,
    readonly minDelta: number,
  ) {}
  /** Records epoch event `e`; true when it improved on the best. A NaN value never improves. */
  see(e: EpochEvent): boolean {
    const v = metricOf(this.monitor, e);
    if (Number.isNaN(v)) {
      this.wait++;
      return false;
    }
    if (Number.isNaN(this.best) || improves(this.monitor, v, this.best, this.minDelta)) {
      this.best = v;
      this.wait = 0;
      return true;
    }
    this.wait++;
    return false;
  }
}

/** The hooks of one fit: `epochEnd` after every epoch event (true: stop now), `end` when training ends. */
export class HookRunner<W> implements EpochHooks {
  readonly #t: HookTarget<W>;
  readonly #h: FitHooks;
  readonly #best: Watch | undefined;
  readonly #stop: Watch | undefined;
  readonly #plateau: Watch | undefined;
  #bestWeights: W | undefined;
  /** The epoch whose weights `end` restored (undefined when none was). */
  restoredEpoch: number | undefined;
  #bestEpoch: number | undefined;

  /** @param hooks checked by {@link checkHooks} */
  constructor(hooks: FitHooks, target: HookTarget<W>) {
    this.#t = target;
    this.#h = hooks;
    const { keepBest: k, earlyStopping: s, reduceLrOnPlateau: p } = hooks;
    // keep-best and restoreBestWeights keep the best by one watch (the keep-best one if both)
    const restoreBy = k
      ? { monitor: k.monitor ?? 'val_loss', minDelta: 0 }
      : s?.restoreBestWeights
        ? { monitor: s.monitor ?? 'val_loss', minDelta: s.minDelta ?? 0 }
        : undefined;
    this.#best = restoreBy && new Watch(restoreBy.monitor, restoreBy.minDelta);
    this.#stop = s && new Watch(s.monitor ?? 'val_loss', s.minDelta ?? 0);
    this.#plateau = p && new Watch(p.monitor ?? 'val_loss', p.minDelta ?? 1e-4);
  }

  /** After epoch event `e` (its weights are the model's now): why training should stop, if it should. */
  async epochEnd(e: EpochEvent): Promise<'earlyStopping' | 'timeBudget' | undefined> {
    if (this.#best?.see(e)) {
      this.#bestWeights = await this.#t.snapshot();
      this.#bestEpoch = e.epoch;
    }
    const p = this.#plateau;
    const po = this.#h.reduceLrOnPlateau;
    if (p && po && !p.see(e) && p.wait >= (po.patience ?? 10)) {
      p.wait = 0;
      const lr = await this.#t.learningRate();
      const minLr = po.minLr ?? 0;
      if (lr > minLr) await this.#t.setLearningRate(Math.max(lr * (po.factor ?? 0.1), minLr));
    }
    const s = this.#stop;
    if (s !== undefined && !s.see(e) && s.wait >= Math.max(1, this.#h.earlyStopping?.patience ?? 0)) return 'earlyStopping';
    const limit = this.#h.stopAfterMs;
    return limit !== undefined && e.elapsedMs >= limit ? 'timeBudget' : undefined;
  }

  /** When training ends (completed, stopped early or by budget): restores the best weights. */
  async end(): Promise<void> {
    if (this.#bestWeights === undefined) return;
    await this.#t.restore(this.#bestWeights);
    this.restoredEpoch = this.#bestEpoch;
  }
}

/** What {@link modelHooks} needs of a model (the sequential model and the encoder-decoder have it). */
export interface HookModel {
  paramNames(): string[];
  getParam(name: string): Float32Array;
  setParam(name: string, data: Float32Array): void;
  learningRate: number;
}

/** The hook target of a model in this thread (or inside a worker): weights copied by name. */
export function modelHooks(m: HookModel): HookTarget<Map<string, Float32Array>> {
  return {
    snapshot: () => new Map(m.paramNames().map((n) => [n, m.getParam(n)])),
    restore: (w) => {
      for (const [n, d] of w) m.setParam(n, d);
    },
    learningRate: () => m.learningRate,
    setLearningRate: (lr) => {
      m.learningRate = lr;
    },
  };
}
