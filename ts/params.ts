// Setting a model's parameters from a file's tensors: the one check-and-restore loop used by
// Session.load, Session.importWeights and Seq2SeqModel.load. Every parameter must be present
// with its shape (and F32 data) before any is set, so a failed load changes nothing.
import { formatError } from './errors.js';

/** A model kind with PyTorch-named parameters. */
export interface ParamHost {
  paramNames(): string[];
  paramShape(name: string): number[];
  setParam(name: string, data: Float32Array): void;
}

export interface FileTensor {
  shape: number[];
  data: ArrayLike<number>;
  dtype?: string;
}

/** Checks `tensors` against `host`'s parameters, then sets them all. `file` names the source in
 * messages ("the model file"); `extra: 'error'` rejects tensors the model does not have;
 * `finite` rejects NaN and infinity. Returns the names set. */
export function restoreParams(
  host: ParamHost,
  tensors: ReadonlyMap<string, FileTensor>,
  o: { file: string; extra?: 'error' | 'ignore'; finite?: boolean },
): string[] {
  const names = host.paramNames();
  for (const n of names) {
    const t = tensors.get(n);
    if (!t) {
      const have = [...tensors.keys()];
      throw formatError(`${o.file} lacks ${n} (it has: ${have.slice(0, 8).join(', ')}${have.length > 8 ? ', …' : ''})`);
    }
    const want = host.paramShape(n);
    if ((t.dtype !== undefined && t.dtype !== 'F32') || !(t.data instanceof Float32Array))
      throw formatError(`parameter ${n} is ${t.dtype ?? 'not F32'} in ${o.file}; it must be F32`);
    if (t.shape.join(',') !== want.join(',')) throw formatError(`parameter ${n} has shape [${t.shape}] in ${o.file}, [${want}] in the model`);
    if (o.finite && !t.data.every(Number.isFinite)) throw formatError(`parameter ${n} holds NaN or infinity in ${o.file}`);
  }
  if ((o.extra ?? 'error') === 'error') {
    const extra = [...tensors.keys()].find((n) => !names.includes(n));
    if (extra !== undefined) throw formatError(`${o.file} has a parameter ${extra} the model does not`);
  }
  for (const n of names) host.setParam(n, tensors.get(n)?.data as Float32Array);
  return names;
}
