// createTrainer: the same training API in the calling thread or in a worker.
//   const t = await createTrainer({ worker: true });   // Node worker_threads / module Worker
//   await t.build(sequential({ input: { vocab } })...lstm({ units: 128 }).dense({ units: vocab }));
//   await t.compile({ optimizer: { name: 'adam', lr: 2e-3 }, clipNorm: 5 });
//   for await (const e of t.fit(textWindows(ids, { steps: 64 }), { epochs: 2 })) console.log(e);
// In worker mode the model lives in the worker: data is copied in (typed arrays transferred),
// progress events come back through a comlink callback, and errors keep their codes.
import * as Comlink from 'comlink';
import type { DataLike } from './data/source.js';
import { Vocabulary, type VocabularyJSON } from './data/vocab.js';
import { checkKeys, optionError } from './errors.js';
import { FitRun, type EvalResult, type FitEvent } from './events.js';
import type { BatchInput, CompileOptions } from './model.js';
import { FIT_OPTION_KEYS, readSource, Session, type FitOptions, type GenerateOptions, type ModelInfo } from './session.js';
import type { ModelSpecJSON } from './spec.js';
import { init, type WasmSource } from './wasm.js';
import type { RemoteFitOptions, WorkerApi } from './worker/api.js';
import { registerErrorTransfer } from './worker/transfer.js';

/**
 * One model with its vocabulary and training position, and everything to train and run it:
 * the same API in a worker (`mode: 'worker'`: Node `worker_threads`, a module Web Worker, Deno or
 * Bun workers) or in the calling thread (`mode: 'thread'`). Make one with {@link createTrainer}.
 *
 * In worker mode the model lives in the worker: data is copied in (typed arrays transferred),
 * progress events come back as messages, and errors keep their `code`. Every method returns a
 * promise; call them one at a time per trainer (`build`, `compile`, `load` and `importWeights`
 * while `fit` runs are E_STATE). End with `dispose()`.
 * @example
 * ```ts
 * import { init, sequential, createTrainer, textWindows, Vocabulary } from 'recurrent';
 * const text = 'the cat sat on the mat. '.repeat(20);
 * const vocab = Vocabulary.fromText(text);
 * const trainer = await createTrainer({ worker: false });
 * await trainer.build(sequential({ input: { vocab: vocab.size } }).embedding({ dim: 16 }).gru({ units: 32 }).dense({ units: vocab.size }), { seed: 1 });
 * await trainer.setVocabulary(vocab);
 * await trainer.compile({ optimizer: { name: 'adam', lr: 1e-2 } });
 * const result = await trainer.fit(textWindows(vocab.encode(text), { steps: 16 }), { epochs: 2, batchSize: 8 });
 * console.log(result.stopReason, await trainer.generate('the ', { maxTokens: 20, seed: 1 }));
 * await trainer.dispose();
 * ```
 */
