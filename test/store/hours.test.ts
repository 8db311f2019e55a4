/**
 * Hour file names and the overlap rule (contract §1), as tables. The oracle for calendar
 * arithmetic is `Date#setUTCFullYear`, which (unlike `Date.UTC`) takes years 0–99 literally.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOUR_NS, formatHourFileName, formatHourRfc3339, hourFloor, hourOverlaps, parseHourFileName } from '../../src/store/hours.js';

const NS_PER_MS = 1_000_000n;

/** ns of a UTC civil hour via Date, for any year 1–9999. */
function oracle(y: number, mo: number, d: number, h: number): bigint {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, 0, 0, 0);
  return BigInt(date.getTime()) * NS_PER_MS;
}

describe('parseHourFileName: valid names', () => {
  const valid: [string, bigint][] = [
    ['1970-01-01_00.log', 0n],
    ['1970-01-01_01.log', HOUR_NS],
    ['1969-12-31_23.log', -HOUR_NS],
    ['2009-11-10_22.log', 1_257_890_400_000_000_000n],
    ['2009-11-10_21.log', 1_257_886_800_000_000_000n],
    ['2024-09-24_13.log', 1_727_182_800_000_000_000n],
    ['2000-01-01_00.log', 946_684_800_000_000_000n],
    ['2029-11-10_23.log', 1_889_046_000_000_000_000n], // Lethe's fixture: a 2029 name holding 2009 lines
    ['2024-02-29_12.log', oracle(2024, 2, 29, 12)], // leap year
    ['2000-02-29_00.log', oracle(2000, 2, 29, 0)], // divisible by 400: leap
    ['1600-02-29_23.log', oracle(1600, 2, 29, 23)],
    ['0001-01-01_00.log', oracle(1, 1, 1, 0)], // the first hour there is
    ['0099-12-31_23.log', oracle(99, 12, 31, 23)], // Date.UTC would read 1999
    ['1900-03-01_05.log', oracle(1900, 3, 1, 5)],
    ['9999-12-31_23.log', oracle(9999, 12, 31, 23)],
    ['2024-12-31_23.log', oracle(2024, 12, 31, 23)],
  ];
  it.each(valid)('%s → %s', (name, ns) => {
    expect(parseHourFileName(name)).toBe(ns);
    expect(formatHourFileName(ns)).toBe(name);
  });
});

describe('parseHourFileName: invalid names', () => {
  const invalid: [string, string][] = [
    ['0000-00-00_00.log', "Lethe's fixture: year, month and day 0"],
    ['0000-01-01_00.log', 'year 0000'],
    ['2024-09-24_24.log', 'hour 24'],
    ['2024-09-24_99.log', 'hour 99'],
    ['2024-02-30_00.log', 'Feb 30'],
    ['2023-02-29_00.log', 'Feb 29 of a common year'],
    ['1900-02-29_00.log', 'Feb 29 of a century that is not divisible by 400'],
    ['2024-04-31_00.log', 'Apr 31'],
    ['2024-13-01_00.log', 'month 13'],
    ['2024-00-10_00.log', 'month 0'],
    ['2024-09-00_00.log', 'day 0'],
    ['2024-9-24_13.log', 'month without zero padding'],
    ['2024-09-4_13.log', 'day without zero padding'],
    ['2024-09-24_1.log', 'hour without zero padding'],
    ['24-09-24_13.log', 'two-digit year'],
    ['12024-09-24_13.log', 'five-digit year'],
    ['2024-09-24_13.log.1', 'rotation suffix'],
    ['2024-09-24_13.log.gz', 'compressed'],
    ['2024-09-24_13.LOG', 'upper-case extension'],
    ['2024-09-24_13.txt', 'other extension'],
    ['2024-09-24_13', 'no extension'],
    ['2024-09-24T13.log', 'T instead of _'],
    ['2024-09-24 13.log', 'space instead of _'],
    [' 2024-09-24_13.log', 'leading space'],
    ['2024-09-24_13.log ', 'trailing space'],
    ['2024-09-24_13.log\n', 'trailing newline'],
    ['x2024-09-24_13.log', 'prefix'],
    ['.2024-09-24_13.log', 'hidden file'],
    ['２０２４-09-24_13.log', 'full-width digits'],
    ['2024-09-24_+1.log', 'sign'],
    ['', 'empty'],
    ['.log', 'extension only'],
  ];
  it.each(invalid)('%j is not an hour (%s)', (name) => {
    expect(parseHourFileName(name)).toBeNull();
  });
});

