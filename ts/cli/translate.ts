// `recurrent translate data|train|run|eval`: Spanish → English on the Bible (Debian's SWORD
// modules: Reina-Valera 1909 → World English Bible, KJV as a second reference) or on a person's
// own tab-separated pairs, with BPE pieces and the attention encoder-decoder; BLEU and chrF as
// sacreBLEU computes them, beside IBM Model 1 and the copy baseline.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { formatError, optionError, rangeError } from '../errors.js';
import { bucketBatchCount } from '../seq2seq.js';
import { bleuSignature, chrfSignature, corpusBleu, corpusChrf, formatBleu, tokenize13a } from '../tasks/bleu.js';
import { TASK_TRAINING, taskCompile } from '../tasks/defaults.js';
import { Ibm1 } from '../tasks/ibm1.js';
import { type TranslationPair, Translator } from '../tasks/translate.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { type AlignedVerse, BIBLE_SPLIT, loadBible } from './corpora/bible.js';
import { type Command, common, dispatch, helpText, parseFlags, reader } from './flags.js';
import { picturePath, prepareOutput, savePicture, writeAtomic } from './output.js';
import { UNITS, withEpochBar } from './progress.js';
import { seq2seqTrainingFlags } from './seq2seq-flags.js';

const FILE_FLAGS = [
  { name: 'train', arg: 'FILE', help: 'training pairs, one "source<TAB>target" a line (default: the Bible, all books but the dev and test ones)' },
  { name: 'dev', arg: 'FILE', help: 'dev pairs, translated after every epoch to keep the best weights (default: Esther, Hebrews)' },
  { name: 'test', arg: 'FILE', help: 'test pairs, scored at the end (default: Joshua, Proverbs, Romans)' },
];

export const TRANSLATE_DATA: Command = {
  name: 'recurrent translate data',
  usage: '[flags]',
  summary: 'fetch, align and cache the Spanish–English Bible (diatheke), print its splits',
  about: `Installs diatheke and the SWORD modules (Debian: diatheke sword-text-sparv sword-text-web
sword-text-kjv) with apt-get when missing, exports Reina-Valera 1909, the World English Bible and
the KJV as OSIS, aligns them verse by verse (chapters with empty verse slots dropped), caches the
pairs in .cache/corpora/bible/ and prints the split sizes.`,
  flags: [],
  examples: ['recurrent translate data'],
};

export const TRANSLATE_TRAIN: Command = {
  name: 'recurrent translate train',
  usage: '[flags]',
  summary: 'train Spanish → English (BPE + attention encoder-decoder), report test BLEU/chrF beside IBM Model 1',
  about: `Learns a BPE vocabulary per language on the training pairs, trains the attention encoder-decoder
on them epoch by epoch (length-bucketed batches, data-parallel workers, a time budget), translates
the dev pairs after every epoch and keeps the weights with the best BLEU, then scores the test
pairs greedily and with beam search: BLEU and chrF exactly as sacreBLEU computes them (its
signature printed), beside IBM Model 1 (word for word) and copying the source. The model file
holds the weights and both vocabularies; --resume continues from the checkpoint saved after each
epoch (FILE.last). On the Bible the KJV is scored as a second reference too.`,
  flags: [
    ...FILE_FLAGS,
    { name: 'pieces', arg: 'N', help: 'BPE vocabulary size of each language (default 2000)' },
    { name: 'source-pieces', arg: 'N', help: 'source BPE size (default --pieces)' },
    { name: 'target-pieces', arg: 'N', help: 'target BPE size (default --pieces; sets the output softmax width)' },
    common.embed(128, 'embedding width'),
    common.units(128, 'encoder units per direction'),
    { name: 'decoder-units', arg: 'N', help: 'decoder units (default 2 x --units)' },
    { name: 'attention', arg: 'N', help: 'additive attention width (default 128)' },
    { name: 'dropout', arg: 'P', help: 'dropout on the attentional vector (default 0.2)' },
    common.batch(64, 'pairs'),
    common.lr(TASK_TRAINING.translate.lr),
    { name: 'lr-decay', arg: 'X', help: `learning-rate factor after each epoch (default ${TASK_TRAINING.translate.lrDecay})` },
    common.clip(TASK_TRAINING.translate.clipNorm ?? 0),
    common.epochs(20),
    common.timeBudget('50m'),
    common.workers('auto'),
    { name: 'beam', arg: 'N', help: 'beam width of the final test translation (default 5)' },
    {
      name: 'length-penalty',
      arg: 'A|dev',
      help: 'beam hypotheses ranked by log p / length^A; dev: the best of 0.6, 0.8, 1, 1.2 on the dev pairs at --beam (default dev)',
    },
    { name: 'resume', help: 'continue the run saved in --out (its FILE.last checkpoint)' },
    common.seed(1, 'initialisation and batch order'),
    common.out('runs/translate.safetensors'),
    common.chart(),
  ],
  examples: [
    'recurrent translate train --time-budget 50m --out runs/translate.safetensors',
    'recurrent translate train --train my.tsv --dev my-dev.tsv --test my-test.tsv --pieces 2000 --time-budget 10m',
  ],
};

