// Spam vs ham on the SpamAssassin corpus: a GRU reads the first 256 word tokens of each
// message (subject + body; exact masks, so padding changes nothing) and classifies its final
// state; multinomial naive Bayes on the whole messages is the baseline. Held-out 20%, split
// by seed.
//   npm run build && node examples/classification/spam.mjs [--epochs 8]
// (the same run as `npx recurrent classify train`)
import { init, splitBySeed } from 'recurrent-nn';
import { binaryScore, MultinomialNaiveBayes, tokenize, trainClassifier } from 'recurrent-nn/tasks';
import { loadSpamAssassin } from '../../dist/cli/corpora/spam.js'; // Node-only data loader

const i = process.argv.indexOf('--epochs');
const epochs = i >= 0 ? Number(process.argv[i + 1]) : 8;

await init();
const { messages } = await loadSpamAssassin(); // exact duplicates already removed
const docs = messages.map((m) => tokenize(`${m.subject}\n${m.body}`));
const labels = messages.map((m) => m.label); // 1 = spam
const { train, validation } = splitBySeed(
  messages.map((_, k) => k),
  { validation: 0.2, seed: 1 },
);
const gold = validation.map((k) => labels[k]);
const show = (s) => `accuracy ${(100 * s.accuracy).toFixed(2)}%, spam F1 ${(100 * s.f1).toFixed(2)}%`;

const nb = new MultinomialNaiveBayes().fit(
  train.map((k) => docs[k]),
  train.map((k) => labels[k]),
);
console.log(
  `naive Bayes: ${show(
    binaryScore(
      gold,
      validation.map((k) => nb.predict(docs[k])),
    ),
  )}`,
);

const start = performance.now();
const gru = await trainClassifier(
  train.map((k) => docs[k]),
  train.map((k) => labels[k]),
  {
    cell: 'gru',
    hidden: 64,
    embed: 32,
    maxTokens: 256,
    epochs,
    batchSize: 32,
    seed: 1,
    optimizer: { name: 'adam', lr: 0.005 },
  },
);
console.log(
  `GRU:         ${show(binaryScore(gold, gru.predict(validation.map((k) => docs[k]))))}  (${((performance.now() - start) / 1000).toFixed(0)} s training)`,
);
console.log(
  `P(spam | "Make money fast! Click here to claim your FREE prize") = ${gru.predictProba([tokenize('Make money fast! Click here to claim your FREE prize')])[0][1].toFixed(3)}`,
);
gru.dispose();
