// The recurrent command line, end to end: a few training steps on Moby Dick, a checkpoint and
// its picture, generation from it, conformance, help and version, and one-line errors for bad
// flags, values, files and output paths (before any training).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

describe('recurrent CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-cli-'));
  const model = join(dir, 'md.safetensors');

  it('train: a short run reports bits per character, a sample, and saves a checkpoint and its picture', () => {
    // old spellings (--hidden, --seq-len) are aliases of --units and --window
    const r = cli(
      'train',
      '--time-budget',
      '9m30s',
      '--epochs',
      '2',
      '--steps-per-epoch',
      '3',
      '--hidden',
      '24',
      '--embed',
      '8',
      '--batch',
      '4',
      '--seq-len',
      '16',
      '--sample',
      '20',
      '--out',
      model,
    );
    expect(r.stderr).not.toMatch(/recurrent:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/data: Moby Dick, 1,078,385 training and 107,013 validation characters, vocabulary 81/);
    // a fixed plan this small (6 batches) is regularised by its size: no dropout
    expect(r.stdout).toMatch(/regularisation: 0\.0 passes over the training text, so no dropout/);
    expect(r.stdout).toMatch(/gru 24x1 -> dense 81/);
    // --workers auto by default: one replica per core, or one worker thread on a 1-core machine
    expect(r.stdout).toMatch(availableParallelism() > 1 ? /training on \d+ worker replicas \(data-parallel; auto: / : /training in a worker thread/);
    // and by the first step it has measured how many pay, and says so
    if (availableParallelism() > 1) expect(r.stdout).toMatch(/workers: \d+ \(auto: \d+ replicas measured [\d.]+× one/);
    expect(r.stdout).toMatch(/2 epochs x 3 batches of 4x16, .* budget 9m30s/);
    expect(r.stdout).toMatch(/epoch 1\/2: train \d+\.\d+ bpc, validation \d+\.\d+ bpc/);
    expect(r.stdout).toMatch(/epoch 2\/2: train/);
    expect(r.stdout).toMatch(/sample: "The whale /);
    expect(r.stdout).toMatch(/done \(completed\): 2 epochs/);
    expect(existsSync(model)).toBe(true);
    // the picture next to the model: loss per step (6 steps) and validation per epoch (2 dots)
    const svg = readFileSync(join(dir, 'md.svg'), 'utf8');
    expect(r.stdout).toContain(`picture: ${join(dir, 'md.svg')}`);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('bits per character');
    expect(svg.match(/<polyline [^>]*points="([^"]*)"/)![1].split(' ')).toHaveLength(6);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(readdirSync(dir).sort()).toEqual(['md.safetensors', 'md.svg']); // no temporary files left
  });

  it('train: with a budget and no fixed plan, it measures this host and plans epochs x batches to fill the budget', () => {
    const out = join(dir, 'planned.safetensors');
    const r = cli(
      'train',
      '--time-budget',
      '8s',
      '--units',
      '8',
      '--embed',
      '4',
      '--batch',
      '4',
      '--window',
      '16',
      '--sample',
      '0',
      '--workers',
      '1',
      '--no-chart',
      '--out',
      out,
    );
    expect(r.stderr).not.toMatch(/recurrent:/);
    expect(r.status).toBe(0);
    const plan = r.stdout.match(/plan: ([\d,]+) tok\/s measured here, .* per validation and checkpoint, .* to measure; (\d+) epochs x (\d+) batches \(/);
    expect(plan, r.stdout).not.toBeNull();
    const [, rate, epochs, steps] = plan!;
    expect(Number(rate.replace(/,/g, ''))).toBeGreaterThan(0);
    // the run follows the plan, and its cosine schedule spans the planned epochs
    expect(r.stdout).toContain(`training: ${epochs} epochs x ${steps} batches of 4x16`);
    expect(r.stdout).toContain(`cosine schedule over ${epochs} epochs, budget 8s`);
    // the plan's regularisation: a few passes over the text at this size, so no dropout
    expect(r.stdout).toMatch(/to measure; .* \d+\.\d passes over the training text, so no dropout\n/);
    expect(r.stdout).toMatch(/model: embedding 4 -> gru 8x1 -> dense \d+,/);
    expect(r.stdout).toMatch(/validation: \d+\.\d+ bits per character/);
  });

  it('train --resume continues from the checkpoint', () => {
    const r = cli('train', '--resume', model, '--epochs', '3', '--steps-per-epoch', '3', '--batch', '4', '--seq-len', '16', '--sample', '0', '--out', model);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/resuming .* at epoch 3, step 6/);
    expect(r.stdout).toMatch(/epoch 3\/3: train/);
    expect(r.stdout).not.toMatch(/epoch 1\/3/);
  });

  it('train --workers 2 trains data-parallel on two replicas; a bad --workers is a one-line error', () => {
    const out = join(dir, 'dp.safetensors');
    const r = cli(
      'train',
      '--workers',
      '2',
      '--epochs',
      '1',
      '--steps-per-epoch',
      '2',
      '--units',
      '8',
      '--embed',
      '4',
      '--batch',
      '4',
      '--window',
      '8',
      '--sample',
      '0',
      '--no-chart',
      '--out',
      out,
    );
    expect(r.stderr).not.toMatch(/recurrent:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/training on 2 worker replicas \(data-parallel; synchronising through shared memory\)/);
    expect(r.stdout).toMatch(/done \(completed\): 1 epochs/);
    expect(existsSync(out)).toBe(true);
    const bad = cli('train', '--workers', 'two', '--out', join(dir, 'never.safetensors'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--workers/);
  });

  it('generate: samples from the saved model, deterministically', () => {
    const a = cli('generate', '--model', model, '--prompt', 'Call me ', '--length', '30', '--seed', '3');
    const b = cli('generate', '--model', model, '--prompt', 'Call me ', '--length', '30', '--seed', '3');
    expect(a.status).toBe(0);
    expect(a.stdout.startsWith('Call me ')).toBe(true);
    expect(Array.from(a.stdout.trimEnd()).length).toBe(38);
    expect(a.stdout).toBe(b.stdout);
  });

  it('conformance: the shipped fixtures pass and the summary is the last line', () => {
    const r = cli('conformance', 'test/fixtures/torch', '--quiet');
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('32 passed, 0 failed');
  });

  it('--time-budget bounds the run: a billion updates stop at the budget', () => {
    const out = join(dir, 'budget.safetensors');
    const r = cli(
      'train',
      '--epochs',
      '1000',
      '--steps-per-epoch',
      '1000000',
      '--batch',
      '2',
      '--window',
      '8',
      '--units',
      '8',
      '--embed',
      '4',
      '--sample',
      '0',
      '--time-budget',
      '1s',
      '--no-chart',
      '--no-worker',
      '--out',
      out,
    );
    expect(r.stderr).not.toMatch(/recurrent:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/training in the main thread/);
    expect(r.stdout).toMatch(/done \(timeBudget\): 0 epochs/);
    expect(existsSync(out)).toBe(true);
  });

  it('help on every verb and sub-verb, with an example; --version', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const v = cli('--version');
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const cases = [
      ['-h'],
      ['--help'],
      ['help'],
      ['help', 'train'],
      ['train', '--help'],
      ['generate', '-h'],
      ['segment', '--help'],
      ['segment', 'train', '-h'],
      ['segment', 'run', '--help'],
      ['tag', '--help'],
      ['tag', 'train', '-h'],
      ['tag', 'run', '--help'],
      ['classify', '-h'],
      ['classify', 'train', '--help'],
      ['classify', 'run', '-h'],
      ['g2p', '--help'],
      ['g2p', 'train', '-h'],
      ['g2p', 'run', '--help'],
      ['forecast', '--help'],
      ['classic', '-h'],
      ['gradients', '--help'],
      ['speech', '--help'],
      ['speech', 'train', '-h'],
      ['speech', 'run', '--help'],
      ['conformance', '--help'],
      ['export', '-h'],
    ];
    for (const args of cases) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.stdout, args.join(' ')).toMatch(/^usage: recurrent/);
      expect(r.stdout, args.join(' ')).toMatch(/\nexamples?:\n {2}recurrent /);
    }
    const g2pRun = cli('g2p', 'run', '--help').stdout;
    expect(g2pRun).toMatch(/--n-best N/);
    expect(g2pRun).not.toMatch(/--lexicon/);
  });

  it('the output path is checked before training: a directory or an unwritable place fails at once', () => {
    for (const verb of [['train'], ['segment', 'train'], ['tag', 'train'], ['classify', 'train'], ['g2p', 'train']]) {
      for (const out of [dir, '/proc/nonexistent/x']) {
        const r = cli(...verb, '--out', out);
        expect(r.status, `${verb.join(' ')} --out ${out}`).toBe(2);
        expect(r.stdout, 'nothing was loaded or trained').toBe('');
        expect(r.stderr).toMatch(/^recurrent: E_OPTION: --out .*(is a directory|cannot create directory|cannot write in)/);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      }
    }
    const r = cli('segment', 'run', '--model', model, '--text', 'abc', '--out', dir);
    expect(r.stderr).toMatch(/^recurrent: E_OPTION: --out .* is a directory/);
  });

  it('bad flags, values and files get clear errors and a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--hiden', '3'], /E_OPTION: unknown flag --hiden for recurrent train \(did you mean --hidden\?\)/],
      [['train', '--hidden', '-1'], /E_RANGE: --hidden must be an integer in \[1, 4294967295\] \(got '-1'\)/],
      [['train', '--units', '2.5'], /E_RANGE: --units must be an integer/],
      [
        ['train', '--steps-per-epoch', '1000000000', '--time-budget', '3s'],
        /E_RANGE: --steps-per-epoch x --batch must be at most 16,777,216 windows per epoch/,
      ],
      [['generate', '--model', model, '--prompt', 'x', '--length', '4294967296'], /E_RANGE: --length must be an integer in \[0, 4294967295\]/],
      [['generate', '--model', model, '--prompt', 'x', '--max-tokens', '1e10'], /E_RANGE: --max-tokens must be an integer/],
      [['forecast', '--time-budget', '9q'], /E_OPTION: --time-budget must be a duration like 90s, 9m30s, 1h or 500ms/],
      [['g2p', 'run', '--model', model, '--n-best', '9', '--beam', '2', 'word'], /E_RANGE: --n-best must be an integer in \[1, 2\]/],
      [['train', '--cell', 'transformer'], /--cell must be one of lstm, gru, rnn_tanh, rnn_relu/],
      [['train', '--lr', 'fast'], /--lr must be a number/],
      [['train', '--time-budget', 'soon'], /--time-budget must be a duration/],
      [['generate', '--model', join(dir, 'missing.safetensors'), '--prompt', 'x'], /E_FORMAT: cannot read model file .*missing\.safetensors/],
      [['generate', '--prompt', 'x'], /--model FILE is required/],
      [['conformance', join(dir, 'nothing-here')], /no such file or directory/],
      [['fly'], /unknown command 'fly'/],
      [['conformance'], /E_OPTION: give a fixture file or directory/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr.trimEnd().split('\n'), `${args.join(' ')}: one line`).toHaveLength(1);
    }
  });
});
