// Word tagging with a BiLSTM / BiLSTM-CRF (ts/tasks/pos.ts): the word signatures and the
// word-signature vocabulary on hand-worked cases; both models trained for a few seconds on a
// synthetic NER corpus in BIO tags whose entity words are ambiguous (the same word is a person
// after "met" and a place after "in"), where context is everything, must beat the
// most-frequent-tag baseline on held-out sentences, unseen names included; a save/load round
// trip; and `recurrent tag train|run` on a tiny corpus with its E_FORMAT errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../dist/data/rng.js';
import { Vocabulary } from '../dist/data/vocab.js';
import { MostFrequentTagger } from '../dist/tasks/hmm-tagger.js';
import { coarseSignature, fineSignature, PosTagger, trainPosTagger, UNK_WORD, WordEncoder } from '../dist/tasks/pos.js';
import { Segmenter } from '../dist/tasks/segment.js';
import { type TaggedSentence, taggingScore } from '../dist/tasks/tagged.js';
import { init } from '../dist/wasm.js';
import { expectError, ROOT } from './helpers.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

/** Synthetic BIO sentences: "met X [Y] in Z ." (X [Y] a person, Z a place) and "in Z , X
 * smiled ." (the same pool of names in every slot), from seeded draws over `names`. */
function nerCorpus(n: number, names: readonly string[], seed: number): TaggedSentence[] {
  const rng = new Rng(seed);
  const pick = () => names[rng.below(names.length)];
  const out: TaggedSentence[] = [];
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    const tags: string[] = [];
    const add = (w: string, t: string) => {
      words.push(w);
      tags.push(t);
    };
    if (rng.next() < 0.5) {
      add(rng.next() < 0.5 ? 'We' : 'They', 'O');
      add('met', 'O');
      add(pick(), 'B-PER');
      if (rng.next() < 0.5) add(pick(), 'I-PER');
      add('in', 'O');
      add(pick(), 'B-LOC');
    } else {
      add('in', 'O');
      add(pick(), 'B-LOC');
      add(',', 'O');
      add(pick(), 'B-PER');
      add(rng.next() < 0.5 ? 'smiled' : 'left', 'O');
    }
    add('.', 'O');
    out.push({ words, tags });
  }
  return out;
}

const NAMES = 'Jordan Paris Georgia Florence Austin Chelsea Lincoln Victoria Sydney Madison Dallas Charlotte Orlando Savannah Regina Adelaide'.split(' ');
const UNSEEN = 'Kingston Troy Phoenix Aurora'.split(' ');

beforeAll(async () => {
  await init();
});

describe('word signatures', () => {
  it('fine: capitalisation, hyphen, digit and the last three characters', () => {
    expect(fineSignature('Running')).toBe('<C~ing>');
    expect(fineSignature('well-dressed')).toBe('<l-~sed>');
    expect(fineSignature('NATO')).toBe('<A~ato>');
    expect(fineSignature('B-52s')).toBe('<C-d~52s>');
    expect(fineSignature('F-16')).toBe('<A-d~-16>');
    expect(fineSignature('1,200')).toBe('<ld~200>');
    expect(fineSignature('a')).toBe('<l~a>');
    expect(coarseSignature('Running')).toBe('<C:ing>');
    expect(coarseSignature('1,200')).toBe('<num>');
  });

  it('vocabulary: words seen twice (as written or lowercased), then signatures of the rest; ids fall back in that order', () => {
    const sents = [{ words: ['The', 'dog', 'barks', 'The', 'dog'] }, { words: ['the', 'Cat', 'walking', 'talking', 'zzz'] }];
    const enc = WordEncoder.fromSentences(sents, 2);
    // kept words: The ×2, dog ×2, the (The, The, the lowercased) ×3. Rare: barks, Cat, walking,
    // talking, zzz; their fine signatures <l~rks> <C~cat> <l~ing> ×2 <l~zzz> (only <l~ing> is
    // seen twice) and coarse ones <l:s> <C:> <l:ing> <l:>
    expect(enc.vocab.symbols).toEqual(['The', 'dog', 'the', '<C:>', '<l:>', '<l:ing>', '<l:s>', '<l~ing>', UNK_WORD]);
    const ids = Array.from(enc.encode(['The', 'THE', 'Dog', 'jumping', 'walks', 'Bob', 'Cats', '42']));
    // as written; lowercased; lowercased; fine; coarse; coarse; neither <C~ats> nor <C:s>; nor <ld~42>, <num>
    expect(ids.map((i) => enc.vocab.symbols[i])).toEqual(['The', 'the', 'dog', '<l~ing>', '<l:s>', '<C:>', UNK_WORD, UNK_WORD]);
    expect(enc.vocab.symbols[enc.signature('dog')]).toBe('<l:>');
    expectError(() => new WordEncoder(new Vocabulary(['a'], { level: 'token', unk: '?' })), TypeError, 'E_OPTION', /<unk>/);
  });
});

