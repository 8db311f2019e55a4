/**
 * `s3://` stores read through the S3 driver against a real S3-compatible server (s3rver on
 * 127.0.0.1, test/support/s3.ts): the fixture store (no sidecars) and a generated store with
 * sidecars, uploaded object by object, give exactly the rows, order and statistics of the
 * local store for the differential query tables (test/support/store-queries.ts); store
 * sets mixing a directory and an S3 member; and precise errors for bad URLs, a missing
 * bucket and refused credentials.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../scripts/lib/generate.mjs';
import { getStats, LogStore, openStore, openStoreSet, type QueryStats } from '../../src/node.js';
import { DiskPageCache } from '../../src/platform/node/page-cache.js';
import { S3Driver } from '../../src/platform/node/s3.js';
import { ObjectChunkSource } from '../../src/store/object-source.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { FIXTURE_STORE } from '../support/paths.js';
import { shipTo, startS3, type S3Server } from '../support/s3.js';
import { FIXTURE_CASES, GENERATED_CASES, runCase, type QueryCase, type Shape } from '../support/store-queries.js';

const started = await startS3();
const server: S3Server | null = typeof started === 'string' ? null : started;
const SKIP = typeof started === 'string' ? started : '';
let dir = '';
let generated = '';

/** Statistics but the time (an s3:// store reads the summaries `ship` uploads: the same files are skipped on them as on disk). */
function comparable(stats: QueryStats | null): Omit<QueryStats, 'elapsedMs'> {
  expect(stats).not.toBeNull();
  const { elapsedMs, ...rest } = stats!;
  void elapsedMs;
  return rest;
}

async function run(store: LogStore, c: QueryCase, shape: Shape) {
  const r = await runCase(store, c, shape);
  return { result: r.result, stats: comparable(r.stats) };
}

