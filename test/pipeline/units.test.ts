/** Go's ParseFloat, time.ParseDuration and go-humanize's ParseBytes, and the canonical prints. */
import { describe, expect, it } from 'vitest';
import { formatBytes, formatLabelDuration, parseGoDuration, parseGoFloat, parseHumanBytes, type Conversion } from '../../src/query/units.js';

const ok = (value: number): Conversion => ({ ok: true, value });
const err = (error: string): Conversion => ({ ok: false, error });

describe('parseGoFloat', () => {
  it.each<[string, Conversion]>([
    ['1', ok(1)],
    ['-1.5', ok(-1.5)],
    ['+.5', ok(0.5)],
    ['1e3', ok(1000)],
    ['1.', ok(1)],
    ['Inf', ok(Infinity)],
    ['-infinity', ok(-Infinity)],
    ['0x1p-2', ok(0.25)],
    ['0x1.8p1', ok(3)],
    ['', err('strconv.ParseFloat: parsing "": invalid syntax')],
    [' 1', err('strconv.ParseFloat: parsing " 1": invalid syntax')],
    ['1_000', err('strconv.ParseFloat: parsing "1_000": invalid syntax')],
    ['0x10', err('strconv.ParseFloat: parsing "0x10": invalid syntax')],
    ['1e400', err('strconv.ParseFloat: parsing "1e400": value out of range')],
  ])('%j', (s, want) => {
    const got = parseGoFloat(s);
    expect(got).toEqual(want);
  });
  it('reads NaN', () => {
    const got = parseGoFloat('nan');
    expect(got.ok && Number.isNaN(got.value)).toBe(true);
  });
});

describe('parseGoDuration (ns)', () => {
  it.each<[string, Conversion]>([
    ['0', ok(0)],
    ['300ms', ok(300e6)],
    ['-1.5h', ok(-5400e9)],
    ['2h45m', ok(9900e9)],
    ['1m30.5s', ok(90.5e9)],
    ['45m2h', ok(9900e9)],
    ['1us', ok(1000)],
    ['1µs', ok(1000)],
    ['1.5ns', ok(1)],
    ['.5s', ok(0.5e9)],
    ['', err('time: invalid duration ""')],
    ['5', err('time: missing unit in duration "5"')],
    ['5d', err('time: unknown unit "d" in duration "5d"')],
    ['s', err('time: invalid duration "s"')],
    ['1..5s', err('time: missing unit in duration "1..5s"')],
  ])('%j', (s, want) => {
    expect(parseGoDuration(s)).toEqual(want);
  });
});

describe('parseHumanBytes', () => {
  it.each<[string, Conversion]>([
    ['42MB', ok(42e6)],
    ['1.5KiB', ok(1536)],
    ['20B', ok(20)],
    ['20', ok(20)],
    ['1kb', ok(1000)],
    ['1 MiB', ok(2 ** 20)],
    ['1,000k', ok(1e6)],
    ['5M', ok(5e6)],
    ['1.1B', ok(1)],
    ['1XB', err('unhandled size name: xb')],
    ['MB', err('strconv.ParseFloat: parsing "": invalid syntax')],
  ])('%j', (s, want) => {
    expect(parseHumanBytes(s)).toEqual(want);
  });
});

describe('canonical prints read back', () => {
  it.each<[number, string]>([
    [250e6, '250ms'],
    [90e9, '1m30s'],
    [1500, '1500ns'],
    [-2e9, '-2s'],
    [0, '0s'],
  ])('duration %d ns → %s', (ns, text) => {
    expect(formatLabelDuration(ns)).toBe(text);
  });
  it.each<[number, string]>([
    [1e6, '1MB'],
    [2 ** 20, '1MiB'],
    [1536, '1536B'],
    [1500e3, '1500kB'],
    [3 * 2 ** 30, '3GiB'],
    [0, '0B'],
    [7, '7B'],
  ])('bytes %d → %s', (b, text) => {
    expect(formatBytes(b)).toBe(text);
    expect(parseHumanBytes(text)).toEqual(ok(b));
  });
});
