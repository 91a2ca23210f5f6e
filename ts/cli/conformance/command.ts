// `recurrent conformance <file.json | directory>`: every rnn-golden/1 fixture through the
// public API and the wasm build; prints per-tensor errors and ends with "N passed, M failed".
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatError, optionError } from '../../errors.js';
import { readSource } from '../../io/source.js';
import { init } from '../../wasm.js';
import { type Command, helpText, parseFlags } from '../flags.js';
import { type FixtureReport, runFixture } from './runner.js';

export const CONFORMANCE: Command = {
  name: 'recurrent conformance',
  usage: '<file.json | directory>... [flags]',
  positionals: 'FILES',
  about: `Runs PyTorch golden fixtures (rnn-golden/1 JSON files; a directory means every .json in it)
through the public API and the wasm build; prints the error of every tensor and ends with
"N passed, M failed" (exit status 1 if any failed).`,
  flags: [
    { name: 'quiet', short: 'q', help: 'print only failing tensors' },
    { name: 'verbose', short: 'v', help: 'print every tensor (default)' },
  ],
  examples: ['recurrent conformance test/fixtures/torch --quiet'],
};

export async function conformanceCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals, help } = parseFlags(CONFORMANCE, argv);
  if (help) {
    out(helpText(CONFORMANCE));
    return 0;
  }
  if (positionals.length === 0) throw optionError('give a fixture file or directory: recurrent conformance <file.json | directory> (see --help)');
  await init();
  return conformance(positionals, out, values.quiet !== true);
}

async function fixtureFiles(path: string): Promise<string[]> {
  const s = await stat(path).catch(() => {
    throw formatError(`no such file or directory: ${path}`);
  });
  if (!s.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.json')).sort();
  if (names.length === 0) throw formatError(`no .json fixtures in ${path}`);
  return names.map((n) => join(path, n));
}

const fmt = (x: number) => (Number.isNaN(x) ? 'NaN' : x.toExponential(2));

export async function conformance(paths: string[], out: (line: string) => void, verbose: boolean): Promise<number> {
  if (paths.length === 0) throw formatError('usage: recurrent conformance <file.json | directory> [...]');
  let passed = 0;
  let failed = 0;
  const worst: Record<string, number> = {};
  for (const p of paths) {
    for (const file of await fixtureFiles(p)) {
      let report: FixtureReport;
      try {
        report = runFixture(JSON.parse(new TextDecoder().decode(await readSource(file))));
      } catch (e) {
        report = { case: file, kind: '?', ok: false, tensors: [], error: `cannot read: ${(e as Error).message}` };
      }
      if (report.ok) passed++;
      else failed++;
      out(`${report.ok ? 'PASS' : 'FAIL'} ${report.case} (${report.kind})${report.error ? `: ${report.error}` : ''}`);
      for (const t of report.tensors) {
        worst[report.kind] = Math.max(worst[report.kind] ?? 0, t.maxAbs);
        if (verbose || !t.ok) out(`  ${t.ok ? 'ok  ' : 'BAD '} ${t.name.padEnd(34)} max abs ${fmt(t.maxAbs)}  max rel ${fmt(t.maxRel)}`);
      }
    }
  }
  for (const [k, w] of Object.entries(worst)) out(`largest abs error, ${k}: ${fmt(w)}`);
  out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}
