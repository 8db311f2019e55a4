/**
 * `| json`, `| json a="x.y"` and `| unpack`: JSON log lines to labels.
 *
 * Owns a small JSON scanner over the JS string (no `JSON.parse`): LogQL keeps numbers as
 * written (`1.50` stays `1.50`, big integers stay exact), keeps the *first* of duplicate
 * keys, returns nested objects and arrays as their raw text for path parameters, and can
 * stop as soon as every wanted label has been found. The scanner validates as it goes; a
 * line that is not a JSON object gets `__error__="JSONParserErr"` and
 * `__error_details__` (our wording, with the offset), and keeps its labels so far.
 *
 * Semantics (Loki's `JSONParser`, `JSONExpressionParser`, `UnpackParser`):
 * - `| json`: every string, number and boolean member becomes a label; nested object keys
 *   are joined with `_` (`{"a.b":{"c":1}}` → `a_b_c`); arrays and nulls are skipped;
 *   keys are sanitised ({@link sanitizeLabelKey}); a key that is a stream label gets the
 *   `_extracted` suffix; strings are unescaped, and a string with an invalid escape or a
 *   U+FFFD becomes `""`.
 * - `| json l="path"`: only those labels; an object or array value is its raw JSON text,
 *   `null` and a missing path are `""`.
 * - `| unpack`: a JSON object whose string members become labels (others skipped); the
 *   special `_entry` member replaces the line, and labels are set only when `_entry`
 *   exists (Loki's Promtail `pack` convention).
 *
 * Performance: when the pipeline does not need `__error__` and knows the wanted labels,
 * `| json` returns as soon as it has them all (like Loki's "found all required labels"),
 * so the rest of the line is neither read nor validated.
 */
import type { JsonPathSegment } from '../query/json-path.js';
import { extractedName, PipelineErrors, sanitizeLabelKey, setError, setLabel, type LineState, type Want } from './state.js';

class JsonError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Thrown (and caught) to stop scanning once every wanted label is found. */
const DONE = Symbol('done');

const enum Ch {
  Quote = 34,
  Backslash = 92,
  LBrace = 123,
  RBrace = 125,
  LBracket = 91,
  RBracket = 93,
  Colon = 58,
  Comma = 44,
}

/**
 * Objects and arrays a line may nest (Go's encoding/json allows 10,000). The scanner
 * recurses once per level, so a line of 200,000 `[` would overflow the stack and fail the
 * query; past this depth the line gets `__error__` like any other malformed JSON.
 */
export const MAX_JSON_DEPTH = 1000;

/** A cursor over one line. */
class Scanner {
  s = '';
  i = 0;
  /** Open objects/arrays entered and not yet closed. */
  depth = 0;

  reset(s: string): void {
    this.s = s;
    this.i = 0;
    this.depth = 0;
  }

  fail(message: string): never {
    throw new JsonError(message, this.i);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  expect(c: number, what: string): void {
    this.ws();
    if (this.s.charCodeAt(this.i) !== c) this.fail(`expected ${what}`);
    this.i++;
  }

  /**
   * Steps into the object or array whose opener is at the cursor; when it is empty, steps
   * past its `closer` too and returns false.
   */
  enter(closer: Ch.RBrace | Ch.RBracket): boolean {
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) !== closer) {
      if (++this.depth > MAX_JSON_DEPTH) this.fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
      return true;
    }
    this.i++;
    return false;
  }

  /** A member's key and its `:`: the decoded key, or null for an invalid escape. */
  memberKey(): string | null {
    this.ws();
    if (this.s.charCodeAt(this.i) !== Ch.Quote) this.fail('expected a string key');
    const key = this.string();
    this.expect(Ch.Colon, '":" after object key');
    return key;
  }

  /** After a member or element: true past a `,` (another follows), false past the `closer`. */
  next(closer: Ch.RBrace | Ch.RBracket): boolean {
    this.ws();
    const d = this.s.charCodeAt(this.i++);
    if (d === closer) {
      this.depth--;
      return false;
    }
    if (d !== Ch.Comma) {
      this.i--;
      this.fail(closer === Ch.RBrace ? 'expected "," or "}" in object' : 'expected "," or "]" in array');
    }
    return true;
  }

  /** A string at the cursor (which is on its opening quote): the decoded value, or null for an invalid escape. */
  string(): string | null {
    const s = this.s;
    const start = ++this.i;
    let i = start;
    // Fast path: no escapes.
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === Ch.Quote) {
        this.i = i + 1;
        return s.slice(start, i);
      }
      if (c === Ch.Backslash) break;
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c < 32) this.fail('control character in string');
      i++;
    }
    let out = s.slice(start, i);
    let valid = true;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === Ch.Quote) {
        this.i = i + 1;
        return valid ? out : null;
      }
      if (c < 32) this.fail('control character in string');
      if (c !== Ch.Backslash) {
        out += s[i];
        i++;
        continue;
      }
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            valid = false;
            break;
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        case undefined:
          this.fail('unterminated string');
        // falls through (fail throws)
        default:
          // Loki's unescape fails on an unknown escape and the value becomes "".
          valid = false;
      }
    }
  }

  /** Skips a string without decoding it. */
  skipString(): void {
    const s = this.s;
    let i = this.i + 1;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === Ch.Quote) break;
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c < 32) this.fail('control character in string');
      i += c === Ch.Backslash ? 2 : 1;
    }
    this.i = i + 1;
  }

  /** A number's raw text. */
  number(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    const digitsFrom = i;
    while (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === digitsFrom) this.fail('invalid number');
    if (s.charCodeAt(i) === 46) {
      i++;
      const f = i;
      while (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      if (i === f) this.fail('invalid number');
    }
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      if (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45) i++;
      const f = i;
      while (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      if (i === f) this.fail('invalid number');
    }
    this.i = i;
    return s.slice(start, i);
  }

  word(w: string): void {
    if (!this.s.startsWith(w, this.i)) this.fail('invalid literal');
    this.i += w.length;
  }

  /** Skips any value, validating it. */
  skipValue(): void {
    this.ws();
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case Ch.LBrace:
        if (!this.enter(Ch.RBrace)) return;
        do {
          // The key is skipped, not decoded (error offsets are those of skipString).
          this.ws();
          if (this.s.charCodeAt(this.i) !== Ch.Quote) this.fail('expected a string key');
          this.skipString();
          this.expect(Ch.Colon, '":" after object key');
          this.skipValue();
        } while (this.next(Ch.RBrace));
        return;
      case Ch.LBracket:
        if (!this.enter(Ch.RBracket)) return;
        do this.skipValue();
        while (this.next(Ch.RBracket));
        return;
      case Ch.Quote:
        return this.skipString();
      case 116:
        return this.word('true');
      case 102:
        return this.word('false');
      case 110:
        return this.word('null');
      default:
        if (c === 45 || (c >= 48 && c <= 57)) {
          this.number();
          return;
        }
        this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }
}

