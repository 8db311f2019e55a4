import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../../src/scan/read-ahead.js';
import type { ChunkReader } from '../../src/store/types.js';

/** A reader over bytes that returns at most `maxRead` bytes per call and logs every read. */
function bytesReader(data: Uint8Array, maxRead = Infinity): ChunkReader & { log: [number, number][]; closed: boolean } {
  return {
    size: data.length,
    log: [],
    closed: false,
    async read(dest, position) {
      await new Promise((r) => setTimeout(r, 0));
      const n = Math.max(0, Math.min(dest.length, maxRead, data.length - position));
      dest.set(data.subarray(position, position + n));
      this.log.push([position, n]);
      return n;
    },
    async close() {
      this.closed = true;
    },
  };
}

const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 251);

async function readAll(r: ChunkReader, sizes: number[]): Promise<Uint8Array> {
  const out: number[] = [];
  let pos = 0;
  for (let i = 0; pos < r.size; i++) {
    const dest = new Uint8Array(sizes[i % sizes.length]!);
    const n = await r.read(dest, pos);
    if (n === 0) break;
    out.push(...dest.subarray(0, n));
    pos += n;
  }
  return Uint8Array.from(out);
}

describe('ReadAhead', () => {
  it.each([
    [[1000], 1000, Infinity],
    [[1000], 300, Infinity],
    [[300, 1700, 50], 1000, Infinity],
    [[4096], 1000, 333],
    [[1], 64, Infinity],
  ])('delivers the exact bytes in order (reads %j, staging %i, short reads at %s)', async (sizes, staging, maxRead) => {
    const inner = bytesReader(data, maxRead);
    const ra = new ReadAhead(inner, new Uint8Array(staging));
    expect(await readAll(ra, sizes)).toEqual(data);
    await ra.close();
    expect(inner.closed).toBe(true);
  });

  it('keeps one read in flight after each read', async () => {
    const inner = bytesReader(data);
    const ra = new ReadAhead(inner, new Uint8Array(1000));
    await ra.read(new Uint8Array(1000), 0);
    expect(inner.log).toEqual([[0, 1000]]);
    await new Promise((r) => setTimeout(r, 5));
    expect(inner.log).toEqual([[0, 1000], [1000, 1000]]); // prefetched before being asked
    await ra.settle();
  });

  it('fills a request larger than the staging buffer with one more read, not many small ones', async () => {
    const inner = bytesReader(data);
    const ra = new ReadAhead(inner, new Uint8Array(100));
    expect(await readAll(ra, [1000])).toEqual(data);
    await ra.settle();
    expect(inner.log.length).toBeLessThanOrEqual(2 * 10 + 1);
  });

  it('prime() reads the first chunk before it is asked for', async () => {
    const inner = bytesReader(data);
    const ra = new ReadAhead(inner, new Uint8Array(500)).prime();
    await new Promise((r) => setTimeout(r, 5));
    expect(inner.log).toEqual([[0, 500]]);
    expect(await readAll(ra, [500])).toEqual(data);
    expect(inner.log[1]).toEqual([500, 500]); // no second read of block 0
    await ra.close();
  });

  it('falls back to a direct read when the caller seeks', async () => {
    const inner = bytesReader(data);
    const ra = new ReadAhead(inner, new Uint8Array(100));
    await ra.read(new Uint8Array(100), 0);
    const dest = new Uint8Array(10);
    expect(await ra.read(dest, 5000)).toBe(10);
    expect(dest).toEqual(data.subarray(5000, 5010));
    await ra.close();
  });

  it('settles a failing read-ahead without an unhandled rejection', async () => {
    let calls = 0;
    const inner: ChunkReader = {
      size: 100,
      async read(dest) {
        if (calls++ > 0) throw new Error('disk gone');
        dest.fill(1);
        return 10;
      },
      async close() {},
    };
    const ra = new ReadAhead(inner, new Uint8Array(10));
    expect(await ra.read(new Uint8Array(10), 0)).toBe(10);
    await expect(ra.read(new Uint8Array(10), 10)).rejects.toThrow('disk gone');
    await ra.close();
  });
});
