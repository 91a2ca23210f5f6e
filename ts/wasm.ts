// Loading the wasm core. One module (wasm-bindgen --target web) serves every runtime:
// browsers and Deno fetch it next to this file, Node reads it from disk, and edge runtimes
// (workerd) pass a compiled WebAssembly.Module. It comes in two builds of the same source with
// the same JS glue: simd128, and relaxed-simd (fused multiply-adds in the GEMM micro-kernel),
// which `init()` picks where the runtime validates a relaxed-SIMD probe.

import { optionError, RecurrentTypeError } from './errors.js';
import { calibrateKernels } from './kernel-choice.js';
import { nodeApis } from './runtime.js';
import * as core from './wasm/recurrent_wasm.js';
import initWasm, { initSync } from './wasm/recurrent_wasm.js';

/**
 * Where the wasm core can come from: its bytes, a compiled `WebAssembly.Module` (edge runtimes
 * such as workerd), a URL or path string, or a `fetch` `Response`.
 */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response;

/** Which kernel build to load: `auto` (relaxed-simd where the runtime supports it and it
 * measures faster here, else simd128: see {@link kernelCalibration}), or one of them forced. */
export type KernelChoice = 'auto' | 'simd128' | 'relaxed-simd';
const KERNEL_CHOICES: readonly KernelChoice[] = ['auto', 'simd128', 'relaxed-simd'];

/** Options of {@link init}. */
export interface InitOptions {
  /**
   * The kernel build (ignored when `source` is given: that module is loaded as it is).
   * @default the environment variable RECURRENT_KERNELS where the runtime has one, else 'auto'
   */
  kernels?: KernelChoice;
}

let ready = false;
let loading: Promise<void> | undefined;

/** A minimal module whose one function uses f32x4.relaxed_madd (0xfd 0x85 0x02): it validates
 * exactly where the runtime implements relaxed SIMD. */
const RELAXED_PROBE = (() => {
  const v128Const = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...v128Const, ...v128Const, ...v128Const, 0xfd, 0x85, 0x02, 0x0b];
  const code = [0x01, body.length, ...body];
  // magic, version; type section: () -> v128; function section: one of type 0; code section
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    0x01,
    0x05,
    0x01,
    0x60,
    0x00,
    0x01,
    0x7b,
    0x03,
    0x02,
    0x01,
    0x00,
    0x0a,
    code.length,
    ...code,
  ]);
})();

/** Whether this runtime accepts relaxed-SIMD wasm (Chromium, Deno, Bun and Node 22+ by default;
 * Node 20 only with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** RECURRENT_KERNELS from the environment (Node, Bun; Deno with --allow-env), if set. */
function envKernels(): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> }; Deno?: { env?: { get(k: string): string | undefined } } };
  try {
    return g.Deno?.env?.get('RECURRENT_KERNELS') ?? g.process?.env?.RECURRENT_KERNELS ?? undefined;
  } catch {
    return undefined; // Deno without env permission
  }
}

type Build = 'simd128' | 'relaxed-simd';

/** The kernel choice for `choice` (else RECURRENT_KERNELS, else auto; E_OPTION for an unknown name). */
function pickChoice(choice: unknown): KernelChoice {
  const c = (choice ?? envKernels() ?? 'auto') as KernelChoice;
  if (!KERNEL_CHOICES.includes(c))
    throw optionError(`kernels must be one of ${KERNEL_CHOICES.join(', ')} (got ${JSON.stringify(c)}${choice === undefined ? ' from RECURRENT_KERNELS' : ''})`);
  return c;
}

/** The build `choice` loads: auto measures both where both run (once per process, kernel-choice.ts). */
async function resolveBuild(c: KernelChoice): Promise<Build> {
  if (c !== 'auto') return c;
  if (!relaxedSimdSupported()) return 'simd128';
  return (await calibrateKernels(buildBytes)).choice;
}

/**
 * The build a kernel choice comes to in this process (E_OPTION for an unknown name): what
 * `init({ kernels })` would load. `createTrainer` resolves `auto` once, in the calling thread,
 * so that every replica runs the same build.
 * @internal
 */
export function resolveKernels(choice?: KernelChoice): Promise<Build> {
  return resolveBuild(pickChoice(choice));
}

/** Where a build's module lies: literal URLs, so that bundlers (Vite, webpack) emit both files as assets. */
function buildUrl(build: Build): URL {
  return build === 'relaxed-simd'
    ? new URL('./wasm/recurrent_wasm_relaxed_bg.wasm', import.meta.url)
    : new URL('./wasm/recurrent_wasm_bg.wasm', import.meta.url);
}

/** A build's bytes: read from disk in Node, fetched elsewhere. */
async function buildBytes(build: Build): Promise<BufferSource> {
  const url = buildUrl(build);
  if (nodeApis) {
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  return (await fetch(url)).arrayBuffer();
}

/**
 * Loads the wasm core. Call it once and await it before anything else that touches a model
 * (`sequential().build()`, `Model`, `RecurrentLayer`); later calls return at once, and a failed
 * load can be retried. `createTrainer` calls it for you (in the worker, too).
 *
 * With no `source`, it picks the kernel build (`opts.kernels`, else the environment variable
 * RECURRENT_KERNELS, else `auto`: where the runtime validates a relaxed-SIMD probe, both builds
 * run the same GEMM in turns for a fraction of a second, once per process, and relaxed-simd is
 * loaded only where it measured at least 3% faster (`kernelCalibration()` says what was
 * measured); else simd128); Node reads `wasm/recurrent_wasm[_relaxed]_bg.wasm` next to the SDK from disk
 * and other runtimes fetch it from `new URL('./wasm/…', import.meta.url)`.
 * @param source overrides where the module comes from: bytes or a compiled module load
 * synchronously; a URL, string or `Response` is fetched and streamed.
 * @param opts `kernels`: 'auto', 'simd128' or 'relaxed-simd'.
 * @example
 * ```ts
 * import { init, kernelBackend } from 'recurrent-nn';
 * await init();
 * console.log(kernelBackend()); // "relaxed-simd" or "simd128"
 * ```
 */
export function init(source?: WasmSource, opts: InitOptions = {}): Promise<void> {
  if (ready) return Promise.resolve();
  if (opts === null || typeof opts !== 'object') throw optionError('init: options must be an object');
  for (const k of Object.keys(opts)) if (k !== 'kernels') throw optionError(`unknown option init.${k} (allowed: kernels)`);
  const choice = source === undefined ? pickChoice(opts.kernels) : undefined;
  loading ??= (choice === undefined ? Promise.resolve(undefined) : resolveBuild(choice))
    .then((build) => load(source, build))
    .catch((e) => {
      loading = undefined;
      throw new RecurrentTypeError('E_NOT_READY', `init: the wasm module could not be loaded: ${(e as Error)?.message ?? String(e)}`);
    });
  return loading;
}

async function load(source: WasmSource | undefined, build: Build | undefined): Promise<void> {
  if (source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
    initSync({ module: source });
  } else if (source !== undefined) {
    await initWasm({ module_or_path: source });
  } else {
    if (nodeApis) initSync({ module: await buildBytes(build ?? 'simd128') });
    else await initWasm({ module_or_path: buildUrl(build ?? 'simd128') });
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
 * Which kernels the loaded module runs: "relaxed-simd" (fused multiply-adds; chosen by `init()`
 * where the runtime supports relaxed SIMD) or "simd128". Throws E_NOT_READY before `init()`.
 */
export function kernelBackend(): string {
  return wasm().kernelBackend();
}
