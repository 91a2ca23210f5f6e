// Conformance: runs an `rnn-golden/1` fixture (PyTorch golden outputs, gradients and
// training trajectories; format in test/fixtures/torch/README.md) through the public API
// and reports, per tensor, the largest absolute and relative error.
// Tolerance: |a−b| ≤ atol + rtol·|b| with (1e-5, 1e-4) for `layer` and `lm`, and
// (1e-4, 1e-3) for the losses, gradient norms and final weights of `train`.
import { ctcLoss } from '../../ctc.js';
import { formatError, isRecurrentError } from '../../errors.js';
import { CELL_TYPES, type CellType, RecurrentLayer } from '../../layer.js';
import { Model, type OptimizerSpec } from '../../model.js';
import type { ModelSpecJSON } from '../../spec.js';

/** How one tensor of a fixture compared with PyTorch's. */
export interface TensorReport {
  /** The tensor's name in the fixture (e.g. `out`, `grad_weight_ih_l0`, `losses`). */
  name: string;
  /** Largest absolute error |a − b| (NaN if any value was NaN). */
  maxAbs: number;
  /** Largest relative error |a − b| / max(|b|, 1e-12). */
  maxRel: number;
  /** Whether every element is within |a − b| ≤ atol + rtol·|b| (and the lengths match). */
  ok: boolean;
}

/** The result of running one `rnn-golden/1` fixture. */
export interface FixtureReport {
  /** The fixture's case name. */
  case: string;
  /**
   * `layer` (outputs and gradients of a recurrent stack), `lm` (language-model loss and
   * gradients) or `train` (a multi-step training trajectory); `?` when the file could not be parsed.
   */
  kind: string;
  /** Whether every tensor passed and the fixture ran. */
  ok: boolean;
  /** One report per compared tensor. */
  tensors: TensorReport[];
  /** Set when the fixture could not be run (corrupt file, unsupported option). */
  error?: string;
}

interface Tensor {
  shape: number[];
  data: number[];
}

interface Golden {
  format: string;
  case: string;
  kind: 'layer' | 'lm' | 'train' | 'ctc';
  cell: CellType;
  tensors: Record<string, Tensor>;
  [k: string]: unknown;
}

