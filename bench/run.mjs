#!/usr/bin/env node
// `npm run bench`: recurrent against TensorFlow.js, brain.js, PyTorch and native ceilings, in
// one run.
//
//   node bench/run.mjs [--workload W1[,W2…]] [--json FILE] [--time 1] [--warmup 1] [--runs 5]
//                      [--no-peers] [--no-native] [--no-blas] [--chart FILE] [--from FILE]
//                      [--torch] [--workers 2] [--fit-batches 4] [--no-workers] [--no-relaxed]
//
// --torch adds PyTorch CPU at 1 and 2 threads (installing it into .tools/torch-venv the first
// time: several GB); --workers N sets the data-parallel figure's workers (W1–W3) and
// --fit-batches N the batches per fit call (default FIT_BATCHES, a short fit; 16 or more for
// the steady state);
// --no-relaxed leaves out the relaxed-SIMD build. --chart FILE writes the table's ratios
// (recurrent ÷ each peer) as an SVG bar chart (default with --json: the same name with .svg);
// --from FILE re-tabulates (and charts) a saved --json.
//
// Every figure runs in its own Node (or native, or Python) process, so figures do not share a
// heap, a JIT or a core. Each is a warm-up then `runs` runs of at least `time` seconds; the
// table shows the median of the runs (all runs are in the JSON). Per workload, recurrent
// (simd128), its relaxed-SIMD build, its data-parallel run, the peer its target names (TF.js
// wasm on W1–W3, brain.js on W4) and PyTorch take turns run by run (see `turns`), and so do
// the GEMM figures; the other figures run one after another.
// See bench/README.md for what each workload models.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CEILING, GEMM_SHAPES, GEMM_TIME, median, parseArgs, timing, WORKLOADS } from './lib.mjs';

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

