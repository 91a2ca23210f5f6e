// createTrainer: the same training API in the calling thread or in a worker.
//   const t = await createTrainer({ worker: true });   // Node worker_threads / module Worker
//   await t.build(sequential({ input: { vocab } })...lstm({ units: 128 }).dense({ units: vocab }));
//   await t.compile({ optimizer: { name: 'adam', lr: 2e-3 }, clipNorm: 5 });
//   for await (const e of t.fit(textWindows(ids, { steps: 64 }), { epochs: 2 })) console.log(e);
// Every mode drives a SessionApi (session-api.ts) through a `Link` (worker/link.ts): a Session in
// this thread, one in a worker, or the data-parallel coordinator. Methods that only forward are
// not written here: FORWARDED names them and comlink's `Remote<SessionApi>` types them. In worker
// mode data is copied in (typed arrays transferred), progress events come back through a comlink
// callback, and errors keep their codes.
import { boolOpt, checkPlainData } from './check.js';
import { asDataSpec, type DataLike } from './data/source.js';
import { Vocabulary, type VocabularyJSON } from './data/vocab.js';
import { checkKeys, optionError, rangeError, stateError } from './errors.js';
import { type EvalResult, type FitEvent, FitRun } from './events.js';
import { type ByteSource, readSource } from './io/source.js';
import type { ImportedWeights, ImportWeightsOptions } from './io/torch.js';
import { ParallelSession, sharedMemoryAvailable } from './parallel/coordinator.js';
import type { WorkerApi } from './parallel/replica-session.js';
import { availableParallelism, hasWebWorkers, isNode, isPage } from './runtime.js';
import type { DecodeOptions, Hypothesis, Pair, Seq2SeqSpecJSON } from './seq2seq.js';
import { Session } from './session.js';
import { defineCalls, FIT_OPTION_KEYS, type FitOptions, type GenerateOptions, type ModelInfo, type SessionApi } from './session-api.js';
import type { ModelSpecJSON } from './spec.js';
import { init, type KernelChoice, kernelBackend, resolveKernels, type WasmSource } from './wasm.js';
import { type Link, type SessionPort, threadLink, workerLink } from './worker/link.js';
import { registerErrorTransfer } from './worker/transfer.js';

/** Options of {@link createTrainer} (an unknown key is E_OPTION). */
export interface TrainerOptions {
  /** Train in a worker (Node worker_threads or a module Web Worker) rather than the calling
   * thread; `true` where the runtime has no workers is E_OPTION. @default true where workers exist */
  worker?: boolean;
  /** Where the worker script is, for bundlers that move it. @default worker/worker.js next to this module */
  workerUrl?: URL | string;
  /** Where the wasm comes from (see `init`), in the worker too. @default the .wasm next to the SDK */
  wasm?: WasmSource;
  /** Which kernel build to load, in the worker too (see `init`). @default RECURRENT_KERNELS, else 'auto' */
  kernels?: KernelChoice;
  /** Data-parallel training (the sequential model or the encoder-decoder) on this many worker
   * replicas. Each step splits the batch into row shards (examples, or pairs), one per replica,
   * and applies the combined gradient of the whole batch's loss on every replica. 'auto': one
   * replica per hardware thread (minus one in a browser page), and the first fit of each model
   * shape measures whether they beat one replica (else it trains on one; see
   * `Trainer.workersReason`). @default 1 */
  workers?: number | 'auto';
  /** With workers > 1: the replicas synchronise among themselves through a SharedArrayBuffer
   * (default where the runtime allows it: Node, Deno, Bun, cross-origin-isolated pages), or
   * exchange gradients with the calling thread as transferred messages (false). */
  sharedMemory?: boolean;
}

/** Most replicas `workers` may ask for. */
const MAX_WORKERS = 64;

async function workerCount(w: TrainerOptions['workers']): Promise<number> {
  if (w === undefined) return 1;
  if (w === 'auto') return Math.max(1, Math.min(MAX_WORKERS, (await availableParallelism()) - (isPage ? 1 : 0)));
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1)
    throw optionError(`createTrainer.workers must be a whole number ≥ 1 or 'auto' (got ${String(w)})`);
  if (w > MAX_WORKERS) throw rangeError(`createTrainer.workers = ${w} is more than ${MAX_WORKERS}`);
  return w;
}

