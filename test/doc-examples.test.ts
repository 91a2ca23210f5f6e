// The reference's examples cannot rot: every ```ts block of an @example tag in the public API
// (read from the built declarations by scripts/doc-examples.mjs) is type-checked (strict) and
// run with Node, like the README's blocks. The convention the reference states: an example
// runs after `import { … } from 'recurrent-nn'` / `'recurrent-nn/tasks'` of the names it uses
// and `await init()`; that preamble is added here. Every class, and every function of
// `recurrent-nn/tasks`, must have an example. Needs the build (dist/) first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { typeCheckAsUser } from './user-code.js';

/** Text without its terminal colour codes (ESC [ … m). */
const stripColours = (s: string) => s.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');

interface Entry {
  file: string;
  name: string;
  kind: 'class' | 'function' | 'interface' | 'type' | 'variable';
  examples: string[];
}

const INDEX = 'dist/index.d.ts';
const TASKS = 'dist/tasks/index.d.ts';
const r = spawnSync(process.execPath, [join(ROOT, 'scripts/doc-examples.mjs'), '--json'], { cwd: ROOT, encoding: 'utf8' });
const entries: Entry[] = r.status === 0 ? JSON.parse(r.stdout) : [];
const blocks = entries.flatMap((e) => e.examples.map((code, i) => ({ where: `${e.name}${e.examples.length > 1 ? ` #${i + 1}` : ''}`, code })));

const rootNames = entries.filter((e) => e.file === INDEX).map((e) => e.name);
const taskNames = entries.filter((e) => e.file === TASKS && !rootNames.includes(e.name)).map((e) => e.name);
/** Names an example imports itself (those stay out of the preamble). */
const ownImports = (code: string) =>
  new Set(
    [...code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}/g)].flatMap((m) =>
      m[1].split(',').map(
        (n) =>
          n
            .trim()
            .split(/\s+as\s+/)
            .pop()!,
      ),
    ),
  );
const preamble = (code: string, root: string, tasks: string) => {
  const own = ownImports(code);
  const pick = (names: string[]) => names.filter((n) => !own.has(n)).join(', ');
  return `import { ${pick(rootNames)} } from '${root}';\nimport { ${pick(taskNames)} } from '${tasks}';\n${own.has('init') ? '' : 'await init();\n'}`;
};
/** The example's own imports of the package, pointed at the build. */
const toDist = (code: string) =>
  code
    .replace(/from\s+(['"])recurrent-nn\/tasks\1/g, `from '${pathToFileURL(join(ROOT, 'dist/tasks/index.js')).href}'`)
    .replace(/from\s+(['"])recurrent-nn\1/g, `from '${pathToFileURL(join(ROOT, 'dist/index.js')).href}'`);
/** An example whose first line says `// browser only` is type-checked here and run in Chromium (test/browser.test.ts). */
const browserOnly = (code: string) => code.startsWith('// browser only');

const tmp = mkdtempSync(join(tmpdir(), 'recurrent-doc-examples-'));
symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'doc-examples', private: true, type: 'module' }));
// runFixture's example reads a PyTorch fixture by its repository path
mkdirSync(join(tmp, 'test/fixtures/torch'), { recursive: true });
copyFileSync(join(ROOT, 'test/fixtures/torch/layer_lstm_l1_uni.json'), join(tmp, 'test/fixtures/torch/layer_lstm_l1_uni.json'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the reference examples', () => {
  it('every class and every task function has one', () => {
    expect(r.status, r.stderr).toBe(0);
    const report = spawnSync(process.execPath, [join(ROOT, 'scripts/doc-examples.mjs')], { cwd: ROOT, encoding: 'utf8' }).stdout;
    console.log(
      report
        .split('\n')
        .filter((l) => l.endsWith('have an example'))
        .join('\n'),
    );
    expect(entries.length).toBeGreaterThan(200);
    const missing = entries.filter((e) => e.examples.length === 0 && (e.kind === 'class' || (e.kind === 'function' && e.file === TASKS)));
    expect(missing.map((e) => `${e.kind} ${e.name}`)).toEqual([]);
  });

  it('npm run docs: the reference builds with 0 warnings (typedoc.json makes a warning an error)', () => {
    const cfg = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8'));
    expect(cfg.treatWarningsAsErrors).toBe(true);
    const d = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    const out = stripColours(d.stdout + d.stderr);
    expect(out).not.toMatch(/\[warning\]|\[error\]/);
    expect(d.status, out).toBe(0);
  }, 300_000);

  it('type-check against the built declarations (strict)', () => {
    const files = blocks.map((b, i) => {
      const f = join(tmp, `check-${i}.ts`);
      writeFileSync(f, `${preamble(b.code, 'recurrent-nn', 'recurrent-nn/tasks')}${b.code}\nexport {};\n`);
      return f;
    });
    const errors = typeCheckAsUser(files, { 'recurrent-nn': [join(ROOT, INDEX)], 'recurrent-nn/tasks': [join(ROOT, TASKS)] }).map((d) => {
      const i = d.file ? files.indexOf(d.file.fileName) : -1;
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line - 3 : 0;
      return `${i >= 0 ? blocks[i].where : 'example'} (line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(errors).toEqual([]);
  });

  it('run with Node: each finishes without an error', () => {
    const root = pathToFileURL(join(ROOT, 'dist/index.js')).href;
    const tasks = pathToFileURL(join(ROOT, 'dist/tasks/index.js')).href;
    const names = blocks.map((b, i) => {
      if (browserOnly(b.code)) return undefined;
      const js = ts.transpileModule(`${preamble(b.code, root, tasks)}${toDist(b.code)}\nexport {};\n`, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      }).outputText;
      const f = `run-${i}.mjs`;
      writeFileSync(join(tmp, f), js);
      return f;
    });
    // one process imports them in turn (each a module of its own), so the suite stays quick
    writeFileSync(
      join(tmp, 'runner.mjs'),
      `const names = ${JSON.stringify(names)};
const failed = [];
for (const [i, f] of names.entries()) {
  if (!f) continue;
  try { await import('./' + f); } catch (e) { failed.push([i, String(e?.stack ?? e).split('\\n').slice(0, 3).join(' | ')]); }
}
process.stderr.write('RESULT ' + JSON.stringify(failed) + '\\n');
process.exit(0);`,
    );
    const run = spawnSync(process.execPath, ['runner.mjs'], { cwd: tmp, encoding: 'utf8', timeout: 240_000 });
    const line = run.stderr.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, `${run.stderr}\n${run.stdout}`).toBeDefined();
    const failed = (JSON.parse(line!.slice(7)) as [number, string][]).map(([i, msg]) => `${blocks[i].where}: ${msg}`);
    expect(failed).toEqual([]);
    expect(blocks.length).toBeGreaterThan(60);
  }, 300_000);
});
