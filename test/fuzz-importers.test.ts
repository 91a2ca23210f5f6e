// Seeded fuzzing of the two importers, like test/fuzz-model-files.test.ts does for model files.
//   TF.js / Keras (importTfjs): small hand-written models (tfjs-models.ts) with their topology
//   JSON, weight specs and bytes mutated (nulls, wrong types, fractional, negative and huge sizes,
//   deleted and unknown keys, truncated and padded bytes), and as model.json + shards on disk
//   with hostile shard paths (../, absolute, file: URLs, /dev/zero, a FIFO, a folder, missing,
//   surplus bytes) and broken JSON text. An import must be a typed error, or give a spec and
//   state dict that build, load (or are refused with a typed error) and predict finite values.
//   PyTorch (importWeights): real state_dict fixtures (F32, F16, BF16, F64) with byte flips,
//   truncation, junk, header JSON edits, renamed or dropped tensors and hostile options. A load
//   must set exactly what the file holds (checked by an independent decoder here); an error must
//   be typed and leave the model as it was.
// Prints: cases tried | typed error | other error | crash | hang | silently wrong | leak, and
// asserts the last five are zero. RECURRENT_FUZZ_LONG=1 runs ten times the cases.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, importTfjs, init, isRecurrentError, sequential, type TfjsArtifacts, type Trainer } from '../dist/index.js';
import { join as joinFile, rng, slots, split } from './file-mutations.js';
import { seedModels, type TfjsModel } from './tfjs-models.js';

const SEED = 20261207;
const LONG = process.env.RECURRENT_FUZZ_LONG === '1';
const TFJS_CASES = LONG ? 3000 : 300;
const TORCH_CASES = LONG ? 2000 : 200;
const HANG_MS = 2000;
/** Growth of the process's memory over a suite that counts as a leak. */
const LEAK_BYTES = 256 * 2 ** 20;

const NASTY: unknown[] = [
  null,
  -5,
  0,
  -1,
  2.5,
  '4',
  2 ** 32 + 1,
  1e300,
  1e8,
  -1e-9,
  [],
  {},
  'x',
  true,
  [null],
  '',
  65,
  1 << 20,
  (1 << 20) + 1,
  'constructor',
  '__proto__',
];

type Counts = { tried: number; loaded: number; typed: number; other: number; crash: number; hang: number; wrong: number; leak: number };
const counts: Record<string, Counts> = {};
const failures: string[] = [];
const fresh = (): Counts => ({ tried: 0, loaded: 0, typed: 0, other: 0, crash: 0, hang: 0, wrong: 0, leak: 0 });

/** One JSON edit somewhere in `root`: delete a key, add one, or replace a value. */
function editJson(root: unknown, r: () => number): void {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const all = slots(root);
  if (all.length === 0) return;
  const [obj, key] = pick(all);
  const op = r();
  if (op < 0.15 && !Array.isArray(obj)) delete (obj as Record<string, unknown>)[key as string];
  else if (op < 0.25 && !Array.isArray(obj))
    (obj as Record<string, unknown>)[pick(['extra', 'units', 'name', 'layer', 'config'])] = structuredClone(pick(NASTY));
  else (obj as Record<string | number, unknown>)[key] = structuredClone(pick(NASTY));
}

const isTrap = (e: unknown) =>
  e instanceof WebAssembly.RuntimeError || /unreachable|out of bounds|recursive use|null pointer/.test(String((e as Error)?.message));

function classify(c: Counts, what: string, e: unknown): void {
  const kind = isTrap(e) ? 'crash' : isRecurrentError(e) ? 'typed' : 'other';
  c[kind]++;
  if (kind !== 'typed') failures.push(`${what}: ${kind}: ${String((e as Error)?.stack ?? e).slice(0, 300)}`);
}

function table(title: string): string {
  const rows = Object.entries(counts).map(
    ([k, c]) => `${k.padEnd(14)} | ${c.tried} | ${c.loaded} | ${c.typed} | ${c.other} | ${c.crash} | ${c.hang} | ${c.wrong} | ${c.leak}`,
  );
  return [title, 'suite          | cases tried | loaded | typed error | other error | crash | hang | silently wrong | leak', ...rows].join('\n');
}

const memory = () => process.memoryUsage().rss;
let t: Trainer;
const dir = mkdtempSync(join(tmpdir(), 'rel-fuzz-imp-'));
const FIFO = join(dir, 'pipe');

