// recurrent (the wasm build in dist/, in Node) on one workload, the GEMM shapes (`--gemm`) or
// the GEMM micro-kernel's ceiling:
//   --workload W1 … W5     one thread: trainStep (W1–W4) or generateIds (W5)
//   --workers N            W1–W4 trained data-parallel by createTrainer({ workers: N }), through
//                          fit (FIT_BATCHES batches of the workload per call, or --fit-batches N)
//   --gemm                 the W1 GEMM shapes (benchGemm), then the micro-kernel in L1
//                          (benchMicroKernel: the build's ceiling) as one more entry
//   --kernels NAME         simd128 | relaxed-simd | auto (default: init's choice)
import { createTrainer, init, kernelBackend, sequential } from '../../dist/index.js';
import { wasm } from '../../dist/wasm.js';
import { CEILING, FIT_BATCHES, figure, GEMM_SHAPES, gemmFigure, LR, parseArgs, WORKLOADS, workloadData } from '../lib.mjs';

const args = parseArgs(process.argv.slice(2));
const kernels = typeof args.kernels === 'string' ? args.kernels : undefined;
await init(undefined, { kernels });
const note = `kernels ${kernelBackend()}`;
const workers = args.workers === undefined ? 0 : Number(args.workers);
/** Batches per fit call of the data-parallel figure: a short fit by default, many for the steady state. */
const fitBatches = args['fit-batches'] === undefined ? FIT_BATCHES : Math.max(1, Math.floor(Number(args['fit-batches'])));

/** The model of a training workload, as a builder (sequential(...)...dense). */
function trainingModel(w) {
  const b = sequential({ input: { features: w.features } });
  const rnn = { units: w.units, layers: w.layers, bidirectional: w.bidirectional };
  return (w.cell === 'lstm' ? b.lstm(rnn) : b.gru(rnn)).dense({ units: w.out });
}

/** One fit of `fitBatches` batches on `workers` replicas; the batch is the workload's, repeated. */
async function workersFigure(name, w) {
  const t = await createTrainer({ workers, kernels });
  await t.build(trainingModel(w), { seed: 1 });
  await t.compile({ loss: w.loss, optimizer: { name: 'adam', lr: LR } });
  const d = workloadData(w);
  const [tf, to] = [w.steps * w.features, w.steps * (w.out ?? 0)];
  const list = [];
  for (let i = 0; i < fitBatches * w.batch; i++) {
    const r = i % w.batch;
    const features = d.x.slice(r * tf, (r + 1) * tf);
    list.push(d.classes ? { features, targets: d.classes.slice(r * w.steps, (r + 1) * w.steps) } : { features, values: d.values.slice(r * to, (r + 1) * to) });
  }
  const opts = { epochs: 1, batchSize: w.batch, shuffle: false };
  await figure(args, () => t.fit(list, opts), fitBatches * w.batch * w.steps, {
    figure: `recurrent-${workers}w`,
    workload: name,
    unit: 'tok/s',
    workers: t.workers,
    note: `${note}; createTrainer({ workers: ${t.workers} }), fit over ${fitBatches} batches per call`,
  });
  await t.dispose(); // ends the workers, so the process exits
}

if (args.gemm) {
  const e = wasm();
  const calls = GEMM_SHAPES.map((shape) => {
    const flop = 2 * shape.m * shape.n * shape.k;
    const reps = Math.max(1, Math.round(5e7 / flop));
    e.benchGemm(shape.m, shape.n, shape.k, 0);
    return { shape, step: () => e.benchGemm(shape.m, shape.n, shape.k, reps), units: (flop * reps) / 1e9 };
  });
  // the ceiling: benchMicroKernel returns the flops it did (2·MR·NR·kc·reps)
  const reps = 20000;
  const flop = e.benchMicroKernel(CEILING.kc, 1);
  calls.push({ shape: CEILING, step: () => e.benchMicroKernel(CEILING.kc, reps), units: (flop * reps) / 1e9 });
  await gemmFigure(args, calls, { figure: 'recurrent-wasm-gemm', unit: 'GFLOP/s', note });
} else {
  const name = args.workload;
  const w = WORKLOADS[name];
  if (w.generate) {
    const model = sequential({ input: { vocab: w.vocab } })
      .embedding({ dim: w.embed })
      .lstm({ units: w.units })
      .dense({ units: w.vocab })
      .build({ seed: 1 });
    const n = 2000;
    await figure(args, () => model.generateIds([1], { maxTokens: n, temperature: 1, seed: 7 }), n, {
      figure: 'recurrent',
      workload: name,
      unit: 'tok/s',
      note: `${note}; generateIds, ${n} tokens per call, temperature 1`,
    });
  } else if (workers > 0) {
    await workersFigure(name, w);
  } else {
    const model = trainingModel(w).build({ seed: 1 });
    model.compile({ loss: w.loss, optimizer: { name: 'adam', lr: LR } });
    const d = workloadData(w);
    const input = { features: d.x, batch: w.batch, steps: w.steps };
    const targets = d.classes ? { classes: d.classes } : { values: d.values };
    await figure(args, () => model.trainStep(input, targets), w.batch * w.steps, { figure: 'recurrent', workload: name, unit: 'tok/s', note });
  }
}
