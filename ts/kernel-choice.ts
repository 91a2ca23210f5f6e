// `kernels: 'auto'`: which kernel build to load where the runtime supports both. The
// relaxed-SIMD build (fused multiply-adds) is faster on the hosts measured so far, but nothing
// promises it everywhere, so `auto` measures: both builds run the same GEMM (the W1 recurrent
// step's product, `benchGemm`) in turns for a fraction of a second, once per process, and
// relaxed-SIMD is chosen only where it is clearly faster (AUTO_MARGIN); otherwise simd128, the
// build every runtime has. The modules are instantiated bare for this (their imports are stubs
// that throw: `benchGemm` calls none), so nothing of the SDK's state is touched.

/** What the calibration found. Times are the fastest of its turns, per call, in ms. */
export interface KernelVerdict {
  /** The build `auto` loads. */
  choice: 'simd128' | 'relaxed-simd';
  /** simd128 time ÷ relaxed-SIMD time (above 1: relaxed-SIMD is faster). */
  speedup: number;
  /** The simd128 build's fastest turn, ms per call. */
  simd128Ms: number;
  /** The relaxed-SIMD build's fastest turn, ms per call. */
  relaxedMs: number;
}

/** How much faster relaxed-SIMD must measure to be chosen: the spread two equal builds show
 * when they take turns on a busy machine, so `auto` never picks a build that is not faster. */
export const AUTO_MARGIN = 1.03;

/** The verdict from per-turn times (ms) of each build: the fastest turn of each (interference
 * only slows a turn down), relaxed-SIMD where it is at least AUTO_MARGIN times faster. */
export function chooseKernels(simd128Ms: readonly number[], relaxedMs: readonly number[]): KernelVerdict {
  const s = Math.min(...simd128Ms);
  const r = Math.min(...relaxedMs);
  const speedup = s / r;
  return { choice: Number.isFinite(speedup) && speedup >= AUTO_MARGIN ? 'relaxed-simd' : 'simd128', speedup, simd128Ms: s, relaxedMs: r };
}

type BenchGemm = (m: number, n: number, k: number, reps: number) => number;

/** The `benchGemm` export of a bare instance of the module `bytes`. */
async function benchOf(bytes: BufferSource | WebAssembly.Module): Promise<BenchGemm> {
  const mod = bytes instanceof WebAssembly.Module ? bytes : await WebAssembly.compile(bytes);
  const imports: Record<string, Record<string, () => never>> = {};
  for (const i of WebAssembly.Module.imports(mod)) {
    imports[i.module] ??= {};
    imports[i.module][i.name] = () => {
      throw new Error(`kernel calibration: the module called its import ${i.name}`);
    };
  }
  const inst = await WebAssembly.instantiate(mod, imports);
  return inst.exports.benchGemm as BenchGemm;
}

/** The calibration's product: C[32×1024] = A[32×256]·B[1024×256]ᵀ (W1's recurrent step), 4 times a call. */
const SHAPE = [32, 1024, 256, 4] as const;

/** Times both builds in turns (after a warm-up that lets the engine's optimising tier compile
 * them) and returns the verdict. `clock` is in ms. */
export async function measureKernels(
  load: (build: 'simd128' | 'relaxed-simd') => Promise<BufferSource | WebAssembly.Module>,
  opts: { turns?: number; warmupMs?: number; clock?: () => number } = {},
): Promise<KernelVerdict> {
  const clock = opts.clock ?? (() => performance.now());
  const [simd, relaxed] = await Promise.all([load('simd128').then(benchOf), load('relaxed-simd').then(benchOf)]);
  const time = (f: BenchGemm) => {
    const t0 = clock();
    f(...SHAPE);
    return clock() - t0;
  };
  simd(SHAPE[0], SHAPE[1], SHAPE[2], 0); // allocate their buffers
  relaxed(SHAPE[0], SHAPE[1], SHAPE[2], 0);
  let verdict: KernelVerdict | undefined;
  // a fused multiply-add cannot make the GEMM twice as fast (or slow): a ratio past PLAUSIBLE
  // means one module still ran in the engine's baseline tier (seen in Deno and Bun on a busy
  // machine), so it is measured again after a longer warm-up
  for (let attempt = 0, warm = opts.warmupMs ?? 60; attempt < 3; attempt++, warm *= 3) {
    // the warm-up takes turns too, so that the optimising tier compiles both before the first timed turn
    const t0 = clock();
    while (clock() - t0 < warm) {
      time(simd);
      time(relaxed);
    }
    const s: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < (opts.turns ?? 7); i++) {
      s.push(time(simd));
      r.push(time(relaxed));
    }
    verdict = chooseKernels(s, r);
    if (verdict.speedup < PLAUSIBLE && verdict.speedup > 1 / PLAUSIBLE) break;
  }
  return verdict!;
}

/** The largest speed ratio between the builds that a measurement is believed at. */
const PLAUSIBLE = 1.8;

let cached: Promise<KernelVerdict> | undefined;
let settled: KernelVerdict | undefined;

/** {@link measureKernels}, once per process (later calls share the first one's answer). */
export function calibrateKernels(load: (build: 'simd128' | 'relaxed-simd') => Promise<BufferSource | WebAssembly.Module>): Promise<KernelVerdict> {
  cached ??= measureKernels(load).then(
    (v) => {
      settled = v;
      return v;
    },
    (e) => {
      cached = undefined;
      throw e;
    },
  );
  return cached;
}

/**
 * What `kernels: 'auto'` measured in this process (undefined where it has not had to measure:
 * a build was forced, or the runtime has no relaxed SIMD).
 * @example
 * ```ts
 * import { init, kernelCalibration } from 'recurrent-nn';
 * await init();
 * console.log(kernelCalibration()); // { choice: 'relaxed-simd', speedup: 1.21, simd128Ms: 0.93, relaxedMs: 0.77 }
 * ```
 */
export function kernelCalibration(): KernelVerdict | undefined {
  return settled;
}
