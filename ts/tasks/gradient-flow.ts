// Gradient flow through time, measured: a tanh RNN, an LSTM and a GRU of the same size trained
// on the adding problem (adding.ts) at several lengths T, with the per-step gradient norms
// ||dL/dh_t|| (`Model.gradientProfile`) on a fixed probe batch at the start and at the end of
// training; and a ReLU RNN with a large recurrent initialisation trained with and without
// gradient clipping (explosion, and what clipping does). Everything is seeded.

import { checkKeys, numIn, posInt, rangeError } from '../errors.js';
import { type CellType, type GradientNorms, type Model, sequential } from '../index.js';
import { addingProblem } from './adding.js';
import { TASK_TRAINING, taskCompile } from './defaults.js';

/** Options of {@link gradientFlow}. */
export interface GradientFlowOptions {
  /**
   * Sequence lengths T to run.
   * @default [50, 100, 200]
   */
  lengths?: readonly number[];
  /**
   * Cells to compare (each a one-layer model: features 2 → cell → dense 1, MSE).
   * @default ['rnn_tanh', 'lstm', 'gru']
   */
  cells?: readonly CellType[];
  /**
   * Hidden units of every cell.
   * @default 32
   */
  units?: number;
  /**
   * Optimizer updates per (cell, T), Adam.
   * @default 1500
   */
  updates?: number;
  /**
   * Sequences per update.
   * @default 32
   */
  batchSize?: number;
  /**
   * Adam's learning rate.
   * @default 0.01
   */
  lr?: number;
  /**
   * Gradient clipping by global norm (0: none).
   * @default 1
   */
  clipNorm?: number;
  /**
   * Test sequences per T (drawn once, shared by the cells).
   * @default 500
   */
  testSize?: number;
  /**
   * Added to the LSTM's forget-gate bias at initialisation (Gers et al. 2000; Jozefowicz et al.
   * 2015; Keras's `unit_forget_bias`), so that it starts by remembering.
   * @default 1
   */
  forgetBias?: number;
  /**
   * Seed of the data and the initialisation.
   * @default 0
   */
  seed?: number;
  /** Called after each (cell, T) run. */
  onRun?: (r: CellRun) => void;
}

/** One cell trained at one length. */
export interface CellRun {
  /** The cell trained. */
  cell: CellType;
  /** T. */
  steps: number;
  /** Test MSE after training (answering 1.0 always gives about 0.167). */
  testMse: number;
  /** ||dL/dh_t|| for t = 0 … T−1 on the probe batch (the test set's first 64) before training. */
  start: Float32Array;
  /** The same after training. */
  end: Float32Array;
  /** Seconds of training. */
  seconds: number;
}

/** features 2 → `cell` (named `rnn`) → dense 1 (`head`); an LSTM's forget-gate input bias
 * gets `forgetBias` added (rows H…2H of bias_ih_l0). */
function adding(cell: CellType, units: number, seed: number, forgetBias = 0): Model {
  const b = sequential({ input: { features: 2 } });
  const o = { units, returnSequences: false as const, name: 'rnn' };
  const r = cell === 'lstm' ? b.lstm(o) : cell === 'gru' ? b.gru(o) : b.rnn({ ...o, activation: cell === 'rnn_relu' ? 'relu' : 'tanh' });
  const m = r.dense({ units: 1, name: 'head' }).build({ seed });
  if (cell === 'lstm' && forgetBias !== 0) {
    const bias = m.getParam('rnn.bias_ih_l0');
    for (let j = units; j < 2 * units; j++) bias[j] += forgetBias;
    m.setParam('rnn.bias_ih_l0', bias);
  }
  return m;
}

const hNorms = (g: GradientNorms[]): Float32Array => g[0].h;

/** MSE of `model` on a batch (in chunks of 100 sequences). */
function testMse(model: Model, features: Float32Array, targets: Float32Array, t: number): number {
  const n = targets.length;
  let sum = 0;
  for (let i = 0; i < n; i += 100) {
    const k = Math.min(100, n - i);
    model.forward({ features: features.subarray(i * t * 2, (i + k) * t * 2), batch: k, steps: t });
    sum += model.loss({ values: targets.subarray(i, i + k) }, { loss: 'mse' }).loss * k;
  }
  return sum / n;
}

/** Options of {@link addingExperiment}: {@link GradientFlowOptions} less the lengths, cells and
 * update count (the caller decides how many updates to run, and when). */
export type AddingExperimentOptions = Pick<GradientFlowOptions, 'units' | 'batchSize' | 'lr' | 'clipNorm' | 'testSize' | 'forgetBias' | 'seed'>;

/** One cell learning the adding problem at one length, an update at a time (what
 * {@link gradientFlow} runs for each cell and T, and what the browser demo runs in a worker). */
