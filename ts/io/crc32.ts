// CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320, reflected), table-driven. It
// detects every error burst of up to 32 bits, so any single corrupted byte.
let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** CRC-32 of `bytes` (crc32("123456789") = 0xcbf43926); `prev` continues a running CRC
 * (zlib's convention: crc32(b, crc32(a)) = crc32(a ++ b)). */
export function crc32(bytes: Uint8Array, prev = 0): number {
  table ??= makeTable();
  const t = table;
  let c = (prev ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** 8 lowercase hex digits. */
export const hex32 = (n: number): string => n.toString(16).padStart(8, '0');
