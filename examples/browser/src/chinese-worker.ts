// The Chinese page's worker: loads a segmenter and an entity model (files from the CLI) and
// answers each text with its words and its entities ([start, end) in characters).
import { init } from 'recurrent-nn';
import { EntityRecognizer, Segmenter } from 'recurrent-nn/tasks';

export type Request = { kind: 'load'; seg?: ArrayBuffer; ner?: ArrayBuffer } | { kind: 'analyse'; text: string };
export type Reply =
  | { kind: 'loaded'; seg: boolean; ner: boolean; tags: string[] }
  | { kind: 'result'; lines: { words: string[]; entities: { type: string; start: number; end: number; text?: string }[] }[] }
  | { kind: 'error'; message: string };

let seg: Segmenter | undefined;
let ner: EntityRecognizer | undefined;
const ready = init();

self.onmessage = async (e: MessageEvent<Request>) => {
  const post = (r: Reply) => (self as unknown as Worker).postMessage(r);
  try {
    await ready;
    const m = e.data;
    if (m.kind === 'load') {
      if (m.seg) {
        seg?.dispose();
        seg = Segmenter.load(new Uint8Array(m.seg));
      }
      if (m.ner) {
        ner?.dispose();
        ner = EntityRecognizer.load(new Uint8Array(m.ner));
      }
      post({ kind: 'loaded', seg: !!seg, ner: !!ner, tags: ner ? [...ner.tagger.tags] : [] });
      return;
    }
    const lines = m.text.split(/\r?\n/).filter((l) => l.trim() !== '');
    const words = seg ? seg.segment(lines) : lines.map((l) => Array.from(l.replace(/\s+/g, '')));
    // entities over the same characters the words spell (spaces dropped)
    const ents = ner ? ner.recognize(lines.map((l) => l.replace(/\s+/g, ''))) : lines.map(() => []);
    post({ kind: 'result', lines: lines.map((_, i) => ({ words: words[i], entities: ents[i] })) });
  } catch (err) {
    post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
