// The saved-model format, "recurrent/1": a safetensors file whose tensors are the
// parameters under their PyTorch names (embedding.weight, rnn.weight_ih_l0, head.bias, …)
// and whose __metadata__ holds JSON strings:
//   format        "recurrent/1"
//   architecture  the ModelSpecJSON (input + layers)
//   seed          the initialisation seed
//   vocabulary    (optional) a recurrent-vocab/1 object
//   compile       (optional) loss, optimizer, clipping, schedule
//   training      (optional) position and counters for resuming: epoch, batch, step, …
// Optional tensors for resuming exactly: "__optimizer__" (F32, the optimizer's state) and
// "__rng__" (U32 ×4, the dropout generator).
import { formatError } from '../errors.js';
import type { CompileOptions } from '../model.js';
import type { ModelSpecJSON } from '../spec.js';
import type { VocabularyJSON } from '../data/vocab.js';
import { decodeSafetensors, encodeSafetensors, type TensorIn } from './safetensors.js';

/** The saved-model format's name, `'recurrent/1'`, stored as `format` in the file's metadata. */
export const FORMAT = 'recurrent/1';

/** Where training stands, saved with a resumable model so `fit({ resume: true })` continues exactly. */
export interface TrainingState {
  /** Epoch being trained (0-based) and the next batch in it. */
  epoch: number;
  /** The next batch within `epoch`, 0-based. */
  batch: number;
  /** Optimizer steps and tokens so far, and training time. */
  step: number;
  /** Tokens (valid steps) trained so far. */
  tokens: number;
  /** Training time so far, in milliseconds. */
  elapsedMs: number;
  /** Seed of the data order. */
  seed: number;
}

/** Everything a `recurrent/1` model file holds, decoded. */
export interface Snapshot {
  /** The architecture. */
  spec: ModelSpecJSON;
  /** The initialisation seed. */
  seed: number;
  /** The parameters under their PyTorch names, with shapes, row-major. */
  params: { name: string; shape: number[]; data: Float32Array }[];
  /** The vocabulary, if one was attached. */
  vocabulary?: VocabularyJSON;
  /** The compile options (resumable files). */
  compile?: CompileOptions;
  /** The training position (resumable files). */
  training?: TrainingState;
  /** The optimizer's state, tensor `__optimizer__` (resumable files). */
  optimizerState?: Float32Array;
  /** The dropout generator's state, tensor `__rng__`, 4 words (resumable files). */
  rngState?: Uint32Array;
}

/**
 * Writes a model file (format `recurrent/1`): a safetensors file of the parameters under their
 * PyTorch names, the architecture, seed, vocabulary, compile options and training position as
 * JSON strings in its metadata, and the optimizer and dropout-generator states as the tensors
 * `__optimizer__` and `__rng__` when present. `Trainer.save` uses it.
 */
export function encodeCheckpoint(s: Snapshot): Uint8Array {
  const meta: Record<string, string> = { format: FORMAT, architecture: JSON.stringify(s.spec), seed: String(s.seed) };
  if (s.vocabulary) meta.vocabulary = JSON.stringify(s.vocabulary);
  if (s.compile) meta.compile = JSON.stringify(s.compile);
  if (s.training) meta.training = JSON.stringify(s.training);
  const tensors: [string, TensorIn][] = s.params.map((p) => [p.name, { dtype: 'F32', shape: p.shape, data: p.data }]);
  if (s.optimizerState) tensors.push(['__optimizer__', { dtype: 'F32', shape: [s.optimizerState.length], data: s.optimizerState }]);
  if (s.rngState) tensors.push(['__rng__', { dtype: 'U32', shape: [s.rngState.length], data: s.rngState }]);
  return encodeSafetensors(tensors, meta);
}

function json<T>(meta: Record<string, string>, key: string): T | undefined {
  if (meta[key] === undefined) return undefined;
  try {
    return JSON.parse(meta[key]) as T;
  } catch {
    throw formatError(`metadata '${key}' is not valid JSON`);
  }
}

/**
 * Parses and checks a model file written by {@link encodeCheckpoint} (E_FORMAT when it is
 * corrupt, truncated, of another format or version); the parameters are checked against the
 * architecture when the model is rebuilt (`Trainer.load`).
 */
export function decodeCheckpoint(bytes: Uint8Array): Snapshot {
  const f = decodeSafetensors(bytes);
  const fmt = f.metadata.format;
  if (fmt === undefined) throw formatError('not a recurrent model file (no format in its metadata)');
  if (fmt !== FORMAT) throw formatError(`unsupported model format '${fmt}' (this version reads ${FORMAT})`);
  const spec = json<ModelSpecJSON>(f.metadata, 'architecture');
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.layers)) throw formatError('model file has no architecture');
  const seed = Number(f.metadata.seed ?? 0);
  const params: Snapshot['params'] = [];
  for (const [name, t] of f.tensors) {
    if (name.startsWith('__')) continue;
    if (t.dtype !== 'F32') throw formatError(`parameter ${name} must be F32`);
    params.push({ name, shape: t.shape, data: t.data as Float32Array });
  }
  const opt = f.tensors.get('__optimizer__');
  const rng = f.tensors.get('__rng__');
  if (opt && opt.dtype !== 'F32') throw formatError('__optimizer__ must be F32');
  if (rng && (rng.dtype !== 'U32' || rng.data.length !== 4)) throw formatError('__rng__ must be 4 U32 words');
  return {
    spec,
    seed: Number.isFinite(seed) ? seed : 0,
    params,
    vocabulary: json(f.metadata, 'vocabulary'),
    compile: json(f.metadata, 'compile'),
    training: json(f.metadata, 'training'),
    optimizerState: opt?.data as Float32Array | undefined,
    rngState: rng?.data as Uint32Array | undefined,
  };
}
