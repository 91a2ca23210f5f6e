// Band-limited resampling with a windowed-sinc low-pass filter (Blackman window).
//
// Output sample m sits at input time t = m · from / to. It is Σ_k x[k] · h(t − k) with
//   h(u) = 2·fc · sinc(2·fc·u) · blackman(u / W),   |u| < W,
// fc = rolloff · ½ · min(1, to / from) cycles per input sample (the lower Nyquist rate, a
// little below it) and W = zeros / (2·fc) input samples (`zeros` zero crossings each side).
// Samples outside the signal are zero. When to/from reduces to L/M with L ≤ 4096 (every
// common rate pair) the L filter phases are tabulated once, each normalised to a DC gain of
// exactly 1. Output length: ceil(N · to / from).
import { checkKeys, numIn, posInt, rangeError } from '../errors.js';

/** Options of {@link resample}: the windowed-sinc low-pass filter (bad values are E_RANGE). */
export interface ResampleOptions {
  /** Zero crossings of the sinc on each side: longer filters cut more sharply and cost more. @default 16 */
  zeros?: number;
  /** Cut-off as a fraction of the lower Nyquist frequency, in (0, 1]. @default 0.94 */
  rolloff?: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function kernel(u: number, fc: number, w: number): number {
  if (Math.abs(u) >= w) return 0;
  const x = 2 * fc * u;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  const r = u / w; // in (-1, 1): Blackman over [-W, W]
  const win = 0.42 + 0.5 * Math.cos(Math.PI * r) + 0.08 * Math.cos(2 * Math.PI * r);
  return 2 * fc * sinc * win;
}

/** Resamples `x` from `from` Hz to `to` Hz (positive integers). */
export function resample(x: Float32Array, from: number, to: number, opts: ResampleOptions = {}): Float32Array {
  checkKeys('resample', opts, ['zeros', 'rolloff']);
  posInt('resample from', from);
  posInt('resample to', to);
  const zeros = posInt('resample zeros', opts.zeros, 16);
  const rolloff = opts.rolloff === undefined ? 0.94 : numIn('resample rolloff', opts.rolloff, Number.MIN_VALUE, 1 + Number.EPSILON);
  if (from === to) return x.slice();
  const g = gcd(from, to);
  const L = to / g;
  const M = from / g;
  const fc = 0.5 * rolloff * Math.min(1, to / from);
  const w = zeros / (2 * fc);
  const H = Math.ceil(w); // taps k = n − H + 1 … n + H around n = floor(t)
  const taps = 2 * H;
  const n = x.length;
  const outLen = Math.ceil((n * L) / M);
  if (!Number.isSafeInteger(n * L)) throw rangeError(`resample: ${n} samples × ${L} overflows`);
  const y = new Float32Array(outLen);
  const phaseTaps = (frac: number, into: Float64Array) => {
    let s = 0;
    for (let j = 0; j < taps; j++) s += into[j] = kernel(frac + H - 1 - j, fc, w);
    for (let j = 0; j < taps; j++) into[j] /= s;
  };
  const table = L <= 4096 ? new Float64Array(L * taps) : undefined;
  if (table) for (let p = 0; p < L; p++) phaseTaps(p / L, table.subarray(p * taps, (p + 1) * taps));
  const scratch = new Float64Array(taps);
  for (let m = 0; m < outLen; m++) {
    const num = m * M;
    const base = Math.floor(num / L);
    const p = num - base * L;
    let h: Float64Array;
    if (table) h = table.subarray(p * taps, (p + 1) * taps);
    else {
      phaseTaps(p / L, scratch);
      h = scratch;
    }
    const k0 = base - H + 1;
    let acc = 0;
    const jlo = Math.max(0, -k0);
    const jhi = Math.min(taps, n - k0);
    for (let j = jlo; j < jhi; j++) acc += h[j] * x[k0 + j];
    y[m] = acc;
  }
  return y;
}
