/**
 * Timestamps: exact nanoseconds for valid RFC 3339 forms (oracle: Date.UTC in ms plus the
 * fraction, on in-range dates), the bad forms Go's RFC3339Nano parser rejects, the int64
 * nanosecond limits, and window boundaries at nanosecond precision.
 */
import { describe, expect, test } from 'vitest';
import { Kernel } from '../../src/scan/kernel.js';
import { program, runScan, refTimestamp } from './helpers.js';

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;

/** Oracle: UTC wall-clock parts + 9-digit fraction - offset minutes. */
function ns(y: number, mo: number, d: number, h: number, mi: number, s: number, frac9 = 0n, offsetMin = 0): bigint {
  return BigInt(Date.UTC(y, mo - 1, d, h, mi, s)) * 1_000_000n + frac9 - BigInt(offsetMin) * 60_000_000_000n;
}

const valid: [string, bigint][] = [
  ['2009-11-10T23:00:00Z', ns(2009, 11, 10, 23, 0, 0)],
  ['2009-11-10T23:00:00z', ns(2009, 11, 10, 23, 0, 0)],
  ['2009-11-10t23:00:00Z', ns(2009, 11, 10, 23, 0, 0)],
  ['2009-11-10T23:00:00.1Z', ns(2009, 11, 10, 23, 0, 0, 100_000_000n)],
  ['2009-11-10T23:00:00.12Z', ns(2009, 11, 10, 23, 0, 0, 120_000_000n)],
  ['2009-11-10T23:00:00.123Z', ns(2009, 11, 10, 23, 0, 0, 123_000_000n)],
  ['2009-11-10T23:00:00.1234Z', ns(2009, 11, 10, 23, 0, 0, 123_400_000n)],
  ['2009-11-10T23:00:00.12345Z', ns(2009, 11, 10, 23, 0, 0, 123_450_000n)],
  ['2009-11-10T23:00:00.123456Z', ns(2009, 11, 10, 23, 0, 0, 123_456_000n)],
  ['2009-11-10T23:00:00.1234567Z', ns(2009, 11, 10, 23, 0, 0, 123_456_700n)],
  ['2009-11-10T23:00:00.12345678Z', ns(2009, 11, 10, 23, 0, 0, 123_456_780n)],
  ['2009-11-10T23:00:00.123456789Z', ns(2009, 11, 10, 23, 0, 0, 123_456_789n)],
  ['2009-11-10T23:00:00.000000001Z', ns(2009, 11, 10, 23, 0, 0, 1n)],
  ['2009-11-10T23:00:00.000000000Z', ns(2009, 11, 10, 23, 0, 0)],
  ['2009-11-10T23:00:00+00:00', ns(2009, 11, 10, 23, 0, 0)],
  ['2009-11-10T23:00:00-00:00', ns(2009, 11, 10, 23, 0, 0)],
  ['2009-11-10T23:00:00+09:00', ns(2009, 11, 10, 23, 0, 0, 0n, 9 * 60)],
  ['2009-11-10T23:00:00-05:30', ns(2009, 11, 10, 23, 0, 0, 0n, -(5 * 60 + 30))],
  ['2009-11-10T23:00:00.5+23:59', ns(2009, 11, 10, 23, 0, 0, 500_000_000n, 23 * 60 + 59)],
  ['2009-11-10T23:00:00.999999999-23:59', ns(2009, 11, 10, 23, 0, 0, 999_999_999n, -(23 * 60 + 59))],
  ['1970-01-01T00:00:00Z', 0n],
  ['1969-12-31T23:59:59.999999999Z', -1n],
  ['2000-02-29T12:00:00Z', ns(2000, 2, 29, 12, 0, 0)], // leap (divisible by 400)
  ['2024-02-29T00:00:00Z', ns(2024, 2, 29, 0, 0, 0)],
  ['1900-02-28T00:00:00Z', ns(1900, 2, 28, 0, 0, 0)],
  ['2009-12-31T23:59:59Z', ns(2009, 12, 31, 23, 59, 59)],
  ['2009-04-30T00:00:00Z', ns(2009, 4, 30, 0, 0, 0)],
  ['1700-03-01T00:00:00Z', ns(1700, 3, 1, 0, 0, 0)],
  ['2262-04-11T23:47:16.854775807Z', MAX],
  ['1677-09-21T00:12:43.145224192Z', MIN],
  ['2262-04-12T00:47:16.854775807+01:00', MAX], // same instant, local time past the limit
  ['1677-09-20T23:12:43.145224192-01:00', MIN],
];

