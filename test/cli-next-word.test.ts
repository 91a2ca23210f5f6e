// The word-level command line: `recurrent train --level word` (a few steps; perplexity next to
// the Kneser–Ney trigram's), then `recurrent next` and `recurrent generate` on the saved model,
// and one-line errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../dist/data/vocab.js';
import { wordModel } from '../dist/tasks/next-word.js';
import { createTrainer } from '../dist/trainer.js';
import { ROOT } from './helpers.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/recurrent.js`, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });

describe('recurrent CLI, word level', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-words-'));
  const model = join(dir, 'words.safetensors');

  it('train --level word: a short run prints perplexities next to the trigram’s and saves the model', { timeout: 120_000 }, () => {
    const r = cli(
      'train',
      '--level',
      'word',
      '--vocab',
      '300',
      '--units',
      '16',
      '--embed',
      '8',
      '--epochs',
      '2',
      '--steps-per-epoch',
      '3',
      '--batch',
      '4',
      '--window',
      '16',
      '--sample',
      '6',
      '--no-chart',
      '--out',
      model,
    );
    expect(r.stderr).not.toMatch(/recurrent:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/data: Moby Dick words, 230,849 training and 24,116 validation tokens, vocabulary 300 with <unk>/);
    expect(r.stdout).toMatch(/model: lstm 16x1, embedding 8, dropout 0.1/);
    expect(r.stdout).toMatch(/epoch 2\/2: train perplexity \d+\.\d, validation \d+\.\d/);
    expect(r.stdout).toMatch(/sample: "the whale /);
    expect(r.stdout).toMatch(/validation perplexity \d+\.\d \(Kneser-Ney trigram \d+\.\d, same tokens and vocabulary\)/);
    expect(r.stdout).toMatch(/the lstm and the trigram mixed half and half .*: perplexity \d+\.\d/);
    expect(existsSync(model)).toBe(true);
  });

  it('next: the top words with probabilities, sorted; generate writes words', () => {
    const r = cli('next', '--model', model, '--prompt', 'The white', '--top', '4');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    const ps = lines.map((l, i) => {
      const m = l.match(/^ *(\d+)\. (\S+) +(\d\.\d{4})$/);
      expect(m, l).not.toBeNull();
      expect(Number(m![1])).toBe(i + 1);
      expect(m![2]).not.toBe('<unk>');
      return Number(m![3]);
    });
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeLessThanOrEqual(ps[i - 1]);
    expect(cli('next', '--model', model, '--prompt', 'the', '--top', '300', '--no-eos').stdout).not.toMatch(/<eos>|<unk>/);
    const g = cli('generate', '--model', model, '--prompt', 'The white whale', '--max-tokens', '8', '--seed', '2');
    expect(g.status).toBe(0);
    expect(g.stdout).toMatch(/^The white whale[ ,.;:!?\-—'\n]/);
    expect(g.stdout).toBe(cli('generate', '--model', model, '--prompt', 'The white whale', '--max-tokens', '8', '--seed', '2').stdout);
  });

  it('one-line errors: bad --top, no prompt, --vocab without --level word, a character model, an error mid-run', async () => {
    const t = await createTrainer({ worker: false });
    await t.build(wordModel(5, { embed: 2, units: 2 }), { seed: 1 });
    await t.setVocabulary(Vocabulary.fromText('abcde'));
    const chars = join(dir, 'chars.safetensors');
    writeFileSync(chars, await t.save());
    await t.dispose();
    for (const [args, msg] of [
      [['next', '--model', model, '--prompt', 'the', '--top', '0'], /^recurrent: E_RANGE: --top must be an integer in \[1, /],
      [['next', '--model', model, '--prompt', '  '], /^recurrent: E_OPTION: --prompt TEXT is required/],
      [['next', '--prompt', 'the'], /^recurrent: E_OPTION: --model FILE is required/],
      [['next', '--model', chars, '--prompt', 'the'], /^recurrent: E_OPTION: the model is not a word-level language model/],
      [['train', '--vocab', '100'], /^recurrent: E_OPTION: --vocab applies to --level word/],
      // an error mid-run (a batch over the activation limit) ends the process with one line
      [
        ['train', '--level', 'word', '--batch', '300', '--window', '64', '--no-chart', '--out', join(dir, 'big.safetensors')],
        /^recurrent: E_RANGE: B × T × activations per step = 300 × 64 × /,
      ],
      [['train', '--level', 'sentence'], /^recurrent: E_OPTION: --level must be one of char, word/],
    ] as const) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('recurrent:')),
      ).toHaveLength(1);
      expect(r.stderr.trim().split('\n').pop()).toMatch(msg);
    }
    // At character level the first validation (256-step windows of 200) is above the per-call
    // limit too: it is scored in parts of whole rows now (it used to end the run with E_RANGE).
    const big = cli(
      'train',
      '--batch',
      '200',
      '--window',
      '8',
      '--steps-per-epoch',
      '1',
      '--epochs',
      '1',
      '--no-chart',
      '--out',
      join(dir, 'chars-big.safetensors'),
    );
    expect(big.status, big.stderr).toBe(0);
    expect(big.stdout + big.stderr).toMatch(/validation: [0-9.]+ bits per character/);
    expect(cli('next', '--help').stdout).toMatch(/example:\n {2}recurrent next --model runs\/mobydick-words.safetensors --prompt "the white" --top 5/);
  });
});
