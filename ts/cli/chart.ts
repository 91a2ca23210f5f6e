// Small self-contained SVG charts for the CLI's pictures: a line chart (loss per step,
// validation per epoch) and a horizontal bar chart (a model against its baseline; the
// benchmark's ratios against each peer). No scripts, fonts or links: one file that any
// browser or image viewer shows.

export interface LineSeries {
  name: string;
  /** [x, y] points, x ascending; non-finite y are left out. */
  points: readonly (readonly [number, number])[];
  /** Draw a dot at every point (for sparse series such as one value per epoch). */
  dots?: boolean;
}

export interface LineChartOptions {
  title: string;
  subtitle?: string;
  x: string;
  y: string;
  series: readonly LineSeries[];
  /** A log₁₀ y axis (ticks at powers of ten; y ≤ 0 are left out). */
  logY?: boolean;
  width?: number;
  height?: number;
}

export interface BarGroup {
  label: string;
  /** One value per series; undefined (not measured) values get no bar. */
  values: readonly (number | undefined)[];
}

export interface BarChartOptions {
  title: string;
  subtitle?: string;
  /** Axis label, e.g. "F1 (%)" or "speed ratio (×)". */
  axis: string;
  series: readonly string[];
  groups: readonly BarGroup[];
  /** Value labels at the bar ends (default: 3 significant digits). */
  format?: (v: number) => string;
  /** Log scale with bars drawn from `reference` (e.g. ratios around 1×). */
  log?: boolean;
  /** A dashed vertical line (and, with `log`, the bars' origin). */
  reference?: { value: number; label: string };
  width?: number;
}

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const INK = '#222';
const GREY = '#666';
const GRID = '#e4e4e4';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r2 = (x: number) => Math.round(x * 100) / 100;

/** A tick label: thousands separators for large values, up to 4 significant digits. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 10_000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(4)));
}

/** About `n` round ticks (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.1 || 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= n) ?? 10 * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = start; t < hi + step - 1e-9 * step; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Ticks for a log axis over [lo, hi] (lo > 0): 1, 2, 5 × 10^k, thinned to about 8. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++)
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** k;
      if (t >= lo * 0.999 && t <= hi * 1.001) out.push(Number(t.toPrecision(6)));
    }
  return out.length > 8 ? out.filter((t) => /^1/.test(String(t)) || out.length < 3) : out;
}

function header(width: number, height: number, title: string, subtitle?: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600" fill="${INK}">${esc(title)}</text>`,
    subtitle ? `<text x="16" y="42" fill="${GREY}">${esc(subtitle)}</text>` : '',
  ];
}

function legend(names: readonly string[], xRight: number, y: number): string[] {
  const out: string[] = [];
  let x = xRight;
  for (let i = names.length - 1; i >= 0; i--) {
    const w = names[i].length * 7 + 34;
    x -= w;
    out.push(`<rect x="${r2(x)}" y="${y - 9}" width="12" height="12" rx="2" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${r2(x + 16)}" y="${y + 1}" fill="${INK}">${esc(names[i])}</text>`);
  }
  return out;
}

/** At most `max` points: means of equal runs of consecutive points. */
function thin(points: readonly (readonly [number, number])[], max: number): [number, number][] {
  const ok = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (ok.length <= max) return ok.map(([x, y]) => [x, y]);
  const out: [number, number][] = [];
  const per = ok.length / max;
  for (let i = 0; i < max; i++) {
    const run = ok.slice(Math.floor(i * per), Math.floor((i + 1) * per));
    out.push([run.reduce((a, p) => a + p[0], 0) / run.length, run.reduce((a, p) => a + p[1], 0) / run.length]);
  }
  return out;
}

/** Integer powers of ten spanning log₁₀ values `ys` (at most about 8 ticks). */
function decades(ys: readonly number[]): number[] {
  const lo = ys.length ? Math.floor(Math.min(...ys)) : 0;
  const hi = Math.max(lo + 1, ys.length ? Math.ceil(Math.max(...ys)) : 1);
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  const out: number[] = [];
  for (let t = lo; t < hi + step; t += step) out.push(t);
  return out;
}

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 420;
  const m = { left: 64, right: 20, top: o.subtitle ? 76 : 60, bottom: 50 };
  const ly = (pts: readonly (readonly [number, number])[]) => (o.logY ? pts.filter(([, y]) => y > 0).map(([x, y]) => [x, Math.log10(y)] as const) : pts);
  const series = o.series.map((s) => ({ ...s, pts: thin(ly(s.points), 1200) }));
  const all = series.flatMap((s) => s.pts);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xt = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, 6);
  const yt = o.logY ? decades(ys) : niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 5);
  const [x0, x1, y0, y1] = [xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]];
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const X = (x: number) => r2(m.left + ((x - x0) / (x1 - x0 || 1)) * pw);
  const Y = (y: number) => r2(m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph);
  const out = header(width, height, o.title, o.subtitle);
  out.push(
    ...legend(
      o.series.map((s) => s.name),
      width - m.right,
      m.top - 14,
    ),
  );
  for (const t of yt) {
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${Y(t)}" y2="${Y(t)}" stroke="${GRID}"/>`);
    out.push(`<text x="${m.left - 6}" y="${Y(t) + 4}" text-anchor="end" fill="${GREY}">${o.logY ? `1e${t}` : tickLabel(t)}</text>`);
  }
  for (const t of xt) {
    out.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="${GREY}"/>`);
    out.push(`<text x="${X(t)}" y="${m.top + ph + 18}" text-anchor="middle" fill="${GREY}">${tickLabel(t)}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="${GREY}"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle" fill="${INK}">${esc(o.x)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="${INK}">${esc(o.y)}</text>`);
  series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length];
    if (s.pts.length > 1)
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" stroke-linejoin="round" points="${s.pts.map(([x, y]) => `${X(x)},${Y(y)}`).join(' ')}"/>`);
    if (s.dots || s.pts.length === 1)
      for (const [x, y] of s.pts) out.push(`<circle cx="${X(x)}" cy="${Y(y)}" r="4" fill="${c}" stroke="#fff" stroke-width="1.5"/>`);
  });
  out.push('</svg>');
  return `${out.filter(Boolean).join('\n')}\n`;
}

