// TypeDoc plugin (typedoc.json "plugin"): names the two modules `recurrent-nn` and
// `recurrent-nn/tasks`, and puts every export of the reference in a group by the source file it
// comes from, so the reference reads in the order a user needs it (Getting started, Building
// models, Training, Data, Files and interop, Audio; the tasks by task). One table, here, instead
// of a @group tag in every doc comment; a file it does not place fails the docs build (a
// warning, and warnings are errors), so a new file gets a group when it is added.
import { relative } from 'node:path';
import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

/** [source file under ts/ (a regular expression), group]: the first match wins. */
export const GROUPS = [
  [/^(index|wasm|kernel-choice|runtime|trainer|errors)\.ts$/, 'Getting started'],
  [/^(builder|spec|layer|cells|model|model-kind|seq2seq|params)\.ts$/, 'Building models'],
  [/^(session|session-api|gradient-norms|fit|fit-batches|fit-hooks|fit-options|score|events|ctc|parallel\/.*|worker\/.*)\.ts$/, 'Training'],
  [/^data\/.*\.ts$/, 'Data'],
  [/^(io\/.*|conformance)\.ts$/, 'Files and interop'],
  [/^audio\/.*\.ts$/, 'Audio'],
  [/^tasks\/(segment|chinese-baselines|bigrams|lexicon|held-out)\.ts$/, 'Word segmentation'],
  [/^tasks\/(pos|tagged|hmm-tagger|brown)\.ts$/, 'Tagging'],
  [/^tasks\/(ner|entities|chinese|gazetteer)\.ts$/, 'Named entities'],
  [/^tasks\/(classify|naive-bayes|nb-logistic)\.ts$/, 'Text classification'],
  [/^tasks\/(g2p|edit-distance)\.ts$/, 'Grapheme to phoneme'],
  [/^tasks\/(translate|bpe|bleu|ibm1)\.ts$/, 'Translation'],
  [/^tasks\/(speech|augment-speech)\.ts$/, 'Speech'],
  [/^tasks\/forecast\.ts$/, 'Forecasting'],
  [/^tasks\/(next-word|kneser-ney|words)\.ts$/, 'Language models'],
  [/^tasks\/(classic|adding|gradient-flow|metrics|progress|defaults)\.ts$/, 'Demos and metrics'],
];

/** The modules' names: by entry file. */
const MODULES = { 'index.ts': 'recurrent-nn', 'tasks/index.ts': 'recurrent-nn/tasks' };

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_BEGIN,
    (context) => {
      const root = `${app.options.getValue('basePath') || process.cwd()}/ts`;
      const fileOf = (refl) => {
        const decl = context.getSymbolFromReflection(refl)?.declarations?.[0];
        return decl ? relative(root, decl.getSourceFile().fileName).replaceAll('\\', '/') : undefined;
      };
      for (const mod of context.project.children ?? []) {
        if (!mod.kindOf(ReflectionKind.Module)) continue;
        const entry = Object.keys(MODULES).find((f) => mod.name === f.replace(/\.ts$/, '') || mod.name === f.replace(/\/index\.ts$/, ''));
        if (entry) mod.name = MODULES[entry];
        for (const child of mod.children ?? []) {
          const file = fileOf(child);
          const group = file && GROUPS.find(([re]) => re.test(file))?.[1];
          if (!group) {
            app.logger.warn(`typedoc-groups: ${child.name} (${file ?? 'no source'}) is in no group: add its file to GROUPS in scripts/typedoc-groups.mjs`);
            continue;
          }
          // functions carry their comment on the signature
          const target = child.signatures?.[0] ?? child;
          target.comment ??= new Comment();
          target.comment.blockTags.push(new CommentTag('@group', [{ kind: 'text', text: group }]));
        }
      }
    },
    200,
  );
}