export interface Trainer {
  /** Where the model lives: `'worker'` or `'thread'` (the calling thread). */
  readonly mode: 'worker' | 'thread';
  /**
   * Builds a model from a builder (`sequential(...)`) or its JSON, initialised from `opts.seed`
   * (default 0), replacing any model this trainer had (and forgetting a vocabulary of another
   * size). Resolves to the model's {@link ModelInfo}.
   * @example
   * ```ts
   * const info = await trainer.build(sequential({ input: { vocab: 80 } }).embedding({ dim: 32 }).lstm({ units: 128 }).dense({ units: 80 }), { seed: 1 });
   * console.log(info.paramCount, info.paramNames);
   * ```
   */
  build(spec: ModelSpecJSON | { toJSON(): ModelSpecJSON }, opts?: { seed?: number }): Promise<ModelInfo>;
  /**
   * Sets the loss, optimizer, clipping and schedule ({@link CompileOptions}); resets the
   * optimizer's state. Needed before `fit`.
   */
  compile(opts: CompileOptions): Promise<void>;
  /**
   * Attaches a vocabulary (saved with the model; text prompts for `generate` need one). Its size must
   * equal the model's `input.vocab` (E_RANGE); `undefined` removes it.
   */
  setVocabulary(v: Vocabulary | VocabularyJSON | undefined): Promise<void>;
  /** The model's architecture, seed, parameters, vocabulary, compile options and training position. */
  info(): Promise<ModelInfo>;
  /**
   * Trains on `data` ({@link textWindows}, {@link examples} or a plain array of examples) with
   * the {@link FitOptions}. The returned {@link FitRun} is a promise of the {@link FitResult} and also
   * an async iterator of {@link StepEvent}s and {@link EpochEvent}s. Aborting (`signal`) or running
   * out of `timeBudgetMs` stops at a batch boundary and resolves normally (see `stopReason`), the
   * model valid and savable. Needs `compile` first (E_OPTION).
   * @example
   * ```ts
   * const controller = new AbortController();
   * const run = trainer.fit(textWindows(ids, { steps: 64 }), { epochs: 10, batchSize: 32, signal: controller.signal });
   * for await (const e of run) if (e.type === 'epoch') console.log(e.epoch, e.loss, e.tokensPerSec);
   * const { stopReason, steps } = await run;
   * ```
   */
  fit(data: DataLike, opts?: FitOptions): FitRun;
  /**
   * Mean loss over a data set (windows are tiled, not drawn at random), with bits per token and
   * accuracy for cross-entropy models; the model does not change.
   * @param opts.batchSize rows per forward (default 32)
   */
  evaluate(data: DataLike, opts?: { batchSize?: number }): Promise<EvalResult>;
  /**
   * Runs the model on one padded batch ({@link BatchInput}: ids [B·T] or features [B·T·F]).
   * Resolves to a `Float32Array` of shape [B, T, outputs] for per-step models (row `b·T + t`) or
   * [B, outputs] for many-to-one models (`returnSequences: false`), row-major; `outputs` is the last
   * layer's units. The values are raw outputs: logits (not probabilities: apply a softmax) for a
   * classifier or language model, predicted values for a regression model. Rows past a sequence's
   * length are padding. Stateless: every call starts from zero states (see `predictStep`).
   * @example
   * ```ts
   * const b = padBatch([vocab.encode('the c'), vocab.encode('a m')]);      // ids [2·5], lengths [5, 3]
   * const logits = await trainer.predict(b);                                // [2, 5, vocab.size]
   * const last = logits.subarray((0 * b.steps + 4) * vocab.size, (0 * b.steps + 5) * vocab.size); // row 0, step 4
   * ```
   */
  predict(input: BatchInput): Promise<Float32Array>;
  /** Stateful: continues from the previous call's final state until resetState(). */
  predictStep(input: BatchInput): Promise<Float32Array>;
  /** Forgets the state kept by `predictStep`. */
  resetState(): Promise<void>;
  /**
   * Text after a text prompt (needs a vocabulary, E_OPTION otherwise), or ids after an id prompt.
   * Feeds the prompt from a zero state, then samples `maxTokens` symbols one at a time, each fed back;
   * the whole loop runs inside wasm. Resolves to the continuation only (without the prompt).
   * The same seed gives the same text on every runtime. Needs a token model with a per-step output
   * over the vocabulary.
   * @example
   * ```ts
   * const text = await trainer.generate('Call me ', { maxTokens: 200, temperature: 0.8, topK: 20, seed: 7 });
   * const greedy = await trainer.generate('Call me ', { maxTokens: 50, temperature: 0 });
   * ```
   */
  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  /** Ids after an id prompt (≥ 1 id): the sampled ids only, as a `Uint32Array`. */
  generate(prompt: ArrayLike<number>, opts?: GenerateOptions): Promise<Uint32Array>;
  /**
   * The model file (format `recurrent/1`: safetensors with PyTorch parameter names, the
   * architecture, seed and vocabulary in its metadata). By default it also holds what resuming
   * needs: the compile options, the training position, the optimizer's state and the dropout
   * generator, so `load` + `fit({ resume: true })` continues exactly. `{ training: false }` leaves
   * those out: a smaller file for inference (the same parameters; `load` gives an uncompiled model).
   * PyTorch reads it with `safetensors.torch.load_file`.
   * @param opts.training include the training state (default true)
   * @example
   * ```ts
   * const bytes = await trainer.save();                         // Uint8Array, resumable
   * const small = await trainer.save({ training: false });      // for inference only
   * await writeFile('model.safetensors', small);                // Node
   * ```
   */
  save(opts?: { training?: boolean }): Promise<Uint8Array>;
  /**
   * Replaces the model with one from a `recurrent/1` file: bytes, a file path (Node, Deno, Bun)
   * or a URL (fetched). Round trips are bit-exact. A corrupt, truncated or wrong-version file is
   * E_FORMAT, and the current model stays as it was.
   * @example
   * ```ts
   * await trainer.load('runs/model.safetensors');
   * await trainer.fit(data, { epochs: 12, resume: true });     // continue where it stopped
   * ```
   */
  load(source: Uint8Array | ArrayBuffer | string | URL): Promise<ModelInfo>;
  /** Copies of every parameter by PyTorch name (`rnn.weight_ih_l0`, `head.bias`, …), row-major. */
  getWeights(): Promise<Record<string, Float32Array>>;
  /**
   * Sets the parameters from a plain safetensors file of PyTorch-named F32 tensors (a
   * `state_dict`, e.g. `safetensors.torch.save_file(model.state_dict(), path)` of an equivalent
   * PyTorch model: same names, shapes and gate orders). Every parameter of the built model must be
   * present with its shape and finite (E_FORMAT naming it otherwise), and nothing changes unless the
   * whole file fits; extra tensors are ignored. Resolves to the names set. Build the model first.
   * @param opts.stripPrefix a prefix to remove from the file's names (e.g. `"model."`)
   */
  importWeights(source: Uint8Array | ArrayBuffer | string | URL, opts?: { stripPrefix?: string }): Promise<string[]>;
  /**
   * Frees the model's wasm memory; in worker mode also ends the worker. The trainer is unusable
   * afterwards. Not needed for correctness in short scripts, but a worker keeps its memory until
   * disposed.
   */
  dispose(): Promise<void>;
}

