// The gradient-flow page of the browser demo (examples/browser/gradients.html) in real Chromium:
// built with Vite, served from 127.0.0.1; a tanh RNN, an LSTM and a GRU learn the adding problem,
// each in its own module Web Worker. Checks that the three train (every report arrives and is
// the same run as `addingExperiment` in Node, loss for loss), that both plots draw each cell's
// curves (their colours counted on the canvases), and the lesson: after training, the
// gradient reaching the far step (t = 0) is orders of magnitude larger in the LSTM than in the
// tanh RNN. A screenshot goes to test/artifacts/browser-gradients/.
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../dist/index.js';
import { addingExperiment } from '../dist/tasks/index.js';
import { ROOT } from './helpers.js';
import { launchChromium, serveStatic } from './static-server.js';

const DEMO = join(ROOT, 'examples/browser');
const OUT = join(ROOT, 'test/artifacts/browser-gradients');
const CELLS = ['rnn_tanh', 'lstm', 'gru'] as const;
/** The page's line colours, as RGB. */
const RGB = { rnn_tanh: [0xdc, 0x26, 0x26], lstm: [0x25, 0x63, 0xeb], gru: [0x16, 0xa3, 0x4a] } as const;
const RUN = { T: 40, units: 16, updates: 240, every: 30, lr: 0.01, seed: 2 };

interface PageCell {
  updates: number;
  losses: number[];
  reports: [number, number | null, number][];
  start: number[];
  profile: number[];
  profiles: number;
  done: boolean;
}

let server: Server;
let url: string;
let browser: Browser;
/** What addingExperiment gives in Node for the same settings (simd128 kernels, as the page is told). */
const expected: Record<string, { losses: number[]; testMse: number[]; start: number[]; profile: number[] }> = {};

beforeAll(async () => {
  await init(undefined, { kernels: 'simd128' });
  mkdirSync(OUT, { recursive: true });
  await build({ root: DEMO, configFile: join(DEMO, 'vite.config.ts'), logLevel: 'error', build: { outDir: OUT, emptyOutDir: true } });
  for (const cell of CELLS) {
    const x = addingExperiment(cell, RUN.T, { units: RUN.units, lr: RUN.lr, testSize: 200, seed: RUN.seed });
    try {
      const e = { losses: [] as number[], testMse: [x.testMse()], start: Array.from(x.profile()), profile: [] as number[] };
      while (x.updates < RUN.updates) {
        e.losses.push(...x.train(RUN.every));
        e.testMse.push(x.testMse());
      }
      e.profile = Array.from(x.profile());
      expected[cell] = e;
    } finally {
      x.dispose();
    }
  }
  ({ server, url } = await serveStatic(OUT));
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

describe('the gradient-flow page in Chromium', () => {
  it('trains the three cells in workers, draws their gradient profiles and losses live, and the LSTM keeps the far gradient', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const q = Object.entries(RUN)
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    await page.goto(`${url}gradients.html?${q}&kernels=simd128&start`);
    await page.waitForFunction('["done", "error"].includes(window.gradientsDemo?.state)', undefined, { timeout: 120_000 });
    const demo = (await page.evaluate('window.gradientsDemo')) as { state: string; error: string; cells: Record<string, PageCell> };
    expect(demo.error).toBe('');
    expect(demo.state).toBe('done');
    const reports = RUN.updates / RUN.every;
    for (const c of CELLS) {
      const s = demo.cells[c];
      const e = expected[c];
      // every chunk was reported (and drawn: one profile per report, plus the initial one)
      expect(s.updates).toBe(RUN.updates);
      expect(s.done).toBe(true);
      expect(s.profiles).toBe(reports + 1);
      expect(s.reports.map((r) => r[0])).toEqual(Array.from({ length: reports + 1 }, (_, i) => i * RUN.every));
      // the same run as addingExperiment in Node: losses, test MSE and profiles
      expect(s.losses).toEqual(e.losses);
      expect(s.reports.map((r) => r[2])).toEqual(e.testMse);
      expect(s.start).toEqual(e.start);
      expect(s.profile).toEqual(e.profile);
      expect(s.start).toHaveLength(RUN.T);
      // it learned something: the last report's training loss is below the first update's
      expect(s.reports.at(-1)?.[1]).toBeLessThan(e.losses[0]);
    }
    // the lesson: the gradient at the far step (t = 0) relative to the last step's, in the LSTM
    // against the tanh RNN, after training
    const far = (c: string) => demo.cells[c].profile[0] / demo.cells[c].profile[RUN.T - 1];
    console.log(
      `[gradients page] ||dL/dh_0|| / ||dL/dh_T-1|| after ${RUN.updates} updates at T = ${RUN.T}: ${CELLS.map((c) => `${c} ${far(c).toExponential(1)}`).join(', ')}`,
    );
    expect(demo.cells.lstm.profile[0]).toBeGreaterThan(demo.cells.rnn_tanh.profile[0]);
    expect(far('lstm')).toBeGreaterThan(100 * far('rnn_tanh'));
    // the table shows the counts
    expect(await page.$$eval('#row-lstm td', (tds) => tds[1].textContent)).toBe(String(RUN.updates));
    // both plots hold every cell's colour: their canvases' pixels counted
    for (const id of ['profile-chart', 'loss-chart']) {
      const counts = await page.$eval(
        `#${id} canvas`,
        (canvas, rgb) => {
          const c = canvas as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          return Object.fromEntries(
            Object.entries(rgb).map(([k, [r, g, b]]) => {
              let n = 0;
              for (let i = 0; i < d.length; i += 4)
                if (Math.abs(d[i] - r) < 8 && Math.abs(d[i + 1] - g) < 8 && Math.abs(d[i + 2] - b) < 8 && d[i + 3] > 200) n++;
              return [k, n];
            }),
          );
        },
        RGB,
      );
      for (const c of CELLS) expect(counts[c], `${id}: pixels of the ${c} colour`).toBeGreaterThan(50);
    }
    await page.screenshot({ path: join(OUT, 'gradients.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stops the three workers on Stop, mid-run', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}gradients.html?T=60&units=16&updates=100000&every=10&start`);
    await page.waitForFunction('Object.values(window.gradientsDemo.cells).every((c) => c.updates >= 20) || window.gradientsDemo.state === "error"', undefined, {
      timeout: 60_000,
    });
    await page.click('#stop');
    await page.waitForFunction('["stopped", "error"].includes(window.gradientsDemo.state)', undefined, { timeout: 30_000 });
    const demo = (await page.evaluate('window.gradientsDemo')) as { state: string; error: string; cells: Record<string, PageCell> };
    expect(demo.error).toBe('');
    for (const c of CELLS) {
      expect(demo.cells[c].done).toBe(true);
      expect(demo.cells[c].updates).toBeGreaterThanOrEqual(20);
      expect(demo.cells[c].updates).toBeLessThan(100000);
    }
    expect(await page.$eval('#start', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});
