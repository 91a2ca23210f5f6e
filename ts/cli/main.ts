// Command-line entry: `recurrent <command> [flags]`.
import { parseArgs } from 'node:util';
import { optionError } from '../errors.js';
import { init } from '../wasm.js';
import { classic } from './classic.js';
import { classify } from './classify.js';
import { conformance } from './conformance.js';
import { forecast } from './forecast.js';
import { g2p } from './g2p.js';
import { generate } from './generate.js';
import { segment } from './segment.js';
import { train } from './train.js';

const USAGE = `usage: recurrent <command> [flags]

commands:
  train [flags]                   train a character-level language model on Moby Dick (see train --help)
  generate --model F --prompt T   sample text from a saved model
  segment train|run               word segmentation (BiLSTM-CRF, BMES tags) on Moby Dick or a SIGHAN corpus
  classify train|run              spam vs ham (GRU over tokens vs naive Bayes) on SpamAssassin
  g2p train|run                   grapheme to phoneme on CMUdict (attention encoder-decoder, WER/PER)
  forecast                        28-day forecasts of daily US births (LSTM vs seasonal naive, MAE)
  classic                         the classic LSTM demonstration (fixed targets from random inputs, MSE)
  conformance <file.json | dir>   run PyTorch golden fixtures (rnn-golden/1) through the wasm build
  help                            this text
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  switch (cmd) {
    case 'conformance': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { verbose: { type: 'boolean', short: 'v', default: true }, quiet: { type: 'boolean', short: 'q', default: false } },
      });
      await init();
      return conformance(positionals, out, values.verbose && !values.quiet);
    }
    case 'train':
      return train(rest, out);
    case 'generate':
      return generate(rest, out);
    case 'segment':
      return segment(rest, out);
    case 'classify':
      return classify(rest, out);
    case 'g2p':
      return g2p(rest, out);
    case 'forecast':
      return forecast(rest, out);
    case 'classic':
      return classic(rest, out);
    case undefined:
    case 'help':
    case '--help':
      out(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      throw optionError(`unknown command '${cmd}'\n${USAGE}`);
  }
}
