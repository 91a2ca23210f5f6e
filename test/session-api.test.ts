// Every public Trainer method, in every mode: the calling thread, one worker, and two
// data-parallel workers (the SessionApi that Session and the coordinator both implement). Each
// mode answers the same way: the same outputs from the same weights, ctcDecode and decode
// included, and a saved file that loads in another mode with bit-identical weights.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, encodeSafetensors, init, sequential, type Trainer, textWindows, Vocabulary } from '../dist/index.js';
import { rejectsWith } from './helpers.js';

const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(8);
const vocab = Vocabulary.fromText(TEXT);
const lm = sequential({ input: { vocab: vocab.size } })
  .embedding({ dim: 8 })
  .lstm({ units: 12 })
  .dense({ units: vocab.size });
const windows = () => textWindows(vocab.encode(TEXT), { steps: 12, windowsPerEpoch: 8 });
const tokenBatch = { ids: Uint32Array.from(vocab.encode('the cat')), batch: 1, steps: 7 };
const ctcInput = { features: Float32Array.from({ length: 2 * 6 * 3 }, (_, i) => Math.sin(i)), batch: 2, steps: 6 };
const seq2seq = { kind: 'seq2seq', sourceVocab: 8, targetVocab: 9, embed: 6, encoderUnits: 6, decoderUnits: 12, attention: 6 } as const;
const pairs = Array.from({ length: 12 }, (_, i) => ({ source: [2 + (i % 5), 3 + (i % 4)], target: [2 + (i % 6), 4] }));

const MODES = [
  ['calling thread', { worker: false }],
  ['one worker', { worker: true }],
  ['two workers', { workers: 2 }],
] as const;

/** What each mode answered, compared across modes at the end. */
const answers = new Map<string, Record<string, unknown>>();
let reference: Uint8Array | undefined;

beforeAll(() => init());

