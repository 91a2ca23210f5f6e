// `recurrent segment train|run`: word segmentation as BMES character tagging.
//   train: a BiLSTM-CRF (or a plain BiLSTM tagger) on Moby Dick with its spaces taken out, or
//          on any SIGHAN-format corpus (one sentence a line, words separated by spaces);
//          scores it and the longest-match baseline on held-out text; saves the model.
//   run:   segments raw text with a saved model; with --gold, scores it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMobyDick } from '../data/mobydick.js';
import { splitBySeed } from '../data/source.js';
import { formatError, optionError } from '../errors.js';
import { type SegmentationScore, segmentationScore } from '../tasks/metrics.js';
import { chars, LongestMatchSegmenter, parseSegmentedCorpus, proseToSentences, Segmenter, trainSegmenter } from '../tasks/segment.js';
import { init } from '../wasm.js';
import { choice, fmtDuration, num } from './args.js';

export const SEGMENT_HELP = `usage: recurrent segment train [flags]
       recurrent segment run --model FILE [--input FILE | --text TEXT] [--gold FILE] [--out FILE]

train: learns to put word boundaries back into text without spaces (BMES tagging).
  --corpus FILE      training corpus in SIGHAN format: UTF-8, one sentence a line, words
                     separated by spaces (default: Moby Dick, chapters 1-125)
  --test FILE        held-out gold corpus, same format (default: Moby Dick chapters 126-135;
                     with --corpus and no --test, a seeded 10% of its lines)
  --arch crf|tagger  BiLSTM-CRF (default) or BiLSTM with a per-character softmax
  --steps N          optimizer updates (default 2000)
  --batch N          sentence pieces per batch (default 32)
  --max-chars N      training pieces are at most N characters (default 80)
  --embed N          character embedding size (default 32)
  --hidden N         LSTM units per direction (default 64)
  --layers N         stacked bidirectional layers (default 1)
  --lr X             Adam learning rate (default 0.01)
  --seed N           initialisation, data order and split (default 1)
  --out FILE         model file (default runs/segment-<arch>.safetensors)

run: segments each line of the input (spaces in it are ignored) and prints one line of
  space-separated words per input line.
  --model FILE       a model written by segment train
  --input FILE       UTF-8 text, one sentence a line (or --text "...")
  --gold FILE        score against this segmented corpus instead of reading --input: its
                     spaces are removed, the text segmented and compared word by word
  --out FILE         write the segmentation here instead of stdout
`;

const fmt = (s: SegmentationScore) =>
  `P ${(100 * s.precision).toFixed(2)}  R ${(100 * s.recall).toFixed(2)}  F1 ${(100 * s.f1).toFixed(2)}  (${s.correct}/${s.predictedWords} predicted, ${s.goldWords} gold words)`;

async function readCorpus(path: string, requireBoundaries = true): Promise<string[][]> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw formatError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseSegmentedCorpus(bytes, { name: path, requireBoundaries });
}

export async function segment(argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'train') return segmentTrain(rest, out);
  if (sub === 'run') return segmentRun(rest, out);
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    out(SEGMENT_HELP);
    return sub === undefined ? 2 : 0;
  }
  throw optionError(`unknown segment command '${sub}' (train or run)\n${SEGMENT_HELP}`);
}

async function segmentTrain(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      corpus: { type: 'string' },
      test: { type: 'string' },
      arch: { type: 'string' },
      steps: { type: 'string' },
      batch: { type: 'string' },
      'max-chars': { type: 'string' },
      embed: { type: 'string' },
      hidden: { type: 'string' },
      layers: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(SEGMENT_HELP);
    return 0;
  }
  const arch = choice('arch', v.arch, ['crf', 'tagger'] as const, 'crf');
  const steps = num('steps', v.steps, 2000, { int: true, min: 1 });
  const batchSize = num('batch', v.batch, 32, { int: true, min: 1 });
  const maxChars = num('max-chars', v['max-chars'], 80, { int: true, min: 1 });
  const embed = num('embed', v.embed, 32, { int: true, min: 1 });
  const hidden = num('hidden', v.hidden, 64, { int: true, min: 1 });
  const layers = num('layers', v.layers, 1, { int: true, min: 1 });
  const lr = num('lr', v.lr, 0.01, { min: 0 });
  const seed = num('seed', v.seed, 1, { int: true, min: 0 });
  const outPath = v.out ?? `runs/segment-${arch}.safetensors`;
  await init();

  let train: string[][];
  let test: string[][];
  let source: string;
  if (v.corpus) {
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
    const md = await loadMobyDick();
    train = proseToSentences(md.train);
    test = proseToSentences(md.validation);
    source = 'Moby Dick without spaces (chapters 1-125 train, 126-135 test)';
  }
  const nChars = (c: string[][]) => c.reduce((a, s) => a + s.reduce((b, w) => b + chars(w).length, 0), 0);
  out(
    `data: ${source}: ${train.length.toLocaleString('en-US')} training sentences (${nChars(train).toLocaleString('en-US')} characters), ${test.length.toLocaleString('en-US')} test sentences (${test.flat().length.toLocaleString('en-US')} words)`,
  );

  const t0 = performance.now();
  const baseline = LongestMatchSegmenter.fromCorpus(train);
  const base = segmentationScore(
    test,
    test.map((s) => baseline.segment(s.join(''))),
  );
  out(
    `baseline (greedy longest match, ${baseline.size.toLocaleString('en-US')}-word training dictionary): ${fmt(base)}  [${fmtDuration(performance.now() - t0)}]`,
  );

  out(
    `model: ${arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger'}, embedding ${embed}, ${layers}x${hidden} LSTM units per direction; ${steps} steps of ${batchSize} pieces of <= ${maxChars} characters, Adam lr ${lr}`,
  );
  const start = performance.now();
  const seg = await trainSegmenter(train, {
    crf: arch === 'crf',
    embed,
    hidden,
    layers,
    seed,
    steps,
    batchSize,
    maxChars,
    optimizer: { name: 'adam', lr },
    progressEvery: Math.max(1, Math.round(steps / 10)),
    onProgress: (e) => out(`  step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)} per character, ${fmtDuration(e.elapsedMs)}`),
  });
  const trainMs = performance.now() - start;
  try {
    const e0 = performance.now();
    const score = seg.evaluate(test);
    out(
      `${arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger'}: ${fmt(score)}  [training ${fmtDuration(trainMs)}, scoring ${fmtDuration(performance.now() - e0)}]`,
    );
    await mkdir(dirname(outPath), { recursive: true });
    await writeFile(outPath, seg.save());
    out(`model saved to ${outPath}  (try: npx recurrent segment run --model ${outPath} --text "Callmeishmael.")`);
  } finally {
    seg.dispose();
  }
  return 0;
}

async function segmentRun(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      text: { type: 'string' },
      gold: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(SEGMENT_HELP);
    return 0;
  }
  if (!v.model) throw optionError('segment run needs --model FILE (from segment train)');
  const given = [v.input, v.text, v.gold].filter((x) => x !== undefined).length;
  if (given !== 1) throw optionError('segment run needs exactly one of --input FILE, --text TEXT and --gold FILE');
  await init();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(v.model));
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
    if (v.out) {
      await mkdir(dirname(v.out), { recursive: true });
      await writeFile(v.out, text);
    } else if (!gold) process.stdout.write(text);
    if (gold) out(`${seg.crf ? 'BiLSTM-CRF' : 'BiLSTM tagger'} on ${v.gold}: ${fmt(segmentationScore(gold, words))}`);
    return 0;
  } finally {
    seg.dispose();
  }
}
