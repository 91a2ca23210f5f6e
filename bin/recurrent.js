#!/usr/bin/env node
// The `recurrent` command line (compiled from ts/cli/).
import v8 from 'node:v8';

// Node 20 has relaxed SIMD behind a flag (on by default from Node 22). Turning it on before the
// core is compiled lets init() choose the fused multiply-add build where the runtime accepts it
// (RECURRENT_KERNELS=simd128 still forces the other one).
if (Number(process.versions.node.split('.')[0]) < 22) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const { main } = await import('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`recurrent: ${e?.code ? `${e.code}: ` : ''}${e?.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
