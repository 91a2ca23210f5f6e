// Shared pieces of the data-parallel scripts (bench/profile.mjs, bench/scaling.mjs): the
// workloads W1–W3 and the main job's shape as createTrainer({ workers }) trains them through fit.
// RECURRENT_DIST=/path/to/dist runs another build of the SDK (an A/B of two commits).
import { pathToFileURL } from 'node:url';
import { LR, WORKLOADS, workloadData } from './lib.mjs';

const dist = process.env.RECURRENT_DIST ? pathToFileURL(`${process.env.RECURRENT_DIST}/index.js`).href : '../dist/index.js';
const { createTrainer, sequential, textWindows } = await import(dist);

/** The main job's model (`recurrent train`: GRU 256, embedding 64, windows of 64, batch 32),
 * on a synthetic id stream the size of its corpus (speed does not depend on the text). */
export const MAIN = { title: 'main job: GRU 256 char LM, 32×64', vocab: 84, embed: 64, units: 256, batch: 32, steps: 64, corpus: 1_150_000 };

export const NAMES = ['W1', 'W2', 'W3', 'main'];

/** A trainer with `workers` replicas (1: one worker, the engine inside it) for workload `name`. */
export async function trainerFor(name, workers, extra = {}) {
  const t = await createTrainer({ workers, kernels: 'simd128', ...extra });
  if (name === 'main') {
    const b = sequential({ input: { vocab: MAIN.vocab } })
      .embedding({ dim: MAIN.embed })
      .gru({ units: MAIN.units })
      .dense({ units: MAIN.vocab });
    await t.build(b, { seed: 1 });
    await t.compile({ optimizer: { name: 'adam', lr: 3e-3 }, clipNorm: 5 });
    return t;
  }
  const w = WORKLOADS[name];
  const b = sequential({ input: { features: w.features } });
  const rnn = { units: w.units, layers: w.layers, bidirectional: w.bidirectional };
  await t.build((w.cell === 'lstm' ? b.lstm(rnn) : b.gru(rnn)).dense({ units: w.out }), { seed: 1 });
  await t.compile({ loss: w.loss, optimizer: { name: 'adam', lr: LR } });
  return t;
}

/** Training data of `batches` batches for workload `name`, and the fit options that take one
 * epoch over it; `tokens` per call. */
export function dataFor(name, batches) {
  if (name === 'main') {
    const ids = new Uint32Array(MAIN.corpus);
    let s = 7;
    for (let i = 0; i < ids.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      ids[i] = (s >>> 16) % MAIN.vocab;
    }
    const data = textWindows(ids, { steps: MAIN.steps, windowsPerEpoch: batches * MAIN.batch });
    return { data, opts: { epochs: 1, batchSize: MAIN.batch }, tokens: batches * MAIN.batch * MAIN.steps };
  }
  const w = WORKLOADS[name];
  const d = workloadData(w);
  const tf = w.steps * w.features;
  const list = [];
  for (let i = 0; i < batches * w.batch; i++) {
    const r = i % w.batch;
    const features = d.x.slice(r * tf, (r + 1) * tf);
    list.push({ features, targets: d.classes.slice(r * w.steps, (r + 1) * w.steps) });
  }
  return { data: list, opts: { epochs: 1, batchSize: w.batch, shuffle: false }, tokens: batches * w.batch * w.steps };
}

export const title = (name) => (name === 'main' ? MAIN.title : WORKLOADS[name].title);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
