// Issue 22, findings 4-16 (1-3 are in importer-security.test.ts): files that save but would not
// load, options coerced instead of checked, untyped errors. One `describe` per finding; each
// case failed (or hung, or was silently wrong) before its fix. Uses the built SDK (dist/).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTrainer,
  decodeWav,
  encodeWav,
  examples,
  importTfjs,
  init,
  Model,
  padBatch,
  RecurrentLayer,
  sequential,
  type Trainer,
  textWindows,
} from '../dist/index.js';
import { editMeta, rng } from './file-mutations.js';
import { expectError, ROOT, rejectsWith } from './helpers.js';

const ids = Uint32Array.from({ length: 400 }, (_, i) => (i * 7 + (i >> 3)) % 11);
const lm = () =>
  sequential({ input: { vocab: 11 } })
    .embedding({ dim: 4 })
    .lstm({ units: 6 })
    .dense({ units: 11 });
const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });

async function compiled(mode: 'thread' | 'worker' | 'workers'): Promise<Trainer> {
  const t = await createTrainer(mode === 'workers' ? { workers: 2 } : { worker: mode === 'worker' });
  await t.build(lm(), { seed: 1 });
  await t.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
  return t;
}

beforeAll(async () => {
  await init();
});

describe('finding 4: a build seed the file cannot hold is E_RANGE at build', () => {
  it('-1, NaN, 1.5, 2^32, Infinity are E_RANGE and "1" E_OPTION, in both modes; 2^32 − 1 saves and loads', async () => {
    for (const worker of [false, true]) {
      const t = await createTrainer({ worker });
      for (const seed of [-1, Number.NaN, 1.5, 2 ** 32, Number.POSITIVE_INFINITY]) await rejectsWith(t.build(lm(), { seed }), 'E_RANGE', /build\.seed/);
      await rejectsWith(t.build(lm(), { seed: '1' as unknown as number }), 'E_OPTION', /build\.seed/);
      await t.build(lm(), { seed: 2 ** 32 - 1 });
      const u = await createTrainer({ worker: false });
      expect((await u.load(await t.save())).seed).toBe(2 ** 32 - 1);
      await Promise.all([t.dispose(), u.dispose()]);
    }
    expectError(() => Model.fromSpec(lm().toJSON(), -1), RangeError, 'E_RANGE', /build\.seed/);
    expectError(() => new RecurrentLayer({ cell: 'gru', inputSize: 2, hiddenSize: 2, seed: 0.5 }), RangeError, 'E_RANGE', /seed/);
  });
});