beforeAll(async () => {
  await init();
  t = await createTrainer({ worker: false });
  expect(spawnSync('mkfifo', [FIFO]).status).toBe(0);
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'outside.bin'), new Uint8Array(4096));
});
afterAll(async () => {
  await t?.dispose();
  console.log(table(`importer fuzz (seed ${SEED}${LONG ? ', long' : ''})`));
});

/** An input of the imported spec's kind: 1 row of 3 steps (ids in range, or features). */
function inputFor(spec: { input: { vocab?: number; features?: number } }) {
  const steps = 3;
  return spec.input.vocab !== undefined
    ? { ids: [0, 1, 2].map((i) => i % (spec.input.vocab as number)), batch: 1, steps }
    : { features: new Float32Array(steps * (spec.input.features as number)).fill(0.25), batch: 1, steps };
}

/** Artifacts (in memory) or a folder model (on disk) from a seed model, mutated. */
function mutateTfjs(m: TfjsModel, r: () => number, i: number): { source: string | URL | TfjsArtifacts; kind: string } {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const topology = structuredClone(m.topology);
  const specs = structuredClone(m.specs) as unknown as Record<string, unknown>[];
  let bytes = m.bytes.slice();
  const kind = pick(['topology', 'topology', 'specs', 'specs', 'bytes', 'disk-path', 'disk-path', 'disk-json', 'unchanged'] as const);
  if (kind === 'topology') editJson(topology, r);
  else if (kind === 'specs') editJson(specs, r);
  else if (kind === 'bytes') {
    const op = r();
    if (op < 0.4) bytes = bytes.slice(0, Math.floor(r() * bytes.length));
    else if (op < 0.7) bytes = new Uint8Array([...bytes, ...new Uint8Array(1 + Math.floor(r() * 9))]);
    else bytes[Math.floor(r() * bytes.length)] ^= 0xff; // may make a NaN: importWeights refuses it
  }
  if (!kind.startsWith('disk')) return { source: { modelTopology: topology, weightSpecs: specs as never, weightData: bytes.buffer as ArrayBuffer }, kind };
  // on disk: model.json + shard(s), with a hostile path or broken JSON text
  const d = join(dir, `m${i}`);
  mkdirSync(d);
  const half = Math.floor(bytes.length / 2);
  writeFileSync(join(d, 'a.bin'), bytes.subarray(0, half));
  writeFileSync(join(d, 'b.bin'), bytes.subarray(half));
  let paths: unknown[] = ['a.bin', 'b.bin'];
  if (kind === 'disk-path') {
    const bad = pick([
      '../outside.bin',
      join(dir, 'outside.bin'),
      pathToFileURL(join(dir, 'outside.bin')).href,
      '/dev/zero',
      '../pipe',
      '../folder',
      'missing.bin',
      'sub/../../outside.bin',
      'link.bin',
      'a.bin',
      null,
      7,
      '',
      'constructor',
      'http://127.0.0.1:1/x.bin',
    ]);
    if (bad === 'link.bin') symlinkSync(join(dir, 'outside.bin'), join(d, 'link.bin'));
    paths = r() < 0.5 ? [bad, 'b.bin'] : ['a.bin', bad];
  }
  let text = JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths, weights: specs }] });
  if (kind === 'disk-json') {
    const op = r();
    if (op < 0.3) text = text.slice(0, Math.floor(r() * text.length));
    else if (op < 0.6) text = JSON.stringify(pick(NASTY));
    else
      text = JSON.stringify({
        modelTopology: topology,
        weightsManifest: pick([null, {}, [null], [{ paths: 'a.bin', weights: specs }], [{ paths, weights: null }]]),
      });
  }
  writeFileSync(join(d, 'model.json'), text);
  return { source: r() < 0.5 ? join(d, 'model.json') : pathToFileURL(join(d, 'model.json')), kind };
}

