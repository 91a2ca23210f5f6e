// A task's model file: the session's recurrent/1 file with the task's own metadata keys added
// (a tagger's tag names, a classifier's class names), the checksum recomputed.
import { decodeSafetensors, encodeSafetensors, SAFETENSORS_CHECKSUM_KEY, type TensorIn } from '../index.js';

/**
 * `bytes` (a model file) with the string metadata `extra` added or replaced.
 * @example
 * ```ts
 * const file = withMetadata(session.save({ training: false }), { tags: JSON.stringify(['B', 'I', 'O']) });
 * ```
 */
export function withMetadata(bytes: Uint8Array, extra: Record<string, string>): Uint8Array {
  const f = decodeSafetensors(bytes);
  const meta: Record<string, string> = { ...f.metadata, ...extra };
  delete meta[SAFETENSORS_CHECKSUM_KEY];
  const tensors: [string, TensorIn][] = [...f.tensors].map(([n, t]) => [n, { dtype: t.dtype === 'U32' ? 'U32' : 'F32', shape: t.shape, data: t.data }]);
  return encodeSafetensors(tensors, meta);
}
