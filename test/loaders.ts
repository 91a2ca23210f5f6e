// A small valid model file for every loader (sequential through a Trainer, seq2seq, G2P,
// segmenter, text classifier), each with a way to load it and a fingerprint of the loaded
// model (its predictions on a fixed input), for tests that feed loaders mutated files.
import { charVocabulary, createTrainer, G2P, Segmenter, Seq2SeqModel, sequential, TextClassifier, textWindows, Vocabulary, type Trainer } from '../ts/index.js';

export interface Loader {
  name: string;
  /** A valid file. */
  file: Uint8Array;
  /** Loads `bytes` into a fresh object and returns its fingerprint (throws what the loader throws). */
  load(bytes: Uint8Array): Promise<number[]>;
  /** The fingerprint of the model loaded before any mutation (a load that fails must leave it so). */
  check(): Promise<number[]>;
  dispose?(): Promise<void>;
}

const fp = (a: ArrayLike<number>) => Array.from(a, (v) => Math.round(v * 1e6) / 1e6);

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
  return {
    name: `sequential (${worker ? 'worker' : 'thread'})`,
    file,
    trainer: t,
    async load(bytes) {
      await probe.load(bytes);
      return fp(await probe.predict(input));
    },
    async check() {
      return fp(await t.predict(input));
    },
    async dispose() {
      await t.dispose();
      await probe.dispose();
    },
  };
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
        return fp(model.scores(pairs));
      } finally {
        model.free();
      }
    },
    async check() {
      return fp(m.scores(pairs));
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
        return fp(g2p.model.scores(pairs));
      } finally {
        g2p.free();
      }
    },
    async check() {
      return fp(g.model.scores(pairs));
    },
  };
}

export function segmenterLoader(): Loader {
  const vocab = charVocabulary([['abc', 'def']]);
  const s = Segmenter.create(vocab, { embed: 4, hidden: 3, seed: 5 });
  return {
    name: 'segmenter',
    file: s.save(),
    async load(bytes) {
      return Segmenter.load(bytes)
        .segment(['abcfed', 'bad'])
        .flat()
        .map((w) => w.length);
    },
    async check() {
      return s
        .segment(['abcfed', 'bad'])
        .flat()
        .map((w) => w.length);
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
  return {
    name: 'classifier',
    file: c.save(),
    async load(bytes) {
      return fp(
        TextClassifier.load(bytes, { maxTokens: 10 })
          .predictProba(docs)
          .flatMap((p) => Array.from(p)),
      );
    },
    async check() {
      return fp(c.predictProba(docs).flatMap((p) => Array.from(p)));
    },
  };
}
