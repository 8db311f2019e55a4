/**
 * Unicode code-point tables for the RE2 / Go `regexp/syntax` parser (`syntax.ts`).
 *
 * What this module owns:
 * - the set algebra on code-point range lists (`RuneRanges`: sorted, disjoint,
 *   non-adjacent inclusive ranges, flattened `[lo0, hi0, lo1, hi1, …]`);
 * - the tables behind `\pX` / `\p{Name}`: Go's general categories, its category aliases
 *   (Go 1.25: `\p{Letter}`), its scripts, `Any`, `Assigned` and `ASCII`, looked up the way
 *   Go 1.25 does (case-insensitive, ignoring `_`, `-` and spaces);
 * - simple case folding orbits with Go's `unicode.SimpleFold` semantics.
 *
 * Where the data comes from: we ship no Unicode tables. Everything is computed lazily, once,
 * from the JS engine's own Unicode data (RegExp property escapes with the `u` flag, which
 * browsers have too), and cached. The consequence, accepted on purpose, is that the tables
 * follow the engine's Unicode version (Node 20.20: Unicode 17) rather than Go's (Go 1.25:
 * Unicode 15.0); the set of *names* we accept is Go's.
 *
 * How a table is computed (the fast path): one string holds every code point of planes 0–3
 * and of the first block of plane 14 (0xE0000–0xE0FFF), surrogates excluded (≈465k UTF-16
 * units, built once and kept). A property table is one global-regex scan `\p{X}+` over it:
 * each match is a run, so the cost is one linear pass in native code (a few ms), not one
 * RegExp per code point. The rest of the code space is assumed uniform per region — planes
 * 4–13 and 0xE1000–0xEFFFF unassigned, planes 15–16 private use except their two trailing
 * noncharacters — and each region is classified by testing one representative code point.
 * The assumption holds for every Unicode version so far; `test/regex/unicode.test.ts` checks
 * it against a full scan, so a future Unicode version that breaks it fails a test.
 *
 * Case folding: Go's SimpleFold orbits are the equivalence classes of Unicode simple case
 * folding, which is exactly what `/x/iu` compares. Candidate pairs come from single-code-point
 * `toLowerCase`/`toUpperCase` and from code points sharing a multi-code-point full mapping
 * (ΐ U+0390 / U+1FD3 both upper-case to the same three code points); every candidate is
 * verified with an `/iu` match, in batches. That keeps U+0130/U+0131 out of the `i` orbit and
 * puts U+212A KELVIN SIGN with k/K and U+017F with s/S, as Go does.
 */

/** The largest code point (Go `unicode.MaxRune`). */
export const MAX_RUNE = 0x10ffff;

/**
 * A set of code points: sorted, disjoint, non-adjacent inclusive ranges, flattened
 * `[lo0, hi0, lo1, hi1, …]`. Tables returned by this module are shared and frozen: copy
 * before changing.
 */
export type RuneRanges = readonly number[];

// ---------------------------------------------------------------------------------------
// Range algebra
// ---------------------------------------------------------------------------------------

/**
 * Sorts and merges a flat list of (possibly overlapping, unsorted) inclusive ranges into
 * canonical `RuneRanges` (Go `cleanClass`). The input array is not modified.
 */
export function normalizeRanges(pairs: readonly number[]): number[] {
  const n = pairs.length >> 1;
  if (n === 0) return [];
  let sorted = true;
  for (let i = 2; i < pairs.length; i += 2) {
    if (pairs[i]! <= pairs[i - 1]! + 1) {
      sorted = false;
      break;
    }
  }
  if (sorted) return pairs.slice();
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => pairs[2 * a]! - pairs[2 * b]! || pairs[2 * b + 1]! - pairs[2 * a + 1]!);
  const out: number[] = [];
  for (const i of order) {
    const lo = pairs[2 * i]!;
    const hi = pairs[2 * i + 1]!;
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) {
      if (hi > out[last]!) out[last] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** The complement of `ranges` within 0..MAX_RUNE (Go `negateClass`). */
export function negateRanges(ranges: RuneRanges): number[] {
  const out: number[] = [];
  let nextLo = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    if (nextLo <= lo - 1) out.push(nextLo, lo - 1);
    nextLo = ranges[i + 1]! + 1;
  }
  if (nextLo <= MAX_RUNE) out.push(nextLo, MAX_RUNE);
  return out;
}

