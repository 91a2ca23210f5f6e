// The Chinese tasks end to end on tiny excerpts: `recurrent ner train|run` (own files, JSON
// lines with character offsets, brackets, stdin, a model of the wrong task), `tag train` on
// People's Daily word/TAG lines with Chinese character signatures, `classify train` on
// labelled texts over characters, and the bad inputs each verb must refuse clearly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../ts/index.js';
import { coarseSignature, EntityRecognizer, fineSignature, isChinese, parseCharTagged, trainEntityRecognizer, WordEncoder } from '../ts/tasks/index.js';
import { ROOT } from './helpers.js';

const FIX = join(ROOT, 'test/fixtures/chinese');
const MSRA = join(FIX, 'msra-excerpt.txt');
const PD = join(FIX, 'peoples-daily-excerpt.txt');
const dir = mkdtempSync(join(tmpdir(), 'recurrent-zh-'));
const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000, input });

beforeAll(async () => {
  await init();
});

describe('Chinese word signatures', () => {
  it('use the last character (fine) and the first (coarse)', () => {
    expect(isChinese('现代化')).toBe(true);
    expect(isChinese('１９９８年')).toBe(true);
    expect(isChinese('Running')).toBe(false);
    expect(fineSignature('现代化')).toBe('<zh~化>');
    expect(coarseSignature('现代化')).toBe('<zh^现>');
    expect(coarseSignature('化')).toBe('<zh1>');
    expect(fineSignature('Running')).toBe('<C~ing>');
    const enc = WordEncoder.fromSentences([{ words: ['工业化', '现代化', '的', '的'] }, { words: ['科学家', '作家', '的'] }]);
    // an unseen word ending in 化 gets the signature learnt from 工业化 and 现代化
    expect(enc.id('信息化')).toBe(enc.vocab.id('<zh~化>'));
    expect(enc.id('的')).toBe(enc.vocab.id('的'));
  });
});

describe('the NER task', () => {
  it('trains on characters, finds entities with offsets in text of any length, saves and loads', async () => {
    const sents = parseCharTagged(
      `${'江 B-PER\n泽 M-PER\n民 E-PER\n在 O\n北 B-LOC\n京 E-LOC\n。 O\n'}\n${'李 B-PER\n鹏 E-PER\n去 O\n上 B-LOC\n海 E-LOC\n。 O\n'}`,
    );
    const many = Array.from({ length: 8 }, () => sents).flat();
    const rec = await trainEntityRecognizer(many, {
      epochs: 5,
      hidden: 16,
      embed: 8,
      batchSize: 1,
      dropout: 0,
      optimizer: { name: 'adam', lr: 0.05 },
      maxChars: 7,
    });
    try {
      expect(rec.scheme).toBe('BMES');
      expect(rec.evaluate(sents).f1).toBe(1);
      // longer than maxChars: tagged in pieces cut after 。
      const [ents] = rec.recognize(['江泽民在北京。李鹏去上海。']);
      expect(ents).toEqual([
        { type: 'PER', start: 0, end: 3, text: '江泽民' },
        { type: 'LOC', start: 4, end: 6, text: '北京' },
        { type: 'PER', start: 7, end: 9, text: '李鹏' },
        { type: 'LOC', start: 10, end: 12, text: '上海' },
      ]);
      const again = EntityRecognizer.load(rec.save());
      expect(again.recognize(['李鹏去上海。'])).toEqual(rec.recognize(['李鹏去上海。']));
      again.dispose();
    } finally {
      rec.dispose();
    }
    await expect(trainEntityRecognizer([{ chars: ['a'], tags: ['n'] }])).rejects.toMatchObject({ code: 'E_FORMAT' });
  });

  it('with bigrams, each step reads its frequent character bigram; the model file keeps that', async () => {
    const sents = parseCharTagged(
      `${'江 B-PER\n泽 M-PER\n民 E-PER\n在 O\n北 B-LOC\n京 E-LOC\n。 O\n'}\n${'李 B-PER\n鹏 E-PER\n去 O\n北 B-LOC\n京 E-LOC\n。 O\n'}`,
    );
    const many = Array.from({ length: 8 }, () => sents).flat();
    const rec = await trainEntityRecognizer(many, {
      epochs: 5,
      hidden: 16,
      embed: 8,
      batchSize: 1,
      dropout: 0,
      optimizer: { name: 'adam', lr: 0.05 },
      bigrams: 2,
    });
    try {
      expect(rec.bigrams).toBe(true);
      // every pair of the two sentences was seen 8 times or more; 张三 and 三在 never
      expect(rec.inputs(Array.from('张三在北京'))).toEqual(['张', '三', '在北', '北京', '京']);
      expect(rec.evaluate(sents).f1).toBe(1);
      const again = EntityRecognizer.load(rec.save());
      expect(again.bigrams).toBe(true);
      expect(again.recognize(['李鹏去北京。'])).toEqual(rec.recognize(['李鹏去北京。']));
      again.dispose();
    } finally {
      rec.dispose();
    }
  });
});

