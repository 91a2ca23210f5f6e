// The saved-model format, "recurrent/1": a safetensors file whose tensors are the
// parameters under their PyTorch names (embedding.weight, rnn.weight_ih_l0, head.bias, …)
// and whose __metadata__ holds JSON strings:
//   format        "recurrent/1"
//   architecture  the ModelSpecJSON (input + layers)
//   seed          the initialisation seed
//   vocabulary    (optional) a recurrent-vocab/1 object
//   compile       (optional) loss, optimizer, clipping, schedule
//   training      (optional) position and counters for resuming: epoch, batch, step, tokens,
//                 seed (non-negative integers). Not the training time (elapsedMs): it would
//                 make files of the same seed differ, so a file is a pure function of the
//                 seed and data, and a resumed run's clock (and time budget) starts at 0.
//   data_crc32    CRC-32 of the tensor bytes (io/safetensors.ts), verified on load
// Optional tensors for resuming exactly: "__optimizer__" (F32, the optimizer's state) and
// "__rng__" (U32 ×4, the dropout generator).

import type { VocabularyJSON } from '../data/vocab.js';
import { formatError, optionError } from '../errors.js';
import type { CompileOptions } from '../model.js';
import type { ModelSpecJSON } from '../spec.js';
import { asFormat, checkFileParams, sequentialParams } from './params.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile, type TensorIn } from './safetensors.js';

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
  /** Batch size of the run (resuming needs the same; absent in files from before 0.1). */
  batchSize?: number;
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

/** A recurrent/1 file of any model kind, before encoding: the parts every kind has, and
 * `extra` metadata of the kind or the caller (JSON values; the standard keys are reserved). */
export interface ModelFileParts {
  /** The architecture (`{ kind: 'seq2seq', … }` for the encoder-decoder, the ModelSpecJSON otherwise). */
  architecture: object;
  seed: number;
  params: { name: string; shape: number[]; data: Float32Array }[];
  vocabulary?: VocabularyJSON;
  compile?: object;
  training?: TrainingState;
  optimizerState?: Float32Array;
  rngState?: Uint32Array;
  extra?: Record<string, unknown>;
}

/** Metadata keys the model-file code writes itself. */
const RESERVED = ['format', 'architecture', 'seed', 'vocabulary', 'compile', 'training'];

/**
 * Writes a model file (format `recurrent/1`) of any model kind: a safetensors file of the
 * parameters under their PyTorch names, the architecture, seed, vocabulary, compile options,
 * training position and `extra` as JSON strings in its metadata, and the optimizer and
 * dropout-generator states as the tensors `__optimizer__` and `__rng__` when present.
 */
export function encodeModelFile(s: ModelFileParts): Uint8Array {
  const meta: Record<string, string> = { format: FORMAT, architecture: JSON.stringify(s.architecture), seed: String(s.seed) };
  if (s.vocabulary) meta.vocabulary = JSON.stringify(s.vocabulary);
  if (s.compile) meta.compile = JSON.stringify(s.compile);
  if (s.training) meta.training = JSON.stringify(trainingForFile(s.training));
  for (const [k, v] of Object.entries(s.extra ?? {})) {
    if (RESERVED.includes(k)) throw optionError(`metadata key '${k}' is reserved`);
    meta[k] = JSON.stringify(v);
  }
  const tensors: [string, TensorIn][] = s.params.map((p) => [p.name, { dtype: 'F32', shape: p.shape, data: p.data }]);
  if (s.optimizerState) tensors.push(['__optimizer__', { dtype: 'F32', shape: [s.optimizerState.length], data: s.optimizerState }]);
  if (s.rngState) tensors.push(['__rng__', { dtype: 'U32', shape: [s.rngState.length], data: s.rngState }]);
  return encodeSafetensors(tensors, meta);
}

/** A recurrent/1 file read and checked in what every kind shares (format, seed, the optimizer
 * and generator tensors, the training position); the architecture and parameters are the kind's
 * to check. `extra` holds the other metadata as stored (JSON strings, parsed by whoever wrote them). */
export interface ModelFileRead {
  architecture: unknown;
  seed: number;
  tensors: SafetensorsFile['tensors'];
  vocabulary?: VocabularyJSON;
  compile?: object;
  training?: TrainingState;
  optimizerState?: Float32Array;
  rngState?: Uint32Array;
  extra: Record<string, string>;
}

/** Reads a recurrent/1 file (E_FORMAT when it is not one, or its shared parts are malformed). */
export function readModelFile(bytes: Uint8Array): ModelFileRead {
  const f = decodeSafetensors(bytes);
  const fmt = f.metadata.format;
  if (fmt === undefined) throw formatError('not a recurrent model file (no format in its metadata)');
  if (fmt !== FORMAT) throw formatError(`unsupported model format '${fmt}' (this version reads ${FORMAT})`);
  const seed = checkSeed(f.metadata.seed);
  const opt = f.tensors.get('__optimizer__');
  const rng = f.tensors.get('__rng__');
  if (opt && opt.dtype !== 'F32') throw formatError('__optimizer__ must be F32');
  if (rng && (rng.dtype !== 'U32' || rng.data.length !== 4)) throw formatError('__rng__ must be 4 U32 words');
  const unknown = [...f.tensors.keys()].find((n) => n.startsWith('__') && n !== '__optimizer__' && n !== '__rng__');
  if (unknown !== undefined) throw formatError(`the model file has an unknown tensor ${unknown}`);
  const compile = json<object>(f.metadata, 'compile');
  if (compile !== undefined && (compile === null || typeof compile !== 'object' || Array.isArray(compile)))
    throw formatError('metadata compile must be an object');
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(f.metadata)) if (!RESERVED.includes(k)) extra[k] = v;
  return {
    architecture: json(f.metadata, 'architecture'),
    seed,
    tensors: f.tensors,
    vocabulary: json(f.metadata, 'vocabulary'),
    compile,
    training: checkTrainingState(json(f.metadata, 'training')),
    optimizerState: opt?.data instanceof Float32Array ? opt.data : undefined,
    rngState: rng?.data instanceof Uint32Array ? rng.data : undefined,
    extra,
  };
}

