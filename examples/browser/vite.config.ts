// Vite config of the browser demo. It imports the SDK as `recurrent-nn`, as an app would after
// `npm install recurrent-nn`; here the name points at this repository's build (dist/, made by
// `npm run build`). Vite bundles the SDK's worker by itself (the SDK creates it with the
// `new Worker(new URL('./worker/worker.js', import.meta.url), { type: 'module' })` pattern)
// and emits the .wasm file as an asset (`new URL('./wasm/recurrent_wasm_bg.wasm', import.meta.url)`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: [
      { find: /^recurrent-nn$/, replacement: `${repo}/dist/index.js` },
      { find: /^recurrent-nn\/tasks$/, replacement: `${repo}/dist/tasks/index.js` },
    ],
  },
  // In an app that installs the package: keep it out of the dev pre-bundler, so that the
  // worker and wasm URLs stay relative to the SDK's own files.
  optimizeDeps: { exclude: ['recurrent-nn'] },
  // The SDK's worker is an ES module (it uses top-level await).
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // four pages: the training demo, the gradient-flow page, the speech page and the Chinese
    // words-and-entities page
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        speech: fileURLToPath(new URL('speech.html', import.meta.url)),
        chinese: fileURLToPath(new URL('chinese.html', import.meta.url)),
        gradients: fileURLToPath(new URL('gradients.html', import.meta.url)),
      },
    },
  },
  server: { host: '127.0.0.1', fs: { allow: [repo] } },
  preview: { host: '127.0.0.1' },
});