// PyTorch CPU (only with --torch: it is several GB) in its own project-local venv
function pythonForTorch() {
  const venv = `${ROOT}.tools/torch-venv`;
  const py = `${venv}/bin/python`;
  const ok = () => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (existsSync(py) && ok()) return { py };
  log(
    "installing PyTorch from PyPI into .tools/torch-venv (once): PyPI's Linux wheel brings its CUDA libraries, about 5.4 GB and a few minutes; only the CPU is used …",
  );
  const t0 = Date.now();
  if (!existsSync(py)) {
    const mk = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
    if (mk.status !== 0) return { why: `no python3 venv (${(mk.error?.message ?? mk.stderr ?? '').trim().split('\n').pop()})` };
  }
  // pip's progress goes to our stderr (stdout is the table)
  const pip = spawnSync(`${venv}/bin/pip`, ['install', '--disable-pip-version-check', 'torch'], { stdio: ['ignore', 2, 2], timeout: 3_600_000 });
  if (pip.status !== 0 || !ok()) return { why: `pip install torch failed (exit ${pip.status ?? pip.error?.message})` };
  log(`PyTorch installed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  return { py };
}
const torch = !saved && args.torch ? pythonForTorch() : null;
if (torch?.why) log(`PyTorch figures skipped: ${torch.why}`);
/** Node flags the relaxed-SIMD build needs here (Node 20 has relaxed SIMD behind a flag). */
const relaxedFlags = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
/** Workers of the data-parallel figure (`--workers N`, default 2; from a saved run, its own). */
const WORKERS = saved?.results?.find((r) => r.figure === 'recurrent-workers' && r.workers)?.workers ?? Number(args.workers ?? 2);
/** Batches per fit call of the data-parallel figures (`--fit-batches N`; lib.mjs's FIT_BATCHES by default). */
const fitArgs = args['fit-batches'] === undefined ? [] : ['--fit-batches', String(args['fit-batches'])];
if (fitArgs.length && !(Number.isInteger(Number(fitArgs[1])) && Number(fitArgs[1]) >= 1)) {
  console.error(`--fit-batches must be a whole number of batches, at least 1 (got ${fitArgs[1]})`);
  process.exit(2);
}

// Figures that take turns: recurrent and every figure a target or ratio compares it with (its
// other kernel build, its data-parallel run, TF.js wasm on W1–W3, brain.js on W4, PyTorch) run
// as live processes that take turns, one timed run each per round, so a change in machine speed
// during the bench (other processes, a noisy host) hits them all alike. Each process warms up
// before the first round; the idle ones wait on their stdin.
function serveChild(f) {
  const argv = f.cmd ? f.argv : [...(f.nodeArgs ?? []), `bench/figures/${f.script}`, ...f.argv];
  const child = spawn(f.cmd ?? process.execPath, [...argv, ...timingArgs, '--serve'], {
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
  child.on('error', () => {});
  const next = async () => {
    const r = await lines.next();
    if (r.done) {
      const lines = stderr.trim().split('\n');
      throw new Error(lines.findLast((l) => /error/i.test(l))?.trim() ?? (lines.slice(-3).join(' | ') || `${f.label} exited`));
    }
    return JSON.parse(r.value);
  };
  return { child, next };
}
/** Runs serving figures in turns; returns one entry per figure: { meta, runs } where each run
 * is a rate (training figures) or a list of rates (GEMM figures), or { error } for a figure that
 * failed (the others go on). meta.figure is the spec's name, meta.turns the names of the figures
 * that took turns with it to the end. */
async function turns(specs) {
  const t0 = Date.now();
  const what = specs.map((f) => f.label).join(' ⇄ ');
  log(`${what} (taking turns) …`);
  const live = [];
  const out = specs.map(() => ({ runs: [] }));
  const fail = (i, e) => {
    out[i].error = e.message;
    log(`${specs[i].label}: failed (${e.message})`);
  };
  const started = [];
  try {
    // one at a time, so each warms up alone
    for (const [i, f] of specs.entries()) {
      started.push(serveChild(f));
      try {
        out[i].meta = await started[i].next();
        live.push(i);
      } catch (e) {
        fail(i, e);
      }
    }
    for (let r = 0; r < T.runs; r++) {
      for (const i of [...live]) {
        try {
          started[i].child.stdin.write('run\n');
          const o = await started[i].next();
          out[i].runs.push(o.rates ?? o.rate);
        } catch (e) {
          fail(i, e);
          live.splice(live.indexOf(i), 1);
        }
      }
    }
  } finally {
    for (const s of started) s.child.stdin.end('end\n');
  }
  log(`${what}: done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const group = live.map((i) => specs[i].figure);
  return specs.map((f, i) => {
    if (out[i].error) return { figure: f.figure, error: out[i].error };
    const { ready: _ready, ...meta } = out[i].meta;
    return { meta: { ...meta, figure: f.figure, turns: group }, runs: out[i].runs };
  });
}
const trainingFigure = ({ meta, runs, figure, error }) => (error ? { figure, error } : { ...meta, runs, median: median(runs) });
/** A GEMM figure's runs (one list of rates per run: the shapes, then for our wasm figures the
 * micro-kernel ceiling) as { shapes: [{ …shape, runs, median }], ceiling? }. */
const gemmFigure = ({ meta, runs, figure, error }) => {
  if (error) return { figure, error };
  const col = (j) => runs.map((r) => r[j]);
  const out = { ...meta, shapes: GEMM_SHAPES.map((s, j) => ({ ...s, runs: col(j), median: median(col(j)) })) };
  if (runs[0]?.length > GEMM_SHAPES.length) out.ceiling = { ...CEILING, runs: col(GEMM_SHAPES.length), median: median(col(GEMM_SHAPES.length)) };
  return out;
};
/** A GEMM figure measured on its own (lib.mjs's gemmFigure: the ceiling, if any, is its last shape). */
function splitCeiling(f) {
  if (!f?.shapes || f.shapes.length <= GEMM_SHAPES.length) return f;
  return { ...f, shapes: f.shapes.slice(0, GEMM_SHAPES.length), ceiling: f.shapes[GEMM_SHAPES.length] };
}

/** The figures of workload `name` that take turns (each { figure, label, script | cmd, argv }). */
function turnFigures(name) {
  const w = WORKLOADS[name];
  const ours = (figure, label, argv, nodeArgs) => ({
    figure,
    label: `${label} ${name}`,
    script: 'recurrent.mjs',
    argv: ['--workload', name, ...argv],
    nodeArgs,
  });
  const figs = [ours('recurrent', 'recurrent', ['--kernels', 'simd128'])];
  if (!args['no-relaxed']) figs.push(ours('recurrent-relaxed', 'recurrent relaxed-simd', ['--kernels', 'relaxed-simd'], relaxedFlags));
  // batch-1 workloads (W4, W5) have one row: nothing to split across workers
  if (!args['no-workers'] && WORKERS > 1 && !w.generate && w.batch > 1)
    figs.push(ours('recurrent-workers', `recurrent ${WORKERS} workers`, ['--kernels', 'simd128', '--workers', String(WORKERS), ...fitArgs]));
  // the same workers on the relaxed-SIMD (fused multiply-add) build, as `kernels: 'auto'` runs them
  // where it measures faster: the figure the target against PyTorch on 1 thread is read from
  if (!args['no-workers'] && !args['no-relaxed'] && WORKERS > 1 && !w.generate && w.batch > 1)
    figs.push(
      ours(
        'recurrent-workers-relaxed',
        `recurrent ${WORKERS} workers relaxed-simd`,
        ['--kernels', 'relaxed-simd', '--workers', String(WORKERS), ...fitArgs],
        relaxedFlags,
      ),
    );
  if (!args['no-peers'] && !w.generate)
    figs.push(
      name === 'W4'
        ? { figure: 'brain.js', label: `brain.js ${name}`, script: 'brain.mjs', argv: ['--workload', name] }
        : { figure: 'tfjs-wasm', label: `TF.js wasm ${name}`, script: 'tfjs.mjs', argv: ['--backend', 'wasm', '--workload', name] },
    );
  if (torch?.py)
    for (const n of [1, 2])
      figs.push({
        figure: `torch-${n}t`,
        label: `PyTorch ${n} thread${n > 1 ? 's' : ''} ${name}`,
        cmd: torch.py,
        argv: ['bench/figures/pytorch.py', '--workload', name, '--spec', JSON.stringify(w), '--threads', String(n)],
        env: { OMP_NUM_THREADS: String(n), MKL_NUM_THREADS: String(n), CUDA_VISIBLE_DEVICES: '' },
      });
  return figs;
}

for (const name of saved ? [] : names) {
  const w = WORKLOADS[name];
  const figs = turnFigures(name);
  if (figs.length > 1) {
    const got = (await turns(figs)).map(trainingFigure);
    for (const r of got) results.push({ ...r, workload: name });
    const fmtOf = (r) => `${r.figure} ${r.error ? 'failed' : `${fmt(r.median)} tok/s`}`;
    log(`${name}: ${got.map(fmtOf).join('; ')}`);
  } else results.push({ ...node(`recurrent ${name}`, 'recurrent.mjs', ['--workload', name, '--kernels', 'simd128']), workload: name, figure: 'recurrent' });
  if (w.generate) continue;
  if (!args['no-peers']) {
    for (const backend of ['wasm', 'cpu']) {
      if (results.some((r) => r.workload === name && r.figure === `tfjs-${backend}`)) continue;
      results.push({ ...node(`TF.js ${backend} ${name}`, 'tfjs.mjs', ['--backend', backend, '--workload', name]), workload: name, figure: `tfjs-${backend}` });
    }
  }
  if (nativeBin) results.push({ ...runChild(`native ${name}`, nativeBin, ['--workload', name, ...timingArgs]), workload: name, figure: 'native' });
}

if (!saved && names.includes('W1')) {
  // our wasm GEMM in both builds (each with its micro-kernel ceiling) and OpenBLAS take turns
  gemm = {};
  const figs = [
    { key: 'wasm', figure: 'recurrent-wasm-gemm', label: 'recurrent GEMM (wasm simd128)', script: 'recurrent.mjs', argv: ['--gemm', '--kernels', 'simd128'] },
  ];
  if (!args['no-relaxed'])
    figs.push({
      key: 'relaxed',
      figure: 'recurrent-relaxed-gemm',
      label: 'recurrent GEMM (wasm relaxed-simd)',
      script: 'recurrent.mjs',
      argv: ['--gemm', '--kernels', 'relaxed-simd'],
      nodeArgs: relaxedFlags,
    });
  if (!args['no-blas']) {
    const p = pythonForBlas();
    if (p.py)
      figs.push({
        key: 'openblas',
        figure: 'openblas-gemm',
        label: 'OpenBLAS SGEMM (numpy, 1 thread)',
        cmd: p.py,
        argv: ['bench/blas.py', '--shapes', JSON.stringify(GEMM_SHAPES), '--gemm-time', String(GEMM_TIME)],
        env: { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      });
    else {
      gemm.openblas = { error: p.why };
      log(`OpenBLAS row skipped: ${p.why}`);
    }
  }
  if (figs.length > 1) {
    const got = await turns(figs);
    for (const [i, f] of figs.entries()) gemm[f.key] = gemmFigure(got[i]);
  } else gemm.wasm = splitCeiling(node(figs[0].label, 'recurrent.mjs', figs[0].argv));
  if (nativeBin) gemm.native = runChild('recurrent GEMM (native)', nativeBin, ['--gemm', ...timingArgs]);
}
if (!saved) machine.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));

