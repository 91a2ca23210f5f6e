// safetensors (https://huggingface.co/docs/safetensors): 8-byte little-endian header length
// N, an N-byte JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__:
// {string: string}}, then the raw little-endian tensor bytes. We write F32 and U32 tensors,
// and read F32, U32, and F16 / BF16 / F64 (converted to F32; PyTorch users often save those).
// Reading is defensive: every entry, length and offset is checked against the bytes actually
// present before anything is allocated; the tensors must tile the data section exactly (no
// overlap, gap or trailing bytes); so a corrupt or truncated file is an E_FORMAT error.
// Integrity: files we write carry `data_crc32` in their metadata: 8 hex digits of the CRC-32 of
// the data section continued over the layout (for each tensor sorted by name, the UTF-8 of
// "name\0dtype\0d0,d1,…\0begin\0end\n"), so flipped bytes and swapped or renamed tensors are
// both caught. Reading verifies it when present (files without one still load) and does not
// return it among the metadata.
import { formatError, optionError } from '../errors.js';
import { crc32, hex32 } from './crc32.js';

/** Stored dtypes we write. */
export type DType = 'F32' | 'U32';
/** Stored dtypes we read: the float ones arrive as Float32Array. */
export type ReadDType = DType | 'F16' | 'BF16' | 'F64';

/** A tensor to write. */
export interface TensorIn {
  /** Stored dtype. */
  dtype: DType;
  /** Dimensions, row-major. */
  shape: number[];
  /** The values (length = product of shape). */
  data: Float32Array | Uint32Array;
}

/** A tensor read from a file. */
export interface TensorRead {
  /** The dtype stored in the file; F16, BF16 and F64 data are converted to Float32Array. */
  dtype: ReadDType;
  /** Dimensions, row-major. */
  shape: number[];
  /** The values. */
  data: Float32Array | Uint32Array;
}

/** A decoded safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name. */
  tensors: Map<string, TensorRead>;
  /** The `__metadata__` strings (without the checksum). */
  metadata: Record<string, string>;
}

/** Metadata key of the data section's CRC-32. */
export const CHECKSUM_KEY = 'data_crc32';
interface Layout {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** The checksum stored in data_crc32 (see the top of this file). */
function checksum(data: Uint8Array, layout: Layout[]): string {
  const lines = [...layout]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => `${t.name}\0${t.dtype}\0${t.shape.join(',')}\0${t.begin}\0${t.end}\n`)
    .join('');
  return hex32(crc32(new TextEncoder().encode(lines), crc32(data)));
}

/** Largest header we accept (the JSON of a model's names and shapes is far smaller). */
const MAX_HEADER = 64 * 1024 * 1024;
/** Most tensors a header may list (a model has far fewer); checked before the JSON is parsed,
 * so a 56 MiB header of a million entries fails in milliseconds. */
export const MAX_ENTRIES = 65_536;

/** How many JSON objects (`{` outside strings) the header bytes open, counting up to `stop`. */
function objectsOutsideStrings(b: Uint8Array, stop: number): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b && ++n >= stop) return n;
  }
  return n;
}
const BYTES: Record<ReadDType, number> = { F32: 4, U32: 4, F16: 2, BF16: 2, F64: 8 };

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('recurrent needs a little-endian platform');

