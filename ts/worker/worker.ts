// Worker entry: hosts a WorkerApi and exposes it through comlink. Runs as a module Web
// Worker (browsers, Deno, Bun) or as a Node worker_threads worker.
import * as Comlink from 'comlink';
import { WorkerApi } from './api.js';
import { registerErrorTransfer } from './transfer.js';

registerErrorTransfer();
const api = new WorkerApi();

const isNode =
  typeof process !== 'undefined' &&
  typeof process.versions?.node === 'string' &&
  typeof (globalThis as { Deno?: unknown }).Deno === 'undefined' &&
  typeof (globalThis as { Bun?: unknown }).Bun === 'undefined';

if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  const nodeEndpoint = (await import('comlink/dist/umd/node-adapter.js')).default as unknown as (ep: unknown) => Comlink.Endpoint;
  Comlink.expose(api, nodeEndpoint(parentPort!));
} else {
  Comlink.expose(api);
}