describe('fuzzing the TF.js / Keras importer', () => {
  it('every mutated model is a typed error or an import that builds, loads and predicts finite values', async () => {
    const seeds = seedModels();
    const r = rng(SEED);
    const before = memory();
    // the seeds themselves import and predict
    const base: Float32Array[] = [];
    for (const s of seeds) {
      const imp = await importTfjs({ modelTopology: s.m.topology, weightSpecs: s.m.specs, weightData: s.m.bytes.buffer as ArrayBuffer });
      await t.build(imp.spec);
      await t.importWeights(imp.stateDict);
      base.push(await t.predict(inputFor(imp.spec as never)));
    }
    const c = fresh();
    counts.tfjs = c;
    for (let i = 0; i < TFJS_CASES; i++) {
      const si = Math.floor(r() * seeds.length);
      const { source, kind } = mutateTfjs(seeds[si].m, r, i);
      const what = `tfjs #${i} (${seeds[si].name}, ${kind})`;
      c.tried++;
      const t0 = performance.now();
      try {
        const imp = await importTfjs(source);
        try {
          await t.build(imp.spec);
          await t.importWeights(imp.stateDict);
        } catch (e) {
          // the importer's spec or weights refused by the SDK: typed, or it is a bug
          classify(c, `${what} build/load`, e);
          continue;
        }
        const out = await t.predict(inputFor(imp.spec as never));
        if (!out.every(Number.isFinite) || (kind === 'unchanged' && out.join() !== base[si].join())) {
          c.wrong++;
          failures.push(`${what}: imported, but predicts ${kind === 'unchanged' ? 'other values than the original' : 'non-finite values'}`);
        } else c.loaded++;
      } catch (e) {
        classify(c, what, e);
      } finally {
        if (performance.now() - t0 > HANG_MS) {
          c.hang++;
          failures.push(`${what}: took ${Math.round(performance.now() - t0)} ms`);
        }
      }
    }
    if (memory() - before > LEAK_BYTES) {
      c.leak++;
      failures.push(`tfjs: memory grew by ${Math.round((memory() - before) / 2 ** 20)} MiB`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(c.other + c.crash + c.hang + c.wrong + c.leak).toBe(0);
    expect(c.typed).toBeGreaterThan(c.tried / 4);
    expect(c.loaded).toBeGreaterThan(c.tried / 20);
  });
});

// ---------------------------------------------------------------------------------------------
// PyTorch state dicts

const DIR = new URL('./fixtures/torch-state-dicts/', import.meta.url);
const FILES = ['lstm_l2_bi_f32.safetensors', 'gru_l1_f16.safetensors', 'rnn_l2_bi_bf16.safetensors', 'gru_l1_f64.safetensors'];
const PREFIX_MAP = { embed: 'embedding', lstm: 'rnn', fc: 'head' };

function torchSpec(file: string) {
  const s = sequential({ input: { vocab: 23 } }).embedding({ dim: 12 });
  if (file.startsWith('lstm')) return s.lstm({ units: 20, layers: 2, bidirectional: true }).dense({ units: 6 });
  if (file.startsWith('gru')) return s.gru({ units: 20 }).dense({ units: 6 });
  return s.rnn({ units: 20, layers: 2, bidirectional: true, activation: 'relu' }).dense({ units: 6 });
}

/** An independent reading of a safetensors file: each tensor's floats under our names (after
 * the prefix map), or undefined when the file is not one this checker can read plainly. */
function plainTensors(bytes: Uint8Array, map: Record<string, string>): Map<string, Float32Array> | undefined {
  if (bytes.length < 8) return undefined;
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    return undefined;
  }
  const data = bytes.subarray(8 + n);
  const out = new Map<string, Float32Array>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, end] = e.data_offsets;
    const raw = data.slice(b, end);
    const dv = new DataView(raw.buffer);
    const size = { F32: 4, F16: 2, BF16: 2, F64: 8 }[e.dtype] ?? 0;
    const count = raw.length / size;
    const f = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      if (e.dtype === 'F32') f[i] = dv.getFloat32(4 * i, true);
      else if (e.dtype === 'F64') f[i] = dv.getFloat64(8 * i, true);
      else if (e.dtype === 'BF16') f[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0];
      else {
        const h = dv.getUint16(2 * i, true);
        const exp = (h >> 10) & 31;
        const m = h & 1023;
        const v = exp === 0 ? m * 2 ** -24 : exp === 31 ? (m ? Number.NaN : Number.POSITIVE_INFINITY) : (1 + m / 1024) * 2 ** (exp - 15);
        f[i] = h & 0x8000 ? -v : v;
      }
    }
    const dot = name.indexOf('.');
    const mod = dot < 0 ? name : name.slice(0, dot);
    out.set(Object.hasOwn(map, mod) ? map[mod] + name.slice(mod.length) : name, f);
  }
  return out;
}

