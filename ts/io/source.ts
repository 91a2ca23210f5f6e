// Where model and weights files come from: bytes (any Uint8Array, whatever its byteOffset or
// buffer: a Node Buffer, a subarray view, a SharedArrayBuffer-backed array), an ArrayBuffer,
// a path (Node, Deno, Bun) or a URL (fetch).

import { formatError } from '../errors.js';
import { nodeApis } from '../runtime.js';

/**
 * Where `Trainer.load` and `Trainer.importWeights` read a file from: its bytes (a Uint8Array of
 * any offset, e.g. a Node Buffer or a subarray; an ArrayBuffer; a SharedArrayBuffer), which are
 * copied so the caller's memory is never detached, or a path (Node, Deno, Bun) or URL string
 * (http(s), blob, data, file) or a `URL`, fetched. An unreadable source is E_FORMAT.
 */
export type ByteSource = Uint8Array | ArrayBuffer | SharedArrayBuffer | string | URL;

/** A fresh Uint8Array over its own ArrayBuffer (offset 0, exact length) holding a copy of
 * `view`: safe to transfer to a worker without detaching the caller's memory. */
export function ownedCopy(view: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): Uint8Array {
  const src = ArrayBuffer.isView(view) ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(view);
  const out = new Uint8Array(src.length);
  out.set(src);
  return out;
}

const isSab = (v: unknown): v is SharedArrayBuffer => typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer;

/** Largest file `readSource` reads (1 GiB): model files, state dicts, TF.js model.json and shards. */
export const MAX_FILE_BYTES = 2 ** 30;

/** How much `readSource` may read, and from where. */
export interface ReadLimits {
  /** Most bytes the file may have (default {@link MAX_FILE_BYTES}); more is E_FORMAT. */
  maxBytes?: number;
  /** A folder the path must lie in once symbolic links are resolved (TF.js shards). */
  within?: string;
}

/** Reads a model or weights file. Always returns a fresh copy the caller owns (never a view
 * of the caller's memory), so it can be transferred. Paths must name regular files (not a
 * directory, FIFO or device) of at most `maxBytes`; anything else is E_FORMAT. */
export async function readSource(source: ByteSource, limits: ReadLimits = {}): Promise<Uint8Array> {
  const max = limits.maxBytes ?? MAX_FILE_BYTES;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer || isSab(source)) return ownedCopy(source);
  if (typeof source !== 'string' && !(source instanceof URL))
    throw formatError(`expected the file as bytes (Uint8Array, ArrayBuffer), a path or a URL (got ${source === null ? 'null' : typeof source})`);
  const isUrl = source instanceof URL || /^(https?|blob|data|file):/i.test(source);
  if (isUrl || !nodeApis) {
    const deno = (globalThis as { Deno?: DenoFs }).Deno;
    if (!isUrl && deno !== undefined) return denoRead(deno, String(source), max);
    if (nodeApis && (source instanceof URL ? source.protocol === 'file:' : /^file:/i.test(source))) {
      const { fileURLToPath } = await import('node:url');
      let path: string;
      try {
        path = fileURLToPath(String(source));
      } catch (e) {
        throw formatError(`cannot read model file ${String(source)}: ${(e as Error).message}`);
      }
      return nodeRead(path, max, limits.within, String(source));
    }
    return fetchCapped(source, max);
  }
  return nodeRead(source, max, limits.within, source);
}

const tooBig = (what: string, n: number | string, max: number) => formatError(`${what} is ${n} bytes, more than the ${max} bytes allowed`);

/** A regular file of at most `max` bytes (Node, Bun), opened without blocking on a FIFO. */
async function nodeRead(path: string, max: number, within: string | undefined, what: string): Promise<Uint8Array> {
  const fs = await import('node:fs/promises');
  const { constants } = await import('node:fs');
  const fail = (e: unknown) => formatError(`cannot read model file ${what}: ${(e as Error).message}`);
  if (within !== undefined) {
    const { sep } = await import('node:path');
    if (/^file:/i.test(within)) within = (await import('node:url')).fileURLToPath(within);
    let real: string;
    let root: string;
    try {
      [real, root] = await Promise.all([fs.realpath(path), fs.realpath(within)]);
    } catch (e) {
      throw fail(e);
    }
    if (!real.startsWith(root.endsWith(sep) ? root : root + sep)) throw formatError(`${what} lies outside the model's folder ${within}`);
  }
  let st: Awaited<ReturnType<typeof fs.stat>>;
  try {
    st = await fs.stat(path);
  } catch (e) {
    throw fail(e);
  }
  if (!st.isFile()) throw formatError(`${what} is not a regular file (a directory, device, FIFO or socket cannot be read as a model)`);
  if (st.size > max) throw tooBig(what, st.size, max);
  let fh: Awaited<ReturnType<typeof fs.open>>;
  try {
    fh = await fs.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw fail(e);
  }
  try {
    if (!(await fh.stat()).isFile()) throw formatError(`${what} is not a regular file`);
    let buf = new Uint8Array(st.size);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        // the file may have grown since stat: read on, up to the cap
        const probe = new Uint8Array(1);
        const { bytesRead } = await fh.read(probe, 0, 1, n);
        if (bytesRead === 0) return buf;
        if (n + 1 > max) throw tooBig(what, `more than ${n}`, max);
        const bigger = new Uint8Array(Math.min(max + 1, Math.max(2 * buf.length, 4096)));
        bigger.set(buf);
        bigger[n++] = probe[0];
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) return buf.slice(0, n);
      n += bytesRead;
      if (n > max) throw tooBig(what, `more than ${max}`, max);
    }
  } catch (e) {
    throw (e as { code?: string }).code === 'E_FORMAT' ? e : fail(e);
  } finally {
    await fh.close();
  }
}

interface DenoFs {
  stat(p: string): Promise<{ isFile: boolean; size: number }>;
  readFile(p: string): Promise<Uint8Array>;
}

async function denoRead(deno: DenoFs, path: string, max: number): Promise<Uint8Array> {
  try {
    const st = await deno.stat(path);
    if (!st.isFile) throw formatError(`${path} is not a regular file (a directory, device, FIFO or socket cannot be read as a model)`);
    if (st.size > max) throw tooBig(path, st.size, max);
    const bytes = await deno.readFile(path);
    if (bytes.length > max) throw tooBig(path, bytes.length, max);
    return ownedCopy(bytes);
  } catch (e) {
    if ((e as { code?: string }).code === 'E_FORMAT') throw e;
    throw formatError(`cannot read model file ${path}: ${(e as Error).message}`);
  }
}

/** A fetched body of at most `max` bytes, read as a stream so a endless one stops at the cap. */
async function fetchCapped(source: string | URL, max: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(source);
  } catch (e) {
    throw formatError(`cannot fetch ${String(source)}: ${(e as Error).message}`);
  }
  if (!res.ok) throw formatError(`cannot fetch ${String(source)}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw tooBig(String(source), declared, max);
  }
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > max) {
        await reader.cancel();
        throw tooBig(String(source), `more than ${max}`, max);
      }
      chunks.push(value);
    }
  } catch (e) {
    if ((e as { code?: string }).code === 'E_FORMAT') throw e;
    throw formatError(`cannot fetch ${String(source)}: ${(e as Error).message}`);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
