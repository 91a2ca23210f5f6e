// The @example blocks of the public API, read from the built declarations.
// Usage: node scripts/doc-examples.mjs [--json] [FILE.d.ts ...]   (run `bash scripts/build.sh`
// first). Default: dist/index.d.ts and dist/tasks/index.d.ts. Prints, per file, how many
// classes, functions and interfaces have an example ("N of M classes, ... have an example"),
// and each one without ("no example: class Name"); --json prints every export instead:
// { file, name, kind, examples: [code of each ```ts block] }, for test/doc-examples.test.ts,
// which type-checks and runs them.
import { existsSync } from 'node:fs';
import ts from 'typescript';

const args = process.argv.slice(2);
const json = args.includes('--json');
let files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) files = ['dist/index.d.ts', 'dist/tasks/index.d.ts'].filter((f) => existsSync(f));

const program = ts.createProgram(files, { skipLibCheck: true });
const checker = program.getTypeChecker();

const kindOf = (s) =>
  s.flags & ts.SymbolFlags.Class
    ? 'class'
    : s.flags & ts.SymbolFlags.Function
      ? 'function'
      : s.flags & ts.SymbolFlags.Interface
        ? 'interface'
        : s.flags & ts.SymbolFlags.TypeAlias
          ? 'type'
          : 'variable';

/** The code of every ```ts fence in a symbol's @example tags. */
function examples(s) {
  const out = [];
  for (const tag of s.getJsDocTags(checker)) {
    if (tag.name !== 'example') continue;
    const text = ts.displayPartsToString(tag.text ?? []);
    const fenced = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    // an unfenced @example is code as it stands (TypeDoc shows it as a code block)
    out.push(...(fenced.length > 0 || text.includes('```') ? fenced : [`${text.trim()}\n`]));
  }
  return out;
}

const all = [];
for (const file of files) {
  const source = program.getSourceFile(file);
  if (!source) {
    console.error(`doc-examples: ${file} not found (run bash scripts/build.sh first)`);
    process.exit(1);
  }
  for (const s of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    const r = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    all.push({ file, name: s.name, kind: kindOf(r), examples: examples(r) });
  }
}

if (json) {
  console.log(JSON.stringify(all));
} else {
  for (const file of files) {
    const mine = all.filter((e) => e.file === file);
    const count = (kind) => {
      const of = mine.filter((e) => e.kind === kind);
      return `${of.filter((e) => e.examples.length > 0).length} of ${of.length} ${kind === 'class' ? 'classes' : `${kind}s`}`;
    };
    console.log(`${file}: ${count('class')}, ${count('function')}, ${count('interface')} have an example`);
    for (const e of mine) if (e.examples.length === 0 && (e.kind === 'class' || e.kind === 'function')) console.log(`no example: ${e.kind} ${e.name}`);
  }
}
