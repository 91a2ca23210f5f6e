// Doc-comment coverage of the public API, read from the built declarations.
// Usage: node scripts/doc-coverage.mjs [--list] [FILE.d.ts]   (default dist/index.d.ts; run
// `bash scripts/build.sh` first). Prints "N of M root exports and K of L members documented";
// --list also names every export and member that has no doc comment.
// Members are the public instance and static members of exported classes and interfaces
// (constructors included, private and protected ones left out).
import ts from 'typescript';

const args = process.argv.slice(2);
const list = args.includes('--list');
const file = args.find((a) => !a.startsWith('--')) ?? 'dist/index.d.ts';

const program = ts.createProgram([file], { skipLibCheck: true });
const checker = program.getTypeChecker();
const source = program.getSourceFile(file);
if (!source) {
  console.error(`doc-coverage: ${file} not found (run bash scripts/build.sh first)`);
  process.exit(1);
}

const documented = (sym) => ts.displayPartsToString(sym.getDocumentationComment(checker)).trim() !== '';
const hidden = (sym) =>
  sym.name.startsWith('#') ||
  sym.name === 'prototype' ||
  (sym.declarations ?? []).some((d) => ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));

let exportsDoc = 0;
let members = 0;
let membersDoc = 0;
const missing = [];
const roots = checker.getExportsOfModule(checker.getSymbolAtLocation(source));
for (const s of roots) {
  const r = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  if (documented(r)) exportsDoc++;
  else missing.push(s.name);
  const own = [...(r.members?.values() ?? [])];
  const statics = r.flags & ts.SymbolFlags.Class ? [...(r.exports?.values() ?? [])] : [];
  for (const m of [...own, ...statics]) {
    if (hidden(m)) continue;
    members++;
    if (documented(m)) membersDoc++;
    else missing.push(`${s.name}.${m.name === '__constructor' ? 'constructor' : m.name}`);
  }
}

if (list) for (const name of missing) console.log(`undocumented: ${name}`);
console.log(`${exportsDoc} of ${roots.length} root exports and ${membersDoc} of ${members} members documented`);