export const TRANSLATE_RUN: Command = {
  name: 'recurrent translate run',
  usage: '--model FILE [--beam N] [FILE…]',
  positionals: 'FILE…',
  summary: 'translate lines from stdin or files with a saved model (streaming)',
  about: 'Translates each line of the FILEs (or of stdin), printing one translation a line as soon as it is done.',
  flags: [
    common.model('translate train'),
    { name: 'beam', arg: 'N', help: 'beam width (default 5; 1 = greedy)' },
    { name: 'greedy', help: 'greedy decoding (the same as --beam 1)' },
    { name: 'length-penalty', arg: 'A', help: "beam hypotheses ranked by log p / length^A (default: the model's, chosen on dev by translate train)" },
    { name: 'batch', arg: 'N', help: 'lines translated together (default 16; 1 when stdin is a terminal)' },
  ],
  examples: ['echo "En el principio crió Dios los cielos y la tierra." | recurrent translate run --model runs/translate.safetensors'],
};

export const TRANSLATE_EVAL: Command = {
  name: 'recurrent translate eval',
  usage: '(--model FILE | --hyp FILE) [--test FILE | --ref FILE…]',
  summary: 'BLEU and chrF (sacreBLEU-exact) of a model or a hypothesis file against references',
  about: `Scores translations with corpus BLEU and chrF exactly as sacreBLEU computes them: those of a
model (--model, on the --test pairs or the Bible's test books) or a hypothesis file (--hyp, one
line per reference line) against --ref FILE (FILE,FILE: several references) or the --test
pairs' targets.`,
  flags: [
    common.model('translate train'),
    { name: 'hyp', arg: 'FILE', help: 'translations to score, one a line' },
    { name: 'ref', arg: 'FILE[,FILE…]', help: 'reference translations, one a line (comma-separated files: several references)' },
    FILE_FLAGS[2],
    { name: 'beam', arg: 'N', help: 'beam width of the model (default 5)' },
    { name: 'length-penalty', arg: 'A', help: "beam hypotheses ranked by log p / length^A (default: the model's, chosen on dev by translate train)" },
  ],
  examples: ['recurrent translate eval --model runs/translate.safetensors', 'recurrent translate eval --hyp out.txt --ref ref.txt'],
};

export function translate(argv: string[], out: (s: string) => void): Promise<number> {
  return dispatch(
    'recurrent translate',
    'Spanish → English translation with BPE and an attention encoder-decoder',
    [
      [TRANSLATE_DATA, data],
      [TRANSLATE_TRAIN, train],
      [TRANSLATE_RUN, run],
      [TRANSLATE_EVAL, evaluate],
    ],
    argv,
    out,
  );
}

