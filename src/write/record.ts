/**
 * Log records → Lethe lines: the one place that decides what the write path puts in a store.
 *
 * A record (a pod line or a node line, contract §1) becomes one or more lines
 * `TIMESTAMP "[" labels "]" " " message "\n"` destined for the file of the UTC hour of the
 * record's own timestamp (`pod/<namespace>/YYYY-MM-DD_HH.log`), so file hour and line time
 * always agree in stores we write.
 *
 * Invariants (every line we write reads back as exactly the record it came from):
 * - TIMESTAMP is RFC 3339 UTC. By default ({@link DEFAULT_FRACTION_DIGITS}, `'auto'`) a time
 *   is written with 6 fraction digits — what Lethe's fixtures and fluent-bit's Lethe output
 *   use (`2009-11-10T22:59:00.000000Z`) — unless its sub-microsecond part is non-zero, in
 *   which case it gets 9 (`…00.123456789Z`): a time keeps the precision it came with (a
 *   nanosecond push, a CRI log) and every other line looks like Lethe's own. Both are within
 *   the contract's 0–9 digits that every reader accepts (§1). A fixed count (0–9) may be
 *   asked for instead; finer digits are then truncated (floor), which keeps order.
 * - Label values are **rejected, never escaped**: an empty value, `|`, `[`, `]` or any
 *   control character (U+0000–U+001F, U+007F: this covers line breaks) would change how the
 *   bracket is split or where the line ends, and no reader of Lethe stores knows an escape.
 *   The target (`namespace`/`node`) is also a directory name, so it must be one safe path
 *   segment ({@link isSafeName}: no `/`, `\`, `..`, not `.`). Every label value is at most
 *   {@link MAX_LABEL_BYTES} (253) UTF-8 bytes: Kubernetes names fit (namespaces, pods and
 *   containers are DNS labels or subdomains, ≤ 63/253), and a target stays under the 255-byte
 *   file-name limit of every common file system (a longer one failed with `ENAMETOOLONG`).
 * - Times are exactly those a reader can read ({@link checkWritableTime}, contract §5): the
 *   time *as written* (after truncation) is int64 nanoseconds, 1677-09-21T00:12:43.145224192Z
 *   to 2262-04-11T23:47:16.854775807Z. Every writer (push, ingest, collect, the library's
 *   writer) formats through {@link formatRecord}, so this is the one place that decides.
 * - A message is split at line breaks (`\r\n`, `\n`, lone `\r`): each piece becomes its own
 *   line with the same time and labels; one trailing break does not make an empty last line.
 *   A lone `\r` counts as a break because readers strip a trailing `\r` from every line.
 *   An empty message is one line with an empty message.
 *
 * Pure: no `node:` imports (a browser or a server can format lines with it).
 */
import { LetheQLError } from '../errors.js';
import type { LogType } from '../model.js';
import { formatHourFileName, hourFloor } from '../store/hours.js';
import { isSafeName } from '../store/paths.js';
import { formatRfc3339, MAX_NS, MIN_NS, parseRfc3339 } from '../time.js';

/** An instant a record may carry: nanoseconds since the epoch, a `Date`, or an RFC 3339 string. */
export type RecordTime = bigint | Date | string;

/** A container log line: goes to `pod/<namespace>/`. */
export interface PodRecord {
  kind: 'pod';
  time: RecordTime;
  namespace: string;
  pod: string;
  container: string;
  message: string;
}

/** A node (host) log line: goes to `node/<node>/`. */
export interface NodeRecord {
  kind: 'node';
  time: RecordTime;
  node: string;
  process: string;
  message: string;
}

/** One log record to write. */
export type LogRecord = PodRecord | NodeRecord;

/**
 * Fraction digits of written timestamps: a fixed count 0–9, or `'auto'` — 6 (microseconds,
 * as Lethe's fixtures and fluent-bit's Lethe output write them) unless the time has a
 * non-zero sub-microsecond part, then 9. See the module note.
 */
export type FractionDigits = number | 'auto';

/** The default: lossless, and microseconds (Lethe's look) whenever that is lossless. */
export const DEFAULT_FRACTION_DIGITS: FractionDigits = 'auto';

/** The digits {@link formatRecord} writes `ns` with under `fractionDigits`. */
export function fractionDigitsFor(ns: bigint, fractionDigits: FractionDigits): number {
  if (fractionDigits !== 'auto') return fractionDigits;
  return ns % 1000n === 0n ? 6 : 9;
}

/**
 * A record that cannot be written: bad time, bad label, wrong kind. `code` is
 * `INVALID_TIME` for times and `INVALID_RECORD` otherwise; `field` names the offending field.
 */
export class InvalidRecordError extends LetheQLError {
  readonly field: string;
  /** Position of the record in the batch passed to `append`, when known. */
  recordIndex: number | undefined;
  constructor(code: 'INVALID_TIME' | 'INVALID_RECORD', field: string, message: string) {
    super(code, message);
    this.name = 'InvalidRecordError';
    this.field = field;
  }
}

