// createTrainer: the same training API in the calling thread or in a worker.
//   const t = await createTrainer({ worker: true });   // Node worker_threads / module Worker
//   await t.build(sequential({ input: { vocab } })...lstm({ units: 128 }).dense({ units: vocab }));
//   await t.compile({ optimizer: { name: 'adam', lr: 2e-3 }, clipNorm: 5 });
//   for await (const e of t.fit(textWindows(ids, { steps: 64 }), { epochs: 2 })) console.log(e);
// Both modes drive one Session through a `Link` (worker/link.ts): in worker mode the model lives
// in the worker, data is copied in (typed arrays transferred), progress events come back
// through a comlink callback, and errors keep their codes.
import type { CtcHypothesis } from './ctc.js';
import { asDataSpec, type DataLike } from './data/source.js';
import { Vocabulary, type VocabularyJSON } from './data/vocab.js';
import { checkKeys, optionError, stateError } from './errors.js';
import { type EvalResult, type FitEvent, FitRun } from './events.js';
import { type ByteSource, readSource } from './io/source.js';
import type { ImportWeightsOptions } from './io/torch.js';
import type { BatchInput, CompileOptions } from './model.js';
import { hasWebWorkers, isNode } from './runtime.js';
import type { DecodeOptions, Hypothesis, Pair, Seq2SeqCompileOptions, Seq2SeqSpecJSON } from './seq2seq.js';
import { FIT_OPTION_KEYS, type FitOptions, type GenerateOptions, type ModelInfo, Session } from './session.js';
import type { ModelSpecJSON } from './spec.js';
import { init, type KernelChoice, type WasmSource } from './wasm.js';
import { type Link, threadLink, workerLink } from './worker/link.js';
import { registerErrorTransfer } from './worker/transfer.js';

export interface TrainerOptions {
  /** Train in a worker (default true where workers exist). */
  worker?: boolean;
  /** Where the worker script is (default: worker/worker.js next to this module). */
  workerUrl?: URL | string;
  /** Where the wasm comes from (default: next to the SDK). */
  wasm?: WasmSource;
  /** Which kernel build to load, in the worker too (see `init`). @default RECURRENT_KERNELS, else 'auto' */
  kernels?: KernelChoice;
}

const specOf = (s: ModelSpecJSON | Seq2SeqSpecJSON | { toJSON(): ModelSpecJSON }): ModelSpecJSON | Seq2SeqSpecJSON =>
  typeof (s as { toJSON?: unknown })?.toJSON === 'function' ? (s as { toJSON(): ModelSpecJSON }).toJSON() : (s as ModelSpecJSON | Seq2SeqSpecJSON);
const vocabJSON = (v: Vocabulary | VocabularyJSON | undefined) => (v instanceof Vocabulary ? v.toJSON() : v);

function isSignal(s: unknown): s is AbortSignal {
  return typeof s === 'object' && s !== null && typeof (s as AbortSignal).aborted === 'boolean' && typeof (s as AbortSignal).addEventListener === 'function';
}

/** A model and its training, in a worker or in the calling thread; every method is async. */
export class Trainer {
  readonly mode: 'worker' | 'thread';
  readonly #link: Link;
  #disposed = false;

  /** @internal (use createTrainer) */
  constructor(mode: 'worker' | 'thread', link: Link) {
    this.mode = mode;
    this.#link = link;
  }

