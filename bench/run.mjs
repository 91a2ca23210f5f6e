#!/usr/bin/env node
// `npm run bench`: recurrent against TensorFlow.js, brain.js and native ceilings, in one run.
//
//   node bench/run.mjs [--workload W1[,W2…]] [--json FILE] [--time 1] [--warmup 1] [--runs 5]
//                      [--no-peers] [--no-native] [--no-blas] [--chart FILE] [--from FILE]
//
// --chart FILE writes the table's ratios (recurrent ÷ each peer) as an SVG bar chart (default
// with --json: the same name with .svg); --from FILE re-tabulates (and charts) a saved --json.
//
// Every figure runs in its own Node (or native, or Python) process, so figures do not share a
// heap, a JIT or a core. Each is a warm-up then `runs` runs of at least `time` seconds; the
// table shows the median of the runs (all runs are in the JSON). recurrent and the peer its
// target names (TF.js wasm on W1–W3, brain.js on W4) take turns run by run (see `paired`);
// the other figures run one after another.
// See bench/README.md for what each workload models.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GEMM_SHAPES, GEMM_TIME, median, parseArgs, timing, WORKLOADS } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = parseArgs(process.argv.slice(2));
const names = args.workload ? String(args.workload).toUpperCase().split(',') : Object.keys(WORKLOADS);
for (const n of names)
  if (!WORKLOADS[n]) {
    console.error(`unknown workload ${n} (W1–W5)`);
    process.exit(2);
  }
const T = timing(args);
const timingArgs = ['--time', String(T.time), '--warmup', String(T.warmup), '--runs', String(T.runs)];
const log = (s) => process.stderr.write(`[bench] ${s}\n`);

if (!existsSync(`${ROOT}dist/wasm/recurrent_wasm_bg.wasm`)) {
  console.error('dist/ is missing: run `npm run build` first (npm run bench does)');
  process.exit(1);
}

// ---- machine ------------------------------------------------------------------------------
function cpuModel() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k) => info.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    const flags = field('flags') ?? '';
    const simd = ['avx512f', 'avx2', 'fma', 'sse4_2'].filter((f) => flags.split(' ').includes(f)).join(' ');
    return `${field('model name') ?? 'unknown CPU'} (family ${field('cpu family')}, model ${field('model')}; ${simd})`;
  } catch {
    return os.cpus()[0]?.model ?? 'unknown CPU';
  }
}
const machine = {
  cpu: cpuModel(),
  cpus: os.cpus().length,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadavgStart: os.loadavg().map((x) => +x.toFixed(2)),
};

