// Doc-comment coverage of the public API, read from the built declarations.
// Usage: node scripts/doc-coverage.mjs [--list] [FILE.d.ts ...]   (run `bash scripts/build.sh`
// first). Default: dist/index.d.ts, plus dist/tasks/index.d.ts when the `recurrent/tasks`
// subpath exists. Prints "N of M root exports and K of L members documented" (per file, then
// the total when there are several); --list also names every export and member without one.
// Members are the public instance and static members of exported classes and interfaces
// (constructors included; private, protected and @internal ones and type parameters left out).
// A doc comment with only tags (e.g. a constructor's @param list) counts as documented.
import { existsSync } from 'node:fs';
import ts from 'typescript';

const args = process.argv.slice(2);
const list = args.includes('--list');
let files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) files = ['dist/index.d.ts', 'dist/tasks/index.d.ts'].filter((f) => f === 'dist/index.d.ts' || existsSync(f));

const program = ts.createProgram(files, { skipLibCheck: true });
const checker = program.getTypeChecker();

const documented = (sym) => ts.displayPartsToString(sym.getDocumentationComment(checker)).trim() !== '' || sym.getJsDocTags(checker).length > 0;
const hidden = (sym) =>
  sym.name.startsWith('#') ||
  sym.name === 'prototype' ||
  sym.flags & ts.SymbolFlags.TypeParameter ||
  sym.getJsDocTags(checker).some((t) => t.name === 'internal') ||
  (sym.declarations ?? []).some((d) => ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));

const line = (c) => `${c.exportsDoc} of ${c.exports} root exports and ${c.membersDoc} of ${c.members} members documented`;
const total = { exports: 0, exportsDoc: 0, members: 0, membersDoc: 0 };
for (const file of files) {
  const source = program.getSourceFile(file);
  if (!source) {
    console.error(`doc-coverage: ${file} not found (run bash scripts/build.sh first)`);
    process.exit(1);
  }
  const c = { exports: 0, exportsDoc: 0, members: 0, membersDoc: 0 };
  for (const s of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    const r = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    c.exports++;
    if (documented(r)) c.exportsDoc++;
    else if (list) console.log(`undocumented: ${s.name}`);
    const own = [...(r.members?.values() ?? [])];
    const statics = r.flags & ts.SymbolFlags.Class ? [...(r.exports?.values() ?? [])] : [];
    for (const m of [...own, ...statics]) {
      if (hidden(m)) continue;
      c.members++;
      if (documented(m)) c.membersDoc++;
      else if (list) console.log(`undocumented: ${s.name}.${m.name === '__constructor' ? 'constructor' : m.name}`);
    }
  }
  if (files.length > 1) console.log(`${file}: ${line(c)}`);
  for (const k of Object.keys(total)) total[k] += c[k];
}
console.log(line(total));
