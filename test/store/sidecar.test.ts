/**
 * Sidecar format and bloom: round trip, every kind of damage is detected, and the
 * no-false-negative property (sidecar.ts's argument) fuzzed with fast-check: for random
 * files (random fields, messages with upper case, hex ids, UTF-8, `\r`, bad lines) cut
 * into tiny blocks, any substring of at least 4 bytes of any good line's message — as is, or
 * case-changed for a `(?i)` literal — never prunes the block holding that line. Version 2:
 * blooms sized per distinct gram (false-positive odds), bloom segments checked lazily (a
 * damaged segment is caught when read), version 1 sidecars refused.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSidecar } from '../../src/exec/sidecar-build.js';
import { planFromSidecar } from '../../src/plan/sidecar-plan.js';
import { Kernel } from '../../src/scan/kernel.js';
import { blockMayHold, BLOOM_BITS_PER_GRAM, checkAllBlooms, decodeSidecar, decodeSidecarHead, fileFilterOf, GramSet, layBlooms, needleGrams, needleProbes, neededSegments, attachSegment, segmentChecksum, SIDECAR_VERSION, type Sidecar } from '../../src/store/sidecar.js';
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

async function build(text: string, blockBytes: number, hexMapMinGrams?: number): Promise<{ bytes: Uint8Array; sc: Sidecar }> {
  const file = enc.encode(text);
  const bytes = (await buildSidecar(reader(file), kernel, 'pod', { ...ID, size: file.length }, { blockBytes, ...(hexMapMinGrams !== undefined ? { hexMapMinGrams } : {}) }))!;
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
        fc.boolean(),
        async (lines, pick, from, len, blockBytes, flipCase, hexMaps) => {
          const good = lines.map((l, i) => ({ l, i })).filter((x) => !x.l.bad && enc.encode(x.l.msg).length >= 4);
          fc.pre(good.length > 0);
          const text = lines.map(render).join('\n') + (pick % 2 ? '\n' : '');
          // hexMaps: every block keeps its hex grams in a hex map (real files do from ~16k of them).
          const { sc } = await build(text, blockBytes, hexMaps ? 0 : undefined);
          if (hexMaps) expect(sc.header.blocks.every((b) => b.hexMap === true)).toBe(true);
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
          const probes = needleProbes(needle)!;
          expect(blockMayHold(sc, bi, probes)).toBe(true);
          // And the planner keeps it in a run.
          const plan = planFromSidecar(sc, { startNs: -(2n ** 63n), endNs: 2n ** 63n - 1n, literals: [probes], countable: null })!;
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
    const plan = planFromSidecar(sc, { startNs: -(2n ** 63n), endNs: 2n ** 63n - 1n, literals: [needleProbes(needle)!], countable: null })!;
    expect(plan.blocksSkippedByBloom).toBeGreaterThan(sc.header.blocks.length - 3);
    expect(plan.runs.length).toBeGreaterThanOrEqual(1);
    // 4 bits per distinct gram: these lines are mostly random ids (~1,900 distinct grams per
    // 4 KiB block), the worst case for size; real logs cost a few percent (README, Indexes).
    expect(bytes.length / enc.encode(lines.join('\n')).length).toBeLessThan(0.2);
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
      // The head fails at decoding; a bloom byte when its segment is read; a file-filter byte its CRC.
      const r = decodeSidecar(b, { ...ID, size });
      expect(!r.ok || checkAllBlooms(r.sidecar) !== null || fileFilterOf(r.sidecar, b) === null, `flip at ${i}`).toBe(true);
    }
    const r = decodeSidecar(bytes, { ...ID, size });
    expect(r.ok && checkAllBlooms(r.sidecar)).toBe(null);
    expect(r.ok && fileFilterOf(r.sidecar, bytes)).not.toBe(null);
    expect(decodeSidecar(bytes, { ...ID, size }).ok).toBe(true);
    expect(decodeSidecar(bytes, { ...ID, size: size + 1 })).toMatchObject({ ok: false, problem: 'stale' });
    expect(decodeSidecar(bytes, { ...ID, size, mtimeMs: ID.mtimeMs + 1 })).toMatchObject({ ok: false, problem: 'stale' });
    expect(decodeSidecar(bytes, { ...ID, size, path: 'pod/ns/2024-09-24_11.log' })).toMatchObject({ ok: false, problem: 'stale' });
  });

  it('literals shorter than 4 bytes never prune', () => {
    expect(needleProbes('abc')).toBeNull();
    expect(needleProbes('한')).toBeNull(); // 3 bytes
    expect(needleProbes('한국')).not.toBeNull(); // 6 bytes
    // Every window is a gram, folded, each once.
    expect([...needleGrams('RARE-7f3a')!].map((g) => String.fromCharCode(g >>> 24, (g >>> 16) & 255, (g >>> 8) & 255, g & 255))).toEqual(['rare', 'are-', 're-7', 'e-7f', '-7f3', '7f3a']);
    expect(needleGrams('abababab')!.length).toBe(2);
  });
});

describe('hex maps', () => {
  // Node-log-like lines, each with a 64-hex container id, as kubelet and containerd write them.
  const id = (i: number): string => {
    let x = (Math.imul(i, 2654435761) + 12345) >>> 0;
    let out = '';
    for (let k = 0; k < 8; k++) {
      x = (Math.imul(x, 1103515245) + 12345 + k) >>> 0;
      x ^= x >>> 15;
      out += x.toString(16).padStart(8, '0');
    }
    return out;
  };
  const lines = Array.from({ length: 3000 }, (_, i) => `2024-09-24T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z[ns|kubelet|main] I0924 10:00:00.000000    1234 scope.go:117] "RemoveContainer" containerID="${id(i)}"`);
  const text = lines.join('\n') + '\n';
  const blockBytes = 128 * 1024;
  /** The distinct hex grams of the messages of block `b`'s lines. */
  const seen = new Map<number, Set<string>>();
  const hexGramsOf = (sc: Sidecar, b: number): Set<string> => {
    if (seen.has(b)) return seen.get(b)!;
    const blk = sc.header.blocks[b]!;
    const out = new Set<string>();
    for (const l of lines.slice(blk.lineBase, blk.lineBase + blk.lines)) {
      const msg = l.slice(l.indexOf('] ') + 2).toLowerCase();
      for (let k = 0; k + 4 <= msg.length; k++) if (/^[0-9a-f]{4}$/.test(msg.slice(k, k + 4))) out.add(msg.slice(k, k + 4));
    }
    seen.set(b, out);
    return out;
  };

  it('keeps the hex grams of an id-heavy block in a map: smaller than in the bloom, and exact', async () => {
    const { sc, bytes } = await build(text, blockBytes);
    const { sc: bloomOnly, bytes: bloomBytes } = await build(text, blockBytes, Infinity);
    expect(sc.header.blocks.length).toBeGreaterThan(2);
    // Every full block has a map; the short last one (124 lines) keeps its few hex grams in its bloom.
    expect(sc.header.blocks.map((b) => b.hexMap === true)).toEqual([...sc.header.blocks.slice(0, -1).map(() => true), false]);
    expect(bloomOnly.header.blocks.some((b) => b.hexMap === true)).toBe(false);
    expect(bytes.length).toBeLessThan(bloomBytes.length * 0.8);
    // No false negative: every id, and pieces of it in either case, keep their line's block.
    for (let i = 0; i < lines.length; i += 7) {
      const b = sc.header.blocks.findIndex((x) => i + 1 > x.lineBase && i + 1 <= x.lineBase + x.lines);
      for (const needle of [id(i), id(i).slice(13, 21).toUpperCase(), `containerID="${id(i).slice(0, 6)}`]) expect(blockMayHold(sc, b, needleProbes(needle)!)).toBe(true);
    }
    // Exact for hex needles: an 8-digit needle passes iff the block has all its grams; the
    // bloom-only sidecar passes at least those (and its false positives).
    let x = 99;
    let mapPassed = 0;
    let bloomPassed = 0;
    for (let t = 0; t < 400; t++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const needle = x.toString(16).padStart(8, '0');
      const b = t % sc.header.blocks.length;
      const have = hexGramsOf(sc, b);
      const all = [0, 1, 2, 3, 4].every((k) => have.has(needle.slice(k, k + 4)));
      const viaMap = blockMayHold(sc, b, needleProbes(needle)!);
      const viaBloom = blockMayHold(bloomOnly, b, needleProbes(needle)!);
      expect(viaMap).toBe(all);
      if (viaMap) expect(viaBloom).toBe(true);
      mapPassed += +viaMap!;
      bloomPassed += +viaBloom!;
    }
    expect(mapPassed).toBeLessThanOrEqual(bloomPassed);
    expect(mapPassed).toBeLessThan(400);
  });

  it('a query reads the segments its hex grams pick in the map, and a damaged map slice voids the sidecar', async () => {
    const { bytes } = await build(text, blockBytes);
    const head = decodeSidecarHead(bytes, bytes.length, { ...ID, size: enc.encode(text).length });
    expect(head.ok).toBe(true);
    if (!head.ok) return;
    const sc = head.sidecar;
    const probes = needleProbes(id(5))!;
    for (const sg of neededSegments(sc, [probes])) attachSegment(sc, sg, bytes.subarray(sc.segmentAt[sg]!, sc.segmentAt[sg + 1]!));
    expect(blockMayHold(sc, 0, probes)).toBe(true); // every segment it touches was attached (else it throws)
    // Flip one bit in block 0's map slice of the segment that holds the first gram of id(5).
    const damaged = bytes.slice();
    const r = decodeSidecarHead(damaged, damaged.length, { ...ID, size: enc.encode(text).length });
    if (!r.ok) throw new Error(r.detail);
    const d = r.sidecar;
    const segs = d.header.build.segments;
    const hex = parseInt(id(5).slice(0, 4), 16);
    const sg = segs === 1 ? 0 : hex >>> (16 - Math.log2(segs));
    const at = d.segmentAt[sg]! + d.blockAt[0]! + 4 * d.header.blocks[0]!.bloomWords;
    damaged[at] = damaged[at]! ^ 1;
    for (const s of neededSegments(d, [probes])) attachSegment(d, s, damaged.subarray(d.segmentAt[s]!, d.segmentAt[s + 1]!));
    expect(blockMayHold(d, 0, probes)).toBeNull();
  });
});

