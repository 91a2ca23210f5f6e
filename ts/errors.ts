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

/**
 * The stable `code` carried by every error recurrent throws (SDK, wasm core, or passed back
 * from a worker). Match on `code`, not on the message, which may change.
 *
 * | code | class | meaning |
 * |---|---|---|
 * | `E_SHAPE` | RangeError | an array has the wrong length for its shape (e.g. `ids` is not `[B·T]`), or a carried state was made for another batch size |
 * | `E_RANGE` | RangeError | a value out of its allowed range: a token id ≥ the vocabulary, a length > steps, a size < 1, `temperature` < 0, `topP` outside (0, 1], a symbol not in a `Vocabulary` |
 * | `E_NONFINITE` | RangeError | NaN or ±Infinity in an input, a target or a parameter being set |
 * | `E_OPTION` | TypeError | an unknown option, an invalid value or combination (e.g. `generate` on a feature model, `fit` before `compile`) |
 * | `E_STATE` | TypeError | a call in the wrong order: no model built yet, `backward` before `forward`, `build`/`compile`/`load` while `fit` runs |
 * | `E_NOT_READY` | TypeError | the wasm core is not loaded yet: call `await init()` first |
 * | `E_FORMAT` | TypeError | a corrupt, truncated, wrong-version or inconsistent file (model, weights, vocabulary, fixture), or one that cannot be read |
 * | `E_ABORTED` | RangeError or TypeError | an operation stopped by an `AbortSignal` before it had a result. `fit` does not throw it: an aborted run resolves with `stopReason: 'aborted'` and a valid model |
 *
 * After any of these errors the model, trainer and vocabulary stay usable.
 *
 * @example
 * ```ts
 * const model = sequential({ input: { vocab: 5 } }).embedding({ dim: 4 }).lstm({ units: 8 }).dense({ units: 5 }).build({ seed: 1 });
 * try {
 *   model.forward({ ids: [1, 2, 3], batch: 1, steps: 4 }); // 3 ids for 1 x 4 steps
 * } catch (e) {
 *   if (isRecurrentError(e) && e.code === 'E_SHAPE') console.error(e.message); // names the argument and its shape
 * }
 * model.dispose();
 * ```
 */
export type ErrorCode = 'E_SHAPE' | 'E_RANGE' | 'E_NONFINITE' | 'E_OPTION' | 'E_STATE' | 'E_NOT_READY' | 'E_FORMAT' | 'E_ABORTED';

/** The field every recurrent error adds to the built-in `RangeError` / `TypeError`. */
export interface RecurrentErrorFields {
  /** Stable machine-readable code (see {@link ErrorCode}). */
  readonly code: ErrorCode;
}

/**
 * A built-in `RangeError` (so `instanceof RangeError` holds) with a {@link ErrorCode}: the class of
 * `E_SHAPE`, `E_RANGE` and `E_NONFINITE` errors. Its `name` is `'RangeError'`.
 * @example
 * ```ts
 * try {
 *   sequential({ input: { vocab: 0 } });
 * } catch (e) {
 *   if (e instanceof RecurrentRangeError) console.log(e.code, e.message); // E_RANGE ...
 * }
 * ```
 */
export class RecurrentRangeError extends RangeError implements RecurrentErrorFields {
  /** Stable machine-readable code (see {@link ErrorCode}). */
  readonly code: ErrorCode;
  /**
   * @param code the error's stable code
   * @param message what was wrong, naming the argument
   */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'RangeError';
    this.code = code;
  }
}

/**
 * A built-in `TypeError` (so `instanceof TypeError` holds) with a {@link ErrorCode}: the class of
 * `E_OPTION`, `E_STATE`, `E_NOT_READY` and `E_FORMAT` errors. Its `name` is `'TypeError'`.
 * @example
 * ```ts
 * // options read from JSON are checked at run time, whatever their static type
 * const options = JSON.parse('{ "dim": 4, "bogus": 1 }');
 * try {
 *   sequential({ input: { vocab: 5 } }).embedding(options);
 * } catch (e) {
 *   if (e instanceof RecurrentTypeError) console.log(e.code, e.message); // E_OPTION: names the unknown key
 * }
 * ```
 */
export class RecurrentTypeError extends TypeError implements RecurrentErrorFields {
  /** Stable machine-readable code (see {@link ErrorCode}). */
  readonly code: ErrorCode;
  /**
   * @param code the error's stable code
   * @param message what was wrong, naming the argument
   */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'TypeError';
    this.code = code;
  }
}

/**
 * True for any error raised by recurrent (SDK or wasm core, also when it came back from a
 * worker): a `RangeError` or `TypeError` whose `code` starts with `E_`.
 */
export function isRecurrentError(e: unknown): e is (RangeError | TypeError) & RecurrentErrorFields {
  if (!(e instanceof RangeError || e instanceof TypeError)) return false;
  const code: unknown = 'code' in e ? e.code : undefined;
  return typeof code === 'string' && code.startsWith('E_');
}

/** A `TypeError` with code `E_OPTION` (an unknown or invalid option). Helper for code built on the SDK. */
export const optionError = (msg: string) => new RecurrentTypeError('E_OPTION', msg);
/** A `RangeError` with code `E_RANGE` (a value out of its allowed range). */
export const rangeError = (msg: string) => new RecurrentRangeError('E_RANGE', msg);
/** A `RangeError` with code `E_SHAPE` (an array of the wrong length for its shape). */
export const shapeError = (msg: string) => new RecurrentRangeError('E_SHAPE', msg);
/** A `TypeError` with code `E_STATE` (a call in the wrong order). */
export const stateError = (msg: string) => new RecurrentTypeError('E_STATE', msg);
/** A `TypeError` with code `E_FORMAT` (a corrupt, truncated or wrong-version file). */
export const formatError = (msg: string) => new RecurrentTypeError('E_FORMAT', msg);

/**
 * Throws E_OPTION naming the first key of `opts` that is not in `allowed` (and when `opts` is
 * not a plain object). `undefined` passes.
 * @param where the option object's name, used in the message (e.g. `'fit'`)
 */
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

/**
 * A finite number option in [lo, hi), or `dflt` when `v` is undefined and a default is given;
 * otherwise E_RANGE naming `where`.
 */
export function numIn(where: string, v: unknown, lo: number, hi: number, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v >= hi) throw rangeError(`${where} must be a number in [${lo}, ${hi}) (got ${String(v)})`);
  return v;
}
