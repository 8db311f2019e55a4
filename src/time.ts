/**
 * Times and durations as exact integers.
 *
 * Every instant inside letheql is a `bigint` of nanoseconds since the Unix epoch (UTC):
 * log lines carry up to nine fraction digits, and JS `Date` keeps only milliseconds. This
 * module parses the time forms users type (RFC 3339, Unix seconds, durations such as
 * `1h30m`) and formats instants back to RFC 3339. It has no dependencies and no `node:`
 * imports, so the browser build uses it too.
 */
import { LetheQLError } from './errors.js';

export const NS_PER_MS = 1_000_000n;

/** The wall clock in nanoseconds since the epoch (millisecond resolution): the one place letheql reads the real time. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS;
}
export const NS_PER_SECOND = 1_000_000_000n;
export const NS_PER_MINUTE = 60n * NS_PER_SECOND;
export const NS_PER_HOUR = 60n * NS_PER_MINUTE;
export const NS_PER_DAY = 24n * NS_PER_HOUR;

/** Smallest and largest instants representable as int64 nanoseconds (Arrow's timestamp range). */
export const MIN_NS = -(2n ** 63n);
export const MAX_NS = 2n ** 63n - 1n;

/**
 * Something that names an instant: a `Date`, nanoseconds as `bigint`, Unix seconds as a
 * `number` (as Prometheus APIs take them), or a string (RFC 3339 or Unix seconds).
 */
export type TimeInput = Date | bigint | number | string;

/** Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day count since 1970-01-01 (inverse of {@link daysFromCivil}). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp with 0–9 fraction digits to nanoseconds, or returns null.
 * Calendar fields are validated (no Feb 30, no hour 24).
 */
export function parseRfc3339(text: string): bigint | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (oh * 60 + om) * (m[9] === '-' ? -1 : 1);
  }
  const fraction = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'));
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  return BigInt(seconds) * NS_PER_SECOND + fraction;
}

/** Formats nanoseconds as RFC 3339 UTC with exactly `fractionDigits` (0–9) fraction digits. */
export function formatRfc3339(ns: bigint, fractionDigits = 9): string {
  const secs = ns >= 0n ? ns / NS_PER_SECOND : -((-ns + NS_PER_SECOND - 1n) / NS_PER_SECOND);
  const frac = ns - secs * NS_PER_SECOND;
  const s = Number(secs);
  const days = Math.floor(s / 86400);
  const rem = s - days * 86400;
  const { year, month, day } = civilFromDays(days);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const base = `${String(year).padStart(4, '0')}-${p2(month)}-${p2(day)}T${p2(Math.floor(rem / 3600))}:${p2(Math.floor((rem % 3600) / 60))}:${p2(rem % 60)}`;
  const f = fractionDigits > 0 ? '.' + String(frac).padStart(9, '0').slice(0, fractionDigits) : '';
  return `${base}${f}Z`;
}

const UNIX_SECONDS = /^-?\d+(?:\.\d{1,9})?$/;

/**
 * Parses a user-supplied instant: RFC 3339 (`2024-09-24T15:00:00Z`, any fraction, any
 * offset), or Unix seconds (`1727190000`, `1727190000.5`). Throws `INVALID_TIME` with the
 * accepted forms otherwise. `what` names the option in the message (`--start`, `end`).
 */
export function parseTime(input: TimeInput, what = 'time'): bigint {
  if (typeof input === 'bigint') return input;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new LetheQLError('INVALID_TIME', `invalid ${what}: ${input} is not a finite number of Unix seconds`);
    // Whole milliseconds survive the float; finer digits of a float are noise anyway.
    return BigInt(Math.round(input * 1000)) * NS_PER_MS;
  }
  if (typeof input !== 'string' && !(input instanceof Date)) {
    throw new LetheQLError('INVALID_TIME', `invalid ${what}: expected a Date, a bigint of nanoseconds, Unix seconds or an RFC 3339 string`);
  }
  if (input instanceof Date) {
    const ms = input.getTime();
    if (Number.isNaN(ms)) throw new LetheQLError('INVALID_TIME', `invalid ${what}: invalid Date`);
    return BigInt(ms) * NS_PER_MS;
  }
  const text = input.trim();
  if (UNIX_SECONDS.test(text)) {
    const neg = text.startsWith('-');
    const [whole, frac = ''] = (neg ? text.slice(1) : text).split('.');
    const ns = BigInt(whole!) * NS_PER_SECOND + BigInt(frac.padEnd(9, '0') || '0');
    return neg ? -ns : ns;
  }
  const ns = parseRfc3339(text);
  if (ns === null) {
    throw new LetheQLError(
      'INVALID_TIME',
      `invalid ${what} ${JSON.stringify(input)}: expected RFC 3339 (e.g. 2024-09-24T15:00:00Z) or Unix seconds (e.g. 1727190000)`,
    );
  }
  return ns;
}

/** Prometheus duration units, largest first (each may appear once, in this order). */
const DURATION_UNITS: readonly (readonly [string, bigint])[] = [
  ['y', 365n * NS_PER_DAY],
  ['w', 7n * NS_PER_DAY],
  ['d', NS_PER_DAY],
  ['h', NS_PER_HOUR],
  ['m', NS_PER_MINUTE],
  ['s', NS_PER_SECOND],
  ['ms', NS_PER_MS],
];
const DURATION = /^(?:\d+(?:y|w|d|h|ms|m|s))+$/;

/**
 * The one reading of a Prometheus duration (`90s`, `1h30m`, `7d`): nanoseconds, or why it is
 * not one — `syntax` (not `<int><unit>` pieces) or `order` (a unit repeated or out of order).
 * The query lexer (with positions) and every option/parameter parser share it.
 */
export function scanDuration(text: string): { ns: bigint } | { error: 'syntax' | 'order' } {
  if (!DURATION.test(text)) return { error: 'syntax' };
  let last = -1;
  let total = 0n;
  for (const part of text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) {
    const idx = DURATION_UNITS.findIndex(([u]) => u === part[2]);
    if (idx <= last) return { error: 'order' };
    last = idx;
    total += BigInt(part[1]!) * DURATION_UNITS[idx]![1];
  }
  return { ns: total };
}

/**
 * Parses a Prometheus-style duration (`90s`, `1h30m`, `7d`) to nanoseconds. Units must
 * appear from largest to smallest at most once each, as in Prometheus.
 */
export function parseDuration(text: string, what = 'duration'): bigint {
  const r = scanDuration(text.trim());
  if ('error' in r || r.ns === 0n) {
    throw new LetheQLError('INVALID_TIME', `invalid ${what} ${JSON.stringify(text)}: expected a duration such as 15m, 1h30m or 7d`);
  }
  return r.ns;
}

/**
 * Canonical Prometheus rendering of a duration (`model.Duration.String`): `5400s` → `1h30m`,
 * `0` → `0s`; a sub-millisecond rest (which Prometheus cannot hold) is written in `us`/`ns`.
 */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  if (ns < 0n) return `-${formatDuration(-ns)}`;
  let rest = ns;
  let out = '';
  for (const [u, size] of [...DURATION_UNITS, ['us', 1_000n] as const, ['ns', 1n] as const]) {
    if (rest >= size) {
      out += `${rest / size}${u}`;
      rest %= size;
    }
  }
  return out;
}
