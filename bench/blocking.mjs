// The GEMM's cache blocking, compared in one build (issue 20: the GEMM at >= 90% of its
// micro-kernel's ceiling at every W1 shape): for each pair of block sizes (kc rows of B per
// packed block, mc rows of A packed at a time; `benchGemmBlocking`), the GEMM at the W1 shapes
// as a share of the micro-kernel's ceiling (the shipped tile alone on panels in L1), the
// variants and the ceiling taking turns, medians of the per-turn shares. Timed by the wall clock
// and by the process's CPU time (the steadier one on a shared machine), as bench/tiles.mjs does.
//
//   node bench/blocking.mjs [--kernels simd128|relaxed-simd] [--turns 5] [--time 0.3]
//
// Node 20 needs --experimental-wasm-relaxed-simd for the relaxed build.
import { cpus } from 'node:os';
import { init, kernelBackend } from '../dist/index.js';
import { wasm } from '../dist/wasm.js';
import { CEILING, GEMM_SHAPES, gflopRate, median, parseArgs } from './lib.mjs';

const args = parseArgs(process.argv.slice(2));
await init(undefined, { kernels: typeof args.kernels === 'string' ? args.kernels : 'auto' });
const e = wasm();
const turns = Number(args.turns ?? 5);
const time = Number(args.time ?? 0.3);
const tile = [...e.benchTiles()].pop();
/** [kc, mc]: the shipped blocking first (simd.rs KC, MC), then the others. */
const VARIANTS = [
  [512, 64],
  [256, 64],
  [256, 32],
  [256, 128],
  [128, 64],
];

/** GFLOP/s of `call` (doing `flop` flops) for at least `time` s: [wall, cpu]. */
const rate = (call, flop) => gflopRate(call, flop, time);

const ceiling = () => {
  const reps = 20000;
  const flop = e.benchMicroKernelTile(CEILING.kc, 1, tile);
  return rate(() => e.benchMicroKernelTile(CEILING.kc, reps, tile), flop * reps);
};
for (const [kc, mc] of VARIANTS) for (const s of GEMM_SHAPES) e.benchGemmBlocking(s.m, s.n, s.k, 0, kc, mc, false); // allocate
rate(() => e.benchMicroKernelTile(CEILING.kc, 2000, tile), 1); // warm up
/** shares[v][shape] = per-turn [wall, cpu] shares of that turn's ceiling */
const shares = VARIANTS.map(() => GEMM_SHAPES.map(() => []));
for (let turn = 0; turn < turns; turn++) {
  VARIANTS.forEach(([kc, mc], v) => {
    const c = ceiling();
    GEMM_SHAPES.forEach((s, i) => {
      const f = 2 * s.m * s.n * s.k;
      const r = Math.max(1, Math.round(5e7 / f));
      const g = rate(() => e.benchGemmBlocking(s.m, s.n, s.k, r, kc, mc, s.prepacked === true), f * r);
      shares[v][i].push([g[0] / c[0], g[1] / c[1]]);
    });
  });
}
console.log(
  `${kernelBackend()} build, ${tile}×8 tile; ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, node ${process.version}; ` +
    `GEMM ÷ ceiling, median of ${turns} turns, wall | cpu-time`,
);
console.log(['kc×mc'.padEnd(12), ...GEMM_SHAPES.map((s) => `${s.m}×${s.n}×${s.k}`.padStart(16))].join(''));
VARIANTS.forEach(([kc, mc], v) => {
  const cells = shares[v].map((xs) => `${(median(xs.map((x) => x[0])) * 100).toFixed(0)}% | ${(median(xs.map((x) => x[1])) * 100).toFixed(0)}%`);
  console.log([`${kc}×${mc}${v === 0 ? ' (shipped)' : ''}`.padEnd(12), ...cells.map((c) => c.padStart(16))].join(''));
});
