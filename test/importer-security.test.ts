// Issue 22, findings 1-3: what a model file may make the importers and loaders read and do.
// TF.js shards stay within the model's origin (URL) or folder (path), are regular files and are
// read up to the bytes the manifest declares; load(path), --model and --resume read regular
// files up to MAX_FILE_BYTES; a tiny topology cannot make the importer loop or allocate
// without bound. Each case is a typed error, fast (no hang, no memory growth).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, importTfjs, init, sequential, type TfjsArtifacts } from '../dist/index.js';
import { MAX_FILE_BYTES } from '../dist/io/source.js';
import { ROOT, rejectsWith } from './helpers.js';
import { modelDir as inDir, tinyModel } from './tfjs-models.js';

const [F, H] = [2, 2];
const WEIGHT_BYTES = tinyModel().bytes.length;
const { topology: TOPOLOGY, specs: SPECS } = tinyModel();
/** A folder with model.json whose manifest lists `paths` (written as given). */
const modelDir = (paths: string[], files: Record<string, Uint8Array> = {}) => inDir(tinyModel(), paths, files);

/** Rejects with E_FORMAT (matching `msg`) within `ms`. */
async function fastFormatError(p: Promise<unknown>, msg: RegExp, ms = 3000): Promise<void> {
  const t0 = performance.now();
  await rejectsWith(p, 'E_FORMAT', msg);
  expect(performance.now() - t0).toBeLessThan(ms);
}

const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
const fifo = (dir: string, name: string) => {
  const p = join(dir, name);
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
  return p;
};

let server: Server;
let origin = '';
const served: Record<string, Uint8Array | 'endless'> = {};