const bad: [string, 'bad-timestamp' | 'timestamp-out-of-range'][] = [
  ['2009-02-29T00:00:00Z', 'bad-timestamp'], // not a leap year
  ['1900-02-29T00:00:00Z', 'bad-timestamp'], // century, not leap
  ['2009-02-30T00:00:00Z', 'bad-timestamp'],
  ['2009-04-31T00:00:00Z', 'bad-timestamp'],
  ['2009-00-10T00:00:00Z', 'bad-timestamp'],
  ['2009-13-10T00:00:00Z', 'bad-timestamp'],
  ['2009-11-00T00:00:00Z', 'bad-timestamp'],
  ['2009-11-32T00:00:00Z', 'bad-timestamp'],
  ['2009-11-10T24:00:00Z', 'bad-timestamp'],
  ['2009-11-10T23:60:00Z', 'bad-timestamp'],
  ['2009-11-10T23:00:60Z', 'bad-timestamp'], // no leap seconds
  ['2009-11-10T23:00:00+24:00', 'bad-timestamp'],
  ['2009-11-10T23:00:00+01:60', 'bad-timestamp'],
  ['2009-11-10T23:00:00+0100', 'bad-timestamp'],
  ['2009-11-10T23:00:00+01', 'bad-timestamp'],
  ['2009-11-10T23:00:00', 'bad-timestamp'], // zone required
  ['2009-11-10 23:00:00Z', 'bad-timestamp'], // 'T' required
  ['2009-11-10T23:00:00.Z', 'bad-timestamp'], // a dot needs digits
  ['2009-11-10T23:00:00.1234567890Z', 'bad-timestamp'], // more than 9 digits
  ['2009-11-10T23:00Z', 'bad-timestamp'],
  ['2009-1-10T23:00:00Z', 'bad-timestamp'],
  ['20091-11-10T23:00:00Z', 'bad-timestamp'],
  ['2009/11/10T23:00:00Z', 'bad-timestamp'],
  ['2009-11-10T23:00:00ZZ', 'bad-timestamp'],
  ['2009-11-10T23:00:00 Z', 'bad-timestamp'],
  ['2009-11-10T23:00:0xZ', 'bad-timestamp'],
  ['+009-11-10T23:00:00Z', 'bad-timestamp'],
  ['', 'bad-timestamp'],
  ['2262-04-11T23:47:16.854775808Z', 'timestamp-out-of-range'],
  ['1677-09-21T00:12:43.145224191Z', 'timestamp-out-of-range'],
  ['2262-04-12T00:00:00Z', 'timestamp-out-of-range'],
  ['1677-09-20T00:00:00Z', 'timestamp-out-of-range'],
  ['0000-01-01T00:00:00Z', 'timestamp-out-of-range'],
  ['9999-12-31T23:59:59.999999999Z', 'timestamp-out-of-range'],
  ['2262-04-11T23:47:16.854775807-00:01', 'timestamp-out-of-range'],
  ['1677-09-21T00:12:43.145224192+00:01', 'timestamp-out-of-range'],
];

describe('timestamps', async () => {
  const k = await Kernel.load();
  k.setProgram(program());

  test.each(valid)('%s', async (ts, want) => {
    const r = await runScan(k, `${ts}[a|b|c] msg\n`);
    expect(r.samples).toEqual([]);
    expect(r.matches.map((m) => [m.timeNs, m.raw, m.msg])).toEqual([[want, ts, 'msg']]);
    // The test's own reference parser agrees with the oracle too.
    expect(refTimestamp(`${ts}[`)).toMatchObject({ ok: true, ns: want });
  });

  test.each(bad)('%s is %s', async (ts, reason) => {
    const r = await runScan(k, `${ts}[a|b|c] msg\n`);
    expect(r.matches).toEqual([]);
    expect(r.badLines).toBe(1);
    expect(r.samples).toEqual([{ line: 1, reason }]);
    expect(refTimestamp(`${ts}[`)).toMatchObject({ ok: false, reason });
  });

  test('the timestamp must be followed by "[" immediately', async () => {
    const r = await runScan(k, '2009-11-10T23:00:00Z [a|b|c] msg\n2009-11-10T23:00:00Z\n2009-11-10T23:00:00Z');
    expect(r.samples).toEqual([
      { line: 1, reason: 'bad-timestamp' },
      { line: 2, reason: 'bad-timestamp' },
      { line: 3, reason: 'bad-timestamp' },
    ]);
  });
});

describe('time window is inclusive at nanosecond precision', async () => {
  const k = await Kernel.load();
  const t = ns(2009, 11, 10, 23, 0, 0, 123_456_789n);
  const line = '2009-11-10T23:00:00.123456789Z[a|b|c] x\n';
  test.each([
    [t, t, true],
    [t - 1n, t, true],
    [t, t + 1n, true],
    [t + 1n, t + 5n, false],
    [t - 5n, t - 1n, false],
    [MIN, MAX, true],
    [t, t - 1n, false], // inverted window matches nothing
  ])('[%s, %s] -> %s', async (start, end, hit) => {
    k.setProgram(program({ startNs: start.toString(), endNs: end.toString() }));
    const r = await runScan(k, line);
    expect(r.matches.length).toBe(hit ? 1 : 0);
    expect(r.badLines).toBe(0);
  });

  test('the int64 limits themselves are inside the widest window', async () => {
    k.setProgram(program({ startNs: MIN.toString(), endNs: MIN.toString() }));
    expect((await runScan(k, '1677-09-21T00:12:43.145224192Z[a|b|c] x')).matches.map((m) => m.timeNs)).toEqual([MIN]);
    k.setProgram(program({ startNs: MAX.toString(), endNs: MAX.toString() }));
    expect((await runScan(k, '2262-04-11T23:47:16.854775807Z[a|b|c] x')).matches.map((m) => m.timeNs)).toEqual([MAX]);
  });
});