describe('recurrent ner', () => {
  const model = join(dir, 'ner.safetensors');
  it('train on own files prints the split, both baselines and per-type F1, and saves the model', () => {
    const r = cli([
      'ner',
      'train',
      '--train',
      MSRA,
      '--test',
      MSRA,
      '--epochs',
      '2',
      '--units',
      '8',
      '--embed',
      '8',
      '--batch',
      '3',
      '--out',
      model,
      '--no-chart',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/6 training sentences \(302 characters\), 0 dev \(unused\), 6 test/);
    expect(r.stdout).toMatch(/baseline \(dictionary of the \d+ training entities.*F1 [\d.]+ .*PER [\d.]+/);
    expect(r.stdout).toMatch(/baseline \(character bigram HMM\): P [\d.]+ {2}R [\d.]+ {2}F1 100\.00/);
    expect(r.stdout).toMatch(/BiLSTM-CRF: P [\d.]+ {2}R [\d.]+ {2}F1 [\d.]+/);
    expect(existsSync(model)).toBe(true);
  });

  it('train --workers 2: data-parallel replicas, the model saved and scored as in the calling thread', () => {
    const m = join(dir, 'ner-w2.safetensors');
    const args = ['--epochs', '1', '--units', '8', '--embed', '8', '--batch', '4', '--no-chart'];
    const r = cli(['ner', 'train', '--train', MSRA, '--test', MSRA, '--workers', '2', '--out', m, ...args]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/training on 2 replicas/);
    expect(r.stdout).toMatch(/BiLSTM-CRF: P [\d.]+ {2}R [\d.]+ {2}F1 [\d.]+/);
    expect(existsSync(m)).toBe(true);
    const bad = cli(['ner', 'train', '--train', MSRA, '--test', MSRA, '--workers', '0', '--out', m, ...args]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/workers/);
  });

  it('run writes JSON lines with character offsets, or brackets, from --text or stdin', () => {
    // a model that has learnt one sentence well enough to find its entities (over characters:
    // with bigrams, the line 在 alone would read a character only ever seen inside 在北)
    const tiny = join(dir, 'one.txt');
    writeFileSync(tiny, '江 B-PER\n泽 I-PER\n民 I-PER\n在 O\n北 B-LOC\n京 I-LOC\n\n'.repeat(8));
    const m = join(dir, 'one.safetensors');
    const t = cli([
      'ner',
      'train',
      '--train',
      tiny,
      '--test',
      tiny,
      '--epochs',
      '6',
      '--batch',
      '1',
      '--units',
      '16',
      '--embed',
      '8',
      '--dropout',
      '0',
      '--bigrams',
      '0',
      '--lr',
      '0.05',
      '--out',
      m,
      '--no-chart',
    ]);
    expect(t.status).toBe(0);
    const r = cli(['ner', 'run', '--model', m, '--text', '江泽民在北京\n在']);
    expect(r.status).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { line: 1, type: 'PER', text: '江泽民', start: 0, end: 3 },
      { line: 1, type: 'LOC', text: '北京', start: 4, end: 6 },
    ]);
    const b = cli(['ner', 'run', '--model', m, '--format', 'brackets'], '江泽民在北京\n在\n');
    expect(b.status).toBe(0);
    expect(b.stdout).toBe('[江泽民]PER在[北京]LOC\n在\n');
  });

  it('--gazetteer on: the characters also read the training entities, and ner run reads them from the model file', () => {
    const tiny = join(dir, 'gaz.txt');
    writeFileSync(tiny, '李 B-PER\n鹏 I-PER\n去 O\n上 B-LOC\n海 I-LOC\n\n'.repeat(8));
    const m = join(dir, 'gaz.safetensors');
    const args = ['--epochs', '6', '--batch', '1', '--units', '16', '--embed', '8', '--dropout', '0', '--lr', '0.05', '--no-chart'];
    const t = cli(['ner', 'train', '--train', tiny, '--test', tiny, '--gazetteer', 'on', '--out', m, ...args]);
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/and of their gazetteer bits \(training entities, jackknifed over 10 folds\)/);
    const r = cli(['ner', 'run', '--model', m, '--format', 'brackets', '--text', '李鹏去上海']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('[李鹏]PER去[上海]LOC\n');
    const bad = cli(['ner', 'train', '--train', tiny, '--test', tiny, '--gazetteer', 'maybe', '--out', m, ...args]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/gazetteer/);
  });

  it('--external-gazetteer FILE[,FILE]: the characters also read the entities of other files, merged and saved in the model; a corpus cannot be its own', () => {
    const tiny = join(dir, 'xgaz-train.txt');
    writeFileSync(tiny, '李 B-PER\n鹏 I-PER\n去 O\n上 B-LOC\n海 I-LOC\n\n'.repeat(8));
    const other = join(dir, 'xgaz-other.txt');
    writeFileSync(other, '朱 B-PER\n镕 I-PER\n基 I-PER\n\n天 B-LOC\n津 I-LOC\n\n');
    const m = join(dir, 'xgaz.safetensors');
    const args = ['--epochs', '2', '--batch', '4', '--units', '8', '--embed', '4', '--no-chart'];
    const t = cli(['ner', 'train', '--train', tiny, '--test', tiny, '--external-gazetteer', other, '--out', m, ...args]);
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/external gazetteer: the entities of .*xgaz-other\.txt: 1 LOC, 1 PER/);
    expect(t.stdout).toMatch(/and external gazetteer bits/);
    const r = cli(['ner', 'run', '--model', m, '--text', '朱镕基去天津']);
    expect(r.status).toBe(0);
    const again = EntityRecognizer.load(new Uint8Array(readFileSync(m)));
    try {
      expect(again.externalGazetteer).toEqual({ LOC: ['天津'], PER: ['朱镕基'] });
    } finally {
      again.dispose();
    }
    // two sources, merged type by type
    const third = join(dir, 'xgaz-third.txt');
    writeFileSync(third, '上 B-LOC\n海 I-LOC\n\n新 B-ORG\n华 I-ORG\n社 I-ORG\n\n');
    const two = cli(['ner', 'train', '--train', tiny, '--test', tiny, '--external-gazetteer', `${other},${third}`, '--out', m, ...args]);
    expect(two.stderr).toBe('');
    expect(two.stdout).toMatch(/external gazetteer, merged: 2 LOC, 1 ORG, 1 PER/);
    const merged = EntityRecognizer.load(new Uint8Array(readFileSync(m)));
    try {
      expect(merged.externalGazetteer).toEqual({ LOC: ['上海', '天津'], ORG: ['新华社'], PER: ['朱镕基'] });
    } finally {
      merged.dispose();
    }
    const offToo = cli(['ner', 'train', '--train', tiny, '--test', tiny, '--external-gazetteer', `${other},off`, '--out', m, ...args]);
    expect(offToo.status).toBe(2);
    expect(offToo.stderr).toMatch(/give off alone, or sources separated by commas/);
    const self = cli(['ner', 'train', '--corpus', 'msra', '--external-gazetteer', 'msra']);
    expect(self.status).toBe(2);
    expect(self.stderr).toMatch(/E_OPTION: --external-gazetteer msra would read the entities of the test split itself/);
    const missing = cli(['ner', 'train', '--train', tiny, '--test', tiny, '--external-gazetteer', join(dir, 'nope.txt'), '--out', m, ...args]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.txt/);
  });

  it('refuses bad input clearly: a model of another task, a line without a tag, an unknown scheme, an empty file', () => {
    const tag = join(dir, 'pos.safetensors');
    const t = cli(['tag', 'train', '--corpus', PD, '--test', PD, '--epochs', '1', '--units', '4', '--embed', '4', '--out', tag, '--no-chart']);
    expect(t.status).toBe(0);
    let r = cli(['ner', 'run', '--model', tag, '--text', '北京']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_FORMAT: .*not an entity model: its tags \(.*\) are not entity tags/);
    const notTagged = join(dir, 'bad.txt');
    writeFileSync(notTagged, '北 B-LOC\n京\n');
    r = cli(['ner', 'train', '--train', notTagged, '--test', MSRA]);
    expect(r.stderr).toMatch(/E_FORMAT: .*bad\.txt line 2/);
    const scheme = join(dir, 'scheme.txt');
    writeFileSync(scheme, '北 X-LOC\n京 Y-LOC\n');
    r = cli(['ner', 'train', '--train', scheme, '--test', scheme, '--no-chart', '--out', join(dir, 'x.safetensors')]);
    expect(r.stderr).toMatch(/E_FORMAT: the tag "X-LOC" is not an entity tag/);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    r = cli(['ner', 'train', '--train', empty, '--test', MSRA]);
    expect(r.stderr).toMatch(/E_FORMAT: .*empty\.txt is empty/);
    r = cli(['ner', 'train', '--corpus', 'msra', '--train', MSRA]);
    expect(r.stderr).toMatch(/E_OPTION/);
  });
});

