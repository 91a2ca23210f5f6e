// A worker thread that runs `recurrent` commands in-process for test/fuzz-cli.test.ts: it gets
// { id, argv }, runs main(argv) from the built CLI with its output swallowed, and answers
// { id, rc } or { id, error: { name, code, message, typed, trap } }. The test terminates the
// worker when a case runs past its time limit (a hang).
import { parentPort } from 'node:worker_threads';

const { main } = await import('../dist/cli/main.js');
const { isRecurrentError } = await import('../dist/errors.js');
process.stdout.write = () => true;
process.stderr.write = () => true;

parentPort.on('message', async ({ id, argv }) => {
  try {
    const rc = await main(argv);
    parentPort.postMessage({ id, rc });
  } catch (e) {
    const message = String(e?.message ?? e);
    parentPort.postMessage({
      id,
      error: {
        name: e?.name,
        code: e?.code,
        message: message.slice(0, 300),
        typed: isRecurrentError(e),
        trap: e instanceof WebAssembly.RuntimeError || /unreachable|out of bounds|recursive use|null pointer passed to rust/.test(message),
      },
    });
  }
});
parentPort.postMessage({ ready: true });
