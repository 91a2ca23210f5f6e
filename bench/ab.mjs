// A/B speed check of two checkouts of this repository, each built (`npm run build`): the old
// build (A) and the new one (B) run the same workload in turns, run by run, so machine-load
// drift hits both alike; prints the median of the per-round B/A ratios (simd128 kernels).
//   node bench/ab.mjs DIR_A DIR_B [rounds] [W1,W2,...]
import { spawnSync } from 'node:child_process';

const [A, B, roundsArg, wl] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 7);
const workloads = (wl ?? 'W1,W2,W3,W4,W5').split(',');
const run = (dir, w) => {
  const r = spawnSync(process.execPath, ['bench/figures/recurrent.mjs', '--workload', w, '--time', '1', '--warmup', '1', '--runs', '1'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, RECURRENT_KERNELS: 'simd128' },
  });
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`${dir} ${w}: ${r.stderr}`);
  return JSON.parse(line).median;
};
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
for (const w of workloads) {
  const a = [],
    b = [],
    ratio = [];
  for (let i = 0; i < rounds; i++) {
    const first = i % 2 === 0;
    const x = first ? run(A, w) : null;
    const y = run(B, w);
    const x2 = first ? x : run(A, w);
    a.push(x2);
    b.push(y);
    ratio.push(y / x2);
  }
  console.log(
    `${w}: old ${Math.round(med(a))} tok/s, new ${Math.round(med(b))} tok/s, new/old median of per-round ratios ${med(ratio).toFixed(3)} (range ${Math.min(...ratio).toFixed(3)}–${Math.max(...ratio).toFixed(3)}, ${rounds} rounds)`,
  );
}