/** Tab-separated pairs: "source<TAB>target" a line (blank lines skipped); E_FORMAT naming the line. */
export function parsePairs(text: string, file: string): TranslationPair[] {
  const out: TranslationPair[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split('\t');
    if (f.length !== 2 || f[0].trim() === '' || f[1].trim() === '')
      throw formatError(`${file} line ${i + 1}: expected "source<TAB>target" (two non-empty fields), got ${f.length} field${f.length === 1 ? '' : 's'}`);
    out.push({ source: f[0], target: f[1] });
  });
  if (out.length === 0) throw rangeError(`${file} holds no pairs`);
  return out;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw formatError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

async function readLines(path: string, what: string): Promise<string[]> {
  const lines = (await readText(path, what)).split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The metadata of the model file at `path` when it is a readable translation model, else undefined. */
async function readKept(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const { translator, metadata } = Translator.load(new Uint8Array(await readFile(path)));
    translator.dispose();
    return metadata;
  } catch {
    return undefined;
  }
}

async function readModel(path: string): Promise<Translator> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw formatError(`cannot read model file ${path}: ${(e as Error).message}`);
  }
  return Translator.load(bytes).translator;
}

interface Splits {
  train: TranslationPair[];
  dev: TranslationPair[];
  test: TranslationPair[];
  /** Test pairs with their book (Bible only), and the KJV references. */
  testVerses?: AlignedVerse[];
  name: string;
}

async function loadSplits(f: ReturnType<typeof reader>, out: (s: string) => void, need: ('train' | 'dev' | 'test')[]): Promise<Splits> {
  const files = { train: f.str('train'), dev: f.str('dev'), test: f.str('test') };
  const given = need.filter((k) => files[k] !== undefined);
  if (given.length > 0 && given.length < need.length)
    throw optionError(`give all of ${need.map((k) => `--${k}`).join(', ')} or none (the Bible is used when none is given)`);
  if (given.length === need.length && need.length > 0) {
    const s: Splits = { train: [], dev: [], test: [], name: 'your pairs' };
    for (const k of need) s[k] = parsePairs(await readText(files[k]!, `--${k} file`), files[k]!);
    return s;
  }
  const c = await loadBible({ log: out });
  out(
    `data: the Bible, Reina-Valera 1909 → World English Bible (KJV as a second reference), ${c.cached ? `cached in ${c.cacheFile}` : `exported with diatheke and cached in ${c.cacheFile}`}; ${c.dropped.length} chapters with empty verse slots dropped`,
  );
  const strip = (v: AlignedVerse) => ({ source: v.source, target: v.target });
  return { train: c.train.map(strip), dev: c.dev.map(strip), test: c.test.map(strip), testVerses: c.test, name: 'the Bible' };
}

async function data(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(TRANSLATE_DATA, argv);
  if (parsed.help) {
    out(helpText(TRANSLATE_DATA));
    return 0;
  }
  const t0 = performance.now();
  const c = await loadBible({ log: out });
  const words = (vs: AlignedVerse[], k: 'source' | 'target') => vs.reduce((n, v) => n + tokenize13a(v[k]).split(' ').length, 0);
  const all = [...c.train, ...c.dev, ...c.test];
  out(`${c.cached ? 'read' : 'made'} ${c.cacheFile} in ${fmtDuration(performance.now() - t0)}`);
  out(`${all.length.toLocaleString('en-US')} aligned verses after dropping ${c.dropped.length} chapters with empty verse slots (${c.dropped.join(', ')})`);
  out(`13a tokens: ${words(all, 'source').toLocaleString('en-US')} Spanish, ${words(all, 'target').toLocaleString('en-US')} English`);
  out(
    `train ${c.train.length.toLocaleString('en-US')}, dev ${c.dev.length} (${BIBLE_SPLIT.dev.join(', ')}), test ${c.test.length.toLocaleString('en-US')} (${BIBLE_SPLIT.test.join(', ')})`,
  );
  return 0;
}

