// The typed builder: runtime validation of every option, and type-level checks (tsc over
// test/types/builder-types.ts, whose @ts-expect-error lines must each be real errors).
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, Model, sequential } from '../ts/index.js';
import { expectError, ROOT } from './helpers.js';

beforeAll(() => init());

describe('sequential builder', () => {
  it('builds the README model with PyTorch names and shapes', () => {
    const m = sequential({ input: { vocab: 96 } })
      .embedding({ dim: 64 })
      .lstm({ units: 32, bidirectional: true })
      .dropout(0.2)
      .gru({ units: 16 })
      .dense({ units: 96 })
      .build({ seed: 1 });
    expect(m.paramNames()).toEqual([
      'embedding.weight',
      'rnn.weight_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.bias_hh_l0',
      'rnn.weight_ih_l0_reverse',
      'rnn.weight_hh_l0_reverse',
      'rnn.bias_ih_l0_reverse',
      'rnn.bias_hh_l0_reverse',
      'rnn1.weight_ih_l0',
      'rnn1.weight_hh_l0',
      'rnn1.bias_ih_l0',
      'rnn1.bias_hh_l0',
      'head.weight',
      'head.bias',
    ]);
    expect(m.paramShape('rnn.weight_ih_l0')).toEqual([128, 64]);
    expect(m.paramShape('rnn1.weight_ih_l0')).toEqual([48, 64]);
    expect(m.paramShape('head.weight')).toEqual([96, 16]);
    expect(m.outputDim).toBe(96);
    expect(m.outputIsSequence).toBe(true);
    const out = m.forward({ ids: [1, 2, 3, 4, 5, 6], batch: 2, steps: 3 });
    expect(out.length).toBe(2 * 3 * 96);
    m.dispose();
  });

  it('same seed gives the same weights, another seed different ones', () => {
    const b = sequential({ input: { features: 3 } })
      .rnn({ units: 5, activation: 'relu' })
      .dense({ units: 2 });
    const a1 = b.build({ seed: 7 }).getParams();
    const a2 = b.build({ seed: 7 }).getParams();
    const a3 = b.build({ seed: 8 }).getParams();
    expect(a1).toEqual(a2);
    expect(a1).not.toEqual(a3);
  });

  it('many-to-one: returnSequences false gives one row per sequence', () => {
    const m = sequential({ input: { features: 2 } })
      .gru({ units: 4, returnSequences: false, bidirectional: true })
      .dense({ units: 3 })
      .build();
    expect(m.outputIsSequence).toBe(false);
    const out = m.forward({ features: new Float32Array(2 * 5 * 2), batch: 2, steps: 5, lengths: [5, 2] });
    expect(out.length).toBe(2 * 3);
  });

  it('rejects unknown and invalid options, naming them', () => {
    const s = () => sequential({ input: { vocab: 10 } }).embedding({ dim: 4 });
    expectError(() => s().lstm({ units: 8, bidirectonal: true } as never), TypeError, 'E_OPTION', /lstm\.bidirectonal/);
    expectError(() => s().lstm({ units: 0 }), RangeError, 'E_RANGE', /lstm\.units/);
    expectError(() => s().lstm({ units: 2.5 }), RangeError, 'E_RANGE', /units/);
    expectError(() => s().gru({ units: 4, dropout: 1 }), RangeError, 'E_RANGE', /gru\.dropout/);
    expectError(() => s().rnn({ units: 4, activation: 'gelu' as never }), TypeError, 'E_OPTION', /activation/);
    expectError(() => s().dense({ units: 3, bias: false } as never), TypeError, 'E_OPTION', /dense\.bias/);
    expectError(() => s().dropout(1.5), RangeError, 'E_RANGE', /dropout/);
    expectError(() => sequential({ input: { vocab: 10, features: 3 } } as never), TypeError, 'E_OPTION', /exactly one/);
    expectError(() => sequential({ input: { vocab: 0 } }), RangeError, 'E_RANGE', /input\.vocab/);
    expectError(() => sequential({ input: { vocab: 5 }, extra: 1 } as never), TypeError, 'E_OPTION', /sequential\.extra/);
    // biome-ignore lint/suspicious/noExplicitAny: calls what the builder types forbid, to test the runtime check
    expectError(() => (sequential({ input: { vocab: 10 } }) as any).lstm({ units: 3 }), TypeError, 'E_OPTION', /lstm cannot follow token ids/);
    // biome-ignore lint/suspicious/noExplicitAny: calls what the builder types forbid, to test the runtime check
    expectError(() => (s().gru({ units: 3, returnSequences: false }) as any).lstm({ units: 3 }), TypeError, 'E_OPTION', /cannot follow one vector/);
    expectError(
      () =>
        s()
          .lstm({ units: 3 })
          .dense({ units: 2 })
          .build({ seeed: 1 } as never),
      TypeError,
      'E_OPTION',
      /build\.seeed/,
    );
  });

  it('rejects an invalid spec given as JSON (duplicate names) with a typed error', () => {
    expectError(
      () =>
        Model.fromSpec({
          input: { vocab: 5 },
          layers: [
            { type: 'embedding', name: 'e', dim: 2 },
            { type: 'dense', name: 'e', units: 5 },
          ],
        }),
      TypeError,
      'E_OPTION',
      /used twice/,
    );
  });

  it('type-level checks compile as expected (tsc over test/types)', () => {
    execFileSync(`${ROOT}node_modules/.bin/tsc`, ['-p', `${ROOT}test/types/tsconfig.json`], { stdio: 'pipe' });
  });
});
