/**
 * `| logfmt [--strict] [--keep-empty] [a, b="c"]`: `key=value key="quoted value"` lines.
 *
 * The scanner is Loki's (`pkg/logql/log/logfmt/decode.go`, from go-logfmt) on the JS
 * string: keys run to `=` or a space; a value is bare (to the next space) or
 * double-quoted with JSON escapes; a key without `=` or with an empty value has an empty
 * value. Semantics of Loki 3's `LogfmtParser`:
 * - default: a malformed pair (`=x`, `a"b=c`, `a=b=c`, an unterminated quote) is skipped and
 *   scanning goes on; no error label;
 * - `--strict`: the first malformed pair stops the scan and sets `__error__="LogfmtParserErr"`
 *   with `__error_details__` = `logfmt syntax error at pos N : msg` (labels found so far stay);
 * - pairs with an empty value are dropped unless `--keep-empty`;
 * - keys are sanitised and get `_extracted` when the stream has them; the first of
 *   duplicate keys wins;
 * - with parameters, only the named keys are extracted, each into its label (`fwd_ip="fwd"`),
 *   and a parameter absent from the line is `""`.
 */
import { extractedName, PipelineErrors, sanitizeLabelKey, setError, setLabel, type LineState, type Want } from './state.js';

interface LogfmtError {
  pos: number;
  msg: string;
}

/** One decoder, reused line after line. */
class Decoder {
  line = '';
  pos = 0;
  key: string | null = null;
  value: string | null = null;
  err: LogfmtError | null = null;

  reset(line: string): void {
    this.line = line;
    this.pos = 0;
    this.err = null;
  }

  eol(): boolean {
    return this.pos >= this.line.length;
  }

  /**
   * The key of the next pair that has one (its value in `value`); null at the end of the
   * line or, when `strict`, at the first malformed pair (`err` says where).
   */
  nextKey(strict: boolean): string | null {
    while (!this.eol()) {
      if (!this.scan()) {
        if (strict && this.err) return null;
        continue;
      }
      if (this.key !== null) return this.key;
    }
    return null;
  }

  /** With `strict`: sets `__error__` when the line had a malformed pair (Loki's wording). */
  reportError(st: LineState, strict: boolean): void {
    if (strict && this.err) setError(st, PipelineErrors.logfmt, `logfmt syntax error at pos ${this.err.pos} : ${this.err.msg}`);
  }

  private fail(msg: string): void {
    this.err = { pos: this.pos + 1, msg };
  }

  private skipValue(): boolean {
    const line = this.line;
    for (let p = this.pos; p < line.length; p++) {
      if (line.charCodeAt(p) <= 32) {
        this.pos = p;
        return false;
      }
    }
    this.pos = line.length;
    return false;
  }

  /** Next pair; false at the end or on a malformed pair (then `err` is set unless at the end). */
  scan(): boolean {
    this.key = null;
    this.value = null;
    const line = this.line;
    let p = this.pos;
    while (p < line.length && line.charCodeAt(p) <= 32) p++;
    if (p >= line.length) {
      this.pos = line.length;
      return false;
    }
    const start = p;
    const end = this.bareEnd(start);
    this.pos = end;
    const c = line.charCodeAt(end);
    if (c === 61) {
      // `=`
      if (end === start) {
        this.fail("unexpected '='");
        return this.skipValue();
      }
      this.key = line.slice(start, end);
      return this.afterEqual();
    }
    if (c === 34) {
      this.fail(`unexpected '"'`);
      return this.skipValue();
    }
    this.key = line.slice(start, end);
    return true;
  }

  /** Where a bare key or value from `start` ends: at the first `=`, `"`, space or control character, or the line's end. */
  private bareEnd(start: number): number {
    const line = this.line;
    let p = start;
    while (p < line.length) {
      const c = line.charCodeAt(p);
      if (c === 61 || c === 34 || c <= 32) break;
      p++;
    }
    return p;
  }

  private afterEqual(): boolean {
    const line = this.line;
    this.pos++;
    if (this.pos >= line.length) return true;
    const c = line.charCodeAt(this.pos);
    if (c <= 32) return true;
    if (c === 34) return this.quoted();
    const start = this.pos;
    const end = this.bareEnd(start);
    this.pos = end;
    const d = line.charCodeAt(end);
    if (d === 61 || d === 34) {
      this.fail(d === 61 ? "unexpected '='" : `unexpected '"'`);
      return this.skipValue();
    }
    this.value = line.slice(start, end);
    return true;
  }

  private quoted(): boolean {
    const line = this.line;
    const start = this.pos;
    let hasEscape = false;
    for (let p = start + 1; p < line.length; p++) {
      const c = line.charCodeAt(p);
      if (c === 92) {
        hasEscape = true;
        p++;
        continue;
      }
      if (c === 34) {
        this.pos = p + 1;
        const body = line.slice(start + 1, p);
        if (!hasEscape) {
          this.value = body;
          return true;
        }
        const v = unquote(body);
        if (v === null) {
          this.fail('invalid quoted value');
          return false;
        }
        this.value = v;
        return true;
      }
    }
    this.pos = line.length;
    this.fail('unterminated quoted value');
    return false;
  }
}

/** JSON-style unescaping of a quoted logfmt value's body; null when invalid. */
function unquote(body: string): string | null {
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return null;
  }
}

/** `| logfmt [flags]` without parameters. */
export class LogfmtStage {
  private readonly dec = new Decoder();
  private readonly seen = new Set<string>();

  constructor(
    private readonly strict: boolean,
    private readonly keepEmpty: boolean,
    private readonly want: Want,
  ) {}

  run(st: LineState): boolean {
    const dec = this.dec;
    const seen = this.seen;
    seen.clear();
    dec.reset(st.line);
    for (let key = dec.nextKey(this.strict); key !== null; key = dec.nextKey(this.strict)) {
      const name = sanitizeLabelKey(key, true);
      if (name === '') continue;
      const label = extractedName(st, name);
      let value = dec.value ?? '';
      if (value.includes('\uFFFD')) value = '';
      if (!this.keepEmpty && value === '') continue;
      if (seen.has(label) || (this.want !== null && !this.want.has(label))) continue;
      seen.add(label);
      setLabel(st, label, value);
    }
    dec.reportError(st, this.strict);
    return true;
  }
}

/** `| logfmt [flags] a, b="c"`: only the named keys. */
export class LogfmtParamsStage {
  private readonly dec = new Decoder();
  /** logfmt key → label. */
  private readonly byKey = new Map<string, string>();

  constructor(
    private readonly strict: boolean,
    params: readonly { label: string; key: string }[],
  ) {
    for (const p of params) if (!this.byKey.has(p.key)) this.byKey.set(p.key, p.label);
  }

  run(st: LineState): boolean {
    const dec = this.dec;
    for (const label of this.byKey.values()) if (!Object.hasOwn(st.base, label)) setLabel(st, label, '');
    const done = new Set<string>();
    dec.reset(st.line);
    for (let key = dec.nextKey(this.strict); key !== null; key = dec.nextKey(this.strict)) {
      const label = this.byKey.get(key);
      if (label === undefined || done.has(label)) continue;
      done.add(label);
      let value = dec.value ?? '';
      if (value.includes('\uFFFD')) value = '';
      setLabel(st, extractedName(st, label), value);
      if (done.size === this.byKey.size && !this.strict) break;
    }
    dec.reportError(st, this.strict);
    return true;
  }
}
