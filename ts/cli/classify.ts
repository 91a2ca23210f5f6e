// `recurrent classify train|run`: spam vs ham on the SpamAssassin corpus with a GRU over
// word tokens (many-to-one, exact variable-length masks), against multinomial naive Bayes.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { splitBySeed } from '../data/source.js';
import { loadSpamAssassin, splitMessage } from '../data/spam.js';
import { formatError, optionError } from '../errors.js';
import { TextClassifier, tokenize, trainClassifier } from '../tasks/classify.js';
import { type BinaryScore, binaryScore } from '../tasks/metrics.js';
import { MultinomialNaiveBayes } from '../tasks/naive-bayes.js';
import { init } from '../wasm.js';
import { choice, fmtDuration, num } from './args.js';

export const CLASSIFY_HELP = `usage: recurrent classify train [flags]
       recurrent classify run --model FILE (--input FILE | --text TEXT) [--max-tokens N]

train: spam vs ham on the SpamAssassin public corpus (subject + body of each message, exact
  duplicates removed), a seeded held-out split, a recurrent classifier over word tokens and
  multinomial naive Bayes (the baseline) scored on the same held-out messages.
  --cell gru|lstm    recurrent cell (default gru)
  --hidden N         units (default 64)
  --embed N          token embedding size (default 32)
  --bidirectional    read each message both ways
  --max-tokens N     read the first N tokens of each message (default 256)
  --epochs N         passes over the training split (default 8)
  --batch N          messages per batch (default 32)
  --lr X             Adam learning rate (default 0.005)
  --validation F     held-out fraction (default 0.2)
  --seed N           split, initialisation and order (default 1)
  --out FILE         model file (default runs/spam-gru.safetensors)

run: prints P(spam) for a message.
  --model FILE       a model written by classify train
  --input FILE       a raw message (headers, a blank line, the body) or plain text
  --text TEXT        the message text
  --max-tokens N     the cap it was trained with (default 256)
`;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const fmt = (s: BinaryScore) =>
  `accuracy ${pct(s.accuracy)}  spam F1 ${pct(s.f1)} (P ${pct(s.precision)}, R ${pct(s.recall)}; tp ${s.tp} fp ${s.fp} fn ${s.fn} tn ${s.tn})`;

export async function classify(argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'train') return classifyTrain(rest, out);
  if (sub === 'run') return classifyRun(rest, out);
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    out(CLASSIFY_HELP);
    return sub === undefined ? 2 : 0;
  }
  throw optionError(`unknown classify command '${sub}' (train or run)\n${CLASSIFY_HELP}`);
}

async function classifyTrain(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      cell: { type: 'string' },
      hidden: { type: 'string' },
      embed: { type: 'string' },
      bidirectional: { type: 'boolean' },
      'max-tokens': { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      validation: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(CLASSIFY_HELP);
    return 0;
  }
  const cell = choice('cell', v.cell, ['gru', 'lstm'] as const, 'gru');
  const hidden = num('hidden', v.hidden, 64, { int: true, min: 1 });
  const embed = num('embed', v.embed, 32, { int: true, min: 1 });
  const maxTokens = num('max-tokens', v['max-tokens'], 256, { int: true, min: 1 });
  const epochs = num('epochs', v.epochs, 8, { int: true, min: 1 });
  const batchSize = num('batch', v.batch, 32, { int: true, min: 1 });
  const lr = num('lr', v.lr, 0.005, { min: 0 });
  const fraction = num('validation', v.validation, 0.2, { min: 0.01, max: 0.9 });
  const seed = num('seed', v.seed, 1, { int: true, min: 0 });
  const outPath = v.out ?? `runs/spam-${cell}.safetensors`;
  await init();

  const { messages, duplicates } = await loadSpamAssassin();
  const docs = messages.map((m) => tokenize(`${m.subject}\n${m.body}`));
  const { train, validation } = splitBySeed(
    messages.map((_, i) => i),
    { validation: fraction, seed },
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
    `model: embedding ${embed} -> ${cell}${v.bidirectional ? ' bi' : ''} ${hidden} (final state) -> dense 2; first ${maxTokens} tokens of each message; ${epochs} epochs of batches of ${batchSize}, Adam lr ${lr}`,
  );
  const start = performance.now();
  const clf = await trainClassifier(
    train.map((i) => docs[i]),
    train.map((i) => messages[i].label),
    {
      cell,
      hidden,
      embed,
      bidirectional: v.bidirectional ?? false,
      maxTokens,
      epochs,
      batchSize,
      seed,
      optimizer: { name: 'adam', lr },
      progressEvery: Math.ceil(train.length / batchSize),
      onProgress: (e) => out(`  epoch ${e.epoch + 1}/${epochs}: loss ${e.loss.toFixed(4)}, ${fmtDuration(e.elapsedMs)}`),
    },
  );
  const trainMs = performance.now() - start;
  try {
    const score = binaryScore(gold, clf.predict(validation.map((i) => docs[i])));
    out(`${cell.toUpperCase()} classifier: ${fmt(score)}  [training ${fmtDuration(trainMs)}]`);
    await mkdir(dirname(outPath), { recursive: true });
    await writeFile(outPath, clf.save());
    out(`model saved to ${outPath}  (try: npx recurrent classify run --model ${outPath} --text "Make money fast! Click here")`);
  } finally {
    clf.dispose();
  }
  return 0;
}

async function classifyRun(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      text: { type: 'string' },
      'max-tokens': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(CLASSIFY_HELP);
    return 0;
  }
  if (!v.model) throw optionError('classify run needs --model FILE (from classify train)');
  if ((v.input === undefined) === (v.text === undefined)) throw optionError('classify run needs exactly one of --input FILE and --text TEXT');
  const maxTokens = num('max-tokens', v['max-tokens'], 256, { int: true, min: 1 });
  await init();
  const read = async (p: string) => {
    try {
      return await readFile(p);
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
    const p = clf.predictProba([tokenize(text)])[0][1];
    out(`P(spam) = ${p.toFixed(4)}: ${p >= 0.5 ? 'spam' : 'ham'}`);
    return 0;
  } finally {
    clf.dispose();
  }
}
