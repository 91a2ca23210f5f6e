// Seeded fuzzing of the SDK's public calls in both modes (calling thread and worker): random
// sizes and options, valid and invalid, through build, compile, fit, predict and generate.
// Every outcome must be one of: a valid call that succeeds with an output of the right shape,
// or an invalid call that throws a typed error (RangeError/TypeError with an E_* code) and
// leaves the model unchanged and usable. Anything else is counted in its own column (other
// error, crash = a wasm trap, hang, silently wrong, valid input rejected) and must be zero.
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainer, sequential, textWindows, Vocabulary } from '../dist/index.js';

type Trainer = Awaited<ReturnType<typeof createTrainer>>;
type Outcome = 'ok' | 'typed error' | 'other error' | 'crash' | 'hang' | 'silently wrong' | 'valid rejected';
const OUTCOMES: Outcome[] = ['ok', 'typed error', 'other error', 'crash', 'hang', 'silently wrong', 'valid rejected'];

/** mulberry32: the same cases on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value drawn from the valid pool (probability 1 − pBad) or the invalid pool. */
interface Draw {
  value: unknown;
  valid: boolean;
}
function pick(r: () => number, good: unknown[], bad: unknown[], pBad = 0.25): Draw {
  if (r() < pBad) return { value: bad[Math.floor(r() * bad.length)], valid: false };
  return { value: good[Math.floor(r() * good.length)], valid: true };
}

const HUGE = [2 ** 32 + 1, 2 ** 31 + 2, 1e12];
const NOT_INT = [2.5, '4', Number.NaN, Number.POSITIVE_INFINITY, null, {}, true];
const TEXT = 'abcab cabba acbac bacca babab ccaab '.repeat(4);
const VOCAB = Vocabulary.fromText(TEXT);
const V = VOCAB.size;

interface Case {
  what: string;
  valid: boolean;
  /** Runs the call; returns a check of the result (false = silently wrong). */
  run(t: Trainer): Promise<boolean>;
  /** Whether a successful call may change the weights (fit). */
  mutates?: boolean;
}

