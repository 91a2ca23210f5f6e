// The published layout: `npm pack`, install the tarball into a scratch project, and use it
// from plain Node ESM (no bundler): the exports map, the types (tsc in the scratch project),
// the .wasm asset, a worker, and the `recurrent` command; the README's SDK example in that
// ESM project and in a CommonJS one (require() of the ES module, Node 20.19+ and 22.12+), on
// Node 20 and Node 24; every size the README states, measured. Then the same installed
// package through Vite, as a browser app bundles it, run in Chromium.
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'recurrent-pack-'));
const app = join(tmp, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let files: string[] = [];
let tarball = '';
/** `npm pack --json`'s figures: tarball bytes, unpacked bytes, entries. */
let packed: { size: number; unpackedSize: number; entryCount: number };
/** Node 24 (scripts/setup.sh installs it in .tools) where it is there, besides this Node. */
const NODE24 = join(ROOT, '.tools/node24/bin/node');
const nodes = [process.execPath, ...(existsSync(NODE24) ? [NODE24] : [])];

/** The README's SDK walkthrough (its first ts block with createTrainer and trainer.fit), as JavaScript. */
function readmeExample(): string {
  const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = [...md.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]).find((c) => c.includes('createTrainer') && c.includes('trainer.fit('));
  if (!block) throw new Error('README.md has no SDK example');
  return ts.transpileModule(block, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
}

/** The same program for CommonJS: its imports as require(), its body in an async function. */
function asCommonJs(esm: string): string {
  const requires: string[] = [];
  const body = esm.replace(/^import\s*\{([^}]*)\}\s*from\s*(['"][^'"]+['"]);?\s*$/gm, (_, names: string, from: string) => {
    requires.push(`const {${names}} = require(${from});`);
    return '';
  });
  if (/^import\s/m.test(body)) throw new Error(`an import the CommonJS rewrite does not handle:\n${body}`);
  return `${requires.join('\n')}\n(async () => {\n${body}\n})().catch((e) => {\n  console.error(e);\n  process.exitCode = 1;\n});\n`;
}

beforeAll(() => {
  const pack = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', tmp, '--loglevel=error'], { cwd: ROOT, encoding: 'utf8' }));
  files = pack[0].files.map((f: { path: string }) => f.path);
  tarball = join(tmp, pack[0].filename);
  packed = pack[0];
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
  // Only the local tarball is new; its dependencies come from npm's cache when they are there.
  execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app, encoding: 'utf8' });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `code` as the scratch project's main.mjs (a file, as an app would: workers inherit the flags of `node -e`). */
const node = (code: string) => {
  writeFileSync(join(app, 'main.mjs'), code);
  return spawnSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
};