function errorDetails(e: JsonError): string {
  return `${e.message} at offset ${e.offset}`;
}

/** `| json` without parameters. */
export class JsonStage {
  private readonly scanner = new Scanner();
  private readonly seen = new Set<string>();
  private st!: LineState;
  private found = 0;
  /** Key names that may become a wanted label: each wanted label, and its name before an `_extracted` suffix. */
  private readonly wantedKeys: ReadonlySet<string> | null;

  /**
   * @param want labels to materialise (null: all).
   * @param validateAll read the whole line even when every wanted label is found, so that
   *   `__error__` is exact (set when the pipeline reads `__error__`).
   */
  constructor(
    private readonly want: Want,
    private readonly validateAll: boolean,
  ) {
    this.wantedKeys = want === null ? null : new Set([...want].flatMap((w) => (w.endsWith('_extracted') ? [w, w.slice(0, -'_extracted'.length)] : [w])));
  }

  run(st: LineState): boolean {
    const sc = this.scanner;
    this.st = st;
    this.seen.clear();
    this.found = 0;
    if (this.want !== null && this.want.size === 0 && !this.validateAll) return true;
    sc.reset(st.line);
    try {
      sc.ws();
      if (sc.s.charCodeAt(sc.i) !== Ch.LBrace) sc.fail('expected a JSON object');
      this.object('');
    } catch (e) {
      if (e === DONE) return true;
      if (!(e instanceof JsonError)) throw e;
      setError(st, PipelineErrors.json, errorDetails(e));
    }
    return true;
  }

  /** The object at the cursor (on `{`); `prefix` is the flattened name of its parents. */
  private object(prefix: string): void {
    const sc = this.scanner;
    if (!sc.enter(Ch.RBrace)) return;
    do {
      const key = sc.memberKey() ?? '';
      sc.ws();
      const c = sc.s.charCodeAt(sc.i);
      if (c === Ch.LBrace) {
        const nested = prefix === '' ? sanitizeLabelKey(key, true) : `${prefix}_${sanitizeLabelKey(key, false)}`;
        if (this.wantsPrefix(nested)) this.object(nested);
        else sc.skipValue();
      } else if (c === Ch.Quote || c === 116 || c === 102 || c === 45 || (c >= 48 && c <= 57)) {
        const name = prefix === '' ? sanitizeLabelKey(key, true) : `${prefix}_${sanitizeLabelKey(key, false)}`;
        // Fast path: a key that cannot become a wanted label is skipped before any lookup.
        const label = name === '' || (this.wantedKeys !== null && !this.wantedKeys.has(name)) ? '' : extractedName(this.st, name);
        if (label !== '' && !this.seen.has(label) && (this.want === null || this.want.has(label))) {
          let value: string;
          if (c === Ch.Quote) {
            const v = sc.string();
            value = v === null || v.includes('\uFFFD') ? '' : v;
          } else if (c === 116) {
            sc.word('true');
            value = 'true';
          } else if (c === 102) {
            sc.word('false');
            value = 'false';
          } else {
            value = sc.number();
          }
          this.seen.add(label);
          setLabel(this.st, label, value);
          if (this.want !== null && ++this.found === this.want.size && !this.validateAll) throw DONE;
        } else {
          sc.skipValue();
        }
      } else {
        // Arrays and nulls are skipped (validated).
        sc.skipValue();
      }
    } while (sc.next(Ch.RBrace));
  }

