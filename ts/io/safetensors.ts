// safetensors (https://huggingface.co/docs/safetensors): 8-byte little-endian header length
// N, an N-byte JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__:
// {string: string}}, then the raw little-endian tensor bytes. We write F32 and U32 tensors.
// Reading is defensive: every length and offset is checked against the bytes actually
// present before anything is allocated, so a corrupt or truncated file is an E_FORMAT error.
import { formatError } from '../errors.js';

export type DType = 'F32' | 'U32';

export interface TensorIn {
  dtype: DType;
  shape: number[];
  data: Float32Array | Uint32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, TensorIn>;
  metadata: Record<string, string>;
}

/** Largest header we accept (the JSON of a model's names and shapes is far smaller). */
const MAX_HEADER = 64 * 1024 * 1024;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('recurrent needs a little-endian platform');

export function encodeSafetensors(tensors: [string, TensorIn][], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = JSON.stringify(header);
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
  let p = 8 + hb.length;
  for (const [, t] of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * 4), p);
    p += t.data.length * 4;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw formatError('expected the file as a Uint8Array');
  if (bytes.length < 8) throw formatError(`file is truncated: ${bytes.length} bytes, not even a header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER) throw formatError('not a safetensors file (header length is implausible)');
  if (8 + lo > bytes.length) throw formatError(`file is truncated: the header says ${lo} bytes but only ${bytes.length - 8} follow`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + lo)));
  } catch {
    throw formatError('not a safetensors file (the header is not valid UTF-8 JSON)');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw formatError('safetensors header must be a JSON object');
  const dataStart = 8 + lo;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorIn>();
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object') throw formatError('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw formatError(`metadata ${k} is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t.dtype !== 'F32' && t.dtype !== 'U32') throw formatError(`tensor ${name}: dtype ${String(t.dtype)} is not supported (F32, U32)`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw formatError(`tensor ${name}: bad shape`);
    if (!Array.isArray(t.data_offsets) || t.data_offsets.length !== 2) throw formatError(`tensor ${name}: bad data_offsets`);
    const [b, e] = t.data_offsets as number[];
    const count = (t.shape as number[]).reduce((a, d) => a * d, 1);
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < b || e > dataLen)
      throw formatError(`tensor ${name}: data_offsets [${b}, ${e}] fall outside the ${dataLen} data bytes (truncated file?)`);
    if (e - b !== count * 4) throw formatError(`tensor ${name}: ${e - b} bytes for shape [${(t.shape as number[]).join(', ')}]`);
    // copy into an aligned buffer (the data section need not be 4-byte aligned in memory)
    const raw = bytes.slice(dataStart + b, dataStart + e);
    const data = t.dtype === 'F32' ? new Float32Array(raw.buffer) : new Uint32Array(raw.buffer);
    tensors.set(name, { dtype: t.dtype, shape: t.shape as number[], data });
  }
  return { tensors, metadata };
}