describe('npm package', () => {
  it('holds the built SDK, its types, the wasm and the worker, and no sources', () => {
    for (const f of [
      'package.json',
      'README.md',
      'bin/recurrent.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/trainer.js',
      'dist/worker/worker.js',
      'dist/wasm/recurrent_wasm.js',
      'dist/wasm/recurrent_wasm_bg.wasm',
      'dist/wasm/recurrent_wasm_relaxed_bg.wasm',
    ]) {
      expect(files, f).toContain(f);
    }
    // two example scripts ship: the speech corpus generator that `recurrent speech train` runs
    // and its synthesizers (npm adds the README of a folder it takes a file from)
    const shipped = ['examples/speech/make-corpus.mjs', 'examples/speech/synthesizers.mjs', 'examples/README.md'];
    expect(files).toContain(shipped[0]);
    expect(files).toContain(shipped[1]);
    expect(files.filter((f) => (/^(ts|test|crates|examples|scripts|bench)\//.test(f) || f.endsWith('.rs')) && !shipped.includes(f))).toEqual([]);
  });

  it("runs the README's SDK example in the scratch ESM project, on Node 20 and Node 24", () => {
    writeFileSync(join(app, 'readme.mjs'), readmeExample());
    for (const exe of nodes) {
      const r = spawnSync(exe, ['readme.mjs'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
      expect(r.stderr, exe).toBe('');
      expect(r.status, exe).toBe(0);
      expect(r.stdout.length, exe).toBeGreaterThan(0);
    }
  });

  it("runs the README's SDK example in a scratch CommonJS project: require('recurrent-nn') works (no top-level await in the package)", () => {
    const cjs = join(tmp, 'cjs-app');
    mkdirSync(cjs);
    // no "type": a CommonJS project (npm init -y), using the package the ESM project installed
    writeFileSync(join(cjs, 'package.json'), JSON.stringify({ name: 'scratch-cjs', version: '1.0.0', private: true }, null, 2));
    symlinkSync(join(app, 'node_modules'), join(cjs, 'node_modules'), 'dir');
    writeFileSync(join(cjs, 'main.js'), asCommonJs(readmeExample()));
    writeFileSync(
      join(cjs, 'tasks.js'),
      `const { init, kernelBackend } = require('recurrent-nn');\nconst { tokenize } = require('recurrent-nn/tasks');\ninit().then(() => console.log(kernelBackend(), tokenize('Hi there').join('|')));\n`,
    );
    for (const exe of nodes) {
      const r = spawnSync(exe, ['main.js'], { cwd: cjs, encoding: 'utf8', timeout: 120_000 });
      expect(r.stderr, exe).toBe('');
      expect(r.status, exe).toBe(0);
      expect(r.stdout.length, exe).toBeGreaterThan(0);
      const t = spawnSync(exe, ['tasks.js'], { cwd: cjs, encoding: 'utf8', timeout: 60_000 });
      expect(t.stderr, exe).toBe('');
      expect(t.stdout.trim(), exe).toMatch(/^(simd128|relaxed-simd) hi\|there$/);
    }
  });

  it('every size the README states is the measured one', () => {
    const md = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' '); // one line
    const m = (re: RegExp) => {
      const x = re.exec(md);
      expect(x, `README.md states ${re}`).not.toBeNull();
      return x!.slice(1).map(Number);
    };
    const near = (stated: number, measured: number, what: string, tolerance = 0.05) =>
      expect(Math.abs(stated - measured) / measured, `${what}: README says ${stated}, measured ${measured}`).toBeLessThanOrEqual(tolerance);
    const [wasmKb, gzKb] = m(/each of the two `\.wasm` builds is (\d+) kB \((\d+) kB gzipped\)/);
    for (const f of ['recurrent_wasm_bg.wasm', 'recurrent_wasm_relaxed_bg.wasm']) {
      const bytes = readFileSync(join(app, 'node_modules/recurrent-nn/dist/wasm', f));
      near(wasmKb, bytes.length / 1000, `${f} kB`);
      near(gzKb, gzipSync(bytes).length / 1000, `${f} gzipped kB`);
    }
    const [tarKb, entries, unpackedMb, maps] = m(/a (\d+) kB tarball of (\d+) files \(([\d.]+) MB unpacked\), (\d+) of them source maps/);
    near(tarKb, packed.size / 1000, 'tarball kB');
    near(unpackedMb, packed.unpackedSize / 1e6, 'unpacked MB');
    near(entries, packed.entryCount, 'files', 0.1);
    near(maps, files.filter((f) => f.endsWith('.map')).length, 'source maps', 0.1);
    const [pkgCount, installMb] = m(/a scratch `npm install recurrent-nn` brings (\d+) packages \(([\d.]+) MB\)/);
    const nm = join(app, 'node_modules');
    const du = (p: string): number => {
      const st = statSync(p);
      return st.isDirectory() ? readdirSync(p).reduce((a, f) => a + du(join(p, f)), 0) : st.size;
    };
    const pkgs = readdirSync(nm)
      .filter((d) => !d.startsWith('.'))
      .flatMap((d) => (d.startsWith('@') ? readdirSync(join(nm, d)) : [d]));
    expect(pkgs.length, 'packages').toBe(pkgCount);
    near(installMb, du(nm) / 1e6, 'install MB', 0.1);
  });

  it('runs `recurrent speech train` from the installed package (the corpus generator ships with it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-pack-speech-'));
    const r = spawnSync(
      join(app, 'node_modules/.bin/recurrent'),
      [
        'speech',
        'train',
        '--utterances',
        '12',
        '--voices',
        'en-us',
        '--variants',
        'm3,f2',
        '--test-size',
        '0.5',
        '--epochs',
        '1',
        '--units',
        '4',
        '--layers',
        '1',
        '--beam',
        '1',
        // two utterances each of a held-out espeak-ng variant and of Flite: every synthesizer runs
        '--held-out-utterances',
        '2',
        '--corpus',
        join(dir, 'corpus'),
        '--out',
        join(dir, 'speech.safetensors'),
      ],
      { cwd: app, encoding: 'utf8', timeout: 120_000 },
    );
    rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/corpus: .* 16 utterances/);
    expect(r.stdout).toMatch(/model saved to /);
  });

  it('imports from Node ESM through the exports map and loads the .wasm with no bundler', () => {
    const r = node(`
      import { init, kernelBackend, createTrainer, sequential, textWindows, Vocabulary, MODEL_FORMAT } from 'recurrent-nn';
      import { existsSync } from 'node:fs';
      import { fileURLToPath } from 'node:url';
      import pkg from 'recurrent-nn/package.json' with { type: 'json' };
      const out = {};
      out.main = import.meta.resolve('recurrent-nn');
      out.wasm = fileURLToPath(import.meta.resolve('recurrent-nn/wasm/recurrent_wasm_bg.wasm'));
      out.wasmExists = existsSync(out.wasm);
      try { await import('recurrent-nn/dist/index.js'); out.deep = 'allowed'; } catch (e) { out.deep = e.code; }
      await init();
      out.kernels = kernelBackend();
      out.format = MODEL_FORMAT;
      out.version = pkg.version;
      const v = Vocabulary.fromText('abcabcabd ');
      const t = await createTrainer({ worker: true });
      await t.build(sequential({ input: { vocab: v.size } }).embedding({ dim: 4 }).gru({ units: 8 }).dense({ units: v.size }), { seed: 1 });
      await t.setVocabulary(v);
      await t.compile({ optimizer: { name: 'adam', lr: 0.05 } });
      const res = await t.fit(textWindows(v.encode('abcabcabd abcabcabd abcabcabd '), { steps: 4 }), { epochs: 3, batchSize: 4 });
      out.mode = t.mode;
      out.steps = res.steps;
      out.sample = await t.generate('a', { maxTokens: 5, seed: 1 });
      await t.dispose();
      console.log(JSON.stringify(out));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.main).toMatch(/\/node_modules\/recurrent-nn\/dist\/index\.js$/);
    expect(out.wasm).toMatch(/\/node_modules\/recurrent-nn\/dist\/wasm\/recurrent_wasm_bg\.wasm$/);
    expect(out.wasmExists).toBe(true);
    expect(out.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(out.kernels).toBe('simd128');
    expect(out.format).toBe('recurrent/1');
    expect(out.mode).toBe('worker');
    expect(out.steps).toBeGreaterThan(0);
    expect(out.sample).toHaveLength(5);
  });

  // skipLibCheck off, so the shipped .d.ts files are checked too; the wasm-bindgen glue's types
  // use Symbol.dispose (lib esnext.disposable, or @types/node, declares it).
  it('type-checks a TypeScript user of the package: strict, no skipLibCheck, no @types/node, NodeNext and bundler resolution', () => {
    // A browser-only setup: lib ES2022 + DOM and nothing else (no ESNext.Disposable, no @types/node).
    const config = (module: string, moduleResolution: string) =>
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module, moduleResolution, strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM'], types: [] },
        files: ['main.ts'],
      });
    writeFileSync(join(app, 'tsconfig.json'), config('NodeNext', 'NodeNext'));
    writeFileSync(join(app, 'tsconfig.bundler.json'), config('ESNext', 'Bundler'));
    writeFileSync(
      join(app, 'main.ts'),
      `import { createTrainer, sequential, type FitEvent, type ModelInfo, type Trainer } from 'recurrent-nn';
import { G2P } from 'recurrent-nn/tasks';
const t: Trainer = await createTrainer({ worker: false });
const info: ModelInfo = await t.build(sequential({ input: { vocab: 10 } }).embedding({ dim: 4 }).lstm({ units: 8 }).dense({ units: 10 }));
const n: number = info.paramCount;
const onEvent = (e: FitEvent): number => (e.type === 'step' ? e.tokensPerSec : e.loss);
// @ts-expect-error: not an option of createTrainer
await createTrainer({ workers: true });
// @ts-expect-error: a recurrent layer needs a sequence, not the vector a non-sequence LSTM returns
sequential({ input: { vocab: 10 } }).embedding({ dim: 4 }).lstm({ units: 8, returnSequences: false }).lstm({ units: 8 });
const text: Promise<string> = t.generate('abc');
const tasks: typeof G2P = G2P;
export { n, onEvent, text, tasks };
`,
    );
    for (const p of [app, join(app, 'tsconfig.bundler.json')]) {
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', p], { cwd: app, encoding: 'utf8' });
      expect(r.stdout + r.stderr, p).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('installs lean: the library brings only its runtime dependencies, and the CLI names a missing corpus', () => {
    expect(files).toContain('LICENSE');
    const nm = join(app, 'node_modules');
    const pkgs: string[] = [];
    for (const d of readdirSync(nm)) {
      if (d.startsWith('.')) continue;
      if (d.startsWith('@')) for (const s of readdirSync(join(nm, d))) pkgs.push(`${d}/${s}`);
      else pkgs.push(d);
    }
    const du = (p: string): number => {
      const st = statSync(p);
      return st.isDirectory() ? readdirSync(p).reduce((a, f) => a + du(join(p, f)), 0) : st.size;
    };
    const mb = du(nm) / 2 ** 20;
    console.log(`[package] scratch install: ${pkgs.length} packages, ${mb.toFixed(1)} MB in node_modules (${pkgs.join(', ')})`);
    expect(pkgs).toContain('recurrent-nn');
    expect(pkgs).toContain('comlink');
    expect(pkgs.filter((p) => p.startsWith('@stdlib/'))).toEqual([]);
    expect(pkgs.length).toBeLessThan(15);
    // The default corpus is a dev/optional dependency: the CLI says what to install, in one line.
    const r = spawnSync(join(app, 'node_modules/.bin/recurrent'), ['train', '--epochs', '1'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/npm install @stdlib\/datasets-moby-dick/);
  });

  it('installs the recurrent command', () => {
    const r = spawnSync(join(app, 'node_modules/.bin/recurrent'), ['--help'], { cwd: app, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/usage: recurrent <command>/);
  });

  it('bundles with Vite from node_modules (worker + .wasm asset, or explicit URLs) and trains in Chromium', async () => {
    const web = join(app, 'web');
    mkdirSync(web, { recursive: true });
    writeFileSync(
      join(web, 'index.html'),
      '<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module" src="./main.js"></script></body></html>',
    );
    writeFileSync(
      join(web, 'main.js'),
      `import { createTrainer, sequential, textWindows, Vocabulary } from 'recurrent-nn';
import wasmUrl from 'recurrent-nn/wasm/recurrent_wasm_bg.wasm?url';
async function run(opts) {
  const v = Vocabulary.fromText('abcabd ');
  const t = await createTrainer(opts);
  await t.build(sequential({ input: { vocab: v.size } }).embedding({ dim: 4 }).lstm({ units: 8 }).dense({ units: v.size }), { seed: 1 });
  await t.setVocabulary(v);
  await t.compile({ optimizer: { name: 'adam', lr: 0.05 } });
  const res = await t.fit(textWindows(v.encode('abcabd abcabd abcabd abcabd '), { steps: 4 }), { epochs: 2, batchSize: 4 });
  const sample = await t.generate('a', { maxTokens: 5, seed: 1 });
  await t.dispose();
  return { mode: t.mode, steps: res.steps, sample };
}
Promise.all([run({ worker: true }), run({ worker: true, wasm: wasmUrl }), run({ worker: false })])
  .then((r) => { window.result = { ok: true, runs: r, wasmUrl }; }, (e) => { window.result = { ok: false, error: String(e && e.stack || e) }; });
`,
    );
    // Plain object: the scratch project has no vite of its own to import defineConfig from.
    writeFileSync(
      join(web, 'vite.config.mjs'),
      `export default { base: './', logLevel: 'error', worker: { format: 'es' }, build: { target: 'es2022', outDir: 'dist' } };\n`,
    );
    const b = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: web, encoding: 'utf8', timeout: 120_000 });
    expect(b.status, b.stdout + b.stderr).toBe(0);
    const assets = readdirSync(join(web, 'dist/assets'));
    const wasmAssets = assets.filter((f) => f.endsWith('.wasm'));
    expect(wasmAssets.length).toBeGreaterThanOrEqual(1);
    // both kernel builds are emitted (init() picks one at run time), each byte-identical to the package's
    const shipped = ['recurrent_wasm_bg.wasm', 'recurrent_wasm_relaxed_bg.wasm'].map((f) => readFileSync(join(app, 'node_modules/recurrent-nn/dist/wasm', f)));
    for (const w of wasmAssets)
      expect(
        shipped.some((b) => readFileSync(join(web, 'dist/assets', w)).equals(b)),
        w,
      ).toBe(true);
    for (const b of shipped) expect(wasmAssets.some((w) => readFileSync(join(web, 'dist/assets', w)).equals(b))).toBe(true);
    expect(assets.some((f) => /^worker-.*\.js$/.test(f))).toBe(true);

    const dist = join(web, 'dist');
    const server = createServer((req, res) => {
      const file = join(dist, new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/\/$/, '/index.html'));
      if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
      const type = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' }[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const profile = mkdtempSync(join(tmpdir(), 'recurrent-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction('window.result', undefined, { timeout: 60_000 });
      // biome-ignore lint/suspicious/noExplicitAny: a result object built in the browser page
      const result = await page.evaluate(() => (window as unknown as { result: any }).result);
      expect(result.error).toBeUndefined();
      expect(result.runs.map((r: { mode: string }) => r.mode)).toEqual(['worker', 'worker', 'thread']);
      for (const r of result.runs) expect(r.sample).toHaveLength(5);
      // the three ways give the same model
      expect(new Set(result.runs.map((r: { sample: string }) => r.sample)).size).toBe(1);
      expect(result.wasmUrl).toMatch(/\.wasm$/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      server.close();
    }
  });
});