beforeAll(async () => {
  if (!server) return;
  dir = mkdtempSync(join(tmpdir(), 'letheql-s3-read-'));
  generated = join(dir, 'generated');
  await generateStore({ out: generated, sizeBytes: 3_000_000, seed: 7 });
  await indexStore(generated, { blockBytes: 4096, nowNs: 4_000_000_000_000_000_000n });
  await server.bucket('lethe');
  await shipTo(FIXTURE_STORE, 's3://lethe/fixture', server.endpoint);
  await shipTo(generated, 's3://lethe/gen/store', server.endpoint);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!server)(`s3:// stores give the local store's results${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  const stores: [string, () => string, string, QueryCase[]][] = [
    ['fixture', () => FIXTURE_STORE, 's3://lethe/fixture', FIXTURE_CASES],
    ['generated (with sidecars)', () => generated, 's3://lethe/gen/store/', GENERATED_CASES],
  ];
  for (const [name, local, url, cases] of stores) {
    it(`${name}: rows, order and statistics equal`, async () => {
      const a = openStore(local(), { workers: 0 });
      const b = openStore(url, { s3: { endpoint: server!.endpoint } });
      try {
        expect(await b.targets()).toEqual(await a.targets());
        let fromSummary = 0;
        for (const c of cases) {
          for (const shape of c.shapes) {
            const want = await run(a, c, shape);
            const got = await run(b, c, shape);
            expect(got, `${c.query} (${shape})`).toEqual(want);
            fromSummary += got.stats.index?.filesFromSummary ?? 0;
          }
        }
        // the shipped target summaries were read (and skipped what they skip on disk)
        if (name.includes('sidecars')) expect(fromSummary).toBeGreaterThan(0);
      } finally {
        await a.close();
        await b.close();
      }
    }, 120_000);
  }

  it('the generated store uses its sidecars through S3 (they prune), identified without a HEAD per file', async () => {
    const source = new ObjectChunkSource(new S3Driver('s3://lethe/gen/store', { endpoint: server!.endpoint }));
    const b = new LogStore(source);
    const t = await b.query('pod{namespace=~".+"} |= "trace_id=RARE-7f3a"', { start: '2024-09-24T00:00:00Z', end: '2024-09-24T02:59:59Z', limit: null });
    const stats = getStats(t)!;
    expect(stats.index?.bytesSkipped ?? 0).toBeGreaterThan(0);
    expect(stats.index?.notes ?? []).toEqual([]);
    // Shipped sidecars carry their hour object's ETag and mtime: checked against the listing.
    expect(source.counters.heads).toBe(0);
  });

  it('a store set may mix a directory and an s3:// member', async () => {
    const a = openStoreSet({ x: FIXTURE_STORE, y: FIXTURE_STORE }, { workers: 0 });
    const b = openStoreSet({ x: FIXTURE_STORE, y: 's3://lethe/fixture' }, { s3: { endpoint: server!.endpoint } });
    try {
      const c = FIXTURE_CASES[3]!;
      expect(await run(b, c, 'rows')).toEqual(await run(a, c, 'rows'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('bad URLs, a missing bucket and refused credentials are precise errors', async () => {
    expect(() => openStore('s3://', {})).toThrow(/invalid S3 store URL "s3:\/\/": no bucket name/);
    expect(() => openStore('s3://Bad_Bucket/x', {})).toThrow(/not a valid bucket name/);
    expect(() => openStore('s3://bucket/a//b', {})).toThrow(/empty, "\." or "\.\." segment/);
    expect(() => openStore('s3://bucket/x', { s3: { endpoint: 'ftp://x' } })).toThrow(/invalid S3 endpoint "ftp:\/\/x"/);
    const missing = openStore('s3://no-such-bucket/x', { s3: { endpoint: server!.endpoint } });
    await expect(missing.targets()).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', message: `S3 bucket not found: no-such-bucket at ${server!.endpoint}` });
    await missing.close();
    const denied = openStore('s3://lethe/fixture', { s3: { endpoint: server!.endpoint, env: {} } });
    const keep = { ...process.env };
    process.env['AWS_ACCESS_KEY_ID'] = 'WRONG';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'WRONG';
    try {
      await expect(denied.targets()).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/^S3 access denied to s3:\/\/lethe\/fixture at http:\/\/127\.0\.0\.1:\d+: InvalidAccessKeyId/) });
    } finally {
      process.env['AWS_ACCESS_KEY_ID'] = keep['AWS_ACCESS_KEY_ID'];
      process.env['AWS_SECRET_ACCESS_KEY'] = keep['AWS_SECRET_ACCESS_KEY'];
      await denied.close();
    }
  });

  it('the disk cache: a warm query makes no GET and gives the same rows; the cache stays within its bound', async () => {
    const c = GENERATED_CASES[0]!;
    const open = (cache: DiskPageCache) => {
      const source = new ObjectChunkSource(new S3Driver('s3://lethe/gen/store', { endpoint: server!.endpoint }), { cache });
      return { source, store: new LogStore(source) };
    };
    const cacheDir = join(dir, 'cache');
    const cold = open(new DiskPageCache(cacheDir, 64 << 20));
    const want = await run(cold.store, c, 'rows');
    expect(cold.source.counters.gets).toBeGreaterThan(0);
    expect(cold.source.counters.cacheHits).toBe(0);
    const warm = open(new DiskPageCache(cacheDir, 64 << 20));
    expect(await run(warm.store, c, 'rows')).toEqual(want);
    expect(warm.source.counters).toMatchObject({ gets: 0, heads: 0, bytesFetched: 0 });
    expect(warm.source.counters.cacheHits).toBe(cold.source.counters.gets + cold.source.counters.heads);

    // A bound smaller than the data: least recently used pages go, the answer does not change.
    const small = new DiskPageCache(join(dir, 'small-cache'), 1 << 20);
    const bounded = open(small);
    expect(await run(bounded.store, c, 'rows')).toEqual(want);
    const onDisk = readdirSync(small.dir).flatMap((sub) => readdirSync(join(small.dir, sub)).map((f) => statSync(join(small.dir, sub, f)).size));
    expect(onDisk.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 << 20);
    expect(small.counters.evicted).toBeGreaterThan(0);
  }, 60_000);
});
