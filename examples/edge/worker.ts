// A workerd (Cloudflare Workers) script that serves a saved character-level model through the
// SDK's in-thread mode (edge runtimes have no workers to spare): the wasm core and the model
// file are modules of the worker, bundled with it (see config.capnp).
//
//   GET /generate?prompt=Ann&maxTokens=40&temperature=0.8&seed=1  → { prompt, text, ... }
//   GET /train-step?steps=1&text=…                                 → one (or a few) in-thread training steps
//   GET /                                                          → what the model is
import { createTrainer, type ModelInfo, type Trainer, textWindows } from 'recurrent-nn';
import modelFile from './model.safetensors';
// workerd gives a `wasm` module as a compiled WebAssembly.Module and a `data` module as an ArrayBuffer.
import wasm from './recurrent_wasm_bg.wasm';

interface Loaded {
  trainer: Trainer;
  info: ModelInfo;
  /** Milliseconds the first request spent loading the SDK and the model (0 here: workerd's clock stands still while code runs). */
  initMs: number;
}

let loaded: Promise<Loaded> | undefined;

/** Loads the SDK (instantiates the wasm module) and the model, once per isolate. */
function model(): Promise<Loaded> {
  loaded ??= (async () => {
    const t0 = Date.now();
    const trainer = await createTrainer({ worker: false, wasm });
    const info = await trainer.load(new Uint8Array(modelFile));
    return { trainer, info, initMs: Date.now() - t0 };
  })();
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

function numberParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`${name} must be a number in [${min}, ${max}]`);
  return v;
}

const DEFAULT_TEXT = 'Anna\nEmma\nOlivia\nSophia\nIsabella\nMia\nCharlotte\nAmelia\nHarper\nEvelyn\n';

async function generate(url: URL): Promise<Response> {
  const { trainer } = await model();
  const prompt = url.searchParams.get('prompt') ?? '';
  const text = await trainer.generate(prompt === '' ? '\n' : prompt, {
    maxTokens: numberParam(url, 'maxTokens', 60, 1, 1000),
    temperature: numberParam(url, 'temperature', 0.8, 0, 5),
    seed: numberParam(url, 'seed', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1),
  });
  return json({ prompt, text, completion: (prompt + text).split('\n').filter(Boolean) });
}

/** Trains a copy of the model for a few steps on `text`, in this thread, and reports the loss. */
async function trainStep(url: URL): Promise<Response> {
  const { info } = await model();
  const steps = numberParam(url, 'steps', 1, 1, 50);
  const text = url.searchParams.get('text') ?? DEFAULT_TEXT;
  const t = await createTrainer({ worker: false, wasm });
  try {
    await t.load(new Uint8Array(modelFile)); // a copy: the served model stays as shipped
    const vocab = info.vocabulary!;
    const known = new Set(vocab.symbols);
    const ids = Uint32Array.from(
      Array.from(text).filter((c) => known.has(c)),
      (c) => vocab.symbols.indexOf(c),
    );
    const window = Math.min(32, ids.length - 1);
    if (window < 2) throw new RangeError('text needs at least 3 characters the model knows');
    const data = textWindows(ids, { steps: window, random: false });
    const before = await t.evaluate(data, { batchSize: 8 });
    const losses: number[] = [];
    for await (const e of t.fit(data, { epochs: steps, batchSize: 8, shuffle: false, resume: false })) if (e.type === 'step') losses.push(e.loss);
    const after = await t.evaluate(data, { batchSize: 8 });
    return json({ mode: t.mode, steps: losses.length, losses, lossBefore: before.loss, lossAfter: after.loss });
  } finally {
    await t.dispose();
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/generate') return await generate(url);
      if (url.pathname === '/train-step') return await trainStep(url);
      if (url.pathname === '/') {
        const { info } = await model();
        return json({
          spec: info.spec,
          paramCount: info.paramCount,
          vocabulary: info.vocabulary?.symbols.length,
          trainedSteps: info.training?.step,
          wasmModule: wasm instanceof WebAssembly.Module,
        });
      }
      return json({ error: 'not found' }, 404);
    } catch (e) {
      const err = e as Error & { code?: string };
      return json({ error: err.message, code: err.code }, e instanceof RangeError || e instanceof TypeError ? 400 : 500);
    }
  },
};
