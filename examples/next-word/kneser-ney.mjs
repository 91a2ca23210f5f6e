// Next-word prediction baseline: an interpolated Kneser–Ney trigram (D = 0.75) over Moby
// Dick's words and punctuation (lowercased, <eos> after each paragraph), trained on chapters
// 1–125 and scored by perplexity on chapters 126–135, then asked for the likely next words.
//   npm run build && node examples/next-word/kneser-ney.mjs [--vocab 10000] [--prompt "the white"]
import { loadMobyDick } from '../../dist/cli/corpora/mobydick.js'; // Node-only data loader
import { KneserNeyTrigram } from '../../dist/tasks/kneser-ney.js';
import { tokenizeWords, wordVocabulary } from '../../dist/tasks/words.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const cap = Number(arg('vocab', 10000));
const { train, validation } = await loadMobyDick();
const tr = tokenizeWords(train);
const va = tokenizeWords(validation);
const vocab = wordVocabulary(tr, cap);
const model = new KneserNeyTrigram(vocab).fit(vocab.encode(tr));
console.log(
  `${tr.length} training tokens, vocabulary ${vocab.size}; held-out perplexity ${model.perplexity(vocab.encode(va)).toFixed(1)} on ${va.length} tokens`,
);
for (const prompt of [arg('prompt', 'the white'), 'call me', 'the ship was']) {
  const next = model.topNext(prompt, 5, { skip: ['<unk>'] });
  console.log(`${prompt} → ${next.map((x) => `${x.token} (${x.p.toFixed(3)})`).join(', ')}`);
}