function buildCase(r: () => number): Case {
  const units = pick(r, [1, 3, 8], [0, -1, 20_000, ...HUGE, ...NOT_INT]);
  const layers = pick(r, [1, 2], [0, -2, 1e6, 1.5, '2']);
  const dim = pick(r, [1, 4], [0, -1, 3.5, ...HUGE]);
  const dropout = pick(r, [0, 0.25], [-0.1, 1, 1.5, Number.NaN, '0.1'], 0.15);
  const cell = pick(r, ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'], ['lstn', 'rnn', 7], 0.1);
  const bidirectional = pick(r, [false, true], ['yes', 1], 0.1);
  const viaJson = r() < 0.5;
  // Structural damage to the JSON form: a null layer, a non-string name, an unknown type.
  const damage = viaJson ? pick(r, [undefined], ['null layer', 'name 42', 'type conv', 'no input', 'layers {}'], 0.2) : { value: undefined, valid: true };
  const parts = viaJson ? [units, layers, dim, dropout, cell, bidirectional, damage] : [units, layers, dim, dropout, bidirectional];
  const valid = parts.every((p) => p.valid);
  const opts = { units: units.value, layers: layers.value, dropout: dropout.value, bidirectional: bidirectional.value };
  return {
    what: `build${viaJson ? ' (JSON)' : ''} ${JSON.stringify({ ...opts, dim: dim.value, ...(viaJson ? { cell: cell.value, damage: damage.value } : {}) })}`,
    valid,
    mutates: true,
    async run(t) {
      if (!viaJson) {
        const b = sequential({ input: { vocab: V } }).embedding({ dim: dim.value as number });
        const ro = opts as never;
        const spec = (r() < 0.5 ? b.lstm(ro) : b.gru(ro)).dense({ units: V });
        return (await t.build(spec, { seed: 1 })).paramCount > 0;
      }
      const rec: Record<string, unknown> = { type: 'recurrent', name: 'rnn', cell: cell.value, ...opts, returnSequences: true };
      const spec: Record<string, unknown> = {
        input: { vocab: V },
        layers: [{ type: 'embedding', name: 'embedding', dim: dim.value }, rec, { type: 'dense', name: 'head', units: V }],
      };
      const layersArr = spec.layers as unknown[];
      if (damage.value === 'null layer') layersArr[1] = null;
      if (damage.value === 'name 42') rec.name = 42;
      if (damage.value === 'type conv') rec.type = 'conv';
      if (damage.value === 'no input') delete spec.input;
      if (damage.value === 'layers {}') spec.layers = {};
      return (await t.build(spec as never, { seed: 1 })).paramCount > 0;
    },
  };
}

function predictCase(r: () => number): Case {
  const batch = pick(r, [1, 2, 3], [0, -1, ...HUGE, ...NOT_INT]);
  const steps = pick(r, [1, 4], [0, -4, 3e7, ...HUGE, 1.5]);
  const b = typeof batch.value === 'number' && batch.valid ? batch.value : 2;
  const s = typeof steps.value === 'number' && steps.valid ? steps.value : 4;
  const idsOk = r() > 0.2;
  const badId = [V, -1, 2.5, Number.NaN, 2 ** 32][Math.floor(r() * 5)];
  const ids = Array.from({ length: idsOk || r() < 0.5 ? b * s : b * s + 1 }, (_, i) => i % V);
  if (!idsOk && ids.length === b * s) ids[Math.floor(r() * ids.length)] = badId as number;
  const lengthsDraw =
    r() < 0.2 ? pick(r, [Array(b).fill(s)], [Array(b).fill(s + 1), Array(b + 1).fill(1), Array(b).fill(-1)], 0.6) : { value: undefined, valid: true };
  const valid = batch.valid && steps.valid && idsOk && ids.length === b * s && lengthsDraw.valid;
  return {
    what: `predict batch ${String(batch.value)} steps ${String(steps.value)} ids ${ids.length}${idsOk ? '' : ` (bad id ${badId})`} lengths ${JSON.stringify(lengthsDraw.value)}`,
    valid,
    async run(t) {
      const out = await t.predict({ ids, batch: batch.value as number, steps: steps.value as number, lengths: lengthsDraw.value as number[] | undefined });
      return out instanceof Float32Array && out.length === b * s * V && out.every(Number.isFinite);
    },
  };
}

function compileCase(r: () => number): Case {
  const name = pick(r, ['adam', 'sgd', 'rmsprop', 'adagrad', 'adamw'], ['adma', '', 3], 0.15);
  const lr = pick(r, [1e-3, 0.05], [-1, Number.NaN, '0.1', Number.POSITIVE_INFINITY], 0.2);
  const clip = pick(r, [undefined, 1, 5], [0, -1, Number.NaN, '5'], 0.2);
  const extra = r() < 0.1 ? { clipnorm: 1 } : {};
  const valid = name.valid && lr.valid && clip.valid && Object.keys(extra).length === 0;
  return {
    what: `compile ${JSON.stringify({ name: name.value, lr: lr.value, clipNorm: clip.value, ...extra })}`,
    valid,
    async run(t) {
      await t.compile({ optimizer: { name: name.value, lr: lr.value } as never, clipNorm: clip.value as number | undefined, ...extra } as never);
      return true;
    },
  };
}

function fitCase(r: () => number): Case {
  // a batch larger than the data is the whole data set (as PyTorch's DataLoader); sizes from 2^32 on are errors
  const batchSize = pick(r, [1, 2, 4, 2 ** 31 + 2], [0, -1, 2.5, '4', 2 ** 32 + 1, 1e12]);
  const epochs = pick(r, [1], [-1, 1.5, '1', Number.NaN], 0.2);
  const signal = pick(r, [undefined], [{}, 'x', 1], 0.1);
  const dataKind = r();
  const data = dataKind < 0.08 ? null : dataKind < 0.14 ? 'abc' : dataKind < 0.18 ? 42 : textWindows(VOCAB.encode(TEXT), { steps: 4 });
  const extra = r() < 0.08 ? { epoch: 1 } : {};
  const valid = batchSize.valid && epochs.valid && signal.valid && dataKind >= 0.18 && Object.keys(extra).length === 0;
  return {
    what: `fit data ${data === null ? 'null' : typeof data} ${JSON.stringify({ batchSize: batchSize.value, epochs: epochs.value, signal: signal.value, ...extra })}`,
    valid,
    mutates: true,
    async run(t) {
      const res = await t.fit(data as never, { batchSize: batchSize.value, epochs: epochs.value, signal: signal.value, timeBudgetMs: 2000, ...extra } as never);
      return res.steps >= 1 && Number.isFinite(res.tokens);
    },
  };
}

function generateCase(r: () => number): Case {
  const maxTokens = pick(r, [1, 5], [-1, 2.5, Number.NaN, '3', ...HUGE]);
  const temperature = pick(r, [undefined, 0, 0.7], [-1, Number.NaN, '1'], 0.2);
  const topK = pick(r, [undefined, 1, 3], [-2, 1.5, Number.NaN], 0.2);
  const topP = pick(r, [undefined, 0.5, 1], [1.5, -0.1, Number.NaN], 0.2);
  const valid = maxTokens.valid && temperature.valid && topK.valid && topP.valid;
  return {
    what: `generate ${JSON.stringify({ maxTokens: maxTokens.value, temperature: temperature.value, topK: topK.value, topP: topP.value })}`,
    valid,
    async run(t) {
      const out = await t.generate('ab', {
        maxTokens: maxTokens.value as number,
        temperature: temperature.value as number,
        topK: topK.value as number,
        topP: topP.value as number,
        seed: 3,
      });
      return typeof out === 'string' && out.length === (maxTokens.value as number);
    },
  };
}

const PROBE = { ids: [0, 1, 2, 1], batch: 1, steps: 4 };
const snapshot = async (t: Trainer) => Array.from(await t.predict(PROBE));
const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'hang'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const to = new Promise<'hang'>((res) => {
    timer = setTimeout(() => res('hang'), ms);
  });
  try {
    return await Promise.race([p, to]);
  } finally {
    clearTimeout(timer);
  }
}

