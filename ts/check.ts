// Option checkers: one small function per kind of option value, each throwing a typed error that
// names the option. Wrong type → E_OPTION; right type but out of range → E_RANGE. Nothing here
// coerces (no `>>> 0`, no `Number(...)`, no truthiness): 'no' is not false, 1.9 is not 1.
import { MAX_U32, optionError, posInt, rangeError } from './errors.js';

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'symbol' ? v.toString() : String(v));

/** A seed: an integer in [0, 2^32), or `dflt` when undefined. */
export function seedOpt(where: string, v: unknown, dflt = 0): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw optionError(`${where} must be an integer in [0, 2^32) (got ${show(v)})`);
  if (!Number.isInteger(v) || v < 0 || v > MAX_U32) throw rangeError(`${where} must be an integer in [0, 2^32) (got ${show(v)})`);
  return v;
}

/** A boolean, or `dflt` when undefined ('yes', 1 and null are E_OPTION). */
export function boolOpt(where: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw optionError(`${where} must be true or false (got ${show(v)})`);
  return v;
}

/** A number > 0 (Infinity allowed: no limit), or undefined. '100' is E_OPTION. */
export function positiveOpt(where: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw optionError(`${where} must be a number (got ${show(v)})`);
  if (!(v > 0)) throw rangeError(`${where} must be positive (got ${show(v)})`);
  return v;
}

/** A plain object (not null, not an array), or undefined. */
export function objectOpt<T extends object>(where: string, v: unknown): T | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw optionError(`${where} must be an options object (got ${show(v)})`);
  return v as T;
}

/** A positive integer below 2^32 (undefined → `dflt`); a non-number is E_OPTION. */
export function countOpt(where: string, v: unknown, dflt?: number): number {
  if (v !== undefined && typeof v !== 'number') throw optionError(`${where} must be a positive integer (got ${show(v)})`);
  return posInt(where, v, dflt);
}

/** The scalar options every `fit` takes, checked the same way in every trainer mode (before
 * anything crosses to a worker). Unknown keys are the caller's check. */
export function checkFitScalars(o: {
  epochs?: unknown;
  batchSize?: unknown;
  shuffle?: unknown;
  seed?: unknown;
  timeBudgetMs?: unknown;
  resume?: unknown;
  tbptt?: unknown;
}): void {
  if (o.epochs !== undefined) countOpt('fit.epochs', o.epochs);
  if (o.batchSize !== undefined) countOpt('fit.batchSize', o.batchSize);
  boolOpt('fit.shuffle', o.shuffle, true);
  seedOpt('fit.seed', o.seed);
  positiveOpt('fit.timeBudgetMs', o.timeBudgetMs);
  boolOpt('fit.resume', o.resume, false);
  const tbptt = objectOpt<{ window?: unknown }>('fit.tbptt', o.tbptt);
  if (tbptt !== undefined) countOpt('fit.tbptt.window', tbptt.window);
}

/** The sampling options of `generate`: maxTokens, temperature, topK, topP, seed. */
export function checkGenerateScalars(o: { maxTokens?: unknown; temperature?: unknown; topK?: unknown; topP?: unknown; seed?: unknown }): void {
  const num = (k: 'maxTokens' | 'temperature' | 'topK' | 'topP') => {
    const v = o[k];
    if (v !== undefined && typeof v !== 'number') throw optionError(`generate.${k} must be a number (got ${show(v)})`);
  };
  for (const k of ['maxTokens', 'temperature', 'topK', 'topP'] as const) num(k);
  if (o.temperature !== undefined && !((o.temperature as number) >= 0 && Number.isFinite(o.temperature)))
    throw rangeError(`generate.temperature must be a finite number ≥ 0 (got ${show(o.temperature)})`);
  if (o.topP !== undefined && !((o.topP as number) > 0 && (o.topP as number) <= 1)) throw rangeError(`generate.topP must be in (0, 1] (got ${show(o.topP)})`);
  seedOpt('generate.seed', o.seed);
}

/** Where in `v` (data for fit / evaluate: examples, pairs, windows) a function or a Symbol sits,
 * which a worker cannot receive (structured clone); looked for up to `depth` levels down. */
function uncloneable(v: unknown, path: string, depth: number): string | undefined {
  if (typeof v === 'function' || typeof v === 'symbol') return `${path} is a ${typeof v}`;
  if (depth === 0 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = uncloneable(v[i], `${path}[${i}]`, depth - 1);
      if (r) return r;
    }
    return undefined;
  }
  for (const k of Object.keys(v)) {
    const r = uncloneable((v as Record<string, unknown>)[k], `${path}.${k}`, depth - 1);
    if (r) return r;
  }
  return undefined;
}

/** E_OPTION when data holds a function or a Symbol: the same answer in every trainer mode (a
 * worker could not receive it; the calling thread would ignore it). */
export function checkPlainData(where: string, data: unknown): void {
  const r = uncloneable(data, where, 4);
  if (r) throw optionError(`${r}; data must hold only numbers, arrays and typed arrays`);
}
