// Loading the wasm core. One module (wasm-bindgen --target web) serves every runtime:
// browsers and Deno fetch it next to this file, Node reads it from disk, and edge runtimes
// (workerd) pass a compiled WebAssembly.Module.

import { RecurrentTypeError } from './errors.js';
import { nodeApis } from './runtime.js';
import * as core from './wasm/recurrent_wasm.js';
import initWasm, { initSync } from './wasm/recurrent_wasm.js';

/**
 * Where the wasm core can come from: its bytes, a compiled `WebAssembly.Module` (edge runtimes
 * such as workerd), a URL or path string, or a `fetch` `Response`.
 */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response;

let ready = false;
let loading: Promise<void> | undefined;

/**
 * Loads the wasm core. Call it once and await it before anything else that touches a model
 * (`sequential().build()`, `Model`, `RecurrentLayer`); later calls return at once, and a failed
 * load can be retried. `createTrainer` calls it for you (in the worker, too).
 *
 * With no `source`, Node reads `wasm/recurrent_wasm_bg.wasm` next to the SDK from disk and other
 * runtimes fetch it from `new URL('./wasm/recurrent_wasm_bg.wasm', import.meta.url)`.
 * @param source overrides where the module comes from: bytes or a compiled module load
 * synchronously; a URL, string or `Response` is fetched and streamed.
 * @example
 * ```ts
 * import { init, kernelBackend } from 'recurrent';
 * await init();
 * console.log(kernelBackend()); // "simd128"
 * ```
 */
export function init(source?: WasmSource): Promise<void> {
  if (ready) return Promise.resolve();
  loading ??= load(source).catch((e) => {
    loading = undefined;
    throw new RecurrentTypeError('E_NOT_READY', `init: the wasm module could not be loaded: ${(e as Error)?.message ?? String(e)}`);
  });
  return loading;
}

async function load(source?: WasmSource): Promise<void> {
  if (source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
    initSync({ module: source });
  } else if (source !== undefined) {
    await initWasm({ module_or_path: source });
  } else if (nodeApis) {
    const { readFile } = await import('node:fs/promises');
    initSync({ module: await readFile(new URL('./wasm/recurrent_wasm_bg.wasm', import.meta.url)) });
  } else {
    await initWasm({ module_or_path: new URL('./wasm/recurrent_wasm_bg.wasm', import.meta.url) });
  }
  ready = true;
}

/**
 * Loads the wasm core synchronously from its bytes or a compiled module (edge runtimes,
 * workers). A no-op once loaded.
 */
export function initFrom(module: BufferSource | WebAssembly.Module): void {
  if (ready) return;
  initSync({ module });
  ready = true;
}

/** Whether the wasm core has been loaded (`init()` or `initFrom()` has finished). */
export function isReady(): boolean {
  return ready;
}

/**
 * The raw wasm-bindgen exports; throws E_NOT_READY before `init()` has finished.
 * @internal
 */
export function wasm(): typeof core {
  if (!ready) throw new RecurrentTypeError('E_NOT_READY', 'the recurrent wasm module is not loaded yet: call `await init()` first');
  return core;
}

/**
 * Which kernels the loaded module runs ("simd128" for the shipped build). Throws E_NOT_READY
 * before `init()`.
 */
export function kernelBackend(): string {
  return wasm().kernelBackend();
}
