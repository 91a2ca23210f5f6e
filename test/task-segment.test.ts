// Word segmentation as BMES tagging: tag conversion and corpus reading on hand-made cases
// (Chinese lines in the SIGHAN format included), bad corpora, the longest-match baseline, the
// CRF head through wasm (decode = brute force, saved and loaded), a short training budget on
// Moby Dick that beats the baseline on held-out chapters with both the BiLSTM tagger and the
// BiLSTM-CRF, and the `recurrent segment` command on a Chinese corpus.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMobyDick } from '../ts/cli/corpora/mobydick.js';
import { init, sequential } from '../ts/index.js';
import {
  charVocabulary,
  chunkWords,
  LongestMatchSegmenter,
  parseSegmentedCorpus,
  proseToSentences,
  Segmenter,
  segmentationScore,
  tagsToWords,
  trainSegmenter,
  wordsToTags,
} from '../ts/tasks/index.js';
import { expectError, ROOT } from './helpers.js';

const [B, M, E, S] = [0, 1, 2, 3];

beforeAll(async () => {
  await init();
});

const CHINESE_TRAIN = [
  '我 喜欢 北京',
  '北京 是 中国 的 首都',
  '我们 在 北京 学习 中文',
  '他 喜欢 学习',
  '中国 人民 喜欢 和平',
  '我 是 学生',
  '他们 是 中国 学生',
  '学生 们 在 学校 学习',
  '今天 天气 很 好',
  '我 今天 去 学校',
];

