// `recurrent next --model FILE --prompt TEXT [--top N]`: the most likely next words after a
// prompt, from a saved word-level language model, one per line with its probability.
import { optionError } from '../errors.js';
import { nextWords } from '../tasks/next-word.js';
import { EOS } from '../tasks/words.js';
import { createTrainer } from '../trainer.js';
import { type Command, common, helpText, parseFlags, reader } from './flags.js';

export const NEXT: Command = {
  name: 'recurrent next',
  usage: '--model FILE --prompt TEXT [flags]',
  about: `Prints the most likely next words after a prompt, with the model's probabilities, from a
word-level language model. The prompt is read as words and punctuation (lowercased); words
outside the vocabulary count as <unk>, which is never proposed.`,
  flags: [
    common.model('recurrent train --level word'),
    { name: 'prompt', arg: 'TEXT', help: 'the text so far' },
    { name: 'top-k', arg: 'N', aliases: ['top'], help: 'how many words: the k most likely (default 5)' },
    { name: 'eos', negatable: true, help: `propose the end of a paragraph (${EOS}) too (default) or, with --no-eos, words only` },
  ],
  examples: ['recurrent next --model runs/mobydick-words.safetensors --prompt "the white" --top 5'],
};
export const NEXT_HELP = helpText(NEXT);

export async function next(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(NEXT, argv);
  if (parsed.help) {
    out(NEXT_HELP);
    return 0;
  }
  const f = reader(parsed);
  const model = f.str('model');
  const prompt = f.str('prompt');
  const k = f.int('top-k', 5);
  const skip = f.bool('eos', true) ? ['<unk>'] : ['<unk>', EOS];
  if (!model) throw optionError('--model FILE is required');
  if (prompt === undefined || prompt.trim() === '') throw optionError('--prompt TEXT is required');
  const t = await createTrainer({ worker: false });
  try {
    await t.load(model);
    const words = await nextWords(t, prompt, { k, skip });
    const w = Math.max(...words.map((x) => x.word.length));
    for (const [i, x] of words.entries()) out(`${String(i + 1).padStart(2)}. ${x.word.padEnd(w)}  ${x.p.toFixed(4)}`);
    return 0;
  } finally {
    await t.dispose();
  }
}