const f2 = (x: number) => x.toFixed(2);

async function train(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(TRANSLATE_TRAIN, argv);
  if (parsed.help) {
    out(helpText(TRANSLATE_TRAIN));
    return 0;
  }
  const f = reader(parsed);
  const pieces = f.int('pieces', 2000, { min: 260 });
  const units = f.int('units', 128);
  const arch = {
    sourcePieces: f.int('source-pieces', pieces, { min: 260 }),
    targetPieces: f.int('target-pieces', pieces, { min: 260 }),
    embed: f.int('embed', 128),
    encoderUnits: units,
    decoderUnits: f.int('decoder-units', 2 * units),
    attention: f.int('attention', 128),
    dropout: f.num('dropout', 0.2, { min: 0, max: 0.99 }),
  };
  const run = seq2seqTrainingFlags(f, 'translate', { epochs: 20, budget: '50m' });
  const { batch, lr, clip, epochs, seed } = run;
  const beam = f.int('beam', 5);
  const lpFlag = f.raw('length-penalty') ?? 'dev';
  const fixedPenalty = lpFlag === 'dev' ? undefined : f.num('length-penalty', 1, { min: 0 });
  const resume = f.bool('resume');
  const outPath = f.str('out') ?? 'runs/translate.safetensors';
  const lastPath = `${outPath}.last`;
  const chartPath = picturePath(f.raw('chart'), outPath);
  await prepareOutput('out', outPath);
  if (chartPath) await prepareOutput('chart', chartPath);

  await init();
  const s = await loadSplits(f, out, ['train', 'dev', 'test']);
  let tr: Translator;
  let keptDevBleu = -1;
  let startEpoch = 0;
  let bestDevBleu = -1;
  if (resume) {
    const bytes = await readFile(lastPath).catch(() => {
      throw formatError(`--resume: no checkpoint ${lastPath} (train without --resume first)`);
    });
    const r = Translator.load(new Uint8Array(bytes));
    tr = r.translator;
    startEpoch = Number(r.metadata.epochsDone ?? 0);
    bestDevBleu = Number(r.metadata.bestDevBleu ?? -1);
    // an epoch cut short after the checkpoint may have saved better weights in --out: keep them unless beaten
    keptDevBleu = Number((await readKept(outPath))?.devBleu ?? -1);
    if (keptDevBleu > bestDevBleu) bestDevBleu = keptDevBleu;
    out(`resuming ${lastPath} after epoch ${startEpoch} (best dev BLEU so far ${f2(bestDevBleu)})`);
  } else {
    const t0 = performance.now();
    tr = Translator.create(s.train, arch, { seed });
    tr.model.compile(taskCompile('translate', { lr, clipNorm: clip }));
    out(`BPE: ${tr.source.size} source pieces, ${tr.target.size} target pieces (separate vocabularies, learned in ${fmtDuration(performance.now() - t0)})`);
  }
  const trainPairs = tr.pairs(s.train);
  const tgtTokens = trainPairs.reduce((n, p) => n + p.target.length + 1, 0);
  const c = tr.model.config;
  out(
    `model: embedding ${c.embed}, BiLSTM encoder ${c.encoderUnits}x2, LSTM decoder ${c.decoderUnits}, additive attention ${c.attention}, softmax over ${c.targetVocab} pieces; ${tr.model.paramCount.toLocaleString('en-US')} parameters`,
  );
  out(
    `training: ${s.train.length.toLocaleString('en-US')} pairs (${tgtTokens.toLocaleString('en-US')} target pieces with EOS), up to ${epochs} epochs of ${bucketBatchCount(trainPairs, batch).toLocaleString('en-US')} length-bucketed batches of up to ${batch} pairs, ${run.describe()}`,
  );
  const curve: [number, number][] = [];
  // the metadata of the weights in --out (written again below with the chosen length penalty)
  let outMeta: Record<string, unknown> = { epochsDone: startEpoch };
  // the bar's timer and the Ctrl-C handler are released however the fit ends (an error in a
  // worker or in a callback included), so the error is printed and the process exits
  const res = await withEpochBar(epochs, UNITS.natsPerPiece, 30_000, (bar, signal) =>
    tr.fit(s.train, {
      ...run.fitOptions(signal),
      dev: s.dev,
      startEpoch,
      bestDevBleu,
      onStep: (e) => {
        if (e.type === 'step') bar.step(e);
      },
      onEpoch: async (e) => {
        bar.stop();
        if (e.devBleu !== undefined) curve.push([e.epoch + 1, e.devBleu]);
        out(
          `epoch ${e.epoch + 1}/${epochs}${e.partial ? ' (cut short)' : `: train ${UNITS.natsPerPiece.show(e.loss)}`}, dev BLEU ${e.devBleu === undefined ? '-' : f2(e.devBleu)}${e.best ? ' (best, saved)' : ''}, ${Math.round(e.tokensPerSec).toLocaleString('en-US')} target pieces/s, ${fmtDuration(e.elapsedMs)}`,
        );
        if (e.best) bestDevBleu = e.devBleu ?? bestDevBleu;
        if (e.best) {
          outMeta = { epochsDone: e.epoch + 1, devBleu: e.devBleu };
          await writeAtomic(outPath, tr.save(outMeta));
        }
        if (!e.partial) await writeAtomic(lastPath, tr.save({ epochsDone: e.epoch + 1, bestDevBleu }, { training: true }));
      },
    }),
  );
  out(
    `trained (${res.stopReason}): ${res.epochs} whole epochs this run, ${res.steps} steps in ${fmtDuration(res.elapsedMs)}; best dev BLEU ${f2(res.bestDevBleu)} (epoch ${res.bestEpoch + 1})`,
  );
  if (res.bestEpoch < 0 && keptDevBleu >= 0 && keptDevBleu >= bestDevBleu) {
    // resumed, and no epoch beat the weights in --out: the test scores are theirs
    const kept = Translator.load(new Uint8Array(await readFile(outPath)));
    tr.dispose();
    tr = kept.translator;
    outMeta = kept.metadata;
    out(`no epoch of this run beat the dev BLEU of ${outPath} (${f2(keptDevBleu)}): its weights are kept and scored`);
  }

  // length normalisation of the beam: chosen on the dev pairs (never the test) unless given, and saved with the model
  if (fixedPenalty !== undefined) tr.lengthPenalty = fixedPenalty;
  else if (beam > 1 && s.dev.length > 0) {
    const t2 = performance.now();
    const choice = tr.chooseLengthPenalty(s.dev, { beam });
    out(
      `length penalty on dev (beam ${beam}, BLEU): ${choice.scores.map((c) => `${c.lengthPenalty} ${f2(c.bleu)}`).join(' | ')} → ${choice.lengthPenalty} (${fmtDuration(performance.now() - t2)})`,
    );
  }
  await writeAtomic(outPath, tr.save(outMeta));

  // test scores: the model (greedy, beam), IBM Model 1 and copying the source
  const kjv = s.testVerses?.map((v) => v.refs?.kjv ?? '');
  const refs = s.test.map((p) => p.target);
  const rows: { name: string; hyps: string[]; ms?: number }[] = [];
  for (const b of beam > 1 ? [1, beam] : [1]) {
    const r = tr.evaluate(s.test, { beam: b });
    rows.push({ name: b === 1 ? 'greedy' : `beam ${b}`, hyps: r.hypotheses, ms: r.ms });
  }
  const t1 = performance.now();
  const ibm = Ibm1.train(s.train.map((p) => [tokenize13a(p.source), tokenize13a(p.target)]));
  rows.push({ name: 'IBM Model 1', hyps: s.test.map((p) => ibm.translate(tokenize13a(p.source))) });
  out(`IBM Model 1: 5 EM iterations on the 13a-tokenised training pairs in ${fmtDuration(performance.now() - t1)}`);
  rows.push({ name: 'copy source', hyps: s.test.map((p) => p.source) });
  out(`test: ${s.test.length.toLocaleString('en-US')} pairs of ${s.name}; BLEU ${bleuSignature()}; chrF ${chrfSignature()}`);
  const scored = rows.map((r) => {
    const bleu = corpusBleu(r.hyps, [refs]);
    const chrf = corpusChrf(r.hyps, [refs]).score;
    const kb = kjv ? corpusBleu(r.hyps, [kjv]).score : undefined;
    const kc = kjv ? corpusChrf(r.hyps, [kjv]).score : undefined;
    out(
      `  ${r.name.padEnd(12)} BLEU ${f2(bleu.score).padStart(5)}  chrF ${f2(chrf).padStart(5)}${kjv ? `   vs KJV: BLEU ${f2(kb!)} chrF ${f2(kc!)}` : ''}${r.ms ? `   ${(s.test.length / (r.ms / 1000)).toFixed(1)} sentences/s` : ''}   ${formatBleu(bleu)}`,
    );
    return { ...r, bleu: bleu.score, chrf, kb, kc };
  });
  const best = rows[rows.length > 3 ? 1 : 0];
  if (s.testVerses) {
    for (const book of BIBLE_SPLIT.test) {
      out(`samples from ${book} (${best.name}):`);
      const idx = s.testVerses.map((v, i) => (v.book === book ? i : -1)).filter((i) => i >= 0);
      for (const i of idx.filter((_, k) => k % Math.max(1, Math.floor(idx.length / 5)) === 0).slice(0, 5)) {
        const v = s.testVerses[i];
        out(`  ${v.book} ${v.chapter}:${v.verse}\n    source:      ${v.source}\n    translation: ${best.hyps[i]}\n    reference:   ${v.target}`);
      }
    }
  }
  out(`model saved to ${outPath}  (try: echo "Y dijo Dios: Sea la luz." | npx recurrent translate run --model ${outPath})`);
  tr.dispose();
  if (chartPath) {
    const svg = barChart({
      title: `recurrent translate: BiLSTM ${units}x2 encoder, attention decoder ${c.decoderUnits}, ${c.targetVocab} target pieces`,
      subtitle: `${s.test.length.toLocaleString('en-US')} test pairs of ${s.name}; best dev BLEU ${f2(res.bestDevBleu)} after ${res.bestEpoch + 1 + startEpoch} epochs (${res.stopReason}); higher is better`,
      axis: 'score',
      series: scored.map((r) => r.name),
      groups: [
        { label: 'BLEU', values: scored.map((r) => r.bleu) },
        { label: 'chrF', values: scored.map((r) => r.chrf) },
        ...(kjv
          ? [
              { label: 'BLEU vs KJV', values: scored.map((r) => r.kb) },
              { label: 'chrF vs KJV', values: scored.map((r) => r.kc) },
            ]
          : []),
      ],
      format: (x) => x.toFixed(1),
    });
    await savePicture(chartPath, svg, out);
  }
  return 0;
}