describe('crc32', () => {
  it('is CRC-32/IEEE, portable and native alike, chained as zlib chains it', async () => {
    const { crc32, crc32Portable } = await import('../../src/store/sidecar.js');
    const { crc32: zlibCrc } = await import('node:zlib');
    const b = new Uint8Array(1000).map((_, i) => (i * 7919) & 0xff);
    // This file never loads platform/node: crc32 is the portable loop here; then the native one.
    for (const impl of ['portable', 'native'] as const) {
      if (impl === 'native') await import('../../src/platform/node/crc.js');
      for (const f of [crc32, crc32Portable]) {
        expect(f(new TextEncoder().encode('123456789')), impl).toBe(0xcbf43926);
        expect(f(new Uint8Array(0))).toBe(0);
        for (const n of [1, 7, 8, 9, 63, 1000]) expect(f(b.subarray(3, 3 + n))).toBe(zlibCrc(b.subarray(3, 3 + n)));
        // Chained: the CRC of a whole is that of its tail continuing from its head's.
        for (const cut of [0, 5, 12, 999]) expect(f(b.subarray(cut), f(b.subarray(0, cut)))).toBe(zlibCrc(b));
      }
    }
    // crc32 goes through what the platform handed in.
    const { useNativeCrc32 } = await import('../../src/store/sidecar.js');
    useNativeCrc32(() => 42);
    expect(crc32(b)).toBe(42);
    expect(crc32Portable(b)).toBe(zlibCrc(b));
    useNativeCrc32((d, v) => zlibCrc(d, v));
  });
});