function parse(json: unknown): Golden {
  const g = json as Golden;
  if (!g || typeof g !== 'object') throw formatError('a fixture must be a JSON object');
  if (g.format !== 'rnn-golden/1') throw formatError(`unsupported fixture format '${String(g.format)}' (expected rnn-golden/1)`);
  if (!['layer', 'lm', 'train', 'ctc'].includes(g.kind)) throw formatError(`unknown fixture kind '${String(g.kind)}'`);
  if (g.kind !== 'ctc' && !CELL_TYPES.includes(g.cell)) throw formatError(`unknown cell '${String(g.cell)}'`);
  if (!g.tensors || typeof g.tensors !== 'object') throw formatError('fixture has no tensors map');
  for (const [name, t] of Object.entries(g.tensors)) {
    if (!t || !Array.isArray(t.shape) || !Array.isArray(t.data)) throw formatError(`tensor '${name}' needs shape and data arrays`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw formatError(`tensor '${name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  }
  return g;
}

function num(g: Golden, k: string): number {
  const v = g[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw formatError(`fixture field '${k}' must be a non-negative integer`);
  return v;
}

class Checker {
  readonly tensors: TensorReport[] = [];
  constructor(
    private readonly atol: number,
    private readonly rtol: number,
  ) {}
  compare(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
    let maxAbs = 0;
    let maxRel = 0;
    let ok = got.length === want.length;
    for (let i = 0; i < Math.min(got.length, want.length); i++) {
      const e = Math.abs(got[i] - want[i]);
      if (!(e <= this.atol + this.rtol * Math.abs(want[i]))) ok = false;
      if (!(e <= maxAbs)) maxAbs = e; // also records NaN
      const rel = e / Math.max(Math.abs(want[i]), 1e-12);
      if (!(rel <= maxRel)) maxRel = rel;
    }
    this.tensors.push({ name, maxAbs, maxRel, ok });
  }
}

const f32 = (t: Tensor) => Float32Array.from(t.data);
const need = (g: Golden, name: string): Tensor => {
  const t = g.tensors[name];
  if (!t) throw formatError(`fixture ${g.case} lacks tensor '${name}'`);
  return t;
};

function runLayer(g: Golden, c: Checker): void {
  const layer = new RecurrentLayer({
    cell: g.cell,
    inputSize: num(g, 'input_size'),
    hiddenSize: num(g, 'hidden_size'),
    numLayers: num(g, 'num_layers'),
    bidirectional: Boolean(g.bidirectional),
    // PyTorch's LSTM with projections (test/fixtures/torch-proj)
    ...(g.proj_size === undefined ? {} : { projSize: num(g, 'proj_size') }),
  });
  try {
    for (const n of layer.paramNames()) layer.setParam(n, f32(need(g, n)));
    const lengths = Array.isArray(g.lengths) ? (g.lengths as number[]) : undefined;
    const res = layer.forward({
      x: f32(need(g, 'x')),
      batch: num(g, 'batch'),
      steps: num(g, 'steps'),
      lengths,
      h0: g.tensors.h0 && f32(g.tensors.h0),
      c0: g.tensors.c0 && f32(g.tensors.c0),
    });
    c.compare('out', res.out, need(g, 'out').data);
    c.compare('h_n', res.hN, need(g, 'h_n').data);
    if (res.cN) c.compare('c_n', res.cN, need(g, 'c_n').data);
    const grads = layer.backward({
      gradOut: f32(need(g, 'grad_out')),
      gradHN: g.tensors.grad_h_n && f32(g.tensors.grad_h_n),
      gradCN: g.tensors.grad_c_n && f32(g.tensors.grad_c_n),
    });
    c.compare('grad.x', grads.x, need(g, 'grad.x').data);
    if (g.tensors['grad.h0']) c.compare('grad.h0', grads.h0, g.tensors['grad.h0'].data);
    if (g.tensors['grad.c0'] && grads.c0) c.compare('grad.c0', grads.c0, g.tensors['grad.c0'].data);
    for (const n of layer.paramNames()) c.compare(`grad.${n}`, grads.params[n], need(g, `grad.${n}`).data);
  } finally {
    layer.dispose();
  }
}

function lmModel(g: Golden): Model {
  const vocab = num(g, 'vocab');
  const spec: ModelSpecJSON = {
    input: { vocab },
    layers: [
      { type: 'embedding', name: 'embedding', dim: num(g, 'embed') },
      {
        type: 'recurrent',
        name: 'rnn',
        cell: g.cell,
        units: num(g, 'hidden_size'),
        layers: num(g, 'num_layers'),
        bidirectional: Boolean(g.bidirectional),
        dropout: 0,
        returnSequences: true,
      },
      { type: 'dense', name: 'head', units: vocab },
    ],
  };
  const m = Model.fromSpec(spec, 0);
  for (const n of m.paramNames()) m.setParam(n, f32(need(g, n)));
  return m;
}

function runLm(g: Golden, c: Checker): void {
  const m = lmModel(g);
  try {
    const batch = { ids: need(g, 'tokens').data, batch: num(g, 'batch'), steps: num(g, 'steps') };
    c.compare('logits', m.forward(batch), need(g, 'logits').data);
    const { loss } = m.loss({ classes: need(g, 'targets').data }, { backward: true });
    c.compare('loss', [loss], [g.loss as number]);
    for (const n of m.paramNames()) c.compare(`grad.${n}`, m.getGrad(n), need(g, `grad.${n}`).data);
  } finally {
    m.dispose();
  }
}

/** PyTorch optimizer fields (snake_case) → the SDK's options. */
function optimizerOf(o: Record<string, unknown>): OptimizerSpec {
  const names: Record<string, string> = { weight_decay: 'weightDecay', lr_decay: 'lrDecay', initial_accumulator_value: 'initialAccumulatorValue' };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[names[k] ?? k] = v;
  return out as OptimizerSpec;
}

function runTrain(g: Golden, c: Checker): void {
  const m = lmModel(g);
  try {
    m.compile({
      loss: 'crossEntropy',
      optimizer: optimizerOf(g.optimizer as Record<string, unknown>),
      clipNorm: (g.clip_grad_norm as number | null) ?? undefined,
    });
    const batch = { ids: need(g, 'tokens').data, batch: num(g, 'batch'), steps: num(g, 'steps') };
    const targets = { classes: need(g, 'targets').data };
    const chunk = g.tbptt_chunk as number | null;
    const steps = [];
    for (let e = 0; e < num(g, 'epochs'); e++) {
      if (chunk) steps.push(...m.trainTbptt(batch, targets, chunk));
      else steps.push(m.trainStep(batch, targets));
    }
    c.compare(
      'losses',
      steps.map((s) => s.loss),
      g.losses as number[],
    );
    const norms = (g.grad_norms_before_clip as number[] | undefined) ?? [];
    if (norms.length)
      c.compare(
        'grad_norms_before_clip',
        steps.map((s) => s.gradNorm),
        norms,
      );
    for (const n of m.paramNames()) c.compare(`final.${n}`, m.getParam(n), need(g, `final.${n}`).data);
  } finally {
    m.dispose();
  }
}

/** CTC loss and gradient: logits [T, B, C] time-major in the fixture, batch-first here. */
function runCtc(g: Golden, c: Checker): void {
  const lt = need(g, 'logits');
  const [t, b, k] = lt.shape;
  const toBatchFirst = (d: number[]) => {
    const out = new Float64Array(b * t * k);
    for (let tt = 0; tt < t; tt++) for (let bb = 0; bb < b; bb++) for (let j = 0; j < k; j++) out[(bb * t + tt) * k + j] = d[(tt * b + bb) * k + j];
    return out;
  };
  const tg = need(g, 'targets');
  const s = tg.shape[1];
  const tl = need(g, 'target_lengths').data;
  const res = ctcLoss(
    {
      scores: Float32Array.from(toBatchFirst(lt.data)),
      batch: b,
      steps: t,
      classes: k,
      inputLengths: need(g, 'input_lengths').data,
      targets: tl.map((n, r) => tg.data.slice(r * s, r * s + n)),
    },
    { blank: num(g, 'blank'), reduction: g.reduction as 'mean' | 'sum', zeroInfinity: Boolean(g.zero_infinity) },
  );
  if (typeof g.loss !== 'number') throw formatError(`fixture ${g.case} lacks its loss`);
  c.compare('loss', [res.loss], [g.loss]);
  c.compare('grad.logits', res.grad, toBatchFirst(need(g, 'grad.logits').data));
}

/**
 * Runs one `rnn-golden/1` fixture (a parsed JSON file of PyTorch golden outputs, gradients and
 * training trajectories; format in `test/fixtures/torch/README.md`) through the public API and
 * reports, per tensor, the largest errors. Tolerances: (atol 1e-5, rtol 1e-4) for `layer` and
 * `lm` and `ctc` (the loss and its gradient; `kind: "ctc"` fixtures, test/fixtures/torch-ctc), (1e-4, 1e-3) for `train`. A malformed fixture or a recurrent error gives a failed report
 * with `error` set rather than throwing. Needs `await init()` first.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * await init();
 * const r = runFixture(JSON.parse(readFileSync('test/fixtures/torch/layer_lstm_l1_uni.json', 'utf8')));
 * console.log(r.ok, r.tensors.map((t) => `${t.name} ${t.maxAbs}`));
 * ```
 */
export function runFixture(json: unknown): FixtureReport {
  const name = (json as { case?: string })?.case ?? '(unnamed)';
  let g: Golden;
  try {
    g = parse(json);
  } catch (e) {
    return { case: name, kind: '?', ok: false, tensors: [], error: (e as Error).message };
  }
  const c = g.kind === 'train' ? new Checker(1e-4, 1e-3) : new Checker(1e-5, 1e-4);
  try {
    if (g.kind === 'layer') runLayer(g, c);
    else if (g.kind === 'lm') runLm(g, c);
    else if (g.kind === 'ctc') runCtc(g, c);
    else runTrain(g, c);
  } catch (e) {
    if (!isRecurrentError(e)) throw e;
    return { case: g.case, kind: g.kind, ok: false, tensors: c.tensors, error: `${e.code}: ${e.message}` };
  }
  return { case: g.case, kind: g.kind, ok: c.tensors.every((t) => t.ok), tensors: c.tensors };
}

/**
 * Runs several fixtures (see {@link runFixture}); returns the reports and the pass/fail counts.
 * The `recurrent conformance DIR` command prints the same.
 */
export function runFixtures(jsons: unknown[]): { reports: FixtureReport[]; passed: number; failed: number } {
  const reports = jsons.map(runFixture);
  const passed = reports.filter((r) => r.ok).length;
  return { reports, passed, failed: reports.length - passed };
}