const specOf = (s: ModelSpecJSON | Seq2SeqSpecJSON | { toJSON(): ModelSpecJSON }): ModelSpecJSON | Seq2SeqSpecJSON =>
  typeof (s as { toJSON?: unknown })?.toJSON === 'function' ? (s as { toJSON(): ModelSpecJSON }).toJSON() : (s as ModelSpecJSON | Seq2SeqSpecJSON);
const vocabJSON = (v: Vocabulary | VocabularyJSON | undefined) => (v instanceof Vocabulary ? v.toJSON() : v);

function isSignal(s: unknown): s is AbortSignal {
  return typeof s === 'object' && s !== null && typeof (s as AbortSignal).aborted === 'boolean' && typeof (s as AbortSignal).addEventListener === 'function';
}

/** The SessionApi methods a Trainer passes on unchanged (typed by `Remote<SessionApi>`). */
const FORWARDED = [
  'compile',
  'info',
  'predict',
  'predictStep',
  'gradientProfile',
  'ctcDecode',
  'resetState',
  'save',
  'getWeights',
] as const satisfies readonly (keyof SessionApi)[];

/** The forwarded methods, as the trainer's type shows them (each answers a promise). */
export interface Trainer extends Pick<SessionPort, (typeof FORWARDED)[number]> {}

