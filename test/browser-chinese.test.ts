// The Chinese page of the browser demo (examples/browser/chinese.html) in real Chromium: built
// with Vite, served from 127.0.0.1, models trained here in Node (a tiny segmenter and entity
// model) loaded by URL into the page's Web Worker; the words and entities it shows must be
// exactly what the same models give in Node, and the entities must be highlighted (checked on
// the rendered page and its screenshot, saved to test/artifacts/).
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../dist/index.js';
import { parseCharTagged, trainEntityRecognizer, trainSegmenter } from '../dist/tasks/index.js';
import { ROOT } from './helpers.js';
import { launchChromium, serveStatic } from './static-server.js';

const DEMO = join(ROOT, 'examples/browser');
const OUT = join(ROOT, 'test/artifacts/browser-chinese');
const TEXT = '江泽民在北京。李鹏去上海。';

let server: Server;
let url: string;
let browser: Browser;
let expected: { words: string[][]; entities: { type: string; text?: string }[][] };

beforeAll(async () => {
  await init();
  mkdirSync(OUT, { recursive: true });
  await build({ root: DEMO, configFile: join(DEMO, 'vite.config.ts'), logLevel: 'error', build: { outDir: OUT, emptyOutDir: true } });
  const corpus = Array.from({ length: 8 }, () => [
    ['江泽民', '在', '北京', '。'],
    ['李鹏', '去', '上海', '。'],
  ]).flat();
  const seg = await trainSegmenter(corpus, { steps: 150, hidden: 16, embed: 8, batchSize: 4, optimizer: { name: 'adam', lr: 0.03 } });
  const ner = await trainEntityRecognizer(
    Array.from({ length: 8 }, () =>
      parseCharTagged('江 B-PER\n泽 I-PER\n民 I-PER\n在 O\n北 B-LOC\n京 I-LOC\n。 O\n\n李 B-PER\n鹏 I-PER\n去 O\n上 B-LOC\n海 I-LOC\n。 O\n'),
    ).flat(),
    { epochs: 5, hidden: 16, embed: 8, batchSize: 1, dropout: 0, optimizer: { name: 'adam', lr: 0.05 } },
  );
  writeFileSync(join(OUT, 'seg.safetensors'), seg.save());
  writeFileSync(join(OUT, 'ner.safetensors'), ner.save());
  expected = { words: seg.segment([TEXT]), entities: ner.recognize([TEXT]).map((es) => es.map((e) => ({ type: e.type, text: e.text }))) };
  seg.dispose();
  ner.dispose();
  ({ server, url } = await serveStatic(OUT));
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

describe('the Chinese page in Chromium', () => {
  it('shows the words and highlighted entities the CLI-format models give, computed in its worker', async () => {
    expect(expected.words[0].join('')).toBe(TEXT);
    expect(expected.entities[0].map((e) => `${e.type}:${e.text}`)).toEqual(['PER:江泽民', 'LOC:北京', 'PER:李鹏', 'LOC:上海']);
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}chinese.html?seg=seg.safetensors&ner=ner.safetensors`);
    await page.waitForFunction('window.chineseDemo?.state === "ready"', undefined, { timeout: 60_000 });
    await page.fill('#text', TEXT);
    await page.click('#analyse');
    await page.waitForFunction('window.chineseDemo.state === "done" || window.chineseDemo.state === "error"', undefined, { timeout: 60_000 });
    const demo = await page.evaluate(() => (window as unknown as { chineseDemo: { words: string[][]; entities: unknown[][]; error: string } }).chineseDemo);
    expect(demo.error).toBe('');
    expect(demo.words).toEqual(expected.words);
    expect(demo.entities).toEqual(expected.entities);
    // highlighted: every entity character is inside a <mark> coloured by its type
    const marks = await page.$$eval('#output mark.ent', (ms) => ms.map((m) => [m.textContent, m.className, getComputedStyle(m).backgroundColor]));
    expect(marks.map((m) => m[0]).join('')).toBe('江泽民北京李鹏上海');
    expect(new Set(marks.filter((m) => m[1] === 'ent PER').map((m) => m[2]))).toEqual(new Set(['rgb(255, 179, 179)']));
    expect(new Set(marks.filter((m) => m[1] === 'ent LOC').map((m) => m[2]))).toEqual(new Set(['rgb(168, 230, 161)']));
    expect(await page.$$eval('#output .word', (ws) => ws.map((w) => w.textContent))).toEqual(expected.words[0]);
    // the screenshot of the output holds the PER highlight colour
    const png = await page.locator('#output').screenshot({ path: join(OUT, 'chinese-output.png') });
    expect(png.length).toBeGreaterThan(1000);
    const hasPer = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 255) < 4 && Math.abs(d[i + 1] - 179) < 4 && Math.abs(d[i + 2] - 179) < 4) n++;
      return n;
    }, png.toString('base64'));
    expect(hasPer).toBeGreaterThan(100);
    expect(errors).toEqual([]);
    await page.close();
  });
});
