// Table-driven fuzzing of the `recurrent` command line: every verb and sub-verb, every flag that
// takes a value (read from the verbs' own flag tables), given a missing, malformed or hostile
// value: numbers that are not numbers, Object.prototype names, a directory, a FIFO, /dev/zero,
// an unwritable path; plus Object.prototype names as verbs and sub-verbs. Each case runs
// main(argv) in a worker thread (terminated past HANG_MS). A case must end in a typed error
// (E_*), or succeed where the value is legitimate (a prototype name is a fine file name to
// write); never an untyped error, a wasm trap, a hang, a success on a value that cannot be
// right, or a temporary file left behind. `npm test` runs a seeded sample; RECURRENT_FUZZ_LONG=1
// runs every case. Uses the built CLI (dist/).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, encodeWav, sequential, Vocabulary } from '../dist/index.js';
import { rng } from './file-mutations.js';
import { modelDir, tinyModel } from './tfjs-models.js';

const SEED = 20261207;
const LONG = process.env.RECURRENT_FUZZ_LONG === '1';
/** Cases per flag in the seeded sample (every case with RECURRENT_FUZZ_LONG=1). */
const PER_FLAG = 2;
const HANG_MS = 8000;

const dir = mkdtempSync(join(tmpdir(), 'rel-fuzz-cli-'));
const out = join(dir, 'out');
mkdirSync(out);
const FIFO = join(dir, 'pipe');
const FOLDER = join(dir, 'folder');
mkdirSync(FOLDER);
const LM = join(dir, 'lm.safetensors');
const WAV = join(dir, 'a.wav');
let MODEL_JSON = '';

type Expect = 'typed' | 'typed-or-ok';
interface Case {
  argv: string[];
  expect: Expect;
  what: string;
}

/** Hostile values by the flag's value kind. `typed-or-ok`: the value may be legitimate. */
function values(flag: string, arg: string): [string | undefined, Expect][] {
  const proto: [string, Expect][] = [
    ['constructor', 'typed'],
    ['__proto__', 'typed'],
    ['toString', 'typed'],
  ];
  const input = (): [string | undefined, Expect][] => [[FOLDER, 'typed'], [FIFO, 'typed'], ['/dev/zero', 'typed'], ['', 'typed'], ...proto];
  if (/^(out|chart)$/.test(flag))
    return [
      [FOLDER, 'typed'],
      [FIFO, 'typed'],
      ['/dev/zero', 'typed'],
      ['/proc/1/nope/x.out', 'typed'],
      ['', 'typed'],
      [undefined, 'typed'],
    ];
  // a folder to make (speech --corpus): any new name or an empty folder is legitimate, a file is not
  if (arg === 'DIR')
    return [
      [FIFO, 'typed'],
      ['/dev/zero', 'typed'],
      [LM, 'typed'],
      ['', 'typed'],
      [undefined, 'typed'],
    ];
  if (arg === 'FILE' || arg === 'F') return [...input(), [undefined, 'typed']];
  if (arg === 'N' || arg === 'N|auto')
    return [
      ['x', 'typed'],
      ['1.5', 'typed'],
      ['-1', 'typed'],
      ['1e400', 'typed'],
      ['NaN', 'typed'],
      ['', 'typed'],
      ['4294967296', 'typed'],
      ['0x10', 'typed'],
      [undefined, 'typed'],
      ...proto,
    ];
  if (arg === 'X' || arg === 'P')
    return [['x', 'typed'], ['NaN', 'typed'], ['Infinity', 'typed'], ['-1e400', 'typed'], ['', 'typed'], [undefined, 'typed'], ...proto];
  if (arg === 'D') return [['x', 'typed'], ['0', 'typed'], ['-5s', 'typed'], ['1e400', 'typed'], ['', 'typed'], [undefined, 'typed'], ...proto];
  if (arg === 'TEXT') return [[undefined, 'typed']];
  // NAME, LIST, ACCENTS: a choice or list
  return [['', 'typed'], [undefined, 'typed'], ...proto];
}