/** A safetensors file of `tensors` and `metadata`, with the data_crc32 checksum added. */
export function encodeSafetensors(tensors: [string, TensorIn][], metadata: Record<string, string>): Uint8Array {
  if (CHECKSUM_KEY in metadata) throw optionError(`metadata key '${CHECKSUM_KEY}' is reserved`);
  const entries: Record<string, unknown> = {};
  const layout: Layout[] = [];
  let off = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    entries[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + bytes] };
    layout.push({ name, dtype: t.dtype, shape: t.shape, begin: off, end: off + bytes });
    off += bytes;
  }
  const data = new Uint8Array(off);
  let p = 0;
  for (const [, t] of tensors) {
    data.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * 4), p);
    p += t.data.length * 4;
  }
  let json = JSON.stringify({ __metadata__: { ...metadata, [CHECKSUM_KEY]: checksum(data, layout) }, ...entries });
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    hb = enc.encode(json);
  }
  const out = new Uint8Array(8 + hb.length + off);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hb.length, true);
  dv.setUint32(4, 0, true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
}

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The tensor's values in a fresh, aligned array (the source may sit at any byte offset). */
function readData(raw: Uint8Array, dtype: ReadDType, count: number): Float32Array | Uint32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === 'F32' || dtype === 'U32') {
    const copy = new Uint8Array(count * 4);
    copy.set(raw);
    return dtype === 'F32' ? new Float32Array(copy.buffer) : new Uint32Array(copy.buffer);
  }
  const out = new Float32Array(count);
  if (dtype === 'F64') for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
  else if (dtype === 'F16') for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  else {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads a safetensors file (checked; E_FORMAT on anything malformed; verifies data_crc32 when present). */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw formatError('expected the file as a Uint8Array');
  if (bytes.length < 8) throw formatError(`file is truncated: ${bytes.length} bytes, not even a header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER) throw formatError('not a safetensors file (header length is implausible)');
  if (8 + lo > bytes.length) throw formatError(`file is truncated: the header says ${lo} bytes but only ${bytes.length - 8} follow`);
  const objects = objectsOutsideStrings(bytes.subarray(8, 8 + lo), MAX_ENTRIES + 3);
  if (objects > MAX_ENTRIES + 2) throw formatError(`the header lists more than ${MAX_ENTRIES} tensors (the most a file may hold)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + lo)));
  } catch {
    throw formatError('not a safetensors file (the header is not valid UTF-8 JSON)');
  }
  if (!isObject(header)) throw formatError('safetensors header must be a JSON object');
  const dataStart = 8 + lo;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: ReadDType; shape: number[]; begin: number; end: number; count: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(v)) throw formatError('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw formatError(`metadata ${k} is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    if (!isObject(v)) throw formatError(`tensor ${name}: its entry must be an object {dtype, shape, data_offsets} (got ${JSON.stringify(v)})`);
    const dtype = v.dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype))
      throw formatError(`tensor ${name}: dtype ${String(dtype)} is not supported (${Object.keys(BYTES).join(', ')})`);
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw formatError(`tensor ${name}: bad shape`);
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2) throw formatError(`tensor ${name}: bad data_offsets`);
    const [b, e] = offs as unknown[];
    if (!Number.isSafeInteger(b) || !Number.isSafeInteger(e) || (b as number) < 0 || (e as number) < (b as number) || (e as number) > dataLen)
      throw formatError(`tensor ${name}: data_offsets [${String(b)}, ${String(e)}] fall outside the ${dataLen} data bytes (truncated file?)`);
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if ((e as number) - (b as number) !== count * BYTES[dtype as ReadDType])
      throw formatError(`tensor ${name}: ${(e as number) - (b as number)} bytes for ${dtype} shape [${shape.join(', ')}]`);
    entries.push({ name, dtype: dtype as ReadDType, shape: shape as number[], begin: b as number, end: e as number, count });
  }
  // the tensors must tile [0, dataLen) exactly: sorted by begin, each starts where the last ended
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = 0;
  for (const t of sorted) {
    if (t.begin !== at)
      throw formatError(
        `tensor ${t.name}: data_offsets [${t.begin}, ${t.end}] ${t.begin < at ? 'overlap the tensor before' : 'leave a gap after the tensor before'} (which ends at ${at})`,
      );
    at = t.end;
  }
  if (at !== dataLen)
    throw formatError(`the file has ${dataLen - at} bytes after its last tensor (the data section is ${dataLen} bytes, the tensors cover ${at})`);
  const data = bytes.subarray(dataStart);
  const sum = metadata[CHECKSUM_KEY];
  if (sum !== undefined) {
    if (!/^[0-9a-f]{8}$/.test(sum)) throw formatError(`metadata ${CHECKSUM_KEY} must be 8 hex digits (got ${JSON.stringify(sum.slice(0, 20))})`);
    const got = checksum(data, entries);
    if (got !== sum) throw formatError(`the tensor data is corrupt: its checksum is ${got}, the file says ${sum} (${CHECKSUM_KEY})`);
    delete metadata[CHECKSUM_KEY];
  }
  const tensors = new Map<string, TensorRead>();
  for (const t of entries) tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: readData(data.subarray(t.begin, t.end), t.dtype, t.count) });
  return { tensors, metadata };
}