/** Options of {@link createTrainer}. */
export interface TrainerOptions {
  /**
   * Train in a worker rather than the calling thread. `true` where the runtime has no workers is
   * E_OPTION.
   * @default true where workers exist (Node, browsers, Deno, Bun), else false
   */
  worker?: boolean;
  /**
   * Where the worker script is, for bundlers that cannot follow the SDK's
   * `new URL('./worker/worker.js', import.meta.url)`.
   * @default worker/worker.js next to this module
   */
  workerUrl?: URL | string;
  /**
   * Where the wasm comes from (bytes, a compiled module, a URL); see {@link init}.
   * @default wasm/recurrent_wasm_bg.wasm next to the SDK
   */
  wasm?: WasmSource;
}

const specOf = (s: ModelSpecJSON | { toJSON(): ModelSpecJSON }): ModelSpecJSON =>
  typeof (s as { toJSON?: unknown }).toJSON === 'function' ? (s as { toJSON(): ModelSpecJSON }).toJSON() : (s as ModelSpecJSON);
const vocabJSON = (v: Vocabulary | VocabularyJSON | undefined) => (v instanceof Vocabulary ? v.toJSON() : v);

function splitFitOptions(opts: FitOptions): { remote: RemoteFitOptions; signal?: AbortSignal; onProgress?: (e: FitEvent) => void } {
  checkKeys('fit', opts, FIT_OPTION_KEYS);
  const { signal, onProgress, ...remote } = opts;
  return { remote, signal, onProgress };
}

