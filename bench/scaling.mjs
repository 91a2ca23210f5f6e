// Data-parallel scaling, turn by turn: W1–W3 and the main job's shape trained through fit by
// one worker, by 2 replicas (shared memory), by 2 replicas on the message path and by
// workers: 'auto', all alive in one process and taking turns (so each ratio compares runs made
// under the same conditions), in a steady state (one fit over --batches batches) and in short
// fits (4 batches per call, --calls calls). Prints tokens/s (medians) and the per-turn ratios'
// medians; about 6 minutes on an idle 2-core host with the defaults (estimated from step times;
// on this busy 2-vCPU host the defaults would take 15–20).
//   node bench/scaling.mjs [--workload W1,W2,W3,main] [--turns 5] [--batches 24] [--calls 3] [--json out.json]
// RECURRENT_DIST=/path/to/dist measures another build (bench/parallel.mjs); a build without
// workers: 'auto' measurement (before issue 20) shows 'auto' as one replica per core.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from './lib.mjs';
import { dataFor, median, NAMES, title, trainerFor } from './parallel.mjs';

const args = parseArgs(process.argv.slice(2));
const names = typeof args.workload === 'string' ? args.workload.split(',') : NAMES;
const turns = Number(args.turns ?? 5);
const batches = Number(args.batches ?? 24);
const calls = Number(args.calls ?? 3);
const CONFIGS = [
  ['1 worker', 1, {}],
  ['2 shared', 2, {}],
  ['2 messages', 2, { sharedMemory: false }],
  ['auto', 'auto', {}],
];

const machine = { cpu: cpus()[0].model, cores: cpus().length, node: process.version, loadavgStart: loadavg() };
console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`);
console.log(
  `${turns} turns; steady: one fit over ${batches} batches; short: ${calls} fits of 4 batches; tokens/s medians, ratios = medians of per-turn ratios to 1 worker`,
);
const results = [];
for (const name of names) {
  const ts = [];
  for (const [label, workers, extra] of CONFIGS) ts.push({ label, t: await trainerFor(name, workers, extra) });
  const runs = [
    ['steady', dataFor(name, batches), 1],
    ['4-batch', dataFor(name, 4), calls],
  ];
  // warm-up (and auto's calibration): one short fit each
  for (const { t } of ts) await t.fit(runs[1][1].data, runs[1][1].opts);
  for (const [kind, d, ncalls] of runs) {
    const rates = ts.map(() => []);
    for (let turn = 0; turn < turns; turn++) {
      for (let c = 0; c < ts.length; c++) {
        const t0 = performance.now();
        for (let k = 0; k < ncalls; k++) await ts[c].t.fit(d.data, d.opts);
        rates[c].push((d.tokens * ncalls * 1000) / (performance.now() - t0));
      }
    }
    const row = { workload: name, run: kind, workersAuto: ts[3].t.workers, autoReason: ts[3].t.workersReason };
    const cells = ts.map((x, c) => {
      const tok = median(rates[c]);
      const ratio = median(rates[c].map((r, k) => r / rates[0][k]));
      row[x.label] = { tokPerSec: tok, ratio, turns: rates[c] };
      return `${x.label} ${Math.round(tok).toLocaleString('en-US')} (${ratio.toFixed(2)}×)`;
    });
    results.push(row);
    console.log(`${title(name).padEnd(34)} ${kind.padEnd(8)} ${cells.join(' | ')}`);
  }
  console.log(`  auto -> ${ts[3].t.workers} (${ts[3].t.workersReason ?? 'no reason given by this build'})`);
  for (const { t } of ts) await t.dispose();
}
machine.loadavgEnd = loadavg();
if (typeof args.json === 'string') writeFileSync(args.json, `${JSON.stringify({ machine, turns, batches, calls, results }, null, 2)}\n`);
