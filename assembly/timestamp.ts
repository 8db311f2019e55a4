/**
 * Strict RFC 3339 timestamps, as Go's `time.Parse(time.RFC3339Nano, …)` reads them:
 *
 *   YYYY "-" MM "-" DD ("T"|"t") hh ":" mm ":" ss ("." 1*9DIGIT)? ("Z"|"z"|("+"|"-") hh ":" mm)
 *
 * immediately followed by "[". Ranges are checked (month 1–12, day within the month with
 * leap years, hour 0–23, minute 0–59, second 0–59, offset hour 0–23, offset minute 0–59).
 * The instant is converted to int64 nanoseconds since the Unix epoch with integer
 * arithmetic only; an instant outside int64 nanoseconds is `timestamp-out-of-range`.
 * Every read is bounded by the line end `e`: bytes past a line (the next line, or stale
 * memory after the final partial line) never influence a result.
 */
import { REASON_BAD_TIMESTAMP, REASON_NONE, REASON_TIMESTAMP_OUT_OF_RANGE } from './constants';

/** Result of the last successful `parseTimestamp`: nanoseconds since the epoch. */
export let tsNs: i64 = 0;
/** Result of the last successful `parseTimestamp`: address of the '[' after the timestamp. */
export let tsEnd: usize = 0;

// @ts-ignore: decorator
@inline function d(p: usize, k: usize): u32 {
  return <u32>load<u8>(p + k) - 48;
}

