#!/usr/bin/env node
// The `recurrent` command line (compiled from ts/cli/).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`recurrent: ${e?.code ? `${e.code}: ` : ''}${e?.message ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
