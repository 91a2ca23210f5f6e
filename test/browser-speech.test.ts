// The speech page (examples/browser/speech.html) in real Chromium, its microphone fed by an
// espeak-ng WAV through Chromium's fake capture flags. The test first trains a small
// unidirectional model in Node on a tiny one-voice espeak-ng corpus (no binary model is
// committed), checks that the model transcribes the WAV offline, then opens the page with
// `?model=`, listens, and asserts the streamed transcript.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../dist/index.js';
import { SpeechRecognizer } from '../dist/tasks/index.js';
// @ts-expect-error: a plain .mjs script without types
import * as corpus from '../examples/speech/make-corpus.mjs';
import { ROOT } from './helpers.js';

const DEMO = join(ROOT, 'examples/browser');
const dir = mkdtempSync(join(tmpdir(), 'speech-browser-'));
const OUT = join(dir, 'site');
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
};

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const file = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)));
    if (!file.startsWith(root + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
    }),
  );
}

let server: Server | undefined;
let context: BrowserContext | undefined;
afterAll(async () => {
  await context?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

interface Utt {
  digits: number[];
  text: string;
  voice: string;
  rate: number;
  pitch: number;
}
let wavPath = '';
let expected: number[] = [];

beforeAll(async () => {
  await init();
  // Two voices, one held out by the corpus's split; the model learns the other one's utterances.
  const c = await corpus.makeSpeechCorpus({
    count: 40,
    seed: 5,
    testVoices: 0.5,
    accents: ['en-us'],
    variants: ['m3', 'f2'],
    jobs: 2,
    out: join(dir, 'corpus'),
  });
  const rec = await SpeechRecognizer.train(
    { features: c.features, bands: 40, utterances: c.manifest.utterances },
    { bidirectional: false, units: 48, layers: 2, epochs: 150, batchSize: 8, lr: 0.01, seed: 2 },
  );
  const u: Utt = c.manifest.utterances.find((x: { split: string }) => x.split === 'train');
  wavPath = join(dir, 'digits.wav');
  writeFileSync(wavPath, execFileSync('espeak-ng', ['-v', u.voice, '-s', String(u.rate), '-p', String(u.pitch), '--stdout', u.text]));
  expected = u.digits;
  await build({ root: DEMO, configFile: join(DEMO, 'vite.config.ts'), logLevel: 'error', build: { outDir: OUT, emptyOutDir: true } });
  writeFileSync(join(OUT, 'model.safetensors'), await rec.save());
  // the offline transcript of the WAV, for the record (the model must know this utterance)
  const offline = await rec.transcribeWav(new Uint8Array(execFileSync('cat', [wavPath])));
  console.log(`[speech page] offline transcript ${offline.join('')}, expected ${expected.join('')}`);
  await rec.dispose();
  ({ server } = await serve(OUT));
}, 120_000);

describe('speech page in Chromium (fake microphone = an espeak-ng WAV)', () => {
  // The fake microphone plays the WAV in real time; on a loaded machine Chromium's audio thread
  // can drop buffers and garble one pass, so a failed pass is retried in a fresh browser.
  it('streams the microphone through the model and shows the digits', { retry: 2, timeout: 60_000 }, async () => {
    const url = `http://127.0.0.1:${(server!.address() as { port: number }).port}/speech.html?model=model.safetensors`;
    const profile = mkdtempSync(join(dir, 'profile-'));
    await context?.close();
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${wavPath}%noloop`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction('window.speechDemo.state === "ready" || window.speechDemo.state === "error"', undefined, { timeout: 30_000 });
    expect(await page.evaluate('window.speechDemo.error')).toBe('');
    await page.click('#start');
    // the fake device plays the file once (%noloop), then silence
    const want = expected.join('');
    await page
      .waitForFunction(`window.speechDemo.digits.join('').includes('${want}') || window.speechDemo.state === "error"`, undefined, {
        timeout: 20_000,
        polling: 100,
      })
      .catch(async (e) => {
        throw new Error(`${e}: ${JSON.stringify(await page.evaluate('window.speechDemo'))}`);
      });
    expect(await page.evaluate('window.speechDemo.error')).toBe('');
    const digits = (await page.evaluate('window.speechDemo.digits')) as number[];
    expect(digits.join('')).toContain(want);
    expect(await page.textContent('#words')).toContain(
      expected.map((d) => ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][d]).join(' '),
    );
    await page.click('#stop');
    await page.waitForFunction('window.speechDemo.state === "stopped"', undefined, { timeout: 10_000 });
    expect(errors).toEqual([]);
  });
});
