/**
 * Log records → Lethe lines: the one place that decides what the write path puts in a store.
 *
 * A record (a pod line or a node line, contract §1) becomes one or more lines
 * `TIMESTAMP "[" labels "]" " " message "\n"` destined for the file of the UTC hour of the
 * record's own timestamp (`pod/<namespace>/YYYY-MM-DD_HH.log`), so file hour and line time
 * always agree in stores we write.
 *
 * Invariants (every line we write reads back as exactly the record it came from):
 * - TIMESTAMP is RFC 3339 UTC with {@link DEFAULT_FRACTION_DIGITS} (6) fraction digits by
 *   default — what Lethe's fixtures and fluent-bit's Lethe output use
 *   (`2009-11-10T22:59:00.000000Z`). Finer digits are truncated (floor), which keeps order.
 * - Label values are **rejected, never escaped**: an empty value, `|`, `[`, `]` or any
 *   control character (U+0000–U+001F, U+007F: this covers line breaks) would change how the
 *   bracket is split or where the line ends, and no reader of Lethe stores knows an escape.
 *   The target (`namespace`/`node`) is also a directory name, so it must be one safe path
 *   segment ({@link isSafeName}: no `/`, `\`, `..`, not `.`).
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
import { formatRfc3339, parseRfc3339 } from '../time.js';

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

/** Lethe's fixtures and fluent-bit's Lethe output write microseconds. */
export const DEFAULT_FRACTION_DIGITS = 6;

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
export function formatRecord(record: LogRecord, fractionDigits = DEFAULT_FRACTION_DIGITS): FormattedRecord {
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
  const written = truncateTo(timeNs, fractionDigits);
  let fileName: string;
  try {
    fileName = formatHourFileName(hourFloor(written));
  } catch {
    throw new InvalidRecordError('INVALID_TIME', 'time', `invalid time ${formatRfc3339(timeNs)}: outside years 0001–9999`);
  }
  const prefix = `${formatRfc3339(written, fractionDigits)}[${labels}] `;
  const pieces = messageLines(record.message);
  let text = '';
  for (const piece of pieces) text += prefix + piece + '\n';
  return { logType, target, fileName, path: `${logType}/${target}/${fileName}`, timeNs, text, lines: pieces.length };
}

/** `ns` floored to `digits` fraction digits (so the written time never moves into the next hour). */
function truncateTo(ns: bigint, digits: number): bigint {
  const unit = 10n ** BigInt(9 - digits);
  const r = ns % unit;
  return r < 0n ? ns - r - unit : ns - r;
}

/** Validates a `fractionDigits` option (an integer 0–9). */
export function checkFractionDigits(digits: unknown): number {
  if (typeof digits !== 'number' || !Number.isInteger(digits) || digits < 0 || digits > 9) {
    throw new LetheQLError('INVALID_OPTION', `invalid fractionDigits ${String(digits)}: expected an integer from 0 to 9`);
  }
  return digits;
}
