// `recurrent generate --model FILE --prompt TEXT`: samples text from a saved model.
import { Vocabulary } from '../data/vocab.js';
import { optionError } from '../errors.js';
import { generateWords, isWordVocabulary } from '../tasks/next-word.js';
import { createTrainer } from '../trainer.js';
import { type Command, common, helpText, parseFlags, reader } from './flags.js';

export const GENERATE: Command = {
  name: 'recurrent generate',
  usage: '--model FILE --prompt TEXT [flags]',
  about: `Samples text from a saved language model and prints the prompt followed by it. A word-level
model (recurrent train --level word) reads the prompt as words and writes words, joined
with spaces and punctuation attached.`,
  flags: [
    common.model('recurrent train (or Trainer.save)'),
    { name: 'prompt', arg: 'TEXT', help: 'text to start from' },
    { name: 'max-tokens', arg: 'N', aliases: ['length'], help: 'characters (or words: tokens) to generate (default 300)' },
    { name: 'temperature', arg: 'X', help: '0 = greedy (default 0.8)' },
    { name: 'top-k', arg: 'N', help: 'keep the k most likely (default 0 = all)' },
    { name: 'top-p', arg: 'X', help: 'nucleus sampling threshold (default 1)' },
    common.seed(0, 'sampling'),
  ],
  examples: [
    'recurrent generate --model runs/mobydick.safetensors --prompt "Call me " --max-tokens 200 --temperature 0.7',
    'recurrent generate --model runs/mobydick-words.safetensors --prompt "the white whale" --max-tokens 40',
  ],
};
export const GENERATE_HELP = helpText(GENERATE);

export async function generate(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(GENERATE, argv);
  if (parsed.help) {
    out(GENERATE_HELP);
    return 0;
  }
  const f = reader(parsed);
  const v = { model: f.str('model'), prompt: f.str('prompt') };
  const sampling = {
    maxTokens: f.int('max-tokens', 300, { min: 0 }),
    temperature: f.num('temperature', 0.8, { min: 0 }),
    topK: f.int('top-k', 0, { min: 0 }),
    topP: f.num('top-p', 1, { min: 0, max: 1 }),
    seed: f.int('seed', 0, { min: 0 }),
  };
  if (!v.model) throw optionError('--model FILE is required');
  if (v.prompt === undefined || v.prompt === '') throw optionError('--prompt TEXT is required');
  const t = await createTrainer({ worker: false });
  try {
    const info = await t.load(v.model);
    if (!info.vocabulary) throw optionError(`${v.model} has no vocabulary: it is not a text model`);
    if (isWordVocabulary(Vocabulary.fromJSON(info.vocabulary))) {
      const text = await generateWords(t, v.prompt, sampling);
      out(v.prompt + (/^[\s.,;:!?)\]}'’—-]/.test(text) || text === '' ? '' : ' ') + text);
      return 0;
    }
    const text = await t.generate(v.prompt, sampling);
    out(v.prompt + text);
    return 0;
  } finally {
    await t.dispose();
  }
}
