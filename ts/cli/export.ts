// `recurrent export M.safetensors --format onnx --out M.onnx`: a saved sequential model as an
// ONNX file (opset 17) for onnxruntime and other ONNX runtimes (see io/onnx.ts).
import { rename, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatError, optionError } from '../errors.js';
import { exportOnnx } from '../io/onnx.js';
import { readSource } from '../io/source.js';
import { choice } from './args.js';

export const EXPORT_HELP = `usage: recurrent export MODEL.safetensors --format onnx --out MODEL.onnx [flags]

  --format onnx       the output format (onnx: opset 17; inputs ids [batch, steps] int64 or
                      features [batch, steps, F] float, and lengths [batch] int32)
  --out FILE          where to write it
  --no-lengths        leave out the lengths input (every row runs all its steps)
`;

export async function exportCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      'no-lengths': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    out(EXPORT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw optionError(`give exactly one model file\n${EXPORT_HELP}`);
  if (v.format === undefined) throw optionError('--format is required (onnx)');
  choice('format', v.format, ['onnx'] as const, 'onnx');
  if (!v.out) throw optionError('--out FILE is required');
  const [model] = positionals;
  const bytes = await exportOnnx(await readSource(model), { lengths: !v['no-lengths'] });
  const tmp = `${v.out}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, v.out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw formatError(`cannot write ${v.out}: ${(e as Error).message}`);
  }
  out(`wrote ${v.out} (${bytes.length.toLocaleString('en-US')} bytes, ONNX opset 17)`);
  return 0;
}
