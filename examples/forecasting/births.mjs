// Daily US births 2000-2014: an LSTM reads the last 56 days (births z-score, day-of-week
// one-hot, sin/cos of the day of year) and forecasts the next 28 days at once (dense 28,
// MSE). Trained on windows whose targets end by 2012, the epoch chosen on 2013, scored on
// every 28-day window of 2014 against the seasonal-naive baseline (the same weekday of the
// last observed week).
//   npm run build && node examples/forecasting/births.mjs [--epochs 20]
// (the same run as `npx recurrent forecast`)
//
// forecastBirths is ~100 lines over the plain SDK; the model itself is
//   sequential({ input: { features: 10 } }).lstm({ units: 128, returnSequences: false }).dense({ units: 28 })
// compiled with { loss: 'mse', optimizer: { name: 'adam', lr: 2e-3 }, clipNorm: 1 } and fit on
// examples [{ features: Float32Array(56 × 10), values: Float32Array(28) }, …].
import { init } from 'recurrent-nn';
import { forecastBirths, parseDailyCsv } from 'recurrent-nn/tasks';
import { loadBirths } from '../../dist/cli/corpora/births.js'; // Node-only data loader

const i = process.argv.indexOf('--epochs');
const epochs = i >= 0 ? Number(process.argv[i + 1]) : 20;

await init();
const days = parseDailyCsv(await loadBirths());
const r = await forecastBirths(days, {
  units: 128,
  inputDays: 56,
  epochs,
  lr: 2e-3,
  seed: 1,
  onEpoch: (e) => console.log(`epoch ${e.epoch + 1}: validation MAE ${e.validationMae.toFixed(1)} (${(e.elapsedMs / 1000).toFixed(0)} s)`),
});
console.log(
  `2014, ${r.testOrigins} origins x 28 days: LSTM MAE ${r.mae.toFixed(1)} births/day vs seasonal naive ${r.naiveMae.toFixed(1)} (best epoch ${r.bestEpoch}, ${(r.trainMs / 1000).toFixed(0)} s training)`,
);