describe('BiLSTM and BiLSTM-CRF taggers on a synthetic NER corpus', () => {
  const train = nerCorpus(300, NAMES, 1);
  // held out: fresh draws, plus sentences whose entities are names never seen in training
  const test = [...nerCorpus(60, NAMES, 2), ...nerCorpus(40, UNSEEN, 3)];
  const known = new Set(train.flatMap((s) => s.words));
  const base = new MostFrequentTagger().fit(train);
  const baseline = taggingScore(
    test,
    test.map((s) => base.tag(s.words)),
    known,
  );

  for (const crf of [false, true]) {
    it(`${crf ? 'BiLSTM-CRF' : 'BiLSTM tagger'}: beats the most-frequent-tag baseline on held-out sentences; save/load gives the same tags`, async () => {
      const epochs: number[] = [];
      const tagger = await trainPosTagger(train, {
        crf,
        embed: 16,
        hidden: 16,
        epochs: 12,
        batchSize: 16,
        dropout: 0,
        optimizer: { name: 'adam', lr: 0.02 },
        schedule: { name: 'constant' },
        onEpoch: (e) => {
          epochs.push(e.epoch);
        },
      });
      try {
        expect(epochs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        expect(tagger.crf).toBe(crf);
        expect([...tagger.tags]).toEqual(['B-LOC', 'B-PER', 'I-PER', 'O']);
        const s = tagger.evaluate(test, known);
        console.log(
          `${crf ? 'BiLSTM-CRF' : 'BiLSTM tagger'}: ${(100 * s.accuracy).toFixed(2)}% (unknown ${(100 * s.unknownAccuracy).toFixed(2)}% of ${s.unknownTokens}); most frequent tag ${(100 * baseline.accuracy).toFixed(2)}% (unknown ${(100 * baseline.unknownAccuracy).toFixed(2)}%)`,
        );
        expect(s.tokens).toBe(baseline.tokens);
        expect(s.unknownTokens).toBeGreaterThan(30);
        expect(s.accuracy).toBeGreaterThan(baseline.accuracy + 0.05);
        expect(s.unknownAccuracy).toBeGreaterThan(baseline.unknownAccuracy);
        // round trip: the same tags, the tag names and the vocabulary from the file
        const again = PosTagger.load(tagger.save());
        try {
          const words = test.map((x) => x.words);
          expect(again.tag(words)).toEqual(tagger.tag(words));
          expect(again.crf).toBe(crf);
          expect(again.encoder.vocab.symbols).toEqual(tagger.encoder.vocab.symbols);
          expect(again.tag([[], ['met', 'Zanzibar']])[0]).toEqual([]);
        } finally {
          again.dispose();
        }
        // the other head on top of this one: same vocabulary and tags, copied weights
        const other = await trainPosTagger(train, { crf: !crf, from: tagger, epochs: 2, optimizer: { name: 'adam', lr: 0.005 } });
        try {
          expect(other.crf).toBe(!crf);
          expect(other.encoder.vocab.symbols).toEqual(tagger.encoder.vocab.symbols);
          const emb = 'embedding.weight';
          expect(other.session.model.paramNames()).toContain(emb);
          expect(other.evaluate(test, known).accuracy).toBeGreaterThan(baseline.accuracy + 0.05);
        } finally {
          other.dispose();
        }
        await expect(trainPosTagger([{ words: ['a'], tags: ['NEW'] }], { from: tagger })).rejects.toMatchObject({ code: 'E_RANGE' });
      } finally {
        tagger.dispose();
      }
    }, 120_000);
  }

  it('bad input: not a tagger file, an empty training set, sentences whose tags do not match', async () => {
    const seg = Segmenter.create(new Vocabulary(['a', 'b'], { unk: '?' }), { embed: 2, hidden: 2 });
    try {
      expectError(() => PosTagger.load(seg.save()), TypeError, 'E_FORMAT', /not a tagger model file/);
    } finally {
      seg.dispose();
    }
    await expect(trainPosTagger([])).rejects.toMatchObject({ code: 'E_FORMAT' });
    await expect(trainPosTagger([{ words: ['a', 'b'], tags: ['X'] }])).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(trainPosTagger(train, { epochs: 0 })).rejects.toMatchObject({ code: 'E_RANGE' });
  });
});

describe('recurrent tag train|run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-tag-'));
  const corpus = join(dir, 'ner.txt');
  writeFileSync(
    corpus,
    `${nerCorpus(80, NAMES, 4)
      .map((s) => s.words.map((w, i) => `${w}/${s.tags[i]}`).join(' '))
      .join('\n')}\n`,
  );

  it('trains on a word/TAG corpus, prints both baselines, saves; run prints word/TAG', () => {
    const model = join(dir, 'ner.safetensors');
    const r = cli('tag', 'train', '--corpus', corpus, '--epochs', '2', '--units', '8', '--embed', '8', '--arch', 'tagger', '--out', model);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/72 training sentences .* 8 test sentences/);
    expect(r.stdout).toMatch(/baseline \(most frequent tag\): [\d.]+% of \d+ tokens/);
    expect(r.stdout).toMatch(/baseline \(bigram HMM\): [\d.]+% of \d+ tokens/);
    expect(r.stdout).toMatch(/BiLSTM tagger: [\d.]+% of \d+ tokens, [\d.]+% of \d+ unknown/);
    expect(readFileSync(join(dir, 'ner.svg'), 'utf8')).toMatch(/^<svg/);
    const run = cli('tag', 'run', '--model', model, '--text', 'We met Jordan in Paris .\n\nin Austin , Lincoln left .');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('');
    expect(lines[0].split(' ').map((t) => t.split('/')[0])).toEqual(['We', 'met', 'Jordan', 'in', 'Paris', '.']);
    for (const t of [...lines[0].split(' '), ...lines[2].split(' ')]) expect(t).toMatch(/^[^/]+\/(O|B-PER|I-PER|B-LOC)$/);
    const out = join(dir, 'tagged.txt');
    const input = join(dir, 'input.txt');
    writeFileSync(input, 'We met Troy in Austin .\n');
    expect(cli('tag', 'run', '--model', model, '--input', input, '--out', out).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^We\/\S+ met\/\S+ Troy\/\S+ in\/\S+ Austin\/\S+ \.\/\S+\n$/);
    // a CRF on top of the saved tagger
    const crf = cli(
      'tag',
      'train',
      '--corpus',
      corpus,
      '--epochs',
      '1',
      '--arch',
      'crf',
      '--resume',
      model,
      '--no-chart',
      '--out',
      join(dir, 'crf.safetensors'),
    );
    expect(crf.stderr).toBe('');
    expect(crf.status).toBe(0);
    expect(crf.stdout).toMatch(/model: BiLSTM-CRF, starting from .*ner\.safetensors/);
    expect(crf.stdout).toMatch(/BiLSTM-CRF: [\d.]+% of \d+ tokens/);
  }, 120_000);

  it('bad corpora are one-line E_FORMAT errors naming the line; bad flags E_OPTION', () => {
    const write = (name: string, data: string | Uint8Array) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    };
    const cases: [string, RegExp][] = [
      [write('empty.txt', ''), /E_FORMAT: .*empty\.txt is empty/],
      [write('blank.txt', '\n \n'), /E_FORMAT: .*blank\.txt is empty/],
      [write('notag.txt', 'The/at dog/nn\nA/at cat barks/vbz\n'), /E_FORMAT: .*notag\.txt line 2: token "cat" has no \/TAG/],
      [write('utf8.txt', Uint8Array.of(...new TextEncoder().encode('a/D\nb/N\n'), 0xc3, 0x28, 0x2f, 0x4e)), /E_FORMAT: .*utf8\.txt line 3: invalid UTF-8/],
      [write('one.txt', 'a/D b/N\n'), /E_FORMAT: .*one\.txt has 1 sentence/],
      [join(dir, 'missing.txt'), /E_FORMAT: cannot read .*missing\.txt/],
    ];
    for (const [file, msg] of cases) {
      const r = cli('tag', 'train', '--corpus', file, '--epochs', '1', '--out', join(dir, 'x.safetensors'));
      expect(r.status, file).not.toBe(0);
      expect(r.stderr.trim(), file).toMatch(msg);
      expect(r.stderr.trim().split('\n'), file).toHaveLength(1);
    }
    const bad = cli('tag', 'run', '--model', join(dir, 'missing.safetensors'), '--text', 'a b');
    expect(bad.stderr).toMatch(/E_FORMAT: cannot read/);
    expect(cli('tag', 'train', '--arch', 'lstm').stderr).toMatch(/E_OPTION/);
    expect(cli('tag', 'run', '--text', 'a').stderr).toMatch(/E_OPTION: tag run needs --model/);
    expect(cli('tag', 'frobnicate').stderr).toMatch(/E_OPTION: unknown tag command/);
  });
});
