// Small helpers for CLI flags: durations, numbers, choices, with errors that name the flag.
import { optionError } from '../errors.js';

export function num(flag: string, v: string | undefined, dflt: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min) || (opts.max !== undefined && x > opts.max)) {
    const kind = opts.int ? 'an integer' : 'a number';
    const range = opts.min !== undefined ? ` ≥ ${opts.min}` : '';
    throw optionError(`--${flag} must be ${kind}${range} (got '${v}')`);
  }
  return x;
}

export function choice<T extends string>(flag: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw optionError(`--${flag} must be one of ${allowed.join(', ')} (got '${v}')`);
  return v as T;
}

/** "90", "90s", "5m", "1h" → milliseconds. */
export function duration(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw optionError(`--${flag} must be a duration like 90s, 5m or 1h (got '${v}')`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
