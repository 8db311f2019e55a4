/**
 * Tests for the Unicode tables (src/regex/unicode.ts): membership against the JS engine's own
 * `\p{…}`, the uniform-region assumption behind the fast scan, Go's name resolution and
 * categories, and simple case folding orbits with Go `SimpleFold` semantics.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalUnicodeName,
  foldClosure,
  foldOrbit,
  generalCategory,
  GO_SCRIPTS,
  MAX_RUNE,
  negateRanges,
  normalizeRanges,
  rangesContain,
  rangesSize,
  scriptTable,
  simpleFold,
  UNIFORM_REGIONS,
  unicodeClass,
  unionRanges,
} from '../../src/regex/unicode.js';

const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

/** Code points to probe: a stride over the space, every range edge ±1, and region ends. */
function probes(ranges: readonly number[]): number[] {
  const out = new Set<number>();
  for (let cp = 0; cp <= 0x3ffff; cp += 37) out.add(cp);
  for (let cp = 0x40000; cp <= MAX_RUNE; cp += 4099) out.add(cp);
  for (const x of ranges) for (const d of [-1, 0, 1]) out.add(x + d);
  for (const [lo, hi] of UNIFORM_REGIONS) out.add(lo).add(hi);
  return [...out].filter((cp) => cp >= 0 && cp <= MAX_RUNE && !isSurrogate(cp));
}

function agreesWithEngine(ranges: readonly number[], jsClass: string): string[] {
  const re = new RegExp(`^${jsClass}$`, 'u');
  const bad: string[] = [];
  for (const cp of probes(ranges)) {
    if (rangesContain(ranges, cp) !== re.test(String.fromCodePoint(cp))) bad.push(cp.toString(16));
  }
  return bad;
}

const isCanonical = (r: readonly number[]) =>
  r.length % 2 === 0 && r.every((x, i) => (i === 0 ? x >= 0 : i % 2 === 1 ? x >= r[i - 1]! : x > r[i - 1]! + 1));

describe('range algebra', () => {
  it.each([
    [[5, 9, 1, 3, 4, 4], [1, 9]],
    [[1, 2, 4, 5], [1, 2, 4, 5]],
    [[3, 10, 4, 5], [3, 10]],
    [[0, 0, 0, 0], [0, 0]],
    [[], []],
  ])('normalize %j', (input, want) => expect(normalizeRanges(input)).toEqual(want));

  it('negate and union', () => {
    expect(negateRanges([])).toEqual([0, MAX_RUNE]);
    expect(negateRanges([0, MAX_RUNE])).toEqual([]);
    expect(negateRanges([0x61, 0x61])).toEqual([0, 0x60, 0x62, MAX_RUNE]);
    expect(unionRanges([1, 2], [3, 4])).toEqual([1, 4]);
    expect(rangesSize([0, 9, 20, 20])).toBe(11);
  });
});

describe('general categories and scripts vs the JS engine', () => {
  it.each(['L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'LC', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd',
    'Ps', 'Pe', 'Pi', 'Pf', 'Po', 'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp', 'Cc', 'Cf', 'Co', 'Cn'])(
    '\\p{%s}',
    (gc) => {
      const t = generalCategory(gc)!;
      expect(isCanonical(t)).toBe(true);
      expect(agreesWithEngine(t, `\\p{General_Category=${gc}}`)).toEqual([]);
    },
  );

  it("Go's C is Cc|Cf|Co|Cs, without Cn (unlike Unicode's C)", () => {
    const c = generalCategory('C')!;
    expect(agreesWithEngine(c, '[\\p{Cc}\\p{Cf}\\p{Co}]')).toEqual([]);
    expect(rangesContain(c, 0xd800) && rangesContain(c, 0xdfff)).toBe(true);
    expect(rangesContain(c, 0x378)).toBe(false); // unassigned
    expect(generalCategory('Cs')).toEqual([0xd800, 0xdfff]);
  });

  it.each(['Greek', 'Latin', 'Han', 'Hangul', 'Cyrillic', 'Arabic', 'Common', 'Inherited', 'Old_Italic', 'Braille'])(
    'script %s',
    (name) => {
      const t = scriptTable(name)!;
      expect(isCanonical(t)).toBe(true);
      expect(agreesWithEngine(t, `\\p{Script=${name}}`)).toEqual([]);
    },
  );

  it('knows every Go script name (Unicode 15.0: 161 scripts plus Common and Inherited) in this engine', () => {
    expect(new Set(GO_SCRIPTS).size).toBe(163);
    expect(GO_SCRIPTS.filter((s) => scriptTable(s) === null)).toEqual([]);
  });

  it('holds the uniform-region assumption behind the fast scan', () => {
    // Each region must be entirely one general category, checked with one regex per region.
    for (const [lo, hi] of UNIFORM_REGIONS) {
      let s = '';
      for (let cp = lo; cp <= hi; cp++) s += String.fromCodePoint(cp);
      const gc = new RegExp('^\\p{Co}', 'u').test(String.fromCodePoint(lo)) ? 'Co' : 'Cn';
      expect(new RegExp(`^\\p{${gc}}+$`, 'u').test(s), `${lo.toString(16)}-${hi.toString(16)}`).toBe(true);
    }
  });
});

