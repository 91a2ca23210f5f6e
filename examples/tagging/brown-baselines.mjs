// Part-of-speech tagging baselines on the Brown corpus (tags normalised: see ts/tasks/brown.ts):
// the most frequent tag per word and a bigram HMM with Viterbi, trained on 90% of the files
// and scored on the other 10% (held out by seed), on all tokens and on unknown words.
//   npm run build && node examples/tagging/brown-baselines.mjs [--seed 1]
import { loadBrown } from '../../dist/cli/corpora/brown.js'; // Node-only data loader
import { HmmTagger, MostFrequentTagger } from '../../dist/tasks/hmm-tagger.js';
import { splitFiles, taggingScore } from '../../dist/tasks/tagged.js';

const i = process.argv.indexOf('--seed');
const seed = i >= 0 ? Number(process.argv[i + 1]) : 1;
const files = await loadBrown();
const split = splitFiles(
  files.map((f) => f.name),
  { test: 0.1, seed },
);
const inTrain = new Set(split.train);
const train = files.filter((f) => inTrain.has(f.name)).flatMap((f) => f.sentences);
const test = files.filter((f) => !inTrain.has(f.name)).flatMap((f) => f.sentences);
console.log(`${split.train.length} training files (${train.length} sentences), ${split.test.length} held out (${test.length})`);
for (const [name, tagger] of [
  ['most frequent tag', new MostFrequentTagger()],
  ['bigram HMM', new HmmTagger()],
]) {
  const t0 = performance.now();
  tagger.fit(train);
  const s = taggingScore(
    test,
    test.map((x) => tagger.tag(x.words)),
    tagger.known,
  );
  const sec = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${name}: ${(100 * s.accuracy).toFixed(2)}% of ${s.tokens} tokens, ${(100 * s.unknownAccuracy).toFixed(2)}% of ${s.unknownTokens} unknown (${sec} s)`,
  );
}
