// comlink's Node adapter (worker_threads' MessagePort/Worker as a comlink Endpoint), loaded
// where it is needed (the worker's parent port, and each Worker in workerLink).
import type { Endpoint } from 'comlink';

/** Wraps a worker_threads MessagePort or Worker as a comlink Endpoint. */
export async function nodeEndpoint(port: object): Promise<Endpoint> {
  const adapter = await import('comlink/dist/umd/node-adapter.js');
  // The UMD build is CommonJS: under NodeNext its `default` is the module object, whose own
  // `default` TypeScript types as the function, but at run time `default` is the function itself.
  // The one cast in the SDK that the compiler cannot check; worker.test.ts runs it in Node.
  const wrap = adapter.default as unknown as (p: object) => Endpoint;
  return wrap(port);
}
