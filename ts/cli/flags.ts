// One flag parser and help printer for every verb: a command is a table of flags (name, old
// spellings kept as aliases, value name, help line); the same table parses argv and writes
// `--help`. Errors are one line (E_OPTION) and name the command; negative numbers are values
// (`--units -1` reaches the range check instead of being taken for a flag).
import { optionError, rangeError } from '../errors.js';
import { editDistance } from '../tasks/edit-distance.js';
import { choice, duration, MAX_SIZE, num } from './args.js';

export interface Flag {
  /** Long name without dashes, e.g. "units". */
  name: string;
  /** Value placeholder for the help ("N", "FILE"); absent for a boolean switch. */
  arg?: string;
  help: string;
  /** Older or alternative spellings (without dashes), accepted as the same flag. */
  aliases?: readonly string[];
  short?: string;
  /** Also accept `--no-NAME` (value false). */
  negatable?: boolean;
}

export interface Command {
  /** "recurrent train" */
  name: string;
  /** Usage lines after the name, e.g. "[flags]" or "--model FILE WORD…". */
  usage: string;
  about: string;
  /** One line for a list of commands (default: the first line of `about`). */
  summary?: string;
  flags: readonly Flag[];
  examples: readonly string[];
  /** Names positional arguments in the usage; without it, positionals are an error. */
  positionals?: string;
  /** Extra text after the flags. */
  notes?: string;
}

export type Values = Record<string, string | boolean | undefined>;

export interface Parsed {
  /** By primary name. */
  values: Values;
  /** How each given flag was spelled (for error messages): primary name → "hidden". */
  spelled: Record<string, string>;
  positionals: string[];
  help: boolean;
}

const HELP: Flag = { name: 'help', short: 'h', help: 'print this help' };
const NUMERIC = /^-(\d|\.\d|Infinity\b|NaN\b)/;

export function parseFlags(cmd: Command, argv: readonly string[]): Parsed {
  const flags = [...cmd.flags, HELP];
  const byName = new Map<string, { flag: Flag; negated: boolean }>();
  for (const f of flags) {
    for (const n of [f.name, ...(f.aliases ?? [])]) {
      byName.set(n, { flag: f, negated: false });
      if (f.negatable) byName.set(`no-${n}`, { flag: f, negated: true });
    }
  }
  const values: Values = {};
  const spelledAs: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spelled: string;
    let hit: { flag: Flag; negated: boolean } | undefined;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      inline = eq < 0 ? undefined : tok.slice(eq + 1);
      spelled = `--${name}`;
      hit = byName.get(name);
      if (!hit) throw optionError(`unknown flag ${spelled} for ${cmd.name}${suggest(name, [...byName.keys()])} (see ${cmd.name} --help)`);
    } else if (tok.startsWith('-') && tok.length > 1 && !NUMERIC.test(tok)) {
      spelled = tok;
      const f = flags.find((x) => x.short === tok.slice(1));
      if (!f) throw optionError(`unknown flag ${tok} for ${cmd.name} (see ${cmd.name} --help)`);
      hit = { flag: f, negated: false };
    } else {
      positionals.push(tok);
      continue;
    }
    const { flag, negated } = hit;
    if (flag.arg === undefined || negated) {
      if (inline !== undefined) throw optionError(`${spelled} takes no value (got '${inline}')`);
      values[flag.name] = !negated;
      spelledAs[flag.name] = spelled.replace(/^-+(no-)?/, '');
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('-') && value !== '-' && !NUMERIC.test(value)))
        throw optionError(`${spelled} needs a value (${flag.arg})${value === undefined ? '' : `, got the flag '${value}'`}`);
      i++;
    }
    if (value === '' && /^(FILE|DIR)$/.test(flag.arg)) throw optionError(`${spelled} needs a ${flag.arg}, not an empty string`);
    values[flag.name] = value;
    spelledAs[flag.name] = spelled.replace(/^-+/, '');
  }
  if (positionals.length && !cmd.positionals && !values.help)
    throw optionError(`unexpected argument '${positionals[0]}' for ${cmd.name} (see ${cmd.name} --help)`);
  return { values, spelled: spelledAs, positionals, help: values.help === true };
}

/** Every command whose help was written (by name): the verbs' flag tables, for the test that
 * holds them to the vocabulary (ts/cli/vocabulary.ts). */
export const REGISTERED = new Map<string, Command>();