describe('finding 5: any model that saves must load', () => {
  it('names starting with __ are rejected by the builder and in a spec', async () => {
    expectError(() => sequential({ input: { vocab: 5 } }).embedding({ dim: 2, name: '__emb' }), TypeError, 'E_OPTION', /reserved/);
    expectError(() => sequential({ input: { features: 2 } }).lstm({ units: 2, name: '__optimizer__' }), TypeError, 'E_OPTION', /reserved/);
    expectError(() => sequential({ input: { features: 2 } }).dense({ units: 2, name: '__x' }), TypeError, 'E_OPTION', /reserved/);
    const spec = { input: { vocab: 5 }, layers: [{ type: 'embedding', name: '__emb', dim: 2 }] };
    expectError(() => Model.fromSpec(spec as never), TypeError, 'E_OPTION', /reserved/);
    const t = await createTrainer({ worker: false });
    await rejectsWith(t.build(spec as never), 'E_OPTION', /reserved/);
    await t.dispose();
  });

  it('property: random valid builds save, load and predict identically (also resumable files)', async () => {
    const r = rng(20261207);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
    const names = ['a', 'rnn', 'head', 'x.y', 'with space', 'Ω', 'dense0', 'embedding', '_x', 'a-b', '0'];
    const cells = ['lstm', 'gru', 'rnn'] as const;
    let built = 0;
    let rejected = 0;
    const t = await createTrainer({ worker: false });
    const u = await createTrainer({ worker: false });
    for (let i = 0; i < 40; i++) {
      const tokens = r() < 0.5;
      // biome-ignore lint/suspicious/noExplicitAny: a builder whose flow changes at random
      let b: any = sequential(tokens ? { input: { vocab: 2 + Math.floor(r() * 6) } } : { input: { features: 1 + Math.floor(r() * 3) } });
      if (tokens) b = b.embedding({ dim: 1 + Math.floor(r() * 3), ...(r() < 0.5 ? { name: pick(names) } : {}) });
      const nRec = 1 + Math.floor(r() * 2);
      for (let k = 0; k < nRec; k++) {
        const last = k === nRec - 1;
        b = b[pick(cells)]({
          units: 1 + Math.floor(r() * 4),
          layers: 1 + Math.floor(r() * 2),
          bidirectional: r() < 0.4,
          returnSequences: !last || r() < 0.7,
          ...(r() < 0.5 ? { name: pick(names) } : {}),
        });
        if (r() < 0.3) b = b.dropout(0.25);
      }
      b = b.dense({ units: 1 + Math.floor(r() * 4), ...(r() < 0.5 ? { name: pick(names) } : {}) });
      let seed = Math.floor(r() * 2 ** 32);
      if (r() < 0.2) seed = pick([0, 2 ** 32 - 1]);
      try {
        await t.build(b, { seed });
      } catch (e) {
        // a duplicate name is the only reason a valid-looking build may fail, and it is typed
        expect((e as { code?: string }).code, String(e)).toBe('E_OPTION');
        rejected++;
        continue;
      }
      built++;
      const info = await t.info();
      const steps = 3;
      const input = tokens
        ? { ids: Array.from({ length: 2 * steps }, () => Math.floor(r() * (info.spec as { input: { vocab: number } }).input.vocab)), batch: 2, steps }
        : {
            features: Float32Array.from({ length: 2 * steps * (info.spec as { input: { features: number } }).input.features }, () => r() - 0.5),
            batch: 2,
            steps,
          };
      await t.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 1e-2 } });
      const file = await t.save();
      const loaded = await u.load(file);
      expect(loaded.spec).toEqual(info.spec);
      expect(loaded.seed).toBe(seed);
      expect(await u.predict(input)).toEqual(await t.predict(input));
      expect(await u.getWeights()).toEqual(await t.getWeights());
    }
    await Promise.all([t.dispose(), u.dispose()]);
    expect(built).toBeGreaterThan(25);
    expect(rejected).toBeLessThan(15);
  });
});

describe('finding 6: the training position in a file is validated', () => {
  it('batch past the epoch fails at resume (E_OPTION); step or tokens at 2^52 or more, or epoch/batch ≥ 2^32, are E_FORMAT at load', async () => {
    const t = await compiled('thread');
    const data = textWindows(ids, { steps: 8, windowsPerEpoch: 16 });
    await t.fit(data, { epochs: 1, batchSize: 4 });
    const file = await t.save();
    const u = await createTrainer({ worker: false });
    await u.load(editMeta(file, 'training', (p) => ({ ...p, batch: 1e9 })));
    await expect(u.fit(data, { epochs: 3, batchSize: 4, resume: true })).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/batch 1000000000/),
    });
    for (const edit of [{ step: 2 ** 53 - 1 }, { tokens: 2 ** 52 }, { epoch: 2 ** 32 }, { batch: 2 ** 32 }])
      await rejectsWith(
        u.load(editMeta(file, 'training', (p) => ({ ...p, ...edit }))),
        'E_FORMAT',
        new RegExp(`training\\.${Object.keys(edit)[0]} must be below`),
      );
    // the untouched file resumes
    await u.load(file);
    expect((await u.fit(data, { epochs: 2, batchSize: 4, resume: true })).stopReason).toBe('completed');
    await Promise.all([t.dispose(), u.dispose()]);
  });
});

