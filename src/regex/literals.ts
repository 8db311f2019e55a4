/**
 * Required-literal extraction for regex line filters.
 *
 * A `|~ "re"` filter runs re2-wasm on every line the kernel lets through (~70 MB/s), while the
 * kernel's literal `contains` filter runs at ~2 GB/s. If every match of the pattern must contain
 * some literal, the kernel can drop lines without it first and re2 only verifies the survivors:
 * `|~ "user/[0-9]+"` becomes `contains "user/"` then re2.
 *
 * Contract — no false negatives: if `requiredLiteral(p)` returns `s`, then every string that
 * RE2 (Go `regexp/syntax` semantics, unanchored search) matches with `p` contains `s` as a
 * substring (compared as UTF-8 bytes). A wrong answer here silently drops matching lines, so
 * whenever the scanner is unsure it returns `null` ("no prefilter"), which only costs speed.
 *
 * The scanner is deliberately simple and non-recursive. The pattern must be a concatenation at
 * the top level (any `|` at depth 0 → null; sets of literals are a later step). Top-level items
 * are either a literal character, which extends the current run, or an opaque item (group,
 * character class, `.`, `^`, `$`, `\d`, `\b`, `\pL`, …), which ends it. A quantifier that may
 * skip its operand (`*`, `?`, `{0…}`) removes the preceding literal from the run; one that
 * requires it (`+`, `{n…}` with n ≥ 1) keeps it but ends the run, since the repeat may continue.
 * Every finished run is a required substring; we return the longest one.
 *
 * Deliberately conservative (null) cases, all rare in log queries:
 * - any `(?flags)` / `(?flags:…)` turning on `i`, anywhere, even inside a group;
 * - `\Q…\E` anywhere (re2-wasm rewrites `/` and some escapes inside it, so its quoted text is
 *   not the literal Go would see);
 * - escapes we do not model: `\` + digit (octal / backreference), `\_`, unknown letters (`\u`,
 *   `\c`, `\C`, `\Z`, `\E`, …), a trailing `\`, malformed `\x`;
 * - `(?` forms other than flags and named groups, unbalanced parentheses or brackets;
 * - a quantifier with nothing to apply to, or directly after another quantifier (`a**`, `a+*`;
 *   both are errors in RE2 and Go, and `(a+)*` semantics would make the kept `a` optional);
 * - lone surrogates in the pattern (not valid UTF-8).
 * A `{` that is not a valid repetition (`a{`, `a{x}`, `a{01}`) is a literal `{` in RE2, but we
 * treat it as an opaque item rather than reason about it.
 */

/** What the item just before the current position was, for applying a quantifier to it. */
type Prev =
  | 'none' // nothing yet: a quantifier here is an error → null
  | 'literal' // the last code point of the current run
  | 'opaque' // an item that already ended the run
  | 'quantifier'; // a repetition: another one would be nested → null

/**
 * A literal every match of `pattern` must contain (as UTF-8 bytes of the returned string), or
 * null when none can be proven.
 *
 * Returns the longest required literal found (by UTF-8 byte length, first one on ties) when it
 * is at least `minLength` bytes long. Never returns the empty string (a `minLength` below 1 is
 * treated as 1) and never throws.
 *
 * @example requiredLiteral('user/[0-9]+') === 'user/'
 * @example requiredLiteral('foo|bar') === null // alternation at the top level
 */
export function requiredLiteral(pattern: string, minLength = 2): string | null {
  try {
    const best = scan(pattern);
    if (best === null) return null;
    return utf8Length(best) >= Math.max(1, minLength) ? best : null;
  } catch {
    // The scanner is not expected to throw; if it ever does, "no prefilter" is the safe answer.
    return null;
  }
}

