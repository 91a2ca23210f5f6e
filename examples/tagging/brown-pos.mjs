// Part-of-speech tagging on the Brown corpus (tags normalised: see ts/tasks/brown.ts): a
// BiLSTM tagger and a BiLSTM-CRF over a word-signature vocabulary (ts/tasks/pos.ts), against
// the most-frequent-tag and bigram-HMM baselines, all trained on the same 90% of the files
// and scored on the other 10% (held out by seed), on all tokens and on unknown words.
//   npm run build && node examples/tagging/brown-pos.mjs [--seed 1] [--epochs 4] [--arch tagger|crf|both]
//     [--embed 64] [--units 96] [--dropout 0.2] [--word-dropout 0.25] [--lr 0.01] [--time-budget-s S] [--curve 1]
import { writeFileSync } from 'node:fs';
import { loadBrown } from '../../dist/cli/corpora/brown.js'; // Node-only data loader
import { HmmTagger, MostFrequentTagger } from '../../dist/tasks/hmm-tagger.js';
import { trainPosTagger } from '../../dist/tasks/pos.js';
import { splitFiles, taggingScore } from '../../dist/tasks/tagged.js';
import { init } from '../../dist/wasm.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const seed = Number(arg('seed', 1));
const epochs = Number(arg('epochs', 4));
const archs = arg('arch', 'both') === 'both' ? ['tagger', 'crf'] : [arg('arch')];
const num = (k) => (arg(k) === undefined ? undefined : Number(arg(k)));
await init();
const files = await loadBrown();
const split = splitFiles(
  files.map((f) => f.name),
  { test: 0.1, seed },
);
const inTrain = new Set(split.train);
const train = files.filter((f) => inTrain.has(f.name)).flatMap((f) => f.sentences);
const test = files.filter((f) => !inTrain.has(f.name)).flatMap((f) => f.sentences);
const nTok = (ss) => ss.reduce((a, s) => a + s.words.length, 0);
console.log(
  `${split.train.length} training files (${train.length} sentences, ${nTok(train)} tokens), ${split.test.length} held out (${test.length}, ${nTok(test)})`,
);
const pct = (x) => `${(100 * x).toFixed(2)}%`;
const line = (name, s, extra) =>
  console.log(`${name}: ${pct(s.accuracy)} of ${s.tokens} tokens, ${pct(s.unknownAccuracy)} of ${s.unknownTokens} unknown${extra}`);
const known = new Set(train.flatMap((s) => s.words));
for (const [name, tagger] of [
  ['most frequent tag', new MostFrequentTagger()],
  ['bigram HMM', new HmmTagger()],
]) {
  const t0 = performance.now();
  tagger.fit(train);
  const s = taggingScore(
    test,
    test.map((x) => tagger.tag(x.words)),
    known,
  );
  line(name, s, ` (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const curve = arg('curve') !== undefined; // --curve 1: score the held-out files after every epoch
// With both, the BiLSTM-CRF starts from the trained BiLSTM tagger (its embedding, LSTM and
// emission layer) and trains everything with the CRF loss for --crf-epochs (default 1) at
// --crf-lr (default 0.002), within --crf-time-budget-s (default 600): a CRF over 190 tags costs
// several times a softmax per word, so training it from scratch takes much longer.
let first;
for (const arch of archs) {
  const t0 = performance.now();
  let evalMs = 0;
  let trained = 0;
  const fromTagger = arch === 'crf' && first !== undefined;
  const budget = fromTagger ? (num('crf-time-budget-s') ?? 600) : num('time-budget-s');
  const tagger = await trainPosTagger(train, {
    crf: arch === 'crf',
    from: fromTagger ? first : undefined,
    epochs: fromTagger ? Number(arg('crf-epochs', 1)) : epochs,
    seed,
    embed: num('embed'),
    hidden: num('units'),
    dropout: num('dropout'),
    timeBudgetMs: budget === undefined ? undefined : 1000 * budget,
    wordDropout: num('word-dropout'),
    optimizer: { name: 'adam', lr: fromTagger ? Number(arg('crf-lr', 0.002)) : Number(arg('lr', 0.01)) },
    onProgress: (e) => {
      trained = e.tokens;
      console.log(`  ${arch} epoch ${e.epoch + 1} step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)} (${(e.elapsedMs / 1000).toFixed(0)} s)`);
    },
    onEpoch: curve
      ? (e, t) => {
          const e0 = performance.now();
          line(
            `  ${arch} after epoch ${e.epoch + 1}`,
            t.evaluate(test, known),
            ` (${(e.elapsedMs / 1000 - evalMs / 1000).toFixed(0)} s of training, ${Math.round(e.tokensPerSec)} tokens/s)`,
          );
          evalMs += performance.now() - e0;
        }
      : undefined,
    progressEvery: fromTagger ? 10 : 200,
  });
  const sec = (performance.now() - t0 - evalMs) / 1000;
  const s = tagger.evaluate(test, known);
  const name = arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger';
  line(
    name,
    s,
    ` (training ${sec.toFixed(0)} s${fromTagger ? ' after the tagger' : ''}, ${trained} words, ${Math.round(trained / sec)} words/s; vocabulary ${tagger.encoder.vocab.size})`,
  );
  if (arg('save-dir')) writeFileSync(`${arg('save-dir')}/brown-${arch}.safetensors`, tagger.save());
  if (first === undefined) first = tagger;
  else tagger.dispose();
}
first?.dispose();