// ---- running figures ----------------------------------------------------------------------
const results = [];
function runChild(label, cmd, argv, opts = {}) {
  log(`${label} …`);
  const t0 = Date.now();
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', timeout: opts.timeout ?? 600_000, env: { ...process.env, ...opts.env }, maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || !line) {
    const why = r.error ? String(r.error.message) : (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    log(`${label}: failed (${why || `exit ${r.status}`})`);
    return { figure: label, error: why || `exit ${r.status}` };
  }
  const out = JSON.parse(line);
  log(`${label}: ${out.median !== undefined ? `${fmt(out.median, out.unit)} ${out.unit}` : 'done'} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  return out;
}
const node = (label, script, argv) => runChild(label, process.execPath, [`bench/figures/${script}`, ...argv, ...timingArgs]);

let nativeBin = null;
let nativeNote = '';
let gemm = null;
// --from FILE: re-tabulate a saved --json run instead of measuring
const saved = args.from ? JSON.parse(readFileSync(String(args.from), 'utf8')) : null;
if (saved) {
  results.push(...saved.results);
  gemm = saved.gemm;
  Object.assign(machine, saved.machine);
  nativeNote = saved.nativeNote ?? '';
}

// native ceiling: our core built for this CPU
if (!saved && !args['no-native'] && names.some((n) => n !== 'W5')) {
  log('building the native ceiling (cargo, target-cpu=native) …');
  const env = { ...process.env, RUSTFLAGS: '-C target-cpu=native', CARGO_TARGET_DIR: `${ROOT}target/bench-native` };
  const r = spawnSync('cargo', ['build', '--quiet', '--release', '-p', 'recurrent-core', '--example', 'bench_native'], { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status === 0) nativeBin = `${ROOT}target/bench-native/release/examples/bench_native`;
  else nativeNote = `native build failed: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}`;
  if (nativeNote) log(nativeNote);
}

// OpenBLAS through numpy, in a project-local venv
function pythonForBlas() {
  const venv = `${ROOT}.tools/pyvenv`;
  const py = `${venv}/bin/python`;
  const ok = () => spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  if (existsSync(py) && ok()) return { py };
  log('setting up numpy in .tools/pyvenv (once) …');
  const mk = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) return { why: `no python3 venv (${(mk.error?.message ?? mk.stderr ?? '').trim().split('\n').pop()})` };
  const pip = spawnSync(`${venv}/bin/pip`, ['install', '--quiet', '--disable-pip-version-check', 'numpy'], { encoding: 'utf8', timeout: 300_000 });
  if (pip.status !== 0 || !ok()) return { why: `pip install numpy failed (${(pip.stderr ?? '').trim().split('\n').pop()})` };
  return { py };
}

// Paired figures: recurrent and the peer its target compares it with (TF.js wasm on W1–W3,
// brain.js on W4) run in two live processes that take turns, one timed run each, so a change
// in machine speed during the bench (other processes, a noisy host) hits both alike. Each
// process warms up before the first turn; the idle one waits on its stdin.
function serveChild(f) {
  const child = spawn(f.cmd ?? process.execPath, [...(f.cmd ? [] : [`bench/figures/${f.script}`]), ...f.argv, ...timingArgs, '--serve'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...f.env },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.on('error', () => {});
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(stderr.trim().split('\n').slice(-3).join(' | ') || `${f.label} exited`);
    return JSON.parse(r.value);
  };
  return { label: f.label, child, next };
}
/** Runs two serving figures turn by turn; returns [{ meta, runs }] where each run is a rate
 * (training figures) or a list of rates, one per GEMM shape. */
async function paired(a, b) {
  const t0 = Date.now();
  log(`${a.label} ⇄ ${b.label} (alternating runs) …`);
  const figs = [];
  try {
    for (const f of [a, b]) {
      const s = serveChild(f);
      figs.push(s);
      s.meta = await s.next();
    }
    const runs = [[], []];
    for (let r = 0; r < T.runs; r++) {
      for (let i = 0; i < 2; i++) {
        figs[i].child.stdin.write('run\n');
        const out = await figs[i].next();
        runs[i].push(out.rates ?? out.rate);
      }
    }
    log(`${a.label} ⇄ ${b.label}: done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    return figs.map((f, i) => {
      const { ready: _ready, ...meta } = f.meta;
      return { meta: { ...meta, paired: figs[1 - i].meta.figure }, runs: runs[i] };
    });
  } catch (e) {
    log(`${a.label} ⇄ ${b.label}: failed (${e.message})`);
    return null;
  } finally {
    for (const f of figs) f.child.stdin.end('end\n');
  }
}
const trainingFigure = ({ meta, runs }) => ({ ...meta, runs, median: median(runs) });
const gemmFigure = ({ meta, runs }) => ({
  ...meta,
  shapes: GEMM_SHAPES.map((s, j) => ({ ...s, runs: runs.map((r) => r[j]), median: median(runs.map((r) => r[j])) })),
});

for (const name of saved ? [] : names) {
  const w = WORKLOADS[name];
  const peer =
    w.generate || args['no-peers']
      ? null
      : name === 'W4'
        ? { figure: 'brain.js', script: 'brain.mjs', argv: [] }
        : { figure: 'tfjs-wasm', script: 'tfjs.mjs', argv: ['--backend', 'wasm'] };
  let pair = null;
  if (peer) {
    pair = await paired(
      { label: `recurrent ${name}`, script: 'recurrent.mjs', argv: ['--workload', name] },
      { label: `${peer.figure === 'brain.js' ? 'brain.js' : 'TF.js wasm'} ${name}`, script: peer.script, argv: [...peer.argv, '--workload', name] },
    );
    if (pair) {
      const [ours, theirs] = pair.map(trainingFigure);
      log(`recurrent ${name}: ${fmt(ours.median)} tok/s; ${peer.figure} ${name}: ${fmt(theirs.median)} tok/s`);
      results.push({ ...ours, workload: name, figure: 'recurrent' }, { ...theirs, workload: name, figure: peer.figure });
    }
  }
  if (!pair) {
    results.push({ ...node(`recurrent ${name}`, 'recurrent.mjs', ['--workload', name]), workload: name, figure: 'recurrent' });
    if (peer) results.push({ ...node(`${peer.figure} ${name}`, peer.script, [...peer.argv, '--workload', name]), workload: name, figure: peer.figure });
  }
  if (w.generate) continue;
  if (!args['no-peers']) {
    for (const backend of ['wasm', 'cpu']) {
      if (`tfjs-${backend}` === peer?.figure) continue;
      results.push({ ...node(`TF.js ${backend} ${name}`, 'tfjs.mjs', ['--backend', backend, '--workload', name]), workload: name, figure: `tfjs-${backend}` });
    }
  }
  if (nativeBin) results.push({ ...runChild(`native ${name}`, nativeBin, ['--workload', name, ...timingArgs]), workload: name, figure: 'native' });
}

