// The Chinese page: paste text, see its words (boxed) and entities (coloured by type),
// computed in a module Web Worker (chinese-worker.ts) from model files trained by the CLI,
// chosen as files or given as ?seg=URL&ner=URL (the test uses that).
import type { Reply, Request } from './chinese-worker.ts';
import './style.css';

type State = 'loading' | 'ready' | 'busy' | 'done' | 'error';
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};

/** What the test reads. */
const demo = { state: 'loading' as State, words: [] as string[][], entities: [] as { type: string; text?: string }[][], error: '' };
(window as unknown as { chineseDemo: typeof demo }).chineseDemo = demo;

const worker = new Worker(new URL('./chinese-worker.ts', import.meta.url), { type: 'module' });
const send = (m: Request, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

function status(): void {
  $('status').textContent = demo.error || demo.state;
  $<HTMLButtonElement>('analyse').disabled = demo.state === 'loading' || demo.state === 'busy';
}

/** One line: its characters grouped into words (boxes), entity characters inside <mark>. */
function render(lines: Extract<Reply, { kind: 'result' }>['lines']): void {
  const out = $('output');
  out.textContent = '';
  for (const line of lines) {
    const p = document.createElement('p');
    const type: (string | undefined)[] = [];
    for (const e of line.entities) for (let i = e.start; i < e.end; i++) type[i] = e.type;
    let pos = 0;
    for (const w of line.words) {
      const box = document.createElement('span');
      box.className = 'word';
      for (const c of Array.from(w)) {
        const t = type[pos++];
        if (t) {
          const m = document.createElement('mark');
          m.className = `ent ${t}`;
          m.textContent = c;
          m.title = t;
          box.append(m);
        } else box.append(c);
      }
      p.append(box);
    }
    out.append(p);
  }
}

worker.onmessage = (e: MessageEvent<Reply>) => {
  const r = e.data;
  if (r.kind === 'error') {
    demo.state = 'error';
    demo.error = r.message;
  } else if (r.kind === 'loaded') {
    $('model-info').textContent = `segmenter: ${r.seg ? 'loaded' : 'none (one character a word)'}; entities: ${r.ner ? r.tags.join(' ') : 'none'}`;
    demo.state = 'ready';
  } else {
    demo.words = r.lines.map((l) => l.words);
    demo.entities = r.lines.map((l) => l.entities.map((x) => ({ type: x.type, text: x.text })));
    render(r.lines);
    demo.state = 'done';
  }
  status();
};

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function start(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const [seg, ner] = await Promise.all([q.get('seg'), q.get('ner')].map((u) => (u ? fetchBytes(u) : undefined)));
  send(
    { kind: 'load', seg, ner },
    [seg, ner].filter((x): x is ArrayBuffer => !!x),
  );
}

for (const [id, key] of [
  ['seg-file', 'seg'],
  ['ner-file', 'ner'],
] as const) {
  $<HTMLInputElement>(id).addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    demo.state = 'loading';
    status();
    const bytes = await f.arrayBuffer();
    send({ kind: 'load', [key]: bytes }, [bytes]);
  });
}
$('analyse').addEventListener('click', () => {
  demo.state = 'busy';
  demo.error = '';
  status();
  send({ kind: 'analyse', text: $<HTMLTextAreaElement>('text').value });
});

start().catch((e) => {
  demo.state = 'error';
  demo.error = e instanceof Error ? e.message : String(e);
  status();
});
