// Issue 19, data: the diatheke OSIS export parsed and aligned verse by verse on committed
// excerpts of the real export (test/fixtures/bible): `</w><w` with no space, stale psalm titles
// before later verses, Strong's numbers in attributes, WEB's extra books and glossary after
// Revelation 22:21, and the Spanish empty verse slot that drops its whole chapter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alignVerses, bibleSplitOf, parseOsisExport, stripOsis } from '../ts/cli/corpora/bible.js';
import { expectError, ROOT } from './helpers.js';

const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/bible', name), 'utf8');
const es = parseOsisExport(fixture('spaRV1909eb.osis'));
const en = parseOsisExport(fixture('engWEB2015eb.osis'));
const text = (vs: typeof es, key: string) => vs.find((v) => `${v.book} ${v.chapter}:${v.verse}` === key)?.text;

describe('OSIS export parsing', () => {
  it('reads only canonical verse lines, in file order', () => {
    expect(es.map((v) => `${v.book} ${v.chapter}:${v.verse}`)).toEqual([
      'Genesis 1:1',
      'Genesis 1:2',
      'Numbers 12:15',
      'Numbers 12:16',
      'Psalms 3:1',
      'Psalms 3:2',
      'Romans 16:23',
      'Romans 16:24',
      'Romans 16:25',
      'Revelation of John 22:21',
    ]);
    // Tobit (a deuterocanonical book after Revelation) and the module-name line are skipped;
    // "III John 1:15" comes right after a tag and is not read as "John 1:15"
    expect(en.some((v) => v.book === 'Tobit' || v.book === 'John')).toBe(false);
    expect(en.some((v) => v.book === 'III John' && v.verse === 15)).toBe(true);
  });
  it('puts a space between words written </w><w', () => {
    expect(text(en, 'Genesis 1:1')).toBe('In the beginning, God created the heavens and the earth.');
  });
  it('drops the stale psalm title before a verse header', () => {
    expect(text(en, 'Psalms 3:2')).toBe('Many there are who say of my soul, “There is no help for him in God.” Selah.');
    expect(text(en, 'Romans 16:24')?.startsWith('The grace of our Lord Jesus Christ')).toBe(true);
    // RV1909 has the title inside verse 1, where it stays
    expect(text(es, 'Psalms 3:1')?.startsWith('Salmo de David, cuando huía de delante de Absalom su hijo. ¡OH Jehová')).toBe(true);
  });
  it("strips Strong's numbers with the markup", () => {
    const t = text(es, 'Romans 16:24') ?? '';
    expect(t).toBe('La gracia del Señor nuestro Jesucristo sea con todos vosotros. Amén.');
    expect(es.some((v) => /[<>]|G\d{3,}/.test(v.text))).toBe(false);
  });
  it("cuts WEB's glossary off Revelation 22:21", () => {
    expect(text(en, 'Revelation of John 22:21')).toBe('The grace of the Lord Jesus Christ be with all the saints. Amen.');
  });
  it('keeps empty verse slots as empty text', () => {
    expect(text(es, 'Numbers 12:16')).toBe('');
    expect(text(en, 'Romans 16:25')).toBe('');
  });
  it('stripOsis', () => {
    expect(stripOsis('<w lemma="H1">a</w><w>b</w>,<milestone type="line"/>c  d ')).toBe('a b, c d');
    expect(stripOsis('<w>Yahweh</w>,<w>Yahweh</w> <w>spoke</w>')).toBe('Yahweh, Yahweh spoke');
    // RV1909 Romans 1:1 (text between word tags with no space); the KJV splits words so
    const rom = '<w>llamado</w>á ser<w>apóstol</w>, <w>apartado</w>';
    expect(stripOsis(rom, { spaceGlued: true })).toBe('llamado á ser apóstol, apartado');
    expect(stripOsis(rom)).toBe('llamadoá serapóstol, apartado');
    expect(stripOsis('<w>shall more be give</w>n.')).toBe('shall more be given.');
  });
  it('a repeated verse is E_FORMAT', () => {
    expectError(() => parseOsisExport('Genesis 1:1: a\nGenesis 1:1: b\n'), TypeError, 'E_FORMAT', /repeats Genesis 1:1/);
  });
});

describe('verse alignment', () => {
  const a = alignVerses(es, en);
  it('drops every chapter with an empty or missing slot on either side', () => {
    // Numbers 12:16 is empty in RV1909, Romans 16:25 empty in WEB; III John 1:15 is WEB's only
    expect(a.dropped.sort()).toEqual(['III John 1', 'Numbers 12', 'Romans 16']);
    expect(a.pairs.map((p) => `${p.book} ${p.chapter}:${p.verse}`)).toEqual([
      'Genesis 1:1',
      'Genesis 1:2',
      'Psalms 3:1',
      'Psalms 3:2',
      'Revelation of John 22:21',
    ]);
    expect(a.pairs[0]).toMatchObject({
      source: 'EN el principio crió Dios los cielos y la tierra.',
      target: 'In the beginning, God created the heavens and the earth.',
    });
  });
  it('an extra reference side is aligned too and can drop chapters', () => {
    const kjv = [
      { book: 'Genesis', chapter: 1, verse: 1, text: 'In the beginning God created the heaven and the earth.' },
      { book: 'Genesis', chapter: 1, verse: 2, text: 'And the earth was without form, and void.' },
    ];
    const b = alignVerses(es, en, { kjv });
    expect(b.pairs.map((p) => p.refs?.kjv)).toEqual(['In the beginning God created the heaven and the earth.', 'And the earth was without form, and void.']);
    expect(b.dropped).toContain('Psalms 3');
  });
  it('splits by whole books', () => {
    expect(['Joshua', 'Proverbs', 'Romans'].map(bibleSplitOf)).toEqual(['test', 'test', 'test']);
    expect(['Esther', 'Hebrews'].map(bibleSplitOf)).toEqual(['dev', 'dev']);
    expect(['Genesis', 'Psalms', 'Revelation of John'].map(bibleSplitOf)).toEqual(['train', 'train', 'train']);
  });
});
