// The speech page (examples/browser/speech.html) in real Chromium, its microphone fed by a
// Flite WAV (a synthesizer the model never heard) through Chromium's fake capture flags. The
// test first trains a small unidirectional model in Node on a tiny corpus of espeak-ng and
// Festival voices, as the default recipe does (no binary model is committed; the robust model
// of `speech train --streaming` is too large to commit and too slow to train here), and prints
// its offline transcript of the WAV; then it opens the page with `?model=`, listens until the
// WAV has played, and checks that the page heard the speech and that the digits it shows are
// exactly the model's offline transcript of the samples it heard (the page runs the simd128
// build, like Node 20). What this small model makes of an unheard voice varies, so the
// transcript is compared with the model's, not with the WAV's text, which is printed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav, init } from '../dist/index.js';
import { digitsToWords, SpeechRecognizer } from '../dist/tasks/index.js';
// @ts-expect-error: a plain .mjs script without types
import * as corpus from '../examples/speech/make-corpus.mjs';
// @ts-expect-error: a plain .mjs script without types
import { synthesize } from '../examples/speech/synthesizers.mjs';
import { ROOT } from './helpers.js';
import { serveStatic } from './static-server.js';

const DEMO = join(ROOT, 'examples/browser');
const dir = mkdtempSync(join(tmpdir(), 'speech-browser-'));
const OUT = join(dir, 'site');
let server: Server | undefined;
let context: BrowserContext | undefined;
let recognizer: SpeechRecognizer | undefined;
afterAll(async () => {
  await recognizer?.dispose();
  await context?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

let wavPath = '';
let wavSeconds = 0;
let expected: number[] = [];

beforeAll(async () => {
  await init();
  // espeak-ng (two voices, one held out by the corpus's split) and Festival's voices; no Flite
  const c = await corpus.makeSpeechCorpus({
    count: 60,
    seed: 5,
    testVoices: 0.5,
    accents: ['en-us'],
    variants: ['m3', 'f2'],
    heldOut: 0,
    flite: 0,
    festivalShare: 0.5,
    jobs: 2,
    out: join(dir, 'corpus'),
  });
  const rec = await SpeechRecognizer.train(
    { features: c.features, bands: 40, utterances: c.manifest.utterances },
    { bidirectional: false, units: 48, layers: 2, epochs: 100, batchSize: 8, lr: 0.01, seed: 2 },
  );
  expected = [4, 1, 5, 2];
  wavPath = join(dir, 'digits.wav');
  // The fake microphone plays the Flite utterance, half a second of silence and the utterance
  // again. How much silence the page hears before the first word depends on how fast
  // Chromium's capture starts.
  const wav = await synthesize({ id: 0, voice: 'flite/kal16', rate: 165, pitch: 50, text: digitsToWords(expected) }, dir);
  const spoken = decodeWav(new Uint8Array(wav.buffer, wav.byteOffset, wav.byteLength));
  const sr = spoken.sampleRate;
  const n = spoken.samples.length;
  const twice = new Float32Array(n + sr / 2 + n);
  twice.set(spoken.samples, 0);
  twice.set(spoken.samples, n + sr / 2);
  writeFileSync(wavPath, encodeWav(twice, sr));
  wavSeconds = twice.length / sr;
  await build({ root: DEMO, configFile: join(DEMO, 'vite.config.ts'), logLevel: 'error', build: { outDir: OUT, emptyOutDir: true } });
  writeFileSync(join(OUT, 'model.safetensors'), await rec.save());
  // the offline transcript of the WAV, for the record (a Flite voice this model never heard)
  const offline = await rec.transcribeWav(new Uint8Array(readFileSync(wavPath)));
  console.log(`[speech page] offline transcript of the Flite WAV ${offline.join('')}, the WAV says ${expected.join('')} (twice)`);
  recognizer = rec;
  ({ server } = await serveStatic(OUT));
}, 120_000);

describe('speech page in Chromium (fake microphone = a Flite WAV, a synthesizer the model never heard)', () => {
  // The fake microphone plays the WAV in real time; on a loaded machine Chromium's audio thread
  // can drop buffers and garble one pass, so a failed pass is retried in a fresh browser.
  it("streams the microphone through the model: the digits shown are the model's transcript of the audio the page heard", {
    retry: 2,
    timeout: 60_000,
  }, async () => {
    const url = `http://127.0.0.1:${(server!.address() as { port: number }).port}/speech.html?model=model.safetensors&kernels=simd128`;
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
    // listen until the fake microphone has played the WAV (twice the utterance) plus a second
    const need = Math.ceil(16000 * (wavSeconds + 1));
    await page.waitForFunction(`window.speechDemo.samples >= ${need} || window.speechDemo.state === "error"`, undefined, { timeout: 20_000, polling: 100 });
    await page.click('#stop');
    await page.waitForFunction('window.speechDemo.state === "stopped" || window.speechDemo.state === "error"', undefined, { timeout: 10_000 });
    expect(await page.evaluate('window.speechDemo.error')).toBe('');
    const digits = (await page.evaluate('window.speechDemo.digits')) as number[];
    const heard = Float32Array.from((await page.evaluate('window.speechHeard()')) as number[]);
    // the page heard the speech: samples at 16 kHz with speech-level energy in them
    expect(heard.length).toBeGreaterThanOrEqual(need);
    const loud = heard.reduce((a, x) => a + (x * x > 1e-4 ? 1 : 0), 0) / 16000;
    expect(loud, 'seconds of audio above -40 dBFS').toBeGreaterThan(0.5);
    // what the page shows is the model's transcript of what it heard: streaming frame by frame
    // in Chromium gives exactly the offline transcription of the same samples in Node
    const offline = await recognizer!.transcribeWav(encodeWav(heard, 16000, { encoding: 'float32' }));
    expect(digits).toEqual(offline);
    expect(digits.length).toBeGreaterThan(0);
    expect(await page.textContent('#words')).toBe(digitsToWords(digits));
    console.log(
      `[speech page] streamed ${digits.join('')} from ${(heard.length / 16000).toFixed(1)} s heard (${loud.toFixed(1)} s loud); the WAV says ${expected.join('')} twice`,
    );
    expect(errors).toEqual([]);
  });
});