function mutateTorch(file: Uint8Array, r: () => number): { bytes: Uint8Array; opts: Record<string, unknown>; kind: string } {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const p = split(file);
  const hlen = file.length - p.data.length;
  let opts: Record<string, unknown> = { prefixMap: PREFIX_MAP };
  const kind = pick(['flip-header', 'flip-data', 'truncate', 'append', 'json', 'json', 'rename', 'drop', 'options', 'unchanged'] as const);
  switch (kind) {
    case 'flip-header':
    case 'flip-data': {
      const b = file.slice();
      b[kind === 'flip-header' ? Math.floor(r() * hlen) : hlen + Math.floor(r() * p.data.length)] ^= 1 + Math.floor(r() * 255);
      return { bytes: b, opts, kind };
    }
    case 'truncate':
      return { bytes: file.slice(0, Math.floor(r() * file.length)), opts, kind };
    case 'append':
      return { bytes: new Uint8Array([...file, ...new Uint8Array(1 + Math.floor(r() * 9)).fill(7)]), opts, kind };
    case 'json':
      editJson(p.header, r);
      return { bytes: joinFile(p), opts, kind };
    case 'rename':
    case 'drop': {
      const names = Object.keys(p.header).filter((k) => k !== '__metadata__');
      const n = pick(names);
      const e = p.header[n];
      delete p.header[n];
      if (kind === 'rename') p.header[pick([`${n}x`, `extra.${n}`, '__proto__', 'constructor', `model.${n}`])] = e;
      return { bytes: joinFile(p), opts, kind };
    }
    case 'options':
      opts = pick([
        { prefixMap: { ...PREFIX_MAP, constructor: 'x' } },
        { prefixMap: { ...PREFIX_MAP, embed: '' } },
        { prefixMap: null },
        { prefixMap: [] },
        { prefixMap: PREFIX_MAP, stripPrefix: 7 },
        { prefixMap: PREFIX_MAP, stripPrefix: 'embed.' },
        { prefixMap: PREFIX_MAP, strict: 'no' },
        { prefixMap: PREFIX_MAP, strict: false },
        { prefixMap: PREFIX_MAP, extra: 1 },
        { prefixMap: { embed: 'rnn', lstm: 'rnn', fc: 'head' } },
        {},
      ]);
      return { bytes: file, opts, kind };
    default:
      return { bytes: file, opts, kind };
  }
}

describe('fuzzing the PyTorch importer (importWeights)', () => {
  it('every mutated state dict sets exactly what the file holds, or is a typed error that leaves the model unchanged', async () => {
    const r = rng(SEED + 1);
    const c = fresh();
    counts.pytorch = c;
    const before = memory();
    for (const [fi, name] of FILES.entries()) {
      const file = new Uint8Array(readFileSync(new URL(name, DIR)));
      await t.build(torchSpec(name), { seed: fi });
      await t.importWeights(file, { prefixMap: PREFIX_MAP });
      const base = await t.getWeights();
      for (let i = 0; i < TORCH_CASES / FILES.length; i++) {
        const { bytes, opts, kind } = mutateTorch(file, r);
        const what = `pytorch ${name} #${i} (${kind} ${JSON.stringify(opts)})`;
        c.tried++;
        const t0 = performance.now();
        try {
          await t.importWeights(bytes, opts as never);
          // what the file says, read independently, under the names the options give
          const want = plainTensors(bytes, (opts.prefixMap as Record<string, string>) ?? {});
          const got = await t.getWeights();
          const same = want !== undefined && Object.entries(got).every(([n, w]) => want.get(n)?.join() === w.join());
          if (same) c.loaded++;
          else {
            c.wrong++;
            failures.push(`${what}: loaded, but the weights are not the file's`);
          }
        } catch (e) {
          classify(c, what, e);
          const now = await t.getWeights();
          if (Object.entries(now).some(([n, w]) => base[n].join() !== w.join())) {
            c.wrong++;
            failures.push(`${what}: a failed import changed the model`);
          }
        } finally {
          if (performance.now() - t0 > HANG_MS) {
            c.hang++;
            failures.push(`${what}: took ${Math.round(performance.now() - t0)} ms`);
          }
        }
        // back to the original weights for the next case
        await t.importWeights(file, { prefixMap: PREFIX_MAP });
      }
    }
    if (memory() - before > LEAK_BYTES) {
      c.leak++;
      failures.push(`pytorch: memory grew by ${Math.round((memory() - before) / 2 ** 20)} MiB`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(c.other + c.crash + c.hang + c.wrong + c.leak).toBe(0);
    expect(c.typed).toBeGreaterThan(c.tried / 4);
    expect(c.loaded).toBeGreaterThan(c.tried / 20);
  });
});
