// The recurrent command line, end to end: a few training steps on Moby Dick, a checkpoint,
// generation from it, conformance, and clear errors for bad flags and files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

describe('recurrent CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-cli-'));
  const model = join(dir, 'md.safetensors');

  it('train: a short run reports bits per character, a sample, and saves a checkpoint', () => {
    const r = cli(
      'train',
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
    expect(r.stdout).toMatch(/training in a worker thread/);
    expect(r.stdout).toMatch(/epoch 1\/2: train \d+\.\d+ bpc, validation \d+\.\d+ bpc/);
    expect(r.stdout).toMatch(/epoch 2\/2: train/);
    expect(r.stdout).toMatch(/sample: "The whale /);
    expect(r.stdout).toMatch(/done \(completed\): 2 epochs/);
    expect(existsSync(model)).toBe(true);
  });

  it('train --resume continues from the checkpoint', () => {
    const r = cli('train', '--resume', model, '--epochs', '3', '--steps-per-epoch', '3', '--batch', '4', '--seq-len', '16', '--sample', '0', '--out', model);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/resuming .* at epoch 3, step 6/);
    expect(r.stdout).toMatch(/epoch 3\/3: train/);
    expect(r.stdout).not.toMatch(/epoch 1\/3/);
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

  it('bad flags, values and files get clear errors and a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--hiden', '3'], /Unknown option '--hiden'/],
      [['train', '--cell', 'transformer'], /--cell must be one of lstm, gru, rnn_tanh, rnn_relu/],
      [['train', '--lr', 'fast'], /--lr must be a number/],
      [['train', '--time-budget', 'soon'], /--time-budget must be a duration/],
      [['generate', '--model', join(dir, 'missing.safetensors'), '--prompt', 'x'], /E_FORMAT: cannot read model file .*missing\.safetensors/],
      [['generate', '--prompt', 'x'], /--model FILE is required/],
      [['conformance', join(dir, 'nothing-here')], /no such file or directory/],
      [['fly'], /unknown command 'fly'/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
  });
});