describe('finding 7: importWeights is strict about tensors the model does not have', () => {
  it('a 2-layer LSTM state dict into a 1-layer model is E_FORMAT naming them; strict: false skips and reports them', async () => {
    const two = await createTrainer({ worker: false });
    await two.build(
      sequential({ input: { features: 2 } })
        .lstm({ units: 3, layers: 2 })
        .dense({ units: 1 }),
      { seed: 3 },
    );
    const dict = await two.save({ training: false });
    for (const worker of [false, true]) {
      const one = await createTrainer({ worker });
      await one.build(
        sequential({ input: { features: 2 } })
          .lstm({ units: 3 })
          .dense({ units: 1 }),
        { seed: 4 },
      );
      const before = await one.getWeights();
      await rejectsWith(
        one.importWeights(dict),
        'E_FORMAT',
        /4 tensors the model does not: rnn\.weight_ih_l1, rnn\.weight_hh_l1, rnn\.bias_ih_l1, rnn\.bias_hh_l1.*strict: false/,
      );
      expect(await one.getWeights()).toEqual(before);
      await rejectsWith(one.importWeights(dict, { strict: 'no' as never }), 'E_OPTION', /importWeights\.strict/);
      const got = await one.importWeights(dict, { strict: false });
      expect([...got]).toEqual(Object.keys(before));
      expect(got.skipped).toEqual(['rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1']);
      expect((await one.getWeights())['rnn.weight_ih_l0']).toEqual((await two.getWeights())['rnn.weight_ih_l0']);
      await one.dispose();
    }
    // a resumable model file's own training state is not "unexpected"
    await two.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 1e-2 } });
    await two.fit(examples([{ features: [1, 2, 3, 4], values: [0.5, 0.5] }]), { epochs: 1 });
    const same = await createTrainer({ worker: false });
    await same.build(
      sequential({ input: { features: 2 } })
        .lstm({ units: 3, layers: 2 })
        .dense({ units: 1 }),
    );
    expect(await same.importWeights(await two.save())).toHaveLength(10);
    await Promise.all([two.dispose(), same.dispose()]);
  });
});

