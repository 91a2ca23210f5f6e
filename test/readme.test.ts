// The README's code cannot rot: every ```ts block of README.md is type-checked against the
// built declarations (dist/index.d.ts) and run with Node as an ES module file in a scratch
// directory (top-level await allowed), and must exit 0 with no error output.
// `from 'recurrent-nn'` is rewritten to the built dist/index.js (`recurrent/tasks` to
// dist/tasks/index.js once that exists); other packages resolve from this repo's node_modules.
// Needs the build (dist/) first, like every vitest suite.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { typeCheckAsUser } from './user-code.js';

interface Block {
  line: number;
  code: string;
}

/** Every ```ts fenced block of the README, with the line it starts on. */
function tsBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    out.push({ line: markdown.slice(0, m.index).split('\n').length, code: m[1] });
  }
  return out;
}

const DIST = join(ROOT, 'dist', 'index.js');
const DIST_TASKS = join(ROOT, 'dist', 'tasks', 'index.js');

/** Points the package's own specifiers at the build (a file URL, so any directory works). */
function rewriteImports(code: string): string {
  let out = code.replace(/from\s+(['"])recurrent-nn\1/g, `from '${pathToFileURL(DIST).href}'`);
  if (existsSync(DIST_TASKS)) out = out.replace(/from\s+(['"])recurrent-nn\/tasks\1/g, `from '${pathToFileURL(DIST_TASKS).href}'`);
  return out;
}

const blocks = tsBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'recurrent-readme-'));
symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'readme-blocks', private: true, type: 'module' }));
// The PyTorch-interop block imports `net.safetensors`: a real state_dict written by PyTorch
// (safetensors.torch.save_file) with the README's module names embed / lstm / fc.
copyFileSync(join(ROOT, 'test/fixtures/torch-state-dicts/lstm_l2_bi_f32.safetensors'), join(tmp, 'net.safetensors'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README.md code blocks', () => {
  it('has the SDK walkthrough among its ts blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks.some((b) => b.code.includes('createTrainer') && b.code.includes('trainer.fit('))).toBe(true);
  });

  it('type-check against the built declarations (strict)', () => {
    const files = blocks.map((b, i) => {
      const f = join(tmp, `check-${i}.ts`);
      writeFileSync(f, b.code);
      return f;
    });
    const paths: Record<string, string[]> = { 'recurrent-nn': [join(ROOT, 'dist', 'index.d.ts')] };
    if (existsSync(DIST_TASKS)) paths['recurrent-nn/tasks'] = [join(ROOT, 'dist', 'tasks', 'index.d.ts')];
    const errors = typeCheckAsUser(files, paths).map((d) => {
      const where = d.file ? `README block ${files.indexOf(d.file.fileName)} (line ${blocks[files.indexOf(d.file.fileName)]?.line})` : 'README';
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(errors).toEqual([]);
  });

  for (const [i, b] of blocks.entries()) {
    it(`block ${i} (README.md line ${b.line}) runs and exits 0 with no error output`, () => {
      const js = ts.transpileModule(rewriteImports(b.code), {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      }).outputText;
      const file = join(tmp, `block-${i}.mjs`);
      writeFileSync(file, js);
      const r = spawnSync(process.execPath, [file], { cwd: tmp, encoding: 'utf8', timeout: 90_000 });
      expect(r.stderr, `stderr of README block ${i}`).toBe('');
      expect(r.signal, 'killed (timeout?)').toBeNull();
      expect(r.status).toBe(0);
    });
  }
});
