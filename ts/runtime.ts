// Which JavaScript runtime this is: the SDK's one place that asks.
//   nodeApis  node: modules (fs, worker_threads) exist: Node and Bun (not Deno's emulation)
//   isNode    Node itself (worker_threads workers; Bun and Deno have module Web Workers)

const g = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: unknown } } };

export const nodeApis: boolean = typeof g.process?.versions?.node === 'string' && g.Deno === undefined;
export const isNode: boolean = nodeApis && g.Bun === undefined;
export const isDeno: boolean = g.Deno !== undefined;
/** Web Workers (module type) are available. */
export const hasWebWorkers: boolean = typeof Worker !== 'undefined';

/** Hardware threads this runtime offers (navigator.hardwareConcurrency, or Node's
 * os.availableParallelism), at least 1. */
export async function availableParallelism(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  let n = nav?.hardwareConcurrency;
  if (!(n && n > 0) && nodeApis) {
    const os = await import('node:os');
    n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return Math.max(1, Math.floor(n ?? 1));
}

/** A browser page's main thread (its own work needs a core too). */
export const isPage: boolean = typeof (globalThis as { document?: unknown }).document !== 'undefined';
