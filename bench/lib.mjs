// Shared pieces of the benchmark: workload definitions, deterministic data, the timing
// protocol, and the child-process protocol (each figure prints one JSON line).
import { cpus } from 'node:os';

/** The workloads of the performance issue. Inputs are dense features; one training step is
 * forward, BPTT backward and an Adam update; tokens/s = batch·steps / seconds per step. */
export const WORKLOADS = {
  W1: {
    title: 'W1 LSTM 256, 32×64',
    cell: 'lstm',
    features: 64,
    units: 256,
    layers: 1,
    bidirectional: false,
    out: 96,
    loss: 'crossEntropy',
    batch: 32,
    steps: 64,
  },
  W2: {
    title: 'W2 GRU 256, 32×64',
    cell: 'gru',
    features: 64,
    units: 256,
    layers: 1,
    bidirectional: false,
    out: 96,
    loss: 'crossEntropy',
    batch: 32,
    steps: 64,
  },
  W3: {
    title: 'W3 BiLSTM 2×128 tagger',
    cell: 'lstm',
    features: 64,
    units: 128,
    layers: 2,
    bidirectional: true,
    out: 4,
    loss: 'crossEntropy',
    batch: 32,
    steps: 64,
  },
  W4: { title: 'W4 LSTM 32, 1×16 online', cell: 'lstm', features: 8, units: 32, layers: 1, bidirectional: false, out: 8, loss: 'mse', batch: 1, steps: 16 },
  W5: { title: 'W5 generation LSTM 256', generate: true, vocab: 96, embed: 64, units: 256 },
};

/** C = A·Bᵀ shapes [m, n, k] that a W1 training step runs (see bench/README.md). `prepacked`:
 * the layer packs B (W_hh) once per pass and runs this product on every step with it packed. */
export const GEMM_SHAPES = [
  { name: 'W1 recurrent step h·W_hhᵀ', m: 32, n: 1024, k: 256, prepacked: true },
  { name: 'W1 input projection X·W_ihᵀ', m: 2048, n: 1024, k: 64 },
  { name: 'W1 dense head', m: 2048, n: 96, k: 256 },
  { name: 'W1 backward dh·W_hh', m: 32, n: 256, k: 1024, prepacked: true },
  { name: 'W1 weight gradient dWᵀ·H', m: 1024, n: 256, k: 2048 },
];

/** The GEMM's ceiling (`recurrent.mjs --gemm`, last entry): the packed micro-kernel on one A
 * and one B panel of depth kc that stay in L1 (`benchMicroKernel`), no packing, no edges. */
export const CEILING = { name: 'micro-kernel, panels in L1', ceiling: true, kc: 256 };

export const LR = 1e-3;

/** Batches of the workload per `fit` call in the data-parallel figure (`--workers N`), so the
 * per-call cost of fit (sending the data to the replicas, events) weighs like it does in a
 * short epoch. */
export const FIT_BATCHES = 4;

/** Seconds per run, seconds of warm-up, runs per figure; GEMM figures use at most GEMM_TIME
 * seconds for each (they are many, and steady). */
export const DEFAULTS = { time: 1, warmup: 1, runs: 5 };
export const GEMM_TIME = 0.4;