/** The lines of one record, ready to append to one store file. */
export interface FormattedRecord {
  logType: LogType;
  /** Namespace or node: the directory. */
  target: string;
  /** Hour file name, `2024-09-24_15.log`. */
  fileName: string;
  /** Store-relative path, `pod/shop/2024-09-24_15.log`. */
  path: string;
  /** The record's time, nanoseconds (before truncation to the written fraction digits). */
  timeNs: bigint;
  /** Whole lines, each ending in `\n`. */
  text: string;
  /** Number of lines in `text` (≥ 1). */
  lines: number;
}

/** Longest label value a writer accepts, in UTF-8 bytes (see the module note). */
export const MAX_LABEL_BYTES = 253;

const utf8 = new TextEncoder();

// Control characters change line framing or are invisible; the bracket characters change splitting.
const FORBIDDEN_LABEL_CHAR = /[\u0000-\u001f\u007f|[\]]/;

/**
 * Why `value` cannot be a label value, or null when it can. `isTarget` adds the directory
 * rules (one safe path segment).
 */
export function labelProblem(value: unknown, isTarget: boolean): string | null {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return 'must not be empty';
  const bad = FORBIDDEN_LABEL_CHAR.exec(value);
  if (bad) return `must not contain ${JSON.stringify(bad[0])} (labels cannot hold | [ ] or control characters such as line breaks)`;
  if (isTarget && !isSafeName(value)) return 'must be usable as one directory name (no /, \\ or .., not .)';
  // A UTF-8 byte is at most one UTF-16 unit, so short strings need no encoding.
  if (value.length > MAX_LABEL_BYTES / 3 && utf8.encode(value).length > MAX_LABEL_BYTES) {
    return `is longer than ${MAX_LABEL_BYTES} bytes (label values are Kubernetes names; the limit is MAX_LABEL_BYTES)`;
  }
  return null;
}

function checkLabel(field: string, value: unknown, isTarget: boolean): string {
  const problem = labelProblem(value, isTarget);
  if (problem !== null) throw new InvalidRecordError('INVALID_RECORD', field, `invalid ${field} ${JSON.stringify(value)}: ${problem}`);
  return value as string;
}

/** The record's time in nanoseconds; throws {@link InvalidRecordError} (`INVALID_TIME`). */
export function recordTimeNs(time: RecordTime): bigint {
  if (typeof time === 'bigint') return time;
  if (time instanceof Date) {
    const ms = time.getTime();
    if (Number.isNaN(ms)) throw new InvalidRecordError('INVALID_TIME', 'time', 'invalid time: invalid Date');
    return BigInt(ms) * 1_000_000n;
  }
  if (typeof time === 'string') {
    const ns = parseRfc3339(time);
    if (ns === null) throw new InvalidRecordError('INVALID_TIME', 'time', `invalid time ${JSON.stringify(time)}: expected RFC 3339 (e.g. 2024-09-24T15:00:01.5Z)`);
    return ns;
  }
  throw new InvalidRecordError('INVALID_TIME', 'time', 'invalid time: expected a bigint of nanoseconds, a Date or an RFC 3339 string');
}

/** UTF-8 length of a string as `TextEncoder` writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * The lines and bytes {@link formatRecord} would write for `record`, computed without
 * building them (one pass over the message, no allocation): a push checks its write
 * limits with it *before* formatting, since one message of `"x\n" × 2,000,000` becomes two
 * million full lines. Exact for records that format; labels are not validated here.
 */
export function measureRecord(record: LogRecord, fractionDigits: FractionDigits = DEFAULT_FRACTION_DIGITS): { lines: number; bytes: number } {
  const labels = record.kind === 'pod' ? [record.namespace, record.pod, record.container] : [record.node, record.process];
  let digits = 9;
  if (fractionDigits !== 'auto') digits = fractionDigits;
  else {
    try {
      digits = fractionDigitsFor(recordTimeNs(record.time), 'auto');
    } catch {
      // A bad time is refused when formatting; measure the longest form meanwhile.
    }
  }
  // `YYYY-MM-DDTHH:MM:SS` + fraction + `Z` + `[` + labels + `]` + ` `
  let prefix = 19 + (digits > 0 ? digits + 1 : 0) + 1 + 2 + 1 + labels.length - 1;
  for (const l of labels) prefix += utf8Length(String(l));
  const message = typeof record.message === 'string' ? record.message : '';
  let breaks = 0;
  let breakChars = 0;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c === 10 || c === 13) {
      breaks++;
      breakChars++;
      if (c === 13 && message.charCodeAt(i + 1) === 10) {
        i++;
        breakChars++;
      }
    }
  }
  const last = message.charCodeAt(message.length - 1);
  const endsWithBreak = last === 10 || last === 13;
  const lines = breaks > 0 && endsWithBreak ? breaks : breaks + 1;
  // Break characters are ASCII (one byte each) and are not written; every line gets the prefix and `\n`.
  return { lines, bytes: lines * (prefix + 1) + utf8Length(message) - breakChars };
}