/** The flags a verb needs to reach its flags (a model to read, a tiny run, a place to write). */
function base(name: string): string[] {
  const o = (f: string) => ['--out', join(out, f)];
  switch (name) {
    case 'recurrent classic':
      return ['--updates', '1'];
    case 'recurrent gradients':
      return ['--lengths', '4', '--updates', '1', '--units', '2', '--test', '2', '--no-chart'];
    case 'recurrent classify run':
    case 'recurrent tag run':
    case 'recurrent segment run':
      return ['--model', LM, '--text', 'a b'];
    case 'recurrent g2p run':
      return ['--model', LM, 'WORD'];
    case 'recurrent generate':
    case 'recurrent next':
      return ['--model', LM, '--prompt', 'ab', '--max-tokens', '2'].slice(0, name.endsWith('next') ? 4 : 6);
    case 'recurrent speech run':
      return ['--model', LM, '--wav', WAV];
    case 'recurrent convert':
      return [MODEL_JSON, ...o('c.safetensors')];
    case 'recurrent export':
      return [LM, '--format', 'onnx', ...o('e.onnx')];
    case 'recurrent conformance':
      return [FOLDER];
    case 'recurrent train':
      return [
        '--epochs',
        '1',
        '--steps-per-epoch',
        '1',
        '--units',
        '2',
        '--embed',
        '2',
        '--window',
        '4',
        '--batch',
        '2',
        '--sample',
        '1',
        '--no-chart',
        ...o('t.safetensors'),
      ];
    case 'recurrent forecast':
      return ['--epochs', '1', '--time-budget', '200ms', '--units', '2', '--chart', join(out, 'f.svg')];
    case 'recurrent speech train':
      return ['--epochs', '1', '--time-budget', '200ms', '--utterances', '4', '--corpus', join(out, 'speech-corpus'), ...o('speech.safetensors')];
    default:
      // the training sub-verbs: one short epoch
      return ['--epochs', '1', '--time-budget', '200ms', ...o(`${name.split(' ').slice(1).join('-')}.safetensors`)];
  }
}

interface Command {
  name: string;
  flags: readonly { name: string; arg?: string }[];
  positionals?: string;
}

/** Every verb's flag table: each object exported by a module of dist/cli with a name and flags. */
async function commands(): Promise<Command[]> {
  const root = new URL('../dist/cli/', import.meta.url);
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  const all = new Map<string, Command>();
  for (const f of files) {
    const x = (await import(new URL(f, root).href)) as Record<string, unknown>;
    for (const v of Object.values(x))
      if (v && typeof v === 'object' && Array.isArray((v as Command).flags) && String((v as Command).name).startsWith('recurrent '))
        all.set((v as Command).name, v as Command);
  }
  return [...all.values()];
}

function cases(cmds: Command[]): Case[] {
  const r = rng(SEED);
  const list: Case[] = [];
  for (const c of cmds) {
    const verb = c.name.split(' ').slice(1);
    const b = base(c.name);
    for (const f of c.flags) {
      if (f.arg === undefined) continue;
      let vals = values(f.name, f.arg);
      if (!LONG) vals = [...vals].sort(() => r() - 0.5).slice(0, PER_FLAG);
      for (const [v, expect] of vals)
        list.push({
          argv: [...verb, ...b, `--${f.name}`, ...(v === undefined ? [] : [v])],
          expect,
          what: `${c.name} --${f.name} ${v === undefined ? '(missing)' : JSON.stringify(v)}`,
        });
    }
    // hostile positionals where the verb reads files
    if (c.positionals && /model\.json|MODEL|FILES/.test(c.positionals))
      for (const p of [FOLDER, FIFO, '/dev/zero', 'constructor', '__proto__'])
        list.push({ argv: [...verb, p, ...b.slice(1)], expect: 'typed', what: `${c.name} positional ${p}` });
  }
  // verbs and sub-verbs named after Object.prototype
  for (const v of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])
    for (const argv of [[v], ['help', v], ['segment', v], ['tag', v], ['classify', v], ['g2p', v], ['speech', v], [v, '--help']])
      list.push({ argv, expect: 'typed', what: argv.join(' ') });
  return list;
}

