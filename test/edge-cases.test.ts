// Edge cases seen from JS, through the wasm build: typed errors (RangeError / TypeError with
// a stable `code` and a message naming the argument), the model staying usable after an
// error, and a finite-difference gradient check of bidirectional variable-length LSTM and
// GRU layers through RecurrentLayer.forward/backward.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CellType } from '../ts/index.js';
import { init, type Model, RecurrentLayer, sequential } from '../ts/index.js';
import { wasm } from '../ts/wasm.js';
import { expectError, randomArray } from './helpers.js';

beforeAll(() => init());

const lm = (seed = 1): Model =>
  sequential({ input: { vocab: 5 } })
    .embedding({ dim: 3 })
    .lstm({ units: 4, bidirectional: true })
    .dense({ units: 5 })
    .build({ seed });

describe('typed errors from RecurrentLayer', () => {
  const make = () => new RecurrentLayer({ cell: 'gru', inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 3 });
  const x = randomArray(3 * 4 * 3, 11); // B=3, T=4, I=3

  it('rejects unknown options and invalid sizes, naming them', () => {
    expectError(() => new RecurrentLayer({ cell: 'gru', inputSize: 3, hiddenSize: 5, hidden: 5 } as never), TypeError, 'E_OPTION', /RecurrentLayer\.hidden\b/);
    expectError(() => new RecurrentLayer({ cell: 'gruu' as never, inputSize: 3, hiddenSize: 5 }), TypeError, 'E_OPTION', /cell 'gruu'/);
    expectError(() => new RecurrentLayer({ cell: 'lstm', inputSize: 0, hiddenSize: 5 }), RangeError, 'E_RANGE', /inputSize/);
    expectError(() => new RecurrentLayer({ cell: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 1.5 }), RangeError, 'E_RANGE', /numLayers/);
    expectError(() => new RecurrentLayer({ cell: 'lstm', inputSize: 3, hiddenSize: 5, dropout: 1 }), RangeError, 'E_RANGE', /dropout/);
    const l = make();
    expectError(() => l.forward({ x, batch: 3, steps: 4, lenghts: [4, 0, 2] } as never), TypeError, 'E_OPTION', /forward\.lenghts/);
    expectError(() => l.backward({ gradOut: new Float32Array(1), gradH: new Float32Array(1) } as never), TypeError, 'E_OPTION', /backward\.gradH\b/);
    expectError(() => l.setParam('weight_ih_l9', new Float32Array(1)), TypeError, 'E_OPTION', /weight_ih_l9/);
    expectError(() => l.setParam('weight_ih_l0', new Float32Array(44)), RangeError, 'E_SHAPE', /weight_ih_l0/);
    l.dispose();
  });

  it('rejects bad inputs to forward, naming the argument', () => {
    const l = make();
    expectError(() => l.forward({ x: x.subarray(1), batch: 3, steps: 4 }), RangeError, 'E_SHAPE', /\bx has 35 values; expected 36/);
    const nan = x.slice();
    nan[7] = NaN;
    expectError(() => l.forward({ x: nan, batch: 3, steps: 4 }), RangeError, 'E_NONFINITE', /\bx\[7\]/);
    const inf = x.slice();
    inf[0] = -Infinity;
    expectError(() => l.forward({ x: inf, batch: 3, steps: 4 }), RangeError, 'E_NONFINITE', /\bx\[0\]/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, lengths: [4, 5, 2] }), RangeError, 'E_RANGE', /lengths\[1\] = 5/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, lengths: [4, 2] }), RangeError, 'E_SHAPE', /lengths/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, lengths: [4, -1, 2] }), RangeError, 'E_RANGE', /lengths\[1\] = -1/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, lengths: [4, 1.5, 2] }), RangeError, 'E_RANGE', /lengths\[1\] = 1\.5/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, lengths: [4, NaN, 2] }), RangeError, 'E_RANGE', /lengths\[1\] = NaN/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, lengths: [4, 2 ** 32 + 1, 2] }), RangeError, 'E_RANGE', /lengths\[1\] = 4294967297/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, h0: new Float32Array(29) }), RangeError, 'E_SHAPE', /h0/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, c0: new Float32Array(60) }), TypeError, 'E_OPTION', /c0/);
    expectError(() => l.forward({ x: new Float32Array(0), batch: 0, steps: 4 }), RangeError, 'E_RANGE', /batch/);
    l.dispose();
  });

  it('rejects backward before forward and getGrad before backward (E_STATE)', () => {
    const l = make();
    expectError(() => l.backward({ gradOut: new Float32Array(3 * 4 * 10) }), TypeError, 'E_STATE', /forward/);
    const core = new (wasm().RecurrentLayer)({ cell: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 1, bidirectional: false, dropout: 0 }, 1);
    expectError(() => core.getGrad('weight_ih_l0'), TypeError, 'E_STATE', /backward/);
    core.forward(x, new (wasm().BatchDims)(3, 4), new Uint32Array(0), new Float32Array(0), new Float32Array(0), false);
    expectError(() => core.getGrad('weight_ih_l0'), TypeError, 'E_STATE', /backward/);
    core.backward(new Float32Array(3 * 4 * 5), new Float32Array(0), new Float32Array(0));
    expect(core.getGrad('weight_ih_l0').length).toBe(60);
    core.free();
    l.dispose();
  });

  it('stays usable after errors: a later valid call gives the same result', () => {
    const l = make();
    const lengths = [4, 0, 2];
    const gradOut = randomArray(3 * 4 * 10, 12);
    const f1 = l.forward({ x, batch: 3, steps: 4, lengths });
    const g1 = l.backward({ gradOut });
    expectError(() => l.forward({ x: x.subarray(2), batch: 3, steps: 4 }), RangeError, 'E_SHAPE', /\bx\b/);
    expectError(() => l.forward({ x, batch: 3, steps: 4, lengths: [9, 0, 0] }), RangeError, 'E_RANGE', /lengths/);
    // the failed forwards changed nothing: backward still refers to the last good forward
    expectError(() => l.backward({ gradOut: gradOut.subarray(1) }), RangeError, 'E_SHAPE', /gradOut/);
    expectError(() => l.backward({ gradOut, gradCN: new Float32Array(60) }), TypeError, 'E_OPTION', /gradCN/);
    expect(l.backward({ gradOut }).params).toEqual(g1.params);
    const f2 = l.forward({ x, batch: 3, steps: 4, lengths });
    expect(f2.out).toEqual(f1.out);
    expect(f2.hN).toEqual(f1.hN);
    const g2 = l.backward({ gradOut });
    expect(g2.x).toEqual(g1.x);
    expect(g2.params).toEqual(g1.params);
    l.dispose();
  });

  it('handles T = 1, B = 1, hidden size 1 and a zero-length row', () => {
    for (const cell of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as CellType[]) {
      const l = new RecurrentLayer({ cell, inputSize: 2, hiddenSize: 1, numLayers: 2, bidirectional: true, seed: 5 });
      const one = l.forward({ x: new Float32Array([0.5, -0.25]), batch: 1, steps: 1 });
      expect(one.out.length).toBe(2);
      expect(one.hN.length).toBe(4);
      expect(Array.from(one.out).every(Number.isFinite)).toBe(true);
      // bidirectional with T = 1: the output at step 0 holds both final top-layer states
      expect(one.out[0]).toBe(one.hN[2]);
      expect(one.out[1]).toBe(one.hN[3]);
      const h0 = randomArray(4 * 2, 6);
      const r = l.forward({ x: randomArray(2 * 3 * 2, 7), batch: 2, steps: 3, lengths: [3, 0], h0 });
      for (let t = 0; t < 3; t++) expect([r.out[(3 + t) * 2], r.out[(3 + t) * 2 + 1]]).toEqual([0, 0]);
      for (let row = 0; row < 4; row++) expect(r.hN[row * 2 + 1]).toBe(h0[row * 2 + 1]);
      const g = l.backward({ gradOut: randomArray(2 * 3 * 2, 8) });
      expect(Array.from(g.x.subarray(6))).toEqual([0, 0, 0, 0, 0, 0]);
      l.dispose();
    }
  });
});

