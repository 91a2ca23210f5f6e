// `recurrent train`: a character-level language model on Moby Dick, trained in a worker
// thread with a live progress bar; per epoch: train and validation bits per character, a
// generated sample, and a checkpoint.
import { sequential } from '../builder.js';
import { MAX_WINDOWS_PER_EPOCH, textWindows } from '../data/source.js';
import { Vocabulary } from '../data/vocab.js';
import { COMPILE_DEFAULTS, OPTIMIZER_NAMES } from '../defaults.js';
import { optionError, rangeError } from '../errors.js';
import type { EpochEvent, EvalResult, FitResult, StepEvent } from '../events.js';
import { kernelCalibration } from '../kernel-choice.js';
import type { CellType } from '../layer.js';
import type { OptimizerName } from '../model.js';
import { TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { createTrainer } from '../trainer.js';
import { fmtDuration } from './args.js';
import { lineChart } from './chart.js';
import { loadMobyDick } from './corpora/mobydick.js';
import { CORPORA, needCorpus } from './corpus.js';
import { type Command, common, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, scoreSaved, writeAtomic } from './output.js';
import { describeOptimizer, followFit, UNITS } from './progress.js';
import { calibrate, chooseDropout, DROPOUT_BY_PASSES, MODEL_LADDER, type ModelRung, type ModelSize, replanSteps, rungForPasses, sizeName } from './run-plan.js';
import { trainWords } from './train-words.js';

/** The character model's schedule by default (TASK_TRAINING.text). */
const TEXT_SCHEDULE = TASK_TRAINING.text.schedule === 'cosine' ? 'cosine' : 'constant';

export const TRAIN: Command = {
  name: 'recurrent train',
  usage: '[flags]',
  about: `Trains a character-level (or, with --level word, a word-level) language model on Moby Dick
(chapters 1-125; 126-135 held out) and saves it with a picture of its loss per step and
validation per epoch (an SVG next to --out).`,
  flags: [
    { name: 'level', arg: 'NAME', help: 'char | word: characters, or words and punctuation (default char)' },
    { name: 'vocab', arg: 'N', help: 'word level: vocabulary cap, <unk> included (default 10000)' },
    { name: 'cell', arg: 'NAME', help: 'lstm | gru | rnn_tanh | rnn_relu (default gru)' },
    common.units(256),
    { name: 'layers', arg: 'N', help: 'stacked layers (default: 2 where the plan makes 8 passes over the text with them, else 1)' },
    common.embed(64),
    {
      name: 'dropout',
      arg: 'P',
      help: "dropout on the recurrent layers' outputs, between stacked layers and before the output layer (default: by the model and the passes over the training text the plan makes, 0 or 0.1)",
    },
    common.window(64, 'characters per training window', 'seq-len'),
    common.batch(32, 'windows'),
    { name: 'optimizer', arg: 'NAME', help: `${OPTIMIZER_NAMES.join(' | ')} (default ${COMPILE_DEFAULTS.optimizer})` },
    common.lr(TASK_TRAINING.text.lr, 'learning rate'),
    common.clip(TASK_TRAINING.text.clipNorm ?? 0),
    { name: 'schedule', arg: 'NAME', help: `constant | cosine: the learning rate anneals towards 0 over --epochs, once per epoch (default ${TEXT_SCHEDULE})` },
    {
      name: 'epochs',
      arg: 'N',
      help: 'passes (epochs) of --steps-per-epoch batches (default 12; planned with the batches per epoch when only --steps-per-epoch is given)',
    },
    {
      name: 'steps-per-epoch',
      arg: 'N',
      help: 'optimizer updates (batches) per epoch (default: planned to fill --time-budget at the throughput measured in the first seconds; 500 with --time-budget none)',
    },
    common.timeBudget('9m30s'),
    common.out('runs/mobydick.safetensors', 'checkpoint file, written after every epoch'),
    common.chart(),
    common.resume('continue from a checkpoint (architecture and optimizer from the file)'),
    common.seed(1),
    { name: 'sample', arg: 'N', help: 'characters to sample after each epoch (default 200)' },
    common.worker(),
    common.workers('auto'),
  ],
  notes: `The run is planned to its time budget: a few seconds of training measure this host's
throughput (those weights are thrown away), one validation pass is timed, and the epochs and
batches per epoch are sized so that the cosine schedule ends as the budget does (12 epochs,
their batches sized; fewer epochs on a host too slow for 20 batches each). Give both --epochs
and --steps-per-epoch, or --time-budget none, for a fixed plan. Without --cell, --units or
--layers the plan also chooses the model (MODEL_LADDER in ts/cli/run-plan.ts): GRU 256x2 with
dropout 0.1 between the layers and before the output layer where its measured throughput makes
8 passes or more over the training text in the budget (an idle 2-core host makes about 10),
else GRU 256x1, which gets twice the characters and no dropout up to 30 passes (0.1 beyond);
the plan: line says which and why. --dropout fixes the dropout.

With --level word the defaults are: --cell lstm --units 128 --embed 128 --dropout 0.1
--window 32 --batch 16 --lr ${TASK_TRAINING.words.lr} --workers 1 --epochs 20 --steps-per-epoch (one pass over the training
tokens) --time-budget 10m --sample 30 --out runs/mobydick-words.safetensors; it prints the
held-out perplexity next to an interpolated Kneser-Ney trigram's at the same vocabulary
(--time-budget 30m took it below the trigram's, 189.4 vs 196.9, on 2 loaded cores).`,
  examples: [
    'recurrent train --cell lstm --units 128 --epochs 4 --time-budget 5m --out runs/md.safetensors',
    'recurrent train --cell lstm --units 256 --workers auto --out runs/md-lstm.safetensors',
    'recurrent train --level word --vocab 10000 --time-budget 10m && recurrent next --model runs/mobydick-words.safetensors --prompt "the white"',
  ],
};
export const TRAIN_HELP = helpText(TRAIN);

const CELLS = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as const;

/** Windows one epoch may hold: the SDK draws an epoch's window offsets up front (4 bytes each). */
export { MAX_WINDOWS_PER_EPOCH };

export async function train(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(TRAIN, argv);
  if (parsed.help) {
    out(TRAIN_HELP);
    return 0;
  }
  const f = reader(parsed);
  if (f.choice<'char' | 'word'>('level', ['char', 'word'], 'char') === 'word') return trainWords(f, out);
  if (f.str('vocab') !== undefined) throw optionError('--vocab applies to --level word (a character model keeps every character)');
  // the model's size: given, or chosen by the plan from MODEL_LADDER
  const sizeGiven = ['cell', 'units', 'layers'].some((n) => f.str(n) !== undefined);
  const cell = f.choice<CellType>('cell', CELLS, 'gru');
  const hidden = f.int('units', 256);
  const layers = f.int('layers', 1);
  const embed = f.int('embed', 64);
  const givenDropout = f.str('dropout') === undefined ? undefined : f.num('dropout', 0, { min: 0, max: 0.99 });
  const seqLen = f.int('window', 64);
  const batch = f.int('batch', 32);
  const optimizer = f.choice<OptimizerName>('optimizer', OPTIMIZER_NAMES, COMPILE_DEFAULTS.optimizer);
  const lr = f.num('lr', TASK_TRAINING.text.lr, { min: 0 });
  const clip = f.num('clip', TASK_TRAINING.text.clipNorm ?? 0, { min: 0 });
  // the plan: fixed where both are given (or there is no budget to fill), else measured below
  const givenEpochs = f.str('epochs') === undefined ? undefined : f.int('epochs', 12);
  const givenSteps = f.str('steps-per-epoch') === undefined ? undefined : f.int('steps-per-epoch', 500);
  const schedule = f.choice<'constant' | 'cosine'>('schedule', ['constant', 'cosine'], TEXT_SCHEDULE);
  const budget = f.duration('time-budget', '9m30s');
  const started = performance.now();
  const outPath = f.str('out') ?? 'runs/mobydick.safetensors';
  const seed = f.int('seed', 1, { min: 0 });
  const sampleLen = f.int('sample', 200, { min: 0 });
  const chartPath = picturePath(f.raw('chart'), outPath);
  const resume = f.str('resume');
  // one replica per core unless told otherwise (--no-worker alone means one, in this thread)
  const inWorker = f.bool('worker', true);
  const workers = f.workers(inWorker ? 'auto' : 1);
  if (givenSteps !== undefined && givenSteps * batch > MAX_WINDOWS_PER_EPOCH)
    throw rangeError(
      `--steps-per-epoch x --batch must be at most ${MAX_WINDOWS_PER_EPOCH.toLocaleString('en-US')} windows per epoch (got ${(givenSteps * batch).toLocaleString('en-US')}); use more --epochs`,
    );
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);

  needCorpus(CORPORA.mobydick);
  const data = await loadMobyDick();
  const t = await createTrainer({ worker: inWorker, workers });
  try {
    let vocab: Vocabulary;
    let epochs = givenEpochs ?? 12;
    let stepsPerEpoch = givenSteps ?? 500;
    // a planned run: what its plan was made from, to plan each epoch's batches again as it goes
    let measured: { tokensPerSec: number; epochOverheadMs: number } | undefined;
    // the text task's defaults (TASK_TRAINING.text), with the flags given, over `tMax` epochs;
    // --schedule constant drops the cosine
    const compile = (tMax: number) => {
      const { schedule: cosine, ...given } = taskCompile('text', { optimizer, lr, clipNorm: clip, epochs: tMax });
      return t.compile({ loss: 'crossEntropy', ...given, ...(schedule === 'cosine' ? { schedule: cosine } : {}) });
    };
    if (resume) {
      const info = await t.load(resume);
      if (!info.vocabulary) throw optionError(`${resume} has no vocabulary: it is not a text model`);
      // a planned run resumes with its plan: the cosine schedule's length, and the batches per
      // epoch that its position implies (step = epoch x batches per epoch + batch)
      const sch = info.compiled && 'schedule' in info.compiled ? info.compiled.schedule : undefined;
      if (givenEpochs === undefined && sch?.name === 'cosine') epochs = sch.tMax;
      const pos = info.training;
      if (givenSteps === undefined && pos && pos.epoch > 0 && (pos.step - pos.batch) % pos.epoch === 0) stepsPerEpoch = (pos.step - pos.batch) / pos.epoch;
      // a run stopped mid-epoch (its epochs planned one by one) finishes that epoch at least
      if (givenSteps === undefined && pos) stepsPerEpoch = Math.max(stepsPerEpoch, pos.batch);
      if (!info.compiled) await compile(epochs);
      vocab = Vocabulary.fromJSON(info.vocabulary);
      out(`resuming ${resume} at epoch ${(info.training?.epoch ?? 0) + 1}, step ${info.training?.step ?? 0}`);
    } else {
      vocab = Vocabulary.fromText(data.train + data.validation);
      // the model `size` with dropout p on the recurrent layers' outputs (between them and before the head)
      const specFor = (size: ModelSize, p: number) => {
        const emb = sequential({ input: { vocab: vocab.size } }).embedding({ dim: embed });
        const rec = { units: size.units, layers: size.layers, dropout: size.layers > 1 ? p : 0 };
        const c = size.cell;
        const stack = c === 'lstm' ? emb.lstm(rec) : c === 'gru' ? emb.gru(rec) : emb.rnn({ ...rec, activation: c === 'rnn_relu' ? 'relu' : 'tanh' });
        return (p > 0 ? stack.dropout(p) : stack).dense({ units: vocab.size });
      };
      const buildModel = async (size: ModelSize, p: number) => {
        await t.build(specFor(size, p), { seed });
        await t.setVocabulary(vocab);
        await compile(epochs);
      };
      // the models to choose from: the size given, or the ladder (largest first) by the plan
      const ladder: readonly ModelRung[] = sizeGiven ? [{ cell, units: hidden, layers, minPasses: 0, dropoutByPasses: DROPOUT_BY_PASSES }] : MODEL_LADDER;
      const planned = budget !== undefined && (givenEpochs === undefined || givenSteps === undefined);
      if (!planned) {
        // a fixed plan: the model and its dropout by the plan's size
        const passes = (epochs * stepsPerEpoch * batch * seqLen) / data.train.length;
        const rung = rungForPasses(ladder, passes);
        const fixed = chooseDropout(epochs * stepsPerEpoch * batch * seqLen, data.train.length, rung.dropoutByPasses, rung.layers);
        const above = ladder[ladder.indexOf(rung) - 1];
        const why = above ? `fewer than the ${above.minPasses} passes ${sizeName(above)} needs` : `${rung.minPasses} passes or more`;
        if (givenDropout === undefined) out(`regularisation: ${ladder.length > 1 ? `${sizeName(rung)} (${why}), ` : ''}${fixed.reason}`);
        await buildModel(rung, givenDropout ?? fixed.dropout);
      } else {
        // the plan: measure, size, then start again from the same seed (the calibration's weights are thrown away)
        const p = await calibrate(t, vocab.encode(data.train), vocab.encode(data.validation), {
          batch,
          seqLen,
          seed,
          sampleLen,
          budget,
          started,
          givenEpochs,
          givenSteps,
          givenDropout,
          ladder,
          build: (size) => buildModel(size, 0),
        });
        ({ epochs, stepsPerEpoch } = p.plan);
        if (givenSteps === undefined) measured = p;
        out(p.line);
        await buildModel(p.rung, p.choice.dropout);
      }
    }
    const info = await t.info();
    const trainIds = vocab.encode(data.train);
    const valIds = vocab.encode(data.validation);
    out(
      `data: Moby Dick, ${trainIds.length.toLocaleString('en-US')} training and ${valIds.length.toLocaleString('en-US')} validation characters, vocabulary ${vocab.size}`,
    );
    out(
      `model: ${describe(info.spec)}, ${info.paramCount.toLocaleString('en-US')} parameters, ${t.workers > 1 ? `training on ${t.workers} worker replicas (data-parallel; ${t.workersReason})` : t.mode === 'worker' ? `training in a worker thread${t.workersReason.startsWith('auto:') ? ` (${t.workersReason})` : ''}` : 'training in the main thread'}, ${t.kernels} kernels${describeKernelChoice()}`,
    );
    out(
      `training: ${epochs} epochs x ${stepsPerEpoch} batches of ${batch}x${seqLen}${measured ? ' (the later epochs planned again from the throughput of the one before)' : ''}, ${describeOptimizer(info.compiled?.optimizer ?? { name: optimizer, lr })}, clip ${info.compiled?.clipNorm ?? 'off'}${describeSchedule(info.compiled)}, budget ${budget ? fmtDuration(budget) : 'none'}`,
    );

    const workersHeader = t.workersReason;
    // the picture: training loss per step and validation per epoch, in bits per character
    const stepBits: [number, number][] = [];
    const valBits: [number, number][] = [];
    const picture = async () => {
      if (!chartPath) return;
      const svg = lineChart({
        title: `recurrent train: ${describe(info.spec)} on Moby Dick`,
        subtitle: `${valBits.length} epochs, ${stepBits.length ? stepBits[stepBits.length - 1][0] : 0} steps of ${batch}x${seqLen}; lower is better`,
        x: 'optimizer step',
        y: 'bits per character',
        series: [
          { name: 'training (per step)', points: stepBits },
          { name: 'validation (per epoch)', points: valBits, dots: true },
        ],
      });
      await writeAtomic(chartPath, svg);
    };
    let lastVal: EvalResult | undefined;
    // the fit's budget counts from its first call (a resumed fit adds its earlier time)
    const fitBudget = budget === undefined ? undefined : Math.max(1, budget - (performance.now() - started));
    // the first and last step events of the epoch being trained (tokens, elapsed ms)
    let firstStep: StepEvent | undefined;
    let lastStep: StepEvent | undefined;
    const handlers = {
      step: (e: StepEvent) => {
        // workers: auto has measured by the first step whether the replicas pay
        if (stepBits.length === 0 && t.workersReason !== workersHeader) out(`workers: ${t.workers} (${t.workersReason})`);
        stepBits.push([e.step, e.loss / Math.LN2]);
        if (e.batch === 0) firstStep = e;
        lastStep = e;
      },
      epoch: async (e: EpochEvent) => {
        lastVal = e.validation;
        if (e.validation?.bitsPerToken !== undefined) valBits.push([e.step, e.validation.bitsPerToken]);
        const val = e.validation?.bitsPerToken;
        out(
          `epoch ${e.epoch + 1}/${epochs}: train ${e.bitsPerToken?.toFixed(3)} bpc, validation ${val?.toFixed(3)} bpc, ${Math.round(e.tokensPerSec).toLocaleString('en-US')} tok/s, ${(e.tokens / 1e6).toFixed(2)}M tokens, ${fmtDuration(e.elapsedMs)}`,
        );
        if (sampleLen > 0) {
          const sample = await t.generate('The whale ', { maxTokens: sampleLen, temperature: 0.8, seed: e.epoch + 1 });
          out(`  sample: ${JSON.stringify(`The whale ${sample}`)}`);
        }
        await writeAtomic(outPath, await t.save());
        await picture();
      },
    };
    const fitEpochs = (upTo: number, steps: number, resumed: boolean) =>
      followFit(
        epochs,
        UNITS.bitsPerCharacter,
        (signal) =>
          t.fit(textWindows(trainIds, { steps: seqLen, windowsPerEpoch: steps * batch }), {
            epochs: upTo,
            batchSize: batch,
            seed,
            timeBudgetMs: fitBudget,
            resume: resumed,
            signal,
            validation: textWindows(valIds, { steps: 256, random: false }),
          }),
        handlers,
      );
    let result: FitResult;
    if (!measured) result = await fitEpochs(epochs, stepsPerEpoch, Boolean(resume));
    else {
      // one fit per epoch, each sized again from the throughput of the one before, so that all
      // the schedule's epochs fit in the budget even when the host slows down (or uses the time
      // when it speeds up); the first is the plan's
      let steps = stepsPerEpoch;
      let prevElapsed = 0;
      for (let e = 0; ; e++) {
        result = await fitEpochs(e + 1, steps, e > 0);
        if (result.stopReason !== 'completed' || e + 1 >= epochs) break;
        const [a, b] = [firstStep, lastStep];
        if (a && b && b.elapsedMs > a.elapsedMs && b.step > a.step) {
          const tokensPerSec = ((b.tokens - a.tokens) * 1000) / (b.elapsedMs - a.elapsedMs);
          const epochMs = result.elapsedMs - prevElapsed;
          const epochOverheadMs = Math.max(0, epochMs - (steps * batch * seqLen * 1000) / tokensPerSec);
          measured = { tokensPerSec, epochOverheadMs };
        }
        prevElapsed = result.elapsedMs;
        steps = replanSteps({
          leftMs: (fitBudget ?? 0) - result.elapsedMs,
          epochsLeft: epochs - (e + 1),
          tokensPerBatch: batch * seqLen,
          maxStepsPerEpoch: Math.floor(MAX_WINDOWS_PER_EPOCH / batch),
          ...measured,
        });
      }
    }
    await writeAtomic(outPath, await t.save());
    // a completed run's last epoch was validated on the final weights already
    const final =
      result.stopReason === 'completed' && lastVal ? lastVal : await scoreSaved(outPath, () => t.evaluate(textWindows(valIds, { steps: 256, random: false })));
    if (result.stopReason !== 'completed' && final.bitsPerToken !== undefined) valBits.push([result.steps, final.bitsPerToken]);
    await picture();
    out(
      `done (${result.stopReason}): ${result.epochs} epochs, ${(result.tokens / 1e6).toFixed(2)}M tokens in ${fmtDuration(result.elapsedMs)}, ${Math.round((result.tokens * 1000) / Math.max(1, result.elapsedMs)).toLocaleString('en-US')} tok/s`,
    );
    out(`validation: ${final.bitsPerToken!.toFixed(3)} bits per character (loss ${final.loss.toFixed(4)}), accuracy ${(100 * final.accuracy!).toFixed(1)}%`);
    out(`model saved to ${outPath}  (try: npx recurrent generate --model ${outPath} --prompt "Call me ")`);
    if (chartPath) out(`picture: ${chartPath}`);
    return 0;
  } finally {
    await t.dispose();
  }
}

