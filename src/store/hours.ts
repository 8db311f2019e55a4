/**
 * Hour file names: `YYYY-MM-DD_HH.log` ⇄ the hour's start in nanoseconds (UTC).
 *
 * A Lethe store keeps one file per UTC hour and per target. This module owns the strict
 * reading of those names (contract §1) and the rule that decides whether a file is read
 * for a query window. It knows nothing about sources or lines.
 *
 * Invariants:
 * - A name is an hour only if it is exactly `\d{4}-\d{2}-\d{2}_\d{2}\.log` and names a real
 *   proleptic-Gregorian date in years 0001–9999 with an hour 00–23. `0000-00-00_00.log`,
 *   hour 24, Feb 30, Feb 29 of a common year, `2024-9-24_13.log` and `…_13.log.1` are not.
 * - Calendar arithmetic is integer day counting ({@link daysFromCivil}), never `Date`:
 *   `Date.UTC` maps years 0–99 to 1900–1999 and keeps only milliseconds.
 * - Instants are `bigint` nanoseconds; `formatHourFileName(parseHourFileName(n)) === n`.
 */
import { civilFromDays, daysFromCivil, daysInMonth } from '../time.js';
import { LetheQLError } from '../errors.js';

/** One hour in nanoseconds. */
export const HOUR_NS = 3_600_000_000_000n;

const HOUR_FILE = /^(\d{4})-(\d{2})-(\d{2})_(\d{2})\.log$/;

/** Smallest and largest hour a file name can name: 0001-01-01_00 and 9999-12-31_23. */
const MIN_DAY = daysFromCivil(1, 1, 1);
const MAX_DAY = daysFromCivil(9999, 12, 31);

/**
 * Reads a strict hour file name (`2024-09-24_13.log`) as the hour's start, in nanoseconds
 * since the Unix epoch (UTC). Returns null for anything that is not an hour.
 *
 * @example parseHourFileName('2009-11-10_22.log') // 1257890400000000000n
 * @example parseHourFileName('0000-00-00_00.log') // null
 */
export function parseHourFileName(name: string): bigint | null {
  const m = HOUR_FILE.exec(name);
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23) return null;
  return BigInt(daysFromCivil(year, month, day) * 24 + hour) * HOUR_NS;
}

/** Splits an hour-aligned instant into its civil fields; throws `INVALID_TIME` when it is not an hour of years 0001–9999. */
function civilHour(hourNs: bigint): { year: number; month: number; day: number; hour: number } {
  if (hourNs % HOUR_NS !== 0n) throw new LetheQLError('INVALID_TIME', `not an hour boundary: ${hourNs}ns`);
  const hours = hourNs / HOUR_NS; // exact: no rounding direction issue for negatives
  const days = Number(hours >= 0n ? hours / 24n : -((-hours + 23n) / 24n));
  if (days < MIN_DAY || days > MAX_DAY) throw new LetheQLError('INVALID_TIME', `hour outside years 0001–9999: ${hourNs}ns`);
  const hour = Number(hours - BigInt(days) * 24n);
  return { ...civilFromDays(days), hour };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * The file name of the hour starting at `hourNs` (`2024-09-24_13.log`). Inverse of
 * {@link parseHourFileName}. Throws `INVALID_TIME` when `hourNs` is not a multiple of
 * {@link HOUR_NS} or lies outside years 0001–9999 — that is a caller's bug, not input.
 */
export function formatHourFileName(hourNs: bigint): string {
  const c = civilHour(hourNs);
  return `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}_${pad(c.hour, 2)}.log`;
}

/** The hour starting at `hourNs` as RFC 3339 (`2024-09-24T13:00:00Z`), for summaries. Same preconditions as {@link formatHourFileName}. */
export function formatHourRfc3339(hourNs: bigint): string {
  const c = civilHour(hourNs);
  return `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(c.hour, 2)}:00:00Z`;
}

/** The start of the UTC hour containing `ns` (floor, also for instants before 1970). */
export function hourFloor(ns: bigint): bigint {
  const r = ns % HOUR_NS;
  return r < 0n ? ns - r - HOUR_NS : ns - r;
}

/**
 * Whether the file covering `[hourNs, hourNs + 1h)` must be read for a query over
 * `[startNs, endNs]` (both ends inclusive).
 *
 * The rule is the contract's (§1) and Lethe's: `start < hour+1h && end > hour`. Note the
 * strict `end > hour`: a window ending exactly at an hour does not read that hour's file,
 * so a line stamped exactly at the hour (or a line of another time kept in that file) is
 * not returned even though `end` is inclusive for line times. Lethe behaves so
 * (`isFileInTimeRange`: `End.After(fileStart)`) and we reproduce it rather than read one
 * more file than Lethe would. (Lethe's `Start.Before(fileStart+3599s)` is a one-second
 * slip that the contract does not keep: the file covers `[hour, hour+1h)`.)
 */
export function hourOverlaps(hourNs: bigint, startNs: bigint, endNs: bigint): boolean {
  return startNs < hourNs + HOUR_NS && endNs > hourNs;
}
