// Seeded, bounded fuzzing of every model-file loader (sequential in both trainer modes,
// seq2seq, G2P, segmenter, text classifier) with mutated files: byte flips (header and data),
// truncation, junk appended, and JSON-level edits of the header and of the metadata's JSON
// (nulls, wrong types, fractional, negative and huge sizes, deleted and unknown keys), with and
// without the data checksum. Every outcome must be either a load that equals a valid model (the
// original weights, finite outputs) or a typed error after which the previously loaded model is
// unchanged and usable. Prints: cases tried | typed error | other error | crash | hang | silently
// wrong, and asserts the last four are zero.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, isRecurrentError } from '../ts/index.js';
import { type Header, type Json, join, rng, slots, split } from './file-mutations.js';
import { classifierLoader, g2pLoader, type Loader, type Print, segmenterLoader, seq2seqLoader, sequentialLoader } from './loaders.js';

const SEED = 20261130;
/** Cases per loader (worker mode costs a round trip per case, so fewer there). */
const CASES = 220;
const WORKER_CASES = 60;
/** A load slower than this counts as a hang. */
const HANG_MS = 2000;

const NASTY: unknown[] = [null, -5, 0, 2.5, '4', 2 ** 32 + 1, 1e300, -1e-9, [], {}, 'x', true, [null], { type: 'dense' }, '', 65, 1 << 20, (1 << 20) + 1];

function mutate(file: Uint8Array, r: () => number): { bytes: Uint8Array; kind: string } {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const p = split(file);
  const hlen = file.length - p.data.length;
  const kind = pick(['flip-header', 'flip-data', 'truncate', 'append', 'json', 'json', 'json-meta', 'json-meta', 'json-meta', 'json-no-checksum'] as const);
  switch (kind) {
    case 'flip-header':
    case 'flip-data': {
      const b = file.slice();
      const at = kind === 'flip-header' ? Math.floor(r() * hlen) : hlen + Math.floor(r() * p.data.length);
      b[at] ^= 1 + Math.floor(r() * 255);
      return { bytes: b, kind };
    }
    case 'truncate':
      return { bytes: file.slice(0, Math.floor(r() * file.length)), kind };
    case 'append':
      return { bytes: new Uint8Array([...file, ...Array.from({ length: 1 + Math.floor(r() * 9) }, () => Math.floor(r() * 256))]), kind };
    default: {
      const header = structuredClone(p.header) as Header;
      if (kind === 'json-no-checksum') delete header.__metadata__.data_crc32;
      let target: Json = header;
      let metaKey: string | undefined;
      if (kind === 'json-meta') {
        const keys = Object.keys(header.__metadata__).filter((k) => k !== 'data_crc32' && k !== 'format');
        metaKey = pick(keys);
        try {
          target = JSON.parse(header.__metadata__[metaKey]);
        } catch {
          target = header;
          metaKey = undefined;
        }
      }
      const all = slots(target);
      if (all.length === 0 || (target !== header && (typeof target !== 'object' || target === null))) return { bytes: file, kind: 'unchanged' };
      const [obj, key] = pick(all);
      const op = r();
      if (op < 0.15 && !Array.isArray(obj)) delete (obj as Record<string, unknown>)[key as string];
      else if (op < 0.25 && !Array.isArray(obj)) (obj as Record<string, unknown>)[`extra${Math.floor(r() * 9)}`] = pick(NASTY);
      else (obj as Record<string | number, unknown>)[key] = structuredClone(pick(NASTY));
      if (metaKey !== undefined) header.__metadata__[metaKey] = JSON.stringify(target);
      return { bytes: join({ header, data: p.data }), kind };
    }
  }
}

const counts: Record<string, { tried: number; loaded: number; typed: number; other: number; crash: number; hang: number; wrong: number }> = {};
const failures: string[] = [];
let loaders: Loader[] = [];

beforeAll(async () => {
  await init();
  loaders = [await sequentialLoader(false), await sequentialLoader(true), seq2seqLoader(), g2pLoader(), segmenterLoader(), classifierLoader()];
});

afterAll(async () => {
  for (const l of loaders) await l.dispose?.();
});

const finite = (p: Print) => p.out.every(Number.isFinite);

describe('fuzzing the model-file loaders', () => {
  it('every mutated file loads as a valid model or is a typed error that leaves the loaded model as it was', async () => {
    const t0 = performance.now();
    for (const [li, l] of loaders.entries()) {
      const c = { tried: 0, loaded: 0, typed: 0, other: 0, crash: 0, hang: 0, wrong: 0 };
      counts[l.name] = c;
      const r = rng(SEED + li);
      const base = await l.check();
      const n = l.name.includes('worker') ? WORKER_CASES : CASES;
      for (let i = 0; i < n; i++) {
        const { bytes, kind } = mutate(l.file, r);
        c.tried++;
        const start = performance.now();
        let outcome: 'loaded' | 'typed' | 'other' | 'crash' | 'wrong';
        let detail = '';
        try {
          const got = await l.load(bytes);
          // a load must carry the file's (checksummed) weights and give finite outputs
          outcome = got.weights === base.weights && finite(got) ? 'loaded' : 'wrong';
          detail = `weights ${got.weights} vs ${base.weights}`;
        } catch (e) {
          if (e instanceof WebAssembly.RuntimeError || /unreachable|out of bounds|recursive use/.test(String((e as Error)?.message))) outcome = 'crash';
          else outcome = isRecurrentError(e) ? 'typed' : 'other';
          detail = String((e as Error)?.stack ?? e).slice(0, 300);
        }
        if (performance.now() - start > HANG_MS) {
          c.hang++;
          failures.push(`${l.name} #${i} (${kind}): took ${Math.round(performance.now() - start)} ms`);
        }
        c[outcome]++;
        if (outcome !== 'loaded' && outcome !== 'typed') failures.push(`${l.name} #${i} (${kind}): ${outcome}: ${detail}`);
        // the model loaded before is unchanged and usable
        const now = await l.check();
        if (now.weights !== base.weights || now.out.join() !== base.out.join()) {
          c.wrong++;
          failures.push(`${l.name} #${i} (${kind}): the previously loaded model changed`);
        }
      }
    }
    const ms = performance.now() - t0;
    const rows = Object.entries(counts).map(
      ([k, c]) =>
        `${k.padEnd(22)} | ${String(c.tried).padStart(5)} | ${String(c.loaded).padStart(6)} | ${String(c.typed).padStart(5)} | ${c.other} | ${c.crash} | ${c.hang} | ${c.wrong}`,
    );
    console.log(
      [
        `model-file fuzz (seed ${SEED}, ${Math.round(ms)} ms)`,
        'loader                 | tried | loaded | typed error | other error | crash | hang | silently wrong',
        ...rows,
      ].join('\n'),
    );
    expect(failures.slice(0, 10)).toEqual([]);
    for (const c of Object.values(counts)) {
      expect(c.other + c.crash + c.hang + c.wrong).toBe(0);
      expect(c.loaded + c.typed).toBe(c.tried);
      expect(c.typed).toBeGreaterThan(c.tried / 4); // the mutations do break files
    }
  });
});
