// Next-word prediction: a word-level LSTM language model on Moby Dick (chapters 1–125; 126–135
// held out), words and punctuation lowercased with <eos> after each paragraph, a vocabulary cap
// with <unk>, trained through the SDK's trainer; held-out perplexity next to the interpolated
// Kneser–Ney trigram's on the same tokens, then the likely next words after a few prompts.
//   npm run build && node examples/next-word/lstm.mjs [--vocab 10000] [--time-budget 600]
//     [--embed 128] [--units 128] [--dropout 0.1] [--batch 16] [--window 32] [--lr 0.003]
import { loadMobyDick } from '../../dist/cli/corpora/mobydick.js'; // Node-only data loader
import { textWindows } from '../../dist/data/source.js';
import { KneserNeyTrigram } from '../../dist/tasks/kneser-ney.js';
import { mixedPerplexity, nextWords, trigramLogProbs, wordLogProbs, wordModel } from '../../dist/tasks/next-word.js';
import { tokenizeWords, wordVocabulary } from '../../dist/tasks/words.js';
import { createTrainer } from '../../dist/trainer.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const cap = arg('vocab', 10000);
const [batch, window, budget] = [arg('batch', 16), arg('window', 32), arg('time-budget', 600)];
const { train, validation } = await loadMobyDick();
const tr = tokenizeWords(train);
const va = tokenizeWords(validation);
const vocab = wordVocabulary(tr, cap);
const trIds = vocab.encode(tr);
const vaIds = vocab.encode(va);
const kn = new KneserNeyTrigram(vocab).fit(trIds);
console.log(`${tr.length} training tokens, ${va.length} held out, vocabulary ${vocab.size}; KN trigram perplexity ${kn.perplexity(vaIds).toFixed(1)}`);

const t = await createTrainer();
await t.build(wordModel(vocab.size, { embed: arg('embed', 128), units: arg('units', 128), dropout: arg('dropout', 0.1) }), { seed: 1 });
await t.setVocabulary(vocab);
await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: arg('lr', 0.003) }, clipNorm: 5 });
const perEpoch = Math.floor(trIds.length / window);
const run = t.fit(textWindows(trIds, { steps: window, windowsPerEpoch: perEpoch }), {
  epochs: 100,
  batchSize: batch,
  seed: 1,
  timeBudgetMs: budget * 1000,
  validation: textWindows(vaIds, { steps: window, random: false }),
});
for await (const e of run)
  if (e.type === 'epoch')
    console.log(
      `epoch ${e.epoch + 1}: train ppl ${(2 ** e.bitsPerToken).toFixed(1)}, validation (${window}-token windows) ${(2 ** e.validation.bitsPerToken).toFixed(1)}, ${Math.round(e.tokensPerSec)} tok/s, ${(e.elapsedMs / 1000).toFixed(0)} s`,
    );
const r = await run;
const lp = await wordLogProbs(t, vaIds);
const knLp = trigramLogProbs(kn, vaIds);
const ppl = mixedPerplexity(lp, knLp, 1);
// the LSTM and the trigram mixed (weight λ on the LSTM): the classic combination
const mixed = [0.3, 0.5, 0.7].map((l) => [l, mixedPerplexity(lp, knLp, l)]);
console.log(
  `LSTM: held-out perplexity ${ppl.toFixed(1)} (KN trigram ${kn.perplexity(vaIds).toFixed(1)}) after ${r.steps} updates, ${(r.tokens / 1e6).toFixed(2)}M tokens in ${(r.elapsedMs / 1000).toFixed(0)} s (${Math.round(r.tokensPerSec)} tok/s, ${r.stopReason})`,
);
console.log(`LSTM + KN mixture: ${mixed.map(([l, p]) => `λ ${l}: ${p.toFixed(1)}`).join(', ')}`);
for (const prompt of ['the white', 'call me', 'the ship was']) {
  const next = await nextWords(t, prompt, { k: 5 });
  console.log(`${prompt} → ${next.map((x) => `${x.word} (${x.p.toFixed(3)})`).join(', ')}`);
}
await t.dispose();
