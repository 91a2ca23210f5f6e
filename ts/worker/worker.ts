// Worker entry: one Session exposed through comlink (the trainer's other side is a
// `Remote<Session>`). Runs as a module Web Worker (browsers, Deno, Bun) or as a Node
// worker_threads worker.
import * as Comlink from 'comlink';
import { isNode } from '../runtime.js';
import { Session } from '../session.js';
import { registerErrorTransfer } from './transfer.js';

registerErrorTransfer();
const session = new Session();

if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  const nodeEndpoint = (await import('comlink/dist/umd/node-adapter.js')).default as unknown as (ep: unknown) => Comlink.Endpoint;
  Comlink.expose(session, nodeEndpoint(parentPort!));
} else {
  Comlink.expose(session);
}