async function fuzz(worker: boolean, seed: number, n: number) {
  const r = rng(seed);
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const bad: string[] = [];
  const t = await createTrainer({ worker, wasm: undefined });
  const fresh = async () => {
    await t.build(
      sequential({ input: { vocab: V } })
        .embedding({ dim: 4 })
        .lstm({ units: 8 })
        .dense({ units: V }),
      { seed: 1 },
    );
    await t.setVocabulary(VOCAB);
    await t.compile({ optimizer: { name: 'adam', lr: 0.01 } });
  };
  await fresh();
  const makers = [buildCase, predictCase, compileCase, fitCase, generateCase];
  try {
    for (let i = 0; i < n; i++) {
      const c = makers[Math.floor(r() * makers.length)](r);
      const before = await snapshot(t);
      let outcome: Outcome;
      let good = false;
      let err: unknown;
      try {
        const res = await withTimeout(c.run(t), 20_000);
        if (res === 'hang') outcome = 'hang';
        else {
          good = res;
          outcome = !c.valid || !good ? 'silently wrong' : 'ok';
        }
      } catch (e) {
        err = e;
        const code = (e as { code?: unknown })?.code;
        const typed = (e instanceof RangeError || e instanceof TypeError) && typeof code === 'string' && code.startsWith('E_');
        if (e instanceof WebAssembly.RuntimeError || /unreachable|memory access out of bounds|recursive use/.test(String((e as Error)?.message)))
          outcome = 'crash';
        else if (!typed) outcome = 'other error';
        else outcome = c.valid ? 'valid rejected' : 'typed error';
      }
      if (outcome === 'hang') {
        counts.hang++;
        bad.push(`${c.what}: hang`);
        break; // the trainer is wedged; nothing after this is meaningful
      }
      // After an error the model must be unchanged and usable; after a successful build or fit
      // the model may differ, but must still answer.
      let after: number[] | undefined;
      try {
        after = await snapshot(t);
      } catch (e) {
        if (outcome !== 'ok' || !c.mutates) outcome = 'crash';
        err ??= e;
      }
      if (outcome === 'typed error' && after && !same(before, after)) outcome = 'silently wrong';
      counts[outcome]++;
      if (outcome !== 'ok' && outcome !== 'typed error')
        bad.push(`${c.what}: ${outcome}${err ? ` (${String((err as Error)?.message ?? err).slice(0, 120)})` : ''}`);
      // A build that went through leaves an uncompiled model: give it the vocabulary and an
      // optimizer for the next cases (a failed build must have kept the compiled old model).
      if (!after) await fresh();
      else if (c.what.startsWith('build') && (outcome === 'ok' || outcome === 'silently wrong')) {
        await t.setVocabulary(VOCAB);
        await t.compile({ optimizer: { name: 'adam', lr: 0.01 } });
      }
    }
  } finally {
    await withTimeout(t.dispose(), 5000);
  }
  return { counts, bad };
}

const rows: string[] = [];
afterAll(() => {
  if (rows.length)
    console.log(['[fuzz-sdk] mode | cases | ok | typed error | other error | crash | hang | silently wrong | valid rejected', ...rows].join('\n'));
});

describe('SDK fuzzing (seeded, bounded)', () => {
  for (const worker of [false, true]) {
    it(`${worker ? 'worker' : 'calling-thread'} mode: every call succeeds correctly or fails typed with the model unchanged`, async () => {
      const { counts, bad } = await fuzz(worker, worker ? 202 : 101, 160);
      const n = OUTCOMES.reduce((a, o) => a + counts[o], 0);
      rows.push(`${worker ? 'worker' : 'thread'} | ${n} | ${OUTCOMES.map((o) => counts[o]).join(' | ')}`);
      expect(bad, bad.join('\n')).toEqual([]);
      expect(counts.ok).toBeGreaterThan(20);
      expect(counts['typed error']).toBeGreaterThan(20);
    });
  }
});
