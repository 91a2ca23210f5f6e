// Issue 19, end to end: a tiny translation model trained by `recurrent translate train` on
// tab-separated pairs, run on stdin and files, scored by `translate eval`; the SDK task's
// save/load; and the typed errors (diatheke or a module missing, a model of another task, a line
// longer than the model accepts, malformed pairs).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init as initDist } from '../dist/index.js';
import { Translator as DistTranslator } from '../dist/tasks/index.js';
import { ensureBibleModules, exportModule } from '../ts/cli/corpora/bible.js';
import { parsePairs } from '../ts/cli/translate.js';
import { init } from '../ts/index.js';
import { corpusBleu } from '../ts/tasks/bleu.js';
import { G2P } from '../ts/tasks/g2p.js';
import { Translator } from '../ts/tasks/translate.js';
import { expectError, ROOT } from './helpers.js';

// a toy language pair: Spanish number phrases → English
const ES = ['uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis'];
const EN = ['one', 'two', 'three', 'four', 'five', 'six'];
const NOUN_ES = ['casas', 'perros', 'libros'];
const NOUN_EN = ['houses', 'dogs', 'books'];
const toy = () => {
  const out: { source: string; target: string }[] = [];
  for (let i = 0; i < ES.length; i++)
    for (let j = 0; j < NOUN_ES.length; j++)
      out.push({ source: `vimos ${ES[i]} ${NOUN_ES[j]} en el campo.`, target: `we saw ${EN[i]} ${NOUN_EN[j]} in the field.` });
  return out;
};
const dir = mkdtempSync(join(tmpdir(), 'recurrent-translate-'));
const tsv = (ps: { source: string; target: string }[]) => `${ps.map((p) => `${p.source}\t${p.target}`).join('\n')}\n`;
const cli = (args: string[], input?: string, cwd = ROOT) =>
  spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'translate', ...args], { encoding: 'utf8', cwd, timeout: 300_000, input });

beforeAll(async () => {
  await init();
  const pairs = toy();
  writeFileSync(join(dir, 'train.tsv'), tsv([...pairs, ...pairs, ...pairs]));
  writeFileSync(join(dir, 'dev.tsv'), tsv(pairs.slice(0, 6)));
  writeFileSync(join(dir, 'test.tsv'), tsv(pairs.slice(6, 12)));
});

