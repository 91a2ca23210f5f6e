// Helpers for tests that take model files apart: the safetensors header as JSON, and files
// rebuilt from an edited header over the same (or edited) data bytes.
/** A parsed safetensors header: untyped JSON that the tests edit freely. */
// biome-ignore lint/suspicious/noExplicitAny: the tests reach into arbitrary JSON they just parsed
export type Header = Record<string, any>;
/** Any JSON value (a metadata entry being edited). */
// biome-ignore lint/suspicious/noExplicitAny: as above
export type JsonValue = any;

export interface Parts {
  header: Header;
  data: Uint8Array;
}

export function split(bytes: Uint8Array): Parts {
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.slice(8 + n) };
}

export function join({ header, data }: Parts): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** The file with its header edited by `fn` (data untouched, so its checksum still holds). */
export function editHeader(bytes: Uint8Array, fn: (h: Header) => void): Uint8Array {
  const p = split(bytes);
  fn(p.header);
  return join(p);
}

/** The file with one metadata JSON value (architecture, training, …) edited by `fn`. */
export function editMeta(bytes: Uint8Array, key: string, fn: (v: JsonValue) => JsonValue): Uint8Array {
  return editHeader(bytes, (h) => {
    const v = JSON.parse(h.__metadata__[key]);
    const r = fn(v);
    h.__metadata__[key] = JSON.stringify(r === undefined ? v : r);
  });
}

/** Deterministic xorshift32 in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** A JSON container: an object or an array. */
export type Json = Record<string, unknown> | unknown[];

/** Every [container, key] in a JSON tree. */
export function slots(v: unknown, out: [Json, string | number][] = []): [Json, string | number][] {
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push([v, i]);
      slots(x, out);
    });
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots(x, out);
    }
  return out;
}
