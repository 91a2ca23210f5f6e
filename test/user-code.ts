// Type-checks code as a user of the built package would write it (README blocks, reference
// examples): strict, ES2022 + DOM, Node's types, the package's specifiers mapped to dist/.
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

/** The diagnostics of `files` against the built declarations (`paths`: specifier → .d.ts). */
export function typeCheckAsUser(files: string[], paths: Record<string, string[]>): readonly ts.Diagnostic[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    paths,
  });
  return ts.getPreEmitDiagnostics(program);
}
