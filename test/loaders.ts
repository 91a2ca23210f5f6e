// A small valid model file for every loader (sequential through a Trainer, seq2seq, G2P,
// segmenter, text classifier), each with a way to load it and a fingerprint of the loaded
// model (a checksum of its weights and its outputs on a fixed input), for tests that feed
// loaders mutated files.
import { createTrainer, Seq2SeqModel, sequential, type Trainer, textWindows, Vocabulary } from '../ts/index.js';
import { crc32, hex32 } from '../ts/io/crc32.js';
import { charVocabulary, G2P, Segmenter, TextClassifier } from '../ts/tasks/index.js';

export interface Print {
  /** CRC-32 of every parameter's bytes, in name order. */
  weights: string;
  /** Outputs on a fixed input, rounded to 1e-6. */
  out: number[];
}

export interface Loader {
  name: string;
  /** A valid file. */
  file: Uint8Array;
  /** Loads `bytes` into a fresh object and returns its fingerprint (throws what the loader throws). */
  load(bytes: Uint8Array): Promise<Print>;
  /** The fingerprint of the model loaded before any mutation (a load that fails must leave it so). */
  check(): Promise<Print>;
  dispose?(): Promise<void>;
}

const fp = (a: ArrayLike<number>) => Array.from(a, (v) => Math.round(v * 1e6) / 1e6);
function weights(names: string[], get: (n: string) => Float32Array): string {
  let c = 0;
  for (const n of [...names].sort()) {
    const w = get(n);
    c = crc32(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), c);
  }
  return hex32(c);
}
const sessionWeights = (s: { getWeights(): Record<string, Float32Array> }) => {
  const w = s.getWeights();
  return weights(Object.keys(w), (n) => w[n]);
};

export async function sequentialLoader(worker = false): Promise<Loader & { trainer: Trainer }> {
  const text = 'the quick brown fox jumps over the lazy dog; '.repeat(12);
  const vocab = Vocabulary.fromText(text);
  // worker mode runs the built SDK's worker script (dist/, from scripts/build.sh)
  const opts = worker ? { worker, workerUrl: new URL('../dist/worker/worker.js', import.meta.url) } : { worker };
  const t = await createTrainer(opts);
  await t.build(
    sequential({ input: { vocab: vocab.size } })
      .embedding({ dim: 4 })
      .lstm({ units: 5, bidirectional: true })
      .dropout(0.1)
      .dense({ units: vocab.size }),
    { seed: 2 },
  );
  await t.setVocabulary(vocab);
  await t.compile({ optimizer: { name: 'adam', lr: 0.01 } });
  await t.fit(textWindows(vocab.encode(text), { steps: 8, windowsPerEpoch: 8 }), { epochs: 1, batchSize: 4 });
  const file = await t.save();
  const input = { ids: vocab.encode('the fox'), batch: 1, steps: 7 };
  const probe = await createTrainer(opts);
  const print = async (x: Trainer) => {
    const w = await x.getWeights();
    return { weights: weights(Object.keys(w), (n) => w[n]), out: fp(await x.predict(input)) };
  };
  return {
    name: `sequential (${worker ? 'worker' : 'thread'})`,
    file,
    trainer: t,
    async load(bytes) {
      await probe.load(bytes);
      return print(probe);
    },
    async check() {
      return print(t);
    },
    async dispose() {
      await t.dispose();
      await probe.dispose();
    },
  };
}

function seq2seqPrint(m: Seq2SeqModel, pairs: { source: number[]; target: number[] }[]): Print {
  return { weights: weights(m.paramNames(), (n) => m.getParam(n)), out: fp(m.scores(pairs)) };
}

export function seq2seqLoader(): Loader {
  const m = Seq2SeqModel.create({ sourceVocab: 7, targetVocab: 6, embed: 4, encoderUnits: 3, decoderUnits: 6, attention: 4 }, { seed: 3 });
  const pairs = [{ source: [2, 3, 4], target: [2, 5] }];
  return {
    name: 'seq2seq',
    file: m.save({ note: 'x' }),
    async load(bytes) {
      const { model } = Seq2SeqModel.load(bytes);
      try {
        return seq2seqPrint(model, pairs);
      } finally {
        model.dispose();
      }
    },
    async check() {
      return seq2seqPrint(m, pairs);
    },
  };
}

export function g2pLoader(): Loader {
  const g = G2P.create([{ word: 'cat', pronunciations: [['K', 'AE1', 'T']] }], { embed: 4, encoderUnits: 3, decoderUnits: 6, attention: 4 }, { seed: 4 });
  const pairs = [{ source: [1, 2], target: [2, 3] }];
  return {
    name: 'g2p',
    file: g.save(),
    async load(bytes) {
      const { g2p } = G2P.load(bytes);
      try {
        return {
          ...seq2seqPrint(g2p.model, pairs),
          out: [
            ...seq2seqPrint(g2p.model, pairs).out,
            ...g2p
              .pronounce(['cat'])
              .flat()
              .map((p) => p.length),
          ],
        };
      } finally {
        g2p.dispose();
      }
    },
    async check() {
      return {
        ...seq2seqPrint(g.model, pairs),
        out: [
          ...seq2seqPrint(g.model, pairs).out,
          ...g
            .pronounce(['cat'])
            .flat()
            .map((p) => p.length),
        ],
      };
    },
  };
}

export function segmenterLoader(): Loader {
  const vocab = charVocabulary([['abc', 'def']]);
  const s = Segmenter.create(vocab, { embed: 4, hidden: 3, seed: 5 });
  const print = (x: Segmenter) => ({
    weights: sessionWeights(x.session),
    out: x
      .segment(['abcfed', 'bad'])
      .flat()
      .map((w) => w.length),
  });
  return {
    name: 'segmenter',
    file: s.save(),
    async load(bytes) {
      const x = Segmenter.load(bytes);
      try {
        return print(x);
      } finally {
        x.session.dispose();
      }
    },
    async check() {
      return print(s);
    },
  };
}

export function classifierLoader(): Loader {
  const vocab = new Vocabulary(['<unk>', 'buy', 'now', 'hello', 'friend'], { level: 'token', unk: '<unk>' });
  const c = TextClassifier.create(vocab, { embed: 4, hidden: 3, maxTokens: 10, seed: 6 });
  const docs = [
    ['buy', 'now'],
    ['hello', 'friend', 'now'],
  ];
  const print = (x: TextClassifier) => ({ weights: sessionWeights(x.session), out: fp(x.predictProba(docs).flatMap((p) => Array.from(p))) });
  return {
    name: 'classifier',
    file: c.save(),
    async load(bytes) {
      const x = TextClassifier.load(bytes, { maxTokens: 10 });
      try {
        return print(x);
      } finally {
        x.session.dispose();
      }
    },
    async check() {
      return print(c);
    },
  };
}
