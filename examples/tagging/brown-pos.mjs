// Part-of-speech tagging on the Brown corpus (tags normalised: see ts/tasks/brown.ts): a
// BiLSTM tagger and a BiLSTM-CRF over a word-signature vocabulary (ts/tasks/pos.ts), against
// the most-frequent-tag and bigram-HMM baselines, all trained on the same 90% of the files
// and scored on the other 10% (held out by seed), on all tokens and on unknown words.
//   npm run build && node examples/tagging/brown-pos.mjs [--seed 1] [--epochs 4] [--arch tagger|crf|both]
//     [--embed 64] [--units 96] [--dropout 0.2] [--word-dropout 0.25] [--lr 0.01] [--time-budget-s S] [--curve 1]
import { loadBrown } from '../../dist/data/brown.js'; // Node-only data loader
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
for (const arch of archs) {
  const t0 = performance.now();
  let evalMs = 0;
  const tagger = await trainPosTagger(train, {
    crf: arch === 'crf',
    epochs,
    seed,
    embed: num('embed'),
    hidden: num('units'),
    dropout: num('dropout'),
    timeBudgetMs: num('time-budget-s') === undefined ? undefined : 1000 * num('time-budget-s'),
    wordDropout: num('word-dropout'),
    optimizer: { name: 'adam', lr: Number(arg('lr', 0.01)) },
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
    progressEvery: 200,
    onProgress: (e) =>
      console.log(`  ${arch} epoch ${e.epoch + 1} step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)} (${(e.elapsedMs / 1000).toFixed(0)} s)`),
  });
  const sec = (performance.now() - t0 - evalMs) / 1000;
  const s = tagger.evaluate(test, known);
  const name = arch === 'crf' ? 'BiLSTM-CRF' : 'BiLSTM tagger';
  line(
    name,
    s,
    ` (training ${sec.toFixed(0)} s for ${epochs} epochs, ${Math.round((epochs * nTok(train)) / sec)} tokens/s; vocabulary ${tagger.encoder.vocab.size})`,
  );
  tagger.dispose();
}
