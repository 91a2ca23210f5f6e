// The pictures the CLI leaves behind: each task verb draws its headline figure against its
// baseline next to its model (small, quick runs: the figures themselves are not checked, only
// that the chart shows the numbers the run printed), and the benchmark draws its table's
// ratios from a saved --json run (bench/run.mjs --from, nothing measured).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const run = (file: string, ...args: string[]) => spawnSync(process.execPath, [`${ROOT}${file}`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
const cli = (...args: string[]) => run('bin/recurrent.js', ...args);

/** The value labels of an SVG bar chart, in drawing order. */
const barLabels = (svg: string) => [...svg.matchAll(/<rect class="bar"[^>]*\/>\n<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

function expectSvg(path: string): string {
  const svg = readFileSync(path, 'utf8');
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).not.toMatch(/NaN|undefined|Infinity|<script|href=/);
  return svg;
}

describe('CLI pictures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-pictures-'));

  it('segment train: model vs longest match, precision, recall and F1', () => {
    const out = join(dir, 'seg.safetensors');
    const r = cli('segment', 'train', '--updates', '6', '--units', '8', '--embed', '4', '--batch', '8', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const svg = expectSvg(join(dir, 'seg.svg'));
    const model = /BiLSTM-CRF: P ([\d.]+) {2}R ([\d.]+) {2}F1 ([\d.]+)/.exec(r.stdout)!;
    const base = /baseline .*: P ([\d.]+) {2}R ([\d.]+) {2}F1 ([\d.]+)/.exec(r.stdout)!;
    const printed = [model[1], base[1], model[2], base[2], model[3], base[3]].map(Number);
    const drawn = barLabels(svg);
    expect(drawn).toHaveLength(6);
    for (const [i, l] of drawn.entries()) expect(Math.abs(Number.parseFloat(l) - printed[i])).toBeLessThanOrEqual(0.051);
    expect(svg).toContain('greedy longest match');
    // segment run --out writes atomically too
    const text = join(dir, 'seg.txt');
    expect(cli('segment', 'run', '--model', out, '--text', 'Callmeishmael.', '--out', text).status).toBe(0);
    expect(readFileSync(text, 'utf8').replace(/ /g, '')).toBe('Callmeishmael.\n');
  });

  it('classify train: accuracy and spam F1 against naive Bayes and always "ham"', () => {
    const out = join(dir, 'spam.safetensors');
    const r = cli('classify', 'train', '--epochs', '1', '--units', '4', '--embed', '4', '--max-tokens', '8', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const svg = expectSvg(join(dir, 'spam.svg'));
    const nb = /naive Bayes.*: accuracy ([\d.]+)%/.exec(r.stdout)!;
    const gru = /GRU classifier: accuracy ([\d.]+)%/.exec(r.stdout)!;
    const labels = barLabels(svg);
    expect(labels).toHaveLength(6);
    // the chart rounds the unrounded figure to 0.1 (96.55% printed may be drawn as 96.5% or 96.6%)
    for (const [i, l] of labels.slice(0, 2).entries()) expect(Math.abs(Number.parseFloat(l) - Number([gru, nb][i][1]))).toBeLessThanOrEqual(0.051);
    expect(svg).toContain('naive Bayes');
  });

  it('g2p train (on a small lexicon): word and phoneme error rates, greedy and beam', () => {
    // 16 words C-A-C over B, T, S, M: every letter and phone is in every split's training part
    const cs = ['B', 'T', 'S', 'M'];
    const words = cs.flatMap((a) => cs.map((b) => `${a}A${b} ${a} AE1 ${b}`));
    const lex = join(dir, 'tiny.dict');
    writeFileSync(lex, `${words.join('\n')}\n`);
    const out = join(dir, 'g2p.safetensors');
    const r = cli(
      'g2p',
      'train',
      '--lexicon',
      lex,
      '--test',
      '3',
      '--validation',
      '1',
      '--epochs',
      '2',
      '--units',
      '4',
      '--embed',
      '4',
      '--attention',
      '4',
      '--beam',
      '2',
      '--out',
      out,
    );
    expect(r.stderr.replace(/epoch .*\n|\n/g, '')).toBe(''); // only the progress bar
    expect(r.status).toBe(0);
    const svg = expectSvg(join(dir, 'g2p.svg'));
    const greedy = /test greedy: WER ([\d.]+)%, PER ([\d.]+)%/.exec(r.stdout)!;
    const beam = /test beam 2: WER ([\d.]+)%, PER ([\d.]+)%/.exec(r.stdout)!;
    const plainGreedy = /test greedy without stress .*: WER ([\d.]+)%, PER ([\d.]+)%/.exec(r.stdout)!;
    const plainBeam = /test beam 2 without stress .*: WER ([\d.]+)%, PER ([\d.]+)%/.exec(r.stdout)!;
    // groups: WER, PER, WER without stress, PER without stress; bars: greedy, beam
    expect(barLabels(svg)).toEqual([greedy[1], beam[1], greedy[2], beam[2], plainGreedy[1], plainBeam[1], plainGreedy[2], plainBeam[2]].map((x) => `${x}%`));
  });

  it('forecast: MAE against the seasonal-naive baseline, in the main thread with --no-worker', () => {
    const chart = join(dir, 'births.svg');
    const model = join(dir, 'births.safetensors');
    const r = cli('forecast', '--epochs', '1', '--units', '4', '--stride', '28', '--window', '28', '--no-worker', '--chart', chart, '--out', model);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`model saved to ${model}`);
    expect(readFileSync(model).length).toBeGreaterThan(1000);
    expect(r.stdout).toMatch(/LSTM 4 over 28 days .* in the main thread/);
    const svg = expectSvg(chart);
    const val = /validation \d+: LSTM MAE ([\d.]+), seasonal naive MAE ([\d.]+)/.exec(r.stdout)!;
    const test = /test \d+ .*: LSTM MAE ([\d.]+) births\/day, seasonal naive MAE ([\d.]+)/.exec(r.stdout)!;
    expect(barLabels(svg)).toEqual([val[1], val[2], test[1], test[2]]);
  });

  it('no picture with --no-chart, and no temporary files anywhere', () => {
    const out = join(dir, 'quiet.safetensors');
    expect(cli('segment', 'train', '--updates', '1', '--units', '2', '--embed', '2', '--no-chart', '--out', out).status).toBe(0);
    const files = readdirSync(dir);
    expect(files).toContain('quiet.safetensors');
    expect(files).not.toContain('quiet.svg');
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('bench/run.mjs --from a saved --json run draws recurrent ÷ each peer on a log scale', () => {
    const fig = (workload: string, figure: string, median: number) => ({ workload, figure, median, runs: [median, median, median], unit: 'tok/s' });
    const shapes = (ms: number[]) => ms.map((m) => ({ median: m, runs: [m, m, m] }));
    const saved = {
      machine: { cpu: 'Test CPU', cpus: 2, node: 'v24.0.0', platform: 'linux x64', loadavgStart: [0.5], loadavgEnd: [0.5] },
      results: [
        fig('W1', 'recurrent', 120000),
        fig('W1', 'tfjs-wasm', 8000),
        fig('W1', 'native', 240000),
        fig('W4', 'recurrent', 90000),
        fig('W4', 'brain.js', 6000),
      ],
      gemm: {
        wasm: { figure: 'recurrent', shapes: shapes([20, 30, 25, 18, 28]) },
        openblas: { figure: 'openblas', shapes: shapes([80, 60, 50, 36, 56]) },
      },
    };
    const from = join(dir, 'bench.json');
    writeFileSync(from, JSON.stringify(saved));
    const chart = join(dir, 'bench.svg');
    const r = run('bench/run.mjs', '--from', from, '--workload', 'W1,W4', '--chart', chart);
    expect(r.status).toBe(0);
    const svg = expectSvg(chart);
    // W1: 15× TF.js wasm, 0.50× native; W4: 15× brain.js; GEMM: 0.25× … 0.50× OpenBLAS
    expect(barLabels(svg)).toEqual(['15×', '0.50×', '15×', '0.25×', '0.50×', '0.50×', '0.50×', '0.50×']);
    expect(svg).toContain('1× = as fast');
  });

  it('bench/run.mjs --from: builds, workers and PyTorch as per-turn ratios, each GEMM as a share of its ceiling', () => {
    const group = ['recurrent', 'recurrent-relaxed', 'recurrent-workers', 'torch-1t', 'torch-2t'];
    const fig = (workload: string, figure: string, runs: number[]) => ({
      workload,
      figure,
      runs,
      median: [...runs].sort((a, b) => a - b)[1],
      unit: 'tok/s',
      turns: group,
    });
    // per turn, recurrent-workers ÷ recurrent = 2, 1.8, 1.6 (median 1.8); the medians' ratio is 2
    const gemm = (figure: string, rates: number[][], ceiling: number[]) => ({
      figure,
      turns: ['recurrent-wasm-gemm', 'recurrent-relaxed-gemm'],
      shapes: rates.map((runs) => ({ runs, median: [...runs].sort((a, b) => a - b)[1] })),
      ceiling: { kc: 256, runs: ceiling, median: [...ceiling].sort((a, b) => a - b)[1] },
    });
    const shape = [10, 20, 30];
    const saved = {
      machine: { cpu: 'Test CPU', cpus: 2, node: 'v24.0.0', platform: 'linux x64', loadavgStart: [0.5], loadavgEnd: [0.5] },
      results: [
        fig('W1', 'recurrent', [20000, 10000, 25000]),
        fig('W1', 'recurrent-relaxed', [20000, 10000, 25000]),
        { ...fig('W1', 'recurrent-workers', [40000, 18000, 40000]), workers: 2 },
        fig('W1', 'torch-1t', [80000, 40000, 100000]),
        fig('W1', 'torch-2t', [80000, 36000, 80000]),
        fig('W5', 'recurrent', [14000, 14000, 14000]),
        fig('W5', 'torch-2t', [1000, 1000, 1000]),
      ],
      gemm: {
        wasm: gemm('recurrent-wasm-gemm', [shape, shape, shape, shape, shape], [11, 22, 33]),
        relaxed: gemm('recurrent-relaxed-gemm', [shape, shape, shape, shape, shape], [20, 40, 60]),
      },
    };
    const from = join(dir, 'bench-turns.json');
    writeFileSync(from, JSON.stringify(saved));
    const chart = join(dir, 'bench-turns.svg');
    const resaved = join(dir, 'bench-turns-again.json');
    const r = run('bench/run.mjs', '--from', from, '--workload', 'W1,W5', '--chart', chart, '--json', resaved);
    expect(r.status).toBe(0);
    // the same ratios turn by turn, in order
    expect(r.stdout).toContain('turn by turn (one ratio per turn, in order):');
    expect(r.stdout).toMatch(
      /^W1: 2 workers ÷ 1 2\.00× 1\.80× 1\.60×; ours \(1 thread\) ÷ PyTorch 1 thread 0\.25× 0\.25× 0\.25×; 2 workers \(simd128\) ÷ PyTorch 1 thread 0\.50× 0\.45× 0\.40×; ours \(2 workers\) ÷ PyTorch 2 threads 0\.50× 0\.50× 0\.50×$/m,
    );
    expect(r.stdout).toMatch(/^W5: ours \(1 thread, batch 1\) ÷ PyTorch 2 threads 14\.0× 14\.0× 14\.0×$/m);
    // every saved figure says where it ran (the machine's, where the figure's process did not say)
    const again = JSON.parse(readFileSync(resaved, 'utf8'));
    for (const f of [...again.results, ...Object.values(again.gemm)])
      expect((f as { host: unknown }).host).toEqual({ cpu: 'Test CPU', cores: 2, runtime: 'node v24.0.0' });
    const row = (title: string, table: number) =>
      r.stdout
        .split('\n\n')
        .filter((t) => t.startsWith('|'))
        [table].split('\n')
        .find((l) => l.startsWith(`| ${title}`))!
        .split('|')
        .map((c) => c.trim());
    // simd128, relaxed, ratio, 2 workers, ratio, PyTorch 1t, ours/1t, PyTorch 2t, ours/2t, target
    expect(row('W1 LSTM', 1).slice(3, 13)).toEqual([
      '20,000',
      '20,000',
      '1.00×',
      '40,000',
      '1.80×',
      '80,000',
      '0.25×',
      '80,000',
      '0.50×',
      'relaxed ≥0.97× ✓; 2 workers ≥1.80× ✓; 2 workers ÷ PyTorch 1t ≥0.55× ✗ (18% short)',
    ]);
    expect(row('W5 generation', 1).slice(6, 12)).toEqual(['batch 1', '—', '—', '—', '1,000', '14.0× (1 thread)']);
    // 10/11 … : 91% of simd128's ceiling, 50% of relaxed's (per turn), relaxed ÷ simd128 = 1
    expect(row('GEMM 32×1024×256', 2).slice(3, 8)).toEqual(['20.0', '91%', '20.0', '50%', '1.00×']);
    expect(row('ceiling', 2).slice(3, 8)).toEqual(['22.0', '100%', '40.0', '100%', '1.82×']);
    expect(r.stdout).toMatch(/missed: .*GEMM 32×1024×256 relaxed share of its ceiling \(44% short\)/);
    expect(barLabels(expectSvg(chart))).toEqual(['0.25×', '0.50×', '14×']);
  });
});
