// Values of CLI flags: numbers, sizes, choices and durations, with one-line errors that name
// the flag. Not a number → E_OPTION; a number out of range (or a size ≥ 2**32) → E_RANGE.
import { optionError, rangeError } from '../errors.js';

/** The largest size (count, width, length) a flag accepts: sizes cross into wasm as u32. */
export const MAX_SIZE = 2 ** 32 - 1;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function num(flag: string, v: string | undefined, dflt: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (v === undefined) return dflt;
  // decimal notation only: '0x10', '0b1' and '' are not numbers here
  const x = DECIMAL.test(v.trim()) ? Number(v) : /^[+-]?Infinity$/.test(v.trim()) ? Number(v) : NaN;
  if (Number.isNaN(x)) throw optionError(`--${flag} must be ${opts.int ? 'an integer' : 'a number'} (got '${v}')`);
  const max = opts.max ?? (opts.int ? MAX_SIZE : Infinity);
  const min = opts.min ?? -Infinity;
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || x < min || x > max) {
    const kind = opts.int ? 'an integer' : 'a number';
    const range =
      Number.isFinite(min) && Number.isFinite(max) ? ` in [${min}, ${max}]` : Number.isFinite(min) ? ` ≥ ${min}` : Number.isFinite(max) ? ` ≤ ${max}` : '';
    throw rangeError(`--${flag} must be ${kind}${range} (got '${v}')`);
  }
  return x;
}

export function choice<T extends string>(flag: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw optionError(`--${flag} must be one of ${allowed.join(', ')} (got '${v}')`);
  return v as T;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "90" (seconds), "90s", "500ms", "5m", "1h", "9m30s", "1h30m" → milliseconds; "none" or "off"
 * → undefined (no limit). A duration must be positive. */
export function duration(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'none' || s === 'off') return undefined;
  const bad = () => optionError(`--${flag} must be a duration like 90s, 9m30s, 1h or 500ms, or none (got '${v}')`);
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(s)) ms = Number(s) * 1000;
  else {
    if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(s)) throw bad();
    ms = 0;
    for (const [, n, , unit] of s.matchAll(/(\d+(\.\d+)?)(ms|h|m|s)/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (!(ms > 0) || !Number.isFinite(ms)) throw rangeError(`--${flag} must be longer than 0 (got '${v}')`);
  return ms;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
