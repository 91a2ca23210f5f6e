// `recurrent export M.safetensors --format onnx --out M.onnx`: a saved sequential model as an
// ONNX file (opset 17) for onnxruntime and other ONNX runtimes (see io/onnx.ts).
import { optionError } from '../errors.js';
import { exportOnnx } from '../io/onnx.js';
import { readSource } from '../io/source.js';
import { type Command, helpText, parseFlags, reader } from './flags.js';
import { prepareOutput, writeAtomic } from './output.js';

export const EXPORT: Command = {
  name: 'recurrent export',
  usage: 'MODEL.safetensors --format onnx --out FILE [flags]',
  about: 'Writes a saved sequential model (embedding, recurrent layers, dense heads) as another format.',
  positionals: 'MODEL.safetensors',
  flags: [
    {
      name: 'format',
      arg: 'NAME',
      help: 'the output format: onnx (opset 17; inputs ids [batch, steps] int64 or features [batch, steps, F] float, and lengths [batch] int32)',
    },
    { name: 'out', arg: 'FILE', help: 'where to write it' },
    { name: 'lengths', negatable: true, help: 'keep the lengths input (default); --no-lengths: every row runs all its steps' },
  ],
  examples: ['recurrent export runs/mobydick.safetensors --format onnx --out runs/mobydick.onnx'],
};
export const EXPORT_HELP = helpText(EXPORT);

export async function exportCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseFlags(EXPORT, argv);
  if (parsed.help) {
    out(EXPORT_HELP);
    return 0;
  }
  const f = reader(parsed);
  if (parsed.positionals.length !== 1) throw optionError(`give exactly one model file (see recurrent export --help)`);
  if (f.str('format') === undefined) throw optionError('--format is required (onnx)');
  f.choice('format', ['onnx'] as const, 'onnx');
  const dest = f.str('out');
  if (!dest) throw optionError('--out FILE is required');
  await prepareOutput('out', dest);
  const bytes = await exportOnnx(await readSource(parsed.positionals[0]), { lengths: f.bool('lengths', true) });
  await writeAtomic(dest, bytes);
  out(`wrote ${dest} (${bytes.length.toLocaleString('en-US')} bytes, ONNX opset 17)`);
  return 0;
}
