/**
 * Decoding and rendering of LetheQL literals: strings (Go escapes), numbers, durations.
 *
 * Owns: what a literal's text means, independent of how it was found. Split from the
 * lexer so that modules which only print or decode literals (the printer, the simple
 * selector parser in `simple.ts`, templates) load without Chevrotain: a query's start-up
 * then builds no lexer when the query needs none.
 */
import { QueryError, spanAt } from '../errors.js';
import { formatDuration as formatDurationNs, NS_PER_MS, scanDuration } from '../time.js';

// ---------------------------------------------------------------------------
// Literal decoding.
// ---------------------------------------------------------------------------

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a string literal's image (quotes included) the way Go's `strconv.Unquote`
 * does, which is what Prometheus uses. `\'` is valid only in single-quoted strings and
 * `\"` only in double-quoted ones. `\xHH` and `\ooo` are *bytes*: runs of them must form
 * valid UTF-8 (JS strings cannot hold arbitrary bytes; an invalid run is an error rather
 * than a silent U+FFFD). `offset` is the image's position in `text`, for error spans.
 */
export function unquote(image: string, text: string, offset: number): string {
  const quote = image[0];
  const body = image.slice(1, -1);
  if (quote === '`') return body;
  let out = '';
  let bytes: number[] = [];
  let bytesStart = 0;
  const flushBytes = (at: number): void => {
    if (bytes.length === 0) return;
    try {
      out += utf8.decode(new Uint8Array(bytes));
    } catch {
      throw new QueryError('INVALID_ESCAPE', 'byte escapes (\\x.., \\ooo) must form valid UTF-8', spanAt(text, offset + 1 + bytesStart, offset + 1 + at));
    }
    bytes = [];
  };
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch !== '\\') {
      flushBytes(i);
      out += ch;
      i++;
      continue;
    }
    const start = i;
    const e = body[i + 1] ?? '';
    const fail = (len: number, why: string): never => {
      throw new QueryError(
        'INVALID_ESCAPE',
        `invalid escape sequence ${goQuote(body.slice(start, start + len))} in string literal${why ? `: ${why}` : ''}`,
        spanAt(text, offset + 1 + start, offset + 1 + start + len),
      );
    };
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined || e === quote) {
      flushBytes(i);
      out += simple ?? e;
      i += 2;
      continue;
    }
    if (e === 'x' || (e >= '0' && e <= '7')) {
      // `\xHH` and `\ooo` are both four characters long.
      const isHex = e === 'x';
      const digits = isHex ? body.slice(i + 2, i + 4) : body.slice(i + 1, i + 4);
      const len = 4;
      if (!(isHex ? /^[0-9a-fA-F]{2}$/ : /^[0-7]{3}$/).test(digits)) fail(Math.min(len, body.length - i), isHex ? 'expected two hex digits' : 'expected three octal digits');
      const value = parseInt(digits, isHex ? 16 : 8);
      if (value > 255) fail(len, 'octal value above \\377');
      if (bytes.length === 0) bytesStart = i;
      bytes.push(value);
      i += len;
      continue;
    }
    if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const digits = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) fail(Math.min(2 + n, body.length - i), `expected ${n} hex digits`);
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(2 + n, 'not a valid Unicode code point');
      flushBytes(i);
      out += String.fromCodePoint(cp);
      i += 2 + n;
      continue;
    }
    fail(e ? 1 + e.length : 1, e === '' ? 'escape at end of string' : '');
  }
  flushBytes(body.length);
  return out;
}

/** Go's `strconv.Quote`-style double-quoted rendering; the printer's one string form. */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
      default: break;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    // C1 controls and line/paragraph separators are invisible: escape them like Go does.
    else if ((cp >= 0x80 && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * Decodes a numeric literal as Prometheus does: `Inf`/`NaN` (any case), hex, and
 * `strconv.ParseInt(s, 0, 64)` semantics first, so a leading-zero integer is octal
 * (`010` is 8, a long-standing PromQL quirk), then a float.
 */
export function parseNumberLiteral(image: string): number {
  const lower = image.toLowerCase();
  if (lower === 'inf') return Infinity;
  if (lower === 'nan') return NaN;
  if (/^0[xX]/.test(image)) return parseInt(image.slice(2), 16);
  if (/^0[0-7]+$/.test(image)) return parseInt(image.slice(1), 8);
  return Number(image);
}

/**
 * Decodes a duration literal (`1h30m`) into milliseconds, with Prometheus's rules: integer
 * amounts, each unit at most once, units from largest to smallest (`scanDuration`).
 */
export function parseDurationLiteral(image: string, text: string, offset: number): number {
  const r = scanDuration(image);
  const span = spanAt(text, offset, offset + image.length);
  if ('error' in r) {
    throw new QueryError('INVALID_DURATION', `not a valid duration string: ${goQuote(image)} (units must appear once each, largest first: y w d h m s ms)`, span);
  }
  const ms = Number(r.ns / NS_PER_MS);
  if (!Number.isSafeInteger(ms)) throw new QueryError('INVALID_DURATION', `duration out of range: ${goQuote(image)}`, span);
  return ms;
}

/** Canonical Prometheus rendering of a millisecond duration: `5400000` → `1h30m`, `0` → `0s`. */
export function formatDuration(ms: number): string {
  return formatDurationNs(BigInt(ms) * NS_PER_MS);
}