// ---- tables -------------------------------------------------------------------------------
function fmt(v, unit) {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (unit === 'GFLOP/s') return v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
}
const get = (name, fig) => results.find((r) => r.workload === name && r.figure === fig);
const med = (r) => (r && !r.error ? r.median : undefined);
const pct = (x) => `${Math.round(x * 100)}%`;
const times = (x) => `${x.toFixed(x < 10 ? 2 : 1)}×`;
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
/** "The relaxed build is never slower than simd128": met within the spread that runs taking
 * turns still show between two equal figures on this machine (a few percent). */
const NOT_SLOWER = 0.97;
/** Scaling target of the data-parallel figure (W1, W3): WORKERS workers ÷ one thread. */
const SCALING = { W1: 1.8, W3: 1.8 };
/** Ours with the workers (the faster build's figure) ÷ PyTorch on 1 thread. */
const VS_TORCH_1T = { W1: 0.55 };

/** ours ÷ theirs: for figures that took turns, the median of the per-turn ratios (each turn
 * ran under the same conditions); otherwise the ratio of the medians. */
function ratioOf(a, b) {
  if (!a || !b || a.error || b.error) return undefined;
  const together = a.turns?.includes(b.figure) || a.paired === b.figure; // `paired`: JSON before turns
  if (together && a.runs?.length === b.runs?.length) return median(a.runs.map((x, i) => x / b.runs[i]));
  return a.median / b.median;
}
/** One GEMM shape of a GEMM figure, as a figure of its own (for ratioOf). */
/** ours ÷ theirs per turn, where the two figures took turns with as many runs; else undefined. */
function perTurn(a, b) {
  if (!a || !b || a.error || b.error || !a.turns?.includes(b.figure) || !a.runs?.length || a.runs.length !== b.runs?.length) return undefined;
  return a.runs.map((x, i) => x / b.runs[i]);
}
const shapeOf = (f, i) => (f?.shapes?.[i] && !f.error ? { ...f.shapes[i], figure: f.figure, paired: f.paired, turns: f.turns } : undefined);
/** A GEMM shape's share of its build's micro-kernel ceiling: per turn when both ran in the same
 * process turn by turn (the ceiling is measured right after the shapes), else of the medians. */