describe('finding 8: every option is checked, never coerced', () => {
  it('textWindows: ids NaN, 2.7, 2^32 + 2, -1 and flags of the wrong type', () => {
    for (const bad of [Number.NaN, 2.7, 2 ** 32 + 2, -1])
      expectError(() => textWindows([1, 2, bad, 3, 4], { steps: 2 }), RangeError, 'E_RANGE', /textWindows: id 2 must be an integer/);
    expectError(() => textWindows(ids, { steps: 2, random: 'no' as never }), TypeError, 'E_OPTION', /textWindows\.random/);
    expectError(() => textWindows(ids, { steps: '2' as never }), TypeError, 'E_OPTION', /textWindows\.steps/);
    expectError(() => textWindows(ids, { steps: 2, windowsPerEpoch: 2.5 }), RangeError, 'E_RANGE', /windowsPerEpoch/);
  });

  // [option, value, code]: every fit and generate option, in every trainer mode
  const FIT: [string, unknown, string][] = [
    ['seed', -1, 'E_RANGE'],
    ['seed', Number.NaN, 'E_RANGE'],
    ['seed', 'abc', 'E_OPTION'],
    ['seed', 1.9, 'E_RANGE'],
    ['seed', Number.POSITIVE_INFINITY, 'E_RANGE'],
    ['seed', 2 ** 32, 'E_RANGE'],
    ['shuffle', 'no', 'E_OPTION'],
    ['shuffle', 0, 'E_OPTION'],
    ['resume', 'yes', 'E_OPTION'],
    ['resume', 1, 'E_OPTION'],
    ['timeBudgetMs', '100', 'E_OPTION'],
    ['timeBudgetMs', Number.NaN, 'E_RANGE'],
    ['timeBudgetMs', -5, 'E_RANGE'],
    ['epochs', '2', 'E_OPTION'],
    ['epochs', 0, 'E_RANGE'],
    ['epochs', 1.5, 'E_RANGE'],
    ['batchSize', '4', 'E_OPTION'],
    ['batchSize', 2 ** 32, 'E_RANGE'],
    ['tbptt', null, 'E_OPTION'],
    ['tbptt', 5, 'E_OPTION'],
    ['tbptt', { window: '4' }, 'E_OPTION'],
    ['tbptt', { window: 0 }, 'E_RANGE'],
    ['signal', {}, 'E_OPTION'],
    ['onProgress', 'log', 'E_OPTION'],
    ['lrDecay', 0.5, 'E_OPTION'],
    ['nope', 1, 'E_OPTION'],
  ];
  const GENERATE: [string, unknown, string][] = [
    ['seed', -1, 'E_RANGE'],
    ['seed', Number.NaN, 'E_RANGE'],
    ['seed', 'abc', 'E_OPTION'],
    ['seed', 1.9, 'E_RANGE'],
    ['seed', Number.POSITIVE_INFINITY, 'E_RANGE'],
    ['temperature', '1', 'E_OPTION'],
    ['temperature', -1, 'E_RANGE'],
    ['temperature', Number.NaN, 'E_RANGE'],
    ['topP', 0, 'E_RANGE'],
    ['topP', '0.5', 'E_OPTION'],
    ['topK', -1, 'E_RANGE'],
    ['topK', '3', 'E_OPTION'],
    ['maxTokens', 1.5, 'E_RANGE'],
    ['maxTokens', '9', 'E_OPTION'],
  ];
  for (const mode of ['thread', 'worker', 'workers'] as const)
    it(`fit and generate options (${mode})`, async () => {
      const t = await compiled(mode);
      const data = textWindows(ids, { steps: 8, windowsPerEpoch: 8 });
      for (const [k, v, code] of FIT) {
        let caught: unknown;
        try {
          await t.fit(data, { epochs: 1, batchSize: 4, [k]: v });
        } catch (e) {
          caught = e;
        }
        expect(caught, `fit.${k} = ${String(v)}`).toMatchObject({ code, message: expect.stringContaining(k) });
      }
      if (mode !== 'workers') for (const [k, v, code] of GENERATE) await rejectsWith(t.generate([1, 2], { maxTokens: 2, [k]: v }), code, new RegExp(k));
      // the trainer is still usable, and valid values pass
      expect((await t.fit(data, { epochs: 1, batchSize: 4, seed: 2 ** 32 - 1, shuffle: false, timeBudgetMs: 60_000 })).stopReason).toBe('completed');
      await t.dispose();
    });

  it('RecurrentLayer and createTrainer options', async () => {
    expectError(() => new RecurrentLayer({ cell: 'gru', inputSize: 2, hiddenSize: 2, bidirectional: 'yes' as never }), TypeError, 'E_OPTION', /bidirectional/);
    await rejectsWith(createTrainer({ worker: 'no' as never, workers: 2 }), 'E_OPTION');
    await rejectsWith(createTrainer({ workers: 1.5 }), 'E_OPTION', /workers/);
  });
});

