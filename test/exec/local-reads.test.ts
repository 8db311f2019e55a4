/**
 * What the in-thread scan reads from its source. A source that reads synchronously (the CLI's
 * `FsChunkSource({ sync: true })`) gets no read-ahead: each byte the scan needs is read once,
 * and a file read in sidecar runs is read in those runs only (read-ahead used to read each
 * file's first block and the block after each run as well, and copy every block once more).
 * An asynchronous source keeps its read-ahead, whose reads may go past what is scanned.
 * Both give the same answer.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogStore } from '../../src/api.js';
import { FsChunkSource } from '../../src/platform/node/fs-source.js';
import type { ChunkReader, ChunkSource } from '../../src/store/types.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { FIXTURE_STORE } from '../support/paths.js';

const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };

/** `source` with every hour-file read counted (bytes delivered to the scan). */
function counting(source: FsChunkSource): { source: ChunkSource; bytesRead: () => number } {
  let bytes = 0;
  const wrapped = Object.create(source) as ChunkSource;
  wrapped.open = async (logType, target, name) => {
    const r = await source.open(logType, target, name);
    const reader: ChunkReader = {
      size: r.size,
      read: async (dest, position) => {
        const n = await r.read(dest, position);
        bytes += n;
        return n;
      },
      close: () => r.close(),
    };
    return reader;
  };
  return { source: wrapped, bytesRead: () => bytes };
}

describe('in-thread reads from a synchronous source', () => {
  let root = '';
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'letheql-local-reads-'));
    cpSync(FIXTURE_STORE, root, { recursive: true });
    // Small blocks, so that a rare literal leaves runs in the middle of files.
    await indexStore(root, { blockBytes: 2048, nowNs: 4_000_000_000_000_000_000n });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['pod{namespace=~".+"} |= "user/42"', true],
    ['pod{namespace=~".+"} |~ "(?i)timeout"', true],
    ['pod{namespace=~".+"} |= "GET"', false],
    ['node{node=~".+"}', false],
  ])('%s: each scanned byte read once when synchronous; the same count either way', async (query, runs) => {
    const sync = counting(new FsChunkSource(root, { sync: true }));
    const async_ = counting(new FsChunkSource(root, { sync: false }));
    const a = await new LogStore(sync.source).count(query, WINDOW);
    const b = await new LogStore(async_.source).count(query, WINDOW);
    expect(a.count).toBe(b.count);
    expect(a.stats.bytesScanned).toBe(b.stats.bytesScanned);
    expect(sync.bytesRead()).toBe(a.stats.bytesScanned);
    // The query really reads files in runs (its blooms skip blocks), and read-ahead then
    // reads more than it scans.
    if (runs) {
      expect(a.stats.index!.blocksSkippedByBloom).toBeGreaterThan(0);
      expect(async_.bytesRead()).toBeGreaterThan(a.stats.bytesScanned);
    } else expect(async_.bytesRead()).toBeGreaterThanOrEqual(a.stats.bytesScanned);
  });
});