function shareOf(shape, ceiling) {
  if (!shape || !ceiling) return undefined;
  if (shape.runs?.length && shape.runs.length === ceiling.runs?.length) return median(shape.runs.map((x, i) => x / ceiling.runs[i]));
  return shape.median / ceiling.median;
}

/** A markdown table; the first two columns and the last are left-aligned. */
function table(header, rows) {
  const left = (i) => i < 2 || i === header.length - 1;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (left(i) ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)];
}

// 1. recurrent (simd128, one thread) against the JavaScript libraries and the native ceiling
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
    const [o, n, b] = [shapeOf(gemm.wasm, i), shapeOf(gemm.native, i), shapeOf(gemm.openblas, i)];
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

// 2. recurrent's kernel builds and workers, and PyTorch CPU
const rows2 = [];
const ran = (f) => names.some((n) => get(n, f));
if (['recurrent-relaxed', 'recurrent-workers', 'torch-1t', 'torch-2t'].some(ran)) {
  for (const name of names) {
    const w = WORKLOADS[name];
    const [simd, relaxed, par, t1, t2] = ['recurrent', 'recurrent-relaxed', 'recurrent-workers', 'torch-1t', 'torch-2t'].map((f) => get(name, f));
    const tg = [];
    const rr = ratioOf(relaxed, simd);
    if (relaxed) tg.push(`relaxed ${target(`${name} relaxed vs simd128`, rr, NOT_SLOWER, times)}`);
    const rp = ratioOf(par, simd);
    if (SCALING[name] && par) tg.push(`${WORKERS} workers ${target(`${name} ${WORKERS} workers vs 1`, rp, SCALING[name], times)}`);
    // issue 20: with 2 workers (the faster build), W1 at least 0.55x PyTorch on 1 thread
    const parBest = [par, get(name, 'recurrent-workers-relaxed')].filter((r) => r && !r.error).sort((a, b) => med(b) - med(a))[0];
    const rt1 = ratioOf(parBest, t1);
    if (VS_TORCH_1T[name] && rt1)
      tg.push(`${WORKERS} workers ÷ PyTorch 1t ${target(`${name} ${WORKERS} workers vs PyTorch 1 thread`, rt1, VS_TORCH_1T[name], times)}`);
    // batch-1 workloads do not split across workers: against 2 PyTorch threads we have one
    const split = !w.generate && w.batch > 1;
    const r2 = ratioOf(split ? par : simd, t2);
    rows2.push([
      w.title,
      'tok/s',
      fmt(med(simd)),
      fmt(med(relaxed)),
      rr ? times(rr) : '—',
      split ? fmt(med(par)) : 'batch 1',
      rp ? times(rp) : '—',
      fmt(med(t1)),
      ratioOf(simd, t1) ? times(ratioOf(simd, t1)) : '—',
      fmt(med(t2)),
      r2 ? `${times(r2)}${split ? '' : ' (1 thread)'}` : '—',
      tg.join('; '),
    ]);
  }
}

