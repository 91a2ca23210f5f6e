// `recurrent generate --model FILE --prompt TEXT`: samples text from a saved model.
import { parseArgs } from 'node:util';
import { optionError } from '../errors.js';
import { createTrainer } from '../trainer.js';
import { num } from './args.js';

export const GENERATE_HELP = `usage: recurrent generate --model FILE --prompt TEXT [flags]

  --model FILE        a model saved by recurrent train (or Trainer.save)
  --prompt TEXT       text to start from
  --length N          characters (tokens) to generate (default 300)
  --temperature X     0 = greedy (default 0.8)
  --top-k N           keep the k most likely (default 0 = all)
  --top-p X           nucleus sampling threshold (default 1)
  --seed N            sampling seed (default 0)
`;

export async function generate(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      length: { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(GENERATE_HELP);
    return 0;
  }
  if (!v.model) throw optionError('--model FILE is required');
  if (v.prompt === undefined || v.prompt === '') throw optionError('--prompt TEXT is required');
  const t = await createTrainer({ worker: false });
  try {
    const info = await t.load(v.model);
    if (!info.vocabulary) throw optionError(`${v.model} has no vocabulary: it is not a text model`);
    const text = await t.generate(v.prompt, {
      maxTokens: num('length', v.length, 300, { int: true, min: 0 }),
      temperature: num('temperature', v.temperature, 0.8, { min: 0 }),
      topK: num('top-k', v['top-k'], 0, { int: true, min: 0 }),
      topP: num('top-p', v['top-p'], 1, { min: 0, max: 1 }),
      seed: num('seed', v.seed, 0, { int: true, min: 0 }),
    });
    out(v.prompt + text);
    return 0;
  } finally {
    await t.dispose();
  }
}
