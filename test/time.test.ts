import { describe, expect, it } from 'vitest';
import { LetheQLError } from '../src/errors.js';
import { civilFromDays, daysFromCivil, formatDuration, formatRfc3339, parseDuration, parseRfc3339, parseTime, scanDuration } from '../src/time.js';
import { formatDuration as formatDurationMs, parseDurationLiteral } from '../src/query/literals.js';

const S = 1_000_000_000n;

describe('parseRfc3339', () => {
  const valid: [string, bigint][] = [
    ['1970-01-01T00:00:00Z', 0n],
    ['2009-11-10T23:00:00Z', 1_257_894_000n * S],
    ['2009-11-10T23:00:00.000000Z', 1_257_894_000n * S],
    ['2009-11-10T23:00:00.1Z', 1_257_894_000n * S + 100_000_000n],
    ['2009-11-10T23:00:00.123456789Z', 1_257_894_000n * S + 123_456_789n],
    ['2009-11-11T08:00:00+09:00', 1_257_894_000n * S],
    ['2009-11-10T18:30:00-04:30', 1_257_894_000n * S],
    ['2009-11-10t23:00:00z', 1_257_894_000n * S],
    ['2000-02-29T00:00:00Z', 951_782_400n * S],
    ['1969-12-31T23:59:59.999999999Z', -1n],
    ['0001-01-01T00:00:00Z', -62_135_596_800n * S],
  ];
  it.each(valid)('%s', (text, ns) => expect(parseRfc3339(text)).toBe(ns));

  const invalid = [
    '2009-11-10 23:00:00Z', // space instead of T
    '2009-11-10T23:00:00', // no zone
    '2009-02-30T00:00:00Z',
    '2001-02-29T00:00:00Z',
    '2009-11-10T24:00:00Z',
    '2009-11-10T23:60:00Z',
    '2009-11-10T23:00:60Z',
    '2009-13-10T23:00:00Z',
    '2009-11-10T23:00:00.Z',
    '2009-11-10T23:00:00.1234567890Z',
    '2009-11-10T23:00:00+24:00',
    '2009-11-10T23:00:00+0900',
    '',
  ];
  it.each(invalid)('rejects %j', (text) => expect(parseRfc3339(text)).toBeNull());
});

describe('civil day arithmetic', () => {
  it('round-trips every 97th day over ±3000 years', () => {
    for (let d = -1_100_000; d < 1_100_000; d += 97) {
      const { year, month, day } = civilFromDays(d);
      expect(daysFromCivil(year, month, day)).toBe(d);
    }
  });
});

describe('formatRfc3339', () => {
  it.each([
    [0n, 9, '1970-01-01T00:00:00.000000000Z'],
    [1_257_894_000n * S + 1n, 9, '2009-11-10T23:00:00.000000001Z'],
    [1_257_894_000n * S, 0, '2009-11-10T23:00:00Z'],
    [-1n, 3, '1969-12-31T23:59:59.999Z'],
  ])('%s', (ns, digits, text) => expect(formatRfc3339(ns, digits)).toBe(text));
});

describe('parseTime', () => {
  it.each([
    ['1257894000', 1_257_894_000n * S],
    ['1257894000.5', 1_257_894_000n * S + 500_000_000n],
    ['-1', -S],
    ['2009-11-10T23:00:00Z', 1_257_894_000n * S],
  ])('%s', (text, ns) => expect(parseTime(text)).toBe(ns));
  it('accepts Date, bigint nanoseconds and numeric Unix seconds', () => {
    expect(parseTime(new Date(1000))).toBe(S);
    expect(parseTime(5n)).toBe(5n);
    expect(parseTime(1_257_894_000)).toBe(1_257_894_000n * S);
    expect(parseTime(1.5)).toBe(1_500_000_000n);
  });
  it.each([NaN, Infinity, null, {}])('rejects %j with INVALID_TIME', (v) => {
    expect(() => parseTime(v as never, 'end')).toThrow(/invalid end/);
  });
  it.each(['yesterday', '2009-11-10', '12ab', '1.2.3', '2009-11-10T23:00:00'])('rejects %j with INVALID_TIME', (text) => {
    expect(() => parseTime(text, '--start')).toThrow(LetheQLError);
    expect(() => parseTime(text, '--start')).toThrow(/invalid --start/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['1h', 3600n * S],
    ['90s', 90n * S],
    ['1h30m', 5400n * S],
    ['7d', 7n * 86400n * S],
    ['1w2d', 9n * 86400n * S],
    ['500ms', 500_000_000n],
    ['1m30s500ms', 90n * S + 500_000_000n],
  ])('%s', (text, ns) => expect(parseDuration(text)).toBe(ns));
  it.each(['', '1', 'h', '1x', '30m1h', '1h1h', '0s', '-1h', '1.5h'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(LetheQLError);
  });
});

describe('one duration grammar and one rendering (Prometheus model.Duration)', () => {
  it.each([
    ['0s', 0n],
    ['90s', 90_000_000_000n],
    ['1h30m', 5_400_000_000_000n],
    ['1y2w3d4h5m6s7ms', 31_536_000_000_000_000n + 2n * 604_800_000_000_000n + 3n * 86_400_000_000_000n + 4n * 3_600_000_000_000n + 5n * 60_000_000_000n + 6_007_000_000n],
  ])('scanDuration(%s)', (text, ns) => expect(scanDuration(text)).toEqual({ ns }));
  it.each([
    ['', 'syntax'],
    ['1.5h', 'syntax'],
    ['5M', 'syntax'],
    ['1m1h', 'order'],
    ['1s1s', 'order'],
    ['1ms1s', 'order'],
  ])('scanDuration(%j) refuses: %s', (text, error) => expect(scanDuration(text)).toEqual({ error }));
  it.each([
    [0n, '0s'],
    [5_400_000_000_000n, '1h30m'],
    [86_400_000_000_000n, '1d'],
    [8n * 86_400_000_000_000n, '1w1d'],
    [366n * 86_400_000_000_000n, '1y1d'],
    [1_500_000n, '1ms500us'],
    [1n, '1ns'],
    [-90_000_000_000n, '-1m30s'],
  ])('formatDuration(%s) = %s', (ns, text) => expect(formatDuration(ns)).toBe(text));
  it('the query literal reads and prints the same way, in milliseconds with positions', () => {
    for (const text of ['0s', '90s', '1h30m', '1y2w3d4h5m6s7ms']) {
      const ms = parseDurationLiteral(text, text, 0);
      expect(BigInt(ms) * 1_000_000n).toBe((scanDuration(text) as { ns: bigint }).ns);
      expect(formatDurationMs(ms)).toBe(formatDuration(BigInt(ms) * 1_000_000n));
    }
    expect(() => parseDurationLiteral('1m1h', 'x[1m1h]', 2)).toThrow(/units must appear once each.*/);
  });
});
