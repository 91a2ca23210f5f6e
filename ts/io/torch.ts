// PyTorch state_dicts → our parameters. A state_dict saved with
// `safetensors.torch.save_file(model.state_dict(), path)` holds PyTorch's module names (e.g.
// embed.weight, lstm.weight_ih_l0, fc.bias) in F32, F16, BF16 or F64; ours are the layer names
// of the spec (embedding, rnn, head by default). `stripPrefix` drops a leading "model." and
// `prefixMap` renames modules: { embed: 'embedding', lstm: 'rnn', fc: 'head' }.
import { boolOpt } from '../check.js';
import { checkKeys, formatError, optionError } from '../errors.js';
import { decodeSafetensors } from './safetensors.js';

/**
 * How `importWeights` maps the tensor names of a PyTorch state_dict file onto this model's
 * parameter names (which are PyTorch's: `<layer name>.weight_ih_l0`, `….bias_hh_l0_reverse`, …).
 * Without options the names must match as they are. Bad options are E_OPTION.
 */
export interface ImportWeightsOptions {
  /** Dropped from the start of every name in the file (e.g. "model."). */
  stripPrefix?: string;
  /** The file's module prefix → ours, applied after stripPrefix; the longest matching prefix
   * (a whole dotted segment run) wins: { lstm: 'rnn' } maps lstm.weight_ih_l0 → rnn.weight_ih_l0. */
  prefixMap?: Record<string, string>;
  /** Like PyTorch's `load_state_dict(strict=...)`: by default a tensor of the file that maps to
   * no parameter of the model is E_FORMAT naming it; `false` skips such tensors and lists them in
   * the result's `skipped`. Missing parameters are E_FORMAT either way. @default true */
  strict?: boolean;
}

/** What `importWeights` returns: the names of the parameters it set, in the model's order;
 * with `strict: false` also `skipped`, the file's tensors (their names in the file) that map to
 * no parameter. */
export type ImportedWeights = string[] & { skipped?: string[] };

export const IMPORT_WEIGHTS_KEYS = ['stripPrefix', 'prefixMap', 'strict'] as const;

function rename(name: string, opts: ImportWeightsOptions, keys: string[]): string {
  let n = opts.stripPrefix && name.startsWith(opts.stripPrefix) ? name.slice(opts.stripPrefix.length) : name;
  for (const k of keys) {
    if (n.startsWith(`${k}.`)) {
      n = `${(opts.prefixMap as Record<string, string>)[k]}${n.slice(k.length)}`;
      break;
    }
  }
  return n;
}

/** The file's tensors under our names, each checked against `shapeOf(name)` for every name the
 * model has (E_FORMAT naming what is missing, misshapen or not finite). Floats of any stored
 * precision arrive as Float32Array. Nothing is set here: the caller sets them all or none. */
export function stateDictParams(
  bytes: Uint8Array,
  opts: ImportWeightsOptions | undefined,
  names: string[],
  shapeOf: (name: string) => number[],
): { params: Map<string, Float32Array>; skipped: string[] } {
  checkKeys('importWeights', opts, IMPORT_WEIGHTS_KEYS);
  const o = opts ?? {};
  const strict = boolOpt('importWeights.strict', o.strict, true);
  if (o.stripPrefix !== undefined && typeof o.stripPrefix !== 'string') throw optionError('importWeights.stripPrefix must be a string');
  const map = o.prefixMap;
  if (map !== undefined) {
    if (map === null || typeof map !== 'object' || Array.isArray(map))
      throw optionError('importWeights.prefixMap must be an object { theirPrefix: ourPrefix }');
    for (const [k, v] of Object.entries(map))
      if (typeof v !== 'string' || k === '' || v === '') throw optionError(`importWeights.prefixMap.${k} must map to a non-empty string`);
  }
  const keys = Object.keys(map ?? {}).sort((a, b) => b.length - a.length);
  const f = decodeSafetensors(bytes);
  const byName = new Map<string, { from: string; dtype: string; shape: number[]; data: Float32Array | Uint32Array }>();
  for (const [name, t] of f.tensors) {
    const n = rename(name, o, keys);
    const prev = byName.get(n);
    if (prev) throw formatError(`the weights file has both ${prev.from} and ${name}, which map to the same parameter ${n}`);
    byName.set(n, { from: name, ...t });
  }
  const wanted = new Set(names);
  // a model file's own training state (__optimizer__, __rng__) is not a parameter: never unexpected
  const skipped = [...byName].filter(([n, t]) => !wanted.has(n) && t.from !== '__optimizer__' && t.from !== '__rng__').map(([, t]) => t.from);
  if (strict && skipped.length > 0)
    throw formatError(
      `the weights file has ${skipped.length} tensor${skipped.length > 1 ? 's' : ''} the model does not: ${skipped.slice(0, 8).join(', ')}${skipped.length > 8 ? ', …' : ''} (another architecture? pass strict: false to skip them)`,
    );
  const out = new Map<string, Float32Array>();
  for (const n of names) {
    const t = byName.get(n);
    if (!t) throw formatError(`the weights file lacks ${n} (it has: ${[...byName.keys()].slice(0, 8).join(', ')}${byName.size > 8 ? ', …' : ''})`);
    if (!(t.data instanceof Float32Array)) throw formatError(`${n} is ${t.dtype} in the file; parameters must be floats (F32, F16, BF16 or F64)`);
    const want = shapeOf(n);
    if (t.shape.join(',') !== want.join(',')) throw formatError(`${n} has shape [${t.shape}] in the file, [${want}] in the model`);
    if (!t.data.every(Number.isFinite)) throw formatError(`${n} holds NaN or infinity`);
    out.set(n, t.data);
  }
  return { params: out, skipped };
}
