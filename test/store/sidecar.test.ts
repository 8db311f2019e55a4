/**
 * Sidecar format and bloom: round trip, every kind of damage is detected, and the
 * no-false-negative property (sidecar.ts's argument) fuzzed with fast-check: for random
 * files (random fields, messages with upper case, hex ids, UTF-8, `\r`, bad lines) cut
 * into tiny blocks, any substring of at least 4 bytes of any good line's message — as is, or
 * case-changed for a `(?i)` literal — never prunes the block holding that line.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSidecar } from '../../src/exec/sidecar-build.js';
import { planFromSidecar } from '../../src/plan/sidecar-plan.js';
import { Kernel } from '../../src/scan/kernel.js';
import { bloomHasAll, decodeSidecar, needleHashes, type Sidecar } from '../../src/store/sidecar.js';
import type { ChunkReader } from '../../src/store/types.js';

let kernel: Kernel;
beforeAll(async () => {
  kernel = await Kernel.load();
});

function reader(bytes: Uint8Array): ChunkReader {
  return {
    size: bytes.length,
    read: async (dest, pos) => {
      const n = Math.max(0, Math.min(dest.length, bytes.length - pos));
      dest.set(bytes.subarray(pos, pos + n));
      return n;
    },
    close: async () => undefined,
  };
}

const enc = new TextEncoder();
const ID = { path: 'pod/ns/2024-09-24_10.log', mtimeMs: 1727172000123.456 };

async function build(text: string, blockBytes: number): Promise<{ bytes: Uint8Array; sc: Sidecar }> {
  const file = enc.encode(text);
  const bytes = (await buildSidecar(reader(file), kernel, 'pod', { ...ID, size: file.length }, { blockBytes }))!;
  const r = decodeSidecar(bytes, { ...ID, size: file.length });
  if (!r.ok) throw new Error(`${r.problem}: ${r.detail}`);
  return { bytes, sc: r.sidecar };
}

const messageChar = fc.constantFrom(...'abcXYZ0123456789abcdef-_=/ :[]|ÄäÖö한국é\t'.split(''), 'trace_id=', 'ERROR', 'error');
const message = fc.array(messageChar, { maxLength: 40 }).map((a) => a.join(''));
const goodLine = fc.record({ pod: fc.constantFrom('api-1', 'api-2', 'web'), container: fc.constantFrom('main', 'side'), msg: message, cr: fc.boolean(), sec: fc.integer({ min: 0, max: 3599 }) });
const line = fc.oneof({ weight: 5, arbitrary: goodLine.map((l) => ({ ...l, bad: false })) }, { weight: 1, arbitrary: message.map((m) => ({ pod: '', container: '', msg: m, cr: false, sec: 0, bad: true })) });

function render(l: { pod: string; container: string; msg: string; cr: boolean; sec: number; bad: boolean }): string {
  if (l.bad) return `garbage ${l.msg}`;
  const t = `2024-09-24T10:${String(Math.floor(l.sec / 60)).padStart(2, '0')}:${String(l.sec % 60).padStart(2, '0')}Z`;
  return `${t}[ns|${l.pod}|${l.container}] ${l.msg}${l.cr ? '\r' : ''}`;
}

describe('no false negative (fuzzed)', () => {
  it('a substring of any good line never prunes its block', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 16, max: 400 }),
        fc.boolean(),
        async (lines, pick, from, len, blockBytes, flipCase) => {
          const good = lines.map((l, i) => ({ l, i })).filter((x) => !x.l.bad && enc.encode(x.l.msg).length >= 4);
          fc.pre(good.length > 0);
          const text = lines.map(render).join('\n') + (pick % 2 ? '\n' : '');
          const { sc } = await build(text, blockBytes);
          const target = good[pick % good.length]!;
          const msg = enc.encode(target.l.msg);
          const start = from % (msg.length - 3);
          const end = start + 4 + (len % (msg.length - start - 3));
          const sub = msg.slice(start, end); // may cut a UTF-8 sequence: still bytes of the line
          // A (?i) literal: ASCII letters in the other case.
          const needle = flipCase ? sub.map((c) => ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? c ^ 0x20 : c)) : sub;
          // The block holding the line: by line number (1-based: the index + 1).
          const lineNo = target.i + 1;
          const bi = sc.header.blocks.findIndex((b) => lineNo > b.lineBase && lineNo <= b.lineBase + b.lines);
          expect(bi).toBeGreaterThanOrEqual(0);
          const hashes = needleHashes(needle)!;
          expect(bloomHasAll(sc.blooms[bi]!, sc.header.blocks[bi]!.bloomLog2, hashes)).toBe(true);
          // And the planner keeps it in a run.
          const plan = planFromSidecar(sc, { startNs: -(2n ** 63n), endNs: 2n ** 63n - 1n, literals: [hashes], countable: null });
          const b = sc.header.blocks[bi]!;
          expect(plan.runs.some((r) => r.start <= b.offset && b.offset + b.bytes <= r.end)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it('prunes blocks that cannot hold a long literal', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(`2024-09-24T10:00:${String(i % 60).padStart(2, '0')}Z[ns|api|main] GET /orders id=${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}${(i * 40503 % 65536).toString(16).padStart(4, '0')}`);
    const { sc, bytes } = await build(lines.join('\n') + '\n', 4096);
    const needle = lines[1234]!.slice(lines[1234]!.indexOf('id=') + 3);
    const plan = planFromSidecar(sc, { startNs: -(2n ** 63n), endNs: 2n ** 63n - 1n, literals: [needleHashes(needle)!], countable: null });
    expect(plan.blocksSkippedByBloom).toBeGreaterThan(sc.header.blocks.length - 3);
    expect(plan.runs.length).toBeGreaterThanOrEqual(1);
    expect(bytes.length / enc.encode(lines.join('\n')).length).toBeLessThan(0.1);
  });
});

describe('format', () => {
  const text = ['2024-09-24T10:00:00Z[ns|a|b] hello world', 'bad line', '2024-09-24T10:00:01Z[ns|a|c] second', ''].join('\n');

  it('round trips, with exact counts, streams and bad lines', async () => {
    const { sc } = await build(text, 20);
    const h = sc.header;
    expect(h.lines).toBe(3);
    expect(h.badLines).toBe(1);
    expect(h.badLineSamples).toEqual([{ line: 2, reason: 'bad-timestamp' }]);
    expect(h.streams).toEqual([
      { fields: ['ns', 'a', 'b'], lines: 1, bytes: 11 },
      { fields: ['ns', 'a', 'c'], lines: 1, bytes: 6 },
    ]);
    expect(h.minNs).toBe('1727172000000000000');
    expect(h.maxNs).toBe('1727172001000000000');
    expect(h.blocks.map((b) => [b.offset, b.lineBase, b.lines])).toEqual([
      [0, 0, 1],
      [41, 1, 2],
    ]);
  });

  it('detects truncation and corruption at every byte, and identity mismatches', async () => {
    const { bytes } = await build(text, 20);
    const size = enc.encode(text).length;
    for (let n = 0; n < bytes.length; n++) {
      const r = decodeSidecar(bytes.subarray(0, n), { ...ID, size });
      expect(r.ok, `cut at ${n}`).toBe(false);
    }
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.slice();
      b[i]! ^= 0x01;
      expect(decodeSidecar(b, { ...ID, size }).ok, `flip at ${i}`).toBe(false);
    }
    expect(decodeSidecar(bytes, { ...ID, size }).ok).toBe(true);
    expect(decodeSidecar(bytes, { ...ID, size: size + 1 })).toMatchObject({ ok: false, problem: 'stale' });
    expect(decodeSidecar(bytes, { ...ID, size, mtimeMs: ID.mtimeMs + 1 })).toMatchObject({ ok: false, problem: 'stale' });
    expect(decodeSidecar(bytes, { ...ID, size, path: 'pod/ns/2024-09-24_11.log' })).toMatchObject({ ok: false, problem: 'stale' });
  });

  it('literals shorter than 4 bytes never prune', () => {
    expect(needleHashes('abc')).toBeNull();
    expect(needleHashes('한')).toBeNull(); // 3 bytes
    expect(needleHashes('한국')).not.toBeNull(); // 6 bytes
  });
});

describe('crc32', () => {
  it('is CRC-32/IEEE', async () => {
    const { crc32 } = await import('../../src/store/sidecar.js');
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const { crc32: zlibCrc } = await import('node:zlib');
    const b = new Uint8Array(1000).map((_, i) => (i * 7919) & 0xff);
    for (const n of [1, 7, 8, 9, 63, 1000]) expect(crc32(b.subarray(3, 3 + n))).toBe(zlibCrc(b.subarray(3, 3 + n)));
  });
});