/** The longest required literal of `p`, or null when the pattern is outside what we model. */
function scan(p: string): string | null {
  let best = '';
  let bestBytes = 0;
  let run: number[] = []; // code points of the current literal run
  let prev: Prev = 'none';
  let depth = 0; // > 0 while skipping over an opaque group

  const endRun = (): void => {
    if (run.length > 0) {
      const s = String.fromCodePoint(...run);
      const bytes = utf8Length(s);
      if (bytes > bestBytes) {
        best = s;
        bestBytes = bytes;
      }
      run = [];
    }
  };
  const opaque = (): void => {
    endRun();
    prev = 'opaque';
  };
  const literal = (cp: number): void => {
    run.push(cp);
    prev = 'literal';
  };

  let i = 0;
  while (i < p.length) {
    const c = p[i]!;

    // Inside an opaque group: only find its end, and look for things that make the whole
    // pattern unsafe (`(?i`, `\Q`, bad `(?` forms). Alternation in here is fine.
    if (depth > 0) {
      if (c === '\\') {
        if (i + 1 >= p.length || p[i + 1] === 'Q') return null;
        i += 2; // escape arguments like `{Greek}` hold no structural characters
      } else if (c === '[') {
        const end = skipClass(p, i);
        if (end < 0) return null;
        i = end;
      } else if (c === '(') {
        const h = groupHeader(p, i);
        if (h === null) return null;
        if (!h.flagsOnly) depth++;
        i = h.next;
      } else if (c === ')') {
        depth--;
        i++;
        if (depth === 0) prev = 'opaque'; // the run was ended when the group opened
      } else {
        i++;
      }
      continue;
    }

    switch (c) {
      case '|':
        return null; // top-level alternation: no single required literal
      case ')':
        return null; // unbalanced
      case '(': {
        const h = groupHeader(p, i);
        if (h === null) return null;
        i = h.next;
        // `(?s)` matches the empty string and pushes no item: RE2 and Go apply a following
        // quantifier to the item before it (`ab(?s)*` is `ab*`), so leave run and prev alone.
        if (!h.flagsOnly) {
          endRun();
          depth = 1;
        }
        continue;
      }
      case '[': {
        const end = skipClass(p, i);
        if (end < 0) return null;
        opaque();
        i = end;
        continue;
      }
      case '.':
      case '^':
      case '$':
        opaque();
        i++;
        continue;
      case '*':
      case '+':
      case '?':
      case '{': {
        const q = c === '{' ? braceRepeat(p, i) : { min: c === '+' ? 1 : 0, next: i + 1 };
        if (q === null) {
          // Not a repetition: RE2 reads a literal `{`. Keep it opaque (a quantifier after it
          // applies to the `{`, which is harmless once the run is ended).
          opaque();
          i++;
          continue;
        }
        // `prev` is also set inside the helper closures, which TypeScript's narrowing cannot see.
        const before = prev as Prev;
        if (before === 'none' || before === 'quantifier') return null;
        if (before === 'literal') {
          if (q.min === 0) run.pop(); // the character may be absent
          endRun(); // with min ≥ 1 it is present, but the run cannot continue past a repeat
        }
        prev = 'quantifier';
        i = q.next;
        if (p[i] === '?') i++; // non-greedy: same set of matches
        continue;
      }
      case '\\': {
        const e = escape(p, i);
        if (e === null) return null;
        if (e.literal === null) opaque();
        else literal(e.literal);
        i = e.next;
        continue;
      }
      default: {
        const cp = p.codePointAt(i)!;
        if (cp >= 0xd800 && cp <= 0xdfff) return null; // lone surrogate: not valid UTF-8
        literal(cp);
        i += cp > 0xffff ? 2 : 1;
        continue;
      }
    }
  }
  if (depth !== 0) return null; // unclosed group
  endRun();
  return bestBytes > 0 ? best : null;
}

/**
 * Parses the start of a group at `p[i] === '('`. Returns where its body starts and whether it
 * was a bare flag setting (`(?s)`, which has no body), or null for anything we refuse:
 * case-insensitive flags, look-around, backreferences, unknown flags.
 */
function groupHeader(p: string, i: number): { next: number; flagsOnly: boolean } | null {
  if (p[i + 1] !== '?') return { next: i + 1, flagsOnly: false };
  let j = i + 2;
  // Named groups: (?P<name>…) and (?<name>…). The name cannot hold structural characters.
  if (p[j] === '<' || (p[j] === 'P' && p[j + 1] === '<')) {
    const close = p.indexOf('>', j);
    if (close < 0) return null;
    return { next: close + 1, flagsOnly: false };
  }
  // Flags: [imsU]* optionally followed by - and more, then `)` or `:`.
  let negated = false;
  for (; j < p.length; j++) {
    const f = p[j]!;
    if (f === ')' || f === ':') return { next: j + 1, flagsOnly: f === ')' };
    if (f === '-') {
      if (negated) return null;
      negated = true;
    } else if (f === 'i') {
      if (!negated) return null; // case folding: literals no longer match byte-for-byte
    } else if (f !== 'm' && f !== 's' && f !== 'U') {
      return null; // look-around, (?P=name), (?x), … : not RE2, or not modelled
    }
  }
  return null;
}

