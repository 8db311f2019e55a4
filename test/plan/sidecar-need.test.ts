/**
 * A sidecar is opened only when it could narrow the query (`plan/sidecar-plan.ts`,
 * `sidecarMayHelp`): a query with no literal of 4+ bytes, that is no count from streams, over
 * files whose every good line is in the window (by their target summary), reads them whole
 * without opening a sidecar per file — on the 4 GiB bench store opening 2,016 of them cost
 * 100–300 ms per query that they could not help. The results are those of the same store
 * without sidecars, and the plan says how many files were not opened.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsChunkSource, LogStore, openStore, type ChunkSource } from '../../src/node.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { FIXTURE_STORE } from '../support/paths.js';

let dir = '';
let indexed = '';
let plain = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'letheql-sidecar-need-'));
  indexed = join(dir, 'indexed');
  plain = join(dir, 'plain');
  cpSync(FIXTURE_STORE, indexed, { recursive: true });
  cpSync(FIXTURE_STORE, plain, { recursive: true });
  rmSync(join(plain, '.letheql'), { recursive: true, force: true });
  await indexStore(indexed, { blockBytes: 4096, nowNs: 4_000_000_000_000_000_000n });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store over `root` whose source counts the sidecars it opens. */
function counted(root: string): { store: LogStore; opened: () => number } {
  const fs = new FsChunkSource(root);
  let n = 0;
  const source = new Proxy(fs, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'openSidecar' || prop === 'readSidecar') {
        return (...args: unknown[]) => {
          n++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  }) as ChunkSource;
  return { store: new LogStore(source), opened: () => n };
}

const ALL = { start: '2024-09-24T00:00:00Z', end: '2024-09-25T00:00:00Z' };
// Ends inside hour 14: the 14:00 files' sidecars can skip blocks by time.
const PART = { start: '2024-09-24T00:00:00Z', end: '2024-09-24T14:30:00Z' };

describe('sidecars are opened only when they could narrow the query', () => {
  const cases: { query: string; window: typeof ALL; opens: 'none' | 'some' | 'all' }[] = [
    { query: 'pod{namespace=~".+"} != "zzzz"', window: ALL, opens: 'none' },
    { query: 'pod{namespace=~".+"} |~ "(?i)oom"', window: ALL, opens: 'none' },
    { query: 'pod{namespace=~".+"} |~ "[0-9]+ms"', window: ALL, opens: 'none' },
    { query: 'pod{namespace=~".+"} != "zzzz" | logfmt', window: ALL, opens: 'none' },
    { query: 'pod{namespace=~".+"} != "zzzz"', window: PART, opens: 'some' },
    // A literal to test, or a count from streams: every sidecar is consulted (or its summary entry).
    { query: 'pod{namespace=~".+"} |= "GET /api"', window: ALL, opens: 'all' },
    { query: 'pod{namespace=~".+"}', window: ALL, opens: 'all' },
  ];
  for (const c of cases) {
    it(`${c.query} over ${c.window.end}: ${c.opens} opened, results as without sidecars`, async () => {
      const { store, opened } = counted(indexed);
      const base = openStore(plain, { workers: 0 });
      try {
        const plan = await store.explain(c.query, c.window);
        const files = plan.files.length;
        expect(files).toBeGreaterThan(1);
        const ix = plan.index;
        expect(ix).toBeDefined();
        const got = await store.result(c.query, { ...c.window, limit: 10_000 });
        const want = await base.result(c.query, { ...c.window, limit: 10_000 });
        expect(got.table.numRows).toBe(want.table.numRows);
        expect(got.table.getChild('line')!.toArray()).toEqual(want.table.getChild('line')!.toArray());
        expect((await store.count(c.query, c.window)).count).toBe((await base.count(c.query, c.window)).count);
        const notOpened = ix!.unneeded;
        if (c.opens === 'none') {
          expect(notOpened).toBe(files);
          expect(opened()).toBe(0);
          expect(got.stats.index?.filesIndexNotNeeded).toBe(files);
        } else if (c.opens === 'some') {
          expect(notOpened).toBeGreaterThan(0);
          expect(notOpened).toBeLessThan(files);
          expect(opened()).toBeGreaterThan(0);
        } else {
          expect(notOpened).toBe(0);
          expect(ix!.used).toBe(files);
        }
      } finally {
        await store.close();
        await base.close();
      }
    });
  }
});