// 3. the GEMM against each build's ceiling (its own micro-kernel on panels in L1)
const rows3 = [];
if (gemm?.wasm?.ceiling || gemm?.relaxed) {
  const builds = [
    ['simd128', gemm.wasm],
    ['relaxed', gemm.relaxed],
  ];
  GEMM_SHAPES.forEach((s, i) => {
    const [o, x] = [shapeOf(gemm.wasm, i), shapeOf(gemm.relaxed, i)];
    const rr = ratioOf(x, o);
    const tg = [];
    const shares = builds.map(([b, f]) => {
      const sh = shareOf(shapeOf(f, i), f?.ceiling);
      if (f) tg.push(`${b} ${target(`GEMM ${s.m}×${s.n}×${s.k} ${b} share of its ceiling`, sh, 0.9, pct)}`);
      return sh;
    });
    if (x) tg.push(`relaxed/simd128 ${target(`GEMM ${s.m}×${s.n}×${s.k} relaxed vs simd128`, rr, NOT_SLOWER, times)}`);
    rows3.push([
      `GEMM ${s.m}×${s.n}×${s.k}`,
      'GFLOP/s',
      fmt(o?.median, 'GFLOP/s'),
      shares[0] ? pct(shares[0]) : '—',
      fmt(x?.median, 'GFLOP/s'),
      shares[1] ? pct(shares[1]) : '—',
      rr ? times(rr) : '—',
      tg.join('; '),
    ]);
  });
  const [c0, c1] = [gemm.wasm?.ceiling, gemm.relaxed?.ceiling];
  const cr = c0 && c1 ? ratioOf({ ...c1, figure: gemm.relaxed.figure, turns: gemm.relaxed.turns }, { ...c0, figure: gemm.wasm.figure }) : undefined;
  rows3.push([
    `ceiling: ${CEILING.name}, kc ${c0?.kc ?? c1?.kc ?? CEILING.kc}`,
    'GFLOP/s',
    fmt(c0?.median, 'GFLOP/s'),
    '100%',
    fmt(c1?.median, 'GFLOP/s'),
    '100%',
    cr ? times(cr) : '—',
    '',
  ]);
}