/** Why `auto` chose the kernels it did, where it measured (or nothing). */
function describeKernelChoice(): string {
  const v = kernelCalibration();
  return v ? ` (auto: relaxed-simd measured ${v.speedup.toFixed(2)}x simd128 here)` : '';
}

/** ", cosine schedule over N epochs" (or nothing) for the training line. */
function describeSchedule(compiled: import('../session-api.js').ModelInfo['compiled']): string {
  const sch = compiled && 'schedule' in compiled ? compiled.schedule : undefined;
  return sch?.name === 'cosine' ? `, cosine schedule over ${sch.tMax} epochs` : sch && sch.name !== 'constant' ? `, ${sch.name} schedule` : '';
}

function describe(spec: import('../session-api.js').ModelInfo['spec']): string {
  if (!('layers' in spec)) return 'encoder-decoder';
  return spec.layers
    .map((l) =>
      l.type === 'embedding'
        ? `embedding ${l.dim}`
        : l.type === 'recurrent'
          ? `${l.cell} ${l.units}x${l.layers}${l.bidirectional ? ' bi' : ''}${l.dropout ? ` dropout ${l.dropout}` : ''}`
          : l.type === 'dense'
            ? `dense ${l.units}`
            : l.type === 'dropout'
              ? `dropout ${l.rate}`
              : l.type,
    )
    .join(' -> ');
}
