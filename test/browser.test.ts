// The browser demo (examples/browser) in real Chromium: built with Vite as an app would be,
// served from 127.0.0.1, trained in its module Web Worker. Debian's /usr/bin/chromium
// (scripts/setup.sh installs it), driven by playwright-core.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer } from '../dist/index.js';
import { ROOT } from './helpers.js';
import { serveStatic } from './static-server.js';

const DEMO = join(ROOT, 'examples/browser');
const ARTIFACTS = join(ROOT, 'test/artifacts');
const OUT = join(ARTIFACTS, 'browser-demo');
const CHROMIUM = '/usr/bin/chromium';
const STEPS = 300;

type DemoView = { state: string; mode?: string; steps: number[]; losses: number[]; validation: [number, number][]; samples: number; sample: string };
const view = (page: Page): Promise<DemoView> =>
  page.evaluate(() => {
    const d = (window as unknown as { recurrentDemo: DemoView }).recurrentDemo;
    return { state: d.state, mode: d.mode, steps: d.steps, losses: d.losses, validation: d.validation, samples: d.samples, sample: d.sample };
  });
type Demo = {
  stored: string[];
  predict(text: string): Promise<number[]>;
  fromWorker(name: string): Promise<{ names: string[]; bytes: number } | { error: string }>;
};

/** Pixels of a PNG (a screenshot) close to each of `colours` ([r, g, b]), counted in the page. */
function countColours(page: Page, png: Buffer, colours: Record<string, [number, number, number]>): Promise<Record<string, number>> {
  return page.evaluate(
    async ({ src, colours }) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const c = new OffscreenCanvas(img.width, img.height);
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, img.width, img.height).data;
      const n: Record<string, number> = Object.fromEntries(Object.keys(colours).map((k) => [k, 0]));
      for (let i = 0; i < d.length; i += 4)
        for (const [k, [r, gr, b]] of Object.entries(colours)) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - gr) + Math.abs(d[i + 2] - b) < 40) n[k] += 1;
      return n;
    },
    { src: `data:image/png;base64,${png.toString('base64')}`, colours },
  );
}
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
  ({ server, url } = await serveStatic(OUT));
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

    // The validation curve beside the training curve: one held-out score per epoch (50 steps).
    expect(v.validation.map(([s]) => s)).toEqual([50, 100, 150, 200, 250, 300]);
    expect(v.validation.every(([, l]) => Number.isFinite(l) && l > 0)).toBe(true);
    expect(v.validation[5][1]).toBeLessThan(v.validation[0][1]);
    expect(await page.textContent('#stat-val')).toBe(v.validation[5][1].toFixed(3));
    // The screenshot of the chart shows both: the training mean (blue) and validation (orange).
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const shot = await page.locator('#chart').screenshot({ path: join(ARTIFACTS, 'browser-demo-curves.png') });
    const px = await countColours(page, shot, { training: [0x1d, 0x4e, 0xd8], validation: [0xea, 0x58, 0x0c] });
    expect(px.training).toBeGreaterThan(200);
    expect(px.validation).toBeGreaterThan(100);
    // Legend markers are short lines (no box that reads as an unchecked checkbox).
    const markers = await page.$$eval('#chart .u-legend .u-marker', (ms) =>
      ms.map((m) => {
        const s = getComputedStyle(m);
        return { width: Number.parseFloat(s.width), height: s.height, border: s.borderTopWidth, fill: s.backgroundColor };
      }),
    );
    expect(markers.length).toBe(3);
    expect(markers.map((m) => m.fill)).toEqual(['rgba(37, 99, 235, 0.35)', 'rgb(29, 78, 216)', 'rgb(234, 88, 12)']);
    for (const m of markers) {
      expect(m).toMatchObject({ height: '3px', border: '0px' }); // a filled line, no box
      expect(m.width).toBeGreaterThan(12);
    }
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

  it("saves the model in the browser's storage, and after a reload loads it with identical predictions; a worker reads it too", async () => {
    const prompt = 'Anna\nMar';
    const before = await page.evaluate((p) => (window as unknown as { recurrentDemo: Demo }).recurrentDemo.predict(p), prompt);
    expect(before.length).toBeGreaterThan(prompt.length * 10);
    await page.fill('#store-name', 'names-300');
    await page.click('#store-save');
    await waitFor(page, 'window.recurrentDemo.stored.includes("names-300")', 30_000);
    expect(await page.textContent('#message')).toMatch(/^Saved "names-300" in this browser \(\d+\.\d KiB\)/);

    await page.reload();
    await waitFor(page, 'window.recurrentDemo?.state === "idle"', 30_000);
    expect(await page.evaluate(() => (window as unknown as { recurrentDemo: Demo }).recurrentDemo.stored)).toEqual(['names-300']);
    // the same storage from a module Web Worker; a name with nothing saved is E_STATE there too
    const fromWorker = await page.evaluate(() => (window as unknown as { recurrentDemo: Demo }).recurrentDemo.fromWorker('names-300'));
    expect(fromWorker).toEqual({ names: ['names-300'], bytes: expect.any(Number) });
    expect((fromWorker as { bytes: number }).bytes).toBeGreaterThan(10_000);
    expect(await page.evaluate(() => (window as unknown as { recurrentDemo: Demo }).recurrentDemo.fromWorker('no-such-model'))).toEqual({
      error: expect.stringMatching(/^E_STATE no model is saved in this browser under 'no-such-model'/),
    });

    await page.selectOption('#stored', 'names-300');
    await page.click('#store-load');
    await waitFor(page, 'window.recurrentDemo.state === "loaded"', 30_000);
    expect(await page.textContent('#message')).toMatch(/^"names-300" from this browser: Loaded/);
    const after = await page.evaluate((p) => (window as unknown as { recurrentDemo: Demo }).recurrentDemo.predict(p), prompt);
    expect(after).toEqual(before);

    // save a second, then delete one: the list follows
    await page.fill('#store-name', 'second');
    await page.click('#store-save');
    await waitFor(page, 'window.recurrentDemo.stored.length === 2', 30_000);
    expect(await page.evaluate(() => (window as unknown as { recurrentDemo: Demo }).recurrentDemo.stored)).toEqual(['names-300', 'second']);
    await page.selectOption('#stored', 'second');
    await page.click('#store-delete');
    await waitFor(page, 'window.recurrentDemo.stored.length === 1', 30_000);
    expect(await page.evaluate(() => (window as unknown as { recurrentDemo: Demo }).recurrentDemo.stored)).toEqual(['names-300']);
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