/** --length-penalty A of `translate run` and `eval`: undefined when absent (the model's own α). */
const givenPenalty = (f: ReturnType<typeof reader>) => (f.raw('length-penalty') === undefined ? undefined : f.num('length-penalty', 1, { min: 0 }));

async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(TRANSLATE_RUN, argv);
  if (parsed.help) {
    out(helpText(TRANSLATE_RUN));
    return 0;
  }
  const f = reader(parsed);
  const model = f.str('model');
  if (!model) throw optionError('--model FILE is required');
  const beam = f.bool('greedy') ? 1 : f.int('beam', 5);
  const lengthPenalty = givenPenalty(f);
  const tty = parsed.positionals.length === 0 && process.stdin.isTTY === true;
  const batch = f.int('batch', tty ? 1 : 16);
  await init();
  const tr = await readModel(model);
  try {
    let n = 0;
    let pending: string[] = [];
    const flush = () => {
      // blank lines stay blank; a line too long is E_RANGE naming it, after the lines before it
      const todo = pending.map((l, i) => [l, i] as const).filter(([l]) => l.trim() !== '');
      const got = new Map<number, string>();
      for (const [l, i] of todo) tr.encodeSource(l, `line ${n + i + 1}`);
      const res = todo.length
        ? tr.translate(
            todo.map(([l]) => l),
            { beam, lengthPenalty },
          )
        : [];
      todo.forEach(([, i], k) => {
        got.set(i, res[k]);
      });
      pending.forEach((_, i) => {
        out(got.get(i) ?? '');
      });
      n += pending.length;
      pending = [];
    };
    const sources = parsed.positionals.length ? parsed.positionals : ['-'];
    for (const src of sources) {
      const stream = src === '-' ? process.stdin : createReadStream(src, 'utf8');
      const failed = new Promise<never>((_, reject) => stream.once('error', (e: Error) => reject(formatError(`cannot read ${src}: ${e.message}`))));
      const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      const lines = (async () => {
        for await (const line of rl) {
          pending.push(line);
          if (pending.length >= batch) flush();
        }
      })();
      await Promise.race([lines, failed]);
    }
    flush();
  } finally {
    tr.dispose();
  }
  return 0;
}

