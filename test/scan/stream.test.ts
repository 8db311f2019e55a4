/**
 * Block feeding: lines longer than a block (region growth), lines longer than
 * maxLineBytes (skipped whole, counted, scanning resumes), bounded memory, short reads,
 * output columns that fill up, early stop and abort.
 */
import { describe, expect, test } from 'vitest';
import { Kernel } from '../../src/scan/kernel.js';
import { MemReader, bytesOf, program, referenceScan, runScan, sweep } from './helpers.js';

const T = '2009-11-10T23:00:00Z';
const line = (msg: string, fields = 'a|b|c') => `${T}[${fields}] ${msg}\n`;

describe('long lines', async () => {
  const k = await Kernel.load();

  test('lines far longer than the block are found whole', async () => {
    k.setProgram(program({ lineFilters: [{ op: 'contains', needle: 'NEEDLE' }] }));
    const big = 'x'.repeat(5000) + 'NEEDLE' + 'y'.repeat(3000);
    const data = line('short') + line(big) + line('NEEDLE after') + line('z'.repeat(9000));
    const r = await sweep(k, data);
    expect(r.matches.map((m) => [m.lineNo, m.msg.length])).toEqual([
      [2, big.length],
      [3, 'NEEDLE after'.length],
    ]);
    expect(r.lines).toBe(4);
    expect(r.badLines).toBe(0);
  });

  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('lines over maxLineBytes are skipped and counted (%s)', async (_n, eol) => {
    k.setProgram(program());
    const max = 80;
    const ok = `${T}[a|b|c] ${'o'.repeat(max - 29)}`; // exactly max bytes before the line end
    expect(bytesOf(ok + (eol === '\r\n' ? '\r' : '')).length).toBeLessThanOrEqual(max + 1);
    const data = [`${T}[a|b|c] first`, `${T}[a|b|c] ${'L'.repeat(500)}`, `${T}[a|b|c] next`, 'Q'.repeat(max + 1), ok.slice(0, max - (eol.length - 1)), `${T}[a|b|c] ${'T'.repeat(300)}`].join(eol);
    const r = await sweep(k, data, { maxLineBytes: max });
    expect(r.matches.map((m) => m.lineNo)).toEqual([1, 3, 5]);
    expect(r.samples).toEqual([
      { line: 2, reason: 'line-too-long' },
      { line: 4, reason: 'line-too-long' },
      { line: 6, reason: 'line-too-long' }, // the final line, without a newline
    ]);
    expect(r.lines).toBe(6);
    expect(r.bytes).toBe(bytesOf(data).length);
    const ref = referenceScan(data, program(), { maxLineBytes: max });
    expect(r.matches).toEqual(ref.matches);
    expect(r.samples).toEqual(ref.samples);
  });

  test('a line of exactly maxLineBytes is accepted, one more byte is not', async () => {
    k.setProgram(program());
    for (const max of [21 + 8, 64, 100]) {
      const exact = `${T}[a|b|c] `.padEnd(max, 'm');
      const over = exact + 'm';
      const r = await sweep(k, `${exact}\n${over}\n${exact}`, { maxLineBytes: max });
      expect(r.matches.map((m) => m.lineNo)).toEqual([1, 3]);
      expect(r.samples).toEqual([{ line: 2, reason: 'line-too-long' }]);
    }
  });

  test('memory stays bounded by block size and maxLineBytes, not by line length', async () => {
    const kk = await Kernel.load();
    kk.setProgram(program());
    const huge = `${T}[a|b|c] ` + 'h'.repeat(8 << 20);
    const data = bytesOf(`${line('before')}${huge}\n${line('after')}`);
    const reader = new MemReader(data);
    const matches: number[] = [];
    const st = await kk.scanFile(reader, { blockSize: 4096, maxLineBytes: 100_000 }, (b) => {
      for (let i = 0; i < b.count; i++) matches.push(b.lineNos[i]!);
    });
    expect(matches).toEqual([1, 3]);
    expect(st.badLineSamples).toEqual([{ line: 2, reason: 'line-too-long' }]);
    expect(st.bytes).toBe(data.length);
    expect(reader.maxRequested).toBeLessThanOrEqual(2 * 100_001);
    expect(kk.exports.memory.buffer.byteLength).toBeLessThan(1 << 20);
  });

  test('growth up to a large line that is accepted', async () => {
    const kk = await Kernel.load();
    kk.setProgram(program({ lineFilters: [{ op: 'contains', needle: 'END' }] }));
    const big = 'b'.repeat(3 << 20) + 'END';
    const r = await runScan(kk, line('x') + line(big) + line('END'), { blockSize: 1000 });
    expect(r.matches.map((m) => [m.lineNo, m.msg.length])).toEqual([
      [2, big.length],
      [3, 3],
    ]);
  });

  test('reads stay linear: a long carry is not re-read block after block', async () => {
    const kk = await Kernel.load();
    kk.setProgram(program());
    const data = bytesOf(line('l'.repeat(1 << 20)));
    const reader = new MemReader(data);
    await kk.scanFile(reader, { blockSize: 64 }, () => {});
    expect(reader.reads).toBeLessThan(40); // doubling, not 1 MiB / 64 reads
  });
});