describe('version 5', () => {
  const text = Array.from({ length: 400 }, (_, i) => `2024-09-24T10:00:${String(i % 60).padStart(2, '0')}Z[ns|api|main] GET /orders/${(i * 2654435761) % 2 ** 32} trace=${((i * 40503) % 65536).toString(16)}`).join('\n') + '\n';
  const size = enc.encode(text).length;

  it('refuses version 1 to 4 sidecars as unsupported (they are rebuilt, never misread)', async () => {
    const { bytes } = await build(text, 4096);
    expect(SIDECAR_VERSION).toBe(5);
    for (const v of [1, 2, 3, 4]) {
      const old = bytes.slice();
      new DataView(old.buffer).setUint32(4, v, true);
      expect(decodeSidecar(old, { ...ID, size })).toMatchObject({ ok: false, problem: 'unsupported' });
    }
  });

  it('reads from the head only what a query needs: the head, then the segments its grams pick', async () => {
    const { bytes } = await build(text, 4096);
    // A head shorter than the header asks for more; the sidecar's size is known.
    const short = decodeSidecarHead(bytes.subarray(0, 40), bytes.length, { ...ID, size });
    expect(short).toMatchObject({ ok: false, problem: 'truncated' });
    const need = (short as { need: number }).need;
    expect(need).toBeGreaterThan(40);
    let r = decodeSidecarHead(bytes.subarray(0, need), bytes.length, { ...ID, size });
    if (!r.ok && 'need' in r) r = decodeSidecarHead(bytes.subarray(0, r.need), bytes.length, { ...ID, size });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const sc = r.sidecar;
    expect(sc.header.build.segments).toBeGreaterThan(1);
    const probes = needleProbes('/orders/')!;
    const segs = neededSegments(sc, [probes]);
    expect(segs.length).toBeGreaterThan(0);
    expect(segs.length).toBeLessThanOrEqual(5); // 5 grams
    // Testing without a needed segment is a bug, not a silent pass.
    expect(() => blockMayHold(sc, 0, probes)).toThrow(/not loaded/);
    for (const sg of segs) attachSegment(sc, sg, bytes.slice(sc.segmentAt[sg]!, sc.segmentAt[sg + 1]!));
    const whole = decodeSidecar(bytes, { ...ID, size });
    if (!whole.ok) throw new Error(whole.detail);
    for (let b = 0; b < sc.header.blocks.length; b++) expect(blockMayHold(sc, b, probes)).toBe(blockMayHold(whole.sidecar, b, probes));
    expect(neededSegments(sc, [probes])).toEqual([]);
    // A sidecar whose file is longer than its head says is corrupt, shorter truncated.
    expect(decodeSidecarHead(bytes, bytes.length + 1)).toMatchObject({ ok: false, problem: 'corrupt' });
    expect(decodeSidecarHead(bytes.subarray(0, need + 400), bytes.length - 1)).toMatchObject({ ok: false });
  });

  it('checks a bloom segment only when a query reads it, and a damaged one voids the sidecar for that query', async () => {
    const { bytes, sc } = await build(text, 4096);
    const segments = sc.header.build.segments;
    expect(segments).toBeGreaterThan(1);
    // Damage one segment of block 0: the one the gram "orde" lands in.
    const probes = needleProbes('orde')!;
    const seg = probes[0]! >>> (32 - Math.log2(segments));
    const damaged = bytes.slice();
    damaged[sc.segmentAt[seg]! + sc.blockAt[0]!]! ^= 0x80;
    const r = decodeSidecar(damaged, { ...ID, size });
    expect(r.ok).toBe(true); // the head is sound
    if (!r.ok) return;
    const all = { startNs: -(2n ** 63n), endNs: 2n ** 63n - 1n, countable: null };
    // A query without a literal, or whose grams read other segments, never reads it.
    expect(planFromSidecar(r.sidecar, { ...all, literals: [] })).not.toBeNull();
    expect(r.sidecar.state.some((x) => x !== 0)).toBe(false);
    // One that reads it gets null: the planner ignores the sidecar (corrupt).
    expect(planFromSidecar(r.sidecar, { ...all, literals: [probes] })).toBeNull();
    expect(checkAllBlooms(r.sidecar)).toMatch(/checksum mismatch/);
  });

  it('sizes each bloom to its distinct grams: an absent gram passes at the designed odds', () => {
    // 30,000 random distinct grams in one block; 20,000 others tested.
    const set = new GramSet();
    const present = new Set<number>();
    let x = 12345;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    const buf = new Uint8Array(4);
    while (present.size < 30000) {
      const g = next();
      if (present.has(g)) continue;
      present.add(g);
      new DataView(buf.buffer).setUint32(0, g);
      // Grams are folded: keep only bytes that fold to themselves.
      if (buf.some((c) => c >= 0x41 && c <= 0x5a)) {
        present.delete(g);
        continue;
      }
      set.add(buf, 0, 4);
    }
    expect(set.size).toBe(30000);
    const { segments, words, area } = layBlooms([set.take()]);
    const w = words[0]!;
    expect(segments * w * 32).toBeGreaterThanOrEqual(30000 * BLOOM_BITS_PER_GRAM);
    expect(segments * w * 32).toBeLessThan(30000 * BLOOM_BITS_PER_GRAM * 1.05);
    const header = { blocks: [{ bloomWords: w }], build: { probes: 2, segments } };
    const runs = Array.from({ length: segments }, (_, sg) => area.subarray(sg * 4 * w, (sg + 1) * 4 * w));
    const sc = { header, blockAt: [0, 4 * w], runs, state: new Uint8Array(segments).fill(1) } as unknown as Sidecar;
    let passed = 0;
    let tested = 0;
    for (const g of present) {
      new DataView(buf.buffer).setUint32(0, g);
      expect(blockMayHold(sc, 0, needleProbes(buf)!)).toBe(true);
    }
    while (tested < 20000) {
      const g = next();
      new DataView(buf.buffer).setUint32(0, g);
      if (present.has(g) || buf.some((c) => c >= 0x41 && c <= 0x5a)) continue;
      tested++;
      if (blockMayHold(sc, 0, needleProbes(buf)!)) passed++;
    }
    // (1 − e^(−2/4))² ≈ 0.155.
    expect(passed / tested).toBeGreaterThan(0.12);
    expect(passed / tested).toBeLessThan(0.19);
  });

  it('collects exactly the distinct grams of a block (including 0, across growth and clears)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 3000 }), { maxLength: 8 }), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), (msgs, before) => {
        const set = new GramSet();
        for (const m of before) set.add(m, 0, m.length);
        set.clear();
        const want = new Set<number>();
        for (const m of msgs) {
          // Few distinct byte values, so that grams repeat.
          const b = m.map((c) => [0, 0x41, 0x61, 0x7a, 0xff, 0x20][c % 6]!);
          set.add(b, 0, b.length);
          for (let i = 0; i + 4 <= b.length; i++) want.add((((b[i]! | 0x20 * +(b[i]! === 0x41)) << 24) | ((b[i + 1]! | 0x20 * +(b[i + 1]! === 0x41)) << 16) | ((b[i + 2]! | 0x20 * +(b[i + 2]! === 0x41)) << 8) | (b[i + 3]! | 0x20 * +(b[i + 3]! === 0x41))) >>> 0);
        }
        expect(set.size).toBe(want.size);
      }),
      { numRuns: 200 },
    );
  });

  it('segment checksums catch any change to one word', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 256 }), fc.nat(), fc.integer({ min: 1, max: 0xffffffff }), (raw, at, delta) => {
        const b = raw.slice(0, raw.length & ~3);
        const w = (at % (b.length / 4)) * 4;
        const c = b.slice();
        new DataView(c.buffer).setUint32(w, new DataView(b.buffer).getUint32(w) ^ delta);
        expect(segmentChecksum(c, 0, c.length)).not.toBe(segmentChecksum(b, 0, b.length));
      }),
      { numRuns: 500 },
    );
  });
});