describe('recurrent tag and classify on Chinese', () => {
  it("tag train reads People's Daily word/TAG lines with --test and scores both baselines", () => {
    const r = cli([
      'tag',
      'train',
      '--train',
      PD,
      '--test',
      PD,
      '--epochs',
      '1',
      '--units',
      '8',
      '--embed',
      '8',
      '--out',
      join(dir, 'pd.safetensors'),
      '--no-chart',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/15 training sentences \(722 tokens\), 15 test sentences \(722 tokens\)/);
    expect(r.stdout).toMatch(/baseline \(bigram HMM\): [\d.]+% of 722 tokens/);
  });

  it('classify train on labelled texts goes over characters against naive Bayes over bigrams', () => {
    const tr = join(dir, 'tr.txt');
    const te = join(dir, 'te.txt');
    writeFileSync(tr, 'pos\t很好用，推荐\nneg\t太差了，不推荐\npos\t质量不错\nneg\t质量太差\npos\t非常满意\nneg\t很失望\n');
    writeFileSync(te, 'pos\t很满意\nneg\t太失望了\n');
    const r = cli([
      'classify',
      'train',
      '--train',
      tr,
      '--test',
      te,
      '--dev',
      te,
      '--epochs',
      '2',
      '--units',
      '4',
      '--embed',
      '4',
      '--out',
      join(dir, 'c.safetensors'),
      '--no-chart',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/6 training texts \(3 neg, 3 pos\), 2 dev \(scored after each epoch, not used for training\), 2 test \(1 neg, 1 pos\)/);
    expect(r.stdout).toMatch(/ {2}epoch 1: dev accuracy [\d.]+%; with the n-gram model \(weight [\d.]+\) [\d.]+% \(best so far, kept\)/);
    expect(r.stdout).toMatch(/kept the model of epoch [12] \(dev accuracy [\d.]+%, with the n-gram model at weight [\d.]+ [\d.]+%\)/);
    expect(r.stdout).toMatch(/baseline \(multinomial naive Bayes over character bigrams, alpha 1\): accuracy [\d.]+%/);
    expect(r.stdout).toMatch(/baseline \(logistic regression over naive-Bayes-scaled character 1-3-grams, \d+ seen in 2\+ texts; NBSVM\): accuracy [\d.]+%/);
    expect(r.stdout).toMatch(/-> gru bi 4 \(every step\) -> dense, scores averaged over the steps 2/);
    expect(r.stdout).toMatch(/GRU bi 4 network alone: accuracy [\d.]+%/);
    expect(r.stdout).toMatch(/GRU bi 4 \+ n-gram model \(weight [\d.]+\) classifier: accuracy [\d.]+%/);
    // classify run reads the text as characters and names the classes it was trained with
    const run = cli(['classify', 'run', '--model', join(dir, 'c.safetensors'), '--text', '很满意']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^P\(pos\) = [01]\.\d{4}: (pos|neg)\n$/);
    const bad = join(dir, 'nolabel.txt');
    writeFileSync(bad, '很好用\n');
    const e = cli(['classify', 'train', '--train', bad, '--test', te]);
    expect(e.stderr).toMatch(/E_FORMAT: .*nolabel\.txt line 1: not a labelled text/);
    expect(cli(['classify', 'train', '--bigrams', '2']).stderr).toMatch(/E_OPTION: --bigrams is for texts read over characters/);
    // --char-bigrams: each step reads its character and its bigram, saved and read back
    const slots = cli([
      'classify',
      'train',
      '--train',
      tr,
      '--test',
      te,
      '--epochs',
      '1',
      '--units',
      '4',
      '--embed',
      '4',
      '--char-bigrams',
      '--out',
      join(dir, 'c3.safetensors'),
      '--no-chart',
    ]);
    expect(slots.stderr).toBe('');
    expect(slots.stdout).toMatch(/and of their bigrams with the next character seen twice \(2 ids a step, concatenated\)/);
    expect(cli(['classify', 'run', '--model', join(dir, 'c3.safetensors'), '--text', '很满意']).stdout).toMatch(/^P\(pos\) = [01]\.\d{4}: (pos|neg)\n$/);
    expect(cli(['classify', 'train', '--train', tr, '--test', te, '--char-bigrams', '--bigrams', '2']).stderr).toMatch(
      /E_OPTION: --char-bigrams .*leave out --bigrams/,
    );
    expect(cli(['classify', 'train', '--char-bigrams']).stderr).toMatch(/E_OPTION: --char-bigrams is for texts read over characters/);
    // three networks kept together (an ensemble in one file; the first two scored on dev on
    // the way), read back by classify run
    const two = cli([
      'classify',
      'train',
      '--train',
      tr,
      '--test',
      te,
      '--dev',
      te,
      '--epochs',
      '1',
      '--units',
      '4',
      '--embed',
      '4',
      '--networks',
      '3',
      '--out',
      join(dir, 'c2.safetensors'),
      '--no-chart',
    ]);
    expect(two.stderr).toBe('');
    expect(two.stdout).toMatch(/network 3\/3 \(seed 3/);
    expect(two.stdout).toMatch(/ {2}the first 2 networks together: dev accuracy [\d.]+%, with the n-gram model at weight [\d.]+ [\d.]+%/);
    expect(two.stdout).not.toMatch(/the first 3 networks/);
    expect(two.stdout).toMatch(/the 3 networks together: dev accuracy [\d.]+%, with the n-gram model at weight [\d.]+ [\d.]+%/);
    expect(two.stdout).toMatch(/GRU bi 4 x3 \+ n-gram model \(weight [\d.]+\) classifier: accuracy [\d.]+%/);
    expect(cli(['classify', 'run', '--model', join(dir, 'c2.safetensors'), '--text', '很满意']).stdout).toMatch(/^P\(pos\) = [01]\.\d{4}: (pos|neg)\n$/);
    // --workers 2: the same three networks, two at a time in worker threads, train to the same
    // weights (the same batches through the same fit engine), so every score is the same
    const both = cli([
      'classify',
      'train',
      ...['--train', tr, '--test', te, '--dev', te, '--epochs', '1', '--units', '4', '--embed', '4', '--networks', '3', '--workers', '2'],
      ...['--out', join(dir, 'c4.safetensors'), '--no-chart'],
    ]);
    expect(both.stderr).toBe('');
    expect(both.stdout).toMatch(/networks 1-2\/3 \(seeds 1-2, each in a worker thread\):/);
    expect(both.stdout).toMatch(/ {2}network 2: epoch 1: dev accuracy/);
    const scores = (o: string) => o.split('\n').filter((l) => /together|classifier: accuracy|alone: accuracy/.test(l));
    expect(scores(both.stdout).length).toBeGreaterThanOrEqual(3);
    expect(scores(both.stdout).map((l) => l.replace(/\[training .*?;/, ''))).toEqual(scores(two.stdout).map((l) => l.replace(/\[training .*?;/, '')));
    expect(cli(['classify', 'train', '--workers', '2']).stderr).toMatch(/E_OPTION: --workers is for texts read over characters/);
    expect(cli(['classify', 'train', '--pooling', 'mean']).stderr).toMatch(/E_OPTION: --pooling is for texts read over characters/);
    expect(cli(['classify', 'train', '--ngrams', '3']).stderr).toMatch(/E_OPTION: --ngrams is for texts read over characters/);
  });

  it('own files need both --train and --test', () => {
    for (const verb of ['ner', 'classify']) {
      const r = cli([verb, 'train', '--train', MSRA]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/needs both --train FILE and --test FILE/);
    }
  });
});
