// The API reference is complete: every root export of `recurrent-nn` and `recurrent-nn/tasks`, and
// every public member of their classes and interfaces, has a doc comment. Counted by
// scripts/doc-coverage.mjs over the built declarations (dist/index.d.ts, dist/tasks/index.d.ts),
// so a new export without one fails here, naming it. The counter itself is checked first on a
// small declaration file with known gaps.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const ENTRY_POINTS = ['dist/index.d.ts', 'dist/tasks/index.d.ts'];

/** Runs the coverage script with --list over `files`; its exit status and output lines. */
function coverage(files: string[]): { status: number | null; lines: string[]; stderr: string } {
  const r = spawnSync(process.execPath, ['scripts/doc-coverage.mjs', '--list', ...files], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, lines: r.stdout.trim().split('\n'), stderr: r.stderr };
}

const COUNT = /^(?:(.+): )?(\d+) of (\d+) root exports and (\d+) of (\d+) members documented$/;

/** The counts the script printed, by file ('' for the total line). */
function counts(lines: string[]): Map<string, { exportsDoc: number; exports: number; membersDoc: number; members: number }> {
  const out = new Map<string, { exportsDoc: number; exports: number; membersDoc: number; members: number }>();
  for (const l of lines) {
    const m = COUNT.exec(l);
    if (m) out.set(m[1] ?? '', { exportsDoc: Number(m[2]), exports: Number(m[3]), membersDoc: Number(m[4]), members: Number(m[5]) });
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'recurrent-doc-coverage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('doc-comment coverage', () => {
  it('the counter finds undocumented exports and members, and skips private and @internal ones', () => {
    const file = join(tmp, 'sample.d.ts');
    writeFileSync(
      file,
      [
        '/** Documented. */',
        'export declare class Shown {',
        '  /** Documented. */',
        '  a: number;',
        '  b: number;',
        '  private c;',
        '  /** @internal */',
        '  constructor(x: number);',
        '}',
        'export interface Bare {',
        '  /** @default 1 */',
        '  x?: number;',
        '}',
        '',
      ].join('\n'),
    );
    const r = coverage([file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.lines).toContain('undocumented: Shown.b');
    expect(r.lines).toContain('undocumented: Bare');
    expect(r.lines.filter((l) => l.startsWith('undocumented:'))).toHaveLength(2);
    expect(counts(r.lines).get('')).toEqual({ exportsDoc: 1, exports: 2, membersDoc: 2, members: 3 });
  });

  it('every export of recurrent and recurrent/tasks, and every public member, has a doc comment', () => {
    const r = coverage(ENTRY_POINTS);
    expect(r.status, `${r.stderr} (build first: bash scripts/build.sh)`).toBe(0);
    const c = counts(r.lines);
    for (const f of ENTRY_POINTS) {
      const n = c.get(f);
      expect(n, `no count for ${f} in:\n${r.lines.join('\n')}`).toBeDefined();
      console.log(`doc coverage ${f}: ${n?.exportsDoc} of ${n?.exports} root exports, ${n?.membersDoc} of ${n?.members} members`);
    }
    const total = c.get('');
    // The SDK and the tasks together export well over a hundred names: a count this low would
    // mean the declarations were not read.
    expect(total?.exports).toBeGreaterThan(150);
    expect(total?.members).toBeGreaterThan(400);
    const missing = r.lines.filter((l) => l.startsWith('undocumented:'));
    expect(missing, `exports and members without a doc comment:\n${missing.join('\n')}`).toEqual([]);
    expect(total?.exportsDoc).toBe(total?.exports);
    expect(total?.membersDoc).toBe(total?.members);
  });
});