class ThreadTrainer implements Trainer {
  readonly mode = 'thread' as const;
  readonly #s = new Session();
  async build(spec: ModelSpecJSON | { toJSON(): ModelSpecJSON }, opts: { seed?: number } = {}) {
    checkKeys('build', opts, ['seed']);
    return this.#s.build(specOf(spec), opts.seed);
  }
  async compile(opts: CompileOptions) {
    this.#s.compile(opts);
  }
  async setVocabulary(v: Vocabulary | VocabularyJSON | undefined) {
    this.#s.setVocabulary(v);
  }
  async info() {
    return this.#s.info();
  }
  fit(data: DataLike, opts: FitOptions = {}): FitRun {
    checkKeys('fit', opts, FIT_OPTION_KEYS);
    return new FitRun((emit) => this.#s.fit(data, opts, emit));
  }
  async evaluate(data: DataLike, opts?: { batchSize?: number }) {
    return this.#s.evaluate(data, opts);
  }
  async predict(input: BatchInput) {
    return this.#s.predict(input);
  }
  async predictStep(input: BatchInput) {
    return this.#s.predictStep(input);
  }
  async resetState() {
    this.#s.resetState();
  }
  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  generate(prompt: ArrayLike<number>, opts?: GenerateOptions): Promise<Uint32Array>;
  async generate(prompt: string | ArrayLike<number>, opts?: GenerateOptions): Promise<string | Uint32Array> {
    return this.#s.generate(prompt, opts);
  }
  async save(opts?: { training?: boolean }) {
    return this.#s.save(opts);
  }
  async load(source: Uint8Array | ArrayBuffer | string | URL) {
    return this.#s.load(await readSource(source));
  }
  async getWeights() {
    return this.#s.getWeights();
  }
  async importWeights(source: Uint8Array | ArrayBuffer | string | URL, opts?: { stripPrefix?: string }) {
    return this.#s.importWeights(await readSource(source), opts);
  }
  async dispose() {
    this.#s.dispose();
  }
}

/** Copies typed arrays inside data into fresh buffers and lists them for transfer. */
function transferable(data: DataLike): [DataLike, Transferable[]] {
  const list: Transferable[] = [];
  const copy = <T extends ArrayBufferView>(a: T): T => {
    const c = (a as unknown as { slice(): T }).slice();
    list.push(c.buffer as ArrayBuffer);
    return c;
  };
  if (!Array.isArray(data) && data.kind === 'windows') return [{ ...data, ids: copy(data.ids) }, list];
  return [data, list];
}

class WorkerTrainer implements Trainer {
  readonly mode = 'worker' as const;
  readonly #api: Comlink.Remote<WorkerApi>;
  readonly #terminate: () => void;
  constructor(api: Comlink.Remote<WorkerApi>, terminate: () => void) {
    this.#api = api;
    this.#terminate = terminate;
  }
  build(spec: ModelSpecJSON | { toJSON(): ModelSpecJSON }, opts: { seed?: number } = {}) {
    checkKeys('build', opts, ['seed']);
    return this.#api.build(specOf(spec), opts.seed);
  }
  compile(opts: CompileOptions) {
    return this.#api.compile(opts);
  }
  setVocabulary(v: Vocabulary | VocabularyJSON | undefined) {
    return this.#api.setVocabulary(vocabJSON(v));
  }
  info() {
    return this.#api.info();
  }
  fit(data: DataLike, opts: FitOptions = {}): FitRun {
    const { remote, signal, onProgress } = splitFitOptions(opts);
    if (remote.validation !== undefined) {
      const [v, vt] = transferable(remote.validation);
      remote.validation = v;
      void vt; // validation data is structured-cloned with the options
    }
    const [d, t] = transferable(data);
    return new FitRun(async (emit) => {
      const onAbort = () => void this.#api.abort();
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort);
      try {
        return await this.#api.fit(
          Comlink.transfer(d, t),
          remote,
          Comlink.proxy((e: FitEvent) => {
            onProgress?.(e);
            emit(e);
          }),
        );
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }
  evaluate(data: DataLike, opts?: { batchSize?: number }) {
    const [d, t] = transferable(data);
    return this.#api.evaluate(Comlink.transfer(d, t), opts);
  }
  predict(input: BatchInput) {
    return this.#api.predict(input);
  }
  predictStep(input: BatchInput) {
    return this.#api.predictStep(input);
  }
  resetState() {
    return this.#api.resetState();
  }
  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  generate(prompt: ArrayLike<number>, opts?: GenerateOptions): Promise<Uint32Array>;
  generate(prompt: string | ArrayLike<number>, opts?: GenerateOptions): Promise<string | Uint32Array> {
    return this.#api.generate(typeof prompt === 'string' ? prompt : Array.from(prompt), opts) as Promise<string | Uint32Array>;
  }
  save(opts?: { training?: boolean }) {
    return this.#api.save(opts);
  }
  async load(source: Uint8Array | ArrayBuffer | string | URL) {
    const bytes = (await readSource(source)).slice();
    return this.#api.load(Comlink.transfer(bytes, [bytes.buffer]));
  }
  getWeights() {
    return this.#api.getWeights();
  }
  async importWeights(source: Uint8Array | ArrayBuffer | string | URL, opts?: { stripPrefix?: string }) {
    const bytes = (await readSource(source)).slice();
    return this.#api.importWeights(Comlink.transfer(bytes, [bytes.buffer]), opts);
  }
  async dispose() {
    try {
      await this.#api.dispose();
    } finally {
      this.#api[Comlink.releaseProxy]();
      this.#terminate();
    }
  }
}

const isNode = () =>
  typeof process !== 'undefined' &&
  typeof process.versions?.node === 'string' &&
  typeof (globalThis as { Deno?: unknown }).Deno === 'undefined' &&
  typeof (globalThis as { Bun?: unknown }).Bun === 'undefined';

/**
 * Creates a {@link Trainer}: in a worker (the default where workers exist) or in the calling
 * thread (`{ worker: false }`). Loads the wasm core where the model will live, so no `init()` is
 * needed first.
 * @example
 * ```ts
 * import { createTrainer } from 'recurrent';
 * const inWorker = await createTrainer();                     // worker_threads / Web Worker
 * const here = await createTrainer({ worker: false });        // this thread (edge runtimes: pass { wasm: module })
 * await Promise.all([inWorker.dispose(), here.dispose()]);
 * ```
 */
export async function createTrainer(opts: TrainerOptions = {}): Promise<Trainer> {
  checkKeys('createTrainer', opts, ['worker', 'workerUrl', 'wasm']);
  registerErrorTransfer();
  const hasWorkers = typeof Worker !== 'undefined' || isNode();
  const useWorker = opts.worker ?? hasWorkers;
  if (!useWorker) {
    await init(opts.wasm);
    return new ThreadTrainer();
  }
  if (!hasWorkers) throw optionError('createTrainer({ worker: true }): this runtime has no workers; use { worker: false }');
  let api: Comlink.Remote<WorkerApi>;
  let terminate: () => void;
  if (isNode()) {
    const { Worker: NodeWorker } = await import('node:worker_threads');
    const nodeEndpoint = (await import('comlink/dist/umd/node-adapter.js')).default as unknown as (ep: unknown) => Comlink.Endpoint;
    const here = import.meta.url; // (not the literal pattern below, so bundlers leave it alone)
    const url = opts.workerUrl ?? new URL('./worker/worker.js', here);
    const w = new NodeWorker(url instanceof URL ? url : new URL(url));
    w.unref();
    api = Comlink.wrap<WorkerApi>(nodeEndpoint(w));
    terminate = () => void w.terminate();
  } else {
    // The literal `new Worker(new URL('…', import.meta.url), { type: 'module' })` form is what
    // bundlers (Vite, webpack 5, Parcel) recognise: they bundle the worker script with its imports.
    const w =
      opts.workerUrl !== undefined
        ? new Worker(opts.workerUrl, { type: 'module' })
        : new Worker(new URL('./worker/worker.js', import.meta.url), { type: 'module' });
    api = Comlink.wrap<WorkerApi>(w);
    terminate = () => w.terminate();
  }
  try {
    await api.init(opts.wasm instanceof WebAssembly.Module ? opts.wasm : (opts.wasm as WasmSource | undefined));
  } catch (e) {
    terminate();
    throw e;
  }
  return new WorkerTrainer(api, terminate);
}
