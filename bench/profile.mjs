// Where a data-parallel step's time goes: W1–W3 and the main job's shape trained by
// createTrainer({ workers: N }) through fit, in a steady state (one fit over --batches batches)
// and in short fits (--calls fits of 4 batches), each step split by phase (ts/parallel/profile.ts:
// compute, combine, apply, barrier, messaging, idle) and each fit's start-up.
//   node bench/profile.mjs [--workers 2] [--workload W1,W2,W3,main] [--batches 30] [--calls 6] [--message]
// --message: the message path (createTrainer({ sharedMemory: false })).
import { pathToFileURL } from 'node:url';
import { parseArgs } from './lib.mjs';
import { dataFor, NAMES, title, trainerFor } from './parallel.mjs';

// the same build as bench/parallel.mjs's (RECURRENT_DIST, else ../dist)
const dist = process.env.RECURRENT_DIST ? pathToFileURL(`${process.env.RECURRENT_DIST}/`).href : new URL('../dist/', import.meta.url).href;
const { setParallelProfile, parallelProfile } = await import(`${dist}parallel/profile.js`);
const args = parseArgs(process.argv.slice(2));
const workers = Number(args.workers ?? 2);
const names = typeof args.workload === 'string' ? args.workload.split(',') : NAMES;
const batches = Number(args.batches ?? 30);
const calls = Number(args.calls ?? 6);
const extra = args.message ? { sharedMemory: false } : {};

const f = (x) => x.toFixed(2).padStart(7);
console.log(
  `${(await import('node:os')).cpus()[0].model}, ${workers} workers${args.message ? ', message path' : ''}; ms per step (update), start-up ms per fit`,
);
console.log('workload                          | run       | tok/s  | step   | compute (imbal.) | combine | apply  | barrier | messaging | idle   | start-up');
for (const name of names) {
  const t = await trainerFor(name, workers, extra);
  const runs = [
    ['steady', batches, 1],
    ['4-batch', 4, calls],
  ];
  // warm-up: one short fit
  const warm = dataFor(name, 2);
  await t.fit(warm.data, warm.opts);
  for (const [label, nb, ncalls] of runs) {
    const { data, opts, tokens } = dataFor(name, nb);
    setParallelProfile(true);
    const t0 = performance.now();
    for (let c = 0; c < ncalls; c++) await t.fit(data, opts);
    const wall = performance.now() - t0;
    const p = parallelProfile();
    setParallelProfile(false);
    const s = Math.max(1, p.steps);
    const idle = p.wall - p.compute - p.combine - p.apply - p.barrier - p.messaging;
    console.log(
      `${title(name).padEnd(33)} | ${label.padEnd(9)} | ${String(Math.round((tokens * ncalls * 1000) / wall)).padStart(6)} | ${f(p.wall / s)} | ${f(p.compute / s)} (${(p.imbalance / s).toFixed(2)}) | ${f(p.combine / s)} | ${f(p.apply / s)} | ${f(p.barrier / s)} | ${f(p.messaging / s).padStart(9)} | ${f(idle / s)} | ${f(p.startup / Math.max(1, p.fits))}`,
    );
  }
  await t.dispose();
}
