// PyTorch both ways: real `safetensors.torch.save_file` state_dicts (F32, F16, BF16, F64; module
// names embed / lstm / fc) import through `importWeights` with a prefix map and predict the
// logits PyTorch computed (test/fixtures/torch-state-dicts/index.json), with and without row
// lengths, from any kind of Uint8Array, in both trainer modes.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, init, sequential, type Trainer } from '../dist/index.js';

const DIR = new URL('./fixtures/torch-state-dicts/', import.meta.url);
interface Case {
  file: string;
  cell: 'lstm' | 'gru' | 'rnn';
  activation: 'tanh' | 'relu';
  layers: number;
  bidirectional: boolean;
  dtype: string;
  vocab: number;
  embed: number;
  hidden: number;
  classes: number;
  batch: number;
  steps: number;
  ids: number[];
  lengths: number[];
  logits: number[];
  logits_with_lengths: number[];
}
const index = JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as { cases: Case[] };
const PREFIX_MAP = { embed: 'embedding', lstm: 'rnn', fc: 'head' };

function spec(c: Case) {
  const s = sequential({ input: { vocab: c.vocab } }).embedding({ dim: c.embed });
  const o = { units: c.hidden, layers: c.layers, bidirectional: c.bidirectional };
  const r = c.cell === 'lstm' ? s.lstm(o) : c.cell === 'gru' ? s.gru(o) : s.rnn({ ...o, activation: c.activation });
  return r.dense({ units: c.classes });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

beforeAll(async () => {
  await init();
});

describe('PyTorch state_dicts (torch-state-dicts fixtures)', () => {
  it('has every cell in every dtype', () => {
    expect(index.cases.length).toBe(12);
    expect(new Set(index.cases.map((c) => c.dtype))).toEqual(new Set(['F32', 'F16', 'BF16', 'F64']));
    expect(new Set(index.cases.map((c) => `${c.cell}/${c.activation}`))).toEqual(new Set(['lstm/tanh', 'gru/tanh', 'rnn/relu']));
  });

  for (const worker of [false, true]) {
    it(`imports every file and predicts PyTorch's logits within 1e-5 (worker: ${worker})`, async () => {
      const t = await createTrainer({ worker });
      let worst = 0;
      try {
        for (const c of index.cases) {
          await t.build(spec(c));
          // a Node Buffer straight from readFileSync (a view into Node's pool for small files)
          const buf = readFileSync(new URL(c.file, DIR));
          const names = await t.importWeights(buf, { prefixMap: PREFIX_MAP });
          expect(names.length, c.file).toBeGreaterThan(0);
          expect(buf.byteLength, `${c.file}: the caller's Buffer is intact`).toBeGreaterThan(0);
          const full = await t.predict({ ids: c.ids, batch: c.batch, steps: c.steps });
          const d1 = maxDiff(full, c.logits);
          expect(d1, `${c.file} logits`).toBeLessThanOrEqual(1e-5);
          const out = await t.predict({ ids: c.ids, batch: c.batch, steps: c.steps, lengths: c.lengths });
          // valid steps equal PyTorch's; padded steps are whatever our model defines, so compare valid ones
          const valid: number[] = [];
          const want: number[] = [];
          for (let b = 0; b < c.batch; b++)
            for (let s = 0; s < c.lengths[b]; s++)
              for (let k = 0; k < c.classes; k++) {
                const i = (b * c.steps + s) * c.classes + k;
                valid.push(out[i]);
                want.push(c.logits_with_lengths[i]);
              }
          const d2 = maxDiff(valid, want);
          expect(d2, `${c.file} logits with lengths`).toBeLessThanOrEqual(1e-5);
          worst = Math.max(worst, d1, d2);
        }
      } finally {
        await t.dispose();
      }
      console.log(`torch-state-dicts: ${index.cases.length} files, max |ours − PyTorch| = ${worst.toExponential(2)} (worker: ${worker})`);
    });
  }
});

describe('any Uint8Array is a source, and the caller keeps its memory', () => {
  /** The same bytes in every shape a caller may hold them. */
  function sources(bytes: Uint8Array, file: string): [string, Uint8Array | ArrayBuffer | SharedArrayBuffer][] {
    const odd = new Uint8Array(bytes.length + 8);
    odd.set(bytes, 5);
    const sab = new SharedArrayBuffer(bytes.length + 3);
    const sabView = new Uint8Array(sab, 3);
    sabView.set(bytes);
    const sabWhole = new SharedArrayBuffer(bytes.length);
    new Uint8Array(sabWhole).set(bytes);
    const pooled = Buffer.concat([Buffer.alloc(13), Buffer.from(bytes)]).subarray(13);
    return [
      ['Buffer from readFileSync', readFileSync(file)],
      ['Buffer at offset 13 of a larger one', pooled],
      ['subarray at odd offset 5', odd.subarray(5, 5 + bytes.length)],
      ['SharedArrayBuffer-backed view at offset 3', sabView],
      ['SharedArrayBuffer', sabWhole],
      ['ArrayBuffer', bytes.slice().buffer],
    ];
  }

  for (const worker of [false, true]) {
    it(`load and importWeights take every source intact (worker: ${worker})`, async () => {
      const { mkdtempSync, writeFileSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const { encodeSafetensors } = await import('../dist/io/safetensors.js');
      const net = sequential({ input: { vocab: 11 } })
        .embedding({ dim: 5 })
        .gru({ units: 7, bidirectional: true })
        .dense({ units: 11 });
      const a: Trainer = await createTrainer({ worker });
      const b: Trainer = await createTrainer({ worker });
      try {
        await a.build(net, { seed: 3 });
        const file = await a.save({ training: false });
        const want = await a.getWeights();
        // a PyTorch-style state_dict of the same weights under other module names, F32
        const dict = encodeSafetensors(
          Object.entries(want).map(([n, d]) => [
            n
              .replace(/^embedding\./, 'embed.')
              .replace(/^rnn\./, 'lstm.')
              .replace(/^head\./, 'fc.'),
            { dtype: 'F32', shape: [d.length], data: d },
          ]),
          {},
        );
        const dir = mkdtempSync(join(tmpdir(), 'recurrent-src-'));
        writeFileSync(join(dir, 'm.safetensors'), file);
        writeFileSync(join(dir, 'd.safetensors'), dict);
        await b.build(net, { seed: 4 });
        for (const [what, src] of sources(file, join(dir, 'm.safetensors'))) {
          await b.build(net, { seed: 4 });
          const before = new Uint8Array(src instanceof Uint8Array ? src.slice() : new Uint8Array(src).slice());
          await b.load(src);
          const got = await b.getWeights();
          for (const n of Object.keys(want)) expect(Array.from(got[n]), `${what}: ${n}`).toEqual(Array.from(want[n]));
          const after = src instanceof Uint8Array ? src : new Uint8Array(src);
          expect(after.byteLength, `${what}: not detached`).toBe(file.length);
          expect(Buffer.compare(Buffer.from(after), Buffer.from(before)), `${what}: unchanged`).toBe(0);
        }
        // importWeights: shapes in this dict are flat, so rebuild it with real shapes via a save/decode round trip
        const { decodeCheckpoint } = await import('../dist/index.js');
        const params = decodeCheckpoint(file).params;
        const dict2 = encodeSafetensors(
          params.map((p) => [
            p.name
              .replace(/^embedding\./, 'embed.')
              .replace(/^rnn\./, 'lstm.')
              .replace(/^head\./, 'fc.'),
            { dtype: 'F32', shape: p.shape, data: p.data },
          ]),
          {},
        );
        writeFileSync(join(dir, 'd.safetensors'), dict2);
        for (const [what, src] of sources(dict2, join(dir, 'd.safetensors'))) {
          await b.build(net, { seed: 4 });
          await b.importWeights(src, { prefixMap: PREFIX_MAP });
          const got = await b.getWeights();
          for (const n of Object.keys(want)) expect(Array.from(got[n]), `${what}: ${n}`).toEqual(Array.from(want[n]));
          const after = src instanceof Uint8Array ? src : new Uint8Array(src);
          expect(after.byteLength, `${what}: not detached`).toBe(dict2.length);
        }
        // flat shapes are a shape error that names the parameter
        await expect(b.importWeights(dict, { prefixMap: PREFIX_MAP })).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(/shape/) });
      } finally {
        await a.dispose();
        await b.dispose();
      }
    });
  }
});
