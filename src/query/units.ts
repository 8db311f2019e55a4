/**
 * Go's number, duration and byte-size readings, shared by the query front end and the
 * log pipeline.
 *
 * Owns: the three conversions LogQL applies to label values and to label-filter literals,
 * with Go's rules and Go's error wording (the wording ends up in `__error_details__`):
 * - {@link parseGoFloat}: `strconv.ParseFloat(s, 64)`;
 * - {@link parseGoDuration}: `time.ParseDuration` (units ns us µs ms s m h, fractions,
 *   any order, a sign), in nanoseconds;
 * - {@link parseHumanBytes}: go-humanize's `ParseBytes` (`1MB` = 10^6, `1MiB` = 2^20,
 *   `1M` = `1MB`, case-insensitive units, commas in the number ignored);
 * and the canonical printed forms of duration and bytes literals.
 *
 * Numbers are JS doubles: durations beyond 2^53 ns (≈104 days) and sizes beyond 2^53 bytes
 * lose their last digits, where Go keeps an exact int64/uint64. Comparisons at that scale
 * are the only place this shows.
 *
 * Results are tagged unions rather than exceptions: the pipeline calls these once per line
 * and a failed conversion is data there (it becomes an `__error__` label), not a failure.
 */
import { formatDuration } from './literals.js';

/** A converted value, or Go's error message. */
export type Conversion = { ok: true; value: number } | { ok: false; error: string };

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/;
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

function floatSyntaxError(s: string): Conversion {
  return { ok: false, error: `strconv.ParseFloat: parsing ${goStrconvQuote(s)}: invalid syntax` };
}

/** `strconv.Quote` for error messages (printable ASCII kept, the rest escaped JSON-style). */
function goStrconvQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's `strconv.ParseFloat(s, 64)`: decimal and hex floats, `Inf`/`NaN`; overflow is an error. */
export function parseGoFloat(s: string): Conversion {
  const special = SPECIAL_RE.exec(s);
  if (special) {
    const value = special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
    return { ok: true, value };
  }
  const hex = HEX_FLOAT_RE.exec(s);
  if (hex) {
    if (hex[2] === '' && hex[3] === '') return floatSyntaxError(s);
    const mantissa = parseInt(`${hex[2]}${hex[3]}` || '0', 16) / 16 ** hex[3]!.length;
    const value = mantissa * 2 ** Number(hex[4]);
    return finite(s, hex[1] === '-' ? -value : value);
  }
  // Go accepts `_` between digits only after a base prefix; a decimal with `_` is a syntax error.
  if (!FLOAT_RE.test(s)) return floatSyntaxError(s);
  return finite(s, Number(s));
}

function finite(s: string, value: number): Conversion {
  if (!Number.isFinite(value)) return { ok: false, error: `strconv.ParseFloat: parsing ${goStrconvQuote(s)}: value out of range` };
  return { ok: true, value };
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's `time.ParseDuration`, in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`. */
export function parseGoDuration(orig: string): Conversion {
  const invalid = (): Conversion => ({ ok: false, error: `time: invalid duration ${goStrconvQuote(orig)}` });
  let s = orig;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, value: 0 };
  if (s === '') return invalid();
  let total = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (!(c === 46 || (c >= 48 && c <= 57))) return invalid();
    const intStart = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    const intPart = s.slice(intStart, i);
    let fracPart = '';
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      fracPart = s.slice(fracStart, i);
    }
    if (intPart === '' && fracPart === '') return invalid();
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !(s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57)) i++;
    const unit = s.slice(unitStart, i);
    if (unit === '') return { ok: false, error: `time: missing unit in duration ${goStrconvQuote(orig)}` };
    const scale = DURATION_UNITS[unit];
    if (scale === undefined) return { ok: false, error: `time: unknown unit ${goStrconvQuote(unit)} in duration ${goStrconvQuote(orig)}` };
    // Go truncates the fraction to whole nanoseconds.
    total += Number(intPart || '0') * scale + Math.trunc(Number(`0.${fracPart || '0'}`) * scale);
    if (total > 9223372036854775807) return invalid();
  }
  return { ok: true, value: negative ? -total : total };
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  '': 1,
  k: 1e3, kb: 1e3, ki: 2 ** 10, kib: 2 ** 10,
  m: 1e6, mb: 1e6, mi: 2 ** 20, mib: 2 ** 20,
  g: 1e9, gb: 1e9, gi: 2 ** 30, gib: 2 ** 30,
  t: 1e12, tb: 1e12, ti: 2 ** 40, tib: 2 ** 40,
  p: 1e15, pb: 1e15, pi: 2 ** 50, pib: 2 ** 50,
  e: 1e18, eb: 1e18, ei: 2 ** 60, eib: 2 ** 60,
};

/** go-humanize's `ParseBytes`: a decimal number (commas ignored) and a unit; the result is truncated to an integer. */
export function parseHumanBytes(s: string): Conversion {
  let lastDigit = 0;
  while (lastDigit < s.length) {
    const c = s[lastDigit]!;
    if (!((c >= '0' && c <= '9') || c === '.' || c === ',')) break;
    lastDigit++;
  }
  const num = s.slice(0, lastDigit).replaceAll(',', '');
  const f = parseGoFloat(num);
  if (!f.ok) return f;
  const extra = s.slice(lastDigit).trim().toLowerCase();
  const unit = BYTE_UNITS[extra];
  if (unit === undefined) return { ok: false, error: `unhandled size name: ${extra}` };
  const value = f.value * unit;
  if (value >= 18446744073709551615) return { ok: false, error: `too large: ${s}` };
  return { ok: true, value: Math.trunc(value) };
}

/**
 * Canonical text of a label-filter duration: PromQL's form when it is whole milliseconds
 * (`250ms`, `1h30m`), else whole nanoseconds (`1500ns`). Both read back exactly.
 */
export function formatLabelDuration(ns: number): string {
  if (ns < 0) return `-${formatLabelDuration(-ns)}`;
  if (ns % 1e6 === 0) return formatDuration(ns / 1e6);
  return `${ns}ns`;
}

/** Units the lexer reads back (LogQL's lexer has no E units), largest first. */
const PRINT_UNITS: [string, number][] = [
  ['PiB', 2 ** 50], ['PB', 1e15], ['TiB', 2 ** 40], ['TB', 1e12],
  ['GiB', 2 ** 30], ['GB', 1e9], ['MiB', 2 ** 20], ['MB', 1e6], ['KiB', 2 ** 10], ['kB', 1e3],
];

/** Canonical text of a bytes literal: the largest unit that divides it exactly (`1MiB`, `1500kB`, `20B`). */
export function formatBytes(bytes: number): string {
  if (bytes > 0) {
    for (const [unit, size] of PRINT_UNITS) {
      if (bytes % size === 0) return `${bytes / size}${unit}`;
    }
  }
  return `${bytes}B`;
}
