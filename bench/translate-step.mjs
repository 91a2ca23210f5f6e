// The translation model's training step in wasm, one thread (issue 19): FLOPs per target piece
// of each part of the encoder-decoder, counted from its shapes, against the achieved throughput
// (target pieces per second and GFLOP/s, by the wall clock and by the process's CPU time, which
// is the steadier figure on a shared machine), for target vocabularies of 2000 and 4000 pieces.
//
//   node bench/translate-step.mjs [--steps 4] [--src 37] [--tgt 35] [--vocabs 2000,4000]
//
// Batches are 64 random pairs of --src source and --tgt target pieces (the Bible's mean lengths
// at 2000 pieces a side are 36.6 and 35.0; at 4000: 31.6 and 30.2). The model is the
// `recurrent translate train` default: embedding 128, BiLSTM encoder 128×2, LSTM decoder 256,
// additive attention 128, source vocabulary 2000.
import { cpuUsage } from 'node:process';
import { init, Seq2SeqModel } from '../dist/index.js';
import { parseArgs } from './lib.mjs';

const args = parseArgs(process.argv.slice(2));
const steps = Number(args.steps ?? 4);
const [tx, ty] = [Number(args.src ?? 37), Number(args.tgt ?? 35)];
const vocabs = String(args.vocabs ?? '2000,4000')
  .split(',')
  .map(Number);
const [E, He, Hd, A, B] = [128, 128, 256, 128, 64];
await init();

/** Forward FLOPs of one pair (2 per multiply-add), by part; training ≈ 3× (backward ≈ 2× forward). */
function flops(v) {
  const dk = 2 * He;
  const enc = tx * 2 * (2 * 4 * He * E + 2 * 4 * He * He); // both directions, input + recurrent GEMMs
  const keys = tx * 2 * A * dk;
  const dec = (ty + 1) * (2 * 4 * Hd * E + 2 * 4 * Hd * Hd);
  const attn = (ty + 1) * (2 * A * Hd + tx * (3 * A + 2 * dk)); // query GEMM, scores (add, tanh, ·v), context
  const combine = (ty + 1) * 2 * Hd * (Hd + dk);
  const output = (ty + 1) * 2 * v * Hd;
  return { enc, keys, dec, attn, combine, output };
}

let seed = 7;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
console.log(`64 pairs of ${tx} → ${ty} pieces, ${steps} timed steps after one warm-up; ${process.version}`);
for (const v of vocabs) {
  const m = Seq2SeqModel.create({ sourceVocab: 2000, targetVocab: v, embed: E, encoderUnits: He, decoderUnits: Hd, attention: A }, { seed: 1 });
  m.compile({ optimizer: { name: 'adam', lr: 1e-3 } });
  const batch = () =>
    Array.from({ length: B }, () => ({ source: Array.from({ length: tx }, () => rnd(2000)), target: Array.from({ length: ty }, () => 2 + rnd(v - 2)) }));
  m.gradStep(batch());
  let wall = 0;
  let cpu = 0;
  for (let s = 0; s < steps; s++) {
    const b = batch();
    const c0 = cpuUsage();
    const t0 = performance.now();
    m.gradStep(b);
    wall += (performance.now() - t0) / 1000;
    const c = cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
  }
  m.dispose();
  const f = flops(v);
  const fwd = Object.values(f).reduce((a, b) => a + b, 0);
  const perTok = (3 * fwd) / (ty + 1);
  const toks = B * (ty + 1) * steps;
  const parts = Object.entries(f)
    .map(([k, x]) => `${k} ${((100 * x) / fwd).toFixed(0)}%`)
    .join(', ');
  console.log(
    `V=${v}: ${(perTok / 1e6).toFixed(2)} MFLOP per target piece (train, 3× forward; ${parts}); ` +
      `${((wall / steps) * 1000).toFixed(0)} ms/step wall, ${((cpu / steps) * 1000).toFixed(0)} ms CPU; ` +
      `${(toks / wall).toFixed(0)} pieces/s wall (${((toks * perTok) / wall / 1e9).toFixed(1)} GFLOP/s), ` +
      `${(toks / cpu).toFixed(0)} pieces/s per CPU second (${((toks * perTok) / cpu / 1e9).toFixed(1)} GFLOP/s)`,
  );
}