async function evaluate(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(TRANSLATE_EVAL, argv);
  if (parsed.help) {
    out(helpText(TRANSLATE_EVAL));
    return 0;
  }
  const f = reader(parsed);
  const model = f.str('model');
  const hypFile = f.str('hyp');
  if ((model === undefined) === (hypFile === undefined)) throw optionError('give --model FILE or --hyp FILE (one of them)');
  const refFiles = f.str('ref')?.split(',') ?? [];
  const beam = f.int('beam', 5);
  const lengthPenalty = givenPenalty(f);
  let hyps: string[];
  let refs: string[][];
  if (hypFile) {
    hyps = await readLines(hypFile, '--hyp file');
    if (refFiles.length === 0 && !f.str('test')) throw optionError('--hyp needs --ref FILE or --test FILE (the references)');
    refs = refFiles.length
      ? await Promise.all(refFiles.map((r) => readLines(r, '--ref file')))
      : [parsePairs(await readText(f.str('test')!, '--test file'), f.str('test')!).map((p) => p.target)];
  } else {
    await init();
    const tr = await readModel(model!);
    try {
      const s = f.str('test')
        ? { test: parsePairs(await readText(f.str('test')!, '--test file'), f.str('test')!), testVerses: undefined }
        : await loadSplits(f, out, []);
      const t0 = performance.now();
      hyps = tr.translate(
        s.test.map((p) => p.source),
        { beam, lengthPenalty },
      );
      out(
        `translated ${s.test.length.toLocaleString('en-US')} lines (beam ${beam}, length penalty ${lengthPenalty ?? tr.lengthPenalty}) in ${fmtDuration(performance.now() - t0)}`,
      );
      refs = refFiles.length ? await Promise.all(refFiles.map((r) => readLines(r, '--ref file'))) : [s.test.map((p) => p.target)];
      if (!refFiles.length && s.testVerses) {
        const kjv = s.testVerses.map((v) => v.refs?.kjv ?? '');
        out(`vs KJV: BLEU ${f2(corpusBleu(hyps, [kjv]).score)} chrF ${f2(corpusChrf(hyps, [kjv]).score)}`);
      }
    } finally {
      tr.dispose();
    }
  }
  const bleu = corpusBleu(hyps, refs);
  out(`BLEU|${bleuSignature(refs.length)} = ${f2(bleu.score)}   ${formatBleu(bleu)}`);
  out(`chrF2|${chrfSignature(refs.length)} = ${f2(corpusChrf(hyps, refs).score)}`);
  return 0;
}
