// What the synchronisation of data-parallel replicas costs per step, apart from the work: a
// tiny model (embedding 4 → LSTM 8 → dense 11, batch 8 × 8), so a step is nearly all
// coordination; 1 worker, 2 replicas through shared memory and 2 on the message path take
// turns (7 fits of 100 batches each). RECURRENT_DIST_B=/path/to/other/dist adds that build's
// 2 replicas (default settings) as a fourth figure (an A/B of two commits).
//   node bench/sync-overhead.mjs
import { pathToFileURL } from 'node:url';

const A = await import('../dist/index.js');
const B = process.env.RECURRENT_DIST_B ? await import(pathToFileURL(`${process.env.RECURRENT_DIST_B}/index.js`).href) : undefined;
const ids = Uint32Array.from({ length: 20000 }, (_, i) => (i * 7) % 11);
const make = async (M, o) => {
  const t = await M.createTrainer(o);
  await t.build(
    M.sequential({ input: { vocab: 11 } })
      .embedding({ dim: 4 })
      .lstm({ units: 8 })
      .dense({ units: 11 }),
    { seed: 1 },
  );
  await t.compile({ optimizer: 'adam' });
  return t;
};
const configs = [
  ['1 worker', A, {}],
  ['2 replicas, shared memory', A, { workers: 2 }],
  ['2 replicas, messages', A, { workers: 2, sharedMemory: false }],
];
if (B) configs.push([`2 replicas, ${process.env.RECURRENT_DIST_B}`, B, { workers: 2 }]);
const ts = [];
for (const [label, M, o] of configs) ts.push({ label, M, t: await make(M, o), ms: [] });
const NB = 100;
for (const x of ts) await x.t.fit(x.M.textWindows(ids, { steps: 8, windowsPerEpoch: 80 }), { batchSize: 8 });
for (let turn = 0; turn < 7; turn++)
  for (const x of ts) {
    const d = x.M.textWindows(ids, { steps: 8, windowsPerEpoch: NB * 8 });
    const t0 = performance.now();
    await x.t.fit(d, { batchSize: 8 });
    x.ms.push((performance.now() - t0) / NB);
  }
for (const x of ts) {
  const s = [...x.ms].sort((a, b) => a - b);
  console.log(`${x.label.padEnd(32)} ${s[3].toFixed(3)} ms per step (median of 7 fits; fastest ${s[0].toFixed(3)})`);
}
for (const x of ts) await x.t.dispose();
