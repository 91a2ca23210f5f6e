// `recurrent convert model.json --out M.safetensors`: a TF.js Layers / Keras model (model.json and
// its weight shards, see io/tfjs.ts) as our model file, ready for `Trainer.load`, fine-tuning,
// `recurrent generate` or `recurrent export`.
import { optionError } from '../errors.js';
import { importTfjs } from '../io/tfjs.js';
import { createTrainer } from '../trainer.js';
import { type Command, helpText, parseFlags, reader } from './flags.js';
import { prepareOutput, writeAtomic } from './output.js';

/** The flags of `recurrent convert`. */
export const CONVERT: Command = {
  name: 'recurrent convert',
  usage: 'model.json --out FILE.safetensors',
  about:
    'Converts a TF.js Layers model (model.json + weight shards; what tfjs.converters writes from Keras) into a model file: Embedding, Masking(0), SimpleRNN, LSTM, GRU (Keras reset_after: true, or false / absent as in TF.js), Bidirectional (concat), Dense / TimeDistributed(Dense), Dropout.',
  positionals: 'model.json',
  flags: [{ name: 'out', arg: 'FILE', help: 'where to write the model (.safetensors)' }],
  examples: ['recurrent convert web_model/model.json --out runs/imported.safetensors'],
};
/** `recurrent convert --help`. */
export const CONVERT_HELP = helpText(CONVERT);

/** Runs `recurrent convert`; the file is written atomically (never half a file). */
export async function convertCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(CONVERT, argv);
  if (parsed.help) {
    out(CONVERT_HELP);
    return 0;
  }
  const f = reader(parsed);
  if (parsed.positionals.length !== 1) throw optionError('give exactly one model.json (see recurrent convert --help)');
  const dest = f.str('out');
  if (!dest) throw optionError('--out FILE is required');
  await prepareOutput('out', dest);
  const imp = await importTfjs(parsed.positionals[0]);
  const t = await createTrainer({ worker: false });
  try {
    await t.build(imp.spec);
    await t.importWeights(imp.stateDict);
    const bytes = await t.save({ training: false });
    await writeAtomic(dest, bytes);
    const layers = imp.spec.layers.map((l) => (l.type === 'recurrent' ? `${l.bidirectional ? 'bi-' : ''}${l.cell}` : l.type)).join(' → ');
    out(`wrote ${dest} (${bytes.length.toLocaleString('en-US')} bytes): ${layers}${imp.masked ? '; masked input: pass row lengths' : ''}`);
  } finally {
    await t.dispose();
  }
  return 0;
}
