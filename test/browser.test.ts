// The browser demo (examples/browser) in real Chromium: built with Vite as an app would be,
// served from 127.0.0.1, trained in its module Web Worker. Debian's /usr/bin/chromium
// (scripts/setup.sh installs it), driven by playwright-core.

import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer } from '../dist/index.js';
import { ROOT } from './helpers.js';

const DEMO = join(ROOT, 'examples/browser');
const ARTIFACTS = join(ROOT, 'test/artifacts');
const OUT = join(ARTIFACTS, 'browser-demo');
const CHROMIUM = '/usr/bin/chromium';
const STEPS = 300;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** A static file server for the built demo, on a free loopback port. */
function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep) && file !== dir) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/` });
    }),
  );
}

type DemoView = { state: string; mode?: string; steps: number[]; losses: number[]; samples: number; sample: string };
const view = (page: Page): Promise<DemoView> =>
  page.evaluate(() => {
    const d = (window as unknown as { recurrentDemo: DemoView }).recurrentDemo;
    return { state: d.state, mode: d.mode, steps: d.steps, losses: d.losses, samples: d.samples, sample: d.sample };
  });
const waitFor = (page: Page, fn: string, timeout = 90_000) => page.waitForFunction(fn, undefined, { timeout, polling: 100 });
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

let server: Server;
let url: string;
let context: BrowserContext;
let page: Page;
let profile: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await build({ root: DEMO, configFile: join(DEMO, 'vite.config.ts'), logLevel: 'error', build: { outDir: OUT, emptyOutDir: true } });
  ({ server, url } = await serve(OUT));
  profile = mkdtempSync(join(tmpdir(), 'recurrent-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
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
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

afterAll(async () => {
  await context?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('browser demo in Chromium', () => {
  it('type-checks its entry against the SDK types', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(DEMO, 'tsconfig.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('trains in a module worker: the loss falls, frames keep coming, samples appear; stop and resume', async () => {
    await page.goto(url);
    await waitFor(page, 'window.recurrentDemo?.state === "idle"', 30_000);
    expect((await view(page)).mode).toBe('worker');

    // A small, quick run: LSTM 64 on the names, STEPS steps.
    await page.fill('#units', '64');
    await page.fill('#steps', String(STEPS));

    // Count animation frames (and the longest gap between two) from now on.
    await page.evaluate(() => {
      const w = window as unknown as { frames: number; maxGap: number };
      w.frames = 0;
      w.maxGap = 0;
      let last = performance.now();
      const tick = (t: number) => {
        w.frames += 1;
        w.maxGap = Math.max(w.maxGap, t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const frames = () => page.evaluate(() => (window as unknown as { frames: number; maxGap: number }).frames);
    const t0 = Date.now();
    const f0 = await frames();
    await page.click('#train');
    await waitFor(page, `window.recurrentDemo.steps.length >= ${STEPS / 2}`);

    // Stop in the middle, then resume where it stopped.
    await page.click('#stop');
    await waitFor(page, 'window.recurrentDemo.state === "stopped"');
    const atStop = (await view(page)).steps.length;
    expect(await page.textContent('#stat-eta')).toBe('–'); // no "time left" after Stop
    expect(atStop).toBeGreaterThanOrEqual(STEPS / 2);
    expect(atStop).toBeLessThan(STEPS);
    await page.click('#resume');
    await waitFor(page, 'window.recurrentDemo.state === "done"');
    const seconds = (Date.now() - t0) / 1000;
    const f1 = await frames();
    const maxGap = await page.evaluate(() => (window as unknown as { maxGap: number }).maxGap);

    const v = await view(page);
    expect(v.steps).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(v.losses.every(Number.isFinite)).toBe(true);
    // The loss falls: from ~ln(54) ≈ 4 to well under 3 nats per character.
    const first = mean(v.losses.slice(0, 5));
    const last = mean(v.losses.slice(-20));
    expect(v.losses[0]).toBeGreaterThan(3.5);
    expect(last).toBeLessThan(first - 1);
    expect(last).toBeLessThan(2.8);

    // The main thread kept drawing while the worker trained (about 60 frames a second when
    // idle; generous floors, for a loaded machine).
    expect(f1 - f0).toBeGreaterThan(seconds * 5);
    expect(maxGap).toBeLessThan(2000);

    // A generated sample: names, one per line.
    await waitFor(page, 'window.recurrentDemo.samples >= 1 && window.recurrentDemo.sample.length > 0', 30_000);
    const sample = (await view(page)).sample;
    expect(sample.length).toBeGreaterThan(20);
    expect(sample).toMatch(/^[A-Za-z\n-]+$/); // the names' symbols
    expect(sample.split('\n').filter((l) => l.length >= 2).length).toBeGreaterThanOrEqual(3);

    const stats = await page.evaluate(() => ({
      tps: document.getElementById('stat-tps')!.textContent,
      step: document.getElementById('stat-step')!.textContent,
    }));
    expect(stats.step).toBe(String(STEPS));
    expect(Number(stats.tps!.replace(/,/g, ''))).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'browser-demo.png'), fullPage: true });
    console.log(
      `[browser] Chromium ${context.browser()?.version() ?? ''}: ${STEPS} steps in ${seconds.toFixed(1)} s, ${stats.tps} tokens/s, loss ${first.toFixed(2)} → ${last.toFixed(2)}, ${f1 - f0} frames (longest gap ${maxGap.toFixed(0)} ms)`,
    );
  });

  it('saves the model as a download and loads it back from a file input', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const file = join(ARTIFACTS, 'browser-demo-model.safetensors');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/^recurrent-lstm-64-step300\.safetensors$/);
    const bytes = readFileSync(file);

    // The downloaded file is an ordinary model file: Node's SDK loads it and generates.
    const t = await createTrainer({ worker: false });
    const info = await t.load(new Uint8Array(bytes));
    expect(info.training?.step).toBe(STEPS);
    expect((await t.generate('\n', { maxTokens: 30, seed: 1 })).length).toBe(30);
    await t.dispose();

    const before = (await view(page)).samples;
    await page.setInputFiles('#load', file);
    await waitFor(page, 'window.recurrentDemo.state === "loaded"', 30_000);
    await waitFor(page, `window.recurrentDemo.samples > ${before}`, 30_000);
    expect(await page.isEnabled('#resume')).toBe(true);
    expect(await page.textContent('#message')).toMatch(/resume training/);
    expect(pageErrors).toEqual([]);
  });

  it('trains data-parallel on 2 module workers when the Workers control says 2', async () => {
    await page.selectOption('#workers', '2');
    await page.fill('#steps', '50');
    await page.click('#train');
    await waitFor(page, 'window.recurrentDemo.state === "done"');
    const v = await view(page);
    expect(await page.evaluate(() => (window as unknown as { recurrentDemo: { workers: number } }).recurrentDemo.workers)).toBe(2);
    expect(v.steps).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(v.losses.every(Number.isFinite)).toBe(true);
    expect(mean(v.losses.slice(-10))).toBeLessThan(mean(v.losses.slice(0, 5)));
    expect(await page.textContent('#model-line')).toMatch(/2 module Web Workers \(data-parallel\) · relaxed-simd kernels/);
    // Chromium validates the relaxed-SIMD probe, so its workers run the fused build
    expect(await page.evaluate(() => (window as unknown as { recurrentDemo: { kernels: string } }).recurrentDemo.kernels)).toBe('relaxed-simd');
    expect(pageErrors).toEqual([]);
  });
});
