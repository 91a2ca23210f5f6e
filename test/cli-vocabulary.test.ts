// One flag vocabulary across every verb (ts/cli/vocabulary.ts). Data-driven: the verbs come from
// the CLI's own registry (`verbs()`), each verb's flag tables from its `--help` (sub-verbs
// included), so a verb added later is held to the table without editing this file.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Command, helpText, parseFlags, REGISTERED, reader } from '../ts/cli/flags.js';
import { main, verbs } from '../ts/cli/main.js';
import { describeOptimizer, UNITS } from '../ts/cli/progress.js';
import { EXPERIMENTS, VOCABULARY } from '../ts/cli/vocabulary.js';

const byFlag = new Map(VOCABULARY.map((c) => [c.flag, c]));
const legacy = new Map<string, string[]>();
for (const c of VOCABULARY) for (const a of c.aliases ?? []) legacy.set(a, [...(legacy.get(a) ?? []), c.flag]);

/** Every verb → the flag tables its --help showed (a verb with sub-verbs shows several). */
const tables = new Map<string, Command[]>();
let printed = '';

beforeAll(async () => {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    printed += String(s);
    return true;
  });
  try {
    for (const verb of verbs()) {
      await main([verb, '--help']);
      const mine = [...REGISTERED.values()].filter((c) => c.name === `recurrent ${verb}` || c.name.startsWith(`recurrent ${verb} `));
      tables.set(verb, mine);
    }
  } finally {
    write.mockRestore();
  }
});
afterAll(() => {
  printed = '';
});

const isTraining = (c: Command) => c.flags.some((f) => f.name === 'epochs' || f.name === 'updates');

describe('the flag vocabulary', () => {
  it('the table has one flag per concept, and no old spelling is also a new one in the same concept', () => {
    expect(new Set(VOCABULARY.map((c) => c.flag)).size).toBe(VOCABULARY.length);
    for (const c of VOCABULARY) expect(c.aliases ?? [], c.flag).not.toContain(c.flag);
  });

  it('every registered verb shows its flag tables in --help', () => {
    expect(verbs()).toEqual(expect.arrayContaining(['train', 'generate', 'next', 'segment', 'tag', 'classify', 'g2p', 'speech', 'forecast', 'classic']));
    for (const verb of verbs()) expect(tables.get(verb)?.length, `recurrent ${verb} --help`).toBeGreaterThan(0);
  });

  it('every flag of every verb uses the table name, value and old spellings of its concept', () => {
    const problems: string[] = [];
    for (const cmds of tables.values())
      for (const cmd of cmds)
        for (const f of cmd.flags) {
          const concept = byFlag.get(f.name);
          const where = `${cmd.name} --${f.name}`;
          if (concept) {
            // a concept's '' arg: the flag may also be a switch
            if (!(concept.arg ?? ['']).includes(f.arg ?? ''))
              problems.push(`${where} takes ${f.arg ?? 'no value'}; the table says ${concept.arg?.join('|') ?? 'no value'}`);
            for (const a of f.aliases ?? []) if (!concept.aliases?.includes(a)) problems.push(`${where}: alias --${a} is not in the table`);
          } else {
            const instead = legacy.get(f.name);
            if (instead) problems.push(`${where} is an old spelling: name it --${instead.join(' or --')}`);
            for (const a of f.aliases ?? [])
              if (byFlag.has(a) || legacy.has(a)) problems.push(`${where}: alias --${a} belongs to the concept --${byFlag.has(a) ? a : legacy.get(a)}`);
          }
        }
    expect(problems).toEqual([]);
  });

  it('every training verb takes --time-budget, --out and --chart', () => {
    const training = [...tables.values()].flat().filter((c) => isTraining(c) && !(c.name in EXPERIMENTS));
    expect(training.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'recurrent train',
        'recurrent segment train',
        'recurrent tag train',
        'recurrent classify train',
        'recurrent g2p train',
        'recurrent speech train',
        'recurrent forecast',
        'recurrent classic',
      ]),
    );
    const missing = training.flatMap((c) => ['time-budget', 'out', 'chart'].filter((n) => !c.flags.some((f) => f.name === n)).map((n) => `${c.name} --${n}`));
    expect(missing).toEqual([]);
  });

  it('old spellings stay accepted and are listed in --help', () => {
    for (const cmd of [...tables.values()].flat()) {
      const help = helpText(cmd);
      for (const f of cmd.flags)
        for (const a of f.aliases ?? []) {
          expect(help, `${cmd.name} --help lists --${a}`).toContain(`--${a}`);
          const p = parseFlags(cmd, f.arg ? [`--${a}`, '1'] : [`--${a}`]);
          expect(p.values[f.name], `${cmd.name} --${a}`).toBe(f.arg ? '1' : true);
        }
    }
  });

  it('help flags prints the table; a mistyped verb gets a suggestion', async () => {
    expect(printed).toContain('--time-budget');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['help', 'flags'])).toBe(0);
      const text = String(write.mock.calls.map((c) => c[0]).join(''));
      for (const c of VOCABULARY) expect(text).toContain(`--${c.flag}`);
    } finally {
      write.mockRestore();
    }
    await expect(main(['trian'])).rejects.toThrow(/unknown command 'trian' \(did you mean train\?\)/);
    await expect(main(['clasify'])).rejects.toThrow(/did you mean classify\?/);
    await expect(main(['zzzzzz'])).rejects.toThrow(/^unknown command 'zzzzzz' \(commands: /);
  });
});

describe('held-out sizes', () => {
  const cmd: Command = { name: 'recurrent x', usage: '', about: '', examples: [], flags: [{ name: 'test-size', arg: 'X', help: '' }] };
  const size = (v: string, o?: { counts?: boolean; maxFraction?: number; zero?: boolean }) =>
    reader(parseFlags(cmd, ['--test-size', v])).size('test-size', 0.1, o);

  it('a fraction in (0, 1) or a whole count', () => {
    expect(size('0.25')).toBe(0.25);
    expect(size('500')).toBe(500);
    expect(size('0', { zero: true })).toBe(0);
    expect(reader(parseFlags(cmd, [])).size('test-size', 0.1)).toBe(0.1);
  });

  it('anything else is E_RANGE naming the flag', () => {
    for (const [v, o] of [
      ['0', {}],
      ['-0.1', {}],
      ['1.5', {}],
      ['2', { counts: false }],
      ['0.95', { maxFraction: 0.9 }],
    ] as const)
      expect(() => size(v, o), v).toThrow(expect.objectContaining({ code: 'E_RANGE', message: expect.stringMatching(/^--test-size must be a fraction/) }));
    expect(() => size('lots')).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
  });
});

describe('what a run prints', () => {
  it('the optimizer reads as a name and its settings, not JSON', () => {
    expect(describeOptimizer({ name: 'adam', lr: 0.003, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 })).toBe(
      'Adam (lr 0.003, betas 0.9/0.999, eps 1e-8, weight decay 0)',
    );
    expect(describeOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true })).toBe('SGD (lr 0.1, momentum 0.9, Nesterov)');
    expect(describeOptimizer('rmsprop')).toBe('RMSprop');
  });

  it('one named unit: the bar, the epoch line and the chart convert the same nats the same way', () => {
    expect(UNITS.bitsPerCharacter.show(Math.LN2 * 2.5)).toBe('2.500 bpc');
    expect(UNITS.bitsPerCharacter.name).toBe('bits per character');
    expect(UNITS.perplexity.show(Math.log(120))).toBe('perplexity 120.0');
    expect(UNITS.natsPerPhoneme.show(0.5)).toBe('0.5000 nats/phoneme');
  });
});
