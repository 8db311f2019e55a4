/**
 * The memory source's worker seam: which sources have a `blobs` handle, the round trip
 * through `structuredClone` (what posting to a Web Worker does) and `fromHandle`, and the
 * streaming Blob reader against the bytes it reads (positions in any order, skips, seeks
 * back, short buffers, reads issued together).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LetheQLError } from '../../src/errors.js';
import { LogStore, getStats } from '../../src/api.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { tableLines } from '../support/paths.js';

const LINES = (ns: string, h: number): string => {
  let s = '';
  for (let i = 0; i < 30; i++) s += `2024-09-24T${h}:${String(i).padStart(2, '0')}:00Z[${ns}|p-${i % 4}|c] ${ns} line ${i}${i % 5 === 0 ? ' user/42' : ''}\n`;
  return s;
};

describe('MemoryChunkSource.handle', () => {
  it.each([
    ['all Blobs', { 'pod/a/2024-09-24_13.log': new Blob(['x\n']), 'node/n/2024-09-24_13.log': new File(['y\n'], 'f') }, ['node/n/2024-09-24_13.log', 'pod/a/2024-09-24_13.log']],
    ['no file at all', {}, []],
    ['a string among Blobs', { 'pod/a/2024-09-24_13.log': new Blob(['x\n']), 'pod/a/2024-09-24_14.log': 'y\n' }, null],
    ['bytes', { 'pod/a/2024-09-24_13.log': new Uint8Array([120, 10]) }, null],
  ] as const)('%s → %j', (_, record, keys) => {
    const s = MemoryChunkSource.fromRecord(record);
    if (keys === null) expect(s.handle).toBeUndefined();
    else {
      expect(s.handle?.kind).toBe('blobs');
      expect(Object.keys(s.handle!.kind === 'blobs' ? s.handle!.files : {}).sort()).toEqual(keys);
    }
  });

  it('names files by their store path, after ./ and stripPrefix are dropped, and keeps the Blobs themselves', () => {
    const b = new Blob(['x\n']);
    const s = MemoryChunkSource.fromRecord({ './mystore/pod/a/2024-09-24_13.log': b }, { stripPrefix: 'mystore' });
    expect(s.handle).toEqual({ kind: 'blobs', files: { 'pod/a/2024-09-24_13.log': b } });
    expect(s.handle!.kind === 'blobs' && s.handle!.files['pod/a/2024-09-24_13.log']).toBe(b);
  });

  it('is one object for the life of the source (the web pool numbers handles by identity)', () => {
    const s = MemoryChunkSource.fromRecord({ 'pod/a/2024-09-24_13.log': new Blob(['x\n']) });
    expect(s.handle).toBe(s.handle);
  });

  it('round-trips through structuredClone and fromHandle: same listing, same bytes, same query results', async () => {
    const record: Record<string, Blob> = {};
    for (const ns of ['a', 'b']) for (const h of [13, 14]) record[`pod/${ns}/2024-09-24_${h}.log`] = new Blob([LINES(ns, h)]);
    record['pod/b/not-an-hour.txt'] = new Blob(['ignored by queries\n']);
    const original = MemoryChunkSource.fromRecord(record);
    const reopened = MemoryChunkSource.fromHandle(structuredClone(original.handle!));
    expect(await reopened.listTargets('pod')).toEqual(['a', 'b']);
    for (const t of ['a', 'b']) expect(await reopened.listFiles('pod', t)).toEqual(await original.listFiles('pod', t));
    const r = await reopened.open('pod', 'b', '2024-09-24_14.log');
    const dest = new Uint8Array(r.size);
    expect(await r.read(dest, 0)).toBe(r.size);
    expect(new TextDecoder().decode(dest)).toBe(LINES('b', 14));
    await r.close();
    const q = 'pod{namespace=~"a|b"} |~ "user/[0-9]+"';
    const opts = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T15:00:00Z', limit: 5, direction: 'backward' as const };
    const [x, y] = await Promise.all([new LogStore(original).query(q, opts), new LogStore(reopened).query(q, opts)]);
    expect(tableLines(y)).toEqual(tableLines(x));
    expect(tableLines(y)).toHaveLength(5);
    const { elapsedMs: _a, ...sx } = getStats(x)!;
    const { elapsedMs: _b, ...sy } = getStats(y)!;
    expect(sy).toEqual(sx);
  });

  it('fromHandle refuses other handle kinds with INVALID_OPTION', () => {
    expect(() => MemoryChunkSource.fromHandle({ kind: 'fs', root: '/x' })).toThrow(LetheQLError);
    expect(() => MemoryChunkSource.fromHandle({ kind: 'fs', root: '/x' })).toThrow(/blobs handle, not fs/);
  });

  it('fromHandle checks paths like the constructor', () => {
    expect(() => MemoryChunkSource.fromHandle({ kind: 'blobs', files: { '../etc/passwd': new Blob([]) } })).toThrow(/invalid store path/);
  });
});

describe('the Blob reader', () => {
  const read = { pos: fc.nat(), len: fc.integer({ min: 0, max: 70_000 }) };

  it('returns exactly the bytes of the file for any sequence of reads, sequential or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 200_000 }),
        fc.array(fc.record({ ...read, sequential: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        async (bytes, reads) => {
          const src = MemoryChunkSource.fromRecord({ 'pod/a/f.log': new Blob([bytes]) });
          const r = await src.open('pod', 'a', 'f.log');
          expect(r.size).toBe(bytes.length);
          let next = 0;
          for (const { pos, len, sequential } of reads) {
            const at = sequential ? next : pos % (bytes.length + 2);
            const dest = new Uint8Array(len + 2).fill(7).subarray(1, len + 1);
            const n = await r.read(dest, at);
            const want = bytes.subarray(Math.min(at, bytes.length), Math.min(at + len, bytes.length));
            expect(n).toBe(want.length); // every read fills `dest` but at the end of the file
            expect(dest.subarray(0, n)).toEqual(want);
            expect(new Uint8Array(dest.buffer)[0]).toBe(7); // nothing written outside the view
            next = at + n;
          }
          await r.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('serialises reads issued together', async () => {
    const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) & 255);
    const src = MemoryChunkSource.fromRecord({ 'pod/a/f.log': new Blob([bytes]) });
    const r = await src.open('pod', 'a', 'f.log');
    const positions = [0, 100_000, 50_000, 250_000, 100_000, 299_990];
    const dests = positions.map(() => new Uint8Array(40_000));
    const ns = await Promise.all(positions.map((p, i) => r.read(dests[i]!, p)));
    positions.forEach((p, i) => {
      const want = bytes.subarray(p, p + 40_000);
      expect(ns[i]).toBe(want.length);
      expect(Buffer.compare(dests[i]!.subarray(0, ns[i]), want), `read at ${p}`).toBe(0);
    });
    await r.close();
  });
});
