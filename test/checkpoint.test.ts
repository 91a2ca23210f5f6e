// Save / load: bit-exact round trips, exact resumption, and corrupt files as typed errors.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, decodeCheckpoint, encodeCheckpoint, init, sequential, type Trainer, textWindows, Vocabulary } from '../ts/index.js';
import { encodeSafetensors } from '../ts/io/safetensors.js';

let vocab: Vocabulary;
let ids: Uint32Array;
beforeAll(async () => {
  await init();
  const text = 'It was the Pequod, a ship of the old school, rather small if anything; with an old-fashioned claw-footed look about her. '.repeat(40);
  vocab = Vocabulary.fromText(text);
  ids = vocab.encode(text);
});

async function model(seed = 1): Promise<Trainer> {
  const t = await createTrainer({ worker: false });
  await t.build(
    sequential({ input: { vocab: vocab.size } })
      .embedding({ dim: 8 })
      .lstm({ units: 12, layers: 2, dropout: 0.3 })
      .dropout(0.2)
      .dense({ units: vocab.size }),
    { seed },
  );
  await t.setVocabulary(vocab);
  await t.compile({ optimizer: { name: 'adam', lr: 0.01 }, clipNorm: 1, schedule: { name: 'step', stepSize: 1, gamma: 0.5 } });
  return t;
}

const same = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

async function expectSameWeights(a: Trainer, b: Trainer) {
  const wa = await a.getWeights();
  const wb = await b.getWeights();
  expect(Object.keys(wb)).toEqual(Object.keys(wa));
  for (const k of Object.keys(wa)) expect(same(wa[k], wb[k]), k).toBe(true);
}

const data = () => textWindows(ids, { steps: 16, windowsPerEpoch: 8 * 6 });

