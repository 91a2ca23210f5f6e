// Worker entry: one ReplicaSession exposed through comlink (the trainer's other side is a
// `Remote<SessionApi>`, a data-parallel coordinator's a `Remote<WorkerApi>`). Runs as a module
// Web Worker (browsers, Deno, Bun) or as a Node worker_threads worker.
import * as Comlink from 'comlink';
import { ReplicaSession } from '../parallel/replica-session.js';
import { isNode } from '../runtime.js';
import { nodeEndpoint } from './node-endpoint.js';
import { registerErrorTransfer } from './transfer.js';

registerErrorTransfer();
const session = new ReplicaSession();

if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  if (!parentPort) throw new Error('worker.js runs as a worker_threads worker');
  Comlink.expose(session, await nodeEndpoint(parentPort));
} else {
  Comlink.expose(session);
}
