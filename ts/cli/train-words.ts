// `recurrent train --level word`: a word-level LSTM language model on Moby Dick (chapters 1-125;
// 126-135 held out), words and punctuation with <eos> after each paragraph and a vocabulary cap
// with <unk>. Per epoch: train and validation perplexity (validation over windows as long as the training ones), a
// sample and a checkpoint; at the end the held-out perplexity over the whole stream with the
// state carried, next to an interpolated Kneser-Ney trigram's on the same tokens.
import { MAX_WINDOWS_PER_EPOCH, textWindows } from '../data/source.js';
import { Vocabulary } from '../data/vocab.js';
import { COMPILE_DEFAULTS, OPTIMIZER_NAMES } from '../defaults.js';
import { optionError, rangeError } from '../errors.js';
import type { OptimizerName } from '../model.js';
import { TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { KneserNeyTrigram } from '../tasks/kneser-ney.js';
import { generateWords, isWordVocabulary, mixedPerplexity, trigramLogProbs, wordLogProbs, wordModel } from '../tasks/next-word.js';
import { tokenizeWords, wordVocabulary } from '../tasks/words.js';
import { createTrainer } from '../trainer.js';
import { fmtDuration } from './args.js';
import { lineChart } from './chart.js';
import { loadMobyDick } from './corpora/mobydick.js';
import { CORPORA, needCorpus } from './corpus.js';
import type { reader } from './flags.js';
import { picturePath, prepareOutput, scoreSaved, writeAtomic } from './output.js';
import { describeOptimizer, followFit, UNITS } from './progress.js';

/** Defaults at word level (measured on 2 shared cores: see examples/README.md). */
export const WORD_DEFAULTS = { cell: 'lstm', units: 128, embed: 128, dropout: 0.1, window: 32, batch: 16, epochs: 20, budget: '10m', vocab: 10000 };

export async function trainWords(f: ReturnType<typeof reader>, out: (s: string) => void): Promise<number> {
  const d = WORD_DEFAULTS;
  const cell = f.choice<'lstm' | 'gru'>('cell', ['lstm', 'gru'], 'lstm');
  const hidden = f.int('units', d.units);
  const layers = f.int('layers', 1);
  const embed = f.int('embed', d.embed);
  const dropout = f.num('dropout', d.dropout, { min: 0, max: 0.99 });
  const seqLen = f.int('window', d.window);
  const batch = f.int('batch', d.batch);
  const optimizer = f.choice<OptimizerName>('optimizer', OPTIMIZER_NAMES, COMPILE_DEFAULTS.optimizer);
  const lr = f.num('lr', TASK_TRAINING.words.lr, { min: 0 });
  const clip = f.num('clip', TASK_TRAINING.words.clipNorm ?? 0, { min: 0 });
  const epochs = f.int('epochs', d.epochs);
  const cap = f.int('vocab', d.vocab, { min: 2 });
  const budget = f.duration('time-budget', d.budget);
  const outPath = f.str('out') ?? 'runs/mobydick-words.safetensors';
  const seed = f.int('seed', 1, { min: 0 });
  const sampleLen = f.int('sample', 30, { min: 0 });
  const chartPath = picturePath(f.raw('chart'), outPath);
  const resume = f.str('resume');
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);

  needCorpus(CORPORA.mobydick);
  const data = await loadMobyDick();
  const trTok = tokenizeWords(data.train);
  const vaTok = tokenizeWords(data.validation);
  const t = await createTrainer({ worker: f.bool('worker', true), workers: f.workers(1) });
  try {
    let vocab: Vocabulary;
    const compile = () => t.compile({ loss: 'crossEntropy', ...taskCompile('words', { optimizer, lr, clipNorm: clip }) });
    if (resume) {
      const info = await t.load(resume);
      if (!info.vocabulary) throw optionError(`${resume} has no vocabulary: it is not a text model`);
      vocab = Vocabulary.fromJSON(info.vocabulary);
      if (!isWordVocabulary(vocab)) throw optionError(`${resume} is not a word-level model (train it with --level word)`);
      if (!info.compiled) await compile();
      out(`resuming ${resume} at epoch ${(info.training?.epoch ?? 0) + 1}, step ${info.training?.step ?? 0}`);
    } else {
      vocab = wordVocabulary(trTok, cap);
      await t.build(wordModel(vocab.size, { cell, embed, units: hidden, layers, dropout }), { seed });
      await t.setVocabulary(vocab);
      await compile();
    }
    const trainIds = vocab.encode(trTok);
    const valIds = vocab.encode(vaTok);
    const stepsPerEpoch = f.int('steps-per-epoch', Math.max(1, Math.floor(trainIds.length / (batch * seqLen))));
    if (stepsPerEpoch * batch > MAX_WINDOWS_PER_EPOCH)
      throw rangeError(`--steps-per-epoch x --batch must be at most ${MAX_WINDOWS_PER_EPOCH.toLocaleString('en-US')} windows per epoch; use more --epochs`);
    const trigram = new KneserNeyTrigram(vocab).fit(trainIds);
    const knLog = trigramLogProbs(trigram, valIds);
    const kn = Math.exp(-knLog.reduce((a, b) => a + b, 0) / knLog.length);
    const oov = vaTok.filter((w) => !vocab.has(w)).length / vaTok.length;
    const info = await t.info();
    out(
      `data: Moby Dick words, ${trainIds.length.toLocaleString('en-US')} training and ${valIds.length.toLocaleString('en-US')} validation tokens, vocabulary ${vocab.size} with <unk> (${(100 * oov).toFixed(2)}% of validation tokens)`,
    );
    out(`model: ${cell} ${hidden}x${layers}, embedding ${embed}, dropout ${dropout}, ${info.paramCount.toLocaleString('en-US')} parameters`);
    out(
      `training: up to ${epochs} epochs x ${stepsPerEpoch} batches of ${batch}x${seqLen}, ${describeOptimizer(info.compiled?.optimizer ?? { name: optimizer, lr })}, budget ${budget ? fmtDuration(budget) : 'none'}`,
    );
    out(`baseline: interpolated Kneser-Ney trigram, validation perplexity ${kn.toFixed(1)}`);

    const stepPpl: [number, number][] = [];
    const valPpl: [number, number][] = [];
    const picture = async () => {
      if (!chartPath) return;
      const svg = lineChart({
        title: `recurrent train --level word: ${cell} ${hidden} on Moby Dick words (vocabulary ${vocab.size})`,
        subtitle: `Kneser-Ney trigram: ${kn.toFixed(1)}; lower is better`,
        x: 'optimizer step',
        y: 'perplexity',
        series: [
          { name: 'training (per step)', points: stepPpl },
          { name: 'validation (per epoch)', points: valPpl, dots: true },
        ],
      });
      await writeAtomic(chartPath, svg);
    };
    const result = await followFit(
      epochs,
      UNITS.perplexity,
      (signal) =>
        t.fit(textWindows(trainIds, { steps: seqLen, windowsPerEpoch: stepsPerEpoch * batch }), {
          epochs,
          batchSize: batch,
          seed,
          timeBudgetMs: budget,
          resume: Boolean(resume),
          signal,
          // validation windows as long as the training ones: B × T × (the 10k-wide output) fits the
          // per-call activation limit whenever training's does
          validation: textWindows(valIds, { steps: seqLen, random: false }),
        }),
      {
        step: (e) => {
          stepPpl.push([e.step, Math.exp(e.loss)]);
        },
        epoch: async (e) => {
          const val = e.validation?.loss;
          if (val !== undefined) valPpl.push([e.step, Math.exp(val)]);
          out(
            `epoch ${e.epoch + 1}/${epochs}: train perplexity ${Math.exp(e.loss).toFixed(1)}, validation ${val === undefined ? '-' : Math.exp(val).toFixed(1)} (${seqLen}-token windows), ${Math.round(e.tokensPerSec).toLocaleString('en-US')} tok/s, ${fmtDuration(e.elapsedMs)}`,
          );
          if (sampleLen > 0)
            out(
              `  sample: ${JSON.stringify(`the whale ${await generateWords(t, 'the whale', { maxTokens: sampleLen, temperature: 0.8, seed: e.epoch + 1 })}`)}`,
            );
          await writeAtomic(outPath, await t.save());
          await picture();
        },
      },
    );
    await writeAtomic(outPath, await t.save());
    const lstmLog = await scoreSaved(outPath, () => wordLogProbs(t, valIds));
    const ppl = mixedPerplexity(lstmLog, knLog, 1);
    valPpl.push([result.steps, ppl]);
    await picture();
    out(
      `done (${result.stopReason}): ${result.epochs} epochs, ${(result.tokens / 1e6).toFixed(2)}M tokens in ${fmtDuration(result.elapsedMs)}, ${Math.round(result.tokensPerSec).toLocaleString('en-US')} tok/s`,
    );
    out(`validation perplexity ${ppl.toFixed(1)} (Kneser-Ney trigram ${kn.toFixed(1)}, same tokens and vocabulary)`);
    out(`the ${cell} and the trigram mixed half and half (P = 0.5 P_${cell} + 0.5 P_trigram): perplexity ${mixedPerplexity(lstmLog, knLog, 0.5).toFixed(1)}`);
    out(`model saved to ${outPath}  (try: npx recurrent next --model ${outPath} --prompt "the white")`);
    if (chartPath) out(`picture: ${chartPath}`);
    return 0;
  } finally {
    await t.dispose();
  }
}
