// Loading the wasm core. One module (wasm-bindgen --target web) serves every runtime:
// browsers and Deno fetch it next to this file, Node reads it from disk, and edge runtimes
// (workerd) pass a compiled WebAssembly.Module.

import { RecurrentTypeError } from './errors.js';
import { nodeApis } from './runtime.js';
import * as core from './wasm/recurrent_wasm.js';
import initWasm, { initSync } from './wasm/recurrent_wasm.js';

export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response;

let ready = false;
let loading: Promise<void> | undefined;

/**
 * Loads the wasm core; call once before anything else (later calls return at once).
 * `source` overrides where the module comes from (bytes, a compiled module or a URL).
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

/** Synchronous load from bytes or a compiled module (edge runtimes, workers). */
export function initFrom(module: BufferSource | WebAssembly.Module): void {
  if (ready) return;
  initSync({ module });
  ready = true;
}

export function isReady(): boolean {
  return ready;
}

/** The raw wasm-bindgen exports; throws E_NOT_READY before `init()` has finished. */
export function wasm(): typeof core {
  if (!ready) throw new RecurrentTypeError('E_NOT_READY', 'the recurrent wasm module is not loaded yet: call `await init()` first');
  return core;
}

/** Which kernels the loaded module runs ("simd128" for the shipped build). */
export function kernelBackend(): string {
  return wasm().kernelBackend();
}