const out = [];
out.push(`recurrent bench — ${machine.cpu}, ${machine.cpus} CPUs, Node ${machine.node}`);
out.push(
  `medians of ${T.runs} runs of ≥${T.time} s after a ≥${T.warmup} s warm-up (3 runs where one step is longer than a run, except when taking turns; GEMM runs of ≥${Math.min(T.time, GEMM_TIME)} s); per workload, recurrent (simd128, relaxed-simd, ${WORKERS} workers), TF.js wasm (W1–W3) or brain.js (W4) and PyTorch take turns run by run, and so do the wasm GEMMs with OpenBLAS: their ratios are medians of the per-turn ratios; load average ${machine.loadavgStart[0]} at start, ${machine.loadavgEnd?.[0]} at end`,
);
out.push('');
out.push(...table(header, rows));
if (rows2.length) {
  out.push('');
  out.push(
    `recurrent's builds, ${WORKERS} workers (W1–W3 only: W4 and W5 are batch 1, which does not split) and PyTorch CPU; ratios are ours ÷ theirs (simd128 one thread ÷ PyTorch 1 thread; ${WORKERS} workers ÷ PyTorch 2 threads)`,
  );
  out.push('');
  const workersCol = `${WORKERS} workers`;
  out.push(
    ...table(
      [
        'figure',
        'unit',
        'simd128',
        'relaxed-simd',
        'relaxed/simd128',
        workersCol,
        `${workersCol}/1`,
        'PyTorch 1 thread',
        'ours/PyTorch 1t',
        'PyTorch 2 threads',
        'ours/PyTorch 2t',
        'target',
      ],
      rows2,
    ),
  );
}
// the same ratios turn by turn (the figures took turns, so each turn's ratio compares two runs
// made one after the other): scaling, and ours ÷ PyTorch at 1 and 2 threads
const turnLines = [];
for (const name of names) {
  const [simd, par, parRelaxed, t1, t2] = ['recurrent', 'recurrent-workers', 'recurrent-workers-relaxed', 'torch-1t', 'torch-2t'].map((f) => get(name, f));
  const w = WORKLOADS[name];
  const split = !w.generate && w.batch > 1;
  const parts = [
    [`${WORKERS} workers ÷ 1`, perTurn(par, simd)],
    ['ours (1 thread) ÷ PyTorch 1 thread', perTurn(simd, t1)],
    [`${WORKERS} workers (simd128) ÷ PyTorch 1 thread`, perTurn(par, t1)],
    [`${WORKERS} workers (relaxed-simd) ÷ PyTorch 1 thread`, perTurn(parRelaxed, t1)],
    [`ours (${split ? `${WORKERS} workers` : '1 thread, batch 1'}) ÷ PyTorch 2 threads`, perTurn(split ? par : simd, t2)],
  ].filter(([, r]) => r);
  if (parts.length) turnLines.push(`${name}: ${parts.map(([k, r]) => `${k} ${r.map(times).join(' ')}`).join('; ')}`);
}
if (turnLines.length) {
  out.push('');
  out.push('turn by turn (one ratio per turn, in order):');
  out.push(...turnLines);
}
if (rows3.length) {
  out.push('');
  out.push(
    "the wasm GEMM as a share of its build's ceiling (the same micro-kernel on packed panels that stay in L1, measured in the same process, turn by turn)",
  );
  out.push('');
  out.push(...table(['figure', 'unit', 'simd128', 'of ceiling', 'relaxed-simd', 'of ceiling', 'relaxed/simd128', 'target'], rows3));
}
const notes = [];
for (const r of [...results, ...(gemm ? Object.values(gemm) : [])])
  if (r?.error) notes.push(`${r.figure ?? 'figure'}${r.workload ? ` ${r.workload}` : ''}: not measured (${r.error})`);
