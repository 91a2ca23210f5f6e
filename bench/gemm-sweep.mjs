// Where the GEMM loses to its ceiling (issue 20): the shipped GEMM (B packed once, as a recurrent
// layer packs W_hh once per pass) over a sweep of shapes around the W1 per-step products, as a
// share of the micro-kernel's ceiling (panels in L1) measured in the same turns. Varying n (and
// k) at m = 32 varies how much packed B each product streams; varying m, how many rows use each
// streamed B panel. Timed by CPU time (the steadier figure on a shared machine), as tiles.mjs.
//
//   node bench/gemm-sweep.mjs [--kernels simd128|relaxed-simd] [--turns 7] [--time 0.12]
//                             [--shapes '[[32,1024,256],[64,1024,256]]']
//
// Each cell: the best turn's GEMM ÷ the best turn's ceiling, then the median turn's ÷ the median
// ceiling. Node 20 needs --experimental-wasm-relaxed-simd for the relaxed build.
import { cpus } from 'node:os';
import { init, kernelBackend } from '../dist/index.js';
import { wasm } from '../dist/wasm.js';
import { CEILING, gflopRate, median, parseArgs } from './lib.mjs';

const args = parseArgs(process.argv.slice(2));
await init(undefined, { kernels: typeof args.kernels === 'string' ? args.kernels : 'auto' });
const e = wasm();
const turns = Number(args.turns ?? 7);
const time = Number(args.time ?? 0.12);
/** [m, n, k]: C[m×n] = A[m×k]·B[n×k]ᵀ with B packed before the timed calls. */
const shapes =
  typeof args.shapes === 'string'
    ? JSON.parse(args.shapes)
    : [
        [32, 128, 256],
        [32, 256, 256],
        [32, 512, 256],
        [32, 1024, 256],
        [32, 2048, 256],
        [64, 1024, 256],
        [128, 1024, 256],
        [32, 256, 512],
        [32, 256, 1024],
      ];
const tile = [...e.benchTiles()].pop();
const ceiling = () => {
  const reps = 5000;
  const flop = e.benchMicroKernelTile(CEILING.kc, 1, tile);
  return gflopRate(() => e.benchMicroKernelTile(CEILING.kc, reps, tile), flop * reps, time)[1];
};
const runs = shapes.map(() => []);
const ceilings = [];
ceiling(); // warm up
for (let t = 0; t < turns; t++) {
  ceilings.push(ceiling());
  shapes.forEach(([m, n, k], i) => {
    const f = 2 * m * n * k;
    const reps = Math.max(1, Math.round(2e7 / f));
    runs[i].push(gflopRate(() => e.benchGemmTile(m, n, k, reps, tile, true), f * reps, time)[1]);
  });
}
const best = Math.max(...ceilings);
console.log(
  `${kernelBackend()} build, ${tile}×8 tile; ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, node ${process.version}; ` +
    `ceiling ${best.toFixed(1)} GFLOP/s (best of ${turns} turns, CPU time)`,
);
console.log(`${'m×n×k'.padEnd(14)}${'packed B'.padStart(10)}${'best'.padStart(8)}${'median'.padStart(8)}`);
shapes.forEach(([m, n, k], i) => {
  const kb = `${Math.round((n * k * 4) / 1024)} kB`;
  const share = (x, c) => `${((x / c) * 100).toFixed(0)}%`;
  console.log(
    `${`${m}×${n}×${k}`.padEnd(14)}${kb.padStart(10)}${share(Math.max(...runs[i]), best).padStart(8)}${share(median(runs[i]), median(ceilings)).padStart(8)}`,
  );
});