describe('formatHourFileName / formatHourRfc3339', () => {
  it.each([
    [0n, '1970-01-01_00.log', '1970-01-01T00:00:00Z'],
    [-HOUR_NS, '1969-12-31_23.log', '1969-12-31T23:00:00Z'],
    [1_727_182_800_000_000_000n, '2024-09-24_13.log', '2024-09-24T13:00:00Z'],
  ])('%s → %s, %s', (ns, name, rfc) => {
    expect(formatHourFileName(ns)).toBe(name);
    expect(formatHourRfc3339(ns)).toBe(rfc);
  });
  it.each([
    [1n, 'not an hour boundary'],
    [HOUR_NS - 1n, 'not an hour boundary'],
    [oracle(1, 1, 1, 0) - HOUR_NS, 'before year 0001'],
    [oracle(9999, 12, 31, 23) + HOUR_NS, 'after year 9999'],
  ])('rejects %s (%s)', (ns) => {
    expect(() => formatHourFileName(ns)).toThrow(expect.objectContaining({ code: 'INVALID_TIME' }));
  });
});

describe('round trips (property)', () => {
  it('format(parse(name)) === name and agrees with the Date oracle, years 1–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 23 }), (y, mo, d, h) => {
        const name = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}_${String(h).padStart(2, '0')}.log`;
        const ns = parseHourFileName(name);
        const date = new Date(0);
        date.setUTCFullYear(y, mo - 1, d);
        const real = date.getUTCMonth() === mo - 1; // false for Feb 30 etc.
        if (!real) return ns === null;
        return ns === oracle(y, mo, d, h) && formatHourFileName(ns) === name;
      }),
      { numRuns: 2000 },
    );
  });
  it('parse(format(hour)) === hour for every hour between 0001 and 9999', () => {
    const lo = oracle(1, 1, 1, 0) / HOUR_NS;
    const hi = oracle(9999, 12, 31, 23) / HOUR_NS;
    fc.assert(
      fc.property(fc.bigInt({ min: lo, max: hi }), (h) => parseHourFileName(formatHourFileName(h * HOUR_NS)) === h * HOUR_NS),
      { numRuns: 2000 },
    );
  });
});

describe('hourFloor', () => {
  it.each([
    [0n, 0n],
    [1n, 0n],
    [HOUR_NS - 1n, 0n],
    [HOUR_NS, HOUR_NS],
    [-1n, -HOUR_NS],
    [-HOUR_NS, -HOUR_NS],
    [-HOUR_NS - 1n, -2n * HOUR_NS],
  ])('hourFloor(%s) = %s', (ns, floor) => expect(hourFloor(ns)).toBe(floor));
});

describe('hourOverlaps at nanosecond precision', () => {
  const H = 1_727_182_800_000_000_000n; // 2024-09-24T13:00:00Z
  const E = H + HOUR_NS; // 14:00:00Z, the first instant not covered
  const cases: [string, bigint, bigint, boolean][] = [
    ['window inside the hour', H + 10n, H + 20n, true],
    ['window covering the hour', H - 1n, E + 1n, true],
    ['end exactly at the hour start (contract and Lethe: end > hour)', H - HOUR_NS, H, false],
    ['end 1 ns after the hour start', H - HOUR_NS, H + 1n, true],
    ['single instant at the hour start', H, H, false],
    ['end 1 ns before the hour', H - HOUR_NS, H - 1n, false],
    ['start at the last covered instant', E - 1n, E + HOUR_NS, true],
    ['start exactly at hour+1h (file range is open there)', E, E + HOUR_NS, false],
    ['single instant at hour+1h', E, E, false],
    ['single instant at the last covered ns', E - 1n, E - 1n, true],
    ['window entirely after', E + 1n, E + 2n, false],
    ['window entirely before', H - 2n * HOUR_NS, H - HOUR_NS, false],
  ];
  it.each(cases)('%s', (_, start, end, expected) => {
    expect(hourOverlaps(H, start, end)).toBe(expected);
  });
  it('Lethe: [22:58, 23:00] reads hour 22 only (not 23: end == hour; not 21)', () => {
    const start = 1_257_893_880_000_000_000n; // 2009-11-10T22:58:00Z
    const end = 1_257_894_000_000_000_000n; // 2009-11-10T23:00:00Z
    expect(hourOverlaps(parseHourFileName('2009-11-10_23.log')!, start, end)).toBe(false);
    expect(hourOverlaps(parseHourFileName('2009-11-10_22.log')!, start, end)).toBe(true);
    expect(hourOverlaps(parseHourFileName('2009-11-10_21.log')!, start, end)).toBe(false);
    expect(hourOverlaps(parseHourFileName('2009-11-11_00.log')!, start, end)).toBe(false);
  });
});