describe('BMES tags', () => {
  it('words → characters and tags, and back', () => {
    const { chars, tags } = wordsToTags(['Call', 'me', 'I', '北京大学']);
    expect(chars.join('')).toBe('CallmeI北京大学');
    expect(tags).toEqual([B, M, M, E, B, E, S, B, M, M, E]);
    expect(tagsToWords(chars, tags)).toEqual(['Call', 'me', 'I', '北京大学']);
    // astral characters are one character each
    expect(wordsToTags(['𠀀𠀁', 'a'])).toEqual({ chars: ['𠀀', '𠀁', 'a'], tags: [B, E, S] });
  });

  it('any tag sequence decodes to a segmentation of exactly the characters', () => {
    const cs = Array.from('abcdef');
    expect(tagsToWords(cs, [B, B, E, M, S, M])).toEqual(['a', 'bc', 'd', 'e', 'f']);
    expect(tagsToWords(cs, [M, M, M, M, M, M])).toEqual(['abcdef']);
    expect(tagsToWords(cs, [E, E, E, S, S, B])).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('long sentences are cut into pieces at word boundaries', () => {
    expect(chunkWords(['aaa', 'bb', 'c', 'dddd', 'eeeeeeeee'], 6)).toEqual([['aaa', 'bb', 'c'], ['dddd'], ['eeeeeeeee']]);
  });

  it('prose becomes sentences ending at . ! or ?', () => {
    expect(proseToSentences('Call me Ishmael. Some years ago—never mind how long!\n\nIt is a "way?" I have')).toEqual([
      ['Call', 'me', 'Ishmael.'],
      ['Some', 'years', 'ago—never', 'mind', 'how', 'long!'],
      ['It', 'is', 'a', '"way?"'],
      ['I', 'have'],
    ]);
  });
});

describe('SIGHAN corpora', () => {
  it('reads Chinese lines (UTF-8 bytes, BOM, CRLF, ideographic spaces, blank lines)', () => {
    const text = `\uFEFF${CHINESE_TRAIN.slice(0, 3).join('\r\n')}\r\n\r\n他　喜欢　学习\n`;
    const c = parseSegmentedCorpus(new TextEncoder().encode(text));
    expect(c).toEqual([
      ['我', '喜欢', '北京'],
      ['北京', '是', '中国', '的', '首都'],
      ['我们', '在', '北京', '学习', '中文'],
      ['他', '喜欢', '学习'],
    ]);
    const v = charVocabulary(c);
    expect(v.unk).toBe('\uFFFD');
    expect(v.has('京') && !v.has('天')).toBe(true);
    expect(Array.from(v.encode(Array.from('天京')))).toEqual([v.id('\uFFFD'), v.id('京')]);
  });

  it('bad corpora get clear E_FORMAT errors', () => {
    expectError(() => parseSegmentedCorpus(new Uint8Array(0), { name: 'a.txt' }), TypeError, 'E_FORMAT', /a\.txt is empty/);
    expectError(() => parseSegmentedCorpus(''), TypeError, 'E_FORMAT', /empty/);
    // 中文 in GBK, followed by a space and ASCII
    const gbk = new Uint8Array([0x41, 0x20, 0xd6, 0xd0, 0xce, 0xc4, 0x20, 0x42]);
    expectError(() => parseSegmentedCorpus(gbk, { name: 'pku.txt' }), TypeError, 'E_FORMAT', /pku\.txt is not valid UTF-8 \(first bad byte at offset 3\).*GBK/);
    const utf16 = new Uint8Array([0xff, 0xfe, 0x11, 0x62, 0x20, 0x00]);
    expectError(() => parseSegmentedCorpus(utf16), TypeError, 'E_FORMAT', /UTF-16/);
    expectError(() => parseSegmentedCorpus('a\u0000b c\n'), TypeError, 'E_FORMAT', /line 1: control character U\+0000 \(a NUL/);
    expectError(() => parseSegmentedCorpus('\n  \n\u3000\n'), TypeError, 'E_FORMAT', /has no words/);
    expectError(() => parseSegmentedCorpus('我喜欢北京\n他是学生\n'), TypeError, 'E_FORMAT', /no word boundaries/);
    // raw text to segment needs no boundaries
    expect(parseSegmentedCorpus('我喜欢北京\n', { requireBoundaries: false })).toEqual([['我喜欢北京']]);
  });
});

describe('greedy longest match (the baseline)', () => {
  it('takes the longest dictionary word at each position, else one character', () => {
    const lm = new LongestMatchSegmenter(['北京', '大学', '北京大学', '学生', '生']);
    expect(lm.segment('北京大学生')).toEqual(['北京大学', '生']);
    expect(lm.segment('我在北京')).toEqual(['我', '在', '北京']);
    expect(lm.segment(['大', '学', '生'])).toEqual(['大学', '生']);
    const en = LongestMatchSegmenter.fromCorpus([['the', 'whale'], ['thew']]);
    expect(en.segment('the whale')).toEqual(['thew', 'h', 'a', 'l', 'e']);
    expect(en.maxLen).toBe(5);
  });
});

describe('character bigram inputs', () => {
  it('the vocabulary holds the frequent bigrams, each step reads its own, and the model file keeps that', async () => {
    const corpus = parseSegmentedCorpus(CHINESE_TRAIN.join('\n'));
    const vocab = charVocabulary(corpus, { bigrams: 3 });
    // 北京 (3 times), 学习 (4), 喜欢 (3), 中国 (3), 学生 (3) are in; 首都 (once) is not
    expect(['北京', '学习', '喜欢', '中国', '学生'].every((b) => vocab.has(b))).toBe(true);
    expect(vocab.has('首都')).toBe(false);
    expect(charVocabulary(corpus).has('北京')).toBe(false);
    const seg = await trainSegmenter(corpus, {
      bigrams: 2,
      lrDecay: 0.9,
      decayEvery: 50,
      steps: 200,
      hidden: 16,
      embed: 8,
      batchSize: 10,
      seed: 1,
      optimizer: { name: 'adam', lr: 0.03 },
    });
    try {
      expect(seg.bigrams).toBe(true);
      // 200 updates in periods of 50, the rate times 0.9 after each
      expect(seg.session.model.learningRate).toBeCloseTo(0.03 * 0.9 ** 4, 6);
      // 喜欢 and 北京 were seen 3 times, 我喜 and 欢北 once; the last step reads its character
      expect(Array.from(seg.encode(Array.from('我喜欢北京')))).toEqual(['我', '喜欢', '欢', '北京', '京'].map((t) => seg.vocab.id(t)));
      expect(seg.evaluate(corpus).f1).toBeGreaterThan(0.9);
      const again = Segmenter.load(seg.save());
      expect(again.bigrams).toBe(true);
      expect(again.segment(['我们喜欢北京'])).toEqual(seg.segment(['我们喜欢北京']));
      again.dispose();
    } finally {
      seg.dispose();
    }
    expectError(() => charVocabulary(corpus, { bigrams: -1 }), RangeError, 'E_RANGE');
    await expect(trainSegmenter(corpus, { lrDecay: 0, steps: 1 })).rejects.toMatchObject({ code: 'E_RANGE' });
    const constant = await trainSegmenter(corpus, { lrDecay: 1, steps: 2, hidden: 4, embed: 4, optimizer: { name: 'adam', lr: 0.03 } });
    expect(constant.session.model.learningRate).toBeCloseTo(0.03, 6);
    constant.dispose();
  });
});

describe('CRF head through wasm', () => {
  it('decode() is the brute-force best path, padded steps are -1, and save/load keeps it', () => {
    const K = 4;
    const m = sequential({ input: { vocab: 7 } })
      .embedding({ dim: 3 })
      .lstm({ units: 5, bidirectional: true })
      .dense({ units: K })
      .crf()
      .build({ seed: 3 });
    expect(m.hasCrf).toBe(true);
    expect(m.paramNames().slice(-3)).toEqual(['crf.transitions', 'crf.start_transitions', 'crf.end_transitions']);
    m.setParam(
      'crf.transitions',
      Float32Array.from({ length: K * K }, (_, i) => Math.sin(i * 1.7) * 2),
    );
    const input = { ids: [1, 2, 3, 4, 5, 0, 6, 6, 1, 0], batch: 2, steps: 5, lengths: [5, 3] };
    const em = m.forward(input);
    const paths = m.decode(input);
    const tr = m.getParam('crf.transitions');
    const st = m.getParam('crf.start_transitions');
    const en = m.getParam('crf.end_transitions');
    for (let r = 0; r < 2; r++) {
      const l = input.lengths[r];
      let best = -Infinity;
      let bestPath: number[] = [];
      for (let x = 0; x < K ** l; x++) {
        const y = Array.from({ length: l }, (_, t) => Math.floor(x / K ** (l - 1 - t)) % K);
        let s = st[y[0]] + en[y[l - 1]];
        for (let t = 0; t < l; t++) s += em[(r * 5 + t) * K + y[t]] + (t > 0 ? tr[y[t - 1] * K + y[t]] : 0);
        if (s > best) {
          best = s;
          bestPath = y;
        }
      }
      expect(Array.from(paths.subarray(r * 5, r * 5 + l))).toEqual(bestPath);
    }
    expect(Array.from(paths.subarray(8))).toEqual([-1, -1]);
    // the crf loss is the default for a CRF model, and a valid step without a tag is an error
    m.compile({ optimizer: { name: 'adam', lr: 0.01 } });
    expect(m.compiled?.loss).toBe('crf');
    m.forward(input);
    expectError(() => m.loss({ classes: [0, 1, 2, 3, -100, 0, 1, 2, -100, -100] }), RangeError, 'E_RANGE', /targets\[4\]/);
    expect(m.loss({ classes: [0, 1, 2, 3, 0, 0, 1, 2, -100, -100] }).count).toBe(8);
    m.dispose();
  });

  it('.crf() must come last and after a per-step layer', () => {
    const b = sequential({ input: { vocab: 5 } })
      .embedding({ dim: 3 })
      .gru({ units: 4, returnSequences: false });
    // biome-ignore lint/suspicious/noExplicitAny: calls what the builder types forbid, to test the runtime check
    expectError(() => (b as any).crf(), TypeError, 'E_OPTION', /crf cannot follow one vector per sequence/);
    const c = sequential({ input: { vocab: 5 } })
      .embedding({ dim: 3 })
      .dense({ units: 4 })
      .crf();
    // biome-ignore lint/suspicious/noExplicitAny: calls what the builder types forbid, to test the runtime check
    expectError(() => (c as any).dense({ units: 2 }), TypeError, 'E_OPTION', /dense cannot follow the crf head/);
  });
});

describe('Moby Dick without spaces (short budget)', () => {
  let train: string[][];
  let heldOut: string[][];
  let baselineF1: number;

  beforeAll(async () => {
    const md = await loadMobyDick();
    train = proseToSentences(md.train);
    heldOut = proseToSentences(md.validation).slice(0, 300);
    const lm = LongestMatchSegmenter.fromCorpus(train);
    baselineF1 = segmentationScore(
      heldOut,
      heldOut.map((s) => lm.segment(s.join(''))),
    ).f1;
  });

  it('the longest-match baseline is scored on held-out chapters', () => {
    // chapters 126-135 only; its dictionary comes from chapters 1-125
    expect(heldOut.flat().length).toBeGreaterThan(5000);
    expect(baselineF1).toBeGreaterThan(0.5);
    expect(baselineF1).toBeLessThan(0.8);
  });

  for (const crf of [false, true]) {
    it(`a BiLSTM${crf ? '-CRF' : ' tagger'} beats it after 400 steps`, async () => {
      const seg = await trainSegmenter(train, { crf, steps: 400, batchSize: 16, maxChars: 60, hidden: 32, embed: 16, seed: 1 });
      try {
        expect(seg.crf).toBe(crf);
        const score = seg.evaluate(heldOut);
        expect(score.goldWords).toBe(heldOut.flat().length);
        expect(score.f1).toBeGreaterThan(baselineF1 + 0.03);
        // a saved model segments the same way after loading
        const texts = heldOut.slice(0, 20).map((s) => s.join(''));
        const again = Segmenter.load(seg.save());
        try {
          expect(again.crf).toBe(crf);
          expect(again.segment(texts)).toEqual(seg.segment(texts));
        } finally {
          again.dispose();
        }
      } finally {
        seg.dispose();
      }
    });
  }
});

describe('recurrent segment (CLI) on a Chinese corpus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-segment-'));
  const corpus = join(dir, 'train.txt');
  const test = join(dir, 'test.txt');
  const model = join(dir, 'zh.safetensors');
  writeFileSync(corpus, `${CHINESE_TRAIN.join('\n')}\n`);
  writeFileSync(test, '我们 喜欢 学习\n他们 在 学校\n');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, 'segment', ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

  it('train reads the SIGHAN file, scores the baseline and the model, and saves it', () => {
    const r = cli(
      'train',
      '--corpus',
      corpus,
      '--test',
      test,
      '--steps',
      '150',
      '--hidden',
      '16',
      '--embed',
      '8',
      '--batch',
      '10',
      '--lr',
      '0.03',
      '--out',
      model,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/10 training sentences \(66 characters\), 2 test sentences \(6 words\)/);
    expect(r.stdout).toMatch(/baseline \(greedy longest match, 2\d-word training dictionary\): P [\d.]+ {2}R [\d.]+ {2}F1 [\d.]+/);
    expect(r.stdout).toMatch(/BiLSTM-CRF: P [\d.]+ {2}R [\d.]+ {2}F1 [\d.]+/);
    expect(existsSync(model)).toBe(true);
  });

  it('run segments raw Chinese text and scores a gold file', () => {
    const r = cli('run', '--model', model, '--text', '我喜欢北京\n他们是学生');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.replace(/ /g, ''))).toEqual(['我喜欢北京', '他们是学生']);
    // the lines it was trained on: it has fitted them
    const g = cli('run', '--model', model, '--gold', corpus);
    expect(g.status).toBe(0);
    const f1 = Number(/F1 ([\d.]+)/.exec(g.stdout)![1]);
    expect(f1).toBeGreaterThan(90);
  });

  it('bad corpora and flags get clear errors', () => {
    const gbk = join(dir, 'gbk.txt');
    writeFileSync(gbk, Buffer.from([0xce, 0xd2, 0x20, 0xcf, 0xb2, 0xbb, 0xb6, 0x0a]));
    let r = cli('train', '--corpus', gbk);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_FORMAT: .*gbk\.txt is not valid UTF-8/);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    r = cli('train', '--corpus', empty);
    expect(r.stderr).toMatch(/E_FORMAT: .*empty\.txt is empty/);
    const raw = join(dir, 'raw.txt');
    writeFileSync(raw, '我喜欢北京\n\n他是学生\n');
    r = cli('train', '--corpus', raw);
    expect(r.stderr).toMatch(/E_FORMAT: .*no word boundaries/);
    r = cli('run', '--model', model);
    expect(r.stderr).toMatch(/E_OPTION: segment run needs exactly one of --input/);
    r = cli('train', '--arch', 'hmm');
    expect(r.stderr).toMatch(/E_OPTION: --arch must be one of crf, tagger/);
  });
});