/** The help text of a command, from its flag table. */
export function helpText(cmd: Command): string {
  REGISTERED.set(cmd.name, cmd);
  const rows = [...cmd.flags, HELP].map((f) => {
    const spell = (n: string) => `--${n}${f.arg ? ` ${f.arg}` : ''}`;
    let left = [f.short ? `-${f.short}` : '', spell(f.name)].filter(Boolean).join(', ');
    if (f.negatable) left += `, --no-${f.name}`;
    const aka = f.aliases?.length ? `also ${f.aliases.map((a) => `--${a}`).join(', ')}` : '';
    const help = !aka ? f.help : f.help.endsWith(')') ? `${f.help.slice(0, -1)}; ${aka})` : `${f.help} (${aka})`;
    return [left, help] as const;
  });
  const width = Math.min(30, Math.max(...rows.map(([l]) => l.length)));
  const lines = [`usage: ${cmd.name} ${cmd.usage}`, '', cmd.about.trimEnd(), ''];
  lines.push('flags:');
  for (const [l, h] of rows) lines.push(l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${h}` : `  ${l.padEnd(width)}  ${h}`);
  if (cmd.notes) lines.push('', cmd.notes.trimEnd());
  lines.push('', cmd.examples.length > 1 ? 'examples:' : 'example:');
  for (const e of cmd.examples) lines.push(`  ${e}`);
  return lines.join('\n');
}

/** " (did you mean --x?)" for a near miss (edit distance ≤ 2), else "". */
function suggest(name: string, known: string[]): string {
  const best = nearest(name, known);
  return best ? ` (did you mean --${best}?)` : '';
}

/** The known word nearest to `name` within edit distance 2 (a transposition counts 2), else undefined. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** The flags several verbs share, one spelling each (old spellings as aliases). */
export const common = {
  units: (dflt: number | string, what = 'units per layer'): Flag => ({ name: 'units', arg: 'N', aliases: ['hidden'], help: `${what} (default ${dflt})` }),
  layers: (dflt: number): Flag => ({ name: 'layers', arg: 'N', help: `stacked layers (default ${dflt})` }),
  embed: (dflt: number, what = 'embedding size'): Flag => ({ name: 'embed', arg: 'N', help: `${what} (default ${dflt})` }),
  batch: (dflt: number, what = 'examples'): Flag => ({ name: 'batch', arg: 'N', aliases: ['batch-size'], help: `${what} per batch (default ${dflt})` }),
  lr: (dflt: number, what = 'Adam learning rate'): Flag => ({ name: 'lr', arg: 'X', help: `${what} (default ${dflt})` }),
  clip: (dflt: number): Flag => ({ name: 'clip', arg: 'X', help: `clip gradients by global norm (default ${dflt}; 0 = off)` }),
  epochs: (dflt: number): Flag => ({ name: 'epochs', arg: 'N', help: `passes over the training data (default ${dflt})` }),
  updates: (dflt: number): Flag => ({ name: 'updates', arg: 'N', aliases: ['steps'], help: `optimizer updates in all (default ${dflt})` }),
  window: (dflt: number, what: string, alias: string): Flag => ({ name: 'window', arg: 'N', aliases: [alias], help: `${what} (default ${dflt})` }),
  seed: (dflt: number, what = 'initialisation and data order'): Flag => ({ name: 'seed', arg: 'N', help: `seed for ${what} (default ${dflt})` }),
  timeBudget: (dflt = 'none'): Flag => ({
    name: 'time-budget',
    arg: 'D',
    help: `stop training after this long: 90s, 9m30s, 1h, 500ms or none (default ${dflt})`,
  }),
  worker: (): Flag => ({ name: 'worker', negatable: true, help: 'train in a worker thread (default) or, with --no-worker, in the main thread' }),
  workers: (dflt: '1' | 'auto' = '1'): Flag => ({
    name: 'workers',
    arg: 'N|auto',
    help: `data-parallel training on N worker replicas, each taking a row shard of every batch (auto: one per core where the first batch measures them faster than one; default ${dflt})`,
  }),
  out: (dflt: string, what = 'model file'): Flag => ({ name: 'out', arg: 'FILE', help: `${what} (default ${dflt})` }),
  chart: (): Flag => ({ name: 'chart', arg: 'FILE', negatable: true, help: 'SVG picture of the run (default: next to --out, .svg; --no-chart: none)' }),
  model: (from: string): Flag => ({ name: 'model', arg: 'FILE', help: `a model written by ${from}` }),
  resume: (what: string, aliases: readonly string[] = []): Flag => ({ name: 'resume', arg: 'FILE', aliases, help: what }),
  dropout: (dflt: number, what = 'dropout'): Flag => ({ name: 'dropout', arg: 'P', help: `${what} (default ${dflt})` }),
  /** Held out for testing: a fraction, or (`counts`) a count. */
  testSize: (dflt: number, of: string, aliases: readonly string[] = [], counts = true): Flag => ({
    name: 'test-size',
    arg: 'X',
    aliases,
    help: `held out for testing: a fraction of ${of}${counts ? ' in (0, 1) or a count ≥ 1' : ' in (0, 1)'} (default ${dflt})`,
  }),
  /** Held out for validation: a fraction or a count. */
  validationSize: (dflt: number, of: string, aliases: readonly string[] = ['validation']): Flag => ({
    name: 'validation-size',
    arg: 'X',
    aliases,
    help: `held out for validation: a fraction of ${of} in (0, 1) or a count ≥ 1 (default ${dflt})`,
  }),
} as const;

/** Typed access to parsed flags; errors name the flag as the user spelled it. */
export function reader(p: Parsed) {
  const as = (name: string) => p.spelled[name] ?? name;
  const str = (name: string): string | undefined => {
    const v = p.values[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    str,
    bool: (name: string, dflt = false): boolean => (typeof p.values[name] === 'boolean' ? (p.values[name] as boolean) : dflt),
    /** An integer size ≥ `min` (default 1), at most 2**32 - 1 unless `max`. */
    int: (name: string, dflt: number, o: { min?: number; max?: number } = {}) => num(as(name), str(name), dflt, { int: true, min: o.min ?? 1, max: o.max }),
    num: (name: string, dflt: number, o: { min?: number; max?: number } = {}) => num(as(name), str(name), dflt, o),
    choice: <T extends string>(name: string, allowed: readonly T[], dflt: T) => choice(as(name), str(name), allowed, dflt),
    duration: (name: string, dflt?: string) => duration(as(name), str(name) ?? dflt),
    /** A held-out share: a fraction in (0, 1) or (with `counts`) an integer count ≥ 1. */
    size: (name: string, dflt: number, o: { counts?: boolean; maxFraction?: number; zero?: boolean } = {}): number => {
      const v = str(name);
      if (v === undefined) return dflt;
      const x = num(as(name), v, dflt);
      const counts = o.counts ?? true;
      const ok = (o.zero && x === 0) || (x > 0 && (x < 1 ? x <= (o.maxFraction ?? 1) : counts && Number.isInteger(x) && x <= MAX_SIZE));
      if (!ok)
        throw rangeError(
          `--${as(name)} must be a fraction in (0, ${o.maxFraction ?? 1}${o.maxFraction === undefined ? ')' : ']'}${counts ? ' or a count ≥ 1' : ''}${o.zero ? ', or 0' : ''} (got '${v}')`,
        );
      return x;
    },
    /** `--workers N|auto`, else `dflt`. */
    workers: (dflt: number | 'auto' = 1): number | 'auto' => {
      const v = str('workers');
      if (v === undefined) return dflt;
      return v === 'auto' ? 'auto' : num(as('workers'), v, 1, { int: true, min: 1, max: 64 });
    },
    /** `--chart FILE` / `--no-chart` (false) / absent (undefined). */
    raw: (name: string) => p.values[name],
  };
}

/** Help of a verb with sub-verbs: each one's usage and first example, and where its flags are. */
export function groupHelp(name: string, about: string, subs: readonly Command[]): string {
  for (const c of subs) REGISTERED.set(c.name, c);
  const lines = subs.map((c) => `usage: ${c.name} ${c.usage}`);
  lines.push('', `${name}: ${about}`, '');
  for (const c of subs) lines.push(`  ${c.name.slice(name.length + 1).padEnd(8)}${c.summary ?? c.about.split('\n')[0]}`);
  lines.push('', `flags: ${subs.map((c) => `${c.name} --help`).join(', ')}`, '', 'examples:');
  for (const c of subs) lines.push(`  ${c.examples[0]}`);
  return lines.join('\n');
}

/** A sub-verb: its flag table (whose name ends in the sub-verb's word) and what runs it. */
export type SubVerb = readonly [Command, (argv: string[], out: (s: string) => void) => Promise<number>];

/**
 * Runs `recurrent NAME SUB …` for a verb with sub-verbs: the one whose word is argv[0], else the
 * group's help (exit 2 without a sub-verb, 0 when asked), else E_OPTION listing the sub-verbs.
 */
export async function dispatch(name: string, about: string, subs: readonly SubVerb[], argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  const word = (c: Command) => c.name.slice(name.length + 1);
  const hit = subs.find(([c]) => word(c) === sub);
  if (hit) return hit[1](rest, out);
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    out(
      groupHelp(
        name,
        about,
        subs.map(([c]) => c),
      ),
    );
    return sub === undefined ? 2 : 0;
  }
  const words = subs.map(([c]) => word(c));
  const list = `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
  throw optionError(`unknown ${name.slice('recurrent '.length)} command '${sub}' (${list}; see ${name} --help)`);
}

/**
 * A person's own data (`--train FILE --test FILE`, `--dev FILE` optional) in place of `--corpus`:
 * the three paths and whether any was given. E_OPTION for both sources or for a half of the files.
 */
export function ownFiles(f: ReturnType<typeof reader>): { files: { train?: string; dev?: string; test?: string }; own: boolean } {
  const files = { train: f.str('train'), dev: f.str('dev'), test: f.str('test') };
  const own = files.train !== undefined || files.test !== undefined || files.dev !== undefined;
  if (own && f.str('corpus') !== undefined) throw optionError('give either --corpus or your own --train/--test files, not both');
  if (own && (!files.train || !files.test)) throw optionError('your own data needs both --train FILE and --test FILE (--dev FILE is optional)');
  return { files, own };
}
