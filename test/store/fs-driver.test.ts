/**
 * The storage-driver seam without an S3 server: a directory through FsStorageDriver and
 * ObjectChunkSource answers the differential queries exactly as FsChunkSource does, and
 * `shipStore` to a directory driver mirrors a store (sidecars included, identified without a
 * stat of the hour file) and is idempotent.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../scripts/lib/generate.mjs';
import { getStats, LogStore, openStore, type QueryStats } from '../../src/node.js';
import { FsStorageDriver } from '../../src/platform/node/fs-driver.js';
import { ObjectChunkSource } from '../../src/store/object-source.js';
import { shipStore } from '../../src/write/ship.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { FIXTURE_STORE, tableLines } from '../support/paths.js';
import { FIXTURE_CASES, GENERATED_CASES, type QueryCase, type Shape } from '../support/store-queries.js';

let dir = '';
let generated = '';
const FAR_FUTURE_NS = 4_102_444_800_000_000_000n;

/** Statistics but the time, and but how many files target summaries decided (object stores read no summary: every sidecar speaks for itself there, to the same effect). */
function comparable(stats: QueryStats | null): Omit<QueryStats, 'elapsedMs'> {
  const { elapsedMs, ...rest } = stats!;
  void elapsedMs;
  return rest.index ? { ...rest, index: { ...rest.index, filesFromSummary: 0 } } : rest;
}

async function run(store: LogStore, c: QueryCase, shape: Shape): Promise<unknown> {
  if (shape === 'count') return (({ count, stats }) => ({ count, stats: comparable(stats) }))(await store.count(c.query, c.opts));
  if (shape === 'metric') return (({ result, stats }) => ({ result, stats: comparable(stats) }))(await store.queryMetric(c.query, c.opts));
  const t: Table = await store.query(c.query, { ...c.opts, limit: shape.includes('limit 7') ? 7 : null, direction: shape.includes('backward') ? 'backward' : 'forward' });
  return { lines: tableLines(t), times: [...(t.getChild('time')?.toArray() ?? [])].map(String), stats: comparable(getStats(t)) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'letheql-fs-driver-'));
  generated = join(dir, 'generated');
  await generateStore({ out: generated, sizeBytes: 1_000_000, seed: 5 });
  await indexStore(generated, { blockBytes: 4096, nowNs: FAR_FUTURE_NS });
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('FsStorageDriver under ObjectChunkSource', () => {
  it('answers the fixture queries exactly as FsChunkSource', async () => {
    const a = openStore(FIXTURE_STORE, { workers: 0 });
    const b = new LogStore(new ObjectChunkSource(new FsStorageDriver(FIXTURE_STORE), { pageBytes: 4096 }));
    for (const c of FIXTURE_CASES) for (const shape of c.shapes) expect(await run(b, c, shape), `${c.query} (${shape})`).toEqual(await run(a, c, shape));
    await a.close();
  });

  it('ship to a directory: the same answers with sidecars, no stat per file, idempotent', async () => {
    mkdirSync(join(dir, 'dest')); // like a bucket, the destination must exist
    const dest = new FsStorageDriver(join(dir, 'dest'));
    const first = await shipStore(generated, dest, { nowNs: FAR_FUTURE_NS });
    expect(first.uploaded).toBeGreaterThan(0);
    expect(await shipStore(generated, dest, { nowNs: FAR_FUTURE_NS })).toMatchObject({ uploaded: 0, present: first.uploaded });
    const a = openStore(generated, { workers: 0 });
    const source = new ObjectChunkSource(dest);
    const b = new LogStore(source);
    for (const c of GENERATED_CASES) for (const shape of c.shapes) expect(await run(b, c, shape), `${c.query} (${shape})`).toEqual(await run(a, c, shape));
    expect(source.counters.heads).toBe(0);
    await a.close();
  }, 60_000);
});