/** The sequential model's file (see {@link encodeModelFile}). `Trainer.save` uses it. */
export function encodeCheckpoint(s: Snapshot): Uint8Array {
  const { spec, ...rest } = s;
  return encodeModelFile({ architecture: spec, ...rest });
}

function json<T>(meta: Record<string, string>, key: string): T | undefined {
  if (meta[key] === undefined) return undefined;
  try {
    return JSON.parse(meta[key]) as T;
  } catch {
    throw formatError(`metadata '${key}' is not valid JSON`);
  }
}

const TRAINING_KEYS = ['epoch', 'batch', 'step', 'tokens', 'seed'] as const;
/** Bound of the step and token counters a file may hold (2^52: sums stay exact). */
const MAX_COUNTER = 2 ** 52;

/** The training position as files hold it: without the training time (elapsedMs), keys in
 * sorted order, so a file is a pure function of the seed and data and a loaded file re-saves
 * to the same bytes. */
export function trainingForFile(t: TrainingState): Record<string, number> {
  const { elapsedMs: _timing, ...position } = t as TrainingState & Record<string, number>;
  return Object.fromEntries(Object.entries(position).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The saved training position: an object of non-negative safe integers (elapsedMs, which
 * older files hold, is accepted if it is a finite non-negative number, and ignored). */
export function checkTrainingState(t: unknown): TrainingState | undefined {
  if (t === undefined) return undefined;
  if (t === null || typeof t !== 'object' || Array.isArray(t)) throw formatError('metadata training must be an object');
  const o = t as Record<string, unknown>;
  // fields this version does not know (a newer SDK's counters) must still be non-negative integers
  const extra: Record<string, number> = {};
  for (const k of Object.keys(o)) {
    if ((TRAINING_KEYS as readonly string[]).includes(k) || k === 'elapsedMs') continue;
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw formatError(`metadata training.${k} must be a non-negative integer (got ${JSON.stringify(v)})`);
    extra[k] = v;
  }
  for (const k of TRAINING_KEYS) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw formatError(`metadata training.${k} must be a non-negative integer (got ${JSON.stringify(v) ?? 'nothing'})`);
  }
  if ((o.seed as number) > 0xffffffff) throw formatError(`metadata training.seed must be below 2^32 (got ${o.seed})`);
  // epochs and batches count at most 2^32 − 1; steps and tokens stay below 2^52, so adding to
  // them stays exact (2^53 − 1 + 1 would not)
  for (const k of ['epoch', 'batch'] as const) if ((o[k] as number) > 0xffffffff) throw formatError(`metadata training.${k} must be below 2^32 (got ${o[k]})`);
  for (const k of ['step', 'tokens'] as const)
    if ((o[k] as number) >= MAX_COUNTER) throw formatError(`metadata training.${k} must be below 2^52 (got ${o[k]})`);
  if (o.elapsedMs !== undefined && (typeof o.elapsedMs !== 'number' || !(o.elapsedMs >= 0) || !Number.isFinite(o.elapsedMs)))
    throw formatError('metadata training.elapsedMs must be a non-negative number');
  return {
    ...extra,
    epoch: o.epoch as number,
    batch: o.batch as number,
    step: o.step as number,
    tokens: o.tokens as number,
    seed: o.seed as number,
    elapsedMs: 0,
  };
}

function checkSeed(s: string | undefined): number {
  if (s === undefined) return 0;
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n > 0xffffffff)
    throw formatError(`metadata seed must be an integer in [0, 2^32) (got ${JSON.stringify(s.slice(0, 20))})`);
  return n;
}

/** Parses and checks a saved model: its architecture's types and sizes, and its parameters'
 * names, shapes and values against that architecture, before any model is allocated. */
export function decodeCheckpoint(bytes: Uint8Array): Snapshot {
  const f = readModelFile(bytes);
  const spec = f.architecture as ModelSpecJSON | null | undefined;
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.layers)) throw formatError('model file has no architecture');
  if ('kind' in spec && spec.kind !== undefined) throw formatError(`this is a ${String(spec.kind)} model file, not a sequential model`);
  const want = asFormat("the model file's architecture is invalid", () => sequentialParams(spec));
  checkFileParams(want, f.tensors);
  const params: Snapshot['params'] = want.map((p) => ({ name: p.name, shape: p.shape, data: f.tensors.get(p.name)!.data as Float32Array }));
  return {
    spec,
    seed: f.seed,
    params,
    vocabulary: f.vocabulary,
    compile: f.compile as CompileOptions | undefined,
    training: f.training,
    optimizerState: f.optimizerState,
    rngState: f.rngState,
  };
}
