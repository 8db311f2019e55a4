/**
 * RangeReader's ownership rule, against a direct oracle: for any text and any cuts, the
 * ranges read back to back give the file exactly (each line once, whole), and each range
 * holds exactly the lines whose first byte lies in it. Reads come in arbitrary sizes, as the
 * kernel and read-ahead issue them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeReader } from '../../src/exec/range-reader.js';
import type { ChunkReader } from '../../src/store/types.js';

function bytesReader(bytes: Uint8Array): ChunkReader {
  return {
    size: bytes.length,
    async read(dest, position) {
      const src = bytes.subarray(position, Math.min(bytes.length, position + dest.length));
      dest.set(src);
      return src.length;
    },
    async close() {},
  };
}

/** Reads a whole range in chunks of the given sizes (cycled), as the kernel would: until a read returns 0. */
async function readAll(r: ChunkReader, sizes: number[]): Promise<Uint8Array> {
  const out: number[] = [];
  let pos = 0;
  for (let i = 0; ; i++) {
    const dest = new Uint8Array(sizes[i % sizes.length]!);
    const n = await r.read(dest, pos);
    if (n === 0) break;
    out.push(...dest.subarray(0, n));
    pos += n;
  }
  expect(r.size).toBe(pos); // once read to the end, size is exact
  return Uint8Array.from(out);
}

/** The oracle: start offsets of lines, and the bytes of lines starting in [a, b). */
function linesStartingIn(text: Uint8Array, a: number, b: number): Uint8Array {
  const starts: number[] = [];
  for (let i = 0; i < text.length; i++) if (i === 0 || text[i - 1] === 10) starts.push(i);
  const mine = starts.filter((s) => s >= a && s < b);
  if (mine.length === 0) return new Uint8Array(0);
  const first = mine[0]!;
  const after = starts.find((s) => s > mine[mine.length - 1]!) ?? text.length;
  return text.subarray(first, after);
}

const enc = new TextEncoder();

describe('RangeReader', () => {
  const table: [string, string, number[]][] = [
    ['cut right after a newline', 'aa\nbb\ncc\n', [3, 6]],
    ['cut right before a newline', 'aa\nbb\ncc\n', [2, 5]],
    ['cut inside a line', 'aaaa\nbbbb\n', [2, 7]],
    ['no trailing newline', 'aa\nbb', [1, 4]],
    ['a line longer than several ranges', 'x\n' + 'y'.repeat(50) + '\nz\n', [5, 10, 15, 20, 30]],
    ['empty lines', '\n\n\n\n', [1, 2, 3]],
    ['cut at 0 and at the end', 'a\nb\n', [0, 4]],
  ];
  it.each(table)('%s', async (_name, text, cuts) => {
    const bytes = enc.encode(text);
    const bounds = [0, ...cuts, bytes.length];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const end = k + 2 === bounds.length ? null : bounds[k + 1]!;
      const r = await RangeReader.open(bytesReader(bytes), bounds[k]!, end);
      expect(await readAll(r, [3]), `range ${k}`).toEqual(linesStartingIn(bytes, bounds[k]!, bounds[k + 1]!));
    }
  });

  it('ranges partition any file into its lines, whatever the cuts and read sizes', async () => {
    const line = fc.stringMatching(/^[a-c\r]{0,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 30 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
        async (lines, trailing, rawCuts, sizes) => {
          const bytes = enc.encode(lines.join('\n') + (trailing ? '\n' : ''));
          const cuts = [...new Set(rawCuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
          const bounds = [0, ...cuts.filter((c) => c > 0), bytes.length];
          const parts: Uint8Array[] = [];
          for (let k = 0; k + 1 < bounds.length; k++) {
            const a = bounds[k]!;
            const b = bounds[k + 1]!;
            const r = await RangeReader.open(bytesReader(bytes), a, k + 2 === bounds.length ? null : b);
            const got = await readAll(r, sizes);
            expect(got).toEqual(linesStartingIn(bytes, a, b));
            parts.push(got);
          }
          expect(Uint8Array.from(parts.flatMap((p) => [...p]))).toEqual(bytes);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('exact(): between two line starts, the same bytes and size as open() with the same ends, without searching', async () => {
    const bytes = enc.encode('aa\nbbbb\n\ncc\nd');
    const starts = [0, 3, 8, 9, 12, bytes.length];
    for (const [i, a] of starts.entries()) {
      for (const b of starts.slice(i)) {
        const reads: number[] = [];
        const inner = bytesReader(bytes);
        const r = RangeReader.exact({ ...inner, read: (d, p) => (reads.push(p), inner.read(d, p)) }, a, b);
        expect(r.size, `[${a}, ${b})`).toBe(b - a);
        expect(await readAll(r, [2, 5])).toEqual(await readAll(await RangeReader.open(bytesReader(bytes), a, b), [2, 5]));
        expect(reads.every((p) => p >= a && p < b)).toBe(true);
      }
    }
  });
});