describe('typed errors from the builder, compile and Model', () => {
  it('rejects unknown option names in the builder, naming them', () => {
    expectError(() => sequential({ input: { vocab: 5 }, output: 3 } as never), TypeError, 'E_OPTION', /sequential\.output/);
    expectError(() => sequential({ input: { vocab: 5, dim: 3 } as never }), TypeError, 'E_OPTION', /input\.dim/);
    const s = () => sequential({ input: { vocab: 5 } });
    expectError(() => s().embedding({ dim: 3, size: 3 } as never), TypeError, 'E_OPTION', /embedding\.size/);
    expectError(
      () =>
        s()
          .embedding({ dim: 3 })
          .lstm({ units: 4, unit: 4 } as never),
      TypeError,
      'E_OPTION',
      /lstm\.unit\b/,
    );
    expectError(
      () =>
        s()
          .embedding({ dim: 3 })
          .gru({ units: 4, returnSequence: false } as never),
      TypeError,
      'E_OPTION',
      /gru\.returnSequence\b/,
    );
    expectError(
      () =>
        s()
          .embedding({ dim: 3 })
          .rnn({ units: 4, actvation: 'relu' } as never),
      TypeError,
      'E_OPTION',
      /rnn\.actvation/,
    );
    expectError(
      () =>
        s()
          .embedding({ dim: 3 })
          .lstm({ units: 4 })
          .dense({ units: 5, activation: 'softmax' } as never),
      TypeError,
      'E_OPTION',
      /dense\.activation/,
    );
    expectError(
      () =>
        s()
          .embedding({ dim: 3 })
          .lstm({ units: 4 })
          .dense({ units: 5 })
          .build({ sed: 1 } as never),
      TypeError,
      'E_OPTION',
      /build\.sed/,
    );
    expectError(() => s().embedding({ dim: 3 }).lstm({ units: 0 }), RangeError, 'E_RANGE', /lstm\.units/);
  });

  it('rejects unknown option names in compile, naming them', () => {
    const m = lm();
    expectError(() => m.compile({ optimiser: 'adam' } as never), TypeError, 'E_OPTION', /compile\.optimiser/);
    expectError(() => m.compile({ optimizer: { name: 'adam', learningRate: 1e-3 } as never }), TypeError, 'E_OPTION', /optimizer\.learningRate/);
    expectError(() => m.compile({ optimizer: { name: 'sgd', lr: 0.1, beta: 0.9 } as never }), TypeError, 'E_OPTION', /optimizer\.beta\b/);
    expectError(() => m.compile({ optimizer: { name: 'adamax' } as never }), TypeError, 'E_OPTION', /adamax/);
    expectError(() => m.compile({ schedule: { name: 'step', stepSize: 2, gama: 0.5 } as never }), TypeError, 'E_OPTION', /schedule\.gama/);
    expectError(() => m.compile({ loss: 'hinge' as never }), TypeError, 'E_OPTION', /hinge/);
    expectError(() => m.compile({ clipNorm: -1 }), RangeError, 'E_RANGE', /clipNorm/);
    expectError(() => m.compile({ optimizer: { name: 'adam', lr: -1 } }), RangeError, 'E_RANGE', /optimizer\.lr/);
    expectError(() => m.trainStep({ ids: [0, 1], batch: 1, steps: 2 }, { classes: [1, 2] }), TypeError, 'E_STATE', /compile/);
    m.compile({ optimizer: { name: 'sgd', lr: 0.1 } });
    expect(m.trainStep({ ids: [0, 1], batch: 1, steps: 2 }, { classes: [1, 2] }).loss).toBeGreaterThan(0);
    m.dispose();
  });

  it('rejects bad batches, naming the argument', () => {
    const m = lm();
    const ids = [0, 1, 2, 3, 4, 0];
    expectError(() => m.forward({ ids: ids.slice(1), batch: 2, steps: 3 }), RangeError, 'E_SHAPE', /ids has 5 values/);
    expectError(() => m.forward({ ids: [0, 1, 5, 0, 0, 0], batch: 2, steps: 3 }), RangeError, 'E_RANGE', /ids\[2\] = 5/);
    expectError(() => m.forward({ ids: new Uint32Array([0, 1, 2, 99, 0, 0]), batch: 2, steps: 3 }), RangeError, 'E_RANGE', /ids\[3\] = 99/);
    expectError(() => m.forward({ ids: [0, -1, 0, 0, 0, 0], batch: 2, steps: 3 }), RangeError, 'E_RANGE', /ids\[1\] = -1/);
    expectError(() => m.forward({ ids: new Int32Array([0, 0, 0, 0, -7, 0]), batch: 2, steps: 3 }), RangeError, 'E_RANGE', /ids\[4\] = -7/);
    expectError(() => m.forward({ ids: [0, 0.5, 0, 0, 0, 0], batch: 2, steps: 3 }), RangeError, 'E_RANGE', /ids\[1\] = 0\.5/);
    expectError(() => m.forward({ ids: [0, 0, 2 ** 32, 0, 0, 0], batch: 2, steps: 3 }), RangeError, 'E_RANGE', /ids\[2\] = 4294967296/);
    expectError(() => m.forward({ ids, batch: 2, steps: 3, lengths: [3, 2 ** 32 + 1] }), RangeError, 'E_RANGE', /lengths\[1\] = 4294967297/);
    expectError(() => m.forward({ ids, batch: 2, steps: 3, lengths: [3, 4] }), RangeError, 'E_RANGE', /lengths\[1\] = 4/);
    expectError(() => m.forward({ ids, batch: 2, steps: 3, lengths: [-1, 2] }), RangeError, 'E_RANGE', /lengths\[0\] = -1/);
    expectError(() => m.forward({ ids, batch: 2, steps: 3, lengths: [3] }), RangeError, 'E_SHAPE', /lengths/);
    expectError(() => m.forward({ ids, batch: 2, steps: 3, lenghts: [3, 3] } as never), TypeError, 'E_OPTION', /batch\.lenghts/);
    expectError(() => m.forward({ features: new Float32Array(18), batch: 2, steps: 3 }), TypeError, 'E_OPTION', /token ids/);
    const f = sequential({ input: { features: 3 } })
      .gru({ units: 4 })
      .dense({ units: 2 })
      .build({ seed: 2 });
    const x = randomArray(18, 3);
    x[4] = NaN;
    expectError(() => f.forward({ features: x, batch: 2, steps: 3 }), RangeError, 'E_NONFINITE', /features\[4\]/);
    expectError(() => f.forward({ features: new Float32Array(17), batch: 2, steps: 3 }), RangeError, 'E_SHAPE', /features has 17 values/);
    f.forward({ features: new Float32Array(18), batch: 2, steps: 3 });
    const tv = new Float32Array(12);
    tv[3] = Infinity;
    expectError(() => f.loss({ values: tv }, { loss: 'mse' }), RangeError, 'E_NONFINITE', /targets\[3\]/);
    m.dispose();
    f.dispose();
  });

  it('rejects loss before forward and getGrad before backward (E_STATE)', () => {
    const m = lm();
    expectError(() => m.loss({ classes: [1, 2, 3, 4, 0, 1] }, { backward: true }), TypeError, 'E_STATE', /forward/);
    expectError(() => m.getGrad('head.weight'), TypeError, 'E_STATE', /backward/);
    m.forward({ ids: [0, 1, 2, 3, 4, 0], batch: 2, steps: 3 });
    m.loss({ classes: [1, 2, 3, 4, 0, 1] });
    expectError(() => m.getGrad('head.weight'), TypeError, 'E_STATE', /backward/);
    m.loss({ classes: [1, 2, 3, 4, 0, 1] }, { backward: true });
    expect(m.getGrad('head.weight').length).toBe(40);
    expectError(() => m.getGrad('head.weights'), TypeError, 'E_OPTION', /head\.weights/);
    // a training step is a backward too
    const t = lm(2).compile({ optimizer: { name: 'sgd', lr: 0.1 } });
    expectError(() => t.getGrad('head.bias'), TypeError, 'E_STATE', /backward/);
    t.trainStep({ ids: [0, 1, 2], batch: 1, steps: 3 }, { classes: [1, 2, 3] });
    expect(Array.from(t.getGrad('head.bias')).some((g) => g !== 0)).toBe(true);
    m.dispose();
    t.dispose();
  });

  it('stays usable after errors: a later valid call works and gives the same result', () => {
    const m = lm();
    m.compile({ optimizer: { name: 'sgd', lr: 0.1 } });
    const batch = { ids: [0, 1, 2, 3, 4, 0], batch: 2, steps: 3, lengths: [3, 1] };
    const classes = [1, 2, 3, 4, 0, 1];
    const out1 = m.forward(batch);
    const l1 = m.loss({ classes }, { backward: true });
    const g1 = m.getGrad('rnn.weight_hh_l0_reverse');
    const w = m.getParams();
    expectError(() => m.forward({ ...batch, ids: [0, 1, 2, 3, 4, 9] }), RangeError, 'E_RANGE', /ids\[5\]/);
    expectError(() => m.loss({ classes: [1, 2, 3, 4, 0, 7] }, { backward: true }), RangeError, 'E_RANGE', /targets\[5\] = 7/);
    expectError(() => m.loss({ classes: classes.slice(1) }, { backward: true }), RangeError, 'E_SHAPE', /targets/);
    expectError(() => m.trainStep(batch, { classes: [1, 2, 3, 4, 0, -5] }), RangeError, 'E_RANGE', /targets\[5\] = -5/);
    expectError(() => m.setParam('head.bias', new Float32Array([1, 2, NaN, 4, 5])), RangeError, 'E_NONFINITE', /head\.bias\[2\]/);
    expect(m.getParams()).toEqual(w); // nothing moved
    expect(m.forward(batch)).toEqual(out1);
    expect(m.loss({ classes }, { backward: true })).toEqual(l1);
    expect(m.getGrad('rnn.weight_hh_l0_reverse')).toEqual(g1);
    const s = m.trainStep(batch, { classes });
    expect(s.loss).toBeCloseTo(l1.loss, 6);
    expect(m.getParams()).not.toEqual(w);
    m.dispose();
  });

  it('huge logits give a finite, exact cross-entropy', () => {
    const m = lm();
    m.setParam('head.bias', new Float32Array(5).fill(1e30));
    m.forward({ ids: [0, 1, 2, 3, 4, 0], batch: 2, steps: 3 });
    const { loss, count } = m.loss({ classes: [1, 2, 3, 4, 0, 1] }, { backward: true });
    expect(count).toBe(6);
    expect(loss).toBeCloseTo(Math.log(5), 6);
    for (const n of m.paramNames()) expect(Array.from(m.getGrad(n)).every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});

// ───────────────────── finite differences through wasm ─────────────────────

// L = Σ out·R1 + Σ hN·R2 + Σ cN·R3 in f64 (JS numbers) over f32 results. Each comparison
// takes central and one-sided differences at ε = 1e-2, then 2.5e-3, 6e-4 if needed, against
// g·(p+ − p−) with p± the f32-rounded perturbed values, and passes when
// |fd − an| ≤ 1e-2·max(|fd|, |an|, floor) (floor: ‖g‖/√n for a unit direction,
// 0.05·rms(g) + 1e-3 for one element), as in crates/recurrent-core/tests/gradcheck.rs.
const TOL = 1e-2;
const EPS = [1e-2, 2.5e-3, 6e-4];

function gaussians(n: number, seed: number): number[] {
  const u = randomArray(2 * n, seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = Math.max((u[2 * i] + 1) / 2, 1e-12);
    out.push(Math.sqrt(-2 * Math.log(a)) * Math.cos(Math.PI * (u[2 * i + 1] + 1)));
  }
  const norm = Math.hypot(...out);
  return out.map((v) => v / norm);
}

function gradcheckLayer(cell: 'lstm' | 'gru'): { cases: number; worst: number } {
  const [B, T, I, H, L] = [3, 4, 3, 5, 2];
  const lengths = [4, 0, 2];
  const layer = new RecurrentLayer({ cell, inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true, seed: 17 });
  const names = layer.paramNames();
  const state = L * 2 * B * H;
  const lstm = cell === 'lstm';
  const base: Record<string, Float32Array> = {
    x: randomArray(B * T * I, 21),
    h0: randomArray(state, 22).map((v) => v / 2),
    c0: lstm ? randomArray(state, 23).map((v) => v / 2) : new Float32Array(0),
  };
  for (const n of names) base[n] = layer.getParam(n);
  const blocks = [...names, 'x', 'h0', ...(lstm ? ['c0'] : [])];
  const r1 = randomArray(B * T * 2 * H, 31);
  const r2 = randomArray(state, 32);
  const r3 = randomArray(state, 33);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  const loss = (v: Record<string, Float32Array>): number => {
    for (const n of names) layer.setParam(n, v[n]);
    const f = layer.forward({ x: v.x, batch: B, steps: T, lengths, h0: v.h0, ...(lstm ? { c0: v.c0 } : {}) });
    return dot(f.out, r1) + dot(f.hN, r2) + (lstm ? dot(f.cN!, r3) : 0);
  };
  const l0 = loss(base);
  const fw = layer.forward({ x: base.x, batch: B, steps: T, lengths, h0: base.h0, ...(lstm ? { c0: base.c0 } : {}) });
  const g = layer.backward({ gradOut: r1, gradHN: r2, ...(lstm ? { gradCN: r3 } : {}) });
  const grad: Record<string, Float32Array> = { ...g.params, x: g.x, h0: g.h0, c0: g.c0 ?? new Float32Array(0) };

  // padded steps: zero output, zero gradient
  for (let b = 0; b < B; b++) {
    for (let t = lengths[b]; t < T; t++) {
      expect(Array.from(fw.out.subarray((b * T + t) * 2 * H, (b * T + t + 1) * 2 * H)).every((v) => v === 0)).toBe(true);
      expect(Array.from(g.x.subarray((b * T + t) * I, (b * T + t + 1) * I)).every((v) => v === 0)).toBe(true);
    }
  }

  let cases = 0;
  let worst = 0;
  const check = (what: string, dir: Record<string, number[]>, floor: number) => {
    let best = Infinity;
    let detail = '';
    for (const eps of EPS) {
      const plus: Record<string, Float32Array> = {};
      const minus: Record<string, Float32Array> = {};
      let anP = 0;
      let anM = 0;
      for (const k of blocks) {
        plus[k] = base[k];
        minus[k] = base[k];
        const d = dir[k];
        if (!d) continue;
        plus[k] = base[k].slice();
        minus[k] = base[k].slice();
        for (let i = 0; i < d.length; i++) {
          if (d[i] === 0) continue;
          plus[k][i] = Math.fround(base[k][i] + eps * d[i]);
          minus[k][i] = Math.fround(base[k][i] - eps * d[i]);
          anP += grad[k][i] * (plus[k][i] - base[k][i]);
          anM += grad[k][i] * (base[k][i] - minus[k][i]);
        }
      }
      const lp = loss(plus);
      const lm_ = loss(minus);
      for (const [fd, an] of [
        [(lp - lm_) / (2 * eps), (anP + anM) / (2 * eps)],
        [(lp - l0) / eps, anP / eps],
        [(l0 - lm_) / eps, anM / eps],
      ]) {
        const e = Math.abs(fd - an) / Math.max(Math.abs(fd), Math.abs(an), floor);
        if (e < best) [best, detail] = [e, `fd ${fd} vs analytic ${an}`];
      }
      if (best <= TOL / 10) break;
    }
    cases++;
    worst = Math.max(worst, best);
    expect(best, `${cell} ${what}: ${detail}`).toBeLessThanOrEqual(TOL);
  };
  const norm = (a: Float32Array) => Math.hypot(...Array.from(a));
  let seed = 100;
  // one random unit direction over all parameters at once, and one per input block
  const all = names.reduce((s, n) => s + base[n].length, 0);
  const u = gaussians(all, seed++);
  const dirP: Record<string, number[]> = {};
  let off = 0;
  let gsq = 0;
  for (const n of names) {
    dirP[n] = u.slice(off, off + base[n].length);
    off += base[n].length;
    gsq += norm(grad[n]) ** 2;
  }
  check('all parameters, random direction', dirP, Math.sqrt(gsq / all));
  for (const k of ['x', 'h0', ...(lstm ? ['c0'] : [])]) {
    check(`${k}, random direction`, { [k]: gaussians(base[k].length, seed++) }, norm(grad[k]) / Math.sqrt(base[k].length));
  }
  // per element: the last element of every parameter tensor (SIMD tails), a few of x/h0/c0
  for (const k of blocks) {
    const n = base[k].length;
    const rms = norm(grad[k]) / Math.sqrt(n);
    for (const i of k === 'x' || k === 'h0' || k === 'c0' ? [0, 7 % n, n - 1] : [n - 1]) {
      const d = new Array<number>(n).fill(0);
      d[i] = 1;
      check(`d${k}[${i}]`, { [k]: d }, 0.05 * rms + 1e-3);
    }
  }
  layer.dispose();
  return { cases, worst };
}

describe('finite-difference gradients through wasm', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: 2 layers, bidirectional, lengths [4, 0, 2], I=3 H=5 B=3 T=4`, () => {
      const { cases, worst } = gradcheckLayer(cell);
      console.log(`wasm gradcheck ${cell}: ${cases} comparisons, worst relative error ${worst.toExponential(2)} (tolerance ${TOL})`);
      expect(cases).toBe(cell === 'lstm' ? 4 + 16 + 9 : 3 + 16 + 6);
    });
  }
});