/**
 * A model and its training, in a worker or in the calling thread; every method is async.
 * @example
 * ```ts
 * const trainer = await createTrainer({ worker: false }); // { worker: true } (the default) trains in a Web Worker / worker thread
 * await trainer.build(sequential({ input: { vocab: 5 } }).embedding({ dim: 4 }).lstm({ units: 8 }).dense({ units: 5 }), { seed: 1 });
 * await trainer.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
 * const result = await trainer.fit(examples([{ ids: [0, 1, 2, 3], targets: [1, 2, 3, 4] }]), { epochs: 5 });
 * console.log(result.stopReason, trainer.mode, (await trainer.info()).paramCount);
 * const bytes = await trainer.save(); // a model file: trainer.load(bytes) later, here or elsewhere
 * await trainer.dispose();
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface declares the FORWARDED methods, which the static block defines on the prototype
export class Trainer {
  /** Where the model lives: `'worker'` (a worker thread; data is copied in, typed arrays
   * transferred) or `'thread'` (the calling thread). */
  readonly mode: 'worker' | 'thread';
  /** The kernels the model trains with: "relaxed-simd" (fused multiply-adds) or "simd128"
   * (see {@link kernelBackend}; a worker's own runtime decides). */
  readonly kernels: string;
  readonly #link: Link;
  readonly #parallel: ParallelSession | undefined;
  #disposed = false;

  /** @internal (use createTrainer) */
  constructor(mode: 'worker' | 'thread', link: Link, kernels: string, parallel?: ParallelSession) {
    this.mode = mode;
    this.#link = link;
    this.kernels = kernels;
    this.#parallel = parallel;
  }

  /** Replicas training the model (1 unless createTrainer({ workers })). With workers: 'auto',
   * one per hardware thread until the first fit of a model shape has measured whether they pay
   * (then 1 where they do not); {@link workersReason} says why. */
  get workers(): number {
    return this.#parallel?.workers ?? 1;
  }

  /** Why {@link workers} replicas train, in words (the CLI's header prints it). */
  get workersReason(): string {
    return this.#parallel?.workersReason ?? (this.mode === 'worker' ? 'one worker thread' : 'the calling thread');
  }

  get #s(): SessionPort {
    return this.#link.port;
  }

  static {
    defineCalls(
      Trainer.prototype,
      FORWARDED,
      (name) =>
        function (this: Trainer, ...args: unknown[]): unknown {
          const port = this.#s;
          return Reflect.apply(port[name], port, args);
        },
    );
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
  /** Attaches a vocabulary (or its JSON; `undefined` removes it): `generate` with a text prompt
   * needs one, and `save` stores it in the model file. Its size must equal a token model's
   * `input.vocab` (E_RANGE otherwise); a later `build` drops it unless the new model is a token
   * model of the same vocabulary size. */
  setVocabulary(v: Vocabulary | VocabularyJSON | undefined): Promise<void> {
    return this.#s.setVocabulary(vocabJSON(v));
  }
  /**
   * Trains; await the run for its result or iterate it for progress events. A throwing
   * `onProgress` stops the run and rejects it with that error. Needs `compile` first (E_STATE).
   * The sequential model trains on `textWindows(…)`, `examples(…)` or a plain array of examples; the
   * encoder-decoder on an array of `{ source, target }` pairs. The run resolves to a
   * {@link FitResult} whose `stopReason` says whether all `epochs` ran, the `signal` fired or
   * `timeBudgetMs` ran out; the model is valid in every case, and `save` then `fit({ resume: true })`
   * continues where it stopped.
   * @example
   * ```ts
   * const ids = vocab.encode(text);
   * const controller = new AbortController(); // controller.abort() stops within one batch
   * const run = trainer.fit(textWindows(ids, { steps: 64 }), { epochs: 2, batchSize: 32, signal: controller.signal });
   * for await (const e of run) {
   *   if (e.type === 'step') console.log(`step ${e.step}: loss ${e.loss.toFixed(3)}, ${Math.round(e.tokensPerSec)} tokens/s`);
   *   else console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(3)}`);
   * }
   * const { stopReason, steps } = await run; // 'completed' | 'aborted' | 'timeBudget'
   * ```
   */
  fit(data: DataLike | readonly Pair[], opts: FitOptions = {}): FitRun {
    checkKeys('fit', opts, FIT_OPTION_KEYS);
    try {
      // before anything is copied to a worker; the other values are checked where the run starts
      checkPlainData('data', data);
      checkPlainData('fit.validation', opts.validation);
    } catch (e) {
      return new FitRun(() => Promise.reject(e));
    }
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
        const fail = (error: unknown) => {
          failure ??= { error };
          stop();
        };
        const progress = (e: FitEvent): void | Promise<void> => {
          emit(e);
          if (failure || !onProgress) return;
          try {
            const r = onProgress(e);
            // the engine awaits an epoch event's answer before it trains on
            if (r instanceof Promise) return r.catch(fail);
          } catch (error) {
            fail(error);
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
  /** The mean loss over a data set (in batches of `batchSize`, default 32, or 128 pairs for the
   * encoder-decoder), without training: `loss` per counted row (per target token for the
   * encoder-decoder), for cross-entropy `bitsPerToken` and (sequential model) top-1 `accuracy`,
   * and `count`. Windows are read in order, without random offsets or dropout. E_RANGE when
   * nothing in the data counts. */
  evaluate(data: DataLike | readonly Pair[], opts?: { batchSize?: number }): Promise<EvalResult> {
    try {
      checkPlainData('data', data);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#s.evaluate(this.#data(data), opts);
  }
  /** Encoder-decoder: the nBest hypotheses of each source (greedy, or beam search), best first. */
  decode(sources: readonly ArrayLike<number>[], opts?: DecodeOptions): Promise<Hypothesis[][]> {
    return this.#s.decode(
      sources.map((x) => Array.from(x)),
      opts,
    );
  }
  /** Text after a text prompt (needs a vocabulary), or ids after an id prompt. */
  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  generate(prompt: ArrayLike<number>, opts?: GenerateOptions): Promise<Uint32Array>;
  generate(prompt: string | ArrayLike<number>, opts?: GenerateOptions): Promise<string | Uint32Array> {
    return this.#s.generate(typeof prompt === 'string' || this.mode === 'thread' ? prompt : Array.from(prompt), opts);
  }
  /** From bytes, a file path (Node, Deno, Bun) or a URL. */
  async load(source: ByteSource): Promise<ModelInfo> {
    return this.#s.load(await this.#bytes(source));
  }
  /** Every replica's weights (one entry unless workers > 1; data-parallel replicas stay
   * bit-identical). */
  async getReplicaWeights(): Promise<Record<string, Float32Array>[]> {
    return this.#parallel ? this.#parallel.replicaWeights() : [await this.#s.getWeights()];
  }
  /** Parameters from a plain safetensors file of PyTorch-named tensors (a state_dict). */
  async importWeights(source: ByteSource, opts?: ImportWeightsOptions): Promise<ImportedWeights> {
    const { names, skipped } = await this.#s.importWeights(await this.#bytes(source), opts);
    return opts?.strict === false ? Object.assign(names, { skipped }) : names;
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

/**
 * A trainer in a worker (default where workers exist) or in the calling thread. Loads the wasm
 * (in the worker, or here with `{ worker: false }`), so `init()` is not needed first. Free it
 * with `dispose()` (which also ends the worker).
 * @example
 * ```ts
 * import { createTrainer, sequential, textWindows, Vocabulary } from 'recurrent-nn';
 * const text = 'the quick brown fox jumps over the lazy dog. '.repeat(20);
 * const vocab = Vocabulary.fromText(text);
 * const trainer = await createTrainer({ worker: true });
 * await trainer.build(sequential({ input: { vocab: vocab.size } }).embedding({ dim: 16 }).lstm({ units: 32 }).dense({ units: vocab.size }), { seed: 1 });
 * await trainer.setVocabulary(vocab);
 * await trainer.compile({ optimizer: { name: 'adam', lr: 1e-2 }, clipNorm: 5 });
 * const result = await trainer.fit(textWindows(vocab.encode(text), { steps: 32 }), { epochs: 60, batchSize: 8 }); // a few seconds
 * console.log(result.stopReason, await trainer.generate('the ', { maxTokens: 40, temperature: 0.5 })); // completed quick brown fox jumps over the lazy dog.
 * await trainer.dispose();
 * ```
 */
export async function createTrainer(opts: TrainerOptions = {}): Promise<Trainer> {
  checkKeys('createTrainer', opts, ['worker', 'workerUrl', 'wasm', 'kernels', 'workers', 'sharedMemory']);
  registerErrorTransfer();
  boolOpt('createTrainer.worker', opts.worker, true);
  boolOpt('createTrainer.sharedMemory', opts.sharedMemory, true);
  const hasWorkers = hasWebWorkers || isNode;
  // `auto` kernels are measured here, once per process, so that every replica loads one build
  if (opts.wasm === undefined) opts = { ...opts, kernels: await resolveKernels(opts.kernels) };
  const workers = await workerCount(opts.workers);
  if (workers > 1) {
    if (opts.worker === false) throw optionError('createTrainer: workers > 1 trains in workers; drop worker: false');
    if (!hasWorkers) throw optionError('createTrainer({ workers }): this runtime has no workers');
    if (opts.sharedMemory && !sharedMemoryAvailable())
      throw optionError('createTrainer.sharedMemory: SharedArrayBuffer is not available here (a page must be cross-origin isolated)');
    return parallelTrainer(workers, opts);
  }
  const useWorker = opts.worker ?? hasWorkers;
  if (!useWorker) {
    await init(opts.wasm, { kernels: opts.kernels });
    return new Trainer('thread', threadLink<SessionApi>(new Session()), kernelBackend());
  }
  if (!hasWorkers) throw optionError('createTrainer({ worker: true }): this runtime has no workers; use { worker: false }');
  const link = await workerLink(opts.workerUrl);
  let kernels: string;
  try {
    kernels = await link.port.init(opts.wasm, opts.kernels);
  } catch (e) {
    link.close(stateError('the worker could not be initialised'));
    throw e;
  }
  return new Trainer('worker', link, kernels);
}

/** `n` worker replicas behind a coordinator in this thread (parallel/coordinator.ts). */
async function parallelTrainer(n: number, opts: TrainerOptions): Promise<Trainer> {
  let parallel: ParallelSession | undefined;
  let kernels: string[] = [];
  const links: Link<WorkerApi>[] = [];
  const failed = (reason: Error) => parallel?.closeAll(reason);
  try {
    for (let w = 0; w < n; w++) links.push(await workerLink<WorkerApi>(opts.workerUrl, failed));
    kernels = await Promise.all(links.map((l) => l.port.init(opts.wasm, opts.kernels)));
  } catch (e) {
    for (const l of links) l.close(stateError('a training worker could not be initialised'));
    throw e;
  }
  parallel = new ParallelSession(links, opts.sharedMemory ?? sharedMemoryAvailable(), kernels[0], opts.workers === 'auto');
  return new Trainer('worker', threadLink<SessionApi>(parallel), kernels[0], parallel);
}