describe('recurrent translate (tiny end to end)', () => {
  const model = join(dir, 'toy.safetensors');
  it('trains, keeps the best dev BLEU, scores the test pairs beside IBM-1 and the copy baseline', () => {
    const r = cli([
      'train',
      ...['--train', join(dir, 'train.tsv'), '--dev', join(dir, 'dev.tsv'), '--test', join(dir, 'test.tsv')],
      ...['--pieces', '300', '--embed', '16', '--units', '16', '--attention', '16', '--batch', '8', '--lr', '0.01', '--epochs', '8', '--workers', '1'],
      ...['--beam', '3', '--out', model],
    ]);
    expect(r.stderr).not.toMatch(/E_/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/BPE: \d+ source pieces, \d+ target pieces/);
    expect(r.stdout).toMatch(/epoch 1\/8: train [\d.]+ nats\/piece, dev BLEU [\d.]+/);
    expect(r.stdout).toMatch(/nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:2\.6\.0/);
    const bleu = (name: string) => Number(new RegExp(`${name}\\s+BLEU\\s+([\\d.]+)`).exec(r.stdout)?.[1]);
    expect(bleu('greedy')).toBeGreaterThanOrEqual(0);
    expect(bleu('IBM Model 1')).toBeGreaterThan(bleu('copy source'));
    expect(existsSync(model) && existsSync(`${model}.last`) && existsSync(model.replace(/\.safetensors$/, '.svg'))).toBe(true);
    // the beam's length penalty is chosen on the dev pairs and saved with the model
    const lp = /length penalty on dev \(beam 3, BLEU\): 0\.6 [\d.]+ \| 0\.8 [\d.]+ \| 1 [\d.]+ \| 1\.2 [\d.]+ → ([\d.]+)/.exec(r.stdout);
    expect(lp).not.toBeNull();
    const chosen = Translator.load(new Uint8Array(readFileSync(model)));
    expect(chosen.translator.lengthPenalty).toBe(Number(lp?.[1]));
    expect(chosen.metadata.epochsDone).toBeGreaterThan(0);
    chosen.translator.dispose();
    // resume continues after the saved epochs, and keeps --out's weights unless an epoch beats
    // their dev BLEU (here 101: an epoch cut short after the checkpoint could have saved them)
    const { translator: kept, metadata } = Translator.load(new Uint8Array(readFileSync(model)));
    writeFileSync(model, kept.save({ ...metadata, devBleu: 101 }));
    kept.dispose();
    const again = cli([
      'train',
      ...['--train', join(dir, 'train.tsv'), '--dev', join(dir, 'dev.tsv'), '--test', join(dir, 'test.tsv')],
      ...['--epochs', '9', '--workers', '1', '--batch', '8', '--resume', '--beam', '1', '--no-chart', '--out', model],
    ]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/resuming .* after epoch 8/);
    expect(again.stdout).toMatch(/epoch 9\/9/);
    expect(again.stdout).toMatch(/best dev BLEU so far 101\.00/);
    expect(again.stdout).toMatch(/no epoch of this run beat the dev BLEU of .*\(101\.00\): its weights are kept and scored/);
    expect(Translator.load(new Uint8Array(readFileSync(model))).metadata.devBleu).toBe(101);
  });
  it('run: stdin and files, blank lines kept, one output line per input line', () => {
    const r = cli(['run', '--model', model, '--greedy'], 'vimos uno casas en el campo.\n\nvimos dos perros en el campo.\n');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)[1]).toBe('');
    expect(r.stdout.split('\n')).toHaveLength(4);
    writeFileSync(join(dir, 'in.txt'), 'vimos tres libros en el campo.\n');
    const f = cli(['run', '--model', model, '--beam', '2', join(dir, 'in.txt')]);
    expect(f.status).toBe(0);
    expect(f.stdout.split('\n')).toHaveLength(2);
  });
  it('eval: a model on test pairs, and a hypothesis file against references', () => {
    const m = cli(['eval', '--model', model, '--test', join(dir, 'test.tsv'), '--beam', '1']);
    expect(m.status).toBe(0);
    const fixed = cli(['eval', '--model', model, '--test', join(dir, 'test.tsv'), '--beam', '2', '--length-penalty', '0.7']);
    expect(fixed.stdout).toMatch(/translated 6 lines \(beam 2, length penalty 0\.7\)/);
    expect(cli(['eval', '--model', model, '--length-penalty', '-1']).stderr).toMatch(/E_RANGE: --length-penalty must be a number ≥ 0/);
    expect(m.stdout).toMatch(/BLEU\|nrefs:1.* = [\d.]+/);
    writeFileSync(join(dir, 'hyp.txt'), 'we saw one house in the field.\nwe saw two dogs.\n');
    writeFileSync(join(dir, 'ref.txt'), 'we saw one house in the field.\nwe saw two dogs.\n');
    writeFileSync(join(dir, 'ref2.txt'), 'we saw a house in the field.\nwe saw two dogs there.\n');
    const h = cli(['eval', '--hyp', join(dir, 'hyp.txt'), '--ref', join(dir, 'ref.txt')]);
    expect(h.stdout).toMatch(/= 100\.00 /);
    expect(h.stdout).toMatch(/chrF2\|.* = 100\.00/);
    const two = cli(['eval', '--hyp', join(dir, 'hyp.txt'), '--ref', `${join(dir, 'ref2.txt')},${join(dir, 'ref.txt')}`]);
    expect(two.stdout).toMatch(/BLEU\|nrefs:2\|.* = 100\.00/);
    const one = cli(['eval', '--hyp', join(dir, 'hyp.txt'), '--ref', join(dir, 'ref2.txt')]);
    expect(Number(/BLEU\|nrefs:1\|\S* = ([\d.]+)/.exec(one.stdout)?.[1])).toBeLessThan(100);
  });
  it('bad input: a model of another task, a line too long, malformed pairs', () => {
    const g = G2P.create([{ word: 'AB', pronunciations: [['EY1', 'B']] }], { encoderUnits: 4, embed: 4, attention: 4 });
    writeFileSync(join(dir, 'g2p.safetensors'), g.save());
    g.dispose();
    const other = cli(['run', '--model', join(dir, 'g2p.safetensors')], 'uno\n');
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/E_FORMAT: not a translation model \(its task is "g2p"/);
    const long = cli(['run', '--model', model, '--batch', '1'], `vimos uno casas en el campo.\n${'cinco perros '.repeat(300)}\n`);
    expect(long.status).toBe(2);
    expect(long.stdout.split('\n')[0]).not.toBe(''); // the line before was translated and printed
    expect(long.stderr).toMatch(/E_RANGE: line 2 is \d+ pieces long; this model accepts at most 400/);
    expectError(() => parsePairs('a\tb\nno tab here\n', 'x.tsv'), TypeError, 'E_FORMAT', /x\.tsv line 2: expected "source<TAB>target"/);
    const lpBad = cli(['train', '--length-penalty', 'best', '--train', join(dir, 'train.tsv'), '--dev', join(dir, 'dev.tsv'), '--test', join(dir, 'test.tsv')]);
    expect(lpBad.status).toBe(2);
    expect(lpBad.stderr).toMatch(/E_OPTION.*length-penalty/);
    const half = cli(['train', '--train', join(dir, 'train.tsv')]);
    expect(half.stderr).toMatch(/E_OPTION: give all of --train, --dev, --test or none/);
  });
  it('an error inside a data-parallel fit (a worker replica, or an epoch callback) prints the typed error and exits 2', () => {
    // the process must exit: before, the epoch bar's timer outlived the error and held it
    const tiny = ['--pieces', '260', '--embed', '8', '--units', '8', '--attention', '8', '--batch', '64', '--epochs', '2', '--workers', '2', '--no-chart'];
    const run = (train: string, dev: string) =>
      spawnSync(
        process.execPath,
        [
          `${ROOT}bin/recurrent.js`,
          'translate',
          'train',
          '--train',
          train,
          '--dev',
          dev,
          '--test',
          join(dir, 'test.tsv'),
          ...tiny,
          '--out',
          join(dir, 'err.safetensors'),
        ],
        { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' },
      );
    // a target of about 260,000 pieces: the replicas' output softmax is above the core's limit
    const huge = Array.from({ length: 30_000 }, (_, i) => `zz${i}k`).join(' ');
    writeFileSync(join(dir, 'train-huge.tsv'), `${tsv(toy())}vimos uno casas.\t${huge}\n`);
    const worker = run(join(dir, 'train-huge.tsv'), join(dir, 'dev.tsv'));
    expect(worker.signal).toBeNull(); // not killed by the timeout
    expect(worker.status).toBe(2);
    expect(worker.stderr).toMatch(/recurrent: E_RANGE: .* is above the limit of/);
    // a dev line longer than the model accepts, found when the first epoch's dev BLEU is computed
    writeFileSync(join(dir, 'dev-long.tsv'), `${tsv(toy().slice(0, 2))}${'cinco perros '.repeat(300)}\tfive dogs\n`);
    const dev = run(join(dir, 'train.tsv'), join(dir, 'dev-long.tsv'));
    expect(dev.signal).toBeNull();
    expect(dev.status).toBe(2);
    expect(dev.stderr).toMatch(/recurrent: E_RANGE: line 3 is \d+ pieces long; this model accepts at most 400/);
  });
});

