// What a worker exposes over comlink: a Session with async methods, plus init and abort.
import * as Comlink from 'comlink';
import type { DataLike } from '../data/source.js';
import type { VocabularyJSON } from '../data/vocab.js';
import type { EvalResult, FitEvent, FitResult } from '../events.js';
import type { BatchInput, CompileOptions } from '../model.js';
import { Session, type FitOptions, type GenerateOptions, type ModelInfo } from '../session.js';
import type { ModelSpecJSON } from '../spec.js';
import { init, type WasmSource } from '../wasm.js';
import type { ImportWeightsOptions } from '../io/torch.js';

export type RemoteFitOptions = Omit<FitOptions, 'signal' | 'onProgress'>;

export class WorkerApi {
  readonly #s = new Session();

  async init(source?: WasmSource): Promise<void> {
    await init(source);
  }
  build(spec: ModelSpecJSON, seed?: number): ModelInfo {
    return this.#s.build(spec, seed);
  }
  compile(opts: CompileOptions): void {
    this.#s.compile(opts);
  }
  setVocabulary(v: VocabularyJSON | undefined): void {
    this.#s.setVocabulary(v);
  }
  info(): ModelInfo {
    return this.#s.info();
  }
  fit(data: DataLike, opts: RemoteFitOptions, emit: (e: FitEvent) => void | Promise<void>): Promise<FitResult> {
    return this.#s.fit(data, opts, emit);
  }
  abort(): void {
    this.#s.abort();
  }
  evaluate(data: DataLike, opts?: { batchSize?: number }): EvalResult {
    return this.#s.evaluate(data, opts);
  }
  predict(input: BatchInput): Float32Array {
    const out = this.#s.predict(input);
    return Comlink.transfer(out, [out.buffer]);
  }
  predictStep(input: BatchInput): Float32Array {
    const out = this.#s.predictStep(input);
    return Comlink.transfer(out, [out.buffer]);
  }
  resetState(): void {
    this.#s.resetState();
  }
  generate(prompt: string | number[], opts?: GenerateOptions): string | Uint32Array {
    return this.#s.generate(prompt, opts);
  }
  save(opts?: { training?: boolean }): Uint8Array {
    const bytes = this.#s.save(opts);
    return Comlink.transfer(bytes, [bytes.buffer]);
  }
  load(bytes: Uint8Array): ModelInfo {
    return this.#s.load(bytes);
  }
  importWeights(bytes: Uint8Array, opts?: ImportWeightsOptions): string[] {
    return this.#s.importWeights(bytes, opts);
  }
  getWeights(): Record<string, Float32Array> {
    const w = this.#s.getWeights();
    return Comlink.transfer(
      w,
      Object.values(w).map((a) => a.buffer),
    );
  }
  dispose(): void {
    this.#s.dispose();
  }
}