/**
 * Index just past the character class starting at `p[i] === '['`, or -1 if it does not close
 * (or contains `\Q`). A `]` right after `[` or `[^` is a literal, and `[:name:]` is one unit,
 * so `[[:alpha:]]`, `[]a]` and `[^]a]` each end at their last `]`.
 */
function skipClass(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length) {
    const c = p[j]!;
    if (c === ']') return j + 1;
    if (c === '\\') {
      if (j + 1 >= p.length || p[j + 1] === 'Q') return -1;
      j += 2;
    } else if (c === '[' && p[j + 1] === ':') {
      // RE2 and Go take `[:` up to the next `:]` as a named class (an error if the name is
      // unknown); without a `:]` the `[` is a plain member.
      const close = p.indexOf(':]', j + 2);
      j = close >= 0 ? close + 2 : j + 1;
    } else {
      j++;
    }
  }
  return -1;
}

/**
 * Parses `{n}`, `{n,}` or `{n,m}` at `p[i] === '{'`. Returns null when it is not a repetition
 * by RE2's rules (which make it a literal `{`): missing or non-digit bounds, leading zeros.
 * Out-of-range sizes (`{1001}`, huge digit strings) are RE2 errors; they are still parsed as
 * repetitions here, matching RE2's reading, and such patterns never run anyway.
 */
function braceRepeat(p: string, i: number): { min: number; next: number } | null {
  const re = /\{(\d+)(,(\d*))?\}/y;
  re.lastIndex = i;
  const m = re.exec(p);
  if (m === null) return null;
  const leadingZero = (s: string | undefined): boolean => s !== undefined && s.length > 1 && s[0] === '0';
  if (leadingZero(m[1]) || leadingZero(m[3])) return null;
  return { min: Number(m[1]), next: i + m[0].length };
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
const HEX = /^[0-9A-Fa-f]+$/;

/**
 * Parses the escape at `p[i] === '\\'`: `literal` is the code point it stands for, or null for
 * an opaque item (`\d`, `\b`, `\pL`, …). Returns null for escapes we refuse (see module note).
 */
function escape(p: string, i: number): { literal: number | null; next: number } | null {
  const n = p[i + 1];
  if (n === undefined) return null;
  const code = n.charCodeAt(0);
  // Escaped ASCII punctuation (`\.`, `\/`, `\\`, `\ `, …) is that character.
  if (code < 0x80 && !/[A-Za-z0-9_]/.test(n)) return { literal: code, next: i + 2 };
  if ('dDsSwWbBAz'.includes(n)) return { literal: null, next: i + 2 };
  if (Object.hasOwn(SIMPLE_ESCAPES, n)) return { literal: SIMPLE_ESCAPES[n]!, next: i + 2 };
  if (n === 'p' || n === 'P') {
    // `\pL` or `\p{Greek}`: consume the argument so `{Greek}` is not read as literal text.
    if (p[i + 2] === '{') {
      const close = p.indexOf('}', i + 3);
      return close < 0 ? null : { literal: null, next: close + 1 };
    }
    const cp = p.codePointAt(i + 2);
    if (cp === undefined) return null;
    return { literal: null, next: i + 2 + (cp > 0xffff ? 2 : 1) };
  }
  if (n === 'x') {
    let digits: string;
    let next: number;
    if (p[i + 2] === '{') {
      const close = p.indexOf('}', i + 3);
      if (close < 0) return null;
      digits = p.slice(i + 3, close);
      next = close + 1;
      if (digits.length > 8) return null;
    } else {
      digits = p.slice(i + 2, i + 4);
      next = i + 4;
      if (digits.length !== 2) return null;
    }
    if (!HEX.test(digits)) return null;
    const cp = parseInt(digits, 16);
    if (cp > 0x10ffff) return null;
    // A surrogate code point can never appear in valid UTF-8 text; keep it out of literals.
    if (cp >= 0xd800 && cp <= 0xdfff) return { literal: null, next };
    return { literal: cp, next };
  }
  return null; // \Q…\E, digits (octal / backreference), \_, unknown letters, non-ASCII
}

/** UTF-8 byte length of a well-formed string. Avoids `Buffer` so the core stays browser-safe. */
function utf8Length(s: string): number {
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}