/** One worker running cases in turn; replaced when a case hangs. */
class Runner {
  #w!: Worker;
  #ready!: Promise<void>;
  #next = 0;
  constructor() {
    this.#start();
  }
  #start() {
    this.#w = new Worker(new URL('./cli-case-worker.mjs', import.meta.url));
    this.#ready = new Promise((res) => this.#w.once('message', () => res()));
  }
  async run(argv: string[]): Promise<{ rc?: number; error?: { code?: string; message: string; typed: boolean; trap: boolean } } | 'hang'> {
    await this.#ready;
    const id = this.#next++;
    const w = this.#w;
    return new Promise((res) => {
      const timer = setTimeout(() => {
        w.removeAllListeners('message');
        void w.terminate();
        this.#start();
        res('hang');
      }, HANG_MS);
      const on = (m: { id?: number }) => {
        if (m.id !== id) return;
        clearTimeout(timer);
        w.off('message', on);
        res(m as never);
      };
      w.on('message', on);
      w.postMessage({ id, argv });
    });
  }
  close() {
    return this.#w.terminate();
  }
}

beforeAll(async () => {
  expect(spawnSync('mkfifo', [FIFO]).status).toBe(0);
  const vocab = Vocabulary.fromText('ab ab ba');
  const t = await createTrainer({ worker: false });
  await t.build(
    sequential({ input: { vocab: vocab.size } })
      .embedding({ dim: 2 })
      .lstm({ units: 2 })
      .dense({ units: vocab.size }),
    { seed: 1 },
  );
  await t.setVocabulary(vocab);
  writeFileSync(LM, await t.save());
  await t.dispose();
  writeFileSync(WAV, encodeWav(new Float32Array(1600).fill(0.1), 16000));
  const m = tinyModel();
  MODEL_JSON = modelDir(m, ['w.bin'], { 'w.bin': m.bytes }).json;
});

const runner = new Runner();
afterAll(() => runner.close());

describe('fuzzing the command line', () => {
  it('every verb and flag with missing, malformed and hostile values: a typed error (or a legitimate success), nothing else', async () => {
    const all = cases(await commands());
    const c = { tried: 0, typed: 0, refused: 0, ok: 0, other: 0, crash: 0, hang: 0, wrong: 0, leak: 0 };
    const failures: string[] = [];
    const refusals: string[] = [];
    const t0 = performance.now();
    for (const k of all) {
      c.tried++;
      const r = await runner.run(k.argv);
      if (r === 'hang') {
        c.hang++;
        failures.push(`${k.what}: no answer in ${HANG_MS} ms`);
      } else if (r.error) {
        if (r.error.trap) c.crash++;
        else if (r.error.typed) c.typed++;
        else c.other++;
        if (!r.error.typed || r.error.trap) failures.push(`${k.what}: ${r.error.code ?? ''} ${r.error.message}`);
      } else if (r.rc === 0 && k.expect === 'typed') {
        c.wrong++;
        failures.push(`${k.what}: succeeded`);
      } else if (r.rc !== 0) {
        // refused with a report and a failing exit code (conformance lists what it could not read)
        c.refused++;
        refusals.push(`${k.what} → exit ${r.rc}`);
      } else c.ok++;
    }
    // no temporary or probe file is left next to the outputs
    const left = readdirSync(out).filter((n) => /\.(tmp|probe)$/.test(n));
    c.leak = left.length;
    if (left.length) failures.push(`left behind: ${left.join(', ')}`);
    console.log(
      [
        `CLI fuzz (seed ${SEED}${LONG ? ', long' : ''}, ${Math.round(performance.now() - t0)} ms)`,
        'suite | cases tried | typed error | refused (exit ≠ 0) | ok | other error | crash | hang | silently wrong | leak',
        `cli   | ${c.tried} | ${c.typed} | ${c.refused} | ${c.ok} | ${c.other} | ${c.crash} | ${c.hang} | ${c.wrong} | ${c.leak}`,
      ].join('\n'),
    );
    if (failures.length) console.log(failures.join('\n'));
    if (refusals.length) console.log(`refused with exit ≠ 0: ${refusals.join('; ')}`);
    expect(failures.slice(0, 15)).toEqual([]);
    expect(c.other + c.crash + c.hang + c.wrong + c.leak).toBe(0);
    expect(c.typed).toBeGreaterThan(c.tried * 0.9);
  });
});
