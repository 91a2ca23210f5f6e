// The CRF head in the wasm build (dist/), against the tagger step it sits on, at K = 4, 9, 44
// and 189 tags (segmentation, NER, Chinese POS, Brown POS):
//   node bench/crf.mjs [--time 1] [--runs 5]
// Model: `tag train`'s defaults (embedding 64, BiLSTM 2×64, dense K, with and without .crf()),
// batch of 32 sentences with Brown-like lengths (1–48, mean about 24), Adam. Per K, the two
// steps take turns run by run (so both see the same load on a shared machine), plus the CRF
// loss alone (forward algorithm: `model.loss` after a forward, no backward) and Viterbi
// decoding (with its forward). One JSON line per K: tokens/s (medians), the ratio crf / tagger
// step, and the CRF's share of a CRF step ((crf step time − tagger step time) / crf step time).
import { init, sequential } from '../dist/index.js';

const arg = (k, d) => {
  const i = process.argv.indexOf(k);
  return i < 0 ? d : Number(process.argv[i + 1]);
};
const time = arg('--time', 1);
const runs = arg('--runs', 5);
await init();

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 2 ** 32;
};
const B = 32;
const VOCAB = 10_000;
const lengths = Array.from({ length: B }, () => Math.min(48, 1 + Math.floor(rand() * 24) + Math.floor(rand() * 24)));
const T = Math.max(...lengths);
const tokens = lengths.reduce((a, b) => a + b, 0);
const ids = Uint32Array.from({ length: B * T }, (_, i) => (i % T < lengths[Math.floor(i / T)] ? Math.floor(rand() * VOCAB) : 0));
const input = { ids, batch: B, steps: T, lengths };

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
/** Calls per second of `f` over one run of at least `time` seconds. */
function run(f) {
  const t0 = performance.now();
  let n = 0;
  while (n === 0 || performance.now() - t0 < time * 1000) {
    f();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

function build(k, crf) {
  let b = sequential({ input: { vocab: VOCAB } })
    .embedding({ dim: 64 })
    .lstm({ units: 64, bidirectional: true })
    .dense({ units: k });
  if (crf) b = b.crf();
  const m = b.build({ seed: 1 });
  m.compile({ loss: crf ? 'crf' : 'crossEntropy', optimizer: { name: 'adam', lr: 0.001 } });
  return m;
}

for (const k of [4, 9, 44, 189]) {
  const classes = Int32Array.from({ length: B * T }, (_, i) => (i % T < lengths[Math.floor(i / T)] ? Math.floor(rand() * k) : -100));
  const tagger = build(k, false);
  const crf = build(k, true);
  const stepT = () => tagger.trainStep(input, { classes });
  const stepC = () => crf.trainStep(input, { classes });
  run(stepT);
  run(stepC);
  const rt = [];
  const rc = [];
  const ratio = [];
  for (let r = 0; r < runs; r++) {
    const a = run(stepT);
    const c = run(stepC);
    rt.push(a);
    rc.push(c);
    ratio.push(a / c);
  }
  crf.forward(input);
  const layer = median(Array.from({ length: runs }, () => run(() => crf.loss({ classes }))));
  const vit = median(Array.from({ length: runs }, () => run(() => crf.decode(input))));
  console.log(
    JSON.stringify({
      figure: 'crf-wasm',
      k,
      batch: B,
      tokens,
      padded_t: T,
      unit: 'tok/s',
      tagger_step: Math.round(median(rt) * tokens),
      crf_step: Math.round(median(rc) * tokens),
      crf_loss: Math.round(layer * tokens),
      decode: Math.round(vit * tokens),
      crf_step_over_tagger_step: Number(median(ratio).toFixed(3)),
      crf_share_of_step: Number((1 - 1 / median(ratio)).toFixed(3)),
    }),
  );
  tagger.dispose();
  crf.dispose();
}