beforeAll(async () => {
  await init();
  server = createServer((req, res) => {
    const body = served[req.url ?? ''];
    if (body === undefined) {
      res.statusCode = 404;
      res.end();
    } else if (body === 'endless') {
      // an endless body: the reader must stop at the declared size
      const chunk = new Uint8Array(64 * 1024);
      const write = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', write);
      };
      res.on('error', () => undefined);
      write();
    } else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('finding 1: TF.js shard paths stay within the model and its declared size', () => {
  it('a valid folder model imports; its shard may be split across files', async () => {
    const { bytes } = tinyModel();
    const { json } = modelDir(['a.bin', 'b.bin'], { 'a.bin': bytes.slice(0, 12), 'b.bin': bytes.slice(12) });
    const imp = await importTfjs(json);
    expect(imp.weights['dense.weight']).toHaveLength(H);
    expect((await importTfjs(pathToFileURL(json))).weights['rnn.weight_ih_l0']).toEqual(imp.weights['rnn.weight_ih_l0']);
  });

  it('a model.json over HTTP naming a file:// shard, another origin, or ../ is E_FORMAT and reads nothing local', async () => {
    const { dir } = modelDir([], { 'secret.bin': tinyModel().bytes });
    const [topology, specs] = [TOPOLOGY, SPECS];
    const secret = pathToFileURL(join(dir, 'secret.bin')).href;
    for (const [i, p] of [secret, 'http://127.0.0.2:1/w.bin', `${origin.replace('127.0.0.1', 'localhost')}/w.bin`].entries()) {
      served[`/m${i}/model.json`] = new TextEncoder().encode(JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: [p], weights: specs }] }));
      await fastFormatError(importTfjs(`${origin}/m${i}/model.json`), /leaves the model's origin/);
    }
    // a ../ within the same origin is that origin's business; it still must hold the declared bytes
    served['/w.bin'] = tinyModel().bytes;
    served['/m9/model.json'] = new TextEncoder().encode(
      JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['../w.bin'], weights: specs }] }),
    );
    expect((await importTfjs(`${origin}/m9/model.json`)).spec.layers).toHaveLength(2);
  });

  it('an endless HTTP shard stops at the declared size (E_FORMAT, no memory growth)', async () => {
    const [topology, specs] = [TOPOLOGY, SPECS];
    served['/endless.bin'] = 'endless';
    served['/e/model.json'] = new TextEncoder().encode(
      JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['../endless.bin'], weights: specs }] }),
    );
    const before = process.memoryUsage().rss;
    await fastFormatError(importTfjs(`${origin}/e/model.json`), /more bytes than weightsManifest\[0\] declares/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });

  it('a path model.json: ../, absolute paths, file: URLs, symlinks out, /dev/zero, a FIFO and a folder are E_FORMAT', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'rel-outside-'));
    writeFileSync(join(outside, 'w.bin'), tinyModel().bytes);
    const rel = `../${outside.split('/').pop()}/w.bin`;
    for (const p of [rel, join(outside, 'w.bin'), pathToFileURL(join(outside, 'w.bin')).href, '/dev/zero', 'sub/../../x.bin']) {
      const { json } = modelDir([p]);
      await fastFormatError(importTfjs(json), /leaves the model's folder/);
      // the same through the model's file: URL
      if (!p.startsWith('/') && !p.startsWith('file:')) await fastFormatError(importTfjs(pathToFileURL(json)), /leaves the model's origin/);
    }
    const link = modelDir(['w.bin']);
    symlinkSync(join(outside, 'w.bin'), join(link.dir, 'w.bin'));
    await fastFormatError(importTfjs(link.json), /outside the model's folder/);
    const zero = modelDir(['z.bin']);
    symlinkSync('/dev/zero', join(zero.dir, 'z.bin'));
    await fastFormatError(importTfjs(zero.json), /outside the model's folder|not a regular file/);
    const pipe = modelDir(['p.bin']);
    fifo(pipe.dir, 'p.bin');
    await fastFormatError(importTfjs(pipe.json), /not a regular file/);
    const folder = modelDir(['d.bin']);
    mkdirSync(join(folder.dir, 'd.bin'));
    await fastFormatError(importTfjs(folder.json), /not a regular file/);
  });

  it('surplus or missing shard bytes are E_FORMAT', async () => {
    const { bytes } = tinyModel();
    await fastFormatError(importTfjs(modelDir(['w.bin'], { 'w.bin': new Uint8Array([...bytes, 0, 0, 0, 0]) }).json), /more bytes than/);
    await fastFormatError(
      importTfjs(modelDir(['w.bin'], { 'w.bin': bytes.slice(4) }).json),
      new RegExp(`hold ${WEIGHT_BYTES - 4} bytes; its weights declare ${WEIGHT_BYTES}`),
    );
    const [topology, specs] = [TOPOLOGY, SPECS];
    const art: TfjsArtifacts = { modelTopology: topology, weightSpecs: specs, weightData: new Uint8Array([...bytes, 1, 2, 3, 4]).buffer };
    await rejectsWith(importTfjs(art), 'E_FORMAT', new RegExp(`holds ${WEIGHT_BYTES + 4} bytes; the weight specs declare ${WEIGHT_BYTES}`));
  });

  it('recurrent convert refuses a shard outside the folder (one line, exit 2)', () => {
    const outside = mkdtempSync(join(tmpdir(), 'rel-outside-'));
    writeFileSync(join(outside, 'w.bin'), tinyModel().bytes);
    const { dir, json } = modelDir([`../${outside.split('/').pop()}/w.bin`]);
    const r = cli('convert', json, '--out', join(dir, 'm.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^recurrent: E_FORMAT: .*leaves the model's folder\n$/);
  });
});

describe('finding 2: load(path), --model and --resume read regular files up to a cap', () => {
  it('/dev/zero, a FIFO, a folder and a (sparse) file over the cap are E_FORMAT at once, in both trainer modes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rel-load-'));
    const pipe = fifo(dir, 'model.fifo');
    const big = join(dir, 'big.safetensors');
    writeFileSync(big, '');
    truncateSync(big, MAX_FILE_BYTES + 1);
    for (const worker of [false, true]) {
      const t = await createTrainer({ worker });
      for (const [src, msg] of [
        ['/dev/zero', /not a regular file/],
        [pipe, /not a regular file/],
        [pathToFileURL(pipe).href, /not a regular file/],
        [dir, /not a regular file/],
        [big, new RegExp(`${MAX_FILE_BYTES + 1} bytes, more than the ${MAX_FILE_BYTES}`)],
      ] as const) {
        await fastFormatError(t.load(src), msg);
        await fastFormatError(t.importWeights(src), msg);
      }
      await t.dispose();
    }
  });

  it('the CLI: --model and --resume on /dev/zero or a FIFO fail in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rel-cli-'));
    const pipe = fifo(dir, 'm.fifo');
    for (const args of [
      ['generate', '--model', '/dev/zero', '--prompt', 'a'],
      ['generate', '--model', pipe, '--prompt', 'a'],
      ['next', '--model', pipe, '--prompt', 'a'],
      ['train', '--resume', '/dev/zero', '--out', join(dir, 'o.safetensors')],
      ['export', pipe, '--format', 'onnx', '--out', join(dir, 'o.onnx')],
      ['g2p', 'run', '--model', '/dev/zero', 'WORD'],
      ['segment', 'run', '--model', pipe, '--text', 'ab'],
      ['tag', 'run', '--model', '/dev/zero', '--text', 'a b'],
      ['classify', 'run', '--model', pipe, '--text', 'a b'],
      ['speech', 'run', '--model', '/dev/zero', '--wav', pipe],
    ]) {
      const t0 = performance.now();
      const r = cli(...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^recurrent: E_FORMAT: .*not a regular file.*\n$/);
      expect(performance.now() - t0).toBeLessThan(20_000);
    }
    const r = cli('conformance', pipe);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL .*not a regular file/);
  });
});

