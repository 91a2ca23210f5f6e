// The GEMM micro-kernel's tiles, compared in one build (issue 20, item 4): for each tile that
// the build can run (R×8: R rows of C by 8 columns, `benchTiles`), the micro-kernel alone on
// panels in L1 (the tile's ceiling, `benchMicroKernelTile`) and the GEMM at the W1 shapes
// (`benchGemmTile`: B packed inside every call as `benchGemm` does, or once before the calls for
// the per-step products that a recurrent layer runs with W_hh packed once per pass), as a share of the ceiling
// of the tile the build ships (the last entry of `benchTiles`).
//
//   RECURRENT_WASM_FEATURES=bench-tiles bash scripts/build.sh   # once: the builds with every tile
//   node bench/tiles.mjs [--kernels simd128|relaxed-simd] [--turns 5] [--time 0.3] [--json out.json]
//
// The shipped builds carry only their own tile (the others are ~40 kB of bench-only code per
// .wasm); run `bash scripts/build.sh` again afterwards to get the shipped builds back.
// The tiles take turns (one timed run of each per turn) and every figure is the median over the
// turns. Each run is timed by the wall clock and by the process's CPU time (user + system): on
// a machine shared with other work, the CPU-time figure is the steadier one (the time the
// thread was not scheduled does not count), so both are printed. Node 20 needs
// --experimental-wasm-relaxed-simd for the relaxed build (`node --experimental-wasm-relaxed-simd
// bench/tiles.mjs --kernels relaxed-simd`); Node 22+ runs it as it is.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { init, kernelBackend } from '../dist/index.js';
import { wasm } from '../dist/wasm.js';
import { CEILING, GEMM_SHAPES, gflopRate, median, parseArgs } from './lib.mjs';

const args = parseArgs(process.argv.slice(2));
await init(undefined, { kernels: typeof args.kernels === 'string' ? args.kernels : 'auto' });
const e = wasm();
const turns = Number(args.turns ?? 5);
const time = Number(args.time ?? 0.3);
const all = [...e.benchTiles()];
const shipped = all.pop();
const tiles = all;
if (tiles.length < 2)
  console.log('this build has only its own tile: build with RECURRENT_WASM_FEATURES=bench-tiles bash scripts/build.sh to compare the others');

/** GFLOP/s of `call` (doing `flop` flops) for at least `time` s: [wall, cpu]. */
const rate = (call, flop) => gflopRate(call, flop, time);

const entries = [CEILING, ...GEMM_SHAPES];
/** runs[tile][entry] = list of [wall, cpu] */
const runs = Object.fromEntries(tiles.map((t) => [t, entries.map(() => [])]));
for (const t of tiles) {
  for (const s of GEMM_SHAPES) e.benchGemmTile(s.m, s.n, s.k, 0, t, false); // allocate the buffers
  rate(() => e.benchMicroKernelTile(CEILING.kc, 2000, t), 1); // warm up
}
for (let turn = 0; turn < turns; turn++) {
  for (const t of tiles) {
    const reps = 20000;
    const flop = e.benchMicroKernelTile(CEILING.kc, 1, t);
    runs[t][0].push(rate(() => e.benchMicroKernelTile(CEILING.kc, reps, t), flop * reps));
    GEMM_SHAPES.forEach((s, i) => {
      const f = 2 * s.m * s.n * s.k;
      const r = Math.max(1, Math.round(5e7 / f));
      runs[t][i + 1].push(rate(() => e.benchGemmTile(s.m, s.n, s.k, r, t, s.prepacked === true), f * r));
    });
  }
}

const med = (xs, j) => median(xs.map((x) => x[j]));
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  runtime: `node ${process.version}`,
  kernels: kernelBackend(),
  shippedTile: `${shipped}×8`,
};
console.log(
  `${machine.kernels} build (ships ${machine.shippedTile}); ${machine.cpu}, ${machine.cores} cores, ${machine.runtime}; median of ${turns} turns, GFLOP/s wall | cpu-time`,
);
const head = ['tile', ...entries.map((x) => (x.ceiling ? 'ceiling' : `${x.m}×${x.n}×${x.k}${x.prepacked ? ' (B packed)' : ''}`))];
console.log(head.map((h, i) => (i ? h.padStart(26) : h.padEnd(16))).join(''));
for (const t of tiles) {
  const cells = runs[t].map((xs) => `${med(xs, 0).toFixed(1)} | ${med(xs, 1).toFixed(1)}`);
  console.log([`${t}×8${t === shipped ? ' (shipped)' : ''}`, ...cells].map((c, i) => (i ? c.padStart(26) : c.padEnd(16))).join(''));
}
// the shipped tile's GEMM as a share of its own ceiling, per turn (both timed alike), then the median
const own = runs[shipped];
const shares = GEMM_SHAPES.map((_, i) => [0, 1].map((j) => median(own[i + 1].map((x, r) => x[j] / own[0][r][j]))));
console.log(`shipped tile, GEMM ÷ ceiling (median of per-turn shares, wall | cpu-time):`);
GEMM_SHAPES.forEach((s, i) => {
  console.log(`  ${`${s.m}×${s.n}×${s.k}`.padEnd(14)} ${(shares[i][0] * 100).toFixed(0)}% | ${(shares[i][1] * 100).toFixed(0)}%   ${s.name}`);
});
if (typeof args.json === 'string') {
  const out = {
    machine,
    turns,
    time,
    tiles: Object.fromEntries(
      tiles.map((t) => [`${t}x8`, entries.map((x, i) => ({ entry: x.ceiling ? 'ceiling' : `${x.m}x${x.n}x${x.k}`, runs: runs[t][i] }))]),
    ),
    shares,
  };
  writeFileSync(args.json, `${JSON.stringify(out, null, 1)}\n`);
}
