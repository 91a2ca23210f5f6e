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

/** Reads a model or weights file. Always returns a fresh copy the caller owns (never a view
 * of the caller's memory), so it can be transferred. */
export async function readSource(source: ByteSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer || isSab(source)) return ownedCopy(source);
  if (typeof source !== 'string' && !(source instanceof URL))
    throw formatError(`expected the file as bytes (Uint8Array, ArrayBuffer), a path or a URL (got ${source === null ? 'null' : typeof source})`);
  const isUrl = source instanceof URL || /^(https?|blob|data|file):/i.test(source);
  if (isUrl || !nodeApis) {
    const deno = (globalThis as { Deno?: { readFile(p: string): Promise<Uint8Array> } }).Deno;
    if (!isUrl && deno !== undefined) {
      try {
        return ownedCopy(await deno.readFile(String(source)));
      } catch (e) {
        throw formatError(`cannot read model file ${source}: ${(e as Error).message}`);
      }
    }
    if (nodeApis && (source instanceof URL ? source.protocol === 'file:' : /^file:/i.test(source))) {
      const { readFile } = await import('node:fs/promises');
      try {
        return ownedCopy(await readFile(new URL(String(source))));
      } catch (e) {
        throw formatError(`cannot read model file ${String(source)}: ${(e as Error).message}`);
      }
    }
    let res: Response;
    try {
      res = await fetch(source);
    } catch (e) {
      throw formatError(`cannot fetch ${String(source)}: ${(e as Error).message}`);
    }
    if (!res.ok) throw formatError(`cannot fetch ${String(source)}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const { readFile } = await import('node:fs/promises');
  try {
    return ownedCopy(await readFile(source));
  } catch (e) {
    throw formatError(`cannot read model file ${source}: ${(e as Error).message}`);
  }
}
