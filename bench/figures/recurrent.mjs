// recurrent (the wasm build in dist/, in Node, one thread) on one workload, or the GEMM
// shapes (`--gemm`): `--workload W1` … `W5`.
import { init, kernelBackend, sequential } from '../../dist/index.js';
import { wasm } from '../../dist/wasm.js';
import { figure, GEMM_SHAPES, gemmFigure, LR, parseArgs, WORKLOADS, workloadData } from '../lib.mjs';

const args = parseArgs(process.argv.slice(2));
await init();
const note = `kernels ${kernelBackend()}`;

if (args.gemm) {
  const e = wasm();
  const calls = GEMM_SHAPES.map((shape) => {
    const flop = 2 * shape.m * shape.n * shape.k;
    const reps = Math.max(1, Math.round(5e7 / flop));
    e.benchGemm(shape.m, shape.n, shape.k, 0);
    return { shape, step: () => e.benchGemm(shape.m, shape.n, shape.k, reps), units: (flop * reps) / 1e9 };
  });
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
  } else {
    const b = sequential({ input: { features: w.features } });
    const rnn = { units: w.units, layers: w.layers, bidirectional: w.bidirectional };
    const model = (w.cell === 'lstm' ? b.lstm(rnn) : b.gru(rnn)).dense({ units: w.out }).build({ seed: 1 });
    model.compile({ loss: w.loss, optimizer: { name: 'adam', lr: LR } });
    const d = workloadData(w);
    const input = { features: d.x, batch: w.batch, steps: w.steps };
    const targets = d.classes ? { classes: d.classes } : { values: d.values };
    await figure(args, () => model.trainStep(input, targets), w.batch * w.steps, { figure: 'recurrent', workload: name, unit: 'tok/s', note });
  }
}