export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 760;
  const fmt = o.format ?? ((v: number) => tickLabel(Number(v.toPrecision(3))));
  const ns = o.series.length;
  const barH = 18;
  const gap = 4;
  // rows: the measured values of each group (a group with none gets one "not measured" row)
  const rows = o.groups.map((g) => {
    const r = g.values.map((v, si) => ({ v, si })).filter((x): x is { v: number; si: number } => x.v !== undefined && Number.isFinite(x.v));
    return r.length ? r : [{ v: NaN, si: -1 }];
  });
  const groupH = (n: number) => n * (barH + gap) + 14;
  const labelW = Math.min(300, Math.max(...o.groups.map((g) => g.label.length)) * 6.8 + 16);
  const m = { left: 16 + labelW, right: 70, top: (o.subtitle ? 76 : 60) + (ns > 1 ? 4 : 0) + (o.reference ? 16 : 0), bottom: 50 };
  const ph = rows.reduce((a, r) => a + groupH(r.length), 0);
  const height = m.top + ph + m.bottom;
  const pw = width - m.left - m.right;
  const vals = rows
    .flat()
    .map((x) => x.v)
    .filter(Number.isFinite);
  const ref = o.reference?.value;
  let X: (v: number) => number;
  let ticks: number[];
  let origin: number;
  if (o.log) {
    const pos = [...vals.filter((v) => v > 0), ...(ref ? [ref] : [])];
    // room on both sides for the value labels at the bar ends
    const lo = Math.min(...pos, 1) / 2.5;
    const hi = Math.max(...pos, 1) * 2;
    X = (v: number) => r2(m.left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw);
    ticks = logTicks(lo, hi);
    origin = ref ?? lo;
  } else {
    ticks = niceTicks(Math.min(0, ...vals), Math.max(0, ...vals, ...(ref !== undefined ? [ref] : [])), 5);
    const [t0, t1] = [ticks[0], ticks[ticks.length - 1]];
    X = (v: number) => r2(m.left + ((v - t0) / (t1 - t0 || 1)) * pw);
    origin = 0;
  }
  const out = header(width, height, o.title, o.subtitle);
  if (ns > 1) out.push(...legend(o.series, width - m.right, m.top - (o.reference ? 32 : 16)));
  for (const t of ticks) {
    out.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.top - 4}" y2="${m.top + ph}" stroke="${GRID}"/>`);
    out.push(`<text x="${X(t)}" y="${m.top + ph + 18}" text-anchor="middle" fill="${GREY}">${tickLabel(t)}${o.log ? '×' : ''}</text>`);
  }
  out.push(`<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle" fill="${INK}">${esc(o.axis)}</text>`);
  let top = m.top + 7;
  o.groups.forEach((g, gi) => {
    const r = rows[gi];
    out.push(`<text x="${m.left - 8}" y="${r2(top + (r.length * (barH + gap) - gap) / 2 + 4)}" text-anchor="end" fill="${INK}">${esc(g.label)}</text>`);
    r.forEach(({ v, si }, k) => {
      const y = top + k * (barH + gap);
      if (si < 0) {
        out.push(`<text x="${X(origin) + 4}" y="${y + 13}" fill="${GREY}">not measured</text>`);
        return;
      }
      const [a, b] = [X(origin), X(v)];
      out.push(
        `<rect class="bar" x="${Math.min(a, b)}" y="${y}" width="${r2(Math.max(1, Math.abs(b - a)))}" height="${barH}" rx="2" fill="${PALETTE[si % PALETTE.length]}"/>`,
      );
      const right = b >= a;
      out.push(`<text x="${right ? b + 5 : b - 5}" y="${y + 13}" text-anchor="${right ? 'start' : 'end'}" fill="${INK}">${esc(fmt(v))}</text>`);
    });
    top += groupH(r.length);
  });
  if (o.reference) {
    const x = X(o.reference.value);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top - 6}" y2="${m.top + ph}" stroke="${INK}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x + 4}" y="${m.top - 8}" fill="${GREY}">${esc(o.reference.label)}</text>`);
  }
  out.push(`<line x1="${X(origin)}" x2="${X(origin)}" y1="${m.top - 4}" y2="${m.top + ph}" stroke="${GREY}"/>`);
  out.push('</svg>');
  return `${out.filter(Boolean).join('\n')}\n`;
}
