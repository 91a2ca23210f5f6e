// The benchmark's table as a picture: for each workload (and GEMM shape), recurrent's speed
// divided by each peer's, on a log scale around 1× (right of the line: recurrent is faster).
// Drawn by the CLI's chart module (dist/cli/chart.js).
import { barChart } from '../dist/cli/chart.js';
import { GEMM_SHAPES, WORKLOADS } from './lib.mjs';

const PEERS = [
  ['tfjs-wasm', 'TF.js wasm'],
  ['tfjs-cpu', 'TF.js cpu'],
  ['brain.js', 'brain.js'],
  ['native', 'our core, native'],
  ['openblas', 'OpenBLAS'],
  ['torch-1t', 'PyTorch CPU, 1 thread'],
  // ours with workers where the workload splits (W1–W3), else one thread
  ['torch-2t', 'PyTorch CPU, 2 threads (ours: 2 workers on W1–W3)', 'recurrent-workers'],
];

/** SVG of ours ÷ each peer. `ratioOf(a, b)` is run.mjs's (paired runs: median of per-turn ratios). */
export function benchChart({ names, results, gemm, machine, ratioOf }) {
  const get = (name, fig) => results.find((r) => r.workload === name && r.figure === fig);
  const groups = [];
  for (const name of names) {
    const values = PEERS.map(([fig, , ours]) => ratioOf(get(name, ours) ?? get(name, 'recurrent'), get(name, fig)));
    if (values.some((v) => v !== undefined)) groups.push({ label: WORKLOADS[name].title, values });
  }
  if (gemm?.wasm)
    GEMM_SHAPES.forEach((s, i) => {
      const shape = (f) => (f?.shapes?.[i] ? { ...f.shapes[i], figure: f.figure, paired: f.paired } : undefined);
      const ours = shape(gemm.wasm);
      const values = PEERS.map(([fig]) =>
        fig === 'native' ? ratioOf(ours, shape(gemm.native)) : fig === 'openblas' ? ratioOf(ours, shape(gemm.openblas)) : undefined,
      );
      if (values.some((v) => v !== undefined)) groups.push({ label: `GEMM ${s.m}×${s.n}×${s.k}`, values });
    });
  return barChart({
    title: 'recurrent bench: speed against each peer (recurrent ÷ peer)',
    subtitle: `${machine.cpu}, Node ${machine.node}; medians (paired runs: median of per-turn ratios)`,
    axis: 'speed ratio, log scale (right of 1×: recurrent is faster)',
    series: PEERS.map(([, label]) => label),
    groups,
    log: true,
    reference: { value: 1, label: '1× = as fast' },
    format: (x) => `${x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2)}×`,
  });
}