describe('finding 9: windowsPerEpoch is capped like the CLI (2^24)', () => {
  it('2^30 and 2^24 + 1 are E_RANGE at once; 2^24 is accepted', () => {
    const t0 = performance.now();
    for (const w of [2 ** 30, 2 ** 24 + 1, 2 ** 32 - 1]) expectError(() => textWindows(ids, { steps: 4, windowsPerEpoch: w }), RangeError, 'E_RANGE', /2\^24/);
    expect(textWindows(ids, { steps: 4, windowsPerEpoch: 2 ** 24 }).windowsPerEpoch).toBe(2 ** 24);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('finding 10: empty targets and a WAV that claims data it does not hold', () => {
  it("recurrent classic --targets '' (and ' , ') is E_OPTION", () => {
    for (const v of ['', ' , ', '1,,2']) {
      const r = cli('classic', '--targets', v, '--updates', '1');
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^recurrent: E_OPTION: --targets must be comma-separated numbers/);
    }
  });
  it('a data chunk claiming 2 GB with 0 bytes is E_FORMAT; with some bytes it reads them (a streamed WAV)', () => {
    const wav = encodeWav(new Float32Array([0.5, -0.5, 0.25, 0]), 8000);
    const at = wav.length - 8 - 8; // 4 int16 samples after the data header
    const dv = new DataView(wav.buffer);
    expect(String.fromCharCode(...wav.subarray(at, at + 4))).toBe('data');
    dv.setUint32(at + 4, 0x7fff_ffff, true);
    expect(decodeWav(wav).samples).toHaveLength(4);
    expectError(() => decodeWav(wav.subarray(0, at + 8)), TypeError, 'E_FORMAT', /claims 2147483647 bytes but only 0 remain/);
  });
});

describe('finding 11: a batch of 200,000 one-step rows', () => {
  it('padBatch and evaluate take it without a stack overflow', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [i % 5]);
    const p = padBatch(rows);
    expect(p.steps).toBe(1);
    expect(p.batch).toBe(200_000);
    const t = await createTrainer({ worker: false });
    await t.build(
      sequential({ input: { vocab: 5 } })
        .embedding({ dim: 1 })
        .rnn({ units: 1 })
        .dense({ units: 5 }),
    );
    await t.compile({ optimizer: { name: 'sgd', lr: 0.1 } });
    const r = await t.evaluate(
      rows.map((ids) => ({ ids, targets: ids })),
      { batchSize: 200_000 },
    );
    expect(r.count).toBe(200_000);
    await t.dispose();
  });
});

describe('finding 12: data holding a function or a Symbol', () => {
  for (const mode of ['thread', 'worker', 'workers'] as const)
    it(`is E_OPTION naming where (${mode})`, async () => {
      const t = await compiled(mode);
      const good = { ids: [1, 2, 3], targets: [2, 3, 4] };
      const withFn = [good, { ...good, note: () => 1 }];
      const withSym = [good, { ids: [1, Symbol('x') as unknown as number], targets: [1, 2] }];
      await rejectsWith(t.fit(withFn, { epochs: 1 }), 'E_OPTION', /data\[1\]\.note is a function/);
      await rejectsWith(t.fit(withSym, { epochs: 1 }), 'E_OPTION', /data\[1\]\.ids\[1\] is a symbol/);
      await rejectsWith(t.fit([good], { epochs: 1, validation: withFn }), 'E_OPTION', /fit\.validation/);
      await rejectsWith(t.evaluate(withFn), 'E_OPTION', /is a function/);
      expect((await t.fit([good], { epochs: 1 })).stopReason).toBe('completed');
      await t.dispose();
    });
});

describe('finding 13: Model and RecurrentLayer after dispose answer E_STATE', () => {
  it('every call, and a second dispose is a no-op', async () => {
    const m = Model.fromSpec(lm().toJSON(), 1);
    m.dispose();
    expectError(() => m.forward({ ids: [1, 2], batch: 1, steps: 2 }), TypeError, 'E_STATE', /disposed/);
    expectError(() => m.paramCount, TypeError, 'E_STATE');
    expectError(() => m.getParam('head.bias'), TypeError, 'E_STATE');
    expect(() => m.dispose()).not.toThrow();
    const l = new RecurrentLayer({ cell: 'lstm', inputSize: 2, hiddenSize: 2 });
    l.dispose();
    expectError(() => l.forward({ x: new Float32Array(4), batch: 1, steps: 2 }), TypeError, 'E_STATE', /disposed/);
    expectError(() => l.paramNames(), TypeError, 'E_STATE');
    expect(() => l.dispose()).not.toThrow();
  });
});

describe('finding 14: malformed TF.js weight specs and layers, and fit({ tbptt: null }), are typed', () => {
  const layers = [{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 2, 3] } }];
  const art = (weightSpecs: unknown, l: unknown[] = layers) => ({
    modelTopology: { class_name: 'Sequential', config: { layers: l } },
    weightSpecs: weightSpecs as never,
    weightData: new ArrayBuffer(0),
  });
  it('shape -1 or 1.5, a non-string name, a null spec, a null layer: E_FORMAT', async () => {
    await rejectsWith(importTfjs(art([{ name: 'd/kernel', shape: [-1, 2], dtype: 'float32' }])), 'E_FORMAT', /shape must be a list of non-negative integers/);
    await rejectsWith(importTfjs(art([{ name: 'd/kernel', shape: [1.5], dtype: 'float32' }])), 'E_FORMAT', /shape/);
    await rejectsWith(importTfjs(art([{ name: 7, shape: [1], dtype: 'float32' }])), 'E_FORMAT', /name must be a non-empty string/);
    await rejectsWith(importTfjs(art([null])), 'E_FORMAT', /weightSpecs\[0\] must be a weight spec/);
    await rejectsWith(importTfjs(art('x')), 'E_FORMAT', /weightSpecs must be a list/);
    await rejectsWith(importTfjs(art([], [null])), 'E_FORMAT', /layer 0 of the topology must be an object/);
    await rejectsWith(importTfjs({ ...art([]), weightData: [7] as never }), 'E_FORMAT', /weightData/);
    await rejectsWith(
      importTfjs(
        art(
          [],
          [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 2, 3] } },
            { class_name: 'Dropout', config: { rate: '0.5' } },
          ],
        ),
      ),
      'E_FORMAT',
      /Dropout rate/,
    );
  });
  it('fit({ tbptt: null }) is E_OPTION in both modes', async () => {
    for (const mode of ['thread', 'worker'] as const) {
      const t = await compiled(mode);
      await rejectsWith(t.fit(textWindows(ids, { steps: 4 }), { tbptt: null as never }), 'E_OPTION', /fit\.tbptt/);
      await t.dispose();
    }
  });
});

