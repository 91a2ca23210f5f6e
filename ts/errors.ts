// Typed errors of the SDK. Every error thrown by recurrent is a RangeError or a TypeError
// (the built-in classes, so `instanceof RangeError` works) carrying a stable `code`:
//   E_SHAPE      an array has the wrong length for its shape
//   E_RANGE      a value is out of its allowed range (ids, lengths, sizes)
//   E_NONFINITE  NaN or infinity in an input
//   E_OPTION     an unknown or invalid option, or an invalid combination
//   E_STATE      a call in the wrong order (e.g. backward before forward)
//   E_NOT_READY  the wasm module has not been loaded (call `await init()`)
//   E_FORMAT     a corrupt, truncated or wrong-version file
//   E_ABORTED    training stopped by an AbortSignal

export type ErrorCode = 'E_SHAPE' | 'E_RANGE' | 'E_NONFINITE' | 'E_OPTION' | 'E_STATE' | 'E_NOT_READY' | 'E_FORMAT' | 'E_ABORTED';

export interface RecurrentErrorFields {
  readonly code: ErrorCode;
}

export class RecurrentRangeError extends RangeError implements RecurrentErrorFields {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'RangeError';
    this.code = code;
  }
}

export class RecurrentTypeError extends TypeError implements RecurrentErrorFields {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'TypeError';
    this.code = code;
  }
}

/** True for any error raised by recurrent (SDK or wasm core), which all carry a `code`. */
export function isRecurrentError(e: unknown): e is (RangeError | TypeError) & RecurrentErrorFields {
  if (!(e instanceof RangeError || e instanceof TypeError)) return false;
  const code = (e as unknown as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('E_');
}

export const optionError = (msg: string) => new RecurrentTypeError('E_OPTION', msg);
export const rangeError = (msg: string) => new RecurrentRangeError('E_RANGE', msg);
export const shapeError = (msg: string) => new RecurrentRangeError('E_SHAPE', msg);
export const stateError = (msg: string) => new RecurrentTypeError('E_STATE', msg);
export const formatError = (msg: string) => new RecurrentTypeError('E_FORMAT', msg);

/** Throws E_OPTION naming the first key of `opts` that is not in `allowed`. */
export function checkKeys(where: string, opts: object | undefined, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw optionError(`${where} must be an options object`);
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw optionError(`unknown option ${where}.${k} (allowed: ${allowed.join(', ')})`);
  }
}

/** Largest size the core takes (sizes cross to wasm as u32). */
export const MAX_U32 = 0xffff_ffff;

/** A positive integer option below 2^32 (or undefined → default), named in the error. */
export function posInt(where: string, v: unknown, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_U32)
    throw rangeError(`${where} must be a positive integer below 2^32 (got ${String(v)})`);
  return v;
}

/** A non-negative integer below 2^32 (or undefined → default), named in the error. */
export function u32(where: string, v: unknown, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_U32)
    throw rangeError(`${where} must be a non-negative integer below 2^32 (got ${String(v)})`);
  return v;
}

/** A number option in [lo, hi) (or undefined → default). */
export function numIn(where: string, v: unknown, lo: number, hi: number, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v >= hi) throw rangeError(`${where} must be a number in [${lo}, ${hi}) (got ${String(v)})`);
  return v;
}