if (nativeNote) notes.push(nativeNote);
const noteOf = (f) => results.find((r) => r.figure === f && r.note)?.note;
out.push('');
out.push(
  `recurrent: ${noteOf('recurrent') ?? ''}; TF.js: ${noteOf('tfjs-wasm') ?? noteOf('tfjs-cpu') ?? 'not run'}; brain.js: ${noteOf('brain.js') ?? 'not run'}; native: ${noteOf('native') ?? gemm?.native?.note ?? 'not run'}${gemm?.openblas?.note ? `; OpenBLAS: ${gemm.openblas.note}` : ''}`,
);
const extra = [
  ['relaxed', noteOf('recurrent-relaxed') ?? gemm?.relaxed?.note],
  ['workers', noteOf('recurrent-workers')],
  ['workers relaxed', noteOf('recurrent-workers-relaxed')],
  ['PyTorch', noteOf('torch-1t')],
].filter(([, n]) => n);
if (extra.length) out.push(extra.map(([k, n]) => `${k}: ${n}`).join('; '));
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
  // every figure says where it ran: its own host line (CPU model, cores, runtime) where its
  // process reported one, else the machine's with the runtime the figure ran in
  const where = (r) => {
    if (!r || r.error || r.host) return r;
    const runtime = /native/.test(r.figure ?? '')
      ? 'native binary (Rust, no runtime)'
      : /openblas|blas/i.test(r.figure ?? '')
        ? 'python (numpy, OpenBLAS)'
        : `node ${machine.node}`;
    return { ...r, host: { cpu: machine.cpu, cores: machine.cpus, runtime } };
  };
  const gemmOut = gemm && Object.fromEntries(Object.entries(gemm).map(([k, v]) => [k, where(v)]));
  writeFileSync(
    file,
    `${JSON.stringify({ machine, timing: T, workloads: WORKLOADS, results: results.map(where), gemm: gemmOut, nativeNote, targets, table: out.join('\n') }, null, 2)}\n`,
  );
  log(`wrote ${file}`);
}

// ---- chart: recurrent's speed against each peer (ours ÷ theirs), from the same figures ---------
const chartFile = typeof args.chart === 'string' ? args.chart : typeof args.json === 'string' ? args.json.replace(/(\.json)?$/, '.svg') : null;
if (chartFile) {
  const { benchChart } = await import('./chart.mjs');
  writeFileSync(chartFile, benchChart({ names, results, gemm, machine, ratioOf }));
  log(`wrote ${chartFile}`);
}