// @ts-ignore: decorator
@inline function daysInMonth(y: i32, m: i32): i32 {
  if (m == 2) return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28;
  return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
// @ts-ignore: decorator
@inline function daysFromCivil(y0: i32, m: i32, dd: i32): i64 {
  const y: i64 = <i64>(m <= 2 ? y0 - 1 : y0);
  const era: i64 = (y >= 0 ? y : y - 399) / 400;
  const yoe: i64 = y - era * 400;
  const mp: i64 = <i64>(m > 2 ? m - 3 : m + 9);
  const doy: i64 = (153 * mp + 2) / 5 + <i64>dd - 1;
  const doe: i64 = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** Result of the last successful `parseTimestamp`: seconds since the epoch of the line's `YYYY-MM-DDThh:00:00` read as UTC (before the zone offset). */
export let tsHourSecs: i64 = 0;

/**
 * Parses the timestamp at the start of the line `[p, e)`. Returns `REASON_NONE` and sets
 * `tsNs`/`tsEnd`/`tsHourSecs`, or returns a bad-line reason.
 */
export function parseTimestamp(p: usize, e: usize): i32 {
  // Shortest form: "YYYY-MM-DDThh:mm:ssZ[" = 21 bytes.
  if (e - p < 21) return REASON_BAD_TIMESTAMP;
  if (load<u8>(p, 4) != 0x2d || load<u8>(p, 7) != 0x2d || (load<u8>(p, 10) | 0x20) != 0x74) {
    return REASON_BAD_TIMESTAMP;
  }
  const y0 = d(p, 0), y1 = d(p, 1), y2 = d(p, 2), y3 = d(p, 3);
  const mo0 = d(p, 5), mo1 = d(p, 6), d0 = d(p, 8), d1 = d(p, 9);
  const h0 = d(p, 11), h1 = d(p, 12);
  // Every value is unsigned: a non-digit byte shows up as a value > 9.
  if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (mo0 > 9) | (mo1 > 9) | (d0 > 9) | (d1 > 9) | (h0 > 9) | (h1 > 9)) {
    return REASON_BAD_TIMESTAMP;
  }
  const year = <i32>(y0 * 1000 + y1 * 100 + y2 * 10 + y3);
  const month = <i32>(mo0 * 10 + mo1);
  const day = <i32>(d0 * 10 + d1);
  const hour = <i32>(h0 * 10 + h1);
  if (month < 1 || month > 12 || day < 1 || hour > 23) return REASON_BAD_TIMESTAMP;
  if (day > daysInMonth(year, month)) return REASON_BAD_TIMESTAMP;
  const hourSecs = daysFromCivil(year, month, day) * 86400 + <i64>(hour * 3600);
  const r = parseTimestampInHour(p, e, hourSecs);
  if (r == REASON_NONE) tsHourSecs = hourSecs;
  return r;
}

/**
 * The rest of `parseTimestamp` once the line's first 13 bytes (`YYYY-MM-DDThh`) are known
 * valid and worth `hourSecs` (the scan's hour cache skips straight here for a line in the
 * same hour as the last valid one): `:mm:ss`, the fraction, the zone and the '['.
 * Requires `e - p >= 21`. Returns `REASON_NONE` and sets `tsNs`/`tsEnd`, or a reason.
 */
export function parseTimestampInHour(p: usize, e: usize, hourSecs: i64): i32 {
  if (load<u8>(p, 13) != 0x3a || load<u8>(p, 16) != 0x3a) return REASON_BAD_TIMESTAMP;
  const mi0 = d(p, 14), mi1 = d(p, 15), s0 = d(p, 17), s1 = d(p, 18);
  if ((mi0 > 9) | (mi1 > 9) | (s0 > 9) | (s1 > 9)) return REASON_BAD_TIMESTAMP;
  const minute = <i32>(mi0 * 10 + mi1);
  const second = <i32>(s0 * 10 + s1);
  if (minute > 59 || second > 59) return REASON_BAD_TIMESTAMP;

  let q = p + 19;
  let frac: i64 = 0;
  if (load<u8>(q) == 0x2e) {
    q++;
    let digits: i32 = 0;
    while (q < e) {
      const c = <u32>load<u8>(q) - 48;
      if (c > 9) break;
      if (digits == 9) return REASON_BAD_TIMESTAMP; // more than nanoseconds
      frac = frac * 10 + <i64>c;
      digits++;
      q++;
    }
    if (digits == 0) return REASON_BAD_TIMESTAMP;
    while (digits < 9) {
      frac *= 10;
      digits++;
    }
  }
  if (q >= e) return REASON_BAD_TIMESTAMP;
  let offset: i64 = 0;
  const z = load<u8>(q);
  if ((z | 0x20) == 0x7a) {
    q++;
  } else if (z == 0x2b || z == 0x2d) {
    if (e - q < 6) return REASON_BAD_TIMESTAMP;
    const oh0 = d(q, 1), oh1 = d(q, 2), om0 = d(q, 4), om1 = d(q, 5);
    if ((oh0 > 9) | (oh1 > 9) | (om0 > 9) | (om1 > 9) || load<u8>(q, 3) != 0x3a) return REASON_BAD_TIMESTAMP;
    const oh = <i64>(oh0 * 10 + oh1);
    const om = <i64>(om0 * 10 + om1);
    if (oh > 23 || om > 59) return REASON_BAD_TIMESTAMP;
    offset = oh * 3600 + om * 60;
    if (z == 0x2d) offset = -offset;
    q += 6;
  } else {
    return REASON_BAD_TIMESTAMP;
  }
  if (q >= e || load<u8>(q) != 0x5b) return REASON_BAD_TIMESTAMP;

  // Local time minus the offset is UTC.
  const secs: i64 = hourSecs + <i64>(minute * 60 + second) - offset;
  // int64 ns holds [-9223372036.854775808 s, 9223372036.854775807 s].
  if (secs < -9223372037 || secs > 9223372036) return REASON_TIMESTAMP_OUT_OF_RANGE;
  if (secs == -9223372037 && frac < 145224192) return REASON_TIMESTAMP_OUT_OF_RANGE;
  if (secs == 9223372036 && frac > 854775807) return REASON_TIMESTAMP_OUT_OF_RANGE;
  tsNs = secs * 1000000000 + frac;
  tsEnd = q;
  return REASON_NONE;
}