describe('names, as Go 1.25 resolves them', () => {
  it.each([
    ['Lu', 'Lu'],
    ['lu', 'Lu'],
    ['LU', 'Lu'],
    ['upper case-let ter', 'Uppercaseletter'],
    ['__Greek', 'Greek'],
    ['old_italic', 'Olditalic'],
    ['ß', 'ß'],
  ])('canonical(%j) = %j', (name, want) => expect(canonicalUnicodeName(name)).toBe(want));

  it('resolves aliases, spellings and special names', () => {
    expect(unicodeClass('Uppercase_Letter')).toBe(generalCategory('Lu'));
    expect(unicodeClass('upper case-let ter')).toBe(generalCategory('Lu'));
    expect(unicodeClass('Letter')).toBe(generalCategory('L'));
    expect(unicodeClass('Other')).toBe(generalCategory('C'));
    expect(unicodeClass('punct')).toBe(generalCategory('P'));
    expect(unicodeClass('lc')).toBe(generalCategory('LC'));
    expect(unicodeClass('latin')).toBe(scriptTable('Latin'));
    expect(unicodeClass('OLDITALIC')).toBe(scriptTable('Old_Italic'));
    expect(unicodeClass('Any')).toEqual([0, MAX_RUNE]);
    expect(unicodeClass('ascii')).toEqual([0, 0x7f]);
    expect(unicodeClass('Assigned')).toEqual(negateRanges(generalCategory('Cn')!));
  });

  it.each(['', 'Foo', 'Grek', 'Script=Greek', 'L&', 'IsGreek', 'Zzzz', 'Unknown', 'Katakana_Or_Hiragana'])(
    'rejects %j',
    (name) => expect(unicodeClass(name)).toBeNull(),
  );
});

describe('simple case folding (Go SimpleFold)', () => {
  const cp = (s: string) => s.codePointAt(0)!;
  it.each([
    ['k', [0x4b, 0x6b, 0x212a]],
    ['s', [0x53, 0x73, 0x17f]],
    ['i', [0x49, 0x69]],
    ['ı', [0x131]],
    ['İ', [0x130]],
    ['σ', [0x3a3, 0x3c2, 0x3c3]],
    ['θ', [0x398, 0x3b8, 0x3d1, 0x3f4]],
    ['µ', [0xb5, 0x39c, 0x3bc]],
    ['ß', [0xdf, 0x1e9e]],
    ['ǅ', [0x1c4, 0x1c5, 0x1c6]],
    ['1', [0x31]],
    ['Ꭰ', [0x13a0, 0xab70]], // Cherokee folds to upper case
  ])('orbit of %s', (ch, want) => expect(foldOrbit(cp(ch))).toEqual(want));

  it('SimpleFold steps to the next larger member and wraps', () => {
    expect(simpleFold(0x4b)).toBe(0x6b);
    expect(simpleFold(0x6b)).toBe(0x212a);
    expect(simpleFold(0x212a)).toBe(0x4b);
    expect(simpleFold(0x31)).toBe(0x31);
    // Iterating from any member visits the whole orbit.
    for (const start of [0x3a3, 0x398, 0x1c5]) {
      const seen = [start];
      for (let x = simpleFold(start); x !== start; x = simpleFold(x)) seen.push(x);
      expect(seen.sort((a, b) => a - b)).toEqual(foldOrbit(start));
    }
  });

  it('orbits are exactly the /iu equivalence classes among cased code points', () => {
    const cased = normalizeRanges(
      [...'Changes_When_Casemapped Changes_When_Casefolded'.split(' ')].flatMap((p) => {
        const re = new RegExp(`\\p{${p}}`, 'u');
        const out: number[] = [];
        for (let c = 0; c <= 0x1ffff; c++) if (!isSurrogate(c) && re.test(String.fromCodePoint(c))) out.push(c, c);
        return out;
      }),
    );
    const all: number[] = [];
    for (let i = 0; i < cased.length; i += 2) for (let c = cased[i]!; c <= cased[i + 1]!; c++) all.push(c);
    const text = String.fromCodePoint(...all);
    const bad: string[] = [];
    const done = new Set<number>();
    for (const c of all) {
      if (done.has(c)) continue;
      const re = new RegExp(`\\u{${c.toString(16)}}`, 'giu');
      const matches = [...text.matchAll(re)].map((m) => m[0].codePointAt(0)!).sort((a, b) => a - b);
      const orbit = foldOrbit(c);
      if (matches.join() !== orbit.join()) bad.push(`${c.toString(16)}: ${matches.join()} vs ${orbit.join()}`);
      for (const x of orbit) done.add(x);
    }
    expect(bad).toEqual([]);
  });

  it('fold closure adds whole orbits and nothing else', () => {
    expect(foldClosure([0x6b, 0x6b])).toEqual([0x4b, 0x4b, 0x6b, 0x6b, 0x212a, 0x212a]);
    expect(foldClosure([0x61, 0x7a])).toEqual([0x41, 0x5a, 0x61, 0x7a, 0x17f, 0x17f, 0x212a, 0x212a]);
    expect(foldClosure([0x30, 0x39])).toEqual([0x30, 0x39]);
    expect(foldClosure([0, MAX_RUNE])).toEqual([0, MAX_RUNE]);
    const lu = foldClosure(generalCategory('Lu')!);
    expect(rangesContain(lu, 0x61) && rangesContain(lu, 0x3c2) && !rangesContain(lu, 0x131)).toBe(true);
  });
});
