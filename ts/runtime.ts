// Which JavaScript runtime this is: the SDK's one place that asks.
//   nodeApis  node: modules (fs, worker_threads) exist: Node and Bun (not Deno's emulation)
//   isNode    Node itself (worker_threads workers; Bun and Deno have module Web Workers)

const g = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: unknown } } };

export const nodeApis: boolean = typeof g.process?.versions?.node === 'string' && g.Deno === undefined;
export const isNode: boolean = nodeApis && g.Bun === undefined;
export const isDeno: boolean = g.Deno !== undefined;
/** Web Workers (module type) are available. */
export const hasWebWorkers: boolean = typeof Worker !== 'undefined';
