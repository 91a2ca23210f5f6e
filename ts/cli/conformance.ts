// `recurrent conformance <file.json | directory>`: every rnn-golden/1 fixture through the
// public API and the wasm build; prints per-tensor errors and ends with "N passed, M failed".
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type FixtureReport, runFixture } from '../conformance.js';
import { formatError } from '../errors.js';

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
        report = runFixture(JSON.parse(await readFile(file, 'utf8')));
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
