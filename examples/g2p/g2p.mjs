// Grapheme to phoneme on CMUdict: a bidirectional LSTM encoder reads the letters, an LSTM
// decoder with additive attention writes the phones (teacher forcing in training; greedy
// and beam-search decoding). 5% of the words are held out by seed and scored by word and
// phoneme error rate (a word is right when it equals any of its CMUdict pronunciations).
//   npm run build && node examples/g2p/g2p.mjs [--epochs 10] [--beam 5]
// (the same recipe as `npx recurrent g2p train`, which adds progress, validation and --help)
import { init } from 'recurrent-nn';
import { G2P, parseLexicon, splitLexicon } from 'recurrent-nn/tasks';
import { loadCmudict } from '../../dist/cli/corpora/cmudict.js'; // Node-only data loader

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const epochs = arg('epochs', 10);
const beam = arg('beam', 5);

await init();
const { entries } = parseLexicon(await loadCmudict()); // 123,874 words of letters and apostrophes
const { train, test } = splitLexicon(entries, { test: 0.05, seed: 1 });

const g2p = G2P.create(train, { embed: 32, encoderUnits: 64, decoderUnits: 128, attention: 64 }, { seed: 1 });
g2p.model.compile({ optimizer: { name: 'adam', lr: 3e-3 }, clipNorm: 5 });
const start = performance.now();
await g2p.fit(train, {
  epochs,
  batchSize: 64,
  seed: 1,
  lrDecay: 0.8,
  onProgress: (e) =>
    e.type === 'epoch' && console.log(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)} (${((performance.now() - start) / 1000).toFixed(0)} s)`),
});
const minutes = ((performance.now() - start) / 60000).toFixed(1);
for (const b of [1, beam]) {
  const r = g2p.evaluate(test, { beam: b });
  console.log(
    `${b === 1 ? 'greedy' : `beam ${b}`}: WER ${(100 * r.wer).toFixed(1)}%, PER ${(100 * r.per).toFixed(1)}% with stress; without stress (39 phones) WER ${(100 * r.noStress.wer).toFixed(1)}%, PER ${(100 * r.noStress.per).toFixed(1)}%; ${r.words} held-out words (trained ${minutes} min)`,
  );
}
console.log(g2p.pronounce(['RECURRENT', 'WEBASSEMBLY', 'TYPESCRIPT'], { beam }).map((p) => p.join(' ')));
g2p.dispose();
