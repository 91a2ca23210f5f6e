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

/** CRC-32 of `bytes` (crc32("123456789") = 0xcbf43926). */
export function crc32(bytes: Uint8Array): number {
  table ??= makeTable();
  const t = table;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The 8 lowercase hex digits a file stores. */
export const crc32Hex = (bytes: Uint8Array): string => crc32(bytes).toString(16).padStart(8, '0');
