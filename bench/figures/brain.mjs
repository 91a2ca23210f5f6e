// brain.js 1.6.1 on W4 (its scale): recurrent.LSTMTimeStep with 8 inputs, one hidden layer of
// 32 and 8 outputs, trained on one sequence of 16 steps of 8 features per step (brain.js
// trains one sequence at a time: batch 1). One step = one training iteration over the
// sequence (forward, backward through time, update with brain.js's own optimizer).
import { createRequire } from 'node:module';
import { figure, parseArgs, WORKLOADS, workloadData } from '../lib.mjs';

const require = createRequire(import.meta.url);
const brain = require('brain.js');
const args = parseArgs(process.argv.slice(2));
const w = WORKLOADS[args.workload ?? 'W4'];
if (w.batch !== 1 || w.loss !== 'mse') throw new Error('brain.js runs W4 only');
const net = new brain.recurrent.LSTMTimeStep({ inputSize: w.features, hiddenLayers: [w.units], outputSize: w.out });
const { x } = workloadData(w);
const seq = [];
for (let t = 0; t < w.steps; t++) seq.push(Array.from(x.subarray(t * w.features, (t + 1) * w.features)));
// brain.js's time-step nets predict the next row of the sequence from the previous rows.
// Iterations are batched K per train() call so its per-call setup does not count against it.
const K = 20;
const train = () => net.train([seq], { iterations: K, errorThresh: 0, log: false });
train();
await figure(args, train, K * w.steps, {
  figure: 'brain.js',
  workload: 'W4',
  unit: 'tok/s',
  note: `brain.js 1.6.1 recurrent.LSTMTimeStep, train() with ${K} iterations per call`,
});