export interface AddingExperiment {
  /** The cell. */
  readonly cell: CellType;
  /** T. */
  readonly steps: number;
  /** Updates run so far. */
  readonly updates: number;
  /** Runs `n` more Adam updates on fresh batches; their training losses (MSE), in order. */
  train(n: number): number[];
  /** ||dL/dh_t|| for t = 0 … T−1 on the probe batch (the test set's first 64), no update. */
  profile(): Float32Array;
  /** MSE on the test set (answering 1.0 always gives about 0.167). */
  testMse(): number;
  /** Frees the model. */
  dispose(): void;
}

/**
 * One cell on the adding problem at length `steps`: a seeded model (features 2 → cell →
 * dense 1), a seeded test set and probe batch, and batches drawn per update from the seed and
 * the update's index (so the same options give the same run, however it is split into calls).
 * Needs `await init()` first.
 * @example
 * ```ts
 * const x = addingExperiment('lstm', 50, { units: 16 });
 * const before = x.profile();
 * const losses = x.train(100);
 * console.log(losses.at(-1), x.profile()[0] / before[0], x.testMse());
 * x.dispose();
 * ```
 */
export function addingExperiment(cell: CellType, steps: number, opts: AddingExperimentOptions = {}): AddingExperiment {
  checkKeys('addingExperiment', opts, ['units', 'batchSize', 'lr', 'clipNorm', 'testSize', 'forgetBias', 'seed']);
  if (!['rnn_tanh', 'rnn_relu', 'lstm', 'gru'].includes(cell)) throw rangeError(`cell must be one of rnn_tanh, rnn_relu, lstm, gru (got ${String(cell)})`);
  const t = posInt('steps', steps);
  if (t < 2) throw rangeError(`steps = ${t} must be at least 2`);
  const units = posInt('units', opts.units, 32);
  const batch = posInt('batchSize', opts.batchSize, 32);
  const lr = numIn('lr', opts.lr, 0, 10, TASK_TRAINING.gradientFlow.lr);
  const clipNorm = numIn('clipNorm', opts.clipNorm, 0, 1e6, TASK_TRAINING.gradientFlow.clipNorm);
  const testSize = posInt('testSize', opts.testSize, 500);
  const forgetBias = numIn('forgetBias', opts.forgetBias, -100, 100, 1);
  const seed = opts.seed ?? 0;
  const test = addingProblem(t, testSize, seed + 7919 * t);
  const probeN = Math.min(64, testSize);
  const probe = { features: test.features.subarray(0, probeN * t * 2), batch: probeN, steps: t };
  const probeY = { values: test.targets.subarray(0, probeN) };
  const model = adding(cell, units, seed, forgetBias);
  let done = 0;
  try {
    model.compile({ loss: 'mse', ...taskCompile('gradientFlow', { lr, clipNorm }) });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return {
    cell,
    steps: t,
    get updates() {
      return done;
    },
    train(n: number): number[] {
      const losses: number[] = [];
      for (let k = posInt('n', n); k > 0; k--) {
        done++;
        const b = addingProblem(t, batch, seed + 1_000_003 * done + t);
        losses.push(model.trainStep({ features: b.features, batch, steps: t }, { values: b.targets }).loss);
      }
      return losses;
    },
    profile: () => hNorms(model.gradientProfile(probe, probeY)),
    testMse: () => testMse(model, test.features, test.targets, t),
    dispose: () => model.dispose(),
  };
}

/**
 * Trains each cell at each length on the adding problem and measures its gradient-norm profile
 * over time before and after training. Needs `await init()` first.
 * @example
 * ```ts
 * const runs = gradientFlow({ lengths: [20], updates: 50, units: 8 });
 * for (const r of runs) console.log(r.cell, r.testMse.toFixed(3), r.start[0] / r.start[19]);
 * ```
 */
export function gradientFlow(opts: GradientFlowOptions = {}): CellRun[] {
  checkKeys('gradientFlow', opts, ['lengths', 'cells', 'units', 'updates', 'batchSize', 'lr', 'clipNorm', 'testSize', 'forgetBias', 'seed', 'onRun']);
  const lengths = [...(opts.lengths ?? [50, 100, 200])];
  if (lengths.length === 0) throw rangeError('lengths must hold at least one T');
  lengths.forEach((t, i) => {
    if (posInt(`lengths[${i}]`, t) < 2) throw rangeError(`lengths[${i}] = ${t} must be at least 2`);
  });
  const cells = [...(opts.cells ?? (['rnn_tanh', 'lstm', 'gru'] as const))];
  const updates = posInt('updates', opts.updates, 1500);
  const { onRun, lengths: _l, cells: _c, updates: _u, ...xopts } = opts;
  const runs: CellRun[] = [];
  for (const t of lengths) {
    for (const cell of cells) {
      const x = addingExperiment(cell, t, xopts);
      try {
        const start = x.profile();
        const t0 = performance.now();
        x.train(updates);
        const seconds = (performance.now() - t0) / 1000;
        const run: CellRun = { cell, steps: t, testMse: x.testMse(), start, end: x.profile(), seconds };
        runs.push(run);
        onRun?.(run);
      } finally {
        x.dispose();
      }
    }
  }
  return runs;
}

/** Options of {@link explodingRelu}. */
export interface ExplodingOptions {
  /**
   * T.
   * @default 100
   */
  steps?: number;
  /**
   * Hidden units.
   * @default 32
   */
  units?: number;
  /**
   * The recurrent weights start as `scale` × the identity (PyTorch's default is U(±1/√H)).
   * @default 1.05
   */
  scale?: number;
  /**
   * Updates per run (SGD).
   * @default 100
   */
  updates?: number;
  /**
   * SGD learning rate.
   * @default 0.05
   */
  lr?: number;
  /**
   * The clipped run's global-norm threshold.
   * @default 1
   */
  clipNorm?: number;
  /**
   * Seed of the data and the initialisation.
   * @default 0
   */
  seed?: number;
}

/** One run of {@link explodingRelu}. */
export interface ExplodingRun {
  /** The clipping threshold, or undefined for none. */
  clipNorm: number | undefined;
  /** ||dL/dh_t|| over t on the probe batch at the start (the same for both runs). */
  start: Float32Array;
  /** Global gradient norm (before clipping) of every update. */
  gradNorms: number[];
  /** Loss of every update (non-finite once training has blown up). */
  losses: number[];
  /** Test MSE at the end (NaN or ∞ when the weights blew up). */
  testMse: number;
}

/**
 * A ReLU RNN whose recurrent weights start large (`scale` × identity) on the adding problem:
 * the gradient grows going back in time, and SGD without clipping blows up; the same run with
 * clipping by global norm stays finite. Needs `await init()` first.
 * @example
 * ```ts
 * const [plain, clipped] = explodingRelu({ steps: 20, units: 8, updates: 20 });
 * console.log(plain.testMse, clipped.clipNorm, clipped.testMse); // without clipping it may blow up; with it, finite
 * ```
 */
export function explodingRelu(opts: ExplodingOptions = {}): ExplodingRun[] {
  checkKeys('explodingRelu', opts, ['steps', 'units', 'scale', 'updates', 'lr', 'clipNorm', 'seed']);
  const t = posInt('steps', opts.steps, 100);
  if (t < 2) throw rangeError(`steps must be at least 2 (got ${t})`);
  const units = posInt('units', opts.units, 32);
  const scale = numIn('scale', opts.scale, 0, 100, 1.05);
  const updates = posInt('updates', opts.updates, 100);
  const lr = numIn('lr', opts.lr, 0, 10, TASK_TRAINING.explodingRelu.lr);
  const clip = numIn('clipNorm', opts.clipNorm, 0, 1e6, TASK_TRAINING.explodingRelu.clipNorm);
  const seed = opts.seed ?? 0;
  const test = addingProblem(t, 200, seed + 17);
  const probe = { features: test.features.subarray(0, 64 * t * 2), batch: 64, steps: t };
  const probeY = { values: test.targets.subarray(0, 64) };
  return [undefined, clip].map((clipNorm) => {
    const model = adding('rnn_relu', units, seed);
    try {
      const w = new Float32Array(units * units);
      for (let i = 0; i < units; i++) w[i * units + i] = scale;
      model.setParam('rnn.weight_hh_l0', w);
      // the first run unclipped, the second clipped at `clip`
      model.compile({ loss: 'mse', ...taskCompile('explodingRelu', { lr, clipNorm: clipNorm ?? 0 }) });
      const start = hNorms(model.gradientProfile(probe, probeY));
      const gradNorms: number[] = [];
      const losses: number[] = [];
      for (let i = 0; i < updates; i++) {
        const b = addingProblem(t, 32, seed + 1_000_003 * (i + 1));
        try {
          const r = model.trainStep({ features: b.features, batch: 32, steps: t }, { values: b.targets });
          gradNorms.push(r.gradNorm);
          losses.push(r.loss);
        } catch {
          // non-finite weights or loss: the run has blown up
          gradNorms.push(Number.POSITIVE_INFINITY);
          losses.push(Number.NaN);
          break;
        }
      }
      let mse = Number.NaN;
      try {
        mse = testMse(model, test.features, test.targets, t);
      } catch {
        // non-finite outputs
      }
      return { clipNorm, start, gradNorms, losses, testMse: mse };
    } finally {
      model.dispose();
    }
  });
}