  private wantsPrefix(prefix: string): boolean {
    if (this.want === null) return true;
    const p = `${prefix}_`;
    for (const w of this.want) if (w.startsWith(p)) return true;
    // Still read it when the line must be validated; its members are then skipped.
    return false;
  }
}

/** One `label="path"` of `| json label="path", …`. */
export interface JsonParam {
  label: string;
  path: JsonPathSegment[];
}

/** `| json a="x.y", b="z[0]"`. */
export class JsonParamsStage {
  private readonly scanner = new Scanner();

  constructor(private readonly params: readonly JsonParam[]) {}

  run(st: LineState): boolean {
    const sc = this.scanner;
    const line = st.line;
    if (line.length === 0) return true;
    const first = line.charCodeAt(0);
    // Loki checks only how the line starts; later malformations surface while scanning.
    if (first !== Ch.LBrace && first !== Ch.LBracket && first !== Ch.Quote) {
      setError(st, PipelineErrors.json, 'expected a JSON value at offset 0');
      return true;
    }
    for (const p of this.params) {
      sc.reset(line);
      let value = '';
      try {
        value = this.lookup(p.path);
      } catch (e) {
        if (!(e instanceof JsonError)) throw e;
        setError(st, PipelineErrors.json, errorDetails(e));
      }
      setLabel(st, extractedName(st, p.label), value);
    }
    return true;
  }

  /** The value at `path` from the cursor: raw text for objects/arrays, `""` for null or missing. */
  private lookup(path: readonly JsonPathSegment[]): string {
    const sc = this.scanner;
    for (const seg of path) {
      sc.ws();
      const c = sc.s.charCodeAt(sc.i);
      if (typeof seg === 'string') {
        if (c !== Ch.LBrace) {
          sc.skipValue();
          return '';
        }
        if (!this.findKey(seg)) return '';
      } else {
        if (c !== Ch.LBracket) {
          sc.skipValue();
          return '';
        }
        if (!this.findIndex(seg)) return '';
      }
    }
    sc.ws();
    const c = sc.s.charCodeAt(sc.i);
    const start = sc.i;
    if (c === Ch.Quote) return sc.string() ?? '';
    if (c === 110) {
      sc.word('null');
      return '';
    }
    sc.skipValue();
    return sc.s.slice(start, sc.i);
  }

  /** Moves into the object at the cursor to the value of `key` (first occurrence); false when absent. */
  private findKey(key: string): boolean {
    const sc = this.scanner;
    if (!sc.enter(Ch.RBrace)) return false;
    do {
      if (sc.memberKey() === key) return true;
      sc.skipValue();
    } while (sc.next(Ch.RBrace));
    return false;
  }

  private findIndex(index: number): boolean {
    const sc = this.scanner;
    if (!sc.enter(Ch.RBracket)) return false;
    let k = 0;
    do {
      if (k++ === index) return true;
      sc.skipValue();
    } while (sc.next(Ch.RBracket));
    return false;
  }
}

/** The special member of a packed line. */
export const PACKED_ENTRY_KEY = '_entry';

/** `| unpack`. */
export class UnpackStage {
  private readonly scanner = new Scanner();
  private readonly pending: string[] = [];

  constructor(private readonly want: Want) {}

  run(st: LineState): boolean {
    const sc = this.scanner;
    const line = st.line;
    if (line.length === 0) return true;
    sc.reset(line);
    const pending = this.pending;
    pending.length = 0;
    let entry: string | null = null;
    try {
      if (line.charCodeAt(0) !== Ch.LBrace) sc.fail('expecting json object, but it is not');
      if (!sc.enter(Ch.RBrace)) return true;
      do {
        const key = sc.memberKey() ?? '';
        sc.ws();
        if (sc.s.charCodeAt(sc.i) === Ch.Quote) {
          const v = sc.string();
          if (key === PACKED_ENTRY_KEY) {
            if (v === null) sc.fail('invalid escape in _entry');
            entry = v;
          } else {
            const label = extractedName(st, sanitizeLabelKey(key, true));
            if (label !== '' && (this.want === null || this.want.has(label))) pending.push(label, v === null || v.includes('\uFFFD') ? '' : v);
          }
        } else {
          sc.skipValue();
        }
      } while (sc.next(Ch.RBrace));
    } catch (e) {
      if (!(e instanceof JsonError)) throw e;
      setError(st, PipelineErrors.json, errorDetails(e));
      return true;
    }
    if (entry !== null) {
      for (let i = 0; i < pending.length; i += 2) setLabel(st, pending[i]!, pending[i + 1]!);
      st.line = entry;
    }
    return true;
  }
}