/** The union of two canonical range lists. */
export function unionRanges(a: RuneRanges, b: RuneRanges): number[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  return normalizeRanges([...a, ...b]);
}

/** Whether `cp` is in the canonical range list `ranges` (binary search). */
export function rangesContain(ranges: RuneRanges, cp: number): boolean {
  let lo = 0;
  let hi = (ranges.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]!) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The number of code points in a canonical range list. */
export function rangesSize(ranges: RuneRanges): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i += 2) n += ranges[i + 1]! - ranges[i]! + 1;
  return n;
}

function freeze(ranges: number[]): RuneRanges {
  return Object.freeze(ranges);
}

// ---------------------------------------------------------------------------------------
// Scanning the JS engine's Unicode data
// ---------------------------------------------------------------------------------------

/** Contiguous code-point segments laid out one after another in the scan text. */
interface Segment {
  readonly lo: number;
  readonly hi: number;
  /** UTF-16 units per code point (1 in the BMP, 2 above). */
  readonly width: 1 | 2;
  /** Index of `lo` in the scan text. */
  readonly start: number;
}

const SEGMENT_BOUNDS: readonly (readonly [number, number])[] = [
  [0x0000, 0xd7ff],
  [0xe000, 0xffff],
  [0x10000, 0x3ffff],
  [0xe0000, 0xe0fff],
];

/**
 * Regions outside the scan text whose code points all share one general category and
 * script (checked by `checkUniformRegions`); each is classified by its first code point.
 */
export const UNIFORM_REGIONS: readonly (readonly [number, number])[] = [
  [0x40000, 0xdffff], // planes 4–13: unassigned
  [0xe1000, 0xeffff], // rest of plane 14: unassigned
  [0xf0000, 0xffffd], // plane 15: private use
  [0xffffe, 0xfffff], // plane 15 noncharacters: unassigned
  [0x100000, 0x10fffd], // plane 16: private use
  [0x10fffe, 0x10ffff], // plane 16 noncharacters: unassigned
];

let scanText: string | null = null;
let segments: Segment[] = [];

function getScanText(): string {
  if (scanText !== null) return scanText;
  const segs: Segment[] = [];
  let total = 0;
  for (const [lo, hi] of SEGMENT_BOUNDS) {
    const width = lo >= 0x10000 ? 2 : 1;
    segs.push({ lo, hi, width, start: total });
    total += (hi - lo + 1) * width;
  }
  const units = new Uint16Array(total);
  let k = 0;
  for (const s of segs) {
    for (let c = s.lo; c <= s.hi; c++) {
      if (s.width === 1) {
        units[k++] = c;
      } else {
        const v = c - 0x10000;
        units[k++] = 0xd800 + (v >> 10);
        units[k++] = 0xdc00 + (v & 0x3ff);
      }
    }
  }
  // String.fromCharCode in chunks: portable (no TextDecoder('utf-16le') needed) and fast.
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let i = 0; i < total; i += CHUNK) {
    parts.push(String.fromCharCode.apply(null, units.subarray(i, Math.min(total, i + CHUNK)) as unknown as number[]));
  }
  segments = segs;
  scanText = parts.join('');
  return scanText;
}

/** Appends the code points of scan-text units [a, b) as ranges, split at segment seams. */
function appendRun(out: number[], a: number, b: number): void {
  for (const s of segments) {
    const segEnd = s.start + (s.hi - s.lo + 1) * s.width;
    if (b <= s.start || a >= segEnd) continue;
    const from = Math.max(a, s.start);
    const to = Math.min(b, segEnd); // exclusive
    const lo = s.lo + Math.floor((from - s.start) / s.width);
    const hi = s.lo + Math.floor((to - 1 - s.start) / s.width);
    out.push(lo, hi);
  }
}

/**
 * The code points matched by the single-code-point regex class `cls` (e.g. `\p{Lu}` or
 * `[\p{Cc}\p{Cf}]`), over the whole code space except surrogates.
 */
