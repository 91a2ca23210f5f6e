// The CLI's one flag vocabulary: each concept has one flag name, in every verb that has the
// concept; old spellings are kept as aliases (listed in the verb's --help) and live here, so a
// verb cannot invent a new spelling. test/cli-vocabulary.test.ts holds every registered verb to
// this table; `recurrent help flags` prints it.

export interface Concept {
  /** The flag, without dashes. */
  flag: string;
  /** Its value placeholder(s) in --help; absent for a switch. */
  arg?: readonly string[];
  /** What it means, in every verb. */
  meaning: string;
  /** Old spellings accepted as the same flag (some verbs only). */
  aliases?: readonly string[];
}

/** Verbs that train to measure something and save no model: --out and --time-budget do not
 * apply (each with the reason, for the table's test). */
export const EXPERIMENTS: Readonly<Record<string, string>> = {
  'recurrent gradients': 'trains small models to measure gradient norms through time; it keeps no model',
};

export const VOCABULARY: readonly Concept[] = [
  // the model
  { flag: 'units', arg: ['N'], meaning: 'width of each recurrent layer (per direction)', aliases: ['hidden'] },
  { flag: 'layers', arg: ['N'], meaning: 'stacked recurrent layers' },
  { flag: 'embed', arg: ['N'], meaning: 'embedding size' },
  { flag: 'dropout', arg: ['P'], meaning: 'dropout probability' },
  // training
  { flag: 'batch', arg: ['N'], meaning: 'examples per batch', aliases: ['batch-size'] },
  { flag: 'lr', arg: ['X'], meaning: 'learning rate' },
  { flag: 'clip', arg: ['X'], meaning: 'clip gradients by global norm (0 = off)' },
  { flag: 'epochs', arg: ['N'], meaning: 'passes over the training data' },
  { flag: 'updates', arg: ['N'], meaning: 'optimizer updates in all', aliases: ['steps'] },
  { flag: 'steps-per-epoch', arg: ['N'], meaning: 'optimizer updates per epoch' },
  { flag: 'window', arg: ['N'], meaning: 'sequence length of a training window', aliases: ['seq-len', 'input-days'] },
  { flag: 'time-budget', arg: ['D'], meaning: 'stop training after this long (90s, 9m30s, 1h, none); every training verb' },
  { flag: 'seed', arg: ['N'], meaning: 'seed of the split, initialisation and data order' },
  { flag: 'worker', meaning: 'train in a worker thread (--no-worker: the main thread)' },
  { flag: 'workers', arg: ['N|auto'], meaning: 'data-parallel worker replicas' },
  {
    flag: 'resume',
    arg: ['FILE', ''],
    meaning: 'continue training from a saved model (a switch where --out is the checkpoint: translate)',
    aliases: ['init'],
  },
  // held-out data
  { flag: 'test', arg: ['FILE'], meaning: 'held-out test data: a FILE, in the training format' },
  {
    flag: 'test-size',
    arg: ['X'],
    meaning: 'held out for testing: a fraction in (0, 1), or a count ≥ 1 where the verb says so',
    aliases: ['test-fraction', 'test-voices', 'test'],
  },
  { flag: 'validation-size', arg: ['X'], meaning: 'held out for validation: a fraction in (0, 1) or a count ≥ 1', aliases: ['validation'] },
  // files
  { flag: 'corpus', arg: ['FILE', 'DIR', 'NAME'], meaning: 'training data: a named corpus, or a file (or directory)', aliases: ['train'] },
  { flag: 'train', arg: ['FILE'], meaning: 'training data in a file, beside --dev FILE and --test FILE (same meaning as --corpus FILE)' },
  { flag: 'dev', arg: ['FILE'], meaning: 'validation (development) data in a file' },
  { flag: 'out', arg: ['FILE'], meaning: 'where the result goes: the model, for every training verb' },
  { flag: 'chart', arg: ['FILE'], meaning: 'SVG picture of the run (default: next to --out; --no-chart: none); every training verb' },
  { flag: 'model', arg: ['FILE'], meaning: 'a saved model to run' },
  { flag: 'input', arg: ['FILE'], meaning: 'text to run the model on, from a file' },
  { flag: 'text', arg: ['TEXT'], meaning: 'text to run the model on' },
  // generation
  { flag: 'prompt', arg: ['TEXT'], meaning: 'text to continue' },
  { flag: 'max-tokens', arg: ['N'], meaning: 'OUTPUT length: tokens to generate', aliases: ['length'] },
  { flag: 'max-input-tokens', arg: ['N'], meaning: 'INPUT cap: read at most N tokens of each input', aliases: ['max-tokens'] },
  { flag: 'top-k', arg: ['N'], meaning: 'keep the k most likely candidates', aliases: ['top'] },
  { flag: 'top-p', arg: ['X'], meaning: 'nucleus sampling threshold' },
  { flag: 'temperature', arg: ['X'], meaning: 'sampling temperature (0 = greedy)' },
  { flag: 'beam', arg: ['N'], meaning: 'beam width (1 = greedy)' },
];

/** The table as text, for `recurrent help flags` and the README. */
export function vocabularyText(): string {
  const left = (c: Concept) => `--${c.flag}${c.arg ? ` ${c.arg.filter(Boolean).join('|')}` : ''}`;
  const width = Math.max(...VOCABULARY.map((c) => left(c).length));
  const lines = ['One flag name per concept, in every verb that has the concept (old spellings still work as aliases):', ''];
  for (const c of VOCABULARY)
    lines.push(`  ${left(c).padEnd(width)}  ${c.meaning}${c.aliases?.length ? ` (old: ${c.aliases.map((a) => `--${a}`).join(', ')})` : ''}`);
  lines.push(
    '',
    'Training verbs are the ones with --epochs or --updates; every one of them takes --time-budget, --out and --chart.',
    'Losses are shown in one named unit per run, the same in the live bar, the epoch lines, the summary and the chart.',
  );
  return lines.join('\n');
}
