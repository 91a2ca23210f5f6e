// examples/edge under workerd (the npm package's binary): the worker script bundles the SDK,
// gets the wasm core as a compiled WebAssembly.Module and a saved model as a data module, and
// serves /generate and /train-step through the SDK's in-thread mode.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer } from '../dist/index.js';
import { ROOT } from './helpers.js';

const EDGE = join(ROOT, 'examples/edge');
const WORKERD = join(ROOT, 'node_modules/.bin/workerd');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

let proc: ChildProcess | undefined;
let base: string;
let stderr = '';
let listenMs = 0;

beforeAll(async () => {
  // The model shipped with the worker, and the bundled script (examples/edge/build.mjs).
  const b = spawnSync(process.execPath, [join(EDGE, 'build.mjs'), '--force', '--steps', '200'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  expect(b.status, b.stderr).toBe(0);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  proc = spawn(WORKERD, ['serve', join(EDGE, 'config.capnp'), '--socket-addr', `http=127.0.0.1:${port}`], {
    cwd: EDGE,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: the npm wrapper and the workerd binary it starts end together
  });
  proc.stderr!.on('data', (d) => (stderr += d));
  proc.stdout!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`workerd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  listenMs = performance.now() - t0;
});

/** Sends `sig` to the spawned process's whole group; a group already gone is fine. */
function signalGroup(p: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (p.pid) process.kill(-p.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc!.once('exit', r));
    signalGroup(proc, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  if (proc) signalGroup(proc, 'SIGKILL'); // whatever of the group is left (the binary outlives a killed wrapper)
});

// biome-ignore lint/suspicious/noExplicitAny: the JSON bodies of several endpoints, read field by field
async function get(path: string): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(base + path);
  const body = await res.json();
  return { status: res.status, body, ms: performance.now() - t0 };
}

describe('workerd (edge)', () => {
  it('serves /generate from the shipped model (cold start, then warm), the same text as Node', async () => {
    const cold = await get('/generate?prompt=Ann&maxTokens=40&temperature=0.8&seed=5');
    expect(cold.status).toBe(200);
    expect(cold.body.prompt).toBe('Ann');
    expect(cold.body.text).toHaveLength(40);
    expect(cold.body.completion[0]).toMatch(/^Ann[a-z]*$/);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await get('/generate?prompt=Ann&maxTokens=40&temperature=0.8&seed=5');
      expect(r.body).toEqual(cold.body);
      warm.push(r.ms);
    }
    warm.sort((a, b) => a - b);

    // Node, with the same model file and seed, samples the same text.
    const t = await createTrainer({ worker: false });
    await t.load(new Uint8Array(readFileSync(join(EDGE, 'model.safetensors'))));
    expect(await t.generate('Ann', { maxTokens: 40, temperature: 0.8, seed: 5 })).toBe(cold.body.text);
    await t.dispose();

    const info = await get('/');
    expect(info.body).toMatchObject({ wasmModule: true, vocabulary: 54, trainedSteps: 200 });
    const wasmBytes = statSync(join(ROOT, 'dist/wasm/recurrent_wasm_bg.wasm')).size;
    const scriptBytes = statSync(join(EDGE, 'dist/worker.js')).size;
    const modelBytes = statSync(join(EDGE, 'model.safetensors')).size;
    console.log(
      `[edge] workerd: listening ${listenMs.toFixed(0)} ms after spawn; first /generate (instantiates the wasm, loads the model, 40 tokens) ${cold.ms.toFixed(0)} ms; warm /generate median ${warm[2].toFixed(1)} ms; wasm ${wasmBytes} bytes, script ${scriptBytes} bytes, model ${modelBytes} bytes`,
    );
  });

  it('runs training steps in the request thread (/train-step): the loss falls', async () => {
    const r = await get('/train-step?steps=3');
    expect(r.status).toBe(200);
    expect(r.body.mode).toBe('thread');
    expect(r.body.steps).toBe(3);
    expect(r.body.losses).toHaveLength(3);
    expect(r.body.lossAfter).toBeLessThan(r.body.lossBefore);
    console.log(`[edge] /train-step?steps=3: ${r.ms.toFixed(0)} ms, loss ${r.body.lossBefore.toFixed(3)} → ${r.body.lossAfter.toFixed(3)}`);
  });

  it('answers bad requests with typed errors', async () => {
    const r = await get(`/generate?prompt=${encodeURIComponent('€')}`);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('E_RANGE');
    const n = await get('/nope');
    expect(n.status).toBe(404);
    expect(stderr).toBe('');
  });
});