if (!saved && names.includes('W1')) {
  // our wasm GEMM and OpenBLAS take turns (one run of every shape each), like the pairs above
  gemm = {};
  const wasmGemm = { label: 'recurrent GEMM (wasm)', script: 'recurrent.mjs', argv: ['--gemm'] };
  let blas = null;
  if (!args['no-blas']) {
    const p = pythonForBlas();
    if (p.py)
      blas = {
        label: 'OpenBLAS SGEMM (numpy, 1 thread)',
        cmd: p.py,
        argv: ['bench/blas.py', '--shapes', JSON.stringify(GEMM_SHAPES), '--gemm-time', String(GEMM_TIME)],
        env: { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      };
    else {
      gemm.openblas = { error: p.why };
      log(`OpenBLAS row skipped: ${p.why}`);
    }
  }
  const pair = blas ? await paired(wasmGemm, blas) : null;
  if (pair) [gemm.wasm, gemm.openblas] = pair.map(gemmFigure);
  else {
    gemm.wasm = node(wasmGemm.label, 'recurrent.mjs', ['--gemm']);
    if (blas) gemm.openblas = runChild(blas.label, blas.cmd, [...blas.argv, ...timingArgs], { env: blas.env });
  }
  if (nativeBin) gemm.native = runChild('recurrent GEMM (native)', nativeBin, ['--gemm', ...timingArgs]);
}
if (!saved) machine.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));

// ---- table --------------------------------------------------------------------------------
function fmt(v, unit) {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (unit === 'GFLOP/s') return v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
}
const get = (name, fig) => results.find((r) => r.workload === name && r.figure === fig);
const med = (r) => (r && !r.error ? r.median : undefined);
const pct = (x) => `${Math.round(x * 100)}%`;
const times = (x) => `${x.toFixed(1)}×`;
const targets = [];
function target(what, value, goal, show) {
  if (value === undefined || Number.isNaN(value)) {
    targets.push({ what, goal: show(goal), value: null, met: null });
    return `≥${show(goal)} n/a`;
  }
  const met = value >= goal;
  targets.push({ what, goal, value, met, shortBy: met ? 0 : 1 - value / goal });
  return `≥${show(goal)} ${met ? '✓' : `✗ (${pct(1 - value / goal)} short)`}`;
}

/** ours ÷ theirs: for figures that took turns, the median of the per-turn ratios (each turn
 * pair ran under the same conditions); otherwise the ratio of the medians. */
function ratioOf(a, b) {
  if (!a || !b || a.error || b.error) return undefined;
  if (a.paired && a.paired === b.figure && a.runs?.length === b.runs?.length) return median(a.runs.map((x, i) => x / b.runs[i]));
  return a.median / b.median;
}

