// A content fingerprint of training data (plain values: arrays, objects, typed arrays, numbers,
// strings, booleans), so a data-parallel fit on the same data as the last one can leave it in
// the replicas instead of sending it again (parallel/coordinator.ts). Two independent 32-bit
// FNV-1a-style hashes over every word, with the shape (keys, lengths, types) mixed in: data
// changed in place gives another fingerprint.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

class Hash {
  a = 0x811c9dc5;
  b = 0x01000193 ^ 0x5bd1e995;
  word(x: number): void {
    this.a = Math.imul(this.a ^ x, 0x01000193);
    this.b = Math.imul(this.b ^ x, 0x5bd1e995) ^ (this.b >>> 15);
  }
  number(x: number): void {
    f64[0] = x;
    this.word(u32[0]);
    this.word(u32[1]);
  }
  text(s: string): void {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }
}

function walk(h: Hash, v: unknown): void {
  if (v === undefined || v === null) {
    h.word(v === null ? 1 : 2);
    return;
  }
  if (typeof v !== 'object') {
    h.text(typeof v);
    if (typeof v === 'number') h.number(v);
    else h.text(String(v));
    return;
  }
  if (ArrayBuffer.isView(v)) {
    h.text(v.constructor.name);
    h.word(v.byteLength);
    const whole = v.byteLength >> 2;
    const words = new Uint32Array(v.buffer, v.byteOffset, (v.byteOffset & 3) === 0 ? whole : 0);
    // the hot loop, inlined (the bulk of any data set is its typed arrays)
    let a = h.a;
    let b = h.b;
    for (let i = 0; i < words.length; i++) {
      const x = words[i];
      a = Math.imul(a ^ x, 0x01000193);
      b = Math.imul(b + x, 0x5bd1e995) ^ (b >>> 15);
    }
    h.a = a;
    h.b = b;
    const bytes = new Uint8Array(v.buffer, v.byteOffset + words.length * 4, v.byteLength - words.length * 4);
    for (let i = 0; i < bytes.length; i++) h.word(bytes[i]);
    return;
  }
  if (Array.isArray(v)) {
    h.word(7);
    h.word(v.length);
    for (const x of v) walk(h, x);
    return;
  }
  h.word(8);
  for (const k of Object.keys(v).sort()) {
    h.text(k);
    walk(h, (v as Record<string, unknown>)[k]);
  }
}

/** The fingerprint of `v` (equal content, equal fingerprint). */
export function fingerprint(v: unknown): string {
  const h = new Hash();
  walk(h, v);
  return `${(h.a >>> 0).toString(16)}:${(h.b >>> 0).toString(16)}`;
}
