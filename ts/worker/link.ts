// The trainer's line to its Session: the comlink `Remote<Session>` of a worker, or the
// Session itself behind the same async face. A closed line (disposed, or the worker exited
// or failed) rejects every pending and later call with a typed E_STATE error.
import * as Comlink from 'comlink';
import { stateError } from '../errors.js';
import { isNode } from '../runtime.js';
import type { Session } from '../session.js';

export type SessionPort = Comlink.Remote<Session>;

export interface Link {
  port: SessionPort;
  /** Hands data to the other side: transferred to a worker (the caller's copy stays), as is in the thread. */
  send<T>(value: T, transfer: Transferable[]): T;
  /** Wraps a callback the other side calls (a comlink proxy for a worker). */
  callback<F extends (...a: never[]) => unknown>(f: F): F;
  /** Closes the line: pending and later calls reject with `reason`; a worker ends. */
  close(reason: Error): void;
}

/** A port whose calls reject with the closing reason once `closed` settles. */
function guarded(call: (name: string, args: unknown[]) => Promise<unknown>, closed: Promise<never>, isClosed: () => Error | undefined): SessionPort {
  return new Proxy({} as SessionPort, {
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

/** The calling thread's line: the Session's methods, called directly. */
export function threadLink(session: Session): Link {
  const c = closer(() => undefined);
  const s = session as unknown as Record<string, (...a: unknown[]) => unknown>;
  return {
    port: guarded(async (name, args) => s[name](...args), c.closed, c.isClosed),
    send: (v) => v,
    callback: (f) => f,
    close: c.close,
  };
}

/** Starts the worker script at `url` (Node worker_threads or a module Web Worker); `onClose`
 * hears the reason once the line closes (disposed, or the worker exited or failed). */
export async function workerLink(url: URL | string | undefined, onClose?: (reason: Error) => void): Promise<Link> {
  let terminate: () => void;
  let endpoint: Comlink.Endpoint;
  let onFault!: (e: Error) => void;
  const fault = (what: string, detail: unknown) =>
    onFault(stateError(`the training worker ${what}${detail ? `: ${detail instanceof Error ? detail.message : String(detail)}` : ''}`));
  if (isNode) {
    const { Worker: NodeWorker } = await import('node:worker_threads');
    const nodeEndpoint = (await import('comlink/dist/umd/node-adapter.js')).default as unknown as (ep: unknown) => Comlink.Endpoint;
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
    endpoint = nodeEndpoint(w);
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
  const remote = Comlink.wrap<Session>(endpoint);
  const r = remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  return {
    port: guarded((name, args) => r[name](...args), c.closed, c.isClosed),
    send: (v, transfer) => Comlink.transfer(v, transfer),
    callback: (f) => Comlink.proxy(f),
    close: c.close,
  };
}