describe('Translator (SDK)', () => {
  it('save/load keeps vocabularies and translations; long input is E_RANGE', async () => {
    const pairs = toy();
    const t = Translator.create(pairs, { sourcePieces: 280, targetPieces: 280, embed: 8, encoderUnits: 8, attention: 8, maxSourcePieces: 40 }, { seed: 3 });
    await t.fit(pairs, { epochs: 1, batchSize: 6 });
    const { translator: u } = Translator.load(t.save());
    const src = pairs.slice(0, 4).map((p) => p.source);
    expect(u.translate(src, { beam: 2 })).toEqual(t.translate(src, { beam: 2 }));
    expect(u.maxSourcePieces).toBe(40);
    expectError(() => u.translate(['uno '.repeat(60)]), RangeError, 'E_RANGE', /line 1 is \d+ pieces long; this model accepts at most 40/);
    t.dispose();
    u.dispose();
  });
});

describe('Translator.chooseLengthPenalty', () => {
  it('scores each α as translate would, keeps the best, and saves it with the model', async () => {
    const pairs = toy();
    const t = Translator.create(pairs, { sourcePieces: 280, targetPieces: 280, embed: 8, encoderUnits: 8, attention: 8 }, { seed: 5 });
    t.model.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
    await t.fit(pairs, { epochs: 3, batchSize: 6 });
    expect(t.lengthPenalty).toBe(1);
    const dev = pairs.slice(0, 9);
    const grid = [0, 0.5, 1, 2];
    const c = t.chooseLengthPenalty(dev, { beam: 3, candidates: grid });
    const refs = [dev.map((p) => p.target)];
    const direct = grid.map(
      (a) =>
        corpusBleu(
          t.translate(
            dev.map((p) => p.source),
            { beam: 3, lengthPenalty: a },
          ),
          refs,
        ).score,
    );
    expect(c.scores.map((x) => x.lengthPenalty)).toEqual(grid);
    expect(c.scores.map((x) => x.bleu)).toEqual(direct);
    const best = Math.max(...direct);
    expect(c.lengthPenalty).toBe(grid[direct.indexOf(best)]);
    expect(t.lengthPenalty).toBe(c.lengthPenalty);
    // translate without an α uses the chosen one, and a saved model keeps it
    const src = dev.map((p) => p.source);
    expect(t.translate(src, { beam: 3 })).toEqual(t.translate(src, { beam: 3, lengthPenalty: c.lengthPenalty }));
    t.lengthPenalty = 0.25;
    const { translator: u, metadata } = Translator.load(t.save({ note: 'x' }));
    expect(u.lengthPenalty).toBe(0.25);
    expect(metadata).toEqual({ note: 'x' });
    u.dispose();
    expectError(() => t.chooseLengthPenalty([], {}), RangeError, 'E_RANGE', /no pairs/);
    expectError(() => t.chooseLengthPenalty(dev, { candidates: [1, -1] }), RangeError, 'E_RANGE', /lengthPenalty must be a finite number ≥ 0 \(got -1\)/);
    expectError(() => t.chooseLengthPenalty(dev, { beams: 2 } as never), TypeError, 'E_OPTION', /beams/);
    expectError(() => t.translate(src, { lengthPenalty: Number.NaN }), RangeError, 'E_RANGE', /lengthPenalty/);
    t.dispose();
  });
  it('a model file whose lengthPenalty is not a number ≥ 0 is E_FORMAT; files without one rank by α = 1', () => {
    const pairs = toy();
    const t = Translator.create(pairs, { sourcePieces: 280, targetPieces: 280, embed: 8, encoderUnits: 8, attention: 8 }, { seed: 5 });
    const bytes = t.save();
    const { translator: u, metadata } = Translator.load(bytes);
    expect(u.lengthPenalty).toBe(1);
    u.dispose();
    // rewrite the metadata the way an older file or a corrupt one would have it
    const { model } = t;
    const meta = (lengthPenalty: unknown) =>
      model.save({
        ...metadata,
        task: 'translate',
        sourceBpe: t.source.toJSON(),
        targetBpe: t.target.toJSON(),
        maxSourcePieces: t.maxSourcePieces,
        lengthPenalty,
      });
    expectError(() => Translator.load(meta(-2)), TypeError, 'E_FORMAT', /lengthPenalty is not a number ≥ 0/);
    expectError(() => Translator.load(meta('big')), TypeError, 'E_FORMAT', /lengthPenalty/);
    const old = Translator.load(meta(undefined));
    expect(old.translator.lengthPenalty).toBe(1);
    old.translator.dispose();
    t.dispose();
  });
});