describe.each(MODES)('Trainer in %s', (mode, opts) => {
  let t: Trainer;
  const got: Record<string, unknown> = {};
  answers.set(mode, got);

  beforeAll(async () => {
    t = await createTrainer(opts);
  });
  afterAll(() => t.dispose());

  it('build, setVocabulary, compile, info', async () => {
    const built = await t.build(lm, { seed: 3 });
    expect(built.paramNames).toContain('rnn.weight_ih_l0');
    await t.setVocabulary(vocab);
    await t.compile({ loss: 'crossEntropy', optimizer: { name: 'adam', lr: 0.01 }, clipNorm: 5 });
    const info = await t.info();
    expect(info.vocabulary?.symbols.length).toBe(vocab.size);
    expect(info.compiled).toMatchObject({ loss: 'crossEntropy', clipNorm: 5 });
    expect(t.workers).toBe(mode === 'two workers' ? 2 : 1);
  });

  it('fit and evaluate', async () => {
    const r = await t.fit(windows(), { epochs: 2, batchSize: 4, seed: 1, validation: textWindows(vocab.encode(TEXT), { steps: 12, random: false }) });
    expect(r.stopReason).toBe('completed');
    expect(r.history[1].validation?.bitsPerToken).toBeGreaterThan(0);
    const e = await t.evaluate(textWindows(vocab.encode(TEXT), { steps: 12, random: false }), { batchSize: 4 });
    expect(e.loss).toBeCloseTo(r.history[1].validation!.loss, 10);
    got.evaluate = e.loss;
  });

  it('predict, predictStep, resetState', async () => {
    const p = await t.predict(tokenBatch);
    expect(p.length).toBe(7 * vocab.size);
    const first = await t.predictStep({ ids: tokenBatch.ids.subarray(0, 1), batch: 1, steps: 1 });
    await t.predictStep({ ids: tokenBatch.ids.subarray(1, 2), batch: 1, steps: 1 });
    await t.resetState();
    const again = await t.predictStep({ ids: tokenBatch.ids.subarray(0, 1), batch: 1, steps: 1 });
    expect(Array.from(again)).toEqual(Array.from(first));
    for (let k = 0; k < vocab.size; k++) expect(first[k]).toBeCloseTo(p[k], 5);
    got.predict = Array.from(p);
  });

  it('generate (text and ids)', async () => {
    const text = await t.generate('the ', { maxTokens: 10, seed: 2 });
    expect(text).toHaveLength(10);
    const ids = await t.generate(vocab.encode('the '), { maxTokens: 5, seed: 2 });
    expect(ids).toBeInstanceOf(Uint32Array);
    expect(vocab.decode(ids)).toBe(text.slice(0, 5));
    got.generate = text;
  });

  it('save, load, getWeights, getReplicaWeights, importWeights', async () => {
    const w = await t.getWeights();
    const replicas = await t.getReplicaWeights();
    expect(replicas).toHaveLength(t.workers);
    for (const r of replicas) expect(r).toEqual(w);
    const file = await t.save();
    reference ??= file;
    // a file saved in the first mode loads here with its weights bit for bit
    const info = await t.load(reference);
    expect(info.training?.epoch).toBe(2);
    got.loaded = await t.getWeights();
    await t.load(file);
    // a plain state_dict file (PyTorch names and shapes) of other weights, then of these
    const other = lm.build({ seed: 9 });
    const dict = (get: (n: string) => Float32Array) =>
      encodeSafetensors(
        info.paramNames.map((n) => [n, { dtype: 'F32', shape: other.paramShape(n), data: get(n) }]),
        {},
      );
    expect(await t.importWeights(dict((n) => other.getParam(n)))).toEqual(info.paramNames);
    expect((await t.getWeights())['head.bias']).toEqual(other.getParam('head.bias'));
    await t.importWeights(dict((n) => w[n]));
    other.dispose();
    expect(await t.getWeights()).toEqual(w);
  });

  it('ctcDecode', async () => {
    await t.build(
      sequential({ input: { features: 3 } })
        .lstm({ units: 5 })
        .dense({ units: 4 }),
      { seed: 5 },
    );
    await t.compile({ loss: 'ctc', ctc: { blank: 0 } });
    const greedy = await t.ctcDecode(ctcInput);
    const beam = await t.ctcDecode(ctcInput, { beam: 4, nBest: 2 });
    expect(greedy).toHaveLength(2);
    expect(beam[0].length).toBeLessThanOrEqual(2);
    for (const h of greedy[0][0].labels) expect(h).toBeGreaterThan(0);
    got.ctc = greedy;
  });

  it('decode (the encoder-decoder) and fit on pairs', async () => {
    await t.build(seq2seq, { seed: 4 });
    await t.compile({ optimizer: { name: 'adam', lr: 0.01 } });
    const r = await t.fit(pairs, { epochs: 1, batchSize: 4, seed: 1 });
    expect(r.steps).toBe(3);
    const hyps = await t.decode(
      [
        [2, 3],
        [4, 5],
      ],
      { beam: 2 },
    );
    expect(hyps).toHaveLength(2);
    got.decode = hyps;
    await rejectsWith(t.predict(tokenBatch), 'E_STATE', /encoder-decoder/);
  });

  it('dispose: later calls reject with E_STATE', async () => {
    const u = await createTrainer(opts);
    await u.dispose();
    await rejectsWith(u.info(), 'E_STATE');
  });
});

describe('every mode answers alike', () => {
  it('the same outputs from the same file, the same decodes', () => {
    const [a, b, c] = MODES.map(([m]) => answers.get(m)!);
    expect(b.loaded).toEqual(a.loaded);
    expect(c.loaded).toEqual(a.loaded);
    expect(b.predict).toEqual(a.predict); // one worker trains exactly as the calling thread
    expect(b.generate).toEqual(a.generate);
    expect(b.evaluate).toBe(a.evaluate);
    expect(b.ctc).toEqual(a.ctc);
    expect(c.ctc).toEqual(a.ctc);
    expect(b.decode).toEqual(a.decode);
    expect(Math.abs((c.evaluate as number) - (a.evaluate as number))).toBeLessThan(1e-3); // two replicas: float summation order
  });
});