const header = ['figure', 'unit', 'recurrent wasm', 'TF.js wasm', 'TF.js cpu', 'brain.js', 'native (ours)', 'OpenBLAS', 'ratio', 'wasm/native', 'target'];
const rows = [];
for (const name of names) {
  const w = WORKLOADS[name];
  const ours = med(get(name, 'recurrent'));
  const tw = med(get(name, 'tfjs-wasm'));
  const tc = med(get(name, 'tfjs-cpu'));
  const br = med(get(name, 'brain.js'));
  const nat = med(get(name, 'native'));
  let ratio = '—';
  let tgt = '';
  if (w.generate) {
    tgt = target('W5 generation tokens/s', ours, 10000, (g) => Math.round(g).toLocaleString('en-US'));
  } else if (name === 'W4') {
    const r = ratioOf(get(name, 'recurrent'), get(name, 'brain.js'));
    if (r) ratio = `${times(r)} brain.js`;
    tgt = target('W4 vs brain.js', r, 10, times);
  } else {
    const best = Math.max(tw ?? 0, tc ?? 0) || undefined;
    const which = best === tw ? 'wasm' : 'cpu';
    const r = best ? ratioOf(get(name, 'recurrent'), get(name, `tfjs-${which}`)) : undefined;
    if (r) ratio = `${times(r)} TF.js ${which}`;
    tgt = target(`${name} vs faster TF.js`, r, 15, times);
  }
  let wn = '—';
  if (ours && nat) wn = pct(ours / nat);
  if (name === 'W1') tgt += `; wasm/native ${target('W1 wasm vs native', ours && nat ? ours / nat : undefined, 0.4, pct)}`;
  rows.push([w.title, 'tok/s', fmt(ours), fmt(tw), fmt(tc), fmt(br), fmt(nat), '—', ratio, wn, tgt]);
}
if (gemm) {
  GEMM_SHAPES.forEach((s, i) => {
    const shape = (f) => (f?.shapes?.[i] ? { ...f.shapes[i], figure: f.figure, paired: f.paired } : undefined);
    const [o, n, b] = [shape(gemm.wasm), shape(gemm.native), shape(gemm.openblas)];
    const r = ratioOf(o, b);
    const tgt = target(`GEMM ${s.m}×${s.n}×${s.k} wasm vs OpenBLAS`, r, 0.3, pct);
    rows.push([
      `GEMM ${s.m}×${s.n}×${s.k} (${s.name})`,
      'GFLOP/s',
      fmt(o?.median, 'GFLOP/s'),
      '—',
      '—',
      '—',
      fmt(n?.median, 'GFLOP/s'),
      fmt(b?.median, 'GFLOP/s'),
      r ? `${pct(r)} OpenBLAS` : '—',
      o && n ? pct(o.median / n.median) : '—',
      tgt,
    ]);
  });
}

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i < 2 || i === 10 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
const out = [];
out.push(`recurrent bench — ${machine.cpu}, ${machine.cpus} CPUs, Node ${machine.node}`);
out.push(
  `medians of ${T.runs} runs of ≥${T.time} s after a ≥${T.warmup} s warm-up (3 runs where one step is longer than a run, except in pairs; GEMM runs of ≥${Math.min(T.time, GEMM_TIME)} s); recurrent alternates run by run with TF.js wasm (W1–W3) and brain.js (W4), the wasm GEMM with OpenBLAS, and their ratios are medians of the per-turn ratios; load average ${machine.loadavgStart[0]} at start, ${machine.loadavgEnd[0]} at end`,
);
out.push('');
out.push(line(header));
out.push(`|${widths.map((w, i) => (i < 2 || i === 10 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) out.push(line(r));
const notes = [];
for (const r of [...results, ...(gemm ? Object.values(gemm) : [])])
  if (r?.error) notes.push(`${r.figure ?? 'figure'}${r.workload ? ` ${r.workload}` : ''}: not measured (${r.error})`);
if (nativeNote) notes.push(nativeNote);
const noteOf = (f) => results.find((r) => r.figure === f && r.note)?.note;
out.push('');
out.push(
  `recurrent: ${noteOf('recurrent') ?? ''}; TF.js: ${noteOf('tfjs-wasm') ?? noteOf('tfjs-cpu') ?? 'not run'}; brain.js: ${noteOf('brain.js') ?? 'not run'}; native: ${noteOf('native') ?? gemm?.native?.note ?? 'not run'}${gemm?.openblas?.note ? `; OpenBLAS: ${gemm.openblas.note}` : ''}`,
);
for (const n of notes) out.push(`note: ${n}`);
const met = targets.filter((t) => t.met === true).length;
const missed = targets.filter((t) => t.met === false);
const unmeasured = targets.filter((t) => t.met === null).length;
out.push(
  `targets: ${met} of ${targets.length} met${unmeasured ? ` (${unmeasured} not measured in this run)` : ''}${missed.length ? `; missed: ${missed.map((t) => `${t.what} (${pct(t.shortBy)} short)`).join(', ')}` : ''}`,
);
console.log(out.join('\n'));

if (args.json) {
  const file = String(args.json);
  writeFileSync(file, `${JSON.stringify({ machine, timing: T, workloads: WORKLOADS, results, gemm, nativeNote, targets, table: out.join('\n') }, null, 2)}\n`);
  log(`wrote ${file}`);
}

// ---- chart: recurrent's speed against each peer (ours ÷ theirs), from the same figures ---------
const chartFile = typeof args.chart === 'string' ? args.chart : typeof args.json === 'string' ? args.json.replace(/(\.json)?$/, '.svg') : null;
if (chartFile) {
  const { benchChart } = await import('./chart.mjs');
  writeFileSync(chartFile, benchChart({ names, results, gemm, machine, ratioOf }));
  log(`wrote ${chartFile}`);
}