describe('feeding', async () => {
  const k = await Kernel.load();

  test('short reads give the same result', async () => {
    const p = program({ lineFilters: [{ op: 'contains', needle: 'b' }] });
    k.setProgram(p);
    const data = bytesOf(Array.from({ length: 200 }, (_, i) => line(i % 3 ? `a${i}` : `b${i}`)).join('') + 'junk');
    for (const maxRead of [1, 3, 7, 50]) {
      const matches: number[] = [];
      const st = await k.scanFile(new MemReader(data, maxRead), { blockSize: 64 }, (b) => {
        for (let i = 0; i < b.count; i++) matches.push(b.lineNos[i]!);
      });
      const ref = referenceScan(data, p);
      expect(matches).toEqual(ref.matches.map((m) => m.lineNo));
      expect([st.lines, st.badLines]).toEqual([ref.lines, ref.badLines]);
    }
  });

  test('full output columns are delivered in several batches without losing lines', async () => {
    k.setProgram(program({ fieldCount: 2 }));
    // A long first line grows the input region; the short lines behind it then overflow the 64-record output columns.
    const shortLines = Array.from({ length: 3000 }, (_, i) => `${T}[n|p] ${i}\n`).join('');
    const data = `${T}[n|p] ${'x'.repeat(70_000)}\n${shortLines}`;
    const r = await runScan(k, data, { blockSize: 1 });
    expect(r.matches.length).toBe(3001);
    expect(r.matches.map((m) => m.lineNo)).toEqual(Array.from({ length: 3001 }, (_, i) => i + 1));
    expect(r.batches).toBeGreaterThan(3001 / 64);
  });

  test('early stop', async () => {
    k.setProgram(program());
    const data = Array.from({ length: 1000 }, (_, i) => line(`m${i}`)).join('');
    const r = await runScan(k, data, { blockSize: 256 }, 5);
    expect(r.stopped).toBe(true);
    expect(r.matches.map((m) => m.lineNo)).toEqual([1, 2, 3, 4, 5]);
    expect(r.bytes).toBeLessThan(bytesOf(data).length);
    const all = await runScan(k, data, { blockSize: 256 });
    expect(all.stopped).toBe(false);
    expect(all.matches.length).toBe(1000);
  });

  test('the kernel is reusable after an early stop', async () => {
    k.setProgram(program());
    await runScan(k, line('a').repeat(100), { blockSize: 64 }, 1);
    const r = await runScan(k, line('b') + line('c'), { blockSize: 64 });
    expect(r.matches.map((m) => m.msg)).toEqual(['b', 'c']);
  });

  test('abort before the scan throws the signal reason', async () => {
    k.setProgram(program());
    const ac = new AbortController();
    const reason = new Error('stop now');
    ac.abort(reason);
    await expect(k.scanFile(new MemReader(bytesOf(line('x'))), { signal: ac.signal }, () => {})).rejects.toBe(reason);
  });

  test('abort between blocks', async () => {
    k.setProgram(program());
    const ac = new AbortController();
    let seen = 0;
    const data = bytesOf(line('x').repeat(1000));
    const p = k.scanFile(new MemReader(data), { blockSize: 128, signal: ac.signal }, (b) => {
      seen += b.count;
      ac.abort();
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(1000);
    // Still usable.
    expect((await runScan(k, line('y'))).matches.length).toBe(1);
  });

  test('concurrent scans on one kernel are refused', async () => {
    k.setProgram(program());
    const a = runScan(k, line('a'));
    await expect(runScan(k, line('b'))).rejects.toThrow(/in progress/);
    await a;
  });

  test('scanFile without a program is refused', async () => {
    const kk = await Kernel.load();
    await expect(runScan(kk, line('a'))).rejects.toThrow(/setProgram/);
  });

  test('options are validated', async () => {
    k.setProgram(program());
    await expect(runScan(k, line('a'), { blockSize: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(runScan(k, line('a'), { maxLineBytes: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  test('stats.bytes counts the bytes read', async () => {
    k.setProgram(program());
    const data = line('a') + 'tail without newline';
    const r = await runScan(k, data, { blockSize: 5 });
    expect(r.bytes).toBe(bytesOf(data).length);
  });
});
