// The trainer's line to its session: the comlink `Remote<T>` of a worker (T = the SessionApi,
// or a replica's WorkerApi), or a session in this thread behind the same async face. Calls go
// by name to the typed remote, so no method list is written here. A closed line (disposed, or the worker exited
// or failed) rejects every pending and later call with a typed E_STATE error.
import * as Comlink from 'comlink';
import { stateError } from '../errors.js';
import { isNode } from '../runtime.js';
import type { SessionApi } from '../session-api.js';
import { nodeEndpoint } from './node-endpoint.js';

/** The async face of a session: every method answers a promise. */
export type SessionPort<T extends object = SessionApi> = Comlink.Remote<T>;

export interface Link<T extends object = SessionApi> {
  port: SessionPort<T>;
  /** Hands data to the other side: transferred to a worker (the caller's copy stays), as is in the thread. */
  send<T>(value: T, transfer: Transferable[]): T;
  /** Wraps a callback the other side calls (a comlink proxy for a worker). */
  callback<F extends (...a: never[]) => unknown>(f: F): F;
  /** Closes the line: pending and later calls reject with `reason`; a worker ends. */
  close(reason: Error): void;
}

/** A port whose calls reject with the closing reason once `closed` settles. */
function guarded<T extends object>(
  call: (name: string, args: unknown[]) => Promise<unknown>,
  closed: Promise<never>,
  isClosed: () => Error | undefined,
): SessionPort<T> {
  // A Proxy answers every method name of T by forwarding it (its target is never read).
  const port: object = {};
  return new Proxy(port as SessionPort<T>, {
    get: (_, name) =>
      typeof name !== 'string' || name === 'then'
        ? undefined
        : (...args: unknown[]) => {
            const c = isClosed();
            if (c) return Promise.reject(c);
            return Promise.race([call(name, args), closed]);
          },
  });
}

function closer(onClose: (reason: Error) => void): { closed: Promise<never>; isClosed: () => Error | undefined; close: (reason: Error) => void } {
  let reason: Error | undefined;
  let reject!: (e: Error) => void;
  const closed = new Promise<never>((_, r) => {
    reject = r;
  });
  closed.catch(() => undefined);
  return {
    closed,
    isClosed: () => reason,
    close(r) {
      if (reason) return;
      reason = r;
      reject(r);
      onClose(r);
    },
  };
}

/** Calls method `name` of `target` (a session, or a comlink remote) with `args`; an unknown name is E_STATE. */
function callByName(target: object, name: string, args: unknown[]): unknown {
  const f: unknown = Reflect.get(target, name);
  if (typeof f !== 'function') throw stateError(`the session has no method ${name}`);
  return Reflect.apply(f, target, args);
}

/** The calling thread's line: the session's methods, called directly. */
export function threadLink<T extends object>(session: T): Link<T> {
  const c = closer(() => undefined);
  return {
    port: guarded<T>(async (name, args) => callByName(session, name, args), c.closed, c.isClosed),
    send: (v) => v,
    callback: (f) => f,
    close: c.close,
  };
}

/** Starts the worker script at `url` (Node worker_threads or a module Web Worker); `onClose`
 * hears the reason once the line closes (disposed, or the worker exited or failed). */
export async function workerLink<T extends object = SessionApi>(url: URL | string | undefined, onClose?: (reason: Error) => void): Promise<Link<T>> {
  let terminate: () => void;
  let endpoint: Comlink.Endpoint;
  let onFault!: (e: Error) => void;
  const fault = (what: string, detail: unknown) =>
    onFault(stateError(`the training worker ${what}${detail ? `: ${detail instanceof Error ? detail.message : String(detail)}` : ''}`));
  if (isNode) {
    const { Worker: NodeWorker } = await import('node:worker_threads');
    const here = import.meta.url; // (not the literal pattern below, so bundlers leave it alone)
    const where = url ?? new URL('./worker.js', here);
    let w: InstanceType<typeof NodeWorker>;
    try {
      w = new NodeWorker(where instanceof URL ? where : new URL(where));
    } catch (e) {
      throw stateError(`the training worker could not start: ${(e as Error).message}`);
    }
    w.unref();
    w.on('error', (e) => fault('failed', e));
    w.on('messageerror', (e) => fault('sent a message that could not be read', e));
    w.on('exit', (code) => fault(`exited (code ${code})`, undefined));
    endpoint = await nodeEndpoint(w);
    terminate = () => void w.terminate();
  } else {
    // The literal `new Worker(new URL('…', import.meta.url), { type: 'module' })` form is what
    // bundlers (Vite, webpack 5, Parcel) recognise: they bundle the worker script with its imports.
    let w: Worker;
    try {
      w = url !== undefined ? new Worker(url, { type: 'module' }) : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    } catch (e) {
      throw stateError(`the training worker could not start: ${(e as Error).message}`);
    }
    w.addEventListener('error', (ev) => {
      ev.preventDefault();
      fault('failed', ev.message || 'an error at its top level (or its script could not load)');
    });
    w.addEventListener('messageerror', () => fault('sent a message that could not be read', undefined));
    endpoint = w;
    terminate = () => w.terminate();
  }
  const c = closer((reason) => {
    terminate();
    onClose?.(reason);
  });
  onFault = c.close;
  const remote = Comlink.wrap<T>(endpoint);
  return {
    port: guarded<T>(async (name, args) => callByName(remote, name, args), c.closed, c.isClosed),
    send: (v, transfer) => Comlink.transfer(v, transfer),
    callback: (f) => Comlink.proxy(f),
    close: c.close,
  };
}
