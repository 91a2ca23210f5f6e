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
import { FIT_OPTION_KEYS, Session, type FitOptions, type GenerateOptions, type ModelInfo } from './session.js';
import type { ImportWeightsOptions } from './io/torch.js';
import { readSource, type ByteSource } from './io/source.js';
import type { ModelSpecJSON } from './spec.js';
import { init, type WasmSource } from './wasm.js';
import type { RemoteFitOptions, WorkerApi } from './worker/api.js';
import { registerErrorTransfer } from './worker/transfer.js';

export interface Trainer {
  readonly mode: 'worker' | 'thread';
  /** Builds a model from a builder (`sequential(...)`) or its JSON. */
  build(spec: ModelSpecJSON | { toJSON(): ModelSpecJSON }, opts?: { seed?: number }): Promise<ModelInfo>;
  compile(opts: CompileOptions): Promise<void>;
  setVocabulary(v: Vocabulary | VocabularyJSON | undefined): Promise<void>;
  info(): Promise<ModelInfo>;
  fit(data: DataLike, opts?: FitOptions): FitRun;
  evaluate(data: DataLike, opts?: { batchSize?: number }): Promise<EvalResult>;
  predict(input: BatchInput): Promise<Float32Array>;
  /** Stateful: continues from the previous call's final state until resetState(). */
  predictStep(input: BatchInput): Promise<Float32Array>;
  resetState(): Promise<void>;
  /** Text after a text prompt (needs a vocabulary), or ids after an id prompt. */
  generate(prompt: string, opts?: GenerateOptions): Promise<string>;
  generate(prompt: ArrayLike<number>, opts?: GenerateOptions): Promise<Uint32Array>;
  /** The model file (recurrent/1 safetensors), with what resuming needs unless training: false. */
  save(opts?: { training?: boolean }): Promise<Uint8Array>;
  /** From bytes, a file path (Node, Deno, Bun) or a URL. */
  load(source: ByteSource): Promise<ModelInfo>;
  getWeights(): Promise<Record<string, Float32Array>>;
  /** Parameters from a plain safetensors file of PyTorch-named tensors (a state_dict). */
  importWeights(source: ByteSource, opts?: ImportWeightsOptions): Promise<string[]>;
  /** Frees the model; in worker mode also ends the worker. */
  dispose(): Promise<void>;
}

export interface TrainerOptions {
  /** Train in a worker (default true where workers exist). */
  worker?: boolean;
  /** Where the worker script is (default: worker/worker.js next to this module). */
  workerUrl?: URL | string;
  /** Where the wasm comes from (default: next to the SDK). */
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
  async load(source: ByteSource) {
    return this.#s.load(await readSource(source));
  }
  async getWeights() {
    return this.#s.getWeights();
  }
  async importWeights(source: ByteSource, opts?: ImportWeightsOptions) {
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
  async load(source: ByteSource) {
    const bytes = await readSource(source);
    return this.#api.load(Comlink.transfer(bytes, [bytes.buffer]));
  }
  getWeights() {
    return this.#api.getWeights();
  }
  async importWeights(source: ByteSource, opts?: ImportWeightsOptions) {
    const bytes = await readSource(source);
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

/** A trainer in a worker (default where workers exist) or in the calling thread. */
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
