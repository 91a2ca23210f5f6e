// TensorFlow.js 4.22 on W1–W4 with dense inputs: `--backend wasm|cpu --workload W1`.
// The same architecture as recurrent's (LSTM with sigmoid gates, GRU, bidirectional LSTM
// concatenated, a dense head on every step), softmax cross-entropy on logits or MSE, Adam
// with lr 1e-3; one step = optimizer.minimize (forward, backward through time, update).

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { figure, LR, parseArgs, WORKLOADS, workloadData } from '../lib.mjs';

const args = parseArgs(process.argv.slice(2));
const backend = args.backend ?? 'wasm';
const w = WORKLOADS[args.workload];
if (backend === 'wasm') {
  const require = createRequire(import.meta.url);
  setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm'))}/`);
}
// Silence TF.js's console banners (about tfjs-node, slow initializers): the one line of
// output is written by emit().
console.log = () => {};
console.warn = () => {};
await tf.setBackend(backend);
await tf.ready();

// Glorot-uniform recurrent weights instead of Keras's orthogonal default: the orthogonal
// initializer runs a QR decomposition that takes minutes on the cpu backend (in the warm-up
// step, where the weights are built) and changes nothing in the steps that are timed.
function rnnLayer(returnInput) {
  const common = { units: w.units, returnSequences: true, recurrentInitializer: 'glorotUniform', ...returnInput };
  if (w.cell === 'lstm') return tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid' });
  return tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
}

const model = tf.sequential();
for (let l = 0; l < w.layers; l++) {
  const input = l === 0 ? { inputShape: [w.steps, w.features] } : {};
  if (w.bidirectional) model.add(tf.layers.bidirectional({ layer: rnnLayer({}), mergeMode: 'concat', ...input }));
  else model.add(rnnLayer(input));
}
model.add(tf.layers.dense({ units: w.out }));

const data = workloadData(w);
const x = tf.tensor3d(data.x, [w.batch, w.steps, w.features]);
const y =
  w.loss === 'mse'
    ? tf.tensor3d(data.values, [w.batch, w.steps, w.out])
    : tf.oneHot(tf.tensor1d(data.classes, 'int32'), w.out).reshape([w.batch, w.steps, w.out]);
const opt = tf.train.adam(LR);
const lossFn = () => {
  const out = model.apply(x, { training: true });
  return w.loss === 'mse' ? tf.losses.meanSquaredError(y, out) : tf.losses.softmaxCrossEntropy(y, out);
};
const step = async () => {
  const loss = opt.minimize(lossFn, true);
  await loss.data(); // wait for the step to finish
  loss.dispose();
};
await figure(args, step, w.batch * w.steps, {
  figure: `tfjs-${backend}`,
  workload: args.workload,
  unit: 'tok/s',
  note: `TF.js ${tf.version.tfjs}, backend ${tf.getBackend()}`,
});
