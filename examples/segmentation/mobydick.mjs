// Word segmentation on Moby Dick with its spaces taken out: a BiLSTM tagger and a BiLSTM-CRF
// learn BMES character tags on chapters 1-125 and put the spaces back into chapters
// 126-135; both are scored with the SIGHAN word P/R/F1 against greedy longest match with a
// dictionary of the training words.
//   npm run build && node examples/segmentation/mobydick.mjs [--steps 2000]
// (the same run as `npx recurrent segment train --arch tagger|crf`)
import { init } from 'recurrent-nn';
import { LongestMatchSegmenter, proseToSentences, segmentationScore, trainSegmenter } from 'recurrent-nn/tasks';
import { loadMobyDick } from '../../dist/cli/corpora/mobydick.js'; // Node-only data loader

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const steps = arg('steps', 2000);

await init();
const { train, validation } = await loadMobyDick();
const trainSentences = proseToSentences(train); // [['Call', 'me', 'Ishmael.'], ...]
const test = proseToSentences(validation);
const pct = (s) => `P ${(100 * s.precision).toFixed(2)}  R ${(100 * s.recall).toFixed(2)}  F1 ${(100 * s.f1).toFixed(2)}`;

const baseline = LongestMatchSegmenter.fromCorpus(trainSentences);
console.log(
  `greedy longest match: ${pct(
    segmentationScore(
      test,
      test.map((s) => baseline.segment(s.join(''))),
    ),
  )}`,
);

for (const crf of [false, true]) {
  const start = performance.now();
  const seg = await trainSegmenter(trainSentences, { crf, steps, batchSize: 32, maxChars: 80, embed: 32, hidden: 64, seed: 1 });
  const seconds = ((performance.now() - start) / 1000).toFixed(0);
  console.log(`${crf ? 'BiLSTM-CRF   ' : 'BiLSTM tagger'}: ${pct(seg.evaluate(test))}  (${seconds} s training)`);
  console.log(`  ${seg.segment(['Callmeishmael.Someyearsago—nevermindhowlongprecisely—havinglittleornomoneyinmypurse.'])[0].join(' ')}`);
  seg.dispose();
}