function scanClass(cls: string): number[] {
  const text = getScanText();
  const out: number[] = [];
  const re = new RegExp(`${cls}+`, 'gu');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    appendRun(out, m.index, m.index + m[0].length);
  }
  const one = new RegExp(`^${cls}$`, 'u');
  for (const [lo, hi] of UNIFORM_REGIONS) {
    if (one.test(String.fromCodePoint(lo))) out.push(lo, hi);
  }
  return normalizeRanges(out);
}

/** Whether this JS engine understands the property escape `\p{expr}`. */
function engineKnows(expr: string): boolean {
  try {
    new RegExp(`\\p{${expr}}`, 'u');
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Names, as Go 1.25 resolves them
// ---------------------------------------------------------------------------------------

/** Go's general categories (`unicode.Categories` keys; Go 1.25 added LC and Cn). */
const CATEGORIES: readonly string[] = [
  'C', 'Cc', 'Cf', 'Cn', 'Co', 'Cs',
  'L', 'LC', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu',
  'M', 'Mc', 'Me', 'Mn',
  'N', 'Nd', 'Nl', 'No',
  'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps',
  'S', 'Sc', 'Sk', 'Sm', 'So',
  'Z', 'Zl', 'Zp', 'Zs',
];

/** Go 1.25 `unicode.CategoryAliases` (Unicode PropertyValueAliases.txt, `gc` lines). */
const CATEGORY_ALIASES: Readonly<Record<string, string>> = {
  Other: 'C', Control: 'Cc', cntrl: 'Cc', Format: 'Cf', Unassigned: 'Cn', Private_Use: 'Co', Surrogate: 'Cs',
  Letter: 'L', Cased_Letter: 'LC', Lowercase_Letter: 'Ll', Modifier_Letter: 'Lm', Other_Letter: 'Lo',
  Titlecase_Letter: 'Lt', Uppercase_Letter: 'Lu',
  Mark: 'M', Combining_Mark: 'M', Spacing_Mark: 'Mc', Enclosing_Mark: 'Me', Nonspacing_Mark: 'Mn',
  Number: 'N', Decimal_Number: 'Nd', digit: 'Nd', Letter_Number: 'Nl', Other_Number: 'No',
  Punctuation: 'P', punct: 'P', Connector_Punctuation: 'Pc', Dash_Punctuation: 'Pd', Close_Punctuation: 'Pe',
  Final_Punctuation: 'Pf', Initial_Punctuation: 'Pi', Other_Punctuation: 'Po', Open_Punctuation: 'Ps',
  Symbol: 'S', Currency_Symbol: 'Sc', Modifier_Symbol: 'Sk', Math_Symbol: 'Sm', Other_Symbol: 'So',
  Separator: 'Z', Line_Separator: 'Zl', Paragraph_Separator: 'Zp', Space_Separator: 'Zs',
};

/** Go's script names (`unicode.Scripts` keys, Unicode 15.0.0 as in Go 1.21–1.25). */
export const GO_SCRIPTS: readonly string[] = [
  'Adlam', 'Ahom', 'Anatolian_Hieroglyphs', 'Arabic', 'Armenian', 'Avestan', 'Balinese', 'Bamum',
  'Bassa_Vah', 'Batak', 'Bengali', 'Bhaiksuki', 'Bopomofo', 'Brahmi', 'Braille', 'Buginese', 'Buhid',
  'Canadian_Aboriginal', 'Carian', 'Caucasian_Albanian', 'Chakma', 'Cham', 'Cherokee', 'Chorasmian',
  'Common', 'Coptic', 'Cuneiform', 'Cypriot', 'Cypro_Minoan', 'Cyrillic', 'Deseret', 'Devanagari',
  'Dives_Akuru', 'Dogra', 'Duployan', 'Egyptian_Hieroglyphs', 'Elbasan', 'Elymaic', 'Ethiopic',
  'Georgian', 'Glagolitic', 'Gothic', 'Grantha', 'Greek', 'Gujarati', 'Gunjala_Gondi', 'Gurmukhi', 'Han',
  'Hangul', 'Hanifi_Rohingya', 'Hanunoo', 'Hatran', 'Hebrew', 'Hiragana', 'Imperial_Aramaic', 'Inherited',
  'Inscriptional_Pahlavi', 'Inscriptional_Parthian', 'Javanese', 'Kaithi', 'Kannada', 'Katakana', 'Kawi',
  'Kayah_Li', 'Kharoshthi', 'Khitan_Small_Script', 'Khmer', 'Khojki', 'Khudawadi', 'Lao', 'Latin', 'Lepcha',
  'Limbu', 'Linear_A', 'Linear_B', 'Lisu', 'Lycian', 'Lydian', 'Mahajani', 'Makasar', 'Malayalam', 'Mandaic',
  'Manichaean', 'Marchen', 'Masaram_Gondi', 'Medefaidrin', 'Meetei_Mayek', 'Mende_Kikakui',
  'Meroitic_Cursive', 'Meroitic_Hieroglyphs', 'Miao', 'Modi', 'Mongolian', 'Mro', 'Multani', 'Myanmar',
  'Nabataean', 'Nag_Mundari', 'Nandinagari', 'New_Tai_Lue', 'Newa', 'Nko', 'Nushu', 'Nyiakeng_Puachue_Hmong',
  'Ogham', 'Ol_Chiki', 'Old_Hungarian', 'Old_Italic', 'Old_North_Arabian', 'Old_Permic', 'Old_Persian',
  'Old_Sogdian', 'Old_South_Arabian', 'Old_Turkic', 'Old_Uyghur', 'Oriya', 'Osage', 'Osmanya',
  'Pahawh_Hmong', 'Palmyrene', 'Pau_Cin_Hau', 'Phags_Pa', 'Phoenician', 'Psalter_Pahlavi', 'Rejang', 'Runic',
  'Samaritan', 'Saurashtra', 'Sharada', 'Shavian', 'Siddham', 'SignWriting', 'Sinhala', 'Sogdian',
  'Sora_Sompeng', 'Soyombo', 'Sundanese', 'Syloti_Nagri', 'Syriac', 'Tagalog', 'Tagbanwa', 'Tai_Le',
  'Tai_Tham', 'Tai_Viet', 'Takri', 'Tamil', 'Tangsa', 'Tangut', 'Telugu', 'Thaana', 'Thai', 'Tibetan',
  'Tifinagh', 'Tirhuta', 'Toto', 'Ugaritic', 'Vai', 'Vithkuqi', 'Wancho', 'Warang_Citi', 'Yezidi', 'Yi',
  'Zanabazar_Square',
];

/**
 * Go 1.25 `canonicalName`: first ASCII letter upper-cased, later ASCII letters lower-cased,
 * `_`, `-` and spaces dropped. `\p{upper case-let ter}` is `\p{Uppercase_Letter}`.
 */
export function canonicalUnicodeName(name: string): string {
  let out = '';
  let first = true;
  for (const ch of name) {
    if (ch === '_' || ch === '-' || ch === ' ') continue;
    if (ch >= 'a' && ch <= 'z') out += first ? ch.toUpperCase() : ch;
    else if (ch >= 'A' && ch <= 'Z') out += first ? ch : ch.toLowerCase();
    else out += ch;
    first = false;
  }
  return out;
}

/** How a canonical name resolves: to a JS-computable table, or to a special set. */
type TableSource =
  | { kind: 'category'; gc: string }
  | { kind: 'script'; script: string }
  | { kind: 'any' }
  | { kind: 'assigned' }
  | { kind: 'ascii' };

let nameIndex: Map<string, TableSource> | null = null;

function getNameIndex(): Map<string, TableSource> {
  if (nameIndex) return nameIndex;
  // Go's lookup order: special names, categories, scripts, then category aliases.
  const m = new Map<string, TableSource>();
  const add = (name: string, src: TableSource) => {
    const key = canonicalUnicodeName(name);
    if (!m.has(key)) m.set(key, src);
  };
  add('Any', { kind: 'any' });
  add('Assigned', { kind: 'assigned' });
  add('ASCII', { kind: 'ascii' });
  for (const gc of CATEGORIES) add(gc, { kind: 'category', gc });
  for (const script of GO_SCRIPTS) add(script, { kind: 'script', script });
  for (const [alias, gc] of Object.entries(CATEGORY_ALIASES)) add(alias, { kind: 'category', gc });
  nameIndex = m;
  return m;
}

const tableCache = new Map<string, RuneRanges>();

function cached(key: string, compute: () => number[]): RuneRanges {
  let t = tableCache.get(key);
  if (!t) {
    t = freeze(compute());
    tableCache.set(key, t);
  }
  return t;
}

const ANY: RuneRanges = Object.freeze([0, MAX_RUNE]);
const ASCII: RuneRanges = Object.freeze([0, 0x7f]);

/** Go's general category `gc` (e.g. `Lu`, `L`, `LC`, `Cn`). */
export function generalCategory(gc: string): RuneRanges | null {
  if (!CATEGORIES.includes(gc)) return null;
  return cached(`gc:${gc}`, () => {
    switch (gc) {
      case 'Cs':
        // Surrogates never occur in the scan text; Go's table is exactly this range.
        return [0xd800, 0xdfff];
      case 'C':
        // Go's C is Cc|Cf|Co|Cs: unlike Unicode's (and JS's) \p{C}, it has no Cn.
        return unionRanges(scanClass('[\\p{Cc}\\p{Cf}\\p{Co}]'), [0xd800, 0xdfff]);
      default:
        return scanClass(`\\p{General_Category=${gc}}`);
    }
  });
}

/** Go's script `name` (exact Go spelling, e.g. `Greek`, `Old_Italic`), if the JS engine knows it. */
export function scriptTable(name: string): RuneRanges | null {
  if (!GO_SCRIPTS.includes(name) || !engineKnows(`Script=${name}`)) return null;
  return cached(`sc:${name}`, () => scanClass(`\\p{Script=${name}}`));
}

/**
 * The code points of the Unicode class named `name` in `\p{name}` (Go 1.25 `unicodeTable`,
 * positive form: `Assigned` is already the complement of `Cn`), or null for an unknown name.
 * `name` is looked up case-insensitively, ignoring `_`, `-` and spaces.
 */
export function unicodeClass(name: string): RuneRanges | null {
  const src = getNameIndex().get(canonicalUnicodeName(name));
  if (!src) return null;
  switch (src.kind) {
    case 'any':
      return ANY;
    case 'ascii':
      return ASCII;
    case 'assigned':
      return cached('assigned', () => negateRanges(generalCategory('Cn')!));
    case 'category':
      return generalCategory(src.gc);
    case 'script':
      return scriptTable(src.script);
  }
}

// ---------------------------------------------------------------------------------------
// Simple case folding
// ---------------------------------------------------------------------------------------

interface FoldData {
  /** Every code point whose orbit has more than one member, sorted. */
  readonly foldable: Int32Array;
  /** Orbit (sorted members) of each foldable code point; members share one array. */
  readonly orbit: Map<number, readonly number[]>;
}

let foldData: FoldData | null = null;

function single(s: string): number {
  const cp = s.codePointAt(0)!;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : -1;
}

function escapeCp(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/**
 * Keeps the pairs (a[i], b[i]) that are equal under simple case folding. One `/iu` regex
 * checks a whole batch (a sequence of single code points matches a sequence iff each
 * position does); a failing batch is split in halves.
 */
function verifyPairs(a: number[], b: number[], out: [number, number][]): void {
  const check = (from: number, to: number): void => {
    if (from >= to) return;
    let pat = '^';
    let text = '';
    for (let i = from; i < to; i++) {
      pat += escapeCp(a[i]!);
      text += String.fromCodePoint(b[i]!);
    }
    if (new RegExp(`${pat}$`, 'iu').test(text)) {
      for (let i = from; i < to; i++) out.push([a[i]!, b[i]!]);
      return;
    }
    if (to - from === 1) return;
    const mid = (from + to) >> 1;
    check(from, mid);
    check(mid, to);
  };
  check(0, a.length);
}

function getFoldData(): FoldData {
  if (foldData) return foldData;
  // Every code point with a non-trivial orbit changes under some case mapping or folding.
  const cased = scanClass('[\\p{Changes_When_Casemapped}\\p{Changes_When_Casefolded}]');
  const from: number[] = [];
  const to: number[] = [];
  const byFullMapping = new Map<string, number>();
  const linkByKey = (key: string, cp: number) => {
    const prev = byFullMapping.get(key);
    if (prev === undefined) byFullMapping.set(key, cp);
    else {
      from.push(prev);
      to.push(cp);
    }
  };
  for (let i = 0; i < cased.length; i += 2) {
    for (let cp = cased[i]!; cp <= cased[i + 1]!; cp++) {
      const s = String.fromCodePoint(cp);
      const lower = s.toLowerCase();
      const upper = s.toUpperCase();
      const l = single(lower);
      const u = single(upper);
      if (l >= 0) {
        if (l !== cp) from.push(cp), to.push(l);
      } else linkByKey(`L${lower}`, cp);
      if (u >= 0) {
        if (u !== cp) from.push(cp), to.push(u);
      } else linkByKey(`U${upper}`, cp);
    }
  }
  const edges: [number, number][] = [];
  verifyPairs(from, to, edges);

  // Union-find over verified edges.
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    let y = x;
    while (y !== r) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  for (const [x, y] of edges) {
    if (!parent.has(x)) parent.set(x, x);
    if (!parent.has(y)) parent.set(y, y);
    const rx = find(x);
    const ry = find(y);
    if (rx !== ry) parent.set(rx, ry);
  }
  const groups = new Map<number, number[]>();
  for (const x of parent.keys()) {
    const r = find(x);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(x);
  }
  const orbit = new Map<number, readonly number[]>();
  const all: number[] = [];
  for (const g of groups.values()) {
    g.sort((p, q) => p - q);
    const frozen = Object.freeze(g);
    for (const x of g) {
      orbit.set(x, frozen);
      all.push(x);
    }
  }
  all.sort((p, q) => p - q);
  foldData = { foldable: Int32Array.from(all), orbit };
  return foldData;
}

/**
 * The simple case folding orbit of `cp`: all code points equal to it under Unicode simple
 * case folding, sorted, `cp` included (`[cp]` when it has no other case).
 */
export function foldOrbit(cp: number): readonly number[] {
  return getFoldData().orbit.get(cp) ?? [cp];
}

/**
 * Go `unicode.SimpleFold`: the smallest orbit member greater than `cp`, or the smallest
 * member when `cp` is the largest (so iterating visits the whole orbit and returns to `cp`).
 */
export function simpleFold(cp: number): number {
  const o = getFoldData().orbit.get(cp);
  if (!o) return cp;
  for (const x of o) if (x > cp) return x;
  return o[0]!;
}

/**
 * The case-fold closure of `ranges`: the set plus every code point in the orbit of one of
 * its members (Go `appendFoldedRange` over each range, or a table plus its `FoldCategory` /
 * `FoldScript` companion).
 */
export function foldClosure(ranges: RuneRanges): RuneRanges {
  // Shared tables (frozen) are folded once: `(?i)\pL` in many patterns costs one closure.
  const shared = Object.isFrozen(ranges);
  if (shared) {
    const hit = closureCache.get(ranges);
    if (hit) return hit;
  }
  const result = computeFoldClosure(ranges);
  if (shared) closureCache.set(ranges, Object.isFrozen(result) ? result : freeze(result as number[]));
  return shared ? closureCache.get(ranges)! : result;
}

const closureCache = new WeakMap<RuneRanges, RuneRanges>();

function computeFoldClosure(ranges: RuneRanges): RuneRanges {
  const { foldable, orbit } = getFoldData();
  const extra: number[] = [];
  let j = 0;
  for (let i = 0; i < ranges.length && j < foldable.length; i += 2) {
    const lo = ranges[i]!;
    const hi = ranges[i + 1]!;
    while (j < foldable.length && foldable[j]! < lo) j++;
    while (j < foldable.length && foldable[j]! <= hi) {
      for (const x of orbit.get(foldable[j]!)!) {
        if (!rangesContain(ranges, x)) extra.push(x, x);
      }
      j++;
    }
  }
  return extra.length === 0 ? ranges : normalizeRanges([...ranges, ...extra]);
}

/** The orbit of `cp` as canonical ranges (what a case-insensitive literal matches). */
export function foldOrbitRanges(cp: number): RuneRanges {
  const o = foldOrbit(cp);
  const pairs: number[] = [];
  for (const x of o) pairs.push(x, x);
  return normalizeRanges(pairs);
}
