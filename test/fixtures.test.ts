// Every PyTorch golden fixture through the public TS API and the wasm build.
import { beforeAll, describe, expect, it } from 'vitest';
import { runFixture } from '../ts/cli/conformance/runner.js';
import { init, RecurrentLayer } from '../ts/index.js';
import { fixtureNames, loadFixture } from './helpers.js';

beforeAll(() => init());

describe('PyTorch fixtures (wasm)', () => {
  it('ships all 32 fixtures', () => {
    expect(fixtureNames()).toHaveLength(32);
  });

  for (const name of fixtureNames()) {
    it(name, () => {
      const r = runFixture(loadFixture(name));
      const bad = r.tensors.filter((t) => !t.ok).map((t) => `${t.name}: max abs ${t.maxAbs}`);
      expect(r.error).toBeUndefined();
      expect(bad).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.tensors.length).toBeGreaterThan(3);
    });
  }

  it('the first slice: one LSTM layer by hand, within |a−b| ≤ 1e-5 + 1e-4·|b|', () => {
    const f = loadFixture('layer_lstm_l1_uni.json');
    const T = (k: string) => Float32Array.from(f.tensors[k].data as number[]);
    const layer = new RecurrentLayer({ cell: 'lstm', inputSize: f.input_size, hiddenSize: f.hidden_size });
    expect(layer.paramNames()).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']);
    expect(layer.paramShape('weight_ih_l0')).toEqual([32, 4]);
    for (const n of layer.paramNames()) layer.setParam(n, T(n));
    const close = (got: Float32Array, want: number[]) => {
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => {
        expect(Math.abs(g - want[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want[i]));
      });
    };
    const fw = layer.forward({ x: T('x'), batch: f.batch, steps: f.steps, h0: T('h0'), c0: T('c0') });
    close(fw.out, f.tensors.out.data);
    close(fw.hN, f.tensors.h_n.data);
    close(fw.cN!, f.tensors.c_n.data);
    const g = layer.backward({ gradOut: T('grad_out'), gradHN: T('grad_h_n'), gradCN: T('grad_c_n') });
    close(g.x, f.tensors['grad.x'].data);
    close(g.h0, f.tensors['grad.h0'].data);
    close(g.c0!, f.tensors['grad.c0'].data);
    for (const n of layer.paramNames()) close(g.params[n], f.tensors[`grad.${n}`].data);
    layer.dispose();
  });

  it('reports a corrupt fixture instead of throwing, and fails a perturbed one', () => {
    expect(runFixture({ format: 'other' }).ok).toBe(false);
    const f = loadFixture('lm_gru.json');
    f.tensors.logits.data[3] += 0.01;
    const r = runFixture(f);
    expect(r.ok).toBe(false);
    expect(r.tensors.find((t) => t.name === 'logits')!.ok).toBe(false);
    const g = loadFixture('lm_gru.json');
    g.tensors.tokens.shape = [3, 6];
    expect(runFixture(g).error).toMatch(/tokens/);
  });
});
