// The SDK's shape, checked from the source: tasks (ts/tasks) use only the public API (the package
// root, `../index.js`, and their `recurrent-nn/tasks` siblings) plus the typed error constructors
// (`../errors.js`, the same codes the SDK throws); and fitBatches, the public way to train on
// batches a task makes itself, runs the one fit engine (events, epochs, E_OPTION on bad keys).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, textWindows } from '../dist/index.js';
import { type FitEvent, fitBatches, init, Model, Seq2SeqModel, Session, sequential } from '../ts/index.js';
import { readModelFile } from '../ts/io/checkpoint.js';
import { TASK_TRAINING, taskCompile } from '../ts/tasks/index.js';
import { ROOT, rejectsWith } from './helpers.js';

beforeAll(() => init());

/** Every module specifier a file imports or re-exports. */
function specifiers(src: string): string[] {
  return [...src.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
}

describe('tasks use the public API', () => {
  const dir = join(ROOT, 'ts/tasks');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('imports nothing of the SDK but ../index.js and ../errors.js', () => {
    expect(files.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const f of files) {
      for (const s of specifiers(readFileSync(join(dir, f), 'utf8'))) {
        if (s.startsWith('./') && !s.slice(2).includes('/')) continue; // a sibling task module
        if (s === '../index.js' || s === '../errors.js') continue;
        bad.push(`${f}: ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the check sees an internal import', () => {
    expect(specifiers("import { runFit } from '../fit.js';\nexport { x } from './words.js';")).toEqual(['../fit.js', './words.js']);
  });
});

/** Every .ts file under ts/ (the generated wasm glue excluded), relative to ts/. */
function sources(dir = join(ROOT, 'ts'), rel = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.isDirectory()) return d.name === 'wasm' ? [] : sources(join(dir, d.name), `${rel}${d.name}/`);
    return d.name.endsWith('.ts') ? [`${rel}${d.name}`] : [];
  });
}

describe('the SDK has one typed worker interface', () => {
  const read = (f: string) => readFileSync(join(ROOT, 'ts', f), 'utf8');

  it('no session <-> replica cycle: the replica protocol lives in parallel/', () => {
    expect(specifiers(read('session.ts')).filter((s) => s.includes('parallel/'))).toEqual([]);
    expect(specifiers(read('parallel/replica.ts'))).not.toContain('../session.js');
    expect(read('session.ts')).not.toMatch(/replica[A-Z]\w*\(/);
  });

  it('no branching on the model class in the session', () => {
    expect(read('session.ts')).not.toMatch(/instanceof (Model|Seq2SeqModel)\b/);
  });

  it('casts that defeat the compiler stay at most 2, each explained by a comment above it', () => {
    const hits: string[] = [];
    for (const f of sources()) {
      const lines = read(f).split('\n');
      lines.forEach((l, i) => {
        if (!/as unknown as|as never\b/.test(l)) return;
        hits.push(`${f}:${i + 1}`);
        expect(lines[i - 1] ?? '', `${f}:${i + 1} needs a comment saying why`).toMatch(/^\s*\/\//);
      });
    }
    expect(hits.length, hits.join(', ')).toBeLessThanOrEqual(2);
  });
});

describe('compile is written once', () => {
  const read = (f: string) => readFileSync(join(ROOT, 'ts', f), 'utf8');

  it('defined by the SessionApi and by the one trainable model both kinds extend', () => {
    const defs = sources().filter((f) =>
      read(f)
        .split('\n')
        .some((l) => /^\s*(async\s+)?compile\??\s*\(/.test(l)),
    );
    expect(defs.sort()).toEqual(['session-api.ts', 'trainable-model.ts']);
    expect(Model.prototype.compile).toBe(Seq2SeqModel.prototype.compile);
    // the Session and the coordinator define it from SETUP_CALLS; both kinds check their own keys
    const s = new Session();
    s.build({ kind: 'seq2seq', sourceVocab: 5, targetVocab: 5, embed: 2, encoderUnits: 2, decoderUnits: 4, attention: 2 }, 1);
    expect(s.compile({ optimizer: 'adamw', clipNorm: 2 })).toBeUndefined();
    expect(s.info().compiled).toEqual({ optimizer: 'adamw', clipNorm: 2 });
    expect(() => s.compile({ loss: 'mse' })).toThrow(expect.objectContaining({ code: 'E_OPTION', message: expect.stringMatching(/compile.*loss/) }));
    s.build(
      sequential({ input: { vocab: 5 } })
        .embedding({ dim: 2 })
        .gru({ units: 2 })
        .dense({ units: 5 })
        .toJSON(),
      1,
    );
    expect(() => s.compile({ lr: 1 } as object)).toThrow(expect.objectContaining({ code: 'E_OPTION', message: expect.stringMatching(/compile.*lr/) }));
    s.compile({});
    expect(s.info().compiled).toEqual({ loss: 'crossEntropy' });
    s.dispose();
  });

  it.each([1, 2])('is refused while fit runs (E_STATE) and works after it, on %i replica(s)', async (workers) => {
    const t = await createTrainer(workers === 1 ? { worker: false } : { workers });
    try {
      await t.build(
        sequential({ input: { vocab: 4 } })
          .embedding({ dim: 2 })
          .lstm({ units: 3 })
          .dense({ units: 4 }),
        { seed: 1 },
      );
      expect(await t.compile({ optimizer: { name: 'adam', lr: 0.01 } })).toBeUndefined();
      const ids = Uint32Array.from({ length: 200 }, (_, i) => i % 4);
      const stop = new AbortController();
      let during: Promise<unknown> | undefined; // settles to the error compile rejected with
      const r = await t.fit(textWindows(ids, { steps: 8 }), {
        epochs: 20,
        batchSize: 4,
        signal: stop.signal,
        onProgress: () => {
          during ??= t.compile({ optimizer: 'adamw' }).then(
            () => 'no error',
            (e: unknown) => e,
          );
          stop.abort();
        },
      });
      expect(r.stopReason).toBe('aborted');
      expect(await during).toMatchObject({ code: 'E_STATE', message: expect.stringMatching(/compile\(\) cannot run while fit\(\) is training/) });
      expect((await t.info()).compiled?.optimizer).toEqual({ name: 'adam', lr: 0.01 });
      await t.compile({ optimizer: 'adamw' });
      expect((await t.info()).compiled?.optimizer).toBe('adamw');
    } finally {
      await t.dispose();
    }
  });
});

describe('fitBatches', () => {
  const batch = () => ({
    input: { features: Float32Array.from([0.5, -1, 0.25]), batch: 1, steps: 3 },
    targets: { values: Float32Array.from([0.75]) },
    tokens: 3,
  });

  it('trains through the fit engine: step and epoch events, falling loss, batches per epoch', async () => {
    const model = sequential({ input: { features: 1 } })
      .lstm({ units: 4, returnSequences: false })
      .dense({ units: 1 })
      .build({ seed: 1 });
    model.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 0.05 } });
    const events: FitEvent[] = [];
    const calls: number[] = [];
    const r = await fitBatches(model, {
      batchesPerEpoch: 5,
      epochs: 3,
      seed: 7,
      batches: (epoch, seed) => {
        calls.push(epoch, seed);
        return () => batch();
      },
      onProgress: (e) => {
        events.push(e);
      },
    });
    expect(r.steps).toBe(15);
    expect(calls).toEqual([0, 7, 1, 7, 2, 7]);
    expect(events.filter((e) => e.type === 'step')).toHaveLength(15);
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(epochs[2].loss).toBeLessThan(epochs[0].loss);
    model.dispose();
  });

  it('rejects an unknown key (E_OPTION) and a bad count (E_RANGE)', async () => {
    const model = sequential({ input: { features: 1 } })
      .lstm({ units: 2, returnSequences: false })
      .dense({ units: 1 })
      .build({ seed: 1 });
    model.compile({ loss: 'mse' });
    const go = (o: object) => Promise.resolve().then(() => fitBatches(model, { batchesPerEpoch: 1, batches: () => () => batch(), ...o }));
    await rejectsWith(go({ epoch: 2 }), 'E_OPTION', /fitBatches\.epoch/);
    await rejectsWith(go({ batchesPerEpoch: 0 }), 'E_RANGE', /batchesPerEpoch/);
    model.dispose();
  });
});

describe('one model-file code for every model kind', () => {
  it('the encoder-decoder and the sequential model write the same parts, read back by readModelFile', async () => {
    const s = new Session();
    s.build({ kind: 'seq2seq', sourceVocab: 6, targetVocab: 7, embed: 4, encoderUnits: 4, decoderUnits: 8, attention: 4 }, 2);
    s.compile({ optimizer: { name: 'adam', lr: 0.01 } });
    await s.fit([{ source: [2, 3], target: [4] }], { epochs: 1, batchSize: 1 });
    const f = readModelFile(s.save());
    expect(f.architecture).toMatchObject({ kind: 'seq2seq', sourceVocab: 6 });
    expect(f.seed).toBe(2);
    expect(f.compile).toMatchObject({ optimizer: { name: 'adam', lr: 0.01 } });
    expect(f.training).toMatchObject({ epoch: 1, step: 1 });
    expect(f.optimizerState).toBeInstanceOf(Float32Array);
    expect(f.rngState).toHaveLength(4);
    expect(JSON.parse(f.extra.learningRate)).toBe(0.01);
    // the public Seq2SeqModel.load reads the same file, and refuses a sequential one
    const { model, metadata } = Seq2SeqModel.load(s.save());
    expect(metadata.training).toMatchObject({ epoch: 1 });
    model.dispose();
    s.build(
      sequential({ input: { features: 1 } })
        .lstm({ units: 2 })
        .dense({ units: 1 })
        .toJSON(),
      1,
    );
    const seq = readModelFile(s.save({ training: false }));
    expect(seq.architecture).toMatchObject({ input: { features: 1 } });
    expect(seq.compile).toBeUndefined();
    expect(() => Seq2SeqModel.load(s.save())).toThrow(/not a seq2seq model file/);
    s.dispose();
  });
});

describe('defaults in one place', () => {
  it('tasks and the CLI take their optimizer, clipping and schedule settings from the one table (ts/tasks/defaults.ts)', () => {
    // a literal learning rate, clip, decay or optimizer name where a default is set (`?? 0`: no clipping)
    const literal =
      /name: 'adam'|\blr: \d|clipNorm(:| \?\?) [1-9]|\blr \?\? \d|gamma: \d|f\.num\('(lr|clip|lr-decay)', \d|common\.(lr|clip)\(\d|'optimizer', \w+, '/;
    const files = sources().filter((f) => (f.startsWith('tasks/') && f !== 'tasks/defaults.ts') || f.startsWith('cli/'));
    expect(files.filter((f) => f.startsWith('cli/')).length).toBeGreaterThan(20);
    const bad = files.flatMap((f) =>
      readFileSync(join(ROOT, 'ts', f), 'utf8')
        .split('\n')
        .filter((l) => literal.test(l) && !/^\s*(\*|\/\/)/.test(l))
        .map((l) => `${f}: ${l.trim()}`),
    );
    expect(bad).toEqual([]);
    expect("const lr = f.num('lr', 3e-3, { min: 0 });").toMatch(literal);
    expect("optimizer: { name: 'adam', lr },").toMatch(literal);
    expect('clipNorm: opts.clipNorm ?? 5,').toMatch(literal);
    expect('const lr = opts.lr ?? 0.01;').toMatch(literal);
  });

  it('a task default is the compile options the table says', () => {
    expect(taskCompile('text', { epochs: 3 })).toEqual({
      optimizer: { name: 'adam', lr: TASK_TRAINING.text.lr },
      clipNorm: 5,
      schedule: { name: 'cosine', tMax: 3 },
    });
    expect(taskCompile('text', { optimizer: 'rmsprop', lr: 0.1, clipNorm: 0 })).toEqual({ optimizer: { name: 'rmsprop', lr: 0.1 } });
    expect(taskCompile('pos')).toEqual({ optimizer: { name: 'adam', lr: 0.01 }, clipNorm: 5, schedule: { name: 'exponential', gamma: 0.5 } });
    expect(taskCompile('explodingRelu').optimizer).toEqual({ name: 'sgd', lr: 0.05 });
  });

  it('the encoder-decoder compiles with the defaults of the sequential model (Adam at the core default rate, no clipping)', () => {
    const spec = { sourceVocab: 6, targetVocab: 7, embed: 4, encoderUnits: 4, decoderUnits: 8, attention: 4 };
    const batch = [
      { source: [2, 3, 4], target: [5, 2] },
      { source: [5], target: [3, 3, 6] },
    ];
    const weights = (opts: object) => {
      const m = Seq2SeqModel.create(spec, { seed: 3 });
      m.compile(opts);
      const lr = m.learningRate;
      for (let k = 0; k < 3; k++) m.trainStep(batch);
      const w = m.getParam(m.paramNames()[0]);
      m.dispose();
      return { w, lr };
    };
    const dflt = weights({});
    expect(dflt.lr).toBeCloseTo(1e-3, 9);
    expect(weights({ optimizer: { name: 'adam' } }).w).toEqual(dflt.w);
    expect(weights({ optimizer: 'adam' }).w).toEqual(dflt.w);
    expect(weights({ optimizer: { name: 'adam', lr: 1e-3 }, clipNorm: 1e-4 }).w).not.toEqual(dflt.w);
    expect(() => Seq2SeqModel.create(spec).compile({ clipNorm: 0 })).toThrow(/clip_norm|clipNorm/);
  });
});