/** Deterministic values in [-1, 1) (xorshift32). */
export function randomArray(n, seed = 1) {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** Inputs and targets of a training workload: x [B·T·F], classes [B·T] or values [B·T·O]. */
export function workloadData(w) {
  const x = randomArray(w.batch * w.steps * w.features, 11);
  if (w.loss === 'mse') return { x, values: randomArray(w.batch * w.steps * w.out, 12) };
  const r = randomArray(w.batch * w.steps, 13);
  const classes = Int32Array.from(r, (v) => Math.min(w.out - 1, Math.floor(((v + 1) / 2) * w.out)));
  return { x, classes };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Times `step` (a function doing one unit of work worth `units` of the figure's unit, e.g.
 * tokens): a warm-up of at least `warmup` seconds (and at least one call), then `runs` runs of
 * at least `time` seconds each (and at least one call each). Returns per-run rates and the
 * median. Slow figures (one call longer than a run) drop to 3 runs so the whole bench stays
 * within a few minutes.
 */
export async function measure(step, units, { warmup = DEFAULTS.warmup, time = DEFAULTS.time, runs = DEFAULTS.runs } = {}) {
  const now = () => performance.now() / 1000;
  let t0 = now();
  let calls = 0;
  do {
    await step();
    calls++;
  } while (now() - t0 < warmup);
  const perCall = (now() - t0) / calls;
  const nRuns = perCall > time ? Math.min(runs, 3) : runs;
  const rates = [];
  for (let r = 0; r < nRuns; r++) {
    let n = 0;
    t0 = now();
    do {
      await step();
      n++;
    } while (now() - t0 < time);
    rates.push((n * units) / (now() - t0));
  }
  return { runs: rates, median: median(rates) };
}

/** Where a figure runs: the CPU model, its core count and the runtime (Node, Deno or Bun and
 * its version), saved with every figure so that a result file says where it ran. */
export function host() {
  const g = globalThis;
  const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${process.version}`;
  return { cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, runtime };
}

/**
 * Runs a figure: with `--serve`, warms up, prints `{"ready":true}` and then does one timed
 * run per `run` line on stdin (printing `{"rate":…}`) until `end`, so that bench/run.mjs can
 * alternate the runs of two figures (recurrent and the peer it is compared with) and expose
 * both to the same machine conditions; otherwise measures and prints the result line.
 */
export async function figure(args, step, units, m) {
  const meta = { host: host(), ...m };
  const opts = timing(args);
  if (!args.serve) {
    emit({ ...meta, ...(await measure(step, units, opts)) });
    return;
  }
  const now = () => performance.now() / 1000;
  let t0 = now();
  do await step();
  while (now() - t0 < opts.warmup);
  emit({ ready: true, ...meta });
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'run') break;
    let n = 0;
    t0 = now();
    do {
      await step();
      n++;
    } while (now() - t0 < opts.time);
    emit({ rate: (n * units) / (now() - t0) });
  }
  process.exit(0);
}

/**
 * Like `figure`, for GEMM shapes: `calls` = [{ shape, step, units }] (units in GFLOP per
 * call). Each run times every shape for at least GEMM_TIME seconds; the result line has one
 * entry per shape, or (serving) `{"rates":[…]}` per run.
 */
export async function gemmFigure(args, calls, m) {
  const meta = { host: host(), ...m };
  const opts = timing(args);
  const t = Math.min(opts.time, GEMM_TIME);
  const w = Math.min(opts.warmup, GEMM_TIME);
  if (!args.serve) {
    const shapes = [];
    for (const c of calls) shapes.push({ ...c.shape, ...(await measure(c.step, c.units, { ...opts, time: t, warmup: w })) });
    emit({ ...meta, shapes });
    return;
  }
  const now = () => performance.now() / 1000;
  const once = (c, secs) => {
    let n = 0;
    const t0 = now();
    do {
      c.step();
      n++;
    } while (now() - t0 < secs);
    return (n * c.units) / (now() - t0);
  };
  for (const c of calls) once(c, w);
  emit({ ready: true, ...meta });
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'run') break;
    emit({ rates: calls.map((c) => once(c, t)) });
  }
  process.exit(0);
}

/** Command-line flags: --name value and bare --flag (true). */
/** GFLOP/s of `call` (doing `flop` flops), repeated for at least `seconds`: [by the wall clock,
 * by the process's CPU time (user + system; the steadier one on a shared machine)]. */
export function gflopRate(call, flop, seconds) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  do {
    call();
    n++;
  } while (performance.now() - t0 < seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return [(flop * n) / wall / 1e9, (flop * n) / Math.max((c.user + c.system) / 1e6, 1e-6) / 1e9];
}

export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[key] = true;
    else {
      out[key] = next;
      i++;
    }
  }
  return out;
}

/** Timing options shared by every figure, from --time, --warmup, --runs. */
export function timing(args) {
  return { time: Number(args.time ?? DEFAULTS.time), warmup: Number(args.warmup ?? DEFAULTS.warmup), runs: Number(args.runs ?? DEFAULTS.runs) };
}

/** A child figure's one line of output. */
export function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}