  get #s() {
    return this.#link.port;
  }

  /** Copies the typed arrays of `data` for transfer to a worker. */
  #data<D extends DataLike | readonly Pair[]>(data: D): D {
    if (Array.isArray(data)) return data; // examples or pairs: structured-cloned
    const spec = asDataSpec(data as DataLike);
    if (this.mode === 'thread' || spec.kind !== 'windows') return data;
    const ids = spec.ids.slice();
    return this.#link.send({ ...spec, ids } as D, [ids.buffer as ArrayBuffer]);
  }

  /** The bytes of a model file, ready for the session: readSource always returns a fresh copy,
   * so transferring it to a worker never detaches the caller's memory. */
  async #bytes(source: ByteSource): Promise<Uint8Array> {
    const bytes = await readSource(source);
    if (this.mode === 'thread') return bytes;
    return this.#link.send(bytes, [bytes.buffer as ArrayBuffer]);
  }

  /** Builds a sequential model from a builder (`sequential(...)`) or its JSON, or the
   * encoder-decoder from `{ kind: 'seq2seq', sourceVocab, targetVocab, … }`. */
  build(spec: ModelSpecJSON | { toJSON(): ModelSpecJSON }, opts?: { seed?: number }): Promise<ModelInfo<ModelSpecJSON>>;
  build(spec: Seq2SeqSpecJSON, opts?: { seed?: number }): Promise<ModelInfo<Seq2SeqSpecJSON>>;
  build(spec: ModelSpecJSON | Seq2SeqSpecJSON | { toJSON(): ModelSpecJSON }, opts: { seed?: number } = {}): Promise<ModelInfo> {
    checkKeys('build', opts, ['seed']);
    return this.#s.build(specOf(spec), opts.seed);
  }
  /** Loss, optimizer, clipping, schedule (Seq2SeqCompileOptions for the encoder-decoder). */
  compile(opts: CompileOptions | Seq2SeqCompileOptions): Promise<void> {
    return this.#s.compile(opts);
  }
  setVocabulary(v: Vocabulary | VocabularyJSON | undefined): Promise<void> {
    return this.#s.setVocabulary(vocabJSON(v));
  }
  info(): Promise<ModelInfo> {
    return this.#s.info();
  }

  /** Trains; await the run for its result or iterate it for progress events. A throwing
   * `onProgress` stops the run and rejects it with that error. */
  fit(data: DataLike | readonly Pair[], opts: FitOptions = {}): FitRun {
    checkKeys('fit', opts, FIT_OPTION_KEYS);
    const { signal, onProgress, ...remote } = opts;
    if (signal !== undefined && !isSignal(signal)) throw optionError('fit.signal must be an AbortSignal');
    if (onProgress !== undefined && typeof onProgress !== 'function') throw optionError('fit.onProgress must be a function');
    const d = this.#data(data);
    if (remote.validation !== undefined) remote.validation = this.#data(remote.validation);
    return new FitRun(async (emit) => {
      let failure: { error: unknown } | undefined;
      const stop = () => void this.#s.abort().catch(() => undefined);
      signal?.addEventListener('abort', stop);
      try {
        const progress = (e: FitEvent) => {
          emit(e);
          if (failure || !onProgress) return;
          try {
            onProgress(e);
          } catch (error) {
            failure = { error };
            stop();
          }
        };
        const r = await this.#s.fit(d, remote, this.#link.callback(progress), signal?.aborted ?? false);
        if (failure) throw failure.error;
        return r;
      } finally {
        signal?.removeEventListener('abort', stop);
      }
    });
  }
  evaluate(data: DataLike | readonly Pair[], opts?: { batchSize?: number }): Promise<EvalResult> {
    return this.#s.evaluate(this.#data(data), opts);
  }
  /** Encoder-decoder: the nBest hypotheses of each source (greedy, or beam search), best first. */
  decode(sources: readonly ArrayLike<number>[], opts?: DecodeOptions): Promise<Hypothesis[][]> {
    return this.#s.decode(
      sources.map((x) => Array.from(x)),
      opts,
    );
  }
  predict(input: BatchInput): Promise<Float32Array> {
    return this.#s.predict(input);
  }
  /**
   * CTC decoding (a model compiled with `loss: 'ctc'`): per row, its label sequences, most
   * probable first (greedy; prefix beam search with `beam` > 1).
   */
  ctcDecode(input: BatchInput, opts?: { beam?: number; nBest?: number }): Promise<CtcHypothesis[][]> {
    return this.#s.ctcDecode(input, opts);
  }
  /** Stateful: continues from the previous call's final state until resetState(). */
  predictStep(input: BatchInput): Promise<Float32Array> {
    return this.#s.predictStep(input);
  }
  resetState(): Promise<void> {
    return this.#s.resetState();
  }
  /** Text after a text prompt (needs a vocabulary), or ids after an id prompt. */
  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  generate(prompt: ArrayLike<number>, opts?: GenerateOptions): Promise<Uint32Array>;
  generate(prompt: string | ArrayLike<number>, opts?: GenerateOptions): Promise<string | Uint32Array> {
    return this.#s.generate(typeof prompt === 'string' || this.mode === 'thread' ? prompt : Array.from(prompt), opts);
  }
  /** The model file (recurrent/1 safetensors), with what resuming needs unless training: false. */
  save(opts?: { training?: boolean }): Promise<Uint8Array> {
    return this.#s.save(opts);
  }
  /** From bytes, a file path (Node, Deno, Bun) or a URL. */
  async load(source: ByteSource): Promise<ModelInfo> {
    return this.#s.load(await this.#bytes(source));
  }
  getWeights(): Promise<Record<string, Float32Array>> {
    return this.#s.getWeights();
  }
  /** Parameters from a plain safetensors file of PyTorch-named tensors (a state_dict). */
  async importWeights(source: ByteSource, opts?: ImportWeightsOptions): Promise<string[]> {
    return this.#s.importWeights(await this.#bytes(source), opts);
  }
  /** Frees the model (in worker mode, ends the worker). A running fit rejects with E_STATE,
   * and so does every later call. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.#s.dispose();
    } catch {
      // a worker that already failed has nothing left to free
    } finally {
      this.#link.close(stateError('this trainer has been disposed'));
    }
  }
}

/** A trainer in a worker (default where workers exist) or in the calling thread. */
export async function createTrainer(opts: TrainerOptions = {}): Promise<Trainer> {
  checkKeys('createTrainer', opts, ['worker', 'workerUrl', 'wasm', 'kernels']);
  registerErrorTransfer();
  const hasWorkers = hasWebWorkers || isNode;
  const useWorker = opts.worker ?? hasWorkers;
  if (!useWorker) {
    await init(opts.wasm, { kernels: opts.kernels });
    return new Trainer('thread', threadLink(new Session()));
  }
  if (!hasWorkers) throw optionError('createTrainer({ worker: true }): this runtime has no workers; use { worker: false }');
  const link = await workerLink(opts.workerUrl);
  try {
    await link.port.init(opts.wasm, opts.kernels);
  } catch (e) {
    link.close(stateError('the worker could not be initialised'));
    throw e;
  }
  return new Trainer('worker', link);
}