/** Splits a message into line pieces (see the module note). */
export function messageLines(message: string): string[] {
  const parts = message.split(/\r\n|\n|\r/);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * Formats one record as Lethe lines. Throws {@link InvalidRecordError} for a bad time,
 * label or kind; the record is then not written at all.
 *
 * @example
 * formatRecord({ kind: 'pod', time: '2024-09-24T15:00:01Z', namespace: 'shop', pod: 'api-1', container: 'app', message: 'GET /' })
 * // { path: 'pod/shop/2024-09-24_15.log', text: '2024-09-24T15:00:01.000000Z[shop|api-1|app] GET /\n', … }
 */
export function formatRecord(record: LogRecord, fractionDigits: FractionDigits = DEFAULT_FRACTION_DIGITS): FormattedRecord {
  if (record === null || typeof record !== 'object') throw new InvalidRecordError('INVALID_RECORD', 'kind', 'invalid record: expected an object');
  let logType: LogType;
  let labels: string;
  let target: string;
  if (record.kind === 'pod') {
    logType = 'pod';
    target = checkLabel('namespace', record.namespace, true);
    labels = `${target}|${checkLabel('pod', record.pod, false)}|${checkLabel('container', record.container, false)}`;
  } else if (record.kind === 'node') {
    logType = 'node';
    target = checkLabel('node', record.node, true);
    labels = `${target}|${checkLabel('process', record.process, false)}`;
  } else {
    throw new InvalidRecordError('INVALID_RECORD', 'kind', `invalid record kind ${JSON.stringify((record as { kind?: unknown }).kind)}: expected "pod" or "node"`);
  }
  if (typeof record.message !== 'string') throw new InvalidRecordError('INVALID_RECORD', 'message', 'invalid message: must be a string');
  const timeNs = recordTimeNs(record.time);
  const written = checkWritableTime(timeNs, fractionDigits);
  const fileName = formatHourFileName(hourFloor(written));
  const prefix = `${formatRfc3339(written, fractionDigitsFor(written, fractionDigits))}[${labels}] `;
  const pieces = messageLines(record.message);
  let text = '';
  for (const piece of pieces) text += prefix + piece + '\n';
  return { logType, target, fileName, path: `${logType}/${target}/${fileName}`, timeNs, text, lines: pieces.length };
}

/** The first instant a store line can carry (int64 nanoseconds), as RFC 3339. */
export const WRITABLE_FROM = formatRfc3339(MIN_NS);
/** The last instant a store line can carry (int64 nanoseconds), as RFC 3339. */
export const WRITABLE_TO = formatRfc3339(MAX_NS);

/**
 * The one check of a written time, shared by every writer (push, ingest, collect, the
 * library's writer): returns `ns` truncated to `fractionDigits`, or throws
 * {@link InvalidRecordError} (`INVALID_TIME`) when that instant is not int64 nanoseconds —
 * a line the reader would count as `timestamp-out-of-range` and never return.
 */
export function checkWritableTime(ns: bigint, fractionDigits: FractionDigits = DEFAULT_FRACTION_DIGITS, what = 'time'): bigint {
  const written = ns >= MIN_NS && ns <= MAX_NS ? truncateTo(ns, fractionDigitsFor(ns, fractionDigits)) : ns;
  if (written < MIN_NS || written > MAX_NS) {
    throw new InvalidRecordError(
      'INVALID_TIME',
      'time',
      `invalid ${what} ${describeNs(ns)}: outside what a store can hold (int64 nanoseconds, ${WRITABLE_FROM} to ${WRITABLE_TO} at ${fractionDigitsFor(ns, fractionDigits)} fraction digits)`,
    );
  }
  return written;
}

/** RFC 3339 when the instant has a four-digit year, else the nanosecond count. */
function describeNs(ns: bigint): string {
  try {
    const s = formatRfc3339(ns);
    return /^\d{4}-/.test(s) ? s : `${ns}ns`;
  } catch {
    return `${ns}ns`;
  }
}

/** `ns` floored to `digits` fraction digits (so the written time never moves into the next hour). */
function truncateTo(ns: bigint, digits: number): bigint {
  const unit = 10n ** BigInt(9 - digits);
  const r = ns % unit;
  return r < 0n ? ns - r - unit : ns - r;
}

/** Validates a `fractionDigits` option (an integer 0–9, or `'auto'`). */
export function checkFractionDigits(digits: unknown): FractionDigits {
  if (digits === 'auto') return digits;
  if (typeof digits !== 'number' || !Number.isInteger(digits) || digits < 0 || digits > 9) {
    throw new LetheQLError('INVALID_OPTION', `invalid fractionDigits ${String(digits)}: expected an integer from 0 to 9, or "auto"`);
  }
  return digits;
}
