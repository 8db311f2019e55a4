/** The program byte format: a golden encoding, validation, and the kernel's own checks. */
import { describe, expect, test } from 'vitest';
import { encodeProgram, programAreaBytes } from '../../src/scan/program-codec.js';
import { Kernel } from '../../src/scan/kernel.js';
import { program } from './helpers.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('encodeProgram', () => {
  test('golden bytes', () => {
    const bytes = encodeProgram({
      version: 1,
      fieldCount: 2,
      startNs: '1',
      endNs: '-2',
      labelMatchers: [{ field: 1, op: 'neq', value: 'ké' }],
      lineFilters: [
        { op: 'contains', needle: '' },
        { op: 'notContains', needle: 'abcd' },
      ],
    });
    expect(hex(bytes)).toBe(
      [
        '4c514b31', // magic "LQK1"
        '02000000', // fieldCount
        '0100000000000000', // startNs
        'feffffffffffffff', // endNs = -2
        '01000000', // nMatchers
        '02000000', // nFilters
        '01000000', '01000000', '03000000', '6bc3a900', // field 1, neq, len 3, "ké" + pad
        '00000000', '00000000', // contains ""
        '01000000', '04000000', '61626364', // notContains "abcd"
      ].join(''),
    );
    expect(programAreaBytes(bytes)).toBe(((bytes.length + 7) & ~7) + 3 * 32 + 64);
  });

  test('window bounds beyond int64 are clamped (no line time lies beyond them)', () => {
    const dv = (b: Uint8Array) => new DataView(b.buffer);
    const b = encodeProgram(program({ startNs: '-62135596800000000000', endNs: '253402300800000000000' }));
    expect([dv(b).getBigInt64(8, true), dv(b).getBigInt64(16, true)]).toEqual([-(1n << 63n), (1n << 63n) - 1n]);
  });

  test.each([
    ['field out of range', program({ fieldCount: 2, labelMatchers: [{ field: 2, op: 'eq', value: 'x' }] })],
    ['bad field count', { ...program(), fieldCount: 4 as 3 }],
    ['startNs not an integer', program({ startNs: '1.5' })],
    ['endNs not decimal', program({ endNs: '0x10' })],
    ['unknown op', program({ lineFilters: [{ op: 'regex' as 'contains', needle: 'x' }] })],
  ])('rejects %s', (_name, p) => {
    expect(() => encodeProgram(p)).toThrow(RangeError);
  });
});

describe('kernel setProgram checks the bytes', async () => {
  const k = await Kernel.load();
  const x = k.exports;
  const load = (bytes: Uint8Array): number => {
    x.layout(4096, 64, 16, 4096);
    new Uint8Array(x.memory.buffer).set(bytes, x.progPtr());
    return x.setProgram(bytes.length);
  };
  const good = encodeProgram(program({ labelMatchers: [{ field: 2, op: 'eq', value: 'abc' }], lineFilters: [{ op: 'contains', needle: 'xy' }] }));
  test('accepts a valid program', () => expect(load(good)).toBe(0));
  test('rejects a bad magic', () => {
    const b = good.slice();
    b[0] = 0;
    expect(load(b)).toBeLessThan(0);
  });
  test('rejects truncated programs at every length', () => {
    for (let n = 0; n < good.length; n++) expect(load(good.subarray(0, n))).toBeLessThan(0);
  });
  test('rejects trailing garbage', () => {
    const b = new Uint8Array(good.length + 4);
    b.set(good);
    expect(load(b)).toBeLessThan(0);
  });
  test('rejects a field index beyond fieldCount', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(32, 3, true);
    expect(load(b)).toBeLessThan(0);
  });
  test('scan refuses to run without a loaded program', () => {
    load(good.subarray(0, 8));
    expect(x.scan(0, 0, 1, 0, 100, 0)).toBe(-1);
  });
});
