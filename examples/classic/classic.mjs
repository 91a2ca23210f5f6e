// The classic LSTM demonstration: an LSTM reads four fixed random input vectors and learns to
// emit -0.5, 0.2, 0.1, -0.5, one value per step, by mean squared error.
//   npm run build && node examples/classic/classic.mjs
// (the same run as `npx recurrent classic`)
import { init, Rng, sequential } from 'recurrent-nn';

await init();
const wanted = [-0.5, 0.2, 0.1, -0.5];
const targets = Float32Array.from(wanted);
const dim = 50;
const rng = new Rng(0);
const features = Float32Array.from({ length: targets.length * dim }, () => rng.next() * 2 - 1);
const input = { features, batch: 1, steps: targets.length };

const model = sequential({ input: { features: dim } })
  .lstm({ units: 100 })
  .dense({ units: 1 })
  .build({ seed: 0 });
model.compile({ loss: 'mse', optimizer: { name: 'adam', lr: 0.01 } });
for (let iter = 0; iter < 150; iter++) {
  const { loss } = model.trainStep(input, { values: targets });
  if (iter % 10 === 0)
    console.log(`iter ${iter}: loss ${loss.toExponential(3)}  y_pred = [${Array.from(model.forward(input), (y) => y.toFixed(5)).join(', ')}]`);
}
console.log(`final: y_pred = [${Array.from(model.forward(input), (y) => y.toFixed(5)).join(', ')}], targets [${wanted.join(', ')}]`);
model.dispose();
