// The speech page: transcribes the microphone with a streaming digit recognizer. The audio
// path: getUserMedia → a 16 kHz AudioContext (the browser resamples) → an AudioWorklet on the
// audio thread (capture-worklet.js: mono blocks of 4096, posted to the page; linear
// interpolation to 16 kHz if the context kept another rate) → SpeechStream (LogMelStream →
// normalisation → frame stacking → predictStep → incremental greedy CTC decoding).
// A model comes from a file input, or from `?model=URL` (the test uses that).
import { init } from 'recurrent-nn';
import { digitsToWords, SpeechRecognizer, type SpeechStream } from 'recurrent-nn/tasks';
import './style.css';

type State = 'loading' | 'idle' | 'ready' | 'listening' | 'stopped' | 'error';
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};

/** What the test reads. */
const demo = { state: 'loading' as State, digits: [] as number[], words: '', samples: 0, error: '' };
(window as unknown as { speechDemo: typeof demo }).speechDemo = demo;

let rec: SpeechRecognizer | undefined;
/** The 16 kHz blocks the model heard since the last start (the test transcribes them offline). */
let heard: Float32Array[] = [];
(window as unknown as { speechHeard: () => number[] }).speechHeard = () => heard.flatMap((b) => Array.from(b));
let stop: (() => Promise<void>) | undefined;

function show(): void {
  $('digits').textContent = demo.digits.join(' ');
  $('words').textContent = demo.words;
  $('status').textContent = demo.error || `${demo.state}; ${(demo.samples / 16000).toFixed(1)} s of audio`;
  $<HTMLButtonElement>('start').disabled = !rec || demo.state === 'listening';
  $<HTMLButtonElement>('stop').disabled = demo.state !== 'listening';
}

function fail(e: unknown): void {
  demo.state = 'error';
  demo.error = e instanceof Error ? e.message : String(e);
  show();
}

async function load(bytes: Uint8Array, name: string): Promise<void> {
  await rec?.dispose();
  rec = await SpeechRecognizer.load(bytes);
  if (rec.bidirectional) throw new Error(`${name} is a bidirectional model; streaming needs one from speech train --streaming`);
  $('model-info').textContent = `${name}: ${rec.framing.stack} frames per step`;
  demo.state = 'ready';
  show();
}

/** Streaming linear-interpolation resampler (from → 16 kHz). Positions count in the block
 * extended by the previous block's last sample at index 0: e = [prev, x0, x1, …]. */
function resampler(from: number): (x: Float32Array) => Float32Array {
  const step = from / 16000;
  let pos = 1; // the next output sample's position in e
  let prev = 0;
  return (x) => {
    const out: number[] = [];
    while (pos < x.length) {
      const j = Math.floor(pos);
      const a = j === 0 ? prev : x[j - 1];
      out.push(a + (x[j] - a) * (pos - j));
      pos += step;
    }
    pos -= x.length;
    if (x.length > 0) prev = x[x.length - 1];
    return Float32Array.from(out);
  };
}

async function listen(): Promise<void> {
  if (!rec) return;
  // Everything that takes time (the model's stream, the audio graph) is ready before the
  // microphone opens, so no audio is lost between opening it and listening to it.
  const stream: SpeechStream = await rec.stream();
  // A 16 kHz context: the browser resamples the microphone with its own filters; the
  // interpolating resampler only runs where a browser keeps another rate.
  const ctx = new AudioContext({ sampleRate: 16000 });
  await ctx.audioWorklet.addModule(new URL('./capture-worklet.js', import.meta.url));
  const node = new AudioWorkletNode(ctx, 'recurrent-capture', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1 });
  const to16k = ctx.sampleRate === 16000 ? (x: Float32Array) => x : resampler(ctx.sampleRate);
  await ctx.resume(); // running before the microphone opens: a suspended context hears nothing
  const media = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const source = ctx.createMediaStreamSource(media);
  demo.digits = [];
  demo.words = '';
  demo.samples = 0;
  heard = [];
  demo.state = 'listening';
  let chain = Promise.resolve();
  node.port.onmessage = (ev: MessageEvent<Float32Array>) => {
    const block = to16k(ev.data);
    chain = chain
      .then(async () => {
        demo.samples += block.length;
        heard.push(block);
        demo.digits = await stream.push(block);
        demo.words = digitsToWords(demo.digits);
        show();
      })
      .catch(fail);
  };
  source.connect(node);
  node.connect(ctx.destination);
  stop = async () => {
    node.port.onmessage = null;
    node.disconnect();
    source.disconnect();
    for (const t of media.getTracks()) t.stop();
    await chain;
    demo.digits = await stream.end();
    demo.words = digitsToWords(demo.digits);
    await ctx.close();
    demo.state = 'stopped';
    show();
  };
  show();
}

$<HTMLInputElement>('model').addEventListener('change', async (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (file) await load(new Uint8Array(await file.arrayBuffer()), file.name).catch(fail);
});
$('start').addEventListener('click', () => listen().catch(fail));
$('stop').addEventListener('click', () => stop?.().catch(fail));

try {
  // ?kernels=simd128 pins the kernel build (the test compares with Node's simd128 build)
  const params = new URLSearchParams(location.search);
  const kernels = params.get('kernels');
  await init(undefined, kernels === 'simd128' || kernels === 'relaxed-simd' ? { kernels } : {});
  demo.state = 'idle';
  const url = params.get('model');
  if (url) await load(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
  show();
} catch (e) {
  fail(e);
}
