// Spanish → English on the Bible (Reina-Valera 1909 → World English Bible) with the SDK task:
// a BPE vocabulary per language, the attention encoder-decoder trained epoch by epoch with the
// best dev BLEU kept, then test BLEU and chrF (sacreBLEU-exact) greedy and with beam search,
// beside IBM Model 1 word for word.
//   npm run build && node examples/translation/translate.mjs [--minutes 50] [--workers 2]
// (the recipe of `npx recurrent translate train`, which adds progress, resume, a chart and --help)
import { init } from 'recurrent-nn';
import { corpusBleu, corpusChrf, formatBleu, Ibm1, TASK_TRAINING, Translator, tokenize13a } from 'recurrent-nn/tasks';
import { loadBible } from '../../dist/cli/corpora/bible.js'; // Node-only loader (diatheke, apt-get)

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

await init();
const bible = await loadBible({ log: console.log }); // cached in .cache/corpora/bible/
const t = Translator.create(bible.train, { sourcePieces: 2000, targetPieces: 2000, embed: 128, encoderUnits: 128, attention: 128, dropout: 0.2 }, { seed: 1 });
await t.fit(bible.train, {
  epochs: 20,
  batchSize: 64,
  seed: 1,
  lrDecay: TASK_TRAINING.translate.lrDecay, // fit compiles with the task's Adam 2e-3 and clip 5 (TASK_TRAINING.translate)
  timeBudgetMs: arg('minutes', 50) * 60_000,
  workers: arg('workers', 2),
  dev: bible.dev,
  onEpoch: (e) => console.log(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(3)}, dev BLEU ${e.devBleu?.toFixed(2)}${e.best ? ' (best)' : ''}`),
});

const refs = [bible.test.map((v) => v.target)];
for (const beam of [1, 5]) {
  const { bleu, chrf } = t.evaluate(bible.test, { beam });
  console.log(`beam ${beam}: ${formatBleu(bleu)}, chrF ${chrf.score.toFixed(2)}`);
}
const ibm = Ibm1.train(bible.train.map((v) => [tokenize13a(v.source), tokenize13a(v.target)]));
const hyps = bible.test.map((v) => ibm.translate(tokenize13a(v.source)));
console.log(`IBM Model 1: ${formatBleu(corpusBleu(hyps, refs))}, chrF ${corpusChrf(hyps, refs).score.toFixed(2)}`);
console.log(t.translate(['Y dijo Dios: Sea la luz: y fué la luz.'], { beam: 5 })[0]);
t.dispose();