describe('finding 3: a small topology cannot make the importer loop or allocate without bound', () => {
  const art = (layers: unknown[], specs: TfjsArtifacts['weightSpecs'] = [], bytes = 0): TfjsArtifacts => ({
    modelTopology: { class_name: 'Sequential', config: { layers } },
    weightSpecs: specs,
    weightData: new ArrayBuffer(bytes),
  });
  it('Dense features = units = 1e6, units 1e8 without bias, a string units: E_FORMAT at once', async () => {
    const first = { class_name: 'InputLayer', config: { batch_input_shape: [null, 2, 1e6] } };
    const before = process.memoryUsage().rss;
    await fastFormatError(
      importTfjs(art([first, { class_name: 'Dense', config: { name: 'd', units: 1e6 } }], [{ name: 'd/kernel', shape: [1e6, 1e6], dtype: 'float32' }])),
      /more than 67108864 floats/,
      1000,
    );
    await fastFormatError(
      importTfjs(
        art(
          [first, { class_name: 'Dense', config: { name: 'd', units: 1e6 } }],
          [
            { name: 'd/kernel', shape: [1], dtype: 'float32' },
            { name: 'd/bias', shape: [1], dtype: 'float32' },
          ],
          8,
        ),
      ),
      /Dense d: weights .* do not match input 1000000, units 1000000/,
      1000,
    );
    const small = { class_name: 'InputLayer', config: { batch_input_shape: [null, 2, 3] } };
    await fastFormatError(
      importTfjs(
        art([small, { class_name: 'Dense', config: { name: 'd', units: 1e8, use_bias: false } }], [{ name: 'd/kernel', shape: [1], dtype: 'float32' }], 4),
      ),
      /Dense d units must be an integer between 1 and 1048576 \(got 100000000\)/,
      1000,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 2 ** 20);
    for (const units of ['4', 2.5, -1, null, 2 ** 32])
      await rejectsWith(
        importTfjs(
          art(
            [small, { class_name: 'Dense', config: { name: 'd', units } }],
            [
              { name: 'd/kernel', shape: [3, 4], dtype: 'float32' },
              { name: 'd/bias', shape: [4], dtype: 'float32' },
            ],
            64,
          ),
        ),
        'E_FORMAT',
        /units must be an integer/,
      );
    for (const units of ['4', 1e5])
      await rejectsWith(
        importTfjs(art([{ class_name: 'LSTM', config: { units, batch_input_shape: [null, 2, 3] } }])),
        'E_FORMAT',
        /LSTM units must be an integer between 1 and 16384/,
      );
  });

  it('the imported model still builds and matches the weights it was given', async () => {
    const { topology, specs, bytes } = tinyModel();
    const imp = await importTfjs({ modelTopology: topology, weightSpecs: specs, weightData: bytes.buffer as ArrayBuffer });
    const t = await createTrainer({ worker: false });
    await t.build(imp.spec);
    await t.importWeights(imp.stateDict);
    expect(await t.getWeights()).toEqual(imp.weights);
    await t.dispose();
    // a model of our own in the same importer shape is not affected
    expect(
      sequential({ input: { features: F } })
        .rnn({ units: H })
        .dense({ units: 1 })
        .toJSON().layers,
    ).toHaveLength(2);
  });
});