describe('finding 15: CLI verbs are own keys only', () => {
  it('constructor, toString, __proto__, hasOwnProperty, valueOf and help constructor are one-line E_OPTION errors', () => {
    for (const args of [['constructor'], ['toString'], ['__proto__'], ['hasOwnProperty'], ['valueOf'], ['help', 'constructor'], ['help', 'toString']]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^recurrent: E_OPTION: unknown command '${args.at(-1)}'.*\\n$`));
    }
  });
});

describe('finding 16: a header of a million entries fails fast', () => {
  it('56 MiB of entries is E_FORMAT in well under a second', async () => {
    const entry = '{"dtype":"F32","shape":[0],"data_offsets":[0,0]}';
    const parts: string[] = [];
    for (let i = 0; i < 1_000_000; i++) parts.push(`"t${i}":${entry}`);
    const h = new TextEncoder().encode(`{${parts.join(',')}}`);
    const file = new Uint8Array(8 + h.length);
    new DataView(file.buffer).setUint32(0, h.length, true);
    file.set(h, 8);
    const dir = mkdtempSync(join(tmpdir(), 'rel-hdr-'));
    writeFileSync(join(dir, 'h.safetensors'), file);
    const t = await createTrainer({ worker: false });
    for (const src of [file, join(dir, 'h.safetensors')]) {
      const t0 = performance.now();
      await rejectsWith(t.load(src), 'E_FORMAT', /more than 65536 tensors/);
      expect(performance.now() - t0).toBeLessThan(1500);
    }
    await t.dispose();
  });
});