describe('save and load', () => {
  it('round-trips bit-exactly, with vocabulary and the same generations', async () => {
    const a = await model();
    await a.fit(data(), { epochs: 1, batchSize: 8 });
    const bytes = await a.save();
    const b = await createTrainer({ worker: false });
    const info = await b.load(bytes);
    expect(info.vocabulary!.symbols).toEqual([...vocab.symbols]);
    expect(info.spec).toEqual((await a.info()).spec);
    await expectSameWeights(a, b);
    expect(await b.generate('the ', { maxTokens: 30, seed: 4 })).toBe(await a.generate('the ', { maxTokens: 30, seed: 4 }));
    // and saving the loaded model gives the same bytes
    expect(Buffer.from(await b.save()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('resumes from a mid-epoch checkpoint exactly as if it had not stopped', async () => {
    const straight = await model(5);
    await straight.fit(data(), { epochs: 3, batchSize: 8, seed: 9 });

    const first = await model(5);
    const ac = new AbortController();
    let n = 0;
    const r1 = await first.fit(data(), {
      epochs: 3,
      batchSize: 8,
      seed: 9,
      signal: ac.signal,
      onProgress: (e) => e.type === 'step' && ++n === 8 && ac.abort(),
    });
    expect(r1.stopReason).toBe('aborted');
    expect(r1.steps).toBe(8); // epoch 2, batch 2 of 6
    const ckpt = await first.save();

    const resumed = await createTrainer({ worker: false });
    const info = await resumed.load(ckpt);
    expect(info.training).toMatchObject({ epoch: 1, batch: 2, step: 8 });
    const r2 = await resumed.fit(data(), { epochs: 3, batchSize: 8, seed: 9, resume: true });
    expect(r2.stopReason).toBe('completed');
    expect(r2.steps).toBe(18);
    await expectSameWeights(straight, resumed);
  });

  it('loads from a file path and from a URL', async () => {
    const a = await model();
    const bytes = await a.save({ training: false });
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-'));
    const file = join(dir, 'm.safetensors');
    writeFileSync(file, bytes);
    const b = await createTrainer({ worker: false });
    await b.load(file);
    await expectSameWeights(a, b);
    const server = createServer((req, res) => {
      if (req.url === '/m.safetensors') res.end(Buffer.from(bytes));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const c = await createTrainer({ worker: false });
      await c.load(new URL(`http://127.0.0.1:${port}/m.safetensors`));
      await expectSameWeights(a, c);
      await expect(c.load(`http://127.0.0.1:${port}/missing`)).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(/404/) });
    } finally {
      server.close();
    }
    await expect(b.load(join(dir, 'nope.safetensors'))).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(/nope\.safetensors/) });
  });

  it('corrupt, truncated and wrong-version files are E_FORMAT errors and lose nothing', async () => {
    const a = await model();
    const good = await a.save();
    const before = await a.getWeights();
    const bad: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['garbage', Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 255)],
      ['truncated header', good.slice(0, 20)],
      ['truncated data', good.slice(0, good.length - 10)],
      [
        'huge header length',
        (() => {
          const x = good.slice();
          new DataView(x.buffer).setUint32(0, 0xfffffff0, true);
          return x;
        })(),
      ],
      [
        'huge high word',
        (() => {
          const x = good.slice();
          new DataView(x.buffer).setUint32(4, 7, true);
          return x;
        })(),
      ],
    ];
    const snap = decodeCheckpoint(good);
    bad.push([
      'wrong version',
      (() => {
        const s = encodeSafetensors([], { format: 'recurrent/99' });
        return s;
      })(),
    ]);
    bad.push(['not ours', encodeSafetensors([['w', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]], {})]);
    bad.push(['missing parameter', encodeCheckpoint({ ...snap, params: snap.params.slice(1) })]);
    bad.push(['wrong shape', encodeCheckpoint({ ...snap, params: snap.params.map((p, i) => (i === 0 ? { ...p, shape: [p.shape[1], p.shape[0]] } : p)) })]);
    bad.push(['extra parameter', encodeCheckpoint({ ...snap, params: [...snap.params, { name: 'x.weight', shape: [1], data: new Float32Array(1) }] })]);
    bad.push(['NaN weights', encodeCheckpoint({ ...snap, params: snap.params.map((p, i) => (i === 0 ? { ...p, data: p.data.map(() => NaN) } : p)) })]);
    bad.push(['bad architecture', encodeCheckpoint({ ...snap, spec: { input: { vocab: 0 }, layers: [] } })]);
    for (const [what, bytes] of bad) {
      const err = await a.load(bytes).then(
        () => null,
        (e) => e,
      );
      expect(err, what).toBeInstanceOf(TypeError);
      expect(err.code, what).toBe('E_FORMAT');
    }
    // the loaded model is untouched by every failed load
    const after = await a.getWeights();
    for (const k of Object.keys(before)) expect(same(before[k], after[k])).toBe(true);
    expect((await a.info()).vocabulary).toBeDefined();
  });

  it('imports a plain PyTorch state_dict safetensors file by name', async () => {
    const a = await model(3);
    // what safetensors.torch.save_file(model.state_dict()) writes: names → F32 tensors, no metadata
    const params = decodeCheckpoint(await a.save()).params;
    const entries = params.map(
      (p) => [`model.${p.name}`, { dtype: 'F32' as const, shape: p.shape, data: p.data }] as [string, { dtype: 'F32'; shape: number[]; data: Float32Array }],
    );
    const b = await model(4);
    const names = await b.importWeights(encodeSafetensors(entries, {}), { stripPrefix: 'model.' });
    expect(names).toEqual(params.map((p) => p.name));
    await expectSameWeights(a, b);
    const c = await model(5);
    const before = await c.getWeights();
    await expect(c.importWeights(encodeSafetensors(entries.slice(1), {}), { stripPrefix: 'model.' })).rejects.toMatchObject({
      code: 'E_FORMAT',
      message: expect.stringMatching(/lacks embedding\.weight/),
    });
    const bad = entries.map(([n, t], i) => [n, i === 1 ? { ...t, shape: [...t.shape].reverse() } : t] as (typeof entries)[number]);
    await expect(c.importWeights(encodeSafetensors(bad, {}), { stripPrefix: 'model.' })).rejects.toMatchObject({
      code: 'E_FORMAT',
      message: expect.stringMatching(/shape/),
    });
    const after = await c.getWeights();
    for (const k of Object.keys(before)) expect(same(before[k], after[k])).toBe(true);
  });
});