describe('Translator.fit (one fit engine run, public hooks)', () => {
  const small = { sourcePieces: 280, targetPieces: 280, embed: 8, encoderUnits: 8, attention: 8 };
  const first = (t: Translator) => t.model.getParam(t.model.paramNames()[0]);

  it('scores dev after every epoch and ends with the weights of the best dev BLEU', async () => {
    const pairs = toy();
    const t = Translator.create(pairs, small, { seed: 3 });
    t.model.compile({ optimizer: { name: 'adam', lr: 0.02 } });
    const seen: { epoch: number; bleu: number; best: boolean; w: Float32Array }[] = [];
    const steps: number[] = [];
    const r = await t.fit(pairs, {
      epochs: 4,
      batchSize: 6,
      dev: pairs.slice(0, 6),
      startEpoch: 1, // epochs 1, 2 and 3 of a resumed run
      onStep: (e) => steps.push(e.epoch),
      onEpoch: (e) => {
        seen.push({ epoch: e.epoch, bleu: e.devBleu ?? Number.NaN, best: e.best, w: first(t) });
      },
    });
    expect(seen.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(new Set(steps)).toEqual(new Set([1, 2, 3]));
    expect(r.stopReason).toBe('completed');
    expect(r.epochs).toBe(3);
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    const top = Math.max(...seen.map((e) => e.bleu));
    const at = seen.find((e) => e.bleu === top)!;
    expect(r.bestDevBleu).toBe(top);
    expect(r.bestEpoch).toBe(at.epoch);
    expect(seen.filter((e) => e.best).map((e) => e.epoch)).toContain(at.epoch);
    expect(first(t)).toEqual(at.w);
    t.dispose();
  });

  it("on 2 worker replicas: the model is current at every epoch and ends with the best epoch's weights", async () => {
    await initDist();
    const pairs = toy();
    const t = DistTranslator.create(pairs, small, { seed: 5 });
    t.model.compile({ optimizer: { name: 'adam', lr: 0.02 } });
    const seen: { bleu: number; w: Float32Array }[] = [];
    const r = await t.fit(pairs, {
      epochs: 3,
      batchSize: 6,
      workers: 2,
      dev: pairs.slice(0, 6),
      onEpoch: (e) => {
        seen.push({ bleu: e.devBleu ?? Number.NaN, w: t.model.getParam(t.model.paramNames()[0]) });
      },
    });
    expect(r.epochs).toBe(3);
    expect(seen[1].w).not.toEqual(seen[0].w); // the replicas' weights reached the model each epoch
    const at = seen.findIndex((e) => e.bleu === r.bestDevBleu);
    expect(r.bestEpoch).toBe(at);
    expect(t.model.getParam(t.model.paramNames()[0])).toEqual(seen[at].w);
    t.dispose();
  });

  it('an epoch cut short competes for the best; early stopping comes from the public hooks', async () => {
    const pairs = toy();
    const t = Translator.create(pairs, small, { seed: 4 });
    const stop = new AbortController();
    const seen: { epoch: number; partial: boolean }[] = [];
    let n = 0;
    const r = await t.fit(pairs, {
      epochs: 3,
      batchSize: 3,
      signal: stop.signal,
      dev: pairs.slice(0, 4),
      onStep: () => {
        if (++n === 8) stop.abort(); // inside epoch 1 (6 batches per epoch)
      },
      onEpoch: (e) => {
        seen.push({ epoch: e.epoch, partial: e.partial });
      },
    });
    expect(r.stopReason).toBe('aborted');
    expect(seen).toEqual([
      { epoch: 0, partial: false },
      { epoch: 1, partial: true },
    ]);
    // patience 1 on a training loss that cannot improve by 1e9 stops after the second epoch
    const e = await t.fit(pairs, { epochs: 6, batchSize: 6, hooks: { earlyStopping: { monitor: 'loss', minDelta: 1e9, patience: 1 } } });
    expect(e.stopReason).toBe('earlyStopping');
    expect(e.epochs).toBe(2);
    await expect(t.fit(pairs, { epochs: 1, hooks: { keepBest: {} } })).rejects.toMatchObject({
      code: 'E_OPTION',
      message: expect.stringMatching(/val_loss.*validation/),
    });
    t.dispose();
  });
});

describe('Bible corpus errors', () => {
  it('diatheke missing and not installable: E_STATE naming the packages', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'recurrent-path-'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const path = process.env.PATH;
    process.env.PATH = bin;
    try {
      await expect(ensureBibleModules()).rejects.toMatchObject({
        code: 'E_STATE',
        message: expect.stringMatching(/apt-get install -y diatheke sword-text-sparv sword-text-web sword-text-kjv/),
      });
      await expect(exportModule('spaRV1909eb')).rejects.toMatchObject({ code: 'E_STATE', message: expect.stringMatching(/diatheke is not installed/) });
    } finally {
      process.env.PATH = path;
    }
  });
  it('a module missing: E_STATE naming its package', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'recurrent-path-'));
    writeFileSync(join(bin, 'diatheke'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'diatheke'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      await expect(exportModule('spaRV1909eb')).rejects.toMatchObject({
        code: 'E_STATE',
        message: expect.stringMatching(/module spaRV1909eb is not installed: install it with `apt-get install -y sword-text-sparv`/),
      });
    } finally {
      process.env.PATH = path;
    }
    expect(readFileSync(join(ROOT, 'test/fixtures/bible/spaRV1909eb.osis'), 'utf8').length).toBeGreaterThan(0);
  });
});
